"""Disagreements between an event's reports: figures read in French and English, updates told from contradictions.

The inline reports are written for these tests; the seed test reads the real seeds (000 and 002 give the
US weapons aid as 3,800 and 3,8 milliards de dollars).
"""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from chronique.events.disagreements import Disagreement, event_disagreements, find_disagreements, language_note, parse_number, to_json
from chronique.records import Article
from chronique.serve import create_app
from chronique.serve._render import environment
from chronique.serve._views import ClaimView, DisagreementView, EventDetail, Explanation
from tests.conftest import SEEDS, seed_name

LOCAL = "http://127.0.0.1"


def report(ident: str, text: str, published: str = "2024-03-02", language: str = "fr", title: str = "") -> Article:
    """An article as the store gives it back."""
    return Article(ident, f"{ident}.txt", "text", title, text, published=published, language=language)


def only(found: list[Disagreement], measure: str) -> Disagreement:
    """The one disagreement on ``measure``."""
    hits = [d for d in found if d.measure == measure]
    assert len(hits) == 1, found
    return hits[0]


@pytest.mark.parametrize(
    ("text", "language", "value"),
    [
        ("3,8 milliards", "fr", 3.8e9),
        ("3 800 milliards", "fr", 3.8e12),
        ("3,800 milliards", "fr", 3.8e12),  # a comma before exactly three digits groups thousands
        ("3,800", "en", 3800),
        ("3.8 billion", "en", 3.8e9),
        ("un billion", "fr", 1e12),  # the French long scale
        ("$40bn", "en", 4e10),
        ("twenty-one", "en", 21),
        ("deux", "fr", 2),
        ("1.200", "fr", 1200),
        ("12,5", "fr", 12.5),
    ],
)
def test_numbers_in_both_languages(text: str, language: str, value: float) -> None:
    assert parse_number(text, language) == pytest.approx(value)


def test_a_thousandfold_amount_is_a_scale_contradiction() -> None:
    found = find_disagreements(
        [
            report("a", "Le pays a livré 2 500 milliards d'euros d'équipements depuis janvier, selon le ministère."),
            report("b", "Depuis janvier, le pays a livré 2,5 milliards d'euros d'équipements à son voisin."),
        ]
    )
    d = only(found, "euros of équipements")
    assert (d.kind, d.verdict, d.scale) == ("amount", "contradiction", True)
    assert {c.article_id: c.value for c in d.claims} == {"a": pytest.approx(2.5e12), "b": pytest.approx(2.5e9)}
    assert "2,5 milliards" in next(c.sentence for c in d.claims if c.article_id == "b")


def test_a_toll_that_grows_in_later_reports_is_an_update() -> None:
    found = find_disagreements(
        [
            report("late", "L'incendie de l'entrepôt a fait trois morts, annonce la préfecture dimanche.", "2024-03-03"),
            report("early", "L'incendie d'un entrepôt a fait deux morts samedi soir près du port.", "2024-03-02"),
        ]
    )
    d = only(found, "killed")
    assert d.verdict == "update" and not d.scale
    assert [(c.article_id, c.value) for c in d.claims] == [("early", 2), ("late", 3)]


def test_a_toll_told_by_the_rank_of_the_latest_death_is_an_update() -> None:
    en = [
        report("a", "Three people were killed in the attack on the market.", "2024-03-02", "en"),
        report("b", "A fourth victim of the attack, which killed three others, has died.", "2024-03-05", "en"),
    ]
    assert [c.value for c in only(find_disagreements(en), "killed").claims] == [3, 4]
    fr = [
        report("a", "L'attaque du marché a fait deux morts.", "2024-03-02"),
        report("b", "Une troisième victime de l'attaque du marché est décédée à l'hôpital.", "2024-03-04"),
    ]
    d = only(find_disagreements(fr), "killed")
    assert d.verdict == "update" and [c.text for c in d.claims] == ["deux", "troisième"]


def test_same_day_different_tolls_and_a_shrinking_toll_are_contradictions() -> None:
    same_day = [
        report("a", "Four people were injured when the roof of the hall gave way.", language="en"),
        report("b", "Six people were injured when a roof collapsed at the hall.", language="en"),
    ]
    assert only(find_disagreements(same_day), "injured").verdict == "contradiction"
    shrinking = [
        report("a", "Trois personnes ont été tuées dans l'explosion.", "2024-03-02"),
        report("b", "L'explosion a fait deux morts, corrige la police.", "2024-03-04"),
    ]
    assert only(find_disagreements(shrinking), "killed").verdict == "contradiction"


