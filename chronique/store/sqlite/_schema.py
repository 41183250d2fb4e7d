"""The SQLite store's schema and its named migrations, recorded in the store (``sqlite_utils.migrations``).

A store written by an earlier version is brought up to date when it is opened: each migration not yet recorded
in its ``_sqlite_migrations`` table runs, in order, and is recorded with it. All of them run in one IMMEDIATE
transaction, so that two processes opening one new store queue rather than both creating it. Each migration is
idempotent (a store from before migrations were recorded already holds some of their work) and says why it exists.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable

from sqlite_utils import Database
from sqlite_utils.migrations import Migrations

from ...records import Article
from ...stages.represent import named_days
from ._articles import ArticleRepository, index_representation
from ._grouping import index_event

__all__ = ["MIGRATIONS", "SCHEMA_VERSION", "migrate"]

SCHEMA_VERSION = 1  # a store of another version is refused (the migrations below keep version 1 readable)
_INDEXES = "2"  # the layout of what placing reads (rep_keys, doc_freq, story_keys), recorded in ``meta``
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

MIGRATIONS = Migrations("chronique")


@MIGRATIONS(name="0001_tables")
def _tables(db: Database) -> None:
    """Every table and index of the current layout (a no-op on a store that has them)."""
    _run_script(db.conn, _SCHEMA)


@MIGRATIONS(name="0002_representations_weekday")
def _weekday(db: Database) -> None:
    """The weekday an article's event fell on, which dates of two reports can be checked against."""
    from ...stages.dates import event_weekday

    _add_representation_column(db.conn, "weekday INTEGER", event_weekday)


@MIGRATIONS(name="0003_representations_days")
def _days(db: Database) -> None:
    """The days an article's time expressions name."""
    _add_representation_column(db.conn, "days TEXT NOT NULL DEFAULT '[]'", lambda art: json.dumps(sorted(named_days(art))))


@MIGRATIONS(name="0004_representations_interaction")
def _interaction(db: Database) -> None:
    """The key of an article's main interaction (it needs the parser: stored reports keep none, new ones get theirs)."""
    _add_representation_column(db.conn, "interaction TEXT", lambda art: None)


@MIGRATIONS(name="0005_placement_indexes")
def _placement_indexes(db: Database) -> None:
    """What placing new articles reads (block keys by day, corpus counts, events' sampled keys), for every
    representation and event a store written before these indexes holds."""
    conn = db.conn
    if conn.execute("SELECT 1 FROM meta WHERE key = 'indexes' AND value = ?", (_INDEXES,)).fetchone():
        return
    conn.execute("DROP TABLE IF EXISTS event_keys")  # the first layout of story_keys, without days
    for table in ("rep_keys", "doc_freq", "story_keys"):
        conn.execute(f"DELETE FROM {table}")
    conn.execute("INSERT OR REPLACE INTO meta VALUES ('represented', 0)")
    conn.execute("INSERT OR REPLACE INTO meta VALUES ('indexes', ?)", (_INDEXES,))
    for r in ArticleRepository.on(conn).representations():
        index_representation(conn, r)
    for (eid,) in conn.execute("SELECT id FROM events").fetchall():
        index_event(conn, eid)


@MIGRATIONS(name="0006_articles_fts")
def _articles_fts(db: Database) -> None:
    """The full-text index over titles and texts, filled from the articles a store already holds."""
    if not db.conn.execute("SELECT 1 FROM sqlite_master WHERE name='articles_fts'").fetchone():
        _run_script(db.conn, _FTS_SCHEMA + "INSERT INTO articles_fts(articles_fts) VALUES ('rebuild');")


@MIGRATIONS(name="0007_stale_events")
def _stale_events(db: Database) -> None:
    """The events that lost a report since they were last written: the next placement summarises them again."""
    db.conn.execute("CREATE TABLE IF NOT EXISTS stale_events (event_id TEXT PRIMARY KEY) WITHOUT ROWID")


@MIGRATIONS(name="0008_stale_empty_events")
def _stale_empty_events(db: Database) -> None:
    """Mark the events a withdrawal left without members before withdrawals marked them: the next placement
    removes them, as it removes every stale event left empty."""
    db.conn.execute("INSERT OR IGNORE INTO stale_events SELECT id FROM events WHERE id NOT IN (SELECT event_id FROM memberships)")


def migrate(conn: sqlite3.Connection) -> list[str]:
    """Apply the migrations a store has not recorded, in one IMMEDIATE transaction.

    Args:
        conn: an open connection in autocommit mode (``isolation_level=None``).

    Returns:
        The names of the migrations applied (none for a store already up to date).

    Raises:
        sqlite3.DatabaseError: the file is not a SQLite database, or the library lacks FTS5.
    """
    db = Database(conn, recursive_triggers=False, execute_plugins=False)
    if not MIGRATIONS.pending(db):  # read only: an up-to-date store takes no write lock
        return []
    conn.execute("BEGIN IMMEDIATE")  # a second process opening the same new store waits here, then finds none pending
    try:
        pending = [m.name for m in MIGRATIONS.pending(db)]
        MIGRATIONS.apply(db)  # inside a transaction, sqlite_utils runs each migration in a savepoint
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    conn.execute("COMMIT")
    return pending


def _run_script(conn: sqlite3.Connection, script: str) -> None:
    """Run a script statement by statement (``executescript`` would commit the open transaction first)."""
    statement = ""
    for line in script.splitlines(keepends=True):
        statement += line
        if sqlite3.complete_statement(statement):
            conn.execute(statement)
            statement = ""
    if statement.strip():
        raise ValueError(f"expected complete SQL statements, got a trailing fragment: {statement[:80]!r}")


def _add_representation_column(conn: sqlite3.Connection, column: str, fill: Callable[[Article], object]) -> None:
    """Add a column to the representations, where missing, and fill it from each stored article (None: its default)."""
    name = column.split()[0]
    if name in {row[1] for row in conn.execute("PRAGMA table_info(representations)")}:
        return
    conn.execute(f"ALTER TABLE representations ADD COLUMN {column}")
    articles = ArticleRepository.on(conn)
    for (aid,) in conn.execute("SELECT article_id FROM representations").fetchall():
        art = articles.article(aid)
        if art is not None and (value := fill(art)) is not None:
            conn.execute(f"UPDATE representations SET {name}=? WHERE article_id=?", (value, aid))
