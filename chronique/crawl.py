"""Ingest, the web: fetch pages politely into :class:`RawDocument` records.

Polite by default: robots.txt is honoured (with its ``Crawl-delay``), one host is asked at most once
per ``delay`` seconds, every request has a deadline, 5xx answers and time-outs are retried with
exponential back-off (4xx answers are not), a page larger than the cap is refused (the body is read in
chunks and reading stops at the cap), and requests say who sends them (``chronique/<version>``).
Private, loopback, link-local and other non-public addresses are refused unless allowed, at every
redirect hop, so that a hostile feed cannot point the crawler at internal services. Every problem
becomes a :class:`Failure` naming the URL; nothing stops the run.
"""

from __future__ import annotations

import ipaddress
import socket
import time
import urllib.robotparser
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from importlib.metadata import version
from pathlib import Path
from urllib.parse import urljoin, urlsplit

import httpx

from .errors import FetchError, InputError, RefusedError, TooLargeError
from .ingest import DEFAULT_MAX_BYTES, IngestStats, as_failure, decode_bytes, decode_page, read_capped
from .records import Failure, RawDocument, content_id

__all__ = ["USER_AGENT", "CrawlConfig", "Crawler", "Page", "crawl", "read_url_list"]

USER_AGENT = f"chronique/{version('chronique')} (+https://pypi.org/project/chronique/)"
_REDIRECTS = {301, 302, 303, 307, 308}
_PAGE_TYPES = {"text/html": "html", "application/xhtml+xml": "html", "text/plain": "text"}
_ROBOTS_MAX_BYTES = 500_000


@dataclass(slots=True)
class CrawlConfig:
    """How the crawler behaves; the defaults are the polite ones.

    Attributes:
        user_agent: sent with every request; its first word is matched against robots.txt.
        timeout: seconds allowed for one request, connection and whole body included.
        retries: further attempts after a 5xx answer, a time-out or a dropped connection.
        backoff: seconds before the first retry; doubled at each further one.
        delay: least seconds between two requests to one host (robots.txt ``Crawl-delay`` can raise it).
        max_bytes: a page (after content decoding) larger than this is refused.
        max_pages_per_host: pages asked of one host in one run; the ones over it are reported.
        max_redirects: redirects followed for one page.
        allow_private: allow private, loopback and link-local addresses (a local test server).
        allowed_hosts: host names exempt from the address check, whatever they resolve to.
    """

    user_agent: str = USER_AGENT
    timeout: float = 10.0
    retries: int = 2
    backoff: float = 1.0
    delay: float = 1.0
    max_bytes: int = DEFAULT_MAX_BYTES
    max_pages_per_host: int = 1000
    max_redirects: int = 5
    allow_private: bool = False
    allowed_hosts: frozenset[str] = field(default_factory=frozenset)


@dataclass(slots=True)
class Page:
    """A fetched page: the URL asked for, the URL that answered, its body and its content type."""

    url: str
    final_url: str
    body: bytes
    content_type: str


@dataclass(slots=True)
class _Answer:
    """One HTTP exchange: status, headers we need, and the (capped) body of a 200."""

    status: int
    location: str | None
    content_type: str
    body: bytes


