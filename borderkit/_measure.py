"""Measure a case: segment, section and total lengths, handed-over areas, settlements.

:func:`measure` returns a :class:`Measurements` holding every number borderkit checks
claims against, each with the method that produced it (its ``basis``).

Lengths come from the turning points when the case has them (the line between two
turning points is a geodesic or a rhumb line, as the layer's ``line_type`` says);
otherwise from the new line clipped to the case's extent, which is a proxy: its length
depends on where the extent cuts the line. Each segment of the new line is attributed
to the settlement pair nearest its midpoint (local UTM plane), which gives the lengths
per pair.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from functools import cached_property
from typing import Any, cast

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from numpy.typing import NDArray
from shapely import LineString

from borderkit._linear import PlanarLine
from borderkit._validate import check_number, check_text
from borderkit.areas import handover_polygons, side_of
from borderkit.case import Case, Layer
from borderkit.enums import LineBasis
from borderkit.errors import GeometryError, InputError, ParameterError
from borderkit.geodesy import GEOD, local_plane

__all__ = ["Measurements", "SegmentArrays", "measure", "settlement_effects_m"]


@dataclass(frozen=True, eq=False)
class Measurements:
    """Every measured quantity of a case.

    Attributes
    ----------
    case_id : str
    line_basis : LineBasis
        How the delimited line was obtained: from turning points, or a proxy rendering
        between the outermost pairs, in the extent, or whole (``LineBasis``).
    rendering : str
        The name of the line layer measured as the new line (its faces; with turning
        points, lengths come from those), ``""`` when the case has none.
    segments : GeoDataFrame
        Each segment of the measured line: ``pair``, ``length_m`` (geodesic),
        ``planar_length_m`` (local UTM), its ends ``lon0, lat0, lon1, lat1``, and the
        geometry (densified along the line type for turning points). Built on first
        access from ``segment_arrays`` (the same numbers as arrays, :class:`SegmentArrays`).
    total_length_m, total_planar_length_m : float or None
        The planar total is computed on first access.
    areas : GeoDataFrame or None
        Handed-over faces (see :func:`borderkit.areas.handover_polygons`); ``None`` when
        not computable, with the reason in ``areas_reason``.
    settlements : GeoDataFrame
        Pair members with ``side_new``, ``side_old`` (country code) and
        ``distance_to_new_m``.
    renderings : dict of str to Measurements
        The same measured on every other rendering of the new line (layers of role
        ``new_line_alt``), by layer name: the scenarios of the verdicts.
    notes : list of str
    sliver_width_m : float or None
        Faces narrower than this are slivers (``areas["sliver"]``): within the data's
        uncertainty, kept in ``areas`` but left out of every area figure.
    countries : tuple of str
        The case's country codes (for per-pair gross and net areas).

    Examples
    --------
    >>> import borderkit
    >>> m = borderkit.measure(borderkit.load_case("tavush-2024"))
    >>> m.rendering, sorted(m.renderings)[:2]
    ('osm_2026c', ['gb_2020', 'gb_2021'])
    >>> f"{m.length_m() / 1000:.1f} km"
    '29.3 km'
    """

    case_id: str
    line_basis: LineBasis
    segment_arrays: SegmentArrays = field(repr=False)
    total_length_m: float | None
    areas: gpd.GeoDataFrame | None = field(repr=False)
    areas_reason: str
    settlements: gpd.GeoDataFrame = field(repr=False)
    planar_crs: str = ""
    renderings: Mapping[str, Measurements] = field(default_factory=dict, repr=False)
    notes: tuple[str, ...] = ()
    sliver_width_m: float | None = None
    countries: tuple[str, ...] = ()
    rendering: str = ""
    #: Median geodesic distance between the vertices of the measured rendering: the step
    #: it was digitised at (a line's length grows as the step shrinks).
    spacing_m: float | None = None

    @property
    def segments(self) -> gpd.GeoDataFrame:
        """Each segment of the measured line, one row each (see the class); built once, on first access."""
        return self.segment_arrays.frame

    @property
    def total_planar_length_m(self) -> float | None:
        """Length of the measured line in the UTM plane of ``planar_crs``, or None without a line."""
        arr = self.segment_arrays
        return float(arr.planar_length_m.sum()) if len(arr) else None

    def __repr__(self) -> str:
        tl = "n/a" if self.total_length_m is None else f"{self.total_length_m / 1000:.3f} km"
        na = "n/a" if self.areas is None else f"{len(self.areas)} handed-over polygons"
        return f"<Measurements {self.case_id!r}: line {tl} ({self.line_basis}), {na}>"

    def length_m(self, scope: tuple[str, ...] = ()) -> float | None:
        """Geodesic length of the line for a scope: ``()`` the total, else pair ids."""
        if self.total_length_m is None:
            return None
        if not scope:
            return self.total_length_m
        return self.segment_arrays.length_of(scope)

    def faces(
        self, to_country: str, scope: tuple[str, ...] = (), holding: tuple[str, ...] = ()
    ) -> gpd.GeoDataFrame | None:
        """The faces (slivers apart) to ``to_country``, within ``scope``, holding one of ``holding``."""
        if self.areas is None:
            return None
        sel = self.areas[self.areas["to_country"] == to_country]
        if "sliver" in sel.columns:
            sel = sel[~sel["sliver"].astype(bool)]
        if scope:
            sel = sel[np.array([set(p.split(",")) <= set(scope) for p in sel["pairs"]], dtype=bool)]
        if holding:
            names = set(holding)
            sel = sel[np.array([bool(names & set(str(h).split("; "))) for h in sel["settlements"]], dtype=bool)]
        return sel

    def area_m2(self, to_country: str, scope: tuple[str, ...] = (), holding: tuple[str, ...] = ()) -> float | None:
        """Area handed over to ``to_country``: of the faces :meth:`faces` selects."""
        sel = self.faces(to_country, scope, holding)
        return None if sel is None else float(sel["area_m2"].sum())

    def _codes(self) -> list[str]:
        if self.countries:
            return list(self.countries)
        return sorted(set(self.areas["to_country"]) | set(self.areas["from_country"])) if self.areas is not None else []

    def area_totals(self, scope: tuple[str, ...] = ()) -> dict[str, float] | None:
        """Gross area to each country and the net, slivers apart, for a scope (``()``: all).

        Keys ``area_to_<C>_m2`` for each country, ``net_area_to_<B>_m2`` (to the second
        country minus to the first), ``sliver_area_m2`` and ``slivers`` (count).
        """
        if self.areas is None:
            return None
        codes = self._codes()
        out: dict[str, float] = {f"area_to_{c}_m2": float(self.area_m2(c, scope) or 0.0) for c in codes}
        if len(codes) == 2:
            out[f"net_area_to_{codes[1]}_m2"] = out[f"area_to_{codes[1]}_m2"] - out[f"area_to_{codes[0]}_m2"]
        sl = self.areas[self.areas["sliver"].astype(bool)] if "sliver" in self.areas.columns else self.areas.iloc[0:0]
        if scope:
            sl = sl[np.array([set(p.split(",")) <= set(scope) for p in sl["pairs"]], dtype=bool)]
        out["sliver_area_m2"] = float(sl["area_m2"].sum())
        out["slivers"] = float(len(sl))
        return out

    def per_pair(self) -> pd.DataFrame:
        """Length and areas per settlement pair, one row each.

        A face holding settlements of several pairs gets a row of its own for that group
        (``"baghanis+voskepar"``, no length), so that the rows add up to the totals.
        """
        rows = []
        pairs = sorted(
            set(self.segment_arrays.pair)
            | ({p for ps in self.areas["pairs"] for p in ps.split(",") if p} if self.areas is not None else set())
        )
        for p in pairs:
            row: dict[str, Any] = {"pair": p, "length_m": self.length_m((p,))}
            totals = self.area_totals((p,))
            if totals is not None:
                row.update({k: v for k, v in totals.items() if k != "slivers"})
            rows.append(row)
        # A face holding settlements of several pairs belongs to none alone: one row per
        # such group, so that the rows add up to the totals.
        if self.areas is not None:
            sliver = self.areas["sliver"].astype(bool) if "sliver" in self.areas else pd.Series(False, self.areas.index)
            codes = self._codes()
            for group in sorted({g for g in self.areas["pairs"] if "," in g}):
                in_group = self.areas["pairs"] == group
                sel = self.areas[in_group & ~sliver]
                row = {"pair": group.replace(",", "+"), "length_m": None}
                for c in codes:
                    row[f"area_to_{c}_m2"] = float(sel.loc[sel["to_country"] == c, "area_m2"].sum())
                if len(codes) == 2:
                    row[f"net_area_to_{codes[1]}_m2"] = row[f"area_to_{codes[1]}_m2"] - row[f"area_to_{codes[0]}_m2"]
                row["sliver_area_m2"] = float(self.areas.loc[in_group & sliver, "area_m2"].sum())
                rows.append(row)
        return pd.DataFrame(rows)

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready summary: totals, per pair, areas, settlements."""
        out: dict[str, Any] = {
            "line_basis": str(self.line_basis),
            "rendering": self.rendering,
            "spacing_m": _r(self.spacing_m),
            "total_length_m": _r(self.total_length_m),
            "total_planar_length_m": _r(self.total_planar_length_m),
            "planar_crs": self.planar_crs,
            "segments": len(self.segment_arrays),
            "per_pair": [
                {k: (_r(v) if isinstance(v, float) else v) for k, v in r.items()}
                for r in self.per_pair().to_dict("records")
            ],
            "areas": None
            if self.areas is None
            else [
                {
                    "from_country": r.from_country,
                    "to_country": r.to_country,
                    "area_m2": _r(r.area_m2),
                    "pairs": r.pairs,
                    "settlements": r.settlements,
                    "width_m": _r(getattr(r, "width_m", None)),
                    "sliver": bool(getattr(r, "sliver", False)),
                    "kind": getattr(r, "kind", ""),
                }
                for r in self.areas.itertuples()
            ],
            "area_totals": None if self.areas is None else {k: _r(v) for k, v in (self.area_totals() or {}).items()},
            "sliver_width_m": _r(self.sliver_width_m),
            "areas_reason": self.areas_reason,
            "settlements": [
                {
                    "name": r.name,
                    "country": r.country,
                    "pair": r.pair,
                    "has_coordinate": bool(r.has_coordinate),
                    "side_new": r.side_new if isinstance(r.side_new, str) else None,
                    "side_old": r.side_old if isinstance(r.side_old, str) else None,
                    "distance_to_new_m": _r(r.distance_to_new_m),
                }
                for r in self.settlements.itertuples()
            ],
            "notes": list(self.notes),
        }
        if self.renderings:
            out["renderings"] = {
                name: {
                    "total_length_m": _r(r.total_length_m),
                    "areas": None if r.areas is None else {c: _r(r.area_m2(c)) for c in self._codes()},
                }
                for name, r in self.renderings.items()
            }
        return out


