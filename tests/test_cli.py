"""The command line: exit statuses (0 ok, 1 some inputs failed, 2 usage, 3 the run failed), error lines, plain output.

Inputs name files however they like: their names and texts reach the terminal as plain text, control
characters shown escaped, never taken as rich markup or emoji codes.
"""

from __future__ import annotations

import io
import logging
import os
import resource
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from rich.console import Console
from typer.testing import CliRunner

from chronique.app.report import print_report, printable
from chronique.cli import app
from tests.conftest import EXAMPLES

ROOT = Path(__file__).resolve().parents[1]
ESC = "\x1b"


def _invoke(*args: str):
    return CliRunner().invoke(app, list(args))


def _not_a_store(tmp_path: Path) -> Path:
    db = tmp_path / "[b]notes:100:.db"  # markup and an emoji code in the name itself
    db.write_text("these are notes, not a database\n", "utf-8")
    return db


def _inputs(tmp_path: Path) -> Path:
    folder = tmp_path / "in"
    folder.mkdir()
    (folder / "e.json").write_text("{not json", "utf-8")
    return folder


def test_a_store_that_cannot_be_opened_is_one_line_and_status_3(tmp_path: Path) -> None:
    db = _not_a_store(tmp_path)
    res = _invoke("run", str(_inputs(tmp_path)), "--db", str(db), "--embedder", "hashing")
    assert res.exit_code == 3, res.output
    lines = res.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"error: {db}: expected a chronique SQLite database"), lines
    assert "Traceback" not in res.stderr and "--debug prints the traceback" in lines[0]


