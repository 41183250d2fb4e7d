"""Faults and bad input: broken files among good ones, runs killed at random moments, two writers at once.

Each test says what must hold: every good article stored exactly once, every bad input named with its
problem (and listed by ``chronique failures``), the exit status nonzero when some input failed, and a
killed run's store completed by the next run into the same events as an uninterrupted run.
"""

from __future__ import annotations

import contextlib
import gzip
import json
import os
import random
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
import tracemalloc
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import BinaryIO

import pytest
from typer.testing import CliRunner

from chronique.cli import app
from chronique.records import Failure, RawDocument
from chronique.sources import read_inputs
from chronique.store import Store
from tests._http import article_text
from tests.conftest import EXAMPLES
from tests.test_sources_warc import write_warc

# real models in subprocesses, runs killed, 200 MB files written: each test takes seconds to minutes
pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[1]
ENV = {**os.environ, "PYTHONPATH": str(ROOT)}


def _good(folder: Path, n: int) -> None:
    (folder / f"good{n}.txt").write_text(f"Titre numéro {n}\n\n{article_text(n)}\n", "utf-8")


def _bad_inputs(folder: Path) -> dict[str, str]:
    """Write one file of each broken kind into ``folder``; return {input name: words its message must hold}."""
    (folder / "empty.txt").write_bytes(b"")
    (folder / "binary.txt").write_bytes(bytes(range(256)) * 8)
    (folder / "invalid.txt").write_bytes(b"Titre\n\nUn texte \xff\xfe cass\xe9.\n")
    (folder / "mixed.html").write_bytes(
        '<html><head><meta charset="utf-8"></head><body><p>Été à Paris, café crème.</p></body></html>'.encode("latin-1")
    )
    (folder / "nobody.html").write_text("<html><head><title>Sans corps</title></head></html>", "utf-8")
    whole = gzip.compress(("Titre\n\n" + article_text(90)).encode())
    (folder / "cut.txt.gz").write_bytes(whole[: len(whole) // 2])
    warc = write_warc(folder / "cut.warc.gz", 3).read_bytes()
    (folder / "cut.warc.gz").write_bytes(warc[: len(warc) - 300])
    lines = [json.dumps({"text": article_text(91), "title": "JSON 1"}), '{"text": "coupé', json.dumps({"text": article_text(92)})]
    (folder / "wire.jsonl").write_text("\n".join(lines) + "\n", "utf-8")
    (folder / "meta.csv").write_text("file,published,language\ngood0.txt,2024-13-45,fr\ngood1.txt,2024-05-02,fr\n", "utf-8")
    with (folder / "huge.txt").open("wb") as fh:
        _write_200_mb(fh)
    return {
        "empty.txt": "expected text, got an empty file",
        "binary.txt": "expected text, got binary data",
        "invalid.txt": "expected UTF-8 text, got an invalid byte 0xff",
        "mixed.html": "expected UTF-8 text, got an invalid byte 0xc9",
        "nobody.html": "expected an HTML page with text in its body",
        "cut.txt.gz": "expected a complete gzip stream, got one cut short",
        "cut.warc.gz": "expected a complete WARC record at offset",
        "wire.jsonl:2": "expected JSON, got invalid JSON",
        "meta.csv:2": "expected an ISO date (YYYY-MM-DD), got '2024-13-45' in 'published'",
        "huge.txt": "expected at most 5000000 bytes, got 209715200",
    }


def test_bad_files_among_good_ones(tmp_path: Path) -> None:
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    for n in range(4):
        _good(corpus, n)
    expected = _bad_inputs(corpus)
    db = tmp_path / "c.db"
    res = CliRunner().invoke(app, ["run", str(corpus), "--db", str(db), "--embedder", "hashing"])
    assert res.exit_code == 1, res.output
    for name, words in expected.items():
        lines = [ln for ln in res.output.splitlines() if ln.startswith(f"skipped {corpus / name}: ")]
        assert len(lines) == 1 and words in lines[0], (name, lines)  # one clear message naming the input
    good = {f"good{n}.txt" for n in range(4)} | {"wire.jsonl:1", "wire.jsonl:3", "cut.warc.gz"}
    stored = [Path(a.source).name for a in Store(db).articles()]
    assert {s.split(":")[0] if ".warc.gz:" in s else s for s in stored} == good  # every good article around the bad ones
    assert len(stored) == 4 + 2 + 3  # the archive's three pages stand before its cut
    listed = CliRunner().invoke(app, ["failures", "--db", str(db)]).output.splitlines()
    assert sorted(Path(ln.split("\t")[0]).name for ln in listed) == sorted(expected)


def _write_200_mb(fh: BinaryIO) -> None:
    """200 MB of real text, written in 1 MB pieces (never held whole)."""
    piece = ("mot " * 262_144).encode()
    for _ in range(200):
        fh.write(piece)


def _peak_reading(path: Path) -> tuple[list[RawDocument | Failure], int]:
    """Read one input; return what came out and the peak of memory allocated meanwhile."""
    tracemalloc.start()
    items = list(read_inputs([path]))
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return items, peak


def test_a_200_mb_file_is_refused_without_being_read(tmp_path: Path) -> None:
    with (tmp_path / "huge.txt").open("wb") as fh:
        _write_200_mb(fh)
    items, peak = _peak_reading(tmp_path / "huge.txt")
    assert len(items) == 1 and isinstance(items[0], Failure) and "at most 5000000 bytes" in items[0].reason
    assert peak < 1_000_000
    with gzip.open(tmp_path / "bomb.txt.gz", "wb") as fh:  # the same in a small .gz: refused while decompressing, at the cap
        _write_200_mb(fh)
    items, peak = _peak_reading(tmp_path / "bomb.txt.gz")
    assert isinstance(items[0], Failure) and "once decompressed" in items[0].reason
    assert peak < 4 * 5_000_000  # bounded by the cap (5 MB), not by the 200 MB it would unpack to


def _run(db: Path, corpus: Path, batch: int = 4) -> subprocess.Popen[bytes]:
    cmd = [
        sys.executable,
        "-m",
        "chronique",
        "run",
        str(corpus),
        "--db",
        str(db),
        "--embedder",
        "hashing",
        "--batch-size",
        str(batch),
        "--format",
        "json",
    ]
    return subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=ENV)


def _snapshot(db: Path) -> tuple[list[str], set[frozenset[str]], dict[str, int]]:
    """Article ids (with repeats, if any), events as sets of member ids, and mentions per article."""
    con = sqlite3.connect(db)
    assert con.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    ids = sorted(r[0] for r in con.execute("SELECT id FROM articles"))
    events: dict[str, set[str]] = {}
    for eid, aid in con.execute("SELECT event_id, article_id FROM memberships"):
        events.setdefault(eid, set()).add(aid)
    mentions = dict(con.execute("SELECT article_id, count(*) FROM mentions GROUP BY article_id"))
    con.close()
    return ids, {frozenset(v) for v in events.values()}, mentions


def _count(db: Path) -> int:
    """Articles committed so far (0 while the store is not created yet)."""
    with contextlib.closing(sqlite3.connect(db)) as con, contextlib.suppress(sqlite3.Error):
        return con.execute("SELECT count(*) FROM articles").fetchone()[0]
    return 0


def _kill_at(proc: subprocess.Popen[bytes], db: Path, target: int, extra: float) -> bool:
    """Wait until ``target`` articles are committed, then ``extra`` seconds, then SIGKILL; False if the run ended first."""
    while proc.poll() is None and _count(db) < target:
        time.sleep(0.02)
    time.sleep(extra)
    if proc.poll() is not None:
        return False
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=30)
    return True


