"""Placing new articles by reading their neighbourhood: the store's indexes, and the same grouping as holding everything."""

from __future__ import annotations

import dataclasses
import sqlite3
from collections import Counter
from pathlib import Path

from chronique.events.cluster import EventClusterer, load_pair_model
from chronique.events.placement import Placement
from chronique.events.stories import link_stories
from chronique.events.summarize import summarize_event
from chronique.records import Article, Event
from chronique.settings import Settings
from chronique.stages.represent import Representation, block_keys, get_embedder, represent
from chronique.store import Store

# Three subjects, told by several reports over several days, in the project's own words.
TEXTS = [
    ("Le ministre Alain Vidal a téléphoné mardi à Karl Brandt pour exiger un cessez-le-feu dans la vallée de Rondel.", "2024-05-14"),
    ("Alain Vidal a appelé mardi Karl Brandt et exigé un cessez-le-feu immédiat dans la vallée de Rondel.", "2024-05-14"),
    ("Des pluies torrentielles ont inondé lundi la ville portuaire de Salvera, 3 200 habitants évacués.", "2024-05-13"),
    ("À Salvera, les pluies torrentielles ont forcé l'évacuation de 3 200 habitants de la ville portuaire.", "2024-05-13"),
    ("Karl Brandt a répondu jeudi à Alain Vidal : pas de cessez-le-feu dans la vallée de Rondel sans garanties.", "2024-05-16"),
    ("La décrue a commencé à Salvera, où les 3 200 habitants évacués attendent de rentrer dans la ville portuaire.", "2024-05-20"),
    ("Le club de Varenne a remporté la finale de la coupe régionale de basket devant 4 500 spectateurs.", "2024-05-18"),
    ("Alain Vidal et Karl Brandt se sont rencontrés dans la vallée de Rondel pour signer le cessez-le-feu.", "2024-06-02"),
    ("Varenne fête ses basketteurs, vainqueurs de la coupe régionale devant 4 500 spectateurs.", "2024-05-19"),
    ("Nouvelles pluies torrentielles sur la ville portuaire de Salvera : l'alerte est relevée.", "2024-06-28"),
]
# the hashing embedder is weaker than a real model; the second pass off, or it would leave stories nothing to link
SETTINGS = Settings(event_threshold=0.2, story_threshold=0.05, event_merge=1.0)


def _analysed() -> tuple[list[Article], list[Representation]]:
    arts = [Article(f"a{k:02d}", f"s{k}", "text", t[:50], t, language="fr", event_date=d) for k, (t, d) in enumerate(TEXTS)]
    return arts, represent(arts, get_embedder("hashing"))


def _placement(store: Store, settings: Settings = SETTINGS) -> Placement:
    return Placement(store, settings, load_pair_model("hashing"), None, lambda ids: {})


def _reference(arts: list[Article], batches: list[list[Representation]], s: Settings = SETTINGS) -> tuple[dict[str, str], dict[str, str]]:
    """The grouping of one clusterer holding every article, updated batch by batch as a run holding it all would."""
    c = EventClusterer(
        s.event_threshold, load_pair_model("hashing"), s.event_neighbours, s.event_reopen, s.event_window_days, merge=s.event_merge
    )
    by_id, events = {a.id: a for a in arts}, {}
    for batch in batches:
        c.partial_fit(batch)
        current, changed = [], set()
        for key, ids in sorted(c.members_.items()):
            old = events.get(key)
            if old is not None and old.article_ids == ids:
                current.append(old)
                continue
            current.append(summarize_event(key, [by_id[i] for i in ids], c.reps_, {}))
            changed.add(key)
        link_stories(current, c, s.story_threshold, s.story_window_days, changed=changed, common=s.story_common, decay=s.story_decay)
        events = {e.id: e for e in current}
    return {a: e.id for e in events.values() for a in e.article_ids}, {e.id: e.story_id for e in events.values()}


def _stored(store: Store) -> tuple[dict[str, str], dict[str, str]]:
    return store.memberships(), {e.id: e.story_id for e in store.events()}


