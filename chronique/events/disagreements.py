"""Where the reports of one event disagree: counts of people, amounts of money, and the event's date.

Everything here is rule-based, so each flag can be explained by the sentences that carry it:

* a *figure* is a number (digits with French or English separators, or a number word up to twenty and the
  tens) read with its scale word (thousand, million, milliard, billion, trillion);
* a *count* is a figure that the next few words tie to a measure: "two people were killed", "3 morts",
  "wounding four", "deux personnes interpellées". Only a short run of filler words (people, were, ont été…)
  may stand between them, so ages ("a 23-year-old"), years, times of day, street numbers and model names
  ("AR-15") never become counts;
* an *amount* is a figure with a currency and the thing it pays for ("3,8 milliards de dollars d'armes");
  two amounts are compared only when currency and object word are the same.
* a toll may also be told by the rank of the latest death: "a fourth victim has died" counts 4 killed.

Some figures are not the event's toll and are left out: a part of it ("the two children died", "a man
and two children", "four officers and two civilians"), a day ("on April 4"), a label ("#1"), a pronoun
("this one"), and sentences of superseded first figures ("in initial reports") or of tallies over several
happenings ("in separate shootings", "across the city", "in the past two months"). A report's count for a
measure is the exact value it states most often (a toll is repeated; a part is said once), the title
counting as a sentence; "at least", "more than", "environ"… make a figure approximate, compared only for
scale slips. Across reports, a count that only grows with later publication dates is an *update* of a
developing event, and so is an injured count that falls while the killed count rises by as much (wounded
victims died); the same publication day with different values, a value that shrinks, or values a power of
1000 apart (a *scale* slip) is a *contradiction*. Amounts within 10% of one another are one figure rounded.

A *date* disagreement needs two reports whose leads name days more than one day apart, both on or before
the first report's publication, in sentences that share a content word and do not date a follow-up (an
arrest, charges, a funeral) or the page itself ("Updated: …").

French and English are read; other languages yield no counts or amounts (said in the disagreement list's
notes by :func:`language_note`), only date disagreements.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from collections.abc import Iterable
from dataclasses import dataclass
from itertools import pairwise
from typing import Any

from ..records import Article

__all__ = ["Claim", "Disagreement", "event_disagreements", "find_disagreements", "language_note", "parse_number", "to_json"]

READ_LANGUAGES = ("fr", "en")


@dataclass(slots=True, frozen=True)
class Claim:
    """One report's value for a measure, with the words and the sentence that carry it."""

    article_id: str
    published: str | None
    value: float  # normalised: 3,8 milliards -> 3.8e9; for dates, the proleptic ordinal of the day
    text: str  # the figure as written ("3,8 milliards", "two", "2013-01-19")
    sentence: str
    approximate: bool = False  # "at least", "about", "environ"…: compared only for scale slips


@dataclass(slots=True, frozen=True)
class Disagreement:
    """Reports of one event that give different values for one measure, and what the difference means."""

    kind: str  # "count", "amount" or "date"
    measure: str  # "killed", "injured", "arrested", "dollars of armes", "event date"
    verdict: str  # "contradiction" or "update"
    scale: bool  # the values are a power of 1000 apart: a unit slip (milliards read as billions…)
    reason: str  # one sentence saying why this verdict
    claims: tuple[Claim, ...]  # one per report, in publication order


# --- numbers --------------------------------------------------------------------------------------------

