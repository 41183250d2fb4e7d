"""The web pages in real headless Chromium (Debian's), driven by Playwright: what a reader sees and clicks.

Screenshots go to ``test-artifacts/screenshots/`` (kept after the run, ignored by git). Outside CI
the tests skip when Chromium is not installed; in CI (``CI=true``) a missing browser fails them.
"""

from __future__ import annotations

import os
import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
import uvicorn

from chronique.pipeline import Pipeline
from chronique.records import RawDocument, content_id
from chronique.serve import create_app
from chronique.store import Store
from tests.conftest import ROOT
from tests.test_serve import PAYLOAD_TEXT, PAYLOAD_TITLE, copy_store

pytestmark = pytest.mark.slow  # drives Debian's Chromium against a served store built with the real models

CHROMIUM = os.environ.get("CHRONIQUE_CHROMIUM", "/usr/bin/chromium")
ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
SHOTS = ROOT / "test-artifacts" / "screenshots"
PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 900}


def _unavailable(reason: str) -> None:
    """Fail in CI, skip elsewhere."""
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(f"browser tests need Chromium in CI: {reason}")
    pytest.skip(f"{reason}; install it with: apt-get install -y chromium chromium-driver")


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    if not (Path(CHROMIUM).is_file() and os.access(CHROMIUM, os.X_OK)):
        _unavailable(f"no Chromium at {CHROMIUM}")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        _unavailable("the playwright Python package is not installed (pip install -e '.[test]')")
    SHOTS.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as pw:
        chromium = pw.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield chromium
        chromium.close()


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextmanager
def _served(db: Path) -> Iterator[str]:
    """A real uvicorn server on 127.0.0.1 over a store, for the time of the block; its base URL."""
    server = uvicorn.Server(uvicorn.Config(create_app(db, token=""), host="127.0.0.1", port=_free_port(), log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    for _ in range(200):
        if server.started:
            break
        threading.Event().wait(0.05)
    assert server.started, "uvicorn did not start"
    try:
        yield f"http://127.0.0.1:{server.config.port}"
    finally:
        server.should_exit = True
        thread.join(10)


@pytest.fixture(scope="module")
def seeds_site(seeds_report: dict, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A real uvicorn server over the seeds (with meta.csv); its base URL."""
    with _served(copy_store(seeds_report["_store"].path, tmp_path_factory.mktemp("browser-seeds") / "s.db")) as url:
        yield url


@pytest.fixture(scope="module")
def site(examples_report: dict, tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict]:
    """A real uvicorn server on 127.0.0.1 over the demo corpus plus one article carrying a script payload."""
    db = copy_store(examples_report["_store"].path, tmp_path_factory.mktemp("browser") / "b.db")
    payload = RawDocument(
        content_id(PAYLOAD_TEXT),
        "payload.json",
        PAYLOAD_TEXT,
        "text",
        title=PAYLOAD_TITLE,
        published="2024-03-05",
        published_origin="json",
        language="fr",
    )
    store = Store(db)
    Pipeline(store).run_documents([payload])
    event = store.memberships()[payload.id]
    store.close()
    with _served(db) as url:
        yield {"url": url, "payload": payload.id, "payload_event": event}


@pytest.fixture()
def page(browser: object, site: dict) -> Iterator[object]:
    context = browser.new_context(viewport=DESKTOP)
    pg = context.new_page()
    pg.errors = []
    pg.on("console", lambda m: pg.errors.append(m.text) if m.type == "error" else None)
    pg.on("pageerror", lambda e: pg.errors.append(str(e)))
    yield pg
    context.close()


def _shot(pg: object, name: str) -> None:
    path = SHOTS / f"{name}.png"
    pg.screenshot(path=str(path), full_page=True)
    assert path.stat().st_size > 1000


def test_reader_goes_from_home_to_story_event_article(page: object, site: dict, examples_report: dict) -> None:
    event = next(e for e in examples_report["events"] if any(a["source"].endswith("01_bce-baisse-taux-juin.txt") for a in e["articles"]))
    story = next(s for s in examples_report["stories"] if s["id"] == event["story"])
    reports = [a for a in event["articles"] if not a["duplicate_of"]]
    article = next(a for a in reports if a["source"].endswith("01_bce-baisse-taux-juin.txt"))
    page.goto(site["url"] + "/")
    assert page.locator("h1").inner_text() == "Stories"
    assert page.locator("ol.stories > li").count() == len(examples_report["stories"]) + 1  # + the payload's story
    _shot(page, "01-home")
    page.locator(f'ol.stories h2 a[href="/stories/{story["id"]}"]').click()
    assert page.locator("h1").inner_text() == story["title"]
    assert page.locator("figure.timeline svg circle.mark").count() == len(story["events"])
    assert page.locator("figure.timeline text.tick-label").first.is_visible()
    days = {a["published"][:10] for e in examples_report["events"] if e["story"] == story["id"] for a in e["articles"] if a["published"]}
    assert page.locator("figure.coverage svg rect.bar").count() == len(days)
    assert page.locator("figure.coverage svg rect.bar").first.is_visible()
    _shot(page, "02-story")
    page.locator(f'ol.story-events a[href="/events/{event["id"]}"]').click()
    assert page.locator("h1").inner_text() == event["headline"]
    assert "6 Jun 2024" in page.locator(".dateline").inner_text()
    assert page.get_by_role("heading", name="Why these articles are together").is_visible()
    assert page.locator("ol.sources > li").count() == len(reports)
    assert page.locator("table.signals tbody tr").count() == len(reports) * (len(reports) - 1) // 2
    _shot(page, "03-event")
    page.locator("ol.summary .carriers a").first.click()
    assert "#src-" in page.url
    page.locator(f'ol.sources a.title[href="/articles/{article["id"]}"]').click()
    assert page.locator("h1").inner_text() == article["title"]
    assert page.locator(".text a.m.PER", has_text="Christine Lagarde").is_visible()
    removed = page.locator("details.removed")
    assert not removed.locator("li").first.is_visible()
    removed.locator("summary").click()
    assert removed.locator("li").first.is_visible()
    _shot(page, "04-article")
    page.locator(".text a.m.PER", has_text="Christine Lagarde").click()
    assert "/entities/" in page.url and page.locator("h1").inner_text().endswith("Christine Lagarde")
    _shot(page, "05-entity")
    assert page.errors == []


def test_event_page_shows_outlets_first_report_and_who_is_cited(page: object, site: dict, examples_report: dict) -> None:
    event = next(
        e for e in examples_report["events"] if any(a["source"].endswith("05_bce-nouvelle-baisse-septembre.txt") for a in e["articles"])
    )
    page.goto(site["url"] + f"/events/{event['id']}")
    wire = page.locator('ol.sources a.outlet[href^="https://wire.example.org/"]')
    assert wire.inner_text() == "Continental Wire Service" and wire.get_attribute("rel") == "noopener noreferrer nofollow"
    assert page.locator("ol.sources strong.first").count() == 1
    cited = page.locator("section.cited")
    assert cited.get_by_role("heading", name="Who is cited").is_visible()
    moll = cited.locator("li.card", has_text="Henrik Moll")
    assert "rates strategist at Nordbrook Securities" in moll.inner_text()
    sentence = moll.locator("blockquote").first
    assert not sentence.is_visible()
    moll.locator("summary").click()
    assert "carbon copy of June" in sentence.inner_text() and sentence.is_visible()
    _shot(page, "10-event-provenance")
    assert page.errors == []


def test_contacts_from_the_nav_to_a_line_with_its_map(page: object, site: dict) -> None:
    page.goto(site["url"] + "/")
    page.get_by_role("link", name="Contacts").click()
    assert page.locator("h1").inner_text() == "Who talked to whom"
    page.locator("ul.contact-lines h2 a", has_text="Wang Yi").first.click()
    assert "Antony Blinken" in page.locator("h1").inner_text() and "Wang Yi" in page.locator("h1").inner_text()
    assert page.locator("ol.contact-items li.card").count() >= 3  # put off, Munich, Beijing
    assert page.locator("ol.contact-items blockquote").first.is_visible()
    assert page.locator("svg.place-map").is_visible()  # China drawn offline
    _shot(page, "11-contact-line")
    assert page.errors == []


def test_search_from_the_header_box(page: object, site: dict) -> None:
    page.goto(site["url"] + "/stories/nope")
    assert "Not found" in page.locator("h1").inner_text()
    page.errors.clear()  # the browser logs the 404 itself
    page.fill("#q", "séisme Maroc")
    page.press("#q", "Enter")
    assert "/search" in page.url
    assert page.locator("ol.results > li").count() >= 1
    assert page.locator("ol.results mark").first.is_visible()
    _shot(page, "06-search")
    page.fill("#q", "cessez-le-feu")  # not valid FTS5 syntax: read as plain words, and said so
    page.press("#q", "Enter")
    assert page.locator("p.note").is_visible()
    assert page.errors == []


def test_script_payload_never_runs(page: object, site: dict) -> None:
    for path in (f"/articles/{site['payload']}", f"/events/{site['payload_event']}", "/", "/search?q=tramways"):
        page.goto(site["url"] + path)
        assert page.evaluate("() => window.__pwned") is None, path
        assert page.locator("img[onerror]").count() == 0, path
        assert page.locator("script:not([src])").count() == 0, path
    page.goto(site["url"] + f"/articles/{site['payload']}")
    assert "<script>window.__pwned=1</script>" in page.locator("h1").inner_text()
    assert "<script>window.__pwned=3</script>" in page.locator(".text").inner_text()
    _shot(page, "07-payload-shown-as-text")


def test_pages_fit_a_phone(browser: object, site: dict, examples_report: dict) -> None:
    context = browser.new_context(viewport=PHONE, is_mobile=True)
    pg = context.new_page()
    event = next(e for e in examples_report["events"] if len(e["articles"]) >= 4)
    for name, path in (
        ("08-phone-home", "/"),
        ("09-phone-event", f"/events/{event['id']}"),
        ("10-phone-article", f"/articles/{event['articles'][0]['id']}"),
    ):
        pg.goto(site["url"] + path)
        overflow = pg.evaluate("() => document.documentElement.scrollWidth - document.documentElement.clientWidth")
        assert overflow <= 1, (path, overflow)
        assert pg.locator("#q").is_visible()
        _shot(pg, name)
    context.close()


def test_pages_read_without_javascript(browser: object, site: dict, examples_report: dict) -> None:
    context = browser.new_context(viewport=DESKTOP, java_script_enabled=False)
    pg = context.new_page()
    event = next(e for e in examples_report["events"] if len(e["articles"]) >= 4)
    reports = [a for a in event["articles"] if not a["duplicate_of"]]
    pg.goto(site["url"] + f"/events/{event['id']}")
    assert pg.locator("ol.summary li").count() >= 1 and pg.locator("ol.sources > li").count() == len(reports)
    pg.fill("#q", "Ariane")
    pg.press("#q", "Enter")
    assert pg.locator("ol.results > li").count() >= 1
    context.close()


def test_event_page_flags_the_seeds_scale_slip(page: object, seeds_site: str, seeds_report: dict) -> None:
    event = next(e for e in seeds_report["events"] if any(Path(a["source"]).name.startswith("000_") for a in e["articles"]))
    page.goto(seeds_site + f"/events/{event['id']}")
    section = page.locator("section.disagreements")
    assert section.get_by_role("heading", name="Where reports disagree").is_visible()
    text = section.inner_text()
    assert "3,8 milliards" in text and "3,800 milliards" in text  # 002 against 000: a thousandfold gap
    _shot(page, "12-event-disagreement")
    assert page.errors == []
