"""Stage 10: summaries of an event's reports."""

from __future__ import annotations

from chronique.records import Article
from chronique.represent import get_embedder, represent
from chronique.summarize import summarize_event

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
