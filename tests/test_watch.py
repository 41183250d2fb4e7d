"""Watching a folder: new and changed files are read, unchanged ones never again; Ctrl-C stops cleanly."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from typer.testing import CliRunner

from chronique.app.watch import changed_files, watch_once
from chronique.cli import app
from chronique.pipeline import Pipeline
from chronique.store import Store
from tests._http import article_text

ROOT = Path(__file__).resolve().parents[1]


def _write(path: Path, n: int) -> None:
    path.write_text(f"Titre numéro {n}\n\n{article_text(n)}\n", "utf-8")


def test_new_changed_and_unchanged_files(tmp_path: Path) -> None:
    inbox = tmp_path / "inbox"
    (inbox / "sub").mkdir(parents=True)
    _write(inbox / "a.txt", 1)
    _write(inbox / "sub" / "b.txt", 2)
    (inbox / "notes.pdf").write_bytes(b"%PDF")
    pipe = Pipeline(Store(tmp_path / "c.db"), embedder="hashing")
    first = watch_once(inbox, pipe)
    assert sorted(Path(f).name for f in first.files) == ["a.txt", "b.txt"] and first.result and first.result.added == 2
    assert watch_once(inbox, pipe).files == []  # nothing new: nothing read
    _write(inbox / "c.txt", 3)
    _write(inbox / "a.txt", 4)  # changed content
    os.utime(inbox / "a.txt", ns=(time.time_ns(), time.time_ns() - 5 * 10**9))  # a changed signature, whatever the clock
    third = watch_once(inbox, pipe)
    assert sorted(Path(f).name for f in third.files) == ["a.txt", "c.txt"] and third.result and third.result.added == 2
    # a.txt's first version is gone from the store and from every event: the file no longer says it
    assert len(third.withdrawn) == 1 and third.withdrawn[0] not in {a.id for a in pipe.store.articles()}
    assert len(pipe.store.articles()) == 3 and sum(len(e.article_ids) for e in pipe.store.events()) == 3


def _jsonl(path: Path, numbers: list[int]) -> None:
    import json

    path.write_text("".join(json.dumps({"title": f"Titre {n}", "text": article_text(n)}) + "\n" for n in numbers), "utf-8")
    os.utime(path, ns=(time.time_ns(), time.time_ns() - 5 * 10**9 - numbers[-1]))  # a new signature each write


def _watched_once(tmp_path: Path, fill) -> tuple[Path, Pipeline]:
    """An inbox filled by ``fill`` and a pipeline that has watched it once."""
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    fill(inbox)
    pipe = Pipeline(Store(tmp_path / "c.db"), embedder="hashing")
    watch_once(inbox, pipe)
    return inbox, pipe


def test_a_changed_file_replaces_only_what_it_no_longer_holds(tmp_path: Path) -> None:
    inbox, pipe = _watched_once(tmp_path, lambda inbox: _jsonl(inbox / "feed.jsonl", [1, 2, 3]))
    before = {a.title: a.id for a in pipe.store.articles()}
    _jsonl(inbox / "feed.jsonl", [1, 3, 4])  # line 2 replaced
    step = watch_once(inbox, pipe)
    assert step.withdrawn == [before["Titre 2"]]
    assert sorted(a.title for a in pipe.store.articles()) == ["Titre 1", "Titre 3", "Titre 4"]
    members = {i for e in pipe.store.events() for i in e.article_ids}
    assert before["Titre 2"] not in members and {before["Titre 1"], before["Titre 3"]} <= members
    hits = pipe.store.db.execute("SELECT rowid FROM articles_fts WHERE articles_fts MATCH 'title:2'").fetchall()
    assert hits == []  # the search index forgets it too
    assert not any(r.article_id == before["Titre 2"] for r in pipe.store.representations())


def test_a_changed_file_that_cannot_be_read_keeps_its_last_version(tmp_path: Path) -> None:
    inbox, pipe = _watched_once(tmp_path, lambda inbox: _write(inbox / "a.txt", 1))
    (inbox / "a.txt").write_bytes(b"")
    os.utime(inbox / "a.txt", ns=(time.time_ns(), time.time_ns() - 5 * 10**9))
    step = watch_once(inbox, pipe)
    assert step.withdrawn == [] and step.result and step.result.failures and len(pipe.store.articles()) == 1


def test_files_still_being_written_wait(tmp_path: Path) -> None:
    _write(tmp_path / "a.txt", 1)
    now = time.time()
    assert changed_files(tmp_path, {}, settle=5.0, now=now) == {}
    assert list(changed_files(tmp_path, {}, settle=5.0, now=now + 10)) == [str(tmp_path / "a.txt")]


def test_cli_watch_once(tmp_path: Path) -> None:
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    _write(inbox / "a.txt", 1)
    (inbox / "empty.txt").write_bytes(b"")
    db = str(tmp_path / "c.db")
    res = CliRunner().invoke(app, ["watch", str(inbox), "--once", "--db", db, "--embedder", "hashing"])
    assert res.exit_code == 1 and "empty.txt: expected text, got an empty file" in res.output and "1 new article(s)" in res.output
    again = CliRunner().invoke(app, ["watch", str(inbox), "--once", "--db", db, "--embedder", "hashing"])
    assert again.exit_code == 0 and again.output == ""  # nothing changed, nothing read
    missing = CliRunner().invoke(app, ["watch", str(tmp_path / "nope"), "--once", "--db", db])
    assert missing.exit_code == 2 and "expected a folder" in missing.output


@pytest.mark.slow  # a subprocess that loads spaCy before it stores anything
def test_ctrl_c_stops_the_loop_cleanly(tmp_path: Path) -> None:
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    db = tmp_path / "c.db"
    cmd = [
        sys.executable,
        "-m",
        "chronique",
        "watch",
        str(inbox),
        "--db",
        str(db),
        "--embedder",
        "hashing",
        "--interval",
        "0.2",
        "--settle",
        "0",
    ]
    # A shell starts background jobs with SIGINT ignored, and an ignored signal stays ignored across exec: under a
    # CI started with `&` the watch would never see Ctrl-C. The test is about chronique, so the child starts with
    # SIGINT at its default, as in a terminal.
    proc = subprocess.Popen(
        cmd,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    )
    try:
        assert proc.stderr is not None
        assert "watching" in proc.stderr.readline()  # the loop has started
        _write(inbox / "a.txt", 1)
        # Ctrl-C while the loop waits for its next look: once the pass has reported (its articles, events and
        # stories written). The store is not polled meanwhile: a reader opening it races the pass's writes.
        assert "1 new article" in proc.stderr.readline()
        assert Store(db).articles()
        proc.send_signal(signal.SIGINT)
        # a hang guard, not a timing: the exit frees the models, slow on a loaded 2-core machine (30 s once timed out in CI)
        rest = proc.communicate(timeout=120)[1]
    finally:
        proc.kill()
    assert proc.returncode == 0 and "stopped" in rest and "Traceback" not in rest
    assert len(Store(db).articles()) == 1


def test_a_changed_file_keeps_an_old_article_that_another_input_copies(tmp_path: Path) -> None:
    inbox, pipe = _watched_once(tmp_path, lambda inbox: _write(inbox / "a.txt", 1))
    (inbox / "b.txt").write_text(f"Republié : titre numéro 1\n\n{article_text(1)}\n", "utf-8")  # a republication of a.txt
    watch_once(inbox, pipe)
    assert any(a.duplicate_of for a in pipe.store.articles())
    _write(inbox / "a.txt", 2)
    os.utime(inbox / "a.txt", ns=(time.time_ns(), time.time_ns() - 5 * 10**9))
    step = watch_once(inbox, pipe)
    assert step.withdrawn == [] and len(pipe.store.articles()) == 3  # b.txt still reports the first version


def test_entries_it_must_not_read_are_reported_once_and_never_block(tmp_path: Path) -> None:
    """Audit: a named pipe hung watch forever; a file name that is not UTF-8 crashed it; links out were read."""
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    os.mkfifo(inbox / "pipe.txt")
    bad = os.fsdecode(os.fsencode(inbox) + b"/x\xff.txt")
    Path(bad).write_text("Titre\n\nTexte.\n", "utf-8")
    (tmp_path / "secret.txt").write_text("Secret\n\nHors du dossier.\n", "utf-8")
    (inbox / "out.txt").symlink_to(tmp_path / "secret.txt")
    pipe = Pipeline(Store(tmp_path / "c.db"), embedder="hashing")
    first = watch_once(inbox, pipe)
    assert first.result is not None and first.result.added == 0
    reasons = {Path(f.source).name: f.reason for f in first.result.failures}
    assert sorted(reasons) == ["out.txt", "pipe.txt", "x\\xff.txt"]
    assert "named pipe" in reasons["pipe.txt"] and "outside" in reasons["out.txt"] and "UTF-8" in reasons["x\\xff.txt"]
    assert watch_once(inbox, pipe).files == []  # reported once, not on every pass
