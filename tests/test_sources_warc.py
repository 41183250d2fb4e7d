"""Web archives: article pages out of WARC records, other records counted, cut archives reported, flat memory."""

from __future__ import annotations

import io
import time
import tracemalloc
from pathlib import Path

import pytest
from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

from chronique.records import Failure, RawDocument
from chronique.sources import IngestStats, read_inputs
from tests._http import article_text


def _page(n: int, extra: str = "") -> bytes:
    return (
        f"<html><head><title>Titre {n}</title></head><body><article><h1>Titre {n}</h1>"
        f"<p>{article_text(n)}{extra}</p></article></body></html>"
    ).encode()


def write_warc(path: Path, pages: int, gz: bool = True, extra: str = "") -> Path:
    """A WARC like a crawler writes: warcinfo, then per page a request and a response; plus an image and a 404."""
    with path.open("wb") as fh:
        w = WARCWriter(fh, gzip=gz)
        w.write_record(w.create_warcinfo_record(path.name, {"software": "tests"}))
        for n in range(pages):
            url = f"https://news.example/{n}"
            req = StatusAndHeaders(f"GET /{n} HTTP/1.1", [("Host", "news.example")], is_http_request=True)
            w.write_record(w.create_warc_record(url, "request", http_headers=req))
            hh = StatusAndHeaders("200 OK", [("Content-Type", "text/html; charset=utf-8")], protocol="HTTP/1.1")
            w.write_record(
                w.create_warc_record(
                    url,
                    "response",
                    payload=io.BytesIO(_page(n, extra)),
                    http_headers=hh,
                    warc_headers_dict={"WARC-Date": f"2024-05-{n % 28 + 1:02d}T10:00:00Z"},
                )
            )
        img = StatusAndHeaders("200 OK", [("Content-Type", "image/png")], protocol="HTTP/1.1")
        w.write_record(w.create_warc_record("https://news.example/logo.png", "response", payload=io.BytesIO(b"\x89PNG"), http_headers=img))
        gone = StatusAndHeaders("404 Not Found", [("Content-Type", "text/html")], protocol="HTTP/1.1")
        w.write_record(
            w.create_warc_record("https://news.example/gone", "response", payload=io.BytesIO(b"<html>no</html>"), http_headers=gone)
        )
    return path


def test_pages_with_url_and_capture_date(tmp_path: Path) -> None:
    for gz in (True, False):
        path = write_warc(tmp_path / ("a.warc.gz" if gz else "a.warc"), 3, gz=gz)
        stats = IngestStats()
        items = list(read_inputs([path], stats=stats))
        assert all(isinstance(i, RawDocument) for i in items) and len(items) == 3
        assert [d.url for d in items] == [f"https://news.example/{n}" for n in range(3)]
        assert items[1].published == "2024-05-02" and items[1].published_origin == "warc" and items[1].fmt == "html"
        assert items[0].source.startswith(f"{path}:")
        assert stats.not_articles == 1 + 3 + 2  # warcinfo, requests, the image and the 404


def test_archive_cut_mid_record(tmp_path: Path) -> None:
    for gz in (True, False):
        whole = write_warc(tmp_path / "whole.warc", 4, gz=gz).read_bytes()
        for cut in (len(whole) // 2, len(whole) - 40, 700):
            path = tmp_path / ("cut.warc.gz" if gz else "cut.warc")
            path.write_bytes(whole[:cut])
            items = list(read_inputs([path]))
            fails = [i for i in items if isinstance(i, Failure)]
            assert len(fails) == 1 and fails[0].source == str(path), (gz, cut, items)
            assert "expected a complete WARC record at offset" in fails[0].reason
            assert all(isinstance(i, RawDocument) for i in items[:-1])  # every page before the cut is read


def test_not_a_warc_and_oversized_record(tmp_path: Path) -> None:
    junk = tmp_path / "junk.warc"
    junk.write_bytes(b"this is not an archive\n" * 10)
    items = list(read_inputs([junk]))
    assert len(items) == 1 and isinstance(items[0], Failure) and "expected a WARC file" in items[0].reason
    big = write_warc(tmp_path / "big.warc.gz", 2, extra="mot " * 5000)
    items = list(read_inputs([big], max_bytes=10_000))
    assert all(isinstance(i, Failure) and "at most 10000 bytes" in i.reason for i in items) and len(items) == 2


@pytest.mark.slow  # real models or a large input: out of the edit loop
def test_memory_stays_flat_on_a_large_archive(tmp_path: Path) -> None:
    path = write_warc(tmp_path / "large.warc.gz", 1000, extra="Paragraphe de remplissage. " * 400)  # ~11 MB of pages
    raw = 1000 * len(_page(0, "Paragraphe de remplissage. " * 400))
    assert raw > 10_000_000
    tracemalloc.start()
    count = 0
    for item in read_inputs([path]):
        assert isinstance(item, RawDocument)
        count += 1
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert count == 1000 and peak < 2_000_000, peak  # a few records' worth, never the archive


def test_a_page_with_a_codec_that_is_not_text_fails_alone(tmp_path: Path) -> None:
    """Audit: a record declaring charset=rot13 (or hex) made every later record of the archive reported corrupt."""
    path = tmp_path / "mixed.warc.gz"
    with path.open("wb") as fh:
        w = WARCWriter(fh, gzip=True)
        for n, ctype in enumerate(["text/html; charset=rot13", "text/html", "text/html; charset=hex", "text/html; charset=utf-8"]):
            hh = StatusAndHeaders("200 OK", [("Content-Type", ctype)], protocol="HTTP/1.1")
            w.write_record(w.create_warc_record(f"https://news.example/{n}", "response", payload=io.BytesIO(_page(n)), http_headers=hh))
    items = list(read_inputs([path]))
    docs = [i for i in items if isinstance(i, RawDocument)]
    fails = [i for i in items if isinstance(i, Failure)]
    assert sorted(d.url for d in docs) == ["https://news.example/1", "https://news.example/3"]
    assert len(fails) == 2 and all(f.source.startswith(f"{path}:") for f in fails)
    assert all("a codec that does not decode bytes to text" in f.reason for f in fails)
    assert "'rot13'" in fails[0].reason and "https://news.example/0" in fails[0].reason


def test_a_record_that_inflates_like_a_bomb_is_not_decompressed(tmp_path: Path) -> None:
    """Skipping a record decompresses all it declares: one declaring far more than the archive could hold stops the read."""
    path = write_warc(tmp_path / "a.warc.gz", 2)
    with path.open("ab") as fh:
        w = WARCWriter(fh, gzip=True)
        w.write_record(w.create_warc_record("urn:x", "resource", payload=io.BytesIO(b"\0" * 30_000_000)))
    assert path.stat().st_size < 100_000
    start = time.monotonic()
    items = list(read_inputs([path], max_bytes=1_000_000))
    fails = [i for i in items if isinstance(i, Failure)]
    assert sum(isinstance(i, RawDocument) for i in items) == 2
    assert len(fails) == 1 and "declaring 30000000" in fails[0].reason and "100 times the archive" in fails[0].reason
    assert time.monotonic() - start < 5
