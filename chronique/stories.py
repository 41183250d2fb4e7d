"""Stage 9, stories: link events that continue one another (same actors and subject over time).

Two events belong to one story when their reports are close in subject and participants,
whatever their dates (the event clusterer's pair score with the date terms left out), and they
lie within ``max_gap_days`` of each other. Stories are the connected groups of such links,
their events in date order.
"""

from __future__ import annotations

import datetime as dt
from itertools import combinations

from .cluster import EventClusterer, pair_features, pair_score
from .records import Event, Story

__all__ = ["link_stories"]


def link_stories(events: list[Event], clusterer: EventClusterer, threshold: float = 0.30, max_gap_days: int = 240,
                 sample: int = 6) -> list[Story]:
    """Group events into stories.

    Args:
        events: the events, with their member ids (which must be fitted in ``clusterer``).
        clusterer: the fitted event clusterer (its representations and weights are reused).
        threshold: topic score (average over member pairs) at which two events are linked.
        max_gap_days: events further apart than this are never linked.
        sample: members per event compared (the first by id), to bound the cost.

    Returns:
        Stories, each with its events in date order; every event belongs to exactly one.
    """
    parent = {e.id: e.id for e in events}

    def find(x: str) -> str:
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    idf = clusterer.entity_idf()
    for a, b in combinations(events, 2):
        if a.date and b.date and abs((dt.date.fromisoformat(a.date) - dt.date.fromisoformat(b.date)).days) > max_gap_days:
            continue
        ma = [i for i in a.article_ids if i in clusterer.reps_][:sample]
        mb = [i for i in b.article_ids if i in clusterer.reps_][:sample]
        scores = []
        for x in ma:
            for y in mb:
                f = pair_features(clusterer.reps_[x], clusterer.reps_[y], idf)
                f["date_gap"] = None  # a story spans dates: compare subject and actors only
                scores.append(pair_score(f, clusterer.weights))
        if scores and sum(scores) / len(scores) >= threshold:
            parent[find(a.id)] = find(b.id)
    groups: dict[str, list[Event]] = {}
    for e in events:
        groups.setdefault(find(e.id), []).append(e)
    stories = []
    for members in groups.values():
        members.sort(key=lambda e: (e.date is None, e.date or "", e.id))
        lead = max(members, key=lambda e: (len(e.article_ids), e.date or "", e.id))
        story = Story(f"st-{members[0].id[3:]}", lead.headline, [e.id for e in members])
        for e in members:
            e.story_id = story.id
        stories.append(story)
    return sorted(stories, key=lambda s: s.id)
