"""The store in SQLite: one file in WAL mode, one writer at a time, every write in a transaction.

Tables: ``articles`` (cleaned text, metadata, removed chrome, event date and evidence), ``mentions`` and
``entities``, ``times`` (temporal expressions), ``interactions``, ``representations`` (what the clusterer
compares, so a re-run does not recompute it), ``events``, ``memberships``, ``stories``, ``failures``,
``chrome_lines`` (the corpus's repeated lines) and ``seen_files``; what placing reads (``rep_keys``,
``doc_freq``, ``story_keys``, ``copy_bands``); the events that lost a report since they were written
(``stale_events``); the full-text index ``articles_fts``; the migrations applied (``_sqlite_migrations``).
The schema and its named migrations are in ``_schema``; the repositories, each over one part of the tables, in
``_articles``, ``_grouping``, ``_state`` and ``_reads`` (the web app's queries).
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

from ...errors import StoreError
from ._articles import ArticleRepository
from ._grouping import GroupingRepository
from ._reads import ReadQueries
from ._schema import SCHEMA_VERSION, migrate
from ._state import StateRepository

__all__ = ["SCHEMA_VERSION", "Store"]


class Store(ArticleRepository, ReadQueries, GroupingRepository, StateRepository):
    """The SQLite store of one corpus.

    Args:
        path: the database file (created if missing); ``":memory:"`` for a throw-away store.

    Raises:
        StoreError: the file is not a chronique database, or has another schema version.
    """

    def __init__(self, path: str | Path) -> None:
        self.path = str(path)
        try:
            self.db = sqlite3.connect(self.path, timeout=60, isolation_level=None)
            if self.db.execute("PRAGMA journal_mode").fetchone()[0] != "wal":
                # A new file is switched to WAL once. Two processes switching it at the same moment deadlock, and
                # SQLite answers one of them "database is locked" at once, without waiting: the lock file beside
                # the store takes them in turn (the second finds WAL set).
                with self.exclusive():
                    self.db.execute("PRAGMA journal_mode=WAL")
            self.db.execute("PRAGMA synchronous=NORMAL")
            self.db.execute("PRAGMA foreign_keys=ON")
            migrate(self.db)
            row = self.db.execute("SELECT value FROM meta WHERE key='schema'").fetchone()
        except (sqlite3.DatabaseError, OSError) as exc:
            raise StoreError(f"{self.path}: expected a chronique SQLite database, got: {exc}") from None
        if row is None:
            # OR IGNORE: two processes creating one store at once must not fail on the same row
            self.db.execute("INSERT OR IGNORE INTO meta VALUES ('schema', ?)", (str(SCHEMA_VERSION),))
        elif int(row[0]) != SCHEMA_VERSION:
            raise StoreError(f"{self.path}: expected schema version {SCHEMA_VERSION}, got {row[0]}")

    @classmethod
    def reader(cls, path: str | Path, timeout: float = 10.0) -> Store:
        """Open an existing store for reading only, from any thread (the server opens one per request).

        No schema work is done and writes are refused (``PRAGMA query_only``); in WAL mode a reader
        sees the last committed state while a ``chronique run`` writes.

        Args:
            path: the database file, already created by :class:`Store`.
            timeout: seconds to wait on a locked database.

        Returns:
            A store whose connection may be used from a thread other than the one that opened it.

        Raises:
            StoreError: the file cannot be opened as a SQLite database.
        """
        try:
            conn = sqlite3.connect(str(path), timeout=timeout, isolation_level=None, check_same_thread=False)
            conn.execute("PRAGMA query_only=ON")
        except sqlite3.DatabaseError as exc:
            raise StoreError(f"{path}: cannot open for reading: {exc}") from None
        return cls.on(conn, str(path))
