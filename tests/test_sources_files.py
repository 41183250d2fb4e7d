"""Ingest: formats, sidecar metadata, and bad inputs that never stop a run."""

from __future__ import annotations

import gzip
import json
import os
from pathlib import Path

from chronique.records import Failure, RawDocument
from chronique.sources import read_inputs


def _split(items: list) -> tuple[list[RawDocument], list[Failure]]:
    return [i for i in items if isinstance(i, RawDocument)], [i for i in items if isinstance(i, Failure)]


def test_seeds_with_sidecar(seeds_dir: Path) -> None:
    docs, fails = _split(list(read_inputs([seeds_dir])))
    assert len(docs) == 5 and not fails
    assert all(d.published and d.published_origin == "meta.csv" and d.language == "fr" for d in docs)
    assert len({d.id for d in docs}) == 5


def test_bad_inputs_each_get_a_message(tmp_path: Path) -> None:
    (tmp_path / "good.txt").write_text("Titre\n\nUn fait rapporté ici.\n", "utf-8")
    (tmp_path / "empty.txt").write_bytes(b"")
    (tmp_path / "binary.txt").write_bytes(bytes(range(256)) * 4)
    (tmp_path / "latin1.txt").write_bytes("Titre\n\nÉté à Paris, café crème.\n".encode("latin-1"))
    (tmp_path / "huge.txt").write_text("mot " * 3000, "utf-8")
    lines = [
        json.dumps({"text": "Premier article.", "published": "2024-01-02"}),
        "{not json",
        json.dumps({"title": "x"}),
        json.dumps({"text": "Troisième.", "published": "demain"}),
        json.dumps({"text": "Quatrième."}),
    ]
    (tmp_path / "feed.jsonl").write_text("\n".join(lines), "utf-8")
    docs, fails = _split(list(read_inputs([tmp_path], max_bytes=10_000)))
    reasons = {Path(f.source).name: f.reason for f in fails}
    assert "empty" in reasons["empty.txt"]
    assert "binary" in reasons["binary.txt"]
    assert "UTF-8" in reasons["latin1.txt"] and "0xc9" in reasons["latin1.txt"]
    assert "at most 10000 bytes" in reasons["huge.txt"]
    assert "invalid JSON" in reasons["feed.jsonl:2"]
    assert "'text'" in reasons["feed.jsonl:3"]
    assert "ISO date" in reasons["feed.jsonl:4"]
    assert sorted(Path(d.source).name for d in docs) == ["feed.jsonl:1", "feed.jsonl:5", "good.txt"]
    assert next(d for d in docs if d.source.endswith(":1")).published == "2024-01-02"


def test_sidecar_bad_date_and_missing_path(tmp_path: Path) -> None:
    (tmp_path / "a.txt").write_text("Titre\n\nTexte.\n", "utf-8")
    (tmp_path / "meta.csv").write_text("file,published,language\na.txt,13/45/2022,fr\n", "utf-8")
    docs, fails = _split(list(read_inputs([tmp_path, tmp_path / "nope.txt"])))
    assert docs[0].published is None and docs[0].language == "fr"
    assert any("meta.csv:2" in f.source and "ISO date" in f.reason for f in fails)
    assert any(f.source.endswith("nope.txt") and "no such" in f.reason for f in fails)


def test_unknown_suffix_given_explicitly(tmp_path: Path) -> None:
    path = tmp_path / "notes.pdf"
    path.write_bytes(b"%PDF")
    _, fails = _split(list(read_inputs([path])))
    assert "expected one of" in fails[0].reason


def test_jsonl_over_the_cap_is_read_record_by_record(tmp_path: Path) -> None:
    """Audit: a JSONL file over --max-bytes was refused whole (a 5.2 MB file of 2,490 articles stored nothing)."""
    records = [json.dumps({"text": f"Article {i}. " + "mot " * 100}) for i in range(60)]
    records.insert(30, json.dumps({"text": "x" * 2_000}))  # one record over the cap: only it is refused
    path = tmp_path / "big.jsonl"
    path.write_text("\n".join(records), "utf-8")
    assert path.stat().st_size > 10 * 1_000
    docs, fails = _split(list(read_inputs([path], max_bytes=1_000)))
    assert len(docs) == 60 and len({d.id for d in docs}) == 60
    assert [(f.source, f.reason) for f in fails] == [(f"{path}:31", "expected a record of at most 1000 bytes, got a longer line")]


