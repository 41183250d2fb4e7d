"""The polarity rule on the development sets: how often it fires, and the grouping with and without it.

Reads each set's cached analysis (``training/grouping_lab.py`` builds it), extracts the interactions of every
stored article with the current code, sets each representation's main-interaction key, then groups the set
with ``polarity_penalty`` 0 (no rule) and the default, and counts the article pairs the rule applies to
within one gold event (errors) and across events (what it is for).

    python training/polarity_lab.py giveme gva rpm2 ecb
"""

from __future__ import annotations

import argparse
import dataclasses
import time
from itertools import combinations
from pathlib import Path

from grouping_lab import EMBEDDER, KEYS, load_set, score

from chronique.events.cluster import load_pair_model, polarity_contrast
from chronique.settings import Settings
from chronique.stages.interactions import InteractionExtractor
from chronique.stages.represent import interaction_key
from chronique.store import Store


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("sets", nargs="+", choices=["giveme", "gva", "rpm2", "ecb"])
    ap.add_argument("--data", type=Path, default=Path(__file__).resolve().parents[2] / "shared" / "data")
    ap.add_argument("--cache", type=Path, default=Path("/tmp/chronique-lab"))
    args = ap.parse_args()
    for name in args.sets:
        t = time.perf_counter()
        lab = load_set(name, args.data, args.cache)
        store = Store(args.cache / f"{name}.db")
        by_id = {r.article_id: r for r in lab.reps}
        arts = [a for a in map(store.article, by_id) if a is not None]
        for k in range(0, len(arts), 64):
            InteractionExtractor().transform(arts[k : k + 64])
        for a in arts:
            by_id[a.id].interaction = interaction_key(a)
        gold = {lab.copies.get(lab.raw_ids[a.id], lab.raw_ids[a.id]): a.gold_event for a in lab.articles}
        keyed = [r for r in lab.reps if r.interaction]
        pairs = [(x, y) for x, y in combinations(keyed, 2) if polarity_contrast(x.interaction, y.interaction)]
        fired = [gold.get(x.article_id) == gold.get(y.article_id) for x, y in pairs]
        figures = {}
        for penalty in (0.0, Settings().event_polarity_penalty):
            model = dataclasses.replace(load_pair_model(EMBEDDER), polarity_penalty=penalty)
            metrics = score(lab, model)
            figures[penalty] = {k: round(metrics[k], 4) for k in KEYS if k in metrics}
        print(
            f"{name}: {len(keyed)}/{len(lab.reps)} articles with a main interaction; the rule applies to "
            f"{sum(fired)} pairs within one event and {len(fired) - sum(fired)} across events; {figures} "
            f"({time.perf_counter() - t:.0f} s)",
            flush=True,
        )


if __name__ == "__main__":
    main()
