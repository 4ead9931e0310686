"""Tests for borderkit.convert: points in any CRS to WGS 84 GeoJSON or CSV, atomically."""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pyogrio
import pytest
from pyproj import Geod
from shapely import LineString

from borderkit import _io as io_module
from borderkit.convert import convert_points
from borderkit.errors import ExportError, InputError

GEOD = Geod(ellps="WGS84")
DATA = Path(__file__).parent / "data"
SYNTHETIC = DATA / "synthetic_turning_points_sk42.csv"
# The WGS 84 points the synthetic file was made from (see its comment lines).
EXPECTED = [
    (45.0575, 41.06472222222),
    (45.0700, 41.0700),
    (45.0820, 41.0780),
    (45.0900, 41.0850),
    (45.0980, 41.0950),
]


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture
def source(tmp_path: Path) -> Path:
    copy = tmp_path / "synthetic_turning_points_sk42.csv"
    shutil.copyfile(SYNTHETIC, copy)
    return copy


def test_convert_points__geojson_is_rfc7946_with_7_decimals(source: Path, tmp_path: Path) -> None:
    before = _digest(source)
    out = tmp_path / "tp.geojson"
    t = convert_points(source, out)
    assert t.code == "EPSG:15865"
    assert _digest(source) == before  # input never modified
    text = out.read_text(encoding="utf-8")
    doc = json.loads(text)
    assert "crs" not in doc
    assert doc["type"] == "FeatureCollection"
    numbers = re.findall(r"\[(-?\d+\.\d+), (-?\d+\.\d+)\]", text)
    assert len(numbers) == 5
    assert all(len(v.split(".")[1]) == 7 for pair in numbers for v in pair)
    props = doc["features"][0]["properties"]
    assert props["transformation"] == {
        "code": "EPSG:15865",
        "name": "Pulkovo 1942 to WGS 84 (16)",
        "accuracy_m": 4.5,
    }
    assert props["id"] == "TP-S01"
    back = pyogrio.read_dataframe(out)
    assert back.crs.to_epsg() == 4326
    for geom, (lon, lat) in zip(back.geometry, EXPECTED, strict=True):
        assert GEOD.inv(geom.x, geom.y, lon, lat)[2] < 0.01


def test_convert_points__csv_has_lon_lat_and_transformation_json(source: Path, tmp_path: Path) -> None:
    out = tmp_path / "tp.csv"
    convert_points(source, out, operation="EPSG:1808")
    table = pd.read_csv(out, dtype=str)
    assert list(table.columns[:2]) == ["lon", "lat"]
    assert all(len(v.split(".")[1]) == 7 for v in table["lon"])
    record = json.loads(table["transformation"][0])
    assert record["code"] == "EPSG:1808"
    assert set(record) == {"code", "name", "accuracy_m"}
    assert list(table["id"]) == ["TP-S01", "TP-S02", "TP-S03", "TP-S04", "TP-S05"]


def test_convert_points__refuses_to_overwrite_unless_asked(source: Path, tmp_path: Path) -> None:
    out = tmp_path / "tp.geojson"
    out.write_text("keep me", encoding="utf-8")
    with pytest.raises(ExportError, match=r"tp.geojson: already exists.*overwrite=True / --overwrite"):
        convert_points(source, out)
    assert out.read_text(encoding="utf-8") == "keep me"
    convert_points(source, out, overwrite=True)
    assert json.loads(out.read_text(encoding="utf-8"))["type"] == "FeatureCollection"
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted([source.name, out.name])


def test_convert_points__failed_write_leaves_old_output_and_no_temp_file(
    source: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    out = tmp_path / "tp.geojson"
    out.write_text("old", encoding="utf-8")

    def broken_replace(src: str, dst: str) -> None:
        raise OSError("disk full (simulated)")

    monkeypatch.setattr(io_module.os, "replace", broken_replace)
    with pytest.raises(ExportError, match="cannot be written"):
        convert_points(source, out, overwrite=True)
    monkeypatch.undo()
    assert out.read_text(encoding="utf-8") == "old"
    assert sorted(os.listdir(tmp_path)) == sorted([source.name, out.name])


def test_convert_points__never_writes_over_its_input(source: Path) -> None:
    before = _digest(source)
    with pytest.raises(ExportError, match="is the input file"):
        convert_points(source, source, overwrite=True)
    assert _digest(source) == before


def test_convert_points__unknown_suffix(source: Path, tmp_path: Path) -> None:
    with pytest.raises(ExportError, match=r"unknown output suffix '.kml'"):
        convert_points(source, tmp_path / "tp.kml")


def test_convert_points__dms_csv_to_geojson(tmp_path: Path) -> None:
    source = tmp_path / "dms.csv"
    source.write_text('name,coordinates\nsynthetic,"41° 03′ 53″ nord, 45° 03′ 27″ est"\n', "utf-8")
    t = convert_points(source, tmp_path / "dms.geojson", crs="EPSG:4326")
    assert t.code is None
    doc = json.loads((tmp_path / "dms.geojson").read_text(encoding="utf-8"))
    # 41 + 3/60 + 53/3600 = 41.0647222 (7 decimals); 45 + 3/60 + 27/3600 = 45.0575
    assert doc["features"][0]["geometry"]["coordinates"] == [45.0575, 41.0647222]
    assert doc["features"][0]["properties"]["transformation"]["accuracy_m"] == 0.0


def test_convert_points__lines_are_refused(tmp_path: Path) -> None:
    lines = tmp_path / "line.geojson"
    frame = gpd.GeoDataFrame(geometry=[LineString([(45.0, 41.0), (45.1, 41.1)])], crs="EPSG:4326")
    pyogrio.write_dataframe(frame, lines)
    with pytest.raises(InputError, match="non-point geometries"):
        convert_points(lines, tmp_path / "out.geojson")


def test_convert_points__header_only_csv_is_refused(tmp_path: Path) -> None:
    src = tmp_path / "synthetic_header_only.csv"
    src.write_text("order,lat,lon\n", encoding="utf-8")
    with pytest.raises(InputError, match="holds no points"):
        convert_points(src, tmp_path / "out.geojson", crs="EPSG:4326")
    assert not (tmp_path / "out.geojson").exists()


def test_read_layer__decimal_commas_in_a_comma_csv_get_a_hint(tmp_path: Path) -> None:
    from borderkit.readers import read_layer

    src = tmp_path / "synthetic_decimal_comma.csv"
    src.write_text("order,lat,lon\n1,41.06,45.05\n2,41,07,45,06\n", encoding="utf-8")
    with pytest.raises(InputError, match="decimal comma in a comma-separated file"):
        read_layer(src, crs="EPSG:4326")
