"""Areas handed over between an old and a new line, and which side of a line things are on.

Method
------
1. Both lines are clipped to the case's extent and noded together with the extent's
   boundary; :func:`shapely.polygonize` turns the result into faces.
2. Each face gets its side of the new line and of the old line from a representative
   point inside it (:func:`side_of`): the country on the left or on the right.
3. A face whose country differs between the old and the new line changed hands; its
   direction is "to" the new line's country. Areas are geodesic (WGS 84) on rings
   oriented counter-clockwise.
4. A face is attributed to the settlement pair whose settlement it holds (all such
   pairs if it holds several); otherwise to the nearest pair (distance from the face
   to the pair's settlements, in the local UTM plane).
"""

from __future__ import annotations

from collections.abc import Sequence

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from numpy.typing import NDArray
from shapely import LineString, Point, Polygon
from shapely.geometry.base import BaseGeometry

from borderkit.errors import GeometryError
from borderkit.geodesy import geodesic_area_m2, local_projected_crs

__all__ = ["handover_polygons", "nearest_pair", "side_of"]


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


def side_of(line: BaseGeometry, points: Sequence[Point] | NDArray[np.object_], *, what: str = "line") -> NDArray[np.int8]:
    """+1 for points left of ``line`` (walking it in vertex order), -1 right, 0 on it.

    The side is read at the point of the line nearest to each point; where that is a
    vertex, the turn of the line there decides (a point is left of a left turn only if
    it is left of both segments, left of a right turn if it is left of either).

    Examples
    --------
    >>> from shapely import LineString, Point
    >>> side_of(LineString([(0, 0), (10, 0)]), [Point(5, 1), Point(5, -1), Point(5, 0)]).tolist()
    [1, -1, 0]
    """
    ls = _as_linestring(line, what)
    xy = shapely.get_coordinates(ls)
    seg_len = np.hypot(*np.diff(xy, axis=0).T)
    cum = np.concatenate([[0.0], np.cumsum(seg_len)])
    pts = np.asarray(points, dtype=object)
    out = np.zeros(len(pts), dtype=np.int8)
    if len(pts) == 0:
        return out
    dist_along = shapely.line_locate_point(ls, pts)
    pxy = shapely.get_coordinates(pts)
    eps = 1e-12 * max(1.0, cum[-1])
    for k, (s, (px, py)) in enumerate(zip(dist_along, pxy, strict=True)):
        i = int(np.clip(np.searchsorted(cum, s, side="right") - 1, 0, len(seg_len) - 1))

        def cross(j: int, px: float = px, py: float = py) -> float:
            (x0, y0), (x1, y1) = xy[j], xy[j + 1]
            return float((x1 - x0) * (py - y0) - (y1 - y0) * (px - x0))

        at_start = abs(s - cum[i]) <= eps and i > 0
        at_end = abs(s - cum[i + 1]) <= eps and i + 1 < len(seg_len)
        if at_start or at_end:
            a, b = (i - 1, i) if at_start else (i, i + 1)
            ca, cb = cross(a), cross(b)
            d0, d1 = xy[a + 1] - xy[a], xy[b + 1] - xy[b]
            turn = d0[0] * d1[1] - d0[1] * d1[0]
            left = (ca > 0 and cb > 0) if turn > 0 else (ca > 0 or cb > 0)
            on = ca == 0 and cb == 0
            out[k] = 0 if on else (1 if left else -1)
        else:
            c = cross(i)
            out[k] = 0 if c == 0 else (1 if c > 0 else -1)
    return out


