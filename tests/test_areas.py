"""Handed-over polygons on synthetic lines with known answers, and the side of a line.

Synthetic geometry: the new line runs due north along the meridian 45°E. A meridian is
a geodesic and a straight line in lon/lat at once, so densifying it (different vertex
spacing) changes nothing on the ellipsoid; every face's vertices below are computed by
hand and their areas taken from GeographicLib's Planimeter (geodesic edges, as
borderkit's own areas).
"""

from __future__ import annotations

import math

import numpy as np
import pytest
import shapely
from hypothesis import given, settings
from hypothesis import strategies as st
from shapely import LineString, Point, Polygon, box

from borderkit.areas import handover_polygons, nearest_pair, side_of, sliver_widths_m
from borderkit.errors import CaseError, GeometryError

NEW = LineString([(45.0, 40.99), (45.0, 41.11)])  # walking north: W on the left


def _zigzag(n: int = 14) -> LineString:
    # Vertices at lat 40.992 + 0.01 i, alternately lon 44.99 (even i) and 45.01 (odd i):
    # it crosses lon 45.0 half way along each segment, at lat 40.997 + 0.01 j.
    return LineString([(44.99 if i % 2 == 0 else 45.01, 40.992 + 0.01 * i) for i in range(n)])


def _faces(
    new: LineString, old: LineString, extent: Polygon, *, new_left: str = "W", old_left: str = "W", **kw: object
):
    return handover_polygons(new, old, extent, new_left=new_left, old_left=old_left, countries=("W", "E"), **kw)


def _zigzag_pieces(k: int) -> list[list[tuple[float, float]]]:
    """Hand-computed faces between NEW and the zigzag in box(44.95, 41.0, 45.05, 41.0 + 0.01 k)."""
    c = [40.997 + 0.01 * j for j in range(k + 1)]  # crossings; c[1..k] lie inside the box
    x = [44.99 if i % 2 == 0 else 45.01 for i in range(k + 2)]
    y = [40.992 + 0.01 * i for i in range(k + 2)]
    top = 41.0 + 0.01 * k
    # The box's south edge (lat 41.0) meets the zigzag on segment 0-1 at t = 0.008/0.01 = 0.8:
    # lon 44.99 + 0.8 × 0.02 = 45.006. Likewise its north edge on segment k-(k+1) at t = 0.8.
    x_top = x[k] + 0.8 * (x[k + 1] - x[k])
    pieces = [[(45.0, 41.0), (45.006, 41.0), (x[1], y[1]), (45.0, c[1])]]
    pieces += [[(45.0, c[j]), (x[j + 1], y[j + 1]), (45.0, c[j + 1])] for j in range(1, k)]
    pieces.append([(45.0, c[k]), (x_top, top), (45.0, top)])
    return pieces


@pytest.mark.parametrize("k", [1, 2, 3, 5])
def test_handover__lines_crossing_k_times_give_k_plus_1_alternating_faces(k: int, planimeter) -> None:
    extent = box(44.95, 41.0, 45.05, 41.0 + 0.01 * k)
    faces = _faces(NEW, _zigzag(), extent)
    assert len(faces) == k + 1
    faces = faces.iloc[np.argsort(shapely.get_y(shapely.centroid(faces.geometry.to_numpy())))]
    # The first face lies east of the new line (E now) and west of the zigzag (W before):
    # it went W -> E; then directions alternate.
    expected = ["E" if j % 2 == 0 else "W" for j in range(k + 1)]
    assert faces["to_country"].tolist() == expected
    for piece, area in zip(_zigzag_pieces(k), faces["area_m2"], strict=True):
        _, ref = planimeter(piece)
        assert area == pytest.approx(abs(ref), rel=1e-6)


