"""Ingest: formats, sidecar metadata, and bad inputs that never stop a run."""

from __future__ import annotations

import json
from pathlib import Path

from chronique.ingest import read_inputs
from chronique.records import Failure, RawDocument


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
