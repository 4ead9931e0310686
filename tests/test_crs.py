"""Tests for borderkit.crs: datum operation choice, Soviet grid checks, transformation.

Reference coordinates come from PROJ's command-line tools (Debian proj-bin: cs2cs, cct,
projinfo), run here with the operation named explicitly. All points are synthetic.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import geopandas as gpd
import numpy as np
import pytest
import shapely
from pyproj import Geod, Transformer
from shapely import LineString, Point

from borderkit.crs import (
    REGIONS,
    WGS84,
    Transformation,
    check_coordinates,
    choose_operation,
    is_northing_first,
    parse_crs,
    to_wgs84,
    to_wgs84_frame,
    zone_prefix,
)
from borderkit.errors import CoordinateError, CRSError

GEOD = Geod(ellps="WGS84")

# Synthetic point near Voskepar, Tavush: 41°03′53″N 45°03′27″E (WGS 84).
LAT = 41 + 3 / 60 + 53 / 3600  # 41.064722222...
LON = 45 + 3 / 60 + 27 / 3600  # 45.0575


def _run(args: list[str], stdin: str) -> str:
    if shutil.which(args[0]) is None:
        pytest.fail(
            f"{args[0]} is not installed: install PROJ's command-line tools "
            "(apt-get install proj-bin) to compute the reference values."
        )
    done = subprocess.run(args, input=stdin, capture_output=True, text=True, check=True)
    return done.stdout


def _wgs84_to_sk42_geographic(lat: float, lon: float, operation: str) -> tuple[float, float]:
    """(lat, lon) on Pulkovo 1942 via the inverse of the named EPSG operation (cct -I)."""
    pipeline = _run(["projinfo", "-k", "operation", "-o", "PROJ", "-q", "--single-line", operation], "").split()
    out = _run(["cct", "-I", "-d", "10", *pipeline], f"{lat:.12f} {lon:.12f} 0 0\n").split()
    return float(out[0]), float(out[1])


def _sk42_to_wgs84(lat: float, lon: float, operation: str) -> tuple[float, float]:
    """(lon, lat) on WGS 84 from Pulkovo 1942 (lat, lon) via the named operation (cct)."""
    pipeline = _run(["projinfo", "-k", "operation", "-o", "PROJ", "-q", "--single-line", operation], "").split()
    out = _run(["cct", "-d", "10", *pipeline], f"{lat:.12f} {lon:.12f} 0 0\n").split()
    return float(out[1]), float(out[0])


def _gk_zone8(lat: float, lon: float) -> tuple[float, float]:
    """(x northing, y easting) in EPSG:28408 from Pulkovo 1942 (lat, lon): cs2cs."""
    out = _run(["cs2cs", "-d", "4", "EPSG:4284", "EPSG:28408"], f"{lat:.12f} {lon:.12f}\n")
    north, east = out.split()[:2]
    return float(north), float(east)


# ------------------------------------------------------------------ operation choice


def test_choose_operation__tavush_point_is_not_russias_5044() -> None:
    t = choose_operation("EPSG:4284", [45.06], [41.06])
    assert t.code in {"EPSG:15865", "EPSG:1808"}
    assert t.code != "EPSG:5044"
    assert "EPSG:5044" not in t.candidates


def test_choose_operation__north_tavush_excludes_5044_that_proj_picks() -> None:
    # At 41.25°N PROJ's own default is Russia's EPSG:5044 (its bounding box reaches
    # 41.19°N): PROJ issue #2423. Show it, then check borderkit does not follow.
    default = Transformer.from_crs("EPSG:4284", WGS84, always_xy=True).transform(45.06, 41.25)
    with_5044 = Transformer.from_pipeline(
        " ".join(_run(["projinfo", "-k", "operation", "-o", "PROJ", "-q", "--single-line", "EPSG:5044"], "").split())
    ).transform(41.25, 45.06)  # the EPSG pipeline takes lat, lon
    assert GEOD.inv(default[0], default[1], with_5044[1], with_5044[0])[2] < 0.001
    t = choose_operation("EPSG:4284", [45.06], [41.25])
    assert t.code in {"EPSG:15865", "EPSG:1808"}
    assert "EPSG:5044" in t.excluded


def test_choose_operation__explicit_operation_is_honoured_and_matches_cct() -> None:
    lon, lat, t = to_wgs84([45.06], [41.06], "EPSG:4284", operation="EPSG:1808")
    assert t.code == "EPSG:1808"
    assert t.accuracy_m == 5.0
    ref_lon, ref_lat = _sk42_to_wgs84(41.06, 45.06, "EPSG:1808")
    assert GEOD.inv(lon[0], lat[0], ref_lon, ref_lat)[2] < 0.001


def test_choose_operation__explicit_operation_of_another_datum_raises_crs_error() -> None:
    # EPSG:1188 is NAD83 to WGS 84 (1): it does not start from Pulkovo 1942.
    with pytest.raises(CRSError, match=r"operation='EPSG:1188' does not convert Pulkovo 1942"):
        choose_operation("EPSG:4284", [45.06], [41.06], operation="EPSG:1188")


def test_choose_operation__spread_in_azerbaijan_is_a_few_metres_and_matches_cct() -> None:
    # Ganja (46.36E 40.68N), Azerbaijan: EPSG:15865 and EPSG:1808 both apply.
    t = choose_operation("EPSG:4284", [46.36], [40.68])
    assert t.candidates == ("EPSG:15865", "EPSG:1808")
    assert 2.0 <= t.spread_m <= 6.0  # FACTS.md: the operations disagree by 2–6 m here
    a = _sk42_to_wgs84(40.68, 46.36, "EPSG:15865")
    b = _sk42_to_wgs84(40.68, 46.36, "EPSG:1808")
    assert t.spread_m == pytest.approx(GEOD.inv(a[0], a[1], b[0], b[1])[2], abs=0.001)


@pytest.mark.parametrize(
    ("name", "lons", "lats"),
    [
        ("Voskepar, Tavush", [45.06], [41.06]),
        ("Yerevan", [44.51], [40.18]),
        ("north Tavush, where PROJ picks Russia's 5044", [45.06], [41.25]),
        ("Yerevan and Ganja together", [44.51, 46.36], [40.18, 40.68]),
    ],
)
def test_choose_operation__1808_is_no_candidate_for_points_in_armenia(name: str, lons: list, lats: list) -> None:
    # EPSG:1808's area of use is "Azerbaijan (including Caspian) and Georgia onshore"
    # (projinfo EPSG:1808); before the fix it counted for points in Armenia and entered
    # the spread there (5.6 m at Voskepar).
    t = choose_operation("EPSG:4284", lons, lats)
    assert "EPSG:1808" not in t.candidates, name
    assert "EPSG:1808" in t.excluded, name
    assert t.code == "EPSG:15865"
    assert t.spread_m == 0.0  # the one candidate of known accuracy left
    assert "Armenia" in t.note


@pytest.mark.parametrize(("name", "lon", "lat"), [("Ganja", 46.36, 40.68), ("Tbilisi", 44.79, 41.72)])
def test_choose_operation__1808_stays_a_candidate_in_azerbaijan_and_georgia(name: str, lon: float, lat: float) -> None:
    t = choose_operation("EPSG:4284", [lon], [lat])
    assert t.candidates == ("EPSG:15865", "EPSG:1808"), name
    assert "Armenia" not in t.note


def test_choose_operation__explicit_1808_in_armenia_is_honoured_with_its_spread() -> None:
    t = choose_operation("EPSG:4284", [45.06], [41.06], operation="EPSG:1808")
    assert t.code == "EPSG:1808"
    a = _sk42_to_wgs84(41.06, 45.06, "EPSG:15865")
    b = _sk42_to_wgs84(41.06, 45.06, "EPSG:1808")
    assert t.spread_m == pytest.approx(GEOD.inv(a[0], a[1], b[0], b[1])[2], abs=0.001)


def test_choose_operation__unknown_accuracy_listed_last_but_not_in_spread() -> None:
    # Moscow (outside every region): 5044 (3 m), 15865 (4.5 m), 1254 (accuracy unknown).
    t = choose_operation("EPSG:4284", [37.6], [55.75])
    assert t.code == "EPSG:5044"
    assert t.candidates[-1] == "EPSG:1254"
    assert "bounding-box" in t.note
    a = _sk42_to_wgs84(55.75, 37.6, "EPSG:5044")
    b = _sk42_to_wgs84(55.75, 37.6, "EPSG:15865")
    assert t.spread_m == pytest.approx(GEOD.inv(a[0], a[1], b[0], b[1])[2], abs=0.001)


def test_choose_operation__wgs84_based_crs_needs_no_datum_operation() -> None:
    _lon, _lat, t = to_wgs84([504831.1046], [4545943.4755], "EPSG:32638")
    assert (t.code, t.accuracy_m, t.spread_m) == (None, 0.0, 0.0)
    with pytest.raises(CRSError, match="already on WGS 84"):
        to_wgs84([LON], [LAT], "EPSG:4326", operation="EPSG:15865")


@pytest.mark.parametrize(
    ("name", "lon", "lat", "inside"),
    [
        ("Voskepar, Tavush", 45.06, 41.06, True),
        ("Yerevan", 44.51, 40.18, True),
        ("Tbilisi", 44.79, 41.72, True),
        ("Baku", 49.87, 40.41, True),
        ("Upper Lars checkpoint, Russia", 44.63, 42.75, False),
        ("Derbent, Russia", 48.29, 42.06, False),
        ("Russia's southernmost point near Bazardüzü", 47.78, 41.19, False),
        ("Vladikavkaz, Russia", 44.68, 43.02, False),
    ],
)
def test_regions__south_caucasus_polygon_keeps_out_of_russia(name: str, lon: float, lat: float, inside: bool) -> None:
    assert REGIONS[0].contains([lon], [lat]) is inside, name


# ------------------------------------------------------------------ country outlines
# The outlines' source: OSM admin_level 2 polygons of Armenia and Azerbaijan, 2023-10-02.
COUNTRIES = Path(__file__).parents[1] / "data" / "tavush-2024" / "countries_osm_20231002.geojson"


@pytest.fixture(scope="module")
def countries() -> dict[str, shapely.Geometry]:
    frame = gpd.read_file(COUNTRIES)
    return dict(zip(frame["name_en"], frame.geometry, strict=True))


@pytest.mark.parametrize("country", ["Armenia", "Azerbaijan"])
def test_region_outlines__lie_0_04_to_0_16_degrees_outside_the_osm_country(countries, country: str) -> None:
    outline = shapely.MultiPolygon([shapely.Polygon(r) for r in dict(REGIONS[0].outlines)[country]])
    assert outline.contains(countries[country].buffer(0.04))
    assert countries[country].buffer(0.16).contains(outline)


def test_region_outlines__deep_inside_means_armenia_or_azerbaijan(countries) -> None:
    # Georgia (no outline) is ruled out only 0.25° or more inside an outline: there, even
    # 0.03° further out, every point is in Armenia or Azerbaijan.
    both = shapely.union_all(list(countries.values()))
    for _, rings in REGIONS[0].outlines:
        outline = shapely.MultiPolygon([shapely.Polygon(r) for r in rings])
        core = shapely.buffer(outline, -0.25)
        assert core.buffer(0.03).difference(both).area == 0.0


@pytest.mark.parametrize("country", ["Armenia", "Azerbaijan"])
def test_region_countries_of__random_points_in_a_country_count_for_it(countries, country: str) -> None:
    rng = np.random.default_rng(20240515)
    shape = countries[country]
    west, south, east, north = shape.bounds
    lon, lat = rng.uniform(west, east, 4000), rng.uniform(south, north, 4000)
    inside = shapely.contains_xy(shape, lon, lat) & shapely.contains_xy(shapely.Polygon(REGIONS[0].polygon), lon, lat)
    assert inside.sum() > 300
    for x, y in zip(lon[inside][:300], lat[inside][:300], strict=True):
        assert country in REGIONS[0].countries_of([x], [y]), (x, y)
    if country == "Armenia":
        t = choose_operation("EPSG:4284", lon[inside][:300], lat[inside][:300])
        assert "EPSG:1808" not in t.candidates


# ------------------------------------------------------------------ transformation


def test_to_wgs84__gk_zone8_matches_cs2cs_with_15865_within_1_cm() -> None:
    sk_lat, sk_lon = _wgs84_to_sk42_geographic(LAT, LON, "EPSG:15865")
    north, east = _gk_zone8(sk_lat, sk_lon)
    lon, lat, t = to_wgs84([east], [north], "EPSG:28408")
    assert t.code == "EPSG:15865"
    assert GEOD.inv(lon[0], lat[0], LON, LAT)[2] < 0.01


def test_to_wgs84_frame__lines_keep_their_shape_and_record_the_operation() -> None:
    sk_lat, sk_lon = _wgs84_to_sk42_geographic(LAT, LON, "EPSG:15865")
    north, east = _gk_zone8(sk_lat, sk_lon)
    line = LineString([(east, north), (east + 1000, north + 1000)])
    frame = gpd.GeoDataFrame({"name": ["synthetic"]}, geometry=[line], crs="EPSG:28408")
    out, t = to_wgs84_frame(frame)
    assert out.crs.to_epsg() == 4326
    assert out.geometry[0].geom_type == "LineString"
    first = out.geometry[0].coords[0]
    assert GEOD.inv(first[0], first[1], LON, LAT)[2] < 0.01
    assert t.source_crs == "EPSG:28408"
    assert frame.geometry[0].coords[0] == (east, north)  # input untouched


def test_to_wgs84_frame__wgs84_input_keeps_every_coordinate_and_drops_z() -> None:
    # Already WGS 84: nothing moves (the written coordinates are the reference); Z is dropped
    # as for any other CRS (borderkit works in 2-D).
    flat = [(45.0575, 41.0647222), (45.098, 41.085)]
    frame = gpd.GeoDataFrame(
        {"name": ["synthetic 2-D", "synthetic 3-D"]},
        geometry=[LineString(flat), LineString([(x, y, 512.5) for x, y in flat])],
        crs="EPSG:4326",
    )
    out, t = to_wgs84_frame(frame)
    assert t.code is None
    assert out.crs.to_epsg() == 4326
    assert [list(g.coords) for g in out.geometry] == [flat, flat]
    assert not out.geometry.has_z.any()
    assert frame.geometry[1].coords[0] == (45.0575, 41.0647222, 512.5)  # input untouched
    out.loc[0, "geometry"] = Point(0, 0)
    assert frame.geometry[0].geom_type == "LineString"  # a new frame, not a view of the input


def test_to_wgs84_frame__no_crs_raises_crs_error() -> None:
    with pytest.raises(CRSError, match="layer has no CRS"):
        to_wgs84_frame(gpd.GeoDataFrame(geometry=[Point(45, 41)]))


def test_transformation__to_dict_and_repr() -> None:
    t = choose_operation("EPSG:4284", [45.06], [41.06])
    d = t.to_dict()
    assert {"code", "name", "accuracy_m", "spread_m", "candidates"} <= set(d)
    assert d["candidates"] == list(t.candidates)
    assert repr(t).startswith("<Transformation EPSG:4284 -> WGS 84 via EPSG:")
    assert isinstance(t, Transformation)


def test_parse_crs__unknown_names_where() -> None:
    with pytest.raises(CRSError, match=r"case.toml: crs: unknown CRS 'EPSG:1'"):
        parse_crs("EPSG:1", where="case.toml: crs")


@pytest.mark.parametrize(
    ("code", "northing_first", "prefix"),
    [
        ("EPSG:28408", True, 8),  # Pulkovo 1942 / Gauss-Kruger zone 8, FE 8 500 000
        ("EPSG:2498", True, None),  # ... CM 45E, FE 500 000
        ("EPSG:2531", True, 15),  # ... 3-degree zone 15, FE 15 500 000
        ("EPSG:2590", True, None),  # ... 3-degree CM 45E
        ("EPSG:32638", False, None),  # WGS 84 / UTM 38N
        ("EPSG:4284", False, None),
    ],
)
def test_is_northing_first_and_zone_prefix(code: str, northing_first: bool, prefix: int | None) -> None:
    assert is_northing_first(code) is northing_first
    assert zone_prefix(code) == prefix


# ------------------------------------------------------------------ checks


@pytest.mark.parametrize(
    ("x", "y", "crs", "expected"),
    [
        ([504938.2307], [4547853.2139], "EPSG:28408", "zone prefix missing?"),
        ([7504938.2307], [4547853.2139], "EPSG:28408", "carries zone prefix 7"),
        ([8504938.2307], [4547853.2139], "EPSG:2498", "declare EPSG:28408 instead"),
        ([4547853.2139], [8504938.2307], "EPSG:28408", "x and y swapped?"),
        ([45.0575], [41.0647], "EPSG:28408", "degrees declared as metres?"),
        ([8504938.2307], [4547853.2139], "EPSG:4284", "metres declared as degrees?"),
        ([15504938.2307], [4547853.2139], "EPSG:2531", None),  # 3° zone 15 is fine
    ],
)
def test_check_coordinates__names_the_mis_declaration(
    x: list[float], y: list[float], crs: str, expected: str | None
) -> None:
    if expected is None:
        check_coordinates(x, y, crs)
        return
    with pytest.raises(CoordinateError, match=r"tp\.csv: row 7: ") as err:
        check_coordinates(x, y, crs, source="tp.csv", rows=[7])
    assert expected in str(err.value)


def test_check_coordinates__row_labels_may_be_an_array() -> None:
    # Vertices 2..4 of features 5, 6, 6, 7: vertex 2 and 3 (both feature 6) lack the zone prefix.
    x = np.array([8504938.2, 504938.2, 504938.2, 8504938.2])
    y = np.full(4, 4547853.2)
    with pytest.raises(CoordinateError, match=r"^tp\.gpkg: row 6: y=504938\.2, x=4547853\.2: .*zone prefix") as err:
        check_coordinates(x, y, "EPSG:28408", source="tp.gpkg", rows=np.array([5, 6, 6, 7]), names=("y", "x"))
    assert "more bad row" not in str(err.value)  # one feature, counted once


def test_check_coordinates__counts_the_other_bad_rows() -> None:
    x = np.array([8504938.2, 504938.2, 504938.2, 8504938.2])
    y = np.full(4, 4547853.2)
    with pytest.raises(CoordinateError, match=r"row 2: .*\(1 more bad row\(s\): 3\)"):
        check_coordinates(x, y, "EPSG:28408")


def test_regions__fast_point_tests_answer_as_every_point_tested_one_by_one() -> None:
    # The region and country tests stop early (the points' box inside a shape, a block
    # with a point outside, the box missing an outline). The reference tests every point
    # with shapely.contains_xy. Synthetic clouds of 1 to 5,000 points, from one spot to
    # 4° wide, around and across each region, one with a NaN point.
    import shapely

    from borderkit.crs import REGIONS, _core, _outline, _polygon

    rng = np.random.default_rng(0)
    for region in REGIONS:
        x0, y0, x1, y1 = _polygon(region.polygon).bounds
        for trial in range(120):
            n = int(rng.choice([1, 2, 50, 5000]))
            w = float(rng.choice([0.0, 0.01, 0.3, 2.0]))
            cx, cy = rng.uniform(x0 - 1, x1 + 1), rng.uniform(y0 - 1, y1 + 1)
            lo, la = cx + rng.uniform(-w, w, n), cy + rng.uniform(-w, w, n)
            if trial % 17 == 0:
                lo[0] = np.nan
            shapes = {c: _outline(rings) for c, rings in region.outlines}
            possible = {c for c, sh in shapes.items() if np.any(shapely.contains_xy(sh, lo, la))}
            deep = np.zeros(n, dtype=bool)
            for _, rings in region.outlines:
                deep |= shapely.contains_xy(_core(rings), lo, la)
            if not deep.all():
                possible |= {c for c in region.countries if c not in shapes}
            assert region.contains(lo, la) == bool(np.all(shapely.contains_xy(_polygon(region.polygon), lo, la)))
            assert region.countries_of(lo, la) == tuple(c for c in region.countries if c in possible)
