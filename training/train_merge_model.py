"""Fit the second pass's merge model (chronique/events/merge.py) on the development sets, with leave-one-set-out figures.

Each set is grouped by the first pass alone (the pair model and average linkage); every pair of its events that
shares a scored report pair and is dated on both sides, within ``Settings.event_merge_days``, becomes a training
pair, labelled by whether the two events' commonest gold groups are the same. A logistic model (classes
balanced) is fitted on the pairs of all sets but one; the held-out set is then grouped with both passes at each
threshold and scored. The committed model is fitted on every set; the threshold (``Settings.event_merge``) is the
one with the best mean of the held-out figures among those that keep precision at 0.95 or more on the dated sets
(Giveme5W1H, GVA), both held out and with the committed model itself (what users get: fitted with GVA's many
pairs, it merges more there than the model fitted without them). The script prints that choice. ``--max-gap``
and ``--features`` measure the other choices (Settings.event_merge_days says which were tried).

Usage:
    python training/train_merge_model.py [--data ../shared/data] [--cache /tmp/chronique-lab] [--max-gap DAYS]
        [--features average,best,...] [--write]
"""

from __future__ import annotations

import argparse
import json
from collections import Counter
from pathlib import Path

import numpy as np
from grouping_lab import EMBEDDER, LabSet, load_set
from sklearn.linear_model import LogisticRegression

from chronique.eval import news_levels
from chronique.events.cluster import EventClusterer, load_pair_model
from chronique.events.merge import MERGE_FEATURES, MergeModel, merge_features, profile, scores_between
from chronique.settings import Settings

SETS = ("giveme", "gva", "ecb", "rpm2")
THRESHOLDS = (0.95, 0.97, 0.98, 0.99, 0.995)
DATED = ("giveme", "gva")  # the sets whose precision the threshold must keep (ECB+ and RPM2 have no dates)
PRECISION = 0.95
MAX_GAP = Settings().event_merge_days
FEATURES = MERGE_FEATURES
OUT = Path(__file__).resolve().parents[1] / "chronique" / "data" / "merge_model.json"


def gold_by_rep(lab: LabSet) -> dict[str, str]:
    """Gold group of each stored article (a copy's original takes its gold)."""
    out = {}
    for a in lab.articles:
        cid = lab.raw_ids[a.id]
        out.setdefault(lab.copies.get(cid, cid), a.gold_event or a.gold_story)
    return out


def training_pairs(lab: LabSet, max_gap: int | None) -> tuple[list[dict], list[int]]:
    """(merge features, same gold) of the dated event pairs the first pass leaves apart."""
    first = EventClusterer(model=load_pair_model(EMBEDDER), merge=1.0)
    reps = sorted(lab.reps, key=lambda r: r.article_id)
    first.partial_fit(reps)
    scores = first._pair_scores(reps)
    gold = gold_by_rep(lab)
    events = sorted(first.members_.values())
    commonest = [Counter(gold.get(a) for a in m).most_common(1)[0][0] for m in events]
    profiles = [profile([first.reps_[a] for a in m]) for m in events]
    between = scores_between([(False, str(n), m) for n, m in enumerate(events)], scores)
    ent, term, _ = first._rarity()
    xs, ys = [], []
    for (g, h), found in between.items():
        if (f := merge_features(profiles[g], profiles[h], found, ent, term, max_gap=max_gap)) is not None:
            xs.append(f)
            ys.append(int(commonest[g] == commonest[h]))
    return xs, ys


def fit(pairs: list[tuple[list[dict], list[int]]], features: tuple[str, ...], name: str) -> MergeModel:
    """A balanced logistic model over the pooled pairs."""
    x = np.array([[f[k] for k in features] for xs, _ in pairs for f in xs])
    y = np.array([v for _, ys in pairs for v in ys])
    lr = LogisticRegression(C=1.0, max_iter=5000, class_weight="balanced").fit(x, y)
    return MergeModel(name, features, tuple(round(float(c), 6) for c in lr.coef_[0]), round(float(lr.intercept_[0]), 6))


