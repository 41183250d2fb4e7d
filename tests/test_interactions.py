"""Interactions (who did what to whom, with polarity) and contact lines, on real spaCy models."""

from __future__ import annotations

import pytest

from chronique.events.contacts import build_contacts, contact_lines
from chronique.records import Article, Interaction
from chronique.stages.entities import EntityExtractor, skeleton
from chronique.stages.interactions import InteractionExtractor, main_interaction, rename_parties
from tests.conftest import seed_name

pytestmark = pytest.mark.slow  # loads spaCy's parsers


def _id(name: str) -> str:
    return f"PER:{skeleton(name)}"


def _read(text: str, language: str, title: str = "") -> list[Interaction]:
    art = Article("a1", "test", "text", title, text, published="2024-03-05", event_date="2024-03-05", language=language)
    EntityExtractor().partial_fit([art])
    InteractionExtractor().transform([art])
    return art.interactions


def _only(found: list[Interaction], action: str = "consult") -> Interaction:
    hits = [i for i in found if i.action == action]
    assert len(hits) == 1, found
    return hits[0]


@pytest.mark.parametrize(
    ("text", "polarity"),
    [
        ("Le président Alain Moreau s'est entretenu mardi avec le chancelier Karl Weber.", "happened"),
        ("Le président Alain Moreau n'a pas parlé au chancelier Karl Weber depuis janvier.", "not"),
        ("Le chancelier Karl Weber a refusé de rencontrer le président Alain Moreau.", "refused"),
        ("Le président Alain Moreau a tenté de joindre le chancelier Karl Weber, en vain.", "attempted"),
        ("Le président Alain Moreau rencontrera le chancelier Karl Weber à Genève.", "planned"),
    ],
)
def test_french_polarity(text: str, polarity: str) -> None:
    inter = _only(_read(text, "fr"))
    assert inter.polarity == polarity
    assert {*inter.actors, *inter.targets} == {_id("Alain Moreau"), _id("Karl Weber")}


@pytest.mark.parametrize(
    ("text", "polarity"),
    [
        ("President John Miller spoke with Chancellor Karl Weber on Tuesday.", "happened"),
        ("President John Miller has not spoken to Chancellor Karl Weber since January.", "not"),
        ("Chancellor Karl Weber declined to meet President John Miller.", "refused"),
        ("President John Miller tried to call Chancellor Karl Weber, without success.", "attempted"),
        ("President John Miller will meet Chancellor Karl Weber in Geneva.", "planned"),
    ],
)
def test_english_polarity(text: str, polarity: str) -> None:
    inter = _only(_read(text, "en"))
    assert inter.polarity == polarity
    assert {*inter.actors, *inter.targets} == {_id("John Miller"), _id("Karl Weber")}


@pytest.mark.parametrize(
    ("text", "language", "polarity"),
    [
        ("Une rencontre entre le président Alain Moreau et le chancelier Karl Weber est prévue jeudi.", "fr", "planned"),
        ("La rencontre entre le président Alain Moreau et le chancelier Karl Weber a été annulée.", "fr", "not"),
        ("La rencontre entre le président Alain Moreau et le chancelier Karl Weber n'a pas eu lieu.", "fr", "not"),
        ("La rencontre entre le président Alain Moreau et le chancelier Karl Weber a eu lieu mardi.", "fr", "happened"),
        ("A meeting between President Alan Moore and Chancellor Karl Weber is planned for Thursday.", "en", "planned"),
        ("The meeting between President Alan Moore and Chancellor Karl Weber was cancelled.", "en", "not"),
        ("The talks between President Alan Moore and Chancellor Karl Weber will take place in Geneva.", "en", "planned"),
        ("Talks between President Alan Moore and Chancellor Karl Weber resumed on Monday.", "en", "happened"),
    ],
)
def test_a_meeting_named_by_a_noun_takes_its_polarity_from_the_verb_after_it(text: str, language: str, polarity: str) -> None:
    inter = _only(_read(text, language))
    assert inter.polarity == polarity
    people = ("Alain Moreau", "Karl Weber") if language == "fr" else ("Alan Moore", "Karl Weber")
    assert {*inter.actors, *inter.targets} == {_id(p) for p in people}