def nearest_pair(
    geoms: Sequence[BaseGeometry], settlements: gpd.GeoDataFrame
) -> list[tuple[str, ...]]:
    """Pair ids for each geometry: those whose settlements it holds, else the nearest pair.

    ``settlements`` needs columns ``pair`` and ``geometry`` (rows without a pair or a
    coordinate are ignored). Distances are taken in the local UTM plane.
    """
    known = settlements[(settlements["pair"] != "") & settlements.geometry.notna()]
    if known.empty:
        return [() for _ in geoms]
    series = gpd.GeoSeries(list(geoms), crs="EPSG:4326")
    c = shapely.union_all(known.geometry.to_numpy()).centroid
    utm = local_projected_crs(c.x, c.y)
    g_utm = series.to_crs(utm)
    s_utm = known.to_crs(utm)
    out: list[tuple[str, ...]] = []
    for g in g_utm:
        inside = s_utm[s_utm.within(g)] if g.geom_type in ("Polygon", "MultiPolygon") else s_utm.iloc[0:0]
        if len(inside):
            out.append(tuple(dict.fromkeys(inside["pair"])))
        else:
            d = s_utm.distance(g)
            out.append((str(s_utm.loc[d.idxmin(), "pair"]),))
    return out


def handover_polygons(
    new_line: BaseGeometry,
    old_line: BaseGeometry,
    extent: BaseGeometry,
    *,
    new_left: str,
    old_left: str,
    countries: tuple[str, str],
    settlements: gpd.GeoDataFrame | None = None,
) -> gpd.GeoDataFrame:
    """Polygons between the old and the new line inside ``extent``, with direction.

    Parameters
    ----------
    new_line, old_line : LineString
        The lines, lon/lat (EPSG:4326), each running through ``extent``.
    extent : Polygon
        The area of the delimited stretch.
    new_left, old_left : str
        Country code on the left of each line in its vertex order.
    countries : (str, str)
        The two country codes.
    settlements : GeoDataFrame, optional
        As :meth:`borderkit.Case.settlements`; used to attribute faces to pairs.

    Returns
    -------
    GeoDataFrame
        One row per face that changed hands: ``from_country``, ``to_country``,
        ``area_m2``, ``pairs`` (comma-joined pair ids), ``settlements`` (names inside),
        geometry. Sorted by area, largest first.
    """
    if extent.geom_type not in ("Polygon", "MultiPolygon"):
        msg = f"extent must be a polygon, got a {extent.geom_type}"
        raise GeometryError(msg)
    other = {countries[0]: countries[1], countries[1]: countries[0]}
    new_c = shapely.intersection(new_line, extent)
    old_c = shapely.intersection(old_line, extent)
    noded = shapely.union_all([shapely.boundary(extent), new_c, old_c])
    faces = [f for f in shapely.get_parts(shapely.polygonize(shapely.get_parts(noded))) if f.area > 0]
    faces = [f for f in faces if extent.contains(f.representative_point())]
    reps = [f.representative_point() for f in faces]
    s_new = side_of(new_line, reps, what="new line")
    s_old = side_of(old_line, reps, what="old line")
    rows = []
    for f, sn, so in zip(faces, s_new, s_old, strict=True):
        c_new = new_left if sn > 0 else other[new_left]
        c_old = old_left if so > 0 else other[old_left]
        if c_new != c_old:
            rows.append({"from_country": c_old, "to_country": c_new, "geometry": f})
    frame = gpd.GeoDataFrame(pd.DataFrame(rows, columns=["from_country", "to_country", "geometry"]),
                             geometry="geometry", crs="EPSG:4326")
    frame["geometry"] = shapely.orient_polygons(frame.geometry.to_numpy(), exterior_cw=False) if len(frame) else frame.geometry
    frame["area_m2"] = [geodesic_area_m2(g) for g in frame.geometry]
    if settlements is not None and len(frame):
        frame["pairs"] = [",".join(p) for p in nearest_pair(list(frame.geometry), settlements)]
        known = settlements[settlements.geometry.notna()]
        frame["settlements"] = [
            "; ".join(known.loc[known.within(g), "name"]) for g in frame.geometry
        ]
    else:
        frame["pairs"] = ""
        frame["settlements"] = ""
    frame = frame.sort_values("area_m2", ascending=False, ignore_index=True)
    return frame[["from_country", "to_country", "area_m2", "pairs", "settlements", "geometry"]]
