"""``chronique eval semeval2022``: multilingual article similarity (SemEval-2022 task 8)."""

from __future__ import annotations

import csv
import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from ..errors import InputError
from ..records import RawDocument, content_id
from ._common import _failure_lines, _file, _read_text, _result, _run_pipeline, _with_held_out
from .metrics import pearson

if TYPE_CHECKING:
    from ..store import Store

__all__ = ["SemevalPair", "correlation_metrics", "pair_documents", "read_semeval"]


@dataclass(frozen=True, slots=True)
class SemevalPair:
    """One annotated article pair (Overall: 1 very similar .. 4 very dissimilar)."""

    pair_id: str
    lang1: str
    lang2: str
    text1: str
    text2: str
    overall: float

    @property
    def languages(self) -> str:
        """The language pair, e.g. ``de-en``."""
        return f"{self.lang1}-{self.lang2}"


_SEMEVAL_COLUMNS = {"pair_id", "lang1", "lang2", "text1", "text2", "Overall"}


def read_semeval(path: str | Path, limit: int | None = None) -> list[SemevalPair]:
    """Read SemEval-2022 task 8 pairs from its CSV (``pair_id, lang1, lang2, text1, text2, ..., Overall``).

    Args:
        path: the CSV file.
        limit: keep the first this many pairs.

    Returns:
        The pairs in file order.

    Raises:
        InputError: columns are missing or an Overall score is not a number.
    """
    # SemEval's texts are long fields; the csv module's limit is process-wide, so it is restored after reading
    previous = csv.field_size_limit(2**31 - 1)
    try:
        return _semeval_rows(csv.DictReader(_read_text(Path(path)).splitlines(keepends=True)), path, limit)
    finally:
        csv.field_size_limit(previous)


def _semeval_rows(reader: csv.DictReader, path: str | Path, limit: int | None) -> list[SemevalPair]:
    """The pairs of a SemEval CSV reader (see :func:`read_semeval`)."""
    missing = _SEMEVAL_COLUMNS - set(reader.fieldnames or [])
    if missing:
        raise InputError(str(path), f"expected columns {sorted(_SEMEVAL_COLUMNS)}, got {reader.fieldnames} (missing {sorted(missing)})")
    pairs = []
    for lineno, row in enumerate(reader, start=2):
        if limit is not None and len(pairs) >= limit:
            break
        try:
            overall = float(row["Overall"])
        except (TypeError, ValueError):
            raise InputError(f"{path}:{lineno}", f"expected a number in 'Overall', got {row['Overall']!r}") from None
        pairs.append(
            SemevalPair(row["pair_id"], row["lang1"].strip().lower(), row["lang2"].strip().lower(), row["text1"], row["text2"], overall)
        )
    return pairs


def pair_documents(pairs: list[SemevalPair]) -> dict[str, RawDocument]:
    """One document per distinct text of the pairs, keyed by content id (first language seen wins)."""
    docs: dict[str, RawDocument] = {}
    for p in pairs:
        for n, text, lang in ((1, p.text1, p.lang1), (2, p.text2, p.lang2)):
            key = content_id(text)
            docs.setdefault(key, RawDocument(key, f"{p.pair_id}:{n}", text, "text", language=lang))
    return docs


def _pipeline_scorer(store: Store) -> Callable[[str, str], float | None]:
    """The pipeline's event-membership similarity between two stored articles (None if one has none)."""
    from ..events.cluster import EventClusterer, load_pair_model, pair_score

    reps = store.representations()
    original = store.copies()
    model = load_pair_model(store.get_meta("embedder"))  # the variant the pipeline clustered with
    clusterer = EventClusterer(model=model).load(reps, {"all": [r.article_id for r in reps]})

    def score(a: str, b: str) -> float | None:
        a, b = original.get(a, a), original.get(b, b)
        if a not in clusterer.reps_ or b not in clusterer.reps_:
            return None
        return pair_score(clusterer.features(a, b), model)

    return score