def test_channel_initiator_duration_and_counterpart() -> None:
    text = (
        "La ministre française des Armées, Claire Dubois, a eu un appel téléphonique avec son homologue italien, "
        "Marco Bianchi. L'appel, demandé par Claire Dubois, a duré environ une heure."
    )
    inter = _only(_read(text, "fr"))
    assert (inter.channel, inter.initiator, inter.polarity) == ("phone", _id("Claire Dubois"), "happened")
    assert inter.duration and "une heure" in inter.duration
    assert {*inter.actors, *inter.targets} == {_id("Claire Dubois"), _id("Marco Bianchi")}


def test_first_since_names_the_earlier_contact() -> None:
    text = "Le président Alain Moreau a parlé vendredi avec le chancelier Karl Weber, pour la première fois depuis le 3 février."
    dates = sorted(i.date for i in _read(text, "fr") if i.action == "consult")
    assert dates[0] == "2024-02-03"


def test_other_languages_say_they_are_not_read() -> None:
    art = Article("a2", "t", "text", "", "Il presidente ha parlato con il cancelliere.", language="it")
    InteractionExtractor().transform([art])
    assert art.interactions == [] and any("interactions" in n for n in art.notes)


def test_main_interaction_prefers_the_headline() -> None:
    body = Interaction("a", 10, 50, "s", "consult", "met", ["PER:a"], ["PER:b"], sides=["PER:a", "PER:b"])
    title = Interaction("a", -1, -1, "t", "consult", "spoke", ["PER:a"], ["PER:c"], "not", sides=["PER:a", "PER:c"])
    assert main_interaction([body, title]) is title
    assert main_interaction([]) is None


def test_rename_parties_follows_resolved_names() -> None:
    inter = Interaction("a", 0, 5, "s", "consult", "met", ["PER:austin"], ["PER:shoigu"], initiator="PER:austin")
    rename_parties([inter], {"PER:austin": "PER:loid austin"})
    assert inter.actors == ["PER:loid austin"] and inter.initiator == "PER:loid austin"


def test_contact_lines_merge_reports_and_order_by_date() -> None:
    found = [
        Interaction("r1", 0, 9, "one", "consult", "called", ["PER:a"], ["PER:b"], date="2024-03-05", channel="phone"),
        Interaction("r2", 0, 9, "two", "consult", "spoke", ["PER:b"], ["PER:a"], date="2024-03-05", duration="an hour"),
        Interaction("r2", 0, 9, "old", "consult", "spoke", ["PER:a", "PER:b"], [], date="2024-01-02"),
        Interaction("r3", 0, 9, "no", "consult", "engage", ["PER:b"], ["PER:a"], "refused", date="2024-02"),
    ]
    (line,) = contact_lines(found, {"PER:a": ("PER", "Ann"), "PER:b": ("PER", "Bob")})
    assert [(i.date, i.kind) for i in line.items] == [("2024-01-02", "contact"), ("2024-02", "refusal"), ("2024-03-05", "contact")]
    call = line.items[-1]
    assert (call.channel, call.duration, len(call.evidence)) == ("phone", "an hour", 2)
    assert line.items[1].summary == "Bob declined to speak with Ann"


def _line(data: dict, a: str, b: str) -> list[dict]:
    lines = [ln for ln in data["lines"] if {a, b} == {n.split()[-1] for n in ln["names"]}]
    assert lines, [ln["names"] for ln in data["lines"]]
    return [i for ln in lines for i in ln["items"]]


