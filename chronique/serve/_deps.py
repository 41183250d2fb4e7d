"""Request-scoped dependencies: a read-only store per request."""

from __future__ import annotations

from collections.abc import Iterator

from fastapi import Request

from ..store import Store

__all__ = ["read_store"]


def read_store(request: Request) -> Iterator[Store]:
    """A read-only connection to the app's store for one request, closed afterwards.

    Args:
        request: the request (the database path is in ``request.app.state.db_path``).

    Yields:
        A :class:`Store` opened with :meth:`Store.reader`.
    """
    store = Store.reader(request.app.state.db_path)
    try:
        yield store
    finally:
        store.close()
