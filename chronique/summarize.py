"""Stage 10, summarize: each event's headline, date, entities and extractive summary.

The headline is the title of the event's most central report. Summary sentences come from the
members' leads, ranked by closeness to the event's overall wording; a sentence too close to
one already chosen is redundant and skipped. An event reported in several languages is summarised
in one: the language most of its reports use (the summary would otherwise switch language midway).
Each sentence names every article that carries it (or a sentence close to it), so a reader can
trace it to its sources.
"""

from __future__ import annotations

import re
from collections import Counter

from .cluster import _cosine
from .records import Article, Event, SummarySentence
from .represent import Representation, lexical_weights

__all__ = ["split_sentences", "summarize_event", "summary_voice"]

_SENTENCE = re.compile(r"(?<=[.!?…»”\"])\s+(?=[«“\"A-ZÀ-Þ0-9])")


def split_sentences(text: str) -> list[str]:
    """Split text into sentences (paragraph breaks always end one)."""
    out = []
    for para in text.split("\n\n"):
        out += [s.strip() for s in _SENTENCE.split(para.strip()) if len(s.strip()) > 1]
    return out


def summarize_event(
    event_id: str,
    members: list[Article],
    reps: dict[str, Representation],
    copies: dict[str, list[str]],
    max_sentences: int = 3,
    redundancy: float = 0.5,
) -> Event:
    """Build an event record from its member articles.

    Args:
        event_id: the event's id.
        members: the event's original reports (near-duplicate copies excluded).
        reps: representations by article id.
        copies: original id -> ids of its near-duplicate copies (sources of the same text).
        max_sentences: summary length.
        redundancy: lexical cosine above which a candidate repeats a chosen sentence.

    Returns:
        The :class:`Event`, with every source (copies included) in ``article_ids``.
    """
    voice = summary_voice(members)
    centroid: Counter[str] = Counter()
    for a in voice:
        centroid.update(reps[a.id].lexical)
    norm = sum(v * v for v in centroid.values()) ** 0.5 or 1.0
    centre = {k: v / norm for k, v in centroid.items()}
    medoid = max(voice, key=lambda a: (_cosine(reps[a.id].lexical, centre), a.id))
    candidates = []
    for a in voice:
        for pos, sent in enumerate(split_sentences(a.text)[:6]):
            vec = lexical_weights(sent, a.language)
            if len(sent.split()) >= 6:
                candidates.append((_cosine(vec, centre) + (0.1 if pos == 0 else 0.0), sent, vec))
    candidates.sort(key=lambda c: (-c[0], c[1]))
    chosen: list[tuple[str, dict[str, float]]] = []
    for _, sent, vec in candidates:
        if all(_cosine(vec, v) <= redundancy for _, v in chosen):
            chosen.append((sent, vec))
        if len(chosen) == max_sentences:
            break
    summary = [SummarySentence(s, _carriers(v, voice, copies, redundancy)) for s, v in chosen]
    date, evidence = event_date(members)
    ids = sorted({a.id for a in members} | {c for a in members for c in copies.get(a.id, [])})
    return Event(event_id, medoid.title, date, evidence, summary, ids, salient_entities(members))


def summary_voice(members: list[Article]) -> list[Article]:
    """The members written in the event's summary language: the one most members use (ties: the first in id order).

    Example:
        >>> from chronique.records import Article
        >>> arts = [Article(i, i, "text", "", "", language=lang) for i, lang in (("a", "en"), ("b", "fr"), ("c", "fr"))]
        >>> [a.id for a in summary_voice(arts)]
        ['b', 'c']
    """
    counts = Counter(a.language for a in members)
    first = {lang: min(a.id for a in members if a.language == lang) for lang in counts}
    lang = min(counts, key=lambda g: (-counts[g], first[g]))
    return [a for a in members if a.language == lang]


def _carriers(vec: dict[str, float], members: list[Article], copies: dict[str, list[str]], threshold: float) -> list[str]:
    """The articles (and their copies) holding a sentence close to ``vec``."""
    out = []
    for a in members:
        if any(_cosine(vec, lexical_weights(s, a.language)) > threshold for s in split_sentences(a.text)):
            out += [a.id, *copies.get(a.id, [])]
    return sorted(out)


def event_date(members: list[Article]) -> tuple[str | None, str]:
    """The date most members give the event, and the evidence; unknown when none gives one."""
    dated = [a for a in members if a.event_date]
    if not dated:
        return None, "date unknown: no report gives a publication date or a full date"
    counts = Counter(a.event_date for a in dated)
    best = min(counts, key=lambda d: (-counts[d], d))
    example = next(a for a in dated if a.event_date == best)
    agree = f"{counts[best]} of {len(members)} reports"
    others = sorted(set(counts) - {best})
    disagree = f"; other reports give {', '.join(others)}" if others else ""
    return best, f"{agree}: {example.event_date_evidence}{disagree}"


def salient_entities(members: list[Article], limit: int = 8) -> list[str]:
    """Entity ids mentioned by the most members (then most often)."""
    reach: Counter[str] = Counter()
    total: Counter[str] = Counter()
    for a in members:
        ids = [m.entity_id for m in a.mentions]
        reach.update(set(ids))
        total.update(ids)
    return sorted(reach, key=lambda e: (-reach[e], -total[e], e))[:limit]