def test_the_same_figure_in_other_words_or_languages_is_no_disagreement() -> None:
    found = find_disagreements(
        [
            report("fr", "La collision entre deux bus a fait deux morts et 5 blessés mardi."),
            report("en", "Two people were killed and five others injured when two buses collided.", language="en"),
            report("en2", "The crash killed 2 people and injured five, officials said.", language="en"),
        ]
    )
    assert found == []


def test_ages_years_times_addresses_and_model_names_are_not_counts() -> None:
    found = find_disagreements(
        [
            report(
                "a",
                "A 23-year-old man was killed at 2:30 a.m. in the 1200 block of Main Street by a man with an AR-15.",
                language="en",
            ),
            report(
                "b",
                "A 31-year-old man was killed in 2019 at 4 p.m. at 45 Oak Street; police found an AR-10 and 3 casings.",
                language="en",
            ),
        ]
    )
    assert found == []
    rifle = [
        report("a", "A man with an AR-15 shot and killed one person at the mall.", language="en"),
        report("b", "One person was killed at the mall on Sunday.", language="en"),
    ]
    assert find_disagreements(rifle) == []


@pytest.mark.parametrize(
    "other",
    [
        "Police on April 4 arrested a man; two people were arrested in all.",  # a day of the month
        "Juvenile #1 was arrested at home; two people were arrested in all.",  # a label
        "Image 1 of 16 A man was arrested. Two people were arrested in all.",  # page chrome, and "a" is not "has"
        "This one was arrested, said a neighbour. Two people were arrested in all.",  # a pronoun
        "Police arrested four men and two women. Two people were arrested in all.",  # a part of a sum
        "Three men, 1 woman arrested. Two people were arrested in all.",  # a part of a list
        "Police have arrested 40 people in the past two months. Two people were arrested in all.",  # a tally
    ],
)
def test_days_labels_pronouns_parts_and_tallies_are_not_the_count(other: str) -> None:
    arts = [report("a", "Two people were arrested in all.", language="en"), report("b", other, language="en")]
    assert find_disagreements(arts) == []


def test_approximate_figures_and_parts_of_a_toll_are_left_out() -> None:
    found = find_disagreements(
        [
            report("a", "At least three people were killed in the blast.", language="en"),
            report("b", "Four people were killed in the blast, the mayor said.", language="en"),
            report("c", "A woman and two children were killed in the blast.", language="en", published="2024-03-01"),
        ]
    )
    assert found == []


def test_wounded_who_die_make_an_update_not_a_contradiction() -> None:
    found = find_disagreements(
        [
            report("a", "Four people were injured in a shooting at the station.", "2024-03-02", "en"),
            report("b", "The shooting at the station left one dead and three injured.", "2024-03-04", "en"),
        ]
    )
    d = only(found, "injured")
    assert d.verdict == "update" and "died" in d.reason
    same_day = [report("a", "Four people were injured.", language="en"), report("b", "Three people were injured.", language="en")]
    assert only(find_disagreements(same_day), "injured").verdict == "contradiction"


def test_a_definite_figure_recalls_a_part_and_is_not_a_toll() -> None:
    found = find_disagreements(
        [
            report("a", "Police said the two children died of smoke. Four people were killed in the house.", language="en"),
            report("b", "Four people were killed in the house on Elm Street.", language="en"),
        ]
    )
    assert found == []
    indefinite = [report("a", "Two children died of smoke.", language="en"), report("b", "Four people died.", language="en")]
    assert only(find_disagreements(indefinite), "killed").verdict == "contradiction"


def test_event_dates_more_than_a_day_apart_from_the_leads() -> None:
    a = report("a", "La fusillade a eu lieu mardi devant la mairie de Lille.", "2024-03-06")
    b = report("b", "La fusillade devant la mairie de Lille a eu lieu le 1er mars.", "2024-03-06")
    a.event_date, a.event_date_evidence = "2024-03-05", "“mardi” in the lead, read against the publication date 2024-03-06 (json)"
    b.event_date, b.event_date_evidence = "2024-03-01", "“le 1er mars” in the lead, read against the publication date 2024-03-06 (json)"
    d = only(find_disagreements([a, b]), "event date")
    assert (d.kind, d.verdict) == ("date", "contradiction")
    assert {c.text for c in d.claims} == {"2024-03-05", "2024-03-01"} and "mairie de Lille" in d.claims[0].sentence
    b.event_date = "2024-03-04"  # a day apart: the night between two days, not a disagreement
    assert find_disagreements([a, b]) == []
    b.event_date, b.event_date_evidence = "2024-03-01", "publication date (json); the text gives no closer date"
    assert find_disagreements([a, b]) == []  # a publication day is no claim of the text's
    b.event_date_evidence = "“le 1er mars” in the lead, read against the publication date 2024-03-06 (json)"
    b.text = "Mis à jour le 1er mars : la fusillade devant la mairie de Lille a eu lieu en début de soirée."
    assert find_disagreements([a, b]) == []  # a page's time stamp
    b.text = "Le suspect de la fusillade devant la mairie de Lille a été interpellé le 1er mars."
    assert find_disagreements([a, b]) == []  # the date of an arrest, a development, not of the event