def _place_in_batches(
    store: Store, arts: list[Article], reps: list[Representation], size: int, settings: Settings = SETTINGS
) -> list[list[Representation]]:
    placement, batches = _placement(store, settings), []
    for k in range(0, len(arts), size):
        store.add_articles(arts[k : k + size], reps[k : k + size], [])
        batches.append(reps[k : k + size])
        placement.place(reps[k : k + size], {})
    return batches


def test_placement_groups_as_a_clusterer_holding_everything(tmp_path: Path) -> None:
    arts, reps = _analysed()
    # the second settings make names common within a fortnight: the keys proposing links depend on the dates
    for settings in (SETTINGS, SETTINGS.replace(story_common=2, story_window_days=30)):
        for size in (1, 3, len(arts)):
            store = Store(tmp_path / f"b{size}-{settings.story_common}.db")
            batches = _place_in_batches(store, arts, reps, size, settings)
            events, stories = _stored(store)
            assert (events, stories) == _reference(arts, batches, settings), size
        assert len(set(events.values())) < len(arts)  # some reports grouped: the comparison is not vacuous
        assert len(set(stories.values())) < len(set(events.values()))  # and some events linked


def test_placement_merges_events_as_a_clusterer_holding_everything(tmp_path: Path) -> None:
    arts, reps = _analysed()
    # a strict first pass leaves reports of one happening apart; the second pass (the committed model) joins them
    merging = SETTINGS.replace(event_threshold=0.999, event_merge=0.97)
    first = _stored(_filled(tmp_path / "first.db", arts, reps, merging.replace(event_merge=1.0)))[0]
    for size in (1, 3, len(arts)):
        store = Store(tmp_path / f"m{size}.db")
        batches = _place_in_batches(store, arts, reps, size, merging)
        events, stories = _stored(store)
        assert (events, stories) == _reference(arts, batches, merging), size
        # the second pass joined events the first pass leaves apart
        assert len(set(events.values())) < len(set(first.values())), size


def _filled(path: Path, arts: list[Article], reps: list[Representation], settings: Settings) -> Store:
    store = Store(path)
    _place_in_batches(store, arts, reps, len(arts), settings)
    return store


def test_placement_reads_only_the_neighbourhood(tmp_path: Path, monkeypatch) -> None:
    arts, reps = _analysed()
    store = Store(tmp_path / "s.db")
    last = 7  # a report of the ceasefire talks
    rest = [k for k in range(len(arts)) if k != last]
    _place_in_batches(store, [arts[k] for k in rest], [reps[k] for k in rest], 3)
    basket = {store.memberships()[a] for a in ("a06", "a08")}
    read: list[str] = []
    real = Store.events

    def spy(self: Store, ids=None) -> list[Event]:
        assert ids is not None, "placing read every event"
        read.extend(ids)
        return real(self, ids)

    monkeypatch.setattr(Store, "events", spy)
    store.add_articles([arts[last]], [reps[last]], [])
    _placement(store, SETTINGS.replace(event_neighbours=1)).place([reps[last]], {})  # in ten reports, 21 are all
    assert read and not basket & set(read)  # the basketball final shares nothing with talks in Rondel


def test_store_counts_and_keys_follow_adds_and_withdrawals(tmp_path: Path) -> None:
    arts, reps = _analysed()
    store = Store(tmp_path / "s.db")
    store.add_articles(arts, reps, [])
    terms = Counter(k for r in reps for k in r.lexical)
    assert store.doc_freqs("t", terms) == dict(terms)
    assert store.represented() == len(reps)
    key = next(iter(block_keys(reps[2]) & block_keys(reps[9])))  # the two floods share a key, 46 days apart
    day = store.db.execute("SELECT day FROM rep_keys WHERE article_id = 'a02' LIMIT 1").fetchone()[0]
    assert {"a02", "a09"} <= store.sharing_keys([key])
    assert "a09" not in store.sharing_keys([key], day, 30) and "a02" in store.sharing_keys([key], day, 30)
    store.withdraw(["a09"])
    assert store.represented() == len(reps) - 1
    assert store.doc_freqs("t", terms) == {k: n for k, n in (terms - Counter(reps[9].lexical.keys())).items() if n}
    assert "a09" not in store.sharing_keys([key])


