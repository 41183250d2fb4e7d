"""Stage 1, ingest: read files and folders into :class:`RawDocument` records.

Accepted inputs: ``.txt``, ``.html``/``.htm``, ``.json`` (one object or a list) and ``.jsonl``
(one object a line), each also gzip-compressed (``.txt.gz``...), and web archives (``.warc``,
``.warc.gz``, read by :mod:`chronique.warc`). A ``meta.csv`` sidecar (``file,published,language``)
in a folder supplies metadata for the files beside it. Bad inputs become :class:`Failure` records
naming the input and the problem; they never stop the others.

Every read is bounded: only regular files are opened (a named pipe, socket or device could block
forever), never more than the size cap is held, and decompression stops at a cap. The cap
(``max_bytes``) applies to a whole ``.txt``/``.html``/single-object ``.json`` file and to each record of
a ``.jsonl`` file, a ``.json`` list or a web archive. A ``.jsonl`` file is streamed line by line, so it
may be of any size on disk (compressed, it may inflate to at most :data:`GZIP_MAX_RATIO` times its
size); a ``.json`` list is parsed whole, so it has a total cap of :data:`JSON_LIST_FACTOR` records'
worth. A folder walk reads only regular files inside the folder: symbolic links leading out of it,
links to folders (which may loop), and names that are not UTF-8 are reported, not followed.
"""

from __future__ import annotations

import codecs
import contextlib
import csv
import datetime as dt
import errno
import gzip
import json
import os
import re
import stat
import zlib
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from lxml import etree

from .errors import (
    BinaryInputError,
    EmptyInputError,
    EncodingError,
    InputError,
    MalformedRecordError,
    TooLargeError,
)
from .language import normalise_language
from .records import Failure, RawDocument, content_id

__all__ = [
    "DEFAULT_MAX_BYTES",
    "GZIP_MAX_RATIO",
    "INPUT_SUFFIXES",
    "JSON_LIST_FACTOR",
    "MAX_HTML_DEPTH",
    "MAX_TEXT_CHARS",
    "IngestStats",
    "as_failure",
    "check_html",
    "decode_bytes",
    "decode_page",
    "decode_text",
    "display_name",
    "input_kind",
    "normalise_date",
    "open_regular",
    "read_capped",
    "read_inputs",
    "read_json_text",
    "walk_inputs",
]

DEFAULT_MAX_BYTES = 5_000_000
MAX_TEXT_CHARS = 1_000_000  # spaCy's max_length: the most text the language models read in one piece
MAX_HTML_DEPTH = 255  # libxml2 (lxml, trafilatura) drops everything nested deeper than 256 levels
JSON_LIST_FACTOR = 20  # a .json list may hold 20 records' worth of bytes (it is parsed whole)
GZIP_MAX_RATIO = 100  # a streamed .gz inflating more than this is a bomb (news text compresses 3-10x)
INPUT_SUFFIXES = {".txt": "text", ".html": "html", ".htm": "html", ".json": "json", ".jsonl": "jsonl"}
_SIDECAR = "meta.csv"
_JSON_FIELDS = {"text", "title", "url", "published", "source", "language"}
_MAX_FIELD_CHARS = 2_000  # title, url, source: a line of metadata, not a text
_DATE_RANGE = (dt.date(1800, 1, 1), dt.date(2100, 12, 31))  # outside: a placeholder (0001-01-01, 9999-12-31) or a typo
_BIDI_CONTROLS = re.compile("[\u202a-\u202e\u2066-\u2069]")  # text that displays in another order than it reads
_ENTITY_DECL = re.compile(r"<!ENTITY", re.IGNORECASE)
_JSON_WS = re.compile(r"[ \t\n\r]*")
_HIDDEN_BLOCK = re.compile(r"(head|script|style|noscript|template)(?:[\s/>]|$)")
_CHARSET = re.compile(rb"""<meta[^>]{0,200}?charset\s*=\s*["']?\s*([A-Za-z0-9_.:-]{1,40})""", re.IGNORECASE)
_BOMS = (  # UTF-32 first: its little-endian BOM starts with UTF-16's
    (codecs.BOM_UTF32_LE, "utf-32"),
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)
# Text codecs that decode bytes into something other than the page's characters (escapes, host names).
_NOT_PAGE_CODECS = {"idna", "punycode", "unicode-escape", "raw-unicode-escape", "undefined"}
_MAGIC = (
    (b"PK\x03\x04", "a ZIP archive"),
    (b"\x1f\x8b", "gzip-compressed data, read only under a .gz name"),
    (b"%PDF", "a PDF document"),
    (b"\x89PNG", "a PNG image"),
    (b"\xff\xd8\xff", "a JPEG image"),
    (b"GIF8", "a GIF image"),
    (b"BZh", "bzip2-compressed data"),
    (b"\xfd7zXZ", "xz-compressed data"),
    (b"7z\xbc\xaf", "a 7-Zip archive"),
    (b"Rar!", "a RAR archive"),
    (b"\x7fELF", "an executable"),
    (b"SQLite format 3\x00", "an SQLite database"),
)
_FILE_TYPES = (
    (stat.S_ISFIFO, "a named pipe"),
    (stat.S_ISSOCK, "a socket"),
    (stat.S_ISCHR, "a character device"),
    (stat.S_ISBLK, "a block device"),
    (stat.S_ISDIR, "a folder"),
)


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


