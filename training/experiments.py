"""Reproduce the README's "tried and not kept" figures: variants of the pair model, scored held out.

A quick harness over the training script's cached stores (see ``train_pair_model.py``): ECB+ B-cubed F1
with leave-one-topic-out models, each topic clustered by SciPy's average linkage at probability 0.5
(the shipped model scores 0.900 here, 0.889 through the real clusterer), and SemEval Pearson with
5-fold models. Each experiment adds a signal or changes the learner, and prints both figures.

Usage:
    python training/experiments.py --data ../shared/data --cache /tmp/chronique-train [NAME ...]

Names: shipped, csls, sentences, ordinals, negation, weekday-bonus, log-odds, boosted-trees, neural-net.
"""

from __future__ import annotations

import argparse
import re
import sys
from collections.abc import Callable
from pathlib import Path

import numpy as np
from scipy.cluster.hierarchy import fcluster, linkage
from scipy.spatial.distance import squareform

sys.path.insert(0, str(Path(__file__).resolve().parent))
import train_pair_model as T

from chronique.eval import bcubed, pearson, read_ecbplus
from chronique.events.cluster import _cosine, pair_features
from chronique.events.summarize import split_sentences
from chronique.stages.represent import lexical_weights, numbers
from chronique.store import Store

SIGNALS = ["lexical", "lead", "corpus", "entities", "participants", "embedding", "numbers"]
Learner = Callable[[list[tuple[np.ndarray, np.ndarray]]], Callable[[np.ndarray], np.ndarray]]


class Sets:
    """The three training sets' pairs, representations, texts and feature dicts."""

    def __init__(self, data: Path, cache: Path) -> None:
        self.ecb, self.sem, self.dev = T.ecb_pairs(data, cache), T.semeval_pairs(data, cache), T.dev_pairs(data, cache)
        self.pairs = {"ecb": self.ecb[0], "sem": self.sem[0], "semall": self.sem[1], "dev": self.dev[0]}
        self.reps = {"ecb": self.ecb[1], "sem": self.sem[2], "semall": self.sem[2], "dev": self.dev[1]}
        self.texts = {d.doc_id: d.text for d in read_ecbplus(data / "ecbplus" / "dev_text.txt")}
        for db, reps in (("semeval", self.sem[2]), ("dev", self.dev[1])):
            self.texts.update({a.id: a.text for a in Store(cache / f"{db}.db").articles() if a.id in reps})
        self.features()

    def features(self) -> None:
        """(Re)compute every pair's feature dict from the representations."""
        self.F = {}
        for name, pairs in self.pairs.items():
            idf = T.idf_of(self.reps[name])
            self.F[name] = [pair_features(self.reps[name][a], self.reps[name][b], *idf) for a, b, *_ in pairs]

    def add(self, key: str, value: Callable[[str, dict, tuple], float]) -> None:
        """Add a signal ``key`` to every pair: ``value(set name, features, pair)``."""
        for name, pairs in self.pairs.items():
            for f, p in zip(self.F[name], pairs, strict=True):
                f[key] = value(name, f, p)


def _vector(f: dict, signals: list[str]) -> list[float]:
    """A pair's input row: the signals once for same-language pairs, once for cross-language ones."""
    same = float(f["same_language"])
    vals = [min(2.0, f[k] or 0.0) / 2 if k == "numbers" else float(f[k] or 0.0) for k in signals]
    return [*(v * same for v in vals), *(v * (1 - same) for v in vals), 1 - same]


def logistic(parts: list[tuple[np.ndarray, np.ndarray]]) -> Callable[[np.ndarray], np.ndarray]:
    """The shipped learner: the training script's logistic regression (log-odds out)."""
    coef, b = T._logistic(parts)
    return lambda z: z @ coef + b


def _sklearn(model) -> Learner:
    """A scikit-learn classifier as a learner (log-odds out)."""

    def learn(parts: list[tuple[np.ndarray, np.ndarray]]) -> Callable[[np.ndarray], np.ndarray]:
        x, y, w = T.stack(parts)
        try:
            fitted = model().fit(x, y, sample_weight=w)
        except TypeError:
            fitted = model().fit(x, y)

        def logodds(z: np.ndarray) -> np.ndarray:
            p = fitted.predict_proba(z)[:, 1].clip(1e-6, 1 - 1e-6)
            return np.log(p / (1 - p))

        return logodds

    return learn


