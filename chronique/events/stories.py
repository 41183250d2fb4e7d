"""Stage 9, stories: link events that continue one another (same actors and subject over time).

Two events belong to one story when their reports are close in subject and participants,
whatever their dates (the event clusterer's pair score with the date terms left out), and they
lie within ``max_gap_days`` of each other. Stories are agglomerated over such links (average over the
scored links), their events in date order.
"""

from __future__ import annotations

import bisect
import datetime as dt
import math
from collections.abc import Callable

from ..records import Event, Story
from ..settings import STORY_SAMPLE
from ..stages.represent import block_keys
from .cluster import EventClusterer, _Agglomeration, _gap_days, pair_score

__all__ = ["link_stories", "sample_keys"]


# Chosen with training/grouping_lab.py over RPM2 (stories), Giveme5W1H and ECB+ (stories against events: what a
# story must not merge) and ML-Crisis (stories), leave one set out: 0.1 is the held-out choice for three of four sets
STORY_THRESHOLD = 0.1
STORY_LINKAGE = "scored"
# Dated events further apart are never compared (a story still spans longer through the events between them).
STORY_WINDOW_DAYS = 240
# Log-odds a link loses per 30 days between two dated events: a continuation months later needs more likeness.
# 0.5 keeps the seeds' Biden-Putin call (84 days before the next event, dateless link 0.20-0.39) out of the
# Austin-Shoigu story while the demo's two ECB rate cuts (98 days apart, alike) stay one story; a window alone
# cannot do both. Cost: Giveme5W1H stories 0.909 (0.919 without), ML-Crisis 0.201 (0.597 without: its stories
# are two-year crises whose far-apart events lose their links).
STORY_DECAY = 0.5


def link_stories(
    events: list[Event],
    clusterer: EventClusterer,
    threshold: float = STORY_THRESHOLD,
    max_gap_days: int = STORY_WINDOW_DAYS,
    sample: int = STORY_SAMPLE,
    changed: set[str] | None = None,
    common: int = 100,
    linkage: str = STORY_LINKAGE,
    decay: float = STORY_DECAY,
    expand: Callable[[set[str]], list[Event]] | None = None,
    too_common: set[tuple[str, str]] | None = None,
) -> list[Story]:
    """Group events into stories.

    Args:
        events: the events, with their member ids (which must be fitted in ``clusterer``) and,
            for events not in ``changed``, the ``story_id`` they had.
        clusterer: the fitted event clusterer (its representations and pair model are reused).
        threshold: average pair probability over member pairs, with the date rules left out, at which two
            events are linked: they would be one event if their dates did not set them apart.
        max_gap_days: events further apart than this are never linked.
        sample: members per event compared (the first by id), to bound the cost.
        changed: events to (re)link; the others keep their stored story ties. None: link all.
        common: a name or word that more events than this have within ``max_gap_days`` of an event is too common to
            propose it a link.
        linkage: ``single``: stories are the connected groups of linked events; ``average``: events are
            agglomerated while the average link score between two stories reaches ``threshold``
            (a chain of pairwise links does not make a story; an unscored pair of events counts 0);
            ``scored``: the same, averaged over the scored event pairs only (events far apart in time or
            sharing nothing are left out rather than counted against the story).
        decay: log-odds a link score loses per 30 days between two dated events.
        expand: when ``events`` is part of a larger grouping (the neighbourhood of the changed events, each
            story whole), called with the ids of the events reopened to return the events they may link to
            that ``events`` lacks (their stories whole); it adds their members to ``clusterer`` and their
            too common keys to ``too_common``.
        too_common: (key, event id) of the keys more than ``common`` events of the larger grouping have within
            ``max_gap_days`` of the event.

    Returns:
        Stories, each with its events in date order; every event belongs to exactly one.
    """
    skip = too_common if too_common is not None else set()
    if linkage in ("average", "scored"):
        scores = _link_scores(events, clusterer, changed, sample, common, max_gap_days, decay, skip=skip)
        reopened = _reopened(events, scores, threshold, changed)
        if reopened:
            # A stored story that a changed event links to is taken apart and regrouped with it, as one run over
            # everything would group it: otherwise the grouping would depend on the order in which events arrive.
            changed = changed | reopened
            if expand is not None:
                events = events + expand(reopened)
            scores = _link_scores(events, clusterer, changed, sample, common, max_gap_days, decay, known=scores, skip=skip)
        return _average_stories(events, scores, threshold, changed, absent=None if linkage == "scored" else 0.0)
    parent = {e.id: e.id for e in events}

    def find(x: str) -> str:
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    if changed is not None:  # stories only grow: unchanged events stay tied as stored
        first: dict[str, str] = {}
        for e in events:
            if e.id not in changed and e.story_id:
                parent[find(e.id)] = find(first.setdefault(e.story_id, e.id))
    for a, b in _candidate_pairs(events, clusterer, changed, sample, common, max_gap_days, skip):
        if (_gap_days(a.date, b.date) or 0) > max_gap_days:
            continue
        if find(a.id) == find(b.id):
            continue
        score = _link(a, b, clusterer, sample, decay)
        if score is not None and score >= threshold:
            parent[find(a.id)] = find(b.id)
    groups: dict[str, list[Event]] = {}
    for e in events:
        groups.setdefault(find(e.id), []).append(e)
    return _stories(list(groups.values()))


def _reopened(events: list[Event], scores: dict[tuple[str, str], float], threshold: float, changed: set[str] | None) -> set[str]:
    """The unchanged events of the stored stories that a link score with a changed event reaches ``threshold`` for."""
    if changed is None:
        return set()
    story = {e.id: e.story_id for e in events if e.id not in changed and e.story_id}
    touched = {story[x] for pair, s in scores.items() if s >= threshold for x in pair if x in story}
    return {e for e, st in story.items() if st in touched}


