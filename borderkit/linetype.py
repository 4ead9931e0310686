"""The line between two turning points: geodesic or rhumb line, on the WGS 84 ellipsoid.

A protocol that lists turning points rarely says what joins them. Over 12 km at 41°N a
geodesic and a rhumb line (loxodrome, constant azimuth) between the same ends enclose
some 14,000–20,000 m² depending on direction, so borderkit makes the line type explicit
and densifies lines before any planar or polygon operation.

Geodesics come from GeographicLib through :class:`pyproj.Geod`. Rhumb lines use the
isometric latitude ψ: along a rhumb line the longitude is linear in ψ and the distance
is linear in the meridian arc M(φ), ``s = ΔM / cos α`` with ``tan α = Δλ / Δψ``.
"""

from __future__ import annotations

import math
from typing import Literal

import numpy as np
from numpy.typing import ArrayLike, NDArray
from pyproj import Geod

from borderkit.errors import GeometryError

__all__ = ["LINE_TYPES", "LineType", "densify", "rhumb_azimuth_deg", "rhumb_length_m"]

LineType = Literal["geodesic", "rhumb"]
LINE_TYPES: tuple[str, ...] = ("geodesic", "rhumb")

_GEOD = Geod(ellps="WGS84")
_A = _GEOD.a
_F = _GEOD.f
_E2 = _F * (2 - _F)
_E = math.sqrt(_E2)
_N = _F / (2 - _F)
# Helmert's series for the meridian arc, truncated after n**4 (error well below 1 mm).
_M0 = _A / (1 + _N) * (1 + _N**2 / 4 + _N**4 / 64)
_M2 = _A / (1 + _N) * (-1.5 * (_N - _N**3 / 8))
_M4 = _A / (1 + _N) * (15 / 16 * (_N**2 - _N**4 / 4))
_M6 = _A / (1 + _N) * (-35 / 48 * _N**3)
_M8 = _A / (1 + _N) * (315 / 512 * _N**4)


def _meridian_arc(phi: NDArray[np.float64]) -> NDArray[np.float64]:
    """Distance in metres from the equator along the meridian to latitude ``phi`` (rad)."""
    return np.asarray(
        _M0 * phi + _M2 * np.sin(2 * phi) + _M4 * np.sin(4 * phi) + _M6 * np.sin(6 * phi) + _M8 * np.sin(8 * phi)
    )


def _inverse_meridian_arc(m: NDArray[np.float64]) -> NDArray[np.float64]:
    """Latitude (rad) whose meridian arc is ``m`` metres (Newton iteration)."""
    phi = m / _M0
    for _ in range(6):
        sin_phi = np.sin(phi)
        rho = _A * (1 - _E2) / (1 - _E2 * sin_phi**2) ** 1.5  # dM/dphi
        phi = phi - (_meridian_arc(phi) - m) / rho
    return np.asarray(phi)


def _isometric(phi: NDArray[np.float64] | float) -> NDArray[np.float64]:
    sin_phi = np.sin(phi)
    return np.asarray(np.arctanh(sin_phi) - _E * np.arctanh(_E * sin_phi))


def _rhumb(lon1: float, lat1: float, lon2: float, lat2: float) -> tuple[float, float, float, float]:
    """(length_m, azimuth_deg, dlambda_rad, dpsi) of the rhumb line from 1 to 2."""
    for value, name in ((lat1, "lat1"), (lat2, "lat2")):
        if not abs(value) < 90:
            msg = f"{name}={value!r}: a rhumb line needs |latitude| < 90°."
            raise GeometryError(msg)
    phi1, phi2 = math.radians(lat1), math.radians(lat2)
    dlam = math.remainder(math.radians(lon2 - lon1), 2 * math.pi)  # the short way round
    dpsi = float(_isometric(phi2) - _isometric(phi1))
    dm = float(_meridian_arc(np.array(phi2)) - _meridian_arc(np.array(phi1)))
    if abs(phi2 - phi1) > 1e-6:
        ratio = dm / dpsi
    else:
        # Along (or within ~6 m of) a parallel: dM/dpsi -> the radius of the parallel at
        # the mean latitude (relative error O(dphi^2) < 1e-12), where the difference
        # quotient of two nearly equal arcs would lose most of its digits.
        phi = 0.5 * (phi1 + phi2)
        ratio = _A * math.cos(phi) / math.sqrt(1 - _E2 * math.sin(phi) ** 2)
    length = math.hypot(dm, dlam * ratio)
    azimuth = math.degrees(math.atan2(dlam * ratio, dm)) % 360.0
    return length, azimuth, dlam, dpsi