def test_an_older_store_is_indexed_when_opened(tmp_path: Path) -> None:
    arts, reps = _analysed()
    path = tmp_path / "old.db"
    store = Store(path)
    _place_in_batches(store, arts, reps, 4)
    tables = ("rep_keys", "doc_freq", "story_keys")
    before = {t: sorted(store.db.execute(f"SELECT * FROM {t}")) for t in tables}
    store.close()
    with sqlite3.connect(path) as db:  # as a store written before the indexes existed, and before migrations were recorded
        for t in tables:
            db.execute(f"DELETE FROM {t}")
        db.execute("DELETE FROM meta WHERE key IN ('represented', 'indexes')")
        db.execute("DROP TABLE _sqlite_migrations")
    reopened = Store(path)
    assert {t: sorted(reopened.db.execute(f"SELECT * FROM {t}")) for t in tables} == before
    assert reopened.represented() == len(reps)


def _withdrawn_between_placements(tmp_path: Path, article: str) -> tuple[Store, str, list[str]]:
    """Place nine reports, withdraw one (as another process does when an input no longer holds it), place the tenth.

    Returns:
        The store, the withdrawn report's event, and that event's other reports.
    """
    arts, reps = _analysed()
    store = Store(tmp_path / "s.db")
    placement = _placement(store)
    store.add_articles(arts[:9], reps[:9], [])
    placement.place(reps[:9], {})
    event = store.memberships()[article]
    others = [a for a, e in store.memberships().items() if e == event and a != article]
    store.withdraw([article])
    store.add_articles(arts[9:], reps[9:], [])
    placement.place(reps[9:], {})
    return store, event, others


def test_a_withdrawn_event_disappears_at_the_next_placement(tmp_path: Path) -> None:
    store, alone, others = _withdrawn_between_placements(tmp_path, "a07")
    assert others == []
    assert alone not in {e.id for e in store.events()}
    assert all(alone not in s.event_ids for s in store.stories())


def test_an_event_that_loses_a_report_is_summarised_again_at_the_next_placement(tmp_path: Path) -> None:
    store, event, kept = _withdrawn_between_placements(tmp_path, "a00")
    assert kept, "a00's event has other reports"
    (after,) = store.events([event])
    assert after.article_ids == kept
    cited = {a for line in after.summary for a in line.article_ids}
    assert cited and cited <= set(kept)  # no sentence of the withdrawn report is left in the summary
    assert after.headline != TEXTS[0][0][:50]  # a00's title
    sampled = set().union(*(block_keys(r) for r in store.representations(kept)))  # every member sampled here
    assert store.event_keys([event])[event] == sampled  # the stories' index no longer holds the withdrawn keys
    assert store.stale_events() == set()


def test_a_stale_mark_is_cleared_only_by_a_placement_that_read_it(tmp_path: Path) -> None:
    store, event, kept = _withdrawn_between_placements(tmp_path, "a00")
    (current,) = store.events([event])
    store.withdraw(kept[-1:])  # another process withdraws a report after a placement read the marks...
    assert store.stale_events() == {event}
    current = dataclasses.replace(current, article_ids=[a for a in current.article_ids if a not in kept[-1:]])
    store.update_grouping([current], [], [], [], {})  # ...and that placement then writes the event from its read
    assert store.stale_events() == {event}  # still marked: the next placement summarises it again
    store.update_grouping([current], [], [], [], {}, resummarised=[event])
    assert store.stale_events() == set()