def _stories(groups: list[list[Event]]) -> list[Story]:
    """Stories from groups of events: events in date order, titled after the largest, ids from the first."""
    stories = []
    for members in groups:
        members.sort(key=lambda e: (e.date is None, e.date or "", e.id))
        lead = max(members, key=lambda e: (len(e.article_ids), e.date or "", e.id))
        story = Story(f"st-{members[0].id[3:]}", lead.headline, [e.id for e in members])
        for e in members:
            e.story_id = story.id
        stories.append(story)
    return sorted(stories, key=lambda s: s.id)


def _link(a: Event, b: Event, clusterer: EventClusterer, sample: int, decay: float) -> float | None:
    """How likely two events continue one story: their members' mean pair probability without the date rules
    (a story spans dates: subject and actors only), less ``decay`` log-odds per 30 days between them; None if
    no member pair can be compared."""
    ma, mb = _sample(a, clusterer, sample), _sample(b, clusterer, sample)
    scores = [pair_score(clusterer.features(x, y), clusterer.model_, dates=False) for x in ma for y in mb]
    if not scores:
        return None
    p = min(max(sum(scores) / len(scores), 1e-9), 1 - 1e-9)
    gap = _gap_days(a.date, b.date)
    if not gap or not decay:
        return p
    z = math.log(p / (1 - p)) - decay * gap / 30
    return 1 / (1 + math.exp(-z))


def _sample(event: Event, clusterer: EventClusterer, sample: int) -> list[str]:
    """The event's first ``sample`` members that the clusterer knows."""
    return [i for i in event.article_ids if i in clusterer.reps_][:sample]


def sample_keys(event: Event, clusterer: EventClusterer, sample: int = STORY_SAMPLE) -> set[str]:
    """The block keys of an event's sampled members: what proposes its story links (and what the store indexes)."""
    return set().union(*(block_keys(clusterer.reps_[i]) for i in _sample(event, clusterer, sample)))


def _candidate_pairs(
    events: list[Event],
    clusterer: EventClusterer,
    changed: set[str] | None,
    sample: int,
    common: int,
    max_gap_days: int,
    skip: set[tuple[str, str]] = frozenset(),
) -> list[tuple[Event, Event]]:
    """Event pairs within ``max_gap_days`` that share a name or a salient word and involve a changed event, in a
    stable order.

    A key proposes no pair to a changed event when more than ``common`` events within ``max_gap_days`` of it have it
    (undated events count everywhere), or when ``skip`` holds (key, event id): more do over a larger grouping. The
    count is taken within the window so that a long archive does not make every name common.
    """
    keys = {e.id: sample_keys(e, clusterer, sample) for e in events}
    days = [dt.date.fromisoformat(e.date).toordinal() if e.date else None for e in events]
    index: dict[str, list[int]] = {}
    for k, e in enumerate(events):
        for key in keys[e.id]:
            index.setdefault(key, []).append(k)
    pairs: set[tuple[int, int]] = set()
    for key, posting in index.items():
        dated = sorted((days[i], i) for i in posting if days[i] is not None)
        marks = [d for d, _ in dated]
        undated = [i for i in posting if days[i] is None]
        for i in posting:
            if (changed is not None and events[i].id not in changed) or (key, events[i].id) in skip:
                continue
            if days[i] is None:
                near = posting
            else:
                lo, hi = bisect.bisect_left(marks, days[i] - max_gap_days), bisect.bisect_right(marks, days[i] + max_gap_days)
                if hi - lo + len(undated) > common:
                    continue
                near = [j for _, j in dated[lo:hi]] + undated
            if len(near) > common:
                continue
            pairs.update((min(i, j), max(i, j)) for j in near if j != i)
    return [(events[i], events[j]) for i, j in sorted(pairs)]


def _link_scores(
    events: list[Event],
    clusterer: EventClusterer,
    changed: set[str] | None,
    sample: int,
    common: int,
    max_gap_days: int,
    decay: float,
    known: dict[tuple[str, str], float] | None = None,
    skip: set[tuple[str, str]] = frozenset(),
) -> dict[tuple[str, str], float]:
    """:func:`_link` of every candidate pair of events within ``max_gap_days``, keyed (smaller id, larger id).

    ``known`` holds pairs scored already (before stories were reopened): only the pairs they lack are scored.
    """
    scores: dict[tuple[str, str], float] = {}
    known = known or {}
    for a, b in _candidate_pairs(events, clusterer, changed, sample, common, max_gap_days, skip):
        if (_gap_days(a.date, b.date) or 0) > max_gap_days:
            continue
        key = (a.id, b.id) if a.id < b.id else (b.id, a.id)
        score = known[key] if key in known else _link(a, b, clusterer, sample, decay)
        if score is not None:
            scores[key] = score
    return scores


def _average_stories(
    events: list[Event], scores: dict[tuple[str, str], float], threshold: float, changed: set[str] | None, absent: float | None
) -> list[Story]:
    """Average-linkage stories: each event a unit, two stories merge while their mean link score reaches ``threshold``.

    ``absent`` is what an unscored pair of events counts (None: left out of the mean). Stored stories of
    unchanged events stay as they are and never merge with each other.
    """
    by_id = {e.id: e for e in events}
    kept: dict[str, list[str]] = {}
    loose = []
    for e in events:
        if changed is not None and e.id not in changed and e.story_id:
            kept.setdefault(e.story_id, []).append(e.id)
        else:
            loose.append(e.id)
    groups = [(True, k, m) for k, m in sorted(kept.items())] + [(False, i, [i]) for i in sorted(loose)]
    merged = _Agglomeration(groups, scores, threshold, absent).run()
    return _stories([[by_id[i] for i in members] for _, _, members in merged])
