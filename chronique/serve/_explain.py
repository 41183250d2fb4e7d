"""Why articles are one event: the clusterer's own pair signals and scores over stored representations.

The clusterer weighs rare entities and words by their frequency over the whole store, so the
explanation loads every stored representation once into an :class:`EventClusterer` (as the
pipeline does) and keeps it until the store changes.
"""

from __future__ import annotations

import threading
from collections import defaultdict

from ..events.cluster import EventClusterer, load_pair_model, pair_score
from ..store import Store
from ._views import PairSignal

__all__ = ["MAX_COMPARED", "Explainer"]

MAX_COMPARED = 12  # reports compared pairwise on one page (66 pairs)


class Explainer:
    """Explains events with a clusterer fitted on the store's representations, reloaded when the store changes."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._key: tuple[int, ...] | None = None
        self._clusterer: EventClusterer | None = None

    def clusterer(self, store: Store) -> EventClusterer:
        """The clusterer loaded with every stored representation and the current events.

        Args:
            store: a store (read-only is enough).

        Returns:
            A fitted clusterer, shared between requests until representations or memberships change.
        """
        key = store.grouping_key()
        with self._lock:
            if self._clusterer is None or key != self._key:
                members: dict[str, list[str]] = defaultdict(list)
                for aid, eid in store.memberships().items():
                    members[eid].append(aid)
                model = load_pair_model(store.get_meta("embedder"))  # the model the pipeline used for this store
                self._clusterer = EventClusterer(model=model).load(store.representations(), dict(members))
                self._key = key
            return self._clusterer

    def pairs(self, store: Store, report_ids: list[str]) -> tuple[list[PairSignal], float]:
        """Every pair's signals and score as the clusterer computes them.

        Args:
            store: a store.
            report_ids: the event's reports (near-duplicate copies excluded), in display order.

        Returns:
            The pairs among the first :data:`MAX_COMPARED` reports that have a representation, and the
            clusterer's threshold on the average pair score.
        """
        clusterer = self.clusterer(store)
        compared = [a for a in report_ids if a in clusterer.reps_][:MAX_COMPARED]
        pairs = []
        for i, a in enumerate(compared):
            for b in compared[i + 1 :]:
                f = clusterer.features(a, b)  # the signals, and the score the clusterer makes of them
                pairs.append(PairSignal(a, b, f, pair_score(f, clusterer.model_)))
        return pairs, clusterer.threshold