_WORDS = {
    "en": {
        "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8, "nine": 9,
        "ten": 10, "eleven": 11, "twelve": 12, "thirteen": 13, "fourteen": 14, "fifteen": 15, "sixteen": 16,
        "seventeen": 17, "eighteen": 18, "nineteen": 19, "twenty": 20, "thirty": 30, "forty": 40, "fifty": 50,
        "sixty": 60, "seventy": 70, "eighty": 80, "ninety": 90, "hundred": 100, "dozen": 12,
    },
    "fr": {
        "un": 1, "une": 1, "deux": 2, "trois": 3, "quatre": 4, "cinq": 5, "six": 6, "sept": 7, "huit": 8,
        "neuf": 9, "dix": 10, "onze": 11, "douze": 12, "treize": 13, "quatorze": 14, "quinze": 15, "seize": 16,
        "vingt": 20, "trente": 30, "quarante": 40, "cinquante": 50, "soixante": 60, "cent": 100,
    },
}  # fmt: skip
_SCALES = {
    "en": {"thousand": 1e3, "million": 1e6, "millions": 1e6, "billion": 1e9, "billions": 1e9, "bn": 1e9, "trillion": 1e12},
    # French "billion" is 10^12: the long scale.
    "fr": {"mille": 1e3, "million": 1e6, "millions": 1e6, "milliard": 1e9, "milliards": 1e9, "billion": 1e12, "billions": 1e12},
}
# Digits with grouping: a comma, dot or (narrow) no-break space followed by exactly three digits groups
# thousands; plain spaces group only in French ("3 800"), where English "May 13 300" would be misread.
_DIGITS = r"\d{1,3}(?:(?:,|\.|\u00a0|\u202f|SP)\d{3})+(?:[.,]\d+)?(?!\d)|\d+(?:[.,]\d+)?"
_APPROX = re.compile(
    r"(?:at least|more than|over|about|around|nearly|almost|roughly|some|up to|approximately|as many as|"
    r"au moins|plus de|environ|près de|quelque|quelques|jusqu'à|une dizaine de|une centaine de)\s*$",
    re.IGNORECASE,
)


def parse_number(text: str, language: str = "en") -> float | None:
    """Read a figure as written: digits with either language's separators, a number word, a scale word.

    A comma followed by exactly three digits groups thousands in both languages ("3,800" is 3800, also in a
    French machine translation of English); otherwise a French comma is the decimal point ("3,8" is 3.8).

    Args:
        text: the figure, e.g. "3,8 milliards", "3 800", "twenty-one", "$40bn".
        language: "fr" or "en"; decides what "billion" means and whether plain spaces group digits.

    Returns:
        The value, or None when the text holds no figure this module reads.
    """
    lang = language if language in _WORDS else "en"
    value: float | None = None
    for m in _figure_re(lang, scaled=True).finditer(text.lower()):
        part = _figure_value(m, lang)
        value = part if value is None else value + part
    return value


def _digits_value(token: str, language: str) -> float | None:
    """The value of a run of digits and separators, or None if it is not one."""
    token = token.replace("\u00a0", " ").replace("\u202f", " ")
    if not re.fullmatch(r"\d[\d ,.]*", token):
        return None
    token = token.rstrip(",.")
    grouped = re.fullmatch(r"(\d{1,3}(?:[ ,.]\d{3})+)(?:([.,])(\d+))?", token)
    if grouped and not (language == "en" and "." in grouped.group(1) and "," not in token):
        whole = re.sub(r"[ ,.]", "", grouped.group(1))
        return float(whole + ("." + grouped.group(3) if grouped.group(3) else ""))
    return float(token.replace(" ", "").replace(",", ".")) if re.fullmatch(r"\d+(?:[.,]\d+)?", token) else None


def _figure_re(language: str, scaled: bool) -> re.Pattern[str]:
    """The pattern of a figure in ``language``: digits or number words, then (if ``scaled``) a scale word."""
    key = (language, scaled)
    if key not in _FIGURES:
        digits = _DIGITS.replace("SP", " " if language == "fr" else "(?!)")
        words = "|".join(sorted(_WORDS[language], key=len, reverse=True))
        num = rf"(?P<num>{digits}|(?:{words})(?:[- ](?:{words}))*)"
        scale = "|".join(sorted(_SCALES[language], key=len, reverse=True))
        tail = rf"(?:\s*(?P<scale>{scale}))?" if scaled else ""
        _FIGURES[key] = re.compile(rf"(?<![\w\-./:]){num}{tail}(?![\w\-:]|[.,]\d)", re.IGNORECASE)
    return _FIGURES[key]


_FIGURES: dict[tuple[str, bool], re.Pattern[str]] = {}