def _kill_and_complete(folder: Path, corpus: Path, seed: int, times: int, total: int) -> tuple[list[Path], int, int]:
    """Kill runs at seeded random moments ``times`` times (fresh stores as needed), completing each store; return the stores."""
    rng, kills, partial, stores = random.Random(seed), 0, 0, [folder / f"s{seed}-0.db"]
    while kills < times:
        db = stores[-1]
        done = _count(db)
        target = done + rng.randint(1, total - done + 2)  # past the last article: kill while events are rebuilt
        if not _kill_at(_run(db, corpus), db, min(target, total), rng.uniform(0, 0.4 if target > total else 0.05)):
            stores.append(folder / f"s{seed}-{len(stores)}.db")  # it completed: go on killing a fresh store
            continue
        kills += 1
        ids = _snapshot(db)[0] if db.exists() else []
        assert len(ids) == len(set(ids))  # the store opens, and never holds an article twice
        partial += 0 < len(ids) < total
    final = _run(stores[-1], corpus)
    assert final.wait(timeout=120) == 0, final.stderr.read() if final.stderr else ""
    return [s for s in stores if s.exists()], kills, partial


def test_killed_at_random_moments_then_completed(tmp_path: Path) -> None:
    corpus = tmp_path / "news"
    shutil.copytree(EXAMPLES, corpus)
    assert _run(tmp_path / "ref.db", corpus).wait(timeout=120) == 0  # the uninterrupted run
    want = _snapshot(tmp_path / "ref.db")
    with ThreadPoolExecutor(2) as pool:  # two series at once, each killed five times
        results = list(pool.map(lambda seed: _kill_and_complete(tmp_path, corpus, seed, 5, len(want[0])), (5, 6)))
    for db in (db for stores, _, _ in results for db in stores):
        ids, events, mentions = _snapshot(db)
        assert ids == want[0] and len(ids) == 34  # every article exactly once: articles lost: 0
        assert events == want[1]  # the same events, with the same members, as the uninterrupted run
        assert mentions == want[2]  # no analysis stored twice
    kills, partial = sum(r[1] for r in results), sum(r[2] for r in results)
    assert kills == 10 and partial >= 3, (kills, partial)
    print(f"kills survived: {kills}, stores left part-way: {partial}, articles: {len(want[0])}, events: {len(want[1])}")


def test_two_writers_on_one_store(tmp_path: Path) -> None:
    files = sorted(p for p in EXAMPLES.iterdir() if p.suffix == ".txt")
    shared, one, two = files[:6], files[6:16], files[16:]
    for name, part in (("a", shared + one), ("b", shared + two)):
        (tmp_path / name).mkdir()
        for f in part:
            shutil.copy(f, tmp_path / name / f.name)
    db = tmp_path / "c.db"
    procs = [_run(db, tmp_path / name, batch=3) for name in ("a", "b")]
    for p in procs:
        assert p.wait(timeout=180) == 0, p.stderr.read() if p.stderr else ""
    ids, events, mentions = _snapshot(db)
    assert len(ids) == len(set(ids)) == len(files)  # nothing lost, nothing doubled
    members = [a for ev in events for a in ev]
    assert sorted(members) == ids  # every article in exactly one event
    con = sqlite3.connect(db)
    for table in ("mentions", "times"):  # each article's analysis stored once, not once per writer
        doubled = con.execute(f"SELECT count(*) FROM (SELECT 1 FROM {table} GROUP BY article_id, start, end HAVING count(*) > 1)")
        assert doubled.fetchone()[0] == 0, table
    assert set(mentions) <= set(ids)
