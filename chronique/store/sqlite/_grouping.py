"""The grouping's repository: events, their members and stories, and what placing new articles reads of them.

Placing a batch reads its neighbourhood through indexes kept in the same transactions as the grouping
(:mod:`chronique.events.placement`): ``rep_keys`` (each representation's block keys, by day), ``doc_freq`` (how
many representations have each name and word) and ``story_keys`` (each event's sampled keys, by day).
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable

from ...records import Event, Story, SummarySentence
from ...settings import STORY_SAMPLE
from ._base import Connection, day_number

__all__ = ["GroupingRepository", "bump_generation", "index_event"]


class GroupingRepository(Connection):
    """Events, memberships, stories and entity names (a part of :class:`~chronique.store.Store`)."""

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
        for key, n in self._keyed("key, COUNT(*)", "story_keys", keys, day_number(date), window, " GROUP BY key"):
            counts[key] = counts.get(key, 0) + n  # the dated and the undated
        return counts

    def events_with_keys(self, keys: Iterable[str], date: str | None = None, window: int = 0) -> set[str]:
        """The stored events with one of ``keys`` among their sampled members' block keys (within ``window`` days of
        ``date``, or undated, when both are given)."""
        return {r[0] for r in self._keyed("event_id", "story_keys", keys, day_number(date), window)}

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

    def stale_events(self) -> set[str]:
        """The events that lost a report (withdrawn) since they were last written, those left empty included."""
        return {r[0] for r in self.db.execute("SELECT event_id FROM stale_events")}

    def story_events(self, story_ids: Iterable[str]) -> set[str]:
        """The ids of the events of some stories."""
        return {r[0] for r in self._rows_in("SELECT id FROM events WHERE story_id IN ({marks})", story_ids)}

    def counts(self) -> tuple[int, int]:
        """(events, stories) stored."""
        return (self.db.execute("SELECT COUNT(*) FROM events").fetchone()[0], self.db.execute("SELECT COUNT(*) FROM stories").fetchone()[0])

    def save_events(self, events: list[Event], stories: list[Story], entity_names: dict[str, tuple[str, str]]) -> None:
        """Replace the events, memberships, stories and entity names in one transaction."""
        with self.transaction() as db:
            db.execute("DELETE FROM memberships")
            db.execute("DELETE FROM events")
            db.execute("DELETE FROM story_keys")
            db.execute("DELETE FROM stories")
            db.execute("DELETE FROM stale_events")
            self._write_grouping(db, events, stories, entity_names)
            bump_generation(db)

    def update_grouping(
        self,
        events: list[Event],
        removed_events: Iterable[str],
        stories: list[Story],
        removed_stories: Iterable[str],
        entity_names: dict[str, tuple[str, str]],
        resummarised: Iterable[str] = (),
    ) -> int:
        """Write what changed in the grouping, in one transaction, and count the change.

        Args:
            events: events to write (new, or with new members, summary or story); others stay as stored.
            removed_events: ids of stored events that no longer exist.
            stories: stories to write; removed_stories: ids of stored stories that no longer exist.
            entity_names: entity id -> (label, display name), added or replaced.
            resummarised: the stale events (:meth:`stale_events`, as read before the placement) written again; only
                their marks are cleared, so that a report withdrawn meanwhile leaves its event marked.

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
            cleared = sorted({*removed_events, *resummarised})
            db.executemany("DELETE FROM stale_events WHERE event_id = ?", [(i,) for i in cleared])
            db.executemany("DELETE FROM stories WHERE id=?", [(i,) for i in sorted({*removed_stories, *(s.id for s in stories)})])
            self._write_grouping(db, events, stories, entity_names)
            return bump_generation(db)

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
            index_event(db, ev.id)
        for st in stories:
            db.execute("INSERT INTO stories VALUES (?,?,?)", (st.id, st.title, json.dumps(st.event_ids)))
        db.executemany("INSERT OR REPLACE INTO entities VALUES (?,?,?)", [(k, label, name) for k, (label, name) in entity_names.items()])

    def save_entity_names(self, entity_names: dict[str, tuple[str, str]]) -> None:
        """Add or replace entity names (label, display name), without touching the grouping."""
        with self.transaction() as db:
            rows = [(k, label, name) for k, (label, name) in entity_names.items()]
            db.executemany("INSERT OR REPLACE INTO entities VALUES (?,?,?)", rows)

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


def bump_generation(db: sqlite3.Connection) -> int:
    """Count one more change of the grouping (inside a transaction) and return the count."""
    row = db.execute("SELECT value FROM meta WHERE key='grouping_generation'").fetchone()
    value = int(row[0]) + 1 if row else 1
    db.execute("INSERT OR REPLACE INTO meta VALUES ('grouping_generation', ?)", (str(value),))
    return value


def index_event(db: sqlite3.Connection, event_id: str) -> None:
    """Index a written event by the block keys of its sampled members (its first ``STORY_SAMPLE`` with a
    representation, as stories compare them), so that stories find the events a changed one may link to."""
    db.execute("DELETE FROM story_keys WHERE event_id = ?", (event_id,))
    date = db.execute("SELECT date FROM events WHERE id = ?", (event_id,)).fetchone()[0]
    db.execute(
        "INSERT INTO story_keys SELECT DISTINCT k.key, ?, ? FROM rep_keys k WHERE k.article_id IN ("
        " SELECT m.article_id FROM memberships m JOIN representations r ON r.article_id = m.article_id"
        " WHERE m.event_id = ? ORDER BY m.article_id LIMIT ?)",
        (event_id, day_number(date), event_id, STORY_SAMPLE),
    )
