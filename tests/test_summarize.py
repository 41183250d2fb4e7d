"""Stage 10: summaries of an event's reports."""

from __future__ import annotations

from typing import ClassVar

import numpy as np

from chronique.events.summarize import event_summary, sentence_vectors, summarize_event
from chronique.records import Article
from chronique.stages.represent import get_embedder, represent

_EN = (
    "Storm floods the harbour",
    "A violent storm flooded the harbour of Brest on Tuesday night, sinking two fishing boats. "
    "Firefighters rescued four sailors from the water before dawn.",
)
_EN2 = (
    "Brest harbour flooded by storm",
    "Two fishing boats sank when a storm flooded the harbour of Brest on Tuesday night. "
    "Four sailors were pulled from the water by firefighters.",
)
_FR = (
    "Tempête sur le port de Brest",
    "Une violente tempête a inondé le port de Brest mardi soir et coulé deux bateaux de pêche. "
    "Les pompiers ont sauvé quatre marins tombés à l'eau avant l'aube.",
)


def _articles() -> list[Article]:
    out = []
    for i, ((title, text), lang) in enumerate(((_FR, "fr"), (_EN, "en"), (_EN2, "en"))):
        out.append(Article(f"a{i}", f"{i}.txt", "text", title, text, language=lang))
    return out


def test_an_event_in_two_languages_is_summarised_in_the_language_most_reports_use() -> None:
    arts = _articles()
    reps = {r.article_id: r for r in represent(arts, get_embedder("hashing"))}
    event = summarize_event("ev-1", arts, reps, {})
    assert event.headline in (_EN[0], _EN2[0])
    assert event.summary and all(s.text in _EN[1] + _EN2[1] for s in event.summary)
    assert all(set(s.article_ids) <= {"a1", "a2"} for s in event.summary)  # each sentence traced to its carriers
    assert event.article_ids == ["a0", "a1", "a2"]  # the French report is still a source


# An event told by four reports: three in French, one in English. Each French report has one fact of its own
# besides the shared one, and the English report repeats the second French report's own fact.
_FERRY = [
    (
        "f0",
        "fr",
        "Un ferry transportant deux cents passagers s'est échoué jeudi matin au large de Groix. "
        "Le capitaine avait signalé une avarie du moteur quelques minutes plus tôt.",
    ),
    (
        "f1",
        "fr",
        "Jeudi matin, un ferry avec deux cents passagers à bord s'est échoué près de l'île de Groix. "
        "Les secours ont évacué tous les voyageurs par hélicoptère avant midi.",
    ),
    (
        "f2",
        "fr",
        "Près de Groix, un ferry chargé de deux cents passagers s'est échoué jeudi matin. "
        "La compagnie maritime a annoncé l'ouverture d'une enquête interne sur l'accident.",
    ),
    (
        "e0",
        "en",
        "A ferry ran aground off the island of Groix on Thursday morning. "
        "Rescuers airlifted every traveller to safety by helicopter before noon.",
    ),
]


class _ConceptEmbedder:
    """A test embedder that knows which sentences say the same thing in any language (one axis per fact)."""

    name, dim = "concepts", 5  # the last axis: any other sentence
    _FACTS = ("échoué", "avarie", "hélicoptère", "enquête")
    _ENGLISH: ClassVar[dict[str, int]] = {"aground": 0, "helicopter": 2}

    def __init__(self, name: str = "concepts") -> None:
        self.name = name  # sentence vectors are cached by embedder name: a test counting calls names its own
        self.calls: list[list[str]] = []

    def embed(self, texts: list[str]) -> np.ndarray:
        self.calls.append(list(texts))
        out = np.zeros((len(texts), self.dim), np.float32)
        for row, text in enumerate(texts):
            hits = [i for i, w in enumerate(self._FACTS) if w in text] + [i for w, i in self._ENGLISH.items() if w in text]
            out[row, hits[0] if hits else 4] = 1.0
        return out


def _ferry() -> list[Article]:
    return [Article(i, f"{i}.txt", "text", f"Ferry {i}", text, language=lang) for i, lang, text in _FERRY]


def test_a_summary_draws_on_every_report_not_one_lead() -> None:
    summary = event_summary(_ferry(), max_words=80, embedder=_ConceptEmbedder())
    sources = {ids[0] for ids in (s.article_ids for s in summary)}
    assert len(summary) >= 3 and len({s.text.split()[0] for s in summary}) == len(summary)
    assert any("hélicoptère" in s.text for s in summary) and any("enquête" in s.text or "avarie" in s.text for s in summary)
    assert len(sources) >= 2  # not every line from one report


