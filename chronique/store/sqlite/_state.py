"""The state repository: what a run keeps besides articles and events (failed inputs, the corpus's repeated lines,
the files a watcher has handled). The writer lock is the shared connection's (:meth:`Connection.exclusive`)."""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Iterable

from ...records import Failure
from ._base import Connection

__all__ = ["StateRepository", "add_chrome_counts", "record_failures"]


class StateRepository(Connection):
    """Failures, repeated lines and watched files (a part of :class:`~chronique.store.Store`)."""

    def add_failures(self, failures: list[Failure]) -> None:
        """Record inputs that failed (replacing an older reason for the same input)."""
        with self.transaction() as db:
            record_failures(db, failures, time.time())

    def clear_failures(self, sources: Iterable[str]) -> None:
        """Forget failures of inputs that now succeeded."""
        with self.transaction() as db:
            db.executemany("DELETE FROM failures WHERE source = ?", [(s,) for s in sources])

    def failures(self) -> list[Failure]:
        """Every recorded failure, by input name."""
        return [Failure(s, r) for s, r in self.db.execute("SELECT source, reason FROM failures ORDER BY source")]

    def chrome_counts(self) -> dict[tuple[str, str], int]:
        """The stored repeated-line counts."""
        return {(g, k): n for g, k, n in self.db.execute("SELECT grp, line, n FROM chrome_lines")}

    def save_chrome_counts(self, counts: dict[tuple[str, str], int]) -> None:
        """Replace the repeated-line counts."""
        with self.transaction() as db:
            db.executemany("INSERT OR REPLACE INTO chrome_lines VALUES (?,?,?)", [(g, k, n) for (g, k), n in counts.items()])

    def seen_files(self) -> dict[str, tuple[int, int]]:
        """The files a watcher has handled, with the size and modification time they had then.

        Returns:
            ``{path: (size, mtime_ns)}``.
        """
        return {p: (size, mtime) for p, size, mtime in self.db.execute("SELECT path, size, mtime_ns FROM seen_files")}

    def mark_seen(self, files: dict[str, tuple[int, int]]) -> None:
        """Record files as handled, with their size and modification time (nanoseconds).

        Args:
            files: ``{path: (size, mtime_ns)}``.
        """
        now = time.time()
        with self.transaction() as db:
            db.executemany("INSERT OR REPLACE INTO seen_files VALUES (?,?,?,?)", [(p, s, m, now) for p, (s, m) in files.items()])


def record_failures(db: sqlite3.Connection, failures: list[Failure], now: float) -> None:
    """Insert failures inside an open transaction."""
    db.executemany("INSERT OR REPLACE INTO failures VALUES (?,?,?)", [(f.source, f.reason, now) for f in failures])


def add_chrome_counts(db: sqlite3.Connection, counts: dict[tuple[str, str], int]) -> None:
    """Add counts to the stored ones inside an open transaction (increments, so two writers add up)."""
    db.executemany(
        "INSERT INTO chrome_lines VALUES (?,?,?) ON CONFLICT(grp, line) DO UPDATE SET n = n + excluded.n",
        [(g, k, n) for (g, k), n in counts.items()],
    )
