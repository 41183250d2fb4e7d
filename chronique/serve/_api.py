"""The JSON API under ``/api``: stories, events, articles, entities, search, and adding articles."""

from __future__ import annotations

import datetime as dt
import shutil
import tempfile
from pathlib import Path
from typing import Annotated, Literal, TypeVar

from fastapi import APIRouter, Depends, Header, HTTPException, Query, Request, Response
from fastapi.responses import FileResponse
from starlette.background import BackgroundTask

from ..app.export import ExportFormat, ExportKind, export
from ..store import Store
from . import _queries as q
from ._deps import read_store
from ._views import (
    ArticleDetail,
    EntityDetail,
    EntityPage,
    EventDetail,
    EventPage,
    PostResult,
    SearchResult,
    StoryDetail,
    StoryPage,
)
from ._write import Writer, parse_articles, read_body

__all__ = ["ARTICLE_SCHEMA", "router"]

T = TypeVar("T")
router = APIRouter(prefix="/api", tags=["api"])
StoreDep = Annotated[Store, Depends(read_store)]
Limit = Annotated[int, Query(ge=1, le=200, description="Items per page.")]
Offset = Annotated[int, Query(ge=0, description="Items skipped before the page.")]
DateFrom = Annotated[dt.date | None, Query(description="Events dated on or after this ISO date.")]
DateTo = Annotated[dt.date | None, Query(description="Events dated on or before this ISO date.")]
Language = Annotated[str | None, Query(max_length=16, description="A language code one report is written in (fr, en…).")]
Entity = Annotated[str | None, Query(max_length=300, description="An entity id one report names (e.g. PER:…, LOC:…).")]
SourceName = Annotated[str | None, Query(max_length=300, description="A site name, or part of an input's name.")]

ARTICLE_SCHEMA = {
    "type": "object",
    "required": ["text"],
    "properties": {
        "text": {"type": "string", "description": "The article: plain text (first line the title) or HTML."},
        "title": {"type": "string"},
        "url": {"type": "string"},
        "published": {"type": "string", "description": "ISO date of publication (resolves relative dates)."},
        "source": {"type": "string", "description": "The site or outlet."},
        "language": {"type": "string", "description": "Language code; detected when absent."},
    },
}


def _filter(
    date_from: dt.date | None, date_to: dt.date | None, language: str | None, entity: str | None, source: str | None
) -> q.EventFilter:
    """Build the event filter from query parameters, refusing an inverted date range."""
    if date_from and date_to and date_from > date_to:
        raise HTTPException(400, f"expected date_from <= date_to, got {date_from} > {date_to}")
    return q.EventFilter(date_from and date_from.isoformat(), date_to and date_to.isoformat(), language, entity, source)


def _found(value: T | None, kind: str, ident: str) -> T:
    """The value, or a 404 naming what was not found."""
    if value is None:
        raise HTTPException(404, f"no {kind} with id {ident!r} in this store")
    return value


@router.get("/stories", response_model=StoryPage, summary="List stories, most recent activity first")
def list_stories(
    store: StoreDep,
    limit: Limit = 20,
    offset: Offset = 0,
    date_from: DateFrom = None,
    date_to: DateTo = None,
    language: Language = None,
    entity: Entity = None,
    source: SourceName = None,
) -> StoryPage:
    """Stories with at least one event that passes the filters, each with all its events in date order."""
    return q.list_stories(store, _filter(date_from, date_to, language, entity, source), limit, offset)


@router.get("/stories/{story_id}", response_model=StoryDetail, summary="One story and its timeline")
def get_story(store: StoreDep, story_id: str) -> StoryDetail:
    """A story's events in date order (undated last): its timeline; and ``places``, the places its events name
    that have coordinates (countries at a representative point, cities from GeoNames), most named first."""
    return _found(q.story_detail(store, story_id), "story", story_id)


@router.get("/events", response_model=EventPage, summary="List events, most recent first")
def list_events(
    store: StoreDep,
    limit: Limit = 50,
    offset: Offset = 0,
    date_from: DateFrom = None,
    date_to: DateTo = None,
    language: Language = None,
    entity: Entity = None,
    source: SourceName = None,
) -> EventPage:
    """Events that pass the filters."""
    return q.list_events(store, _filter(date_from, date_to, language, entity, source), limit, offset)


@router.get("/events/{event_id}", response_model=EventDetail, summary="One event: summary, sources, entities, dates, why")
def get_event(request: Request, store: StoreDep, event_id: str) -> EventDetail:
    """An event with its date and evidence, summary sentences traced to articles, sources (copies folded in),
    entities, the explanation of why its articles are together (shared entities and pair signals), and ``places``:
    the places among its entities that have coordinates (``id``, ``name``, ``kind``, ``lat``, ``lon``)."""
    return _found(q.event_detail(store, event_id, request.app.state.explainer), "event", event_id)


@router.get("/articles/{article_id}", response_model=ArticleDetail, summary="One article: cleaned text, mentions, metadata")
def get_article(store: StoreDep, article_id: str) -> ArticleDetail:
    """An article's cleaned text with entity mentions and dates (character offsets), removed chrome and metadata."""
    return _found(q.article_detail(store, article_id), "article", article_id)