class Crawler:
    """A polite, synchronous HTTP fetcher shared by URL lists and feeds.

    Args:
        config: the politeness and safety settings.

    Example:
        >>> with Crawler(CrawlConfig(delay=0)) as c:            # doctest: +SKIP
        ...     doc = c.document("https://example.org/article")
    """

    def __init__(self, config: CrawlConfig | None = None) -> None:
        self.config = config or CrawlConfig()
        timeout = httpx.Timeout(self.config.timeout)
        self.client = httpx.Client(timeout=timeout, follow_redirects=False, trust_env=False, headers={"User-Agent": self.config.user_agent})
        self._robots: dict[str, urllib.robotparser.RobotFileParser] = {}
        self._last: dict[str, float] = {}
        self._pages: Counter[str] = Counter()

    def __enter__(self) -> Crawler:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        """Close the HTTP connections."""
        self.client.close()

    def document(
        self, url: str, title: str | None = None, published: str | None = None, origin: str | None = None
    ) -> RawDocument | Failure:
        """Fetch one article page as a document.

        Args:
            url: the page; it becomes the document's source and URL.
            title: a title known beforehand (a feed item's), preferred to the page's.
            published: a publication date known beforehand (ISO), with ``origin`` naming where it came from.
            origin: where ``published`` came from ("feed").

        Returns:
            The document, or a :class:`Failure` naming the URL and the problem.
        """
        try:
            page = self.fetch(url)
            fmt = _PAGE_TYPES.get(page.content_type.split(";")[0].strip().lower())
            if fmt is None:
                raise FetchError(url, f"expected an HTML or text page, got {page.content_type or 'no content type'}")
            text = decode_page(page.body, url, page.content_type) if fmt == "html" else decode_bytes(page.body, url)
        except InputError as exc:
            return Failure(exc.source, exc.problem)
        doc = RawDocument(content_id(text), url, text, fmt, title=title or None, url=url)
        if published:
            doc.published, doc.published_origin = published, origin
        return doc

    def fetch(self, url: str) -> Page:
        """Fetch one page, following redirects, under every rule of :class:`CrawlConfig`.

        Args:
            url: an http or https URL.

        Returns:
            The page (status 200).

        Raises:
            RefusedError: not an http(s) URL, a non-public address, disallowed by robots.txt, or over the per-host cap.
            FetchError: the network failed, the request timed out, or the server answered other than 200.
            TooLargeError: the page is larger than the cap.
        """
        host = _host(url)
        self._pages[host] += 1
        if self._pages[host] > self.config.max_pages_per_host:
            raise RefusedError(
                url,
                f"expected at most {self.config.max_pages_per_host} pages from {host} in one run, got more (raise --max-pages-per-host)",
            )
        current = url
        for _ in range(self.config.max_redirects + 1):
            if not self._robots_allow(current):
                raise RefusedError(url, f"robots.txt of {_host(current)} disallows {current} for {self.config.user_agent}")
            answer = self._get(current, self.config.max_bytes)
            if answer.status not in _REDIRECTS or not answer.location:
                break
            current = urljoin(current, answer.location)
        else:
            raise FetchError(url, f"expected at most {self.config.max_redirects} redirects, got more")
        if answer.status != 200:
            raise FetchError(url, f"expected HTTP 200, got {answer.status} {_reason(answer.status)}".rstrip())
        return Page(url, current, answer.body, answer.content_type)

    # -- one request ------------------------------------------------------------------------
    def _get(self, url: str, cap: int) -> _Answer:
        """GET one URL (no redirects followed) with the address check, rate limit and retries."""
        _check_scheme(url)
        self._check_address(url)
        for attempt in range(self.config.retries + 1):
            self._wait(_host(url))
            try:
                answer = self._attempt(url, cap)
            except (httpx.TimeoutException, httpx.TransportError) as exc:
                if attempt == self.config.retries:
                    raise FetchError(
                        url, f"expected an answer within {self.config.timeout} s, got {_describe(exc)} after {attempt + 1} attempt(s)"
                    ) from None
            else:
                if answer.status < 500 or attempt == self.config.retries:
                    return answer
            time.sleep(self.config.backoff * 2**attempt)
        raise AssertionError("unreachable")  # pragma: no cover

    def _attempt(self, url: str, cap: int) -> _Answer:
        """One request; the body of a 200 is read in chunks and refused past ``cap`` or the deadline."""
        deadline = time.monotonic() + self.config.timeout
        with self.client.stream("GET", url) as resp:
            ctype = resp.headers.get("content-type", "")
            if resp.status_code != 200:
                return _Answer(resp.status_code, resp.headers.get("location"), ctype, b"")
            declared = resp.headers.get("content-length", "")
            if declared.isdigit() and int(declared) > cap:
                raise TooLargeError(url, f"expected a page of at most {cap} bytes, got one of {declared} bytes")
            body = bytearray()
            for chunk in resp.iter_bytes():
                body += chunk
                if len(body) > cap:
                    raise TooLargeError(url, f"expected a page of at most {cap} bytes, got more (reading stopped there)")
                if time.monotonic() > deadline:
                    raise httpx.ReadTimeout("the body took longer than the deadline")
            return _Answer(200, None, ctype, bytes(body))

    def _wait(self, host: str) -> None:
        """Sleep until ``host`` may be asked again, then note the time."""
        robots = self._robots.get(host)
        crawl_delay = robots.crawl_delay(self.config.user_agent) if robots else None
        gap = max(self.config.delay, min(float(crawl_delay or 0), 60.0))
        pause = self._last.get(host, float("-inf")) + gap - time.monotonic()
        if pause > 0:
            time.sleep(pause)
        self._last[host] = time.monotonic()

    def _check_address(self, url: str) -> None:
        """Refuse a host that resolves to any non-public address, unless allowed."""
        host = _host(url)
        if self.config.allow_private or host in self.config.allowed_hosts:
            return
        port = urlsplit(url).port or (443 if url.lower().startswith("https") else 80)
        try:
            infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
        except (socket.gaierror, UnicodeError) as exc:
            raise FetchError(url, f"expected a host name that resolves, got {host!r} ({exc})") from None
        for info in infos:
            ip = ipaddress.ip_address(str(info[4][0]).split("%")[0])
            if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped:
                ip = ip.ipv4_mapped
            if not ip.is_global or ip.is_multicast:
                raise RefusedError(
                    url, f"expected a public address, got {host} -> {ip} (private, loopback or link-local; --allow-private crawls it)"
                )

    # -- robots.txt -------------------------------------------------------------------------
    def _robots_allow(self, url: str) -> bool:
        """Whether robots.txt of the URL's site lets our user agent fetch it (fetched once per site)."""
        parts = urlsplit(url)
        host = _host(url)
        if host not in self._robots:
            self._robots[host] = self._load_robots(f"{parts.scheme}://{parts.netloc}/robots.txt")
        return self._robots[host].can_fetch(self.config.user_agent, url)

    def _load_robots(self, robots_url: str) -> urllib.robotparser.RobotFileParser:
        """Fetch and parse one robots.txt: missing (4xx) allows all; 401/403, 5xx or no answer disallow all."""
        parser = urllib.robotparser.RobotFileParser(robots_url)
        try:
            answer = self._get(robots_url, _ROBOTS_MAX_BYTES)
        except (FetchError, TooLargeError):
            answer = _Answer(503, None, "", b"")
        if answer.status == 200:
            parser.parse(answer.body.decode("utf-8", "replace").splitlines())
        elif answer.status in (401, 403) or answer.status >= 500:
            parser.disallow_all = True
        else:
            parser.allow_all = True
        return parser