def _fit(parts: list[tuple[np.ndarray, np.ndarray]], n: int, learner: Learner) -> Callable[[np.ndarray], np.ndarray]:
    """Same-language and cross-language models fitted apart, each set weighing the same, as in training."""
    sides = []
    for side, cols in ((0, slice(0, n)), (1, slice(n, 2 * n))):
        sides.append((cols, learner([(x[x[:, -1] == side][:, cols], y[x[:, -1] == side]) for x, y in parts])))

    def score(x: np.ndarray) -> np.ndarray:
        out = np.zeros(len(x))
        for side, (cols, model) in enumerate(sides):
            rows = x[:, -1] == side
            if rows.any():
                out[rows] = model(x[rows][:, cols])
        return np.clip(out, -6, 6)  # the shipped cap on content evidence

    return score


def evaluate(
    sets: Sets, signals: list[str], learner: Learner = logistic, weekday_bonus: float = 0.0, log_odds: bool = False
) -> tuple[float, float]:
    """(ECB+ leave-one-topic-out B-cubed F1, SemEval 5-fold Pearson) of a variant."""
    X = {k: np.array([_vector(f, signals) for f in v]) for k, v in sets.F.items()}
    n = len(signals)
    pairs, _, gold = sets.ecb
    y = np.array([p[2] for p in pairs])
    topic = np.array([p[3] for p in pairs])
    within = np.array([a.split("_")[0] == b.split("_")[0] for a, b, *_ in pairs])
    dev = (X["dev"], np.array([p[2] for p in sets.dev[0]]))
    labelled, allp, _ = sets.sem
    ys, folds = np.array([p[2] for p in labelled]), np.array([p[3] for p in labelled])
    pred = {}
    for t in sorted(set(topic)):
        model = _fit([(X["ecb"][topic != t], y[topic != t]), (X["sem"], ys), dev], n, learner)
        rows = np.where((topic == t) & within)[0]
        z = model(X["ecb"][rows])
        for k, r in enumerate(rows):  # the shipped weekday rule (and an optional bonus for the same weekday)
            gap = sets.F["ecb"][r]["weekday_gap"]
            z[k] += -1.0 if gap is not None and gap > 1 else weekday_bonus if gap == 0 else 0.0
        docs = sorted({d for r in rows for d in pairs[r][:2]})
        ix = {d: i for i, d in enumerate(docs)}
        dist = np.ones((len(docs), len(docs)))
        np.fill_diagonal(dist, 0)
        for k, r in enumerate(rows):
            a, b = ix[pairs[r][0]], ix[pairs[r][1]]
            dist[a, b] = dist[b, a] = 1 / (1 + np.exp(z[k]))
        labels = fcluster(linkage(squareform(dist, checks=False), "average"), t=0.5, criterion="distance")
        pred.update({d: f"{t}/{labels[ix[d]]}" for d in docs})
    scores = np.zeros(len(allp))
    for fold in range(5):
        model = _fit([(X["sem"][folds != fold], ys[folds != fold]), (X["ecb"], y), dev], n, learner)
        rows = [i for i, p in enumerate(allp) if p[3] == fold]
        z = model(X["semall"][rows])
        scores[rows] = z if log_odds else 1 / (1 + np.exp(-z))
    return round(bcubed(pred, gold)[2], 4), round(pearson(list(scores), [-p[2] for p in allp]), 4)


def _csls(sets: Sets, k: int) -> None:
    """Embedding cosine minus the mean cosine of each article's k nearest neighbours (CSLS)."""
    radius = {}
    for name, reps in sets.reps.items():
        ids = sorted(reps)
        e = np.stack([reps[i].embedding for i in ids])
        s = e @ e.T
        np.fill_diagonal(s, -1)
        radius[name] = dict(zip(ids, np.sort(s, axis=1)[:, -k:].mean(axis=1), strict=True))
    sets.add("csls", lambda name, f, p: 2 * f["embedding"] - radius[name][p[0]] - radius[name][p[1]])


