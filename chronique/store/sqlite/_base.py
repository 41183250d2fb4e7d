"""The connection every repository of the SQLite store shares, and the helpers that encode what it stores."""

from __future__ import annotations

import datetime as dt
import functools
import sqlite3
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from typing import Self

import numpy as np
from datasketch import MinHash

try:
    import fcntl
except ImportError:  # pragma: no cover - not POSIX: no cross-process lock, SQLite's own locking remains
    fcntl = None  # type: ignore[assignment]

MINHASH_SCHEME = "affine32"  # datasketch 2 default; stored hash values are only comparable within one scheme


class Connection:
    """One SQLite connection in autocommit mode; writes go through :meth:`transaction`.

    Attributes:
        path: the database file (``":memory:"`` for a throw-away store).
        db: the connection.
    """

    path: str
    db: sqlite3.Connection
    _exclusive_depth: int = 0  # how deep this connection's holder is in :meth:`exclusive`

    @classmethod
    def on(cls, conn: sqlite3.Connection, path: str = "") -> Self:
        """A repository over an open connection (a migration reads through one inside its transaction)."""
        repo = cls.__new__(cls)
        repo.db, repo.path = conn, path
        return repo

    def close(self) -> None:
        """Close the connection."""
        self.db.close()

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """A write transaction taken up front (IMMEDIATE), so two writers queue instead of failing."""
        self.db.execute("BEGIN IMMEDIATE")
        try:
            yield self.db
        except BaseException:
            self.db.execute("ROLLBACK")
            raise
        self.db.execute("COMMIT")

    @contextmanager
    def exclusive(self) -> Iterator[None]:
        """Hold the store's writer lock (a lock file beside the database) for a read-then-rewrite step.

        Two processes that rebuild events each read the store and then replace the events; holding
        this lock around the pair makes the second one read what the first wrote. The operating
        system releases the lock when a process dies, so a killed run never leaves it held. Taken again
        by its holder (a withdrawal inside a caller's locked step), it is simply held on.

        Yields:
            Nothing; the lock is held inside the ``with`` block.
        """
        if self.path == ":memory:" or fcntl is None or self._exclusive_depth:
            self._exclusive_depth += 1
            try:
                yield
            finally:
                self._exclusive_depth -= 1
            return
        with open(self.path + ".lock", "a+b") as fh:
            fcntl.flock(fh, fcntl.LOCK_EX)
            self._exclusive_depth = 1
            try:
                yield
            finally:
                self._exclusive_depth = 0
                fcntl.flock(fh, fcntl.LOCK_UN)

    def _rows_in(self, sql: str, values: Iterable, extra: tuple = ()) -> list[tuple]:
        """Rows of ``sql`` whose ``{marks}`` is filled with ``values``, a few hundred at a time (then ``extra``)."""
        values = sorted(set(values))
        rows: list[tuple] = []
        for k in range(0, len(values), 500):
            chunk = values[k : k + 500]
            rows += self.db.execute(sql.format(marks=",".join("?" * len(chunk))), [*chunk, *extra]).fetchall()
        return rows

    def get_meta(self, key: str) -> str | None:
        """A value of the store's ``meta`` table (``embedder``: the embedder the events were built with)."""
        row = self.db.execute("SELECT value FROM meta WHERE key=?", (key,)).fetchone()
        return row[0] if row else None

    def set_meta(self, key: str, value: str) -> None:
        """Set a value of the store's ``meta`` table."""
        with self.transaction() as db:
            db.execute("INSERT OR REPLACE INTO meta VALUES (?, ?)", (key, value))


def minhash(blob: bytes) -> MinHash:
    """A stored MinHash signature (its hash values) as a datasketch MinHash."""
    n = len(blob) // 8
    return MinHash(
        num_perm=n, seed=1, hashvalues=np.frombuffer(blob, dtype=np.uint64), permutations=_permutations(n), scheme=MINHASH_SCHEME
    )


@functools.cache
def _permutations(num_perm: int) -> np.ndarray:
    """The permutations of every signature of this size (seed 1): drawn once, not once per stored signature."""
    return MinHash(num_perm=num_perm, seed=1, scheme=MINHASH_SCHEME).permutations


def lsh_bands(mh: MinHash, scheme: str) -> list[tuple[int, bytes]]:
    """(band, its hash values as bytes) of a signature, ``scheme`` being "BANDSxROWS" (datasketch's LSH shape)."""
    n_bands, rows = map(int, scheme.split("x"))
    values = np.asarray(mh.hashvalues, dtype="<u8")
    return [(b, values[b * rows : (b + 1) * rows].tobytes()) for b in range(n_bands)]


def day_number(date: str | None) -> int | None:
    """An ISO date's day number (``date.toordinal``), or None."""
    return dt.date.fromisoformat(date[:10]).toordinal() if date else None
