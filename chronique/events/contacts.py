"""Contact lines: for each pair of parties, the dated history of what passed between them.

Built from the interactions stage's records (:class:`~chronique.records.Interaction`) across the
whole store: contacts (with channel, initiator and duration), attempts, refusals, standing channels
and statements, each merged across the reports that state it and kept with their sentences.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from typing import Any

from .._text import printable
from ..records import Interaction
from ..stages.entities import canonical_id, skeleton
from ..store import Store

__all__ = ["ContactItem", "ContactLine", "build_contacts", "contact_lines", "find_parties", "print_contacts"]

_KINDS = {"happened": "contact", "not": "contact", "attempted": "attempt", "planned": "attempt", "refused": "refusal"}
_VERBS = {None: "spoke", "phone": "spoke by phone", "video": "spoke by video", "meeting": "met", "letter": "wrote", "hotline": "spoke"}


@dataclass(slots=True)
class ContactItem:
    """One thing that passed between two parties, as one or more reports state it."""

    date: str | None
    kind: str  # contact, attempt, refusal, channel, statement
    action: str
    channel: str | None
    initiator: str | None
    polarity: str
    summary: str
    duration: str | None = None
    detail: str = ""
    date_text: str = ""
    place: str | None = None  # where it happened, when a report says
    evidence: list[dict[str, str]] = field(default_factory=list)  # {"article", "sentence"}


@dataclass(slots=True)
class ContactLine:
    """The history of one pair of parties, oldest first (undated items last)."""

    parties: list[str]
    names: list[str]
    items: list[ContactItem]


def _kind(inter: Interaction) -> str:
    if inter.action == "channel":
        return "channel"
    if inter.action == "consult":
        return _KINDS[inter.polarity]
    return "statement"


def _pairs(inter: Interaction) -> list[tuple[str, str, bool]]:
    """(first, second, directed) party pairs of an interaction: actors with targets, or actors among themselves."""
    if inter.targets:
        return [(a, t, True) for a in inter.actors for t in inter.targets if a != t]
    parties = list(dict.fromkeys(inter.actors))
    return [(a, b, False) for n, a in enumerate(parties) for b in parties[n + 1 :]]


def contact_lines(
    interactions: Iterable[Interaction], names: dict[str, tuple[str, str]], only: set[str] | None = None
) -> list[ContactLine]:
    """Group interactions into lines per pair of parties and merge what several reports state alike.

    Args:
        interactions: the interactions of the store (or of some articles).
        names: entity id -> (label, display name).
        only: keep lines with at least one of these parties (all lines when None or empty).

    Returns:
        The lines, the most documented first; each line's items by date.
    """
    items: dict[tuple, ContactItem] = {}
    for inter in interactions:
        kind = _kind(inter)
        for a, b, directed in _pairs(inter):
            pair = tuple(sorted((a, b)))
            if only and not set(pair) & only:
                continue
            key = (pair, kind) if kind == "channel" else (pair, kind, inter.action, inter.polarity, inter.date)
            item = items.get(key)
            if item is None:
                item = items[key] = ContactItem(
                    inter.date, kind, inter.action, inter.channel, inter.initiator, inter.polarity, "", date_text=inter.date_text
                )
                item.summary = _summary(inter, a, b, directed, names)
            _merge(item, inter)
    lines: dict[tuple[str, ...], list[ContactItem]] = {}
    for key, item in items.items():
        lines.setdefault(key[0], []).append(item)
    out = [
        ContactLine(list(pair), [_name(p, names) for p in pair], sorted(found, key=lambda i: (i.date is None, i.date or "", i.kind)))
        for pair, found in lines.items()
    ]
    return sorted(out, key=lambda line: (-sum(len(i.evidence) for i in line.items), line.names))


def _merge(item: ContactItem, inter: Interaction) -> None:
    """Add a report's statement of an item: its evidence, and the details the others did not give."""
    evidence = {"article": inter.article_id, "sentence": inter.sentence}
    if evidence not in item.evidence:
        item.evidence.append(evidence)
    item.channel = item.channel or inter.channel
    item.initiator = item.initiator or inter.initiator
    item.duration = item.duration or inter.duration
    item.place = item.place or inter.place
    for part in filter(None, inter.detail.split("; ")):
        if part not in item.detail:
            item.detail = "; ".join(filter(None, [item.detail, part]))


def _name(party: str | None, names: dict[str, tuple[str, str]]) -> str:
    if party is None:
        return ""
    return names.get(party, ("", party.split(":", 1)[-1]))[1]


