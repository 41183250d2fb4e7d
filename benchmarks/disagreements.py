"""Precision and recall of the disagreement finder on hand-annotated GVA development incidents.

Each annotated incident's articles are taken as one event (the gold incident, so that grouping errors do not
blur the measure), dated as the pipeline dates them, and passed to ``find_disagreements``. A flag on a
measure (killed, injured, event date) is right when the annotation says the reports differ on it
(a contradiction or an update); the verdict (contradiction or update) is scored apart, on the right flags.

Usage:
    .venv/bin/python benchmarks/disagreements.py [--data PATH] [--annotation PATH]
"""

from __future__ import annotations

import argparse
import json
from collections import defaultdict
from pathlib import Path

from chronique.events.disagreements import Disagreement, find_disagreements
from chronique.records import Article
from chronique.stages.dates import date_articles

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT.parent / "shared" / "data" / "news-events" / "gva_incidents_dev.jsonl"
ANNOTATION = ROOT / "benchmarks" / "data" / "gva_disagreements_annotation.jsonl"
MEASURES = {"killed": ("count", "killed"), "injured": ("count", "injured"), "date": ("date", "event date")}


def load(data: Path, annotation: Path) -> tuple[list[dict], dict[str, list[Article]]]:
    """The annotation records and, per annotated incident, its articles (dated as the pipeline dates them)."""
    labels = [json.loads(line) for line in annotation.read_text("utf-8").splitlines() if line.strip()]
    wanted = {a for rec in labels for a in rec["articles"]}
    arts: dict[str, list[Article]] = defaultdict(list)
    with data.open(encoding="utf-8") as f:
        for line in f:
            row = json.loads(line)
            if row["id"] in wanted:
                art = Article(row["id"], row.get("url") or row["id"], "text", row["title"], row["text"])
                art.published, art.language, art.published_origin = row["published"], row["language"], "json"
                arts[row["gold_event"]].append(art)
    for group in arts.values():
        date_articles(group)
    return labels, arts


def flagged(found: list[Disagreement]) -> dict[str, Disagreement]:
    """The flags by annotated measure name."""
    return {name: d for d in found for name, (kind, measure) in MEASURES.items() if (d.kind, d.measure) == (kind, measure)}


def _show(d: Disagreement, width: int = 160) -> str:
    """A flag's sides, one line each, sentences truncated."""
    return "\n".join(
        f"      {c.article_id[:8]} {c.published} {c.text!r}: {c.sentence[:width]}{'…' * (len(c.sentence) > width)}" for c in d.claims
    )


def score(labels: list[dict], arts: dict[str, list[Article]]) -> None:
    """Print precision, recall and verdict agreement per annotated sample, then every error."""
    for sample in sorted({rec["sample"] for rec in labels}):
        chosen = [rec for rec in labels if rec["sample"] == sample]
        (tp, fp, fn, same), errors = _tally(chosen, arts)
        precision = f"{tp / (tp + fp):.3f}" if tp + fp else "n/a"
        recall = f"{tp / (tp + fn):.3f}" if tp + fn else "n/a"
        print(f"== {sample}: {len(chosen)} incidents, {tp + fn} measures annotated as differing, {tp + fp} flagged")
        print(f"precision {precision} ({tp}/{tp + fp})  recall {recall} ({tp}/{tp + fn})  verdict right {same}/{tp}")
        for e in errors:
            print(e)


def _tally(labels: list[dict], arts: dict[str, list[Article]]) -> tuple[tuple[int, int, int, int], list[str]]:
    """(true flags, false flags, misses, right verdicts) over the annotated measures, and the errors."""
    tp = fp = fn = same = 0
    errors = []
    for rec in labels:
        found = flagged(find_disagreements(arts[rec["incident"]]))
        for name in MEASURES:
            truth, d = rec[name], found.get(name)
            if d and truth != "none":
                tp, same = tp + 1, same + (d.verdict == truth)
                if d.verdict != truth:
                    errors.append(f"VERDICT {rec['incident']} {name}: said {d.verdict}, annotated {truth}\n{_show(d)}")
            elif d:
                fp += 1
                errors.append(f"FALSE FLAG {rec['incident']} {name} ({d.verdict}); note: {rec['note'][:120]}\n{_show(d)}")
            elif truth != "none":
                fn += 1
                errors.append(f"MISS {rec['incident']} {name} ({truth}); note: {rec['note'][:200]}")
    return (tp, fp, fn, same), errors


def main() -> None:
    """Parse arguments, load, score."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", type=Path, default=DATA)
    ap.add_argument("--annotation", type=Path, default=ANNOTATION)
    args = ap.parse_args()
    labels, arts = load(args.data, args.annotation)
    score(labels, arts)


if __name__ == "__main__":
    main()