def _r(v: float | None, nd: int = 1) -> float | None:
    if v is None or (isinstance(v, float) and np.isnan(v)):
        return None
    return round(float(v), nd)


_SEGMENT_COLUMNS = ["group", "pair", "length_m", "planar_length_m", "lon0", "lat0", "lon1", "lat1", "geometry"]


class SegmentArrays:
    """The segments of a measured line as arrays; their GeoDataFrame is built on first use.

    The geodesic (or rhumb) length of every segment is computed at once: it is the
    measurement. The UTM lengths, the pair of each segment and the GeoDataFrame with
    one LineString per segment (densified along ``densify_as`` for turning points) are
    computed when first asked for: 10^6 two-point geometries cost more than measuring
    the line.

    Each segment belongs to the pair its group names, else to the pair of the settlement
    (``known_xy`` lon/lat, ``known_pair``) nearest its midpoint in the UTM plane.
    """

    def __init__(
        self,
        lines: list[tuple[str, LineString]],
        line_type: str,
        known_xy: NDArray[np.float64],
        known_pair: NDArray[np.object_],
        pair_ids: set[str],
        *,
        densify_as: str | None = None,
    ) -> None:
        vertices, groups, first, counts = [], [], [], []
        offset = 0
        for group, line in lines:
            xy = shapely.get_coordinates(line)
            if len(xy) < 2:
                continue
            vertices.append(xy)
            groups.append(group)
            first.append(offset)
            counts.append(len(xy) - 1)
            offset += len(xy)
        self._known_xy, self._known_pair, self._densify_as = known_xy, known_pair, densify_as
        self._groups = [(g if g in pair_ids else "", g, n) for g, n in zip(groups, counts, strict=True)]
        # Index of each segment's first vertex; its second is the next one. One line: all
        # but the last vertex, and the arrays below are views of its coordinates.
        self._one_line = len(vertices) == 1
        if not vertices:
            self._vertices, self._start = np.zeros((0, 2)), np.zeros(0, dtype=np.intp)
        else:
            self._vertices = vertices[0] if self._one_line else np.concatenate(vertices)
            self._start = np.concatenate(
                [np.arange(f, f + n, dtype=np.intp) for f, n in zip(first, counts, strict=True)]
            )
        a = self.a
        if len(a) == 0:
            self.length_m = np.zeros(0)
        elif line_type == "rhumb":
            from borderkit.linetype import rhumb_length_m

            self.length_m = np.array(
                [rhumb_length_m(x0, y0, x1, y1) for (x0, y0), (x1, y1) in zip(a, self.b, strict=True)], dtype=float
            )
        else:
            # Geod.line_lengths: the same geod_inverse per segment as Geod.inv, without azimuths.
            v = self._vertices
            each = np.asarray(GEOD.line_lengths(v[:, 0], v[:, 1]), dtype=float)
            self.length_m = each if self._one_line else each[self._start]
        self._plane = local_plane(float(np.mean(a[:, 0])), float(np.mean(a[:, 1]))) if len(a) else None
        #: The UTM zone of the planar lengths, ``""`` without segments.
        self.crs = "" if self._plane is None else self._plane.crs.to_string()

    def __len__(self) -> int:
        return len(self._start)

    def is_of(self, line: shapely.Geometry, line_type: str) -> bool:
        """Whether these are the geodesic segments of ``line`` as a whole, vertex for vertex."""
        return (
            line_type == "geodesic" and self._one_line and np.array_equal(self._vertices, shapely.get_coordinates(line))
        )

    @property
    def a(self) -> NDArray[np.float64]:
        """(n, 2) lon/lat of each segment's first end."""
        return self._vertices[:-1] if self._one_line else self._vertices[self._start]

    @property
    def b(self) -> NDArray[np.float64]:
        """(n, 2) lon/lat of each segment's second end."""
        return self._vertices[1:] if self._one_line else self._vertices[self._start + 1]

    @cached_property
    def _ends_xy(self) -> tuple[NDArray[np.float64], ...]:
        assert self._plane is not None
        x, y = (np.asarray(v) for v in self._plane.fwd.transform(self._vertices[:, 0], self._vertices[:, 1]))
        i = self._start
        return x[i], y[i], x[i + 1], y[i + 1]

    @cached_property
    def planar_length_m(self) -> NDArray[np.float64]:
        """Length of each segment in the UTM plane of :attr:`crs`."""
        if not len(self):
            return np.zeros(0)
        ax, ay, bx, by = self._ends_xy
        return np.hypot(bx - ax, by - ay)

    @cached_property
    def group(self) -> NDArray[np.object_]:
        """The group (``pair`` of a turning point, else ``""``) of each segment."""
        return np.concatenate([np.full(n, g, dtype=object) for _, g, n in self._groups] or [np.zeros(0, dtype=object)])

    @cached_property
    def pair(self) -> NDArray[np.object_]:
        """The settlement pair of each segment."""
        pair = np.concatenate([np.full(n, p, dtype=object) for p, _, n in self._groups] or [np.zeros(0, dtype=object)])
        fill = np.flatnonzero(pair == "")
        if len(self._known_xy) and len(fill):
            # Nearest pair settlement to each segment's midpoint, in the UTM plane.
            assert self._plane is not None
            ax, ay, bx, by = self._ends_xy
            mx, my = (ax[fill] + bx[fill]) / 2, (ay[fill] + by[fill]) / 2
            sx, sy = self._plane.fwd.transform(self._known_xy[:, 0], self._known_xy[:, 1])
            pair[fill] = _nearest_pair(mx, my, sx, sy, self._known_pair)
        return pair

    def length_of(self, scope: tuple[str, ...]) -> float:
        """Geodesic length of the segments of the pairs in ``scope`` (``()``: all)."""
        if not scope:
            return float(self.length_m.sum())
        return float(self.length_m[pd.Series(self.pair).isin(scope).to_numpy()].sum())

    @cached_property
    def frame(self) -> gpd.GeoDataFrame:
        """One row per segment: the columns of :attr:`Measurements.segments`."""
        if not len(self):
            empty = pd.DataFrame(
                {c: pd.Series(dtype=object if c in ("group", "pair", "geometry") else float) for c in _SEGMENT_COLUMNS}
            )
            return gpd.GeoDataFrame(empty, geometry="geometry", crs="EPSG:4326")
        a, b = self.a, self.b
        frame = gpd.GeoDataFrame(
            {
                "group": self.group,
                "pair": self.pair,
                "length_m": self.length_m,
                "planar_length_m": self.planar_length_m,
                # The segment's own ends: the geometry may be densified for drawing.
                "lon0": a[:, 0],
                "lat0": a[:, 1],
                "lon1": b[:, 0],
                "lat1": b[:, 1],
                "geometry": _two_point_lines(a, b),
            },
            geometry="geometry",
            crs="EPSG:4326",
        )
        if self._densify_as is not None:
            # Draw and export the line that was measured: geodesic or rhumb, densified.
            from borderkit.linetype import LineType, densify

            line_type = cast(LineType, self._densify_as)
            frame["geometry"] = [
                LineString(
                    np.column_stack(densify(*shapely.get_coordinates(g).T, line_type=line_type, max_segment_m=100.0))
                )
                for g in frame.geometry
            ]
        return frame


