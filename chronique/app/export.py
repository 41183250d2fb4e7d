"""``chronique export``: a store's articles, events, stories or contacts as JSON lines, CSV or Parquet.

Each kind is one table with fixed columns (:data:`COLUMNS`), so that a spreadsheet, pandas, DuckDB or
Arrow reads every export of every store the same way. A column holds a text, a number, a list of texts
or a JSON value (an event's disagreements, its main interaction, who is cited). In JSON lines, lists and
JSON values stay nested; in CSV both are written as JSON text; in Parquet lists are lists of strings and
JSON values are JSON text, with the schema given explicitly rather than guessed from the first rows.

The events carry what ``chronique report --format json`` computes (outlets, first report, disagreements,
provenance, the main interaction); contacts are one row per item of a contact line, with its evidence.
"""

from __future__ import annotations

import csv
import itertools
import json
import sys
from collections.abc import Iterable, Iterator
from enum import StrEnum
from pathlib import Path
from typing import IO, Any

from ..errors import ConfigError, InputError
from ..events.contacts import build_contacts
from ..events.provenance import outlet_of
from ..store import Store
from .report import build_report

__all__ = ["COLUMNS", "ExportFormat", "ExportKind", "export", "export_rows"]


class ExportFormat(StrEnum):
    """File formats of an export."""

    jsonl = "jsonl"
    csv = "csv"
    parquet = "parquet"


class ExportKind(StrEnum):
    """What an export holds: one row per article, event, story or contact item."""

    articles = "articles"
    events = "events"
    stories = "stories"
    contacts = "contacts"


PARQUET_ROWS = 10_000  # rows a Parquet row group: an export of any size holds one group in memory

# column -> type: "str", "int", "list" (of strings) or "json" (any JSON value)
COLUMNS: dict[ExportKind, dict[str, str]] = {
    ExportKind.articles: {
        "id": "str", "event_id": "str", "story_id": "str", "duplicate_of": "str", "published": "str",
        "language": "str", "outlet": "str", "domain": "str", "url": "str", "source": "str", "title": "str", "text": "str",
    },
    ExportKind.events: {
        "id": "str", "date": "str", "date_evidence": "str", "headline": "str", "summary": "str", "story_id": "str",
        "reports": "int", "article_ids": "list", "languages": "list", "outlets": "list", "first_report": "str",
        "entities": "list", "interaction": "json", "cited": "json", "disagreements": "json",
    },
    ExportKind.stories: {
        "id": "str", "title": "str", "first_date": "str", "last_date": "str", "events": "int", "reports": "int",
        "event_ids": "list",
    },
    ExportKind.contacts: {
        "parties": "list", "names": "list", "date": "str", "kind": "str", "action": "str", "channel": "str",
        "initiator": "str", "polarity": "str", "duration": "str", "place": "str", "summary": "str",
        "evidence_articles": "list", "evidence_sentences": "list",
    },
}  # fmt: skip


def export_rows(store: Store, what: ExportKind | str) -> Iterator[dict[str, Any]]:
    """The rows of one kind of export, each with exactly the columns of :data:`COLUMNS`.

    Args:
        store: an open store.
        what: ``articles``, ``events``, ``stories`` or ``contacts``.

    Returns:
        The rows, in a stable order (articles as stored, events and stories as the report orders them,
        contact lines as ``chronique contacts`` does).

    Raises:
        ConfigError: ``what`` is not a kind of export.
    """
    kind = _kind(what)
    rows = {
        ExportKind.articles: _articles,
        ExportKind.events: _events,
        ExportKind.stories: _stories,
        ExportKind.contacts: _contacts,
    }[kind](store)
    columns = COLUMNS[kind]
    for row in rows:
        yield {c: row.get(c) for c in columns}


def _kind(what: ExportKind | str) -> ExportKind:
    """``what`` as an export kind (ConfigError naming the kinds when it is none)."""
    try:
        return ExportKind(what)
    except ValueError:
        raise ConfigError(f"expected an export of {', '.join(k.value for k in ExportKind)}, got {what!r}") from None


def _articles(store: Store) -> Iterator[dict[str, Any]]:
    """One row per stored article, with its event and story."""
    member = store.memberships()
    story = {e.id: e.story_id for e in store.events()}
    for a in store.articles():
        outlet = outlet_of(a)
        event = member.get(a.id) or member.get(a.duplicate_of or "")
        yield {
            "id": a.id, "event_id": event, "story_id": story.get(event or ""), "duplicate_of": a.duplicate_of,
            "published": a.published, "language": a.language, "outlet": outlet.name, "domain": outlet.domain,
            "url": outlet.url, "source": a.source, "title": a.title, "text": a.text,
        }  # fmt: skip


