"""Timeline lab: the ML-Crisis set through the pipeline once (a cached store), then timelines scored fast.

    python training/timeline_lab.py            # builds /tmp/chronique-lab/crisis-timelines.db the first time

Prints the same table as ``chronique eval timelines`` without re-running the pipeline, so that changes
to :mod:`chronique.events.timeline` can be measured in seconds.
"""

from __future__ import annotations

import sys
from pathlib import Path

from chronique.eval import format_table, news_documents, read_news_events
from chronique.eval._common import _result
from chronique.eval.timelines import _failures, _table, read_reference_timelines, score_stories
from chronique.pipeline import Pipeline
from chronique.store import Store

DATA = Path(__file__).resolve().parents[2] / "shared" / "data" / "news-events"
CACHE = Path("/tmp/chronique-lab/crisis-timelines.db")


def main() -> None:
    news = read_news_events(DATA / "ml_crisis_dev.jsonl")
    raws = news_documents(news, dates=True)
    if not CACHE.exists():
        CACHE.parent.mkdir(parents=True, exist_ok=True)
        Pipeline(Store(CACHE)).run_documents(raws)
    refs = read_reference_timelines(DATA / "ml_crisis_timelines")
    if len(sys.argv) > 1:
        refs = {k: v for k, v in refs.items() if f"{k[1]}_{k[0]}" in sys.argv[1:]}
    per_ref, notes = score_stories(news, raws, Store(CACHE), refs)
    tables = {system: _table(rows) for system, rows in per_ref.items()}
    print(format_table(_result("timelines-lab", tables.pop("chronique"), tables, notes, _failures(per_ref))))


if __name__ == "__main__":
    main()
