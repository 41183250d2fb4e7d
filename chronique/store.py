"""Stage 11, store: SQLite in WAL mode, written in transactions.

Tables: ``articles`` (cleaned text, metadata, removed chrome, event date and evidence),
``mentions`` and ``entities``, ``times`` (temporal expressions), ``representations`` (what the
clusterer compares, so a re-run does not recompute it), ``events``, ``memberships``, ``stories``,
``failures`` and ``chrome_lines`` (the corpus's repeated lines). Each batch of articles is one
transaction and the events are rewritten in another, so a killed run loses at most the batch in
flight, and the next run finds the articles without an event and finishes them.

What placing new articles reads is indexed in the same transactions (:mod:`chronique.events.placement`):
``rep_keys`` (each representation's block keys, by day), ``doc_freq`` (how many representations have each
name and word), ``story_keys`` (each event's sampled keys, by day) and ``copy_bands`` (the originals'
MinHash LSH bands), so that a batch reads its neighbourhood rather than the whole store.
"""

from __future__ import annotations

import datetime as dt
import functools
import json
import sqlite3
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path

import numpy as np
from datasketch import MinHash

from .errors import StoreError
from .records import Article, Event, Failure, Interaction, Mention, Story, SummarySentence, TimeExpression
from .settings import STORY_SAMPLE
from .stages.represent import Representation, block_keys, named_days

try:
    import fcntl
except ImportError:  # pragma: no cover - not POSIX: no cross-process lock, SQLite's own locking remains
    fcntl = None  # type: ignore[assignment]

__all__ = ["SCHEMA_VERSION", "Store"]