def _events(store: Store) -> Iterator[dict[str, Any]]:
    """One row per event, with what the report says about it."""
    for ev in build_report(store)["events"]:
        arts = ev["articles"]
        yield {
            **{k: ev[k] for k in ("id", "date", "date_evidence", "headline", "summary", "interaction", "disagreements")},
            "story_id": ev["story"],
            "reports": len(arts),
            "article_ids": [a["id"] for a in arts],
            "languages": sorted({a["language"] for a in arts if a["language"]}),
            "outlets": list(dict.fromkeys(a["outlet"]["name"] for a in arts)),
            "first_report": ev["provenance"]["first_report"],
            "entities": [e["name"] for e in ev["entities"]],
            "cited": [{k: c[k] for k in ("name", "kind", "role", "reports")} for c in ev["provenance"]["cited"]],
        }


def _stories(store: Store) -> Iterator[dict[str, Any]]:
    """One row per story, with its span of dates and its number of reports."""
    events = {e.id: e for e in store.events()}
    for s in store.stories():
        mine = [events[i] for i in s.event_ids if i in events]
        dates = sorted(e.date for e in mine if e.date)
        yield {
            "id": s.id, "title": s.title, "first_date": dates[0] if dates else None, "last_date": dates[-1] if dates else None,
            "events": len(mine), "reports": sum(len(e.article_ids) for e in mine), "event_ids": s.event_ids,
        }  # fmt: skip


def _contacts(store: Store) -> Iterator[dict[str, Any]]:
    """One row per item of every contact line, with the reports and sentences it rests on."""
    for line in build_contacts(store)["lines"]:
        for item in line["items"]:
            yield {
                "parties": line["parties"],
                "names": line["names"],
                **{k: item.get(k) for k in ("date", "kind", "action", "channel", "initiator", "polarity", "duration", "place")},
                "summary": item["summary"],
                "evidence_articles": [e["article"] for e in item["evidence"]],
                "evidence_sentences": [e["sentence"] for e in item["evidence"]],
            }


def export(store: Store, what: ExportKind | str, fmt: ExportFormat | str, out: Path | None = None) -> int:
    """Write one kind of export of a store to a file, or JSON lines and CSV to standard output.

    Args:
        store: an open store.
        what: ``articles``, ``events``, ``stories`` or ``contacts``.
        fmt: ``jsonl``, ``csv`` or ``parquet``.
        out: the file to write (replaced when it exists; written beside and renamed, so that a failed export
            leaves no half file); None writes to standard output, which Parquet, a binary format, refuses.

    Returns:
        The number of rows written.

    Raises:
        ConfigError: an unknown kind or format, or Parquet without ``out``.
        InputError: ``out`` cannot be written.
    """
    kind = _kind(what)
    try:
        form = ExportFormat(fmt)
    except ValueError:
        raise ConfigError(f"expected a format of {', '.join(f.value for f in ExportFormat)}, got {fmt!r}") from None
    if form is ExportFormat.parquet and out is None:
        raise ConfigError("expected --out FILE with --format parquet (a binary file is not written to the terminal)")
    rows = export_rows(store, kind)
    if out is None:
        return _write_text(rows, kind, form, sys.stdout)
    part = out.with_name(out.name + ".part")
    try:
        if form is ExportFormat.parquet:
            count = _write_parquet(rows, kind, part)
        else:
            with part.open("w", encoding="utf-8", newline="") as handle:
                count = _write_text(rows, kind, form, handle)
        part.replace(out)
    except OSError as exc:
        part.unlink(missing_ok=True)
        raise InputError(str(out), f"expected a writable file, got: {exc}") from None
    return count


def _write_text(rows: Iterable[dict[str, Any]], kind: ExportKind, form: ExportFormat, handle: IO[str]) -> int:
    """JSON lines (nested values kept) or CSV (lists and JSON values as JSON text, a header row first); the row count."""
    count = 0
    types = COLUMNS[kind]
    writer = csv.writer(handle)
    if form is ExportFormat.csv:
        writer.writerow(types)
    for row in rows:
        count += 1
        if form is ExportFormat.jsonl:
            handle.write(json.dumps(row, ensure_ascii=False) + "\n")
        else:
            writer.writerow([_cell(row[c], types[c]) for c in types])
    return count


def _cell(value: Any, kind: str) -> Any:
    """A value as a CSV cell: lists and JSON values as JSON text, a missing value as an empty cell."""
    if value is None:
        return ""
    return json.dumps(value, ensure_ascii=False) if kind in ("list", "json") else value


def _write_parquet(rows: Iterator[dict[str, Any]], kind: ExportKind, path: Path) -> int:
    """A Parquet file with the kind's explicit schema (JSON values as JSON text), written a row group at a time."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    arrow = {"str": pa.string(), "int": pa.int64(), "list": pa.list_(pa.string()), "json": pa.string()}
    types = COLUMNS[kind]
    schema = pa.schema([(c, arrow[t]) for c, t in types.items()])
    count = 0
    with pq.ParquetWriter(path, schema) as writer:
        while batch := list(itertools.islice(rows, PARQUET_ROWS)):
            columns = {c: [_parquet_value(r[c], t) for r in batch] for c, t in types.items()}
            writer.write_table(pa.Table.from_pydict(columns, schema=schema))
            count += len(batch)
    return count


def _parquet_value(value: Any, kind: str) -> Any:
    """A value for its Parquet column: JSON values as JSON text."""
    return json.dumps(value, ensure_ascii=False) if kind == "json" and value is not None else value
