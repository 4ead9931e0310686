"""Coordinate reference systems, legacy datums and the choice of datum operation.

Every layer borderkit reads is brought to WGS 84 longitude/latitude (EPSG:4326,
``always_xy``). The operation used is recorded in a :class:`Transformation` so that
every output can say how its coordinates were obtained.

How the datum operation is chosen
---------------------------------
PROJ's own default picks the most accurate operation whose area of use *intersects*
the data's bounding box; an area of use is itself only a bounding box, so for
Pulkovo 1942 it picks Russia's EPSG:5044 for points in Armenia or Azerbaijan up to
41.19°N (PROJ issue #2423). borderkit decides instead:

1. Candidates are all operations from the data's geodetic CRS to WGS 84 known to PROJ
   (:class:`pyproj.transformer.TransformerGroup`) whose area-of-use bounding box
   **contains every point** of the data, not just intersects it.
2. If every point lies in one of the :data:`REGIONS` (a coarse, documented polygon and
   the countries in it), the countries the points may lie in are worked out from the
   region's coarse country outlines (:meth:`Region.countries_of`; a point near a border
   counts for both sides). An operation is kept only if its area-of-use name lists
   **every** one of those countries, and an operation of
   :data:`COUNTRY_SPECIFIC_OPERATIONS` only if its country is one of them: EPSG:1808
   ("Azerbaijan and Georgia") is no candidate for points in Armenia. Outside every
   region only rule 1 applies, and the :class:`Transformation` says so in its ``note``.
3. Among the kept operations with a stated accuracy, the most accurate wins.
   Operations of unknown accuracy (EPSG's 999 m placeholder, ballpark offsets) are
   listed as candidates but never chosen and never enter ``spread_m``.
4. ``spread_m`` is the largest geodesic distance, over the data, between the results
   of the kept operations of known accuracy: how much the choice matters.

An explicit ``operation="EPSG:1808"`` is always honoured; it must convert the data's
geodetic CRS to WGS 84. The candidates and ``spread_m`` are still reported.

Soviet (Gauss–Krüger) grid convention
-------------------------------------
EPSG defines Gauss–Krüger CRSs such as EPSG:28408 with the **northing first**: the
surveyor's ``x`` is the northing, ``y`` the easting, and in the zone CRSs the easting
carries the zone number as a prefix (false easting 8 500 000 m in zone 8).
:func:`check_coordinates` detects a missing or wrong prefix and swapped axes.
Internally, all arrays are in ``always_xy`` order: (easting, northing) or (lon, lat).
"""

from __future__ import annotations

import functools
import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import geopandas as gpd
import numpy as np
import shapely
from numpy.typing import ArrayLike, NDArray
from pyproj import CRS, Transformer
from pyproj.database import query_crs_info
from pyproj.enums import PJType
from pyproj.exceptions import CRSError as _PyprojCRSError
from pyproj.transformer import TransformerGroup

from borderkit.errors import CoordinateError, CRSError
from borderkit.geodesy import GEOD

__all__ = [
    "COUNTRY_SPECIFIC_OPERATIONS",
    "REGIONS",
    "WGS84",
    "Region",
    "Transformation",
    "check_coordinates",
    "choose_operation",
    "is_northing_first",
    "parse_crs",
    "to_wgs84",
    "to_wgs84_frame",
    "zone_prefix",
]

WGS84 = "EPSG:4326"

#: EPSG's placeholder for "accuracy unknown" (e.g. "Pulkovo 1942 to WGS 84 (1)").
_UNKNOWN_ACCURACY_M = 999.0
#: Points may lie this far outside a CRS's area of use (map sheets overlap zone edges).
AREA_MARGIN_DEG = 0.5
#: Points may lie this far outside ``expect_bounds`` before they are an error (~11 km).
EXPECT_MARGIN_DEG = 0.1


Ring = tuple[tuple[float, float], ...]

#: A point this far (degrees) or more inside a country outline of a region lies in one
#: of the outlined countries, not in a third one (tests/test_crs.py checks it against
#: the outlines' source, with 0.03° to spare).
_CORE_DEPTH_DEG = 0.25


@dataclass(frozen=True)
class Region:
    """A coarse polygon whose countries decide which datum operations are admissible.

    Attributes
    ----------
    name : str
        Human-readable name.
    countries : tuple of str
        Country names as the EPSG area-of-use names spell them.
    polygon : tuple of (lon, lat)
        Vertices in degrees. Drawn generously towards countries that are not in a
        country-specific operation's scope, and kept well inside the border that matters.
    outlines : tuple of (country, tuple of rings)
        Coarse outlines of some of the ``countries``, each drawn 0.04° to 0.16° outside
        the country, so that a point near a border counts for both countries. A country
        without an outline is taken to be possible for every point that does not lie
        0.25° or more inside an outline (deeper in, a point is in one of the outlined
        countries).
    """

    name: str
    countries: tuple[str, ...]
    polygon: Ring
    outlines: tuple[tuple[str, tuple[Ring, ...]], ...] = ()

    def contains(self, lons: ArrayLike, lats: ArrayLike) -> bool:
        """Return True if every point lies inside the region.

        Examples
        --------
        >>> REGIONS[0].contains([45.06], [41.06])
        True
        >>> REGIONS[0].contains([45.06], [43.5])   # North Ossetia, Russia
        False
        """
        lo, la = np.atleast_1d(np.asarray(lons, dtype=float)), np.atleast_1d(np.asarray(lats, dtype=float))
        return _all_in([_polygon(self.polygon)], lo, la)

    def countries_of(self, lons: ArrayLike, lats: ArrayLike) -> tuple[str, ...]:
        """The region's countries that some of the points may lie in, in ``countries`` order.

        Examples
        --------
        >>> REGIONS[0].countries_of([44.51], [40.18])      # Yerevan, deep inside Armenia
        ('Armenia',)
        >>> REGIONS[0].countries_of([46.36], [40.68])      # Ganja, Azerbaijan
        ('Azerbaijan',)
        >>> REGIONS[0].countries_of([45.06], [41.06])      # Voskepar, near the border
        ('Armenia', 'Azerbaijan', 'Georgia')
        >>> REGIONS[0].countries_of([44.79], [41.72])      # Tbilisi: no outline holds it
        ('Georgia',)
        """
        lo, la = np.atleast_1d(np.asarray(lons, dtype=float)), np.atleast_1d(np.asarray(lats, dtype=float))
        shapes = {country: _outline(rings) for country, rings in self.outlines}
        possible = {c for c, shape in shapes.items() if _any_in(shape, lo, la)}
        # Unless every point lies deep inside an outlined country, a country without an
        # outline is possible too.
        if not _all_in([_core(rings) for _, rings in self.outlines], lo, la):
            possible |= {c for c in self.countries if c not in shapes}
        return tuple(c for c in self.countries if c in possible)


