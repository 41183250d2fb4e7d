"""Files and folders into :class:`RawDocument` records.

Accepted inputs: ``.txt``, ``.html``/``.htm``, ``.json`` (one object or a list) and ``.jsonl``
(one object a line), each also gzip-compressed (``.txt.gz``...), and web archives (``.warc``,
``.warc.gz``, read by :mod:`chronique.sources.warc`). A ``meta.csv`` sidecar (``file,published,language``)
in a folder supplies metadata for the files beside it. Bad inputs become :class:`Failure` records
naming the input and the problem; they never stop the others.

Every read is bounded: only regular files are opened (a named pipe, socket or device could block
forever), never more than the size cap is held, and decompression stops at a cap. The cap
(``max_bytes``) applies to a whole ``.txt``/``.html``/single-object ``.json`` file and to each record of
a ``.jsonl`` file, a ``.json`` list or a web archive. A ``.jsonl`` file is streamed line by line, so it
may be of any size on disk (compressed, it may inflate to at most :data:`~chronique.sources.decode.GZIP_MAX_RATIO` times its
size); a ``.json`` list is parsed whole, so it has a total cap of :data:`JSON_LIST_FACTOR` records'
worth. A folder walk reads only regular files inside the folder: symbolic links leading out of it,
links to folders (which may loop), and names that are not UTF-8 are reported, not followed.
"""

from __future__ import annotations

import codecs
import csv
import errno
import gzip
import json
import os
import re
import stat
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import BinaryIO

from ..errors import (
    EmptyInputError,
    InputError,
    MalformedRecordError,
    TooLargeError,
)
from ..records import Failure, RawDocument, content_id
from ..stages.language import normalise_language
from .decode import (
    _BIDI_CONTROLS,
    DEFAULT_MAX_BYTES,
    GZIP_MAX_RATIO,
    IngestStats,
    _check_binary,
    _check_length,
    _gunzip_errors,
    _not_regular,
    as_failure,
    check_html,
    decode_bytes,
    decode_page,
    display_name,
    normalise_date,
    open_regular,
    read_capped,
)
from .warc import read_warc

__all__ = ["INPUT_SUFFIXES", "JSON_LIST_FACTOR", "input_kind", "read_inputs", "read_json_text", "walk_inputs"]


JSON_LIST_FACTOR = 20  # a .json list may hold 20 records' worth of bytes (it is parsed whole)


INPUT_SUFFIXES = {".txt": "text", ".html": "html", ".htm": "html", ".json": "json", ".jsonl": "jsonl"}


_SIDECAR = "meta.csv"


_JSON_FIELDS = {"text", "title", "url", "published", "source", "language"}


_MAX_FIELD_CHARS = 2_000  # title, url, source: a line of metadata, not a text


_JSON_WS = re.compile(r"[ \t\n\r]*")


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


# --- reading: folders, files, bounded reads ------------------------------------------------------------


def read_inputs(
    paths: Iterable[str | os.PathLike[str]], max_bytes: int = DEFAULT_MAX_BYTES, stats: IngestStats | None = None
) -> Iterator[RawDocument | Failure]:
    """Read every input under ``paths`` in a stable order.

    Args:
        paths: files or folders; folders are walked recursively for accepted suffixes (see :func:`walk_inputs`).
        max_bytes: inputs, and records of JSON lines, JSON lists and archives, larger than this are refused
            with :class:`TooLargeError`.
        stats: counts of archive records passed over are added here.

    Yields:
        A :class:`RawDocument` per article, or a :class:`Failure` per input (or JSON line,
        or archive record, or folder) that could not be read.
    """
    stats = stats if stats is not None else IngestStats()
    for path in map(Path, paths):
        problem = _name_problem(path)
        if problem:
            yield Failure(display_name(path), problem)
        elif not path.exists():
            yield Failure(str(path), "no such file or folder" + (" (a broken symbolic link)" if path.is_symlink() else ""))
        elif path.is_dir():
            yield from _read_folder(path, max_bytes, stats)
        else:
            meta, failures = _load_sidecar(path.parent)
            yield from failures
            yield from _read_file(path, meta.get(path.name, {}), max_bytes, stats, explicit=True)


