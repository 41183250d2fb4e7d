"""Read queries behind the API and the pages; each takes a read-only :class:`Store` and returns views.

Unknown ids answer None (the routes turn that into a 404); a full-text query that SQLite cannot
parse raises :class:`QueryError` with a message for the user. A search is bounded before it runs
(length, terms, prefix terms: FTS5 expands each ``prefix*`` to every indexed word it starts, and
ORing many of them costs time quadratic in their number) and while it runs (a SQLite progress handler
interrupts it past its time budget); both refusals are a :class:`QueryTooCostly`. A search by meaning
embeds the query once and ranks the stored embeddings held in memory (:mod:`._meaning`); with ``both``
the two rankings are fused by reciprocal rank.
"""

from __future__ import annotations

import json
import re
import sqlite3
from collections import defaultdict
from dataclasses import dataclass
from typing import Any

from ..events.cluster import EventClusterer
from ..events.disagreements import find_disagreements, language_note, to_json
from ..events.places import locate
from ..events.provenance import event_provenance, outlet_json, outlet_of
from ..events.provenance import to_json as provenance_json
from ..records import Article
from ..stages.interactions import event_interaction, interaction_json
from ..store import Store
from ._explain import Explainer
from ._meaning import EmbeddingIndex, MeaningUnavailable, fuse, meaning_text
from ._views import (
    ArticleDetail,
    ArticleRef,
    ClaimView,
    DayCount,
    DisagreementView,
    EntityBrief,
    EntityDetail,
    EntityPage,
    EntityRef,
    EventBrief,
    EventDetail,
    EventPage,
    Explanation,
    Fragment,
    MentionView,
    PlaceView,
    SearchGroup,
    SearchHit,
    SearchResult,
    SharedEntity,
    Source,
    Spelling,
    StoryBrief,
    StoryDetail,
    StoryPage,
    SummaryLine,
    TimeView,
)

_FULL_DAY = re.compile(r"^\d{4}-\d{2}-\d{2}$")
__all__ = [
    "EventFilter",
    "QueryError",
    "QueryTooCostly",
    "article_detail",
    "entity_detail",
    "event_briefs",
    "event_detail",
    "list_entities",
    "list_events",
    "list_stories",
    "overview",
    "search_similar",
    "search_text",
    "story_detail",
]

_HIT, _END = "\x02", "\x03"  # snippet markers: control characters that cannot be confused with article text


MAX_QUERY_CHARS = 500
MAX_QUERY_TERMS = 32
MAX_PREFIX_TERMS = 5
SEARCH_SECONDS = 2.0  # a search's time budget on the read connection
_WORD = re.compile(r"\w+")
_OPERATORS = {"AND", "OR", "NOT", "NEAR"}


class QueryError(ValueError):
    """A search the store cannot run, with the reason in words."""


class QueryTooCostly(QueryError):
    """A search refused for its cost: too long, too many terms or prefix terms, or over its time budget."""


@dataclass(slots=True)
class EventFilter:
    """Filters on events (and on stories through their events); None means no filter.

    Attributes:
        date_from: ISO date; events dated on or after it (undated events are then left out).
        date_to: ISO date; events dated on or before it.
        language: a language code that at least one report is written in.
        entity: an entity id that at least one report names.
        source: a site name (exact, any case) or a part of an input's name that one report comes from.
    """

    date_from: str | None = None
    date_to: str | None = None
    language: str | None = None
    entity: str | None = None
    source: str | None = None

    def fields(self) -> dict[str, str | None]:
        """The filters as the store's :meth:`~chronique.store.Store.event_rows` takes them."""
        return {k: getattr(self, k) for k in ("date_from", "date_to", "language", "entity", "source")}


# -- events and stories ---------------------------------------------------------------------------
def event_briefs(store: Store, flt: EventFilter | None = None, ids: list[str] | None = None) -> dict[str, EventBrief]:
    """Briefs of the events that pass a filter (or of the given ids), by event id.

    Args:
        store: a store.
        flt: filters; None for all events.
        ids: only these events.

    Returns:
        {event id: brief}, in no particular order.
    """
    rows = store.event_rows(**(flt or EventFilter()).fields(), ids=ids)
    return {r[0]: EventBrief(r[0], r[1], _lead(r[2]), r[3], r[4], r[5], r[6], sorted(r[7].split(",")) if r[7] else [], r[8]) for r in rows}


