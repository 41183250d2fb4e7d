"""Stage 4, dates: publication dates, temporal expressions, and each article's event date.

The publication date comes from metadata only (sidecar, JSON field, HTML metadata); a date in
page chrome is kept as ``page_date`` and never trusted alone. Temporal expressions in the text
are found by rules for French, English, German and Spanish and resolved against the
publication date: dateparser does explicit and relative dates, and our rules do what it gets
wrong or misses (a weekday means the latest such day on or before publication; hedges such as
"près de" are dropped; "el viernes", "am Freitag", "hace tres días").
"""

from __future__ import annotations

import datetime as dt
import re
import warnings
from dataclasses import dataclass

from ..records import Article, TimeExpression
from ..settings import LEAD_DATE_CHARS

__all__ = ["EventDate", "date_articles", "event_weekday", "find_time_expressions"]

_WEEKDAYS = {
    **dict.fromkeys(["lundi", "monday", "montag", "lunes"], 0),
    **dict.fromkeys(["mardi", "tuesday", "dienstag", "martes"], 1),
    **dict.fromkeys(["mercredi", "wednesday", "mittwoch", "miércoles", "miercoles"], 2),
    **dict.fromkeys(["jeudi", "thursday", "donnerstag", "jueves"], 3),
    **dict.fromkeys(["vendredi", "friday", "freitag", "viernes"], 4),
    **dict.fromkeys(["samedi", "saturday", "samstag", "sonnabend", "sábado", "sabado"], 5),
    **dict.fromkeys(["dimanche", "sunday", "sonntag", "domingo"], 6),
}
_WEEKDAY_WORD = re.compile(r"(?P<wd>" + "|".join(_WEEKDAYS) + r")", re.I)
_DAY_OFFSETS = {
    **dict.fromkeys(
        ["aujourd'hui", "aujourd’hui", "ce matin", "ce soir", "today", "this morning", "tonight", "heute", "hoy", "esta mañana"], 0
    ),
    **dict.fromkeys(["hier", "yesterday", "gestern", "ayer", "anoche", "cette nuit", "last night"], -1),
    **dict.fromkeys(["avant-hier", "vorgestern", "anteayer"], -2),
}
_NUMBERS = {
    **dict.fromkeys(["un", "une", "one", "a", "an", "ein", "einem", "einer", "uno", "una", "un"], 1),
    **dict.fromkeys(["deux", "two", "zwei", "dos"], 2),
    **dict.fromkeys(["trois", "three", "drei", "tres"], 3),
    **dict.fromkeys(["quatre", "four", "vier", "cuatro"], 4),
    **dict.fromkeys(["cinq", "five", "fünf", "cinco"], 5),
    **dict.fromkeys(["six", "sechs", "seis"], 6),
    **dict.fromkeys(["sept", "seven", "sieben", "siete"], 7),
    **dict.fromkeys(["huit", "eight", "acht", "ocho"], 8),
    **dict.fromkeys(["dix", "ten", "zehn", "diez"], 10),
}
_UNITS = {
    **dict.fromkeys(["jour", "jours", "day", "days", "tag", "tagen", "tage", "día", "días", "dia", "dias"], "days"),
    **dict.fromkeys(["semaine", "semaines", "week", "weeks", "woche", "wochen", "semana", "semanas"], "weeks"),
    **dict.fromkeys(["mois", "month", "months", "monat", "monaten", "mes", "meses"], "months"),
    **dict.fromkeys(["an", "ans", "année", "années", "year", "years", "jahr", "jahren", "año", "años"], "years"),
}
_MONTH_WORDS = (
    r"janvier|février|fevrier|mars|avril|mai|juin|juillet|août|aout|septembre|octobre|novembre|décembre"
    r"|january|february|march|april|may|june|july|august|september|october|november|december"
    r"|januar|jänner|februar|märz|juni|juli|oktober|dezember|enero|febrero|marzo|abril|mayo|junio|julio"
    r"|agosto|septiembre|setiembre|octubre|noviembre|diciembre"
)
_NUM = r"\d+|" + "|".join(sorted(_NUMBERS, key=len, reverse=True))
_HEDGE = (
    r"(?:(?:près de|environ|plus de|presque|quelque|nearly|almost|about|more than|over|around"
    r"|fast|etwa|mehr als|rund|casi|cerca de|más de|unos?|unas?)\s+)?"
)
_PATTERNS: list[tuple[str, re.Pattern[str]]] = [
    (
        "explicit",
        re.compile(
            rf"\b(?:(?:le |the |am |el |den )?(?:1er|\d{{1,2}})(?:\.|er|st|nd|rd|th)?(?: de)? (?:{_MONTH_WORDS})"
            rf"(?:,?(?: de)? (?:19|20)\d\d)?"
            rf"|(?:{_MONTH_WORDS}) \d{{1,2}}(?:st|nd|rd|th)?(?:,? (?:19|20)\d\d)?|(?:19|20)\d\d-\d\d-\d\d)\b",
            re.I,
        ),
    ),
    (
        "ago",
        re.compile(
            rf"\b(?:il y a {_HEDGE}(?P<n1>{_NUM}) (?P<u1>\w+)|(?:vor|hace) {_HEDGE}(?P<n2>{_NUM}) (?P<u2>\w+)"
            rf"|{_HEDGE}(?P<n3>{_NUM}) (?P<u3>\w+) ago)\b",
            re.I,
        ),
    ),
    ("offset", re.compile(r"\b(?:" + "|".join(re.escape(k) for k in sorted(_DAY_OFFSETS, key=len, reverse=True)) + r")\b", re.I)),
    ("weekday", re.compile(r"\b(?:(?:last|on|am|el|le|ce|this|dieser|diesen)\s+)?(?P<wd>" + "|".join(_WEEKDAYS) + r")\b", re.I)),
    (
        "last-period",
        re.compile(
            r"\b(?:la semaine dernière|le mois dernier|last week|last month|letzte[n]? woche|vergangene[n]? woche"
            r"|letzten monat|la semana pasada|el mes pasado)\b",
            re.I,
        ),
    ),
]
_DAY = dt.timedelta(days=1)