def test_gzipped_jsonl_streams_and_names_where_it_is_cut(tmp_path: Path) -> None:
    data = gzip.compress("\n".join(json.dumps({"text": f"Article {i}. " + "mot " * 50}) for i in range(200)).encode())
    (tmp_path / "a.jsonl.gz").write_bytes(data)
    (tmp_path / "cut.jsonl.gz").write_bytes(data[: len(data) // 2])
    docs, fails = _split(list(read_inputs([tmp_path / "a.jsonl.gz", tmp_path / "cut.jsonl.gz"], max_bytes=1_000)))
    assert sum(d.source.startswith(str(tmp_path / "a.jsonl.gz")) for d in docs) == 200
    assert len(fails) == 1 and "cut short" in fails[0].reason and "after line" in fails[0].reason
    assert 0 < sum("cut.jsonl" in d.source for d in docs) < 200  # what came before the cut is kept


def test_json_list_records_are_capped_each_and_the_list_in_all(tmp_path: Path) -> None:
    items = [{"text": f"Article {i}. " + "mot " * 100} for i in range(30)] + [{"text": "y" * 2_000}]
    (tmp_path / "list.json").write_text(json.dumps(items), "utf-8")
    docs, fails = _split(list(read_inputs([tmp_path / "list.json"], max_bytes=1_000)))
    assert len(docs) == 30 and [f.source.rsplit(":", 1)[1] for f in fails] == ["31"] and "at most 1000 bytes" in fails[0].reason
    (tmp_path / "list.json").write_text(json.dumps(items * 10), "utf-8")  # over 20 records' worth in all
    docs, fails = _split(list(read_inputs([tmp_path / "list.json"], max_bytes=1_000)))
    assert not docs and len(fails) == 1 and "parsed whole" in fails[0].reason and "JSON lines" in fails[0].reason


def test_special_files_given_by_name_are_refused_without_blocking(tmp_path: Path) -> None:
    """Audit: a named pipe hung the run forever (opening it waits for a writer)."""
    paths = [tmp_path / name for name in ("p.txt", "p.jsonl", "p.warc", "p.html.gz")]
    for path in paths:
        os.mkfifo(path)
    _, fails = _split(list(read_inputs(paths)))
    assert [f.source for f in fails] == [str(p) for p in paths]
    assert all("named pipe" in f.reason for f in fails)


def test_metadata_is_validated_at_ingest(tmp_path: Path) -> None:
    """Audit: dates such as 9999-12-31 and languages such as 'français' passed ingest and failed in the analysis."""
    lines = [
        {"text": "Un.", "published": "2024-03-05T10:00:00Z", "language": "FR-fr"},
        {"text": "Deux.", "published": "1799-12-31"},
        {"text": "Trois.", "language": "français"},
    ]
    (tmp_path / "a.jsonl").write_text("\n".join(map(json.dumps, lines)), "utf-8")
    (tmp_path / "b.txt").write_text("Titre\n\nTexte.\n", "utf-8")
    (tmp_path / "meta.csv").write_text("file,published,language\nb.txt,2101-01-01,en_GB\n", "utf-8")
    docs, fails = _split(list(read_inputs([tmp_path])))
    by_name = {Path(d.source).name: d for d in docs}
    assert (by_name["a.jsonl:1"].published, by_name["a.jsonl:1"].language) == ("2024-03-05", "fr")
    assert (by_name["b.txt"].published, by_name["b.txt"].language) == (None, "en")  # the bad date is dropped, the file kept
    reasons = {Path(f.source).name: f.reason for f in fails}
    assert "between 1800-01-01 and 2100-12-31" in reasons["a.jsonl:2"] and "'published'" in reasons["a.jsonl:2"]
    assert "ISO 639-1" in reasons["a.jsonl:3"] and "'français'" in reasons["a.jsonl:3"]
    assert "2101-01-01" in reasons["meta.csv:2"]


def test_a_file_name_that_is_not_utf8_is_named_escaped(tmp_path: Path) -> None:
    """Audit: a file name that is not valid UTF-8 crashed the run when the store wrote it."""
    bad = os.fsdecode(os.fsencode(tmp_path) + b"/x\xff.txt")
    Path(bad).write_text("T\n\nTexte.\n", "utf-8")
    _, fails = _split(list(read_inputs([tmp_path])))
    assert [f.source for f in fails] == [f"{tmp_path}/x\\xff.txt"]
    fails[0].source.encode("utf-8")  # storable and printable
