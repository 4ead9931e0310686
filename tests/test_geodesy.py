"""Geodesic lengths and areas against GeographicLib's own tools and published values."""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Callable

import numpy as np
import pytest
import shapely
from hypothesis import given, settings
from hypothesis import strategies as st
from numpy.typing import NDArray
from shapely import LineString, MultiPolygon, Polygon

from borderkit.errors import GeometryError
from borderkit.geodesy import (
    geodesic_area_m2,
    geodesic_length_m,
    geodesic_perimeter_m,
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


# ------------------------------------------------------------------ rings on the ellipsoid
# Synthetic rings written as a GIS writes them across the antimeridian: with a -180/180
# jump. Planimeter measures each edge the short way, so it reads them as crossing 180°.
ACROSS = [(179.5, 0.0), (-179.5, 0.0), (-179.5, 1.0), (179.5, 1.0)]
ACROSS_OUTER = [(179.0, -1.0), (-179.0, -1.0), (-179.0, 1.0), (179.0, 1.0)]
ACROSS_HOLE = [(179.2, -0.5), (179.6, -0.5), (179.6, 0.5), (179.2, 0.5)]  # west of 180°: no jump
CELL = [(10.0, 10.0), (11.0, 10.0), (11.0, 11.0), (10.0, 11.0)]


@pytest.mark.parametrize("reverse", [False, True])
def test_area__multipolygon_with_a_part_across_the_antimeridian(planimeter, reverse: bool) -> None:
    # Before the fix the planar orientation turned the crossing part round: its area
    # entered with a minus sign, 12,308,778,361.5 - 12,108,467,312.6 m² = 2e8 m² in all.
    parts = [ACROSS[::-1] if reverse else ACROSS, CELL]
    ref = sum(abs(planimeter(p)[1]) for p in parts)  # Planimeter: 12308778361.5 + 12108467312.6
    area = geodesic_area_m2(MultiPolygon([Polygon(p) for p in parts]))
    assert area == pytest.approx(ref, abs=1.0)


@pytest.mark.parametrize(("outer_reversed", "hole_reversed"), [(False, False), (True, False), (False, True)])
def test_area__hole_of_a_polygon_across_the_antimeridian_is_subtracted(
    planimeter, outer_reversed: bool, hole_reversed: bool
) -> None:
    # Before the fix the outer ring, turned round by planar orientation, and the hole
    # entered with the same sign: the hole was added, not subtracted.
    outer = ACROSS_OUTER[::-1] if outer_reversed else ACROSS_OUTER
    hole = ACROSS_HOLE[::-1] if hole_reversed else ACROSS_HOLE
    ref = abs(planimeter(outer)[1]) - abs(planimeter(hole)[1])
    assert geodesic_area_m2(Polygon(outer, [hole])) == pytest.approx(ref, abs=1.0)


@pytest.mark.parametrize("hole_reversed", [False, True])
def test_area__hole_subtracts_whatever_its_orientation(planimeter, hole_reversed: bool) -> None:
    outer = [(45.0, 41.0), (45.2, 41.0), (45.2, 41.2), (45.0, 41.2)]
    hole = [(45.05, 41.05), (45.1, 41.05), (45.1, 41.1), (45.05, 41.1)]
    hole = hole[::-1] if hole_reversed else hole
    ref = abs(planimeter(outer)[1]) - abs(planimeter(hole)[1])
    assert geodesic_area_m2(Polygon(outer, [hole])) == pytest.approx(ref, abs=1.0)


def test_perimeter_and_length__include_the_holes(planimeter) -> None:
    # pyproj's Geod.geometry_length measures a polygon's exterior only.
    outer = [(45.0, 41.0), (45.2, 41.0), (45.2, 41.2), (45.0, 41.2)]
    holes = [
        [(45.05, 41.05), (45.1, 41.05), (45.1, 41.1), (45.05, 41.1)],
        [(45.12, 41.12), (45.15, 41.12), (45.15, 41.15)],
    ]
    ref = sum(planimeter(ring)[0] for ring in (outer, *holes))
    polygon = Polygon(outer, holes)
    assert geodesic_perimeter_m(polygon) == pytest.approx(ref, abs=1e-6)
    assert geodesic_length_m(polygon) == pytest.approx(ref, abs=1e-6)
    across = MultiPolygon([Polygon(ACROSS_OUTER, [ACROSS_HOLE]), Polygon(CELL)])
    ref_across = sum(planimeter(ring)[0] for ring in (ACROSS_OUTER, ACROSS_HOLE, CELL))
    assert geodesic_perimeter_m(across) == pytest.approx(ref_across, abs=1e-6)


# ------------------------------------------------------------------ UTM zones


@pytest.fixture(scope="module")
def geoconvert_zones() -> Callable[[NDArray[np.float64], NDArray[np.float64]], list[str]]:
    """UTM zones ("32n") of many points from one call of GeographicLib's GeoConvert -u."""
    exe = shutil.which("GeoConvert")
    if exe is None:
        pytest.fail("GeoConvert is not installed: `apt-get install geographiclib-tools` (.ci/run does this)")

    def run(lons: NDArray[np.float64], lats: NDArray[np.float64]) -> list[str]:
        # Fixed point: GeographicLib reads "1e-05" as 1° East ("e" is a hemisphere to its parser).
        text = "".join(f"{la:.12f} {lo:.12f}\n" for lo, la in zip(lons.tolist(), lats.tolist(), strict=True))
        out = subprocess.run([exe, "-u"], input=text, capture_output=True, text=True, check=True).stdout
        return [line.split()[0] for line in out.splitlines()]

    return run


@pytest.mark.parametrize(
    ("name", "lon", "lat", "epsg"),
    [
        # echo "60.39 5.32" | GeoConvert -u  ->  32n 297230 6700510 (31V gives way to 32V)
        ("Bergen (synthetic point)", 5.32, 60.39, 32632),
        # echo "56 3" | GeoConvert -u  ->  32n; echo "56 2.999" | GeoConvert -u  ->  31n
        ("32V south-west corner", 3.0, 56.0, 32632),
        ("west of 32V", 2.999, 56.0, 32631),
        # echo "78.22 15.65" | GeoConvert -u  ->  33n 514814 8683004 (Longyearbyen, 33X)
        ("Longyearbyen (synthetic point)", 15.65, 78.22, 32633),
        # echo "72 41.99" | GeoConvert -u  ->  37n; echo "72 42" | GeoConvert -u  ->  38n
        ("37X east edge", 41.99, 72.0, 32637),
        ("east of 37X", 42.0, 72.0, 32638),
    ],
)
def test_local_projected_crs__norway_and_svalbard_exceptions(name: str, lon: float, lat: float, epsg: int) -> None:
    assert local_projected_crs(lon, lat).to_epsg() == epsg, name


def test_local_projected_crs__matches_geoconvert_on_random_points(geoconvert_zones) -> None:
    rng = np.random.default_rng(20240515)
    # Anywhere in UTM's range (lat < 84: GeoConvert gives UPS at 84°N; lon 180 is zone 1
    # there and 60 here, both valid), and densely over the two exceptions' boxes.
    lons = np.concatenate([rng.uniform(-180, 180, 300), rng.uniform(0, 42, 150), rng.uniform(0, 14, 150)])
    lats = np.concatenate([rng.uniform(-80, 84, 300), rng.uniform(70, 84, 150), rng.uniform(54, 66, 150)])
    zones = geoconvert_zones(lons, lats)
    ours = [local_projected_crs(lo, la).to_epsg() for lo, la in zip(lons, lats, strict=True)]
    expected = [(32600 if z.endswith("n") else 32700) + int(z[:-1]) for z in zones]
    mismatches = [(lo, la, o, e) for lo, la, o, e in zip(lons, lats, ours, expected, strict=True) if o != e]
    assert mismatches == []
