"""The line between two turning points: geodesic or rhumb line, on the WGS 84 ellipsoid.

A protocol that lists turning points rarely says what joins them. Over 12 km at 41°N a
geodesic and a rhumb line (loxodrome, constant azimuth) between the same ends enclose
some 14,000–20,000 m² depending on direction, so borderkit makes the line type explicit
and densifies lines before any planar or polygon operation.

Geodesics come from GeographicLib through :class:`pyproj.Geod`. Rhumb lines use the
isometric latitude ψ: along a rhumb line the longitude is linear in ψ and the distance
is linear in the meridian arc M(φ), ``s = ΔM / cos α`` with ``tan α = Δλ / Δψ``. The
differences ΔM and Δψ are taken as divided differences, so lines nearly along a parallel
and ends near a pole keep their digits (within 1 mm of GeographicLib's RhumbSolve).
"""

from __future__ import annotations

import math
from typing import Literal

import numpy as np
from numpy.typing import ArrayLike, NDArray

from borderkit.errors import GeometryError
from borderkit.geodesy import GEOD

__all__ = ["LINE_TYPES", "LineType", "densify", "rhumb_azimuth_deg", "rhumb_length_m"]

LineType = Literal["geodesic", "rhumb"]
LINE_TYPES: tuple[str, ...] = ("geodesic", "rhumb")

_A = GEOD.a
_F = GEOD.f
_E2 = _F * (2 - _F)
_E = math.sqrt(_E2)
_N = _F / (2 - _F)
# Helmert's series for the meridian arc, truncated after n**4 (error well below 1 mm):
# M(phi) = _M0 * phi + sum over k of _MK[k] * sin(2 * k * phi).
_M0 = _A / (1 + _N) * (1 + _N**2 / 4 + _N**4 / 64)
_MK = (
    (1, _A / (1 + _N) * (-1.5 * (_N - _N**3 / 8))),
    (2, _A / (1 + _N) * (15 / 16 * (_N**2 - _N**4 / 4))),
    (3, _A / (1 + _N) * (-35 / 48 * _N**3)),
    (4, _A / (1 + _N) * (315 / 512 * _N**4)),
)

# Divided differences, (f(x) - f(y)) / (x - y), computed without forming f(x) - f(y):
# two close latitudes (or a latitude close to a pole, where the isometric latitude
# grows without bound) would otherwise lose most digits to cancellation. These are the
# formulas of GeographicLib's Rhumb class (Rhumb.hpp: Dtan, Dasinh, Deatanhe, Dsin),
# after W. M. Kahan and R. J. Fateman, "Symbolic computation of divided differences",
# SIGSAM Bull. 33(3), 7-28 (1999). Every function also holds in the limit x == y.
# Plain floats and ``math``: NumPy's per-call overhead on scalars is 20 times the work.


def _sinc(z: float) -> float:
    """sin(z) / z, 1 at z = 0."""
    return math.sin(z) / z if z != 0 else 1.0


def _tand(lat_deg: float) -> float:
    """tan of a latitude in degrees (|lat| < 90), to full relative precision everywhere."""
    if abs(lat_deg) <= 45:
        return math.tan(math.radians(lat_deg))
    colat = math.radians(90.0 - abs(lat_deg))  # exact subtraction near the poles
    return math.copysign(1.0 / math.tan(colat), lat_deg)


def _sind(lat_deg: float) -> float:
    """sin of a latitude in degrees, to full precision near the equator and the poles."""
    if abs(lat_deg) <= 45:
        return math.sin(math.radians(lat_deg))
    return math.copysign(math.cos(math.radians(90.0 - abs(lat_deg))), lat_deg)


def _dsin(x: float, y: float, d: float) -> float:
    """(sin x - sin y) / d with d = x - y."""
    return math.cos((x + y) / 2) * _sinc(d / 2)


def _dtan(tx: float, ty: float, d: float) -> float:
    """(tan x - tan y) / d with tx = tan x, ty = tan y, d = x - y."""
    txy = tx * ty
    if d == 0:
        return 1 + txy
    return (1 + txy) * math.tan(d) / d if 2 * txy > -1 else (tx - ty) / d


def _dasinh(x: float, y: float) -> float:
    """(asinh x - asinh y) / (x - y)."""
    d = x - y
    hx, hy = math.hypot(1, x), math.hypot(1, y)
    if d == 0:
        return 1 / hx
    arg = d * (x + y) / (x * hy + y * hx) if x * y > 0 else x * hy - y * hx
    return math.asinh(arg) / d


def _deatanhe(x: float, y: float) -> float:
    """(e·atanh(e·x) - e·atanh(e·y)) / (x - y)."""
    t = x - y
    den = 1 - _E2 * x * y
    return _E * math.atanh(_E * t / den) / t if t != 0 else _E2 / den