def _nearest_pair(
    mx: NDArray[np.float64], my: NDArray[np.float64], sx: object, sy: object, known_pair: NDArray[np.object_]
) -> NDArray[np.object_]:
    """The pair of the settlement (plane ``sx, sy``) nearest each midpoint ``mx, my``; the first on ties."""
    best = np.full(len(mx), np.inf)
    nearest = np.zeros(len(mx), dtype=int)
    for k, (x, y) in enumerate(zip(sx, sy, strict=True)):  # type: ignore[call-overload]
        d = np.hypot(mx - x, my - y)
        closer = d < best
        best[closer], nearest[closer] = d[closer], k
    return np.asarray(known_pair[nearest], dtype=object)


def _two_point_lines(a: NDArray[np.float64], b: NDArray[np.float64]) -> NDArray[np.object_]:
    """One LineString from ``a[i]`` to ``b[i]`` each (from offsets: 30 % faster than ``shapely.linestrings``)."""
    ends = np.empty((2 * len(a), 2))
    ends[0::2], ends[1::2] = a, b
    return np.asarray(
        shapely.from_ragged_array(shapely.GeometryType.LINESTRING, ends, (np.arange(0, len(ends) + 1, 2),)),
        dtype=object,
    )


def _known_arrays(known: gpd.GeoDataFrame) -> tuple[NDArray[np.float64], NDArray[np.object_]]:
    xy = shapely.get_coordinates(known.geometry.to_numpy()) if len(known) else np.zeros((0, 2))
    return xy, known["pair"].to_numpy(dtype=object)


