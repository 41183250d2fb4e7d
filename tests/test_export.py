"""``chronique export`` and ``/api/export``: fixed columns in JSON lines, CSV and Parquet, on the examples' store."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pyarrow.parquet as pq
import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from chronique.app.export import COLUMNS, ExportKind, export, export_rows
from chronique.cli import app
from chronique.errors import ConfigError, InputError
from chronique.serve import create_app
from chronique.store import Store

LOCAL = "http://127.0.0.1"


@pytest.fixture(scope="module")
def store(examples_report: dict) -> Store:
    return examples_report["_store"]


@pytest.mark.parametrize("kind", list(ExportKind))
def test_every_format_holds_the_same_rows_with_the_fixed_columns(store: Store, tmp_path: Path, kind: ExportKind) -> None:
    rows = list(export_rows(store, kind))
    assert rows and all(list(r) == list(COLUMNS[kind]) for r in rows)
    for fmt in ("jsonl", "csv", "parquet"):
        assert export(store, kind, fmt, tmp_path / f"x.{fmt}") == len(rows)
    lines = (tmp_path / "x.jsonl").read_text("utf-8").splitlines()
    assert [json.loads(x) for x in lines] == rows
    with (tmp_path / "x.csv").open(encoding="utf-8", newline="") as handle:
        table = list(csv.reader(handle))
    assert table[0] == list(COLUMNS[kind]) and len(table) == len(rows) + 1
    parquet = pq.read_table(tmp_path / "x.parquet")
    assert parquet.schema.names == list(COLUMNS[kind]) and parquet.num_rows == len(rows)
    as_json = [c for c, t in COLUMNS[kind].items() if t == "json"]
    assert [{**r, **{c: json.loads(r[c]) for c in as_json if r[c] is not None}} for r in parquet.to_pylist()] == rows
    assert not list(tmp_path.glob("*.part"))


def test_the_events_carry_what_the_report_says(store: Store, examples_report: dict) -> None:
    events = {r["id"]: r for r in export_rows(store, "events")}
    assert len(events) == len(examples_report["events"])
    for ev in examples_report["events"]:
        row = events[ev["id"]]
        assert row["reports"] == len(ev["articles"]) == len(row["article_ids"])
        assert row["story_id"] == ev["story"] and row["disagreements"] == ev["disagreements"]
        assert row["first_report"] == ev["provenance"]["first_report"]
    ecb = max(events.values(), key=lambda r: len(r["languages"]))
    assert set(ecb["languages"]) >= {"fr", "de", "en", "es"}  # the rate cut, reported in four languages


def test_stories_and_articles_point_at_each_other(store: Store) -> None:
    articles = list(export_rows(store, "articles"))
    stories = {r["id"]: r for r in export_rows(store, "stories")}
    assert all(a["story_id"] in stories for a in articles if a["story_id"])
    assert all(s["first_date"] <= s["last_date"] for s in stories.values() if s["first_date"])
    assert sum(s["reports"] for s in stories.values()) == sum(1 for a in articles if a["event_id"])  # copies included


def test_contact_items_keep_their_evidence(store: Store) -> None:
    items = [r for r in export_rows(store, "contacts") if set(r["names"]) == {"Antony Blinken", "Wang Yi"}]
    assert items and all(len(r["evidence_articles"]) == len(r["evidence_sentences"]) >= 1 for r in items)


def test_bad_requests_are_refused_clearly(store: Store, tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="articles, events, stories, contacts"):
        list(export_rows(store, "pages"))
    with pytest.raises(ConfigError, match="--out"):
        export(store, "events", "parquet")
    with pytest.raises(InputError, match="no-such-folder"):
        export(store, "events", "csv", tmp_path / "no-such-folder" / "x.csv")


def test_the_command_writes_to_stdout_or_a_file(store: Store, tmp_path: Path) -> None:
    res = CliRunner().invoke(app, ["export", "--db", str(store.path), "--what", "stories"])
    assert res.exit_code == 0, res.output
    assert len(res.stdout.splitlines()) == len(list(export_rows(store, "stories")))
    out = tmp_path / "events.parquet"
    res = CliRunner().invoke(app, ["export", "--db", str(store.path), "--format", "parquet", "--out", str(out)])
    assert res.exit_code == 0 and pq.read_table(out).num_rows == len(list(export_rows(store, "events")))
    assert CliRunner().invoke(app, ["export", "--db", str(store.path), "--format", "parquet"]).exit_code == 2
    assert CliRunner().invoke(app, ["export", "--db", str(tmp_path / "none.db")]).exit_code == 2


def test_the_api_serves_the_same_tables(store: Store) -> None:
    client = TestClient(create_app(store.path, token=""), base_url=LOCAL)
    res = client.get("/api/export/events", params={"format": "csv"})
    assert res.status_code == 200 and res.headers["content-type"].startswith("text/csv")
    assert next(csv.reader(io.StringIO(res.text))) == list(COLUMNS[ExportKind.events])
    res = client.get("/api/export/contacts", params={"format": "parquet"})
    assert res.status_code == 200 and res.content[:4] == b"PAR1"
    assert client.get("/api/export/pages").status_code == 422