def test_handover__one_crossing_triangle_matches_planimeter_by_hand(planimeter) -> None:
    # k = 2: the middle lens is the triangle (45.0, 41.007), (44.99, 41.012), (45.0, 41.017),
    # west of the new line and east of the zigzag (E -> W); about ½ × 0.01° lat × 0.01° lon
    # ≈ ½ × 1110.5 m × 841 m ≈ 0.467 km².
    faces = _faces(NEW, _zigzag(), box(44.95, 41.0, 45.05, 41.02))
    lens = faces[faces["to_country"] == "W"].iloc[0]
    _, ref = planimeter([(45.0, 41.007), (44.99, 41.012), (45.0, 41.017)])
    assert lens.area_m2 == pytest.approx(abs(ref), rel=1e-6)
    assert lens.area_m2 == pytest.approx(0.5 * 1110.5 * 841.0, rel=2e-3)


SHARED = LineString([(44.99, 40.99), (44.99, 41.02), (45.0, 41.03), (45.0, 41.06), (45.01, 41.07), (45.01, 41.11)])
SHARED_PIECES = {  # lon/lat rings of the two faces, by hand; the stretch 41.03-41.06 is shared
    "W": [(45.0, 41.0), (44.99, 41.0), (44.99, 41.02), (45.0, 41.03)],
    "E": [(45.0, 41.06), (45.01, 41.07), (45.01, 41.1), (45.0, 41.1)],
}
EXT = box(44.95, 41.0, 45.05, 41.1)


def _by_direction(faces) -> dict[str, float]:
    handed = faces[~faces["sliver"]]
    return {c: float(handed.loc[handed["to_country"] == c, "area_m2"].sum()) for c in ("W", "E")}


def _densify_shared(line: LineString) -> LineString:
    # Extra vertices on the shared meridian stretch only (spacing 0.0025°, not the new
    # line's): they lie exactly on lon 45.0, so the line is unchanged.
    xy = shapely.get_coordinates(line).tolist()
    extra = [(45.0, 41.03 + 0.0025 * i) for i in range(1, 12)]
    return LineString(xy[:3] + extra + xy[3:])


@pytest.mark.parametrize(
    "variant",
    [
        "plain",
        "new densified",
        "shared stretch densified",
        "old reversed",
        "new reversed",
        "both reversed and densified",
    ],
)
def test_handover__shared_stretch_same_answer_for_spacing_and_direction(variant: str, planimeter) -> None:
    new, old, new_left, old_left = NEW, SHARED, "W", "W"
    if "new densified" in variant or ("densified" in variant and "both" in variant):
        new = shapely.segmentize(new, 0.0007)
    if "shared stretch densified" in variant or "both" in variant:
        old = _densify_shared(old)
    if "old reversed" in variant or "both" in variant:
        old, old_left = shapely.reverse(old), "E"
    if "new reversed" in variant or "both" in variant:
        new, new_left = shapely.reverse(new), "E"
    faces = _faces(new, old, EXT, new_left=new_left, old_left=old_left)
    assert len(faces) == 2
    got = _by_direction(faces)
    for to, ring in SHARED_PIECES.items():
        assert got[to] == pytest.approx(abs(planimeter(ring)[1]), rel=1e-6)


TOUCH = [(44.99, 40.99), (44.99, 41.03), (45.0, 41.04), (44.99, 41.05), (44.99, 41.11)]


@pytest.mark.parametrize("gap_deg", [0.0, 1e-12, -1e-12])
def test_handover__touching_lines_give_the_same_answer(gap_deg: float, planimeter) -> None:
    # The old line touches the new one at (45.0, 41.04) (or misses it, or pokes through it,
    # by 1e-12°, far below the 1e-9° snap grid: floating-point noise of a different build).
    coords = list(TOUCH)
    coords[2] = (45.0 - gap_deg, 41.04)
    faces = _faces(NEW, LineString(coords), EXT)
    # Two faces, both from E (east of the old line) to W (west of the new line):
    lower = [(45.0, 41.0), (44.99, 41.0), (44.99, 41.03), (45.0, 41.04)]
    upper = [(45.0, 41.04), (44.99, 41.05), (44.99, 41.1), (45.0, 41.1)]
    expected = abs(planimeter(lower)[1]) + abs(planimeter(upper)[1])
    assert set(faces.loc[~faces["sliver"], "to_country"]) == {"W"}
    assert _by_direction(faces)["W"] == pytest.approx(expected, rel=1e-6)