def test_other_languages_are_said_not_read() -> None:
    arts = [
        report("de", "Zwei Menschen wurden getötet.", language="de"),
        report("en", "Three people were killed.", language="en"),
    ]
    assert find_disagreements(arts) == []
    assert "de" in language_note(arts) and language_note(arts[1:]) == ""


def test_copies_are_not_counted_as_reports() -> None:
    original = report("o", "Deux personnes ont été tuées samedi.")
    copy = report("c", "Deux personnes ont été tuées samedi.", "2024-03-09")
    copy.duplicate_of = "o"
    later = report("l", "Trois personnes ont été tuées samedi.", "2024-03-03")
    d = only(event_disagreements([original, copy, later]), "killed")
    assert [c.article_id for c in d.claims] == ["o", "l"] and d.verdict == "update"
    assert to_json(d)["claims"][0] == {
        "article": "o",
        "published": "2024-03-02",
        "value": 2,
        "text": "Deux",
        "sentence": "Deux personnes ont été tuées samedi.",
        "approximate": False,
    }


def test_the_seeds_thousandfold_weapons_aid_is_flagged() -> None:
    if not SEEDS.is_dir():
        pytest.skip(f"the seed articles are not at {SEEDS}")
    arts = [report(p.name[:3], p.read_text("utf-8"), "2022-05-13") for p in sorted(SEEDS.glob("00[0-2]_*.txt"))]
    d = next(d for d in find_disagreements(arts) if d.kind == "amount")
    assert (d.measure, d.verdict, d.scale) == ("dollars of armes", "contradiction", True)
    assert {c.article_id: c.value for c in d.claims} == {"000": pytest.approx(3.8e12), "002": pytest.approx(3.8e9)}


def test_hostile_sentences_are_escaped_and_isolated_on_the_page() -> None:
    hostile = "<script>window.__pwned=1</script>\u202edeux morts"
    d = DisagreementView("count", "killed", "contradiction", False, "why", [ClaimView("a", None, 2, "deux", hostile, False)])
    event = EventDetail("e", "<b>h</b>", None, "", None, None, None, None, [], [], [], Explanation([], [], None, 0.5, 1), [d])
    html = environment().get_template("event.html").render(request_path="/events/e", event=event, number={}, carriers=[])
    assert "Where reports disagree" in html and "<script>window" not in html
    assert "<bdi>\u2068&lt;script&gt;window.__pwned=1&lt;/script&gt;\u202edeux morts\u2069</bdi>" in html


def test_the_page_says_which_reports_were_not_read() -> None:
    note = language_note([report("de", "Zwei Menschen wurden getötet.", language="de")])
    event = EventDetail("e", "h", None, "", None, None, None, None, [], [], [], Explanation([], [], None, 0.5, 1), [], note)
    html = environment().get_template("event.html").render(request_path="/events/e", event=event, number={}, carriers=[])
    assert "No figure or date differs" in html and "reports in de were compared on dates alone" in html


@pytest.fixture(scope="module")
def seeds(seeds_report: dict) -> TestClient:
    return TestClient(create_app(seeds_report["_store"].path, token=""), base_url=LOCAL)


def test_seed_event_shows_the_disagreement_in_report_page_and_api(seeds: TestClient, seeds_report: dict) -> None:
    ev = next(e for e in seeds_report["events"] if {"000", "002"} <= {seed_name(a["source"]) for a in e["articles"]})
    amount = next(d for d in ev["disagreements"] if d["kind"] == "amount")
    assert amount["scale"] and amount["verdict"] == "contradiction"
    assert sorted(c["value"] for c in amount["claims"]) == [pytest.approx(3.8e9), pytest.approx(3.8e12)]
    api = seeds.get(f"/api/events/{ev['id']}").json()
    assert api["disagreements"] == ev["disagreements"]
    page = seeds.get(f"/events/{ev['id']}").text
    assert "Where reports disagree" in page and "scale slip" in page and "3,8 milliards" in page


def test_an_agreeing_report_adds_no_flag_a_differing_one_does() -> None:
    base = report("a", "Cinq personnes ont été blessées.")
    assert find_disagreements([base, report("b", "Cinq personnes ont été blessées.")]) == []
    assert find_disagreements([base, report("b", "Sept personnes ont été blessées.")]) != []