def test_debug_prints_the_traceback_and_logging_always_keeps_it(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    db = _not_a_store(tmp_path)
    log_file = tmp_path / "chronique.log"
    with caplog.at_level(logging.ERROR, logger="chronique"):
        quiet = _invoke("--log-file", str(log_file), "run", str(_inputs(tmp_path)), "--db", str(db), "--embedder", "hashing")
    assert quiet.exit_code == 3 and "Traceback" not in quiet.stderr
    record = next(r for r in caplog.records if r.name == "chronique")
    assert record.exc_info is not None and "StoreError" in record.exc_info[0].__name__
    assert "Traceback" in log_file.read_text("utf-8") and "StoreError" in log_file.read_text("utf-8")
    loud = _invoke("--debug", "run", str(tmp_path / "in"), "--db", str(db), "--embedder", "hashing")
    assert loud.exit_code == 3 and "Traceback (most recent call last)" in loud.stderr and "StoreError" in loud.stderr
    assert loud.stderr.rstrip().splitlines()[-1].startswith("error: ")  # the clear line still closes the output


def test_usage_errors_are_status_2(tmp_path: Path) -> None:
    inputs = str(_inputs(tmp_path))
    unknown = _invoke("run", inputs, "--db", str(tmp_path / "c.db"), "--embedder", "no-such-model")
    assert unknown.exit_code == 2 and unknown.stderr.startswith("error: expected an embedder name among"), unknown.output
    assert _invoke("run", "--db", str(tmp_path / "c.db")).exit_code == 2  # no inputs
    assert _invoke("run", inputs, "--batch-size", "0").exit_code == 2  # refused by the option's bounds
    assert _invoke("watch", str(tmp_path / "nowhere")).exit_code == 2
    missing = _invoke("report", "--db", str(tmp_path / "missing.db"))
    assert missing.exit_code == 2 and "expected an existing store" in missing.stderr
    assert not (tmp_path / "missing.db").exists()  # reading a store that is not there does not create an empty one
    assert _invoke("failures", "--db", str(tmp_path / "missing.db")).exit_code == 2
    unwritable = _invoke("--log-file", str(tmp_path / "no" / "such" / "x.log"), "failures", "--db", str(tmp_path / "c.db"))
    assert unwritable.exit_code == 2 and "--log-file" in unwritable.output and "Traceback" not in unwritable.output


def _hostile_names(folder: Path) -> list[str]:
    """Broken inputs whose names hold an emoji code, markup, ANSI colour codes and a bidi override; return the names."""
    names = ["e.json:100:.json", "[bold red]x.json", f"col{ESC}[31mred{ESC}[0m.json", "evil\u202etxt.json", "new\nline.json"]
    for name in names:
        (folder / name).write_text("{not json", "utf-8")
    return names


def test_run_prints_input_names_as_plain_escaped_text(tmp_path: Path) -> None:
    folder = tmp_path / "in"
    folder.mkdir()
    names = _hostile_names(folder)
    db = tmp_path / "c.db"
    res = _invoke("run", str(folder), "--db", str(db), "--embedder", "hashing")
    assert res.exit_code == 1, res.output
    skipped = [ln for ln in res.stderr.splitlines() if ln.startswith("skipped ")]
    assert len(skipped) == len(names)  # the newline in a name does not forge a line of its own
    for name in names:
        shown = printable(str(folder / name))
        assert any(ln.startswith(f"skipped {shown}: expected JSON") for ln in skipped), (shown, skipped)
    assert ESC not in res.stderr and "\u202e" not in res.stderr and "\U0001f4af" not in res.stderr  # 💯
    assert "\\x1b[31m" in res.stderr and "[bold red]x.json" in res.stderr and "\\u202e" in res.stderr
    listed = _invoke("failures", "--db", str(db))
    assert listed.exit_code == 0 and ESC not in listed.stdout and "\\x1b[31m" in listed.stdout
    assert len(listed.stdout.splitlines()) == len(names) and all(ln.count("\t") == 1 for ln in listed.stdout.splitlines())


def test_watch_prints_input_names_as_plain_escaped_text(tmp_path: Path) -> None:
    folder = tmp_path / "in"
    folder.mkdir()
    _hostile_names(folder)
    res = _invoke("watch", str(folder), "--db", str(tmp_path / "c.db"), "--embedder", "hashing", "--once")
    assert res.exit_code == 1, res.output
    assert ESC not in res.stderr and "\\x1b[31m" in res.stderr and "e.json:100:.json" in res.stderr and "[bold red]x.json" in res.stderr


def test_the_report_prints_titles_and_sources_as_text() -> None:
    article = {"id": "a1", "source": f"in/{ESC}[2Jwipe:fire:.txt", "title": "t", "published": None, "language": "fr", "duplicate_of": None}
    event = {
        "id": "ev-1",
        "headline": "Score :100: [bold]gras[/bold]",
        "date": None,
        "date_evidence": "none",
        "summary": f"Un résumé{ESC}[31m rouge.",
        "entities": [{"id": "PER:X", "name": "X :smile:", "type": "PER"}],
        "articles": [article],
        "story": "st-1",
    }
    report = {"events": [event], "stories": [{"id": "st-1", "title": "Histoire :fire: [i]", "events": ["ev-1"]}]}
    out = io.StringIO()
    print_report(report, Console(file=out, width=300, emoji=True, force_terminal=False))
    text = out.getvalue()
    for literal in ("Histoire :fire: [i]", "Score :100: [bold]gras[/bold]", "X :smile:", "\\x1b[2Jwipe:fire:.txt", "\\x1b[31m rouge"):
        assert literal in text, (literal, text)
    assert ESC not in text


@pytest.mark.slow
def test_a_full_disk_is_status_3_with_one_clear_line(tmp_path: Path) -> None:
    """A real write failure: the store's files may not grow past 400 kB (RLIMIT_FSIZE; Python ignores SIGXFSZ)."""
    corpus = tmp_path / "news"
    shutil.copytree(EXAMPLES, corpus)

    def small_disk() -> None:
        resource.setrlimit(resource.RLIMIT_FSIZE, (400_000, 400_000))

    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    cmd = [sys.executable, "-m", "chronique", "run", str(corpus), "--db", str(tmp_path / "c.db"), "--embedder", "hashing"]
    proc = subprocess.run(cmd, capture_output=True, text=True, env=env, preexec_fn=small_disk, timeout=300, check=False)
    assert proc.returncode == 3, proc.stderr
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: the store failed: ") and "Traceback" not in proc.stderr, lines


def test_eval_and_serve_print_names_as_plain_text(tmp_path: Path) -> None:
    # rich markup in a path would be eaten as styling ("[bold]x[/bold]" printed as "x") if printed with markup
    missing = tmp_path / "[bold]x[/bold].jsonl"
    res = CliRunner().invoke(app, ["eval", "news-events", str(missing)])
    assert res.exit_code == 2 and "[bold]x[/bold]" in res.output, res.output
    res = CliRunner().invoke(app, ["serve", "--db", str(tmp_path / "[red]s[/red].db")])
    assert res.exit_code == 2 and "[red]s[/red].db: no such store" in res.output, res.output
