"""The metrics, pure functions checked on hand-computed cases: B-cubed, pairwise F1, ARI, Pearson, shingles."""

from __future__ import annotations

import math
import re
from collections import Counter, defaultdict
from collections.abc import Hashable, Mapping, Sequence
from typing import Any

import numpy as np

__all__ = [
    "adjusted_rand",
    "agglomerative_labels",
    "bcubed",
    "clustering_metrics",
    "mean_shingle_scores",
    "pairwise_f1",
    "pearson",
    "shingle_counts",
    "shingle_scores",
]

Labels = Mapping[Hashable, Hashable]  # item -> its cluster (predicted or gold)


def _restrict(pred: Labels, gold: Labels) -> dict[Hashable, Hashable]:
    """``pred`` over the gold items; a gold item the prediction lacks becomes a singleton."""
    return {i: pred.get(i, ("<missing>", i)) for i in gold}


def _f1(p: float, r: float) -> float:
    """Harmonic mean of precision and recall (0 when both are 0)."""
    return 2 * p * r / (p + r) if p + r else 0.0


def bcubed(pred: Labels, gold: Labels) -> tuple[float, float, float]:
    """B-cubed precision, recall and F1 of a clustering (Bagga & Baldwin 1998).

    For each gold item i with predicted cluster C(i) and gold cluster L(i):
    precision(i) = |C(i) ∩ L(i)| / |C(i)| and recall(i) = |C(i) ∩ L(i)| / |L(i)|; both are
    averaged over items, and F1 is the harmonic mean of the averages.

    Args:
        pred: item -> predicted label. Items outside ``gold`` are ignored; gold items missing
            here count as singletons.
        gold: item -> gold label.

    Returns:
        (precision, recall, f1).

    Raises:
        ValueError: ``gold`` is empty.
    """
    if not gold:
        raise ValueError("expected at least one gold item, got none")
    pred = _restrict(pred, gold)
    pred_groups: dict[Hashable, set] = defaultdict(set)
    gold_groups: dict[Hashable, set] = defaultdict(set)
    for item in gold:
        pred_groups[pred[item]].add(item)
        gold_groups[gold[item]].add(item)
    p = r = 0.0
    for item in gold:
        c, g = pred_groups[pred[item]], gold_groups[gold[item]]
        shared = len(c & g)
        p += shared / len(c)
        r += shared / len(g)
    p, r = p / len(gold), r / len(gold)
    return p, r, _f1(p, r)


