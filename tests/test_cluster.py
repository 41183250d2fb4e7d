"""Near-duplicates and event clustering, with the deterministic hashing embedder (no model)."""

from __future__ import annotations

from chronique.cluster import EventClusterer, Weights, find_duplicates, pair_features, pair_score
from chronique.records import Article
from chronique.represent import get_embedder, numbers, represent

CALL = ("Le ministre Alain Vidal a téléphoné mardi à son homologue Karl Brandt pour demander un cessez-le-feu "
        "immédiat dans la vallée de Rondel, a indiqué son porte-parole.")
CALL2 = ("Alain Vidal a appelé mardi Karl Brandt et exigé un cessez-le-feu immédiat dans la vallée de Rondel, "
         "selon le porte-parole du ministère.")
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
    c = EventClusterer(threshold=0.2).partial_fit(reps)
    assert c.labels_["a0"] == c.labels_["a1"] != c.labels_["a2"]


def test_dates_separate_two_instances_of_one_kind() -> None:
    reps = _reps([(CALL, "2024-05-14"), (CALL2, "2024-08-20")])
    f = pair_features(reps[0], reps[1])
    assert f["date_gap"] == 98
    undated = dict(f, date_gap=None)
    assert pair_score(f) < pair_score(undated) - Weights().date_penalty + 0.01
    c = EventClusterer().partial_fit(reps)
    assert c.labels_["a0"] != c.labels_["a1"]


def test_partial_fit_extends_events_and_keeps_ids() -> None:
    reps = _reps([(CALL, "2024-05-14"), (FLOOD, "2024-05-13"), (CALL2, "2024-05-14")])
    c = EventClusterer(threshold=0.2).partial_fit(reps[:2])
    before = dict(c.labels_)
    c.partial_fit(reps[2:])
    assert c.labels_["a2"] == before["a0"] and c.labels_["a0"] == before["a0"] and c.labels_["a1"] == before["a1"]
    assert len(c.members_) == 2


def test_same_input_same_output() -> None:
    a = EventClusterer().partial_fit(_reps([(CALL, None), (CALL2, None), (FLOOD, None)])).labels_
    b = EventClusterer().partial_fit(list(reversed(_reps([(CALL, None), (CALL2, None), (FLOOD, None)])))).labels_
    assert a == b


def test_numbers_read_alike_across_notations() -> None:
    assert numbers("3,8 milliards de dollars") == numbers("3.8 billion dollars") == frozenset({"3.8"})
    assert numbers("le 18 février 2022, 3 soldats") == frozenset()