def test_a_partial_state_weighs_names_and_words_as_the_whole_store(tmp_path: Path) -> None:
    from chronique.events.placement import _Work

    arts, reps = _analysed()
    store = Store(tmp_path / "s.db")
    store.add_articles(arts, reps, [])
    full = EventClusterer(model=load_pair_model("hashing")).load(reps, {"all": [r.article_id for r in reps]})
    work = _Work(_placement(store), [])
    work.hold(["a00", "a01", "a04"])
    assert set(work.clusterer.reps_) == {"a00", "a01", "a04"}
    for a, b in (("a00", "a01"), ("a00", "a04")):
        assert work.clusterer.features(a, b) == full.features(a, b)
        assert work.clusterer.features(a, b)["corpus"] != full.features(a, b)["lexical"]  # the weights matter here


def test_a_name_is_common_or_not_within_the_story_window() -> None:
    from chronique.events.stories import _candidate_pairs

    days = ["2024-01-01", "2024-01-02", "2025-03-01", "2026-06-01"]  # two reports a day apart, two alone, years on
    arts = [Article(f"s{k}", "s", "text", "Salvera", f"Orage sur Salvera, numéro {k}.", language="fr") for k in range(4)]
    reps = represent(arts, get_embedder("hashing"))
    c = EventClusterer(model=load_pair_model("hashing")).load(reps, {f"e{k}": [f"s{k}"] for k in range(4)})
    events = [Event(f"e{k}", "", d, "", [], [f"s{k}"]) for k, d in enumerate(days)]
    pairs = {(a.id, b.id) for a, b in _candidate_pairs(events, c, None, 6, common=2, max_gap_days=30)}
    assert pairs == {("e0", "e1")}  # four events have "Salvera", but never more than two within 30 days
    assert not _candidate_pairs(events, c, None, 6, common=2, max_gap_days=5000)  # over the whole archive: too common
    shared = block_keys(reps[0]) & block_keys(reps[1])
    assert not _candidate_pairs(events, c, None, 6, common=3, max_gap_days=30, skip={(k, e) for k in shared for e in ("e0", "e1")})


def test_the_vector_index_takes_the_nearest_as_a_stable_sort_would() -> None:
    import numpy as np

    from chronique.events.cluster import VectorIndex

    rng = np.random.default_rng(0)
    m = rng.normal(size=(300, 8)).astype(np.float32)
    m[10] = m[20] = m[3]  # ties: taken in arrival order
    whole, one_by_one = VectorIndex(), VectorIndex()
    whole.extend([str(i) for i in range(300)], m)
    for i in range(300):
        one_by_one.add(str(i), m[i])
    for q in (m[3], m[7], rng.normal(size=8).astype(np.float32)):
        for k in (1, 2, 3, 21, 300, 400):
            expected = [str(i) for i in np.argsort(-(m @ q), kind="stable")[:k]]
            assert whole.nearest(q, k) == expected == one_by_one.nearest(q, k)
    fresh = VectorIndex()
    fresh.extend([str(i) for i in range(300)], m)
    fresh.prefetch([m[3], m[7]], 21)  # one product for both, the same answers
    assert fresh.nearest(m[3], 21) == whole.nearest(m[3], 21) and fresh.nearest(m[7], 21) == whole.nearest(m[7], 21)


def test_copies_of_stored_originals_are_found_through_the_stored_bands(tmp_path: Path) -> None:
    from chronique.events.cluster import DuplicateIndex
    from chronique.stages.represent import minhash

    arts, reps = _analysed()
    store = Store(tmp_path / "s.db")
    store.add_articles(arts[:5], reps[:5], [])  # stored before the bands exist: banded when first used
    index = DuplicateIndex(0.6)
    store.use_copy_bands(index.lsh_.b, index.lsh_.r)
    store.add_articles(arts[5:], reps[5:], [])  # banded as they are stored
    index.stored = store.copy_candidates
    everything = DuplicateIndex(0.6)
    for r in reps:
        everything.add(r.article_id, r.minhash)
    for k in (2, 8):
        copy = minhash(TEXTS[k][0] + " Fin.")
        assert index.original_of(copy) == everything.original_of(copy) == f"a{k:02d}"
    assert index.original_of(minhash("Rien à voir : un marché de Noël ouvre ses portes à Varenne.")) is None
    store.withdraw(["a08"])
    assert index.original_of(minhash(TEXTS[8][0] + " Fin.")) is None