def _lead(summary: str) -> str:
    """The first sentence of a stored summary (a JSON list of sentences)."""
    sentences = json.loads(summary)
    return sentences[0]["text"] if sentences else ""


def _recent_first(events: list[EventBrief]) -> list[EventBrief]:
    """Most recent date first, undated last; ties by the newest stored article."""
    return sorted(events, key=lambda e: (e.date is not None, e.date or "", e.last_added or 0.0), reverse=True)


def _in_date_order(events: list[EventBrief]) -> list[EventBrief]:
    """Oldest first, undated last."""
    return sorted(events, key=lambda e: (e.date is None, e.date or "", e.id))


def list_events(store: Store, flt: EventFilter, limit: int, offset: int) -> EventPage:
    """A page of events that pass the filter, most recent first.

    Args:
        store: a store.
        flt: filters.
        limit: events on the page.
        offset: events skipped before it.

    Returns:
        The page and the total number of matching events.
    """
    events = _recent_first(list(event_briefs(store, flt).values()))
    return EventPage(len(events), limit, offset, events[offset : offset + limit])


def list_stories(store: Store, flt: EventFilter, limit: int, offset: int) -> StoryPage:
    """A page of stories with at least one event that passes the filter, most recent activity first.

    Args:
        store: a store.
        flt: filters on the stories' events.
        limit: stories on the page.
        offset: stories skipped before it.

    Returns:
        The page; each story lists all its events (not only the matching ones) in date order.
    """
    matching = event_briefs(store, flt)
    wanted = {e.story_id for e in matching.values() if e.story_id}
    every = event_briefs(store)
    stories = [
        _story_brief(sid, title, [every[i] for i in json.loads(ids) if i in every])
        for sid, title, ids in store.story_rows()
        if sid in wanted
    ]
    stories.sort(key=lambda s: (s.last_date or "", max((e.last_added or 0.0 for e in s.events), default=0.0)), reverse=True)
    return StoryPage(len(stories), limit, offset, stories[offset : offset + limit])


def _story_brief(story_id: str, title: str, events: list[EventBrief]) -> StoryBrief:
    """Summarise a story from its events."""
    events = _in_date_order(events)
    dates = [e.date for e in events if e.date]
    langs = sorted({lang for e in events for lang in e.languages})
    return StoryBrief(story_id, title, min(dates, default=None), max(dates, default=None), sum(e.sources for e in events), langs, events)


def story_detail(store: Store, story_id: str) -> StoryDetail | None:
    """One story and its events in date order, or None if unknown."""
    row = store.story_row(story_id)
    if row is None:
        return None
    event_ids = json.loads(row[1])
    briefs = event_briefs(store, ids=event_ids)
    places = _story_places(store, event_ids)
    return StoryDetail(story_id, row[0], _in_date_order(list(briefs.values())), places, _reports_per_day(store, event_ids))


def _reports_per_day(store: Store, event_ids: list[str]) -> list[DayCount]:
    """How many of the events' reports (copies included) were published each day, in date order; undated ones left out."""
    return [DayCount(day, n) for day, n in store.reports_per_day(event_ids) if _FULL_DAY.match(day or "")]


def _places(ids: list[str], names: dict[str, EntityRef]) -> list[PlaceView]:
    """The places among entity ids that have coordinates, in the ids' order (the gazetteers name those the store does not)."""
    known = {i: ref.name for i, ref in names.items() if ref.name != i.partition(":")[2]}
    found = locate(ids, known, located_only=True)
    return [PlaceView(p.id, p.name, p.kind, p.lat, p.lon) for p in found]  # type: ignore[arg-type]


def _story_places(store: Store, event_ids: list[str]) -> list[PlaceView]:
    """The places a story's events name, those named by most events first."""
    counts: dict[str, int] = defaultdict(int)
    for entities in store.event_entity_lists(event_ids):
        for eid in dict.fromkeys(json.loads(entities)):
            if eid.startswith("LOC:"):
                counts[eid] += 1
    ids = sorted(counts, key=lambda i: -counts[i])  # stable: first named first among equals
    return _places(ids, _names(store, ids))


def _refs(rows: list[tuple]) -> list[ArticleRef]:
    """Article refs from the store's rows of :data:`~chronique.store.sqlite._reads.REF_COLUMNS`."""
    return [ArticleRef(*r) for r in rows]