@router.get("/articles/{article_id}/similar", response_model=SearchResult, summary="More like this article")
def similar_articles(request: Request, store: StoreDep, article_id: str, limit: Annotated[int, Query(ge=1, le=100)] = 10) -> SearchResult:
    """The articles whose stored embeddings are closest to this one's, grouped by event."""
    try:
        return _found(q.search_similar(store, article_id, limit, request.app.state.meaning), "article", article_id)
    except q.QueryError as exc:
        raise HTTPException(409, str(exc)) from None


@router.get("/entities", response_model=EntityPage, summary="List entities with the events they appear in")
def list_entities(
    store: StoreDep,
    limit: Limit = 50,
    offset: Offset = 0,
    q_: Annotated[str | None, Query(alias="q", max_length=200, description="Part of a name or spelling.")] = None,
    type_: Annotated[Literal["PER", "ORG", "LOC"] | None, Query(alias="type")] = None,
) -> EntityPage:
    """Entities, most mentioned first."""
    return q.list_entities(store, q_, type_, limit, offset)


@router.get("/entities/{entity_id:path}", response_model=EntityDetail, summary="One entity: spellings and events")
def get_entity(store: StoreDep, entity_id: str) -> EntityDetail:
    """Every spelling seen for an entity and the events it appears in, in time order."""
    return _found(q.entity_detail(store, entity_id), "entity", entity_id)


SearchMode = Annotated[
    Literal["both", "words", "meaning"],
    Query(
        description="What ranks the articles: words (full text), meaning (the query's embedding against the stored ones, "
        "across languages), or both fused by reciprocal rank. A store built with another embedder than the server's "
        "answers 400 to meaning, and words alone (with a note) to both."
    ),
]
Syntax = Annotated[
    Literal["fts", "plain", "auto"],
    Query(description="How the words are read: fts, FTS5 syntax (errors answer 400); plain, all words required; auto, FTS5 else plain."),
]


@router.get("/search", response_model=SearchResult, summary="Search by words and meaning, or more like an article")
def search(
    request: Request,
    store: StoreDep,
    q_: Annotated[str | None, Query(alias="q", max_length=1000, description="The query.")] = None,
    mode: SearchMode = "both",
    syntax: Syntax = "fts",
    like: Annotated[str | None, Query(max_length=64, description="An article id: find articles like it instead.")] = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
) -> SearchResult:
    """Articles matching the query's words (title weighs more than text) and close to its meaning, or similar to
    ``like``, grouped by event; each hit says why it matched (``words``, ``meaning`` or ``both``)."""
    if like:
        return similar_articles(request, store, like, min(limit, 100))
    state = request.app.state
    try:
        return q.search_text(store, q_ or "", syntax, limit, state.search_seconds, mode, state.meaning)
    except q.QueryError as exc:
        raise HTTPException(400, str(exc)) from None


@router.get(
    "/export/{what}",
    summary="Download the store's articles, events, stories or contact items as JSON lines, CSV or Parquet",
    response_class=FileResponse,
    responses={200: {"content": {"application/x-ndjson": {}, "text/csv": {}, "application/vnd.apache.parquet": {}}}},
)
def export_table(
    store: StoreDep,
    what: ExportKind,
    fmt: Annotated[ExportFormat, Query(alias="format", description="jsonl, csv or parquet.")] = ExportFormat.jsonl,
) -> FileResponse:
    """The rows ``chronique export --what WHAT --format FORMAT`` writes (fixed columns, see :mod:`chronique.app.export`)."""
    folder = tempfile.mkdtemp(prefix="chronique-export-")
    path = Path(folder) / f"{what.value}.{fmt.value}"
    export(store, what, fmt, path)
    return FileResponse(
        path,
        media_type=_EXPORT_TYPES[fmt],
        filename=path.name,
        background=BackgroundTask(shutil.rmtree, folder, ignore_errors=True),
    )


_EXPORT_TYPES = {
    ExportFormat.jsonl: "application/x-ndjson",
    ExportFormat.csv: "text/csv",
    ExportFormat.parquet: "application/vnd.apache.parquet",
}


@router.post(
    "/articles",
    response_model=PostResult,
    status_code=201,
    summary="Add one article or a batch",
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {"application/json": {"schema": {"oneOf": [ARTICLE_SCHEMA, {"type": "array", "items": ARTICLE_SCHEMA}]}}},
        }
    },
    responses={
        400: {"description": "Not JSON, nested too deeply, or no article"},
        401: {"description": "No bearer token"},
        403: {"description": "Read-only server or wrong token"},
        413: {"description": "Body over the size cap (20 MB by default)"},
        422: {"description": "Malformed articles (none stored)"},
    },
)
async def add_articles(
    request: Request, response: Response, authorization: Annotated[str | None, Header(description="Bearer CHRONIQUE_TOKEN")] = None
) -> PostResult:
    """Run the pipeline on posted articles (the fields of ``.jsonl`` input) and update events and stories.
    Requires ``Authorization: Bearer <CHRONIQUE_TOKEN>``; without a token set the server is read-only."""
    writer: Writer = request.app.state.writer
    writer.authorize(authorization)
    kind = request.headers.get("content-type", "application/json")
    if "json" not in kind.lower():
        raise HTTPException(415, f"expected Content-Type: application/json, got {kind!r}")
    body = await read_body(request, writer.max_body)
    docs = parse_articles(body, f"api:{dt.datetime.now(dt.UTC).strftime('%Y-%m-%dT%H:%M:%S.%fZ')}", writer.max_body)
    result = await writer.add(docs)
    if not result.added:
        response.status_code = 200
    return result
