"""``chronique eval news-events``: real news labelled by event and/or story (``../shared/data/news-events``)."""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..errors import InputError
from ..records import RawDocument, content_id
from ..sources import normalise_date
from ._common import (
    EMBEDDING_DISTANCE,
    SINGLETON_SHARE,
    TFIDF_DISTANCE,
    _failure_lines,
    _read_text,
    _result,
    _run_pipeline,
    _with_merge_held_out,
    cluster_errors,
)
from .metrics import Labels, agglomerative_labels, clustering_metrics

__all__ = ["NewsArticle", "level_metrics", "news_documents", "news_levels", "read_news_events"]

# The files the merge model was fitted on, by their name in its leave-one-set-out figures (training/train_merge_model.py)
_MERGE_SETS = {"giveme5w1h_news_cluster": "giveme", "gva_incidents_dev": "gva", "rpm2_fr_dev": "rpm2"}


@dataclass(frozen=True, slots=True)
class NewsArticle:
    """One labelled article of a ``news-events`` file (``../shared/data/news-events``)."""

    id: str
    text: str
    title: str | None
    published: str | None
    language: str | None
    gold_event: str | None
    gold_story: str | None


def read_news_events(path: str | Path, limit: int | None = None) -> list[NewsArticle]:
    """Read a ``news-events`` JSON-lines file: ``id``, ``text``, and ``gold_event`` and/or ``gold_story``.

    Args:
        path: the ``.jsonl`` file.
        limit: at most this many articles, whole gold groups first (so a slice keeps its groups); None: all.

    Raises:
        InputError: the file cannot be read, a line is not an object with a text and an id, or no line
            carries a gold label.
    """
    rows = []
    for number, line in enumerate(_read_text(Path(path)).splitlines(), 1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
            rows.append(_news_article(row))
        except (ValueError, TypeError, KeyError) as exc:
            raise InputError(f"{path}:{number}", f"expected a JSON object with string 'id' and 'text', got: {exc}") from None
    if not any(a.gold_event or a.gold_story for a in rows):
        raise InputError(str(path), "expected lines with 'gold_event' or 'gold_story', got none")
    if limit is not None and limit < len(rows):
        rows = _whole_groups(rows, limit)
    return rows


def _news_article(row: Any) -> NewsArticle:
    """One JSON object as a :class:`NewsArticle` (TypeError/KeyError when it is not one)."""
    if not isinstance(row, dict) or not isinstance(row["text"], str) or not isinstance(row["id"], str | int):
        raise TypeError(f"a {type(row).__name__} without string text")

    def opt(key: str) -> str | None:
        value = row.get(key)
        return None if value in (None, "") else str(value)

    published = opt("published")
    if published is not None:  # a timestamp ("2017-12-27T08:15:00") gives its day, as the pipeline's dates are days
        published = normalise_date(published)
    return NewsArticle(str(row["id"]), row["text"], opt("title"), published, opt("language"), opt("gold_event"), opt("gold_story"))


def _whole_groups(rows: list[NewsArticle], limit: int) -> list[NewsArticle]:
    """The first gold groups (in file order) whose articles fit in ``limit``, at least one group."""
    groups: dict[str | None, list[NewsArticle]] = {}
    for a in rows:
        groups.setdefault(a.gold_event or a.gold_story, []).append(a)
    out: list[NewsArticle] = []
    for members in groups.values():
        if out and len(out) + len(members) > limit:
            break
        out += members
    return out


def news_documents(articles: list[NewsArticle], dates: bool) -> list[RawDocument]:
    """The pipeline's input for a news-events file (publication dates withheld when ``dates`` is False)."""
    return [
        RawDocument(
            content_id(a.text),
            a.id,
            a.text,
            "text",
            title=a.title,
            published=a.published if dates else None,
            published_origin="json" if dates and a.published else None,
            language=a.language,
        )
        for a in articles
    ]


def level_metrics(pred: Labels, gold: Labels, prefix: str, min_size: int = 1) -> dict[str, float | int]:
    """:func:`clustering_metrics` with its keys prefixed, over the gold groups of at least ``min_size`` items.

    Args:
        pred: predicted cluster by item.
        gold: gold group by item (items without a gold label are left out).
        prefix: prepended to each key (``events_``, ``stories_``...).
        min_size: only gold groups of at least this many items are scored (2 leaves the single-article
            groups out, which flatter every method); predictions for other items are ignored.
    """
    sizes = Counter(gold.values())
    kept = {k: g for k, g in gold.items() if sizes[g] >= min_size}
    renamed = {"events_found": "found", "events_gold": "gold"}
    return {f"{prefix}{renamed.get(k, k)}": v for k, v in clustering_metrics(pred, kept).items()}


def news_levels(pred_events: Labels, pred_stories: Labels, articles: list[NewsArticle]) -> dict[str, float | int]:
    """Events against ``gold_event`` and stories against ``gold_story`` (or against ``gold_event`` when the set has
    only event labels: ``stories_vs_events_``); over groups of 2+ too when single-article groups are common."""
    out: dict[str, float | int] = {}
    gold_event = {a.id: a.gold_event for a in articles if a.gold_event}
    gold_story = {a.id: a.gold_story for a in articles if a.gold_story}
    if gold_event:
        out |= level_metrics(pred_events, gold_event, "events_")
        sizes = Counter(gold_event.values())
        if sum(1 for n in sizes.values() if n == 1) >= SINGLETON_SHARE * len(sizes):
            out |= level_metrics(pred_events, gold_event, "events_2plus_", min_size=2)
    if gold_story:
        out |= level_metrics(pred_stories, gold_story, "stories_")
    elif gold_event:
        out |= level_metrics(pred_stories, gold_event, "stories_vs_events_")
    return out


def _run_news_events(path: Path, embedder: str, limit: int | None, dates: bool = True) -> dict:
    """Group a labelled news file with the pipeline, and with the two agglomerative baselines."""
    from sklearn.feature_extraction.text import TfidfVectorizer

    if not path.is_file():
        raise InputError(str(path), "expected a news-events .jsonl file, got a folder or no file")
    articles = read_news_events(path, limit)
    raws = news_documents(articles, dates)
    notes: list[str] = []
    pipe, run = _run_pipeline(raws, embedder, notes)
    members = pipe.store.memberships()
    story_of = {e.id: e.story_id or e.id for e in pipe.store.events()}
    # two articles with one text are one stored article: both get its event
    pred_events = {a.id: members[r.id] for a, r in zip(articles, raws, strict=True) if r.id in members}
    pred_stories = {a: story_of.get(e, e) for a, e in pred_events.items()}
    texts = [f"{a.title}\n{a.title}\n{a.text}" if a.title else a.text for a in articles]
    tfidf = TfidfVectorizer(sublinear_tf=True).fit_transform(texts)
    vectors = pipe.embedder.embed([f"{a.title}\n{a.text}" if a.title else a.text for a in articles])
    ids = [a.id for a in articles]
    baselines = {
        "tfidf-agglomerative": dict(zip(ids, agglomerative_labels(tfidf, TFIDF_DISTANCE), strict=True)),
        "embedding-agglomerative": dict(zip(ids, agglomerative_labels(vectors, EMBEDDING_DISTANCE), strict=True)),
    }
    n_dated = sum(1 for r in raws if r.published)
    notes += [
        f"{len(articles)} articles ({n_dated} with a publication date given to the pipeline); embedder {pipe.embedder.name}",
        "events_* score chronique's events against gold_event; stories_* its stories against gold_story; "
        "stories_vs_events_* its stories against gold_event (a set with event labels only); *_2plus_* only the gold "
        "groups of two or more articles; a baseline's one clustering is scored at every level",
        f"baselines: tfidf-agglomerative (title twice + text, cosine distance {TFIDF_DISTANCE}, average linkage), "
        f"embedding-agglomerative (title + text through {pipe.embedder.name}, cosine distance {EMBEDDING_DISTANCE})",
    ]
    scored = {name: news_levels(labels, labels, articles) for name, labels in baselines.items()}
    if limit is None and dates and path.stem in _MERGE_SETS:  # measured on the whole file, with its dates
        scored = _with_merge_held_out(scored, pipe.embedder.name, _MERGE_SETS[path.stem], notes, prefix="")
    gold = {a.id: a.gold_event or a.gold_story for a in articles}
    errors = cluster_errors(pred_events, gold)
    return _result(
        f"news-events:{path.name}", news_levels(pred_events, pred_stories, articles), scored, notes, _failure_lines(run) + errors
    )