class _Spanner:
    """A line in its local UTM plane, to cut it between the outermost settlements (:meth:`span`).

    Nearest points are found in metres, in the local UTM plane: in degrees a metre of
    longitude is shorter than one of latitude, and the nearest point moves. Made once per
    line, so that moving the settlements (:func:`settlement_effects_m`) does not project
    the line again.
    """

    def __init__(self, line: LineString) -> None:
        c = shapely.centroid(shapely.envelope(line))
        self.plane = local_plane(c.x, c.y)
        self.lonlat = shapely.get_coordinates(line)
        xy = self.plane.xy(self.lonlat)
        self.along = np.concatenate([[0.0], np.cumsum(np.hypot(*np.diff(xy, axis=0).T))])
        self._indexed = PlanarLine(xy)
        self._in_plane: dict[object, tuple[NDArray[np.float64], ...]] = {}  # the line's vertices, by UTM zone

    def locate(self, known_xy: NDArray[np.float64]) -> NDArray[np.float64]:
        """Distance along the line (plane metres) of the point nearest each of ``known_xy`` (lon/lat)."""
        return self._indexed.locate(self.plane.xy(known_xy))[0]

    def span(self, known_xy: NDArray[np.float64]) -> tuple[LineString, int, int]:
        """The stretch between the points nearest the outermost of ``known_xy`` (lon/lat), and their indices."""
        return self.cut(self.locate(known_xy))

    def cut(self, at: NDArray[np.float64]) -> tuple[LineString, int, int]:
        """The stretch between the lowest and highest of ``at`` (:meth:`locate`), and their indices."""
        v, _, _ = self._cut(at)
        return LineString(v), int(at.argmin()), int(at.argmax())

    def _cut(self, at: NDArray[np.float64]) -> tuple[NDArray[np.float64], int, int]:
        """The stretch's lon/lat vertices ``v``, and ``i0, i1`` such that ``v[1:-1]`` is ``lonlat[i0:i1]``."""
        lo, hi = float(at.min()), float(at.max())
        along, lonlat = self.along, self.lonlat
        # The vertices between the ends are kept as they are; only the two cut points are new.
        # `along` never decreases: those strictly between lo and hi are one run.
        i0, i1 = int(np.searchsorted(along, lo, side="right")), int(np.searchsorted(along, hi, side="left"))
        i1 = max(i0, i1)
        ends = self.plane.lonlat(self._indexed.interpolate([lo, hi]))
        for k, d in ((0, lo), (1, hi)):
            # A vertex within 1 µm of the cut is used as it is (np.isclose on the few near d).
            a, b = np.searchsorted(along, [d - 1e-5, d + 1e-5])
            same = a + np.flatnonzero(np.isclose(along[a:b], d, rtol=0.0, atol=1e-6))
            if len(same):
                ends[k] = lonlat[same[0]]
        return np.vstack([ends[:1], lonlat[i0:i1], ends[1:]]), i0, i1

    @cached_property
    def _segment_m(self) -> NDArray[np.float64]:
        """Geodesic length of each of the line's segments (``Geod.line_lengths``, as :class:`SegmentArrays`)."""
        return np.asarray(GEOD.line_lengths(self.lonlat[:, 0], self.lonlat[:, 1]), dtype=float)

    def stretch_segments(
        self, at: NDArray[np.float64], known_xy: NDArray[np.float64], known_pair: NDArray[np.object_]
    ) -> tuple[NDArray[np.float64], NDArray[np.object_]]:
        """Each segment's geodesic length and pair on the stretch :meth:`cut` gives for ``at``.

        The numbers of ``SegmentArrays([("", stretch)], "geodesic", known_xy, known_pair, ...)``,
        without measuring or projecting the line again: only the two cut segments are new.
        """
        v, i0, i1 = self._cut(at)
        if i1 > i0:
            first = GEOD.line_lengths(v[:2, 0], v[:2, 1])
            last = GEOD.line_lengths(v[-2:, 0], v[-2:, 1])
            length = np.concatenate([first, self._segment_m[i0 : i1 - 1], last]).astype(float)
        else:
            length = np.asarray(GEOD.line_lengths(v[:, 0], v[:, 1]), dtype=float)
        if not len(known_xy):
            return length, np.full(len(length), "", dtype=object)
        a = v[:-1]
        plane = local_plane(float(np.mean(a[:, 0])), float(np.mean(a[:, 1])))
        if plane.crs not in self._in_plane:
            self._in_plane[plane.crs] = tuple(np.asarray(c) for c in plane.fwd.transform(*self.lonlat.T))
        fx, fy = self._in_plane[plane.crs]
        ex, ey = (np.asarray(c) for c in plane.fwd.transform(v[[0, -1], 0], v[[0, -1], 1]))
        x = np.concatenate([ex[:1], fx[i0:i1], ex[1:]])
        y = np.concatenate([ey[:1], fy[i0:i1], ey[1:]])
        sx, sy = plane.fwd.transform(known_xy[:, 0], known_xy[:, 1])
        return length, _nearest_pair((x[:-1] + x[1:]) / 2, (y[:-1] + y[1:]) / 2, sx, sy, known_pair)