def _bumps() -> LineString:
    # A 0.00005° (≈ 4.2 m at 41°N: 0.00005 × 111 320 × cos 41°) bump east over 41.02-41.04
    # and a 0.005° (≈ 420 m) bump over 41.06-41.08.
    return LineString(
        [
            (45.0, 40.99),
            (45.0, 41.02),
            (45.00005, 41.02),
            (45.00005, 41.04),
            (45.0, 41.04),
            (45.0, 41.06),
            (45.005, 41.06),
            (45.005, 41.08),
            (45.0, 41.08),
            (45.0, 41.11),
        ]
    )


def test_handover__sliver_is_kept_apart_under_the_combined_accuracy() -> None:
    faces = _faces(_bumps(), NEW, EXT, new_accuracy_m=5.0, old_accuracy_m=5.0)
    assert faces.attrs["sliver_width_m"] == pytest.approx(math.hypot(5, 5))
    assert len(faces) == 2
    strip = faces.loc[faces["sliver"]].iloc[0]
    big = faces.loc[~faces["sliver"]].iloc[0]
    assert strip.width_m == pytest.approx(0.00005 * 111_320 * math.cos(math.radians(41.03)), rel=5e-3)
    assert big.width_m > 400


@pytest.mark.parametrize(("kw", "slivers"), [({"sliver_width_m": 1.0}, 0), ({"sliver_width_m": 500.0}, 2), ({}, 0)])
def test_handover__sliver_threshold_is_adjustable(kw: dict, slivers: int) -> None:
    # Without accuracies and without a threshold, no face is a sliver.
    assert int(_faces(_bumps(), NEW, EXT, **kw)["sliver"].sum()) == slivers


def test_sliver_widths_m__strip_width_by_hand() -> None:
    # 0.001° of latitude at 41°N is 111.05 m (meridian arc, GeographicLib: 111 053 m/°).
    assert sliver_widths_m([box(45.0, 41.0, 45.1, 41.001)])[0] == pytest.approx(111.05, rel=2e-3)


@settings(max_examples=25, deadline=None)
@given(
    k=st.integers(1, 4),
    spacing=st.sampled_from([None, 0.0007, 0.0031]),
    reverse_new=st.booleans(),
    reverse_old=st.booleans(),
    start=st.integers(0, 3),
)
def test_handover__area_invariant_under_reversal_densification_and_start_vertex(
    k: int, spacing: float | None, reverse_new: bool, reverse_old: bool, start: int
) -> None:
    extent = box(44.95, 41.0, 45.05, 41.0 + 0.01 * k)
    base = _by_direction(_faces(NEW, _zigzag(), extent))
    new, old, new_left, old_left = NEW, _zigzag(), "W", "W"
    if spacing is not None:
        new = shapely.segmentize(new, spacing)  # a meridian: densifying changes nothing
    if reverse_new:
        new, new_left = shapely.reverse(new), "E"
    if reverse_old:
        old, old_left = shapely.reverse(old), "E"
    ring = shapely.get_coordinates(extent.exterior)[:-1]
    ring = np.roll(ring, start, axis=0)
    got = _by_direction(_faces(new, old, Polygon(ring), new_left=new_left, old_left=old_left))
    for c in ("W", "E"):
        assert got[c] == pytest.approx(base[c], rel=1e-9)


def test_handover__no_change_gives_an_empty_frame_with_columns() -> None:
    faces = _faces(NEW, NEW, EXT)
    assert faces.empty
    assert {"sliver", "width_m", "area_m2", "to_country"} <= set(faces.columns)


def test_handover__bad_arguments_are_named() -> None:
    with pytest.raises(CaseError, match="new_left='X'"):
        _faces(NEW, SHARED, EXT, new_left="X")
    with pytest.raises(CaseError, match="sliver_width_m=-1"):
        _faces(NEW, SHARED, EXT, sliver_width_m=-1)
    with pytest.raises(GeometryError, match="LineString"):
        handover_polygons(NEW, SHARED, NEW, new_left="W", old_left="W", countries=("W", "E"))


