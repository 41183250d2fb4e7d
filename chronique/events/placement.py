"""Placing new articles into the stored events and stories, reading only their neighbourhood.

A run does not load the store's grouping. For each batch of new articles it reads what the batch can
touch, through the store's indexes: the articles sharing a block key with a new one (within the
clusterer's window of days) or among its nearest by embedding, the events of those, the members of an
event that a new article reopens, and, for stories, the events sharing a key with a changed one, each
story whole. The event clusterer and the story linker then run as they would over everything: the rarity
weights are the store's document frequencies, the nearest neighbours come from an index of every stored
embedding, and every pair the full grouping would score is held, so the grouping is the one a run
holding the whole store in memory would make (the tests compare them), at a cost that follows the
neighbourhood, not the store.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Callable

from ..records import Event, Story
from ..settings import STORY_SAMPLE, Settings
from ..stages.represent import Embedder, Representation, block_keys
from ..store import CorpusStore
from .cluster import EventClusterer, PairModel, VectorIndex, _gap_days
from .stories import link_stories, sample_keys
from .summarize import summarize_event

__all__ = ["Placed", "Placement"]


@dataclasses.dataclass(slots=True)
class Placed:
    """What one placement changed, and the store's counts after it."""

    changed: list[str]
    events: int
    stories: int


class Placement:
    """Places new articles into a store's events and stories, batch after batch.

    Holds, between batches, only an index of the placed articles' embeddings (read again when another
    process changed the grouping).

    Args:
        store: the store (its writer lock is the caller's to hold).
        settings: thresholds and windows.
        model: the pair model.
        embedder: summarises events whose reports are in several languages (None: by wording only).
        names: entity ids -> (label, display name) of the names the written events show.
    """

    def __init__(
        self,
        store: CorpusStore,
        settings: Settings,
        model: PairModel,
        embedder: Embedder | None,
        names: Callable[[set[str]], dict[str, tuple[str, str]]],
    ) -> None:
        self.store = store
        self.settings = settings
        self.model = model
        self.embedder = embedder
        self.names = names
        self.vectors = VectorIndex()
        self._generation: int | None = None  # the store's grouping generation after this placement's last write

    def place(self, new: list[Representation], copied: dict[str, str]) -> Placed:
        """Place stored articles not in an event yet, and re-summarise the events whose copies changed.

        Args:
            new: representations of stored originals in no event yet.
            copied: copies stored since the last call, copy id -> original id.

        Returns:
            The events changed and the store's counts.
        """
        self._catch_up()
        stale = self.store.stale_events()  # withdrawn reports' events; those left empty are removed
        placed = self.store.events_of(r.article_id for r in new)
        new = sorted({r.article_id: r for r in new if r.article_id not in placed}.values(), key=lambda r: r.article_id)
        for r in new:  # the index holds the placed articles and these, as a clusterer fitted on them all would
            self.vectors.add(r.article_id, r.embedding)
        work = _Work(self, new)
        work.events(copied, stale)
        work.stories()
        self._generation = work.write()
        events, stories = self.store.counts()
        return Placed(sorted(work.changed), events, stories)

    def _catch_up(self) -> None:
        """Read the placed articles' embeddings, the first time and after another process changed the grouping
        (it placed or withdrew articles)."""
        if self._generation is not None and self.store.grouping_generation() == self._generation:
            return
        self.vectors = VectorIndex()
        self.vectors.extend(*self.store.placed_embeddings())


