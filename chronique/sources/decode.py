"""Reading bytes safely and decoding them: regular files only, size and decompression caps, charsets, HTML
checks, dates, and turning a bad input into a :class:`~chronique.records.Failure` that names it.

Shared by every source (files, web archives, web pages, feeds).
"""

from __future__ import annotations

import codecs
import contextlib
import datetime as dt
import gzip
import os
import re
import stat
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from lxml import etree

from ..errors import (
    BinaryInputError,
    EmptyInputError,
    EncodingError,
    InputError,
    TooLargeError,
)
from ..records import Failure

__all__ = [
    "DEFAULT_MAX_BYTES",
    "GZIP_MAX_RATIO",
    "MAX_HTML_DEPTH",
    "MAX_TEXT_CHARS",
    "IngestStats",
    "as_failure",
    "check_html",
    "decode_bytes",
    "decode_page",
    "decode_text",
    "display_name",
    "normalise_date",
    "open_regular",
    "read_capped",
]


DEFAULT_MAX_BYTES = 5_000_000


MAX_TEXT_CHARS = 1_000_000  # spaCy's max_length: the most text the language models read in one piece


MAX_HTML_DEPTH = 255  # libxml2 (lxml, trafilatura) drops everything nested deeper than 256 levels


GZIP_MAX_RATIO = 100  # a streamed .gz inflating more than this is a bomb (news text compresses 3-10x)


_DATE_RANGE = (dt.date(1800, 1, 1), dt.date(2100, 12, 31))  # outside: a placeholder (0001-01-01, 9999-12-31) or a typo


_BIDI_CONTROLS = re.compile("[\u202a-\u202e\u2066-\u2069]")  # text that displays in another order than it reads


_ENTITY_DECL = re.compile(r"<!ENTITY", re.IGNORECASE)


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


@dataclass(slots=True)
class IngestStats:
    """Counts of inputs that were passed over without being an error.

    Attributes:
        not_articles: archive records that are not article pages (requests, metadata, images, 404s...).
        already_stored: URLs not fetched because the store already holds them.
    """

    not_articles: int = 0
    already_stored: int = 0


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


_FILE_TYPES = (
    (stat.S_ISFIFO, "a named pipe"),
    (stat.S_ISSOCK, "a socket"),
    (stat.S_ISCHR, "a character device"),
    (stat.S_ISBLK, "a block device"),
    (stat.S_ISDIR, "a folder"),
)


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