#: Points per block of the point-in-shape tests (a block's answer may settle the question).
_BLOCK = 4096


def _box(lo: NDArray[np.float64], la: NDArray[np.float64]) -> shapely.Polygon:
    return shapely.box(float(lo.min()), float(la.min()), float(lo.max()), float(la.max()))


def _all_in(shapes: Sequence[shapely.Geometry], lo: NDArray[np.float64], la: NDArray[np.float64]) -> bool:
    """Whether every point lies inside one of ``shapes`` (``contains_xy``: not on a boundary).

    The same answer as testing every point, sooner: the points' box inside a shape's
    interior answers yes for all of them, and a block of points with one outside every
    shape answers no.
    """
    if not len(lo):
        return True
    if not (np.isfinite(lo).all() and np.isfinite(la).all()):
        return False  # contains_xy is False for a point that is not finite
    box = _box(lo, la)
    if any(shapely.contains_properly(shape, box) for shape in shapes):
        return True
    for a in range(0, len(lo), _BLOCK):
        inside = np.zeros(len(lo[a : a + _BLOCK]), dtype=bool)
        for shape in shapes:
            inside |= shapely.contains_xy(shape, lo[a : a + _BLOCK], la[a : a + _BLOCK])
        if not inside.all():
            return False
    return True


def _any_in(shape: shapely.Geometry, lo: NDArray[np.float64], la: NDArray[np.float64]) -> bool:
    """Whether some point lies inside ``shape`` (``contains_xy``): the same answer as testing
    every point, sooner: none if their box misses it, and the first block with one inside."""
    fin = np.isfinite(lo) & np.isfinite(la)
    if not fin.all():
        lo, la = lo[fin], la[fin]
    if not len(lo) or shapely.disjoint(shape, _box(lo, la)):
        return False
    return any(
        bool(np.any(shapely.contains_xy(shape, lo[a : a + _BLOCK], la[a : a + _BLOCK])))
        for a in range(0, len(lo), _BLOCK)
    )


# The shapes below are made once and prepared (indexed): a line of 10^6 vertices is tested
# point by point against them.
@functools.cache
def _polygon(ring: Ring) -> shapely.Polygon:
    poly = shapely.Polygon(ring)
    shapely.prepare(poly)
    return poly


@functools.cache
def _outline(rings: tuple[Ring, ...]) -> shapely.MultiPolygon:
    shape = shapely.MultiPolygon([shapely.Polygon(ring) for ring in rings])
    shapely.prepare(shape)
    return shape


@functools.cache
def _core(rings: tuple[Ring, ...]) -> shapely.Geometry:
    core = shapely.buffer(_outline(rings), -_CORE_DEPTH_DEG)
    shapely.prepare(core)
    return core


# Coarse country outlines for REGIONS (how they were made: see there).
# fmt: off
_ARMENIA: Ring = (
    (43.43, 41.22), (44.17, 41.35), (44.46, 41.29), (44.81, 41.4), (45.07, 41.38), (45.3, 41.12), (45.69, 40.91),
    (45.67, 40.77), (45.52, 40.66), (45.56, 40.56), (46.05, 40.32), (46.06, 40.09), (45.91, 39.91), (46.24, 39.71),
    (46.43, 39.73), (46.67, 39.6), (46.6, 39.39), (46.73, 39.22), (46.64, 39.11), (46.62, 38.81), (46.08, 38.77),
    (45.89, 39.22), (45.7, 39.32), (45.71, 39.49), (45.44, 39.39), (45.12, 39.51), (45.06, 39.66), (44.71, 39.62),
    (44.31, 39.93), (43.89, 39.92), (43.62, 40.01), (43.44, 40.48), (43.64, 40.73), (43.35, 41.1),
)
_AZERBAIJAN: Ring = (  # mainland
    (44.95, 41.38), (45.32, 41.57), (45.8, 41.44), (45.85, 41.32), (45.97, 41.28), (46.56, 41.21), (46.54, 41.3),
    (46.28, 41.42), (46.09, 41.61), (46.12, 41.83), (46.42, 42.01), (46.81, 41.95), (47.19, 41.66), (47.36, 41.39),
    (47.76, 41.31), (48.0, 41.57), (48.32, 41.68), (48.52, 41.92), (48.83, 42.06), (49.37, 41.54), (49.52, 41.19),
    (49.89, 40.89), (50.49, 40.81), (50.7, 40.63), (51.16, 40.46), (51.27, 40.19), (51.16, 40.01), (50.97, 39.91),
    (50.01, 39.96), (49.97, 39.84), (50.06, 39.7), (50.06, 39.53), (49.79, 39.32), (49.63, 38.84), (49.23, 38.66),
    (49.19, 38.37), (48.65, 38.29), (47.93, 38.79), (47.93, 38.97), (48.17, 39.06), (48.03, 39.28), (48.18, 39.43),
    (48.0, 39.59), (47.45, 39.37), (46.58, 38.78), (46.47, 38.79), (46.29, 39.38), (46.31, 39.52), (46.13, 39.49),
    (45.53, 39.91), (45.54, 40.08), (45.85, 40.19), (45.38, 40.44), (45.26, 40.67), (45.42, 40.85), (45.03, 40.99),
)
_NAKHCHIVAN: Ring = (  # Azerbaijan's Nakhchivan Autonomous Republic
    (44.73, 39.81), (45.06, 39.89), (45.45, 39.62), (45.83, 39.67), (45.94, 39.43), (46.09, 39.32), (46.24, 38.81),
    (46.13, 38.75), (45.4, 38.91), (45.27, 39.07), (45.08, 39.14), (44.66, 39.72),
)
# fmt: on

