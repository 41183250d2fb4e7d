"""``chronique eval ecbplus``: event-instance document clustering on ECB+."""

from __future__ import annotations

import re
from collections.abc import Callable, Hashable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..errors import InputError
from ..records import RawDocument, content_id
from ._common import (
    EMBEDDING_DISTANCE,
    TFIDF_DISTANCE,
    _failure_lines,
    _file,
    _read_text,
    _result,
    _run_pipeline,
    _with_held_out,
    _with_merge_held_out,
    cluster_errors,
)
from .metrics import agglomerative_labels, clustering_metrics

__all__ = ["EcbDocument", "detokenise", "ecb_gold_event", "read_ecbplus"]


@dataclass(frozen=True, slots=True)
class EcbDocument:
    """One ECB+ document rebuilt from its tokens."""

    doc_id: str
    title: str
    text: str
    gold: str


_ECB_ID = re.compile(r"^(?P<topic>\d+)_\d+(?P<half>ecbplus|ecb)\.xml$")


def ecb_gold_event(doc_id: str) -> str:
    """The gold event of an ECB+ document: topic and half (``35_3ecbplus.xml`` -> ``35-ecbplus``).

    Raises:
        ValueError: the id does not look like an ECB+ document id.
    """
    m = _ECB_ID.match(doc_id)
    if not m:
        raise ValueError(f"expected an ECB+ document id like '35_9ecb.xml', got {doc_id!r}")
    return f"{m['topic']}-{m['half']}"


_DETOK = [
    (re.compile(r"``|''"), '"'),
    (re.compile(r"\s+([.,;:!?%)\]}])"), r"\1"),
    (re.compile(r"([(\[{$])\s+"), r"\1"),
    (re.compile(r"\s+('s|'re|'ve|'ll|'d|'m|n't)\b", re.I), r"\1"),
    (re.compile(r"-LRB-\s*"), "("),
    (re.compile(r"\s*-RRB-"), ")"),
]


def detokenise(tokens: Sequence[str]) -> str:
    """Join tokens with spaces, then glue punctuation and clitics back ("Diego 's ," -> "Diego's,")."""
    text = " ".join(tokens)
    for pattern, repl in _DETOK:
        text = pattern.sub(repl, text)
    return text.strip()


def read_ecbplus(path: str | Path, limit: int | None = None) -> list[EcbDocument]:
    """Read ECB+ ``dev_text.txt`` (``doc_id  sentence_no  token_no  token``) into documents.

    Each document's sentences are detokenised and put one a line; its title is its first sentence.

    Args:
        path: the tab-separated token file.
        limit: keep at most this many documents, taken in turn from each gold event so that a
            slice still holds several events.

    Returns:
        Documents in the file's order (or the slice's round-robin order).

    Raises:
        InputError: a line is not four tab-separated fields, or a document id is not ECB+'s.
    """
    sentences: dict[str, dict[str, list[str]]] = {}
    for lineno, line in enumerate(_read_text(Path(path)).splitlines(), start=1):
        if not line.strip():
            continue
        fields = line.rstrip("\t\r\n ").split("\t")  # the corpus has a stray trailing tab
        if len(fields) != 4:
            raise InputError(f"{path}:{lineno}", f"expected 4 tab-separated fields, got {len(fields)}")
        doc_id, sent, _, token = fields
        sentences.setdefault(doc_id, {}).setdefault(sent, []).append(token)
    docs = []
    for doc_id, sents in sentences.items():
        try:
            gold = ecb_gold_event(doc_id)
        except ValueError as exc:
            raise InputError(str(path), str(exc)) from None
        lines = [detokenise(toks) for toks in sents.values()]
        docs.append(EcbDocument(doc_id, lines[0], "\n".join(lines), gold))
    return _spread(docs, lambda d: d.gold, limit)


def _spread(items: list, key: Callable[[Any], Hashable], limit: int | None) -> list:
    """At most ``limit`` items taken in turn from each group of ``key`` (all of them when no limit)."""
    if limit is None or limit >= len(items):
        return items
    groups: dict[Hashable, list] = {}
    for item in items:
        groups.setdefault(key(item), []).append(item)
    out: list = []
    queues = list(groups.values())
    while len(out) < limit:
        for q in queues:
            if q and len(out) < limit:
                out.append(q.pop(0))
    return out


def _run_ecbplus(path: Path, embedder: str, limit: int | None) -> dict:
    """Cluster ECB+ documents with the pipeline and the two agglomerative baselines."""
    from sklearn.feature_extraction.text import TfidfVectorizer

    docs = read_ecbplus(_file(path, "dev_text.txt"), limit)
    raws = [RawDocument(content_id(d.text), d.doc_id, d.text, "text", title=d.title, language="en") for d in docs]
    notes: list[str] = []
    pipe, run = _run_pipeline(raws, embedder, notes)
    members = pipe.store.memberships()
    pred = {d.doc_id: members[r.id] for d, r in zip(docs, raws, strict=True) if r.id in members}
    gold = {d.doc_id: d.gold for d in docs}
    texts = [d.text for d in docs]
    tfidf = TfidfVectorizer().fit_transform(texts)
    vectors = pipe.embedder.embed(texts)
    baselines = {
        "tfidf-agglomerative": dict(zip(gold, agglomerative_labels(tfidf, TFIDF_DISTANCE), strict=True)),
        "embedding-agglomerative": dict(zip(gold, agglomerative_labels(vectors, EMBEDDING_DISTANCE), strict=True)),
    }
    notes += [
        f"{len(docs)} documents, {len(set(gold.values()))} gold events; embedder {pipe.embedder.name}",
        f"baselines: tfidf-agglomerative (cosine distance {TFIDF_DISTANCE}, average linkage), "
        f"embedding-agglomerative (full text through {pipe.embedder.name}, cosine distance {EMBEDDING_DISTANCE})",
        "ECB+ has no publication dates, so the pipeline's date signals only come from dates in the text",
    ]
    scored = {name: clustering_metrics(labels, gold) for name, labels in baselines.items()}
    if limit is None:
        scored = _with_held_out(
            scored,
            pipe.embedder.name,
            "ecbplus_leave_one_topic_out",
            "each topic clustered by a pair model fitted without that topic (the first pass alone)",
            notes,
        )
        scored = _with_merge_held_out(scored, pipe.embedder.name, "ecb", notes)
    return _result("ecbplus", clustering_metrics(pred, gold), scored, notes, _failure_lines(run) + cluster_errors(pred, gold))
