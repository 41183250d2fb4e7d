"""Stage 11, the store: what a corpus's runs keep, behind repositories.

The pipeline is written against a small interface, :class:`CorpusStore` (its parts: :class:`ArticleStore`,
:class:`GroupingStore`, :class:`StateStore`). ``Store`` is the one implementation, in SQLite
(:mod:`chronique.store.sqlite`): articles and their analysis, events and stories with what placing new articles
reads, the run's own state (failures, repeated lines, watched files, the writer lock), and the read queries of
``chronique serve``. No module outside this package writes SQL.
Each batch of articles is one transaction and each change of the grouping another, so a killed run loses at
most the batch in flight, and the next run finds the articles without an event and finishes them.
"""

from ._interface import ArticleStore, CorpusStore, GroupingStore, StateStore
from .sqlite import SCHEMA_VERSION, Store

__all__ = ["SCHEMA_VERSION", "ArticleStore", "CorpusStore", "GroupingStore", "StateStore", "Store"]