def _figure_value(m: re.Match[str], language: str) -> float:
    """The value of a figure matched by :func:`_figure_re`."""
    num = m["num"].lower()
    value = _digits_value(num, language)
    if value is None:
        value = 0.0
        for w in re.split(r"[- ]+", num):
            n = _WORDS[language][w]
            value = value * n if n == 100 and value else value + n  # "two hundred" is 200, "twenty-one" 21
    scale = (m.groupdict().get("scale") or "").lower()
    return value * _SCALES[language].get(scale, 1.0)


# --- counts and amounts -----------------------------------------------------------------------------------

_MEASURES = {
    "killed": "killed dead died dies deaths fatally slain murdered tués tuées tué tuée morts mortes mort décès décédés décédées",
    "injured": "wounded injured hurt blessés blessées blessé blessée",
    "arrested": "arrested detained custody interpellés interpellées interpellé arrêtés arrêtées",
}


def _wordset(words: str) -> frozenset[str]:
    """The space-separated words of a string, as a set (long word lists read better as prose)."""
    return frozenset(words.split())


_MEASURE_OF = {w: m for m, words in _MEASURES.items() for w in words.split()}
# Words that may stand between a figure and its measure ("two young men were shot and killed"); anything
# else (an age's "-year-old", "years", "of", a comma) breaks the tie, which is what keeps precision high.
_PEOPLE = _wordset(
    "people persons person men man women woman teens teenagers teenager teen boys boy girls girl children child kids "
    "adults victims others other more students officers officer police bystanders young suspects individuals males "
    "females juveniles residents family members relatives brothers friends personnes hommes homme femmes femme jeunes "
    "enfants adolescents autres victimes policiers individus"
)
_FILLERS = {
    "en": _PEOPLE
    | _wordset(
        "were was are is have has had been being got reportedly also later all who both shot and stabbed critically "
        "seriously severely badly slightly taken into confirmed"
    ),
    # French fillers apart: "a" (has) would let "Image 1 of 16 A man died" read as sixteen dead in English.
    "fr": _PEOPLE | _wordset("ont a été sont est grièvement légèrement gravement également par balle balles et"),
}
# Verbs after which a figure counts the victims ("killing two", "wounded three others", "arrested two men").
_VERB_BEFORE = re.compile(
    r"\b(?P<verb>killing|killed|wounding|wounded|injuring|injured|arrested|arresting|tuant|blessant|tué|blessé)"
    r"\s+(?:(?:at least|au moins)\s+)?$",
    re.IGNORECASE,
)
_ORDINALS = {
    w: k
    for k, words in enumerate(
        ["", "", "second deuxième seconde", "third troisième", "fourth quatrième", "fifth cinquième", "sixth sixième",
         "seventh septième", "eighth huitième", "ninth neuvième", "tenth dixième"]
    )
    for w in words.split()
}  # fmt: skip
# A toll told by the rank of the latest death: "a fourth victim has died", "une troisième victime est décédée".
_ORDINAL_DEATH = re.compile(
    rf"(?:\b(?:a|the|une|un)\s+|^\s*)(?P<ord>{'|'.join(_ORDINALS)})\s+(?:victim|person|man|woman|boy|girl|child|teen\w*|"
    r"victime|personne|homme|femme|enfant)\b[^.;]{0,80}?\b(?:has died|had died|died|dies|is dead|"
    r"was pronounced dead|est décédée?|est morte?|a succombé)",
    re.IGNORECASE | re.MULTILINE,
)
# Before a figure: a month name (then it is a day: "on April 4 arrested") or "#" (a label: "Juvenile #1").
_NOT_A_COUNT = re.compile(
    r"(?:\b(?:jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?|sept?(?:ember)?|"
    r"oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)\.?|#)\s*$",
    re.IGNORECASE,
)
# "one" as a pronoun: "this one hurt", "each one", "someone".
_PRONOUN_ONE = re.compile(r"\b(?:this|that|each|any|every|some|which|another|no)\s*$", re.IGNORECASE)
# A figure listed after people ("Parents, 2 children dead", "une femme et deux enfants") counts a part of them.
_ENUMERATED = re.compile(
    r"\b(?:man|men|woman|women|boys?|girls?|child|children|bab(?:y|ies)|infants?|toddlers?|teens?|teenagers?|adults?|"
    r"mother|father|wife|husband|son|daughter|"
    r"parents|couple|people|persons|homme|femme|enfant|bébé|adolescent|mère|père|parents|couple)"
    r"\s*(?:,|and|et|,\s*and|,\s*et)\s*$",
    re.IGNORECASE,
)
# Sentences whose figures are not this event's current toll: superseded first figures ("in initial reports,
# police said two were killed") and tallies over several happenings ("in separate shootings", "weekend shootings").
_NOT_THIS_EVENT = re.compile(
    r"\b(?:initial(?:ly)?|earlier reports?|at first|previously|premier bilan|initialement|"
    r"shootings|separate|unrelated|across the city|throughout the city|citywide|over the past|in the past|so far this year|"
    r"fusillades|séparées|distinctes|sans lien|depuis le début de l'année)\b",
    re.IGNORECASE,
)
_VERB_MEASURE = {"killing": "killed", "tuant": "killed", "tué": "killed", "wounding": "injured", "injuring": "injured"}
_VERB_MEASURE |= {"blessant": "injured", "blessé": "injured", "arresting": "arrested"}
_CURRENCY = {"$": "dollars", "€": "euros", "£": "pounds", "dollars": "dollars", "euros": "euros", "pounds": "pounds"}
_AMOUNT_TAIL = re.compile(
    r"\s*(?:(?:de |d['’])?(?P<cur>dollars|euros|pounds|livres)\b)?"
    r"(?:\s+(?:worth\s+)?(?:of|in|de|d['’]|en)\s*|\s*d['’])(?P<obj>[^\W\d_]{3,})",
    re.IGNORECASE,
)


