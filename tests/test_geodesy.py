"""Geodesic lengths and areas against GeographicLib's own tools and published values."""

from __future__ import annotations

import numpy as np
import pytest
import shapely
from hypothesis import given, settings
from hypothesis import strategies as st
from shapely import LineString, Polygon

from borderkit.errors import GeometryError
from borderkit.geodesy import (
    geodesic_area_m2,
    geodesic_length_m,
    local_projected_crs,
    planar_length_m,
    segment_lengths_m,
)


def test_segment_lengths_m__matches_geographiclib_published_jfk_lhr() -> None:
    # GeographicLib's documented example (GeodSolve man page): JFK (40.6N 73.8W) to
    # LHR (51.6N 0.5W) is 5551759.400 m on WGS 84.
    assert segment_lengths_m([-73.8, -0.5], [40.6, 51.6])[0] == pytest.approx(5551759.400, abs=1e-3)


@pytest.mark.parametrize(
    ("lon1", "lat1", "lon2", "lat2"),
    [(45.0575, 41.0647, 45.1333, 41.05), (45.03, 41.02, 45.17, 41.12), (0.0, 0.0, 179.5, 0.5), (-10, -60, 30, 70)],
)
def test_segment_lengths_m__matches_geodsolve(geodsolve, lon1, lat1, lon2, lat2) -> None:
    ref = geodsolve(lat1, lon1, lat2, lon2)
    assert segment_lengths_m([lon1, lon2], [lat1, lat2])[0] == pytest.approx(ref, abs=1e-6)


def test_geodesic_length_m__sums_segments_of_a_line(geodsolve) -> None:
    coords = [(45.03, 41.02), (45.10, 41.05), (45.17, 41.12)]
    ref = geodsolve(41.02, 45.03, 41.05, 45.10) + geodsolve(41.05, 45.10, 41.12, 45.17)
    assert geodesic_length_m(LineString(coords)) == pytest.approx(ref, abs=1e-6)


def test_area__matches_planimeter_for_the_tavush_extent(planimeter) -> None:
    ring = [(45.03, 41.02), (45.17, 41.02), (45.17, 41.12), (45.03, 41.12)]
    _, ref = planimeter(ring)
    assert geodesic_area_m2(Polygon(ring)) == pytest.approx(abs(ref), rel=1e-9)


def test_area__clockwise_ring_gives_positive_m2(planimeter) -> None:
    ccw = [(45.03, 41.02), (45.17, 41.02), (45.17, 41.12), (45.03, 41.12)]
    cw = ccw[::-1]
    assert not shapely.is_ccw(Polygon(cw).exterior)
    _, ref = planimeter(cw)
    assert geodesic_area_m2(Polygon(cw)) > 0
    assert geodesic_area_m2(Polygon(cw)) == pytest.approx(abs(ref), rel=1e-9)


def test_area__hole_is_subtracted(planimeter) -> None:
    outer = [(45.0, 41.0), (45.2, 41.0), (45.2, 41.2), (45.0, 41.2)]
    hole = [(45.05, 41.05), (45.1, 41.05), (45.1, 41.1), (45.05, 41.1)]
    _, a_outer = planimeter(outer)
    _, a_hole = planimeter(hole)
    assert geodesic_area_m2(Polygon(outer, [hole])) == pytest.approx(abs(a_outer) - abs(a_hole), rel=1e-9)


def test_area__of_a_line_is_zero_and_length_of_a_point_is_zero() -> None:
    assert geodesic_area_m2(LineString([(0, 0), (1, 1)])) == 0.0
    assert geodesic_length_m(shapely.Point(0, 0)) == 0.0


def test_planar_length_m__differs_from_geodesic_by_metres_not_kilometres() -> None:
    # FACTS.md: over 12 km at 41N, UTM 38N planar length differs from geodesic by
    # -4.8 m at the central meridian (45E) to +4.6 m at the zone edge (about 42E).
    # Scale factor k0 = 0.9996 on the central meridian: 12 km * (1 - 0.9996) = 4.8 m.
    line = LineString([(45.0, 41.0), (45.0, 41.0 + 12_000 / 111_000)])
    g = geodesic_length_m(line)
    p = planar_length_m(line, local_projected_crs(45.0, 41.0))
    assert p - g == pytest.approx(-0.0004 * g, abs=0.05)


def test_local_projected_crs__rejects_polar_latitudes() -> None:
    with pytest.raises(GeometryError, match="no UTM zone"):
        local_projected_crs(45.0, 85.0)


lon = st.floats(44.0, 46.0)
lat = st.floats(40.0, 42.0)


@settings(max_examples=50, deadline=None)
@given(st.lists(st.tuples(lon, lat), min_size=3, max_size=12, unique=True))
def test_length__is_additive_over_sections(points) -> None:
    line = LineString(points)
    k = len(points) // 2
    first, second = LineString(points[: k + 1]), LineString(points[k:])
    assert geodesic_length_m(line) == pytest.approx(geodesic_length_m(first) + geodesic_length_m(second), rel=1e-12)


@settings(max_examples=50, deadline=None)
@given(st.integers(0, 5), st.booleans(), st.floats(0.01, 0.3), st.floats(0.01, 0.3))
def test_area__does_not_change_with_orientation_or_start_vertex(shift, reverse, w, h) -> None:
    ring = [(45.0, 41.0), (45.0 + w, 41.0), (45.0 + w, 41.0 + h), (45.0 + w / 2, 41.0 + 1.5 * h), (45.0, 41.0 + h)]
    base = geodesic_area_m2(Polygon(ring))
    k = shift % len(ring)
    moved = ring[k:] + ring[:k]
    if reverse:
        moved = moved[::-1]
    assert geodesic_area_m2(Polygon(moved)) == pytest.approx(base, rel=1e-10)
    assert np.isfinite(base)
    assert base > 0
