"""The crawler against a real local HTTP server: politeness, safety, caps, retries, and no page stored twice."""

from __future__ import annotations

import ipaddress
import itertools
import socket
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from chronique.cli import app
from chronique.pipeline import Pipeline
from chronique.records import Failure, RawDocument
from chronique.sources import IngestStats
from chronique.sources.web import USER_AGENT, CrawlConfig, Crawler, crawl, is_public_address, read_url_list
from chronique.store import Store
from tests._http import LocalServer, Route, article_text, serve

FAST = {"delay": 0.0, "timeout": 2.0, "retries": 1, "backoff": 0.01, "allow_private": True}


@pytest.fixture
def server() -> Iterator[LocalServer]:
    yield from serve()


def _config(**kw: object) -> CrawlConfig:
    return CrawlConfig(**{**FAST, **kw})  # type: ignore[arg-type]


def test_fetches_a_page_with_a_clear_user_agent(server: LocalServer) -> None:
    url = server.page("/a", "Budget des écoles", article_text(1))
    with Crawler(_config()) as c:
        doc = c.document(url)
    assert isinstance(doc, RawDocument) and doc.fmt == "html" and doc.url == doc.source == url
    assert "Budget des écoles" in doc.content
    assert USER_AGENT.startswith("chronique/") and "(+https://" in USER_AGENT
    assert {h.user_agent for h in server.hits} == {USER_AGENT}
    assert [h.path for h in server.hits] == ["/robots.txt", "/a"]


def test_robots_txt_is_honoured(server: LocalServer) -> None:
    server.routes["/robots.txt"] = Route(body=b"User-agent: *\nDisallow: /private/\n", content_type="text/plain")
    ok = server.page("/news/1", "Ouvert", article_text(1))
    closed = server.page("/private/1", "Fermé", article_text(2))
    with Crawler(_config()) as c:
        assert isinstance(c.document(ok), RawDocument)
        refused = c.document(closed)
    assert isinstance(refused, Failure) and "robots.txt" in refused.reason and refused.source == closed
    assert server.count("/private/1") == 0 and server.count("/robots.txt") == 1


def test_robots_txt_server_error_disallows_the_site(server: LocalServer) -> None:
    server.routes["/robots.txt"] = Route(status=500, body=b"oops", content_type="text/plain")
    url = server.page("/a", "Titre", article_text(1))
    with Crawler(_config(retries=0)) as c:
        res = c.document(url)
    assert isinstance(res, Failure) and "robots.txt" in res.reason and server.count("/a") == 0


def test_per_host_rate_limit(server: LocalServer) -> None:
    urls = [server.page(f"/p{i}", f"Titre {i}", article_text(i)) for i in range(3)]
    with Crawler(_config(delay=0.25)) as c:
        assert all(isinstance(c.document(u), RawDocument) for u in urls)
    times = [h.at for h in server.hits]
    assert len(times) == 4 and min(b - a for a, b in itertools.pairwise(times)) >= 0.24


def test_crawl_delay_from_robots_txt(server: LocalServer) -> None:
    server.routes["/robots.txt"] = Route(body=b"User-agent: chronique\nCrawl-delay: 1\n", content_type="text/plain")
    urls = [server.page(f"/p{i}", f"Titre {i}", article_text(i)) for i in range(2)]
    with Crawler(_config()) as c:
        for u in urls:
            c.document(u)
    pages = [h.at for h in server.hits if h.path != "/robots.txt"]
    assert pages[1] - pages[0] >= 0.99  # robotparser reads whole seconds


def test_slow_page_times_out_after_retries(server: LocalServer) -> None:
    url = server.page("/slow", "Lent", article_text(1), delay=1.0)
    with Crawler(_config(timeout=0.3, retries=1)) as c:
        res = c.document(url)
    assert isinstance(res, Failure) and "time-out" in res.reason and "2 attempt(s)" in res.reason
    assert server.count("/slow") == 2


def test_5xx_is_retried_with_back_off(server: LocalServer) -> None:
    url = server.page("/flaky", "Instable", article_text(1), fail_first=2)
    with Crawler(_config(retries=2, backoff=0.05)) as c:
        assert isinstance(c.document(url), RawDocument)
    hits = [h.at for h in server.hits if h.path == "/flaky"]
    assert len(hits) == 3 and hits[2] - hits[1] >= 0.09  # 0.05, then 0.1