def correlation_metrics(
    pairs: Sequence[SemevalPair], scores: Sequence[float | None], scored: Sequence[bool] | None = None
) -> dict[str, float | int]:
    """Pearson correlation of similarities with the negated Overall score, overall and per language pair.

    Args:
        pairs: the annotated pairs.
        scores: one similarity per pair; None (no score) counts as 0.0.
        scored: which pairs to use for ``pearson_scored`` (default: those with a score).

    Returns:
        ``pearson``, ``pearson_scored``, ``pearson_<l1>-<l2>``, ``pairs`` and ``pairs_unscored``.
    """
    values = [0.0 if s is None else s for s in scores]
    gold = [-p.overall for p in pairs]
    mask = list(scored) if scored is not None else [s is not None for s in scores]
    out: dict[str, float | int] = {
        "pearson": pearson(values, gold),
        "pearson_scored": pearson([v for v, m in zip(values, mask, strict=True) if m], [g for g, m in zip(gold, mask, strict=True) if m]),
    }
    for langs in sorted({p.languages for p in pairs}):
        idx = [i for i, p in enumerate(pairs) if p.languages == langs]
        out[f"pearson_{langs}"] = pearson([values[i] for i in idx], [gold[i] for i in idx])
    out["pairs"] = len(pairs)
    out["pairs_unscored"] = sum(s is None for s in scores)
    return out


def _run_semeval(path: Path, embedder: str, limit: int | None) -> dict:
    """Score SemEval pairs with the pipeline's pair similarity, word TF-IDF and the embedder."""
    from sklearn.feature_extraction.text import TfidfVectorizer

    pairs = read_semeval(_file(path, "training_set.csv"), limit)
    docs = pair_documents(pairs)
    notes: list[str] = []
    pipe, run = _run_pipeline(list(docs.values()), embedder, notes)
    score = _pipeline_scorer(pipe.store)
    ids = [(content_id(p.text1), content_id(p.text2)) for p in pairs]
    ours = [score(a, b) for a, b in ids]
    mask = [s is not None for s in ours]
    row = {key: i for i, key in enumerate(docs)}
    texts = [d.content for d in docs.values()]
    tfidf = TfidfVectorizer().fit_transform(texts)
    vectors = pipe.embedder.embed(texts)
    word = [float(tfidf[row[a]].multiply(tfidf[row[b]]).sum()) for a, b in ids]
    emb = [float(vectors[row[a]] @ vectors[row[b]]) if vectors.shape[1] else 0.0 for a, b in ids]
    notes += [
        f"{len(pairs)} pairs, {len(docs)} distinct texts; embedder {pipe.embedder.name}",
        "pairs the pipeline could not score (a text dropped, e.g. empty after cleaning) count as similarity 0.0 "
        "in 'pearson'; 'pearson_scored' uses only pairs where both texts were analysed (baselines: same pairs)",
        "baselines: word-tfidf (scikit-learn TfidfVectorizer defaults, fitted on all texts; cosine), "
        f"embedding ({pipe.embedder.name} cosine of the full texts)",
    ]
    weakest = _weakest_languages(correlation_metrics(pairs, ours))
    scored = {"word-tfidf": correlation_metrics(pairs, word, mask), "embedding": correlation_metrics(pairs, emb, mask)}
    if limit is None:
        scored = _with_held_out(
            scored, pipe.embedder.name, "semeval_5_fold", "each fifth of the pairs scored by a pair model fitted without it", notes
        )
    return _result("semeval2022", correlation_metrics(pairs, ours), scored, notes, _failure_lines(run) + weakest)


def _weakest_languages(metrics: Mapping[str, float | int], top: int = 5) -> list[str]:
    """The language pairs with the lowest correlation, as failure lines."""
    per = [
        (v, k.removeprefix("pearson_"))
        for k, v in metrics.items()
        if k.startswith("pearson_") and k != "pearson_scored" and not math.isnan(v)
    ]
    return [f"weak language pair: {langs} pearson {v:.3f}" for v, langs in sorted(per)[:top]]
