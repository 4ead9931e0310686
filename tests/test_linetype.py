"""Tests for borderkit.linetype: geodesic and rhumb lines between turning points.

Reference values come from GeographicLib's command-line tools (Debian package
geographiclib-tools), pasted with the exact command, and from a hand formula.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pyproj import Geod

from borderkit.errors import GeometryError
from borderkit.linetype import densify, rhumb_azimuth_deg, rhumb_length_m

GEOD = Geod(ellps="WGS84")

# A 12 km line at 41°N, north-east (azimuth 45° at the start), synthetic, near Tavush:
# python -c "from pyproj import Geod; print(Geod(ellps='WGS84').fwd(45, 41, 45, 12000))"
NE_END = (45.10096956194268, 41.07636217017677)
# A 12 km line at 41°N due east along the parallel (rhumb length 12000.20 m).
EW_END = (45.14263, 41.0)


@pytest.mark.parametrize(
    ("lon1", "lat1", "lon2", "lat2", "length_m", "azimuth_deg"),
    [
        # echo "41 45 42 45" | RhumbSolve -i -p 6  ->  0.00000000000 111063.588341
        (45.0, 41.0, 45.0, 42.0, 111063.588341, 0.0),
        # echo "41 45 41 45.1" | RhumbSolve -i -p 6  ->  90.00000000000 8413.518511
        (45.0, 41.0, 45.1, 41.0, 8413.518511, 90.0),
        # echo "41 45 41.07636217017677 45.10096956194268" | RhumbSolve -i -p 9
        #   ->  45.03313154851730 12000.000669356
        (45.0, 41.0, *NE_END, 12000.000669356, 45.03313154851730),
        # echo "41 45 41 45.14263" | RhumbSolve -i -p 9  ->  90.00000000000000 12000.201452820
        (45.0, 41.0, *EW_END, 12000.201452820, 90.0),
    ],
)
def test_rhumb_length_m__matches_geographiclib_rhumbsolve(
    lon1: float, lat1: float, lon2: float, lat2: float, length_m: float, azimuth_deg: float
) -> None:
    assert rhumb_length_m(lon1, lat1, lon2, lat2) == pytest.approx(length_m, abs=1e-4)
    assert rhumb_azimuth_deg(lon1, lat1, lon2, lat2) == pytest.approx(azimuth_deg, abs=1e-9)


def test_rhumb_length_m__is_symmetric_and_goes_the_short_way_across_180() -> None:
    assert rhumb_length_m(179.9, 10.0, -179.9, 10.0) == pytest.approx(rhumb_length_m(-179.9, 10.0, 179.9, 10.0))
    assert rhumb_length_m(179.9, 10.0, -179.9, 10.0) < 25_000


def _area_between_m2(end: tuple[float, float]) -> float:
    """Geod polygon area of geodesic there, densified rhumb line back."""
    lon_r, lat_r = densify([45.0, end[0]], [41.0, end[1]], line_type="rhumb", max_segment_m=5)
    # Ring: end -> start along the rhumb line; the closing edge start -> end is one
    # geodesic edge, the geodesic "there".
    area, _ = GEOD.polygon_area_perimeter(lon_r[::-1], lat_r[::-1])
    return abs(area)


@pytest.mark.parametrize(
    ("end", "reference_m2", "azimuth_deg"),
    [
        # GeodSolve's and RhumbSolve's S12 are areas between the line and the equator:
        # echo "41 45 41.07636217017677 45.10096956194268" | GeodSolve -i -f -p 9  -> S12 46843688510.85
        # echo "41 45 41.07636217017677 45.10096956194268" | RhumbSolve -i -p 9    -> S12 46843674626.53
        (NE_END, 46843688510.85 - 46843674626.53, 45.0),  # 13,884.32 m²
        # echo "41 45 41 45.14263" | GeodSolve -i -f -p 9  -> S12 66120705157.67
        # echo "41 45 41 45.14263" | RhumbSolve -i -p 9    -> S12 66120685558.98
        (EW_END, 66120705157.67 - 66120685558.98, 90.0),  # 19,598.69 m² (FACTS: ~19,600)
    ],
)
def test_area_between_geodesic_and_rhumb__12_km_at_41n(
    end: tuple[float, float], reference_m2: float, azimuth_deg: float
) -> None:
    area_m2 = _area_between_m2(end)
    assert area_m2 == pytest.approx(reference_m2, rel=2e-3)
    # Hand check: the geodesic's azimuth turns at sin(a) tan(phi) / R per metre against
    # the rhumb line's constant one, so their offset is a parabola and the area between
    # them is L**3 sin(a) tan(phi) / (12 R), R ~ 6371 km: 13,890 m² (NE), 19,640 m² (E).
    hand_m2 = 12_000**3 * math.sin(math.radians(azimuth_deg)) * math.tan(math.radians(41)) / (12 * 6_371_000)
    assert area_m2 == pytest.approx(hand_m2, rel=0.01)


def test_lengths__geodesic_is_shorter_than_rhumb_over_12_km() -> None:
    geodesic_m = GEOD.inv(45.0, 41.0, *NE_END)[2]
    rhumb_m = rhumb_length_m(45.0, 41.0, *NE_END)
    # GeodSolve: s12 = 12000.000000001; RhumbSolve: s12 = 12000.000669356 (see above)
    assert geodesic_m == pytest.approx(12000.000000001, abs=1e-6)
    assert 0 < rhumb_m - geodesic_m < 0.001


@pytest.mark.parametrize("line_type", ["geodesic", "rhumb"])
def test_densify__keeps_vertices_and_respects_max_segment(line_type: str) -> None:
    lons = [45.0, NE_END[0], 45.2]
    lats = [41.0, NE_END[1], 41.0]
    lon, lat = densify(lons, lats, line_type=line_type, max_segment_m=250)  # type: ignore[arg-type]
    for vx, vy in zip(lons, lats, strict=True):
        assert np.any((lon == vx) & (lat == vy))
    pieces = GEOD.inv(lon[:-1], lat[:-1], lon[1:], lat[1:])[2]
    assert pieces.max() <= 250 + 1e-6
    assert pieces.min() > 200  # equally spaced, not one long and many short


def test_densify__rhumb_points_keep_one_azimuth() -> None:
    lon, lat = densify([45.0, NE_END[0]], [41.0, NE_END[1]], line_type="rhumb", max_segment_m=500)
    azimuths = [rhumb_azimuth_deg(45.0, 41.0, x, y) for x, y in zip(lon[1:], lat[1:], strict=True)]
    assert np.ptp(azimuths) < 1e-7


def test_densify__geodesic_points_lie_on_the_geodesic() -> None:
    lon, lat = densify([45.0, NE_END[0]], [41.0, NE_END[1]], max_segment_m=500)
    total = GEOD.inv(45.0, 41.0, *NE_END)[2]
    pieces = GEOD.inv(lon[:-1], lat[:-1], lon[1:], lat[1:])[2]
    assert pieces.sum() == pytest.approx(total, abs=1e-6)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"line_type": "great circle"}, "line_type='great circle' is not supported"),
        ({"max_segment_m": 0}, "max_segment_m=0 must be a positive"),
    ],
)
def test_densify__bad_arguments_raise_geometry_error(kwargs: dict, message: str) -> None:
    with pytest.raises(GeometryError, match=message):
        densify([45.0, 45.1], [41.0, 41.0], **kwargs)


def test_rhumb_length_m__pole_raises_geometry_error() -> None:
    with pytest.raises(GeometryError, match=r"lat2=90\.0"):
        rhumb_length_m(0.0, 80.0, 0.0, 90.0)


@settings(max_examples=40, deadline=None)
@given(
    lon=st.floats(44.0, 46.0),
    lat=st.floats(39.0, 42.0),
    dlon=st.floats(-0.3, 0.3),
    dlat=st.floats(-0.3, 0.3),
)
def test_rhumb_length_m__is_additive_along_the_densified_line(lon: float, lat: float, dlon: float, dlat: float) -> None:
    lon2, lat2 = lon + dlon, lat + dlat
    total = rhumb_length_m(lon, lat, lon2, lat2)
    x, y = densify([lon, lon2], [lat, lat2], line_type="rhumb", max_segment_m=2000)
    pieces = sum(rhumb_length_m(x[i], y[i], x[i + 1], y[i + 1]) for i in range(len(x) - 1))
    assert pieces == pytest.approx(total, abs=1e-4)


def test_rhumb_length_m__nearly_along_a_parallel_matches_rhumbsolve() -> None:
    # Hypothesis found this: a latitude change of 2.2e-10 deg made the arc difference
    # quotient lose its digits (0.68 m off). GeographicLib:
    #   echo "39 44 39.00000000022 44.25" | RhumbSolve -i -p 6  ->  89.99999993538 21656.600978
    assert rhumb_length_m(44.0, 39.0, 44.25, 39.00000000022) == pytest.approx(21656.600978, abs=1e-6)


@pytest.mark.parametrize(
    ("lon1", "lat1", "lon2", "lat2", "length_m", "azimuth_deg"),
    [
        # 11 m from the pole (was 2.9 cm off: arctanh(sin φ) loses digits as sin φ -> 1):
        # echo "89.9999 0 80 120" | RhumbSolve -i -p 9  ->  169.69181977984482 1135136.356341613
        (0.0, 89.9999, 120.0, 80.0, 1135136.356341613, 169.69181977984482),
        # 0.11 m from the pole (was 180.7 m off):
        # echo "89.999999 0 80 120" | RhumbSolve -i -p 9  ->  172.59754287183870 1126212.004128500
        (0.0, 89.999999, 120.0, 80.0, 1126212.004128500, 172.59754287183870),
        # echo "89.9999 0 89.99 100" | RhumbSolve -i -p 9  ->  159.24362090498951 1182.521027934
        (0.0, 89.9999, 100.0, 89.99, 1182.521027934, 159.24362090498951),
    ],
)
def test_rhumb_length_m__near_a_pole_matches_rhumbsolve(
    lon1: float, lat1: float, lon2: float, lat2: float, length_m: float, azimuth_deg: float
) -> None:
    assert rhumb_length_m(lon1, lat1, lon2, lat2) == pytest.approx(length_m, abs=1e-6)
    assert rhumb_azimuth_deg(lon1, lat1, lon2, lat2) == pytest.approx(azimuth_deg, abs=1e-10)


def test_densify__rhumb_nearly_along_a_parallel_matches_rhumbsolve_direct() -> None:
    # A latitude change of 1e-9° over 179° of longitude: the quotient (ψ - ψ1) / Δψ of
    # two nearly equal isometric latitudes put the first point 12.7 m east of the line.
    #   echo "45 0 45.000000001 179" | RhumbSolve -i -p 12  ->  89.999999999548848 14113583.4816993270
    # and the points at 1/5 and 2/5 of the length (s12 / 5 = 2822716.6963398654 m):
    #   echo "45 0 89.999999999548848 2822716.6963398654" | RhumbSolve -p 12
    #     ->  45.000000000200004 35.799999999750881
    #   echo "45 0 89.999999999548848 5645433.3926797308" | RhumbSolve -p 12
    #     ->  45.000000000400007 71.599999999626306
    lon, lat = densify([0.0, 179.0], [45.0, 45.000000001], line_type="rhumb", max_segment_m=3_500_000)
    assert len(lon) == 6
    ref_lon = np.array([35.799999999750881, 71.599999999626306])
    ref_lat = np.array([45.000000000200004, 45.000000000400007])
    assert GEOD.inv(lon[1:3], lat[1:3], ref_lon, ref_lat)[2].max() < 1e-3
