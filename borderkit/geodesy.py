"""Geodesic lengths and areas on the WGS 84 ellipsoid, and planar lengths beside them.

All functions take longitude/latitude geometries (EPSG:4326). Lengths are geodesic
(GeographicLib via :class:`pyproj.Geod`, error under 15 nm) and a polygon's boundary
includes its holes. Areas take each ring on the ellipsoid as the smaller region it
bounds, exterior minus holes, so neither ring orientation nor a part crossing the
antimeridian (written with -180/180 jumps) can sign or flip them.
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


def _rings(geometry: BaseGeometry) -> list[tuple[NDArray[np.float64], list[NDArray[np.float64]]]]:
    """(exterior, holes) coordinate arrays of every polygon in ``geometry``, any nesting."""
    if geometry is None or geometry.is_empty:
        return []
    if geometry.geom_type == "Polygon":
        exterior = shapely.get_coordinates(geometry.exterior)
        return [(exterior, [shapely.get_coordinates(hole) for hole in geometry.interiors])]
    if geometry.geom_type in ("MultiPolygon", "GeometryCollection"):
        return [ring for part in geometry.geoms for ring in _rings(part)]
    return []


def _line_length_m(coords: NDArray[np.float64]) -> float:
    if len(coords) < 2:
        return 0.0
    return float(GEOD.line_length(coords[:, 0], coords[:, 1]))


def _ring_area_m2(coords: NDArray[np.float64]) -> float:
    """Area in m² of the smaller of the two regions a closed ring bounds, any orientation.

    GeographicLib's signed area follows the ring's sense on the ellipsoid (it measures
    each edge's longitude change the short way, so a ring written with -180/180 jumps is
    read as crossing the antimeridian) and reduces it to (-A/2, A/2], A the ellipsoid's
    area: its absolute value is the area of the ring's smaller side whatever the
    orientation. Planar orientation (``shapely.orient_polygons``) gets a ring that
    crosses the antimeridian backwards.
    """
    if len(coords) < 4:
        return 0.0
    area, _ = GEOD.polygon_area_perimeter(coords[:-1, 0], coords[:-1, 1])
    return abs(float(area))


def geodesic_length_m(geometry: BaseGeometry) -> float:
    """Geodesic length in metres of a (multi)line or the boundary of a (multi)polygon.

    A polygon's boundary is its exterior and every hole. Each edge is the geodesic the
    short way round, so a line written with a -180/180 jump crosses the antimeridian.

    Examples
    --------
    >>> from shapely import LineString, Polygon
    >>> f"{geodesic_length_m(LineString([(0, 0), (1, 0)])):.3f}"
    '111319.491'
    >>> # Planimeter: printf "0 179.5\\n0 -179.5\\n" | Planimeter -l -p 3  ->  2 111319.491
    >>> f"{geodesic_length_m(LineString([(179.5, 0), (-179.5, 0)])):.3f}"
    '111319.491'
    """
    if geometry is None or geometry.is_empty:
        return 0.0
    kind = geometry.geom_type
    if kind in ("Point", "MultiPoint"):
        return 0.0
    if kind in ("Polygon", "MultiPolygon"):
        return geodesic_perimeter_m(geometry)
    if kind in ("LineString", "LinearRing"):
        return _line_length_m(shapely.get_coordinates(geometry))
    return sum(geodesic_length_m(part) for part in geometry.geoms)


def geodesic_perimeter_m(geometry: BaseGeometry) -> float:
    """Geodesic perimeter in metres of a (multi)polygon, holes included (0 for other geometries).

    Examples
    --------
    A 1° × 1° cell at the equator with a 0.5° × 0.5° hole. Planimeter gives the rings'
    perimeters: ``printf "0 0\\n0 1\\n1 1\\n1 0\\n" | Planimeter -p 6`` prints
    443770.917248 m; the hole's ring (0.25..0.75°) 221888.595301 m, together 665659.512549 m:

    >>> from shapely import Polygon, box
    >>> cell = Polygon(box(0, 0, 1, 1).exterior, [box(0.25, 0.25, 0.75, 0.75).exterior])
    >>> f"{geodesic_perimeter_m(cell):.3f}"
    '665659.513'
    """
    if geometry is None or geometry.is_empty or geometry.geom_type not in ("Polygon", "MultiPolygon"):
        return 0.0
    return sum(_line_length_m(ring) for exterior, holes in _rings(geometry) for ring in (exterior, *holes))


def geodesic_area_m2(geometry: BaseGeometry) -> float:
    """Geodesic area in square metres of a (multi)polygon; 0 for points and lines.

    Each polygon's area is its exterior's minus its holes', every ring measured on the
    ellipsoid as the smaller region it bounds: the result depends neither on the rings'
    orientation nor on whether a part crosses the antimeridian (written with -180/180
    jumps). Each ring must enclose less than half the ellipsoid (2.55e14 m²).

    Examples
    --------
    A 1° × 1° cell at the equator is 12 308.778 km²: GeographicLib's Planimeter,
    ``printf "0 0\\n0 1\\n1 1\\n1 0\\n" | Planimeter``, prints 12308778361.5 m²,
    wherever the cell lies in longitude, also across the antimeridian:

    >>> from shapely import Polygon, box
    >>> f"{geodesic_area_m2(box(0, 0, 1, 1)) / 1e6:.3f}"
    '12308.778'
    >>> across = Polygon([(179.5, 0), (-179.5, 0), (-179.5, 1), (179.5, 1)])
    >>> f"{geodesic_area_m2(across) / 1e6:.3f}"
    '12308.778'
    """
    if geometry is None or geometry.is_empty:
        return 0.0
    if geometry.geom_type not in ("Polygon", "MultiPolygon", "GeometryCollection"):
        return 0.0
    return sum(
        _ring_area_m2(exterior) - sum(_ring_area_m2(hole) for hole in holes) for exterior, holes in _rings(geometry)
    )


def local_projected_crs(lon: float, lat: float) -> CRS:
    """The UTM zone (on WGS 84) holding a point: the planar frame for comparison.

    Zones follow the standard UTM/MGRS grid with its two exceptions: zone 32 is widened
    to 3°E–12°E in latitude band V (56°N–64°N, south-west Norway), and in band X
    (72°N–84°N, Svalbard) only zones 31, 33, 35 and 37 are used, 0°E–9°E, 9°E–21°E,
    21°E–33°E and 33°E–42°E. A point on a zone edge goes to the zone east of it.

    Examples
    --------
    >>> local_projected_crs(45.06, 41.06).to_string()
    'EPSG:32638'
    >>> # GeographicLib: echo "60 5" | GeoConvert -u  ->  32n ...: Bergen is in 32V, not 31V
    >>> local_projected_crs(5.32, 60.39).to_string()
    'EPSG:32632'
    >>> # echo "78.22 15.65" | GeoConvert -u  ->  33n ...: Longyearbyen, 33X
    >>> local_projected_crs(15.65, 78.22).to_string()
    'EPSG:32633'
    """
    if not (-180 <= lon <= 180 and -80 <= lat <= 84):
        msg = f"no UTM zone for lon={lon!r}, lat={lat!r}: expected -180..180, -80..84 degrees"
        raise GeometryError(msg)
    zone = min(math.floor((lon + 180) / 6) + 1, 60)
    if 56 <= lat < 64 and 3 <= lon < 12:
        zone = 32  # the Norway exception: zone 31 gives way to 32 west of 6°E
    elif lat >= 72 and 0 <= lon < 42:
        zone = 2 * math.floor((lon + 3) / 12) + 31  # Svalbard: 31X, 33X, 35X, 37X only
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