def _sentences(sets: Sets) -> None:
    """The best sentence-pair word cosine (corpus-weighted) of two articles."""
    vectors = {}
    for reps in sets.reps.values():
        idf = T.idf_of(reps)[1]
        for k, r in reps.items():
            out = []
            for s in [s for s in split_sentences(sets.texts[k]) if len(s.split()) >= 4][:40]:
                w = {t: v * idf.get(t, 1.0) for t, v in lexical_weights(s, r.language).items()}
                norm = sum(v * v for v in w.values()) ** 0.5 or 1.0
                out.append({t: v / norm for t, v in w.items()})
            vectors[k] = out
    sets.add("sentences", lambda name, f, p: max((_cosine(a, b) for a in vectors[p[0]] for b in vectors[p[1]]), default=0.0))


_ORDINAL = re.compile(r"(?<![\w.,])(\d{1,4})(?:st|nd|rd|th|e|ème|eme|er|re|º|ª|°)(?!\w)|第(\d{1,4})[届次]", re.I)
_NEGATION = re.compile(
    r"\b(?:n['’]\s*\w+|ne\s+\w+)\s+(?:pas|jamais|plus|guère|point|aucun\w*)\b|\b(?:not|never|no longer)\b|"
    r"n't\b|\b(?:nicht|nie|niemals|kein\w*)\b|\b(?:no|nunca|jamás|non|mai)\s+\w+",
    re.I,
)


def _ordinals(sets: Sets) -> None:
    """Ordinals of 10 and more ("81st", "75e") counted as shared figures."""
    for reps in (sets.ecb[1], sets.sem[2], sets.dev[1]):
        for k, r in reps.items():
            found = {f"ord:{int(m.group(1) or m.group(2))}" for m in _ORDINAL.finditer(sets.texts[k])}
            r.numbers = frozenset(numbers(sets.texts[k]) | {o for o in found if int(o[4:]) >= 10})
    sets.features()


def _negation(sets: Sets) -> None:
    """Whether exactly one of two leads (first line) is negated."""
    neg = {k: bool(_NEGATION.search(t.split("\n")[0][:300])) for k, t in sets.texts.items()}
    sets.add("negation", lambda name, f, p: float(neg[p[0]] != neg[p[1]]))


def main() -> None:
    """Run the named experiments (all by default) and print each one's two figures."""
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--data", type=Path, default=Path("../shared/data"))
    ap.add_argument("--cache", type=Path, default=Path("/tmp/chronique-train"))
    ap.add_argument("names", nargs="*")
    args = ap.parse_args()
    from sklearn.ensemble import HistGradientBoostingClassifier
    from sklearn.neural_network import MLPClassifier

    runs: dict[str, Callable[[Sets], tuple[float, float]]] = {
        "shipped": lambda s: evaluate(s, SIGNALS),
        "csls": lambda s: (_csls(s, 3), evaluate(s, [*SIGNALS, "csls"]))[1],
        "sentences": lambda s: (_sentences(s), evaluate(s, [*SIGNALS, "sentences"]))[1],
        "negation": lambda s: (_negation(s), evaluate(s, [*SIGNALS, "negation"]))[1],
        "weekday-bonus": lambda s: evaluate(s, SIGNALS, weekday_bonus=0.75),
        "log-odds": lambda s: evaluate(s, SIGNALS, log_odds=True),
        "boosted-trees": lambda s: evaluate(
            s, SIGNALS, _sklearn(lambda: HistGradientBoostingClassifier(max_iter=100, max_depth=3, random_state=0))
        ),
        "neural-net": lambda s: evaluate(s, SIGNALS, _sklearn(lambda: MLPClassifier((16,), alpha=1e-3, max_iter=2000, random_state=0))),
        "ordinals": lambda s: (_ordinals(s), evaluate(s, SIGNALS))[1],  # last: it rewrites the figures
    }
    sets = Sets(args.data, args.cache)
    for name in args.names or list(runs):
        ecb, sem = runs[name](sets)
        print(f"{name:14s} ECB+ held-out B-cubed F1 {ecb:.4f}   SemEval 5-fold Pearson {sem:.4f}", flush=True)


if __name__ == "__main__":
    main()
