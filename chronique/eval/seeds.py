"""``chronique eval seeds``: the project's five seed pages, checked against their README."""

from __future__ import annotations

import re
from pathlib import Path
from typing import TYPE_CHECKING

from ..errors import InputError
from ._common import _failure_lines, _result
from .metrics import bcubed

if TYPE_CHECKING:
    from ..store import Store

__all__ = ["SEED_CHROME", "SEED_GOLD"]


# Chrome the seed README describes (teasers, comment forms, donation prompts, tag codes, bylines
# with a follow button, aggregator page dates): (file prefix, text that must not survive cleaning).
SEED_CHROME = [
    ("000", "Javier AnsorenaSUIVRE"),
    ("001", "ttn-fr-56"),
    ("002", "Lire aussi Le roi Charles"),
    ("002", "A LIRE AUSSI"),
    ("002", "Leave a Reply"),
    ("003", "avril 19, 2024"),
    ("003", "READ Elon Musk"),
    ("004", "Soutenez-nous maintenant"),
]
SEED_GOLD = {"000": "austin-shoigu", "001": "austin-shoigu", "002": "austin-shoigu", "003": "no-contact", "004": "biden-putin"}


def _squash(text: str) -> str:
    """Text with runs of white space collapsed to one space."""
    return re.sub(r"\s+", " ", text)


def _seed_checks(store: Store) -> tuple[dict[str, str | None], list[tuple[str, bool]]]:
    """The seed predictions (file prefix -> event id) and each README check with its outcome."""
    members = store.memberships()
    articles = {Path(a.source).name[:3]: a for a in store.articles()}
    event_of = {k: members.get(a.id) for k, a in articles.items()}
    events = {e.id: e for e in store.events()}
    story_of = {e: s.id for s in store.stories() for e in s.event_ids}
    date = {k: events[e].date if e in events else None for k, e in event_of.items()}
    same = lambda *ks: all(event_of.get(k) is not None and event_of.get(k) == event_of.get(ks[0]) for k in ks)  # noqa: E731
    alone = lambda k: event_of.get(k) is not None and sum(e == event_of[k] for e in event_of.values()) == 1  # noqa: E731
    checks = [
        ("000, 001, 002 are one event", same("000", "001", "002")),
        ("003 is an event of its own", alone("003")),
        ("004 is an event of its own", alone("004")),
        (
            "000-003 are one story",
            story_of.get(event_of.get("000")) is not None and story_of.get(event_of.get("000")) == story_of.get(event_of.get("003")),
        ),
        ("000-002 event dated 2022-05-13", date.get("000") == "2022-05-13"),
        ("003 event dated in 2022-03", (date.get("003") or "").startswith("2022-03")),
        ("004 event dated 2021-12-30", date.get("004") == "2021-12-30"),
    ]
    for key, marker in SEED_CHROME:
        text = _squash(store.article(articles[key].id).text) if key in articles else marker
        checks.append((f"{key}: chrome {marker!r} removed", marker not in text))
    return event_of, checks


def _run_seeds(path: Path, embedder: str, limit: int | None) -> dict:
    """Run the seed folder and check grouping, stories, dates and cleaning against its README."""
    from ..pipeline import Pipeline
    from ..store import Store

    if not path.is_dir() or not any(path.glob("*.txt")):
        raise InputError(str(path), "expected the seeds folder (.txt pages and meta.csv), got none")
    pipe = Pipeline(Store(":memory:"), embedder=embedder)
    run = pipe.run([str(path)])
    event_of, checks = _seed_checks(pipe.store)
    pred = {k: e for k, e in event_of.items() if e is not None}
    failed = [name for name, ok in checks if not ok]
    metrics = {"bcubed_f1": bcubed(pred, SEED_GOLD)[2], "checks_passed": len(checks) - len(failed), "checks_total": len(checks)}
    notes = [f"embedder {pipe.embedder.name}; 'limit' does not apply to the five seeds"]
    notes += [f"failed check: {name}" for name in failed]
    return _result("seeds", metrics, {}, notes, _failure_lines(run))
