"""Build ``data/tavush-2024/settlements.geojson``: one point per (village, source), GeoNames first.

Run BY HAND, never in tests, from the repository root, with any Python 3.11 that has
shapely 2 and pyproj::

    . /work/venv/bin/activate
    python data/tavush-2024/derive/settlements.py

Inputs (``--geonames``, ``--wikipedia``):

- ``settlements_geonames_wof.geojson`` of the shared data: GeoNames points as carried by
  Who's On First (``whosonfirst-data-admin-am`` / ``-az``, commits in each ``source``).
  The GeoNames value is ``gn:latitude`` / ``gn:longitude`` of the WOF record, kept as
  written there (5 decimals at most: ``rounding`` "1e-5 degree"). Berkaber's second,
  arc-minute record (GeoNames 7646438, "Berqaber" 41.06667 45.15, modified 2011-02-05) is
  left out, as the shared README says; SOURCES.md mentions it.
- ``settlements_wikipedia.geojson`` beside the case: the DMS value as published and its
  page. Its coordinates are kept as they are, after checking that they equal the
  published DMS to 1e-6°. Berkaber's value there is not from Wikipedia but from
  qerbiazerbaycan.com: its ``dataset`` says so.

Every output feature has exactly the properties ``name`` (the canonical name used in
case.toml's pairs, or a context place's English name), ``name_local``, ``country``,
``rank`` (1 = the primary source for that place: GeoNames where it has the place,
Wikipedia otherwise), ``dataset``, ``source`` (``repo@commit:path`` plus the GeoNames
modification date, or the page), ``licence``, ``published`` (the value as published:
GeoNames "lat lon", Wikipedia the DMS text), ``rounding`` ("arc-minute", "arc-second",
"1e-5 degree"), ``geonames_id`` (null for non-GeoNames points) and ``context`` (true for
places that are not pair members: the Azerbaijani exclaves and two Armenian villages).

``name_local`` for GeoNames points: Armenian villages, the first Armenian-script name among
WOF's ``name:hye_x_preferred`` / ``name:hye_x_variant``; Azerbaijani ones, GeoNames' own
``gn:name`` when it is Azerbaijani Latin (has a non-ASCII letter), else WOF's
``name:aze_x_preferred``, else ``gn:name``.

It prints, per place with two sources, the geodesic distance between them (WGS 84,
``pyproj.Geod``), and, per release line ``osm_tzbb_<release>.geojson`` present beside the
case, which side each point lies on and how far from the line (UTM 38N), with the side
recorded by the shared data's ``sides`` where it has that release.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from pyproj import Geod, Transformer
from shapely.geometry import LineString, shape

CASE_DIR = Path(__file__).resolve().parent.parent
SHARED_GEONAMES = Path("/work/shared/data/tavush-2024/settlements_geonames_wof.geojson")
RELEASES = ("2021c", "2022g", "2023b", "2023d", "2024a", "2024b", "2025a", "2026c")
IGNORED_GEONAMES_IDS = {7646438: "Berkaber's second, arc-minute GeoNames record (shared README: ignore it)"}


@dataclass(frozen=True)
class Place:
    """A place of the case: its canonical name and how each source names it."""

    name: str
    country: str
    context: bool
    geonames_id: int | None
    wikipedia_name: str | None  # the `name` of its feature in settlements_wikipedia.geojson
    note: str = ""


# Pairs first, in case.toml's order (ARM, AZE), then the context places the sources give.
PLACES = (
    Place("Baghanis", "ARM", False, None, "Baghanis"),
    Place("Baghanis Ayrum", "AZE", False, 587097, "Bağanis Ayrım (Baghanis Ayrum)"),
    Place("Voskepar", "ARM", False, None, "Voskepar"),
    Place("Ashaghi Askipara", "AZE", False, 587192, "Aşağı Əskipara (Ashaghi Askipara)"),
    Place("Kirants", "ARM", False, 616667, "Kirants"),
    Place("Kheyrimli", "AZE", False, 585947, None),
    Place("Berkaber", "ARM", False, 616732, "Berkaber"),
    Place("Ghizilhajili", "AZE", False, 585224, None),
    Place("Yukhari Askipara", "AZE", True, 584643, "Yuxarı Əskipara (enclave; context only)", "exclave"),
    Place("Barkhudarly", "AZE", True, 587051, None, "exclave"),
    Place("Sofulu", "AZE", True, 584951, None, "exclave"),
    Place("Acharkut", "ARM", True, 11362670, None),
    Place("Tsaghkavan", "ARM", True, 616151, None),
)

GEONAMES_DATASET = "GeoNames (via Who's On First)"
WIKIPEDIA_DATASET = "Wikipedia"
# Not every point of settlements_wikipedia.geojson is from Wikipedia (SOURCES.md).
NON_WIKIPEDIA = {"Berkaber": ("qerbiazerbaycan.com", "not stated by the source")}
WIKIPEDIA_LICENCE = {
    "Voskepar": "CC BY-SA (English Wikipedia; cite the page)",
}
DEFAULT_WIKIPEDIA_LICENCE = "CC BY-SA 4.0 (Wikipedia; cite the page)"

GEOD = Geod(ellps="WGS84")
TO_UTM = Transformer.from_crs("EPSG:4326", "EPSG:32638", always_xy=True)
SHARED_SIDE = {"AM": "ARM", "AZ": "AZE"}  # the shared data's `sides` use ISO alpha-2

_DMS = re.compile(
    r"(\d+)\s*°\s*(?:(\d+)\s*′)?\s*(?:(\d+(?:\.\d+)?)\s*″)?\s*(N|S|E|W|nord|sud|est|ouest)\b", re.IGNORECASE
)
_HEMISPHERE_SIGN = {"n": 1, "nord": 1, "e": 1, "est": 1, "s": -1, "sud": -1, "w": -1, "ouest": -1}


class SettlementError(RuntimeError):
    """An input does not hold what this script expects: nothing is written."""


def parse_dms(text: str) -> tuple[float, float, str]:
    """Latitude, longitude (degrees) and rounding ("arc-minute" / "arc-second") of a published DMS pair."""
    matches = _DMS.findall(text)
    if len(matches) != 2:
        msg = f"cannot read a DMS latitude and longitude from {text!r}"
        raise SettlementError(msg)
    values = []
    for deg, minutes, seconds, hemisphere in matches:
        value = int(deg) + int(minutes or 0) / 60 + float(seconds or 0) / 3600
        values.append(_HEMISPHERE_SIGN[hemisphere.lower()] * value)
    rounding = "arc-second" if all(m[2] for m in matches) else "arc-minute"
    return values[0], values[1], rounding


def _has_armenian(text: str) -> bool:
    return any("\u0530" <= ch <= "\u058f" for ch in text)


def geonames_local_name(props: dict, country: str) -> str:
    names = props.get("names", {})
    gn_name = props["geonames_props"]["gn:name"]
    if country == "ARM":
        for key in ("name:hye_x_preferred", "name:hye_x_variant"):
            for value in names.get(key, []):
                if _has_armenian(value):
                    return value
        return gn_name
    if not gn_name.isascii():
        return gn_name
    preferred = names.get("name:aze_x_preferred", [])
    return preferred[0] if preferred else gn_name


def geonames_feature(place: Place, wof: dict) -> dict:
    props = wof["properties"]
    gn = props["geonames_props"]
    lat, lon = gn["gn:latitude"], gn["gn:longitude"]
    if [lon, lat] != wof["geometry"]["coordinates"]:
        msg = f"GeoNames {place.geonames_id}: geometry {wof['geometry']['coordinates']!r} is not gn:longitude/latitude"
        raise SettlementError(msg)
    for value in (lat, lon):
        if round(value, 5) != value:
            msg = f"GeoNames {place.geonames_id}: {value!r} has more than 5 decimals"
            raise SettlementError(msg)
    return {
        "type": "Feature",
        "geometry": {"type": "Point", "coordinates": [lon, lat]},
        "properties": {
            "name": place.name,
            "name_local": geonames_local_name(props, place.country),
            "country": place.country,
            "rank": 0,
            "dataset": GEONAMES_DATASET,
            "source": f"{props['source']}; GeoNames modification date {gn['gn:modification_date']}",
            "licence": props["licence"],
            "published": f"{lat!r} {lon!r}",
            "rounding": "1e-5 degree",
            "geonames_id": place.geonames_id,
            "context": place.context,
        },
    }


def wikipedia_feature(place: Place, feature: dict) -> dict:
    props = feature["properties"]
    published = props["lat_dms"]
    lat, lon, rounding = parse_dms(published)
    lon_file, lat_file = feature["geometry"]["coordinates"]
    if abs(lat - lat_file) > 1e-6 or abs(lon - lon_file) > 1e-6:
        msg = f"{place.name}: coordinates {[lon_file, lat_file]!r} are not the published {published!r}"
        raise SettlementError(msg)
    if not props["precision"].startswith(rounding):
        msg = f"{place.name}: {published!r} reads as {rounding}, the file says {props['precision']!r}"
        raise SettlementError(msg)
    dataset, licence = NON_WIKIPEDIA.get(
        place.name, (WIKIPEDIA_DATASET, WIKIPEDIA_LICENCE.get(place.name, DEFAULT_WIKIPEDIA_LICENCE))
    )
    return {
        "type": "Feature",
        "geometry": {"type": "Point", "coordinates": [lon_file, lat_file]},
        "properties": {
            "name": place.name,
            "name_local": props["name_local"],
            "country": place.country,
            "rank": 0,
            "dataset": dataset,
            "source": props["source"],
            "licence": licence,
            "published": published,
            "rounding": rounding,
            "geonames_id": None,
            "context": place.context,
        },
    }


def build(geonames_path: Path, wikipedia_path: Path) -> list[dict]:
    wof = {f["properties"]["geonames_id"]: f for f in json.loads(geonames_path.read_text())["features"]}
    wiki = {f["properties"]["name"]: f for f in json.loads(wikipedia_path.read_text())["features"]}
    known_ids = {p.geonames_id for p in PLACES} | set(IGNORED_GEONAMES_IDS)
    known_wiki = {p.wikipedia_name for p in PLACES}
    unused = sorted(set(wof) - known_ids), sorted(set(wiki) - known_wiki)
    if unused[0] or unused[1]:
        msg = f"points in the inputs that no place claims: GeoNames {unused[0]!r}, Wikipedia {unused[1]!r}"
        raise SettlementError(msg)
    features = []
    for place in PLACES:
        mine = []
        if place.geonames_id is not None:
            mine.append(geonames_feature(place, wof[place.geonames_id]))
        if place.wikipedia_name is not None:
            mine.append(wikipedia_feature(place, wiki[place.wikipedia_name]))
        for rank, feature in enumerate(mine, start=1):
            feature["properties"]["rank"] = rank
        features.extend(mine)
    return features


def write(path: Path, features: list[dict]) -> None:
    """Sorted keys, Python's shortest round-trip floats, one feature a line: the same bytes on every run."""
    lines = [json.dumps(f, sort_keys=True, ensure_ascii=False) for f in features]
    text = '{"type": "FeatureCollection", "features": [\n' + ",\n".join(lines) + "\n]}\n"
    path.write_text(text, encoding="utf-8")