def walk_inputs(folder: Path, skip_hidden: bool = False) -> Iterator[Path | Failure]:
    """Every input file under ``folder`` that can be read safely, in sorted order; a failure for each that cannot.

    Only regular files inside ``folder`` are read. A symbolic link to a file inside the folder is read;
    one leading outside it, a broken or looping one, a link to a folder (not followed: it could loop),
    a named pipe, socket or device (it could block forever), a name that is not UTF-8 and a folder that
    cannot be listed are each reported as a :class:`Failure`. ``meta.csv`` sidecars are not listed.

    Args:
        folder: the folder to walk.
        skip_hidden: pass over names starting with a dot (editors' and copiers' temporary files).

    Yields:
        The path of each readable input file, or a :class:`Failure` naming an entry that is not read.
    """
    root = folder.resolve()
    unlisted: list[OSError] = []
    for here, dirs, files in os.walk(folder, onerror=unlisted.append):
        yield from _unlisted(unlisted)
        base = Path(here)
        kept = []
        for name in sorted(dirs):
            if skip_hidden and name.startswith("."):
                continue
            problem = _name_problem(base / name) or _folder_link_problem(base / name)
            if problem:
                yield Failure(display_name(base / name), problem)
            else:
                kept.append(name)
        dirs[:] = kept
        for name in sorted(files):
            if name == _SIDECAR or input_kind(Path(name)) is None or (skip_hidden and name.startswith(".")):
                continue
            problem = _name_problem(base / name) or _entry_problem(base / name, root)
            yield Failure(display_name(base / name), problem) if problem else base / name
    yield from _unlisted(unlisted)


def _unlisted(errors: list[OSError]) -> Iterator[Failure]:
    """Failures for the folders os.walk could not list (then forgets them)."""
    for exc in errors:
        name = display_name(exc.filename or "?")
        yield Failure(name, f"expected a folder it can list, got an error ({exc.strerror or exc}); its files were not read")
    errors.clear()


def _name_problem(path: Path) -> str | None:
    """Why a path cannot be named in the store and reports: its name is not UTF-8 (None when it can)."""
    raw = os.fsencode(path)
    try:
        raw.decode("utf-8")
        return None
    except UnicodeDecodeError as exc:
        return f"expected a file name in UTF-8, got one with the byte 0x{raw[exc.start]:02x} (not read: rename it)"


def _folder_link_problem(path: Path) -> str | None:
    """A symbolic link to a folder is not followed (it could loop, or lead anywhere)."""
    if path.is_symlink():
        return f"expected a folder, got a symbolic link to {display_name(os.readlink(path))!r} (links to folders are not followed)"
    return None


def _entry_problem(path: Path, root: Path) -> str | None:
    """Why a listed file is not read (a link out of ``root``, a broken link, not a regular file), or None."""
    if path.is_symlink():
        target = os.readlink(path)
        try:
            real = path.resolve(strict=True)
        except (OSError, RuntimeError) as exc:  # RuntimeError: a loop, on Pythons that raise it
            loop = isinstance(exc, RuntimeError) or getattr(exc, "errno", None) == errno.ELOOP
            what = "loops back on itself" if loop else "is broken (its target does not exist)"
            return f"expected a file, got a symbolic link to {display_name(target)!r} that {what}"
        if not real.is_relative_to(root):
            return f"expected a file inside {display_name(root)}, got a symbolic link to {display_name(real)} outside it (not followed)"
    try:
        mode = path.stat().st_mode
    except OSError as exc:
        return f"cannot read: {exc.strerror or exc}"
    return None if stat.S_ISREG(mode) else _not_regular(mode)


def _read_folder(folder: Path, max_bytes: int, stats: IngestStats) -> Iterator[RawDocument | Failure]:
    """Walk ``folder`` in sorted order, applying each sub-folder's sidecar."""
    here: Path | None = None
    meta: dict[str, dict[str, str]] = {}
    for item in walk_inputs(folder):
        if isinstance(item, Failure):
            yield item
            continue
        if item.parent != here:
            here = item.parent
            meta, failures = _load_sidecar(here)
            yield from failures
        yield from _read_file(item, meta.get(item.name, {}), max_bytes, stats, explicit=False)


def _load_sidecar(folder: Path) -> tuple[dict[str, dict[str, str]], list[Failure]]:
    """Parse ``folder/meta.csv`` into {file name: {published, language}}."""
    path = folder / _SIDECAR
    if not path.exists():
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
        entry, problems = _sidecar_entry(row)
        failures += [Failure(f"{path}:{lineno}", p) for p in problems]
        meta[name] = entry
    return meta, failures