@dataclass(slots=True, frozen=True)
class _Figure:
    """A claim found in one report, before comparison."""

    kind: str
    measure: str
    claim: Claim


def _figures(article: Article) -> list[_Figure]:
    """The counts and amounts an article states, title first, then in text order (French and English only)."""
    lang = (article.language or "")[:2]
    if lang not in READ_LANGUAGES:
        return []
    title = article.title if article.title and not article.text.startswith(article.title) else ""
    return _figures_in(title, article, lang) + _figures_in(article.text, article, lang)


def _figures_in(text: str, article: Article, lang: str) -> list[_Figure]:
    """The counts and amounts of one text of an article."""
    out = []
    for m in _figure_re(lang, scaled=True).finditer(text):
        before = text[max(0, m.start() - 40) : m.start()]
        if _not_a_figure(m, before):
            continue
        found = _amount(m, text, lang) if m["scale"] or before.rstrip().endswith(tuple("$€£")) else None
        found = found or (None if _part_of_toll(before) else _count(m, text, before, lang))
        if found:
            kind, measure = found
            start = m.start() - (1 if text[m.start() - 1 : m.start()] in "$€£" and m.start() else 0)
            value, sentence = _figure_value(m, lang), _sentence(text, m.start())
            if _NOT_THIS_EVENT.search(sentence):
                continue
            claim = Claim(article.id, article.published, value, text[start : m.end()], sentence, bool(_APPROX.search(before)))
            out.append(_Figure(kind, measure, claim))
    return _ordinal_deaths(text, article) + out  # the rank of the latest death is the newest toll: first


def _ordinal_deaths(text: str, article: Article) -> list[_Figure]:
    """Tolls said by an ordinal: "a fourth victim has died" (4 killed), "une troisième victime a succombé" (3)."""
    out = []
    for m in _ORDINAL_DEATH.finditer(text):
        sentence = _sentence(text, m.start())
        if not _NOT_THIS_EVENT.search(sentence):
            claim = Claim(article.id, article.published, _ORDINALS[m["ord"].lower()], m["ord"], sentence)
            out.append(_Figure("count", "killed", claim))
    return out


def _not_a_figure(m: re.Match[str], before: str) -> bool:
    """A negation ("no one"), a day ("on April 4"), a label ("#1") or the pronoun "one" ("this one hurt")."""
    if re.search(r"\b(?:no|aucun|aucune)\s*$", before, re.IGNORECASE) or _NOT_A_COUNT.search(before):
        return True
    return m["num"].lower() == "one" and bool(_PRONOUN_ONE.search(before))


