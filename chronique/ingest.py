"""Stage 1, ingest: read files and folders into :class:`RawDocument` records.

Accepted inputs: ``.txt``, ``.html``/``.htm``, ``.json`` (one object or a list) and ``.jsonl``
(one object a line). A ``meta.csv`` sidecar (``file,published,language``) in a folder supplies
metadata for the files beside it. Bad inputs become :class:`Failure` records naming the input
and the problem; they never stop the others.
"""

from __future__ import annotations

import csv
import datetime as dt
import json
import os
from collections.abc import Iterable, Iterator
from pathlib import Path

from .errors import (
    BinaryInputError,
    EmptyInputError,
    EncodingError,
    InputError,
    MalformedRecordError,
    TooLargeError,
)
from .records import Failure, RawDocument, content_id

__all__ = ["DEFAULT_MAX_BYTES", "INPUT_SUFFIXES", "decode_bytes", "read_inputs"]

DEFAULT_MAX_BYTES = 5_000_000
INPUT_SUFFIXES = {".txt": "text", ".html": "html", ".htm": "html", ".json": "json", ".jsonl": "jsonl"}
_SIDECAR = "meta.csv"
_JSON_FIELDS = {"text", "title", "url", "published", "source", "language"}


def read_inputs(
    paths: Iterable[str | os.PathLike[str]], max_bytes: int = DEFAULT_MAX_BYTES
) -> Iterator[RawDocument | Failure]:
    """Read every input under ``paths`` in a stable order.

    Args:
        paths: files or folders; folders are walked recursively for accepted suffixes.
        max_bytes: inputs larger than this are refused with :class:`TooLargeError`.

    Yields:
        A :class:`RawDocument` per article, or a :class:`Failure` per input (or JSON line)
        that could not be read.
    """
    for path in map(Path, paths):
        if not path.exists():
            yield Failure(str(path), "no such file or folder")
        elif path.is_dir():
            yield from _read_folder(path, max_bytes)
        else:
            meta, failures = _load_sidecar(path.parent)
            yield from failures
            yield from _read_file(path, meta.get(path.name, {}), max_bytes, explicit=True)


def _read_folder(folder: Path, max_bytes: int) -> Iterator[RawDocument | Failure]:
    """Walk ``folder`` in sorted order, applying each sub-folder's sidecar."""
    for root, dirs, files in os.walk(folder):
        dirs.sort()
        meta, failures = _load_sidecar(Path(root))
        yield from failures
        for name in sorted(files):
            if name == _SIDECAR or Path(name).suffix.lower() not in INPUT_SUFFIXES:
                continue
            yield from _read_file(Path(root) / name, meta.get(name, {}), max_bytes, explicit=False)


def _load_sidecar(folder: Path) -> tuple[dict[str, dict[str, str]], list[Failure]]:
    """Parse ``folder/meta.csv`` into {file name: {published, language}}."""
    path = folder / _SIDECAR
    if not path.is_file():
        return {}, []
    meta: dict[str, dict[str, str]] = {}
    failures: list[Failure] = []
    try:
        text = decode_bytes(path.read_bytes(), str(path))
    except InputError as exc:
        return {}, [Failure(exc.source, exc.problem)]
    reader = csv.DictReader(text.splitlines())
    if not reader.fieldnames or "file" not in reader.fieldnames:
        return {}, [Failure(str(path), f"expected a header with a 'file' column, got {reader.fieldnames}")]
    for lineno, row in enumerate(reader, start=2):
        name = (row.get("file") or "").strip()
        if not name:
            failures.append(Failure(f"{path}:{lineno}", "empty 'file' column"))
            continue
        entry = {"language": (row.get("language") or "").strip().lower()}
        published = (row.get("published") or "").strip()
        if published:
            try:
                entry["published"] = normalise_date(published)
            except ValueError:
                failures.append(
                    Failure(f"{path}:{lineno}", f"expected an ISO date (YYYY-MM-DD) in 'published', got {published!r}")
                )
        meta[name] = entry
    return meta, failures


def normalise_date(value: str) -> str:
    """Return ``value`` (an ISO date or datetime) as ``YYYY-MM-DD``; raise ValueError otherwise."""
    value = value.strip()
    try:
        return dt.date.fromisoformat(value[:10]).isoformat()
    except ValueError:
        return dt.datetime.fromisoformat(value.replace("Z", "+00:00")).date().isoformat()


