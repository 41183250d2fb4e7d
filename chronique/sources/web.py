"""Ingest, the web: fetch pages politely into :class:`RawDocument` records.

Polite by default: robots.txt is honoured (with its ``Crawl-delay``), one host is asked at most once
per ``delay`` seconds, every request has a deadline, 5xx answers and time-outs are retried with
exponential back-off (4xx answers are not), a page larger than the cap is refused (the body is read in
chunks and reading stops at the cap), and requests say who sends them (``chronique/<version>``).
Private, loopback, link-local and other non-public addresses are refused unless allowed, at every
redirect hop, so that a hostile feed cannot point the crawler at internal services. The address is
checked where the connection is opened (:class:`_PinnedBackend`): a host name is resolved once, every
address it gives is checked, and the socket connects to the address that was checked, so that a DNS
answer that changes between the check and the connection (DNS rebinding) cannot reach an internal
service; the Host header and the TLS server name stay the URL's. IPv6 forms that embed an IPv4 address
(IPv4-mapped, IPv4-compatible, 6to4, NAT64) are judged by that IPv4 address. Every problem becomes a
:class:`Failure` naming the URL that was listed; nothing stops the run.
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

import httpcore
import httpx

from ..errors import EncodingError, FetchError, InputError, RefusedError, TooLargeError
from ..records import Failure, RawDocument, content_id
from .decode import DEFAULT_MAX_BYTES, IngestStats, as_failure, decode_bytes, decode_page, read_capped

__all__ = ["USER_AGENT", "CrawlConfig", "Crawler", "Page", "crawl", "is_public_address", "read_url_list"]

USER_AGENT = f"chronique/{version('chronique')} (+https://pypi.org/project/chronique/)"
_REDIRECTS = {301, 302, 303, 307, 308}
_PAGE_TYPES = {"text/html": "html", "application/xhtml+xml": "html", "text/plain": "text"}
_ROBOTS_MAX_BYTES = 500_000
# IPv6 ranges whose last 32 bits are an IPv4 address the packets end up at: IPv4-compatible (::/96,
# deprecated but still routed by some stacks) and the NAT64 well-known prefix (RFC 6052).
_EMBEDS_IPV4 = (ipaddress.IPv6Network("::/96"), ipaddress.IPv6Network("64:ff9b::/96"))
# Local-use NAT64 (RFC 8215): translated by a gateway of the local network, never public.
_LOCAL_NAT64 = ipaddress.IPv6Network("64:ff9b:1::/48")


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
        self.client = httpx.Client(
            timeout=timeout,
            follow_redirects=False,
            trust_env=False,
            headers={"User-Agent": self.config.user_agent},
            transport=_PinnedTransport(_PinnedBackend(self._addresses)),
        )
        self._robots: dict[str, urllib.robotparser.RobotFileParser] = {}
        self._robots_trouble: dict[str, str] = {}  # host -> why its robots.txt disallows everything (no answer, 5xx…)
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
            text = _decode(page, fmt)
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
            if not self._robots_allow(url, current):
                raise RefusedError(url, self._robots_refusal(current))
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
        """GET one URL (no redirects followed) with the address check (when connecting), rate limit and retries."""
        _check_scheme(url)
        for attempt in range(self.config.retries + 1):
            self._wait(_host(url))
            try:
                answer = self._attempt(url, cap)
            except (RefusedError, FetchError) as exc:  # from the connection's address check, which knows only the host
                raise type(exc)(url, exc.problem) from None
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
        try:
            return self._exchange(url, cap, deadline)
        finally:
            # the gap to the next request is counted from the end of this one, so the host sees at least `delay`
            # between two requests however long this one took to arrive
            self._last[_host(url)] = time.monotonic()

    def _exchange(self, url: str, cap: int, deadline: float) -> _Answer:
        """Send the request and read the answer (the body of a 200 up to ``cap`` bytes and the deadline)."""
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

    def _addresses(self, host: str, port: int) -> list[str]:
        """Resolve ``host`` once and return its addresses, refusing the host if any is not public (unless allowed).

        The connection is then opened to these very addresses (see :class:`_PinnedBackend`), never to a second answer.

        Raises:
            FetchError: the name does not resolve.
            RefusedError: an address is private, loopback, link-local or otherwise not public.
        """
        try:
            infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
        except (socket.gaierror, UnicodeError) as exc:
            raise FetchError(host, f"expected a host name that resolves, got {host!r} ({exc})") from None
        addresses = list(dict.fromkeys(str(info[4][0]) for info in infos))
        if self.config.allow_private or host.lower() in self.config.allowed_hosts:
            return addresses
        for address in addresses:
            ip = ipaddress.ip_address(address.split("%")[0])
            if not is_public_address(ip):
                raise RefusedError(
                    host, f"expected a public address, got {host} -> {ip} (private, loopback or link-local; --allow-private crawls it)"
                )
        return addresses

    # -- robots.txt -------------------------------------------------------------------------
    def _robots_allow(self, listed: str, url: str) -> bool:
        """Whether robots.txt of the URL's site lets our user agent fetch it (fetched once per site).

        Args:
            listed: the URL the user listed, named by an error (``url`` may be a redirect hop).
            url: the URL about to be fetched.

        Raises:
            RefusedError: robots.txt itself may not be fetched (a non-public address); the error names ``listed``.
            FetchError: the robots.txt host name does not resolve; the error names ``listed``.
        """
        parts = urlsplit(url)
        host = _host(url)
        if host not in self._robots:
            robots_url = f"{parts.scheme}://{parts.netloc}/robots.txt"
            try:
                self._robots[host] = self._load_robots(robots_url)
            except (RefusedError, FetchError) as exc:
                raise type(exc)(listed, f"{exc.problem} (while reading {robots_url})") from None
        return self._robots[host].can_fetch(self.config.user_agent, url)

    def _robots_refusal(self, url: str) -> str:
        """Why robots.txt keeps ``url`` from being fetched: its rules, or the robots.txt that could not be read."""
        host = _host(url)
        trouble = self._robots_trouble.get(host)
        if trouble:
            return f"robots.txt of {host} could not be read ({trouble}), so the site is not crawled"
        return f"robots.txt of {host} disallows {url} for {self.config.user_agent}"

    def _load_robots(self, robots_url: str) -> urllib.robotparser.RobotFileParser:
        """Fetch and parse one robots.txt: missing (4xx) allows all; 401/403, 5xx or no answer disallow all."""
        parser = urllib.robotparser.RobotFileParser(robots_url)
        try:
            answer = self._get(robots_url, _ROBOTS_MAX_BYTES)
        except (FetchError, TooLargeError) as exc:
            self._robots_trouble[_host(robots_url)] = exc.problem
            answer = _Answer(503, None, "", b"")
        if answer.status == 200:
            parser.parse(answer.body.decode("utf-8", "replace").splitlines())
        elif answer.status in (401, 403) or answer.status >= 500:
            self._robots_trouble.setdefault(_host(robots_url), f"it answered {answer.status} {_reason(answer.status)}".rstrip())
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


def is_public_address(ip: ipaddress.IPv4Address | ipaddress.IPv6Address) -> bool:
    """Whether an address is public: global, not multicast, and (for IPv6 forms that carry an IPv4 address) its IPv4 too.

    Args:
        ip: the address.

    Returns:
        False for private, loopback, link-local, reserved and multicast addresses, and for IPv6 addresses that
        embed such an IPv4 address (IPv4-mapped ``::ffff:a.b.c.d``, IPv4-compatible ``::a.b.c.d``, 6to4
        ``2002:AABB:CCDD::``, NAT64 ``64:ff9b::a.b.c.d``) or that only a local gateway translates (``64:ff9b:1::/48``).
    """
    if isinstance(ip, ipaddress.IPv6Address):
        if ip in _LOCAL_NAT64:
            return False
        embedded = ip.ipv4_mapped or ip.sixtofour
        if embedded is None and any(ip in net for net in _EMBEDS_IPV4) and int(ip) > 1:  # "::" and "::1" are not IPv4
            embedded = ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
        if embedded is not None:
            return is_public_address(embedded)
    return ip.is_global and not ip.is_multicast


class _PinnedBackend(httpcore.SyncBackend):
    """Opens TCP connections only to the addresses a check approved, resolving each host name once.

    httpcore asks for ``connect_tcp(host, port)``; the host is resolved and checked by ``addresses`` and the socket
    connects to those IP addresses in turn. TLS (server name) and the Host header still use the URL's host, since
    httpcore takes both from the request, not from the socket.

    Args:
        addresses: resolves and checks a host, returning the addresses allowed (raising to refuse the host).
    """

    def __init__(self, addresses: Callable[[str, int], list[str]]) -> None:
        self._addresses = addresses

    def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[httpcore.SOCKET_OPTION] | None = None,
    ) -> httpcore.NetworkStream:
        """Connect to the first checked address of ``host`` that answers.

        Raises:
            RefusedError: the host resolves to an address that is not allowed.
            FetchError: the host does not resolve.
            httpcore.ConnectError: no checked address answers.
        """
        error: Exception = httpcore.ConnectError(f"no address for {host}")
        for address in self._addresses(host, port):
            try:
                return super().connect_tcp(address, port, timeout, local_address, socket_options)
            except (httpcore.ConnectError, httpcore.ConnectTimeout) as exc:
                error = exc
        raise error


class _PinnedTransport(httpx.HTTPTransport):
    """httpx's transport with a connection pool that connects through :class:`_PinnedBackend`."""

    def __init__(self, backend: _PinnedBackend) -> None:
        ssl_context = httpx.create_ssl_context()
        super().__init__(verify=ssl_context, trust_env=False)
        # httpx 0.2x has no parameter for the network backend; its pool is rebuilt with the same settings plus ours
        self._pool = httpcore.ConnectionPool(ssl_context=ssl_context, network_backend=backend)


def _decode(page: Page, fmt: str) -> str:
    """The page's text, by its declared charset for HTML.

    Raises:
        InputError: (a subclass) empty, binary or undecodable page; a charset that is a codec but not a text one
            (``rot13``, ``hex``) is an :class:`EncodingError` naming the page, not a crash of the crawl.
    """
    try:
        return decode_page(page.body, page.url, page.content_type) if fmt == "html" else decode_bytes(page.body, page.url)
    except LookupError as exc:  # bytes.decode("rot13") raises LookupError: not a text encoding
        raise EncodingError(page.url, f"expected a text charset, got one that is not a text encoding ({exc})") from None


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
