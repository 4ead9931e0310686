"""Measuring a case: lengths, areas and settlements, on synthetic cases with known answers."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from borderkit import load_case, measure


def test_measure__pair_span_length_matches_geodsolve(synthetic_case, geodsolve) -> None:
    # Synthetic: the outermost pair settlements project onto the line (lon 10.0) at
    # lat 0.01 (A-south) and lat 0.09 (A-north).
    m = measure(load_case(synthetic_case()))
    assert m.line_basis == "between outermost pairs"
    # The ends are the nearest points found in the local UTM plane, within 1 cm of the
    # geodesic feet at the same latitudes (GeodSolve's reference).
    assert m.total_length_m == pytest.approx(geodsolve(0.01, 10.0, 0.09, 10.0), abs=0.02)


def test_measure__segments_are_attributed_to_the_nearest_pair(synthetic_case, geodsolve) -> None:
    # Segment 0.01-0.05 is nearest A-south?  Its midpoint (lat 0.03) is 0.02 deg from
    # B-north (lat 0.05) but only ~0.022 deg from A-south (9.99, 0.01): hand computation
    # sqrt(0.01^2 + 0.02^2) = 0.0224 > 0.02, so the north pair wins; the segment
    # 0.05-0.09 (midpoint 0.07) is nearest B-north/A-north: also north.
    m = measure(load_case(synthetic_case()))
    assert set(m.segments["pair"]) == {"north"}
    assert m.length_m(("north",)) == pytest.approx(m.total_length_m)
    assert m.length_m(("south",)) == 0.0


def test_measure__handed_over_strip_has_direction_area_and_pair(synthetic_case, planimeter) -> None:
    # The old line bulges 0.01 deg east between lat 0.04 and 0.06; AAA is left (west) of
    # both lines, so that strip was AAA's and is BBB's now.
    m = measure(load_case(synthetic_case()))
    assert m.areas is not None
    handed = m.areas[~m.areas.get("sliver", False)] if "sliver" in m.areas else m.areas
    assert len(handed) == 1
    row = handed.iloc[0]
    assert (row.from_country, row.to_country) == ("AAA", "BBB")
    _, ref = planimeter([(10.0, 0.04), (10.01, 0.04), (10.01, 0.06), (10.0, 0.06)])
    assert row.area_m2 == pytest.approx(abs(ref), rel=1e-9)
    assert row.pairs == "north"
    assert "B-north" in row.settlements
    assert m.area_m2("BBB") == pytest.approx(abs(ref), rel=1e-9)
    assert m.area_m2("AAA") == 0.0


def test_measure__no_old_line_makes_areas_not_computable(synthetic_case) -> None:
    m = measure(load_case(synthetic_case(with_old_line=False)))
    assert m.areas is None
    assert m.area_m2("BBB") is None
    assert "no old_line layer" in m.areas_reason


def test_measure__settlement_sides_before_and_after(synthetic_case) -> None:
    s = measure(load_case(synthetic_case())).settlements.set_index("name")
    assert (s.loc["B-north", "side_old"], s.loc["B-north", "side_new"]) == ("AAA", "BBB")
    assert (s.loc["A-north", "side_old"], s.loc["A-north", "side_new"]) == ("AAA", "AAA")
    assert not s.loc["B-south-unknown", "has_coordinate"]
    # B-north sits 0.005 deg east of lon 10.0 at lat 0.05: 0.005 * 111.32 km = 556.6 m
    # (a degree of longitude at the equator is 111.32 km; UTM scale ~0.9996-1.0 here).
    assert s.loc["B-north", "distance_to_new_m"] == pytest.approx(556.6, rel=2e-3)


def test_measure__tavush_reports_alt_rendering_and_planar_difference() -> None:
    m = measure(load_case("tavush-2024"))
    # The five new_line_alt layers of case.toml, in its order.
    assert list(m.renderings) == ["osm_2025a", "osm_2024b", "osm_2024a", "gb_2020", "gb_2021"]
    assert all(r.total_length_m is not None for r in m.renderings.values())
    assert m.total_planar_length_m is not None
    assert m.total_length_m is not None
    # Planar (UTM 38N, CM 45E) and geodesic differ by metres over ~29 km, not more: within
    # 0.1-0.2 deg of the central meridian the UTM scale is k0 = 0.9996 (the (dlon cos lat)^2/2
    # term adds ~1e-6), so the planar length is 0.04 % short: ~12 m.
    assert 0 < abs(m.total_planar_length_m - m.total_length_m) < 20
    assert m.total_planar_length_m / m.total_length_m == pytest.approx(0.9996, abs=2e-5)
    assert m.planar_crs == "EPSG:32638"
    d = m.to_dict()
    assert d["line_basis"] == m.line_basis
    assert d["areas"]


# The WGS 84 points the synthetic SK-42 file was made from (its header comments).
# Turning points in a GeoJSON file of WGS 84 points (the tests write it).
TP_GEOJSON_TOML = """
[layers.turning_points]
role = "turning_points"
path = "tp.geojson"
crs = "EPSG:4326"
accuracy_m = 5
"""
SK42_WGS84 = [(45.0575, 41.06472222), (45.07, 41.07), (45.082, 41.078), (45.09, 41.085), (45.098, 41.095)]


@pytest.mark.parametrize("line_type", ["geodesic", "rhumb"])
def test_measure__turning_points_in_sk42_grid_give_geodesic_lengths(sk42_case, geodsolve, line_type) -> None:
    root = sk42_case(line_type=line_type)
    case = load_case(root)
    assert case.layer("turning_points").transformation.code == "EPSG:15865"
    m = measure(case)
    assert m.line_basis == "turning points"
    # All five points in one line, across the file's two sections: four segments.
    assert len(m.segments) == 4
    ref = [geodsolve(a[1], a[0], b[1], b[0]) for a, b in itertools.pairwise(SK42_WGS84)]
    # Points reproduce to ~1 cm, so each segment to a few cm; over ~1-1.5 km segments a
    # rhumb line is longer than the geodesic by well under a millimetre.
    assert m.segments["length_m"].to_numpy() == pytest.approx(ref, abs=0.05)
    if line_type == "rhumb":
        assert (m.segments["length_m"].to_numpy() >= np.array(ref) - 0.05).all()
    # The drawn line is densified (every 100 m) along the measured line.
    assert all(len(g.coords) > 2 for g in m.segments.geometry)


def test_measure__segments_frame_has_the_documented_columns_and_matches_geodsolve(synthetic_case, geodsolve) -> None:
    # The frame is built on first access (from the arrays the lengths were measured on):
    # the documented columns and dtypes, one object each time, each segment's length
    # GeodSolve's between its own ends, the UTM total the planar column's sum.
    m = measure(load_case(synthetic_case()))
    seg = m.segments
    assert seg is m.segments
    assert list(seg.columns) == [
        "group",
        "pair",
        "length_m",
        "planar_length_m",
        "lon0",
        "lat0",
        "lon1",
        "lat1",
        "geometry",
    ]
    assert all(isinstance(v, str) for c in ("group", "pair") for v in seg[c])  # dtype str or object by pandas
    assert all(seg[c].dtype == np.float64 for c in ("length_m", "planar_length_m", "lon0", "lat0", "lon1", "lat1"))
    assert seg.crs == "EPSG:4326"
    assert len(seg) == m.to_dict()["segments"] >= 1
    for r in seg.itertuples():
        assert r.length_m == pytest.approx(geodsolve(r.lat0, r.lon0, r.lat1, r.lon1), abs=1e-6)
        assert list(r.geometry.coords) == [(r.lon0, r.lat0), (r.lon1, r.lat1)]
    assert m.total_planar_length_m == pytest.approx(float(seg["planar_length_m"].sum()), rel=1e-15)
    # A 1.1 km meridian stretch near the UTM zone's central meridian (9°E, k0 0.9996 and
    # 1° off it): planar within 0.04 % below geodesic.
    assert m.total_planar_length_m / m.total_length_m == pytest.approx(0.9996, abs=2e-4)


def test_per_pair__rows_add_up_to_the_totals_with_shared_faces() -> None:
    # In Tavush one face holds settlements of two pairs (Baghanis Ayrum, Ashaghi
    # Askipara): it must appear as its own group row, not vanish.
    m = measure(load_case("tavush-2024"))
    table = m.per_pair()
    assert "baghanis+voskepar" in set(table["pair"])
    totals = m.area_totals()
    for code in ("ARM", "AZE"):
        assert table[f"area_to_{code}_m2"].sum() == pytest.approx(totals[f"area_to_{code}_m2"], rel=1e-12)
    assert table["length_m"].sum() == pytest.approx(m.total_length_m, rel=1e-12)


def test_turning_points__order_given_as_text_sorts_by_number(synthetic_case, write_geojson, geodsolve) -> None:
    # Synthetic: 12 points due north along lon 10.0, lat 0.00 .. 0.11, with "order" as
    # text "1".."12" and written in shuffled order. Sorted as text (1, 10, 11, 12, 2, ...)
    # the line would zig-zag; by number it is 0.11 deg long.

    root = synthetic_case(extra_toml=TP_GEOJSON_TOML)
    points = [("Point", [10.0, k * 0.01]) for k in range(12)]
    orders = [{"order": str(k + 1)} for k in range(12)]
    write_geojson(root / "tp.geojson", *points[::-1], properties=orders[::-1])
    m = measure(load_case(root))
    assert m.total_length_m == pytest.approx(geodsolve(0.0, 10.0, 0.11, 10.0), abs=1e-3)


@pytest.mark.parametrize(
    ("orders", "message"),
    [(["1", "2", "x"], "row 3: order = 'x' is not a number"), (["1", "2", "2"], "order = 2 appears twice")],
)
def test_turning_points__bad_order_names_row(synthetic_case, write_geojson, orders, message) -> None:

    from borderkit import InputError

    root = synthetic_case(extra_toml=TP_GEOJSON_TOML)
    write_geojson(
        root / "tp.geojson",
        *[("Point", [10.0, k * 0.01]) for k in range(len(orders))],
        properties=[{"order": o} for o in orders],
    )
    with pytest.raises(InputError, match=message):
        measure(load_case(root))


def test_measure__disconnected_line_names_its_layer_and_file(synthetic_case, write_geojson) -> None:
    from borderkit import GeometryError

    root = synthetic_case()
    write_geojson(
        root / "old_line.geojson", ("MultiLineString", [[[10.0, 0.0], [10.0, 0.04]], [[10.0, 0.06], [10.0, 0.1]]])
    )
    with pytest.raises(GeometryError, match=r"layers\.old_line \(old_line\.geojson\).*2 disconnected parts"):
        measure(load_case(root))


def test_stretch_segments__the_numbers_of_measuring_the_cut_stretch_again() -> None:
    # Synthetic: a 2,001-vertex wiggly line near 45°E 41°N and three settlements of pairs
    # a, b, c beside it. For cuts between any two of a dozen places (on vertices, between
    # them, within 1 µm of a vertex, at the ends), the lengths and pairs computed from the
    # cut segments alone must be those of measuring the cut stretch from scratch.
    from shapely import LineString

    from borderkit._measure import SegmentArrays, _Spanner

    t = np.linspace(0.0, 1.0, 2001)
    line = LineString(np.column_stack([45.0 + 0.05 * t, 41.0 + 0.002 * np.sin(40 * np.pi * t)]))
    known = np.array([[45.005, 41.003], [45.02, 40.998], [45.045, 41.001]])
    pairs = np.array(["a", "b", "c"], dtype=object)
    sp = _Spanner(line)
    total = sp.along[-1]
    places = [0.0, total, sp.along[10], sp.along[10] + 5e-7, sp.along[500] - 4e-7, 0.3 * total, 0.61 * total]
    places += [sp.along[1999], 0.999 * total, 17.0, sp.along[1000], 0.5 * total]
    for lo, hi in itertools.combinations(places, 2):
        at = np.array([lo, hi])
        length_m, pair = sp.stretch_segments(at, known, pairs)
        ref = SegmentArrays([("", sp.cut(at)[0])], "geodesic", known, pairs, {"a", "b", "c"})
        assert np.array_equal(length_m, ref.length_m)
        assert np.array_equal(pair, ref.pair)