def test_500_gives_up_and_404_is_not_retried(server: LocalServer) -> None:
    server.routes["/down"] = Route(status=500, body=b"err", content_type="text/plain")
    with Crawler(_config(retries=2)) as c:
        down, missing = c.document(server.url("/down")), c.document(server.url("/missing"))
    assert isinstance(down, Failure) and "got 500" in down.reason and server.count("/down") == 3
    assert isinstance(missing, Failure) and "got 404 Not Found" in missing.reason and server.count("/missing") == 1


def test_redirect_is_followed(server: LocalServer) -> None:
    target = server.page("/new", "Nouveau", article_text(1))
    server.routes["/old"] = Route(status=301, headers={"Location": "/new"})
    with Crawler(_config()) as c:
        doc = c.document(server.url("/old"))
    assert isinstance(doc, RawDocument) and doc.url == server.url("/old") and "Nouveau" in doc.content
    assert server.count("/new") == 1 and target.endswith("/new")


def test_private_addresses_refused_by_default(server: LocalServer) -> None:
    server.page("/a", "Titre", article_text(1))
    urls = [
        server.url("/a"),
        f"http://localhost:{server.port}/a",
        "http://10.0.0.1/",
        "http://169.254.169.254/latest/meta-data",
        "http://[::1]/",
        "http://192.168.1.1/admin",
        "http://0.0.0.0/",
    ]
    with Crawler(CrawlConfig(delay=0)) as c:
        results = [c.document(u) for u in urls]
    assert all(isinstance(r, Failure) and "expected a public address" in r.reason for r in results), results
    assert server.hits == []  # nothing was sent anywhere


def test_redirect_to_a_private_address_is_refused(server: LocalServer) -> None:
    server.page("/secret", "Interne", article_text(1))
    server.routes["/go"] = Route(status=302, headers={"Location": f"http://localhost:{server.port}/secret"})
    server.routes["/go2"] = Route(status=302, headers={"Location": "http://10.0.0.1/admin"})
    with Crawler(CrawlConfig(delay=0, allowed_hosts=frozenset({"127.0.0.1"}))) as c:
        first, second = c.document(server.url("/go")), c.document(server.url("/go2"))
    assert isinstance(first, Failure) and "localhost" in first.reason and "public address" in first.reason
    assert isinstance(second, Failure) and "10.0.0.1" in second.reason
    assert server.count("/secret") == 0


def test_oversized_page_is_refused_not_truncated(server: LocalServer) -> None:
    big = b"<html><body><p>" + b"mot " * 50_000 + b"</p></body></html>"
    server.routes["/big"] = Route(body=big)
    server.routes["/big-stream"] = Route(body=big, omit_length=True)
    with Crawler(_config(max_bytes=50_000)) as c:
        declared, streamed = c.document(server.url("/big")), c.document(server.url("/big-stream"))
    assert isinstance(declared, Failure) and "at most 50000 bytes" in declared.reason
    assert isinstance(streamed, Failure) and "reading stopped there" in streamed.reason


def test_non_html_page_and_bad_scheme(server: LocalServer) -> None:
    server.routes["/img"] = Route(body=b"\x89PNG....", content_type="image/png")
    with Crawler(_config()) as c:
        img, ftp = c.document(server.url("/img")), c.document("ftp://example.org/x")
    assert isinstance(img, Failure) and "image/png" in img.reason
    assert isinstance(ftp, Failure) and "http(s) URL" in ftp.reason


def test_max_pages_per_host(server: LocalServer) -> None:
    urls = [server.page(f"/p{i}", f"Titre {i}", article_text(i)) for i in range(3)]
    with Crawler(_config(max_pages_per_host=2)) as c:
        res = [c.document(u) for u in urls]
    assert [type(r).__name__ for r in res] == ["RawDocument", "RawDocument", "Failure"]
    assert "at most 2 pages" in res[2].reason and server.count("/p2") == 0


def test_url_list_file(tmp_path: Path) -> None:
    path = tmp_path / "urls.txt"
    path.write_text("# a comment\nhttp://a.example/1\n\nnot a url\nhttps://b.example/2\n", "utf-8")
    items = list(read_url_list(path))
    assert items[0] == "http://a.example/1" and items[2] == "https://b.example/2"
    assert isinstance(items[1], Failure) and items[1].source.endswith("urls.txt:4")


