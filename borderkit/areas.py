"""Areas handed over between an old and a new line, and which side of a line things are on.

Method
------
1. Both lines and the extent are snapped to a fixed grid (``grid_deg``, 1e-9° ≈ 0.1 mm
   by default), clipped to the extent and noded together with the extent's boundary
   (:func:`shapely.union_all`: GEOS OverlayNG, whose noding heuristics cope with lines
   that cross at shallow angles, touch, run along each other — shared stretches, even
   with different vertex spacing — or differ only by floating-point noise; should it
   still fail, snap-rounding on the grid, ``grid_size``, about 40× slower on 10^6-vertex
   lines). :func:`shapely.polygonize` turns the noded lines into faces.
2. Each face gets its side of the new line and of the old line from a representative
   point inside it (:func:`side_of`): the country on the left or on the right. Lines
   drawn in opposite vertex order are handled by each line's ``left`` country.
3. A face whose country differs between the old and the new line changed hands; its
   direction is "to" the new line's country. Areas are geodesic (WGS 84) on rings
   oriented counter-clockwise.
4. **Slivers.** A face is a sliver when it is nowhere as wide as ``sliver_width_m``:
   the diameter of its largest inscribed circle (:func:`shapely.maximum_inscribed_circle`,
   in the local UTM plane) is below the threshold. By default the threshold is the
   combined positional accuracy of the two lines, √(σ_new² + σ_old²): a face thinner
   than that can appear or vanish when the lines move within their stated accuracy,
   so it is reported apart (``sliver`` is True) as "within the data's uncertainty"
   and not counted as a handover.
5. A face is attributed to the settlement pair whose settlement it holds (all such
   pairs if it holds several); otherwise to the nearest pair (distance from the face
   to the pair's settlements, in the local UTM plane).

The per-face steps (geodesic area, projection, largest inscribed circle, distances to
the settlements) run on the machine's cores, at most 8, once the faces hold
:data:`PARALLEL_VERTICES` vertices: GEOS and PROJ release the GIL, and each face's
result is the same whichever thread computes it.
"""

from __future__ import annotations

import math
import os
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor

import geopandas as gpd
import numpy as np
import shapely
from numpy.typing import NDArray
from pyproj import CRS, Transformer
from shapely import LineString, Point
from shapely.geometry.base import BaseGeometry

from borderkit.errors import CaseError, GeometryError
from borderkit.geodesy import geodesic_area_m2, local_projected_crs

__all__ = ["GRID_DEG", "PARALLEL_VERTICES", "handover_polygons", "nearest_pair", "side_of", "sliver_widths_m"]

#: Grid (degrees) the lines are snapped to before noding: 1e-9° is about 0.1 mm.
GRID_DEG = 1e-9

_COLUMNS = ["from_country", "to_country", "area_m2", "pairs", "settlements", "width_m", "sliver", "geometry"]


def _as_linestring(line: BaseGeometry, what: str) -> LineString:
    if line.geom_type == "LineString":
        return line
    merged = shapely.line_merge(line)
    if merged.geom_type == "LineString":
        return merged
    n = len(getattr(merged, "geoms", []))
    msg = (
        f"{what} has {n} disconnected parts; the side of a point is defined for one continuous "
        "line. Join the parts (their ends must meet) or give a single LineString."
    )
    raise GeometryError(msg)