def _names(store: Store, ids: list[str]) -> dict[str, EntityRef]:
    """Entity refs for ids, named from the entities table or, failing that, their most frequent spelling."""
    out = {}
    for eid in ids:
        row = store.entity_label_name(eid)
        out[eid] = EntityRef(eid, row[1], row[0]) if row else EntityRef(eid, eid.partition(":")[2] or eid, eid.partition(":")[0])
    return out


def event_detail(store: Store, event_id: str, explainer: Explainer) -> EventDetail | None:
    """One event with its summary, entities, sources (copies folded in) and explanation, or None if unknown.

    Args:
        store: a store.
        event_id: the event.
        explainer: computes the explanation's pair signals.

    Returns:
        The event, or None if the store has no such event.
    """
    row = store.event_row(event_id)
    if row is None:
        return None
    headline, date, evidence, summary, entity_ids, story_id = row
    members = _refs(store.member_refs(event_id))
    sources = _sources(store, members)
    story_title, previous, following = _neighbours(store, story_id, event_id)
    ids = json.loads(entity_ids)
    names = _names(store, ids)
    return EventDetail(
        event_id,
        headline,
        date,
        evidence,
        story_id,
        story_title,
        previous,
        following,
        [SummaryLine(s["text"], s["articles"]) for s in json.loads(summary)],
        [names[i] for i in ids],
        sources,
        explain(store, [s.article.id for s in sources], explainer),
        *_disagreements(store, [s.article.id for s in sources]),
        _provenance(store, [m.id for m in members]),
        _places(ids, names),
        _interaction(store, [s.article.id for s in sources]),
    )


def _interaction(store: Store, report_ids: list[str]) -> dict[str, Any] | None:
    """The event's main interaction (the one most of its reports share), as the JSON outputs give it."""
    found: dict[str, list] = {i: [] for i in report_ids}
    for inter in store.interactions(report_ids):
        found[inter.article_id].append(inter)
    return interaction_json(event_interaction(found), store.entity_names())


def _disagreements(store: Store, report_ids: list[str]) -> tuple[list[DisagreementView], str]:
    """Where the event's reports (copies left out) disagree, read from their stored texts, and the language note."""
    reports = [a for a in map(store.article, report_ids) if a is not None]
    views = []
    for d in map(to_json, find_disagreements(reports)):
        views.append(DisagreementView(**{**d, "claims": [ClaimView(**c) for c in d["claims"]]}))
    return views, language_note(reports)


def _provenance(store: Store, member_ids: list[str]) -> dict[str, Any]:
    """The event's first report, outlets, copies and who its reports cite, read from the stored texts."""
    members = [a for a in map(store.article, member_ids) if a is not None]
    # The order of `chronique report` (publication date, then source), so that a tie for first report falls alike.
    return provenance_json(event_provenance(sorted(members, key=lambda a: (a.published or "", a.source))))


def _sources(store: Store, members: list[ArticleRef]) -> list[Source]:
    """Group member articles into reports with their copies, by publication date."""
    originals = [a for a in members if a.duplicate_of is None or a.duplicate_of not in {m.id for m in members}]
    copies: dict[str, list[ArticleRef]] = defaultdict(list)
    for a in members:
        if a not in originals:
            copies[a.duplicate_of or ""].append(a)
    dates = dict.fromkeys([a.id for a in originals], (None, ""))
    if not dates:
        return []
    for aid, date, evidence in store.event_dates(list(dates)):
        dates[aid] = (date, evidence)
    out = [Source(a, copies.get(a.id, []), *dates[a.id]) for a in originals]
    return sorted(out, key=lambda s: (s.article.published or "9999", s.article.source))


def _neighbours(store: Store, story_id: str | None, event_id: str) -> tuple[str | None, EventBrief | None, EventBrief | None]:
    """The story's title and the events before and after this one in it."""
    if not story_id:
        return None, None, None
    story = story_detail(store, story_id)
    if story is None:
        return None, None, None
    order = [e.id for e in story.events]
    k = order.index(event_id) if event_id in order else -1
    before = story.events[k - 1] if k > 0 else None
    after = story.events[k + 1] if 0 <= k < len(order) - 1 else None
    return story.title, before, after


