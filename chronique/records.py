"""Typed records passed between pipeline stages; each matches a table of the store."""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field

__all__ = [
    "Article",
    "Event",
    "Failure",
    "Interaction",
    "Mention",
    "RawDocument",
    "Story",
    "SummarySentence",
    "TimeExpression",
    "content_id",
]

_WS = re.compile(r"\s+")


def content_id(text: str) -> str:
    """Return the stable, content-based id of an input text.

    Whitespace differences do not change the id, so re-saving a file with other line endings
    keeps its identity.

    Args:
        text: the raw text of the input (before cleaning).

    Returns:
        16 hex digits of the SHA-256 of the whitespace-normalised text.

    Example:
        >>> content_id("a  b") == content_id("a b\\n")
        True
    """
    norm = _WS.sub(" ", text).strip()
    return hashlib.sha256(norm.encode("utf-8")).hexdigest()[:16]


@dataclass(slots=True)
class RawDocument:
    """One input article as read, before cleaning."""

    id: str
    source: str
    content: str
    fmt: str  # "text" or "html"
    title: str | None = None
    url: str | None = None
    published: str | None = None  # ISO date
    published_origin: str | None = None  # where the date came from ("meta.csv", "json", ...)
    language: str | None = None
    site: str | None = None


@dataclass(slots=True)
class Mention:
    """An entity mention: a span of an article's cleaned text."""

    article_id: str
    start: int
    end: int
    text: str
    label: str  # PER, ORG, LOC
    entity_id: str = ""


@dataclass(slots=True)
class TimeExpression:
    """A temporal expression found in an article and what it resolves to."""

    article_id: str
    start: int
    end: int
    text: str
    value: str | None  # ISO date, or None when it cannot be resolved
    granularity: str  # "day", "month", "year"
    rule: str  # which rule resolved it, for the evidence trail


@dataclass(slots=True)
class Interaction:
    """Who did what to whom, as one sentence of an article reports it (see :mod:`chronique.stages.interactions`).

    Parties are canonical entity ids (``PER:…``, ``ORG:…``, ``LOC:<alpha-3>``). ``polarity`` is one of
    ``happened``, ``not`` (did not happen), ``attempted`` (tried or requested), ``refused`` and ``planned``.
    """

    article_id: str
    start: int  # the sentence's span in the article's cleaned text
    end: int
    sentence: str
    action: str  # consult, statement, appeal, agree, aid, threaten, protest, coerce, fight, channel
    verb: str  # the word that carries it, as written
    actors: list[str]
    targets: list[str]
    polarity: str = "happened"
    channel: str | None = None  # phone, video, meeting, letter, statement, hotline
    initiator: str | None = None
    date: str | None = None  # ISO day or month ("2022-03")
    date_text: str = ""  # what the date rests on ("le 18 février", "the article's date")
    place: str | None = None
    duration: str | None = None
    detail: str = ""  # of a standing channel: where it sits, who runs it, how it is used
    sides: list[str] = field(default_factory=list)  # the parties and the countries they stand for


@dataclass(slots=True)
class Article:
    """A cleaned, analysed article."""

    id: str
    source: str
    fmt: str
    title: str
    text: str
    url: str | None = None
    published: str | None = None
    published_origin: str | None = None
    language: str | None = None
    language_score: float = 0.0
    site: str | None = None
    author: str | None = None
    removed: list[str] = field(default_factory=list)  # chrome lines taken out
    page_date: str | None = None  # a date seen in page chrome, not trusted on its own
    event_date: str | None = None
    event_date_evidence: str = ""
    duplicate_of: str | None = None
    event_id: str | None = None
    notes: list[str] = field(default_factory=list)  # degraded analyses, said plainly
    mentions: list[Mention] = field(default_factory=list)
    times: list[TimeExpression] = field(default_factory=list)
    interactions: list[Interaction] = field(default_factory=list)


@dataclass(slots=True)
class SummarySentence:
    """A summary sentence and the articles that carry it."""

    text: str
    article_ids: list[str]


@dataclass(slots=True)
class Event:
    """A real-world event and the articles that report it."""

    id: str
    headline: str
    date: str | None
    date_evidence: str
    summary: list[SummarySentence]
    article_ids: list[str]
    entities: list[str] = field(default_factory=list)  # entity ids, most salient first
    story_id: str | None = None


@dataclass(slots=True)
class Story:
    """Events that continue one another, in date order."""

    id: str
    title: str
    event_ids: list[str]


@dataclass(slots=True)
class Failure:
    """An input that could not be processed, and why."""

    source: str
    reason: str
