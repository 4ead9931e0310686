"""Tests for borderkit/export.py: every format opened again with GDAL, measured independently."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import zipfile
from pathlib import Path

import numpy as np
import pyogrio
import pytest
import shapely

import borderkit
from borderkit import _export as ex
from borderkit._layers import IMPACT_LAYERS, ExportLayer, export_layers, round_geometry
from borderkit.errors import ExportError
from borderkit.geodesy import geodesic_area_m2, geodesic_length_m

FORMATS = ["t.geojson", "t.gpkg", "t.kml", "t.shp.zip", "t.csv"]


def _tool(name: str) -> str:
    path = shutil.which(name)
    if path is None:
        pytest.fail(
            f"{name!r} is not installed: the export tests check files with it. "
            "Install it: apt-get install gdal-bin geographiclib-tools"
        )
    return path


@pytest.fixture(scope="module")
def layers(case: borderkit.Case, report: borderkit.Report) -> list[ExportLayer]:
    return export_layers(report)


@pytest.fixture(scope="module")
def outputs(
    tmp_path_factory: pytest.TempPathFactory, case: borderkit.Case, report: borderkit.Report
) -> dict[str, Path]:
    d = tmp_path_factory.mktemp("export")
    return {name: ex.export(report, d / name) for name in FORMATS}


@pytest.fixture(scope="module")
def geojson(outputs: dict[str, Path]) -> dict:
    return json.loads(outputs["t.geojson"].read_text(encoding="utf-8"))


# ---------------------------------------------------------------------- GeoJSON (RFC 7946)
def test_geojson__has_no_crs_member_and_every_layer(geojson: dict, layers: list[ExportLayer]) -> None:
    assert "crs" not in geojson
    assert geojson["type"] == "FeatureCollection"
    assert [f["properties"]["layer"] for f in geojson["features"]] == [
        lay.name for lay in layers for _ in range(len(lay.frame))
    ]
    # The role layers, the five new_line_alt renderings of case.toml by their names, and the results.
    assert {
        "settlements",
        "new_line",
        "osm_2025a",
        "osm_2024b",
        "osm_2024a",
        "gb_2020",
        "gb_2021",
        "old_line",
        "extent",
        "segments",
        "sections",
        "handed_over",
    } == {f["properties"]["layer"] for f in geojson["features"]}


def test_geojson__every_feature_carries_pair_provenance_and_transformation(geojson: dict, case) -> None:
    for f in geojson["features"]:
        p = f["properties"]
        assert {"layer", "pair", "source", "licence", "transformation"} <= set(p)
        assert p["source"]
        assert p["licence"]
        assert set(p["transformation"]) >= {"source_crs", "code", "name", "accuracy_m"}
    line = next(f for f in geojson["features"] if f["properties"]["layer"] == "new_line")
    assert line["properties"]["transformation"] == case.layer("new_line").transformation.to_dict()
    assert line["properties"]["licence"] == case.layer("new_line").licence


def test_geojson__coordinates_are_lonlat_with_at_most_7_decimals(outputs: dict[str, Path], geojson: dict) -> None:
    text = outputs["t.geojson"].read_text(encoding="utf-8")
    for m in re.finditer(r'"coordinates":(\[[^"]*\])', text):
        for num in re.findall(r"-?\d+(?:\.\d+)?(?:[eE][-+]?\d+)?", m.group(1)):
            assert len(num.split(".")[1]) <= 7 if "." in num else True, num
    xy = np.concatenate([shapely.get_coordinates(shapely.geometry.shape(f["geometry"])) for f in geojson["features"]])
    # Tavush/Gazakh lies at 45°E, 41°N: lon first.
    assert (xy[:, 0] > 44).all()
    assert (xy[:, 0] < 46).all()
    assert (xy[:, 1] > 40).all()
    assert (xy[:, 1] < 42).all()


def test_geojson__exteriors_counter_clockwise_holes_clockwise(geojson: dict) -> None:
    polys = [
        shapely.geometry.shape(f["geometry"])
        for f in geojson["features"]
        if f["geometry"]["type"] in ("Polygon", "MultiPolygon")
    ]
    assert polys
    for g in polys:
        for part in shapely.get_parts(g):
            assert shapely.is_ccw(part.exterior)
            for hole in part.interiors:
                assert not shapely.is_ccw(hole)


def test_round_geometry__clockwise_input_comes_out_counter_clockwise() -> None:
    cw = shapely.Polygon([(0, 0), (0, 1), (1, 1), (1, 0)], holes=[[(0.2, 0.2), (0.8, 0.2), (0.8, 0.8)]])
    g = round_geometry(cw)
    assert shapely.is_ccw(g.exterior)
    assert not shapely.is_ccw(g.interiors[0])


def test_geojson__length_and_area_are_of_the_written_geometry(geojson: dict) -> None:
    for f in geojson["features"]:
        g = shapely.geometry.shape(f["geometry"])
        p = f["properties"]
        if g.geom_type.endswith("LineString"):
            assert p["length_m"] == pytest.approx(geodesic_length_m(g), abs=1e-3)
        if g.geom_type.endswith("Polygon"):
            assert p["area_m2"] == pytest.approx(geodesic_area_m2(g), abs=1e-2)


def test_geojson__segment_length_agrees_with_geodsolve(geojson: dict) -> None:
    seg = next(f for f in geojson["features"] if f["properties"]["layer"] == "segments")
    (lon1, lat1), (lon2, lat2) = seg["geometry"]["coordinates"]
    out = subprocess.run(
        [_tool("GeodSolve"), "-i", "-p", "9"],
        input=f"{lat1} {lon1} {lat2} {lon2}\n",
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    assert seg["properties"]["length_m"] == pytest.approx(float(out[2]), abs=1e-3)


def test_geojson__handed_over_area_agrees_with_planimeter(geojson: dict) -> None:
    face = max(
        (f for f in geojson["features"] if f["properties"]["layer"] == "handed_over"),
        key=lambda f: f["properties"]["area_m2"],
    )
    assert face["geometry"]["type"] == "Polygon"
    ring = face["geometry"]["coordinates"][0][:-1]
    holes = face["geometry"]["coordinates"][1:]
    text = "".join(f"{lat} {lon}\n" for lon, lat in ring)
    out = subprocess.run(
        [_tool("Planimeter"), "-p", "6"], input=text, capture_output=True, text=True, check=True
    ).stdout.split()
    area = abs(float(out[2]))
    for hole in holes:  # none expected here, but a hole's area comes off
        t = "".join(f"{lat} {lon}\n" for lon, lat in hole[:-1])
        area -= abs(
            float(
                subprocess.run(
                    [_tool("Planimeter")], input=t, capture_output=True, text=True, check=True
                ).stdout.split()[2]
            )
        )
    assert face["properties"]["area_m2"] == pytest.approx(area, abs=0.05)


# ---------------------------------------------------------------------- line basis, slivers, verdicts
def test_geojson__foreign_member_says_the_new_line_is_a_proxy(geojson: dict, report) -> None:
    # RFC 7946 §6.1 allows foreign members; GDAL ignores this one.
    meta = geojson["borderkit"]
    assert meta["case"] == "tavush-2024"
    assert meta["line_basis"] == report.measurements.line_basis != "turning points"
    assert meta["notes"] == list(report.measurements.notes)
    assert any("proxy" in n for n in meta["notes"])
    assert meta["synthetic"] is False


def test_geojson__derived_features_carry_basis_and_proxy_names(geojson: dict, report) -> None:
    derived = [
        f["properties"]
        for f in geojson["features"]
        if f["properties"]["layer"] in ("segments", "sections", "handed_over")
    ]
    assert derived
    assert {p["basis"] for p in derived} == {report.measurements.line_basis}
    faces = [p for p in derived if p["layer"] == "handed_over"]
    assert {p["name"] for p in faces} == {"now on Azerbaijan's side", "now on Armenia's side"}
    assert not any(p["name"].startswith("to ") for p in faces)


def test_gpkg__layer_descriptions_say_the_line_basis(outputs) -> None:
    import sqlite3

    with sqlite3.connect(outputs["t.gpkg"]) as db:
        rows = dict(db.execute("SELECT table_name, description FROM gpkg_contents").fetchall())
    assert set(rows) >= {"handed_over", "sections", "new_line"}
    for text in rows.values():
        assert "line basis: between outermost pairs" in text
        assert "proxy" in text
        assert "SYNTHETIC" not in text


@pytest.mark.parametrize("name", ["t.gpkg", "t.shp.zip"])
def test_export__slivers_read_back_flagged_with_width_and_no_claims(outputs, report, name: str) -> None:
    frame = pyogrio.read_dataframe(outputs[name], layer="handed_over")
    if name == "t.shp.zip":
        frame = frame.rename(columns={v: k for k, v in ex.SHAPEFILE_FIELDS.items()})
    areas = report.measurements.areas
    assert list(frame["sliver"].astype(bool)) == list(areas["sliver"].astype(bool))
    np.testing.assert_allclose(frame["width_m"].astype(float), areas["width_m"].astype(float), atol=0.05)
    # Each face says what it is: in Tavush, faces holding a named village, slivers, and
    # mapping differences (the faces holding none of the villages the area claim names).
    assert list(frame["kind"]) == list(areas["kind"])
    assert set(frame["kind"]) == {"named villages", "sliver", "mapping difference"}
    # A sliver is a face narrower than the two lines' accuracies together: case.toml gives
    # 75 m (osm_2026c) and 600 m (osm_2023b), sqrt(75**2 + 600**2) = 604.67 m.
    assert report.measurements.sliver_width_m == pytest.approx(604.67, abs=0.01)
    width = frame["width_m"].astype(float)
    slivers = frame[frame["sliver"].astype(bool)]
    assert len(slivers) >= 1
    assert list(frame["sliver"].astype(bool)) == list(width < 604.67)
    assert all(not c for c in slivers["claims"].fillna(""))
    # Faces to Azerbaijan that are no slivers hold the villages the area claim names, and carry it.
    to_aze = frame[(frame["to_country"] == "AZE") & ~frame["sliver"].astype(bool)]
    assert len(to_aze) >= 1
    assert all(str(c).startswith("area-to-aze: ") for c in to_aze["claims"])
    held = {"Baghanis Ayrum", "Ashaghi Askipara", "Kheyrimli", "Ghizilhajili"}  # the claim's `holding`
    assert all(held & set(str(n).split("; ")) for n in to_aze["settlements"])


def test_shapefile_fields__new_fields_fit() -> None:
    for key in ("sliver", "width_m", "basis", "claims_first_order", "claims_interval"):
        assert len(ex.SHAPEFILE_FIELDS[key]) <= 10


@pytest.fixture(scope="module")
def mc_report(case):
    return borderkit.analyse(case, draws=300, seed=3)


def test_export__claims_use_the_final_verdict_and_carry_first_order_and_interval(tmp_path, case, mc_report) -> None:
    doc = json.loads(ex.export(mc_report, tmp_path / "mc.geojson").read_text(encoding="utf-8"))
    by_id = {v.claim.id: v for v in mc_report.verdicts}
    sections = [f["properties"] for f in doc["features"] if f["properties"]["layer"] == "sections"]
    kirants = next(p for p in sections if p["pair"] == "kirants")
    v = by_id["stretch-kirants"]
    assert kirants["claims"] == f"stretch-kirants: {v.final_verdict}"
    assert kirants["claims_first_order"] == f"stretch-kirants: {v.verdict}"
    lo, _, hi = v.interval
    assert kirants["claims_interval"].startswith(f"stretch-kirants: {lo:.3f}–{hi:.3f} km (95 %")


def test_export__default_verification_is_monte_carlo_and_byte_stable(tmp_path, case) -> None:
    a = ex.export(case, tmp_path / "a.geojson")
    b = ex.export(case, tmp_path / "b.geojson")
    assert a.read_bytes() == b.read_bytes()
    doc = json.loads(a.read_text(encoding="utf-8"))
    kirants = next(
        f["properties"]
        for f in doc["features"]
        if f["properties"]["layer"] == "sections" and f["properties"]["pair"] == "kirants"
    )
    assert kirants["claims_interval"]


def test_export__turning_points_case_says_handed_over_and_synthetic(sk42_case, tmp_path) -> None:
    root = sk42_case()
    case = borderkit.load_case(root)
    report = borderkit.analyse(case, draws=0)
    doc = json.loads(ex.export(report, tmp_path / "tp.geojson").read_text(encoding="utf-8"))
    assert doc["borderkit"]["line_basis"] == "turning points"
    assert doc["borderkit"]["synthetic"] is True
    props = [f["properties"] for f in doc["features"]]
    assert {p["basis"] for p in props if p["layer"] in ("segments", "sections", "handed_over")} == {"turning points"}
    assert {p["name"] for p in props if p["layer"] == "handed_over"} == {"to Bland"}
    out = ex.export(report, tmp_path / "tp.gpkg")
    import sqlite3

    with sqlite3.connect(out) as db:
        (desc,) = db.execute("SELECT description FROM gpkg_contents WHERE table_name = 'handed_over'").fetchone()
    assert "line basis: turning points" in desc
    assert "proxy" not in desc
    assert "SYNTHETIC" in desc


# ---------------------------------------------------------------------- every format through GDAL
@pytest.mark.parametrize("name", ["t.geojson", "t.gpkg", "t.kml", "t.shp.zip"])
def test_export__gdal_finds_same_features_geometries_and_values(outputs, layers, name: str) -> None:
    path = outputs[name]
    if name == "t.geojson":
        frame = pyogrio.read_dataframe(path)
        found = {lay.name: frame[frame["layer"] == lay.name] for lay in layers}
    else:
        assert [str(n) for n, _ in pyogrio.list_layers(path)] == [lay.name for lay in layers]
        found = {lay.name: pyogrio.read_dataframe(path, layer=lay.name) for lay in layers}
    for lay in layers:
        got = found[lay.name].reset_index(drop=True)
        assert len(got) == len(lay.frame), lay.name
        for a, b in zip(got.geometry, lay.frame.geometry, strict=True):
            # The Shapefile specification stores exterior rings clockwise; GDAL follows it.
            a = shapely.orient_polygons(shapely.force_2d(a)) if name == "t.shp.zip" else shapely.force_2d(a)
            assert shapely.equals_exact(a, b, tolerance=1e-9), lay.name
        for col in ("length_m", "area_m2"):
            if col in lay.frame.columns:
                np.testing.assert_allclose(got[col].astype(float), lay.frame[col].astype(float), atol=1e-6)
        assert list(got["pair"].fillna("")) == list(lay.frame["pair"])


@pytest.mark.parametrize("name", FORMATS)
def test_export__ogrinfo_reads_every_layer(outputs, layers, name: str) -> None:
    res = subprocess.run([_tool("ogrinfo"), "-al", "-so", str(outputs[name])], capture_output=True, text=True)
    assert res.returncode == 0, res.stderr
    counts = [int(n) for n in re.findall(r"Feature Count: (\d+)", res.stdout)]
    if name == "t.geojson":
        assert counts == [sum(len(lay.frame) for lay in layers)]
    elif name == "t.csv":
        assert counts == [len(next(lay for lay in layers if lay.name == "segments").frame)]
    else:
        assert counts == [len(lay.frame) for lay in layers]
        assert re.findall(r"Layer name: (\S+)", res.stdout) == [lay.name for lay in layers]


def test_gpkg__field_types_are_plain(outputs) -> None:
    info = pyogrio.read_info(outputs["t.gpkg"], layer="handed_over")
    types = dict(zip(info["fields"], info["dtypes"], strict=True))
    assert types["area_m2"] == "float64"
    assert types["to_country"] == "object"
    assert info["crs"] == "EPSG:4326"


def test_shapefile_zip__field_names_fit_and_map_is_shipped(outputs) -> None:
    with zipfile.ZipFile(outputs["t.shp.zip"]) as z:
        names = z.namelist()
        assert "fields.txt" in names
        assert "distance_to_new_m" in z.read("fields.txt").decode()
    assert {"settlements.shp", "handed_over.dbf", "segments.prj"} <= set(names)
    assert all(len(v) <= 10 for v in ex.SHAPEFILE_FIELDS.values())
    frame = pyogrio.read_dataframe(outputs["t.shp.zip"], layer="settlements")
    assert "dist_new_m" in frame.columns


def test_shp__writes_one_set_per_layer(tmp_path, case, report, layers) -> None:
    out = ex.export(report, tmp_path / "tav.shp")
    assert out == tmp_path
    for lay in layers:
        assert (tmp_path / f"tav_{lay.name}.shp").is_file()
    with pytest.raises(ExportError, match="exists"):
        ex.export(report, tmp_path / "tav.shp")


def test_csv__segments_sum_to_total_and_wkt_matches(outputs, layers, report) -> None:
    import csv

    with outputs["t.csv"].open(encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(fh))
    seg = next(lay for lay in layers if lay.name == "segments").frame
    assert len(rows) == len(seg)
    total = sum(float(r["length_m"]) for r in rows)
    assert float(rows[-1]["cumulative_length_m"]) == pytest.approx(total, abs=0.01)
    # Rounding to 7 decimals moves the total by well under a metre.
    assert total == pytest.approx(report.measurements.total_length_m, abs=1.0)
    first = shapely.from_wkt(rows[0]["WKT"])
    assert first.coords[0] == (float(rows[0]["lon_start"]), float(rows[0]["lat_start"]))


# ---------------------------------------------------------------------- file safety
@pytest.mark.parametrize("name", FORMATS)
def test_export__is_byte_stable(tmp_path, case, report, outputs, name: str) -> None:
    again = ex.export(report, tmp_path / name)
    assert again.read_bytes() == outputs[name].read_bytes()


def test_export__refuses_to_overwrite(tmp_path, case, report) -> None:
    out = tmp_path / "a.geojson"
    out.write_text("old", encoding="utf-8")
    with pytest.raises(ExportError, match="overwrite"):
        ex.export(report, out)
    assert out.read_text(encoding="utf-8") == "old"
    ex.export(report, out, overwrite=True)
    assert json.loads(out.read_text(encoding="utf-8"))["type"] == "FeatureCollection"


def test_export__bad_suffix_names_it_and_the_allowed_ones(tmp_path, case) -> None:
    with pytest.raises(ExportError, match=r"'\.xlsx'.*\.geojson.*\.gpkg.*\.kml"):
        ex.export(case, tmp_path / "a.xlsx")


@pytest.mark.parametrize("name", ["a.geojson", "a.gpkg"])
def test_export__failing_writer_leaves_old_file_and_no_temp(tmp_path, case, report, monkeypatch, name: str) -> None:
    out = tmp_path / name
    out.write_bytes(b"old content")

    def half_then_fail(*args, **kwargs):
        tmp = next(a for a in args if isinstance(a, Path))
        tmp.write_bytes(b"half")
        raise RuntimeError("disk full (simulated)")

    monkeypatch.setattr(ex, "_write_geojson", half_then_fail)
    monkeypatch.setattr(ex, "_write_gdal", half_then_fail)
    with pytest.raises(ExportError, match="disk full"):
        ex.export(report, out, overwrite=True)
    assert out.read_bytes() == b"old content"
    assert sorted(p.name for p in tmp_path.iterdir()) == [name]


# ---------------------------------------------------------------------- a case with no old line
def test_export__synthetic_case_without_old_line(minimal_case, tmp_path) -> None:
    case = borderkit.load_case(minimal_case())
    names = [lay.name for lay in export_layers(borderkit.analyse(case, draws=0))]
    assert "handed_over" not in names
    assert "old_line" not in names
    assert names[:2] == ["settlements", "new_line"]
    report = borderkit.analyse(case, draws=0)
    out = ex.export(report, tmp_path / "s.gpkg")
    assert "handed_over" not in [str(n) for n, _ in pyogrio.list_layers(out)]
    doc = json.loads(ex.export(report, tmp_path / "s.geojson").read_text(encoding="utf-8"))
    assert {f["properties"]["licence"] for f in doc["features"]} == {"CC0 1.0"}


# ---------------------------------------------------------------------- impact layers (synthetic village)
IMPACT_FORMATS = ["v.geojson", "v.gpkg", "v.kml", "v.shp.zip", "v.csv"]


@pytest.fixture(scope="module")
def village_case(village: Path) -> borderkit.Case:
    return borderkit.load_case(village)


@pytest.fixture(scope="module")
def village_impact(village_case: borderkit.Case):
    from borderkit._impact import impact

    return impact(village_case)


@pytest.fixture(scope="module")
def village_report(village_case: borderkit.Case) -> borderkit.Report:
    return borderkit.analyse(village_case, draws=0)


@pytest.fixture(scope="module")
def village_outputs(tmp_path_factory: pytest.TempPathFactory, village_report: borderkit.Report) -> dict[str, Path]:
    d = tmp_path_factory.mktemp("village-export")
    return {name: ex.export(village_report, d / name) for name in IMPACT_FORMATS}


def _by_key(frame, keys=("source_layer", "source_fid", "polygon")):
    return {tuple(r[k] for k in keys): r for r in frame.to_dict("records")}


def _check_items(got, res) -> None:
    """The exported impact_items equal ImpactResult.items, feature by feature."""
    assert len(got) == len(res.items)
    want = {(r["layer"], r["fid"], r["polygon"]): r for r in res.items.to_dict("records")}
    for key, row in _by_key(got).items():
        w = want[(key[0], int(key[1]), int(key[2]))]
        assert row["role"] == w["role"]
        assert row["to_country"] == w["to_country"]
        assert row["share"] == pytest.approx(w["share"], abs=1e-6)
        assert bool(row["counted"]) == bool(w["counted"])
        for col, src in (("length_inside_m", "length_m"), ("area_inside_ha", "area_ha")):
            if np.isnan(w[src]):
                assert row[col] is None or np.isnan(row[col])
            else:
                assert row[col] == pytest.approx(w[src], abs=1e-3)


def test_export__impact_layers_follow_the_case_layers(village_report) -> None:
    names = [lay.name for lay in export_layers(village_report)]
    assert names[-3:] == list(IMPACT_LAYERS)
    assert {"buildings", "plots", "roads", "features"} <= set(names)


def test_export__tavush_has_no_impact_layers(layers) -> None:
    assert not {lay.name for lay in layers} & set(IMPACT_LAYERS)


def test_geojson__impact_layers_equal_impact(village_outputs, village_impact) -> None:
    doc = json.loads(village_outputs["v.geojson"].read_text(encoding="utf-8"))
    feats = {name: [f for f in doc["features"] if f["properties"]["layer"] == name] for name in IMPACT_LAYERS}
    import pandas as pd

    _check_items(pd.DataFrame([f["properties"] for f in feats["impact_items"]]), village_impact)
    counted = [f["properties"] for f in feats["impact_items"] if f["properties"]["counted"]]
    # b1, b2, s60 to BBB and b-bulge to AAA: the 3 + 1 buildings impact() counts.
    assert sorted(p["name"] for p in counted if p["role"] == "buildings") == ["b-bulge", "b1", "b2", "s60"]
    assert {p["pair"] for p in counted} == {"village-a"}
    crossings = [f["properties"] for f in feats["road_crossings"]]
    assert sorted((p["name"], p["n_crossings"]) for p in crossings) == [("P-Q", 1), ("Q-R", 1)]
    for p in crossings:
        want = village_impact.crossings.set_index("name").loc[p["name"], "length_m"]
        assert p["road_length_m"] == pytest.approx(want, abs=1e-3)
    near = {f["properties"]["name"]: f["properties"] for f in feats["near_line"]}
    assert set(near) == set(village_impact.near_line["name"])
    # The school stands 40 m of grid west of the new line: 40 / 0.9996 m on the ellipsoid.
    assert near["Synthetic school"]["distance_m"] == pytest.approx(40 / 0.9996, abs=0.01)
    assert near["Synthetic school"]["country_after"] == "AAA"


def test_geojson__impact_lengths_and_areas_are_of_the_written_geometry(village_outputs) -> None:
    doc = json.loads(village_outputs["v.geojson"].read_text(encoding="utf-8"))
    seen = set()
    for f in doc["features"]:
        if f["properties"]["layer"] not in IMPACT_LAYERS:
            continue
        g, p = shapely.geometry.shape(f["geometry"]), f["properties"]
        assert p["source"] == "" or isinstance(p["source"], str)
        assert "transformation" in p
        if g.geom_type.endswith("LineString"):
            assert p["length_m"] == pytest.approx(geodesic_length_m(g), abs=1e-3)
            seen.add("line")
        elif g.geom_type.endswith("Polygon"):
            assert p["area_m2"] == pytest.approx(geodesic_area_m2(g), abs=1e-2)
            # A polygon's perimeter is not a length_m.
            assert p.get("length_m") is None
            seen.add("polygon")
    assert seen == {"line", "polygon"}


def test_gpkg__one_layer_per_impact_kind_equal_to_impact(village_outputs, village_impact) -> None:
    path = village_outputs["v.gpkg"]
    assert [str(n) for n, _ in pyogrio.list_layers(path)][-3:] == list(IMPACT_LAYERS)
    _check_items(pyogrio.read_dataframe(path, layer="impact_items"), village_impact)
    cr = pyogrio.read_dataframe(path, layer="road_crossings")
    assert sorted(cr["name"]) == sorted(village_impact.crossings["name"])
    near = pyogrio.read_dataframe(path, layer="near_line").set_index("name")
    want = village_impact.near_line.set_index("name")
    for name in want.index:
        assert near.loc[name, "distance_m"] == pytest.approx(want.loc[name, "distance_m"], abs=1e-3)


@pytest.mark.parametrize("name", ["v.gpkg", "v.kml", "v.shp.zip"])
def test_export__ogrinfo_counts_impact_layers(village_outputs, village_impact, name: str) -> None:
    res = subprocess.run([_tool("ogrinfo"), "-al", "-so", str(village_outputs[name])], capture_output=True, text=True)
    assert res.returncode == 0, res.stderr
    counts = dict(
        zip(
            re.findall(r"Layer name: (\S+)", res.stdout),
            (int(n) for n in re.findall(r"Feature Count: (\d+)", res.stdout)),
            strict=True,
        )
    )
    want = {
        "impact_items": len(village_impact.items),
        "road_crossings": len(village_impact.crossings),
        "near_line": len(village_impact.near_line),
    }
    if name == "v.shp.zip":
        # One geometry type per Shapefile: the mixed layers come in parts.
        for kind in ("impact_items", "near_line"):
            parts = {k: v for k, v in counts.items() if k.startswith(f"{kind}_")}
            assert set(parts) <= {f"{kind}_points", f"{kind}_lines", f"{kind}_polygons"}
            counts[kind] = sum(parts.values())
    for kind, n in want.items():
        assert counts[kind] == n, kind


def test_kml__impact_items_read_back(village_outputs, village_impact) -> None:
    got = pyogrio.read_dataframe(village_outputs["v.kml"], layer="impact_items")
    assert len(got) == len(village_impact.items)
    assert sorted(got["Name"] if "Name" in got.columns else got["name"]) == sorted(village_impact.items["name"])


def test_shapefile_zip__impact_fields_fit_and_equal_impact(village_outputs, village_impact) -> None:
    path = village_outputs["v.shp.zip"]
    with zipfile.ZipFile(path) as z:
        assert "length_inside_m" in z.read("fields.txt").decode()
    parts = [pyogrio.read_dataframe(path, layer=f"impact_items_{k}") for k in ("points", "lines", "polygons")]
    import pandas as pd

    got = pd.concat(parts, ignore_index=True)
    assert all(len(c) <= 10 for c in got.columns)
    inverse = {v: k for k, v in ex.SHAPEFILE_FIELDS.items()}
    _check_items(got.rename(columns=inverse), village_impact)


def test_csv__village_holds_segments_only(village_outputs) -> None:
    import csv

    with village_outputs["v.csv"].open(encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(fh))
    assert rows
    assert {r["segment"] for r in rows} == {str(i) for i in range(1, len(rows) + 1)}


@pytest.mark.parametrize("name", ["v.geojson", "v.gpkg", "v.shp.zip"])
def test_export__village_is_byte_stable(tmp_path, village_case, village_outputs, name: str) -> None:
    again = borderkit.analyse(village_case, draws=0)  # analysed anew: the whole pipeline is deterministic
    assert ex.export(again, tmp_path / name).read_bytes() == village_outputs[name].read_bytes()


def test_export__refuses_to_write_over_an_input_of_the_case(synthetic_case) -> None:
    root = synthetic_case()
    before = (root / "new_line.geojson").read_bytes()
    with pytest.raises(ExportError, match="is an input file of case 'synthetic-case'"):
        ex.export(borderkit.load_case(root), root / "new_line.geojson", overwrite=True)
    assert (root / "new_line.geojson").read_bytes() == before
