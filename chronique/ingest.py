"""Stage 1, ingest: read files and folders into :class:`RawDocument` records.

Accepted inputs: ``.txt``, ``.html``/``.htm``, ``.json`` (one object or a list) and ``.jsonl``
(one object a line), each also gzip-compressed (``.txt.gz``...), and web archives (``.warc``,
``.warc.gz``, read by :mod:`chronique.warc`). A ``meta.csv`` sidecar (``file,published,language``)
in a folder supplies metadata for the files beside it. Bad inputs become :class:`Failure` records
naming the input and the problem; they never stop the others. No input is read whole before its
size is checked against the cap.
"""

from __future__ import annotations

import codecs
import csv
import datetime as dt
import gzip
import json
import os
import re
import zlib
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
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

__all__ = [
    "DEFAULT_MAX_BYTES",
    "INPUT_SUFFIXES",
    "IngestStats",
    "as_failure",
    "decode_bytes",
    "decode_page",
    "input_kind",
    "read_capped",
    "read_inputs",
]

DEFAULT_MAX_BYTES = 5_000_000
INPUT_SUFFIXES = {".txt": "text", ".html": "html", ".htm": "html", ".json": "json", ".jsonl": "jsonl"}
_SIDECAR = "meta.csv"
_JSON_FIELDS = {"text", "title", "url", "published", "source", "language"}
_HIDDEN_BLOCK = re.compile(r"(head|script|style|noscript|template)(?:[\s/>]|$)")
_CHARSET = re.compile(rb"""<meta[^>]{0,200}?charset\s*=\s*["']?\s*([A-Za-z0-9_.:-]{1,40})""", re.IGNORECASE)


@dataclass(slots=True)
class IngestStats:
    """Counts of inputs that were passed over without being an error.

    Attributes:
        not_articles: archive records that are not article pages (requests, metadata, images, 404s...).
        already_stored: URLs not fetched because the store already holds them.
    """

    not_articles: int = 0
    already_stored: int = 0


def input_kind(path: Path) -> str | None:
    """The reader for ``path`` by its name: text, html, json, jsonl or warc (``.gz`` allowed); None if not an input.

    Args:
        path: a file name or path.

    Returns:
        The kind, or None for a file that is not an accepted input.
    """
    name = path.name.lower()
    if name.endswith((".warc", ".warc.gz")):
        return "warc"
    if name.endswith(".gz"):
        name = name[:-3]
    return INPUT_SUFFIXES.get(Path(name).suffix)


def read_inputs(
    paths: Iterable[str | os.PathLike[str]], max_bytes: int = DEFAULT_MAX_BYTES, stats: IngestStats | None = None
) -> Iterator[RawDocument | Failure]:
    """Read every input under ``paths`` in a stable order.

    Args:
        paths: files or folders; folders are walked recursively for accepted suffixes.
        max_bytes: inputs (and archive records) larger than this are refused with :class:`TooLargeError`.
        stats: counts of archive records passed over are added here.

    Yields:
        A :class:`RawDocument` per article, or a :class:`Failure` per input (or JSON line,
        or archive record) that could not be read.
    """
    stats = stats if stats is not None else IngestStats()
    for path in map(Path, paths):
        if not path.exists():
            yield Failure(str(path), "no such file or folder")
        elif path.is_dir():
            yield from _read_folder(path, max_bytes, stats)
        else:
            meta, failures = _load_sidecar(path.parent)
            yield from failures
            yield from _read_file(path, meta.get(path.name, {}), max_bytes, stats, explicit=True)


def _read_folder(folder: Path, max_bytes: int, stats: IngestStats) -> Iterator[RawDocument | Failure]:
    """Walk ``folder`` in sorted order, applying each sub-folder's sidecar."""
    for root, dirs, files in os.walk(folder):
        dirs.sort()
        meta, failures = _load_sidecar(Path(root))
        yield from failures
        for name in sorted(files):
            if name == _SIDECAR or input_kind(Path(name)) is None:
                continue
            yield from _read_file(Path(root) / name, meta.get(name, {}), max_bytes, stats, explicit=False)


def _load_sidecar(folder: Path) -> tuple[dict[str, dict[str, str]], list[Failure]]:
    """Parse ``folder/meta.csv`` into {file name: {published, language}}."""
    path = folder / _SIDECAR
    if not path.is_file():
        return {}, []
    try:
        text = decode_bytes(read_capped(path, DEFAULT_MAX_BYTES), str(path))
        return _parse_sidecar(path, text)
    except (InputError, OSError) as exc:
        return {}, [as_failure(str(path), exc)]