def display_name(path: str | os.PathLike[str]) -> str:
    """A path as text that can be stored and printed: bytes that are not UTF-8 are shown as ``\\xff`` escapes.

    Args:
        path: a path, possibly holding the surrogate escapes Python gives undecodable file names.

    Returns:
        The path unchanged when it is valid UTF-8, else with each undecodable byte escaped.
    """
    text = os.fspath(path)
    try:
        text.encode("utf-8")
        return text
    except UnicodeEncodeError:
        return os.fsencode(text).decode("utf-8", "backslashreplace")


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


def _not_regular(mode: int) -> str:
    """The refusal of a file that is not a regular file."""
    kind = next((name for test, name in _FILE_TYPES if test(mode)), "not a regular file")
    return f"expected a regular file, got {kind} (not read: reading it could block forever or never end)"


def open_regular(path: Path) -> BinaryIO:
    """Open a file for reading, refusing anything but a regular file.

    Opening a named pipe blocks until a writer comes, and a device may never end; the file is opened
    without blocking and checked on the open handle, so a file swapped for a pipe after a check is caught too.

    Args:
        path: the file.

    Returns:
        The open binary file (the caller closes it).

    Raises:
        InputError: the path is a named pipe, socket, device or folder.
        OSError: the file cannot be opened.
    """
    mode = os.stat(path).st_mode  # opening a socket fails, and opening a device may act on it: look first
    if not stat.S_ISREG(mode):
        raise InputError(display_name(path), _not_regular(mode))
    fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_CLOEXEC", 0))
    try:
        mode = os.fstat(fd).st_mode
        if not stat.S_ISREG(mode):
            raise InputError(display_name(path), _not_regular(mode))
        return os.fdopen(fd, "rb")
    except BaseException:
        os.close(fd)
        raise


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


def read_capped(path: Path, max_bytes: int) -> bytes:
    """Read a regular file (decompressing ``.gz``) without ever holding more than ``max_bytes + 1`` bytes.

    Args:
        path: the file.
        max_bytes: the size cap, checked before reading (on disk) and while decompressing.

    Returns:
        The (decompressed) bytes.

    Raises:
        TooLargeError: the file, or its decompressed content, is larger than the cap.
        EmptyInputError: the file is empty.
        InputError: a ``.gz`` file that is not gzip or is cut short; a pipe, socket or device.
        OSError: the file cannot be read.
    """
    source = display_name(path)
    with open_regular(path) as fh:
        size = os.fstat(fh.fileno()).st_size
        if size > max_bytes:
            raise TooLargeError(source, f"expected at most {max_bytes} bytes, got {size}")
        if size == 0:
            raise EmptyInputError(source, "expected text, got an empty file")
        if not path.name.lower().endswith(".gz"):
            return fh.read(max_bytes + 1)
        with _gunzip_errors(source):
            data = gzip.GzipFile(fileobj=fh).read(max_bytes + 1)
    if len(data) > max_bytes:
        raise TooLargeError(source, f"expected at most {max_bytes} bytes once decompressed, got more")
    return data


