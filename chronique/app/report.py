"""Reports over a store: the JSON object of ``run --format json`` and the readable text report."""

from __future__ import annotations

from typing import Any

from rich.console import Console
from rich.markup import escape
from rich.text import Text

from .._text import printable
from ..events.disagreements import event_disagreements, language_note, to_json
from ..events.provenance import event_provenance, outlet_json, outlet_of
from ..events.provenance import to_json as provenance_json
from ..records import Article
from ..stages.interactions import event_interaction, interaction_json
from ..store import Store

__all__ = ["build_report", "print_report", "printable"]


def _esc(text: str) -> str:
    """Input text for a rich markup string: printable, and its brackets not taken as markup."""
    return escape(printable(text))


def build_report(store: Store) -> dict[str, Any]:
    """The store's events and stories as one JSON-ready object.

    Returns:
        ``{"events": [...], "stories": [...]}``: each event with ``id, headline, date, date_evidence,
        summary, summary_sentences, entities, articles`` (each article ``id, source, title, published,
        language, duplicate_of``) and ``disagreements`` (the facts its reports give differently, see
        :func:`chronique.events.disagreements.to_json`; computed at read time from the stored texts) with
        ``disagreements_note`` (which reports' figures were not read, else ""), and ``provenance`` (first
        report, outlets, copies and who is cited, see :func:`chronique.events.provenance.to_json`); each article
        also has its ``outlet`` (``name, domain, url, found``), and ``interaction``, the main interaction most of its
        reports share (:func:`chronique.stages.interactions.interaction_json`, None when they report none); each story
        with ``id, title, events`` (event ids in date order).
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
                        "outlet": outlet_json(outlet_of(a)),
                    }
                    for a in members
                ],
                "story": ev.story_id,
                "disagreements": [to_json(d) for d in event_disagreements(members)],
                "disagreements_note": language_note(members),
                "provenance": _provenance(store, members),
                "interaction": interaction_json(event_interaction(_interactions(store, members)), names),
            }
        )
    stories = [{"id": s.id, "title": s.title, "events": s.event_ids} for s in store.stories()]
    stories.sort(key=lambda s: _latest(s, events), reverse=True)
    return {"events": events, "stories": stories}


def _interactions(store: Store, members: list[Article]) -> dict[str, list]:
    """Each member's stored interactions (copies share their original's), in report order."""
    found = store.interactions(a.duplicate_of or a.id for a in members)
    out: dict[str, list] = {a.duplicate_of or a.id: [] for a in members}
    for inter in found:
        out[inter.article_id].append(inter)
    return out


def _provenance(store: Store, members: list[Article]) -> dict[str, Any]:
    """An event's provenance (see :mod:`chronique.events.provenance`), read from its members with their mentions."""
    full = [store.article(a.id) or a for a in members]
    return provenance_json(event_provenance(full))


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
        title = Text.from_markup(f"[bold]{_esc(story['title'])}[/]  ({n} event{'s' * (n > 1)})", emoji=False)
        console.rule(title, align="left")
        for eid in story["events"]:
            ev = events[eid]
            date = ev["date"] or "date unknown"
            mark = "[green]new or updated[/]  " if only is not None and eid in only else ""
            _print(console, f"[bold cyan]{date}[/]  {mark}[bold]{_esc(ev['headline'])}[/]  [dim]{eid}[/]")
            if ev["summary"]:
                _print(console, f"  {_esc(ev['summary'])}")
            _print(console, f"  [dim]date:[/] {_esc(ev['date_evidence'])}")
            if ev["entities"]:
                _print(console, "  [dim]who/where:[/] " + _esc(", ".join(e["name"] for e in ev["entities"])))
            for d in ev.get("disagreements", []):
                sides = " vs ".join(f"{c['text']} ({c['published'] or 'no date'})" for c in d["claims"])
                scale = ", scale" if d["scale"] else ""
                _print(console, f"  [dim]reports disagree on {_esc(d['measure'])}:[/] {_esc(sides)} [dim]({d['verdict']}{scale})[/]")
            _print(console, f"  [dim]sources ({len(ev['articles'])}):[/]")
            first = ev.get("provenance", {}).get("first_report")
            for a in ev["articles"]:
                copy = " [dim](copy)[/]" if a["duplicate_of"] else ""
                mark = " [dim](first report)[/]" if a["id"] == first else ""
                pub = a["published"] or "no date"
                where = a["outlet"]["name"] if a.get("outlet") else a["source"]
                _print(console, f"    - {_esc(where)} {_esc('[' + (a['language'] or '?') + ', ' + pub + ']')}{copy}{mark}")
            _print_cited(console, ev.get("provenance", {}).get("cited", []))
        console.print()


def _print_cited(console: Console, cited: list[dict[str, Any]], limit: int = 5) -> None:
    """One line naming the parties the event's reports cite most, with how many reports and sentences."""
    if cited:
        parts = [f"{c['name']} ({c['kind']}, {c['reports']} report{'s' * (c['reports'] > 1)})" for c in cited[:limit]]
        more = f", +{len(cited) - limit} more" if len(cited) > limit else ""
        _print(console, "  [dim]cited:[/] " + _esc(", ".join(parts) + more))


def _print(console: Console, markup: str) -> None:
    """Print one line of markup whose input parts are escaped; ``:name:`` in a title stays text, not an emoji."""
    console.print(markup, emoji=False, highlight=False)
