"""Recall of the interactions stage on sentences judged by hand (``benchmarks/data/interactions_recall.jsonl``).

The sample: sentences of RPM2 (French) and Giveme5W1H (English) articles that name two or more distinct
parties (people, organisations, countries, capitals, as the entities stage found them), drawn at random
(seed 21), 25 a language. Each was judged by hand: does it report an interaction of the typology (a
statement to, an appeal, a call or meeting, an agreement, aid, a threat, a protest, a sanction, a fight)
between two of the parties it names, happened or not? Recall is the share of those the stage extracted
from the same sentence with one of those parties on each side.

    python benchmarks/interactions_recall.py --sample      # print the sample (to annotate)
    python benchmarks/interactions_recall.py               # score the stage against the annotation

The articles go through the pipeline once into stores under ``--cache`` (default /tmp/chronique-recall).
"""

from __future__ import annotations

import argparse
import json
import random
from pathlib import Path

from chronique import Pipeline, Store
from chronique.eval import news_documents, read_news_events
from chronique.records import Article
from chronique.stages.interactions import _party_id, _sentences

ROOT = Path(__file__).resolve().parents[1]
NEWS = ROOT.parent / "shared" / "data" / "news-events"
ANNOTATION = ROOT / "benchmarks" / "data" / "interactions_recall.jsonl"
SETS = {"rpm2": "rpm2_fr_dev.jsonl", "giveme": "giveme5w1h_news_cluster.jsonl"}
PER_SET, SEED = 25, 21


def _store(name: str, cache: Path) -> Store:
    """The set's articles analysed by the pipeline (built once under ``cache``)."""
    path = cache / f"{name}.db"
    if not path.exists():
        cache.mkdir(parents=True, exist_ok=True)
        Pipeline(Store(path)).run_documents(news_documents(read_news_events(NEWS / SETS[name]), dates=True))
    return Store(path)


def _candidates(art: Article) -> list[tuple[int, int, str, list[str]]]:
    """The article's sentences that name two or more distinct parties, with those parties."""
    out = []
    for start, end, sentence in _sentences(art.text):
        parties = sorted({m.entity_id for m in art.mentions if start <= m.start < end and _party_id(m.entity_id)})
        if len(parties) >= 2:
            out.append((start, end, sentence, parties))
    return out


def sample(store: Store, name: str) -> list[dict]:
    """The set's seeded sample of sentences with two parties, with what the stage extracted from each."""
    pool = []
    for a in sorted(store.articles(), key=lambda a: a.id):
        if a.duplicate_of:
            continue
        full = store.article(a.id)
        assert full is not None
        for start, end, sentence, parties in _candidates(full):
            found = [i for i in full.interactions if start <= i.start < end]
            pool.append({"set": name, "article": a.id, "start": start, "end": end, "sentence": sentence,
                         "parties": parties, "found": [_brief(i) for i in found]})  # fmt: skip
    return random.Random(SEED).sample(pool, PER_SET)


def _brief(inter: object) -> str:
    """An extracted interaction in one line."""
    i = inter
    return f"{i.actors} {i.action}/{i.verb} {i.targets} ({i.polarity})"  # type: ignore[attr-defined]


def main() -> None:
    """Print the sample, or score the stage against the annotation."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--sample", action="store_true", help="print the sample to annotate")
    parser.add_argument("--cache", type=Path, default=Path("/tmp/chronique-recall"))
    args = parser.parse_args()
    items = [item for name in SETS for item in sample(_store(name, args.cache), name)]
    if args.sample:
        for n, item in enumerate(items):
            print(json.dumps({"n": n, **item}, ensure_ascii=False))
        return
    labels = {(r["set"], r["article"], r["start"]): r for r in map(json.loads, ANNOTATION.read_text("utf-8").splitlines())}
    for name in (*SETS, "all"):
        mine = [i for i in items if name in ("all", i["set"])]
        gold = [i for i in mine if labels[(i["set"], i["article"], i["start"])]["interaction"]]
        hit = [i for i in gold if labels[(i["set"], i["article"], i["start"])]["extracted"]]
        print(f"{name}: {len(gold)} of {len(mine)} sentences report an interaction; the stage extracted {len(hit)} "
              f"(recall {len(hit) / max(len(gold), 1):.2f})")  # fmt: skip


if __name__ == "__main__":
    main()