@dataclass(slots=True)
class EventDate:
    """An article's event date and the evidence for it."""

    value: str | None
    evidence: str


def find_time_expressions(article_id: str, text: str, published: str | None, language: str | None) -> list[TimeExpression]:
    """Find and resolve the temporal expressions of a text.

    Args:
        article_id: the article the expressions belong to.
        text: the cleaned text.
        published: the ISO publication date, or None (relative expressions then stay unresolved).
        language: ISO 639-1 code, used by dateparser.

    Returns:
        Expressions in text order, overlapping matches removed.

    Example:
        >>> [t.value for t in find_time_expressions("a", "Il a appelé vendredi.", "2022-05-13", "fr")]
        ['2022-05-13']
    """
    base = dt.date.fromisoformat(published) if published else None
    found: list[TimeExpression] = []
    taken: list[tuple[int, int]] = []
    for rule, pattern in _PATTERNS:
        for m in pattern.finditer(text):
            if any(m.start() < e and s < m.end() for s, e in taken):
                continue
            try:
                value, gran = _resolve(rule, m, base, language)
            except OverflowError:  # next to 0001-01-01 or 9999-12-31 the calendar has no day to go to
                value, gran = None, "day"
            taken.append((m.start(), m.end()))
            found.append(TimeExpression(article_id, m.start(), m.end(), m.group(0), value, gran, rule))
    return sorted(found, key=lambda t: t.start)


def _resolve(rule: str, m: re.Match[str], base: dt.date | None, language: str | None) -> tuple[str | None, str]:
    """Resolve one matched expression to (ISO date or None, granularity)."""
    if rule == "explicit":
        return _explicit(m.group(0), base, language), "day"
    if base is None:
        return None, "day"
    if rule == "offset":
        return (base + _DAY_OFFSETS[m.group(0).lower()] * _DAY).isoformat(), "day"
    if rule == "weekday":
        # News usage: "vendredi" is the latest Friday on or before the publication day.
        back = (base.weekday() - _WEEKDAYS[m["wd"].lower()]) % 7
        return (base - back * _DAY).isoformat(), "day"
    if rule == "ago":
        n = next(g for g in (m["n1"], m["n2"], m["n3"]) if g)
        unit = _UNITS.get(next(g for g in (m["u1"], m["u2"], m["u3"]) if g).lower())
        if unit is None:
            return None, "day"
        count = int(n) if n.isdigit() else _NUMBERS[n.lower()]
        gran = "day" if unit in ("days", "weeks") else unit[:-1]
        try:
            return _shift(base, unit, count).isoformat(), gran
        except (OverflowError, ValueError):  # "il y a 2100 ans": before year 1, no calendar date
            return None, gran
    text = m.group(0).lower()  # last-period
    unit = "months" if any(w in text for w in ("mois", "month", "monat", "mes")) else "weeks"
    return _shift(base, unit, 1).isoformat(), "week" if unit == "weeks" else "month"


def _shift(base: dt.date, unit: str, count: int) -> dt.date:
    """``base`` moved ``count`` units back."""
    if unit == "days":
        return base - count * _DAY
    if unit == "weeks":
        return base - 7 * count * _DAY
    months = count if unit == "months" else 12 * count
    y, mth = divmod(base.year * 12 + base.month - 1 - months, 12)
    return dt.date(y, mth + 1, min(base.day, 28))


_AHEAD_DAYS = 60


