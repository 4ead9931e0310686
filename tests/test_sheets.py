"""Sheets of the Soviet topographic map: nomenclature, frames, control points, QGIS files.

References: published examples of the nomenclature (sources in the comments), hand
computation from the rule (shown), PROJ's command-line tools ``cs2cs`` and ``cct``
(Debian's PROJ build, not the one inside pyproj) and QGIS's own .points reader rules.
"""

from __future__ import annotations

import json
import math
import shutil
import subprocess
from pathlib import Path

import geopandas as gpd
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pyproj import CRS
from shapely import LineString, Point, box
from typer.testing import CliRunner

import borderkit
from borderkit._sheets import (
    GRID_SPACING_KM,
    QGIS_POINTS_HEADER,
    SCALES,
    accuracy_basis_text,
    accuracy_from_map_scale_m,
    sheet,
    sheet_gcps,
    sheet_name,
    sheets_covering,
    sheets_frame,
    write_gcps,
    write_qgis_points,
    write_sheets,
)
from borderkit.cli import app
from borderkit.errors import CaseError, CoordinateError, CRSError, ExportError, GeometryError, InputError

runner = CliRunner()


def _tool(name: str) -> str:
    path = shutil.which(name)
    if path is None:
        pytest.fail(f"{name} is not installed: `apt-get install proj-bin` (.ci/run does this)")
    return path


def cs2cs(source: str, target: str, rows: list[tuple[float, float]]) -> list[tuple[float, float]]:
    """PROJ's cs2cs in the CRSs' own axis order (EPSG:4284: lat, lon; EPSG:284xx: northing, easting)."""
    text = "".join(f"{float(a)!r} {float(b)!r}\n" for a, b in rows)
    out = subprocess.run(
        [_tool("cs2cs"), "-f", "%.10f", source, target], input=text, capture_output=True, text=True, check=True
    ).stdout
    return [(float(line.split()[0]), float(line.split()[1])) for line in out.splitlines()]


def cct(operation: str, rows: list[tuple[float, float]], *, inverse: bool = False) -> list[tuple[float, float]]:
    """PROJ's cct with one named EPSG operation; lat, lon in degrees (the operation's axis order)."""
    text = "".join(f"{float(lat)!r} {float(lon)!r} 0 0\n" for lat, lon in rows)
    args = [_tool("cct"), "-d", "10", *(["-I"] if inverse else []), operation]
    out = subprocess.run(args, input=text, capture_output=True, text=True, check=True).stdout
    return [(float(line.split()[0]), float(line.split()[1])) for line in out.splitlines()]


# ------------------------------------------------------------------ published examples

# Textbook examples of the 1:1,000,000 sheets: "St. Petersburg has the nomenclature O-36,
# Moscow N-37" (Russian topography textbooks, quoted e.g. at vapeviva.ru, "Определить
# номенклатуру листа карты масштаба 1:25000"). Smolensk: "N-36-41-В is a 1:50,000 sheet and
# N-36-41-В-а the 1:25,000 sheet with the town of Smolensk" (textbook passage quoted at
# 4-i-5.ru/text-3/page-1-ref-64738.php). Town coordinates: Wikipedia, to the arc-minute
# (WGS 84); every one lies at least 3 km inside its sheet, so the ~100 m SK-42 shift and
# the size of the town do not matter.
PUBLISHED = [
    ("Moscow", 37 + 37 / 60, 55 + 45 / 60, 1_000_000, "N-37"),
    ("St Petersburg", 30 + 19 / 60, 59 + 57 / 60, 1_000_000, "O-36"),
    ("Smolensk", 32 + 3 / 60, 54 + 47 / 60, 1_000_000, "N-36"),
    ("Smolensk", 32 + 3 / 60, 54 + 47 / 60, 100_000, "N-36-41"),
    ("Smolensk", 32 + 3 / 60, 54 + 47 / 60, 50_000, "N-36-41-В"),
    ("Smolensk", 32 + 3 / 60, 54 + 47 / 60, 25_000, "N-36-41-В-а"),
]


@pytest.mark.parametrize(("place", "lon", "lat", "scale", "expected"), PUBLISHED)
def test_sheet_name__published_examples(place: str, lon: float, lat: float, scale: int, expected: str) -> None:
    assert sheet_name(lon, lat, scale) == expected, place


