"""What the evaluations share: the result shape, file reading, the pipeline run, held-out estimates, errors."""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Hashable
from pathlib import Path
from typing import TYPE_CHECKING

from ..errors import InputError
from ..records import RawDocument
from .metrics import Labels, _restrict

if TYPE_CHECKING:
    from ..pipeline import Pipeline, RunResult


PARAMETER_NOTE = (
    "parameters: the pair model (chronique/data/pair_model.json) was fitted by training/train_pair_model.py on "
    "the ECB+ development topics, the SemEval-2022 training subset, the seeds and examples/news, so pipeline scores "
    "on those sets are IN-SAMPLE; held-out estimates (ECB+ leave-one-topic-out, SemEval 5-fold) are printed "
    "below as 'held-out'. The second pass's merge model (chronique/data/merge_model.json) was fitted by "
    "training/train_merge_model.py on Giveme5W1H, GVA, ECB+ and RPM2 (its leave-one-set-out figure, where printed, "
    "is 'second-pass-held-out'). The event threshold (0.5 probability) and the date rules are fixed by hand; "
    "baseline thresholds are fixed constants in chronique/eval/_common.py, not fitted on any set"
)


def held_out_estimates(embedder: str) -> dict:
    """The held-out estimates stored with the pair model variant that ``embedder`` uses ({} if none)."""
    from ..events.cluster import _model_file, load_pair_model

    return _model_file().get("estimates", {}).get(load_pair_model(embedder).name, {})


# Baseline thresholds are fixed constants, chosen before scoring and never fitted on a benchmark.
# TF-IDF: cosine distance 0.8 (cosine similarity 0.2), a common default for average linkage.
TFIDF_DISTANCE = 0.8
# Embedding: halfway between the pipeline's own "no evidence" embedding floor (cosine 0.80, see
# chronique.events.cluster.Weights.embedding_floor) and identity (1.0), i.e. cosine 0.90, distance 0.10.
EMBEDDING_DISTANCE = 0.10
# news-events: the single-article share of gold groups at which events are also scored over the groups of 2+
SINGLETON_SHARE = 0.25


def _with_held_out(baselines: dict, embedder: str, key: str, how: str, notes: list[str]) -> dict:
    """The baselines with the pair model's stored held-out estimate in front (noted), when it has one."""
    held = held_out_estimates(embedder).get(key)
    if not held:
        return baselines
    notes.append(f"chronique-held-out: {how} (training/train_pair_model.py); the 'chronique' column is in-sample")
    return {"chronique-held-out": held, **baselines}


def _with_merge_held_out(baselines: dict, embedder: str, key: str, notes: list[str], prefix: str = "events_") -> dict:
    """The baselines with the second pass's stored leave-one-set-out figure for set ``key`` in front (noted).

    The pair model's held-out estimate groups with the first pass alone; this one adds the second pass, its merge
    model fitted without the set (training/train_merge_model.py), at the default threshold. ``prefix`` is taken off
    the stored names (``events_bcubed_f1``) where the evaluation names its metrics without it.
    """
    from ..events.cluster import load_pair_model
    from ..events.merge import held_out_figures
    from ..settings import Settings

    held = held_out_figures(load_pair_model(embedder).name).get(key, {}).get(str(Settings().event_merge))
    if not held:
        return baselines
    notes.append(f"chronique-second-pass-held-out: both passes, the merge model fitted without this set, at {Settings().event_merge}")
    return {"chronique-second-pass-held-out": {k.removeprefix(prefix): v for k, v in held.items()}, **baselines}


def _result(
    dataset: str, metrics: dict, baselines: dict | None = None, notes: list[str] | None = None, failures: list[str] | None = None
) -> dict:
    """Assemble a result dictionary."""
    return {"dataset": dataset, "metrics": metrics, "baselines": baselines or {}, "notes": notes or [], "failures": failures or []}


def _file(path: Path, default_name: str) -> Path:
    """``path`` itself, or ``path/default_name`` for a folder; InputError when it is not a readable file."""
    file = path / default_name if path.is_dir() else path
    if not file.is_file():
        raise InputError(str(path), f"expected the file {default_name} (or a folder holding it), got none")
    return file


def _read_text(path: Path) -> str:
    """A file's UTF-8 text; InputError when it cannot be read."""
    try:
        return path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(str(path), f"expected a readable UTF-8 file, got: {exc}") from None


def _run_pipeline(docs: list[RawDocument], embedder: str, notes: list[str]) -> tuple[Pipeline, RunResult]:
    """Run documents through a fresh pipeline over an in-memory store, exactly as ``chronique run``.

    An input that breaks a stage is a failure of that input (listed in the result), not a crash.
    """
    from ..pipeline import Pipeline
    from ..store import Store

    pipe = Pipeline(Store(":memory:"), embedder=embedder)
    return pipe, pipe.run_documents(docs)


def _failure_lines(run: RunResult, examples: int = 3) -> list[str]:
    """The pipeline's failures, one line per reason with a count and a few example inputs."""
    by_reason: dict[str, list[str]] = {}
    for f in run.failures:
        by_reason.setdefault(f.reason, []).append(f.source)
    return [
        f"pipeline dropped {len(srcs)} input(s): {reason} (e.g. {', '.join(srcs[:examples])})"
        for reason, srcs in sorted(by_reason.items(), key=lambda kv: -len(kv[1]))
    ]


def cluster_errors(pred: Labels, gold: Labels, top: int = 10) -> list[str]:
    """Describe the worst merges and splits of a clustering, worst first.

    Args:
        pred: item -> predicted label (gold items missing here count as singletons).
        gold: item -> gold label.
        top: at most this many lines.

    Returns:
        Lines like ``merged: cluster X mixes 35-ecb (12), 35-ecbplus (9)`` and
        ``split: 2-ecb over 4 clusters (sizes 10, 5, 1, 1)``.
    """
    pred = _restrict(pred, gold)
    by_pred: dict[Hashable, Counter[Hashable]] = defaultdict(Counter)
    by_gold: dict[Hashable, Counter[Hashable]] = defaultdict(Counter)
    for item in gold:
        by_pred[pred[item]][gold[item]] += 1
        by_gold[gold[item]][pred[item]] += 1
    errors: list[tuple[int, str]] = []
    for label, golds in by_pred.items():
        if len(golds) > 1:
            parts = ", ".join(f"{g} ({n})" for g, n in golds.most_common())
            errors.append((sum(golds.values()) - max(golds.values()), f"merged: cluster {label} mixes {parts}"))
    for label, preds in by_gold.items():
        if len(preds) > 1:
            sizes = ", ".join(str(n) for _, n in preds.most_common())
            errors.append((sum(preds.values()) - max(preds.values()), f"split: {label} over {len(preds)} clusters (sizes {sizes})"))
    errors.sort(key=lambda e: (-e[0], e[1]))
    return [line for _, line in errors[:top]]