def _span(line: LineString, known_xy: NDArray[np.float64]) -> tuple[LineString, int, int]:
    """The stretch of ``line`` between the points nearest to the outermost settlements (see :class:`_Spanner`)."""
    return _Spanner(line).span(known_xy)


def _turning_point_lines(layer: Layer, pair_ids: set[str]) -> list[tuple[str, LineString]]:
    """Turning points joined in ``order`` (or ``seq``/``sequence``/``point``, else file order).

    Points with a ``line`` field form separate lines; otherwise all points make one line,
    whatever their sections. Each segment takes the ``pair`` (a pair id) of its first
    point, where the layer has such a field; segments are returned one per entry.
    """
    frame = layer.frame
    where = f"layers.{layer.name}: {layer.path}"
    order = next((c for c in ("order", "seq", "sequence", "point") if c in frame.columns), None)
    if order:
        # Text from a spreadsheet would sort 1, 10, 11, 2: order by number, or say why not.
        numbers = pd.to_numeric(frame[order], errors="coerce")
        bad = np.flatnonzero(numbers.isna().to_numpy())
        if len(bad):
            msg = (
                f"{where}: row {bad[0] + 1}: {order} = {frame[order].iloc[bad[0]]!r} is not a number. "
                f"Number the turning points 1, 2, 3, ... in the {order!r} field."
            )
            raise InputError(msg)
        frame = frame.assign(**{order: numbers})
    if "pair" in frame.columns:
        unknown = sorted(set(frame["pair"].dropna().astype(str)) - pair_ids - {""})
        if unknown:
            msg = (
                f"{where}: pair {unknown[0]!r} is not a pair id of the case. "
                f"Use one of {sorted(pair_ids)}, or leave the field empty for the nearest pair."
            )
            raise InputError(msg)
    groups = frame.groupby("line", sort=False) if "line" in frame.columns else [("", frame)]
    out: list[tuple[str, LineString]] = []
    for _, g in groups:
        if order:
            repeated = g[order][g[order].duplicated()]
            if len(repeated):
                msg = (
                    f"{where}: {order} = {repeated.iloc[0]:g} appears twice"
                    f"{' in line ' + repr(str(g['line'].iloc[0])) if 'line' in g.columns else ''}. "
                    "Give each turning point its own number."
                )
                raise InputError(msg)
            g = g.sort_values(order, kind="stable")
        xy = shapely.get_coordinates(g.geometry.to_numpy())
        pairs = g["pair"].fillna("").astype(str).to_numpy() if "pair" in g.columns else np.full(len(g), "")
        out += [(str(pairs[i]), LineString(xy[i : i + 2])) for i in range(len(xy) - 1)]
    return out