def _pairs(counts: Sequence[int] | Any) -> int:
    """Number of unordered pairs within groups of the given sizes."""
    return sum(n * (n - 1) // 2 for n in counts)


def pairwise_f1(pred: Labels, gold: Labels) -> tuple[float, float, float]:
    """Pairwise precision, recall and F1: item pairs put together, against pairs that belong together.

    Precision is the share of predicted same-cluster pairs that share a gold label; recall the
    share of gold same-label pairs that the prediction puts together. With no predicted pairs,
    precision is 1.0 (no wrong link was claimed); with no gold pairs, recall is 1.0.

    Args:
        pred: item -> predicted label (gold items missing here count as singletons).
        gold: item -> gold label.

    Returns:
        (precision, recall, f1).
    """
    pred = _restrict(pred, gold)
    together = _pairs(Counter((pred[i], gold[i]) for i in gold).values())
    pred_pairs = _pairs(Counter(pred.values()).values())
    gold_pairs = _pairs(Counter(gold.values()).values())
    p = together / pred_pairs if pred_pairs else 1.0
    r = together / gold_pairs if gold_pairs else 1.0
    return p, r, _f1(p, r)


def _codes(labels: Sequence[Hashable]) -> list[int]:
    """Labels as small integers, in order of first appearance."""
    index: dict[Hashable, int] = {}
    return [index.setdefault(x, len(index)) for x in labels]


def adjusted_rand(pred: Labels, gold: Labels) -> float:
    """Adjusted Rand index of a clustering (1 = identical, about 0 = chance).

    Args:
        pred: item -> predicted label (gold items missing here count as singletons).
        gold: item -> gold label.

    Returns:
        scikit-learn's ``adjusted_rand_score`` over the gold items.
    """
    from sklearn.metrics import adjusted_rand_score

    pred = _restrict(pred, gold)
    items = list(gold)
    return float(adjusted_rand_score(_codes([gold[i] for i in items]), _codes([pred[i] for i in items])))


def pearson(xs: Sequence[float], ys: Sequence[float]) -> float:
    """Pearson correlation of two equally long sequences.

    Returns:
        The coefficient, or NaN with fewer than two values or when either side is constant.

    Raises:
        ValueError: the lengths differ.
    """
    x, y = np.asarray(xs, dtype=float), np.asarray(ys, dtype=float)
    if x.shape != y.shape:
        raise ValueError(f"expected sequences of equal length, got {x.size} and {y.size}")
    if x.size < 2 or x.std() == 0 or y.std() == 0:
        return math.nan
    return float(np.corrcoef(x, y)[0, 1])


_SHINGLE_TOKEN = re.compile(r"\w+")


def _shingles(text: str, n: int) -> Counter[tuple[str, ...]]:
    """Word n-gram counts as the Zyte benchmark makes them (a text shorter than n is one shingle)."""
    toks = _SHINGLE_TOKEN.findall(text or "")
    return Counter(tuple(toks[i : i + n]) for i in range(max(1, len(toks) - n + 1)) if toks)


def shingle_counts(predicted_text: str, truth_text: str, n: int = 4) -> tuple[int, int, int]:
    """True positive, false positive and false negative word shingles of an extraction.

    Follows the Zyte/ScrapingHub article-extraction-benchmark (``evaluate.py``): tokens are
    ``\\w+`` runs (case kept, as the benchmark does), shingles are word ``n``-grams counted with
    multiplicity, and tp/fp/fn are the per-shingle min/excess counts.

    Returns:
        (tp, fp, fn).
    """
    pred, true = _shingles(predicted_text, n), _shingles(truth_text, n)
    tp = sum(min(pred[k], true[k]) for k in pred.keys() & true.keys())
    return tp, sum(pred.values()) - tp, sum(true.values()) - tp


def _precision(tp: float, fp: float, fn: float) -> float:
    """The benchmark's precision: 1 when nothing was missed or added, 0 for an empty prediction."""
    if fp == fn == 0:
        return 1.0
    return tp / (tp + fp) if tp + fp else 0.0


def _recall(tp: float, fp: float, fn: float) -> float:
    """The benchmark's recall: 1 when nothing was missed or added, 0 for an empty truth."""
    if fp == fn == 0:
        return 1.0
    return tp / (tp + fn) if tp + fn else 0.0


def shingle_scores(predicted_text: str, truth_text: str, n: int = 4) -> tuple[float, float]:
    """Shingle precision and recall of one extracted text against the ground truth.

    precision = |pred ∩ truth| / |pred| and recall = |pred ∩ truth| / |truth| over word
    ``n``-gram shingles (multisets). Two empty texts score (1.0, 1.0); an empty prediction of a
    non-empty truth scores (0.0, 0.0).

    Returns:
        (precision, recall).
    """
    counts = shingle_counts(predicted_text, truth_text, n)
    return _precision(*counts), _recall(*counts)


def mean_shingle_scores(counts: Sequence[tuple[float, float, float]]) -> tuple[float, float, float]:
    """Average per-document precision and recall as the benchmark does, and F1 from the averages.

    As in the benchmark, a document with an empty prediction is left out of the precision average
    and one with an empty truth out of the recall average.

    Args:
        counts: one (tp, fp, fn) per document, from :func:`shingle_counts`.

    Returns:
        (precision, recall, f1); NaN parts when no document qualifies.
    """
    ps = [_precision(*c) for c in counts if c[0] + c[1] > 0]
    rs = [_recall(*c) for c in counts if c[0] + c[2] > 0]
    p = float(np.mean(ps)) if ps else math.nan
    r = float(np.mean(rs)) if rs else math.nan
    return p, r, _f1(p, r) if ps and rs else math.nan


def clustering_metrics(pred: Labels, gold: Labels) -> dict[str, float | int]:
    """B-cubed, pairwise F1, adjusted Rand and cluster counts of a clustering.

    Returns:
        ``bcubed_precision``, ``bcubed_recall``, ``bcubed_f1``, ``pairwise_f1``, ``ari``,
        ``events_found`` (predicted clusters over the gold items) and ``events_gold``.
    """
    bp, br, bf = bcubed(pred, gold)
    return {
        "bcubed_precision": bp,
        "bcubed_recall": br,
        "bcubed_f1": bf,
        "pairwise_f1": pairwise_f1(pred, gold)[2],
        "ari": adjusted_rand(pred, gold),
        "events_found": len(set(_restrict(pred, gold).values())),
        "events_gold": len(set(gold.values())),
    }


def agglomerative_labels(vectors: Any, distance_threshold: float) -> list[int]:
    """Average-linkage agglomerative clustering on cosine distance with a fixed threshold.

    Args:
        vectors: one row per item (dense array or scipy sparse matrix).
        distance_threshold: clusters closer than this (1 - cosine) are merged.

    Returns:
        One cluster label per row.
    """
    from sklearn.cluster import AgglomerativeClustering

    dense = vectors.toarray() if hasattr(vectors, "toarray") else np.asarray(vectors)
    if dense.shape[0] < 2:
        return [0] * dense.shape[0]
    model = AgglomerativeClustering(n_clusters=None, metric="cosine", linkage="average", distance_threshold=distance_threshold)
    return [int(x) for x in model.fit_predict(dense)]
