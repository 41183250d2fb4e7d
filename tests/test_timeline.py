"""Story timelines: which days are chosen and which sentences stand for them (stores built here, no model)."""

from __future__ import annotations

from pathlib import Path

import pytest

from chronique.errors import InputError
from chronique.events.timeline import build_timeline, story_timeline
from chronique.records import Article, Event, Story, TimeExpression
from chronique.store import Store

FLOOD = "La digue du village de Vern a cédé le 3 mars. Trois fermes ont été inondées."
AFTER = "Les pompiers ont évacué cent habitants. Le maire réclame une enquête sur la digue."
LATER = "Une enquête vise la digue de Vern. Les experts rendront leur avis en mai."


def _article(ident: str, text: str, published: str, named: str | None = None) -> Article:
    art = Article(ident, f"{ident}.txt", "text", f"Titre {ident}", text, published=published, language="fr")
    if named:
        at = text.index("3 mars")
        art.times = [TimeExpression(ident, at, at + 6, "3 mars", named, "day", "test")]
    return art


def _reports() -> list[Article]:
    return [
        _article("a", FLOOD, "2024-03-04", "2024-03-03"),
        _article("b", AFTER, "2024-03-04"),
        _article("c", LATER, "2024-04-10"),
    ]


def test_the_most_covered_days_come_first_then_are_shown_in_order() -> None:
    timeline = build_timeline(_reports(), dates=2)
    assert [t.date for t in timeline] == ["2024-03-03", "2024-03-04"]
    assert timeline[1].reports == 2
    assert timeline[0].sentences[0] == ("La digue du village de Vern a cédé le 3 mars.", ["a"])


def test_an_event_starting_on_a_day_lifts_it() -> None:
    events = [Event(f"e{i}", "Enquête", "2024-04-10", "", [], ["c"]) for i in (1, 2)]
    timeline = build_timeline(_reports(), events, dates=1)
    assert [(t.date, t.events) for t in timeline] == [("2024-04-10", 2)]


def test_nonsense_sizes_are_refused() -> None:
    with pytest.raises(InputError, match="dates=0"):
        build_timeline(_reports(), dates=0)


def _story_store(tmp_path: Path) -> Store:
    """A store with the three reports in one story of two events."""
    store = Store(tmp_path / "t.db")
    store.add_articles(_reports(), [], [])
    events = [
        Event("e1", "Digue", "2024-03-03", "", [], ["a", "b"], story_id="s1"),
        Event("e2", "Enquête", "2024-04-10", "", [], ["c"], story_id="s1"),
    ]
    store.save_events(events, [Story("s1", "Vern", ["e1", "e2"])], {})
    return store


def test_a_story_of_a_store_gets_its_timeline(tmp_path: Path) -> None:
    store = _story_store(tmp_path)
    timeline = story_timeline(store, "s1", dates=3, per_date=1)
    assert [t.date for t in timeline] == ["2024-03-03", "2024-03-04", "2024-04-10"]
    assert all(len(t.sentences) == 1 for t in timeline)
    with pytest.raises(InputError, match="no story 'zz'"):
        story_timeline(store, "zz")


def test_the_timeline_command_prints_json(tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from chronique.cli import app

    store = Store(tmp_path / "t.db")
    store.add_articles(_reports(), [], [])
    store.save_events(
        [Event("e1", "Digue de Vern", "2024-03-03", "", [], ["a", "b", "c"], story_id="s1")], [Story("s1", "Vern", ["e1"])], {}
    )
    store.close()
    result = CliRunner().invoke(app, ["timeline", "--query", "digue", "--db", str(tmp_path / "t.db"), "--dates", "2", "--format", "json"])
    assert result.exit_code == 0, result.output
    assert '"story": "s1"' in result.output
    assert '"date": "2024-03-03"' in result.output


def test_the_story_page_shows_the_dates_that_matter(tmp_path: Path) -> None:
    from fastapi.testclient import TestClient

    from chronique.serve import create_app

    store = _story_store(tmp_path)
    page = TestClient(create_app(store.path, token=""), base_url="http://127.0.0.1").get("/stories/s1")
    assert page.status_code == 200 and "Dates that matter" in page.text
    assert page.text.index('datetime="2024-03-03"') < page.text.index('datetime="2024-04-10"')
    assert "La digue du village de Vern a cédé le 3 mars." in page.text and 'href="/articles/a"' in page.text


def test_the_story_page_charts_its_reports_a_day(tmp_path: Path) -> None:
    from fastapi.testclient import TestClient

    from chronique.serve import create_app

    client = TestClient(create_app(_story_store(tmp_path).path, token=""), base_url="http://127.0.0.1")
    per_day = client.get("/api/stories/s1").json()["reports_per_day"]
    assert per_day == [{"date": "2024-03-04", "reports": 2}, {"date": "2024-04-10", "reports": 1}]
    page = client.get("/stories/s1").text
    assert page.count('<rect class="bar"') == 2 and "4 Mar 2024: 2 reports" in page


def test_coverage_bars_share_one_scale_in_date_order() -> None:
    from chronique.serve._render import coverage
    from chronique.serve._views import DayCount

    chart = coverage([DayCount("2024-03-04", 4), DayCount("2024-03-06", 1), DayCount("2024-03", 9)], height=100)
    tall, short = chart.bars  # a month-only day is left out
    assert chart.most == 4 and tall.x < short.x and tall.height == chart.axis_y - 8
    assert short.height == pytest.approx(tall.height / 4)
    assert coverage([]).bars == []


def test_the_store_reads_one_story_and_only_the_events_asked_for(tmp_path: Path) -> None:
    store = _story_store(tmp_path)
    assert store.story("s1") == Story("s1", "Vern", ["e1", "e2"]) and store.story("s9") is None
    assert [(e.id, e.article_ids) for e in store.events(["e2", "e9"])] == [("e2", ["c"])]
    assert [e.id for e in store.events(["e2", "e1"])] == [e.id for e in store.events()] == ["e1", "e2"]  # by date
    assert store.events([]) == []
