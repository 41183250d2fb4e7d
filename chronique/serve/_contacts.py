"""Contact lines on the web: ``/api/contacts``, the ``/contacts`` page and a page per pair of parties."""

from __future__ import annotations

from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, HTTPException, Query, Request
from fastapi.responses import HTMLResponse

from ..events.contacts import build_contacts
from ..events.places import locate
from ..store import Store
from ._deps import read_store
from ._map import place_map
from ._pages import render

__all__ = ["api_router", "router"]

api_router = APIRouter(prefix="/api", tags=["api"])
router = APIRouter(include_in_schema=False)
StoreDep = Annotated[Store, Depends(read_store)]
Names = Annotated[list[str] | None, Query(max_length=200, description="One party (its lines) or two (the line between them).")]
Parties = Annotated[list[str], Query(min_length=2, max_length=2, description="The two entity ids of a line.")]


@api_router.get("/contacts")
def contacts_api(store: StoreDep, name: Names = None) -> dict[str, Any]:
    """Contact lines: for each pair of parties, the dated contacts, attempts, refusals, standing lines and
    statements between them, each with the reports and sentences it rests on."""
    return build_contacts(store, name or [])


@router.get("/contacts", response_class=HTMLResponse)
def contacts_page(request: Request, store: StoreDep, q: Annotated[str, Query(max_length=200)] = "") -> HTMLResponse:
    """Every contact line (or those of the parties named in ``q``, comma-separated), most documented first."""
    names = [n.strip() for n in q.split(",") if n.strip()]
    data = build_contacts(store, names)
    for line in data["lines"]:
        line["url"] = "/contacts/line?" + urlencode([("party", p) for p in line["parties"]])
    return render(request, "contacts.html", lines=data["lines"], query=q)


@router.get("/contacts/line", response_class=HTMLResponse)
def contact_line_page(request: Request, store: StoreDep, party: Parties) -> HTMLResponse:
    """The history of one pair of parties, with the places it names on a map."""
    line = next(iter(build_contacts(store, pair=party)["lines"]), None)
    if line is None:
        raise HTTPException(404, f"There is no contact line between “{party[0]}” and “{party[1]}” in this store.")
    ids = [*line["parties"], *(i["place"] for i in line["items"] if i.get("place"))]
    names = {k: v[1] for k, v in store.entity_names().items()}
    return render(request, "contact_line.html", line=line, where_map=place_map(locate(ids, names, located_only=True)))
