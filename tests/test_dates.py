"""Dates: resolution of temporal expressions and the choice of each event's date."""

from __future__ import annotations

import pytest

from chronique.records import Article
from chronique.stages.dates import date_articles, event_weekday, find_time_expressions


def _values(text: str, pub: str | None, lang: str) -> list[tuple[str, str | None]]:
    return [(t.text, t.value) for t in find_time_expressions("a", text, pub, lang)]


def test_weekday_is_latest_on_or_before_publication() -> None:
    assert _values("Ils ont parlé vendredi.", "2022-05-13", "fr") == [("vendredi", "2022-05-13")]  # a Friday
    assert _values("They spoke on Friday.", "2022-05-15", "en") == [("on Friday", "2022-05-13")]
    assert _values("Das Treffen fand am Freitag statt.", "2022-05-14", "de") == [("am Freitag", "2022-05-13")]
    assert _values("La reunión fue el viernes.", "2022-05-14", "es") == [("el viernes", "2022-05-13")]


def test_relative_and_hedged_expressions() -> None:
    assert _values("il y a près de trois mois", "2022-05-13", "fr") == [("il y a près de trois mois", "2022-02-13")]
    assert _values("hace tres días", "2022-05-13", "es") == [("hace tres días", "2022-05-10")]
    assert _values("hier soir", "2022-05-13", "fr") == [("hier", "2022-05-12")]
    assert _values("la semaine dernière", "2022-03-24", "fr") == [("la semaine dernière", "2022-03-17")]


def test_explicit_dates() -> None:
    assert _values("c'était le 18 février", "2022-05-13", "fr") == [("le 18 février", "2022-02-18")]
    assert _values("le 30 décembre", "2022-01-03", "fr") == [("le 30 décembre", "2021-12-30")]  # year before
    assert _values("on 18 February 2022", None, "en") == [("18 February 2022", "2022-02-18")]
    assert _values("le 18 février", None, "fr") == [("le 18 février", None)]  # no year, no publication date


def test_event_date_from_lead_and_unknown_without_publication() -> None:
    art = Article(
        "a",
        "s",
        "text",
        "t",
        "Lundi, le ministre a annoncé la mesure. Le 2 mars, il avait refusé.",
        published="2024-03-20",
        published_origin="meta.csv",
        language="fr",
    )
    undated = Article("b", "s", "text", "t", "Vendredi, le ministre a parlé.", language="fr")
    date_articles([art, undated])
    assert art.event_date == "2024-03-18" and "Lundi" in art.event_date_evidence
    assert undated.event_date is None and "unknown" in undated.event_date_evidence


def test_event_date_falls_back_to_publication_for_old_references() -> None:
    art = Article(
        "a",
        "s",
        "text",
        "t",
        "Le 11 février, les deux hommes se sont parlé.",
        published="2022-03-24",
        published_origin="meta.csv",
        language="fr",
    )
    date_articles([art])
    assert art.event_date == "2022-03-24" and "publication date" in art.event_date_evidence


@pytest.mark.slow  # real models or a large input: out of the edit loop
def test_seed_dates(seeds_report: dict) -> None:
    from tests.conftest import seed_name

    dates = {seed_name(a["source"]): e["date"] for e in seeds_report["events"] for a in e["articles"]}
    assert dates["000"] == dates["001"] == dates["002"] == "2022-05-13"
    assert dates["003"].startswith("2022-03")
    assert dates["004"] == "2021-12-30"


@pytest.mark.slow  # real models or a large input: out of the edit loop
def test_seed_dates_unknown_without_metadata(seeds_nometa_report: dict) -> None:
    assert all(e["date"] is None for e in seeds_nometa_report["events"])
    assert all("unknown" in e["date_evidence"] for e in seeds_nometa_report["events"])


def test_event_weekday_only_for_undated_reports() -> None:
    text = "Les deux ministres se sont parlé vendredi au téléphone. Mercredi, rien n'était prévu."
    undated = date_articles([Article("a", "s", "text", "t", text, language="fr")])[0]
    assert event_weekday(undated) == 4  # the lead's first weekday
    dated = date_articles([Article("b", "s", "text", "t", text, language="fr", published="2024-05-17")])[0]
    assert event_weekday(dated) is None  # a calendar date says more


def test_a_date_without_year_a_few_weeks_ahead_is_this_year() -> None:
    assert _values("Le tarif s'applique à compter du 12 juin.", "2024-06-06", "fr")[-1][1] == "2024-06-12"
    assert _values("Le 30 décembre, il avait démissionné.", "2024-01-10", "fr")[-1][1] == "2023-12-30"


def test_dates_at_the_ends_of_the_calendar_do_not_overflow() -> None:
    """Audit: publication dates 9999-12-31 and 0001-01-01 raised a raw OverflowError in the analysis."""
    text = "Il a parlé hier soir, lundi, la semaine dernière et il y a trois jours."
    for published in ("0001-01-01", "9999-12-31"):
        art = Article("a", "s", "text", "Titre", text, published=published, published_origin="json", language="fr")
        date_articles([art])
        assert art.event_date is not None and art.event_date.startswith(published[:4])
        assert all(t.value is None or "0001-01-01" <= t.value <= "9999-12-31" for t in art.times)