def scored(lab: LabSet, model: MergeModel, threshold: float, max_gap: int | None) -> dict:
    """news_levels of both passes on a set."""
    from grouping_lab import _labels

    c = EventClusterer(model=load_pair_model(EMBEDDER), merge=threshold, merge_model=model, merge_days=max_gap)
    c.partial_fit(sorted(lab.reps, key=lambda r: r.article_id))
    ev, st = _labels(lab, c)
    return news_levels(ev, st, lab.articles)


def _precision(m: dict) -> float:
    return round(m["events_bcubed_precision"], 4)


def choose(held_out: dict[str, dict], committed: dict[str, dict[str, float]], floor: float = PRECISION) -> float | None:
    """The threshold with the best mean held-out F1 among those keeping precision at ``floor`` on the dated sets.

    Args:
        held_out: set -> threshold -> figures of the set grouped with a model fitted without it.
        committed: dated set -> threshold -> precision with the model fitted on every set.
        floor: the least precision, held out and committed.

    Returns:
        The threshold, or None when none keeps the precision.
    """
    kept = [
        t
        for t in THRESHOLDS
        if all(held_out[n][str(t)]["events_bcubed_precision"] >= floor and committed[n][str(t)] >= floor for n in committed)
    ]
    mean = {t: sum(held_out[n][str(t)]["events_bcubed_f1"] for n in held_out) / len(held_out) for t in kept}
    return max(kept, key=lambda t: (mean[t], -t)) if kept else None


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--data", type=Path, default=Path(__file__).resolve().parents[2] / "shared" / "data")
    ap.add_argument("--cache", type=Path, default=Path("/tmp/chronique-lab"))
    ap.add_argument("--max-gap", type=int, default=MAX_GAP, help="days between two events' dates (-1: no limit)")
    ap.add_argument("--features", default=",".join(FEATURES), help="the signals the model weighs")
    ap.add_argument("--write", action="store_true", help=f"write the model fitted on every set to {OUT}")
    args = ap.parse_args()
    gap = None if args.max_gap < 0 else args.max_gap
    features = tuple(args.features.split(","))
    labs = {n: load_set(n, args.data, args.cache) for n in SETS}
    pairs = {n: training_pairs(lab, gap) for n, lab in labs.items()}
    for n, (_, ys) in pairs.items():
        print(f"{n}: {len(ys)} dated event pairs, {sum(ys)} of one gold group", flush=True)
    estimates: dict[str, dict] = {}
    for held, lab in labs.items():
        model = fit([p for n, p in pairs.items() if n != held], features, EMBEDDER)
        before = scored(lab, model, 1.0, gap)
        estimates[held] = {"first pass": round(before["events_bcubed_f1"], 4)}
        for t in THRESHOLDS:
            m = scored(lab, model, t, gap)
            estimates[held][str(t)] = {k: round(m[k], 4) for k in ("events_bcubed_f1", "events_bcubed_precision") if k in m}
        print(held, "held out:", estimates[held], flush=True)
    variants = {
        EMBEDDER: fit(list(pairs.values()), features, EMBEDDER),
        "no-embedding": fit(list(pairs.values()), tuple(k for k in features if k != "embedding"), "no-embedding"),
    }
    for v in variants.values():
        print(v.name, dict(zip(v.features, v.coef, strict=True)), v.intercept)
    in_sample = {n: {str(t): _precision(scored(labs[n], variants[EMBEDDER], t, gap)) for t in THRESHOLDS} for n in DATED}
    print("precision with the committed model:", in_sample)
    print("threshold:", choose(estimates, in_sample))
    if args.write:
        body = {
            "about": "fitted by training/train_merge_model.py on " + ", ".join(SETS),
            "variants": {
                k: {"name": v.name, "features": list(v.features), "coef": list(v.coef), "intercept": v.intercept}
                for k, v in variants.items()
            },
            "held_out": estimates,
            "committed_precision": in_sample,
        }
        OUT.write_text(json.dumps(body, indent=1) + "\n", "utf-8")
        print("wrote", OUT)


if __name__ == "__main__":
    main()
