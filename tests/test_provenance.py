"""Provenance: outlets, the first report, copies and who is cited, over inline reports and the demo corpus."""

from __future__ import annotations

import io

from fastapi.testclient import TestClient
from rich.console import Console

from chronique.app.report import print_report
from chronique.events.provenance import event_provenance, find_citations, outlet_of, to_json
from chronique.records import Article, Mention
from chronique.serve import create_app

LOCAL = "http://127.0.0.1"


def _article(text: str, people: tuple[tuple[str, str], ...] = (), **fields: object) -> Article:
    """A report whose mentions are the given (spelling, label) pairs, each at its first place in the text."""
    aid = str(fields.pop("id", "a1"))
    art = Article(aid, str(fields.pop("source", "corpus/x.txt")), "text", "titre", text, **fields)  # type: ignore[arg-type]
    for spelling, label in people:
        start = text.index(spelling)
        art.mentions.append(Mention(aid, start, start + len(spelling), spelling, label, f"{label}:{spelling}"))
    return art


def _cited(art: Article) -> dict[str, str | None]:
    """Each cited name with its role."""
    return {c.name: c.role for c, _key, _kind in find_citations(art)}


# -- outlets ---------------------------------------------------------------------------------------------
def test_site_name_wins_over_the_url() -> None:
    o = outlet_of(_article("", site="Le Monde", url="https://www.lemonde.fr/international/a.html"))
    assert (o.name, o.domain, o.found) == ("Le Monde", "lemonde.fr", "site name")


def test_url_domain_is_normalised_and_named() -> None:
    assert outlet_of(_article("", url="https://www.lemonde.fr/x")).name == "Le Monde"
    assert outlet_of(_article("", url="https://amp.nytimes.com/2024/x")).name == "The New York Times"
    bbc = outlet_of(_article("", url="https://m.bbc.co.uk/news/x"))
    assert (bbc.name, bbc.domain, bbc.found) == ("BBC", "bbc.co.uk", "url")
    other = outlet_of(_article("", url="https://www.news.example.co.uk/p/1"))
    assert (other.name, other.found) == ("example.co.uk", "url")


def test_source_field_folder_and_file() -> None:
    assert outlet_of(_article("", source="Gazette du Val")).found == "source field"
    folder = outlet_of(_article("", source="/data/gazette-du-val/page.txt"))
    assert (folder.name, folder.found) == ("gazette-du-val", "folder")
    line = outlet_of(_article("", source="/data/fils/wire.jsonl:3"))
    assert (line.name, line.found) == ("fils", "folder")
    assert (outlet_of(_article("", source="page.txt")).found, outlet_of(_article("", source="page.txt")).name) == ("file", "page.txt")


def test_a_script_url_is_never_an_outlet_link() -> None:
    o = outlet_of(_article("", source="javascript:alert(1)", url="javascript:alert(1)"))
    assert o.url is None and o.domain is None


# -- citations -------------------------------------------------------------------------------------------
def test_french_attributions() -> None:
    text = (
        "Les troupes auraient reculé, selon TASS. "
        "« Nous restons prudents », a déclaré Jean Morel, porte-parole du ministère, dans un communiqué. "
        "D'après l'AFP, le convoi est reparti. "
        "Le bilan a été revu à la hausse, a rapporté CNN. "
        "Anne Duval a indiqué que les écoles resteraient fermées."
    )
    art = _article(text, (("Jean Morel", "PER"), ("Anne Duval", "PER")))
    cited = _cited(art)
    assert cited == {"TASS": None, "Jean Morel": "porte-parole du ministère", "AFP": None, "CNN": None, "Anne Duval": None}
    morel = next(c for c, _k, _kind in find_citations(art) if c.name == "Jean Morel")
    assert morel.channel == "dans un communiqué"


def test_english_attributions() -> None:
    text = (
        "The bridge was closed overnight, according to Reuters. "
        '"We will reopen it soon," said Mara Lind, a city engineer. '
        "Harbour Authority said on Monday repairs would take a week. "
        "Tom Ashby told the BBC the cracks had been known for years."
    )
    art = _article(text, (("Mara Lind", "PER"), ("Harbour Authority", "ORG"), ("Tom Ashby", "PER")))
    assert _cited(art) == {"Reuters": None, "Mara Lind": "a city engineer", "Harbour Authority": None, "Tom Ashby": None, "BBC": None}


def test_no_citation_without_a_clear_attribution() -> None:
    text = (
        '"Nobody said Victor Hale would lose," a neighbour remarked. '  # the name is inside a quotation
        "Mara Lind said Gazprom had cut deliveries. "  # Gazprom is what was said, not who said it
        "Residents in Lyon said the noise was unbearable. "  # a place after a preposition, and no speaker named
        "The ministry said nothing more. "  # a verb without a named subject
        "Le gouvernement a déclaré l'état d'urgence à Lyon. "  # a declaration, not a named source
        "Une équipe de CNN était sur place."  # an outlet named, not cited
    )
    art = _article(text, (("Victor Hale", "PER"), ("Mara Lind", "PER"), ("Gazprom", "ORG"), ("Lyon", "LOC")))
    assert _cited(art) == {"Mara Lind": None}


