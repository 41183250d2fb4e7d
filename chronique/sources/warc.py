"""Ingest, web archives: stream the HTML pages of a ``.warc`` / ``.warc.gz`` file as documents.

Records are read one at a time with warcio (pure Python), so memory stays flat however large the
archive: no record body is held beyond the size cap. Response records of HTML pages with status 200
become :class:`RawDocument` records (``fmt`` "html", the URL and the capture date from the record);
every other record (requests, metadata, images, redirects, errors) is passed over and counted. A record
cut short, or bytes after the last complete record, are reported as a :class:`Failure`.
"""

from __future__ import annotations

import gzip
import os
import zlib
from collections.abc import Iterator
from pathlib import Path
from typing import IO

from warcio.archiveiterator import ArchiveIterator
from warcio.exceptions import ArchiveLoadFailed
from warcio.recordloader import ArcWarcRecord

from ..errors import InputError
from ..records import Failure, RawDocument, content_id
from .decode import GZIP_MAX_RATIO, IngestStats, as_failure, decode_page, normalise_date, open_regular

__all__ = ["read_warc"]

_HTML_TYPES = ("text/html", "application/xhtml+xml")


def read_warc(path: Path, max_bytes: int, stats: IngestStats) -> Iterator[RawDocument | Failure]:
    """Stream the article pages of one web archive.

    Args:
        path: a ``.warc`` or ``.warc.gz`` file (gzip per record, as written by crawlers).
        max_bytes: a page larger than this is reported as too large (and not read further).
        stats: ``not_articles`` is increased for every record that is not an HTML page.

    Yields:
        A :class:`RawDocument` per HTML page (source ``path:offset``), a :class:`Failure` per page
        that cannot be read, and a :class:`Failure` naming the archive when it is cut short or broken.
    """
    source = str(path)
    try:
        with open_regular(path) as fh:  # a named pipe called x.warc would block forever
            yield from _records(fh, source, max_bytes, stats)
    except (InputError, OSError) as exc:
        yield as_failure(source, exc)


def _records(fh: IO[bytes], source: str, max_bytes: int, stats: IngestStats) -> Iterator[RawDocument | Failure]:
    """Iterate the records of an open archive, then check that nothing was left unread."""
    size = os.fstat(fh.fileno()).st_size
    if not _starts_as_warc(fh):
        yield Failure(source, "expected a WARC file (starting with 'WARC/', gzip-compressed or not), got something else")
        return
    # a gzip record inflating far beyond the archive is a bomb: skipping it would decompress all it declares
    cap = max(max_bytes, GZIP_MAX_RATIO * size) if fh.read(2) == b"\x1f\x8b" else size
    fh.seek(0)
    end = 0
    try:
        it = ArchiveIterator(fh)
        for record in it:
            declared = _declared_length(record)
            if declared > cap:
                yield Failure(
                    source,
                    f"expected records of at most {cap} bytes ({GZIP_MAX_RATIO} times the archive, once decompressed), "
                    f"got one declaring {declared} at offset {end}; the rest of the archive is not read",
                )
                return
            item = _record(record, source, max_bytes, stats)
            it.read_to_end()  # the rest of the record, in chunks; sets the record's offset and length
            if getattr(record.raw_stream, "limit", 1) > 0:  # bytes still owed, or no Content-Length read at all
                yield _cut(source, end)
                return
            offset, length = it.get_record_offset(), it.get_record_length()
            end = offset + length
            if item is not None:
                item.source = f"{source}:{offset}"
                yield item
    except ArchiveLoadFailed as exc:
        yield Failure(
            source,
            f"expected a complete WARC record at offset {end}, got a header it cannot read "
            f"(cut short or corrupt: {str(exc).strip()[:120]})",
        )
        return
    except Exception as exc:  # warcio surfaces zlib.error, EOFError and its parsers' own errors on broken input
        yield Failure(
            source,
            f"expected a complete WARC record at offset {end}, got data it cannot parse, "
            f"cut short or corrupt ({type(exc).__name__}: {exc})",
        )
        return
    if not _only_blank_after(fh, end, size):
        yield _cut(source, end)


def _declared_length(record: ArcWarcRecord) -> int:
    """The record's ``Content-Length`` (0 when missing or not a number: the reader then finds it cut)."""
    value = record.rec_headers.get_header("Content-Length") or "0"
    return int(value) if value.strip().isdigit() else 0


def _starts_as_warc(fh: IO[bytes]) -> bool:
    """Whether the file (decompressed when gzip) begins with a WARC version line; rewinds the file."""
    head = fh.read(2)
    fh.seek(0)
    try:
        if head == b"\x1f\x8b":
            with gzip.GzipFile(fileobj=fh) as gz:
                head = gz.read(5)
        else:
            head = fh.read(5)
    except EOFError:
        return True  # a gzip member cut short: the reader reports where
    except (OSError, zlib.error):
        return False
    finally:
        fh.seek(0)
    return head == b"WARC/"


def _only_blank_after(fh: IO[bytes], end: int, size: int) -> bool:
    """Whether the archive holds nothing but blank lines after offset ``end`` (the last complete record)."""
    if size - end > 64:
        return False
    fh.seek(end)
    return not fh.read().strip()


def _cut(source: str, offset: int) -> Failure:
    """The failure of an archive that ends inside a record."""
    return Failure(source, f"expected a complete WARC record at offset {offset}, got an archive cut short (truncated file)")


def _record(record: ArcWarcRecord, name: str, max_bytes: int, stats: IngestStats) -> RawDocument | Failure | None:
    """One record as a document, a failure, or None for a record that is not an article page (``name``: its source)."""
    if not _is_page(record):
        stats.not_articles += 1
        return None
    url = record.rec_headers.get_header("WARC-Target-URI") or None
    data = record.content_stream().read(max_bytes + 1)
    if len(data) > max_bytes:
        return Failure(name, f"expected a page of at most {max_bytes} bytes, got more ({url})")
    try:
        text = decode_page(data, name, record.http_headers.get_header("Content-Type"))
    except InputError as exc:
        return Failure(exc.source, f"{exc.problem} ({url})" if url else exc.problem)
    doc = RawDocument(content_id(text), name, text, "html", url=url)
    doc.published, doc.published_origin = _capture_date(record), "warc"
    if doc.published is None:
        doc.published_origin = None
    return doc


def _is_page(record: ArcWarcRecord) -> bool:
    """A response record of an HTML page served with status 200."""
    if record.rec_type != "response" or record.http_headers is None:
        return False
    ctype = (record.http_headers.get_header("Content-Type") or "").lower()
    return record.http_headers.get_statuscode() == "200" and ctype.startswith(_HTML_TYPES)


def _capture_date(record: ArcWarcRecord) -> str | None:
    """The record's ``WARC-Date`` as ``YYYY-MM-DD``, or None when missing or malformed."""
    value = record.rec_headers.get_header("WARC-Date") or ""
    try:
        return normalise_date(value) if value else None
    except ValueError:
        return None
