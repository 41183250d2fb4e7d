"""Where an event's reports come from and whom they cite, read by rules from the stored articles.

* An *outlet* names where a report was published: the page's own site name when it gave one, else the
  domain of its URL (``www.`` / ``m.`` / ``amp.`` taken off, well-known domains named: ``lemonde.fr`` is
  Le Monde), else an input's ``source`` field that is not a path, else its folder, else its file name.
* The *first report* is the earliest published one (ties kept in stored order); *copies* are folded under
  the report they copy when that report belongs to the event.
* A *citation* is a sentence that attributes speech or reporting to a named party with a clear pattern:
  "selon X", "d'après X", "a déclaré X", "X a déclaré", "cité par X", "according to X", "said X",
  "X said", "X told", "told X", "reported X"… X must be a person or organisation the entity reader found,
  or a known agency or outlet (AFP, Reuters, TASS, CNN, Le Monde…). A role in apposition ("John Kirby,
  porte-parole du Pentagone") and a channel ("dans un communiqué", "in a statement") are kept.

Precision comes first: a name inside a quotation, after a preposition ("in Paris said"), a place, or a
name followed by more of a clause ("said Gazprom had…") is not counted. Copies are not read for citations
(they repeat their original). Only French and English patterns are known.
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import PurePath
from typing import Any, Protocol
from urllib.parse import urlsplit

from ..records import Article, Mention

__all__ = ["Citation", "Cited", "Outlet", "Provenance", "event_provenance", "find_citations", "outlet_json", "outlet_of", "to_json"]


class _Located(Protocol):
    """Anything that says where a report came from (an :class:`Article` or a listing's article ref)."""

    source: str
    site: str | None
    url: str | None


@dataclass(slots=True, frozen=True)
class Outlet:
    """Where a report was published, and how that was found."""

    name: str
    domain: str | None
    url: str | None  # the original page, http(s) only
    found: str  # "site name", "url", "source field", "folder" or "file"


@dataclass(slots=True, frozen=True)
class Citation:
    """One sentence of one report that attributes words or a report to a named party."""

    article_id: str
    name: str  # as written in the sentence
    sentence: str
    role: str | None  # "porte-parole du Pentagone"
    channel: str | None  # "dans un communiqué", "in a statement"


@dataclass(slots=True, frozen=True)
class Cited:
    """A party the event's reports cite, with every sentence that cites it."""

    name: str
    kind: str  # "agency", "outlet", "official", "person" or "organisation"
    role: str | None
    reports: int
    sentences: int
    citations: tuple[Citation, ...]


@dataclass(slots=True, frozen=True)
class Provenance:
    """An event's outlets, first report, copies and cited parties."""

    first_report: str | None
    outlets: tuple[tuple[str, Outlet], ...]  # (article id, outlet), in the order given
    copies: dict[str, tuple[str, ...]]  # original id -> ids of its copies in the event
    cited: tuple[Cited, ...]  # most cited first


# --- outlets --------------------------------------------------------------------------------------------

# Domains whose pages rarely say their own name in a form worth showing; a small table, not a registry.
_DOMAINS = {
    "lemonde.fr": "Le Monde", "lefigaro.fr": "Le Figaro", "liberation.fr": "Libération", "leparisien.fr": "Le Parisien",
    "francetvinfo.fr": "franceinfo", "france24.com": "France 24", "rfi.fr": "RFI", "ouest-france.fr": "Ouest-France",
    "lesechos.fr": "Les Echos", "bfmtv.com": "BFMTV", "20minutes.fr": "20 Minutes", "afp.com": "AFP",
    "nytimes.com": "The New York Times", "washingtonpost.com": "The Washington Post", "bbc.co.uk": "BBC",
    "bbc.com": "BBC", "theguardian.com": "The Guardian", "reuters.com": "Reuters", "apnews.com": "Associated Press",
    "cnn.com": "CNN", "aljazeera.com": "Al Jazeera", "ft.com": "Financial Times", "wsj.com": "The Wall Street Journal",
    "bloomberg.com": "Bloomberg", "npr.org": "NPR", "foxnews.com": "Fox News", "nbcnews.com": "NBC News",
    "cbsnews.com": "CBS News", "abcnews.go.com": "ABC News", "politico.com": "Politico", "politico.eu": "Politico",
    "tass.com": "TASS", "tass.ru": "TASS", "ria.ru": "RIA Novosti", "interfax.ru": "Interfax", "elpais.com": "El País",
    "spiegel.de": "Der Spiegel", "lesoir.be": "Le Soir", "letemps.ch": "Le Temps", "ledevoir.com": "Le Devoir",
}  # fmt: skip

_PREFIXES = ("www.", "m.", "amp.", "mobile.")
# Second-level labels under which the registrable name is one further left (bbc.co.uk, abc.net.au).
_SECOND_LEVEL = {"co", "com", "net", "org", "gov", "ac", "gouv"}


def outlet_of(article: _Located) -> Outlet:
    """Name where a report was published, from the best evidence it carries.

    Args:
        article: an :class:`~chronique.records.Article` or anything with ``source``, ``site`` and ``url``.

    Returns:
        The outlet: the page's site name, else its URL's domain (named from a small table of well-known
        domains, else made readable), else a ``source`` that is not a path, else the folder, else the file.
    """
    url = _web_url(article.url) or _web_url(article.source)
    domain = _domain(url) if url else None
    site = (article.site or "").strip()
    if site and not _looks_like_path(site):
        return Outlet(site, domain, url, "site name")
    if domain:
        return Outlet(_DOMAINS.get(domain) or _readable(domain), domain, url, "url")
    return _from_source(article.source)


def _web_url(text: str | None) -> str | None:
    """``text`` if it is an http(s) URL, else None (a ``javascript:`` or file link is never shown)."""
    return text if text and text.lower().startswith(("http://", "https://")) and urlsplit(text).hostname else None


def _domain(url: str) -> str:
    """The host of ``url``, lower-cased, without the prefixes of mobile and accelerated pages."""
    host = (urlsplit(url).hostname or "").lower().rstrip(".")
    for prefix in _PREFIXES:
        if host.startswith(prefix) and host.count(".") > 1:
            host = host[len(prefix) :]
    return host


def _readable(domain: str) -> str:
    """A readable name for an unknown domain: its registrable label (``example.org`` -> ``example.org``)."""
    labels = domain.split(".")
    keep = 3 if len(labels) >= 3 and labels[-2] in _SECOND_LEVEL else 2
    return ".".join(labels[-keep:])


def _looks_like_path(text: str) -> bool:
    """True for a local path or file name rather than a name (``/data/a.txt``, ``news\\b.html``, ``x.jsonl:3``)."""
    return "/" in text or "\\" in text or bool(re.search(r"\.(?:txt|html?|jsonl?|warc(?:\.gz)?)(?::\d+)?$", text, re.I))


def _from_source(source: str) -> Outlet:
    """The outlet of an input with no site name or URL: a ``source`` that is a name, else its folder or file."""
    if source.strip() and not _looks_like_path(source):
        return Outlet(source.strip(), None, None, "source field")
    path = PurePath(source.replace("\\", "/").rsplit(":", 1)[0] if re.search(r":\d+$", source) else source.replace("\\", "/"))
    if path.parent.name:
        return Outlet(path.parent.name, None, None, "folder")
    return Outlet(path.name or source, None, None, "file")


# --- citations ------------------------------------------------------------------------------------------

_AGENCIES = (
    "AFP", "Reuters", "Associated Press", "AP", "TASS", "RIA Novosti", "Interfax", "Xinhua", "Anadolu", "EFE", "ANSA",
    "dpa", "Bloomberg", "Belga", "Ukrinform",
)  # fmt: skip
_OUTLETS = (
    "CNN", "BBC", "Le Monde", "Le Figaro", "Libération", "Le Parisien", "franceinfo", "France 24", "RFI", "BFMTV",
    "Al Jazeera", "The New York Times", "New York Times", "The Washington Post", "Washington Post", "The Guardian",
    "Financial Times", "The Wall Street Journal", "Wall Street Journal", "Fox News", "NBC News", "CBS News",
    "ABC News", "Sky News", "Politico", "Axios", "NPR", "Der Spiegel", "El País", "Kyiv Independent",
)  # fmt: skip
_SAME = {
    "AP": "Associated Press", "New York Times": "The New York Times", "Washington Post": "The Washington Post",
    "Wall Street Journal": "The Wall Street Journal",
}  # fmt: skip
_KNOWN = re.compile(r"(?<![\w-])(?:" + "|".join(sorted(map(re.escape, _AGENCIES + _OUTLETS), key=len, reverse=True)) + r")(?![\w-])")

_APOS = "['’]"
_DET = rf"(?:(?:le|la|les|l{_APOS}|the)\s*)?(?:(?:agence|quotidien|journal|chaîne|site|magazine|agency|newspaper|broadcaster|network)\s+)?"
# Patterns that introduce the source: anything may follow the name ("selon TASS, qui…").
_INTRO = re.compile(rf"(?:\bselon|\bd{_APOS}après|\baccording\s+to|\bcitée?s?\s+par|\bcited\s+by|\bquoted\s+by)\s+{_DET}$", re.I)
_FR_VERBS = r"déclaré|indiqué|rapporté|affirmé|précisé|expliqué|ajouté|confirmé|souligné"
_EN_VERBS = r"said|says|told|reported|added|confirmed"
# A verb of speech then the name ("a déclaré X", "said X"): the name must end the clause, so that "said
# Gazprom had…" (Gazprom the subject of what was said) is not read as Gazprom speaking.
_VERB_BEFORE = re.compile(rf"(?:\ba\s+(?:{_FR_VERBS})|\brapporte|\b(?:{_EN_VERBS}))\s+{_DET}$", re.I)
# "X told the BBC the cracks…": an outlet that was told something reported it, whatever follows.
_TOLD = re.compile(rf"\b(?:told|a\s+confié\s+à|a\s+déclaré\s+à)\s+{_DET}$", re.I)
_CLAUSE_END = re.compile(
    r"\s*(?:[,.;:!?)]|$|(?:on|in|at|that|dans|lors|sur|devant|ce|cette|mardi|lundi|mercredi|jeudi|vendredi|samedi|dimanche)\b)", re.I
)
# The name then a verb of speech, after an optional role in apposition ("X, porte-parole du Pentagone, a déclaré").
_VERB_AFTER = re.compile(
    rf"^(?:\s*,\s*(?P<role>[^,.;:!?«»\"“”]{{3,90}}?)\s*,)?\s*(?:a\s+(?:également\s+|aussi\s+|encore\s+)?(?:{_FR_VERBS})"
    rf"|(?:also\s+|has\s+|had\s+)?(?:{_EN_VERBS}))\b",
    re.I,
)
_ROLE_AFTER = re.compile(r"^\s*,\s*(?P<role>[^,.;:!?«»\"“”]{3,90}?)\s*(?P<end>[,.;:!?]|$)")
# A dateline the entity reader took into a name ("SEOUL — Samsung Electronics").
_DATELINE = re.compile(r"^[A-ZÀ-Ý][A-ZÀ-Ý .'’-]+\s+[—–-]\s+")
_NOT_ROLE = re.compile(
    r"^(?:qui|que|dont|où|et|mais|alors|après|avant|which|who|whom|and|but|as|while|after|before|when|adding|ajoutant)\b", re.I
)
_PREPOSITION = re.compile(r"(?:^|\s)(?:in|at|of|from|to|by|with|for|on|de|du|des|à|au|aux|en|dans|pour|par|avec|sur|chez)\s*$", re.I)
_CHANNEL = re.compile(
    r"dans un communiqué|dans une déclaration|dans un entretien|dans une interview|lors d['’]une conférence de presse"
    r"|sur (?:X|Twitter|Telegram|Facebook)|à la télévision|in a statement|in an interview|a (?:news|press) conference"
    r"|on (?:X|Twitter|Telegram|Facebook)|on television",
)
_SENTENCE = re.compile(r"[^\n.!?]*(?:[.!?]+[»”\"]?|$)")
_OFFICIAL = re.compile(
    r"porte-parole|ministre|minist|président|president|secrétaire|secretary|spokes|official|responsable|directeur|director"
    r"|chef|chief|général|general|ambassad|maire|mayor|gouverneur|governor|commissaire|commissioner|sénat|senat|député",
    re.I,
)


@dataclass(slots=True)
class _Name:
    """A candidate speaker in a sentence: its span in the text, its key and its kind."""

    start: int
    end: int
    text: str
    key: str
    kind: str


def find_citations(article: Article) -> list[tuple[Citation, str, str]]:
    """Every sentence of ``article`` that clearly attributes words or a report to a named party.

    Args:
        article: a stored article, with its mentions (``Store.article``) for people and organisations;
            without mentions only known agencies and outlets are found.

    Returns:
        ``(citation, key, kind)`` for each citation, in text order: ``key`` groups the spellings of one
        party (its entity id, or its known name) and ``kind`` is agency, outlet, person or organisation.
    """
    text = article.text
    names = _names(article)
    out = []
    for m in _SENTENCE.finditer(text):
        if not m.group().strip():
            continue
        start, end = m.span()
        for name in (n for n in names if start <= n.start and n.end <= end):
            found = _attribution(text, start, end, name)
            if found is not None:
                sentence = text[start:end].strip()
                channel = _CHANNEL.search(sentence)
                citation = Citation(article.id, name.text, sentence, found or None, channel.group() if channel else None)
                out.append((citation, name.key, name.kind))
    return out


def _names(article: Article) -> list[_Name]:
    """The article's known agencies and outlets and its PER and ORG mentions (a known name wins an overlap)."""
    known = [_known(m.start(), m.end(), m.group()) for m in _KNOWN.finditer(article.text)]
    taken = [(n.start, n.end) for n in known]
    people = [_mention(m) for m in article.mentions if m.label in ("PER", "ORG")]
    people = [n for n in people if not any(s < n.end and n.start < e for s, e in taken)]
    return sorted(known + people, key=lambda n: n.start)


def _known(start: int, end: int, text: str) -> _Name:
    """A known agency or outlet found in the text."""
    name = _SAME.get(text, text)
    return _Name(start, end, text, "known:" + name, "agency" if text in _AGENCIES else "outlet")


def _mention(m: Mention) -> _Name:
    """A person or organisation the entity reader found (a known outlet's name keeps its kind)."""
    if _KNOWN.fullmatch(m.text):
        return _known(m.start, m.end, m.text)
    kind = "person" if m.label == "PER" else "organisation"
    return _Name(m.start, m.end, m.text, m.entity_id or f"{m.label}:{m.text.casefold()}", kind)


def _attribution(text: str, start: int, end: int, name: _Name) -> str | None:
    """The role ("" when none) if the sentence ``text[start:end]`` attributes speech to ``name``, else None."""
    before, after = text[start : name.start], text[name.end : end]
    if _in_quote(before):
        return None
    intro = _INTRO.search(before)
    if intro:
        # "Selon X, la décision…" opens the sentence: what follows the comma is what X says, never a role;
        # "…, selon X, porte-parole." ends it: the apposition is a role.
        return _role(after, name, ends=".;!?") if before[: intro.start()].strip() else ""
    if _VERB_BEFORE.search(before) and _CLAUSE_END.match(after):
        return _role(after, name, ends=",.;!?")
    if _TOLD.search(before) and name.key.startswith("known:"):
        return ""
    m = _VERB_AFTER.match(after)
    if m and not _PREPOSITION.search(before) and not (m.group("role") and _NOT_ROLE.match(m.group("role").strip())):
        return (m.group("role") or "").strip() if name.kind == "person" else ""
    return None


def _role(after: str, name: _Name, ends: str) -> str:
    """The role given in apposition after a person's name ("John Kirby, porte-parole du Pentagone"), else "".

    Args:
        after: the sentence after the name.
        name: the cited name (only people have roles).
        ends: the punctuation that may close the apposition ("" stands for the end of the sentence).

    Returns:
        The role, or "" when there is none or what follows is not one (a clause, a channel).
    """
    m = _ROLE_AFTER.match(after)
    if name.kind != "person" or not m or (m.group("end") and m.group("end") not in ends):
        return ""
    role = m.group("role").strip()
    return "" if _NOT_ROLE.match(role) or _CHANNEL.match(role) or len(role.split()) > 12 else role


def _in_quote(before: str) -> bool:
    """True when a quotation is open at the end of ``before`` (the name is inside quoted words)."""
    opened = before.count("«") - before.count("»") + before.count("“") - before.count("”")
    return opened > 0 or before.count('"') % 2 == 1


# --- an event ---------------------------------------------------------------------------------------------


def event_provenance(articles: Sequence[Article]) -> Provenance:
    """The outlets, first report, copies and cited parties of one event's articles.

    Args:
        articles: the event's articles in stored order, with their mentions for people and organisations.

    Returns:
        The event's provenance: the first report is the earliest published (a tie goes to the first given);
        citations are read from the reports that are not copies of another member.
    """
    ids = {a.id for a in articles}
    copies: dict[str, list[str]] = defaultdict(list)
    for a in articles:
        if a.duplicate_of and a.duplicate_of in ids:
            copies[a.duplicate_of].append(a.id)
    reports = [a for a in articles if not (a.duplicate_of and a.duplicate_of in ids)]
    dated = [a for a in reports if a.published]
    first = min(dated, key=lambda a: a.published or "") if dated else (reports[0] if reports else None)
    return Provenance(
        first.id if first else None,
        tuple((a.id, outlet_of(a)) for a in articles),
        {k: tuple(v) for k, v in copies.items()},
        _cited(reports),
    )


def _cited(reports: Iterable[Article]) -> tuple[Cited, ...]:
    """The cited parties of ``reports``, grouped by entity or known name, most cited first."""
    groups: dict[str, list[Citation]] = defaultdict(list)
    kinds: dict[str, str] = {}
    for art in reports:
        for citation, key, kind in find_citations(art):
            groups[key].append(citation)
            kinds[key] = kind
    out = [_party(key, kinds[key], cs) for key, cs in groups.items()]
    return tuple(sorted(out, key=lambda c: (-c.reports, -c.sentences, c.name.casefold())))


def _party(key: str, kind: str, citations: list[Citation]) -> Cited:
    """One cited party: its longest spelling, its most given role, and whether that role makes it an official."""
    spellings = [_DATELINE.sub("", c.name) for c in citations]
    name = key[len("known:") :] if key.startswith("known:") else max(spellings, key=len)
    roles = Counter(c.role for c in citations if c.role)
    role = roles.most_common(1)[0][0] if roles else None
    if kind == "person" and role and _OFFICIAL.search(role):
        kind = "official"
    return Cited(name, kind, role, len({c.article_id for c in citations}), len(citations), tuple(citations))


def to_json(p: Provenance) -> dict[str, Any]:
    """The JSON form of an event's provenance (the ``provenance`` object of reports and the API).

    Args:
        p: an event's provenance.

    Returns:
        ``{"first_report", "outlets": [{article, name, domain, url, found}], "copies": {original: [ids]},
        "cited": [{name, kind, role, reports, sentences, citations: [{article, name, sentence, role, channel}]}]}``.
    """
    return {
        "first_report": p.first_report,
        "outlets": [{"article": aid, **outlet_json(o)} for aid, o in p.outlets],
        "copies": {k: list(v) for k, v in p.copies.items()},
        "cited": [
            {
                "name": c.name,
                "kind": c.kind,
                "role": c.role,
                "reports": c.reports,
                "sentences": c.sentences,
                "citations": [
                    {"article": x.article_id, "name": x.name, "sentence": x.sentence, "role": x.role, "channel": x.channel}
                    for x in c.citations
                ],
            }
            for c in p.cited
        ],
    }


def outlet_json(o: Outlet) -> dict[str, Any]:
    """The JSON form of an outlet: ``{name, domain, url, found}``."""
    return {"name": o.name, "domain": o.domain, "url": o.url, "found": o.found}