# Hand computation from the rule for the Tavush settlements (data/tavush-2024, WGS 84;
# SK-42 lies ~105 m east and ~10 m north here, see test_sheet_name__wgs84_input_is_moved_to_sk42):
# K-38 is 40–44°N (row K = 10th letter after A: 10 × 4°) and 42–48°E (column 38: (38 − 1) × 6 − 180).
# 1:100,000: rows of 20′ from 44°N, columns of 30′ from 42°E. At 41°00′–41°20′N the row is
# (44° − 41°20′) / 20′ = 8, at 45°00′–45°30′E the column is (45° − 42°) / 30′ = 6, so sheet
# 8 × 12 + 6 + 1 = 103. 1:50,000: 41°00′–41°10′ is its southern half, 45°00′–45°15′ its western
# half: В (south-west). Every settlement below lies there, at least 2.9′ (5 km) from a frame.
TAVUSH = [
    ("Voskepar", 45.0575, 41.064722),  # 41°03′53″N 45°03′27″E
    ("Baghanis", 45.066667, 41.116667),  # 41°07′N 45°04′E: 3′ south of 41°10′
    ("Kirants", 45.101389, 41.050278),  # 41°03′01″N 45°06′05″E
    ("Berkaber", 45.133333, 41.05),  # 41°03′N 45°08′E
    ("Bağanis Ayrım", 45.081944, 41.096667),
    ("Aşağı Əskipara", 45.082778, 41.075556),
]


@pytest.mark.parametrize(("place", "lon", "lat"), TAVUSH)
def test_sheet_name__tavush_settlements_by_hand(place: str, lon: float, lat: float) -> None:
    assert sheet_name(lon, lat, 1_000_000) == "K-38", place
    assert sheet_name(lon, lat, 100_000) == "K-38-103", place
    assert sheet_name(lon, lat, 50_000) == "K-38-103-В", place


@pytest.mark.parametrize(
    ("lon", "lat", "scale", "expected"),
    [
        # Format examples "F-36-144, F-36-144-А, F-36-144-А-а" (3-net.ru, "Номенклатура карт крупных
        # масштабов"). By hand: F-36 is 20–24°N, 30–36°E; 144 is the south-east 20′ × 30′ part,
        # 20°00′–20°20′N 35°30′–36°00′E; А its north-west 10′ × 15′, 20°10′–20°20′ 35°30′–35°45′;
        # а the north-west 5′ × 7′30″ of that, 20°15′–20°20′ 35°30′–35°37′30″.
        (35.55, 20.3, 100_000, "F-36-144"),
        (35.55, 20.3, 50_000, "F-36-144-А"),
        (35.55, 20.3, 25_000, "F-36-144-А-а"),
        # 1:500,000 and 1:200,000 by hand in K-38 (40–44°N, 42–48°E): 45.5°E 41.5°N is in the
        # south-east 2° × 3° quarter, Г; its 40′ × 1° row is (44° − 41.5°) / 40′ = 3.75 -> 3, its
        # column (45.5 − 42) / 1° = 3.5 -> 3, part 3 × 6 + 3 + 1 = 22 = XXII.
        (45.5, 41.5, 500_000, "K-38-Г"),
        (45.5, 41.5, 200_000, "K-38-XXII"),
        # A corner belongs to the sheets north and east of it: 45°E 41°N is the south-west
        # corner of K-38-103 and of its 1:25,000 part В-в.
        (45.0, 41.0, 100_000, "K-38-103"),
        (45.0, 41.0, 25_000, "K-38-103-В-в"),
        # The equator and 180°W: A-1; 179.9°E: column 60.
        (-180.0, 0.0, 1_000_000, "A-1"),
        (179.9, 10.0, 1_000_000, "C-60"),
    ],
)
def test_sheet_name__sk42_degrees_by_hand(lon: float, lat: float, scale: int, expected: str) -> None:
    assert sheet_name(lon, lat, scale, crs="EPSG:4284") == expected


def test_sheet_name__wgs84_input_is_moved_to_sk42() -> None:
    # cct -I EPSG:15865 (the operation borderkit chooses in Armenia): WGS 84 44.9995°E 41.05°N
    # is SK-42 45.000751°E, east of the 45°E frame. Read as SK-42 it would be on K-38-102-Г.
    ((lat_sk42, lon_sk42),) = cct("EPSG:15865", [(41.05, 44.9995)], inverse=True)
    assert lon_sk42 > 45.0
    assert sheet_name(44.9995, 41.05, 50_000) == "K-38-103-В"
    assert sheet_name(44.9995, 41.05, 50_000, crs="EPSG:4284") == "K-38-102-Г"
    assert sheet_name(lon_sk42, lat_sk42, 50_000, crs="EPSG:4284") == "K-38-103-В"


# ------------------------------------------------------------------ names in and out


@pytest.mark.parametrize(
    ("typed", "official"),
    [
        ("K-38-103-В-а", "K-38-103-В-а"),
        ("k-38-103-v-a", "K-38-103-В-а"),  # Latin transliteration, lower case
        ("K 38 103 V A", "K-38-103-В-а"),  # spaces, upper case
        ("К–38–103–в–а", "K-38-103-В-а"),  # Cyrillic К, en dashes
        ("K_38_103_G_g", "K-38-103-Г-г"),
        ("K38-103-B-b", "K-38-103-Б-б"),  # Latin B is Б
        ("K-38-103-А", "K-38-103-А"),
        ("K-38-g", "K-38-Г"),
        ("K-38-B", "K-38-Б"),
        ("K-38-В", "K-38-В"),  # Cyrillic В after the million sheet: 1:500,000
        ("K-38-V", "K-38-V"),  # Latin V there: the roman numeral, 1:200,000
        ("K-38-xxxvi", "K-38-XXXVI"),
        ("n-37", "N-37"),
    ],
)
def test_sheet__names_are_normalised_to_the_official_form(typed: str, official: str) -> None:
    assert sheet(typed).name == official


