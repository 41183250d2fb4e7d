"""Stages 7 and 8: near-duplicate grouping and event-instance clustering.

Near-duplicates (copies and republications with other chrome) are found with MinHash LSH and
count as one report with several sources. Events come from average-linkage agglomeration over
a pair similarity that weighs what separates *instances* of events, not topics: the lead's
wording, shared participants weighted by rarity, shared figures, and above all the event dates,
next to the lexical similarity of the whole text and, across languages, a multilingual
embedding. :meth:`EventClusterer.partial_fit` extends existing events with new articles
without recomputing the world.
"""

from __future__ import annotations

import datetime as dt
import math
from collections import Counter
from dataclasses import dataclass

import numpy as np
from datasketch import MinHashLSH

from .represent import Representation

__all__ = ["EventClusterer", "Weights", "find_duplicates", "pair_features", "pair_score"]


def find_duplicates(reps: list[Representation], known: list[Representation] = (), threshold: float = 0.6) -> dict[str, str]:
    """Map each near-duplicate's article id to the id of the report it copies.

    Args:
        reps: new representations (their MinHash is used).
        known: already stored representations, which stay originals.
        threshold: estimated Jaccard of word 5-shingles at or above which two texts are copies.

    Returns:
        {copy id: original id}; the original is a known article, else the first new one.
    """
    lsh = MinHashLSH(threshold=threshold, num_perm=reps[0].minhash.hashvalues.size if reps else 64)
    order = {r.article_id: i for i, r in enumerate([*known, *reps])}
    for r in known:
        lsh.insert(r.article_id, r.minhash)
    copies: dict[str, str] = {}
    by_id = {r.article_id: r for r in [*known, *reps]}
    for r in reps:
        hits = [h for h in lsh.query(r.minhash) if by_id[h].minhash.jaccard(r.minhash) >= threshold]
        if hits:
            original = min(hits, key=order.__getitem__)
            copies[r.article_id] = copies.get(original, original)
        else:
            lsh.insert(r.article_id, r.minhash)
    return copies


@dataclass(slots=True, frozen=True)
class Weights:
    """The fixed combination of pair signals (chosen before any benchmark is scored)."""

    lexical: float = 0.25
    lead: float = 0.30
    entities: float = 0.20
    embedding: float = 0.25
    cross_lexical: float = 0.10
    cross_lead: float = 0.10
    cross_entities: float = 0.30
    cross_embedding: float = 0.50
    number_bonus: float = 0.05
    embedding_floor: float = 0.80
    cross_embedding_floor: float = 0.75
    date_tolerance_days: int = 2
    date_penalty: float = 0.35
    date_bonus: float = 0.10


def _cosine(a: dict[str, float], b: dict[str, float]) -> float:
    """Cosine of two L2-normalised sparse vectors."""
    if len(a) > len(b):
        a, b = b, a
    return sum(w * b.get(k, 0.0) for k, w in a.items())


def _entity_overlap(a: dict[str, float], b: dict[str, float], idf: dict[str, float]) -> float:
    """Rarity-weighted overlap of two entity profiles, relative to the smaller profile."""
    if not a or not b:
        return 0.0
    shared = sum(min(a[k], b[k]) * idf.get(k, 1.0) for k in a.keys() & b.keys())
    small = min(sum(v * idf.get(k, 1.0) for k, v in a.items()), sum(v * idf.get(k, 1.0) for k, v in b.items()))
    return shared / small if small else 0.0


def _gap_days(a: str | None, b: str | None) -> int | None:
    """Days between two ISO dates, or None when one is unknown."""
    if not a or not b:
        return None
    return abs((dt.date.fromisoformat(a) - dt.date.fromisoformat(b)).days)


def pair_features(a: Representation, b: Representation, entity_idf: dict[str, float] | None = None) -> dict[str, float | None]:
    """The signals that decide whether two articles report one event.

    Returns:
        ``lexical`` and ``lead`` (cosines), ``entities`` (weighted overlap), ``embedding``
        (cosine, None without embeddings), ``numbers`` (shared figures), ``date_gap`` (days,
        None when a date is unknown) and ``same_language`` (1.0 or 0.0).
    """
    emb = float(a.embedding @ b.embedding) if a.embedding.size and b.embedding.size else None
    return {
        "lexical": _cosine(a.lexical, b.lexical),
        "lead": _cosine(a.lead, b.lead),
        "entities": _entity_overlap(a.entities, b.entities, entity_idf or {}),
        "embedding": emb,
        "numbers": float(len(a.numbers & b.numbers)),
        "date_gap": None if (g := _gap_days(a.date, b.date)) is None else float(g),
        "same_language": float(a.language == b.language),
    }


def pair_score(f: dict[str, float | None], w: Weights = Weights()) -> float:
    """Combine :func:`pair_features` into one similarity (about 0 to 1; higher is the same event)."""
    same = bool(f["same_language"])
    parts = [
        (w.lexical if same else w.cross_lexical, f["lexical"]),
        (w.lead if same else w.cross_lead, f["lead"]),
        (w.entities if same else w.cross_entities, f["entities"]),
    ]
    if f["embedding"] is not None:
        floor = w.embedding_floor if same else w.cross_embedding_floor
        scaled = min(1.0, max(0.0, (f["embedding"] - floor) / (1 - floor)))
        parts.append((w.embedding if same else w.cross_embedding, scaled))
    score = sum(wt * v for wt, v in parts) / sum(wt for wt, _ in parts)
    score += w.number_bonus * min(2.0, f["numbers"] or 0.0)
    gap = f["date_gap"]
    if gap is not None and gap <= w.date_tolerance_days:
        # Reports dated alike: weak evidence alone, decisive across languages. A night event
        # is dated one day by some and the next by others, hence the tolerance.
        score += w.date_bonus * (1.0 if gap <= 1 else 0.5)
    if gap is not None and gap > w.date_tolerance_days:
        # Two reports dated days apart describe two instances, however alike their words.
        score -= w.date_penalty * min(1.0, (gap - w.date_tolerance_days) / 3)
    return score


