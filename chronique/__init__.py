"""chronique: news articles in; dated, deduplicated, sourced events and stories out.

Example:
    >>> from chronique import Pipeline, Store
    >>> store = Store("news.db")                      # doctest: +SKIP
    >>> Pipeline(store).run(["examples/news"])        # doctest: +SKIP
"""

from .app.report import build_report
from .errors import ChroniqueError, ConfigError, InputError, ModelError, StoreError
from .events.cluster import EventClusterer, find_duplicates, pair_features, pair_score
from .events.contacts import build_contacts
from .events.disagreements import Disagreement, find_disagreements
from .events.provenance import event_provenance, outlet_of
from .pipeline import Pipeline, RunResult
from .records import Article, Event, Failure, Interaction, Mention, RawDocument, Story, SummarySentence, TimeExpression
from .settings import Settings, load_settings
from .stages.represent import EMBEDDERS, get_embedder, register_embedder
from .store import Store

__all__ = [
    "EMBEDDERS",
    "Article",
    "ChroniqueError",
    "ConfigError",
    "Disagreement",
    "Event",
    "EventClusterer",
    "Failure",
    "InputError",
    "Interaction",
    "Mention",
    "ModelError",
    "Pipeline",
    "RawDocument",
    "RunResult",
    "Settings",
    "Store",
    "StoreError",
    "Story",
    "SummarySentence",
    "TimeExpression",
    "build_contacts",
    "build_report",
    "event_provenance",
    "find_disagreements",
    "find_duplicates",
    "get_embedder",
    "load_settings",
    "outlet_of",
    "pair_features",
    "pair_score",
    "register_embedder",
]
