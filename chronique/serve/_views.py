"""What the server shows: slots dataclasses used both as JSON response models and as template data."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

__all__ = [
    "ArticleDetail",
    "ArticleRef",
    "ClaimView",
    "DisagreementView",
    "EntityBrief",
    "EntityDetail",
    "EntityPage",
    "EntityRef",
    "EventBrief",
    "EventDetail",
    "EventPage",
    "Explanation",
    "Fragment",
    "MentionView",
    "PairSignal",
    "PlaceView",
    "PostResult",
    "PostedArticle",
    "SearchGroup",
    "SearchHit",
    "SearchResult",
    "SharedEntity",
    "Source",
    "Spelling",
    "StoryBrief",
    "StoryDetail",
    "StoryPage",
    "SummaryLine",
    "TimeView",
]


@dataclass(slots=True)
class ArticleRef:
    """An article as listed: enough to name it and link to it."""

    id: str
    title: str
    source: str
    site: str | None
    url: str | None
    published: str | None
    language: str | None
    duplicate_of: str | None


@dataclass(slots=True)
class EventBrief:
    """An event as listed: headline, date and how widely it was reported."""

    id: str
    headline: str
    lead: str  # the first summary sentence
    date: str | None
    story_id: str | None
    sources: int  # member articles, near-duplicate copies included
    reports: int  # member articles that are not copies
    languages: list[str]
    last_added: float | None  # when its newest article was stored (Unix time)


@dataclass(slots=True)
class StoryBrief:
    """A story as listed, with its events in date order (its timeline at a glance)."""

    id: str
    title: str
    first_date: str | None
    last_date: str | None
    sources: int
    languages: list[str]
    events: list[EventBrief]


@dataclass(slots=True)
class StoryPage:
    """One page of stories."""

    total: int
    limit: int
    offset: int
    items: list[StoryBrief]


@dataclass(slots=True)
class EventPage:
    """One page of events."""

    total: int
    limit: int
    offset: int
    items: list[EventBrief]


@dataclass(slots=True)
class PlaceView:
    """A place an event or story names, with coordinates (see ``chronique.events.places``)."""

    id: str
    name: str
    kind: str  # country, city or place
    lat: float
    lon: float


@dataclass(slots=True)
class DayCount:
    """How many of a story's reports were published on one day."""

    date: str
    reports: int


@dataclass(slots=True)
class StoryDetail:
    """A story and its timeline: events in date order (unknown dates last), the places they name, reports a day."""

    id: str
    title: str
    events: list[EventBrief]
    places: list[PlaceView] = field(default_factory=list)  # geocoded places, most named first
    reports_per_day: list[DayCount] = field(default_factory=list)  # publication days in order; copies count


@dataclass(slots=True)
class EntityRef:
    """An entity named by an event."""

    id: str
    name: str
    type: str  # PER, ORG, LOC


@dataclass(slots=True)
class SummaryLine:
    """A summary sentence and the ids of the articles that carry it."""

    text: str
    articles: list[str]


@dataclass(slots=True)
class Source:
    """A report of an event, its near-duplicate copies folded in, and the date it gives the event."""

    article: ArticleRef
    copies: list[ArticleRef]
    event_date: str | None
    event_date_evidence: str


@dataclass(slots=True)
class SharedEntity:
    """An entity that several member articles name."""

    entity: EntityRef
    articles: list[str]


@dataclass(slots=True)
class PairSignal:
    """Two member articles: the signals of ``chronique.pair_features`` and the clusterer's score for the pair."""

    a: str
    b: str
    signals: dict[str, float | None]  # lexical, lead, entities, embedding, numbers, date_gap, same_language, ...
    score: float


@dataclass(slots=True)
class Explanation:
    """Why these articles are one event: what they share and the pair signals that decided it."""

    shared_entities: list[SharedEntity]
    pairs: list[PairSignal]
    average: float | None  # mean pair score (average linkage); None with fewer than two reports
    threshold: float  # the mean score at which the clusterer joins two groups
    compared: int  # reports compared (pairs are limited to the first ones on big events)
    signals: list[str] = field(default_factory=list)  # the signal names, in column order


@dataclass(slots=True)
class ClaimView:
    """One report's side of a disagreement: its value, the words and the sentence that carry it."""

    article: str  # the report's id
    published: str | None
    value: float | str  # a count or amount, normalised (3,8 milliards -> 3.8e9); an ISO day for a date
    text: str  # the figure as written
    sentence: str
    approximate: bool  # "at least", "about", "environ"…