def line_layers(case: Case) -> list[Layer]:
    """The renderings of the new line: the ``new_line`` layer first, then every ``new_line_alt``."""
    return case.layers_with_role("new_line") + case.layers_with_role("new_line_alt")


def _rendering(case: Case, rendering: str | None) -> Layer | None:
    if rendering is None:
        return case.layer("new_line")
    found = [lay for lay in line_layers(case) if lay.name == rendering]
    if not found:
        names = [lay.name for lay in line_layers(case)]
        msg = f"rendering={rendering!r}: no such line layer in case {case.id!r}. Use one of {names}"
        raise InputError(msg)
    return found[0]


def line_of(case: Case, lay: Layer) -> tuple[shapely.Geometry, str | None]:
    """The layer's line; of disconnected parts, the one through the case's extent.

    A rendering clipped to a box can leave short stubs where the line leaves and re-enters
    it; the part that runs through the extent is the line measured, and the returned
    note says so. Two or more parts running through the extent (a gap in the line) are
    an error: :class:`GeometryError` naming the layer and its file.
    """
    line = lay.union()
    if line.geom_type == "MultiLineString":
        line = shapely.line_merge(line, directed=True)  # one feature's parts that join end to end
    if line.geom_type != "MultiLineString":
        return line, None
    parts = shapely.get_parts(line)
    ext = case.layer("extent")
    inside = shapely.length(shapely.intersection(parts, ext.union())) if ext is not None else shapely.length(parts)
    if np.count_nonzero(inside > 0) > 1:
        # A gap inside the extent is not a stub outside it: measuring one part would be wrong.
        where = f"the extent ({ext.path})" if ext is not None else "the case (it has no extent)"
        msg = (
            f"layers.{lay.name} ({lay.path}): {np.count_nonzero(inside > 0)} disconnected parts run through "
            f"{where}; a line is measured as one continuous line. Join the parts (their ends must meet)"
        )
        raise GeometryError(msg)
    main = parts[int(np.argmax(inside))]
    others_m = sum(GEOD.geometry_length(p) for p in parts) - GEOD.geometry_length(main)
    note = (
        f"{lay.name}: {len(parts)} disconnected parts; the one through the extent was measured "
        f"({len(parts) - 1} other part(s), {others_m:,.0f} m in all, lie outside it)"
    )
    return main, note


def _measured_line(
    case: Case, lay: Layer | None, settlements: gpd.GeoDataFrame | None = None
) -> tuple[LineBasis, list[tuple[str, LineString]], list[str]]:
    notes: list[str] = []
    tp = case.layer("turning_points")
    if tp is not None and (lay is None or lay.role == "new_line"):
        return LineBasis.TURNING_POINTS, _turning_point_lines(tp, {p.id for p in case.pairs}), notes
    if lay is None:
        return LineBasis.NONE, [], notes
    line, note = line_of(case, lay)
    notes += [note] if note else []
    if settlements is None:
        settlements = case.settlements()
    known = settlements[settlements.geometry.notna() & (settlements["pair"] != "")]
    if line.geom_type == "LineString" and len(known) >= 2:
        span, i_min, i_max = _span(line, _known_arrays(known)[0])
        ends = known.iloc[[i_min, i_max]]
        notes.append(
            f"{lay.name}: the stretch between the points nearest to the outermost pair settlements "
            f"({' and '.join(ends['name'])}); a proxy for the delimited stretch while its turning "
            "points are unpublished: its ends are as uncertain as those settlements' coordinates"
        )
        return LineBasis.OUTERMOST_PAIRS, [("", span)], notes
    ext = case.layer("extent")
    if ext is None:
        notes.append(f"{lay.name}: no extent and no settlements in this case; the whole line was measured")
        return LineBasis.WHOLE_LINE, [("", line)], notes
    clipped = shapely.intersection(line, ext.union())
    notes.append(
        f"{lay.name}: clipped to the case extent (a proxy for the delimited stretch; "
        "its length depends on where the extent cuts the line)"
    )
    parts = [("", g) for g in shapely.get_parts(clipped) if g.geom_type == "LineString"]
    return LineBasis.IN_EXTENT, parts, notes