def explain(store: Store, report_ids: list[str], explainer: Explainer) -> Explanation:
    """Why reports are one event: entities two or more of them name, and their pair signals.

    Args:
        store: a store.
        report_ids: the event's reports (near-duplicate copies excluded).
        explainer: computes the pair signals with the clusterer's corpus weights.

    Returns:
        Shared entities (most shared first, at most 20) and the pair signals with their average score.
    """
    if not report_ids:
        return Explanation([], [], None, EventClusterer().threshold, 0)
    by_entity: dict[str, set[str]] = defaultdict(set)
    for eid, aid in store.entity_mentions(report_ids):
        by_entity[eid].add(aid)
    shared = sorted(((e, sorted(a)) for e, a in by_entity.items() if len(a) > 1), key=lambda x: (-len(x[1]), x[0]))[:20]
    names = _names(store, [e for e, _ in shared])
    pairs, threshold = explainer.pairs(store, report_ids)
    average = sum(p.score for p in pairs) / len(pairs) if pairs else None
    compared = len({i for p in pairs for i in (p.a, p.b)}) or min(1, len(report_ids))
    signals = [k for k in pairs[0].signals if k != "same_language"] if pairs else []
    return Explanation([SharedEntity(names[e], a) for e, a in shared], pairs, average, threshold, compared, signals)


# -- articles and entities -------------------------------------------------------------------------
def article_detail(store: Store, article_id: str) -> ArticleDetail | None:
    """One article with its text, removed chrome, mentions, times, copies and event, or None if unknown."""
    art = store.article(article_id)
    if art is None:
        return None
    names = _names(store, sorted({m.entity_id for m in art.mentions}))
    event_id = store.events_of([article_id]).get(article_id)
    event = event_briefs(store, ids=[event_id]).get(event_id) if event_id else None
    original = _refs(store.refs([art.duplicate_of])) if art.duplicate_of else []
    return ArticleDetail(
        art.id,
        art.title,
        art.source,
        art.site,
        art.url,
        art.author,
        art.published,
        art.published_origin,
        art.language,
        art.language_score,
        art.page_date,
        art.event_date,
        art.event_date_evidence,
        original[0] if original else None,
        _refs(store.copy_refs(art.id)),
        event,
        art.text,
        art.removed,
        art.notes,
        _mention_views(art, names),
        [TimeView(t.start, t.end, t.text, t.value, t.granularity) for t in art.times],
        outlet_json(outlet_of(art)),
    )


def _mention_views(art: Article, names: dict[str, EntityRef]) -> list[MentionView]:
    """The article's mentions with their entities' display names."""
    return [MentionView(m.start, m.end, m.text, m.label, m.entity_id, names[m.entity_id].name) for m in art.mentions]


def list_entities(store: Store, query: str | None, kind: str | None, limit: int, offset: int) -> EntityPage:
    """A page of entities, most mentioned first, each with the events it appears in.

    Args:
        store: a store.
        query: a part of a spelling or display name (any case); None for all.
        kind: PER, ORG or LOC; None for all.
        limit: entities on the page.
        offset: entities skipped before it.

    Returns:
        The page and the number of matching entities.
    """
    rows = store.entity_rows(query, kind)
    page = rows[offset : offset + limit]
    names = _names(store, [r[0] for r in page])
    items = [EntityBrief(eid, names[eid].name, names[eid].type, n, sorted((evs or "").split(",")) if evs else []) for eid, n, evs in page]
    return EntityPage(len(rows), limit, offset, items)


def entity_detail(store: Store, entity_id: str) -> EntityDetail | None:
    """An entity's spellings and its events in time order, or None if no article names it."""
    spellings = [Spelling(t, n) for t, n in store.spellings(entity_id)]
    if not spellings:
        return None
    name = _names(store, [entity_id])[entity_id]
    articles = store.articles_naming(entity_id)
    events = _in_date_order(list(event_briefs(store, EventFilter(entity=entity_id)).values()))
    return EntityDetail(entity_id, name.name, name.type, spellings, events, articles)


# -- search ----------------------------------------------------------------------------------------
def _words_query(text: str) -> str:
    """The FTS5 query that finds every word as typed (each a quoted phrase, all required)."""
    return " ".join('"' + w.replace('"', '""') + '"' for w in text.split())


def _fragments(snippet: str) -> list[Fragment]:
    """Split an FTS5 snippet at its markers."""
    out = []
    for k, part in enumerate(re.split(f"[{_HIT}{_END}]", snippet)):
        if part:
            out.append(Fragment(part, k % 2 == 1))
    return out


def _group(store: Store, hits: list[tuple[SearchHit, str | None]]) -> list[SearchGroup]:
    """Group hits by event, keeping the order of each group's best hit."""
    briefs = event_briefs(store, ids=sorted({e for _, e in hits if e}))
    groups: dict[str | None, SearchGroup] = {}
    for hit, eid in hits:
        groups.setdefault(eid, SearchGroup(briefs.get(eid) if eid else None, [])).hits.append(hit)
    return list(groups.values())


