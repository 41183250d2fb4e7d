"""Page rendering: the Jinja2 environment (autoescaping on), timeline geometry and highlighted text."""

from __future__ import annotations

import datetime as dt
import math
import re
from dataclasses import dataclass
from types import SimpleNamespace
from typing import Any
from urllib.parse import quote, urlencode

from jinja2 import Environment, PackageLoader, StrictUndefined
from markupsafe import Markup

from ..events.provenance import Outlet, outlet_of
from ._views import ArticleDetail, DayCount, EventBrief

__all__ = ["Bar", "Coverage", "Mark", "Segment", "Tick", "Timeline", "coverage", "environment", "isolate_bidi", "paragraphs", "timeline"]

_MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]
_LANGUAGES = {
    "fr": "French",
    "en": "English",
    "de": "German",
    "es": "Spanish",
    "it": "Italian",
    "pt": "Portuguese",
    "nl": "Dutch",
    "ar": "Arabic",
    "ru": "Russian",
    "uk": "Ukrainian",
    "zh": "Chinese",
    "ja": "Japanese",
}
_TYPES = {"PER": "person", "ORG": "organisation", "LOC": "place"}
_SIGNALS = {  # pair_features keys: column label, explanation
    "lexical": ("Text words", "Cosine of the two whole texts' words, weighted by rarity in the language"),
    "lead": ("Lead words", "Cosine of the words of title and lead, where the event is stated"),
    "corpus": ("Rare words", "Cosine of the texts' words weighted by their rarity in this store"),
    "entities": ("Entities", "Shared people, organisations and places, weighted by rarity"),
    "participants": ("Same cast", "Weighted Jaccard of the names: names only one report has count against the pair"),
    "embedding": ("Embedding", "Cosine of multilingual embeddings of title and lead"),
    "numbers": ("Figures", "Figures both reports cite"),
    "date_gap": ("Date gap", "Days between the dates the two reports give the event"),
}


def _day(value: str) -> dt.date | None:
    """Parse an ISO date, a year-month or a year (the middle of the period); None if it is none of these."""
    text = (value or "").strip()
    for candidate in (text[:10], text[:7] + "-15", text[:4] + "-07-01"):
        try:
            return dt.date.fromisoformat(candidate)
        except ValueError:
            continue
    return None


def _full_day(value: str) -> dt.date | None:
    """A whole ISO day (``2024-03-04``), or None for anything else (a month or a year is no day to draw a bar on)."""
    try:
        return dt.date.fromisoformat(value) if len(value) == 10 else None
    except ValueError:
        return None


def human_date(value: str | None, unknown: str = "date unknown") -> str:
    """'2024-06-06' -> '6 Jun 2024'; other text is returned as it is.

    Args:
        value: an ISO date or None.
        unknown: what to say for None.

    Returns:
        The date as a reader writes it.
    """
    if not value:
        return unknown
    day = _day(value)
    if day is None or len(value) < 10:
        return value
    return f"{day.day} {_MONTHS[day.month - 1]} {day.year}"


def date_range(first: str | None, last: str | None) -> str:
    """A story's span in words ('6 Jun – 12 Sep 2024', or one date)."""
    if not first or not last:
        return human_date(first or last)
    if first == last:
        return human_date(first)
    a, b = human_date(first), human_date(last)
    if first[:4] == last[:4] and len(first) >= 10:
        a = a.rsplit(" ", 1)[0]
    return f"{a} – {b}"


def language_name(code: str | None) -> str:
    """'fr' -> 'French'; unknown codes as they are."""
    return _LANGUAGES.get(code or "", code or "unknown language")


def entity_type(label: str) -> str:
    """'PER' -> 'person'."""
    return _TYPES.get(label, label.lower())


def signal_label(name: str) -> str:
    """A pair signal's column label."""
    return _SIGNALS.get(name, (name.replace("_", " ").capitalize(), ""))[0]


def signal_help(name: str) -> str:
    """What a pair signal measures."""
    return _SIGNALS.get(name, ("", name))[1]


def signal_value(name: str, value: float | None) -> str:
    """A pair signal as shown: counts and days as integers, cosines with two decimals, unknown as a dash."""
    if value is None:
        return "—"
    if name == "date_gap":
        return f"{value:.0f} d"
    return f"{value:.0f}" if name == "numbers" else f"{value:.2f}"


def page_url(kind: str, ident: str) -> str:
    """The page of a story, event, article or entity (the id quoted for a URL path)."""
    return f"/{kind}/{quote(ident, safe=':')}"


def query_url(path: str, **params: Any) -> str:
    """A URL with query parameters (None values left out)."""
    kept = {k: v for k, v in params.items() if v not in (None, "")}
    return f"{path}?{urlencode(kept)}" if kept else path


def source_name(site: str | None, source: str, url: str | None = None) -> str:
    """How a report's origin is named in lists: its outlet (see :func:`chronique.events.provenance.outlet_of`), never a path."""
    return outlet_of(SimpleNamespace(site=site, source=source, url=url)).name