def _explicit(expr: str, base: dt.date | None, language: str | None) -> str | None:
    """Resolve an explicit calendar date; a date without a year takes the publication year."""
    import dateparser

    clean = re.sub(r"^(?:le|the|am|el|den)\s+", "", expr.strip(), flags=re.I)
    has_year = re.search(r"(?:19|20)\d\d", clean) is not None
    if not has_year and base is None:
        return None
    settings = {"PREFER_DATES_FROM": "past", "RETURN_AS_TIMEZONE_AWARE": False, "REQUIRE_PARTS": ["day", "month"]}
    if base is not None:
        settings["RELATIVE_BASE"] = dt.datetime(base.year, base.month, base.day)
    langs = [language] if language in ("fr", "en", "de", "es") else None
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        parsed = dateparser.parse(clean, languages=langs, settings=settings)
    if parsed is None:
        return None
    day = parsed.date()
    if not has_year and base is not None:
        # The publication year, unless that puts the day more than two months ahead ("le 30 décembre"
        # read in January is last year's); a date a few weeks ahead is an announcement ("à compter du 12 juin").
        try:
            day = day.replace(year=base.year)
            if day > base + _AHEAD_DAYS * _DAY:
                day = day.replace(year=base.year - 1)
        except ValueError:  # 29 February in a year without one: keep dateparser's reading
            pass
    return day.isoformat()


def event_date(article: Article, lead_chars: int = LEAD_DATE_CHARS, window_days: int = 7) -> EventDate:
    """Choose the date of the event an article reports, with the evidence.

    The event is what the lead reports: the first day-precise date in the lead that falls within
    ``window_days`` before publication; else the most cited such date in the text; else an
    explicit full date of the lead when there is no publication date; else the publication day.

    Args:
        article: an article whose ``times`` are filled.
        lead_chars: how much of the text counts as the lead.
        window_days: how far before publication an event date may lie.

    Returns:
        The event date (None when unknown) and a sentence of evidence.
    """
    pub = dt.date.fromisoformat(article.published) if article.published else None
    days = [t for t in article.times if t.value and t.granularity == "day"]
    if pub is not None:
        earliest = pub - window_days * _DAY if pub.toordinal() > window_days else dt.date.min
        recent = [t for t in days if earliest <= dt.date.fromisoformat(t.value) <= pub]
        lead = [t for t in recent if t.start < lead_chars]
        if lead:
            t = lead[0]
            return EventDate(t.value, f"“{t.text}” in the lead, read against the publication date {pub} ({article.published_origin})")
        if recent:
            values = [t.value for t in recent]
            best = max(values, key=lambda v: (values.count(v), v))
            t = next(t for t in recent if t.value == best)
            return EventDate(best, f"“{t.text}” in the text, read against the publication date {pub} ({article.published_origin})")
        return EventDate(pub.isoformat(), f"publication date ({article.published_origin}); the text gives no closer date")
    explicit = [t for t in days if t.rule == "explicit" and t.start < lead_chars]
    if explicit:
        return EventDate(explicit[0].value, f"“{explicit[0].text}” in the lead (no publication date)")
    return EventDate(None, "date unknown: no publication date, so relative dates cannot be resolved")


def event_weekday(article: Article, lead_chars: int = LEAD_DATE_CHARS) -> int | None:
    """The weekday of the event (0 Monday ... 6 Sunday) when its date cannot be known, else None.

    Without a publication date "vendredi" cannot be placed in the calendar, but it still says the
    event happened on a Friday; two reports naming different days report different instances.
    The day is chosen as for dates: the first weekday of the lead, else the most cited one.

    Args:
        article: an article whose ``times`` are filled.
        lead_chars: how much of the text counts as the lead.
    """
    if article.published or article.event_date:
        return None  # a calendar date says more, and the date rules use it
    days = [_WEEKDAYS[m["wd"].lower()] for t in article.times if t.rule == "weekday" for m in [_WEEKDAY_WORD.search(t.text)] if m]
    lead = [
        _WEEKDAYS[m["wd"].lower()]
        for t in article.times
        if t.rule == "weekday" and t.start < lead_chars
        for m in [_WEEKDAY_WORD.search(t.text)]
        if m
    ]
    if lead:
        return lead[0]
    return max(days, key=lambda d: (days.count(d), -days.index(d))) if days else None


def date_articles(articles: list[Article]) -> list[Article]:
    """Find temporal expressions and set each article's event date and its evidence.

    Args:
        articles: articles with cleaned text, language and publication date (if any).

    Returns:
        The same articles, updated in place.
    """
    for art in articles:
        art.times = find_time_expressions(art.id, art.text, art.published, art.language)
        ev = event_date(art)
        art.event_date, art.event_date_evidence = ev.value, ev.evidence
    return articles
