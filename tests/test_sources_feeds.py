"""Feeds: RSS and Atom, from a URL or a file, their items' pages fetched from a real local server."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from chronique.cli import app
from chronique.records import Failure, RawDocument
from chronique.sources.feeds import FeedItem, feed_documents, read_feed
from chronique.sources.web import CrawlConfig, Crawler
from chronique.store import Store
from tests._http import LocalServer, Route, article_text, serve


@pytest.fixture
def server() -> Iterator[LocalServer]:
    yield from serve()


def _rss(items: list[tuple[str, str, str]]) -> bytes:
    body = "".join(f"<item><title>{t}</title><link>{link}</link><pubDate>{d}</pubDate></item>" for t, link, d in items)
    return f'<?xml version="1.0"?><rss version="2.0"><channel><title>Flux</title>{body}</channel></rss>'.encode()


ATOM = """<?xml version="1.0" encoding="utf-8"?>
<feed xmlns="http://www.w3.org/2005/Atom"><title>Atom</title>
<entry><title>Entrée atom</title><link href="{link}"/><updated>2024-03-05T08:00:00Z</updated></entry>
<entry><title>Sans lien</title><updated>2024-03-05T08:00:00Z</updated></entry>
</feed>"""


def _crawler(**kw: object) -> Crawler:
    return Crawler(CrawlConfig(**{"delay": 0.0, "retries": 0, "timeout": 2.0, "allow_private": True, **kw}))  # type: ignore[arg-type]


def test_rss_from_a_url_fetches_each_item(server: LocalServer) -> None:
    links = [server.page(f"/a{i}", f"Page {i}", article_text(i)) for i in range(2)]
    server.routes["/feed.xml"] = Route(
        body=_rss(
            [
                ("Titre du flux 0", links[0], "Fri, 03 May 2024 10:00:00 GMT"),
                ("Titre du flux 1", "/a1", "Sat, 04 May 2024 10:00:00 GMT"),
                ("Cassé", "/gone", "Sat, 04 May 2024 10:00:00 GMT"),
            ]
        ),
        content_type="application/rss+xml",
    )
    with _crawler() as c:
        docs = list(feed_documents([server.url("/feed.xml")], c, lambda url: False))
    assert [type(d).__name__ for d in docs] == ["RawDocument", "RawDocument", "Failure"]
    first, second, gone = docs
    assert isinstance(first, RawDocument) and first.title == "Titre du flux 0" and first.url == links[0]
    assert first.published == "2024-05-03" and first.published_origin == "feed"
    assert isinstance(second, RawDocument) and second.url == links[1]  # a relative link, resolved against the feed
    assert isinstance(gone, Failure) and "404" in gone.reason


def test_atom_file_and_an_item_without_link(server: LocalServer, tmp_path: Path) -> None:
    link = server.page("/atom1", "Atom", article_text(3))
    path = tmp_path / "feed.atom"
    path.write_text(ATOM.format(link=link), "utf-8")
    with _crawler() as c:
        items = list(read_feed(str(path), c))
    assert isinstance(items[0], FeedItem) and items[0].link == link and items[0].published == "2024-03-05"
    assert isinstance(items[1], Failure) and items[1].source == f"{path}#2" and "link" in items[1].reason


def test_not_a_feed(tmp_path: Path, server: LocalServer) -> None:
    path = tmp_path / "feed.xml"
    path.write_text("<html><body>pas un flux</body></html>", "utf-8")
    with _crawler() as c:
        items = list(read_feed(str(path), c)) + list(read_feed(str(tmp_path / "missing.xml"), c))
        items += list(read_feed(server.url("/nofeed"), c))
    assert all(isinstance(i, Failure) for i in items) and len(items) == 3
    assert "expected an RSS or Atom feed" in items[0].reason and "cannot read" in items[1].reason and "404" in items[2].reason


def test_hostile_feed_cannot_reach_internal_addresses(server: LocalServer) -> None:
    server.routes["/feed.xml"] = Route(
        body=_rss(
            [
                ("Interne", "http://10.0.0.5/admin", "Fri, 03 May 2024 10:00:00 GMT"),
                ("Local", f"http://localhost:{server.port}/admin", "Fri, 03 May 2024 10:00:00 GMT"),
            ]
        )
    )
    with _crawler(allow_private=False, allowed_hosts=frozenset({"127.0.0.1"})) as c:
        docs = list(feed_documents([server.url("/feed.xml")], c, lambda url: False))
    assert all(isinstance(d, Failure) and "expected a public address" in d.reason for d in docs) and len(docs) == 2
    assert server.count("/admin") == 0


def test_cli_feed_twice_stores_each_page_once(server: LocalServer, tmp_path: Path) -> None:
    links = [server.page(f"/a{i}", f"Page {i}", article_text(i)) for i in range(3)]
    server.routes["/feed.xml"] = Route(body=_rss([(f"Titre {i}", u, "Fri, 03 May 2024 10:00:00 GMT") for i, u in enumerate(links)]))
    db = tmp_path / "c.db"
    args = ["run", "--feed", server.url("/feed.xml"), "--db", str(db), "--embedder", "hashing", "--delay", "0", "--allow-private"]
    first = CliRunner().invoke(app, args)
    assert first.exit_code == 0, first.output
    assert "3 new article(s)" in first.output
    second = CliRunner().invoke(app, args)
    assert second.exit_code == 0 and "0 new article(s)" in second.output and "3 already stored" in second.output
    assert server.count("/a0") == 1 and server.count("/feed.xml") == 2
    store = Store(db)
    assert sorted(a.title for a in store.articles()) == ["Titre 0", "Titre 1", "Titre 2"]


def test_an_item_page_with_a_codec_that_is_not_text_fails_alone(server: LocalServer) -> None:
    good = server.page("/good", "Bonne page", article_text(1))
    server.routes["/hex"] = Route(body=b"<html><body><p>Texte.</p></body></html>", content_type="text/html; charset=hex")
    server.routes["/rot13"] = Route(body=b'<html><head><meta charset="rot13"></head><body><p>Texte.</p></body></html>')
    server.routes["/rot13"].content_type = "text/html"
    day = "Fri, 03 May 2024 10:00:00 GMT"
    feed = _rss([("Hex", "/hex", day), ("Rot", "/rot13", day), ("Bonne", good, day)])
    server.routes["/feed.xml"] = Route(body=feed.replace(b'version="1.0"?>', b'version="1.0" encoding="rot13"?>', 1))
    with _crawler() as c:
        docs = list(feed_documents([server.url("/feed.xml")], c, lambda url: False))
    assert [type(d).__name__ for d in docs] == ["Failure", "Failure", "RawDocument"]
    assert docs[0].source == server.url("/hex") and "text" in docs[0].reason and "hex" in docs[0].reason
    assert docs[1].source == server.url("/rot13") and "text" in docs[1].reason and "rot" in docs[1].reason


def test_feed_refused_for_its_robots_txt_names_the_feed(server: LocalServer) -> None:
    feed = f"http://localhost:{server.port}/feed.xml"
    with _crawler(allow_private=False) as c:
        items = list(read_feed(feed, c))
    assert len(items) == 1 and isinstance(items[0], Failure) and items[0].source == feed
    assert "robots.txt" in items[0].reason and "public address" in items[0].reason
    assert server.hits == []