def rhumb_length_m(lon1: float, lat1: float, lon2: float, lat2: float) -> float:
    """Length in metres of the rhumb line (constant azimuth) between two points.

    Parameters
    ----------
    lon1, lat1, lon2, lat2 : float
        Degrees on WGS 84. The rhumb line goes the short way in longitude.

    Returns
    -------
    float
        Metres on the WGS 84 ellipsoid.

    Raises
    ------
    GeometryError
        If a point is at a pole.

    Examples
    --------
    >>> # GeographicLib: echo "41 45 42 45" | RhumbSolve -i -p 6  ->  0 111063.588341
    >>> f"{rhumb_length_m(45.0, 41.0, 45.0, 42.0):.3f}"   # a meridian arc, 1° of latitude
    '111063.588'
    >>> # echo "41 45 41 45.1" | RhumbSolve -i -p 6  ->  90 8413.518511
    >>> f"{rhumb_length_m(45.0, 41.0, 45.1, 41.0):.3f}"   # along the parallel
    '8413.519'
    """
    return _rhumb(lon1, lat1, lon2, lat2)[0]


def rhumb_azimuth_deg(lon1: float, lat1: float, lon2: float, lat2: float) -> float:
    """Constant azimuth in degrees (clockwise from north, 0–360) of the rhumb line.

    Examples
    --------
    >>> f"{rhumb_azimuth_deg(45.0, 41.0, 45.1, 41.0):.6f}"
    '90.000000'
    """
    return _rhumb(lon1, lat1, lon2, lat2)[1]


def _rhumb_points(
    lon1: float, lat1: float, lon2: float, lat2: float, n: int
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """``n`` equally spaced interior points of the rhumb line (ends excluded)."""
    _, _, dlam, dpsi = _rhumb(lon1, lat1, lon2, lat2)
    t = np.arange(1, n + 1) / (n + 1)
    phi1, phi2 = math.radians(lat1), math.radians(lat2)
    m1, m2 = _meridian_arc(np.array(phi1)), _meridian_arc(np.array(phi2))
    if abs(dpsi) > 1e-12:
        phi = _inverse_meridian_arc(m1 + t * (m2 - m1))
        lam = math.radians(lon1) + dlam * (_isometric(phi) - _isometric(phi1)) / dpsi
    else:
        phi = phi1 + t * (phi2 - phi1)
        lam = math.radians(lon1) + dlam * t
    lon = (np.degrees(lam) + 180.0) % 360.0 - 180.0
    return lon, np.degrees(phi)


def densify(
    lons: ArrayLike,
    lats: ArrayLike,
    *,
    line_type: LineType = "geodesic",
    max_segment_m: float = 100.0,
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Insert points so that no piece of the line is longer than ``max_segment_m``.

    The given vertices are kept exactly; the inserted ones lie on the geodesic or
    rhumb line between consecutive vertices, equally spaced along it.

    Parameters
    ----------
    lons, lats : array_like
        Vertices in degrees (WGS 84), in order.
    line_type : {"geodesic", "rhumb"}
        What joins consecutive vertices.
    max_segment_m : float
        Longest piece after densifying, metres (> 0).

    Returns
    -------
    (lons, lats) : tuple of ndarray

    Raises
    ------
    GeometryError
        Unknown line type, non-positive ``max_segment_m``, mismatched arrays.

    Examples
    --------
    >>> lon, lat = densify([45.0, 45.1], [41.0, 41.0], line_type="rhumb", max_segment_m=3000)
    >>> len(lon), [f"{v:.6f}" for v in lat]    # a rhumb line follows the parallel
    (4, ['41.000000', '41.000000', '41.000000', '41.000000'])
    >>> lon, lat = densify([45.0, 45.1], [41.0, 41.0], max_segment_m=3000)
    >>> f"{lat[1]:.6f}"                          # the geodesic bulges towards the pole
    '41.000010'
    """
    if line_type not in LINE_TYPES:
        msg = f"line_type={line_type!r} is not supported. Only {LINE_TYPES} are supported."
        raise GeometryError(msg)
    if not max_segment_m > 0:
        msg = f"max_segment_m={max_segment_m!r} must be a positive number of metres."
        raise GeometryError(msg)
    lo = np.asarray(lons, dtype=float).ravel()
    la = np.asarray(lats, dtype=float).ravel()
    if lo.shape != la.shape:
        msg = f"lons and lats differ in length ({lo.size} and {la.size})."
        raise GeometryError(msg)
    if lo.size < 2:
        return lo.copy(), la.copy()
    out_lon: list[float] = [float(lo[0])]
    out_lat: list[float] = [float(la[0])]
    for i in range(lo.size - 1):
        a_lon, a_lat, b_lon, b_lat = float(lo[i]), float(la[i]), float(lo[i + 1]), float(la[i + 1])
        if line_type == "geodesic":
            length = float(_GEOD.inv(a_lon, a_lat, b_lon, b_lat)[2])
        else:
            length = rhumb_length_m(a_lon, a_lat, b_lon, b_lat)
        n = max(math.ceil(length / max_segment_m) - 1, 0)
        if n:
            if line_type == "geodesic":
                pts = _GEOD.npts(a_lon, a_lat, b_lon, b_lat, n)
                out_lon.extend(p[0] for p in pts)
                out_lat.extend(p[1] for p in pts)
            else:
                mid_lon, mid_lat = _rhumb_points(a_lon, a_lat, b_lon, b_lat, n)
                out_lon.extend(mid_lon.tolist())
                out_lat.extend(mid_lat.tolist())
        out_lon.append(b_lon)
        out_lat.append(b_lat)
    return np.array(out_lon), np.array(out_lat)
