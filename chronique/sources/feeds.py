"""Ingest, feeds: read RSS/Atom feeds (feedparser) and fetch the pages they link to.

A feed is a URL (fetched by the :class:`~chronique.crawl.Crawler`, under its rules) or a file. Each
item gives its link, title and date; the linked page is fetched unless the store already holds that
URL, and the item's title and date are kept on the document (``published_origin`` "feed"). Feeds
are handed to feedparser as bytes in a stream, never as a name, so feedparser itself fetches nothing.
"""

from __future__ import annotations

import datetime as dt
import io
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urljoin, urlsplit

import feedparser

from ..errors import InputError, MalformedRecordError
from ..records import Failure, RawDocument
from .decode import DEFAULT_MAX_BYTES, IngestStats, as_failure, read_capped
from .web import Crawler

__all__ = ["FeedItem", "feed_documents", "read_feed"]


@dataclass(slots=True)
class FeedItem:
    """One feed item: the linked page, its title and its date (ISO), as the feed gives them."""

    link: str
    title: str | None
    published: str | None


def read_feed(source: str, crawler: Crawler, max_bytes: int = DEFAULT_MAX_BYTES) -> Iterator[FeedItem | Failure]:
    """The items of one feed.

    Args:
        source: an http(s) URL (fetched through ``crawler``) or a file path.
        crawler: the fetcher for URL feeds.
        max_bytes: a feed file larger than this is refused.

    Yields:
        A :class:`FeedItem` per item with a link, a :class:`Failure` per item without one (``source#N``),
        or one :class:`Failure` for a feed that cannot be read or parsed.
    """
    is_url = urlsplit(source).scheme.lower() in ("http", "https")
    try:
        data = crawler.fetch(source).body if is_url else read_capped(Path(source), max_bytes)
        parsed = _parse(source, data)
    except (InputError, OSError) as exc:
        yield as_failure(source, exc)
        return
    for n, entry in enumerate(parsed.entries, start=1):
        link = (entry.get("link") or "").strip()
        if not link:
            yield Failure(f"{source}#{n}", "expected a link in the feed item, got none")
            continue
        yield FeedItem(urljoin(source, link) if is_url else link, entry.get("title") or None, _entry_date(entry))


def feed_documents(
    sources: Iterable[str],
    crawler: Crawler,
    known_url: Callable[[str], bool],
    stats: IngestStats | None = None,
    max_bytes: int = DEFAULT_MAX_BYTES,
) -> Iterator[RawDocument | Failure]:
    """Fetch the pages that feeds link to, each once, skipping those the store already holds.

    Args:
        sources: feed URLs or files.
        crawler: the fetcher.
        known_url: tells whether the store already holds a URL.
        stats: ``already_stored`` is increased for every link passed over.
        max_bytes: size cap of a feed file.

    Yields:
        A :class:`RawDocument` per linked page fetched, or a :class:`Failure` per feed, item or page that failed.
    """
    seen: set[str] = set()
    for source in sources:
        for item in read_feed(source, crawler, max_bytes):
            if isinstance(item, Failure):
                yield item
            elif item.link in seen or known_url(item.link):
                if stats is not None:
                    stats.already_stored += 1
            else:
                seen.add(item.link)
                yield crawler.document(item.link, item.title, item.published, "feed" if item.published else None)


def _parse(source: str, data: bytes) -> feedparser.FeedParserDict:
    """Parse feed bytes; a document with no feed in it raises :class:`MalformedRecordError`."""
    try:
        parsed = feedparser.parse(io.BytesIO(data))
    except Exception as exc:  # feedparser is lenient; anything it still raises means "not a feed"
        raise MalformedRecordError(source, f"expected an RSS or Atom feed, got data it cannot parse ({exc})") from None
    if not parsed.get("version") and not parsed.entries:
        problem = parsed.get("bozo_exception") or "no feed element"
        raise MalformedRecordError(source, f"expected an RSS or Atom feed, got something else ({problem})")
    return parsed


def _entry_date(entry: feedparser.FeedParserDict) -> str | None:
    """The item's publication (else update) date as ``YYYY-MM-DD``, or None."""
    stamp = entry.get("published_parsed") or entry.get("updated_parsed")
    if not isinstance(stamp, time.struct_time):
        return None
    try:
        return dt.date(stamp.tm_year, stamp.tm_mon, stamp.tm_mday).isoformat()
    except ValueError:
        return None