@pytest.mark.parametrize(
    ("pt", "side"),
    [
        ((5, 1), 1),
        ((5, -1), -1),
        ((5, 0), 0),
        ((9, 1), 1),
        ((11, -1), -1),
        ((11, 1), -1),  # near the left turn at (10, 0)
        ((-1, 0.5), 1),
        ((12, 12), -1),  # beyond the ends
    ],
)
def test_side_of__segments_vertices_and_ends(pt: tuple[float, float], side: int) -> None:
    line = LineString([(0, 0), (10, 0), (10, 10)])
    assert side_of(line, [Point(pt)]).tolist() == [side]


def test_side_of__repeated_vertices_and_many_points() -> None:
    line = LineString([(0, 0), (5, 0), (5, 0), (10, 0)])
    pts = shapely.points(np.column_stack([np.linspace(0.5, 9.5, 1000), np.tile([1.0, -1.0], 500)]))
    assert side_of(line, pts).tolist() == [1, -1] * 500
    with pytest.raises(GeometryError, match="disconnected"):
        side_of(shapely.MultiLineString([[(0, 0), (1, 0)], [(2, 0), (3, 0)]]), [Point(0, 1)])


@settings(max_examples=60, deadline=None)
@given(
    st.lists(st.floats(-1.0, 1.0), min_size=3, max_size=30),
    st.lists(st.tuples(st.floats(0.05, 0.95), st.floats(1e-4, 0.05), st.booleans()), min_size=1, max_size=40),
)
def test_side_of__matches_above_below_for_x_monotone_synthetic_lines(ys, probes) -> None:
    # Synthetic x-monotone line (x = 0, 0.1, 0.2, ...) walked towards +x: its left is
    # above it. A point just above or below the line at an x inside it (away from the
    # ends, so that the nearest point of the line is not an end) must be left or right.
    xs = np.arange(len(ys)) * 0.1
    line = shapely.LineString(np.column_stack([xs, ys]))
    pts, expected = [], []
    for fx, offset, above in probes:
        px = 0.1 + fx * (xs[-1] - 0.2)
        py = float(np.interp(px, xs, ys)) + (offset if above else -offset)
        pts.append(shapely.Point(px, py))
        expected.append(1 if above else -1)
    assert side_of(line, pts).tolist() == expected


def test_side_of__long_line_across_many_index_pieces() -> None:
    # Synthetic x-monotone line of 20,001 vertices (the nearest-segment index holds pieces
    # of 32 segments: 625 of them), walked towards +x: above it is left, below it right,
    # anywhere along it, also at the vertices where two pieces meet (every 32nd) and
    # between vertices; a point exactly on a vertex is on the line.
    xs = np.linspace(0.0, 1.0, 20_001)
    ys = 0.01 * np.sin(300 * xs)
    line = LineString(np.column_stack([xs, ys]))
    k = np.concatenate([np.arange(100, 19_900, 37), np.arange(32, 19_968, 32)])
    px = np.concatenate([xs[k], (xs[k] + xs[k + 1]) / 2])
    py = np.interp(px, xs, ys)
    for offset, side in ((1e-4, 1), (-1e-4, -1), (3e-3, 1), (-3e-3, -1)):
        assert (side_of(line, shapely.points(px, py + offset)) == side).all()
    assert (side_of(line, shapely.points(xs[k], ys[k])) == 0).all()


