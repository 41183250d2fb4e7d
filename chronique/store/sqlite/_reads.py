"""The read queries of ``chronique serve``: rows for its pages and API, from a read-only connection.

The web app (:mod:`chronique.serve`) turns these rows into views; it runs no SQL of its own. Article references
are rows of :data:`REF_COLUMNS`. Full-text searches run under a time budget: SQLite's progress handler interrupts
them (``sqlite3.OperationalError`` "interrupted"), and the caller says so to the user.
"""

from __future__ import annotations

import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager

from ._grouping import GroupingRepository

__all__ = ["REF_COLUMNS", "ReadQueries"]

REF_COLUMNS = ("id", "title", "source", "site", "url", "published", "language", "duplicate_of")
_REFS = ", ".join(f"a.{c}" for c in REF_COLUMNS)


def _marks(values: Sequence) -> str:
    return ",".join("?" * len(values))


class ReadQueries(GroupingRepository):
    """What the web app reads (a part of :class:`~chronique.store.Store`), over the grouping's repository."""

    # -- events and stories ---------------------------------------------------------------------
    def event_rows(
        self,
        date_from: str | None = None,
        date_to: str | None = None,
        language: str | None = None,
        entity: str | None = None,
        source: str | None = None,
        ids: Sequence[str] | None = None,
    ) -> list[tuple]:
        """Events that pass the filters (None: no filter), each as (id, headline, summary JSON, date, story id, reports,
        originals, languages joined by commas, the newest report's time added).

        Args:
            date_from, date_to: ISO dates the event's date lies between (undated events are then left out).
            language: a language code one report at least is written in.
            entity: an entity id one report at least names.
            source: a site name (exact, any case) or a part of an input's name one report at least comes from.
            ids: only these events.
        """
        member = "EXISTS (SELECT 1 FROM memberships m2 JOIN articles a2 ON a2.id = m2.article_id WHERE m2.event_id = e.id AND {})"
        parts, params = ["1"], []
        if date_from:
            parts.append("e.date >= ?")
            params.append(date_from)
        if date_to:
            parts.append("e.date <= ?")
            params.append(date_to)
        if language:
            parts.append(member.format("a2.language = ?"))
            params.append(language.lower())
        if entity:
            parts.append(member.format("EXISTS (SELECT 1 FROM mentions x WHERE x.article_id = a2.id AND x.entity_id = ?)"))
            params.append(entity)
        if source:
            parts.append(member.format("(lower(coalesce(a2.site, '')) = lower(?) OR instr(lower(a2.source), lower(?)) > 0)"))
            params += [source, source]
        if ids is not None:
            parts.append(f"e.id IN ({_marks(ids)})")
            params += list(ids)
        return self.db.execute(
            "SELECT e.id, e.headline, e.summary, e.date, e.story_id, count(a.id), coalesce(sum(a.duplicate_of IS NULL), 0),"
            " group_concat(DISTINCT a.language), max(a.added_at) FROM events e"
            " LEFT JOIN memberships m ON m.event_id = e.id LEFT JOIN articles a ON a.id = m.article_id"
            f" WHERE {' AND '.join(parts)} GROUP BY e.id",
            params,
        ).fetchall()

    def event_row(self, event_id: str) -> tuple | None:
        """(headline, date, date evidence, summary JSON, entity ids JSON, story id) of one event, or None."""
        return self.db.execute(
            "SELECT headline, date, date_evidence, summary, entities, story_id FROM events WHERE id = ?", (event_id,)
        ).fetchone()

    def story_rows(self) -> list[tuple[str, str, str]]:
        """(id, title, event ids JSON) of every story."""
        return self.db.execute("SELECT id, title, events FROM stories").fetchall()

    def story_row(self, story_id: str) -> tuple[str, str] | None:
        """(title, event ids JSON) of one story, or None."""
        return self.db.execute("SELECT title, events FROM stories WHERE id = ?", (story_id,)).fetchone()

    def reports_per_day(self, event_ids: Sequence[str]) -> list[tuple[str, int]]:
        """(publication day, reports) of some events' reports, copies included, undated ones left out, by day."""
        if not event_ids:
            return []
        return self.db.execute(
            "SELECT substr(a.published, 1, 10) AS day, count(*) FROM memberships m JOIN articles a ON a.id = m.article_id "
            f"WHERE m.event_id IN ({_marks(event_ids)}) AND a.published IS NOT NULL GROUP BY day ORDER BY day",
            list(event_ids),
        ).fetchall()

    def event_entity_lists(self, event_ids: Sequence[str]) -> list[str]:
        """The entity ids (a JSON list each) of some events."""
        if not event_ids:
            return []
        return [r[0] for r in self.db.execute(f"SELECT entities FROM events WHERE id IN ({_marks(event_ids)})", list(event_ids))]

    def grouping_key(self) -> tuple[int, int, int, int]:
        """What changes when representations or memberships change (a clusterer fitted on them is then stale)."""
        return tuple(
            self.db.execute(
                "SELECT (SELECT count(*) FROM representations), (SELECT coalesce(max(rowid), 0) FROM representations),"
                " (SELECT coalesce(max(rowid), 0) FROM memberships), (SELECT count(*) FROM memberships)"
            ).fetchone()
        )

    def overview(self) -> dict[str, object]:
        """``{"articles", "events", "stories": counts, "languages": [codes]}``."""
        articles = self.db.execute("SELECT count(*) FROM articles").fetchone()[0]
        events, stories = self.counts()
        langs = [r[0] for r in self.db.execute("SELECT DISTINCT language FROM articles WHERE language IS NOT NULL ORDER BY 1")]
        return {"articles": articles, "events": events, "stories": stories, "languages": langs}

    # -- articles -------------------------------------------------------------------------------
    def refs(self, ids: Sequence[str]) -> list[tuple]:
        """Article references (:data:`REF_COLUMNS`) of the stored articles among ``ids``."""
        if not ids:
            return []
        return self.db.execute(f"SELECT {_REFS} FROM articles a WHERE a.id IN ({_marks(ids)})", list(ids)).fetchall()

    def member_refs(self, event_id: str) -> list[tuple]:
        """Article references of an event's members, copies included."""
        return self.db.execute(
            f"SELECT {_REFS} FROM articles a WHERE a.id IN (SELECT article_id FROM memberships WHERE event_id = ?)", (event_id,)
        ).fetchall()

    def copy_refs(self, article_id: str) -> list[tuple]:
        """Article references of the copies of an article."""
        return self.db.execute(f"SELECT {_REFS} FROM articles a WHERE a.duplicate_of = ?", (article_id,)).fetchall()

    def event_dates(self, article_ids: Sequence[str]) -> list[tuple[str, str | None, str]]:
        """(id, event date, its evidence) of some articles."""
        if not article_ids:
            return []
        sql = f"SELECT id, event_date, event_date_evidence FROM articles WHERE id IN ({_marks(article_ids)})"
        return self.db.execute(sql, list(article_ids)).fetchall()

    def title_and_original(self, article_id: str) -> tuple[str, str] | None:
        """(title, the id of the report it copies or its own) of an article, or None."""
        return self.db.execute("SELECT title, coalesce(duplicate_of, id) FROM articles WHERE id = ?", (article_id,)).fetchone()

    def lead_rows(self, article_ids: Sequence[str], chars: int = 200) -> list[tuple]:
        """Article references of some articles, each with its first ``chars`` characters and its event (or None)."""
        if not article_ids:
            return []
        return self.db.execute(
            f"SELECT {_REFS}, substr(a.text, 1, ?), m.event_id FROM articles a LEFT JOIN memberships m ON m.article_id = a.id"
            f" WHERE a.id IN ({_marks(article_ids)})",
            [chars, *article_ids],
        ).fetchall()

    # -- entities -------------------------------------------------------------------------------
    def entity_label_name(self, entity_id: str) -> tuple[str, str] | None:
        """(label, display name) of an entity: its stored name, failing that its most frequent spelling; or None."""
        row = self.db.execute("SELECT label, name FROM entities WHERE id = ?", (entity_id,)).fetchone()
        if row is None:
            row = self.db.execute(
                "SELECT label, text FROM mentions WHERE entity_id = ? GROUP BY text ORDER BY count(*) DESC", (entity_id,)
            ).fetchone()
        return row

    def entity_mentions(self, article_ids: Sequence[str]) -> list[tuple[str, str]]:
        """(entity id, article id) of every mention in some articles."""
        if not article_ids:
            return []
        sql = f"SELECT entity_id, article_id FROM mentions WHERE article_id IN ({_marks(article_ids)})"
        return self.db.execute(sql, list(article_ids)).fetchall()

    def entity_rows(self, query: str | None, kind: str | None) -> list[tuple[str, int, str | None]]:
        """(entity id, mentions, its events joined by commas) of the entities matching, most mentioned first.

        Args:
            query: a part of a spelling or display name (any case); None for all.
            kind: a label (PER, ORG, LOC); None for all.
        """
        where, params = ["1"], []
        if kind:
            where.append("x.label = ?")
            params.append(kind.upper())
        if query:
            where.append("(instr(lower(x.text), lower(?)) > 0 OR instr(lower(coalesce(n.name, '')), lower(?)) > 0)")
            params += [query, query]
        return self.db.execute(
            "SELECT x.entity_id, count(*), group_concat(DISTINCT m.event_id) FROM mentions x LEFT JOIN entities n ON n.id = x.entity_id"
            f" LEFT JOIN memberships m ON m.article_id = x.article_id WHERE {' AND '.join(where)}"
            " GROUP BY x.entity_id ORDER BY count(*) DESC, x.entity_id",
            params,
        ).fetchall()

    def spellings(self, entity_id: str) -> list[tuple[str, int]]:
        """(spelling, mentions) of an entity, most frequent first."""
        return self.db.execute(
            "SELECT text, count(*) FROM mentions WHERE entity_id = ? GROUP BY text ORDER BY count(*) DESC, text", (entity_id,)
        ).fetchall()

    def articles_naming(self, entity_id: str) -> int:
        """How many articles name an entity."""
        return self.db.execute("SELECT count(DISTINCT article_id) FROM mentions WHERE entity_id = ?", (entity_id,)).fetchone()[0]

    # -- search ---------------------------------------------------------------------------------
    def search_words(self, match: str, limit: int, seconds: float, marks: tuple[str, str]) -> tuple[list[tuple], int]:
        """Full-text hits of an FTS5 query, best first, and how many articles match.

        Args:
            match: the FTS5 query.
            limit: at most this many hits.
            seconds: the time budget; past it SQLite interrupts the search.
            marks: the characters that open and close a matched word in the snippet.

        Returns:
            Hits as article references, then score, snippet and event id (or None); and the total.

        Raises:
            sqlite3.OperationalError: a query FTS5 cannot parse, or one interrupted past its budget ("interrupted").
        """
        sql = (
            f"SELECT {_REFS}, -bm25(articles_fts, 4.0, 1.0), snippet(articles_fts, 1, ?, ?, '…', 24), m.event_id"
            " FROM articles_fts JOIN articles a ON a.rowid = articles_fts.rowid LEFT JOIN memberships m ON m.article_id = a.id"
            " WHERE articles_fts MATCH ? ORDER BY bm25(articles_fts, 4.0, 1.0) LIMIT ?"
        )
        with self._time_limit(seconds):
            rows = self.db.execute(sql, (*marks, match, limit)).fetchall()
            total = self.db.execute("SELECT count(*) FROM articles_fts WHERE articles_fts MATCH ?", (match,)).fetchone()[0]
        return rows, total

    @contextmanager
    def _time_limit(self, seconds: float) -> Iterator[None]:
        """Interrupt the statements run inside the block once ``seconds`` have passed (they raise "interrupted")."""
        deadline = time.monotonic() + seconds
        # Checked every 1,000 VM steps: FTS5 ranks (bm25, snippet) inside single steps, each costly for a query with
        # many terms, so a coarser period lets such a query run on for seconds (10,000 steps: 3 checks in 20 s).
        self.db.set_progress_handler(lambda: time.monotonic() > deadline, 1_000)
        try:
            yield
        finally:
            self.db.set_progress_handler(None, 0)

    # -- embeddings -----------------------------------------------------------------------------
    def data_version(self) -> int:
        """SQLite's data version: it moves when another connection commits."""
        return self.db.execute("PRAGMA data_version").fetchone()[0]

    @contextmanager
    def snapshot(self) -> Iterator[None]:
        """One read transaction: the reads inside see one state, whatever another connection commits meanwhile."""
        self.db.execute("BEGIN")
        try:
            yield
        finally:
            self.db.execute("COMMIT")

    def representation_rowids(self) -> str:
        """Every representation's ``rowid id``, in rowid order, joined by commas (a prefix test tells what was added)."""
        return self.db.execute(
            "SELECT coalesce(group_concat(r || ' ' || article_id, ','), '')"
            # the primary key's index holds id and rowid: reading it skips the embeddings, 2x faster than the table
            " FROM (SELECT rowid AS r, article_id FROM representations INDEXED BY sqlite_autoindex_representations_1 ORDER BY r)"
        ).fetchone()[0]

    def embeddings_after(self, rowid: int) -> list[tuple[str, str | None, bytes]]:
        """(article id, language, embedding bytes) of the representations stored after ``rowid``, in storage order."""
        sql = "SELECT article_id, language, embedding FROM representations WHERE rowid > ? ORDER BY rowid"
        return self.db.execute(sql, (rowid,)).fetchall()