@contextlib.contextmanager
def _gunzip_errors(source: str, where: str = "") -> Iterator[None]:
    """Turn the errors of a broken gzip stream into :class:`InputError` naming ``source`` (and ``where`` in it)."""
    try:
        yield
    except EOFError:
        raise InputError(source, f"expected a complete gzip stream, got one cut short (truncated file){where}") from None
    except (gzip.BadGzipFile, zlib.error) as exc:
        raise InputError(source, f"expected gzip-compressed data, got data that does not decompress ({exc}){where}") from None


def normalise_date(value: str) -> str:
    """Return ``value`` (an ISO date or datetime) as ``YYYY-MM-DD``.

    Args:
        value: the date as an input gives it.

    Returns:
        The date.

    Raises:
        ValueError: not an ISO date, or a date outside 1800-2100 (a placeholder such as 0001-01-01 or a typo).
    """
    value = value.strip()
    try:
        day = dt.date.fromisoformat(value[:10])
    except ValueError:
        try:
            day = dt.datetime.fromisoformat(value.replace("Z", "+00:00")).date()
        except ValueError:
            raise ValueError(f"expected an ISO date (YYYY-MM-DD), got {value[:40]!r}") from None
    if not _DATE_RANGE[0] <= day <= _DATE_RANGE[1]:
        low, high = _DATE_RANGE
        raise ValueError(f"expected a date between {low} and {high}, got {day.isoformat()} (out of range: a placeholder or a typo)")
    return day.isoformat()


# --- decoding: the one decoder of input bytes ------------------------------------------------------------


def decode_text(data: bytes, source: str, charset: str | None = None) -> str:
    """Decode an input's bytes: by their byte order mark, else by ``charset``, else as UTF-8.

    Every reader (files, web archives, crawled pages) decodes through here, so a charset that is not a
    text encoding, UTF-16/32 text and binary data get the same answer wherever they come from.

    Args:
        data: the raw bytes.
        source: the input's name, for error messages.
        charset: the declared charset (HTTP header, ``<meta>``), if any; a byte order mark overrides it.

    Returns:
        The decoded text (without its byte order mark).

    Raises:
        EmptyInputError: no non-blank text.
        BinaryInputError: NUL characters, or many control characters.
        EncodingError: an unknown charset or one that is not a text encoding, or bytes invalid in it.
    """
    if not data.strip():
        raise EmptyInputError(source, "expected text, got an empty file" if not data else "expected text, got only blank space")
    codec = next((name for bom, name in _BOMS if data.startswith(bom)), None)
    # the charset as people write it ("UTF-8", not a page's "utf-8"), so one problem reads the same whatever declared it
    label = codec or charset or "UTF-8"
    label = "UTF-8" if label.lower().replace("_", "-") in ("utf-8", "utf8") else label
    if codec is None:
        codec = _text_codec(charset, source) if charset else "utf-8"
        if not codec.startswith(("utf-16", "utf-32")):  # those hold NUL bytes in every character
            _check_binary(data, source)
    try:
        text = data.decode(codec)
    except UnicodeDecodeError as exc:
        raise EncodingError(source, f"expected {label} text, got an invalid byte 0x{data[exc.start]:02x} at offset {exc.start}") from None
    except (UnicodeError, ValueError, LookupError, TypeError) as exc:  # a codec's own complaint about these bytes
        raise EncodingError(source, f"expected {label} text, got bytes its decoder refuses ({exc})") from None
    _check_decoded(text, source)
    return text