class _Work:
    """One placement: the neighbourhood held, what changed, what is written."""

    def __init__(self, owner: Placement, new: list[Representation]) -> None:
        self.owner, self.store, self.new = owner, owner.store, new
        s = owner.settings
        self.clusterer = EventClusterer(
            s.event_threshold,
            owner.model,
            s.event_neighbours,
            s.event_reopen,
            s.event_window_days,
            owner.vectors,
            s.event_merge,
            merge_days=s.event_merge_days,
            merge_undated=s.event_merge_undated,
        )
        self.clusterer.fetch = self.hold
        self.represented = self.store.represented()  # the store is not written until the placement ends
        self.old_keys: dict[str, set[str]] = {}  # the stored keys of the events changed or removed
        self.story_before: dict[str, str | None] = {}  # the stored story of each unchanged event held
        self.stored: dict[str, Event] = {}  # stored events read, by id (their stored members and story)
        self.written: dict[str, Event] = {}  # events with new members or summaries
        self.removed: set[str] = set()
        self.changed: set[str] = set()
        self.stale: set[str] = set()  # events read as stale (a report withdrawn), summarised again
        self.too_common: set[tuple[str, str]] = set()  # (key, event id): a key too common around that event
        self._keys: dict[str, set[str]] = {}  # event id -> its sampled members' block keys
        self.loaded: dict[str, Event] = {}  # the events the stories are linked over
        self.linked: list[Story] = []

    # -- reading ------------------------------------------------------------------------------------
    def hold(self, ids: list[str] | set[str], counted: list[Representation] = ()) -> None:
        """Hold these articles' representations, with the store's counts of their names and words (and ``counted``'s)."""
        c = self.clusterer
        reps = self.store.representations({i for i in ids if i not in c.reps_})
        both = [*reps, *counted]
        if not both:
            return
        ents = self.store.doc_freqs("e", {k for r in both for k in r.entities if k not in c.entity_df_})
        terms = self.store.doc_freqs("t", {k for r in both for k in r.lexical if k not in c.term_df_})
        c.include(reps, {}, ents, terms, self.represented)

    def near(self, r: Representation) -> set[str]:
        """The stored articles a new one is compared with: sharing a block key within the window, or nearest."""
        s = self.owner.settings
        day = dt.date.fromisoformat(r.date).toordinal() if r.date else None
        found = self.store.sharing_keys(block_keys(r), day, s.event_window_days)
        return found | set(self.owner.vectors.nearest(r.embedding, s.event_neighbours + 1))

    def read_events(self, ids: set[str]) -> None:
        """Read stored events (not read yet) with their members."""
        for e in self.store.events(ids - self.stored.keys()):
            self.stored[e.id] = e

    # -- events -------------------------------------------------------------------------------------
    def events(self, copied: dict[str, str], stale: set[str] = frozenset()) -> None:
        """Place the new articles; re-summarise the events that changed, those whose copies did, and ``stale`` ones
        (which lost a report since they were written; those left without any are removed)."""
        c, new_ids = self.clusterer, {r.article_id for r in self.new}
        self.owner.vectors.prefetch([r.embedding for r in self.new], self.owner.settings.event_neighbours + 1)
        near = set().union(*(self.near(r) for r in self.new)) - new_ids if self.new else set()
        event_of = self.store.events_of(near | set(copied.values()))
        near &= event_of.keys()  # stored by another writer and not placed yet: its own run places it
        self.read_events(stale)
        removed = {k for k in stale if k not in self.stored or not self.stored[k].article_ids}
        self.stale = stale - removed
        touched = set(event_of.values()) | self.stale
        self.read_events(touched | removed)
        copies = self.store.copies_of(a for k in touched for a in self.stored[k].article_ids)
        members = {k: [a for a in self.stored[k].article_ids if a not in copies] for k in touched}
        self.hold(near, counted=self.new)
        c.include([], members, {}, {}, self.represented)
        c.reserved = self.store.event_ids_in_use({f"ev-{a}" for a in new_ids | {a for m in members.values() for a in m}}) - touched
        c.partial_fit(self.new)
        self.removed = (touched - c.members_.keys()) | removed
        copies = self.store.copies_of(a for m in c.members_.values() for a in m)
        by_original: dict[str, list[str]] = {}
        for copy, original in copies.items():
            by_original.setdefault(original, []).append(copy)
        for key, ids in sorted(c.members_.items()):
            sources = sorted({*ids, *(x for i in ids for x in by_original.get(i, []))})
            old = self.stored.get(key)
            if old is not None and sorted(old.article_ids) == sources and key not in stale:
                continue
            self.hold(ids)
            full = [self.store.article(i) for i in ids]
            arts = [a for a in full if a]
            # meaning across languages needs the embedder; one language is summarised as well by wording
            # (RPM2 ROUGE-2 0.124 without it, 0.123 with), at no embedding cost
            several = len({a.language for a in arts}) > 1
            self.written[key] = summarize_event(key, arts, c.reps_, by_original, embedder=self.owner.embedder if several else None)
        self.changed = set(self.written)

    # -- stories ------------------------------------------------------------------------------------
    def stories(self) -> None:
        """Link the changed events into stories, over their neighbourhood, each story read whole."""
        gone = self.changed | self.removed
        self.old_keys = self.store.event_keys(gone)
        self.loaded = dict(self.written)
        stories = {self.stored[k].story_id for k in gone if k in self.stored and self.stored[k].story_id}
        self._load_stories(stories)
        self._expand(self.changed, first=True)
        s = self.owner.settings
        self.linked = link_stories(
            list(self.loaded.values()),
            self.clusterer,
            s.story_threshold,
            s.story_window_days,
            changed=set(self.changed),
            common=s.story_common,
            decay=s.story_decay,
            expand=self._expand,
            too_common=self.too_common,
        )

    def _sample_keys(self, e: Event) -> set[str]:
        """:func:`~chronique.events.stories.sample_keys`, once an event."""
        if e.id not in self._keys:
            self._keys[e.id] = sample_keys(e, self.clusterer)
        return self._keys[e.id]

    def _expand(self, ids: set[str], first: bool = False) -> list[Event]:
        """Read the events that ``ids`` may link to and their stories whole; return those not held before.

        A key more than ``story_common`` events have around an event proposes it no link (see
        :func:`~chronique.events.stories.link_stories`): counted in the store, less the stored versions of the changed
        events, plus their new versions.
        """
        s, found = self.owner.settings, set()
        window = s.story_window_days
        for i in sorted(ids):
            e = self.loaded[i]
            keys = self._sample_keys(e)
            counts = self.store.event_key_counts(keys, e.date, window)
            for gid, old in self.old_keys.items():  # the stored versions of the changed events are replaced...
                if (_gap_days(self.stored[gid].date, e.date) or 0) <= window:  # an unknown date is near every other
                    for k in old & keys:
                        counts[k] -= 1
            for w in self.written.values():  # ...by their new versions
                if (_gap_days(w.date, e.date) or 0) <= window:
                    for k in self._sample_keys(w) & keys:
                        counts[k] = counts.get(k, 0) + 1
            common = {k for k, n in counts.items() if n > s.story_common}
            self.too_common |= {(k, i) for k in common}
            found |= self.store.events_with_keys(keys - common, e.date, window)
        found -= self.changed | self.removed
        before = set(self.loaded)
        self.read_events(found)
        self._load_stories({self.stored[k].story_id for k in found if self.stored[k].story_id})
        self._load_events(found)
        return [] if first else [self.loaded[k] for k in sorted(self.loaded.keys() - before)]

    def _load_stories(self, story_ids: set[str]) -> None:
        """Hold every event of these stories (the changed ones in their new version)."""
        ids = self.store.story_events(story_ids) - self.changed - self.removed
        self.read_events(ids)
        self._load_events(ids)

    def _load_events(self, keys: set[str]) -> None:
        """Hold stored, unchanged events and their sampled members."""
        keys = keys - self.loaded.keys()
        for key in sorted(keys):
            e = self.stored[key]
            self.story_before[key] = e.story_id
            self.loaded[key] = dataclasses.replace(e)
        self.hold({a for m in self.store.sampled_members(keys, STORY_SAMPLE).values() for a in m})

    # -- writing ------------------------------------------------------------------------------------
    def write(self) -> int:
        """Write the changed events, the events whose story changed, and the stories; return the generation."""
        write = [e for k, e in sorted(self.loaded.items()) if k in self.changed or e.story_id != self.story_before.get(k)]
        before = {sid for k in self.story_before if (sid := self.story_before[k])} | {
            self.stored[k].story_id for k in self.changed | self.removed if k in self.stored and self.stored[k].story_id
        }
        now = {s.id: s for s in self.linked}
        new_stories = [s for sid, s in sorted(now.items()) if self.store.story(sid) != s]
        removed_stories = before - now.keys()
        if not (write or self.removed or new_stories or removed_stories):
            return self.store.grouping_generation()  # nothing changed: no write, and no reload by others
        names = self.owner.names({i for e in write for i in e.entities})
        return self.store.update_grouping(write, self.removed, new_stories, removed_stories, names, self.stale)