def _parse_sidecar(path: Path, text: str) -> tuple[dict[str, dict[str, str]], list[Failure]]:
    """Parse a sidecar's text; a row that is not CSV stops the file with :class:`MalformedRecordError`."""
    meta: dict[str, dict[str, str]] = {}
    failures: list[Failure] = []
    reader = csv.DictReader(text.splitlines())
    try:
        fieldnames = reader.fieldnames
        if not fieldnames or "file" not in fieldnames:
            return {}, [Failure(str(path), f"expected a header with a 'file' column, got {fieldnames}")]
        rows = list(enumerate(reader, start=2))
    except csv.Error as exc:
        raise MalformedRecordError(f"{path}:{reader.line_num}", f"expected CSV, got a line that is not ({exc})") from None
    for lineno, row in rows:
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
                failures.append(Failure(f"{path}:{lineno}", f"expected an ISO date (YYYY-MM-DD) in 'published', got {published!r}"))
        meta[name] = entry
    return meta, failures


def read_capped(path: Path, max_bytes: int) -> bytes:
    """Read a file (decompressing ``.gz``) without ever holding more than ``max_bytes + 1`` bytes.

    Args:
        path: the file.
        max_bytes: the size cap, checked before reading (on disk) and while decompressing.

    Returns:
        The (decompressed) bytes.

    Raises:
        TooLargeError: the file, or its decompressed content, is larger than the cap.
        InputError: a ``.gz`` file that is not gzip or is cut short.
        OSError: the file cannot be read.
    """
    source = str(path)
    size = path.stat().st_size
    if size > max_bytes:
        raise TooLargeError(source, f"expected at most {max_bytes} bytes, got {size}")
    if not path.name.lower().endswith(".gz"):
        with path.open("rb") as fh:
            return fh.read(max_bytes + 1)
    try:
        with gzip.open(path, "rb") as fh:
            data = fh.read(max_bytes + 1)
    except EOFError:
        raise InputError(source, "expected a complete gzip stream, got one cut short (truncated file)") from None
    except (gzip.BadGzipFile, zlib.error) as exc:
        raise InputError(source, f"expected gzip-compressed data, got data that does not decompress ({exc})") from None
    if len(data) > max_bytes:
        raise TooLargeError(source, f"expected at most {max_bytes} bytes once decompressed, got more")
    return data


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
    _check_text(data, source)
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise EncodingError(source, f"expected UTF-8 text, got an invalid byte 0x{data[exc.start]:02x} at offset {exc.start}") from None


def decode_page(data: bytes, source: str, content_type: str | None = None) -> str:
    """Decode a web page's bytes by its declared charset (HTTP header, then ``<meta charset>``), UTF-8 by default.

    Args:
        data: the page bytes.
        source: the page's name (URL or archive record), for error messages.
        content_type: the HTTP ``Content-Type`` header, if any.

    Returns:
        The page text.

    Raises:
        EmptyInputError: no content, or no text outside the head, tags and scripts.
        BinaryInputError: NUL bytes or many control characters.
        EncodingError: an unknown charset, or bytes invalid in the declared one.
    """
    found = re.search(r"charset\s*=\s*[\"']?([\w.:-]+)", content_type or "", re.IGNORECASE)
    meta = _CHARSET.search(data[:4096]) if not found else None
    charset = found.group(1) if found else meta.group(1).decode("ascii") if meta else "utf-8"
    try:
        codec = codecs.lookup(charset).name
    except LookupError:
        raise EncodingError(source, f"expected a known charset, got {charset!r}") from None
    if codec == "utf-8":
        text = decode_bytes(data, source)
    else:
        _check_text(data, source)
        try:
            text = data.decode(codec)
        except UnicodeDecodeError as exc:
            raise EncodingError(
                source, f"expected {charset} text, got an invalid byte 0x{data[exc.start]:02x} at offset {exc.start}"
            ) from None
    if not _has_body_text(text):
        raise EmptyInputError(source, "expected an HTML page with text in its body, got none (only a head, tags or scripts)")
    return text