def _cross(u: np.ndarray, v: np.ndarray) -> float:
    return float(u[0] * v[1] - u[1] * v[0])


def side_of(line_parts: list[LineString], left: str, point_xy: tuple[float, float]) -> tuple[str, float]:
    """The country whose side of the line the point is on, and its distance (m) from the line, in UTM 38N."""
    other = "AZE" if left == "ARM" else "ARM"
    p = np.array(TO_UTM.transform(*point_xy))
    best: tuple[float, str] | None = None
    for part in line_parts:
        xy = np.column_stack(TO_UTM.transform(*np.asarray(part.coords).T))
        a, b = xy[:-1], xy[1:]
        d = b - a
        t = np.clip(((p - a) * d).sum(axis=1) / (d * d).sum(axis=1), 0.0, 1.0)
        foot = a + t[:, None] * d
        dist = np.hypot(*(p - foot).T)
        i = int(np.argmin(dist))
        if t[i] in (0.0, 1.0):
            # Nearest at a vertex: interior of both neighbours' projection fails only on the outer side of
            # the turn, so a point there is on the right of a left turn and on the left of a right turn.
            j = i if t[i] == 0.0 else i + 1  # the vertex index
            if j == 0 or j == len(xy) - 1:
                side = "beyond the end"
            else:
                turn = _cross(xy[j] - xy[j - 1], xy[j + 1] - xy[j])
                side = other if turn > 0 else left
        else:
            side = left if _cross(d[i], p - foot[i]) > 0 else other
        if best is None or dist[i] < best[0]:
            best = (float(dist[i]), side)
    assert best is not None
    return best[1], best[0]