#: Regions where PROJ's bounding-box areas of use mislead. The South Caucasus polygon
#: keeps at least ~15 km south of Russia's border along the Greater Caucasus (Roki,
#: Upper Lars, Tusheti, Bazardüzü at 41.19°N); it spills into Turkey and Iran, where no
#: Pulkovo 1942 operation applies anyway (points there count as possibly Georgia).
#:
#: The outlines of Armenia and Azerbaijan (mainland; Nakhchivan) are derived from the
#: OpenStreetMap admin_level 2 polygons of 2023-10-02 shipped in
#: ``data/tavush-2024/countries_osm_20231002.geojson`` (© OpenStreetMap contributors,
#: ODbL 1.0): ``shapely.set_precision(shapely.simplify(polygon.buffer(0.1), 0.05), 0.01)``
#: in degrees, so each lies 0.043° to 0.157° outside the country (tests/test_crs.py checks
#: both bounds against that file). Georgia has no outline here.
REGIONS: tuple[Region, ...] = (
    Region(
        "South Caucasus",
        ("Armenia", "Azerbaijan", "Georgia"),
        (
            (40.0, 41.0),
            (40.0, 43.0),
            (42.0, 42.8),
            (44.0, 42.5),
            (45.5, 42.0),
            (46.5, 41.5),
            (47.5, 41.0),
            (48.0, 41.0),
            (49.0, 41.2),
            (50.6, 40.6),
            (50.6, 38.3),
            (43.2, 38.3),
        ),
        outlines=(("Armenia", (_ARMENIA,)), ("Azerbaijan", (_AZERBAIJAN, _NAKHCHIVAN))),
    ),
)

#: Operations valid for one country only, whatever their bounding box says: inside a
#: region they are admissible only if the region contains that country.
COUNTRY_SPECIFIC_OPERATIONS: dict[str, str] = {
    "EPSG:5044": "Russian Federation",  # Pulkovo 1942 to WGS 84 (20), 3 m
    "EPSG:1254": "Russian Federation",  # Pulkovo 1942 to WGS 84 (1), accuracy unknown
    "EPSG:1291": "Kazakhstan",  # Pulkovo 1942 to WGS 84 (7), 44 m
    "EPSG:1303": "Kazakhstan",  # Pulkovo 1942 to WGS 84 (10), Caspian Sea
    "EPSG:1290": "Latvia",  # Pulkovo 1942 to WGS 84 (6)
    "EPSG:1679": "Lithuania",  # Pulkovo 1942 to WGS 84 (2)
    "EPSG:6899": "Estonia",  # Pulkovo 1942 to WGS 84 (21)
    "EPSG:1334": "Estonia",  # Pulkovo 1942 to WGS 84 (12)
}


@dataclass(frozen=True)
class Transformation:
    """How a layer's coordinates were brought to WGS 84.

    Attributes
    ----------
    source_crs : str
        The CRS the data was declared in, e.g. ``"EPSG:28408"``.
    code : str or None
        The EPSG code of the datum operation used (``"EPSG:15865"``), or ``None`` when
        no datum change was needed (WGS 84 in, WGS 84 out; UTM on WGS 84).
    name : str
        Human-readable name of the operation.
    accuracy_m : float or None
        The operation's stated accuracy in metres (0 for a pure conversion, ``None``
        when the EPSG database gives none).
    spread_m : float
        Largest distance in metres between the results of the candidate operations
        over this data: how much the choice of operation matters.
    candidates : tuple of str
        Codes of the admissible operations, most accurate first (unknown accuracy last).
    excluded : tuple of str
        Codes whose bounding box contains the data but which the regional rule rejects
        (e.g. ``"EPSG:5044"``, Russia, for points in Armenia).
    note : str
        How the choice was made, in one or two sentences.

    Examples
    --------
    >>> t = Transformation("EPSG:28408", "EPSG:15865", "Pulkovo 1942 to WGS 84 (16)", 4.5)
    >>> t
    <Transformation EPSG:28408 -> WGS 84 via EPSG:15865 (4.5 m)>
    >>> t.to_dict()["accuracy_m"]
    4.5
    """

    source_crs: str
    code: str | None
    name: str
    accuracy_m: float | None
    spread_m: float = 0.0
    candidates: tuple[str, ...] = field(default_factory=tuple)
    excluded: tuple[str, ...] = field(default_factory=tuple)
    note: str = ""

    def to_dict(self) -> dict[str, Any]:
        """Return a JSON-ready mapping (``code``, ``name``, ``accuracy_m``, ...)."""
        return {
            "source_crs": self.source_crs,
            "code": self.code,
            "name": self.name,
            "accuracy_m": self.accuracy_m,
            "spread_m": round(self.spread_m, 3),
            "candidates": list(self.candidates),
            "excluded": list(self.excluded),
            "note": self.note,
        }

    def __repr__(self) -> str:
        acc = "?" if self.accuracy_m is None else f"{self.accuracy_m:g} m"
        return f"<Transformation {self.source_crs} -> WGS 84 via {self.code or 'none'} ({acc})>"


def parse_crs(value: str | int | CRS, *, where: str = "crs") -> CRS:
    """Parse a CRS string, naming ``where`` it came from on failure.

    Parameters
    ----------
    value : str, int or pyproj.CRS
        ``"EPSG:28408"``, ``28408``, a WKT or PROJ string, or a CRS.
    where : str
        Where the value came from, for the error message (``"case.toml: crs"``).

    Returns
    -------
    pyproj.CRS

    Raises
    ------
    CRSError
        If PROJ does not know the CRS.

    Examples
    --------
    >>> parse_crs("EPSG:28408").name
    'Pulkovo 1942 / Gauss-Kruger zone 8'
    >>> parse_crs("EPSG:999999", where="points.csv: crs")
    Traceback (most recent call last):
    ...
    borderkit.errors.CRSError: points.csv: crs: unknown CRS 'EPSG:999999'. ...
    """
    if isinstance(value, CRS):
        return value
    try:
        return CRS.from_user_input(value)
    except _PyprojCRSError as err:
        msg = (
            f"{where}: unknown CRS {value!r}. Give an EPSG code such as 'EPSG:4326' "
            "(WGS 84), 'EPSG:28408' (Pulkovo 1942 / Gauss-Kruger zone 8) or 'EPSG:32638' (UTM 38N)."
        )
        raise CRSError(msg) from err