@dataclass(slots=True)
class DisagreementView:
    """A fact the event's reports give differently (see ``chronique.events.disagreements``)."""

    kind: str  # count, amount, date
    measure: str  # killed, injured, arrested, "dollars of armes", event date
    verdict: str  # contradiction or update
    scale: bool  # the values are a power of 1000 apart
    reason: str
    claims: list[ClaimView]


@dataclass(slots=True)
class EventDetail:
    """One event: headline, date and evidence, summary, entities, sources and the explanation."""

    id: str
    headline: str
    date: str | None
    date_evidence: str
    story_id: str | None
    story_title: str | None
    previous: EventBrief | None
    next: EventBrief | None
    summary: list[SummaryLine]
    entities: list[EntityRef]
    sources: list[Source]
    explanation: Explanation
    disagreements: list[DisagreementView] = field(default_factory=list)  # computed at read time from the texts
    disagreements_note: str = ""  # which reports' figures were not read (languages other than French and English)
    provenance: dict[str, Any] = field(default_factory=dict)  # first report, outlets, copies, who is cited (read time)
    places: list[PlaceView] = field(default_factory=list)  # the geocoded places among its entities, most salient first
    interaction: dict[str, Any] | None = None  # the main interaction most of its reports share (interactions.interaction_json)


@dataclass(slots=True)
class MentionView:
    """An entity mention: a span of the article's cleaned text (character offsets)."""

    start: int
    end: int
    text: str
    type: str
    entity_id: str
    entity_name: str


@dataclass(slots=True)
class TimeView:
    """A temporal expression: a span of the article's cleaned text and the date it resolves to."""

    start: int
    end: int
    text: str
    value: str | None
    granularity: str


@dataclass(slots=True)
class ArticleDetail:
    """One article: metadata, cleaned text, what was removed, mentions, times and its event."""

    id: str
    title: str
    source: str
    site: str | None
    url: str | None
    author: str | None
    published: str | None
    published_origin: str | None
    language: str | None
    language_score: float
    page_date: str | None
    event_date: str | None
    event_date_evidence: str
    duplicate_of: ArticleRef | None
    copies: list[ArticleRef]
    event: EventBrief | None
    text: str
    removed: list[str]
    notes: list[str]
    mentions: list[MentionView]
    times: list[TimeView]
    outlet: dict[str, Any] = field(default_factory=dict)  # where it was published: name, domain, url, how found


@dataclass(slots=True)
class Spelling:
    """A way an entity was written, and how often."""

    text: str
    count: int


@dataclass(slots=True)
class EntityBrief:
    """An entity as listed, with the ids of the events it appears in."""

    id: str
    name: str
    type: str
    mentions: int
    events: list[str]


@dataclass(slots=True)
class EntityPage:
    """One page of entities."""

    total: int
    limit: int
    offset: int
    items: list[EntityBrief]


@dataclass(slots=True)
class EntityDetail:
    """An entity: every spelling seen and the events it appears in, in time order."""

    id: str
    name: str
    type: str
    spellings: list[Spelling]
    events: list[EventBrief]
    articles: int


@dataclass(slots=True)
class Fragment:
    """A piece of a search snippet; ``match`` marks the words the query found."""

    text: str
    match: bool


@dataclass(slots=True)
class SearchHit:
    """An article found, how well it matched (higher is better), where, and why.

    ``score`` is the full-text rank (bm25, higher better) for a search by words, the cosine for one by
    meaning or "more like this", and the reciprocal-rank-fusion score when both rank. ``why`` says which
    ranking found the article (``words``, ``meaning`` or ``both``); ``similarity`` is its cosine to the query
    when the meaning ranking was run (None otherwise).
    """

    article: ArticleRef
    score: float
    snippet: list[Fragment]
    why: str = "words"
    similarity: float | None = None


@dataclass(slots=True)
class SearchGroup:
    """Hits of one event (``event`` is None for articles not yet in an event)."""

    event: EventBrief | None
    hits: list[SearchHit]


@dataclass(slots=True)
class SearchResult:
    """Search hits grouped by event, best group first."""

    query: str
    mode: str  # "words", "meaning", "both" (what ranked the hits) or "like"
    total: int  # articles found: every full-text match, plus the meaning hits no word matched
    groups: list[SearchGroup]
    note: str = ""
    syntax: str = ""  # how the words were read: "fts", "plain" or "auto" ('' for "more like this")


@dataclass(slots=True)
class PostedArticle:
    """An article received over HTTP: its id, source name and the event it is now in."""

    id: str
    source: str
    event_id: str | None


@dataclass(slots=True)
class PostResult:
    """What adding articles over HTTP did."""

    added: int
    skipped: int
    duplicates: int
    events: int
    stories: int
    articles: list[PostedArticle] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)
