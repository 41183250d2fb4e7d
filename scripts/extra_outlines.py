"""Write chronique/data/outlines.json: the Natural Earth 1:110m outlines that countryinfo lacks.

countryinfo (the package chronique.events.places reads country outlines from) has none for Hungary,
Serbia, Montenegro, Myanmar, Jamaica, Kosovo, Northern Cyprus and Somaliland, which leaves holes
in a map of Europe. This takes them from world-atlas 2.0.2 (npm, ISC licence), a TopoJSON
redistribution of Natural Earth 4.1.0 (public domain), and keeps the outer rings only.

Usage (run once; the output is committed):
    npm pack world-atlas@2.0.2 && tar xzf world-atlas-2.0.2.tgz
    python scripts/extra_outlines.py package/countries-110m.json
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pycountry

from chronique.events.places import _package_shapes

OUT = Path(__file__).resolve().parent.parent / "chronique" / "data" / "outlines.json"
# Natural Earth's own codes for the units that have no ISO 3166 number
NE_CODES = {"Kosovo": "KOS", "N. Cyprus": "CYN", "Somaliland": "SOL"}


def arcs(topology: dict) -> list[list[tuple[float, float]]]:
    """The topology's arcs, delta-decoded and de-quantized to (lon, lat)."""
    (sx, sy), (tx, ty) = topology["transform"]["scale"], topology["transform"]["translate"]
    out = []
    for arc in topology["arcs"]:
        x = y = 0
        points = []
        for dx, dy in arc:
            x, y = x + dx, y + dy
            points.append((round(x * sx + tx, 3), round(y * sy + ty, 3)))
        out.append(points)
    return out


def ring(indexes: list[int], decoded: list[list[tuple[float, float]]]) -> list[tuple[float, float]]:
    """A ring from arc indexes (``~i`` is arc i reversed), shared end points kept once."""
    points: list[tuple[float, float]] = []
    for i in indexes:
        arc = decoded[i] if i >= 0 else decoded[~i][::-1]
        points.extend(arc[1:] if points else arc)
    return points


def main(path: str) -> None:
    """Write the outlines countryinfo lacks."""
    topology = json.loads(Path(path).read_text("utf-8"))
    decoded, have = arcs(topology), set(_package_shapes())
    countries = {}
    for geometry in topology["objects"]["countries"]["geometries"]:
        name = geometry["properties"]["name"]
        found = pycountry.countries.get(numeric=geometry["id"]) if geometry.get("id") else None
        code = found.alpha_3 if found else NE_CODES[name]
        if code in have:
            continue
        polygons = geometry["arcs"] if geometry["type"] == "MultiPolygon" else [geometry["arcs"]]
        countries[code] = {"name": name, "rings": [ring(p[0], decoded) for p in polygons]}
    source = "Natural Earth 4.1.0 1:110m admin-0 countries (public domain), via world-atlas 2.0.2 (ISC); outer rings, (lon, lat)"
    OUT.write_text(json.dumps({"_source": source, "countries": countries}, separators=(",", ":")) + "\n", "utf-8")
    print(f"{OUT}: {', '.join(sorted(countries))}")


if __name__ == "__main__":
    main(sys.argv[1])