def _sidecar_entry(row: dict[str, str | None]) -> tuple[dict[str, str], list[str]]:
    """One sidecar row's valid metadata, and what was wrong with the rest (the file is read without it)."""
    entry: dict[str, str] = {}
    problems = []
    language = (row.get("language") or "").strip()
    if language:
        try:
            entry["language"] = normalise_language(language)
        except ValueError as exc:
            problems.append(f"{exc} in 'language'")
    published = (row.get("published") or "").strip()
    if published:
        try:
            entry["published"] = normalise_date(published)
        except ValueError as exc:
            problems.append(f"{exc} in 'published'")
    return entry, problems


# --- one file ---------------------------------------------------------------------------------------------


def _read_file(path: Path, meta: dict[str, str], max_bytes: int, stats: IngestStats, explicit: bool) -> Iterator[RawDocument | Failure]:
    """Read one file into documents, turning its problems into failures."""
    source = str(path)
    kind = input_kind(path)
    if kind is None:
        if explicit:
            yield Failure(source, f"expected one of {sorted(INPUT_SUFFIXES)} (or .gz, .warc, .warc.gz), got a '{path.suffix}' file")
        return
    if kind == "warc":
        yield from read_warc(path, max_bytes, stats)
        return
    if kind == "jsonl":
        yield from _read_jsonl(path, meta, max_bytes)
        return
    try:
        raw = read_capped(path, max_bytes * JSON_LIST_FACTOR if kind == "json" else max_bytes)
        text = decode_page(raw, source) if kind == "html" else decode_bytes(raw, source)
        if kind == "text":
            _check_length(text, source)
    except TooLargeError as exc:
        whole = f" (a .json file is parsed whole: {JSON_LIST_FACTOR} times the cap at most; JSON lines have no total cap)"
        yield Failure(exc.source, exc.problem + (whole if kind == "json" else ""))
        return
    except (InputError, OSError) as exc:
        yield as_failure(source, exc)
        return
    if kind in ("text", "html"):
        yield _with_meta(RawDocument(content_id(text), source, text, kind), meta, "meta.csv")
    else:
        yield from _read_json(source, text, meta, max_bytes, len(raw))


def _with_meta(doc: RawDocument, meta: dict[str, str], origin: str) -> RawDocument:
    """Apply sidecar metadata to a document."""
    if meta.get("published"):
        doc.published, doc.published_origin = meta["published"], origin
    if meta.get("language"):
        doc.language = meta["language"]
    return doc


# --- JSON and JSON lines ----------------------------------------------------------------------------------


def _read_jsonl(path: Path, meta: dict[str, str], max_bytes: int) -> Iterator[RawDocument | Failure]:
    """Stream a ``.jsonl`` file line by line: the size cap applies to each line, never to the whole file."""
    source = str(path)
    try:
        with open_regular(path) as raw:
            size = os.fstat(raw.fileno()).st_size
            if size == 0:
                raise EmptyInputError(source, "expected text, got an empty file")
            if path.name.lower().endswith(".gz"):
                with _gunzip_errors(source):
                    stream = gzip.GzipFile(fileobj=raw)
                    head = stream.peek(8192)[:8192]
                cap = max(max_bytes, GZIP_MAX_RATIO * size)
            else:
                stream, head, cap = raw, raw.peek(8192)[:8192], size
            if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):  # lines are not byte lines: read it whole
                yield from _read_json_lines(source, decode_bytes(read_capped(path, max_bytes), source), meta)
                return
            _check_binary(head, source)
            yield from _stream_lines(stream, source, meta, max_bytes, cap)
    except (InputError, OSError) as exc:
        yield as_failure(source, exc)