# -- an event --------------------------------------------------------------------------------------------
def test_first_report_copies_and_counts() -> None:
    first = _article("Selon l'AFP, la digue a cédé.", id="b", source="in/b.txt", published="2024-03-01")
    tie = _article("La digue a cédé, selon Reuters.", id="c", source="in/c.txt", published="2024-03-01")
    later = _article("The dyke gave way, AFP reported.", id="a", source="in/a.txt", published="2024-03-02")
    copy = _article("Selon l'AFP, la digue a cédé.", id="d", source="in/d.txt", published="2024-02-28", duplicate_of="b")
    p = event_provenance([later, first, tie, copy])
    assert p.first_report == "b"  # earliest of the reports; a copy does not count, a tie keeps stored order
    assert p.copies == {"b": ("d",)}
    afp = next(c for c in p.cited if c.name == "AFP")
    assert (afp.kind, afp.reports, afp.sentences) == ("agency", 2, 2)  # the copy is not read again
    assert [c.name for c in p.cited] == ["AFP", "Reuters"]
    assert to_json(p)["outlets"][0] == {"article": "a", "name": "in", "domain": None, "url": None, "found": "folder"}


def test_an_official_is_told_by_the_role() -> None:
    art = _article("« Rien n'est exclu », a déclaré Paul Garnier, ministre des Transports.", (("Paul Garnier", "PER"),))
    (party,) = event_provenance([art]).cited
    assert (party.kind, party.role) == ("official", "ministre des Transports")


# -- the demo corpus -------------------------------------------------------------------------------------
def _event(report: dict, suffix: str) -> dict:
    return next(e for e in report["events"] if any(a["source"].endswith(suffix) for a in e["articles"]))


def test_demo_provenance(examples_report: dict) -> None:
    june = _event(examples_report, "02_ecb-first-cut-since-2019.txt")
    prov = june["provenance"]
    raman = next(c for c in prov["cited"] if c["name"] == "Priya Raman")
    assert (raman["kind"], raman["role"], raman["reports"]) == ("person", "senior economist at Halden Capital in London", 1)
    assert "handbrake" in raman["citations"][0]["sentence"]
    first = next(a for a in june["articles"] if a["id"] == prov["first_report"])
    assert first["published"] == min(a["published"] for a in june["articles"])
    september = _event(examples_report, "05_bce-nouvelle-baisse-septembre.txt")
    lagarde = next(c for c in september["provenance"]["cited"] if c["name"] == "Christine Lagarde")
    assert lagarde["role"] is None and any(x["sentence"].startswith("Selon Christine Lagarde") for x in lagarde["citations"])
    wire = next(a for a in september["articles"] if a["source"].endswith("wire.jsonl:1"))
    assert wire["outlet"] == {
        "name": "Continental Wire Service",
        "domain": "wire.example.org",
        "url": "https://wire.example.org/markets/2024/09/12/ecb-cuts-deposit-rate-to-3-5",
        "found": "site name",
    }
    assert all(a["outlet"]["name"] == "news" for a in september["articles"] if a["source"].endswith(".txt"))
    strike = _event(examples_report, "16_greve-ratp-repris.txt")
    copies = {a["id"]: a["duplicate_of"] for a in strike["articles"] if a["duplicate_of"]}
    assert copies and strike["provenance"]["copies"] == {orig: [c for c, o in copies.items() if o == orig] for orig in set(copies.values())}


def test_text_report_names_outlets_not_paths(examples_report: dict) -> None:
    out = io.StringIO()
    print_report(examples_report, Console(file=out, width=200, color_system=None))
    text = out.getvalue()
    assert "Continental Wire Service" in text and "examples/news/" not in text
    assert "cited: " in text and "Priya Raman (person, 1 report)" in text


def test_event_page_and_api_show_provenance(examples_report: dict) -> None:
    client = TestClient(create_app(examples_report["_store"].path, token=""), base_url=LOCAL)
    september = _event(examples_report, "05_bce-nouvelle-baisse-septembre.txt")
    api = client.get(f"/api/events/{september['id']}").json()
    assert api["provenance"] == september["provenance"]
    page = client.get(f"/events/{september['id']}").text
    assert "Who is cited" in page and "Henrik Moll" in page and "rates strategist at Nordbrook Securities" in page
    url = "https://wire.example.org/markets/2024/09/12/ecb-cuts-deposit-rate-to-3-5"
    link = f'<a class="outlet" href="{url}" rel="noopener noreferrer nofollow">'
    assert link in page and "first report" in page
    wire = next(a for a in september["articles"] if a["source"].endswith("wire.jsonl:1"))
    article = client.get(f"/articles/{wire['id']}").text
    assert "Continental Wire Service" in article and "(from its site name)" in article
    assert client.get(f"/api/articles/{wire['id']}").json()["outlet"]["domain"] == "wire.example.org"