def _part_of_toll(before: str) -> bool:
    """A figure that counts a part of the victims: definite ("the two children died": people already counted)
    or listed after others ("a man and two children were killed")."""
    return bool(re.search(r"\b(?:the|these|those|les|ces)\s*$", before, re.IGNORECASE) or _ENUMERATED.search(before))


def _count(m: re.Match[str], text: str, before: str, lang: str) -> tuple[str, str] | None:
    """("count", measure) when the words after the figure (or the verb before it) name what it counts."""
    verb = _VERB_BEFORE.search(before)
    after = [w.lower() for w in re.findall(r"[^\W\d_]+|\d+|[^\w\s]", text[m.end() : m.end() + 120])]
    if verb:
        nxt = after[0] if after else ""
        if (nxt in _PEOPLE or nxt in {"and", "et", ".", ",", ";"}) and not _summed(after, lang):
            word = verb["verb"].lower()
            return "count", _VERB_MEASURE.get(word, _MEASURE_OF.get(word, "killed"))
    for word in after[:7]:
        if word in _MEASURE_OF:
            return "count", _MEASURE_OF[word]
        if word not in _FILLERS[lang]:
            return None
    return None


def _summed(after: list[str], lang: str) -> bool:
    """Whether "and" + another figure follows: "wounded four officers and two civilians" counts a part of a sum."""
    figure = _figure_re(lang, scaled=False)
    return any(w in {"and", "et"} and figure.fullmatch(n) for w, n in pairwise(after[:5]))


def _amount(m: re.Match[str], text: str, language: str) -> tuple[str, str] | None:
    """("amount", "<currency> of <object>") for a scaled figure with a currency and what it pays for."""
    symbol = text[m.start() - 1 : m.start()] if m.start() else ""
    tail = _AMOUNT_TAIL.match(text, m.end())
    if not tail:
        return None
    currency = _CURRENCY.get(symbol) or _CURRENCY.get((tail["cur"] or "").lower().replace("livres", "pounds"))
    if not currency:
        return None
    return "amount", f"{currency} of {tail['obj'].lower()}"


def _sentence(text: str, pos: int, limit: int = 400) -> str:
    """The sentence around ``pos`` (a paragraph break or . ! ? followed by a space ends one), at most ``limit`` chars."""
    starts = [m.end() for m in re.finditer(r"[.!?…]\s+(?=[\"“«A-ZÀ-Þ0-9])|\n", text[:pos])]
    start = starts[-1] if starts else 0
    end = re.search(r"[.!?…](?=\s+[\"“«A-ZÀ-Þ0-9]|\s*$)|\n", text[pos:])
    sentence = text[start : pos + (end.end() if end else len(text) - pos)].strip()
    return sentence if len(sentence) <= limit else sentence[: limit - 1] + "…"


# --- comparison -------------------------------------------------------------------------------------------


def find_disagreements(articles: Iterable[Article]) -> list[Disagreement]:
    """The facts that differ across one event's reports, each with the sentences on every side.

    Args:
        articles: the event's reports (near-duplicate copies are best left out: they repeat a figure, they
            do not confirm it). Each needs ``id``, ``text``, ``language`` and ``published``; ``event_date``
            and ``event_date_evidence`` give the date comparison.

    Returns:
        Disagreements on counts and amounts (measure by measure, reports in publication order), then on
        the event date; empty when the reports agree or no two reports state the same measure.
    """
    arts = sorted(articles, key=lambda a: (a.published or "", a.id))
    stated: dict[tuple[str, str], dict[str, list[Claim]]] = {}
    label: dict[tuple[str, str], str] = {}
    for art in arts:
        for f in _figures(art):
            key = (f.kind, f.measure.rstrip("s"))  # "armes"/"arme", "weapons"/"weapon": one object
            label.setdefault(key, f.measure)
            stated.setdefault(key, {}).setdefault(art.id, []).append(f.claim)
    reported = {key: {aid: _reported(claims) for aid, claims in by_report.items()} for key, by_report in stated.items()}
    out = []
    for key, claims in reported.items():
        d = _compare(key[0], label[key], list(claims.values()))
        if d and key == ("count", "injured") and d.verdict == "contradiction":
            d = _wounded_died(d, reported.get(("count", "killed"), {}))
        out += [d] if d else []
    date = _date_disagreement(arts)
    return out + ([date] if date else [])