def test_nearest_pair__settlements_held_else_the_nearest() -> None:
    # Synthetic settlements near 45°E 41°N. The first box holds s1 (pair a), s2 (b) and
    # s3 (a): pairs a, b in row order; s4 (no pair) is ignored. The second box, 0.09° east
    # and 0.05° north, holds none: s5 (c), 0.005° east of it, is nearer than s2 (~8 km).
    # A point is not an area: it gets the nearest pair (s1, where it stands).
    import geopandas as gpd

    settlements = gpd.GeoDataFrame(
        {"name": ["s1", "s2", "s3", "s4", "s5"], "pair": ["a", "b", "a", "", "c"]},
        geometry=gpd.points_from_xy([45.001, 45.002, 45.0015, 45.003, 45.1], [41.001, 41.002, 41.0015, 41.003, 41.055]),
        crs="EPSG:4326",
    )
    geoms = [box(45.0, 41.0, 45.01, 41.01), box(45.09, 41.05, 45.095, 41.06), Point(45.001, 41.001)]
    assert nearest_pair(geoms, settlements) == [("a", "b"), ("c",), ("a",)]
    assert nearest_pair(geoms, settlements[settlements["pair"] == ""]) == [(), (), ()]
    assert nearest_pair([], settlements) == []


def test_handover_polygons__non_box_extent_keeps_faces_apart() -> None:
    # Synthetic: the old line runs north along lon 10.0; the new one bulges 0.01 deg east
    # between lat 0.04 and 0.06 and again between 0.08 and 0.09. Two separate faces
    # (0.01 x 0.02 and 0.01 x 0.01 deg). A slightly rotated box (not axis-aligned, so
    # not clipped as a rectangle) must give the same two faces, not one merged face.
    old = LineString([(10.0, -0.05), (10.0, 0.15)])
    new = LineString(
        [
            (10.0, -0.05),
            (10.0, 0.04),
            (10.01, 0.04),
            (10.01, 0.06),
            (10.0, 0.06),
            (10.0, 0.08),
            (10.01, 0.08),
            (10.01, 0.09),
            (10.0, 0.09),
            (10.0, 0.15),
        ]
    )
    square = box(9.95, 0.0, 10.05, 0.1)
    tilted = shapely.affinity.rotate(square, 0.5, origin="centroid")
    kw = {"new_left": "W", "old_left": "W", "countries": ("W", "E")}
    a = handover_polygons(new, old, square, **kw)
    b = handover_polygons(new, old, tilted, **kw)
    assert len(a) == len(b) == 2
    assert sorted(b["area_m2"]) == pytest.approx(sorted(a["area_m2"]), rel=1e-9)


def test_handover__per_face_work_shared_among_threads(monkeypatch, planimeter) -> None:
    # The per-face work (geodesic areas, widths, nearest pairs) split among 2 threads in
    # 8 pieces, as on a big input: each of the 11 faces of the k = 10 zigzag keeps its
    # hand-computed area and the rows are those of the one-thread run. Synthetic
    # settlements: "a" at the south end, "b" at the north end, neither inside a face.
    import geopandas as gpd

    import borderkit.areas as areas

    settlements = gpd.GeoDataFrame(
        {"name": ["s1", "s2"], "pair": ["a", "b"]},
        geometry=gpd.points_from_xy([45.04, 45.04], [41.001, 41.099]),
        crs="EPSG:4326",
    )
    extent = box(44.95, 41.0, 45.05, 41.1)
    monkeypatch.setattr(areas, "_threads", lambda: 1)
    one = _faces(NEW, _zigzag(), extent, settlements=settlements)
    monkeypatch.setattr(areas, "PARALLEL_VERTICES", 0)
    monkeypatch.setattr(areas, "_threads", lambda: 2)
    shared = _faces(NEW, _zigzag(), extent, settlements=settlements)
    assert len(shared) == 11
    assert shared.drop(columns="geometry").equals(one.drop(columns="geometry"))
    assert shapely.equals_exact(shared.geometry.to_numpy(), one.geometry.to_numpy(), 0).all()
    by_lat = shared.iloc[np.argsort(shapely.get_y(shapely.centroid(shared.geometry.to_numpy())))]
    for piece, area in zip(_zigzag_pieces(10), by_lat["area_m2"], strict=True):
        _, ref = planimeter(piece)
        assert area == pytest.approx(abs(ref), rel=1e-6)
    # The southernmost face is nearest s1, the northernmost nearest s2.
    assert (by_lat["pairs"].iloc[0], by_lat["pairs"].iloc[-1]) == ("a", "b")
    assert (shared["width_m"] > 0).all()
