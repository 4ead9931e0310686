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
    many = PlanarLine(xy).locate(np.vstack([[[10.0, 20.0], [np.nan, 1.0]], np.zeros((40, 2))]))
    assert np.array_equal(few[0][:1], many[0][:1]) and np.isnan(few[0][1]) and np.isnan(many[0][1])
    assert np.isnan(few[1][1]) and np.isnan(many[1][1])


def test_planar_line__fewer_than_two_vertices_is_refused() -> None:
    with pytest.raises(ValueError, match="n >= 2"):
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