def side_of(
    line: BaseGeometry, points: Sequence[Point] | NDArray[np.object_], *, what: str = "line"
) -> NDArray[np.int8]:
    """+1 for points left of ``line`` (walking it in vertex order), -1 right, 0 on it.

    The side is read at the point of the line nearest to each point; where that is a
    vertex, the turn of the line there decides (a point is left of a left turn only if
    it is left of both segments, left of a right turn if it is left of either).
    Vectorised: one call handles any number of points.

    Parameters
    ----------
    line : LineString
        One continuous line (a MultiLineString whose parts join end to end is merged).
    points : sequence of Point
    what : str
        Name of the line in error messages.

    Returns
    -------
    ndarray of int8

    Raises
    ------
    GeometryError
        The line has disconnected parts.

    Examples
    --------
    >>> from shapely import LineString, Point
    >>> side_of(LineString([(0, 0), (10, 0)]), [Point(5, 1), Point(5, -1), Point(5, 0)]).tolist()
    [1, -1, 0]

    At a vertex the turn decides: inside a left turn is left, outside it right.

    >>> side_of(LineString([(0, 0), (10, 0), (10, 10)]), [Point(9, 1), Point(11, -1)]).tolist()
    [1, -1]
    """
    ls = _as_linestring(line, what)
    xy = shapely.get_coordinates(ls)
    keep = np.concatenate([[True], np.any(np.diff(xy, axis=0) != 0, axis=1)])
    xy = xy[keep]  # repeated vertices would give zero-length segments with no direction
    pts = np.asarray(points, dtype=object)
    out = np.zeros(len(pts), dtype=np.int8)
    if len(pts) == 0:
        return out
    if len(xy) < 2:
        msg = f"{what} has fewer than two distinct vertices; a side is not defined"
        raise GeometryError(msg)
    d = np.diff(xy, axis=0)
    seg_len = np.hypot(d[:, 0], d[:, 1])
    cum = np.concatenate([[0.0], np.cumsum(seg_len)])
    nseg = len(seg_len)
    pxy = shapely.get_coordinates(pts)
    px, py = pxy[:, 0], pxy[:, 1]
    i = _nearest_segment(xy, d, pts, pxy)
    t = ((px - xy[i, 0]) * d[i, 0] + (py - xy[i, 1]) * d[i, 1]) / (seg_len[i] ** 2)
    s = cum[i] + np.clip(t, 0.0, 1.0) * seg_len[i]
    s = np.where(t >= 1.0, cum[i + 1], s)  # exactly the next vertex, as cumsum has it
    eps = 1e-12 * max(1.0, cum[-1])

    def cross(j: NDArray[np.intp]) -> NDArray[np.float64]:
        return d[j, 0] * (py - xy[j, 1]) - d[j, 1] * (px - xy[j, 0])

    at_start = (np.abs(s - cum[i]) <= eps) & (i > 0)
    at_end = (np.abs(s - cum[i + 1]) <= eps) & (i + 1 < nseg)
    a = np.where(at_start, i - 1, i)
    b = np.minimum(a + 1, nseg - 1)
    ca, cb, ci = cross(a), cross(b), cross(i)
    turn = d[a, 0] * d[b, 1] - d[a, 1] * d[b, 0]
    left_at_vertex = np.where(turn > 0, (ca > 0) & (cb > 0), (ca > 0) | (cb > 0))
    on_at_vertex = (ca == 0) & (cb == 0)
    at_vertex = np.where(on_at_vertex, 0, np.where(left_at_vertex, 1, -1))
    out[:] = np.where(at_start | at_end, at_vertex, np.sign(ci))
    return out


#: Consecutive segments per piece of line in :func:`_nearest_segment`'s spatial index.
_CHUNK = 32


