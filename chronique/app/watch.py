"""Watching a folder: pick up new and changed input files as they land, and keep events up to date.

A polling loop (portable, no extra dependency): each pass lists the folder's inputs with their size
and modification time, runs the pipeline on the files that are new or changed since the store last
saw them (table ``seen_files``), then records them as seen. An unchanged file is never read again;
a file still being written (modified less than ``settle`` seconds ago) waits for a later pass. A run
killed mid-pass leaves its files unrecorded, so the next pass reads them again, and articles already
stored are skipped by their content id. A file that changes replaces its earlier version: the articles it
held and no longer holds are withdrawn from the store and their events (unless another input copies them,
or the new version cannot be read at all). A file deleted from the folder keeps its articles. An entry
that is not read (a named pipe, a link out of the folder, a name that is not UTF-8, a folder that cannot be
listed) is reported as a failure once, and again only when it changes.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from ..pipeline import Pipeline, RunResult
from ..records import Failure, RawDocument
from ..sources import read_inputs, walk_inputs

__all__ = ["WatchPass", "changed_files", "watch", "watch_once"]


@dataclass(slots=True)
class WatchPass:
    """What one pass over the folder did."""

    files: list[str] = field(default_factory=list)
    result: RunResult | None = None
    withdrawn: list[str] = field(default_factory=list)  # articles of earlier versions of changed files


def changed_files(
    folder: Path, seen: dict[str, tuple[int, int]], settle: float = 0.0, now: float | None = None
) -> dict[str, tuple[int, int]]:
    """The input files under ``folder`` that are new or changed since ``seen``.

    Args:
        folder: the watched folder (walked recursively, as :func:`chronique.sources.walk_inputs` does).
        seen: ``{path: (size, mtime_ns)}`` of the files already handled.
        settle: files modified less than this many seconds ago are left for a later pass.
        now: the current time (seconds since the epoch); defaults to the clock.

    Returns:
        ``{path: (size, mtime_ns)}`` of the files to read, in sorted path order.
    """
    return _scan(folder, seen, settle, now)[0]


def _scan(
    folder: Path, seen: dict[str, tuple[int, int]], settle: float = 0.0, now: float | None = None
) -> tuple[dict[str, tuple[int, int]], dict[str, tuple[int, int]], list[Failure]]:
    """The new or changed readable files, and the new or changed entries that are refused (with their failures).

    A refused entry (a pipe, a link out of the folder, a name that is not UTF-8, a folder that cannot be
    listed) is reported once, then again only when it changes: it is recorded as seen like a file.
    """
    now = time.time() if now is None else now
    todo: dict[str, tuple[int, int]] = {}
    refused: dict[str, tuple[int, int]] = {}
    failures: list[Failure] = []
    for item in walk_inputs(folder, skip_hidden=True):
        path = Path(item.source if isinstance(item, Failure) else item)
        try:  # lstat: a link is judged by itself; its target may be a pipe that must not be opened
            st = os.lstat(path) if isinstance(item, Failure) else path.stat()
        except (OSError, ValueError):  # removed between listing and stat; an escaped name (\xff) is no path
            st = None
        sig = (st.st_size, st.st_mtime_ns) if st else (0, 0)
        key = item.source if isinstance(item, Failure) else str(path)
        if seen.get(key) == sig or (st is not None and now - st.st_mtime < settle):
            continue
        if isinstance(item, Failure):
            refused[key] = sig
            failures.append(item)
        elif st is not None:
            todo[key] = sig
    return todo, refused, failures


def watch_once(folder: Path, pipeline: Pipeline, settle: float = 0.0) -> WatchPass:
    """One pass: run the pipeline on the new and changed files, then record them as seen.

    Args:
        folder: the watched folder.
        pipeline: the pipeline over the store (which also keeps the seen files).
        settle: files modified less than this many seconds ago wait for a later pass.

    Returns:
        The files read and the run's result (None when nothing changed).
    """
    seen = pipeline.store.seen_files()
    todo, refused, failures = _scan(folder, seen, settle)
    if not todo and not refused:
        return WatchPass()
    # before the run, so that its one events update also drops what went; a run killed after this
    # leaves the file unrecorded, and the next pass adds its new version
    withdrawn = pipeline.withdraw(set().union(*(_stale(p, pipeline) for p in todo if p in seen)))
    result = pipeline.run(list(todo), extra=failures)
    pipeline.store.mark_seen({**todo, **refused})
    return WatchPass([*todo, *refused], result, withdrawn)


def _stale(path: str, pipeline: Pipeline) -> set[str]:
    """Ids of the articles a changed file held and no longer holds (none if it cannot be read now)."""
    current = set()
    for item in read_inputs([path], pipeline.max_bytes):
        if not isinstance(item, RawDocument):
            if item.source == path:
                return set()  # unreadable as a whole (cut, over the cap...): keep the last good version
            continue
        current.add(item.id)
    return pipeline.store.ids_from(path) - current


def watch(
    folder: Path,
    pipeline: Pipeline,
    interval: float = 5.0,
    settle: float = 1.0,
    on_pass: Callable[[WatchPass], None] | None = None,
    passes: int | None = None,
) -> None:
    """Poll ``folder`` every ``interval`` seconds until interrupted (Ctrl-C raises KeyboardInterrupt to the caller).

    Args:
        folder: the watched folder.
        pipeline: the pipeline over the store.
        interval: seconds between two passes.
        settle: files modified less than this many seconds ago wait for a later pass.
        on_pass: called after every pass that read files.
        passes: stop after this many passes (None: run until interrupted).
    """
    done = 0
    while passes is None or done < passes:
        step = watch_once(folder, pipeline, settle)
        if step.files and on_pass is not None:
            on_pass(step)
        done += 1
        if passes is None or done < passes:
            time.sleep(interval)
