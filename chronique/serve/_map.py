"""Maps drawn offline: an inline SVG of the country outlines with places marked, nothing fetched.

:func:`place_map` draws any places that have coordinates (the :class:`chronique.events.places.Place`
records of :func:`chronique.events.places.locate`, or the pages' ``PlaceView``): country outlines
(equirectangular, the longitudes shrunk by the cosine of the view's middle latitude so that
Europe is not stretched), the countries among the places highlighted, each place a circle with a
``<title>`` (its tooltip) and a visible label, zoomed to the places' bounding box with a margin.
Every outline is turned into an SVG path once per process; a map only picks those its view
crosses and places them with one transform, so a page render stays fast. Colours come from
classes styled in ``static/app.css`` (the Content-Security-Policy allows no inline style).

Example:
    >>> from chronique.events.places import locate
    >>> svg = place_map(locate(["LOC:FRA", "LOC:gn2988507"]))
    >>> svg.startswith("<svg") and 'role="img"' in svg and "<title>Paris" in svg
    True
"""

from __future__ import annotations

import functools
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Protocol

from markupsafe import Markup, escape

from ..events.places import country_shapes, locate

__all__ = ["MapPlace", "place_map"]

MIN_SPAN = 24.0  # degrees of latitude shown at least (one city still shows its region)
MARGIN = 0.25  # share of the places' extent added on each side
MAX_LABELS = 12  # visible labels; every place keeps its <title>
_LAT_LIMIT = 90.0


class MapPlace(Protocol):
    """What :func:`place_map` reads of a place (``chronique.events.places.Place`` and ``PlaceView`` fit)."""

    id: str
    name: str
    kind: str
    lat: float | None
    lon: float | None


@dataclass(frozen=True, slots=True)
class _Outline:
    """A country's name, SVG path in (lon, -lat) units and bounding box."""

    name: str
    path: str
    west: float
    south: float
    east: float
    north: float


@dataclass(frozen=True, slots=True)
class _View:
    """The map window: x = lon * k, y = -lat, scaled by ``scale`` into a width x height picture."""

    x0: float
    y0: float
    k: float
    scale: float
    width: int
    height: int

    def point(self, lat: float, lon: float) -> tuple[float, float]:
        """Picture coordinates of a point."""
        return round((lon * self.k - self.x0) * self.scale, 1), round((-lat - self.y0) * self.scale, 1)

    def crosses(self, o: _Outline) -> bool:
        """Whether an outline's box meets the window."""
        west, east = self.x0 / self.k, (self.x0 + self.width / self.scale) / self.k
        north, south = -self.y0, -(self.y0 + self.height / self.scale)
        return o.east >= west and o.west <= east and o.north >= south and o.south <= north


def _ring_path(ring: Sequence[tuple[float, float]], tolerance: float = 0.12) -> str:
    """One closed subpath, points closer than ``tolerance`` degrees to the last kept one dropped."""
    kept = [ring[0]]
    for lon, lat in ring[1:]:
        if abs(lon - kept[-1][0]) + abs(lat - kept[-1][1]) >= tolerance:
            kept.append((lon, lat))
    if len(kept) < 3:
        return ""
    return "M" + " ".join(f"{lon:.1f} {-lat:.1f}" for lon, lat in kept) + "Z"  # points after M are line-tos


def _country_name(code: str) -> str:
    """A country's display name (its code when the gazetteer does not know it)."""
    found = locate([f"LOC:{code}"])
    return found[0].name if found and found[0].kind == "country" else code


@functools.lru_cache(maxsize=1)
def _outlines() -> dict[str, _Outline]:
    """Every country outline as a path, computed once."""
    out = {}
    for code, rings in country_shapes().items():
        path = "".join(_ring_path(r) for r in rings)
        if path:
            lons = [lon for r in rings for lon, _ in r]
            lats = [lat for r in rings for _, lat in r]
            out[code] = _Outline(_country_name(code), path, min(lons), min(lats), max(lons), max(lats))
    return out


def _clamp(value: float, low: float, high: float) -> float:
    """``value`` kept within [low, high]; the middle of the two when the range is empty."""
    return (low + high) / 2 if low > high else min(max(value, low), high)


def _view(points: list[tuple[float, float]], width: int, height: int) -> _View:
    """The window around the points: their box plus a margin, at least MIN_SPAN high, at the picture's aspect."""
    lats, lons = [p[0] for p in points], [p[1] for p in points]
    mid_lat = (min(lats) + max(lats)) / 2
    k = max(math.cos(math.radians(mid_lat)), 0.3)
    x_lo, x_hi, y_lo, y_hi = min(lons) * k, max(lons) * k, -max(lats), -min(lats)
    span_x = max((x_hi - x_lo) * (1 + 2 * MARGIN), MIN_SPAN * width / height)
    span_y = max((y_hi - y_lo) * (1 + 2 * MARGIN), MIN_SPAN)
    span_x, span_y = max(span_x, span_y * width / height), max(span_y, span_x * height / width)
    span_x, span_y = min(span_x, 360 * k), min(span_y, 360 * k * height / width)
    cx, cy = (x_lo + x_hi) / 2, (y_lo + y_hi) / 2
    x0 = _clamp(cx - span_x / 2, -180 * k, 180 * k - span_x)
    y0 = _clamp(cy - span_y / 2, -_LAT_LIMIT, _LAT_LIMIT - span_y)
    return _View(x0, y0, k, width / span_x, width, height)