SCHEMA_VERSION = 1
_INDEXES = "2"  # the version of what placing reads (rep_keys, doc_freq, story_keys): another one rebuilds them
_MINHASH_SCHEME = "affine32"  # datasketch 2 default; stored hash values are only comparable within one scheme
_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS articles (
    id TEXT PRIMARY KEY, source TEXT NOT NULL, fmt TEXT NOT NULL, title TEXT NOT NULL, text TEXT NOT NULL,
    url TEXT, published TEXT, published_origin TEXT, language TEXT, language_score REAL, site TEXT, author TEXT,
    removed TEXT NOT NULL, page_date TEXT, event_date TEXT, event_date_evidence TEXT NOT NULL,
    duplicate_of TEXT REFERENCES articles(id), notes TEXT NOT NULL, added_at REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS entities (id TEXT PRIMARY KEY, label TEXT NOT NULL, name TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS mentions (
    article_id TEXT NOT NULL REFERENCES articles(id), start INTEGER NOT NULL, end INTEGER NOT NULL,
    text TEXT NOT NULL, label TEXT NOT NULL, entity_id TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS mentions_article ON mentions(article_id);
CREATE INDEX IF NOT EXISTS mentions_entity ON mentions(entity_id);
CREATE TABLE IF NOT EXISTS times (
    article_id TEXT NOT NULL REFERENCES articles(id), start INTEGER NOT NULL, end INTEGER NOT NULL,
    text TEXT NOT NULL, value TEXT, granularity TEXT NOT NULL, rule TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS times_article ON times(article_id);
CREATE TABLE IF NOT EXISTS representations (
    article_id TEXT PRIMARY KEY REFERENCES articles(id), language TEXT, date TEXT, lexical TEXT NOT NULL,
    lead TEXT NOT NULL, entities TEXT NOT NULL, numbers TEXT NOT NULL, minhash BLOB NOT NULL, embedding BLOB NOT NULL,
    weekday INTEGER, days TEXT NOT NULL DEFAULT '[]', interaction TEXT
);
CREATE TABLE IF NOT EXISTS events (
    id TEXT PRIMARY KEY, headline TEXT NOT NULL, date TEXT, date_evidence TEXT NOT NULL,
    summary TEXT NOT NULL, entities TEXT NOT NULL, story_id TEXT
);
CREATE TABLE IF NOT EXISTS memberships (
    event_id TEXT NOT NULL REFERENCES events(id), article_id TEXT NOT NULL REFERENCES articles(id),
    PRIMARY KEY (article_id)
);
CREATE INDEX IF NOT EXISTS memberships_event ON memberships(event_id);
CREATE INDEX IF NOT EXISTS events_story ON events(story_id);
CREATE INDEX IF NOT EXISTS articles_copy ON articles(duplicate_of) WHERE duplicate_of IS NOT NULL;
CREATE TABLE IF NOT EXISTS rep_keys (key TEXT NOT NULL, article_id TEXT NOT NULL, day INTEGER);
CREATE INDEX IF NOT EXISTS rep_keys_key ON rep_keys(key, day);
CREATE INDEX IF NOT EXISTS rep_keys_article ON rep_keys(article_id);
CREATE TABLE IF NOT EXISTS doc_freq (kind TEXT NOT NULL, key TEXT NOT NULL, n INTEGER NOT NULL, PRIMARY KEY (kind, key)) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS copy_bands (band INTEGER NOT NULL, hash BLOB NOT NULL, article_id TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS copy_bands_hash ON copy_bands(band, hash);
CREATE INDEX IF NOT EXISTS copy_bands_article ON copy_bands(article_id);
CREATE TABLE IF NOT EXISTS story_keys (key TEXT NOT NULL, event_id TEXT NOT NULL, day INTEGER);
CREATE INDEX IF NOT EXISTS story_keys_key ON story_keys(key, day);
CREATE INDEX IF NOT EXISTS story_keys_event ON story_keys(event_id);
CREATE TABLE IF NOT EXISTS stories (id TEXT PRIMARY KEY, title TEXT NOT NULL, events TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS failures (source TEXT PRIMARY KEY, reason TEXT NOT NULL, at REAL NOT NULL);
CREATE TABLE IF NOT EXISTS chrome_lines (grp TEXT NOT NULL, line TEXT NOT NULL, n INTEGER NOT NULL, PRIMARY KEY (grp, line));
CREATE INDEX IF NOT EXISTS articles_url ON articles(url);
CREATE TABLE IF NOT EXISTS seen_files (path TEXT PRIMARY KEY, size INTEGER NOT NULL, mtime_ns INTEGER NOT NULL, at REAL NOT NULL);
CREATE TABLE IF NOT EXISTS interactions (
    article_id TEXT NOT NULL REFERENCES articles(id), start INTEGER NOT NULL, end INTEGER NOT NULL, sentence TEXT NOT NULL,
    action TEXT NOT NULL, verb TEXT NOT NULL, actors TEXT NOT NULL, targets TEXT NOT NULL, polarity TEXT NOT NULL,
    channel TEXT, initiator TEXT, date TEXT, date_text TEXT NOT NULL, place TEXT, duration TEXT, detail TEXT NOT NULL,
    sides TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS interactions_article ON interactions(article_id);
"""
_INTERACTION_COLS = [
    "article_id", "start", "end", "sentence", "action", "verb", "actors", "targets", "polarity",
    "channel", "initiator", "date", "date_text", "place", "duration", "detail", "sides",
]  # fmt: skip
_LIST_COLS = ("actors", "targets", "sides")
# Full-text index over the articles' title and text: an external-content FTS5 table kept in step
# by triggers (articles are only ever inserted, but deletes and updates are covered too).
_FTS_SCHEMA = """
CREATE VIRTUAL TABLE IF NOT EXISTS articles_fts USING fts5(
    title, text, content='articles', content_rowid='rowid', tokenize='unicode61 remove_diacritics 2'
);
CREATE TRIGGER IF NOT EXISTS articles_fts_insert AFTER INSERT ON articles BEGIN
    INSERT INTO articles_fts(rowid, title, text) VALUES (new.rowid, new.title, new.text);
END;
CREATE TRIGGER IF NOT EXISTS articles_fts_delete AFTER DELETE ON articles BEGIN
    INSERT INTO articles_fts(articles_fts, rowid, title, text) VALUES ('delete', old.rowid, old.title, old.text);
END;
CREATE TRIGGER IF NOT EXISTS articles_fts_update AFTER UPDATE ON articles BEGIN
    INSERT INTO articles_fts(articles_fts, rowid, title, text) VALUES ('delete', old.rowid, old.title, old.text);
    INSERT INTO articles_fts(rowid, title, text) VALUES (new.rowid, new.title, new.text);
END;
"""
_REP_COLS = "article_id, language, date, lexical, lead, entities, numbers, minhash, embedding, weekday, days, interaction"
_ARTICLE_COLS = [
    "id",
    "source",
    "fmt",
    "title",
    "text",
    "url",
    "published",
    "published_origin",
    "language",
    "language_score",
    "site",
    "author",
    "removed",
    "page_date",
    "event_date",
    "event_date_evidence",
    "duplicate_of",
    "notes",
]


def _minhash(blob: bytes) -> MinHash:
    """A stored MinHash signature (its hash values) as a datasketch MinHash."""
    n = len(blob) // 8
    return MinHash(
        num_perm=n, seed=1, hashvalues=np.frombuffer(blob, dtype=np.uint64), permutations=_permutations(n), scheme=_MINHASH_SCHEME
    )


@functools.cache
def _permutations(num_perm: int) -> np.ndarray:
    """The permutations of every signature of this size (seed 1): drawn once, not once per stored signature."""
    return MinHash(num_perm=num_perm, seed=1, scheme=_MINHASH_SCHEME).permutations


class Store:
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
            self.db.execute("PRAGMA journal_mode=WAL")
            self.db.execute("PRAGMA synchronous=NORMAL")
            self.db.execute("PRAGMA foreign_keys=ON")
            # One IMMEDIATE transaction: two processes creating one store at once queue for it. Run statement by
            # statement, a CREATE can read the schema, see the other writer commit, and fail at once ("database is
            # locked": SQLite does not wait on a stale snapshot), as tests/test_faults.py's two writers sometimes did.
            self.db.executescript(f"BEGIN IMMEDIATE; {_SCHEMA} COMMIT;")
            self._migrate()
            self._ensure_fts()
            row = self.db.execute("SELECT value FROM meta WHERE key='schema'").fetchone()
        except sqlite3.DatabaseError as exc:
            raise StoreError(f"{self.path}: expected a chronique SQLite database, got: {exc}") from None
        if row is None:
            # OR IGNORE: two processes creating one store at once must not fail on the same row
            self.db.execute("INSERT OR IGNORE INTO meta VALUES ('schema', ?)", (str(SCHEMA_VERSION),))
        elif int(row[0]) != SCHEMA_VERSION:
            raise StoreError(f"{self.path}: expected schema version {SCHEMA_VERSION}, got {row[0]}")

    def _migrate(self) -> None:
        """Bring a store written by an earlier version up to date: each column added since, filled in, in one transaction."""
        columns = {row[1] for row in self.db.execute("PRAGMA table_info(representations)")}
        if "weekday" not in columns:
            self._add_representation_column("weekday INTEGER", _migrate_weekday)
        if "days" not in columns:
            self._add_representation_column("days TEXT NOT NULL DEFAULT '[]'", _migrate_days)
        if "interaction" not in columns:  # needs the parser: stored reports keep none, new ones get theirs
            self._add_representation_column("interaction TEXT", lambda art: None)
        if self.get_meta("indexes") != _INDEXES:
            self._index_stored()

    def _index_stored(self) -> None:
        """Index what a store written before these indexes holds (every representation, then every event), once."""
        with self.transaction() as db:
            if db.execute("SELECT 1 FROM meta WHERE key = 'indexes' AND value = ?", (_INDEXES,)).fetchone():
                return  # another process did it meanwhile
            db.execute("DROP TABLE IF EXISTS event_keys")  # the first layout of story_keys, without days
            for table in ("rep_keys", "doc_freq", "story_keys"):
                db.execute(f"DELETE FROM {table}")
            db.execute("INSERT OR REPLACE INTO meta VALUES ('represented', 0)")
            db.execute("INSERT OR REPLACE INTO meta VALUES ('indexes', ?)", (_INDEXES,))
            for r in self.representations():
                self._index_representation(db, r)
            for (eid,) in db.execute("SELECT id FROM events").fetchall():
                self._index_event(db, eid)

    def _add_representation_column(self, column: str, fill: Callable[[Article], object]) -> None:
        """Add a column to the representations and fill it from each stored article (None: left at its default)."""
        name = column.split()[0]
        with self.transaction() as db:
            db.execute(f"ALTER TABLE representations ADD COLUMN {column}")
            for (aid,) in db.execute("SELECT article_id FROM representations").fetchall():
                art = self.article(aid)
                if art is not None and (value := fill(art)) is not None:
                    db.execute(f"UPDATE representations SET {name}=? WHERE article_id=?", (value, aid))

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

    # -- articles ---------------------------------------------------------------------------
    def known_ids(self, ids: Iterable[str]) -> set[str]:
        """The ids among ``ids`` already stored."""
        ids = list(ids)
        found: set[str] = set()
        for k in range(0, len(ids), 500):
            chunk = ids[k : k + 500]
            q = f"SELECT id FROM articles WHERE id IN ({','.join('?' * len(chunk))})"
            found |= {r[0] for r in self.db.execute(q, chunk)}
        return found

    def add_articles(
        self,
        articles: list[Article],
        reps: list[Representation],
        failures: list[Failure],
        chrome: dict[tuple[str, str], int] | None = None,
        entity_names: dict[str, tuple[str, str]] | None = None,
    ) -> set[str]:
        """Store a batch of analysed articles with what the run learned from it, atomically.

        What a batch taught the run (repeated lines, entity names) is written with its articles, so a
        run killed after this batch resumes with the same knowledge an uninterrupted run would have.

        Args:
            articles: the analysed articles; one another writer stored meanwhile keeps that writer's analysis.
            reps: their representations.
            failures: the batch's failed inputs.
            chrome: repeated-line counts seen in this batch, added to the stored counts.
            entity_names: entity id -> (label, display name) of the entities the batch names.

        Returns:
            The ids this call inserted (not those another writer had stored first).
        """
        now = time.time()
        inserted: set[str] = set()
        with self.transaction() as db:
            present = self.known_ids(a.id for a in articles)  # stored meanwhile by another writer: keep its analysis
            for art in (a for a in articles if a.id not in present):
                row = [getattr(art, c) for c in _ARTICLE_COLS]
                row[_ARTICLE_COLS.index("removed")] = json.dumps(art.removed, ensure_ascii=False)
                row[_ARTICLE_COLS.index("notes")] = json.dumps(art.notes, ensure_ascii=False)
                cur = db.execute(
                    f"INSERT OR IGNORE INTO articles ({','.join(_ARTICLE_COLS)}, added_at) VALUES ({','.join('?' * (len(row) + 1))})",
                    [*row, now],
                )
                if cur.rowcount != 1:
                    continue  # a copy of the same id earlier in this batch
                inserted.add(art.id)
                db.executemany(
                    "INSERT INTO mentions VALUES (?,?,?,?,?,?)",
                    [(m.article_id, m.start, m.end, m.text, m.label, m.entity_id) for m in art.mentions],
                )
                db.executemany(
                    "INSERT INTO times VALUES (?,?,?,?,?,?,?)",
                    [(t.article_id, t.start, t.end, t.text, t.value, t.granularity, t.rule) for t in art.times],
                )
                db.executemany(
                    f"INSERT INTO interactions ({','.join(_INTERACTION_COLS)}) VALUES ({','.join('?' * len(_INTERACTION_COLS))})",
                    [_interaction_row(i) for i in art.interactions],
                )
            for r in (r for r in reps if r.article_id in inserted):
                db.execute(
                    f"INSERT OR REPLACE INTO representations ({_REP_COLS}) VALUES (?,?,?,?,?,?,?,?,?,?,?,?)",
                    (
                        r.article_id,
                        r.language,
                        r.date,
                        json.dumps(r.lexical),
                        json.dumps(r.lead),
                        json.dumps(r.entities),
                        json.dumps(sorted(r.numbers)),
                        r.minhash.hashvalues.astype(np.uint64).tobytes(),
                        np.asarray(r.embedding, np.float32).tobytes(),
                        r.weekday,
                        json.dumps(sorted(r.days)),
                        r.interaction,
                    ),
                )
                self._index_representation(db, r)
            self._record_failures(db, failures, now)
            self._add_chrome_counts(db, chrome or {})
            db.executemany("INSERT OR REPLACE INTO entities VALUES (?,?,?)", [(k, lb, n) for k, (lb, n) in (entity_names or {}).items()])
        return inserted

    @staticmethod
    def _index_representation(db: sqlite3.Connection, r: Representation, sign: int = 1) -> None:
        """Index a stored representation (``sign`` -1: take it out): its block keys, by day, and the corpus counts.

        The event clusterer's candidates (articles sharing a key, within days) and rarity weights are read from
        these, so that placing new articles reads their neighbourhood, not every representation.
        """
        if sign > 0:
            day = _day(r.date)
            db.executemany("INSERT INTO rep_keys VALUES (?,?,?)", [(k, r.article_id, day) for k in sorted(block_keys(r))])
            rows = db.execute("SELECT value FROM meta WHERE key = 'copy_bands'").fetchone()
            if rows:
                db.executemany("INSERT INTO copy_bands VALUES (?,?,?)", [(*b, r.article_id) for b in _bands(r.minhash, rows[0])])
        else:
            db.execute("DELETE FROM rep_keys WHERE article_id = ?", (r.article_id,))
            db.execute("DELETE FROM copy_bands WHERE article_id = ?", (r.article_id,))
        counts = [("e", k, sign) for k in r.entities] + [("t", k, sign) for k in r.lexical]
        db.executemany("INSERT INTO doc_freq VALUES (?,?,?) ON CONFLICT(kind, key) DO UPDATE SET n = n + excluded.n", counts)
        db.execute("INSERT INTO meta VALUES ('represented', ?) ON CONFLICT(key) DO UPDATE SET value = value + ?", (sign, sign))

    def add_failures(self, failures: list[Failure]) -> None:
        """Record inputs that failed (replacing an older reason for the same input)."""
        with self.transaction() as db:
            self._record_failures(db, failures, time.time())

    @staticmethod
    def _record_failures(db: sqlite3.Connection, failures: list[Failure], now: float) -> None:
        """Insert failures inside an open transaction."""
        db.executemany("INSERT OR REPLACE INTO failures VALUES (?,?,?)", [(f.source, f.reason, now) for f in failures])

    def clear_failures(self, sources: Iterable[str]) -> None:
        """Forget failures of inputs that now succeeded."""
        with self.transaction() as db:
            db.executemany("DELETE FROM failures WHERE source = ?", [(s,) for s in sources])

    def failures(self) -> list[Failure]:
        """Every recorded failure, by input name."""
        return [Failure(s, r) for s, r in self.db.execute("SELECT source, reason FROM failures ORDER BY source")]

    def article(self, article_id: str) -> Article | None:
        """One stored article with its mentions and times, or None."""
        row = self.db.execute(f"SELECT {','.join(_ARTICLE_COLS)} FROM articles WHERE id=?", (article_id,)).fetchone()
        return self._article(row) if row else None

    def ids_from(self, path: str) -> set[str]:
        """The ids of the articles read from one input file (its lines and records included: ``path:N``)."""
        rows = self.db.execute(
            "SELECT id FROM articles WHERE source = ? OR (substr(source, 1, ?) = ? AND substr(source, ?) NOT GLOB '*[^0-9]*')",
            (path, len(path) + 1, path + ":", len(path) + 2),
        )
        return {r[0] for r in rows}

    def withdraw(self, ids: Iterable[str]) -> list[str]:
        """Remove articles whose input no longer holds them, with their analysis and event membership.

        An article other stored inputs copy stays: its content is still reported, by them.
        Events are not rebuilt here (the next :meth:`Pipeline.update_events` re-summarises them).

        Returns:
            The ids removed.
        """
        ids = sorted(set(ids))
        if not ids:
            return []  # no write transaction for a watch pass with nothing to withdraw
        # one pass over the table (duplicate_of has no index), returning only the ids asked about
        copied = {
            r[0]
            for r in self.db.execute(f"SELECT DISTINCT duplicate_of FROM articles WHERE duplicate_of IN ({','.join('?' * len(ids))})", ids)
        }
        gone = [i for i in ids if i not in copied]
        with self.transaction() as db:
            for r in self.representations(gone):
                self._index_representation(db, r, -1)
            for table, column in (
                ("mentions", "article_id"),
                ("times", "article_id"),
                ("interactions", "article_id"),
                ("representations", "article_id"),
                ("memberships", "article_id"),
                ("articles", "id"),
            ):
                db.executemany(f"DELETE FROM {table} WHERE {column} = ?", [(i,) for i in gone])
            if gone:
                self._bump_generation(db)  # memberships changed: a grouping held in memory is stale
        return gone

    def copies(self) -> dict[str, str]:
        """Near-duplicate copy id -> the id of the original it copies."""
        return dict(self.db.execute("SELECT id, duplicate_of FROM articles WHERE duplicate_of IS NOT NULL ORDER BY added_at, id"))

    def articles(self) -> list[Article]:
        """Every stored article (without mentions), in insertion order."""
        rows = self.db.execute(f"SELECT {','.join(_ARTICLE_COLS)} FROM articles ORDER BY added_at, id")
        return [self._article(r, details=False) for r in rows]

    def _article(self, row: tuple, details: bool = True) -> Article:
        """Build an article from a row."""
        data = dict(zip(_ARTICLE_COLS, row, strict=True))
        data["removed"], data["notes"] = json.loads(data["removed"]), json.loads(data["notes"])
        art = Article(**data)
        if details:
            art.mentions = [
                Mention(*r)
                for r in self.db.execute(
                    "SELECT article_id, start, end, text, label, entity_id FROM mentions WHERE article_id=? ORDER BY start", (art.id,)
                )
            ]
            art.times = [
                TimeExpression(*r)
                for r in self.db.execute(
                    "SELECT article_id, start, end, text, value, granularity, rule FROM times WHERE article_id=? ORDER BY start", (art.id,)
                )
            ]
            art.interactions = self.interactions([art.id])
        return art

    def originals(self) -> list[str]:
        """The ids of the stored articles that copy no other, in insertion order."""
        return [r[0] for r in self.db.execute("SELECT id FROM articles WHERE duplicate_of IS NULL ORDER BY added_at, id")]

    def set_interactions(self, articles: list[Article], keys: dict[str, str | None]) -> None:
        """Replace stored articles' interactions and their representations' main-interaction keys, atomically.

        Args:
            articles: stored articles with their (re-)extracted ``interactions``.
            keys: article id -> :func:`represent.interaction_key` of the article.
        """
        with self.transaction() as db:
            cols = ",".join(_INTERACTION_COLS)
            for art in articles:
                db.execute("DELETE FROM interactions WHERE article_id = ?", (art.id,))
                db.executemany(
                    f"INSERT INTO interactions ({cols}) VALUES ({','.join('?' * len(_INTERACTION_COLS))})",
                    [_interaction_row(i) for i in art.interactions],
                )
                db.execute("UPDATE representations SET interaction = ? WHERE article_id = ?", (keys.get(art.id), art.id))

    def interactions(self, article_ids: Iterable[str] | None = None) -> list[Interaction]:
        """The stored interactions of some articles (of every article by default), in article and text order."""
        sql = f"SELECT {','.join(_INTERACTION_COLS)} FROM interactions"
        if article_ids is None:
            rows = self.db.execute(f"{sql} ORDER BY rowid")
        else:
            ids = list(article_ids)
            rows = self.db.execute(f"{sql} WHERE article_id IN ({','.join('?' * len(ids))}) ORDER BY rowid", ids)
        out = []
        for row in rows:
            data = dict(zip(_INTERACTION_COLS, row, strict=True))
            for col in _LIST_COLS:
                data[col] = json.loads(data[col])
            out.append(Interaction(**data))
        return out

    def titles(self, article_ids: Iterable[str]) -> dict[str, str]:
        """Article id -> title, for the ids that are stored (read without the texts, a few hundred ids a query)."""
        ids = list(dict.fromkeys(article_ids))
        out: dict[str, str] = {}
        for k in range(0, len(ids), 500):
            chunk = ids[k : k + 500]
            out.update(self.db.execute(f"SELECT id, title FROM articles WHERE id IN ({','.join('?' * len(chunk))})", chunk))
        return out

    def minhashes(self) -> Iterator[tuple[str, MinHash]]:
        """(article id, MinHash) of every stored representation, in insertion order, without decoding the rest."""
        for aid, mh in self.db.execute("SELECT article_id, minhash FROM representations ORDER BY rowid"):
            yield aid, _minhash(mh)

    def representations(self, ids: Iterable[str] | None = None) -> list[Representation]:
        """Every stored representation (or those of ``ids`` that are stored), by article id."""
        if ids is None:
            rows: Iterable[tuple] = self.db.execute(f"SELECT {_REP_COLS} FROM representations ORDER BY article_id")
        else:
            rows = sorted(self._rows_in(f"SELECT {_REP_COLS} FROM representations WHERE article_id IN ({{marks}})", ids))
        out = []
        for aid, lang, date, lex, lead, ents, nums, mh, emb, weekday, days, interaction in rows:
            out.append(
                Representation(
                    aid,
                    lang,
                    date,
                    json.loads(lex),
                    json.loads(lead),
                    json.loads(ents),
                    frozenset(json.loads(nums)),
                    _minhash(mh),
                    np.frombuffer(emb, dtype=np.float32).copy(),
                    weekday,
                    frozenset(json.loads(days)),
                    interaction,
                )
            )
        return out

    def _rows_in(self, sql: str, values: Iterable, extra: tuple = ()) -> list[tuple]:
        """Rows of ``sql`` whose ``{marks}`` is filled with ``values``, a few hundred at a time (then ``extra``)."""
        values = sorted(set(values))
        rows: list[tuple] = []
        for k in range(0, len(values), 500):
            chunk = values[k : k + 500]
            rows += self.db.execute(sql.format(marks=",".join("?" * len(chunk))), [*chunk, *extra]).fetchall()
        return rows

    # -- what placing new articles reads: their neighbourhood, never the whole store ---------------
    def unplaced(self) -> list[Representation]:
        """The stored representations of articles in no event yet (stored by a run killed before it grouped them)."""
        sql = "SELECT article_id FROM representations WHERE article_id NOT IN (SELECT article_id FROM memberships)"
        ids = [r[0] for r in self.db.execute(sql)]
        return self.representations(ids)

    def represented(self) -> int:
        """How many representations the corpus counts (:meth:`doc_freqs`) are over."""
        return int(self.get_meta("represented") or 0)

    def sharing_keys(self, keys: Iterable[str], day: int | None = None, window: int = 0) -> set[str]:
        """Articles whose representation has one of ``keys`` (:func:`~chronique.stages.represent.block_keys`).

        Args:
            keys: block keys.
            day: the asking article's day number (``date.toordinal()``), if dated.
            window: with ``day``, dated articles further apart than this many days are left out (0: none are).
        """
        return {r[0] for r in self._keyed("article_id", "rep_keys", keys, day, window)}

    def _keyed(self, select: str, table: str, keys: Iterable[str], day: int | None, window: int, group: str = "") -> list[tuple]:
        """Rows of ``table`` (``rep_keys`` or ``story_keys``) with one of ``keys``, dated within ``window`` days of
        ``day`` or undated (all of them when ``day`` or ``window`` is missing)."""
        sql = f"SELECT {select} FROM {table} WHERE key IN ({{marks}})"
        if day is None or not window:
            return self._rows_in(sql + group, keys)
        # two range scans of the (key, day) index, where "day IS NULL OR day BETWEEN" would read every day of each key
        keys = list(keys)
        dated = self._rows_in(sql + " AND day BETWEEN ? AND ?" + group, keys, (day - window, day + window))
        return dated + self._rows_in(sql + " AND day IS NULL" + group, keys)

    def doc_freqs(self, kind: str, keys: Iterable[str]) -> dict[str, int]:
        """How many stored representations have each of ``keys``: ``kind`` ``e`` for names, ``t`` for lexical features."""
        rows = self._rows_in("SELECT key, n FROM doc_freq WHERE key IN ({marks}) AND kind = ? AND n > 0", keys, (kind,))
        return dict(rows)

    def events_of(self, article_ids: Iterable[str]) -> dict[str, str]:
        """Article id -> event id, for those of ``article_ids`` in an event."""
        return dict(self._rows_in("SELECT article_id, event_id FROM memberships WHERE article_id IN ({marks})", article_ids))

    def members(self, event_ids: Iterable[str]) -> dict[str, list[str]]:
        """Event id -> its member article ids (copies included), sorted."""
        out: dict[str, list[str]] = {}
        for eid, aid in sorted(self._rows_in("SELECT event_id, article_id FROM memberships WHERE event_id IN ({marks})", event_ids)):
            out.setdefault(eid, []).append(aid)
        return out

    def copies_of(self, article_ids: Iterable[str]) -> dict[str, str]:
        """Copy id -> original id, for the copies among ``article_ids`` and the copies of those that are originals."""
        ids = list(article_ids)
        rows = self._rows_in("SELECT id, duplicate_of FROM articles WHERE duplicate_of IN ({marks})", ids)
        rows += self._rows_in("SELECT id, duplicate_of FROM articles WHERE duplicate_of IS NOT NULL AND id IN ({marks})", ids)
        return dict(sorted(rows))

    def event_ids_in_use(self, ids: Iterable[str]) -> set[str]:
        """Those of ``ids`` that name a stored event."""
        return {r[0] for r in self._rows_in("SELECT id FROM events WHERE id IN ({marks})", ids)}

    def event_key_counts(self, keys: Iterable[str], date: str | None = None, window: int = 0) -> dict[str, int]:
        """How many stored events have each of ``keys`` among their sampled members' block keys.

        Args:
            keys: block keys.
            date: with ``window``, only the events dated within ``window`` days of this ISO date count (and the
                undated ones).
            window: days.
        """
        counts: dict[str, int] = {}
        for key, n in self._keyed("key, COUNT(*)", "story_keys", keys, _day(date), window, " GROUP BY key"):
            counts[key] = counts.get(key, 0) + n  # the dated and the undated
        return counts

    def events_with_keys(self, keys: Iterable[str], date: str | None = None, window: int = 0) -> set[str]:
        """The stored events with one of ``keys`` among their sampled members' block keys (within ``window`` days of
        ``date``, or undated, when both are given)."""
        return {r[0] for r in self._keyed("event_id", "story_keys", keys, _day(date), window)}

    def event_keys(self, event_ids: Iterable[str]) -> dict[str, set[str]]:
        """Event id -> the block keys of its sampled members, as stored."""
        out: dict[str, set[str]] = {}
        for eid, key in self._rows_in("SELECT event_id, key FROM story_keys WHERE event_id IN ({marks})", event_ids):
            out.setdefault(eid, set()).add(key)
        return out

    def sampled_members(self, event_ids: Iterable[str], n: int) -> dict[str, list[str]]:
        """Event id -> its first ``n`` members (by id) that have a representation."""
        sql = (
            "SELECT m.event_id, m.article_id FROM memberships m JOIN representations r ON r.article_id = m.article_id"
            " WHERE m.event_id IN ({marks})"
        )
        out: dict[str, list[str]] = {}
        for eid, aid in sorted(self._rows_in(sql, event_ids)):
            if len(got := out.setdefault(eid, [])) < n:
                got.append(aid)
        return out

    def empty_events(self) -> set[str]:
        """Stored events left without members (theirs were withdrawn)."""
        return {r[0] for r in self.db.execute("SELECT id FROM events WHERE id NOT IN (SELECT event_id FROM memberships)")}

    def story_events(self, story_ids: Iterable[str]) -> set[str]:
        """The ids of the events of some stories."""
        return {r[0] for r in self._rows_in("SELECT id FROM events WHERE story_id IN ({marks})", story_ids)}

    def placed_embeddings(self) -> tuple[list[str], np.ndarray]:
        """The embeddings of the articles in an event, one row each in storage order, and their article ids.

        Embeddings of another size than the first (a store built with two embedders) are left out.
        """
        placed = {r[0] for r in self.db.execute("SELECT article_id FROM memberships")}  # cheaper than a join
        rows = [
            (aid, emb)
            for aid, emb in self.db.execute("SELECT article_id, embedding FROM representations ORDER BY rowid")
            if emb and aid in placed
        ]
        size = len(rows[0][1]) if rows else 0
        rows = [(aid, emb) for aid, emb in rows if len(emb) == size]
        matrix = np.frombuffer(b"".join(emb for _, emb in rows), dtype=np.float32).reshape(len(rows), size // 4)
        return [aid for aid, _ in rows], matrix

    def use_copy_bands(self, bands: int, rows: int) -> None:
        """Keep the stored originals' MinHash signatures in LSH bands of ``rows`` hash values (``bands`` of them), so
        that :meth:`copy_candidates` finds the originals a text may copy without reading every signature; the
        first call with another shape (the copy threshold changed) rebands every stored signature, once."""
        scheme = f"{bands}x{rows}"
        if self.get_meta("copy_bands") == scheme:
            return
        with self.transaction() as db:
            db.execute("DELETE FROM copy_bands")
            db.execute("INSERT OR REPLACE INTO meta VALUES ('copy_bands', ?)", (scheme,))
            for aid, mh in self.minhashes():
                db.executemany("INSERT INTO copy_bands VALUES (?,?,?)", [(*b, aid) for b in _bands(mh, scheme)])

    def copy_candidates(self, mh: MinHash) -> list[tuple[str, MinHash]]:
        """The stored originals sharing an LSH band with ``mh`` (see :meth:`use_copy_bands`), in storage order."""
        scheme = self.get_meta("copy_bands")
        if scheme is None:
            return []
        found: set[str] = set()
        for band, key in _bands(mh, scheme):
            found |= {r[0] for r in self.db.execute("SELECT article_id FROM copy_bands WHERE band = ? AND hash = ?", (band, key))}
        rows = self._rows_in("SELECT rowid, article_id, minhash FROM representations WHERE article_id IN ({marks})", found)
        return [(aid, _minhash(blob)) for _, aid, blob in sorted(rows)]

    def counts(self) -> tuple[int, int]:
        """(events, stories) stored."""
        return (self.db.execute("SELECT COUNT(*) FROM events").fetchone()[0], self.db.execute("SELECT COUNT(*) FROM stories").fetchone()[0])

    # -- chrome -----------------------------------------------------------------------------
    def chrome_counts(self) -> dict[tuple[str, str], int]:
        """The stored repeated-line counts."""
        return {(g, k): n for g, k, n in self.db.execute("SELECT grp, line, n FROM chrome_lines")}

    def save_chrome_counts(self, counts: dict[tuple[str, str], int]) -> None:
        """Replace the repeated-line counts."""
        with self.transaction() as db:
            db.executemany("INSERT OR REPLACE INTO chrome_lines VALUES (?,?,?)", [(g, k, n) for (g, k), n in counts.items()])

    @staticmethod
    def _add_chrome_counts(db: sqlite3.Connection, counts: dict[tuple[str, str], int]) -> None:
        """Add counts to the stored ones inside an open transaction (increments, so two writers add up)."""
        db.executemany(
            "INSERT INTO chrome_lines VALUES (?,?,?) ON CONFLICT(grp, line) DO UPDATE SET n = n + excluded.n",
            [(g, k, n) for (g, k), n in counts.items()],
        )

    # -- events and stories -----------------------------------------------------------------
    def save_events(self, events: list[Event], stories: list[Story], entity_names: dict[str, tuple[str, str]]) -> None:
        """Replace the events, memberships, stories and entity names in one transaction."""
        with self.transaction() as db:
            db.execute("DELETE FROM memberships")
            db.execute("DELETE FROM events")
            db.execute("DELETE FROM story_keys")
            db.execute("DELETE FROM stories")
            self._write_grouping(db, events, stories, entity_names)
            self._bump_generation(db)

    def update_grouping(
        self,
        events: list[Event],
        removed_events: Iterable[str],
        stories: list[Story],
        removed_stories: Iterable[str],
        entity_names: dict[str, tuple[str, str]],
    ) -> int:
        """Write what changed in the grouping, in one transaction, and count the change.

        Args:
            events: events to write (new, or with new members, summary or story); others stay as stored.
            removed_events: ids of stored events that no longer exist.
            stories: stories to write; removed_stories: ids of stored stories that no longer exist.
            entity_names: entity id -> (label, display name), added or replaced.

        Returns:
            The store's new grouping generation (see :meth:`grouping_generation`).
        """
        gone = sorted({*removed_events, *(e.id for e in events)})
        with self.transaction() as db:
            for k in range(0, len(gone), 500):
                chunk = gone[k : k + 500]
                marks = ",".join("?" * len(chunk))
                db.execute(f"DELETE FROM memberships WHERE event_id IN ({marks})", chunk)
                db.execute(f"DELETE FROM events WHERE id IN ({marks})", chunk)
                db.execute(f"DELETE FROM story_keys WHERE event_id IN ({marks})", chunk)
            db.executemany("DELETE FROM stories WHERE id=?", [(i,) for i in sorted({*removed_stories, *(s.id for s in stories)})])
            self._write_grouping(db, events, stories, entity_names)
            return self._bump_generation(db)

    def _write_grouping(
        self, db: sqlite3.Connection, events: list[Event], stories: list[Story], entity_names: dict[str, tuple[str, str]]
    ) -> None:
        """Insert events with their memberships, stories and entity names (inside a transaction)."""
        for ev in events:
            summary = json.dumps([{"text": s.text, "articles": s.article_ids} for s in ev.summary], ensure_ascii=False)
            db.execute(
                "INSERT INTO events VALUES (?,?,?,?,?,?,?)",
                (ev.id, ev.headline, ev.date, ev.date_evidence, summary, json.dumps(ev.entities), ev.story_id),
            )
            db.executemany("INSERT INTO memberships VALUES (?,?)", [(ev.id, a) for a in ev.article_ids])
            self._index_event(db, ev.id)
        for st in stories:
            db.execute("INSERT INTO stories VALUES (?,?,?)", (st.id, st.title, json.dumps(st.event_ids)))
        db.executemany("INSERT OR REPLACE INTO entities VALUES (?,?,?)", [(k, label, name) for k, (label, name) in entity_names.items()])

    @staticmethod
    def _index_event(db: sqlite3.Connection, event_id: str) -> None:
        """Index a written event by the block keys of its sampled members (its first ``STORY_SAMPLE`` with a
        representation, as stories compare them), so that stories find the events a changed one may link to."""
        db.execute("DELETE FROM story_keys WHERE event_id = ?", (event_id,))
        date = db.execute("SELECT date FROM events WHERE id = ?", (event_id,)).fetchone()[0]
        db.execute(
            "INSERT INTO story_keys SELECT DISTINCT k.key, ?, ? FROM rep_keys k WHERE k.article_id IN ("
            " SELECT m.article_id FROM memberships m JOIN representations r ON r.article_id = m.article_id"
            " WHERE m.event_id = ? ORDER BY m.article_id LIMIT ?)",
            (event_id, _day(date), event_id, STORY_SAMPLE),
        )

    def save_entity_names(self, entity_names: dict[str, tuple[str, str]]) -> None:
        """Add or replace entity names (label, display name), without touching the grouping."""
        with self.transaction() as db:
            rows = [(k, label, name) for k, (label, name) in entity_names.items()]
            db.executemany("INSERT OR REPLACE INTO entities VALUES (?,?,?)", rows)

    @staticmethod
    def _bump_generation(db: sqlite3.Connection) -> int:
        """Count one more change of the grouping (inside a transaction) and return the count."""
        row = db.execute("SELECT value FROM meta WHERE key='grouping_generation'").fetchone()
        value = int(row[0]) + 1 if row else 1
        db.execute("INSERT OR REPLACE INTO meta VALUES ('grouping_generation', ?)", (str(value),))
        return value

    def grouping_generation(self) -> int:
        """How many times the grouping was written: a process that holds it in memory reloads when this moved."""
        return int(self.get_meta("grouping_generation") or 0)

    def events(self, ids: Iterable[str] | None = None) -> list[Event]:
        """Every event (or those of ``ids`` that exist) with its members, by date (unknown dates last) then id."""
        # one query over every event, or one per chunk of ids ({col}: the id column of each table)
        where: list[tuple[str, list[str]]] = [("", [])]
        if ids is not None:
            wanted = sorted(set(ids))
            chunks = [wanted[k : k + 500] for k in range(0, len(wanted), 500)]
            where = [(f" WHERE {{col}} IN ({','.join('?' * len(c))})", c) for c in chunks]
        members: dict[str, list[str]] = {}
        rows = []
        for clause, params in where:
            sql = "SELECT event_id, article_id FROM memberships" + clause.format(col="event_id") + " ORDER BY article_id"
            for ev_id, aid in self.db.execute(sql, params):
                members.setdefault(ev_id, []).append(aid)
            rows += self.db.execute("SELECT * FROM events" + clause.format(col="id"), params).fetchall()
        out = []
        for eid, head, date, evid, summ, ents, story in sorted(rows, key=lambda r: (r[2] is None, r[2] or "", r[0])):
            summary = [SummarySentence(s["text"], s["articles"]) for s in json.loads(summ)]
            out.append(Event(eid, head, date, evid, summary, members.get(eid, []), json.loads(ents), story))
        return out

    def stories(self) -> list[Story]:
        """Every story."""
        return [Story(i, t, json.loads(e)) for i, t, e in self.db.execute("SELECT * FROM stories ORDER BY id")]

    def story(self, story_id: str) -> Story | None:
        """One story, or None."""
        row = self.db.execute("SELECT * FROM stories WHERE id = ?", (story_id,)).fetchone()
        return None if row is None else Story(row[0], row[1], json.loads(row[2]))

    def entity_names(self) -> dict[str, tuple[str, str]]:
        """Entity id -> (label, display name)."""
        return {i: (label, name) for i, label, name in self.db.execute("SELECT id, label, name FROM entities")}

    def memberships(self) -> dict[str, str]:
        """Article id -> event id."""
        return dict(self.db.execute("SELECT article_id, event_id FROM memberships"))

    def get_meta(self, key: str) -> str | None:
        """A value of the store's ``meta`` table (``embedder``: the embedder the events were built with)."""
        row = self.db.execute("SELECT value FROM meta WHERE key=?", (key,)).fetchone()
        return row[0] if row else None

    def set_meta(self, key: str, value: str) -> None:
        """Set a value of the store's ``meta`` table."""
        with self.transaction() as db:
            db.execute("INSERT OR REPLACE INTO meta VALUES (?, ?)", (key, value))

    # -- full-text index and read-only queries (used by ``chronique serve``) ---------------------
    def _ensure_fts(self) -> None:
        """Create the full-text index if missing, and fill it from the articles a store already holds.

        Raises:
            sqlite3.DatabaseError: the SQLite library lacks FTS5.
        """
        if self.db.execute("SELECT 1 FROM sqlite_master WHERE name='articles_fts'").fetchone():
            return
        # One script, one IMMEDIATE transaction: a second process doing the same waits, then rebuilds harmlessly.
        self.db.executescript(f"BEGIN IMMEDIATE; {_FTS_SCHEMA} INSERT INTO articles_fts(articles_fts) VALUES ('rebuild'); COMMIT;")

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
        store = cls.__new__(cls)
        store.path = str(path)
        try:
            store.db = sqlite3.connect(store.path, timeout=timeout, isolation_level=None, check_same_thread=False)
            store.db.execute("PRAGMA query_only=ON")
        except sqlite3.DatabaseError as exc:
            raise StoreError(f"{store.path}: cannot open for reading: {exc}") from None
        return store

    # -- inputs: crawled URLs, watched files, writers ---------------------------------------------
    def has_url(self, url: str) -> bool:
        """Whether an article fetched from ``url`` is stored.

        Args:
            url: the URL asked for (crawled and feed pages keep it as their ``url``).

        Returns:
            True when some stored article has this URL.
        """
        return self.db.execute("SELECT 1 FROM articles WHERE url = ? LIMIT 1", (url,)).fetchone() is not None

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

    @contextmanager
    def exclusive(self) -> Iterator[None]:
        """Hold the store's writer lock (a lock file beside the database) for a read-then-rewrite step.

        Two processes that rebuild events each read the store and then replace the events; holding
        this lock around the pair makes the second one read what the first wrote. The operating
        system releases the lock when a process dies, so a killed run never leaves it held.

        Yields:
            Nothing; the lock is held inside the ``with`` block.
        """
        if self.path == ":memory:" or fcntl is None:
            yield
            return
        with open(self.path + ".lock", "a+b") as fh:
            fcntl.flock(fh, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(fh, fcntl.LOCK_UN)


def _bands(mh: MinHash, scheme: str) -> list[tuple[int, bytes]]:
    """(band, its hash values as bytes) of a signature, ``scheme`` being "BANDSxROWS" (datasketch's LSH shape)."""
    bands, rows = map(int, scheme.split("x"))
    values = np.asarray(mh.hashvalues, dtype="<u8")
    return [(b, values[b * rows : (b + 1) * rows].tobytes()) for b in range(bands)]


def _day(date: str | None) -> int | None:
    """An ISO date's day number (``date.toordinal``), or None."""
    return dt.date.fromisoformat(date[:10]).toordinal() if date else None


def _interaction_row(i: Interaction) -> list:
    row = [getattr(i, c) for c in _INTERACTION_COLS]
    for col in _LIST_COLS:
        row[_INTERACTION_COLS.index(col)] = json.dumps(getattr(i, col), ensure_ascii=False)
    return row


def _migrate_weekday(art: Article) -> int | None:
    """The weekday column of a stored article (see :func:`chronique.stages.dates.event_weekday`)."""
    from .stages.dates import event_weekday

    return event_weekday(art)


def _migrate_days(art: Article) -> str:
    """The days column of a stored article: the days its stored time expressions name."""
    return json.dumps(sorted(named_days(art)))