@pytest.mark.slow  # real models or a large input: out of the edit loop
def test_stored_pages_are_not_fetched_or_stored_again(server: LocalServer, tmp_path: Path) -> None:
    urls = [server.page(f"/p{i}", f"Titre {i}", article_text(i)) for i in range(3)]
    copy = server.url("/copy")
    server.routes["/copy"] = server.routes["/p0"]  # the same content at another URL
    store = Store(tmp_path / "c.db")
    pipe = Pipeline(store, embedder="hashing")
    with Crawler(_config()) as c:
        first = pipe.run([], extra=crawl([*urls, urls[0]], c, store.has_url, stats := IngestStats()), stats=stats)
    assert first.added == 3 and not first.failures and first.skipped == 1  # the URL given twice is fetched once
    with Crawler(_config()) as c:
        second = pipe.run([], extra=crawl([*urls, copy], c, store.has_url, stats := IngestStats()), stats=stats)
    assert second.added == 0 and second.skipped == 4  # three stored URLs not fetched, the copy's content not stored
    assert [h.path for h in server.hits] == ["/robots.txt", "/p0", "/p1", "/p2", "/robots.txt", "/copy"]
    assert store.db.execute("SELECT count(*) FROM articles").fetchone()[0] == 3


def test_cli_urls(server: LocalServer, tmp_path: Path) -> None:
    urls = [server.page(f"/p{i}", f"Titre {i}", article_text(i)) for i in range(2)]
    lst = tmp_path / "urls.txt"
    lst.write_text("\n".join([*urls, server.url("/missing")]) + "\n", "utf-8")
    db = tmp_path / "c.db"
    args = ["run", "--urls", str(lst), "--db", str(db), "--embedder", "hashing", "--delay", "0", "--retries", "0", "--allow-private"]
    res = CliRunner().invoke(app, args)
    assert res.exit_code == 1, res.output
    assert "2 new article(s)" in res.output and "missing: expected HTTP 200, got 404" in res.output
    listed = CliRunner().invoke(app, ["failures", "--db", str(db)]).output
    assert "/missing\texpected HTTP 200" in listed
    refused = CliRunner().invoke(app, ["run", "--urls", str(lst), "--db", str(tmp_path / "d.db"), "--embedder", "hashing"])
    assert refused.exit_code == 1 and "expected a public address" in refused.output


# -- the address check holds at connection time (DNS rebinding), for every form of address ----------------
PUBLIC = "93.184.216.34"  # a public address the tests never reach: the firewall fixture refuses it