def _nearest_segment(
    xy: NDArray[np.float64], d: NDArray[np.float64], pts: NDArray[np.object_], pxy: NDArray[np.float64]
) -> NDArray[np.intp]:
    """Index of the segment of the line ``xy`` (``d`` its segment vectors) nearest each point.

    line_locate_point scans the whole line per point (quadratic for long lines and many
    faces), and an index of one geometry per segment costs more than the rest of the
    areas: the index holds pieces of ``_CHUNK`` segments, whose nearest one holds the
    nearest segment; the segment within it is found with numpy.
    """
    nseg = len(d)
    first = np.arange(0, nseg, _CHUNK)
    # Piece k runs from vertex first[k] to first[k + 1] (the line's last one for the last
    # piece): the vertices where pieces meet appear twice.
    vertex = np.insert(np.arange(nseg + 1), first[1:], first[1:])
    offsets = np.append(first + np.arange(len(first)), len(vertex))
    pieces = shapely.from_ragged_array(shapely.GeometryType.LINESTRING, xy[vertex], (offsets,))
    tree = shapely.STRtree(pieces)
    which, nearest = tree.query_nearest(pts, all_matches=False)
    of = np.zeros(len(pts), dtype=np.intp)
    of[which] = nearest
    out = np.empty(len(pts), dtype=np.intp)
    for k in range(0, len(pts), 2048):  # blocks of points: memory stays at a few MB
        sl = slice(k, k + 2048)
        # Squared distance from each point to each segment of its piece (past the line's
        # end: the last segment again).
        j = np.minimum(first[of[sl]][:, None] + np.arange(_CHUNK)[None, :], nseg - 1)
        ux = pxy[sl, :1] - xy[j, 0]
        uy = pxy[sl, 1:] - xy[j, 1]
        dx, dy = d[j, 0], d[j, 1]
        t = np.clip((ux * dx + uy * dy) / (dx * dx + dy * dy), 0.0, 1.0)
        dist2 = (ux - t * dx) ** 2 + (uy - t * dy) ** 2
        out[sl] = j[np.arange(len(j)), np.argmin(dist2, axis=1)]
    return out


def nearest_pair(geoms: Sequence[BaseGeometry], settlements: gpd.GeoDataFrame) -> list[tuple[str, ...]]:
    """Pair ids for each geometry: those whose settlements it holds, else the nearest pair.

    ``settlements`` needs columns ``pair`` and ``geometry`` (rows without a pair or a
    coordinate are ignored). Distances are taken in the local UTM plane.
    """
    arr = np.asarray(list(geoms), dtype=object)
    known = settlements[(settlements["pair"] != "") & settlements.geometry.notna()]
    if known.empty:
        return [() for _ in arr]
    crs = _pairs_crs(known)
    return _nearest_pair_in_plane(_to_plane(arr, crs), known, crs)


def _pairs_crs(known: gpd.GeoDataFrame) -> CRS:
    c = shapely.union_all(known.geometry.to_numpy()).centroid
    return local_projected_crs(c.x, c.y)


def _to_plane(geoms: NDArray[np.object_], crs: CRS) -> NDArray[np.object_]:
    """Lon/lat geometries in ``crs`` (the same coordinates as ``GeoSeries.to_crs``)."""
    tr = Transformer.from_crs("EPSG:4326", crs, always_xy=True)
    return np.asarray(
        shapely.transform(geoms, lambda xy: np.column_stack(tr.transform(xy[:, 0], xy[:, 1]))), dtype=object
    )


def _holding(polygons: NDArray[np.object_], points: NDArray[np.object_]) -> list[NDArray[np.intp]]:
    """For each geometry, the indices (ascending) of the points within it (polygons only)."""
    if len(polygons) == 0:
        return []
    is_area = np.isin(shapely.get_type_id(polygons), [3, 6])  # Polygon, MultiPolygon
    face, point = shapely.STRtree(points).query(polygons, predicate="contains")  # point within face
    keep = is_area[face]
    face, point = face[keep], point[keep]
    order = np.lexsort((point, face))
    face, point = face[order], point[order]
    return np.split(point, np.searchsorted(face, np.arange(1, len(polygons))))


def _nearest_pair_in_plane(g_utm: NDArray[np.object_], known: gpd.GeoDataFrame, crs: CRS) -> list[tuple[str, ...]]:
    s_utm = _to_plane(known.geometry.to_numpy(), crs)
    pair = known["pair"].to_numpy(dtype=object)
    holding = _holding(g_utm, s_utm)
    # Faces holding no settlement: the distance from each to every settlement, all at once.
    alone = np.flatnonzero([len(h) == 0 for h in holding])
    dist = _per_face(lambda idx: shapely.distance(g_utm[idx][:, None], s_utm[None, :]), g_utm, alone)
    out: list[tuple[str, ...]] = []
    row = dict(zip(alone.tolist(), range(len(alone)), strict=True))
    for k, inside in enumerate(holding):
        if len(inside):
            out.append(tuple(dict.fromkeys(pair[inside])))
        else:
            out.append((str(pair[int(np.argmin(dist[row[k]]))]),))
    return out