COMPASS = ("N", "NE", "E", "SE", "S", "SW", "W", "NW")


def _short(feature: dict) -> str:
    return feature["properties"]["dataset"].split(" (")[0]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--geonames", type=Path, default=SHARED_GEONAMES)
    parser.add_argument("--wikipedia", type=Path, default=CASE_DIR / "settlements_wikipedia.geojson")
    parser.add_argument("--out", type=Path, default=CASE_DIR / "settlements.geojson")
    args = parser.parse_args(argv)

    features = build(args.geonames, args.wikipedia)
    write(args.out, features)
    print(f"wrote {args.out} ({len(features)} points)")

    print("\nplaces with two sources: rank 1 vs rank 2, geodesic distance on WGS 84")
    by_name: dict[str, list[dict]] = {}
    for f in features:
        by_name.setdefault(f["properties"]["name"], []).append(f)
    for name, fs in by_name.items():
        if len(fs) == 2:
            (lon1, lat1), (lon2, lat2) = (f["geometry"]["coordinates"] for f in fs)
            _, az21, dist_m = GEOD.inv(lon1, lat1, lon2, lat2)  # az21: from the rank-2 point to the rank-1 point
            compass = COMPASS[round((az21 % 360) / 45) % 8]
            print(
                f"  {name}: {_short(fs[0])} is {dist_m / 1000:.2f} km {compass} of {_short(fs[1])} "
                f"(azimuth {az21 % 360:.0f} deg)"
            )

    shared_sides = {
        f["properties"]["geonames_id"]: f["properties"].get("sides", {})
        for f in json.loads(args.geonames.read_text())["features"]
    }
    lines = {}
    for release in RELEASES:
        path = CASE_DIR / f"osm_tzbb_{release}.geojson"
        if path.exists():
            feature = json.loads(path.read_text())["features"][0]
            geom = shape(feature["geometry"])
            parts = [geom] if isinstance(geom, LineString) else list(geom.geoms)
            lines[release] = (parts, feature["properties"]["left"])
    if not lines:
        return 0
    print("\nside of each release's line (distance from it, m; '*' where the shared data's `sides` disagree)")
    print(f"  {'place':<18} {'dataset':<19}" + "".join(f" {r:>11}" for r in lines))
    for f in features:
        props = f["properties"]
        xy = tuple(f["geometry"]["coordinates"])
        cells = []
        for release, (parts, left) in lines.items():
            side, dist_m = side_of(parts, left, xy)
            recorded = shared_sides.get(props["geonames_id"], {}).get(release, {}).get("side")
            flag = "*" if recorded is not None and SHARED_SIDE[recorded] != side else ""
            cells.append(f" {side}{dist_m:>6.0f}{flag:<1}".rjust(12))
        print(f"  {props['name']:<18} {_short(f):<19}" + "".join(cells))
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except SettlementError as err:
        print(f"FAILED: {err}", file=sys.stderr)
        sys.exit(1)
