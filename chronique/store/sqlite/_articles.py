"""The articles' repository: what each article is, says and is represented by, and how copies are found.

Each batch of analysed articles is written in one transaction with what placing reads about them (their block
keys by day in ``rep_keys``, the corpus counts in ``doc_freq``, the originals' MinHash LSH bands in
``copy_bands``), so that a killed run loses at most the batch in flight.
"""

from __future__ import annotations

import json
import sqlite3
import time
from collections.abc import Iterable, Iterator

import numpy as np
from datasketch import MinHash

from ...records import Article, Failure, Interaction, Mention, TimeExpression
from ...stages.represent import Representation, block_keys
from ._base import Connection, day_number, lsh_bands, minhash
from ._grouping import bump_generation
from ._state import add_chrome_counts, record_failures

__all__ = ["ARTICLE_COLUMNS", "ArticleRepository", "index_representation"]

INTERACTION_COLUMNS = [
    "article_id", "start", "end", "sentence", "action", "verb", "actors", "targets", "polarity",
    "channel", "initiator", "date", "date_text", "place", "duration", "detail", "sides",
]  # fmt: skip
_LIST_COLS = ("actors", "targets", "sides")
_REP_COLS = "article_id, language, date, lexical, lead, entities, numbers, minhash, embedding, weekday, days, interaction"
ARTICLE_COLUMNS = [
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


class ArticleRepository(Connection):
    """Articles, their analysis and representations (a part of :class:`~chronique.store.Store`)."""

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
                row = [getattr(art, c) for c in ARTICLE_COLUMNS]
                row[ARTICLE_COLUMNS.index("removed")] = json.dumps(art.removed, ensure_ascii=False)
                row[ARTICLE_COLUMNS.index("notes")] = json.dumps(art.notes, ensure_ascii=False)
                cur = db.execute(
                    f"INSERT OR IGNORE INTO articles ({','.join(ARTICLE_COLUMNS)}, added_at) VALUES ({','.join('?' * (len(row) + 1))})",
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
                    f"INSERT INTO interactions ({','.join(INTERACTION_COLUMNS)}) VALUES ({','.join('?' * len(INTERACTION_COLUMNS))})",
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
                index_representation(db, r)
            record_failures(db, failures, now)
            add_chrome_counts(db, chrome or {})
            db.executemany("INSERT OR REPLACE INTO entities VALUES (?,?,?)", [(k, lb, n) for k, (lb, n) in (entity_names or {}).items()])
        return inserted

    def article(self, article_id: str) -> Article | None:
        """One stored article with its mentions and times, or None."""
        row = self.db.execute(f"SELECT {','.join(ARTICLE_COLUMNS)} FROM articles WHERE id=?", (article_id,)).fetchone()
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
        Events are not rebuilt here (the next :meth:`Pipeline.update_events` re-summarises them). The writer lock is
        held throughout: another process placing articles reads events, then writes them with their members, and a
        report withdrawn in between would be written back into its event (a foreign-key failure of that write).

        Returns:
            The ids removed.
        """
        ids = sorted(set(ids))
        if not ids:
            return []  # no write transaction for a watch pass with nothing to withdraw
        with self.exclusive():
            return self._withdraw(ids)

    def _withdraw(self, ids: list[str]) -> list[str]:
        """:meth:`withdraw`, under the writer lock."""
        # one pass over the table (duplicate_of has no index), returning only the ids asked about
        copied = {
            r[0]
            for r in self.db.execute(f"SELECT DISTINCT duplicate_of FROM articles WHERE duplicate_of IN ({','.join('?' * len(ids))})", ids)
        }
        gone = [i for i in ids if i not in copied]
        with self.transaction() as db:
            # the events losing a report are summarised again by the next placement (their summary may cite it)
            for k in range(0, len(gone), 500):
                chunk = gone[k : k + 500]
                marks = ",".join("?" * len(chunk))
                sql = "INSERT OR IGNORE INTO stale_events SELECT DISTINCT event_id FROM memberships WHERE article_id IN "
                db.execute(f"{sql}({marks})", chunk)
            for r in self.representations(gone):
                index_representation(db, r, -1)
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
                bump_generation(db)  # memberships changed: a grouping held in memory is stale
        return gone

    def copies(self) -> dict[str, str]:
        """Near-duplicate copy id -> the id of the original it copies."""
        return dict(self.db.execute("SELECT id, duplicate_of FROM articles WHERE duplicate_of IS NOT NULL ORDER BY added_at, id"))

    def articles(self) -> list[Article]:
        """Every stored article (without mentions), in insertion order."""
        rows = self.db.execute(f"SELECT {','.join(ARTICLE_COLUMNS)} FROM articles ORDER BY added_at, id")
        return [self._article(r, details=False) for r in rows]

    def _article(self, row: tuple, details: bool = True) -> Article:
        """Build an article from a row."""
        data = dict(zip(ARTICLE_COLUMNS, row, strict=True))
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
            cols = ",".join(INTERACTION_COLUMNS)
            for art in articles:
                db.execute("DELETE FROM interactions WHERE article_id = ?", (art.id,))
                db.executemany(
                    f"INSERT INTO interactions ({cols}) VALUES ({','.join('?' * len(INTERACTION_COLUMNS))})",
                    [_interaction_row(i) for i in art.interactions],
                )
                db.execute("UPDATE representations SET interaction = ? WHERE article_id = ?", (keys.get(art.id), art.id))

    def interactions(self, article_ids: Iterable[str] | None = None) -> list[Interaction]:
        """The stored interactions of some articles (of every article by default), in article and text order."""
        sql = f"SELECT {','.join(INTERACTION_COLUMNS)} FROM interactions"
        if article_ids is None:
            rows = self.db.execute(f"{sql} ORDER BY rowid")
        else:
            ids = list(article_ids)
            rows = self.db.execute(f"{sql} WHERE article_id IN ({','.join('?' * len(ids))}) ORDER BY rowid", ids)
        out = []
        for row in rows:
            data = dict(zip(INTERACTION_COLUMNS, row, strict=True))
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
            yield aid, minhash(mh)

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
                    minhash(mh),
                    np.frombuffer(emb, dtype=np.float32).copy(),
                    weekday,
                    frozenset(json.loads(days)),
                    interaction,
                )
            )
        return out

    def unplaced(self) -> list[Representation]:
        """The stored representations of articles in no event yet (stored by a run killed before it grouped them)."""
        sql = "SELECT article_id FROM representations WHERE article_id NOT IN (SELECT article_id FROM memberships)"
        ids = [r[0] for r in self.db.execute(sql)]
        return self.representations(ids)

    def represented(self) -> int:
        """How many representations the corpus counts (:meth:`doc_freqs`) are over."""
        return int(self.get_meta("represented") or 0)

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
                db.executemany("INSERT INTO copy_bands VALUES (?,?,?)", [(*b, aid) for b in lsh_bands(mh, scheme)])

    def copy_candidates(self, mh: MinHash) -> list[tuple[str, MinHash]]:
        """The stored originals sharing an LSH band with ``mh`` (see :meth:`use_copy_bands`), in storage order."""
        scheme = self.get_meta("copy_bands")
        if scheme is None:
            return []
        found: set[str] = set()
        for band, key in lsh_bands(mh, scheme):
            found |= {r[0] for r in self.db.execute("SELECT article_id FROM copy_bands WHERE band = ? AND hash = ?", (band, key))}
        rows = self._rows_in("SELECT rowid, article_id, minhash FROM representations WHERE article_id IN ({marks})", found)
        return [(aid, minhash(blob)) for _, aid, blob in sorted(rows)]

    def has_url(self, url: str) -> bool:
        """Whether an article fetched from ``url`` is stored.

        Args:
            url: the URL asked for (crawled and feed pages keep it as their ``url``).

        Returns:
            True when some stored article has this URL.
        """
        return self.db.execute("SELECT 1 FROM articles WHERE url = ? LIMIT 1", (url,)).fetchone() is not None


def _interaction_row(i: Interaction) -> list:
    row = [getattr(i, c) for c in INTERACTION_COLUMNS]
    for col in _LIST_COLS:
        row[INTERACTION_COLUMNS.index(col)] = json.dumps(getattr(i, col), ensure_ascii=False)
    return row


def index_representation(db: sqlite3.Connection, r: Representation, sign: int = 1) -> None:
    """Index a stored representation (``sign`` -1: take it out): its block keys, by day, and the corpus counts.

    The event clusterer's candidates (articles sharing a key, within days) and rarity weights are read from
    these, so that placing new articles reads their neighbourhood, not every representation.
    """
    if sign > 0:
        day = day_number(r.date)
        db.executemany("INSERT INTO rep_keys VALUES (?,?,?)", [(k, r.article_id, day) for k in sorted(block_keys(r))])
        rows = db.execute("SELECT value FROM meta WHERE key = 'copy_bands'").fetchone()
        if rows:
            db.executemany("INSERT INTO copy_bands VALUES (?,?,?)", [(*b, r.article_id) for b in lsh_bands(r.minhash, rows[0])])
    else:
        db.execute("DELETE FROM rep_keys WHERE article_id = ?", (r.article_id,))
        db.execute("DELETE FROM copy_bands WHERE article_id = ?", (r.article_id,))
    counts = [("e", k, sign) for k in r.entities] + [("t", k, sign) for k in r.lexical]
    db.executemany("INSERT INTO doc_freq VALUES (?,?,?) ON CONFLICT(kind, key) DO UPDATE SET n = n + excluded.n", counts)
    db.execute("INSERT INTO meta VALUES ('represented', ?) ON CONFLICT(key) DO UPDATE SET value = value + ?", (sign, sign))
