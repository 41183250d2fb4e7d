"""Story timelines: the dates that matter in a story and one or two attributed sentences for each.

A date matters when many reports cover it (they are published on it or their text names it, as a day)
and when events of the story start on it. Each chosen date gets the sentences that name it, or else the
leads of the reports published that day, ranked by how much they share with the date's other sentences.
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from dataclasses import dataclass, field

from chronique.errors import InputError
from chronique.events.summarize import split_sentences
from chronique.records import Article, Event
from chronique.store import Store

__all__ = ["TimelineDate", "build_timeline", "story_timeline"]

_WORD = re.compile(r"\w{3,}")
_LEAD_SENTENCES = 2  # a report's first sentences stand for its publication day


@dataclass(slots=True)
class TimelineDate:
    """One date of a timeline, why it was chosen, and its sentences with the reports that carry them."""

    date: str
    reports: int
    events: int
    sentences: list[tuple[str, list[str]]] = field(default_factory=list)


def _dated_sentences(article: Article) -> list[tuple[str, str]]:
    """(day, sentence) pairs: sentences naming a day, and the lead sentences on the publication day."""
    out: list[tuple[str, str]] = []
    for time in article.times:
        if time.granularity == "day" and time.value:
            sentence = _sentence_at(article.text, time.start)
            if sentence:
                out.append((time.value[:10], sentence))
    if article.published:
        out += [(article.published[:10], s) for s in split_sentences(article.text)[:_LEAD_SENTENCES]]
    return out


def _sentence_at(text: str, offset: int) -> str | None:
    """The sentence of ``text`` that holds character ``offset`` (None when none does)."""
    pos = 0
    for sentence in split_sentences(text):
        at = text.find(sentence, pos)
        if at < 0:
            continue
        if at <= offset < at + len(sentence):
            return sentence
        pos = at + len(sentence)
    return None


def build_timeline(articles: list[Article], events: list[Event] | None = None, dates: int = 10, per_date: int = 2) -> list[TimelineDate]:
    """The timeline of a set of reports: the ``dates`` days that matter most, in date order.

    Args:
        articles: the story's reports (their ``times`` and ``published`` give the days).
        events: the story's events; one starting on a day adds to its weight.
        dates: how many dates to keep.
        per_date: how many sentences for each date.

    Returns:
        The chosen dates in chronological order, each with its sentences and their reports.

    Raises:
        InputError: when ``dates`` or ``per_date`` is below 1.
    """
    if dates < 1 or per_date < 1:
        raise InputError("timeline", f"dates={dates} and per_date={per_date}: expected both 1 or more")
    carriers: dict[str, dict[str, set[str]]] = defaultdict(lambda: defaultdict(set))
    for article in articles:
        for day, sentence in _dated_sentences(article):
            carriers[day][sentence].add(article.id)
    starts = Counter(e.date[:10] for e in events or [] if e.date)
    weight = {day: len(set().union(*by.values())) + starts[day] for day, by in carriers.items()}
    chosen = sorted(weight, key=lambda d: (-weight[d], d))[:dates]
    return [_entry(day, carriers[day], weight[day] - starts[day], starts[day], per_date) for day in sorted(chosen)]


def _entry(day: str, by_sentence: dict[str, set[str]], reports: int, events: int, per_date: int) -> TimelineDate:
    """A date's entry: its sentences ranked by report count, then by words shared with the others."""
    counts: Counter[str] = Counter()
    for sentence in by_sentence:
        counts.update(set(_WORD.findall(sentence.lower())))

    def rank(sentence: str) -> tuple[int, float]:
        words = set(_WORD.findall(sentence.lower()))
        shared = sum(counts[w] - 1 for w in words) / (len(words) or 1)
        return (-len(by_sentence[sentence]), -shared)

    best = sorted(by_sentence, key=rank)[:per_date]
    return TimelineDate(day, reports, events, [(s, sorted(by_sentence[s])) for s in best])


def story_timeline(store: Store, story_id: str, dates: int = 10, per_date: int = 2) -> list[TimelineDate]:
    """The timeline of one story of a store.

    Args:
        store: an open store.
        story_id: the story's id.
        dates: how many dates to keep.
        per_date: how many sentences for each date.

    Returns:
        The story's timeline (see :func:`build_timeline`).

    Raises:
        InputError: when the store has no story ``story_id``.
    """
    story = store.story(story_id)
    if story is None:
        raise InputError(str(store.path), f"no story {story_id!r} (expected one of the store's story ids)")
    events = store.events(story.event_ids)
    ids = [a for e in events for a in e.article_ids]
    articles = [a for a in (store.article(i) for i in ids) if a is not None]
    return build_timeline(articles, events, dates, per_date)