@pytest.fixture
def firewall(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Refuse (and record) every TCP connection to an IP address other than 127.0.0.1, so no test sends traffic elsewhere.

    Host names pass through to the real ``create_connection``, which resolves them with ``socket.getaddrinfo``.
    """
    real = socket.create_connection
    refused: list[str] = []

    def connect(address: tuple[str, int], *args: object, **kw: object) -> socket.socket:
        host = address[0]
        try:
            literal = ipaddress.ip_address(host)
        except ValueError:
            literal = None
        if literal is not None and str(literal) != "127.0.0.1":
            refused.append(host)
            raise ConnectionRefusedError(f"test firewall: {host} is not 127.0.0.1")
        return real(address, *args, **kw)  # type: ignore[arg-type]

    monkeypatch.setattr(socket, "create_connection", connect)
    return refused


def _resolver(monkeypatch: pytest.MonkeyPatch, answers: dict[str, list[str]]) -> list[str]:
    """Make ``socket.getaddrinfo`` answer the given names with successive addresses (the last one repeated)."""
    real = socket.getaddrinfo
    asked: list[str] = []

    def getaddrinfo(host: object, port: object, *args: object, **kw: object) -> list:
        name = host.decode() if isinstance(host, bytes) else str(host)
        if name not in answers:
            return real(host, port, *args, **kw)  # type: ignore[arg-type]
        asked.append(name)
        seq = answers[name]
        address = seq[min(asked.count(name), len(seq)) - 1]
        return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", (address, int(port or 0)))]  # type: ignore[arg-type]

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
    return asked


def test_dns_rebinding_cannot_reach_a_local_service(server: LocalServer, firewall: list[str], monkeypatch: pytest.MonkeyPatch) -> None:
    server.page("/secret", "Interne", article_text(1))
    asked = _resolver(monkeypatch, {"rebind.test": [PUBLIC, "127.0.0.1"]})  # public when checked, loopback afterwards
    with Crawler(CrawlConfig(delay=0, retries=0, timeout=2)) as c:
        res = c.document(f"http://rebind.test:{server.port}/secret")
    assert isinstance(res, Failure) and res.source == f"http://rebind.test:{server.port}/secret", res
    assert server.hits == []  # the second answer (127.0.0.1) was never connected to
    assert firewall == [PUBLIC] and asked == ["rebind.test"]  # one resolution, and the connection went to the address checked


def test_dns_rebinding_on_a_redirect_hop(server: LocalServer, firewall: list[str], monkeypatch: pytest.MonkeyPatch) -> None:
    server.page("/secret", "Interne", article_text(1))
    server.routes["/go"] = Route(status=302, headers={"Location": f"http://rebind.test:{server.port}/secret"})
    _resolver(monkeypatch, {"rebind.test": [PUBLIC, "127.0.0.1"]})
    with Crawler(CrawlConfig(delay=0, retries=1, timeout=2, allowed_hosts=frozenset({"127.0.0.1"}))) as c:
        res = c.document(server.url("/go"))
    assert isinstance(res, Failure) and res.source == server.url("/go")
    assert [h.path for h in server.hits] == ["/robots.txt", "/go"]  # neither rebind.test's robots.txt nor /secret from here
    assert firewall == [PUBLIC]  # the retry resolved again, got 127.0.0.1, and refused it before connecting
    assert "127.0.0.1" in res.reason and "public address" in res.reason and "robots.txt" in res.reason


def test_pinned_connection_keeps_the_host_header(server: LocalServer, monkeypatch: pytest.MonkeyPatch) -> None:
    server.page("/a", "Titre", article_text(1))
    _resolver(monkeypatch, {"news.test": ["127.0.0.1"]})
    with Crawler(_config()) as c:
        doc = c.document(f"http://news.test:{server.port}/a")
    assert isinstance(doc, RawDocument)
    assert {h.host for h in server.hits} == {f"news.test:{server.port}"}


@pytest.mark.parametrize(
    ("address", "public"),
    [
        ("64:ff9b::7f00:1", False),  # NAT64 of 127.0.0.1
        ("64:ff9b::a9fe:a9fe", False),  # NAT64 of 169.254.169.254
        ("64:ff9b:1::a00:1", False),  # local-use NAT64
        ("2002:7f00:1::", False),  # 6to4 of 127.0.0.1
        ("2002:c0a8:101::1", False),  # 6to4 of 192.168.1.1
        ("::127.0.0.1", False),  # IPv4-compatible
        ("::10.0.0.1", False),
        ("::ffff:10.0.0.1", False),  # IPv4-mapped
        ("::1", False),
        ("64:ff9b::808:808", True),  # NAT64 of 8.8.8.8
        ("2002:808:808::1", True),
        ("2606:4700:4700::1111", True),
        ("8.8.8.8", True),
    ],
)
def test_embedded_ipv4_is_checked(address: str, public: bool) -> None:
    assert is_public_address(ipaddress.ip_address(address)) is public


def test_embedded_ipv4_urls_are_refused(firewall: list[str]) -> None:
    urls = ["http://[64:ff9b::7f00:1]/", "http://[2002:7f00:1::]/", "http://[::127.0.0.1]/"]
    with Crawler(CrawlConfig(delay=0, retries=0, timeout=2)) as c:
        results = [c.document(u) for u in urls]
    assert all(isinstance(r, Failure) and "expected a public address" in r.reason for r in results), results
    assert firewall == []  # refused before any connection was tried


def test_robots_failure_names_the_listed_url(server: LocalServer) -> None:
    url = f"http://localhost:{server.port}/a"
    with Crawler(CrawlConfig(delay=0)) as c:
        res = c.document(url)
    assert isinstance(res, Failure) and res.source == url
    assert "expected a public address" in res.reason and "robots.txt" in res.reason
    with Crawler(_config(retries=0)) as c:
        unknown = c.document("http://no-such-host.invalid/a")
    assert isinstance(unknown, Failure) and unknown.source == "http://no-such-host.invalid/a"
    assert "could not be read" in unknown.reason and "resolves" in unknown.reason


def test_a_page_with_a_codec_that_is_not_text_fails_alone(server: LocalServer) -> None:
    body = b'<html><head><meta charset="rot13"></head><body><p>Texte de la page.</p></body></html>'
    server.routes["/rot13"] = Route(body=body, content_type="text/html")
    server.routes["/hex"] = Route(body=b"<html><body><p>Texte.</p></body></html>", content_type="text/html; charset=hex")
    good = server.page("/good", "Bonne page", article_text(1))
    with Crawler(_config()) as c:
        results = list(crawl([server.url("/rot13"), server.url("/hex"), good], c, lambda _: False))
    rot13, hexa, page = results
    assert isinstance(rot13, Failure) and rot13.source == server.url("/rot13") and "rot" in rot13.reason
    assert isinstance(hexa, Failure) and hexa.source == server.url("/hex") and "hex" in hexa.reason
    assert isinstance(page, RawDocument) and "Bonne page" in page.content