def outlet(ref: Any) -> Outlet:
    """The outlet of an article ref or detail (anything with ``source``, ``site`` and ``url``), for the templates."""
    return outlet_of(ref)


def safe_href(url: str | None) -> str | None:
    """An article's URL if it is http(s), else None (never a ``javascript:`` link)."""
    return url if url and url.lower().startswith(("http://", "https://")) else None


# Explicit directional formatting characters (marks, embeddings, overrides, isolates): text from an input that holds
# them could reorder what is printed after it (a source name "\u202eedunom.el" shows as another outlet's).
_BIDI_CONTROLS = re.compile("[\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]")
_ISOLATE_OPEN, _ISOLATE_CLOSE = "\u2066\u2067\u2068", "\u2069"
_FSI, _PDI = "\u2068", "\u2069"


def isolate_bidi(value: Any) -> Any:
    """Wrap text that holds directional controls in a first-strong isolate (FSI … PDI), in element text and attributes alike.

    The isolate ends every embedding and override opened inside it, so untrusted text cannot reorder the page
    around it. A PDI of the text's own that would close the isolate early is dropped.

    Args:
        value: what a template prints (only plain strings are changed; markup built by the templates is not).

    Returns:
        The value, isolated when it holds a directional control.
    """
    if not isinstance(value, str) or isinstance(value, Markup) or not _BIDI_CONTROLS.search(value):
        return value
    out, depth = [], 0
    for ch in value:
        if ch in _ISOLATE_OPEN:
            depth += 1
        elif ch == _ISOLATE_CLOSE:
            if depth == 0:
                continue  # unmatched: it would close our isolate
            depth -= 1
        out.append(ch)
    return f"{_FSI}{''.join(out)}{_PDI * (depth + 1)}"


def environment() -> Environment:
    """The Jinja2 environment of the pages: package templates, autoescaping on, strict undefined, bidi text isolated.

    Returns:
        An environment with the date, language and URL helpers as globals and filters.
    """
    env = Environment(
        loader=PackageLoader("chronique.serve", "templates"),
        autoescape=True,
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        finalize=isolate_bidi,
    )
    env.filters.update(human_date=human_date, language_name=language_name, entity_type=entity_type)
    env.globals.update(
        page_url=page_url,
        query_url=query_url,
        safe_href=safe_href,
        source_name=source_name,
        outlet=outlet,
        date_range=date_range,
        timeline=timeline,
        coverage=coverage,
        paragraphs=paragraphs,
        signal_label=signal_label,
        signal_help=signal_help,
        signal_value=signal_value,
    )
    return env


# -- timelines -------------------------------------------------------------------------------------
@dataclass(slots=True)
class Mark:
    """An event drawn on a timeline: a circle whose area grows with the number of sources."""

    x: float
    y: float
    r: float
    number: int
    event: EventBrief


@dataclass(slots=True)
class Tick:
    """A labelled date on the axis."""

    x: float
    label: str


@dataclass(slots=True)
class Timeline:
    """A timeline's geometry in SVG user units; undated events are listed apart."""

    width: int
    height: int
    axis_y: float
    marks: list[Mark]
    ticks: list[Tick]
    undated: list[EventBrief]


def timeline(events: list[EventBrief], width: int = 720, height: int = 80, ticks: bool = True) -> Timeline:
    """Place dated events on a horizontal time axis, circles sized by sources, stacked when they touch.

    Args:
        events: the events in date order (their position in the list is their number, from 1).
        width: drawing width in SVG units.
        height: the least drawing height in SVG units (it grows when marks stack).
        ticks: whether to label dates on the axis.

    Returns:
        The geometry to draw.
    """
    dated = [(k + 1, e, _day(e.date or "")) for k, e in enumerate(events)]
    undated = [e for _, e, d in dated if d is None]
    dated = [(n, e, d) for n, e, d in dated if d is not None]
    below = 28 if ticks else 6
    if not dated:
        return Timeline(width, height, height - below, [], [], undated)
    lo, hi = min(d for *_, d in dated), max(d for *_, d in dated)
    span = max((hi - lo).days, 1)
    pad = 24.0

    def x_of(day: dt.date) -> float:
        return width / 2 if lo == hi else pad + (width - 2 * pad) * (day - lo).days / span

    marks: list[Mark] = []
    for n, e, d in dated:  # y is first the height of the mark's centre above the axis
        r = min(4 + 3.2 * math.sqrt(max(e.sources, 1)), 16 if ticks else 9)
        x, lift = x_of(d), r + 2
        while ticks and any(abs(m.x - x) < m.r + r and abs(m.y - lift) < m.r + r for m in marks):
            lift += 2 * r + 2  # stack marks that would overlap (the small timelines let them overlap instead)
        marks.append(Mark(round(x, 1), lift, round(r, 1), n, e))
    axis_y = max(height - below, max(m.y + m.r for m in marks) + 4)
    for m in marks:
        m.y = round(axis_y - m.y, 1)
    return Timeline(width, int(axis_y + below), axis_y, marks, _ticks(lo, hi, x_of) if ticks else [], undated)