def test_seed_contact_lines(seeds_report: dict) -> None:
    data = build_contacts(seeds_report["_store"])
    austin = _line(data, "Austin", "Choïgou")
    assert any(i["date"] == "2022-02-18" and i["kind"] == "contact" for i in austin)
    assert any(i["date"].startswith("2022-03") and i["kind"] == "refusal" for i in austin)
    assert any(i["date"].startswith("2022-03") and i["kind"] == "attempt" for i in austin)
    call = [i for i in austin if i["date"] == "2022-05-13" and i["kind"] == "contact"]
    assert any(i["initiator"] == "Lloyd Austin" and "heure" in (i["duration"] or "") for i in call)
    milley = _line(data, "Milley", "Gerasimov")
    assert any(i["date"] == "2022-02-11" and i["kind"] == "contact" for i in milley)
    assert any(i["kind"] == "refusal" for i in milley)
    biden = _line(data, "Biden", "Poutine")
    assert any(i["date"] == "2021-12-30" and i["channel"] == "phone" and i["initiator"] == "Vladimir Poutine" for i in biden)
    assert any(i["date"] < "2021-12-30" and "approximate" in i["date_text"] for i in biden)
    assert any(i["date"] == "2022-05-13" and i["kind"] == "contact" for i in _line(data, "Scholz", "Poutine"))
    line = next(ln for ln in data["lines"] if set(ln["parties"]) == {"LOC:USA", "LOC:RUS"})
    channel = next(i for i in line["items"] if i["kind"] == "channel")
    assert "Commandement européen" in channel["detail"] and "Tod Wolters" in channel["detail"]
    assert "quotidiennement" in channel["detail"]
    assert all(ev["sentence"] and ev["article"] for ln in data["lines"] for i in ln["items"] for ev in i["evidence"])


def test_contacts_filter_by_name(seeds_report: dict) -> None:
    data = build_contacts(seeds_report["_store"], ["Shoigu"])
    assert data["lines"] and all(any("Choïgou" in n for n in ln["names"]) for ln in data["lines"])
    pair = build_contacts(seeds_report["_store"], ["Biden", "Putin"])
    assert {tuple(sorted(ln["names"])) for ln in pair["lines"]} == {("Joe Biden", "Vladimir Poutine")}
    assert build_contacts(seeds_report["_store"], ["Nobody Known"]) == {"lines": []}


def test_demo_contact_history(examples_report: dict) -> None:
    data = build_contacts(examples_report["_store"], ["Blinken", "Wang Yi"])
    items = [(i["date"], i["kind"], i["polarity"]) for ln in data["lines"] for i in ln["items"]]
    assert ("2023-02-03", "contact", "not") in items  # the Beijing meeting put off after the balloon
    assert ("2023-02-18", "contact", "happened") in items  # Munich
    assert ("2023-06-19", "contact", "happened") in items  # Beijing
    assert [d for d, _, p in items if p == "happened"] == sorted(d for d, _, p in items if p == "happened")


def test_report_gives_each_event_its_main_interaction(seeds_report: dict) -> None:
    by_seed = {seed_name(a["source"]): e for e in seeds_report["events"] for a in e["articles"]}
    call, apart = by_seed["000"]["interaction"], by_seed["003"]["interaction"]
    assert (call["action"], call["polarity"], call["date"]) == ("consult", "happened", "2022-05-13")
    assert {"id", "name"} <= call["actors"][0].keys() and call["sentence"]
    assert (apart["action"], apart["polarity"]) == ("consult", "not")
    biden = by_seed["004"]["interaction"]
    assert {p["name"] for p in biden["actors"] + biden["targets"]} == {"Joe Biden", "Vladimir Poutine"}
    assert biden["initiator"]["name"] == "Vladimir Poutine"


