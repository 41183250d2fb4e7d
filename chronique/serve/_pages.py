"""Server-rendered HTML pages: home, story, event, article, entities, search and the API reference."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, HTTPException, Query, Request
from fastapi.responses import HTMLResponse

from ..events.timeline import story_timeline
from ..store import Store
from . import _queries as q
from ._deps import read_store
from ._map import place_map

__all__ = ["render", "router"]

router = APIRouter(include_in_schema=False)
StoreDep = Annotated[Store, Depends(read_store)]
PageNo = Annotated[int, Query(ge=1, le=100_000)]
PER_PAGE = 20


def render(request: Request, template: str, status: int = 200, **context: Any) -> HTMLResponse:
    """Render a page template (autoescaped) into a response.

    Args:
        request: the request (the Jinja2 environment is in ``request.app.state.templates``).
        template: the template's file name.
        status: the HTTP status.
        **context: the template's variables.

    Returns:
        The HTML response.
    """
    html = request.app.state.templates.get_template(template).render(request_path=request.url.path, **context)
    return HTMLResponse(html, status_code=status)


def _missing(kind: str, ident: str) -> HTTPException:
    """The 404 for an unknown id."""
    return HTTPException(404, f"There is no {kind} with id “{ident}” in this store.")


def _detail(request: Request, kind: str, ident: str, found: object | None, **extra: Any) -> HTMLResponse:
    """Render ``{kind}.html`` with ``found`` as ``{kind}``, or raise a 404 when it is None."""
    if found is None:
        raise _missing(kind, ident)
    return render(request, f"{kind}.html", **{kind: found}, **extra)


@router.get("/", response_class=HTMLResponse)
def home(
    request: Request,
    store: StoreDep,
    page: PageNo = 1,
    date_from: dt.date | None = None,
    date_to: dt.date | None = None,
    language: Annotated[str | None, Query(max_length=16)] = None,
    source: Annotated[str | None, Query(max_length=300)] = None,
) -> HTMLResponse:
    """Stories, most recent activity first, each with its timeline at a glance; optional filters."""
    flt = q.EventFilter(date_from and date_from.isoformat(), date_to and date_to.isoformat(), language or None, None, source or None)
    stories = q.list_stories(store, flt, PER_PAGE, (page - 1) * PER_PAGE)
    return render(
        request,
        "home.html",
        stories=stories,
        page=page,
        flt=flt,
        overview=q.overview(store),
        filtered=any((date_from, date_to, language, source)),
    )


@router.get("/stories/{story_id}", response_class=HTMLResponse)
def story(request: Request, store: StoreDep, story_id: str) -> HTMLResponse:
    """A story: its timeline chart and its events in date order."""
    found = q.story_detail(store, story_id)
    dates = story_timeline(store, story_id, dates=8) if found else []
    return _detail(request, "story", story_id, found, where_map=place_map(found.places) if found else "", dates=dates)


@router.get("/events/{event_id}", response_class=HTMLResponse)
def event(request: Request, store: StoreDep, event_id: str) -> HTMLResponse:
    """An event: date and evidence, summary traced to sources, sources, entities, and why they are together."""
    detail = q.event_detail(store, event_id, request.app.state.explainer)
    if detail is None:
        raise _missing("event", event_id)
    number = {s.article.id: k + 1 for k, s in enumerate(detail.sources)}
    for s in detail.sources:
        number.update(dict.fromkeys((c.id for c in s.copies), number[s.article.id]))
    carriers = [sorted({number[a] for a in line.articles if a in number}) for line in detail.summary]
    return _detail(request, "event", event_id, detail, number=number, carriers=carriers, where_map=place_map(detail.places))


@router.get("/articles/{article_id}", response_class=HTMLResponse)
def article(request: Request, store: StoreDep, article_id: str) -> HTMLResponse:
    """An article: cleaned text with mentions and dates highlighted; removed chrome on demand."""
    return _detail(request, "article", article_id, q.article_detail(store, article_id))


@router.get("/entities", response_class=HTMLResponse)
def entities(
    request: Request,
    store: StoreDep,
    page: PageNo = 1,
    q_: Annotated[str | None, Query(alias="q", max_length=200)] = None,
    type_: Annotated[Literal["PER", "ORG", "LOC", ""] | None, Query(alias="type")] = None,
) -> HTMLResponse:
    """People, organisations and places, most mentioned first."""
    found = q.list_entities(store, q_ or None, type_ or None, 50, (page - 1) * 50)
    return render(request, "entities.html", entities=found, page=page, query=q_ or "", kind=type_ or "")


@router.get("/entities/{entity_id:path}", response_class=HTMLResponse)
def entity(request: Request, store: StoreDep, entity_id: str) -> HTMLResponse:
    """An entity: every spelling seen and its events in time order."""
    return _detail(request, "entity", entity_id, q.entity_detail(store, entity_id))


@router.get("/search", response_class=HTMLResponse)
def search(
    request: Request,
    store: StoreDep,
    q_: Annotated[str | None, Query(alias="q", max_length=1000)] = None,
    mode: Literal["both", "words", "meaning"] = "both",
    syntax: Literal["auto", "fts", "plain"] = "auto",
    like: Annotated[str | None, Query(max_length=64)] = None,
) -> HTMLResponse:
    """Search by words (FTS5 syntax, else plain words) and meaning, or "more like this" article, grouped by event."""
    state = request.app.state
    form = {"query": q_ or "", "mode": mode, "syntax": syntax, "like": like}
    try:
        if like:
            result = q.search_similar(store, like, 20, state.meaning)
            if result is None:
                raise _missing("article", like)
        else:
            wanted = q_ and q_.strip()
            result = q.search_text(store, q_, syntax, 50, state.search_seconds, mode, state.meaning) if wanted else None
    except q.QueryError as exc:
        return render(request, "search.html", 400, result=None, error=str(exc), **form)
    return render(request, "search.html", result=result, error="", **form)


@router.get("/docs", response_class=HTMLResponse)
def docs(request: Request) -> HTMLResponse:
    """The API reference, rendered from the OpenAPI schema (no external scripts)."""
    schema = request.app.openapi()
    operations = [(path, method.upper(), op) for path, item in schema["paths"].items() for method, op in item.items()]
    return render(request, "docs.html", operations=operations, info=schema["info"])
