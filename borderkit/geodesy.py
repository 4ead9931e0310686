"""Geodesic lengths and areas on the WGS 84 ellipsoid, and planar lengths beside them.

All functions take longitude/latitude geometries (EPSG:4326). Lengths are geodesic
(GeographicLib via :class:`pyproj.Geod`, error under 15 nm); areas are computed on
rings oriented counter-clockwise, so they are never signed by accident.
"""

from __future__ import annotations

import math
from functools import lru_cache
from typing import Any

import numpy as np
import shapely
from numpy.typing import ArrayLike, NDArray
from pyproj import CRS, Geod, Transformer
from shapely.geometry.base import BaseGeometry

from borderkit.errors import GeometryError

__all__ = [
    "GEOD",
    "LocalPlane",
    "geodesic_area_m2",
    "geodesic_length_m",
    "geodesic_perimeter_m",
    "local_plane",
    "local_projected_crs",
    "planar_length_m",
    "segment_lengths_m",
]

GEOD = Geod(ellps="WGS84")


def segment_lengths_m(lons: ArrayLike, lats: ArrayLike) -> NDArray[np.float64]:
    """Geodesic length in metres of every segment of a vertex sequence.

    Examples
    --------
    One degree of longitude along the equator is 111 319.491 m on WGS 84
    (a = 6 378 137 m; 2·π·a / 360):

    >>> f"{segment_lengths_m([0, 1], [0, 0])[0]:.3f}"
    '111319.491'
    """
    lon = np.asarray(lons, dtype=float)
    lat = np.asarray(lats, dtype=float)
    if lon.shape != lat.shape or lon.ndim != 1:
        msg = f"lons and lats must be 1-D and of equal length, got {lon.shape} and {lat.shape}"
        raise GeometryError(msg)
    if lon.size < 2:
        return np.zeros(0)
    _, _, dist = GEOD.inv(lon[:-1], lat[:-1], lon[1:], lat[1:])
    return np.asarray(dist, dtype=float)


def geodesic_length_m(geometry: BaseGeometry) -> float:
    """Geodesic length in metres of a (multi)line or the boundary of a (multi)polygon.

    Examples
    --------
    >>> from shapely import LineString
    >>> f"{geodesic_length_m(LineString([(0, 0), (1, 0)])):.3f}"
    '111319.491'
    """
    if geometry is None or geometry.is_empty:
        return 0.0
    if geometry.geom_type in ("Point", "MultiPoint"):
        return 0.0
    return float(GEOD.geometry_length(geometry))


def geodesic_perimeter_m(geometry: BaseGeometry) -> float:
    """Geodesic perimeter in metres of a (multi)polygon (0 for other geometries)."""
    if geometry is None or geometry.is_empty or geometry.geom_type not in ("Polygon", "MultiPolygon"):
        return 0.0
    return float(GEOD.geometry_length(geometry))


def geodesic_area_m2(geometry: BaseGeometry) -> float:
    """Geodesic area in square metres of a (multi)polygon; 0 for points and lines.

    Rings are oriented (exterior counter-clockwise, holes clockwise) before the area is
    taken, so the result does not depend on the input's ring orientation.

    Examples
    --------
    A 1° × 1° cell at the equator is 12 308.778 km²: GeographicLib's Planimeter,
    ``printf "0 0\\n0 1\\n1 1\\n1 0\\n" | Planimeter``, prints 12308778361.5 m²:

    >>> from shapely import box
    >>> f"{geodesic_area_m2(box(0, 0, 1, 1)) / 1e6:.3f}"
    '12308.778'
    """
    if geometry is None or geometry.is_empty:
        return 0.0
    if geometry.geom_type not in ("Polygon", "MultiPolygon", "GeometryCollection"):
        return 0.0
    oriented = shapely.orient_polygons(geometry, exterior_cw=False)
    area, _ = GEOD.geometry_area_perimeter(oriented)
    return abs(float(area))


def local_projected_crs(lon: float, lat: float) -> CRS:
    """The UTM zone (on WGS 84) holding a point: the planar frame for comparison.

    Examples
    --------
    >>> local_projected_crs(45.06, 41.06).to_string()
    'EPSG:32638'
    """
    if not (-180 <= lon <= 180 and -80 <= lat <= 84):
        msg = f"no UTM zone for lon={lon!r}, lat={lat!r}: expected -180..180, -80..84 degrees"
        raise GeometryError(msg)
    zone = min(math.floor((lon + 180) / 6) + 1, 60)
    return CRS.from_epsg((32600 if lat >= 0 else 32700) + zone)


def planar_length_m(geometry: BaseGeometry, crs: CRS | None = None) -> float:
    """Length in metres measured in a plane (default: the local UTM zone).

    This is the number a GIS gives in a projected layer; borderkit reports it beside
    the geodesic length so that the difference is visible, never instead of it.
    """
    if geometry is None or geometry.is_empty:
        return 0.0
    if crs is None:
        c = geometry.centroid
        crs = local_projected_crs(c.x, c.y)
    tr = Transformer.from_crs("EPSG:4326", crs, always_xy=True)
    projected = shapely.transform(geometry, lambda xy: np.column_stack(tr.transform(xy[:, 0], xy[:, 1])))
    return float(shapely.length(projected))


class LocalPlane:
    """Forward and back between WGS 84 lon/lat and one UTM zone: the local metric plane.

    Every planar step of borderkit (slivers, nearest points, the Monte Carlo, maps) works
    in the plane of the case's UTM zone, got from :func:`local_plane`.

    Examples
    --------
    >>> plane = local_plane(45.06, 41.06)
    >>> plane.crs.to_string()
    'EPSG:32638'
    >>> x, y = plane.fwd.transform(45.0, 41.0)
    >>> f"{x:.1f}"
    '500000.0'
    """

    def __init__(self, crs: CRS) -> None:
        self.crs = crs
        self.fwd = Transformer.from_crs("EPSG:4326", crs, always_xy=True)
        self.inv = Transformer.from_crs(crs, "EPSG:4326", always_xy=True)

    def __repr__(self) -> str:
        return f"<LocalPlane {self.crs.to_string()}>"

    def xy(self, lonlat: ArrayLike) -> NDArray[np.float64]:
        """(n, 2) lon/lat to (n, 2) plane metres."""
        a = np.asarray(lonlat, dtype=float).reshape(-1, 2)
        return np.column_stack(self.fwd.transform(a[:, 0], a[:, 1]))

    def lonlat(self, xy: ArrayLike) -> NDArray[np.float64]:
        """(n, 2) plane metres to (n, 2) lon/lat."""
        a = np.asarray(xy, dtype=float).reshape(-1, 2)
        return np.column_stack(self.inv.transform(a[:, 0], a[:, 1]))

    def to(self, geoms: Any) -> Any:
        """Shapely geometries (or an array of them) from lon/lat to the plane."""
        return shapely.transform(geoms, self.xy)

    def back(self, geoms: Any) -> Any:
        """Shapely geometries from the plane back to lon/lat."""
        return shapely.transform(geoms, self.lonlat)


def local_plane(lon: float, lat: float) -> LocalPlane:
    """The :class:`LocalPlane` of the UTM zone holding (lon, lat); one per zone, reused."""
    return _plane_of(local_projected_crs(lon, lat).to_epsg() or 0)


@lru_cache(maxsize=16)
def _plane_of(epsg: int) -> LocalPlane:
    # Immutable and keyed by the zone: building pyproj transformers costs milliseconds.
    return LocalPlane(CRS.from_epsg(epsg))