class EventClusterer:
    """Groups articles into events by average-linkage agglomeration, incrementally.

    Follows scikit-learn: parameters in ``__init__``; :meth:`partial_fit` learns ``labels_``
    (article id -> event key), ``members_`` (event key -> article ids) and ``entity_df_``.
    Existing events are never split; a new article joins the event it is closest to on average
    when that similarity reaches ``threshold``, or opens a new one. Ties and merge order are
    deterministic (sorted ids), so the same input gives the same events.

    Args:
        threshold: the average pair score at which two groups are one event.
        weights: the signal combination.
    """

    def __init__(self, threshold: float = 0.42, weights: Weights = Weights()) -> None:
        self.threshold = threshold
        self.weights = weights
        self.reps_: dict[str, Representation] = {}
        self.labels_: dict[str, str] = {}
        self.members_: dict[str, list[str]] = {}
        self.entity_df_: Counter[str] = Counter()

    def entity_idf(self) -> dict[str, float]:
        """Rarity weight of each entity over the articles seen: the ubiquitous weigh little."""
        n = max(1, len(self.reps_))
        return {e: math.log(1 + n / df) for e, df in self.entity_df_.items()}

    def score(self, a: str, b: str) -> float:
        """Pair score of two fitted articles."""
        return pair_score(pair_features(self.reps_[a], self.reps_[b], self.entity_idf()), self.weights)

    def load(self, reps: list[Representation], members: dict[str, list[str]]) -> EventClusterer:
        """Restore a fitted state: stored representations and event memberships.

        Args:
            reps: representations of the articles already clustered.
            members: event id -> member article ids.
        """
        for r in reps:
            if any(r.article_id in m for m in members.values()) and r.article_id not in self.reps_:
                self.reps_[r.article_id] = r
                self.entity_df_.update(r.entities.keys())
        self.members_ = {k: sorted(a for a in m if a in self.reps_) for k, m in members.items()}
        self.members_ = {k: m for k, m in self.members_.items() if m}
        self.labels_ = {a: k for k, m in self.members_.items() for a in m}
        return self

    def partial_fit(self, reps: list[Representation]) -> EventClusterer:
        """Assign new articles to existing or new events.

        Args:
            reps: representations of articles not seen before (others are ignored).

        Returns:
            self, with ``labels_`` and ``members_`` updated.
        """
        new = sorted({r.article_id: r for r in reps if r.article_id not in self.reps_}.values(), key=lambda r: r.article_id)
        for r in new:
            self.reps_[r.article_id] = r
            self.entity_df_.update(r.entities.keys())
        if not new:
            return self
        old_key = {m[0]: k for k, m in self.members_.items()}
        groups: list[tuple[bool, list[str]]] = [(True, m) for _, m in sorted(self.members_.items())]
        groups += [(False, [r.article_id]) for r in new]
        ids = sorted({i for _, m in groups for i in m})
        index = {a: k for k, a in enumerate(ids)}
        sim = self._similarities(ids, {r.article_id for r in new})
        groups = self._agglomerate(groups, sim, index)
        self.members_, self.labels_ = {}, {}
        for is_old, members in groups:
            # An event keeps its id as it grows; a new one is named after its smallest member.
            key = old_key[members[0]] if is_old else f"ev-{min(members)}"
            self.members_[key] = sorted(members)
            self.labels_.update(dict.fromkeys(members, key))
        return self

    def _similarities(self, ids: list[str], new: set[str]) -> np.ndarray:
        """Pair scores among ``ids``; pairs of two old articles are not needed and stay 0."""
        idf = self.entity_idf()
        sim = np.zeros((len(ids), len(ids)))
        for i, a in enumerate(ids):
            for j in range(i + 1, len(ids)):
                b = ids[j]
                if a in new or b in new:
                    f = pair_features(self.reps_[a], self.reps_[b], idf)
                    sim[i, j] = sim[j, i] = pair_score(f, self.weights)
        return sim

    def _agglomerate(self, groups: list[tuple[bool, list[str]]], sim: np.ndarray, index: dict[str, int]) -> list[tuple[bool, list[str]]]:
        """Merge the closest pair of groups (average link) until none reaches the threshold."""
        while True:
            best, pair = self.threshold, None
            for x in range(len(groups)):
                for y in range(x + 1, len(groups)):
                    if groups[x][0] and groups[y][0]:
                        continue  # two existing events stay apart
                    ix = [index[a] for a in groups[x][1]]
                    iy = [index[b] for b in groups[y][1]]
                    s = float(sim[np.ix_(ix, iy)].mean())
                    if s >= best:
                        best, pair = s, (x, y)
            if pair is None:
                return groups
            x, y = pair
            first, second = (groups[y], groups[x]) if groups[y][0] else (groups[x], groups[y])
            merged = (first[0] or second[0], first[1] + second[1])  # an old event's members stay first
            groups = [g for k, g in enumerate(groups) if k not in pair] + [merged]