#: Faces' vertices (in all) from which the per-face work runs on several threads.
PARALLEL_VERTICES = 100_000


def _threads() -> int:
    """Threads for the per-face work: the machine's cores, at most 8."""
    return min(os.cpu_count() or 1, 8)


def _per_face(
    work: Callable[[NDArray[np.intp]], NDArray[np.generic]], faces: NDArray[np.object_], idx: NDArray[np.intp]
) -> NDArray[np.generic]:
    """``work(idx)`` for the faces ``idx``: an array whose rows follow ``idx``.

    GEOS and PROJ release the GIL, so on many vertices the faces are shared out, largest
    first, in more pieces than threads (a piece's result does not depend on the others:
    the rows are the same however the work is split).
    """
    idx = np.asarray(idx, dtype=np.intp)
    workers = _threads()
    size = shapely.get_num_coordinates(faces[idx]) if len(idx) else np.zeros(0, dtype=np.int64)
    if workers < 2 or int(size.sum()) < PARALLEL_VERTICES or len(idx) < 2:
        return work(idx)
    order = np.argsort(-size, kind="stable")
    pieces = [np.sort(order[k :: 4 * workers]) for k in range(min(4 * workers, len(idx)))]
    with ThreadPoolExecutor(workers) as pool:
        parts = list(pool.map(lambda p: work(idx[p]), pieces))
    out = np.empty((len(idx), *parts[0].shape[1:]), dtype=parts[0].dtype)
    for p, got in zip(pieces, parts, strict=True):
        out[p] = got
    return out


def sliver_widths_m(polygons: Sequence[BaseGeometry] | NDArray[np.object_]) -> NDArray[np.float64]:
    """Greatest width in metres of each lon/lat polygon: its largest inscribed circle's diameter.

    Measured in the UTM zone of the polygons' common centre (to 0.1 % of the width or
    1 cm, whichever is larger).

    Examples
    --------
    A strip 0.0001° wide in latitude is about 11.1 m wide (111 km per degree):

    >>> from shapely import box
    >>> f"{sliver_widths_m([box(45.0, 41.0, 45.01, 41.0001)])[0]:.1f}"
    '11.1'
    """
    geoms = np.asarray(polygons, dtype=object)
    if len(geoms) == 0:
        return np.zeros(0)
    return _widths_in_plane(_to_plane(geoms, _widths_crs(geoms)))


def _widths_crs(geoms: NDArray[np.object_]) -> CRS:
    c = shapely.centroid(shapely.union_all(shapely.envelope(geoms)))
    return local_projected_crs(c.x, c.y)


def _widths_in_plane(projected: NDArray[np.object_]) -> NDArray[np.float64]:
    xmin, ymin, xmax, ymax = shapely.bounds(projected).T
    # The search stops at this cell size; a thin face needs a fine grid, a big one does not.
    tolerance = np.maximum(1e-3 * np.minimum(xmax - xmin, ymax - ymin), 0.01)
    mic = shapely.maximum_inscribed_circle(projected, tolerance)
    return 2.0 * np.asarray(shapely.length(mic), dtype=float)


def _clip(line: BaseGeometry, extent: BaseGeometry, grid_deg: float) -> BaseGeometry:
    """``line`` inside ``extent``; a rectangle clips in linear time (the usual box extent)."""
    is_box = extent.geom_type == "Polygon" and len(extent.interiors) == 0
    if is_box and shapely.equals(extent, shapely.envelope(extent)):
        return shapely.clip_by_rect(line, *extent.bounds)
    # Any other extent: cut the line a little outside it and let the noding with the
    # extent's boundary do the rest. Ends cut exactly on a curved or slanted boundary
    # are not always noded with it, and polygonize then merges faces across the gap.
    x0, y0, x1, y1 = extent.bounds
    pad = 0.01 * max(x1 - x0, y1 - y0) + 10 * grid_deg
    return shapely.clip_by_rect(line, x0 - pad, y0 - pad, x1 + pad, y1 + pad)