@pytest.mark.parametrize(
    ("name", "fragment"),
    [
        ("K-38-145", "is not a 1:100,000 sheet name: the number after K-38 runs 1–144 (e.g. 'K-38-90')"),
        ("K-38-0", "the number after K-38 runs 1–144"),
        ("K-61", "is not a 1:1,000,000 sheet name: the column after K runs 1–60"),
        ("K-38-XXXVII", "is not a 1:200,000 sheet name: the roman numeral after K-38 runs I–XXXVI"),
        ("K-38-90-Д", "is not a 1:50,000 sheet name: the letter after K-38-90 is А, Б, В or Г"),
        ("K-38-90-В-д", "is not a 1:25,000 sheet name: the letter after K-38-90-В is а, б, в or г"),
        ("K-38-Г-1", "is not a 1:500,000 sheet name: nothing follows K-38-Г"),
        ("K-38-90-В-а-1", "scales above 1:25,000"),
        ("K-38-90-В-а-x", "is not a 1:25,000 sheet name: nothing follows K-38-90-В-а"),
        # The textbook's examples of double sheets north of 60°N (4-i-5.ru, as above).
        ("P-52-23,24", "double and quadruple sheets"),
        ("P-52-V,VI", "double and quadruple sheets"),
        ("Q-40", "north of 60°N"),
        ("Z-1", "the row letter 'Z' is not one of A–O"),
        ("K", "it starts with a row letter A–O and a column 1–60"),
        ("", "it starts with a row letter"),
        ("K-38-Ж", "after K-38 comes a letter А–Г (1:500,000), a roman numeral I–XXXVI"),
    ],
)
def test_sheet__malformed_name_is_one_clear_line(name: str, fragment: str) -> None:
    with pytest.raises(InputError) as err:
        sheet(name)
    text = str(err.value)
    assert fragment in text
    assert repr(name) in text
    assert "\n" not in text


def test_sheet__name_that_is_not_text_is_an_input_error() -> None:
    with pytest.raises(InputError, match="give the name as text"):
        sheet(38)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("lon", "lat", "error", "fragment"),
    [
        (45.0, -41.0, CoordinateError, "southern hemisphere is not supported"),
        (45.0, 60.0, CoordinateError, "north of 60°N"),
        (45.0, 75.0, CoordinateError, "double sheets"),
        (200.0, 41.0, CoordinateError, "not a longitude and latitude"),
        (float("nan"), 41.0, CoordinateError, "not a longitude and latitude"),
    ],
)
def test_sheet_name__unsupported_points_raise(lon: float, lat: float, error: type[Exception], fragment: str) -> None:
    with pytest.raises(error, match=fragment):
        sheet_name(lon, lat, 50_000)


def test_sheet_name__bad_scale_and_crs_raise() -> None:
    with pytest.raises(InputError, match=r"scale=10000 is not a scale of the Soviet series. Use one of 1000000"):
        sheet_name(45.0, 41.0, 10_000)
    with pytest.raises(InputError, match="scale=True"):
        sheet_name(45.0, 41.0, True)  # type: ignore[arg-type]
    with pytest.raises(CRSError, match=r"crs='EPSG:28408': give longitude and latitude in degrees"):
        sheet_name(45.0, 41.0, 50_000, crs="EPSG:28408")


def test_sheet__outside_the_epsg_gauss_kruger_zones_raises_crs_error() -> None:
    # N-31 is 0–6°E: zone 1, which EPSG has no Pulkovo 1942 CRS for (28402 is zone 2).
    with pytest.raises(CRSError, match="zone 1: EPSG defines Pulkovo 1942 / Gauss-Kruger zones 2–32"):
        sheet("N-31")


# ------------------------------------------------------------------ frames against PROJ