def test_event_page_and_api_show_the_main_interaction(seeds_report: dict) -> None:
    from fastapi.testclient import TestClient

    from chronique.serve import create_app

    client = TestClient(create_app(seeds_report["_store"].path, token=""), base_url="http://127.0.0.1")
    ev = next(e for e in seeds_report["events"] for a in e["articles"] if seed_name(a["source"]) == "003")
    assert client.get(f"/api/events/{ev['id']}").json()["interaction"]["polarity"] == "not"
    page = client.get(f"/events/{ev['id']}").text
    assert "Who did what to whom" in page and "n’ont pas parlé" in page
    line = page.split("their contact line")[0].rsplit('href="', 1)[1].split('"')[0].replace("&amp;", "&")
    assert client.get(line).status_code == 200


def test_a_store_from_before_the_stage_gets_its_interactions_once(seeds_report: dict, tmp_path) -> None:
    import sqlite3

    from chronique.pipeline import Pipeline
    from chronique.store import Store

    copy = tmp_path / "old.db"
    with sqlite3.connect(seeds_report["_store"].path) as a, sqlite3.connect(copy) as b:
        a.backup(b)
    with sqlite3.connect(copy) as db:  # as an earlier version left it: no interactions, no mark
        db.execute("DELETE FROM interactions")
        db.execute("UPDATE representations SET interaction = NULL")
        db.execute("DELETE FROM meta WHERE key = 'interactions'")
    store = Store(copy)
    assert build_contacts(store) == {"lines": []}
    pipe = Pipeline(store, embedder="hashing")
    assert pipe.backfill_interactions() == 5 and pipe.backfill_interactions() == 0

    def items(data: dict) -> set[tuple]:
        return {(tuple(ln["parties"]), i["date"], i["kind"]) for ln in data["lines"] for i in ln["items"]}

    # read from the stored mentions (names already resolved), not as the run read them: nearly the same
    again, first = items(build_contacts(store)), items(build_contacts(seeds_report["_store"]))
    assert len(again & first) >= 0.8 * len(first), (again - first, first - again)
    austin = ("PER:loid austin", "PER:sergi shoigu")
    assert {(d, k) for p, d, k in first if p == austin} <= {(d, k) for p, d, k in again if p == austin}
    assert sum(r.interaction is not None for r in store.representations()) == 5


def test_contacts_command(seeds_report: dict, tmp_path) -> None:
    import json

    from typer.testing import CliRunner

    from chronique.cli import app

    db = seeds_report["_store"].path
    res = CliRunner().invoke(app, ["contacts", "Milley", "--db", db, "--format", "json"])
    assert res.exit_code == 0, res.output
    (line,) = json.loads(res.output)["lines"]
    assert line["names"] == ["Mark Milley", "Valery Gerasimov"]
    text = CliRunner().invoke(app, ["contacts", "Biden", "Poutine", "--db", db])
    assert text.exit_code == 0 and "Joe Biden — Vladimir Poutine" in text.output and "2021-12-30" in text.output
    missing = CliRunner().invoke(app, ["contacts", "--db", str(tmp_path / "none.db")])
    assert missing.exit_code != 0 and "expected an existing store" in missing.output


@pytest.mark.parametrize("verb", ["a sommé le", "a enjoint au"])
def test_an_order_to_a_party_is_a_demand(verb: str) -> None:
    inter = _only(_read(f"Le président Alain Moreau {verb} ministre Paul Vernet de régler le dossier.", "fr"), "appeal")
    assert (inter.actors, inter.targets) == ([_id("Alain Moreau")], [_id("Paul Vernet")])


@pytest.mark.parametrize(
    ("text", "language", "action"),
    [
        ("Le ministre Paul Vernet a été sommé par le président Alain Moreau de régler le dossier.", "fr", "appeal"),
        ("The minister Paul Vernet was urged by President Alain Moreau to settle the matter.", "en", "appeal"),
        ("Le ministre Paul Vernet a été menacé par le président Alain Moreau.", "fr", "threaten"),
    ],
)
def test_in_the_passive_the_agent_acts(text: str, language: str, action: str) -> None:
    inter = _only(_read(text, language), action)
    assert (inter.actors, inter.targets) == ([_id("Alain Moreau")], [_id("Paul Vernet")])
