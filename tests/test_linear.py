"""PlanarLine.locate against GEOS's own walk (shapely.line_locate_point, shapely.distance).

GEOS is the reference: the indexed search must give its numbers to the last bit, on
synthetic lines built to have ties (a hairpin whose strands are equidistant from points
on its axis, a line through the same point twice), repeated vertices, points on vertices
and on segments, and points far off.
"""

from __future__ import annotations

import numpy as np
import pytest
import shapely
from hypothesis import given, settings
from hypothesis import strategies as st

from borderkit._linear import PlanarLine
from borderkit.errors import GeometryError


def _reference(xy: np.ndarray, pts: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    line, p = shapely.LineString(xy), shapely.points(pts)
    return shapely.line_locate_point(line, p), shapely.distance(line, p)


def _hairpin() -> np.ndarray:
    # Synthetic: out along y = +50 and back along y = -50, 1 km long, a vertex every 10 m
    # (the return strand's vertices sit half way between the outward one's).
    out = np.column_stack([np.arange(0.0, 1001.0, 10.0), np.full(101, 50.0)])
    back = np.column_stack([np.arange(1005.0, -1.0, -10.0), np.full(101, -50.0)])
    return np.vstack([out, [[1005.0, 0.0]], back])


def _crossing_self() -> np.ndarray:
    # Synthetic: a figure of eight through (0, 0) twice, with a repeated vertex.
    t = np.linspace(0.0, 2.0 * np.pi, 401)
    xy = np.column_stack([1000.0 * np.sin(t), 500.0 * np.sin(2.0 * t)])
    return np.insert(xy, 100, xy[100], axis=0)


@pytest.mark.parametrize("make", [_hairpin, _crossing_self])
def test_locate__equals_geos_walk_to_the_bit(make) -> None:
    xy = make()
    rng = np.random.default_rng(3)
    lo, hi = xy.min(axis=0) - 200.0, xy.max(axis=0) + 200.0
    on_segment = xy[:-1] + rng.uniform(0.0, 1.0, (len(xy) - 1, 1)) * np.diff(xy, axis=0)
    axis = np.column_stack([np.arange(-100.0, 1100.0, 5.0), np.zeros(240)])  # equidistant from both strands
    pts = np.vstack([rng.uniform(lo, hi, (4000, 2)), xy, on_segment, axis])
    along, off = PlanarLine(xy).locate(pts)
    ref_along, ref_off = _reference(xy, pts)
    assert np.array_equal(along, ref_along)
    assert np.array_equal(off, ref_off)


def test_locate__ties_take_the_first_segment_along_the_line() -> None:
    # On the hairpin's axis at x = 500 both strands are 50 m away: GEOS keeps the outward
    # one, 500 m along; the return strand would give 1005 + 5 + 505 ≈ 2015 m.
    line = PlanarLine(_hairpin())
    for _ in range(2):  # the first call may go through GEOS's walk, the second through the index
        along, off = line.locate([[500.0, 0.0]] * 20)
        assert along.tolist() == [500.0] * 20
        assert off.tolist() == [50.0] * 20


def test_locate__few_points_and_many_agree_and_non_finite_points_give_nan() -> None:
    xy = _crossing_self()
    few = PlanarLine(xy).locate([[10.0, 20.0], [np.nan, 1.0]])
    many = PlanarLine(xy).locate(np.vstack([[[10.0, 20.0], [np.nan, 1.0]], np.zeros((200, 2))]))  # through the index
    assert np.array_equal(few[0][:1], many[0][:1]) and np.isnan(few[0][1]) and np.isnan(many[0][1])
    assert np.isnan(few[1][1]) and np.isnan(many[1][1])


def test_planar_line__fewer_than_two_vertices_is_refused() -> None:
    with pytest.raises(GeometryError, match=r"xy: got shape \(1, 2\); give a line's \(n, 2\) vertices with n >= 2"):
        PlanarLine([[0.0, 0.0]])


@settings(max_examples=60, deadline=None)
@given(
    st.lists(st.tuples(st.integers(-50, 50), st.integers(-50, 50)), min_size=2, max_size=30),
    st.lists(st.tuples(st.integers(-60, 60), st.integers(-60, 60)), min_size=20, max_size=60),
)
def test_locate__integer_grids_full_of_ties(vertices, points) -> None:
    # Integer coordinates make exact ties (equal distances to several segments, points on
    # vertices, repeated vertices) common: the index must pick GEOS's segment every time.
    xy = np.asarray(vertices, dtype=float) * 10.0
    pts = np.asarray(points, dtype=float) * 10.0
    along, off = PlanarLine(xy).locate(pts)
    ref_along, ref_off = _reference(xy, pts)
    assert np.array_equal(along, ref_along, equal_nan=True)
    assert np.array_equal(off, ref_off, equal_nan=True)


@pytest.mark.parametrize("make", [_hairpin, _crossing_self])
def test_interpolate__equals_geos_to_the_bit(make) -> None:
    # Distances before the start, past the end, negative (from the end), on every vertex
    # (the running sums themselves) and in between: shapely.line_interpolate_point's points.
    xy = make()
    line = PlanarLine(xy)
    total = shapely.LineString(xy).length
    rng = np.random.default_rng(5)
    at = np.concatenate(
        [rng.uniform(-1.2 * total, 1.2 * total, 3000), line.locate(xy)[0], [0.0, -0.0, total, 2 * total, -2 * total]]
    )
    ref = shapely.get_coordinates(shapely.line_interpolate_point(shapely.LineString(xy), at))
    assert np.array_equal(line.interpolate(at), ref)


@settings(max_examples=60, deadline=None)
@given(
    st.lists(st.tuples(st.integers(-20, 20), st.integers(-20, 20)), min_size=2, max_size=25),
    st.lists(st.floats(-2000.0, 2000.0), min_size=1, max_size=30),
)
def test_interpolate__integer_grids_with_repeated_vertices(vertices, at) -> None:
    xy = np.asarray(vertices, dtype=float) * 10.0
    ref = shapely.get_coordinates(shapely.line_interpolate_point(shapely.LineString(xy), np.asarray(at)))
    assert np.array_equal(PlanarLine(xy).interpolate(at), ref)


def test_locate_within__the_points_less_than_the_distance_off() -> None:
    # On the hairpin: points 0.3 m off the outward strand are kept with their distance
    # along; points 0.7 m off, or on the axis 50 m from both strands, are not.
    xy = _hairpin()
    pts = np.array([[100.0, 50.3], [250.0, 49.7], [300.0, 50.7], [500.0, 0.0], [1000.0, 50.0]])
    which, along = PlanarLine(xy).locate_within(pts, 0.5)
    assert which.tolist() == [0, 1, 4]
    assert along.tolist() == [100.0, 250.0, 1000.0]