def test_each_sentence_is_credited_to_every_report_that_carries_it_in_any_language() -> None:
    summary = event_summary(_ferry(), max_words=80, embedder=_ConceptEmbedder(), copies={"f1": ["f1-copy"]})
    by_fact = {next(w for w in ("échoué", "avarie", "hélicoptère", "enquête") if w in s.text): s.article_ids for s in summary}
    assert by_fact["échoué"] == ["e0", "f0", "f1", "f1-copy", "f2"]  # paraphrases, and the English translation
    assert by_fact["hélicoptère"] == ["e0", "f1", "f1-copy"]  # told in French by f1, in English by e0


def test_the_summary_is_in_the_main_language_and_repeats_nothing() -> None:
    summary = event_summary(_ferry(), max_words=200, embedder=_ConceptEmbedder())
    texts = [s.text for s in summary]
    assert all(t in "".join(text for *_, text in _FERRY[:3]) for t in texts)  # French only
    assert sum("échoué" in t for t in texts) == 1  # three paraphrases of the grounding: one is kept


def test_what_other_languages_also_say_counts_for_coverage() -> None:
    # one sentence of room: the fact that two reports tell (f1 in French, e0 in English) beats a fact one report tells
    arts = [a for a in _ferry() if a.id in ("f0", "f1", "e0")]
    for a in arts:
        a.text = a.text.split(". ", 1)[1]  # drop the shared grounding: each French report keeps only its own fact
    summary = event_summary(arts, max_words=20, embedder=_ConceptEmbedder())
    assert [s.article_ids for s in summary] == [["e0", "f1"]]


def test_the_summary_keeps_to_its_word_budget() -> None:
    for budget in (15, 40, 100):
        summary = event_summary(_ferry(), max_words=budget)
        assert sum(len(s.text.split()) for s in summary) <= budget


def test_without_an_embedder_paraphrases_are_still_judged_by_their_wording() -> None:
    summary = event_summary(_ferry(), max_words=200)
    assert summary and all(s.article_ids for s in summary)
    assert summary[0].text.startswith(("Un ferry", "Jeudi matin", "Près de Groix"))  # a lead comes first


def test_summarize_event_uses_the_embedder_it_is_given() -> None:
    arts = _ferry()
    reps = {r.article_id: r for r in represent(arts, get_embedder("hashing"))}
    embedder = _ConceptEmbedder("concepts-event")
    event = summarize_event("ev-2", arts, reps, {}, embedder=embedder)
    assert embedder.calls and event.summary and event.article_ids == ["e0", "f0", "f1", "f2"]


def test_sentences_are_embedded_once() -> None:
    embedder = _ConceptEmbedder("concepts-once")
    first = sentence_vectors(embedder, ["Un ferry s'est échoué.", "Un ferry s'est échoué.", "Une enquête est ouverte."])
    again = sentence_vectors(embedder, ["Une enquête est ouverte."])
    assert embedder.calls == [["Un ferry s'est échoué.", "Une enquête est ouverte."]]
    assert first.shape == (3, 5) and np.array_equal(again[0], first[2])


class _LooseTranslations:
    """A test embedder that puts a sentence and its translation only loosely close, as a small encoder does."""

    name, dim = "loose", 5
    _AXES: ClassVar[dict[str, list[float]]] = {
        "moteur": [1, 0, 0, 0, 0],
        "motor": [0.35, 0, 0.94, 0, 0],  # cosine 0.35 with its French original: well under a paraphrase
        "enquête": [0, 1, 0, 0, 0],
        "passagers": [0, 0, 0, 1, 0],
        "weather": [0, 0, 0, 0, 1],
    }

    def embed(self, texts: list[str]) -> np.ndarray:
        return np.array([next(v for k, v in self._AXES.items() if k in t) for t in texts], np.float32)


def test_a_translation_is_credited_when_the_two_sentences_are_each_others_best_match() -> None:
    texts = {
        "f0": ("fr", "Le moteur du navire est tombé en panne au large. Une enquête a été ouverte par la gendarmerie maritime."),
        "f1": ("fr", "Les passagers ont attendu trois heures sur le pont avant le remorquage."),
        "e0": ("en", "The ship's motor broke down at sea. The weather stayed calm all afternoon."),
    }
    arts = [Article(i, i, "text", "", t, language=lang) for i, (lang, t) in texts.items()]
    credited = {s.text.split()[1]: s.article_ids for s in event_summary(arts, max_words=100, embedder=_LooseTranslations())}
    assert credited["moteur"] == ["e0", "f0"]  # its translation's best match, and the other way round
    assert credited["enquête"] == ["f0"] and credited["passagers"] == ["f1"]  # same language: only closeness counts
    wording_only = {s.text.split()[1]: s.article_ids for s in event_summary(arts, max_words=100)}
    assert wording_only["moteur"] == ["f0"]