def _stream_lines(stream: BinaryIO, source: str, meta: dict[str, str], max_bytes: int, cap: int) -> Iterator[RawDocument | Failure]:
    """Yield a document or failure per non-blank line of an open JSON-lines stream."""
    total, lineno, records = 0, 0, 0
    while True:
        lineno += 1
        with _gunzip_errors(source, f" after line {lineno - 1}"):
            line = stream.readline(max_bytes + 2)  # the record, its newline, and one byte more to see it is too long
            total += len(line)
            if len(line) > max_bytes + 1 or (len(line) == max_bytes + 1 and not line.endswith(b"\n")):
                total += _skip_line(stream, cap - total)
                line = None
        if total > cap:
            raise TooLargeError(source, f"expected at most {cap} bytes once decompressed ({GZIP_MAX_RATIO} times the file), got more")
        if line is None:
            records += 1
            yield Failure(f"{source}:{lineno}", f"expected a record of at most {max_bytes} bytes, got a longer line")
            continue
        if not line:
            if not records:
                yield Failure(source, "expected JSON lines, got only blank lines")
            return
        if lineno == 1:
            line = line.removeprefix(codecs.BOM_UTF8)
        if line.strip():
            records += 1
            yield _json_line(f"{source}:{lineno}", line, meta)


def _skip_line(stream: BinaryIO, budget: int) -> int:
    """Read past the rest of an over-long line in chunks, stopping once past ``budget``; return the bytes skipped."""
    skipped = 0
    while skipped <= budget:
        chunk = stream.readline(1 << 16)
        skipped += len(chunk)
        if not chunk or chunk.endswith(b"\n"):
            break
    return skipped


def _json_line(name: str, line: bytes, meta: dict[str, str]) -> RawDocument | Failure:
    """One line of a JSON-lines file as a document or a failure naming ``file:line``."""
    try:
        text = line.decode("utf-8")
    except UnicodeDecodeError as exc:
        return Failure(name, f"expected UTF-8 text, got an invalid byte 0x{line[exc.start]:02x} at offset {exc.start} of the line")
    try:
        return _json_record(name, _parse_json(name, text), meta)
    except InputError as exc:
        return Failure(exc.source, exc.problem)


def _read_json_lines(source: str, text: str, meta: dict[str, str]) -> Iterator[RawDocument | Failure]:
    """Yield documents from JSON-lines text already decoded (split on newlines only: U+2028 may stand in strings)."""
    for n, line in enumerate(text.split("\n"), start=1):
        if line.strip():
            try:
                yield _json_record(f"{source}:{n}", _parse_json(f"{source}:{n}", line), meta)
            except InputError as exc:
                yield Failure(exc.source, exc.problem)


def _read_json(source: str, text: str, meta: dict[str, str], max_bytes: int | None, size: int) -> Iterator[RawDocument | Failure]:
    """Yield documents from a ``.json`` input: one object (at most ``max_bytes``), or a list of them (each at most that)."""
    start = _JSON_WS.match(text).end()
    if text.startswith("[", start):
        yield from _json_list(source, text, start + 1, meta, max_bytes)
        return
    if max_bytes is not None and size > max_bytes:
        yield Failure(source, f"expected at most {max_bytes} bytes (one JSON object), got {size}")
        return
    try:
        yield _json_record(source, _parse_json(source, text), meta)
    except InputError as exc:
        yield Failure(exc.source, exc.problem)


def _json_list(source: str, text: str, i: int, meta: dict[str, str], max_bytes: int | None) -> Iterator[RawDocument | Failure]:
    """Parse a JSON list one element at a time, so that each is checked against the cap on its own."""
    decoder = json.JSONDecoder()
    i = _JSON_WS.match(text, i).end()
    n = 0
    while not text.startswith("]", i):
        n += 1
        name = f"{source}:{n}"
        try:
            obj, end = decoder.raw_decode(text, i)
        except (ValueError, RecursionError) as exc:  # JSONDecodeError is a ValueError
            yield Failure(name, f"{_json_problem(exc)}; the rest of the list is not read")
            return
        size = len(text[i:end].encode("utf-8", "surrogatepass"))
        if max_bytes is not None and size > max_bytes:
            yield Failure(name, f"expected a record of at most {max_bytes} bytes, got {size}")
        else:
            try:
                yield _json_record(name, obj, meta)
            except InputError as exc:
                yield Failure(exc.source, exc.problem)
        i = _JSON_WS.match(text, end).end()
        if text.startswith(",", i):
            i = _JSON_WS.match(text, i + 1).end()
        elif not text.startswith("]", i):
            yield Failure(f"{source}:{n + 1}", f"expected ',' or ']' after record {n}, got {text[i : i + 10]!r}; the rest is not read")
            return
    if text[i + 1 :].strip():
        yield Failure(source, f"expected nothing after the list, got {text[i + 1 : i + 11]!r}")