@dataclass(slots=True)
class Bar:
    """One day's reports on the coverage chart."""

    x: float
    y: float
    width: float
    height: float
    date: str
    reports: int


@dataclass(slots=True)
class Coverage:
    """The reports-a-day chart's geometry in SVG user units: bars on a date axis, the tallest bar's count."""

    width: int
    height: int
    axis_y: float
    bars: list[Bar]
    ticks: list[Tick]
    most: int


def coverage(days: list[DayCount], width: int = 720, height: int = 96) -> Coverage:
    """Draw how many reports a story had each day: one bar a publication day, heights on a shared scale.

    Args:
        days: publication days in order with their report counts.
        width: drawing width in SVG units.
        height: drawing height in SVG units (the axis labels included).

    Returns:
        The geometry to draw (no bars when no day is known).
    """
    dated = [(d, _full_day(d.date)) for d in days]
    dated = [(d, day) for d, day in dated if day is not None and d.reports > 0]
    axis_y, pad = float(height - 22), 24.0
    if not dated:
        return Coverage(width, height, axis_y, [], [], 0)
    lo, hi = dated[0][1], dated[-1][1]
    span = max((hi - lo).days, 1)
    most = max(d.reports for d, _ in dated)
    # a day's bar is as wide as a day on the axis, but at least 2 units and at most 14
    bar = min(14.0, max(2.0, (width - 2 * pad) / (span + 1) - 1))

    def x_of(day: dt.date) -> float:
        return width / 2 if lo == hi else pad + (width - 2 * pad) * (day - lo).days / span

    bars = []
    for d, day in dated:
        h = max(2.0, (axis_y - 8) * d.reports / most)
        bars.append(Bar(round(x_of(day) - bar / 2, 1), round(axis_y - h, 1), round(bar, 1), round(h, 1), d.date, d.reports))
    return Coverage(width, height, axis_y, bars, _ticks(lo, hi, x_of), most)


def _ticks(lo: dt.date, hi: dt.date, x_of: Any) -> list[Tick]:
    """Axis labels: days, months or years depending on the span, at most about seven."""
    days = (hi - lo).days
    if days <= 21:
        step = max(1, math.ceil(days / 6))
        points = [lo + dt.timedelta(days=k) for k in range(0, days + 1, step)] or [lo]
        return [Tick(round(x_of(p), 1), f"{p.day} {_MONTHS[p.month - 1]}") for p in points]
    if days <= 800:
        months = [dt.date(y, m, 1) for y in range(lo.year, hi.year + 1) for m in range(1, 13)]
        months = [m for m in months if lo <= m <= hi] or [lo]
        step = max(1, math.ceil(len(months) / 7))
        return [Tick(round(x_of(m), 1), f"{_MONTHS[m.month - 1]} {m.year}") for m in months[::step]]
    years = [dt.date(y, 1, 1) for y in range(lo.year + 1, hi.year + 1)] or [lo]
    step = max(1, math.ceil(len(years) / 7))
    return [Tick(round(x_of(y), 1), str(y.year)) for y in years[::step]]


# -- article text ----------------------------------------------------------------------------------
@dataclass(slots=True)
class Segment:
    """A piece of article text; ``kind`` is an entity type, ``time``, or empty for plain text."""

    text: str
    kind: str = ""
    href: str | None = None
    title: str = ""


def paragraphs(article: ArticleDetail) -> list[list[Segment]]:
    """The cleaned text split into paragraphs, with entity mentions and dates as highlighted segments.

    Spans whose offsets do not match the text, or that overlap an earlier span, are left plain.

    Args:
        article: the article with its mentions and times (character offsets into ``text``).

    Returns:
        Paragraphs (non-empty lines of the text), each a list of segments.
    """
    text = article.text
    spans = [
        (m.start, m.end, Segment(m.text, m.type, page_url("entities", m.entity_id), f"{entity_type(m.type)}: {m.entity_name}"))
        for m in article.mentions
    ]
    spans += [(t.start, t.end, Segment(t.text, "time", None, f"date: {t.value or 'not resolved'}")) for t in article.times]
    out: list[list[Segment]] = [[]]
    pos = 0
    for start, end, seg in sorted(spans, key=lambda s: (s[0], -s[1])):
        if start < pos or text[start:end] != seg.text or "\n" in seg.text:
            continue
        _plain(text[pos:start], out)
        out[-1].append(seg)
        pos = end
    _plain(text[pos:], out)
    return [p for p in out if any(s.text.strip() for s in p)]


def _plain(text: str, out: list[list[Segment]]) -> None:
    """Append plain text, starting a new paragraph at each line break."""
    lines = text.split("\n")
    for k, line in enumerate(lines):
        if k:
            out.append([])
        if line:
            out[-1].append(Segment(line))