def _dpsi(lat_x: float, lat_y: float) -> float:
    """(ψ(x) - ψ(y)) / (φx - φy) for latitudes in degrees, ψ the isometric latitude (per rad)."""
    d = math.radians(lat_x - lat_y)
    tx, ty = _tand(lat_x), _tand(lat_y)
    dsin = _dsin(math.radians(lat_x), math.radians(lat_y), d)
    return _dasinh(tx, ty) * _dtan(tx, ty, d) - _deatanhe(_sind(lat_x), _sind(lat_y)) * dsin


def _dmeridian(lat_x: float, lat_y: float) -> float:
    """(M(x) - M(y)) / (φx - φy) in metres per radian, M the meridian arc (Helmert's series)."""
    d = math.radians(lat_x - lat_y)
    s = math.radians(lat_x + lat_y)
    # (sin 2kx - sin 2ky) / (x - y) = 2k cos(k(x + y)) sinc(k(x - y))
    return _M0 + sum(coef * 2 * k * math.cos(k * s) * _sinc(k * d) for k, coef in _MK)


def _rhumb(lon1: float, lat1: float, lon2: float, lat2: float) -> tuple[float, float, float, float]:
    """(length_m, azimuth_deg, dlambda_rad, dphi_rad) of the rhumb line from 1 to 2.

    Along the line ``s = ΔM / cos α`` and ``tan α = Δλ / Δψ``, so with the divided
    differences ``ΔM = dphi · DM`` and ``ΔM / Δψ = DM / Dψ`` neither a tiny latitude
    change nor a point near a pole costs digits.
    """
    for value, name in ((lat1, "lat1"), (lat2, "lat2")):
        if not abs(value) < 90:
            msg = f"{name}={value!r}: a rhumb line needs |latitude| < 90°."
            raise GeometryError(msg)
    lat1, lat2 = float(lat1), float(lat2)
    dlam = math.radians(math.remainder(lon2 - lon1, 360.0))  # the short way round, reduced exactly in degrees
    dphi = math.radians(lat2 - lat1)
    dm_dphi = _dmeridian(lat2, lat1)
    ratio = dm_dphi / _dpsi(lat2, lat1)  # ΔM/Δψ: the radius of the parallel in the limit
    dm = dphi * dm_dphi
    length = math.hypot(dm, dlam * ratio)
    azimuth = math.degrees(math.atan2(dlam * ratio, dm)) % 360.0
    return length, azimuth, dlam, dphi


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
    """``n`` equally spaced interior points of the rhumb line (ends excluded).

    Equal spacing is equal steps ``t · ΔM`` in meridian arc. The latitude offset
    ``u = φ - φ1`` solves ``u · DM(φ, φ1) = t · ΔM`` (Newton), and the longitude follows
    from ``(ψ - ψ1) / Δψ = t · [DM(φ2, φ1) / DM(φ, φ1)] · [Dψ(φ, φ1) / Dψ(φ2, φ1)]``: only
    divided differences, so a line nearly along a parallel keeps its digits.
    """
    _, _, dlam, dphi = _rhumb(lon1, lat1, lon2, lat2)
    dm12 = _dmeridian(lat2, lat1)
    dpsi12 = _dpsi(lat2, lat1)
    lons, lats = np.empty(n), np.empty(n)
    for i in range(n):
        t = (i + 1) / (n + 1)
        target = t * dphi * dm12  # metres of meridian arc from point 1
        u = t * dphi  # radians; the meridian radius of curvature varies by < 1 %
        for _ in range(4):
            lat = lat1 + math.degrees(u)
            rho = _A * (1 - _E2) / (1 - _E2 * _sind(lat) ** 2) ** 1.5  # dM/dphi
            u -= (u * _dmeridian(lat, lat1) - target) / rho
        lat = lat1 + math.degrees(u)
        fraction = t * (dm12 / _dmeridian(lat, lat1)) * (_dpsi(lat, lat1) / dpsi12)
        lons[i] = math.remainder(lon1 + math.degrees(dlam * fraction), 360.0)
        lats[i] = lat
    return lons, lats


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
            length = float(GEOD.inv(a_lon, a_lat, b_lon, b_lat)[2])
        else:
            length = rhumb_length_m(a_lon, a_lat, b_lon, b_lat)
        n = max(math.ceil(length / max_segment_m) - 1, 0)
        if n:
            if line_type == "geodesic":
                pts = GEOD.npts(a_lon, a_lat, b_lon, b_lat, n)
                out_lon.extend(p[0] for p in pts)
                out_lat.extend(p[1] for p in pts)
            else:
                mid_lon, mid_lat = _rhumb_points(a_lon, a_lat, b_lon, b_lat, n)
                out_lon.extend(mid_lon.tolist())
                out_lat.extend(mid_lat.tolist())
        out_lon.append(b_lon)
        out_lat.append(b_lat)
    return np.array(out_lon), np.array(out_lat)