def _summary(inter: Interaction, a: str, b: str, directed: bool, names: dict[str, tuple[str, str]]) -> str:
    """A plain English line: "Lloyd Austin and Sergei Shoigu spoke by phone", "X declined to speak with Y"."""
    x, y = _name(a, names), _name(b, names)
    kind = _kind(inter)
    if kind == "channel":
        text = f"standing line between {x} and {y}"
    elif kind == "refusal":
        text = f"{x} declined to speak with {y}"
    elif kind == "attempt":
        text = f"{x} and {y} are to meet" if inter.polarity == "planned" else f"{x} tried to reach {y}"
    elif kind == "contact":
        verb = _VERBS.get(inter.channel, "spoke")
        if inter.polarity == "not":
            text = f"{x} and {y} did not meet" if inter.channel == "meeting" else f"{x} and {y} had not spoken"
        else:
            text = f"{x} and {y} {verb}"
    else:
        text = f"{x} → {y}: {inter.action} ({inter.verb})" if directed else f"{x}, {y}: {inter.action} ({inter.verb})"
    return text


def find_parties(store: Store, names: Iterable[str]) -> set[str]:
    """The entity ids a user's names stand for: "Choïgou", "Shoigu", "Russie", "Pentagon".

    Args:
        store: the store whose entities are searched.
        names: names as typed, in any spelling the entities stage canonicalises.

    Returns:
        The ids of the entities each name matches (by canonical id, or inside their display name).
    """
    known = store.entity_names()
    out: set[str] = set()
    for name in names:
        keys = {canonical_id(name, label)[0] for label in ("PER", "ORG", "LOC")} | {f"PER:{skeleton(name)}"}
        folded = _fold(name)
        found = {i for i in known if i in keys or i.endswith(f" {skeleton(name)}")}
        found |= {i for i, (_, display) in known.items() if folded and folded in _fold(display)}
        out |= found or {f"?{name}"}  # a name the store does not know matches nothing, not everything
    return out


def _fold(text: str) -> str:
    return "".join(c for c in unicodedata.normalize("NFKD", text.casefold()) if not unicodedata.combining(c))


def build_contacts(store: Store, names: Iterable[str] = (), pair: Iterable[str] | None = None) -> dict[str, Any]:
    """The contact lines of a store as JSON-ready data: ``{"lines": [{"parties", "names", "items"}]}``.

    Args:
        store: the store.
        names: keep the lines of these parties (one name: all its lines; two: the lines between them).
        pair: two party ids: only the line between exactly these (what a line's page shows), built without the
            lines of other parties.

    Returns:
        The data the CLI prints with ``--format json`` and ``/api/contacts`` returns.
    """
    wanted = list(names)
    exact = set(pair) if pair is not None else None
    only = exact or (find_parties(store, wanted) if wanted else None)
    known = store.entity_names()
    lines = contact_lines(store.interactions(), known, only)
    if exact is not None:
        lines = [ln for ln in lines if set(ln.parties) == exact]
    if len(wanted) >= 2:
        groups = [find_parties(store, [n]) for n in wanted[:2]]
        lines = [ln for ln in lines if set(ln.parties) & groups[0] and set(ln.parties) & groups[1]]
    titles = store.titles(ev["article"] for line in lines for item in line.items for ev in item.evidence)
    data = []
    for line in lines:
        entry = asdict(line)
        for item in entry["items"]:
            item["initiator"] = _name(item["initiator"], known) or None
            for ev in item["evidence"]:
                ev["title"] = titles.get(ev["article"], "")
        data.append(entry)
    return {"lines": data}


def print_contacts(data: dict[str, Any], console: Any) -> None:
    """Print contact lines as text: one block per pair, one row per item, with how many reports state it."""

    if not data["lines"]:
        console.print("no contacts found", markup=False)
    for line in data["lines"]:
        console.print(printable(" — ".join(line["names"])), style="bold", markup=False)
        for item in line["items"]:
            extra = [x for x in (item["duration"], item["initiator"] and f"initiated by {item['initiator']}", item["detail"]) if x]
            reports = len({e["article"] for e in item["evidence"]})
            when = item["date"] or "undated"
            text = f"  {when:<10}  {item['kind']:<9} {item['summary']}" + (f" ({'; '.join(extra)})" if extra else "")
            console.print(printable(f"{text}  [{reports} report{'s' * (reports > 1)}]"), markup=False, highlight=False)
