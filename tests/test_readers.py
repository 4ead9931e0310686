"""Tests for borderkit.readers: CSV, DMS, grid values and vector files into WGS 84.

Grid reference values are computed by PROJ's command-line tools (proj-bin) with the
operation named explicitly; DMS values are hand-computed in the comments. All points
are synthetic and all files are written into tmp_path.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import pytest
from pyproj import Geod
from shapely import Point

from borderkit.errors import CoordinateError, CRSError, InputError
from borderkit.readers import parse_dms, parse_dms_pair, read_layer, read_points_csv, read_points_table

GEOD = Geod(ellps="WGS84")
DATA = Path(__file__).parent / "data"

# Synthetic point near Voskepar, Tavush: 41°03′53″N 45°03′27″E on WGS 84.
LAT = 41 + 3 / 60 + 53 / 3600  # 41.0647222222...
LON = 45 + 3 / 60 + 27 / 3600  # 45.0575
# A second synthetic point: 41°05′06″N 45°05′52.8″E = 41.085, 45.098.
LAT2 = 41 + 5 / 60 + 6 / 3600  # 41.085
LON2 = 45 + 5 / 60 + 52.8 / 3600  # 45.098
TAVUSH = (44.5, 40.6, 45.8, 41.4)


def _run(args: list[str], stdin: str) -> str:
    if shutil.which(args[0]) is None:
        pytest.fail(
            f"{args[0]} is not installed: install PROJ's command-line tools "
            "(apt-get install proj-bin) to compute the reference values."
        )
    return subprocess.run(args, input=stdin, capture_output=True, text=True, check=True).stdout


def _gk_zone8(lat: float, lon: float) -> tuple[float, float]:
    """(x northing, y easting) in EPSG:28408 of a WGS 84 point, via EPSG:15865.

    P=$(projinfo -k operation -o PROJ -q --single-line EPSG:15865)
    echo "lat lon 0 0" | cct -I -d 10 $P | cs2cs -d 4 EPSG:4284 EPSG:28408
    """
    pipeline = _run(["projinfo", "-k", "operation", "-o", "PROJ", "-q", "--single-line", "EPSG:15865"], "").split()
    sk = _run(["cct", "-I", "-d", "10", *pipeline], f"{lat:.12f} {lon:.12f} 0 0\n").split()
    out = _run(["cs2cs", "-d", "4", "EPSG:4284", "EPSG:28408"], f"{sk[0]} {sk[1]}\n").split()
    return float(out[0]), float(out[1])


def _utm38n(lat: float, lon: float) -> tuple[float, float]:
    """(easting, northing) in EPSG:32638: echo "lat lon" | cs2cs -d 4 EPSG:4326 EPSG:32638."""
    out = _run(["cs2cs", "-d", "4", "EPSG:4326", "EPSG:32638"], f"{lat:.12f} {lon:.12f}\n")
    east, north = out.split()[:2]
    return float(east), float(north)


def _write(folder: Path, name: str, text: str) -> Path:
    path = folder / name
    path.write_text(text, encoding="utf-8")
    return path


def _assert_same_points(frame: gpd.GeoDataFrame, points: list[tuple[float, float]]) -> None:
    assert frame.crs.to_epsg() == 4326
    assert len(frame) == len(points)
    for geom, (lon, lat) in zip(frame.geometry, points, strict=True):
        assert GEOD.inv(geom.x, geom.y, lon, lat)[2] < 0.01  # 1 cm


# --------------------------------------------------------------- same point, 4 ways


def test_read_layer__wgs84_dms_gk_and_utm_give_the_same_points(tmp_path: Path) -> None:
    expected = [(LON, LAT), (LON2, LAT2)]
    wgs = _write(tmp_path, "wgs84.csv", f"name,lat,lon\nA,{LAT:.10f},{LON:.10f}\nB,{LAT2},{LON2}\n")
    dms = _write(
        tmp_path,
        "dms.csv",
        'name,latitude,longitude\nA,41°03′53″N,45°03′27″E\nB,"41°05\'06""N",45 05 52.8 E\n',
    )
    pair = _write(tmp_path, "pair.csv", "name;coordinates\nA;41°03′53″N 45°03′27″E\nB;N41°05.1' E45°05.88'\n")
    (x1, y1), (x2, y2) = _gk_zone8(LAT, LON), _gk_zone8(LAT2, LON2)
    gk = _write(tmp_path, "gk.csv", f"name,x,y\nA,{x1},{y1}\nB,{x2},{y2}\n")
    (e1, n1), (e2, n2) = _utm38n(LAT, LON), _utm38n(LAT2, LON2)
    utm = _write(tmp_path, "utm.csv", f"name,easting,northing\nA,{e1},{n1}\nB,{e2},{n2}\n")
    for path, crs in (
        (wgs, "EPSG:4326"),
        (dms, "EPSG:4326"),
        (pair, "EPSG:4326"),
        (gk, "EPSG:28408"),
        (utm, "EPSG:32638"),
    ):
        frame, t = read_layer(path, crs=crs, expect_bounds=TAVUSH)
        _assert_same_points(frame, expected)
        assert list(frame["name"]) == ["A", "B"]
        if crs == "EPSG:28408":
            assert t.code == "EPSG:15865"
        else:
            assert t.code is None


def test_read_layer__utm_x_y_columns_are_easting_northing(tmp_path: Path) -> None:
    e, n = _utm38n(LAT, LON)
    path = _write(tmp_path, "utm_xy.csv", f"X,Y\n{e},{n}\n")
    frame, _ = read_layer(path, crs="EPSG:32638")
    _assert_same_points(frame, [(LON, LAT)])


def test_read_layer__gk_named_columns_and_columns_argument(tmp_path: Path) -> None:
    x, y = _gk_zone8(LAT, LON)
    named = _write(tmp_path, "gk_named.csv", f"easting,northing\n{y},{x}\n")
    _assert_same_points(read_layer(named, crs="EPSG:28408")[0], [(LON, LAT)])
    custom = _write(tmp_path, "gk_custom.csv", f"X_sk42;Y_sk42;note\n{x};{y};synthetic\n")
    frame, _ = read_layer(custom, crs="EPSG:28408", columns={"x": "X_sk42", "y": "Y_sk42"})
    _assert_same_points(frame, [(LON, LAT)])
    assert list(frame.columns) == ["note", "geometry"]


def test_read_layer__no_prefix_grid_epsg_2498(tmp_path: Path) -> None:
    x, y = _gk_zone8(LAT, LON)
    path = _write(tmp_path, "gk_cm45.csv", f"x,y\n{x},{y - 8_000_000}\n")
    _assert_same_points(read_layer(path, crs="EPSG:2498")[0], [(LON, LAT)])


@pytest.mark.parametrize(
    ("lat_name", "lon_name"),
    [("lat", "lon"), ("Latitude", "Longitude"), ("LAT", "LNG"), ("lat", "long"), ("y", "x")],
)
def test_read_layer__geographic_column_names(tmp_path: Path, lat_name: str, lon_name: str) -> None:
    path = _write(tmp_path, "cols.csv", f"{lon_name},{lat_name}\n{LON},{LAT}\n")
    _assert_same_points(read_layer(path, crs="EPSG:4326")[0], [(LON, LAT)])


def test_read_layer__synthetic_turning_points_file() -> None:
    frame, t = read_layer(DATA / "synthetic_turning_points_sk42.csv", expect_bounds=TAVUSH)
    # The WGS 84 points the file was made from (see its comment lines); rounded to 1 cm.
    expected = [
        (45.0575, 41.06472222222),
        (45.0700, 41.0700),
        (45.0820, 41.0780),
        (45.0900, 41.0850),
        (45.0980, 41.0950),
    ]
    _assert_same_points(frame, expected)
    assert t.code == "EPSG:15865"
    # In Armenia EPSG:15865 is the only candidate of known accuracy: EPSG:1808 is for
    # Azerbaijan and Georgia (borderkit.crs), so there is no spread between candidates.
    assert "EPSG:1808" in t.excluded
    assert t.spread_m == 0.0
    assert list(frame["id"]) == ["TP-S01", "TP-S02", "TP-S03", "TP-S04", "TP-S05"]
    assert set(frame.columns) == {"order", "id", "name", "section", "geometry"}


def test_read_layer__order_column_sorts_rows_and_repeats_are_errors(tmp_path: Path) -> None:
    path = _write(tmp_path, "o.csv", f"seq,id,lat,lon\n2,b,{LAT2},{LON2}\n1,a,{LAT},{LON}\n")
    frame, _ = read_layer(path, crs="EPSG:4326")
    assert list(frame["id"]) == ["a", "b"]
    _assert_same_points(frame, [(LON, LAT), (LON2, LAT2)])
    bad = _write(tmp_path, "dup.csv", f"order,lat,lon\n1,{LAT},{LON}\n1,{LAT2},{LON2}\n")
    with pytest.raises(InputError, match=r"dup.csv: rows \[1, 2\]: order values repeat"):
        read_layer(bad, crs="EPSG:4326")


def test_read_layer__keeps_identifiers_as_text(tmp_path: Path) -> None:
    path = _write(tmp_path, "ids.csv", f"id,section,lat,lon\n007,3,{LAT},{LON}\n")
    frame, _ = read_layer(path, crs="EPSG:4326")
    assert frame["id"][0] == "007"
    assert frame["section"][0] == 3


# --------------------------------------------------------------- mis-declarations


@pytest.mark.parametrize(
    ("text", "crs", "bounds", "row", "expected"),
    [
        # lat and lon exchanged inside the valid range: found with expect_bounds
        ("lat,lon\n{LAT},{LON}\n{LON},{LAT}\n", "EPSG:4326", TAVUSH, 2, "lat/lon swapped?"),
        # lat and lon exchanged with a latitude beyond 90°
        ("lat,lon\n{LAT},{LON}\n145.0,{LAT}\n", "EPSG:4326", None, 2, "lat/lon swapped?"),
        ("x,y\n{X},{Y}\n{X},{Y_NOPREFIX}\n", "EPSG:28408", None, 2, "zone prefix missing?"),
        ("x,y\n{X},{Y_ZONE7}\n", "EPSG:28408", None, 1, "wrong zone prefix?"),
        ("x,y\n{Y},{X}\n", "EPSG:28408", None, 1, "x and y swapped?"),
        ("x,y\n{LAT},{LON}\n", "EPSG:28408", None, 1, "degrees declared as metres?"),
        ("easting,northing\n{LON},{LAT}\n", "EPSG:32638", None, 1, "degrees declared as metres?"),
        ("lat,lon\n{X},{Y}\n", "EPSG:4284", None, 1, "metres declared as degrees?"),
        ("easting,northing\n{E},{N}\n", "EPSG:32638", (30.0, 30.0, 31.0, 31.0), 1, "expected bounds"),
    ],
)
def test_read_layer__each_mis_declaration_gets_its_message(
    tmp_path: Path, text: str, crs: str, bounds: tuple | None, row: int, expected: str
) -> None:
    x, y = _gk_zone8(LAT, LON)
    e, n = _utm38n(LAT, LON)
    values = {
        "LAT": LAT,
        "LON": LON,
        "X": x,
        "Y": y,
        "E": e,
        "N": n,
        "Y_NOPREFIX": y - 8_000_000,
        "Y_ZONE7": y - 1_000_000,
    }
    path = _write(tmp_path, "synthetic_points.csv", text.format(**values))
    with pytest.raises(CoordinateError) as err:
        read_layer(path, crs=crs, expect_bounds=bounds)
    message = str(err.value)
    assert message.startswith(f"synthetic_points.csv: row {row} (file line {row + 1}): ")
    assert expected in message


def test_read_layer__wrong_zone_prefix_suggests_the_zone_crs(tmp_path: Path) -> None:
    x, y = _gk_zone8(LAT, LON)
    path = _write(tmp_path, "z7.csv", f"x,y\n{x},{y - 1_000_000}\n")
    with pytest.raises(CoordinateError, match="declare EPSG:28407 \\(zone 7\\)"):
        read_layer(path, crs="EPSG:28408")


def test_read_layer__projected_crs_with_lat_lon_columns_says_so(tmp_path: Path) -> None:
    path = _write(tmp_path, "ll.csv", f"lat,lon\n{LAT},{LON}\n")
    with pytest.raises(InputError, match="The file has 'lat': degrees\\?"):
        read_layer(path, crs="EPSG:32638")


def test_read_layer__csv_without_crs_is_an_error_and_crs_comment_works(tmp_path: Path) -> None:
    path = _write(tmp_path, "nocrs.csv", f"lat,lon\n{LAT},{LON}\n")
    with pytest.raises(CRSError, match=r"nocrs\.csv: no CRS declared"):
        read_layer(path)
    commented = _write(tmp_path, "c.csv", f"# crs: EPSG:4326\n# synthetic\nlat,lon\n{LAT},{LON}\n")
    _assert_same_points(read_layer(commented)[0], [(LON, LAT)])
    with pytest.raises(CRSError, match="the file says '# crs: EPSG:4326' but crs='EPSG:4284'"):
        read_layer(commented, crs="EPSG:4284")


def test_read_layer__bad_dms_in_a_file_names_row_column_and_value(tmp_path: Path) -> None:
    path = _write(tmp_path, "bad.csv", "lat,lon\n41°03′53″N,45°03′27″E\n41°63′00″N,45°03′27″E\n")
    with pytest.raises(CoordinateError, match=r"bad.csv: row 2 \(file line 3\): column 'lat': .*'41°63′00″N'"):
        read_layer(path, crs="EPSG:4326")


def test_read_layer__latitude_in_longitude_column(tmp_path: Path) -> None:
    path = _write(tmp_path, "hemi.csv", "lat,lon\n45°03′27″E,41°03′53″N\n")
    with pytest.raises(CoordinateError, match="lat/lon columns swapped"):
        read_layer(path, crs="EPSG:4326")


def test_read_layer__missing_file() -> None:
    with pytest.raises(InputError, match="no such file"):
        read_layer("no/such/file.geojson")


# --------------------------------------------------------------- vector formats


@pytest.mark.parametrize(
    ("suffix", "driver"),
    [(".geojson", "GeoJSON"), (".gpkg", "GPKG"), (".shp", "ESRI Shapefile"), (".kml", "KML")],
)
def test_read_layer__vector_formats(tmp_path: Path, suffix: str, driver: str) -> None:
    if driver not in pyogrio.list_drivers(write=True):
        pytest.fail(f"GDAL driver {driver!r} missing; pyogrio's wheels include it.")
    frame = gpd.GeoDataFrame({"name": ["synthetic"]}, geometry=[Point(LON, LAT)], crs="EPSG:4326")
    path = tmp_path / f"points{suffix}"
    pyogrio.write_dataframe(frame, path, driver=driver)
    out, t = read_layer(path, expect_bounds=TAVUSH)
    _assert_same_points(out, [(LON, LAT)])
    assert t.code is None
    assert "synthetic" in list(out.iloc[0].astype(str))


def test_read_layer__gpkg_in_gk_zone8_is_transformed(tmp_path: Path) -> None:
    x, y = _gk_zone8(LAT, LON)
    frame = gpd.GeoDataFrame(geometry=[Point(y, x)], crs="EPSG:28408")  # GIS order: easting first
    path = tmp_path / "gk.gpkg"
    pyogrio.write_dataframe(frame, path)
    out, t = read_layer(path)
    _assert_same_points(out, [(LON, LAT)])
    assert t.code == "EPSG:15865"
    out, t = read_layer(path, operation="EPSG:1808")
    assert t.code == "EPSG:1808"


def test_read_layer__vector_vertex_far_away_names_feature(tmp_path: Path) -> None:
    frame = gpd.GeoDataFrame(geometry=[Point(LON, LAT), Point(LAT, LON)], crs="EPSG:4326")
    path = tmp_path / "two.geojson"
    pyogrio.write_dataframe(frame, path)
    with pytest.raises(CoordinateError, match=r"two.geojson: row 2: .*lat/lon swapped"):
        read_layer(path, expect_bounds=TAVUSH)


# --------------------------------------------------------------- DMS parsing


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("41°03′53″N", 41 + 3 / 60 + 53 / 3600),  # 41.0647222
        ("41°03'53\"N", 41 + 3 / 60 + 53 / 3600),  # ASCII primes
        ("41 03 53 N", 41 + 3 / 60 + 53 / 3600),
        ("41-03-53.2N", 41 + 3 / 60 + 53.2 / 3600),  # 41.0647778
        ("N41°03.883'", 41 + 3.883 / 60),  # 41.0647167
        ("41°03′53,2″N", 41 + 3 / 60 + 53.2 / 3600),  # comma decimal
        ("41º03’53”N", 41 + 3 / 60 + 53 / 3600),  # ordinal º and typographic quotes
        ("41°03′53′′N", 41 + 3 / 60 + 53 / 3600),  # two primes as seconds
        ("41° 03′ 01″ nord", 41 + 3 / 60 + 1 / 3600),  # 41.0502778
        ("45° 06′ 05″ est", 45 + 6 / 60 + 5 / 3600),  # 45.1013889
        ("45°03′27″ W", -(45 + 3 / 60 + 27 / 3600)),  # -45.0575
        ("S 12°30′", -12.5),
        ("41°03′53″ с.ш.", 41 + 3 / 60 + 53 / 3600),  # Russian "northern latitude"
        ("−45.0575", -45.0575),  # Unicode minus
        ("41.0647222", 41.0647222),
        ("41,0647222", 41.0647222),
    ],
)
def test_parse_dms__spellings(text: str, expected: float) -> None:
    assert parse_dms(text) == pytest.approx(expected, abs=1e-12)


@pytest.mark.parametrize(
    ("text", "lon", "lat"),
    [
        ("41°03′53″N 45°03′27″E", 45.0575, 41 + 3 / 60 + 53 / 3600),
        ("45°03′27″E, 41°03′53″N", 45.0575, 41 + 3 / 60 + 53 / 3600),  # either order
        ("41° 03′ 01″ nord, 45° 06′ 05″ est", 45 + 6 / 60 + 5 / 3600, 41 + 3 / 60 + 1 / 3600),
        ("N41°03.883' E45°03.450'", 45 + 3.45 / 60, 41 + 3.883 / 60),
        ("41°03′53,5″N; 45°03′27,5″E", 45 + 3 / 60 + 27.5 / 3600, 41 + 3 / 60 + 53.5 / 3600),
    ],
)
def test_parse_dms_pair__spellings(text: str, lon: float, lat: float) -> None:
    point = parse_dms_pair(text)
    assert point.lon == pytest.approx(lon, abs=1e-12)
    assert point.lat == pytest.approx(lat, abs=1e-12)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("41°63′00″N", "minutes 63 must be below 60"),
        ("41°03′60″N", "seconds 60 must be below 60"),
        ("banana", "no number in it"),
        ("41°03′ banana", "'banana' is not a hemisphere"),
        ("41°03′53″X", "'X' is not a hemisphere"),
        ("", "no number"),
        ("41.5°03′N", "only the last component may have decimals"),
        ("-41°03′53″N", "both a minus sign and a hemisphere"),
        ("95°00′N", "95° exceeds 90°"),
        ("41°03′53″N#", "unexpected character '#'"),
        ("41′03°N", "component 1 is marked as minutes"),
    ],
)
def test_parse_dms__bad_values_name_the_value(text: str, message: str) -> None:
    with pytest.raises(CoordinateError, match=message) as err:
        parse_dms(text)
    assert repr(text) in str(err.value)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("41 03 53 45 03 27", "found 0 hemisphere letter"),  # which one is the latitude?
        ("41.0647, 45.0575", "found 0 hemisphere letter"),
        ("41°03′53″N 45°03′27″", "found 1 hemisphere letter"),
        ("41°03′53″N 45°03′27″S", "need one latitude and one longitude"),
    ],
)
def test_parse_dms_pair__ambiguous_pairs_raise(text: str, message: str) -> None:
    with pytest.raises(CoordinateError, match=message):
        parse_dms_pair(text)


def test_parse_dms__axis_mismatch() -> None:
    with pytest.raises(CoordinateError, match=r"is a longitude .* given as a latitude"):
        parse_dms("45°03′27″E", axis="lat")


def test_read_points_table__python_api_with_dataframe() -> None:
    table = pd.DataFrame({"id": ["S1"], "lat": ["41°03′53″N"], "lon": ["45°03′27″E"]})
    frame, _t = read_points_table(table, crs="EPSG:4326", source="notebook")
    _assert_same_points(frame, [(LON, LAT)])
    with pytest.raises(CoordinateError, match="notebook: row 1: column 'lat'"):
        read_points_table(table.assign(lat=["41°99′N"]), crs="EPSG:4326", source="notebook")


def test_read_layer__geopackage_with_several_layers_needs_a_layer_name(tmp_path) -> None:
    import geopandas as gpd
    from shapely import Point, box

    path = tmp_path / "synthetic_two_layers.gpkg"
    gpd.GeoDataFrame(geometry=[box(0, 0, 1, 1)], crs="EPSG:4326").to_file(path, layer="synthetic_extent")
    gpd.GeoDataFrame(geometry=[Point(0.5, 0.5)], crs="EPSG:4326").to_file(path, layer="synthetic_points")
    with pytest.raises(InputError, match=r"holds 2 layers \(synthetic_extent, synthetic_points\); say which one"):
        read_layer(path)
    with pytest.raises(InputError, match="no layer 'nosuch'; the file holds synthetic_extent, synthetic_points"):
        read_layer(path, layer="nosuch")
    frame, _ = read_layer(path, layer="synthetic_points")
    assert frame.geometry.iloc[0].equals(Point(0.5, 0.5))


def test_read_layer__a_second_geopackage_layer_is_found_whatever_pyogrio_warns(tmp_path, monkeypatch) -> None:
    # Were pyogrio to read the first layer without its "More than one layer found"
    # warning (reworded or dropped), a GeoPackage's layers are still listed first.
    import warnings

    import geopandas as gpd
    import pyogrio
    from shapely import Point, box

    path = tmp_path / "synthetic_two_layers.gpkg"
    gpd.GeoDataFrame(geometry=[box(0, 0, 1, 1)], crs="EPSG:4326").to_file(path, layer="synthetic_extent")
    gpd.GeoDataFrame(geometry=[Point(0.5, 0.5)], crs="EPSG:4326").to_file(path, layer="synthetic_points")
    read = pyogrio.read_dataframe

    def quiet(*args, **kwargs):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return read(*args, **kwargs)

    monkeypatch.setattr(pyogrio, "read_dataframe", quiet)
    with pytest.raises(InputError, match=r"holds 2 layers \(synthetic_extent, synthetic_points\); say which one"):
        read_layer(path)


# ---------------------------------------------------------------------- issue 14
def test_read_points_csv__a_decimal_comma_is_named_not_blamed_on_the_crs(tmp_path) -> None:
    p = tmp_path / "p.csv"
    p.write_text("name,lat,lon\nsynthetic,41,0647222,45,0575\n")
    with pytest.raises(InputError, match=r"more fields than the header.*decimal comma") as info:
        read_points_csv(p, crs="EPSG:4326")
    assert "projected" not in str(info.value)


def test_read_points_csv__a_repeated_column_is_an_input_error(tmp_path) -> None:
    p = tmp_path / "p.csv"
    p.write_text("name,lat,lat,lon\nsynthetic,41.06,41.06,45.05\n")
    with pytest.raises(InputError, match="column 'lat' appears 2 times"):
        read_points_csv(p, crs="EPSG:4326")


# ---------------------------------------------------------------------- issue 12
# The reader reads a vector file at once and checks its vertices from their bounding box
# first; these make sure every bad vertex is still found and named by its feature row.


def _lines(rows: list[list[tuple[float, float]]]) -> gpd.GeoDataFrame:
    from shapely import LineString

    return gpd.GeoDataFrame(
        {"name": [f"synthetic {i}" for i in range(1, len(rows) + 1)]},
        geometry=[LineString(r) for r in rows],
        crs="EPSG:4326",
    )


def test_read_layer__bad_vertices_inside_long_lines_name_their_features(tmp_path: Path) -> None:
    good = [(LON, LAT), (LON2, LAT2)]
    rows = [good, good, [(LON, LAT), (LAT2, LON2), (LAT, LON)], [(LON2, LAT2), (LAT, LON)]]
    path = tmp_path / "lines.gpkg"
    pyogrio.write_dataframe(_lines(rows), path)
    # Row 3 is the first feature with a vertex written lat/lon; row 4 has one too.
    with pytest.raises(CoordinateError, match=r"lines\.gpkg: row 3: lon=41\.085, lat=45\.098 .*lat/lon swapped") as err:
        read_layer(path, expect_bounds=TAVUSH)
    assert "(1 more bad row(s): 4)" in str(err.value)


def test_read_layer__a_nan_vertex_is_named(tmp_path: Path) -> None:
    rows = [[(LON, LAT), (LON2, LAT2)], [(LON, LAT), (float("nan"), LAT2), (LON2, LAT2)]]
    path = tmp_path / "nan.gpkg"
    # numpy's "invalid value" warnings from shapely, building and reading a NaN vertex: that is the point.
    with np.errstate(invalid="ignore"):
        pyogrio.write_dataframe(_lines(rows), path)
        with pytest.raises(CoordinateError, match=r"nan\.gpkg: row 2: lon=nan, lat=41\.085: a coordinate is empty"):
            read_layer(path)


def test_read_layer__just_outside_the_expected_bounds_is_an_error(tmp_path: Path) -> None:
    from borderkit.crs import EXPECT_MARGIN_DEG

    east = TAVUSH[2]
    outside = east + EXPECT_MARGIN_DEG + 0.001  # 1 mdeg past the margin
    path = tmp_path / "edge.geojson"
    pyogrio.write_dataframe(_lines([[(LON, LAT), (outside, LAT)]]), path)
    with pytest.raises(CoordinateError, match=r"edge\.geojson: row 1: .*expected bounds"):
        read_layer(path, expect_bounds=TAVUSH)
    inside = east + EXPECT_MARGIN_DEG - 0.001
    pyogrio.write_dataframe(_lines([[(LON, LAT), (inside, LAT)]]), path)
    frame, _ = read_layer(path, expect_bounds=TAVUSH)
    assert frame.geometry[0].coords[1] == (inside, LAT)


def test_read_layer__expected_bounds_across_the_antimeridian(tmp_path: Path) -> None:
    # Chukotka-like box from 170°E to 170°W: points at 179°E and 179°W lie in it, 0° does not.
    bounds = (170.0, 60.0, -170.0, 70.0)
    path = tmp_path / "dateline.geojson"
    pyogrio.write_dataframe(_lines([[(179.0, 65.0), (-179.0, 65.0)]]), path)
    frame, _ = read_layer(path, expect_bounds=bounds)
    assert list(frame.geometry[0].coords) == [(179.0, 65.0), (-179.0, 65.0)]
    pyogrio.write_dataframe(_lines([[(179.0, 65.0), (0.0, 65.0)]]), path)
    with pytest.raises(CoordinateError, match=r"dateline\.geojson: row 1: lon=0\.0, lat=65\.0"):
        read_layer(path, expect_bounds=bounds)


def test_read_layer__one_layer_files_still_name_a_wrong_layer_and_a_bad_file(tmp_path: Path) -> None:
    path = tmp_path / "points.geojson"
    frame = gpd.GeoDataFrame({"name": ["synthetic"]}, geometry=[Point(LON, LAT)], crs="EPSG:4326")
    pyogrio.write_dataframe(frame, path)
    with pytest.raises(InputError, match="no layer 'nosuch'; the file holds points"):
        read_layer(path, layer="nosuch")
    out, _ = read_layer(path, layer="points")
    _assert_same_points(out, [(LON, LAT)])
    bad = _write(tmp_path, "bad.geojson", '{"type": "FeatureCollection", "features": [')
    with pytest.raises(InputError, match=r"bad\.geojson: cannot be read as a vector file"):
        read_layer(bad)


def test_read_layer__gk_line_vertex_without_zone_prefix_names_its_feature(tmp_path: Path) -> None:
    from shapely import LineString

    # Easting first (GIS order) in EPSG:28408: zone 8 eastings carry the prefix 8 (8 500 000 false easting).
    good = LineString([(8504938.2, 4547853.2), (8505938.2, 4548853.2)])
    bad = LineString([(8504938.2, 4547853.2), (504938.2, 4547853.2)])
    path = tmp_path / "lines_gk.gpkg"
    pyogrio.write_dataframe(gpd.GeoDataFrame(geometry=[good, bad, good], crs="EPSG:28408"), path)
    with pytest.raises(
        CoordinateError, match=r"lines_gk\.gpkg: row 2: easting=504938\.2, northing=4547853\.2: .*zone prefix"
    ):
        read_layer(path)