def decode_bytes(data: bytes, source: str) -> str:
    """Decode a text input's bytes (UTF-8, or UTF-16/32 with a byte order mark), refusing empty and binary data.

    Args:
        data: the raw bytes.
        source: the input's name, for error messages.

    Returns:
        The decoded text.

    Raises:
        EmptyInputError: no non-blank text.
        BinaryInputError: NUL characters or many control characters.
        EncodingError: bytes that are not valid UTF-8.
    """
    return decode_text(data, source)


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
        EncodingError: an unknown charset, one that is not a text encoding, or bytes invalid in the declared one.
        InputError: a page declaring XML entities, or nested deeper than the HTML parser reads.
    """
    found = re.search(r"charset\s*=\s*[\"']?([\w.:-]+)", content_type or "", re.IGNORECASE)
    meta = _CHARSET.search(data[:4096]) if not found else None
    charset = found.group(1) if found else meta.group(1).decode("ascii") if meta else None
    if meta and charset.lower().replace("_", "-").startswith(("utf-16", "utf-32")):
        charset = "utf-8"  # a page that can read its own <meta> is not UTF-16: browsers read it as UTF-8 too
    text = decode_text(data, source, charset)
    check_html(text, source)
    return text


def check_html(text: str, source: str) -> None:
    """Refuse a page the HTML extraction would silently read wrong: entity declarations, too deep a tree, no body text.

    Args:
        text: the page source.
        source: the page's name, for error messages.

    Raises:
        InputError: the page declares XML entities (an XXE or "billion laughs" page) or nests too deep.
        EmptyInputError: no text outside the head, tags and scripts.
    """
    entity = _ENTITY_DECL.search(text)
    if entity:
        raise InputError(
            source,
            f"expected an HTML page, got one declaring XML entities (<!ENTITY at offset {entity.start()}: "
            "an external-entity or entity-expansion page, not read)",
        )
    if not _has_body_text(text):
        raise EmptyInputError(source, "expected an HTML page with text in its body, got none (only a head, tags or scripts)")
    if _too_deep(text):
        raise InputError(
            source,
            f"expected an HTML page nested at most {MAX_HTML_DEPTH} elements deep, got one nested deeper "
            "(the HTML parser drops everything below that depth)",
        )


def _too_deep(text: str) -> bool:
    """Whether libxml2, as trafilatura runs it, gives up on the page's depth (a parse of a few ms for a news page)."""
    parser = etree.HTMLParser(collect_ids=False, default_doctype=False, remove_comments=True, remove_pis=True, encoding="utf-8")
    try:
        etree.fromstring(text.encode("utf-8", "surrogatepass"), parser)
    except (etree.LxmlError, ValueError):
        return False  # not parseable at all: the cleaner says what is left
    return any("excessive depth" in err.message.lower() for err in parser.error_log)


def _text_codec(charset: str, source: str) -> str:
    """The Python codec of a declared charset, refusing unknown ones and codecs that are not text encodings."""
    try:
        info = codecs.lookup(charset)
    except LookupError:
        raise EncodingError(source, f"expected a known charset, got {charset!r}") from None
    if not getattr(info, "_is_text_encoding", True) or info.name in _NOT_PAGE_CODECS:
        raise EncodingError(source, f"expected a text charset, got {charset!r}, a codec that does not decode bytes to text")
    return info.name


def _check_binary(data: bytes, source: str) -> None:
    """Refuse binary data: a known binary format, NUL bytes or many control characters in the first 8 KiB."""
    head = data[:8192]
    kind = next((name for magic, name in _MAGIC if head.startswith(magic)), None)
    if kind:
        raise BinaryInputError(source, f"expected text, got binary data ({kind})")
    nul = head.find(b"\x00")
    if nul >= 0:
        raise BinaryInputError(source, f"expected text, got binary data (a NUL byte at offset {nul})")
    controls = sum(1 for b in head if b < 9 or 13 < b < 32)
    if controls > len(head) * 0.05:
        raise BinaryInputError(source, f"expected text, got binary data ({controls} control characters in the first {len(head)} bytes)")


def _check_decoded(text: str, source: str) -> None:
    """Refuse decoded text that is blank, holds a NUL anywhere, or is mostly control characters."""
    if not text.strip():
        raise EmptyInputError(source, "expected text, got only blank space")
    nul = text.find("\x00")
    if nul >= 0:  # past the first 8 KiB the byte check does not look; a NUL is never part of an article
        raise BinaryInputError(source, f"expected text, got binary data (a NUL character at character {nul})")
    head = text[:8192]
    controls = sum(1 for c in head if c < "\t" or "\r" < c < " ")
    if controls > len(head) * 0.05:
        raise BinaryInputError(source, f"expected text, got binary data ({controls} control characters in the first {len(head)})")


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
    return Failure(display_name(source), f"cannot read: {exc.strerror or exc}")


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


def _check_length(text: str, source: str) -> None:
    """Refuse a text longer than the language models read in one piece."""
    if len(text) > MAX_TEXT_CHARS:
        raise TooLargeError(
            source, f"expected at most {MAX_TEXT_CHARS} characters of text (the most the language models read), got {len(text)}"
        )


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
        from .warc import read_warc

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