def _label(crs: CRS) -> str:
    auth = crs.to_authority(min_confidence=90)
    return f"{auth[0]}:{auth[1]}" if auth else crs.name


def _is_wgs84(crs: CRS) -> bool:
    return crs.equals(CRS.from_epsg(4326), ignore_axis_order=True)


def is_northing_first(crs: CRS | str) -> bool:
    """Return True if the CRS's first axis is the northing (Gauss–Krüger, ``x`` = north).

    Examples
    --------
    >>> is_northing_first("EPSG:28408"), is_northing_first("EPSG:32638")
    (True, False)
    """
    crs = parse_crs(crs)
    return bool(crs.is_projected and crs.axis_info and crs.axis_info[0].direction == "north")


def _tm_params(crs: CRS) -> tuple[float, float] | None:
    """(central meridian, false easting) of a Transverse Mercator CRS, else None."""
    op = crs.coordinate_operation if crs.is_projected else None
    if op is None or "transverse mercator" not in op.method_name.lower():
        return None
    params = {p.name.lower(): float(p.value) for p in op.params}
    return params.get("longitude of natural origin", 0.0), params.get("false easting", 0.0)


def zone_prefix(crs: CRS | str) -> int | None:
    """Zone number the CRS prefixes to its eastings (false easting // 1e6), else None.

    Examples
    --------
    >>> zone_prefix("EPSG:28408"), zone_prefix("EPSG:2531"), zone_prefix("EPSG:2498")
    (8, 15, None)
    """
    tm = _tm_params(parse_crs(crs))
    if tm is None or tm[1] < 1_000_000:
        return None
    return int(tm[1] // 1_000_000)


@functools.cache
def _projected_codes_by_name() -> dict[str, str]:
    infos = query_crs_info(auth_name="EPSG", pj_types=PJType.PROJECTED_CRS)
    return {i.name: f"EPSG:{i.code}" for i in infos if not i.deprecated}


def _gk_sibling(crs: CRS, prefix: int | None) -> str | None:
    """EPSG code of the Gauss–Krüger CRS of ``crs``'s datum for zone ``prefix``.

    ``prefix=None`` gives the same grid without the zone prefix ("CM 45E").
    """
    tm = _tm_params(crs)
    if tm is None or " / " not in crs.name:
        return None
    datum = crs.name.split(" / ")[0]
    three = "3-degree" in crs.name
    family = f"{datum} / 3-degree Gauss-Kruger" if three else f"{datum} / Gauss-Kruger"
    name = f"{family} CM {tm[0]:g}E" if prefix is None else f"{family} zone {prefix}"
    return _projected_codes_by_name().get(name)


# --------------------------------------------------------------------------- checks


def _in_bounds(
    lons: NDArray[np.float64],
    lats: NDArray[np.float64],
    bounds: tuple[float, float, float, float],
    margin: float = 0.0,
) -> NDArray[np.bool_]:
    """Point-in-bbox for (west, south, east, north); handles boxes across 180°."""
    west, south, east, north = bounds
    in_lat = (lats >= south - margin) & (lats <= north + margin)
    if west <= east:
        in_lon = (lons >= west - margin) & (lons <= east + margin)
    else:  # the box crosses the antimeridian (former USSR: 19.57°E .. 168.97°W)
        in_lon = (lons >= west - margin) | (lons <= east + margin)
    return np.asarray(in_lat & in_lon & np.isfinite(lons) & np.isfinite(lats))


class _Checker:
    """Validity of (x, y) in one declared CRS: area of use and expected bounds."""

    def __init__(self, crs: CRS, expect_bounds: tuple[float, float, float, float] | None):
        self.crs = crs
        self.label = _label(crs)
        self.expect_bounds = expect_bounds
        self.geographic = crs.is_geographic
        area = crs.area_of_use
        self.area = area.bounds if area is not None else (-180.0, -90.0, 180.0, 90.0)
        self.area_name = area.name if area is not None else "the world"
        geodetic = crs.geodetic_crs or crs
        self._to_geog = None if crs.is_geographic else Transformer.from_crs(crs, geodetic, always_xy=True)

    def lonlat(self, x: ArrayLike, y: ArrayLike) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
        xa, ya = np.asarray(x, dtype=float), np.asarray(y, dtype=float)
        if self._to_geog is None:
            return xa, ya
        with np.errstate(all="ignore"):
            lon, lat = self._to_geog.transform(xa, ya, errcheck=False)
        return np.asarray(lon, dtype=float), np.asarray(lat, dtype=float)

    def in_area(self, x: ArrayLike, y: ArrayLike) -> NDArray[np.bool_]:
        lon, lat = self.lonlat(x, y)
        ok = _in_bounds(lon, lat, self.area, AREA_MARGIN_DEG)
        if self.geographic:
            ok &= (np.abs(lat) <= 90) & (np.abs(lon) <= 180)
        return ok

    def in_expected(self, x: ArrayLike, y: ArrayLike) -> NDArray[np.bool_]:
        if self.expect_bounds is None:
            return np.ones(np.shape(x), dtype=bool)
        lon, lat = self.lonlat(x, y)
        return _in_bounds(lon, lat, self.expect_bounds, EXPECT_MARGIN_DEG)

    def valid(self, x: ArrayLike, y: ArrayLike) -> NDArray[np.bool_]:
        return self.in_area(x, y) & self.in_expected(x, y)

    def all_valid(self, x: ArrayLike, y: ArrayLike) -> bool:
        """True only if every point is :meth:`valid`, from the bounding box of the points.

        A shortcut for big inputs: four reductions instead of a mask per test. False means
        "look closer" (a point may be bad, or a box crosses 180°), never "some point is bad".
        """
        return self.all_valid_lonlat(*self.lonlat(x, y))

    def all_valid_lonlat(self, lon: NDArray[np.float64], lat: NDArray[np.float64]) -> bool:
        """:meth:`all_valid` of points already given in the CRS's geographic lon/lat (:meth:`lonlat`)."""
        if lon.size == 0:
            return True
        box = (float(lon.min()), float(lat.min()), float(lon.max()), float(lat.max()))
        if not all(math.isfinite(v) for v in box):  # NaN or inf somewhere (min/max propagate NaN)
            return False
        limits = [(self.area, AREA_MARGIN_DEG)]
        if self.geographic:
            limits.append(((-180.0, -90.0, 180.0, 90.0), 0.0))
        if self.expect_bounds is not None:
            limits.append((self.expect_bounds, EXPECT_MARGIN_DEG))
        for (west, south, east, north), margin in limits:
            if west > east:  # across the antimeridian: let valid() decide
                return False
            inside_lon = west - margin <= box[0] and box[2] <= east + margin
            if not (inside_lon and south - margin <= box[1] and box[3] <= north + margin):
                return False
        return True

    def ok(self, x: float, y: float) -> bool:
        return bool(self.valid(np.array([x]), np.array([y]))[0])


def _guess_projected(x: float, y: float) -> str:
    """A hint for metre values declared as degrees."""
    # The Soviet order first: x is the northing, y the easting with its zone prefix.
    for east, north in ((y, x), (x, y)):
        prefix = int(east // 1_000_000) if east >= 1_000_000 else 0
        # Pulkovo 1942 is used north of 35°N: northing >= 3.8e6 m
        if 1 <= prefix <= 60 and 3_800_000 <= north < 10_000_000:
            code = _projected_codes_by_name().get(f"Pulkovo 1942 / Gauss-Kruger zone {prefix}")
            hint = f" such as {code}" if code else ""
            return (
                f"They look like Gauss–Krüger metres with zone prefix {prefix}: declare the "
                f"zone's projected CRS{hint} (x = northing, y = easting with the prefix)"
            )
    return (
        "They look like projected metres: declare the projected CRS, e.g. 'EPSG:32638' "
        "(WGS 84 / UTM 38N) or 'EPSG:2498' (Pulkovo 1942 Gauss–Krüger CM 45E, no zone prefix)"
    )


def _num(value: float) -> str:
    """A float as short text without floating-point noise (8504938.2307)."""
    return f"{value:.6f}".rstrip("0").rstrip(".")


def _diagnose(chk: _Checker, x: float, y: float, names: tuple[str, str]) -> str:
    """Explain why (x, y) is not valid in ``chk.crs``: the likely mis-declaration."""
    nx, ny = names
    shown = f"{nx}={x!r}, {ny}={y!r}"
    crs = chk.crs
    if not (math.isfinite(x) and math.isfinite(y)):
        return f"{shown}: a coordinate is empty or not a number."
    w, s, e, n = chk.area
    where = f"the area of use of {chk.label} (lon {w:g}..{e:g}, lat {s:g}..{n:g})"
    if chk.expect_bounds is not None:
        where += f" or the expected bounds {chk.expect_bounds!r}"

    if chk.geographic:
        if abs(x) > 360 or abs(y) > 360:
            return (
                f"{shown} are not degrees, but {chk.label} is geographic (degrees): "
                f"metres declared as degrees? {_guess_projected(x, y)}."
            )
        if abs(y) > 90 and abs(x) <= 90:
            return (
                f"{shown}: latitude {y!r} is beyond ±90° while longitude {x!r} would be a "
                f"valid latitude: lat/lon swapped? Check which column holds the latitude."
            )
        if abs(x) > 180:
            return f"{shown}: longitude beyond ±180°. Check the value."
        if chk.ok(y, x):
            return (
                f"{shown} lies outside {where}, but ({ny}, {nx}) read the other way round "
                f"lies inside: lat/lon swapped? Check which column holds the latitude."
            )
        return f"{shown} lies outside {where}. Check the value and the declared crs."

    # projected CRS, metres
    northing_first = is_northing_first(crs)
    easting = x
    if abs(x) <= 180 and abs(y) <= 180:
        return (
            f"{shown} look like degrees, but {chk.label} is projected (metres): degrees "
            f"declared as metres? Declare crs='EPSG:4326' (WGS 84 degrees) or "
            f"'EPSG:4284' (Pulkovo 1942 degrees)."
        )
    if chk.ok(y, x):
        if northing_first:
            return (
                f"{shown} lies outside {where}, but with the two values exchanged it lies "
                f"inside: x and y swapped? In {chk.label} (Soviet convention) x is the "
                f"northing and y the easting with the zone prefix."
            )
        return (
            f"{shown} lies outside {where}, but with the two values exchanged it lies "
            f"inside: easting and northing swapped? In {chk.label} x/easting comes first."
        )
    tm = _tm_params(crs)
    prefix = zone_prefix(crs)
    if tm is not None and prefix is not None:
        shown_e = f"easting ({nx}) {easting!r}"
        if 0 <= easting < 1_000_000:
            bare = _gk_sibling(crs, None)
            alt = f", or declare {bare} (the same grid without the prefix)" if bare else ""
            return (
                f"{shown}: the {shown_e} has no zone prefix, but {chk.label} expects "
                f"{prefix}xxxxxx.x (false easting {tm[1]:.0f}): zone prefix missing? "
                f"Write {_num(easting + prefix * 1_000_000)}{alt}."
            )
        got = int(easting // 1_000_000)
        if got != prefix and 1 <= got <= 60:
            sib = _gk_sibling(crs, got)
            alt = f"declare {sib} (zone {got}) if that is the zone" if sib else "fix the zone"
            return (
                f"{shown}: the {shown_e} carries zone prefix {got}, but {chk.label} is "
                f"zone {prefix} (false easting {tm[1]:.0f}): wrong zone prefix? Either "
                f"{alt}, or correct the prefix to {prefix}."
            )
    elif tm is not None and easting >= 1_000_000:
        got = int(easting // 1_000_000)
        sib = _gk_sibling(crs, got) if 1 <= got <= 60 else None
        if sib is not None:
            return (
                f"{shown}: the easting {easting!r} looks like it carries zone prefix {got}, "
                f"but {chk.label} takes eastings without a prefix (false easting "
                f"{tm[1]:.0f}): declare {sib} instead."
            )
    return f"{shown} lies outside {where}. Check the values and the declared crs."


def check_coordinates(
    x: ArrayLike,
    y: ArrayLike,
    crs: CRS | str,
    *,
    expect_bounds: tuple[float, float, float, float] | None = None,
    source: str = "input",
    rows: Sequence[int] | NDArray[np.integer] | None = None,
    names: tuple[str, str] | None = None,
) -> None:
    """Check coordinates against their declared CRS; explain the first bad row.

    A point must lie in the CRS's area of use (within :data:`AREA_MARGIN_DEG`) and, if
    given, within ``expect_bounds`` (within :data:`EXPECT_MARGIN_DEG`). A bad point is
    diagnosed: lat/lon or x/y swapped, Gauss–Krüger zone prefix missing or wrong,
    degrees declared as metres or metres as degrees.

    Parameters
    ----------
    x, y : array_like
        Coordinates in ``always_xy`` order: (lon, lat) or (easting, northing).
    crs : pyproj.CRS or str
        The declared CRS.
    expect_bounds : (min_lon, min_lat, max_lon, max_lat), optional
        Where the data should be, in degrees.
    source : str
        The file name, for messages.
    rows : sequence or array of int, optional
        1-based row numbers of the points (default 1, 2, ...); read only if a point is bad.
    names : (str, str), optional
        Names of the columns holding x and y, for messages.

    Raises
    ------
    CoordinateError
        Naming the file, the 1-based row, the values and the likely cause.

    Examples
    --------
    >>> check_coordinates([8504938.2], [4547853.2], "EPSG:28408")   # easting, northing
    >>> check_coordinates([504938.2], [4547853.2], "EPSG:28408", source="tp.csv",
    ...                   names=("y", "x"))
    Traceback (most recent call last):
    ...
    borderkit.errors.CoordinateError: tp.csv: row 1: y=504938.2, x=4547853.2: ... zone prefix missing? ...
    """
    crs = parse_crs(crs)
    xa = np.atleast_1d(np.asarray(x, dtype=float))
    ya = np.atleast_1d(np.asarray(y, dtype=float))
    if names is None:
        names = ("lon", "lat") if crs.is_geographic else ("easting", "northing")
    chk = _Checker(crs, expect_bounds)
    if chk.all_valid(xa, ya):
        return
    bad = np.flatnonzero(~chk.valid(xa, ya))
    if bad.size == 0:
        return
    # Row labels are built only now, when a message needs them (a layer may have 10^6 vertices).
    if rows is None:
        labels = list(range(1, xa.size + 1))
    elif isinstance(rows, np.ndarray):
        labels = [int(r) for r in rows.tolist()]
    else:
        labels = list(rows)
    i = int(bad[0])
    detail = _diagnose(chk, float(xa[i]), float(ya[i]), names)
    more = ""
    # Vertices of one feature share its row label: count rows, not vertices.
    other_rows = list(dict.fromkeys(labels[j] for j in bad if labels[j] != labels[i]))
    if other_rows:
        others = ", ".join(str(r) for r in other_rows[:5])
        more = f" ({len(other_rows)} more bad row(s): {others}{', ...' if len(other_rows) > 5 else ''})"
    msg = f"{source}: row {labels[i]}: {detail}{more}"
    raise CoordinateError(msg)


def _check_vertices(
    geoms: NDArray[np.object_],
    coords: NDArray[np.float64],
    crs: CRS,
    *,
    expect_bounds: tuple[float, float, float, float] | None,
    source: str,
    names: tuple[str, str],
) -> tuple[NDArray[np.float64], NDArray[np.float64]] | None:
    """:func:`check_coordinates` for the vertices ``coords`` (2-D) of ``geoms``; rows are features.

    The row labels (1-based feature of each vertex) are made only if a vertex is bad. For
    geographic coordinates the box of all vertices is the geometries' (GEOS keeps it), so a
    layer that is wholly in place is told by four numbers. Projected coordinates are
    checked in the CRS's geographic lon/lat, which are returned (for
    :func:`_to_wgs84_frame`, so that they are not computed twice); ``None`` otherwise.
    """
    chk = _Checker(crs, expect_bounds)
    if chk.geographic:
        if bool(np.isfinite(coords).all()):
            west, south, east, north = (float(v) for v in shapely.total_bounds(geoms))
            if chk.all_valid(np.array([west, east]), np.array([south, north])):
                return None
    else:
        lon, lat = chk.lonlat(coords[:, 0], coords[:, 1])
        if chk.all_valid_lonlat(lon, lat):
            return lon, lat
    _, index = shapely.get_coordinates(geoms, return_index=True)
    check_coordinates(
        coords[:, 0], coords[:, 1], crs, expect_bounds=expect_bounds, source=source, rows=index + 1, names=names
    )
    return None


# --------------------------------------------------------------- operation choice


@dataclass(frozen=True)
class _Op:
    code: str | None
    name: str
    accuracy_m: float | None
    area_name: str
    bounds: tuple[float, float, float, float]
    transformer: Transformer


def _op_code(transformer: Transformer) -> str | None:
    info = transformer.to_json_dict()
    steps = info.get("steps") or [info]
    for step in steps:
        ident = step.get("id")
        if ident and "axis order" not in step.get("name", "").lower():
            return f"{ident['authority']}:{ident['code']}"
    return None


def _op_name(transformer: Transformer) -> str:
    info = transformer.to_json_dict()
    steps = [s for s in info.get("steps") or [info] if "axis order" not in s.get("name", "")]
    return " + ".join(s.get("name", "?") for s in steps) or transformer.name


@functools.cache
def _operations(geodetic_wkt: str) -> tuple[tuple[_Op, ...], tuple[str, ...]]:
    group = TransformerGroup(CRS.from_wkt(geodetic_wkt), WGS84, always_xy=True)
    ops = []
    for t in group.transformers:
        acc = t.accuracy
        name = _op_name(t)
        unknown = acc is None or acc < 0 or acc >= _UNKNOWN_ACCURACY_M or "ballpark" in name.lower()
        area = t.area_of_use
        ops.append(
            _Op(
                code=_op_code(t),
                name=name,
                accuracy_m=None if unknown else float(acc),
                area_name=area.name if area else "",
                bounds=area.bounds if area else (-180.0, -90.0, 180.0, 90.0),
                transformer=t,
            )
        )
    unavailable = tuple(o.name for o in group.unavailable_operations)
    return tuple(ops), unavailable


def _region_of(lons: NDArray[np.float64], lats: NDArray[np.float64]) -> Region | None:
    for region in REGIONS:
        if region.contains(lons, lats):
            return region
    return None


def _admissible(op: _Op, countries: tuple[str, ...]) -> bool:
    """Whether ``op`` applies in every country the data may lie in."""
    country = COUNTRY_SPECIFIC_OPERATIONS.get(op.code or "")
    if country is not None and country not in countries:
        return False
    return all(c.lower() in op.area_name.lower() for c in countries)


def _spread_m(ops: Sequence[_Op], lons: NDArray[np.float64], lats: NDArray[np.float64]) -> float:
    results = [op.transformer.transform(lons, lats) for op in ops]
    spread = 0.0
    for i in range(len(results)):
        for j in range(i + 1, len(results)):
            _, _, dist = GEOD.inv(results[i][0], results[i][1], results[j][0], results[j][1])
            spread = max(spread, float(np.nanmax(np.atleast_1d(dist))))
    return spread


def _choose(
    source: CRS, lons: NDArray[np.float64], lats: NDArray[np.float64], operation: str | int | None
) -> tuple[Transformer | None, Transformation]:
    """Choose the datum operation for lon/lat on ``source``'s geodetic CRS."""
    label = _label(source)
    geodetic = source.geodetic_crs or source
    if _is_wgs84(geodetic):
        if operation is not None:
            msg = f"operation={operation!r}: {label} is already on WGS 84; no datum operation applies."
            raise CRSError(msg)
        name = "none (data already WGS 84)" if source.is_geographic else "none (map projection on WGS 84)"
        return None, Transformation(label, None, name, 0.0, note="no datum change")
    ops, unavailable = _operations(geodetic.to_wkt())
    contained = list(ops) if lons.size == 0 else [op for op in ops if bool(np.all(_in_bounds(lons, lats, op.bounds)))]
    region = _region_of(lons, lats) if lons.size else None
    if region is not None:
        countries = region.countries_of(lons, lats)
        kept = [op for op in contained if _admissible(op, countries)]
        excluded = [op for op in contained if not _admissible(op, countries)]
        note = (
            f"data in region {region.name}, possibly in {', '.join(countries)} (coarse outlines): "
            f"kept operations whose area of use names {'it' if len(countries) == 1 else 'each of them'}"
        )
    else:
        kept, excluded = contained, []
        note = (
            "no regional rule for this area: operations chosen by bounding-box area of use "
            "only; check that the chosen one names the data's country"
        )
    if unavailable:
        note += f"; not installed (grids missing): {', '.join(unavailable)}"
    known = sorted((op for op in kept if op.accuracy_m is not None), key=lambda o: o.accuracy_m or 0)
    unknown = [op for op in kept if op.accuracy_m is None]
    candidates = tuple(op.code or op.name for op in known + unknown)
    spread = _spread_m(known, lons, lats) if len(known) > 1 and lons.size else 0.0

    if operation is not None:
        wanted = str(operation).upper()
        if wanted.isdigit():
            wanted = f"EPSG:{wanted}"
        match = [op for op in ops if (op.code or "").upper() == wanted]
        if not match:
            codes = ", ".join(op.code or op.name for op in ops)
            msg = (
                f"operation={operation!r} does not convert {geodetic.name} to WGS 84. "
                f"Operations PROJ knows for it: {codes}."
            )
            raise CRSError(msg)
        chosen = match[0]
        inside = lons.size == 0 or bool(np.all(_in_bounds(lons, lats, chosen.bounds)))
        note = "operation named by the caller" + (
            "" if inside else f"; WARNING: data lie outside its area of use ({chosen.area_name})"
        )
        if chosen not in known and chosen.accuracy_m is not None and lons.size:
            spread = _spread_m([chosen, *known], lons, lats)
    else:
        if not known and geodetic.name.startswith("WGS 84"):
            msg = (
                "the declared CRS is WGS 84 with heights (3-D, e.g. EPSG:4979): borderkit works in 2-D; "
                "declare crs = 'EPSG:4326' (WGS 84 longitude, latitude) instead"
            )
            raise CRSError(msg)
        if not known:
            names = ", ".join(f"{op.code} ({op.area_name})" for op in unknown) or "none"
            msg = (
                f"no datum operation of known accuracy converts {geodetic.name} to WGS 84 "
                f"over this data (candidates of unknown accuracy: {names}). Name one with "
                f"operation='EPSG:....' if you accept it."
            )
            raise CRSError(msg)
        chosen = known[0]
    transformation = Transformation(
        source_crs=label,
        code=chosen.code,
        name=chosen.name,
        accuracy_m=chosen.accuracy_m,
        spread_m=spread,
        candidates=candidates,
        excluded=tuple(op.code or op.name for op in excluded),
        note=note,
    )
    return chosen.transformer, transformation


def choose_operation(
    crs: CRS | str,
    lons: ArrayLike,
    lats: ArrayLike,
    *,
    operation: str | int | None = None,
) -> Transformation:
    """Choose the datum operation from ``crs``'s datum to WGS 84 for these points.

    See the module docstring for the rule.

    Parameters
    ----------
    crs : pyproj.CRS or str
        The data's CRS (geographic or projected).
    lons, lats : array_like
        The points in degrees **on the data's own datum** (e.g. Pulkovo 1942).
    operation : str, optional
        An EPSG operation to use instead (``"EPSG:1808"``).

    Returns
    -------
    Transformation

    Raises
    ------
    CRSError
        If the named operation does not apply to this datum, or no operation of known
        accuracy covers the data.

    Examples
    --------
    In Armenia only EPSG:15865 applies; EPSG:1808's area of use is "Azerbaijan (including
    Caspian) and Georgia onshore", and Russia's EPSG:5044 only seems to apply north of
    41.19°N because its bounding box reaches there:

    >>> t = choose_operation("EPSG:4284", [45.06], [41.06])     # Voskepar, Armenia
    >>> t.code, t.accuracy_m, t.candidates, t.excluded
    ('EPSG:15865', 4.5, ('EPSG:15865',), ('EPSG:1808',))
    >>> choose_operation("EPSG:4284", [45.06], [41.25]).excluded
    ('EPSG:5044', 'EPSG:1254', 'EPSG:1808')
    >>> t = choose_operation("EPSG:4284", [46.36], [40.68])     # Ganja, Azerbaijan
    >>> t.candidates, f"{t.spread_m:.1f} m"
    (('EPSG:15865', 'EPSG:1808'), '4.4 m')
    """
    source = parse_crs(crs)
    lo = np.atleast_1d(np.asarray(lons, dtype=float))
    la = np.atleast_1d(np.asarray(lats, dtype=float))
    return _choose(source, lo, la, operation)[1]


def to_wgs84(
    x: ArrayLike,
    y: ArrayLike,
    crs: CRS | str,
    *,
    operation: str | int | None = None,
) -> tuple[NDArray[np.float64], NDArray[np.float64], Transformation]:
    """Transform coordinates to WGS 84 lon/lat with a recorded datum operation.

    Parameters
    ----------
    x, y : array_like
        Coordinates in ``always_xy`` order: (lon, lat) or (easting, northing); for a
        Gauss–Krüger CRS x is the **easting** here (the surveyor's y).
    crs : pyproj.CRS or str
        Their CRS.
    operation : str, optional
        EPSG datum operation to use (``"EPSG:1808"``); chosen by the rule if omitted.

    Returns
    -------
    (lons, lats, Transformation)

    Examples
    --------
    >>> lon, lat, t = to_wgs84([8504938.2307], [4547853.2139], "EPSG:28408")
    >>> f"{lon[0]:.7f} {lat[0]:.7f}", t.code
    ('45.0575000 41.0647222', 'EPSG:15865')
    >>> lon, lat, t = to_wgs84([504831.1046], [4545943.4755], "EPSG:32638")
    >>> f"{lon[0]:.7f} {lat[0]:.7f}", t.code
    ('45.0575000 41.0647222', None)
    """
    source = parse_crs(crs)
    xa = np.atleast_1d(np.asarray(x, dtype=float))
    ya = np.atleast_1d(np.asarray(y, dtype=float))
    geodetic = source.geodetic_crs or source
    if source.is_geographic:
        lon, lat = xa, ya
    else:
        to_geog = Transformer.from_crs(source, geodetic, always_xy=True)
        lon, lat = (np.asarray(v, dtype=float) for v in to_geog.transform(xa, ya))
    transformer, transformation = _choose(source, lon, lat, operation)
    if transformer is not None:
        lon, lat = (np.asarray(v, dtype=float) for v in transformer.transform(lon, lat))
    return lon, lat, transformation


def to_wgs84_frame(
    frame: gpd.GeoDataFrame, *, operation: str | int | None = None
) -> tuple[gpd.GeoDataFrame, Transformation]:
    """Bring a GeoDataFrame with a set CRS to WGS 84 and say how.

    Parameters
    ----------
    frame : GeoDataFrame
        Any geometries; its ``crs`` must be set.
    operation : str, optional
        EPSG datum operation to use; chosen by the rule of this module if omitted.

    Returns
    -------
    (GeoDataFrame in EPSG:4326, Transformation)

    Raises
    ------
    CRSError
        If the frame has no CRS or the operation does not apply.

    Examples
    --------
    >>> from shapely import Point
    >>> gk = gpd.GeoDataFrame(geometry=[Point(8504938.2307, 4547853.2139)], crs="EPSG:28408")
    >>> out, t = to_wgs84_frame(gk, operation="EPSG:1808")
    >>> t
    <Transformation EPSG:28408 -> WGS 84 via EPSG:1808 (5 m)>
    >>> f"{out.geometry[0].x:.5f} {out.geometry[0].y:.5f}"
    '45.05754 41.06476'
    """
    return _to_wgs84_frame(frame, operation=operation)


def _to_wgs84_frame(
    frame: gpd.GeoDataFrame,
    *,
    operation: str | int | None = None,
    coords: NDArray[np.float64] | None = None,
    lonlat: tuple[NDArray[np.float64], NDArray[np.float64]] | None = None,
) -> tuple[gpd.GeoDataFrame, Transformation]:
    """:func:`to_wgs84_frame`, given the frame's 2-D coordinates (and their geographic lon/lat
    on the source datum, :func:`_check_vertices`'s) if the caller has them."""
    if frame.crs is None:
        msg = "layer has no CRS: declare one (crs = 'EPSG:4326' in case.toml)"
        raise CRSError(msg)
    source = CRS.from_user_input(frame.crs)
    geoms = np.asarray(frame.geometry.values)
    if coords is None:
        coords = shapely.get_coordinates(geoms)
    geodetic = source.geodetic_crs or source
    to_geog = None if source.is_geographic else Transformer.from_crs(source, geodetic, always_xy=True)

    def geographic(xy: NDArray[np.float64]) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
        if to_geog is None:
            return xy[:, 0], xy[:, 1]
        lon, lat = to_geog.transform(xy[:, 0], xy[:, 1])
        return np.asarray(lon, dtype=float), np.asarray(lat, dtype=float)

    lon, lat = lonlat if lonlat is not None and to_geog is not None else geographic(coords)
    transformer, transformation = _choose(source, lon, lat, operation)
    if to_geog is None and transformer is None and not np.any(shapely.has_z(geoms) | shapely.has_m(geoms)):
        # Already WGS 84 lon/lat in 2-D: every coordinate stays as it is, so the geometries
        # do too (shapely geometries are immutable: a new array of the same objects will do).
        moved = geoms.copy()
    else:
        # The same as shapely.transform(geoms, ...) (2-D), without reading the coordinates again.
        if transformer is not None:
            lon, lat = (np.asarray(v, dtype=float) for v in transformer.transform(lon, lat))
        moved = shapely.set_coordinates(geoms.copy(), np.column_stack([lon, lat]))
    out = frame.copy()
    out = out.set_geometry(moved, crs=WGS84)
    return out, transformation