def _reported(claims: list[Claim]) -> Claim:
    """A report's value for a measure: the exact one it states most often (a toll is repeated; a subset such
    as "two victims killed have been identified" or another incident's figure is said once), the first on ties."""
    exact = [c for c in claims if not c.approximate] or claims
    values = [c.value for c in exact]
    return max(exact, key=lambda c: (values.count(c.value), -values.index(c.value)))


def _compare(kind: str, measure: str, claims: list[Claim]) -> Disagreement | None:
    """The disagreement among reports' values for one measure (claims in publication order), or None."""
    low, high = min(c.value for c in claims), max(c.value for c in claims)
    if len(claims) > 1 and low > 0 and _power_of_1000(high / low):
        reason = f"values {_ratio(high / low)} apart: a unit or scale slip on one side"
        return Disagreement(kind, measure, "contradiction", True, reason, tuple(claims))
    claims = [c for c in claims if not c.approximate]  # "at least three" agrees with four
    if len(claims) < 2:
        return None
    low, high = min(c.value for c in claims), max(c.value for c in claims)
    if high == low or (kind == "amount" and high <= low * 1.1):
        return None  # amounts within 10% are one figure rounded differently
    pairs = list(pairwise(claims))
    if all(b.value >= a.value for a, b in pairs) and all(
        a.published and b.published and (b.published > a.published or b.value == a.value) for a, b in pairs
    ):
        reason = "the figure only grows in later reports: the toll of a developing event, updated"
        return Disagreement(kind, measure, "update", False, reason, tuple(claims))
    reason = "reports published the same day give different figures" if _same_day(claims) else "a later report gives a lower figure"
    return Disagreement(kind, measure, "contradiction", False, reason, tuple(claims))


def _wounded_died(d: Disagreement, killed: dict[str, Claim]) -> Disagreement:
    """An injured count that falls while the killed count rises by as much, in later reports, is an update.

    "Four hurt" then, two days later, "one dead and three injured": a wounded victim died. A report that
    states no deaths counts none.
    """
    totals = {c.value + (killed[c.article_id].value if c.article_id in killed else 0) for c in d.claims}
    later = all(a.published and b.published and b.published > a.published for a, b in pairwise(d.claims) if b.value != a.value)
    if len(totals) == 1 and later and all(b.value <= a.value for a, b in pairwise(d.claims)):
        reason = "the injured figure falls as the killed figure rises by as much in later reports: wounded victims died"
        return Disagreement(d.kind, d.measure, "update", False, reason, d.claims)
    return d


def _power_of_1000(ratio: float) -> bool:
    """Whether a ratio is 1000, 10^6… within 2%."""
    k = round(math.log(ratio, 1000))
    return k >= 1 and abs(ratio / 1000**k - 1) < 0.02


def _ratio(ratio: float) -> str:
    """'1000×' for a power of 1000."""
    return f"{round(ratio):,}×".replace(",", " ")


def _same_day(claims: list[Claim]) -> bool:
    """Whether two claims with different values come from reports published the same day (or undated)."""
    return any(a.value != b.value and (a.published or "")[:10] == (b.published or "")[:10] for a in claims for b in claims)


def _date_disagreement(arts: list[Article], tolerance_days: int = 1) -> Disagreement | None:
    """A contradiction when reports' leads date the event more than ``tolerance_days`` apart.

    Only dates a report's lead names count (a date taken from the publication day is no claim of the text's),
    and only those on or before the first report's publication: a later date is a development that
    follow-ups report (an arrest, a death in hospital, a hearing), not another date for the event.
    """
    first = min((a.published[:10] for a in arts if a.published), default=None)
    claims = []
    for art in arts:
        quoted = re.match(r"“(.+?)” in the lead", art.event_date_evidence or "")
        if not art.event_date or not quoted or (first and art.event_date[:10] > first):
            continue
        pos = art.text.find(quoted[1])
        sentence = _sentence(art.text, pos) if pos >= 0 else quoted[1]
        if _FOLLOW_UP.search(sentence) or _STAMP.search(sentence):
            continue  # "was arrested Wednesday", "Updated: Thursday…": a development's or a page's date, not the event's
        day = dt.date.fromisoformat(art.event_date[:10]).toordinal()
        claims.append(Claim(art.id, art.published, day, art.event_date, sentence))
    apart = [(a, b) for a in claims for b in claims if b.value - a.value > tolerance_days and _same_topic(a, b)]
    if not apart:
        return None
    sides = [c for c in claims if any(c in pair for pair in apart)]
    reason = f"the reports' leads date the event more than {tolerance_days} day{'s' * (tolerance_days > 1)} apart"
    return Disagreement("date", "event date", "contradiction", False, reason, tuple(sides))