def _countries(view: _View, highlight: set[str]) -> str:
    """The outlines the window crosses, highlighted ones last (drawn on top), under one transform."""
    outlines = _outlines()
    shown = [(code, o) for code, o in outlines.items() if view.crosses(o) or code in highlight]
    shown.sort(key=lambda item: item[0] in highlight)
    paths = "".join(
        f'<path class="{"land hl" if code in highlight else "land"}" d="{o.path}" vector-effect="non-scaling-stroke">'
        f"<title>{escape(o.name)}</title></path>"
        for code, o in shown
    )
    s = view.scale
    return f'<g transform="matrix({s * view.k:.5f} 0 0 {s:.5f} {-view.x0 * s:.2f} {-view.y0 * s:.2f})">{paths}</g>'


def _label_boxes(x: float, y: float, text: str, width: int) -> list[tuple[float, float, float, float, str]]:
    """Where a label may go, best first: right of its mark, then left of it (only left near the right edge)."""
    w = 7.2 * len(text) + 4  # about 12px bold sans
    left = (x - 7 - w, y - 9, x - 7, y + 5, "end")
    return [left] if x + 7 + w > width else [(x + 7, y - 9, x + 7 + w, y + 5, "start"), left]


def _overlaps(box: tuple[float, ...], boxes: list[tuple[float, ...]]) -> bool:
    """Whether a label box meets one already placed."""
    return any(box[0] < b[2] and b[0] < box[2] and box[1] < b[3] and b[1] < box[3] for b in boxes)


def _marks(places: list[MapPlace], view: _View) -> str:
    """A circle per place with its <title>; a label beside it when it fits (cities first, at most MAX_LABELS)."""
    points = [view.point(p.lat, p.lon) for p in places]  # type: ignore[arg-type]
    dots = [(x - 5, y - 5, x + 5, y + 5) for x, y in points]
    placed: list[tuple[float, ...]] = []
    order = sorted(range(len(places)), key=lambda i: places[i].kind != "city")
    labels: dict[int, str] = {}
    for i in order:
        p, (x, y) = places[i], points[i]
        others = placed + dots[:i] + dots[i + 1 :]
        fits = [c for c in _label_boxes(x, y, p.name, view.width) if c[0] >= 0 and not _overlaps(c[:4], others)]
        if fits and len(placed) < MAX_LABELS:
            *box, anchor = fits[0]
            placed.append(tuple(box))
            tx = box[0] if anchor == "start" else box[2]
            labels[i] = f'<text x="{tx:.1f}" y="{y + 4}" text-anchor="{anchor}">{escape(p.name)}</text>'
    out = []
    for i, (p, (x, y)) in enumerate(zip(places, points, strict=True)):
        coords = f"{abs(p.lat):.2f}°{'N' if p.lat >= 0 else 'S'} {abs(p.lon):.2f}°{'E' if p.lon >= 0 else 'W'}"  # type: ignore[operator]
        out.append(
            f'<g class="place {escape(p.kind)}"><circle cx="{x}" cy="{y}" r="{5 if p.kind == "city" else 4}">'
            f"<title>{escape(p.name)} ({escape(p.kind)}, {coords})</title></circle>{labels.get(i, '')}</g>"
        )
    return "".join(out)


def _label(places: list[MapPlace]) -> str:
    """The map's accessible name: what it shows, in words."""
    names = ", ".join(p.name for p in places[:MAX_LABELS])
    more = f" and {len(places) - MAX_LABELS} more" if len(places) > MAX_LABELS else ""
    return f"Map of {len(places)} place{'s' if len(places) != 1 else ''}: {names}{more}"


def place_map(places: Iterable[MapPlace], *, width: int = 640, height: int = 320, label: str | None = None) -> str:
    """Draw places on a map of country outlines, as an inline ``<svg>`` that loads nothing.

    Args:
        places: the places; each needs ``id``, ``name``, ``kind`` (``country``, ``city`` or ``place``),
            ``lat`` and ``lon``. Those without coordinates are left out; countries (``kind == "country"``,
            id ``LOC:<alpha-3>``) are also highlighted.
        width: the picture's width in SVG units (it scales to its box through ``viewBox``).
        height: the picture's height in SVG units.
        label: the accessible name (``aria-label``); by default "Map of N places: …".

    Returns:
        The ``<svg>`` element as safe markup (a ``str``), or ``""`` when no place has coordinates.
    """
    located = [p for p in places if p.lat is not None and p.lon is not None]
    if not located:
        return ""
    view = _view([(p.lat, p.lon) for p in located], width, height)  # type: ignore[misc]
    highlight = {p.id.removeprefix("LOC:") for p in located if p.kind == "country"}
    name = escape(label or _label(located))
    return Markup(
        f'<svg class="place-map" viewBox="0 0 {width} {height}" role="img" aria-label="{name}">'
        f'<title>{name}</title><rect class="sea" width="{width}" height="{height}"/>'
        f"{_countries(view, highlight)}{_marks(located, view)}</svg>"
    )