def crawl(
    urls: Iterable[str | Failure], crawler: Crawler, known_url: Callable[[str], bool], stats: IngestStats | None = None
) -> Iterator[RawDocument | Failure]:
    """Fetch each URL not stored yet, once.

    Args:
        urls: URLs (a :class:`Failure` among them, from :func:`read_url_list`, is passed on).
        crawler: the fetcher.
        known_url: tells whether the store already holds a URL; those are not fetched again.
        stats: ``already_stored`` is increased for every URL passed over.

    Yields:
        A :class:`RawDocument` per page fetched, or a :class:`Failure` per URL that could not be.
    """
    seen: set[str] = set()
    for url in urls:
        if isinstance(url, Failure):
            yield url
        elif url in seen or known_url(url):
            if stats is not None:
                stats.already_stored += 1
        else:
            seen.add(url)
            yield crawler.document(url)


def read_url_list(path: str | Path) -> Iterator[str | Failure]:
    """The URLs of a file, one a line (blank lines and ``#`` comments skipped).

    Args:
        path: the list file.

    Yields:
        Each http(s) URL, or a :class:`Failure` (``path:line``) for a line that is not one, or for an unreadable file.
    """
    try:
        text = decode_bytes(read_capped(Path(path), DEFAULT_MAX_BYTES), str(path))
    except (InputError, OSError) as exc:
        yield as_failure(str(path), exc)
        return
    for n, line in enumerate(text.split("\n"), start=1):
        url = line.strip()
        if not url or url.startswith("#"):
            continue
        try:
            _check_scheme(url)
            yield url
        except InputError as exc:
            yield Failure(f"{path}:{n}", exc.problem)


def _check_scheme(url: str) -> None:
    """Refuse anything but an absolute http(s) URL with a host."""
    parts = urlsplit(url)
    if parts.scheme.lower() not in ("http", "https") or not parts.hostname:
        raise RefusedError(url, f"expected an http(s) URL, got {url[:200]!r}")


def _host(url: str) -> str:
    """The URL's host name, lower-cased ('' when there is none)."""
    try:
        return (urlsplit(url).hostname or "").lower()
    except ValueError:
        return ""


def _reason(status: int) -> str:
    """The standard phrase of an HTTP status ('' if unknown)."""
    try:
        return httpx.codes(status).name.replace("_", " ").title()
    except ValueError:
        return ""


def _describe(exc: Exception) -> str:
    """A short description of a transport error."""
    kind = "a time-out" if isinstance(exc, httpx.TimeoutException) else "a network error"
    return f"{kind} ({str(exc) or type(exc).__name__})"