def as_failure(source: str, exc: InputError | OSError) -> Failure:
    """The :class:`Failure` of an input that raised while being read.

    Args:
        source: the input's name, used when the error does not carry one (an ``OSError``).
        exc: the error.

    Returns:
        A failure naming the input and the problem.
    """
    if isinstance(exc, InputError):
        return Failure(exc.source, exc.problem)
    return Failure(source, f"cannot read: {exc.strerror or exc}")


def _has_body_text(html: str) -> bool:
    """Whether a page has any text outside tags, comments and its head, scripts and styles (one linear scan)."""
    low, i = html.lower(), 0
    while i < len(html):
        j = low.find("<", i)
        if html[i : len(html) if j < 0 else j].strip():
            return True
        if j < 0:
            return False
        if low.startswith("!--", j + 1):
            end, close = low.find("-->", j + 4), "-->"
        else:
            hidden = _HIDDEN_BLOCK.match(low, j + 1)
            tag = hidden.group(1) if hidden else None
            close = f"</{tag}" if tag else ">"
            end = low.find(close, j + 1)
            if tag and end >= 0:
                end, close = low.find(">", end), ">"
        i = len(html) if end < 0 else end + len(close)
    return False


def _check_text(data: bytes, source: str) -> None:
    """Refuse empty data and binary data (NUL bytes or many control characters in the first 8 KiB)."""
    if not data.strip():
        raise EmptyInputError(source, "expected text, got an empty file")
    head = data[:8192]
    controls = sum(1 for b in head if b < 9 or 13 < b < 32)
    if b"\x00" in head or controls > len(head) * 0.05:
        raise BinaryInputError(source, "expected text, got binary data")


def _read_file(path: Path, meta: dict[str, str], max_bytes: int, stats: IngestStats, explicit: bool) -> Iterator[RawDocument | Failure]:
    """Read one file into documents, turning its problems into failures."""
    source = str(path)
    kind = input_kind(path)
    if kind is None:
        if explicit:
            yield Failure(source, f"expected one of {sorted(INPUT_SUFFIXES)} (or .gz, .warc, .warc.gz), got a '{path.suffix}' file")
        return
    if kind == "warc":
        from .warc import read_warc

        yield from read_warc(path, max_bytes, stats)
        return
    try:
        raw = read_capped(path, max_bytes)
        text = decode_page(raw, source) if kind == "html" else decode_bytes(raw, source)
    except (InputError, OSError) as exc:
        yield as_failure(source, exc)
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
    if kind == "jsonl":  # split on newlines only: U+2028 and friends may stand inside JSON strings
        items = ((f"{source}:{n}", line) for n, line in enumerate(text.split("\n"), start=1) if line.strip())
        for name, line in items:
            try:
                yield _json_record(name, _parse_json(name, line), meta)
            except InputError as exc:
                yield Failure(exc.source, exc.problem)
        return
    try:
        data = _parse_json(source, text)
    except InputError as exc:
        yield Failure(exc.source, exc.problem)
        return
    records = data if isinstance(data, list) else [data]
    for n, obj in enumerate(records):
        name = f"{source}:{n + 1}" if isinstance(data, list) else source
        try:
            yield _json_record(name, obj, meta)
        except InputError as exc:
            yield Failure(exc.source, exc.problem)


def _parse_json(name: str, text: str) -> object:
    """Parse JSON text, turning every parser complaint into :class:`MalformedRecordError`."""
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise MalformedRecordError(name, f"expected JSON, got invalid JSON ({exc.msg} at line {exc.lineno} column {exc.colno})") from None
    except ValueError as exc:  # e.g. an integer too long to convert
        raise MalformedRecordError(name, f"expected JSON, got a value it cannot hold ({exc})") from None
    except RecursionError:
        raise MalformedRecordError(name, "expected JSON, got nesting too deep to parse") from None


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
            raise MalformedRecordError(name, f"expected an ISO date in 'published', got {obj['published']!r}") from None
    return doc


def read_json_text(text: str, source: str) -> list[RawDocument | Failure]:
    """Read JSON text holding one article object or a list of them, as a ``.json`` input is read.

    Args:
        text: the JSON text (fields ``text``, and optionally ``title``, ``url``, ``published``, ``source``, ``language``).
        source: the input's name; the N-th object of a list is named ``source:N``.

    Returns:
        A :class:`RawDocument` per valid object and a :class:`Failure` per invalid one (or one for invalid JSON).
    """
    return list(_read_json(source, text, "json", {}))