def settlement_effects_m(
    case: Case, scopes: Sequence[tuple[str, ...]], *, rendering: str | None = None, directions: int = 8
) -> dict[tuple[str, ...], float]:
    """First-order effect on measured lengths of where the pair settlements are.

    Settlements fix where the measured stretch begins and ends (without turning points)
    and which pair each piece of line belongs to. Each settlement with a coordinate is
    moved by its ``accuracy_m`` in ``directions`` compass directions, one at a time, and
    the line is measured again; its effect on a scope is the largest change in that
    scope's length. Settlements are independent, so their effects add in quadrature.

    Parameters
    ----------
    case : Case
    scopes : sequence of tuple of str
        ``()`` for the total, else pair ids.

    Returns
    -------
    dict
        Metres per scope.
    """
    settlements = case.settlements()
    known = settlements[settlements.geometry.notna() & (settlements["pair"] != "")]
    xy, pairs = _known_arrays(known)
    acc = known["accuracy_m"].to_numpy(dtype=float)
    pair_ids = {p.id for p in case.pairs}
    layer = _rendering(case, rendering)
    basis, lines, _ = _measured_line(case, layer, settlements)
    tp = case.layer("turning_points")
    line_type = tp.line_type if tp is not None and basis is LineBasis.TURNING_POINTS else "geodesic"
    spanner = _Spanner(line_of(case, layer)[0]) if layer is not None and basis is LineBasis.OUTERMOST_PAIRS else None

    def lengths(points: NDArray[np.float64], at: NDArray[np.float64] | None) -> dict[tuple[str, ...], float]:
        if spanner is not None and at is not None:
            # Only the two cut segments change: the rest of the line is not measured again.
            length_m, pair = spanner.stretch_segments(at, points, pairs)
        else:
            arr = SegmentArrays(lines, line_type, points, pairs, pair_ids)
            length_m, pair = arr.length_m, (arr.pair if len(arr) else np.zeros(0, dtype=object))
        if not len(length_m):
            return dict.fromkeys(scopes, 0.0)
        return {sc: float(length_m[np.isin(pair, sc)].sum() if sc else length_m.sum()) for sc in scopes}

    azimuths = np.arange(directions) * 360.0 / directions
    moves = [
        GEOD.fwd(np.full(directions, xy[i, 0]), np.full(directions, xy[i, 1]), azimuths, np.full(directions, acc[i]))
        if acc[i] > 0
        else None
        for i in range(len(xy))
    ]
    # Where every settlement, and every moved one, meets the line: located once, all at once.
    at0, at_moved = None, None
    if spanner is not None:
        moved_xy = [np.column_stack(mv[:2]) for mv in moves if mv is not None]
        got = spanner.locate(np.vstack([xy, *moved_xy]))
        at0, at_moved = got[: len(xy)], got[len(xy) :].reshape(-1, directions)
    base = lengths(xy, at0)
    squares = dict.fromkeys(scopes, 0.0)
    row = 0
    for i, mv in enumerate(moves):
        if mv is None:
            continue
        worst = dict.fromkeys(scopes, 0.0)
        for k, (x, y) in enumerate(zip(mv[0], mv[1], strict=True)):
            moved = xy.copy()
            moved[i] = (x, y)
            at = None
            if at0 is not None and at_moved is not None:
                at = at0.copy()
                at[i] = at_moved[row, k]
            for sc, v in lengths(moved, at).items():
                worst[sc] = max(worst[sc], abs(v - base[sc]))
        row += 1
        for sc in scopes:
            squares[sc] += worst[sc] ** 2
    return {sc: float(np.sqrt(v)) for sc, v in squares.items()}


def _check_measure_args(case: object, rendering: object, sliver_width_m: object) -> None:
    if not isinstance(case, Case):
        msg = f"case={case!r}: give a Case, e.g. borderkit.load_case('tavush-2024')"
        raise ParameterError(msg)
    check_text("rendering", rendering, optional=True)
    if sliver_width_m is not None:
        check_number("sliver_width_m", sliver_width_m, 0, 1e7, what=" (metres), or None")


def measure(case: Case, *, rendering: str | None = None, sliver_width_m: float | None = None) -> Measurements:
    """Measure lengths, handed-over areas and settlement positions of a case.

    Parameters
    ----------
    case : Case
    rendering : str, optional
        The name of the line layer to measure as the new line (default: the ``new_line``
        layer). Every other rendering is measured too, into ``renderings``.
    sliver_width_m : float, optional
        Handed-over faces narrower than this are slivers, left out of the areas (see
        :func:`borderkit.areas.handover_polygons`). Default: the two lines' combined
        accuracy √(σ_new² + σ_old²) from case.toml.

    Examples
    --------
    >>> from borderkit import load_case
    >>> m = measure(load_case("tavush-2024"))
    >>> str(m.line_basis)
    'between outermost pairs'
    >>> m.total_length_m > 10_000
    True
    """
    _check_measure_args(case, rendering, sliver_width_m)
    main = _rendering(case, rendering)
    settlements = case.settlements()
    out = _measure_one(case, main, settlements, sliver_width_m)
    others = {
        lay.name: _measure_one(case, lay, settlements, sliver_width_m)
        for lay in line_layers(case)
        if main is None or lay.name != main.name
    }
    return replace(out, renderings=others)