@pytest.mark.parametrize(
    ("name", "bounds", "epsg", "zone"),
    [
        # By hand (see TAVUSH above): K-38-103-В is 45°00′–45°15′E 41°00′–41°10′N; its 1:25,000
        # part а is the north-west quarter, 45°00′–45°07′30″ 41°05′–41°10′.
        ("K-38-103-В", (45.0, 41.0, 45.25, 41 + 10 / 60), "EPSG:28408", 8),
        ("K-38-103-В-а", (45.0, 41 + 5 / 60, 45.125, 41 + 10 / 60), "EPSG:28408", 8),
        # N-37 is 52–56°N, 36–42°E (zone 7); part 56 is row 4, column 7 (55 = 4 × 12 + 7):
        # 54°20′–54°40′N, 39°30′–40°00′E.
        ("N-37-56", (39.5, 54 + 20 / 60, 40.0, 54 + 40 / 60), "EPSG:28407", 7),
        # K-38-Г: the south-east quarter of K-38, 40–42°N 45–48°E.
        ("K-38-Г", (45.0, 40.0, 48.0, 42.0), "EPSG:28408", 8),
    ],
)
def test_sheet__frame_zone_and_projected_corners_match_cs2cs(
    name: str, bounds: tuple[float, float, float, float], epsg: str, zone: int
) -> None:
    s = sheet(name)
    assert s.bounds_sk42 == pytest.approx(bounds, abs=1e-12)
    assert (s.zone, s.projected_crs) == (zone, epsg)
    w, south, e, n = bounds
    expected = cs2cs("EPSG:4284", epsg, [(n, w), (n, e), (south, e), (south, w)])  # NW, NE, SE, SW
    corners = sheet_gcps(name, grid_km=0)
    assert list(corners["id"]) == ["corner NW", "corner NE", "corner SE", "corner SW"]
    for (northing, easting), r in zip(expected, corners.itertuples(), strict=True):
        assert r.easting_m == pytest.approx(easting, abs=1e-3)
        assert r.northing_m == pytest.approx(northing, abs=1e-3)
        assert int(r.easting_m // 1_000_000) == zone  # the zone prefix


def test_sheet__wgs84_corners_match_cct_with_the_recorded_operation() -> None:
    s = sheet("K-38-103-В")
    # In Armenia borderkit chooses EPSG:15865, "Pulkovo 1942 to WGS 84 (16)", 4.5 m (FACTS.md).
    assert s.transformation.code == "EPSG:15865"
    expected = cct("EPSG:15865", [(lat, lon) for lon, lat in s.corners_sk42])
    for (lat, lon), (got_lon, got_lat) in zip(expected, s.corners_wgs84, strict=True):
        assert got_lon == pytest.approx(lon, abs=1e-9)
        assert got_lat == pytest.approx(lat, abs=1e-9)


def test_sheet__explicit_operation_is_used_and_recorded() -> None:
    s = sheet("K-38-103-В", operation="EPSG:1808")
    assert s.transformation.code == "EPSG:1808"
    ((lat, lon),) = cct("EPSG:1808", [(41.0, 45.0)])
    assert s.corners_wgs84[0] == pytest.approx((lon, lat), abs=1e-9)


def test_sheet__repr_is_short() -> None:
    assert repr(sheet("K-38-103-В-а")) == (
        "<Sheet K-38-103-В-а 1:25,000: 45°00′–45°07′30″E 41°05′–41°10′N (SK-42), zone 8>"
    )


@settings(max_examples=150, deadline=None)
@given(
    lon=st.floats(36.0, 54.0, exclude_max=True),
    lat=st.floats(36.0, 48.0, exclude_max=True),
    scale=st.sampled_from(SCALES),
)
def test_sheet__point_to_name_to_frame_holds_the_point(lon: float, lat: float, scale: int) -> None:
    name = sheet_name(lon, lat, scale, crs="EPSG:4284")
    s = sheet(name)
    assert s.name == name
    assert s.scale == scale
    w, south, e, n = s.bounds_sk42
    tol = 1e-9  # degrees: frames are arc-second integers divided by 3600
    assert w - tol <= lon < e + tol
    assert south - tol <= lat < n + tol
    assert sheet(name.lower()).name == name


@settings(max_examples=60, deadline=None)
@given(lon=st.floats(43.5, 47.5), lat=st.floats(39.0, 41.0))
def test_sheet__wgs84_point_lies_in_the_wgs84_frame_of_its_sheet(lon: float, lat: float) -> None:
    # The operation chosen for one point and for four corners may differ (EPSG:1809 on the
    # Caspian coast, 15865 elsewhere); they agree to a few metres (FACTS.md: 2–6 m), so
    # the point must lie within 1e-4° (about 8–11 m) of the frame.
    s = sheet(sheet_name(lon, lat, 50_000))
    assert s.polygon_wgs84.buffer(1e-4).contains(Point(lon, lat))


# ------------------------------------------------------------------ sheets a geometry touches


def test_sheets_covering__a_box_over_a_corner_touches_four_sheets() -> None:
    # By hand: the box spans 40°54′–41°06′N and 44°54′–45°06′E (the SK-42 shift of ~100 m does
    # not reach a frame). Rows of 20′ from 44°N: 41°00′–41°20′ is row 8, 40°40′–41°00′ row 9;
    # columns of 30′ from 42°E: 44°30′–45°00′ is column 5, 45°00′–45°30′ column 6.
    # Sheets 8·12+5+1 = 102, 103 and 9·12+5+1 = 114, 115, north to south, west to east.
    got = sheets_covering(box(44.9, 40.9, 45.1, 41.1), 100_000)
    assert [s.name for s in got] == ["K-38-102", "K-38-103", "K-38-114", "K-38-115"]


def test_sheets_covering__too_many_sheets_is_a_geometry_error() -> None:
    # 12° × 12° at 1:25,000: 144 rows of 5′ × 96 columns of 7′30″ = 13,824 sheets, and more
    # with the rows and columns the box's SK-42 edges reach into.
    with pytest.raises(GeometryError, match=r"about 1[34],\d{3} sheets at 1:25,000 \(more than 5,000\)"):
        sheets_covering(box(36.0, 36.0, 48.0, 48.0), 25_000)


def test_sheets_frame__tavush_pairs_and_extent_are_on_k38_103_v(case: borderkit.Case) -> None:
    frame = sheets_frame(case, 50_000)
    assert frame.crs.to_epsg() == 4326
    by_name = frame.set_index("name")
    # Every settlement of the four pairs is on K-38-103-В (TAVUSH above, by hand); so is the
    # whole extent, 45.03–45.17°E 41.02–41.12°N (data/tavush-2024/extent.geojson).
    pairs_on = by_name.loc["K-38-103-В", "pairs"].split(",")
    assert set(pairs_on) == {"baghanis", "voskepar", "kirants", "berkaber"}
    assert [n for n, layers in by_name["layers"].items() if "extent" in layers.split(",")] == ["K-38-103-В"]
    assert by_name.loc["K-38-103-В", "operation"] == "EPSG:15865"
    assert list(frame.columns) == [
        "name",
        "scale",
        "zone",
        "projected_crs",
        "west_sk42",
        "south_sk42",
        "east_sk42",
        "north_sk42",
        "layers",
        "pairs",
        "operation",
        "geometry",
    ]


SYNTHETIC_STEPPE = """\
format = 1
id = "synthetic-steppe"
synthetic = true
title = "SYNTHETIC sheets case (made-up points in open steppe, not a real border)"

[[countries]]
code = "AAA"
name = "Synthland"

[[countries]]
code = "BBB"
name = "Testonia"

[[pairs]]
id = "p1"
AAA = "Synthetic A"
BBB = "Synthetic B"

[[pairs]]
id = "p2"
AAA = "Synthetic C"
BBB = "Nowhere at all (no coordinate)"
unpublished = ["Nowhere at all (no coordinate)"]

[layers.settlements]
role = "settlements"
path = "settlements.geojson"
crs = "EPSG:4326"
accuracy_m = 10

[layers.new_line]
role = "new_line"
path = "new_line.geojson"
crs = "EPSG:4326"
map_scale = {map_scale}
left = "AAA"
{accuracy}
"""


def _steppe_case(root: Path, write_geojson, *, map_scale: object = 50000, accuracy: str = "") -> Path:
    """A SYNTHETIC case on L-42 (44–48°N, 66–72°E), zone 12."""
    root.mkdir(parents=True, exist_ok=True)
    write_geojson(
        root / "settlements.geojson",
        ("Point", [66.40, 47.55]),
        ("Point", [66.60, 47.55]),
        ("Point", [66.45, 47.25]),
        properties=[
            {"name": "Synthetic A", "country": "AAA"},
            {"name": "Synthetic B", "country": "BBB"},
            {"name": "Synthetic C", "country": "AAA"},
        ],
    )
    write_geojson(root / "new_line.geojson", ("LineString", [[66.52, 47.1], [66.52, 47.7]]))
    (root / "case.toml").write_text(SYNTHETIC_STEPPE.format(map_scale=map_scale, accuracy=accuracy), encoding="utf-8")
    return root


def test_sheets_frame__pairs_are_covered_by_their_settlements_and_nearest_line(tmp_path, write_geojson) -> None:
    case = borderkit.load_case(_steppe_case(tmp_path / "steppe", write_geojson))
    frame = sheets_frame(case, 100_000)
    # By hand on L-42: rows of 20′ from 48°N, columns of 30′ from 66°E, part = row·12 + column + 1.
    # The line at 66.52°E (1.5 km east of the 66°30′ frame) from 47.1 to 47.7°N: column 1,
    # rows 0–2 -> parts 2, 14, 26. A (66.40, 47.55): row 1, column 0 -> 13. B (66.60, 47.55) -> 14.
    # C (66.45, 47.25): row 2, column 0 -> 25; its nearest line point (66.52, 47.25) -> 26.
    pairs = dict(zip(frame["name"], frame["pairs"], strict=True))
    assert pairs == {"L-42-2": "", "L-42-13": "p1", "L-42-14": "p1", "L-42-25": "p2", "L-42-26": "p2"}
    assert set(frame["projected_crs"]) == {"EPSG:28412"}
    assert dict(zip(frame["name"], frame["layers"], strict=True))["L-42-13"] == ""


# ------------------------------------------------------------------ control points


def test_sheet_gcps__grid_crossings_are_exactly_those_cs2cs_puts_inside_the_sheet() -> None:
    name, spacing_m = "K-38-103-В", 1000.0  # 1:50,000: the kilometre grid every 1 km
    gcps = sheet_gcps(name)
    grid = gcps[gcps["kind"] == "grid"]
    assert GRID_SPACING_KM[50_000] == 1.0
    # Candidates: every kilometre crossing around the corners (cs2cs) with 2 km to spare for
    # the curved parallels; inside = cs2cs's SK-42 lon/lat of the crossing within the frame.
    corners = cs2cs("EPSG:4284", "EPSG:28408", [(41.0, 45.0), (41.0, 45.25), (41 + 1 / 6, 45.25), (41 + 1 / 6, 45.0)])
    ns, es = zip(*corners, strict=True)
    e_range = np.arange(math.floor(min(es) / 1000) - 2, math.ceil(max(es) / 1000) + 3) * 1000.0
    n_range = np.arange(math.floor(min(ns) / 1000) - 2, math.ceil(max(ns) / 1000) + 3) * 1000.0
    candidates = [(n, e) for n in n_range for e in e_range]
    lat_lon = cs2cs("EPSG:28408", "EPSG:4284", candidates)
    expected = {
        (e, n)
        for (n, e), (lat, lon) in zip(candidates, lat_lon, strict=True)
        if 45.0 < lon < 45.25 and 41.0 < lat < 41 + 1 / 6
    }
    got = set(zip(grid["easting_m"], grid["northing_m"], strict=True))
    assert got == expected
    assert len(expected) > 300  # a 21 km × 18.5 km sheet: about 20 × 18 crossings
    first = grid.iloc[0]
    assert first["id"] == f"grid N{first.northing_m / 1000:.0f} E{first.easting_m / 1000:.0f}"
    # SK-42 lon/lat columns agree with cs2cs's inverse.
    for r in grid.head(5).itertuples():
        ((lat, lon),) = cs2cs("EPSG:28408", "EPSG:4284", [(r.northing_m, r.easting_m)])
        assert (r.lon_sk42, r.lat_sk42) == pytest.approx((lon, lat), abs=1e-9)
    assert (np.asarray(grid["easting_m"]) % spacing_m == 0).all()


def test_sheet_gcps__wgs84_columns_use_the_sheets_operation() -> None:
    gcps = sheet_gcps("K-38-103-В")
    rows = gcps.iloc[[0, 10, 200]]
    expected = cct("EPSG:15865", list(zip(rows["lat_sk42"], rows["lon_sk42"], strict=True)))
    for (lat, lon), r in zip(expected, rows.itertuples(), strict=True):
        assert (r.lon_wgs84, r.lat_wgs84) == pytest.approx((lon, lat), abs=1e-9)


def test_sheet_gcps__spacing_by_scale_and_on_request() -> None:
    g100 = sheet_gcps("K-38-103")  # 1:100,000: every 2 km
    grid = g100[g100["kind"] == "grid"]
    assert len(grid) > 0
    assert (np.asarray(grid["easting_m"]) % 2000 == 0).all()
    assert (np.asarray(grid["northing_m"]) % 2000 == 0).all()
    assert list(sheet_gcps("K-38-XXII")["kind"]) == ["corner"] * 4  # 1:200,000: no verified grid
    g4 = sheet_gcps("K-38-XXII", grid_km=4)
    assert ((np.asarray(g4.loc[g4["kind"] == "grid", "northing_m"]) % 4000) == 0).all()
    for bad in (-1, float("nan"), "2"):
        with pytest.raises(InputError, match="grid_km="):
            sheet_gcps("K-38-103", grid_km=bad)  # type: ignore[arg-type]


# QGIS reads a .points file as src/app/georeferencer/qgsgcplist.cpp (QgsGCPList::loadGcps,
# QGIS 3.28+) does: the first line, if it holds "#CRS: ", gives the CRS; the next line (the
# header) is skipped; every further line is split on "," and needs >= 4 fields: mapX, mapY,
# sourceX, sourceY (toDouble), then enable (toInt) from the 5th field on.
def _read_points_like_qgis(path: Path) -> tuple[CRS | None, list[tuple[float, float, str, str, int]]]:
    lines = path.read_text(encoding="utf-8").split("\n")
    assert lines[-1] == "", "newline-terminated"
    assert all(lines[:-1]), "one point per line, no blank lines"
    lines = lines[:-1]
    crs = None
    if "#CRS: " in lines[0]:
        crs = CRS.from_user_input(lines[0].replace("#CRS: ", ""))
        lines = lines[1:]
    rows = []
    for line in lines[1:]:
        fields = line.split(",")
        assert len(fields) >= 4, line
        rows.append((float(fields[0]), float(fields[1]), fields[2], fields[3], int(fields[4])))
    return crs, rows


def test_write_qgis_points__qgis_reads_map_coordinates_and_crs(tmp_path) -> None:
    gcps = sheet_gcps("K-38-103-В")
    out = write_qgis_points(gcps, tmp_path / "K-38-103-В.points")
    assert out.read_text(encoding="utf-8").splitlines()[1] == QGIS_POINTS_HEADER
    assert QGIS_POINTS_HEADER == "mapX,mapY,sourceX,sourceY,enable,dX,dY,residual"
    crs, rows = _read_points_like_qgis(out)
    assert crs is not None
    assert crs.to_epsg() == 28408
    assert len(rows) == len(gcps)
    for (x, y, px, py, enable), r in zip(rows, gcps.itertuples(), strict=True):
        assert (x, y) == pytest.approx((r.easting_m, r.northing_m), abs=1e-3)  # mapX = easting
        assert (px, py, enable) == ("", "", 0)  # pixels left for the analyst; off until placed
    assert sorted(p.name for p in tmp_path.iterdir()) == ["K-38-103-В.points"]  # no temporary left


def test_write_qgis_points__refuses_to_overwrite_without_the_flag(tmp_path) -> None:
    path = tmp_path / "a.points"
    path.write_text("keep me", encoding="utf-8")
    gcps = sheet_gcps("K-38-103-В", grid_km=0)
    with pytest.raises(ExportError, match="already exists"):
        write_qgis_points(gcps, path)
    assert path.read_text(encoding="utf-8") == "keep me"
    write_qgis_points(gcps, path, overwrite=True)
    assert path.read_text(encoding="utf-8").startswith("#CRS: ")


def test_write_qgis_points__needs_points_with_a_crs(tmp_path) -> None:
    with pytest.raises(InputError, match="no CRS"):
        write_qgis_points(gpd.GeoDataFrame(geometry=[Point(1, 2)]), tmp_path / "a.points")
    lines = gpd.GeoDataFrame(geometry=[LineString([(0, 0), (1, 1)])], crs="EPSG:28408")
    with pytest.raises(InputError, match="Point geometries only"):
        write_qgis_points(lines, tmp_path / "b.points")


def test_write_gcps__gpkg_keeps_gauss_kruger_geojson_is_wgs84(tmp_path) -> None:
    gcps = sheet_gcps("K-38-103-В")
    gpkg = gpd.read_file(write_gcps(gcps, tmp_path / "gcps.gpkg"))
    assert gpkg.crs.to_epsg() == 28408
    assert gpkg.geometry.x.to_numpy() == pytest.approx(gcps["easting_m"].to_numpy(), abs=1e-6)
    doc = json.loads(write_gcps(gcps, tmp_path / "gcps.geojson").read_text(encoding="utf-8"))
    lon, lat = doc["features"][0]["geometry"]["coordinates"]
    assert (lon, lat) == pytest.approx((gcps["lon_wgs84"].iloc[0], gcps["lat_wgs84"].iloc[0]), abs=1e-9)
    assert doc["features"][0]["properties"]["easting_m"] == pytest.approx(gcps["easting_m"].iloc[0])
    assert write_gcps(gcps, tmp_path / "gcps.points").read_text(encoding="utf-8").startswith("#CRS: ")
    with pytest.raises(ExportError, match="already exists"):
        write_gcps(gcps, tmp_path / "gcps.gpkg")
    with pytest.raises(ExportError, match=r"unknown suffix '\.kml'"):
        write_gcps(gcps, tmp_path / "gcps.kml")


def test_write_sheets__geojson_round_trips(tmp_path, case: borderkit.Case) -> None:
    frame = sheets_frame(case, 100_000)
    back = gpd.read_file(write_sheets(frame, tmp_path / "sheets.geojson"))
    assert list(back["name"]) == list(frame["name"])
    assert back.crs.to_epsg() == 4326


# ------------------------------------------------------------------ accuracy from the map scale


def test_accuracy_from_map_scale__half_a_millimetre_at_map_scale() -> None:
    # FACTS.md: "A 1:50,000 map digitised to 0.2–0.5 mm gives 10–25 m on the ground"; the rule
    # takes the upper end as 1 σ: 0.5 mm × 50,000 = 25 m, × 25,000 = 12.5 m, × 100,000 = 50 m.
    assert accuracy_from_map_scale_m(50_000) == pytest.approx(25.0)
    assert accuracy_from_map_scale_m(25_000) == pytest.approx(12.5)
    assert accuracy_from_map_scale_m(100_000) == pytest.approx(50.0)
    assert "1:50,000" in accuracy_basis_text(50_000)
    assert "0.2–0.5 mm" in accuracy_basis_text(50_000)
    for bad in (0, -5, float("inf"), True, "50000"):
        with pytest.raises(InputError, match="map_scale="):
            accuracy_from_map_scale_m(bad)  # type: ignore[arg-type]


def test_case__map_scale_gives_the_layer_accuracy_and_its_basis(tmp_path, write_geojson) -> None:
    case = borderkit.load_case(_steppe_case(tmp_path / "steppe", write_geojson))
    lay = case.layer("new_line")
    assert lay is not None
    assert lay.accuracy_m == pytest.approx(25.0)
    assert "1:50,000" in lay.accuracy_basis
    assert "0.5 mm" in lay.accuracy_basis
    assert lay.provenance()["accuracy_basis"] == lay.accuracy_basis
    settlements = case.layer("settlements")
    assert settlements is not None
    assert settlements.accuracy_basis == "accuracy_m in case.toml"


def test_case__accuracy_m_overrides_map_scale(tmp_path, write_geojson) -> None:
    case = borderkit.load_case(_steppe_case(tmp_path / "steppe", write_geojson, accuracy="accuracy_m = 7"))
    lay = case.layer("new_line")
    assert lay is not None
    assert lay.accuracy_m == 7
    assert lay.accuracy_basis == "accuracy_m in case.toml (overrides map_scale)"


@pytest.mark.parametrize(
    ("value", "fragment"),
    [("0", "0 is below 1"), ('"50000"', "expected int or float, got '50000'"), ("true", "got True")],
)
def test_case__bad_map_scale_is_a_case_error(tmp_path, write_geojson, value: str, fragment: str) -> None:
    root = _steppe_case(tmp_path / "steppe", write_geojson, map_scale=value)
    with pytest.raises(CaseError, match=r"layers\.new_line\.map_scale") as err:
        borderkit.load_case(root)
    assert fragment in str(err.value)


def test_case__neither_accuracy_nor_map_scale_names_both(tmp_path, write_geojson) -> None:
    root = _steppe_case(tmp_path / "steppe", write_geojson)
    toml = (root / "case.toml").read_text(encoding="utf-8").replace("map_scale = 50000\n", "")
    (root / "case.toml").write_text(toml, encoding="utf-8")
    with pytest.raises(CaseError, match=r"layers.new_line.accuracy_m: missing.*map_scale = 50000"):
        borderkit.load_case(root)


# ------------------------------------------------------------------ command line


def test_cli_sheets__lists_the_case_sheets_with_their_pairs() -> None:
    result = runner.invoke(app, ["sheets", "--scale", "100000"])
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert "3 sheets at 1:100,000" in lines[0]
    row = next(line for line in lines if line.startswith("K-38-103 "))
    assert "45°00′–45°30′E" in row
    assert "41°00′–41°20′N" in row
    assert "baghanis,voskepar,kirants,berkaber" in row


def test_cli_sheets__writes_the_frame_and_refuses_to_overwrite(tmp_path) -> None:
    out = tmp_path / "sheets.gpkg"
    assert runner.invoke(app, ["sheets", "-o", str(out)]).exit_code == 0
    assert "K-38-103-В" in set(gpd.read_file(out)["name"])
    again = runner.invoke(app, ["sheets", "-o", str(out)])
    assert again.exit_code == 2
    assert "--overwrite" in again.stderr
    assert runner.invoke(app, ["sheets", "-o", str(out), "--overwrite"]).exit_code == 0


def test_cli_sheets__gcps_to_points_file(tmp_path) -> None:
    out = tmp_path / "K-38-103-В.points"
    result = runner.invoke(app, ["sheets", "--gcps", "k-38-103-v", "-o", str(out)])
    assert result.exit_code == 0, result.output
    assert "(396 points)" in result.stdout
    crs, rows = _read_points_like_qgis(out)
    assert crs is not None
    assert crs.to_epsg() == 28408
    assert len(rows) == 396
    printed = runner.invoke(app, ["sheets", "--gcps", "K-38-103-В-а"])
    assert printed.exit_code == 0
    assert printed.stdout.startswith("K-38-103-В-а: ")
    assert "corner NW" in printed.stdout


@pytest.mark.parametrize(
    ("args", "fragment"),
    [
        (["sheets", "--gcps", "K-38-145"], "'K-38-145' is not a 1:100,000 sheet name"),
        (["sheets", "--scale", "10000"], "scale=10000 is not a scale of the Soviet series"),
        (["sheets", "tavush-2024", "--gcps", "K-38-103"], "drop the case"),
        (["sheets", "no-such-case"], "no case 'no-such-case'"),
    ],
)
def test_cli_sheets__errors_are_one_line(args: list[str], fragment: str) -> None:
    result = runner.invoke(app, args)
    assert result.exit_code == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1
    assert lines[0].startswith("borderkit: error: ")
    assert fragment in lines[0]


def test_plot__draws_the_sheet_frames_at_a_scale_with_their_names() -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    import borderkit

    ax = borderkit.plot(borderkit.analyse("tavush-2024", draws=0), sheets=25_000, inset=False)
    names = sorted(t.get_text().strip() for t in ax.texts if t.get_gid() == "sheet_name")
    plt.close(ax.figure)
    # By hand: the extent, lon 45.03–45.17, lat 41.02–41.12 (WGS 84, ~105 m from SK-42 here),
    # spans the 1:25,000 quarters of K-38-103-В (45°00′–45°15′E, 41°00′–41°10′N): а and б
    # north of 41°05′, в and г south of it, west and east of 45°07.5′.
    assert names == ["K-38-103-В-а", "K-38-103-В-б", "K-38-103-В-в", "K-38-103-В-г"]