def _parse_json(name: str, text: str) -> object:
    """Parse JSON text, turning every parser complaint into :class:`MalformedRecordError`."""
    try:
        return json.loads(text)
    except (ValueError, RecursionError) as exc:
        raise MalformedRecordError(name, _json_problem(exc)) from None


def _json_problem(exc: Exception) -> str:
    """What the JSON parser's complaint means, said plainly."""
    if isinstance(exc, json.JSONDecodeError):
        return f"expected JSON, got invalid JSON ({exc.msg} at line {exc.lineno} column {exc.colno})"
    if isinstance(exc, RecursionError):
        return "expected JSON, got nesting too deep to parse"
    return f"expected JSON, got a value it cannot hold ({exc})"  # e.g. an integer too long to convert


def _json_record(name: str, obj: object, meta: dict[str, str]) -> RawDocument:
    """Validate one JSON article object and build its document."""
    if not isinstance(obj, dict):
        raise MalformedRecordError(name, f"expected a JSON object, got {_json_type(obj)}")
    text = obj.get("text")
    if not isinstance(text, str) or not text.strip():
        got = "an empty string" if isinstance(text, str) else "nothing" if text is None else _json_type(text)
        raise MalformedRecordError(name, f"expected a non-empty string in 'text', got {got}")
    for key in sorted(_JSON_FIELDS - {"text"}):
        _check_field(name, key, obj.get(key))
    _check_string(name, "text", text)
    _check_length(text, name)
    fmt = "html" if text.lstrip().startswith("<") and "</" in text else "text"
    if fmt == "html":
        check_html(text, name)
    doc = _with_meta(RawDocument(content_id(text), name, text, fmt), meta, "meta.csv")
    doc.title = obj.get("title") or None
    doc.url = obj.get("url") or None
    doc.site = obj.get("source") or None
    for key in ("language", "published"):
        try:
            if key == "language" and obj.get(key):
                doc.language = normalise_language(obj[key])
            elif key == "published" and obj.get(key):
                doc.published, doc.published_origin = normalise_date(obj[key]), "json"
        except ValueError as exc:
            raise MalformedRecordError(name, f"{exc} in '{key}'") from None
    return doc


def _json_type(value: object) -> str:
    """A parsed JSON value's kind, in JSON's words."""
    kinds = {bool: "true or false", int: "a number", float: "a number", str: "a string", list: "a list", dict: "an object"}
    return kinds.get(type(value), type(value).__name__)


def _check_field(name: str, key: str, value: object) -> None:
    """A metadata field must be a short string, without bidi controls (which would make it display as another)."""
    if value is None:
        return
    if not isinstance(value, str):
        raise MalformedRecordError(name, f"expected a string in '{key}', got {_json_type(value)}")
    if len(value) > _MAX_FIELD_CHARS:
        raise MalformedRecordError(name, f"expected at most {_MAX_FIELD_CHARS} characters in '{key}', got {len(value)}")
    bidi = _BIDI_CONTROLS.search(value)
    if bidi:
        raise MalformedRecordError(
            name, f"expected '{key}' without bidi control characters, got U+{ord(bidi.group()):04X} (it would display as other text)"
        )
    _check_string(name, key, value)


def _check_string(name: str, key: str, value: str) -> None:
    """A JSON string must be storable text: no lone surrogate (``\\ud800``), no NUL."""
    try:
        value.encode("utf-8")
    except UnicodeEncodeError as exc:
        raise MalformedRecordError(
            name, f"expected text in '{key}', got a lone surrogate U+{ord(value[exc.start]):04X} at character {exc.start} (not a character)"
        ) from None
    if "\x00" in value:
        raise MalformedRecordError(name, f"expected text in '{key}', got a NUL character at character {value.index(chr(0))}")


def read_json_text(text: str, source: str) -> list[RawDocument | Failure]:
    """Read JSON text holding one article object or a list of them, as a ``.json`` input is read.

    Args:
        text: the JSON text (fields ``text``, and optionally ``title``, ``url``, ``published``, ``source``, ``language``).
        source: the input's name; the N-th object of a list is named ``source:N``.

    Returns:
        A :class:`RawDocument` per valid object and a :class:`Failure` per invalid one (or one for invalid JSON).
    """
    return list(_read_json(source, text, {}, None, 0))
