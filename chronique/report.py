"""Reports over a store: the JSON object of ``run --format json`` and the readable text report."""

from __future__ import annotations

from typing import Any

from rich.console import Console
from rich.markup import escape

from .store import Store

__all__ = ["build_report", "print_report"]


def build_report(store: Store) -> dict[str, Any]:
    """The store's events and stories as one JSON-ready object.

    Returns:
        ``{"events": [...], "stories": [...]}``: each event with ``id, headline, date, date_evidence,
        summary, summary_sentences, entities, articles`` (each article ``id, source, title, published,
        language, duplicate_of``); each story with ``id, title, events`` (event ids in date order).
    """
    names = store.entity_names()
    arts = {a.id: a for a in store.articles()}
    events = []
    for ev in store.events():
        members = sorted((arts[i] for i in ev.article_ids if i in arts), key=lambda a: (a.published or "", a.source))
        events.append(
            {
                "id": ev.id,
                "headline": ev.headline,
                "date": ev.date,
                "date_evidence": ev.date_evidence,
                "summary": " ".join(s.text for s in ev.summary),
                "summary_sentences": [{"text": s.text, "articles": s.article_ids} for s in ev.summary],
                "entities": [
                    {"id": e, "name": names.get(e, ("", e))[1], "type": names.get(e, (e.split(":")[0], ""))[0]} for e in ev.entities
                ],
                "articles": [
                    {
                        "id": a.id,
                        "source": a.source,
                        "title": a.title,
                        "published": a.published,
                        "language": a.language,
                        "duplicate_of": a.duplicate_of,
                    }
                    for a in members
                ],
                "story": ev.story_id,
            }
        )
    stories = [{"id": s.id, "title": s.title, "events": s.event_ids} for s in store.stories()]
    stories.sort(key=lambda s: _latest(s, events), reverse=True)
    return {"events": events, "stories": stories}


def _latest(story: dict[str, Any], events: list[dict[str, Any]]) -> str:
    """The latest known event date of a story (for ordering, most recent first)."""
    dates = [e["date"] for e in events if e["id"] in story["events"] and e["date"]]
    return max(dates, default="")


def print_report(report: dict[str, Any], console: Console, only: set[str] | None = None) -> None:
    """Print stories and their events in date order, readably.

    Args:
        report: a :func:`build_report` object.
        console: where to print.
        only: print just the stories holding one of these events (all of each such story's events,
            for the timeline, the listed ones marked "new or updated"); None prints every story.
    """
    events = {e["id"]: e for e in report["events"]}
    for story in report["stories"]:
        if only is not None and not only.intersection(story["events"]):
            continue
        n = len(story["events"])
        console.rule(f"[bold]{escape(story['title'])}[/]  ({n} event{'s' * (n > 1)})", align="left")
        for eid in story["events"]:
            ev = events[eid]
            date = ev["date"] or "date unknown"
            mark = "[green]new or updated[/]  " if only is not None and eid in only else ""
            console.print(f"[bold cyan]{date}[/]  {mark}[bold]{escape(ev['headline'])}[/]  [dim]{eid}[/]")
            if ev["summary"]:
                console.print(f"  {escape(ev['summary'])}", soft_wrap=False)
            console.print(f"  [dim]date:[/] {escape(ev['date_evidence'])}")
            if ev["entities"]:
                console.print("  [dim]who/where:[/] " + escape(", ".join(e["name"] for e in ev["entities"])))
            console.print(f"  [dim]sources ({len(ev['articles'])}):[/]")
            for a in ev["articles"]:
                copy = " [dim](copy)[/]" if a["duplicate_of"] else ""
                pub = a["published"] or "no date"
                console.print(f"    - {escape(a['source'])} {escape('[' + (a['language'] or '?') + ', ' + pub + ']')}{copy}")
        console.print()
