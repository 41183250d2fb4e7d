"""Contact lines on the web: /api/contacts, /contacts and a page per pair."""

from __future__ import annotations

import html
import re
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from chronique.events.contacts import build_contacts
from chronique.records import Article, Interaction
from chronique.serve import CSP, create_app
from chronique.store import Store

LOCAL = "http://127.0.0.1"


@pytest.fixture()
def client(tmp_path: Path) -> TestClient:
    """A store with two reports of one line (written here, no model involved)."""
    store = Store(tmp_path / "c.db")
    calls = [
        Interaction(
            "a1", 0, 40, "La ministre Ana Roca a appelé Jon Lund mardi.", "consult", "appelé", ["PER:ana"], ["PER:jon"], channel="phone"
        ),
        Interaction("a2", 0, 30, "Jon Lund <b>refused</b> to meet Ana Roca.", "consult", "meet", ["PER:jon"], ["PER:ana"], "refused"),
    ]
    for inter, date in zip(calls, ("2024-05-07", "2024-06-01"), strict=True):
        inter.date, inter.place = date, "LOC:NOR"
        art = Article(inter.article_id, f"{inter.article_id}.txt", "text", f"Titre {inter.article_id}", inter.sentence, published=date)
        art.interactions = [inter]
        store.add_articles(
            [art], [], [], entity_names={"PER:ana": ("PER", "Ana Roca"), "PER:jon": ("PER", "Jon Lund"), "LOC:NOR": ("LOC", "Norway")}
        )
    return TestClient(create_app(store.path, token=""), base_url=LOCAL)


def test_api_contacts_lists_the_line_with_its_evidence(client: TestClient) -> None:
    data = client.get("/api/contacts").json()
    (line,) = data["lines"]
    assert line["names"] == ["Ana Roca", "Jon Lund"]
    assert [(i["date"], i["kind"]) for i in line["items"]] == [("2024-05-07", "contact"), ("2024-06-01", "refusal")]
    assert line["items"][0]["evidence"] == [{"article": "a1", "sentence": calls_sentence(), "title": "Titre a1"}]
    assert client.get("/api/contacts", params={"name": ["Roca"]}).json()["lines"]
    assert client.get("/api/contacts", params={"name": ["Nobody"]}).json() == {"lines": []}


def calls_sentence() -> str:
    return "La ministre Ana Roca a appelé Jon Lund mardi."


def test_contact_pages_render_escaped_with_a_map(client: TestClient) -> None:
    page = client.get("/contacts")
    assert page.status_code == 200 and page.headers["content-security-policy"] == CSP
    link = html.unescape(re.search(r'href="(/contacts/line\?[^"]+)"', page.text).group(1))
    line = client.get(link)
    assert line.status_code == 200 and "Jon Lund declined to speak with Ana Roca" in line.text
    assert "&lt;b&gt;refused&lt;/b&gt;" in line.text and "<b>" not in line.text  # report text is escaped
    assert "<svg" in line.text and "Norway" in line.text  # where it happened, drawn offline
    assert "<script>" not in line.text and "style=" not in line.text
    assert client.get("/contacts/line", params={"party": ["PER:ana", "PER:nobody"]}).status_code == 404
    assert client.get("/contacts/line", params={"party": ["PER:ana"]}).status_code == 422


def test_a_pair_builds_only_its_own_line(client: TestClient) -> None:
    store = Store(client.app.state.db_path)
    data = client.get("/api/contacts").json()
    parties = data["lines"][0]["parties"]
    assert build_contacts(store, pair=parties)["lines"] == data["lines"]
    assert build_contacts(store, pair=[parties[0], "PER:nobody"]) == {"lines": []}