def _check_cost(query: str, syntax: str) -> None:
    """Refuse a query whose length, number of terms or (FTS5 syntax) number of prefix terms is over the bounds.

    Raises:
        QueryTooCostly: the bound passed, with the query's figure.
    """
    prefixes = query.count("*") if syntax != "plain" else 0  # in plain syntax '*' is searched as typed, not expanded
    if prefixes > MAX_PREFIX_TERMS:
        raise QueryTooCostly(f"expected at most {MAX_PREFIX_TERMS} prefix terms (word*) in a search query, got {prefixes}")
    terms = sum(1 for w in _WORD.findall(query) if w not in _OPERATORS)
    if terms > MAX_QUERY_TERMS:
        raise QueryTooCostly(f"expected a search query of at most {MAX_QUERY_TERMS} terms, got {terms}")
    if len(query) > MAX_QUERY_CHARS:
        raise QueryTooCostly(f"expected a search query of at most {MAX_QUERY_CHARS} characters, got {len(query)}")


_Hits = list[tuple[SearchHit, str | None]]  # hits with the event each article is in


def _word_hits(store: Store, query: str, syntax: str, limit: int, budget: float) -> tuple[_Hits, int, str]:
    """The full-text hits, best first, the number of matching articles, and a note when ``auto`` fell back to plain words.

    Raises:
        QueryTooCostly: a search that runs longer than ``budget``.
        QueryError: (``fts`` syntax) a query FTS5 cannot parse.
    """
    if syntax == "auto":
        try:
            return _word_hits(store, query, "fts", limit, budget)
        except QueryTooCostly:
            raise
        except QueryError as exc:
            hits, total, _ = _word_hits(store, query, "plain", limit, budget)
            return hits, total, f"Searched for the words as typed: {exc}"
    match = _words_query(query) if syntax == "plain" else query
    try:
        rows, total = store.search_words(match, limit, budget, (_HIT, _END))
    except sqlite3.OperationalError as exc:
        if "locked" in str(exc) or "busy" in str(exc):
            raise
        if "interrupted" in str(exc):
            raise QueryTooCostly(
                f"expected a search that runs within {budget:g} s, got {query[:100]!r} which takes longer; "
                "use fewer terms, or longer prefixes before '*'"
            ) from None
        raise QueryError(
            f"cannot read {query!r} as a full-text query ({exc}); put words with hyphens or apostrophes "
            "in double quotes, or search plain words (syntax=plain)"
        ) from None
    return [(SearchHit(ArticleRef(*r[:8]), r[8], _fragments(r[9])), r[10]) for r in rows], total, ""


def _meaning_hits(store: Store, query: str, syntax: str, limit: int, index: EmbeddingIndex | None) -> list[tuple[str, float]]:
    """The articles nearest the query's embedding, best first, as (id, cosine).

    Raises:
        MeaningUnavailable: no index, a store built with another embedder or none, or a query without words.
    """
    if index is None:
        raise MeaningUnavailable("expected a server with an embedder to search by meaning, got none")
    index.check(store)
    text = meaning_text(query, syntax)
    if not text:
        raise MeaningUnavailable(f"expected a query with words to embed, got {query[:100]!r}")
    return index.nearest(index.embed(text), limit)


def _lead_hits(store: Store, near: dict[str, float]) -> dict[str, tuple[SearchHit, str | None]]:
    """Hits for articles found by meaning alone: their opening words stand in for a snippet (no word matched)."""
    out = {}
    for r in store.lead_rows(list(near)):
        lead = r[8] if len(r[8]) < 200 or " " not in r[8] else r[8].rsplit(" ", 1)[0] + " …"
        out[r[0]] = (SearchHit(ArticleRef(*r[:8]), near[r[0]], [Fragment(lead, False)] if lead else [], "meaning", near[r[0]]), r[9])
    return out


