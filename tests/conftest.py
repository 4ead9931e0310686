"""Shared fixtures: independent reference tools and synthetic case folders."""

from __future__ import annotations

import json
import shutil
import subprocess
import textwrap
from collections.abc import Callable
from pathlib import Path

import matplotlib
import pytest

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
        out = subprocess.run([exe, "-i", "-p", "9"], input=f"{lat1} {lon1} {lat2} {lon2}\n",
                             capture_output=True, text=True, check=True).stdout
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
        (root / "old_line.geojson").write_text(_fc([_line(
            [(10.0, 0.0), (10.0, 0.04), (10.01, 0.04), (10.01, 0.06), (10.0, 0.06), (10.0, 0.1)])]))
        (root / "settlements.geojson").write_text(_fc([
            _point(9.99, 0.09, name="A-north", country="AAA"),
            _point(10.005, 0.05, name="B-north", country="BBB"),
            _point(9.99, 0.01, name="A-south", country="AAA"),
        ]))
        (root / "extent.geojson").write_text(_fc([{
            "type": "Feature", "properties": {},
            "geometry": {"type": "Polygon", "coordinates": [[[9.95, -0.01], [10.05, -0.01], [10.05, 0.11], [9.95, 0.11], [9.95, -0.01]]]},
        }]))
        toml = SYNTHETIC_TOML.format(old_line=OLD_LINE_TOML if with_old_line else "", total_km=total_km)
        (root / "case.toml").write_text(toml + textwrap.dedent(extra_toml))
        (root / "SOURCES.md").write_text("Synthetic test geometry, made by the test itself.\n")
        return root

    return build


MINIMAL_TOML = """\
format = 1
id = "synthetic-no-old-line"
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
    (folder / "settlements.geojson").write_text(json.dumps({"type": "FeatureCollection", "features": [
        {"type": "Feature", "properties": {"name": n, "country": c},
         "geometry": {"type": "Point", "coordinates": xy}} for n, c, xy in points]}), encoding="utf-8")
    line = [[9.95, 50.0], [10.0, 50.001], [10.05, 49.999], [10.1, 50.0]]
    (folder / "new_line.geojson").write_text(json.dumps({"type": "FeatureCollection", "features": [
        {"type": "Feature", "properties": {}, "geometry": {"type": "LineString", "coordinates": line}}]}),
        encoding="utf-8")
    return folder


@pytest.fixture
def minimal_case(tmp_path: Path) -> Callable[[], Path]:
    """A synthetic case folder with settlements and a new line only (no old line, no extent)."""
    return lambda: write_synthetic_case(tmp_path / "minimal-synthetic")
