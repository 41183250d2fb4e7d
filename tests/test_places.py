"""Places: geocoding entity ids offline, the SVG map, and the places on event and story pages and in their JSON."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from chronique.events.places import Place, country_shapes, locate
from chronique.records import Article, Event, Story, SummarySentence
from chronique.serve import CSP, create_app
from chronique.serve._map import place_map
from chronique.store import Store

PARIS, KYIV = "LOC:gn2988507", "LOC:gn703448"
IDS = ["PER:macron", "LOC:FRA", PARIS, "LOC:Donbas", "LOC:UKR", KYIV, "ORG:OTAN"]


def test_a_country_gets_a_representative_point_inside_its_outline() -> None:
    (france,) = locate(["LOC:FRA"])
    assert (france.kind, france.country, france.name) == ("country", "FRA", "France")
    assert 41 < france.lat < 51 and -5 < france.lon < 9
    lons = [x for ring in country_shapes()["FRA"] for x, _ in ring]
    assert min(lons) < france.lon < max(lons)


def test_a_city_gets_its_geonames_coordinates_and_country() -> None:
    (paris,) = locate([PARIS], {PARIS: "Paris (ville)"})
    assert paris == Place(PARIS, "Paris (ville)", "city", pytest.approx(48.853, abs=0.01), pytest.approx(2.349, abs=0.01), "FRA")


def test_unknown_places_get_no_coordinates_and_other_entities_are_skipped() -> None:
    found = locate(["PER:macron", "LOC:Donbas", "LOC:ZZZ", "LOC:gn0", "LOC:Donbas", "ORG:OTAN"])
    assert [(p.id, p.kind, p.lat, p.lon) for p in found] == [
        ("LOC:Donbas", "place", None, None),
        ("LOC:ZZZ", "place", None, None),
        ("LOC:gn0", "place", None, None),
    ]
    assert locate(["LOC:Donbas"], located_only=True) == []


def test_outlines_cover_central_europe() -> None:
    shapes = country_shapes()
    assert {"FRA", "UKR", "RUS", "USA", "HUN", "SRB", "MNE"} <= set(shapes)  # the last three from data/outlines.json
    assert all(len(ring) >= 3 for rings in shapes.values() for ring in rings)


def test_the_map_marks_each_place_highlights_countries_and_loads_nothing() -> None:
    svg = place_map(locate(IDS))
    assert svg.startswith('<svg class="place-map"') and svg.endswith("</svg>")
    assert 'role="img"' in svg and 'aria-label="Map of 4 places: France, Paris, Ukraine, Kyiv"' in svg
    assert len(re.findall(r"<circle ", svg)) == 4  # Donbas has no coordinates: no mark
    assert "<title>Paris (city, 48.85°N 2.35°E)</title>" in svg and "<title>Kyiv (city" in svg
    assert len(re.findall(r'class="land hl"', svg)) == 2  # France and Ukraine
    assert not re.search(r"https?:|href|url\(|style=|<script|<image", svg, re.I)


def test_the_map_zooms_to_the_places() -> None:
    svg = place_map(locate([PARIS]))
    assert "<title>France</title>" in svg and "<title>Australia</title>" not in svg
    for x, y in re.findall(r'<circle cx="([\d.-]+)" cy="([\d.-]+)"', place_map(locate(IDS))):
        assert 0 < float(x) < 640 and 0 < float(y) < 320


def test_no_map_without_coordinates() -> None:
    assert place_map(locate(["LOC:Donbas", "PER:macron"])) == ""
    assert place_map([]) == ""


def test_the_map_escapes_names() -> None:
    evil = Place("LOC:x", '<script>"x"</script>', "city", 10.0, 20.0, None)
    svg = place_map([evil])
    assert "<script>" not in svg and "&lt;script&gt;" in svg


# -- the pages and the API, over a small store built without models ---------------------------------------
@pytest.fixture(scope="module")
def client(tmp_path_factory: pytest.TempPathFactory) -> TestClient:
    db: Path = tmp_path_factory.mktemp("places") / "places.db"
    store = Store(db)
    articles = [
        Article("a" * 16, "a.txt", "text", "Macron à Kyiv", "Emmanuel Macron est arrivé à Kyiv mardi.", language="fr"),
        Article("b" * 16, "b.txt", "text", "Retour à Paris", "Le président est rentré à Paris.", language="fr"),
    ]
    store.add_articles(articles, [], [])
    events = [
        Event("e1", "Macron à Kyiv", "2024-05-14", "", [SummarySentence("Macron à Kyiv.", ["a" * 16])], ["a" * 16], IDS, "s1"),
        Event("e2", "Retour", "2024-05-15", "", [SummarySentence("Retour.", ["b" * 16])], ["b" * 16], ["LOC:FRA", PARIS], "s1"),
        Event("e3", "Sans lieu", None, "", [], [], ["PER:macron", "LOC:Donbas"], None),
    ]
    names = {"LOC:FRA": ("LOC", "France"), PARIS: ("LOC", "Paris"), KYIV: ("LOC", "Kyiv"), "LOC:UKR": ("LOC", "Ukraine")}
    store.save_events(events, [Story("s1", "Macron en Ukraine", ["e1", "e2"])], names)
    store.close()
    return TestClient(create_app(db, token="", embedder="hashing"), base_url="http://127.0.0.1")


def test_event_json_lists_its_places_with_coordinates(client: TestClient) -> None:
    places = client.get("/api/events/e1").json()["places"]
    assert [p["id"] for p in places] == ["LOC:FRA", PARIS, "LOC:UKR", KYIV]  # Donbas: no coordinates
    assert set(places[0]) == {"id", "name", "kind", "lat", "lon"}
    assert places[1] == {
        "id": PARIS,
        "name": "Paris",
        "kind": "city",
        "lat": pytest.approx(48.853, abs=0.01),
        "lon": pytest.approx(2.349, abs=0.01),
    }
    assert client.get("/api/events/e3").json()["places"] == []


def test_story_json_lists_the_places_of_its_events_most_named_first(client: TestClient) -> None:
    places = client.get("/api/stories/s1").json()["places"]
    assert [p["id"] for p in places] == ["LOC:FRA", PARIS, "LOC:UKR", KYIV]


def test_event_and_story_pages_show_where(client: TestClient) -> None:
    for path in ("/events/e1", "/stories/s1"):
        res = client.get(path)
        assert res.status_code == 200 and res.headers["content-security-policy"] == CSP
        html = res.text
        assert '<h2 id="h-where">Where</h2>' in html and '<svg class="place-map"' in html
        assert html.count("<circle ") >= 4 and "Kyiv" in html
        assert not re.search(r'(src|href)="(https?:)?//', html)  # nothing from elsewhere
    assert 'id="h-where"' not in client.get("/events/e3").text  # no place with coordinates: no section