def search_text(
    store: Store,
    query: str,
    syntax: str = "fts",
    limit: int = 50,
    budget: float = SEARCH_SECONDS,
    mode: str = "words",
    index: EmbeddingIndex | None = None,
) -> SearchResult:
    """Search the articles by their words, by the meaning of their embeddings, or both (fused), grouped by event.

    Args:
        store: a store.
        query: the query; in ``fts`` syntax SQLite FTS5 (``"a phrase"``, ``OR``, ``NOT``, ``prefix*``), in ``plain``
            syntax plain words, all required. ``auto`` tries FTS5 syntax and falls back to plain words. The meaning
            ranking embeds the query's words without the syntax.
        syntax: ``fts``, ``plain`` or ``auto``.
        limit: at most this many articles (and at most this many from each ranking before they are fused).
        budget: seconds the full-text search may run before it is interrupted.
        mode: ``words`` (full text), ``meaning`` (cosine of the query's embedding to the stored ones) or ``both``
            (the two rankings fused by reciprocal rank, :data:`~chronique.serve._meaning.RRF_K`).
        index: the stored embeddings and the query embedder; needed by ``meaning`` and ``both``.

    Returns:
        The hits grouped by event, best first, each saying why it matched. In ``both`` mode a store or server that
        cannot search by meaning gives the word hits alone, with a note saying why.

    Raises:
        QueryTooCostly: a query over :data:`MAX_QUERY_CHARS`, :data:`MAX_QUERY_TERMS` or :data:`MAX_PREFIX_TERMS`,
            or one whose full-text search runs longer than ``budget``.
        QueryError: an empty query; (``fts`` syntax) one that FTS5 cannot parse; (``meaning`` mode) a search by
            meaning this server cannot run on this store.
    """
    if not query.strip():
        raise QueryError("expected a search query, got an empty one")
    _check_cost(query, syntax)
    notes, near = [], []
    if mode in ("meaning", "both"):
        try:
            near = _meaning_hits(store, query, syntax, limit, index)
        except MeaningUnavailable as exc:
            if mode == "meaning":
                raise QueryError(f"cannot search by meaning: {exc}") from None
            notes.append(f"Searched by words only: {exc}.")
            mode = "words"
    words: _Hits = []
    total = 0
    if mode in ("words", "both"):
        words, total, note = _word_hits(store, query, syntax, limit, budget)
        notes += [note] if note else []
    if mode == "words":
        return SearchResult(query, mode, total, _group(store, words), " ".join(notes), syntax)
    by_id = {h.article.id: (h, e) for h, e in words}
    cosine = dict(near)
    by_id |= _lead_hits(store, {aid: c for aid, c in near if aid not in by_id})
    fused = fuse([h.article.id for h, _ in words], [aid for aid, _ in near])[:limit]
    hits = []
    for f in fused:
        hit, event = by_id[f.article_id]
        hit.why, hit.similarity = f.why, cosine.get(f.article_id)
        hit.score = f.score if mode == "both" else cosine[f.article_id]
        hits.append((hit, event))
    total += sum(1 for aid, _ in near if aid not in {h.article.id for h, _ in words})
    return SearchResult(query, mode, total, _group(store, hits), " ".join(notes), syntax)


def search_similar(store: Store, article_id: str, limit: int, index: EmbeddingIndex) -> SearchResult | None:
    """Articles whose stored embeddings are closest to one article's ("more like this"), grouped by event.

    Ranked as a search by meaning is, each language's offset partly taken away (:meth:`EmbeddingIndex.nearest`).

    Args:
        store: a store.
        article_id: the article to start from (a copy stands for the report it copies).
        limit: at most this many articles.
        index: the stored embeddings held in memory.

    Returns:
        The hits (cosine similarity as score), or None if the article is unknown.

    Raises:
        QueryError: the store holds no embedding for the article (built with ``--embedder none``).
    """
    row = store.title_and_original(article_id)
    if row is None:
        return None
    probe = index.vector_of(row[1])
    if probe is None or probe.size == 0:
        raise QueryError(f"article {article_id} has no stored embedding (the store was built with --embedder none?)")
    scored = [(c, aid) for aid, c in index.nearest(probe, limit + 1, floor=False) if aid != row[1]][:limit]
    ids = [aid for _, aid in scored]
    refs = {a.id: a for a in _refs(store.refs(ids))}
    events = store.events_of(ids)
    hits = [(SearchHit(refs[aid], score, [], "meaning", score), events.get(aid)) for score, aid in scored if aid in refs]
    return SearchResult(row[0], "like", len(hits), _group(store, hits))


def overview(store: Store) -> dict[str, object]:
    """Counts for the page header and the languages present, for the filter form.

    Returns:
        ``{"articles", "events", "stories": int, "languages": [codes]}``.
    """
    return store.overview()