def _measure_one(
    case: Case, lay: Layer | None, settlements: gpd.GeoDataFrame, sliver_width_m: float | None
) -> Measurements:
    basis, lines, notes = _measured_line(case, lay, settlements)
    known = settlements[settlements.geometry.notna() & (settlements["pair"] != "")]
    tp = case.layer("turning_points")
    line_type = tp.line_type if basis is LineBasis.TURNING_POINTS and tp is not None else "geodesic"
    densify_as = line_type if basis is LineBasis.TURNING_POINTS else None
    segments = SegmentArrays(lines, line_type, *_known_arrays(known), {p.id for p in case.pairs}, densify_as=densify_as)
    if densify_as is not None and len(segments):
        notes.append(f"turning points joined by {line_type} lines (densified every 100 m for drawing and export)")
    total = float(segments.length_m.sum()) if len(segments) else None
    spacing = None
    if lay is not None:
        # The rendering measured as a whole: its vertex spacing is the median of the segments
        # just measured (GEOD.inv of the same vertices), not another pass over the line.
        rendered = line_of(case, lay)[0]
        spacing = float(np.median(segments.length_m)) if segments.is_of(rendered, line_type) else _spacing_m(rendered)

    areas, reason = _areas(case, lay, settlements, sliver_width_m)
    if areas is not None:
        areas["kind"] = _face_kinds(case, areas) if len(areas) else pd.Series(dtype=object)
    width = None if areas is None else float(areas.attrs.get("sliver_width_m", 0.0))
    if areas is not None and areas["sliver"].any():
        sl = areas[areas["sliver"]]
        notes.append(
            f"{len(sl)} handed-over face(s), {sl['area_m2'].sum():.0f} m² in all, are narrower than "
            f"{width:.1f} m (largest inscribed circle; the lines' combined accuracy unless set): within the "
            "data's uncertainty, kept in `areas` with sliver=True and left out of every area figure"
        )
    return Measurements(
        case.id,
        basis,
        segments,
        total,
        areas,
        reason,
        _settlement_sides(case, lay, settlements),
        segments.crs,
        notes=tuple(notes),
        sliver_width_m=width,
        countries=tuple(c.code for c in case.countries),
        rendering="" if lay is None else lay.name,
        spacing_m=spacing,
    )


def _spacing_m(line: shapely.Geometry) -> float | None:
    xy = shapely.get_coordinates(line)
    if len(xy) < 2:
        return None
    _, _, d = GEOD.inv(xy[:-1, 0], xy[:-1, 1], xy[1:, 0], xy[1:, 1])
    return float(np.median(d))


#: What a face between the lines is: it holds a village an area claim names, it is within
#: the data's uncertainty, or neither (a difference between two mappings of the line).
FACE_KINDS = ("named villages", "sliver", "mapping difference", "handover")


def _face_kinds(case: Case, areas: gpd.GeoDataFrame) -> list[str]:
    named = {h for c in case.claims for h in c.holding}
    out = []
    for held, sliver in zip(areas["settlements"], areas["sliver"], strict=True):
        if named and named & set(str(held).split("; ")):
            out.append("named villages")
        elif bool(sliver):
            out.append("sliver")
        else:
            out.append("mapping difference" if named else "handover")
    return out


def _areas(
    case: Case, new: Layer | None, settlements: gpd.GeoDataFrame, sliver_width_m: float | None = None
) -> tuple[gpd.GeoDataFrame | None, str]:
    old, ext = case.layer("old_line"), case.layer("extent")
    missing = [n for n, lay in (("new_line", new), ("old_line", old), ("extent", ext)) if lay is None]
    if missing:
        return None, f"not computable: no {' and no '.join(missing)} layer in this case"
    assert new is not None
    assert old is not None
    assert ext is not None
    assert new.left is not None
    assert old.left is not None
    codes = (case.countries[0].code, case.countries[1].code)
    try:
        frame = handover_polygons(
            line_of(case, new)[0],
            line_of(case, old)[0],
            ext.union(),
            new_left=new.left,
            old_left=old.left,
            countries=codes,
            settlements=settlements,
            new_accuracy_m=new.accuracy_m,
            old_accuracy_m=old.accuracy_m,
            sliver_width_m=sliver_width_m,
        )
    except GeometryError as err:
        msg = f"layers.{new.name} ({new.path}), layers.{old.name} ({old.path}): {err}"
        raise GeometryError(msg) from err
    return frame, (
        f"faces between {new.name} and {old.name} inside the extent ({ext.path}); faces cut by the extent's edge "
        "count only inside it, so the areas depend on that analytical choice"
    )


def _settlement_sides(case: Case, new: Layer | None, settlements: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    out = settlements.copy()
    has = out.geometry.notna().to_numpy()
    for col, lay in (("side_new", new), ("side_old", case.layer("old_line"))):
        vals: list[str | None] = [None] * len(out)
        # Only pair members: the lines say nothing reliable about other places (an enclave,
        # say, that a line without holes puts on the wrong side).
        assess = has & (out["pair"] != "").to_numpy()
        if lay is not None and lay.left and assess.any():
            sides = side_of(
                line_of(case, lay)[0], out.geometry[assess].to_numpy(), what=f"layer {lay.name} ({lay.path})"
            )
            other = case.other(lay.left)
            for i, s in zip(np.flatnonzero(assess), sides, strict=True):
                vals[i] = lay.left if s > 0 else (other if s < 0 else "on the line")
        out[col] = pd.Series(vals, index=out.index, dtype=object)
    dist: list[float] = [float("nan")] * len(out)
    if new is not None and has.any():
        c = shapely.union_all(out.geometry[has].to_numpy()).centroid
        plane = local_plane(c.x, c.y)
        d = shapely.distance(plane.to(out.geometry[has].to_numpy()), plane.to(line_of(case, new)[0]))
        for i, v in zip(np.flatnonzero(has), d, strict=True):
            dist[i] = float(v)
    out["distance_to_new_m"] = dist
    return out
