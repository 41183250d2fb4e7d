"""What the pipeline needs of a store: the seam between the runner and the SQLite store behind it.

The runner (:mod:`chronique.pipeline`), the placement of new articles (:mod:`chronique.events.placement`) and the
watcher (:mod:`chronique.app.watch`) are written against these protocols, not against :class:`~.sqlite.Store`,
so another store (a server database, a store sharded by month) would implement these three and nothing else.
The web app's read queries (:class:`~.sqlite.ReadQueries`) stay with the SQLite store, since they are SQL.

Each protocol is one of the SQLite store's repositories, narrowed to the calls the pipeline makes:
``tests/test_store.py`` checks that :class:`~.sqlite.Store` has every one of them, with the same parameters.
"""

from __future__ import annotations

from collections.abc import Iterable
from contextlib import AbstractContextManager
from typing import TYPE_CHECKING, Protocol, runtime_checkable

if TYPE_CHECKING:
    import numpy as np
    from datasketch import MinHash

    from ..records import Article, Event, Failure, Story
    from ..stages.represent import Representation

__all__ = ["ArticleStore", "CorpusStore", "GroupingStore", "StateStore"]


@runtime_checkable
class ArticleStore(Protocol):
    """Articles, their analysis and representations, and the copies among them."""

    def add_articles(
        self,
        articles: list[Article],
        reps: list[Representation],
        failures: list[Failure],
        chrome: dict[tuple[str, str], int] | None = None,
        entity_names: dict[str, tuple[str, str]] | None = None,
    ) -> set[str]:
        """Store a batch of analysed articles with what the run learned from it, atomically; the ids stored."""
        ...

    def article(self, article_id: str) -> Article | None:
        """One stored article with its mentions and times, or None."""
        ...

    def known_ids(self, ids: Iterable[str]) -> set[str]:
        """The ids among ``ids`` already stored."""
        ...

    def ids_from(self, path: str) -> set[str]:
        """The ids of the articles read from one input file (its lines and records included)."""
        ...

    def originals(self) -> list[str]:
        """The ids of the stored articles that copy no other, in insertion order."""
        ...

    def withdraw(self, ids: Iterable[str]) -> list[str]:
        """Remove articles whose input no longer holds them; the ids removed."""
        ...

    def set_interactions(self, articles: list[Article], keys: dict[str, str | None]) -> None:
        """Replace stored articles' interactions and their representations' main-interaction keys, atomically."""
        ...

    def use_copy_bands(self, bands: int, rows: int) -> None:
        """Index the originals' MinHash signatures in ``bands`` LSH bands of ``rows`` values."""
        ...

    def copy_candidates(self, mh: MinHash) -> list[tuple[str, MinHash]]:
        """The stored originals sharing an LSH band with ``mh``, in storage order."""
        ...

    def representations(self, ids: Iterable[str] | None = None) -> list[Representation]:
        """Every stored representation (or those of ``ids`` that are stored), by article id."""
        ...

    def unplaced(self) -> list[Representation]:
        """The representations of articles in no event yet (stored by a run killed before it grouped them)."""
        ...

    def represented(self) -> int:
        """How many representations the corpus counts are over."""
        ...

    def placed_embeddings(self) -> tuple[list[str], np.ndarray]:
        """The embeddings of the articles in an event, one row each in storage order, and their article ids."""
        ...


@runtime_checkable
class GroupingStore(Protocol):
    """Events, stories, entity names and what placing new articles reads of them."""

    def doc_freqs(self, kind: str, keys: Iterable[str]) -> dict[str, int]:
        """How many stored representations have each of ``keys`` (``e``: names, ``t``: words)."""
        ...

    def sharing_keys(self, keys: Iterable[str], day: int | None = None, window: int = 0) -> set[str]:
        """Articles whose representation has one of ``keys`` (within ``window`` days of ``day``)."""
        ...

    def events_of(self, article_ids: Iterable[str]) -> dict[str, str]:
        """Article id -> event id, for those of ``article_ids`` in an event."""
        ...

    def copies_of(self, article_ids: Iterable[str]) -> dict[str, str]:
        """Copy id -> original id, for the copies among ``article_ids`` and the copies of those."""
        ...

    def event_ids_in_use(self, ids: Iterable[str]) -> set[str]:
        """Those of ``ids`` that name a stored event."""
        ...

    def event_key_counts(self, keys: Iterable[str], date: str | None = None, window: int = 0) -> dict[str, int]:
        """How many stored events have each of ``keys`` among their sampled members' block keys."""
        ...

    def events_with_keys(self, keys: Iterable[str], date: str | None = None, window: int = 0) -> set[str]:
        """The stored events with one of ``keys`` among their sampled members' block keys."""
        ...

    def event_keys(self, event_ids: Iterable[str]) -> dict[str, set[str]]:
        """Event id -> the block keys of its sampled members."""
        ...

    def sampled_members(self, event_ids: Iterable[str], n: int) -> dict[str, list[str]]:
        """Event id -> its first ``n`` members (by id) that have a representation."""
        ...

    def stale_events(self) -> set[str]:
        """The events that lost a report since they were last written."""
        ...

    def story_events(self, story_ids: Iterable[str]) -> set[str]:
        """The ids of the events of some stories."""
        ...

    def counts(self) -> tuple[int, int]:
        """(events, stories) stored."""
        ...

    def events(self, ids: Iterable[str] | None = None) -> list[Event]:
        """Every event (or those of ``ids`` that exist) with its members, by date then id."""
        ...

    def story(self, story_id: str) -> Story | None:
        """One story, or None."""
        ...

    def update_grouping(
        self,
        events: list[Event],
        removed_events: Iterable[str],
        stories: list[Story],
        removed_stories: Iterable[str],
        entity_names: dict[str, tuple[str, str]],
        resummarised: Iterable[str] = (),
    ) -> int:
        """Write what changed in the grouping, in one transaction; the new grouping generation."""
        ...

    def grouping_generation(self) -> int:
        """How many times the grouping was written."""
        ...

    def entity_names(self) -> dict[str, tuple[str, str]]:
        """Entity id -> (label, display name)."""
        ...

    def save_entity_names(self, entity_names: dict[str, tuple[str, str]]) -> None:
        """Add or replace entity names, without touching the grouping."""
        ...


@runtime_checkable
class StateStore(Protocol):
    """The runs' own state: settings kept with the corpus, failures, repeated lines, watched files, the lock."""

    def get_meta(self, key: str) -> str | None:
        """A value kept with the corpus (``embedder``: the embedder the events were built with)."""
        ...

    def set_meta(self, key: str, value: str) -> None:
        """Set a value kept with the corpus."""
        ...

    def add_failures(self, failures: list[Failure]) -> None:
        """Record inputs that failed (replacing an older reason for the same input)."""
        ...

    def clear_failures(self, sources: Iterable[str]) -> None:
        """Forget failures of inputs that now succeeded."""
        ...

    def chrome_counts(self) -> dict[tuple[str, str], int]:
        """The stored repeated-line counts."""
        ...

    def seen_files(self) -> dict[str, tuple[int, int]]:
        """The files a watcher has handled, with the size and modification time they had then."""
        ...

    def mark_seen(self, files: dict[str, tuple[int, int]]) -> None:
        """Record files as handled, with their size and modification time."""
        ...

    def exclusive(self) -> AbstractContextManager[None]:
        """Hold the store's writer lock for a read-then-rewrite step."""
        ...


@runtime_checkable
class CorpusStore(ArticleStore, GroupingStore, StateStore, Protocol):
    """Everything the pipeline needs of a store: its articles, their grouping and the runs' state."""
