"""The command-line application: the typer app, its global options, exit statuses and output helpers."""

from __future__ import annotations

import functools
import json
import logging
import os
import sqlite3
import sys
from collections.abc import Callable
from enum import IntEnum, StrEnum
from pathlib import Path
from typing import Any, TypeVar

import click
import typer
from rich.console import Console

from ..app.report import printable
from ..errors import ChroniqueError, ConfigError, InputError
from ..store import Store

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


def _say(text: str, style: str | None = None) -> None:
    """Print a line to stderr as plain text: no markup or emoji codes, controls shown escaped, never wrapped (names stay whole)."""
    err.print(printable(text), style=style, markup=False, emoji=False, highlight=False, soft_wrap=True)


def _out() -> Console:
    """The console of the text report (stdout): ``:name:`` in a title is text, not an emoji."""
    return Console(emoji=False, highlight=False)


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
