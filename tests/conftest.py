"""Shared fixtures: independent reference tools and synthetic case folders."""

from __future__ import annotations

import json
import shutil
import subprocess
import textwrap
from collections.abc import Callable
from pathlib import Path

import geopandas as gpd
import matplotlib
import pytest
from shapely import LineString, Point, box

import borderkit

matplotlib.use("Agg")


def _tool(name: str, package: str) -> str:
    path = shutil.which(name)
    if path is None:
        pytest.fail(f"{name} is not installed: `apt-get install {package}` (.ci/run does this)")
    return path


@pytest.fixture(scope="session")
def geodsolve() -> Callable[[float, float, float, float], float]:
    """Distance in metres from GeographicLib's GeodSolve (lat1 lon1 lat2 lon2)."""
    exe = _tool("GeodSolve", "geographiclib-tools")

    def run(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
        out = subprocess.run(
            [exe, "-i", "-p", "9"], input=f"{lat1} {lon1} {lat2} {lon2}\n", capture_output=True, text=True, check=True
        ).stdout
        return float(out.split()[2])

    return run


@pytest.fixture(scope="session")
def planimeter() -> Callable[[list[tuple[float, float]]], tuple[float, float]]:
    """(perimeter_m, area_m2) of a lon/lat ring from GeographicLib's Planimeter."""
    exe = _tool("Planimeter", "geographiclib-tools")

    def run(lonlat: list[tuple[float, float]]) -> tuple[float, float]:
        text = "".join(f"{lat!r} {lon!r}\n" for lon, lat in lonlat)
        out = subprocess.run([exe, "-p", "6"], input=text, capture_output=True, text=True, check=True).stdout
        _, perimeter, area = out.split()
        return float(perimeter), float(area)

    return run


def _fc(features: list[dict]) -> str:
    return json.dumps({"type": "FeatureCollection", "features": features})


def _line(coords: list[tuple[float, float]], **props: object) -> dict:
    return {"type": "Feature", "properties": props, "geometry": {"type": "LineString", "coordinates": coords}}


def _point(lon: float, lat: float, **props: object) -> dict:
    return {"type": "Feature", "properties": props, "geometry": {"type": "Point", "coordinates": [lon, lat]}}


SYNTHETIC_TOML = """\
format = 1
id = "synthetic-case"
synthetic = true
title = "Synthetic case (test geometry, not a real border)"

[[countries]]
code = "AAA"
name = "Aland"

[[countries]]
code = "BBB"
name = "Bland"

[[pairs]]
id = "north"
section = 1
AAA = "A-north"
BBB = "B-north"

[[pairs]]
id = "south"
section = 2
AAA = "A-south"
BBB = "B-south-unknown"
unpublished = ["B-south-unknown"]

[layers.settlements]
role = "settlements"
path = "settlements.geojson"
crs = "EPSG:4326"
accuracy_m = 10
source = "synthetic"
licence = "CC0"

[layers.new_line]
role = "new_line"
path = "new_line.geojson"
crs = "EPSG:4326"
accuracy_m = 5
left = "AAA"
source = "synthetic"
{old_line}
[layers.extent]
role = "extent"
path = "extent.geojson"
crs = "EPSG:4326"
accuracy_m = 0

[[claims]]
id = "total"
quantity = "length"
scope = "total"
value = {total_km}
unit = "km"

[[claims]]
id = "area"
quantity = "area"
direction = "BBB"
value = 0.5
unit = "km2"
"""

OLD_LINE_TOML = """
[layers.old_line]
role = "old_line"
path = "old_line.geojson"
crs = "EPSG:4326"
accuracy_m = 5
left = "AAA"
"""


@pytest.fixture
def synthetic_case(tmp_path: Path) -> Callable[..., Path]:
    """Build a synthetic case folder in ``tmp_path``; returns its path.

    The synthetic new line runs due north along lon 10.0 from lat 0.0 to 0.1 (AAA on its
    left, i.e. west). The old line is the same but bulges 0.01° east between lat 0.04 and
    0.06, so the strip lon 10.00–10.01, lat 0.04–0.06 goes from AAA to BBB.
    """

    def build(*, with_old_line: bool = True, total_km: float = 11.1, extra_toml: str = "") -> Path:
        root = tmp_path / "synthetic-case"
        root.mkdir(exist_ok=True)
        (root / "new_line.geojson").write_text(_fc([_line([(10.0, 0.0), (10.0, 0.05), (10.0, 0.1)])]))
        (root / "old_line.geojson").write_text(
            _fc([_line([(10.0, 0.0), (10.0, 0.04), (10.01, 0.04), (10.01, 0.06), (10.0, 0.06), (10.0, 0.1)])])
        )
        (root / "settlements.geojson").write_text(
            _fc(
                [
                    _point(9.99, 0.09, name="A-north", country="AAA"),
                    _point(10.005, 0.05, name="B-north", country="BBB"),
                    _point(9.99, 0.01, name="A-south", country="AAA"),
                ]
            )
        )
        (root / "extent.geojson").write_text(
            _fc(
                [
                    {
                        "type": "Feature",
                        "properties": {},
                        "geometry": {
                            "type": "Polygon",
                            "coordinates": [
                                [[9.95, -0.01], [10.05, -0.01], [10.05, 0.11], [9.95, 0.11], [9.95, -0.01]]
                            ],
                        },
                    }
                ]
            )
        )
        toml = SYNTHETIC_TOML.format(old_line=OLD_LINE_TOML if with_old_line else "", total_km=total_km)
        (root / "case.toml").write_text(toml + textwrap.dedent(extra_toml))
        (root / "SOURCES.md").write_text("Synthetic test geometry, made by the test itself.\n")
        return root

    return build


MINIMAL_TOML = """\
format = 1
id = "synthetic-no-old-line"
synthetic = true
title = "SYNTHETIC case with no old line (test data, not a real border)"

[[countries]]
code = "AAA"
name = "Synthland"

[[countries]]
code = "BBB"
name = "Testonia"

[[pairs]]
id = "p1"
AAA = "Synthetic North A"
BBB = "Synthetic South B"

[layers.settlements]
role = "settlements"
path = "settlements.geojson"
crs = "EPSG:4326"
accuracy_m = 10
source = "synthetic test data"
licence = "CC0 1.0"

[layers.new_line]
role = "new_line"
path = "new_line.geojson"
crs = "EPSG:4326"
accuracy_m = 5
left = "AAA"
source = "synthetic test data"
licence = "CC0 1.0"

[[claims]]
id = "length-total"
quantity = "length"
scope = "total"
value = 3
unit = "km"
"""


def write_synthetic_case(folder: Path) -> Path:
    """A SYNTHETIC case folder: two settlements and a new line, no old line, no extent."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "case.toml").write_text(MINIMAL_TOML, encoding="utf-8")
    points = [("Synthetic North A", "AAA", [10.01, 50.02]), ("Synthetic South B", "BBB", [10.03, 49.98])]
    (folder / "settlements.geojson").write_text(
        json.dumps(
            {
                "type": "FeatureCollection",
                "features": [
                    {
                        "type": "Feature",
                        "properties": {"name": n, "country": c},
                        "geometry": {"type": "Point", "coordinates": xy},
                    }
                    for n, c, xy in points
                ],
            }
        ),
        encoding="utf-8",
    )
    line = [[9.95, 50.0], [10.0, 50.001], [10.05, 49.999], [10.1, 50.0]]
    (folder / "new_line.geojson").write_text(
        json.dumps(
            {
                "type": "FeatureCollection",
                "features": [
                    {"type": "Feature", "properties": {}, "geometry": {"type": "LineString", "coordinates": line}}
                ],
            }
        ),
        encoding="utf-8",
    )
    return folder


@pytest.fixture(scope="session")
def write_minimal_case() -> Callable[[Path], Path]:
    """:func:`write_synthetic_case` itself, for tests that build many folders (hypothesis)."""
    return write_synthetic_case


@pytest.fixture
def minimal_case(tmp_path: Path) -> Callable[[], Path]:
    """A synthetic case folder with settlements and a new line only (no old line, no extent)."""
    return lambda: write_synthetic_case(tmp_path / "minimal-synthetic")


# ---------------------------------------------------------------------- synthetic village (impact layers)
# Made up, at no real place: UTM zone 32S (EPSG:32732) on its central meridian, 9°E, at
# N 5 570 000 (about 40.02°S), open South Atlantic on the high seas, some 1 050 km from
# the nearest land (Cape Point) and far from any real border. Names are made up too.
VILLAGE_CRS = "EPSG:32732"
#: Origin of the village's local metres (x east, y north): about 9.0°E, 40.02°S.
E0, N0 = 500_000.0, 5_570_000.0

VILLAGE_CLAIMS = """
[[claims]]
id = "structures-3"
quantity = "count"
subject = "buildings"
scope = ["village-a"]
direction = "BBB"
value = 3
unit = "structures"
precision = 0

[[claims]]
id = "structures-9"
quantity = "count"
subject = "buildings"
scope = ["village-a"]
direction = "BBB"
value = 9
unit = "structures"
precision = 0

[[claims]]
id = "plots-5"
quantity = "count"
subject = "plots"
direction = "BBB"
value = 5
unit = "plots"
precision = 1

[[claims]]
id = "plots-7"
quantity = "count"
subject = "plots"
direction = "BBB"
value = 7
unit = "plots"
precision = 0

[[claims]]
id = "road-1.2km"
quantity = "length"
subject = "roads"
scope = ["village-a"]
direction = "BBB"
value = 1.2
unit = "km"

[[claims]]
id = "road-400m"
quantity = "length"
subject = "roads"
scope = ["village-a"]
direction = "BBB"
value = 400
unit = "m"

[[claims]]
id = "area-to-bbb"
quantity = "area"
direction = "BBB"
value = 1.0
unit = "km2"
"""


def _xy(x: float, y: float) -> tuple[float, float]:
    return (E0 + x, N0 + y)


def _sq(x: float, y: float, half: float = 5.0) -> object:
    return box(E0 + x - half, N0 + y - half, E0 + x + half, N0 + y + half)


def _rect(x0: float, y0: float, x1: float, y1: float) -> object:
    return box(E0 + x0, N0 + y0, E0 + x1, N0 + y1)


def _write(frame: gpd.GeoDataFrame, path: Path) -> None:
    frame.to_file(path, driver="GPKG" if path.suffix == ".gpkg" else "GeoJSON")


def write_village_case(
    root: Path,
    *,
    layers: tuple[str, ...] = ("buildings", "plots", "roads", "features"),
    claims: str = VILLAGE_CLAIMS,
    roads: list[tuple[str, list[tuple[float, float]]]] | None = None,
) -> Path:
    """Write the SYNTHETIC village case (see ``tests/test_impact.py``) into ``root``.

    ``roads`` replaces the road network: (name, [(x, y), ...]) in local metres.
    """
    root.mkdir(parents=True, exist_ok=True)
    crs = VILLAGE_CRS

    def lines(coords: list[tuple[float, float]], **props: object) -> gpd.GeoDataFrame:
        return gpd.GeoDataFrame(props, geometry=[LineString([_xy(*c) for c in coords])], crs=crs, index=[0])

    _write(lines([(0, -3000), (0, 3000)]), root / "old_line.geojson")
    _write(
        lines(
            [
                (0, -3000),
                (0, -2500),
                (5, -2500),
                (5, -2000),
                (0, -2000),
                (0, -1000),
                (-500, -1000),
                (-500, 1000),
                (0, 1000),
                (0, 1500),
                (200, 1500),
                (200, 2000),
                (0, 2000),
                (0, 3000),
            ]
        ),
        root / "new_line.geojson",
    )
    _write(gpd.GeoDataFrame(geometry=[_rect(-2000, -2800, 2000, 2800)], crs=crs), root / "extent.geojson")
    _write(
        gpd.GeoDataFrame(
            {"name": ["Synthetic village A", "Synthetic town B"], "country": ["AAA", "BBB"]},
            geometry=[Point(_xy(-1500, 0)), Point(_xy(1500, 0))],
            crs=crs,
        ),
        root / "settlements.geojson",
    )
    _write(
        gpd.GeoDataFrame(
            {"name": ["b1", "b2", "s60", "s40", "b-bulge", "b-village", "b-east"]},
            geometry=[
                _sq(-250, -500),
                _sq(-150, 300),
                _rect(-504, -205, -494, -195),  # 6 m of 10 inside the rectangle (x > -500): 60 %
                _rect(-506, 195, -496, 205),  # 4 m of 10 inside: 40 %
                _sq(100, 1750),
                _sq(-1500, 50),
                _sq(1200, 0),
            ],
            crs=crs,
        ),
        root / "buildings.gpkg",
    )
    _write(
        gpd.GeoDataFrame(
            {"name": ["p1", "p2", "p3", "p4", "p5-half", "p-out"]},
            geometry=[
                _rect(-450, -900, -250, -500),
                _rect(-250, -900, -50, -500),
                _rect(-450, -500, -250, -100),
                _rect(-250, -500, -50, -100),
                _rect(-600, 100, -400, 500),
                _rect(-1800, 0, -1600, 400),
            ],
            crs=crs,
        ),
        root / "plots.geojson",
    )
    v, p, q, r, t = (-1500, 0), (-700, 0), (-300, 0), (-300, 1300), (-300, 2600)
    d, e = (-1000, 400), (-1000, 1300)
    if roads is None:
        roads = [
            ("V-P", [v, p]),
            ("P-Q", [p, q]),
            ("Q-R", [q, r]),
            ("R-T", [r, t]),
            ("P-D", [p, d]),
            ("D-E", [d, e]),
            ("E-R", [e, r]),
        ]
    _write(
        gpd.GeoDataFrame(
            {"name": [n for n, _ in roads]},
            geometry=[LineString([_xy(*pt) for pt in coords]) for _, coords in roads],
            crs=crs,
        ),
        root / "roads.geojson",
    )
    _write(
        gpd.GeoDataFrame(
            {"name": ["Synthetic school", "Synthetic spring", "Synthetic town C"]},
            geometry=[Point(_xy(-540, -300)), Point(_xy(-100, -800)), Point(_xy(*t))],
            crs=crs,
        ),
        root / "places.geojson",
    )
    layer_toml = {
        "buildings": 'path = "buildings.gpkg"\naccuracy_m = 2\n',
        "plots": 'path = "plots.geojson"\naccuracy_m = 2\n',
        "roads": 'path = "roads.geojson"\naccuracy_m = 5\n',
        "features": 'path = "places.geojson"\naccuracy_m = 5\nname_field = "name"\n',
    }
    toml = f"""format = 1
id = "synthetic-village"
synthetic = true
title = "SYNTHETIC village (made-up test geometry at sea, not a real place or border)"

[[countries]]
code = "AAA"
name = "Synthland (synthetic)"

[[countries]]
code = "BBB"
name = "Testonia (synthetic)"

[[pairs]]
id = "village-a"
AAA = "Synthetic village A"
BBB = "Synthetic town B"

[layers.settlements]
role = "settlements"
path = "settlements.geojson"
crs = "{crs}"
accuracy_m = 10

[layers.new_line]
role = "new_line"
path = "new_line.geojson"
crs = "{crs}"
accuracy_m = 10
left = "AAA"

[layers.old_line]
role = "old_line"
path = "old_line.geojson"
crs = "{crs}"
accuracy_m = 5
left = "AAA"

[layers.extent]
role = "extent"
path = "extent.geojson"
crs = "{crs}"
accuracy_m = 0
"""
    for role in layers:
        toml += f'\n[layers.{role}]\nrole = "{role}"\ncrs = "{crs}"\n' + layer_toml[role]
    (root / "case.toml").write_text(toml + claims, encoding="utf-8")
    return root


@pytest.fixture(scope="session")
def make_village() -> Callable[..., Path]:
    """The synthetic village builder: ``make_village(root, layers=..., claims=..., roads=...)``."""
    return write_village_case


@pytest.fixture(scope="session")
def village(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The synthetic village case folder with every impact layer (see ``tests/test_impact.py``)."""
    return write_village_case(tmp_path_factory.mktemp("village") / "synthetic-village")


SK42_CSV = Path(__file__).parent / "data" / "synthetic_turning_points_sk42.csv"
SK42_TOML = """
[layers.turning_points]
role = "turning_points"
path = "turning_points_sk42.csv"
crs = "EPSG:28408"
accuracy_m = 5
line_type = "{line_type}"
"""


@pytest.fixture
def sk42_case(synthetic_case: Callable[..., Path]) -> Callable[..., Path]:
    """The synthetic case plus the SYNTHETIC SK-42 turning points of tests/data (Gauss–Krüger zone 8)."""

    def build(*, line_type: str = "geodesic", **kwargs: object) -> Path:
        root = synthetic_case(extra_toml=SK42_TOML.format(line_type=line_type), **kwargs)
        shutil.copy(SK42_CSV, root / "turning_points_sk42.csv")
        return root

    return build


@pytest.fixture(scope="session")
def case() -> borderkit.Case:
    """The shipped Tavush case (tests must not modify it)."""
    return borderkit.load_case("tavush-2024")


@pytest.fixture(scope="session")
def report(case: borderkit.Case) -> borderkit.Report:
    """``borderkit.verify`` of the shipped case, first-order only (no draws)."""
    return borderkit.analyse(case, draws=0)


@pytest.fixture
def write_geojson() -> Callable[..., None]:
    """Write synthetic geometries to a GeoJSON file: ``write(path, ("LineString", coords), ...)``.

    ``properties=[{...}, ...]`` gives each feature its properties (default: none).
    """

    def write(path: Path, *geometries: tuple[str, object], properties: list[dict] | None = None) -> None:
        props = properties or [{} for _ in geometries]
        features = [
            {"type": "Feature", "properties": p, "geometry": {"type": kind, "coordinates": coords}}
            for (kind, coords), p in zip(geometries, props, strict=True)
        ]
        path.write_text(json.dumps({"type": "FeatureCollection", "features": features}), encoding="utf-8")

    return write