def decode_bytes(data: bytes, source: str) -> str:
    """Decode an input's bytes as UTF-8 text, refusing empty and binary data.

    Args:
        data: the raw bytes.
        source: the input's name, for error messages.

    Returns:
        The decoded text (a UTF-8 BOM is dropped).

    Raises:
        EmptyInputError: no non-blank text.
        BinaryInputError: NUL bytes or many control characters.
        EncodingError: bytes that are not valid UTF-8.
    """
    if not data.strip():
        raise EmptyInputError(source, "expected text, got an empty file")
    head = data[:8192]
    controls = sum(1 for b in head if b < 9 or 13 < b < 32)
    if b"\x00" in head or controls > len(head) * 0.05:
        raise BinaryInputError(source, "expected text, got binary data")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise EncodingError(
            source, f"expected UTF-8 text, got an invalid byte 0x{data[exc.start]:02x} at offset {exc.start}"
        ) from None


def _read_file(
    path: Path, meta: dict[str, str], max_bytes: int, explicit: bool
) -> Iterator[RawDocument | Failure]:
    """Read one file into documents, turning its problems into failures."""
    source = str(path)
    kind = INPUT_SUFFIXES.get(path.suffix.lower())
    if kind is None:
        if explicit:
            yield Failure(source, f"expected one of {sorted(INPUT_SUFFIXES)}, got a '{path.suffix}' file")
        return
    try:
        size = path.stat().st_size
        if size > max_bytes:
            raise TooLargeError(source, f"expected at most {max_bytes} bytes, got {size}")
        text = decode_bytes(path.read_bytes(), source)
    except InputError as exc:
        yield Failure(exc.source, exc.problem)
        return
    except OSError as exc:
        yield Failure(source, f"cannot read: {exc.strerror or exc}")
        return
    if kind in ("text", "html"):
        yield _with_meta(RawDocument(content_id(text), source, text, kind), meta, "meta.csv")
    else:
        yield from _read_json(source, text, kind, meta)


def _with_meta(doc: RawDocument, meta: dict[str, str], origin: str) -> RawDocument:
    """Apply sidecar metadata to a document."""
    if meta.get("published"):
        doc.published, doc.published_origin = meta["published"], origin
    if meta.get("language"):
        doc.language = meta["language"]
    return doc


def _read_json(source: str, text: str, kind: str, meta: dict[str, str]) -> Iterator[RawDocument | Failure]:
    """Yield documents from a ``.json`` (object or list) or ``.jsonl`` input."""
    if kind == "jsonl":
        items = ((f"{source}:{n}", line) for n, line in enumerate(text.splitlines(), start=1) if line.strip())
        for name, line in items:
            try:
                yield _json_record(name, json.loads(line), meta)
            except json.JSONDecodeError as exc:
                yield Failure(name, f"expected a JSON object, got invalid JSON ({exc.msg} at column {exc.colno})")
            except InputError as exc:
                yield Failure(exc.source, exc.problem)
        return
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        yield Failure(source, f"expected JSON, got invalid JSON ({exc.msg} at line {exc.lineno})")
        return
    records = data if isinstance(data, list) else [data]
    for n, obj in enumerate(records):
        name = f"{source}:{n + 1}" if isinstance(data, list) else source
        try:
            yield _json_record(name, obj, meta)
        except InputError as exc:
            yield Failure(exc.source, exc.problem)


def _json_record(name: str, obj: object, meta: dict[str, str]) -> RawDocument:
    """Validate one JSON article object and build its document."""
    if not isinstance(obj, dict):
        raise MalformedRecordError(name, f"expected a JSON object, got {type(obj).__name__}")
    text = obj.get("text")
    if not isinstance(text, str) or not text.strip():
        raise MalformedRecordError(name, "expected a non-empty string in 'text'")
    for key in _JSON_FIELDS - {"text"}:
        if obj.get(key) is not None and not isinstance(obj[key], str):
            raise MalformedRecordError(name, f"expected a string in '{key}', got {type(obj[key]).__name__}")
    fmt = "html" if text.lstrip().startswith("<") and "</" in text else "text"
    doc = _with_meta(RawDocument(content_id(text), name, text, fmt), meta, "meta.csv")
    doc.title = obj.get("title") or None
    doc.url = obj.get("url") or None
    doc.site = obj.get("source") or None
    if obj.get("language"):
        doc.language = obj["language"].strip().lower()
    if obj.get("published"):
        try:
            doc.published, doc.published_origin = normalise_date(obj["published"]), "json"
        except ValueError:
            raise MalformedRecordError(
                name, f"expected an ISO date in 'published', got {obj['published']!r}"
            ) from None
    return doc