# What follow-up reports date: the steps after an event (arrest, charges, hearings, funerals), in both languages.
_FOLLOW_UP = re.compile(
    r"\b(?:arrested|arrest|charged|arraigned|indicted|sentenced|pleaded|funeral|vigil|"
    r"interpellé\w*|arrêté\w*|inculpé\w*|mis en examen|condamné\w*|obsèques)\b",
    re.IGNORECASE,
)
# A page's own time stamps, kept in the text by some sites ("Updated: Thursday, October 27, 2016 @ 10:12 AM").
_STAMP = re.compile(r"\b(?:updated|posted|published|mis à jour|publié le)\b", re.IGNORECASE)
_CALENDAR = re.compile(
    r"monday|tuesday|wednesday|thursday|friday|saturday|sunday|lundi|mardi|mercredi|jeudi|vendredi|samedi|dimanche|"
    r"january|february|march|april|june|july|august|september|october|november|december|janvier|février|avril|"
    r"juillet|septembre|octobre|novembre|décembre|morning|evening|night|afternoon|matin|soir|after|before|their|"
    r"which|where|about|according|said|there|these|those|would|could|après|avant|selon",
    re.IGNORECASE,
)


def _same_topic(a: Claim, b: Claim) -> bool:
    """Whether two date sentences speak of the same thing: they share a content word of five letters or more.

    "He died Friday night after a rifle discharged" and "In a Facebook post on Monday, a friend said…" date
    different things; a date is compared only with a date of the same happening.
    """
    words = [{w.lower() for w in re.findall(r"[^\W\d_]{5,}", c.sentence) if not _CALENDAR.fullmatch(w)} for c in (a, b)]
    return bool(words[0] & words[1])


def language_note(articles: Iterable[Article]) -> str:
    """A sentence naming the reports whose figures were not read (language other than French or English).

    Args:
        articles: an event's reports.

    Returns:
        "" when every report is in French or English; else which languages were only compared on dates.
    """
    other = sorted({a.language or "unknown" for a in articles if (a.language or "")[:2] not in READ_LANGUAGES})
    if not other:
        return ""
    return f"Figures are read in French and English only: reports in {', '.join(other)} were compared on dates alone"


def event_disagreements(members: Iterable[Article]) -> list[Disagreement]:
    """:func:`find_disagreements` over an event's stored members, near-duplicate copies left out.

    A copy repeats its original's figure: counting it would make one report look like two.

    Args:
        members: every article of the event, copies included.

    Returns:
        The event's disagreements.
    """
    members = list(members)
    ids = {a.id for a in members}
    return find_disagreements(a for a in members if a.duplicate_of is None or a.duplicate_of not in ids)


def to_json(d: Disagreement) -> dict[str, Any]:
    """A disagreement as a JSON-ready dict (the shape of ``report --format json`` and of the API).

    Args:
        d: a disagreement.

    Returns:
        ``kind, measure, verdict, scale, reason`` and ``claims`` (each ``article, published, value, text,
        sentence, approximate``; a date claim's value is the ISO day).
    """
    claims = [
        {
            "article": c.article_id,
            "published": c.published,
            "value": c.text if d.kind == "date" else c.value,
            "text": c.text,
            "sentence": c.sentence,
            "approximate": c.approximate,
        }
        for c in d.claims
    ]
    return {"kind": d.kind, "measure": d.measure, "verdict": d.verdict, "scale": d.scale, "reason": d.reason, "claims": claims}