def handover_polygons(
    new_line: BaseGeometry,
    old_line: BaseGeometry,
    extent: BaseGeometry,
    *,
    new_left: str,
    old_left: str,
    countries: tuple[str, str],
    settlements: gpd.GeoDataFrame | None = None,
    new_accuracy_m: float = 0.0,
    old_accuracy_m: float = 0.0,
    sliver_width_m: float | None = None,
    grid_deg: float = GRID_DEG,
) -> gpd.GeoDataFrame:
    """Polygons between the old and the new line inside ``extent``, with direction.

    Parameters
    ----------
    new_line, old_line : LineString
        The lines, lon/lat (EPSG:4326), each running through ``extent``. They may cross
        any number of times, touch, share stretches, run in opposite vertex order and
        have different vertex spacing.
    extent : Polygon
        The area of the delimited stretch.
    new_left, old_left : str
        Country code on the left of each line in its vertex order.
    countries : (str, str)
        The two country codes.
    settlements : GeoDataFrame, optional
        As :meth:`borderkit.Case.settlements`; used to attribute faces to pairs.
    new_accuracy_m, old_accuracy_m : float
        Positional accuracy (1σ, metres) of each line, as ``accuracy_m`` in case.toml.
    sliver_width_m : float, optional
        Faces narrower than this (largest inscribed circle's diameter) are slivers.
        Default: √(new_accuracy_m² + old_accuracy_m²); 0 marks no face as a sliver.
    grid_deg : float
        Snap grid in degrees for noding (default :data:`GRID_DEG`, about 0.1 mm).

    Returns
    -------
    GeoDataFrame
        One row per face that changed hands: ``from_country``, ``to_country``,
        ``area_m2``, ``pairs`` (comma-joined pair ids), ``settlements`` (names inside),
        ``width_m`` (largest inscribed circle's diameter), ``sliver`` (True when
        ``width_m < sliver_width_m``: within the data's uncertainty, not a handover),
        geometry. Sorted by area, largest first. ``frame.attrs["sliver_width_m"]``
        holds the threshold used.

    Raises
    ------
    GeometryError
        ``extent`` is not a polygon, or a line has disconnected parts.
    CaseError
        ``new_left`` or ``old_left`` is not one of ``countries``; a negative width.

    Examples
    --------
    The old line runs north along 45°E, the new one bulges 0.01° east between
    41.00° and 41.01°N; the bulge (about 0.84 km × 1.11 km) went to the west country:

    >>> from shapely import LineString, box
    >>> old = LineString([(45.0, 40.99), (45.0, 41.02)])
    >>> new = LineString([(45.0, 40.99), (45.0, 41.0), (45.01, 41.0), (45.01, 41.01),
    ...                   (45.0, 41.01), (45.0, 41.02)])
    >>> faces = handover_polygons(new, old, box(44.98, 40.995, 45.02, 41.015),
    ...                           new_left="W", old_left="W", countries=("W", "E"))
    >>> r = faces.iloc[0]
    >>> r.from_country, r.to_country, f"{r.area_m2 / 1e6:.3f} km²", bool(r.sliver)
    ('E', 'W', '0.934 km²', False)
    """
    if extent.geom_type not in ("Polygon", "MultiPolygon"):
        msg = f"extent must be a polygon, got a {extent.geom_type}"
        raise GeometryError(msg)
    for name, code in (("new_left", new_left), ("old_left", old_left)):
        if code not in countries:
            msg = (
                f"{name}={code!r} is not one of the countries {countries!r}; "
                "give the code of the country left of the line"
            )
            raise CaseError(msg)
    width = math.hypot(new_accuracy_m, old_accuracy_m) if sliver_width_m is None else float(sliver_width_m)
    if not width >= 0:
        msg = f"sliver_width_m={sliver_width_m!r} must be a width in metres >= 0 (0 marks no sliver)"
        raise CaseError(msg)
    other = {countries[0]: countries[1], countries[1]: countries[0]}
    new_s = shapely.set_precision(new_line, grid_deg, mode="pointwise")
    old_s = shapely.set_precision(old_line, grid_deg, mode="pointwise")
    ext_s = shapely.set_precision(extent, grid_deg)
    pieces = [shapely.boundary(ext_s), _clip(new_s, ext_s, grid_deg), _clip(old_s, ext_s, grid_deg)]
    try:
        # Vertices are on the grid already (pointwise set_precision); floating-point
        # noding with GEOS's OverlayNG heuristics is ~40x faster than snap-rounding on
        # 10^6-vertex lines and gives the same faces on grid-aligned input.
        noded = shapely.union_all(pieces)
    except shapely.errors.GEOSException:
        noded = shapely.union_all(pieces, grid_size=grid_deg)
    faces = shapely.get_parts(shapely.polygonize(shapely.get_parts(noded)))
    faces = faces[shapely.area(faces) > 0]  # degenerate rings only; no measurement here
    reps = shapely.point_on_surface(faces)
    inside = shapely.contains_properly(ext_s, reps)
    faces, reps = faces[inside], reps[inside]
    s_new = side_of(new_s, reps, what="new line")
    s_old = side_of(old_s, reps, what="old line")
    c_new = np.where(s_new > 0, new_left, other[new_left])
    c_old = np.where(s_old > 0, old_left, other[old_left])
    changed = c_new != c_old
    faces = shapely.orient_polygons(faces[changed], exterior_cw=False)
    frame = gpd.GeoDataFrame(
        {"from_country": c_old[changed].astype(object), "to_country": c_new[changed].astype(object)},
        geometry=gpd.GeoSeries(faces, crs="EPSG:4326"),
        crs="EPSG:4326",
    )
    planes: dict[CRS, NDArray[np.object_]] = {}  # the faces projected once per zone
    if len(faces):
        # Per face, on several threads where the faces are big: the geodesic area, the
        # face in the UTM plane, its largest inscribed circle.
        w_crs = _widths_crs(faces)

        def area_plane_width(idx: NDArray[np.intp]) -> NDArray[np.object_]:
            plane = _to_plane(faces[idx], w_crs)
            area = [geodesic_area_m2(g) for g in faces[idx]]
            return np.column_stack([np.asarray(area, dtype=object), plane, _widths_in_plane(plane).astype(object)])

        got = _per_face(area_plane_width, faces, np.arange(len(faces)))
        frame["area_m2"] = got[:, 0].astype(float)
        planes[w_crs] = np.asarray(got[:, 1], dtype=object)
        frame["width_m"] = got[:, 2].astype(float)
    else:
        frame["area_m2"] = np.zeros(0)
        frame["width_m"] = np.zeros(0)

    def in_plane(crs: CRS) -> NDArray[np.object_]:
        if crs not in planes:
            planes[crs] = _to_plane(faces, crs)
        return planes[crs]

    frame["sliver"] = frame["width_m"] < width
    if settlements is not None and len(frame):
        paired = settlements[(settlements["pair"] != "") & settlements.geometry.notna()]
        if paired.empty:
            frame["pairs"] = [""] * len(frame)  # as nearest_pair's empty tuples joined
        else:
            crs = _pairs_crs(paired)
            frame["pairs"] = [",".join(p) for p in _nearest_pair_in_plane(in_plane(crs), paired, crs)]
        known = settlements[settlements.geometry.notna()]
        names = known["name"].to_numpy(dtype=object)
        frame["settlements"] = ["; ".join(names[i]) for i in _holding(faces, known.geometry.to_numpy())]
    else:
        frame["pairs"] = ""
        frame["settlements"] = ""
    frame = frame.sort_values("area_m2", ascending=False, ignore_index=True)[_COLUMNS]
    frame.attrs["sliver_width_m"] = width
    return frame
