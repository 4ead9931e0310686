"""Compare two renderings of one line: signed offsets along it, and how they are correlated.

Two public renderings of the same border (two builds of OpenStreetMap, geoBoundaries
and OSM, ...) differ by a few tens to hundreds of metres. :func:`compare_lines` measures
that difference as a function of the distance along one of them, which is what an error
model of the line has to reproduce (:mod:`borderkit._uncertainty._model` fits one to it).

Method
------
Both lines (lon/lat, WGS 84) are projected to the UTM zone of the centre of A's bounding
box (:func:`borderkit.geodesy.local_projected_crs`). Along A, *stations* are placed every
``step_m`` metres of planar chainage, starting at A's first vertex. At each station ``p``
the nearest point ``q`` on B is found; the station's **offset** is ``|q − p|``, signed
positive when ``q`` lies to the LEFT of A walked in vertex order (the sign of the cross
product of A's direction at ``p`` with ``q − p``). B's vertex order plays no part, so a
reversed B gives the same offsets. Only the **common stretch** is kept: stations whose
nearest point on B is not one of B's two ends (there B has stopped, and the distance
measures where it stops, not how far it lies), and, with ``clip``, stations inside that
polygon.

Correlation along the line: the stations form a regular series with gaps (excluded
stations). At lag ``h = k·step_m`` the autocorrelation is
``acf(h) = mean((x_i − m)(x_{i+k} − m)) / var(x)`` over the pairs of kept stations ``k``
apart (``m``, ``var`` over all kept stations) and the empirical semivariogram is
``γ(h) = mean((x_{i+k} − x_i)²) / 2`` (Matheron's estimator) over the same pairs.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
import shapely
from numpy.typing import NDArray
from pyproj import Transformer
from shapely import LineString, MultiLineString
from shapely.geometry.base import BaseGeometry

from borderkit._linear import PlanarLine
from borderkit.errors import GeometryError
from borderkit.geodesy import local_projected_crs

if TYPE_CHECKING:
    from matplotlib.axes import Axes

__all__ = ["LineComparison", "compare_lines"]

#: Longest lag (metres) at which the autocorrelation and the semivariogram are computed.
MAX_LAG_M = 5000.0

# A nearest point closer than this (metres) to an end of B counts as that end.
_END_TOL_M = 1e-6


@dataclass(frozen=True, repr=False)
class LineComparison:
    """Signed offsets of rendering B from rendering A along A, and their statistics.

    Lengths in metres; ``offset_m`` is positive where B lies to the left of A walked in
    vertex order. Arrays hold the stations of the common stretch only.
    """

    name_a: str
    name_b: str
    step_m: float
    #: Planar chainage of each kept station along A, metres from A's first vertex.
    chainage_m: NDArray[np.float64]
    #: Signed distance from each station to the nearest point of B (positive: B on the left).
    offset_m: NDArray[np.float64]
    #: (n, 2) lon/lat of each kept station (on A).
    station_lonlat: NDArray[np.float64]
    median_abs_offset_m: float
    p95_abs_offset_m: float
    max_abs_offset_m: float
    mean_offset_m: float
    #: Hausdorff distance between the two lines (each clipped to ``clip`` if given), in the plane.
    hausdorff_m: float
    #: Where |offset| is largest: km along A, and lon/lat of that station.
    max_at_km: float
    max_at_lonlat: tuple[float, float]
    acf_lag_m: NDArray[np.float64]
    acf: NDArray[np.float64]
    #: Autocorrelation at one step (``acf[1]``).
    neighbour_correlation: float
    #: First lag at which the autocorrelation falls below 1/e (None if it never does within the lags).
    e_folding_m: float | None
    semivariogram_lag_m: NDArray[np.float64]
    semivariogram_m2: NDArray[np.float64]
    #: Number of station pairs behind each semivariogram (and autocorrelation) value.
    semivariogram_pairs: NDArray[np.int64]
    #: Median vertex spacing of each input line, in the plane.
    spacing_a_m: float
    spacing_b_m: float
    #: The projected CRS the comparison was made in (EPSG code string).
    crs: str = field(default="")

    def __repr__(self) -> str:
        return (
            f"<LineComparison {self.name_a} vs {self.name_b}: {self.chainage_m.size} stations, "
            f"median |offset| {self.median_abs_offset_m:.0f} m, p95 {self.p95_abs_offset_m:.0f} m, "
            f"max {self.max_abs_offset_m:.0f} m at km {self.max_at_km:.2f}>"
        )

    def to_frame(self) -> pd.DataFrame:
        """One row per kept station: chainage, signed offset, lon, lat."""
        return pd.DataFrame(
            {
                "chainage_m": self.chainage_m,
                "offset_m": self.offset_m,
                "lon": self.station_lonlat[:, 0],
                "lat": self.station_lonlat[:, 1],
            }
        )

    def plot(self, ax: Axes | None = None, **kwargs: Any) -> Axes:
        """Offset of B from A against km along A (keyword arguments go to ``ax.plot``).

        Examples
        --------
        >>> import matplotlib
        >>> matplotlib.use("Agg")
        >>> from shapely import LineString
        >>> c = compare_lines(LineString([(10, 0), (10, 0.01)]), LineString([(9.999, 0), (9.999, 0.01)]))
        >>> ax = c.plot()
        >>> ax.get_xlabel()
        'km along A'
        >>> import matplotlib.pyplot as plt; plt.close(ax.figure)
        """
        if ax is None:
            import matplotlib.pyplot as plt

            _, ax = plt.subplots(figsize=(9, 3))
        # Gaps in the common stretch stay gaps rather than straight lines across them.
        y = self.offset_m.astype(float)
        x = self.chainage_m / 1000.0
        if x.size > 1:
            gap = np.flatnonzero(np.diff(self.chainage_m) > 1.5 * self.step_m) + 1
            x = np.insert(x, gap, np.nan)
            y = np.insert(y, gap, np.nan)
        kwargs.setdefault("lw", 0.8)
        ax.plot(x, y, **kwargs)
        ax.axhline(0.0, color="0.5", lw=0.5)
        ax.set_xlabel(f"km along {self.name_a}")
        ax.set_ylabel(f"offset of {self.name_b} (m, + = left)")
        ax.set_title(f"{self.name_b} relative to {self.name_a}")
        return ax


def _single_line(geom: BaseGeometry, name: str) -> LineString:
    """Merge a (Multi)LineString into one LineString, or say why it cannot be done."""
    if isinstance(geom, MultiLineString):
        merged = shapely.line_merge(geom)
        if isinstance(merged, MultiLineString):
            lengths = ", ".join(f"{g.length:.4g}°" for g in merged.geoms)
            msg = (
                f"line {name!r}: its {len(geom.geoms)} parts merge into {len(merged.geoms)} separate lines "
                f"(planar lengths {lengths}), not one; compare one part at a time, e.g. the longest: "
                f"max(geom.geoms, key=lambda g: g.length)"
            )
            raise GeometryError(msg)
        geom = merged
    if not isinstance(geom, LineString):
        msg = f"line {name!r}: expected a LineString or MultiLineString, got {geom.geom_type!r}"
        raise GeometryError(msg)
    if geom.is_empty or len(geom.coords) < 2:
        msg = f"line {name!r}: needs at least 2 vertices, got {0 if geom.is_empty else len(geom.coords)}"
        raise GeometryError(msg)
    return geom


def _median_spacing_m(line: LineString) -> float:
    xy = shapely.get_coordinates(line)
    return float(np.median(np.hypot(*np.diff(xy, axis=0).T)))


def _lag_statistics(
    index: NDArray[np.int64], x: NDArray[np.float64], max_k: int
) -> tuple[NDArray[np.float64], NDArray[np.float64], NDArray[np.int64]]:
    """Autocorrelation, semivariogram and pair counts at lags 0..max_k of a gappy regular series."""
    full = np.full(int(index.max()) + 1 if index.size else 0, np.nan)
    full[index] = x
    m = float(np.mean(x))
    var = float(np.var(x))
    acf = np.full(max_k + 1, np.nan)
    gamma = np.full(max_k + 1, np.nan)
    pairs = np.zeros(max_k + 1, dtype=np.int64)
    for k in range(min(max_k, full.size - 1) + 1):
        u, v = full[: full.size - k], full[k:]
        ok = np.isfinite(u) & np.isfinite(v)
        n = int(ok.sum())
        pairs[k] = n
        if n:
            gamma[k] = 0.5 * float(np.mean((v[ok] - u[ok]) ** 2))
            if var > 0:
                acf[k] = float(np.mean((u[ok] - m) * (v[ok] - m))) / var
    return acf, gamma, pairs


def compare_lines(
    a: BaseGeometry,
    b: BaseGeometry,
    *,
    step_m: float = 25.0,
    name_a: str = "A",
    name_b: str = "B",
    clip: BaseGeometry | None = None,
    max_lag_m: float = MAX_LAG_M,
) -> LineComparison:
    """Signed offsets of line B from line A along A, over their common stretch.

    Parameters
    ----------
    a, b
        The two renderings, (Multi)LineStrings in lon/lat (WGS 84). Parts are merged
        with :func:`shapely.line_merge`; if they do not join into one line a
        :class:`~borderkit.errors.GeometryError` says so (compare one part at a time).
        B's vertex order may run either way.
    step_m
        Distance between stations along A, metres.
    name_a, name_b
        Names for the result and its plot.
    clip
        Optional polygon in lon/lat: only stations inside it are kept, and the
        Hausdorff distance is taken between the parts of the lines inside it.
    max_lag_m
        Longest lag of the autocorrelation and semivariogram, metres.

    Returns
    -------
    LineComparison

    Raises
    ------
    GeometryError
        A line is not a line, does not merge into one, or has no common stretch with
        the other; ``step_m`` is not positive.

    Examples
    --------
    A synthetic line due north along 10° E and a copy 0.001° of longitude to its west
    (its left): at the equator 0.001° of longitude is about 111.3 m on the ground.

    >>> from shapely import LineString
    >>> c = compare_lines(LineString([(10, 0), (10, 0.01)]), LineString([(9.999, 0), (9.999, 0.01)]))
    >>> f"{c.median_abs_offset_m:.0f} m, sign {np.sign(c.offset_m[0]):+.0f}"
    '111 m, sign +1'
    """
    if not (isinstance(step_m, int | float) and math.isfinite(step_m) and step_m > 0):
        msg = f"step_m={step_m!r}: expected a positive number of metres, e.g. 25.0"
        raise GeometryError(msg)
    line_a = _single_line(a, name_a)
    line_b = _single_line(b, name_b)
    minx, miny, maxx, maxy = line_a.bounds
    crs = local_projected_crs((minx + maxx) / 2, (miny + maxy) / 2)
    fwd = Transformer.from_crs("EPSG:4326", crs, always_xy=True)
    inv = Transformer.from_crs(crs, "EPSG:4326", always_xy=True)

    def project(g: BaseGeometry) -> Any:
        return shapely.transform(g, lambda xy: np.column_stack(fwd.transform(xy[:, 0], xy[:, 1])))

    am, bm = project(line_a), project(line_b)
    xy_a = shapely.get_coordinates(am)
    seg = np.diff(xy_a, axis=0)
    cum = np.concatenate([[0.0], np.cumsum(np.hypot(seg[:, 0], seg[:, 1]))])
    length_a = float(cum[-1])
    index = np.arange(math.floor(length_a / step_m) + 1, dtype=np.int64)
    chain = index * float(step_m)
    # Stations along A, interpolated on its segments (shapely.line_interpolate_point walks the
    # line once per station); only those inside the clip are located on B.
    k_at = np.clip(np.searchsorted(cum, chain, side="right") - 1, 0, seg.shape[0] - 1)
    seg_len = np.diff(cum)
    frac = np.divide(chain - cum[k_at], seg_len[k_at], out=np.zeros(len(chain)), where=seg_len[k_at] > 0)
    p = xy_a[k_at] + np.clip(frac, 0.0, 1.0)[:, None] * seg[k_at]
    stations = shapely.points(p)
    keep = np.ones(len(chain), dtype=bool)
    clip_m = None
    if clip is not None:
        clip_m = project(clip)
        keep &= shapely.covers(clip_m, stations)
    s_b = np.full(len(chain), np.nan)
    q = np.full_like(p, np.nan)
    s_b[keep] = PlanarLine(shapely.get_coordinates(bm)).locate(p[keep])[0]
    q[keep] = shapely.get_coordinates(shapely.line_interpolate_point(bm, s_b[keep]))
    keep &= (s_b > _END_TOL_M) & (s_b < bm.length - _END_TOL_M)
    if not keep.any():
        msg = (
            f"lines {name_a!r} and {name_b!r} have no common stretch"
            f"{' inside clip' if clip is not None else ''}: every station of {name_a!r} has an end of "
            f"{name_b!r} as its nearest point; check that both render the same line (and the clip polygon)"
        )
        raise GeometryError(msg)
    # A's direction at each station: the segment holding it (the last one for the end station).
    k_seg = np.clip(np.searchsorted(cum, chain, side="right") - 1, 0, seg.shape[0] - 1)
    t = seg[k_seg]
    d = q - p
    cross = t[:, 0] * d[:, 1] - t[:, 1] * d[:, 0]
    offset = np.where(cross >= 0, 1.0, -1.0) * np.hypot(d[:, 0], d[:, 1])

    index, chain, offset, p = index[keep], chain[keep], offset[keep], p[keep]
    lon, lat = inv.transform(p[:, 0], p[:, 1])
    lonlat = np.column_stack([lon, lat])
    absoff = np.abs(offset)
    i_max = int(np.argmax(absoff))
    max_k = max(1, int(max_lag_m // step_m))
    acf, gamma, pairs = _lag_statistics(index, offset, max_k)
    lags = np.arange(max_k + 1, dtype=float) * float(step_m)
    below = np.flatnonzero(acf < math.exp(-1.0))
    if clip_m is not None:
        ha, hb = shapely.intersection(am, clip_m), shapely.intersection(bm, clip_m)
    else:
        ha, hb = am, bm
    return LineComparison(
        name_a=name_a,
        name_b=name_b,
        step_m=float(step_m),
        chainage_m=np.asarray(chain, dtype=np.float64),
        offset_m=offset,
        station_lonlat=lonlat,
        median_abs_offset_m=float(np.median(absoff)),
        p95_abs_offset_m=float(np.percentile(absoff, 95)),
        max_abs_offset_m=float(absoff[i_max]),
        mean_offset_m=float(np.mean(offset)),
        hausdorff_m=float(shapely.hausdorff_distance(ha, hb)),
        max_at_km=float(chain[i_max] / 1000.0),
        max_at_lonlat=(float(lonlat[i_max, 0]), float(lonlat[i_max, 1])),
        acf_lag_m=lags,
        acf=acf,
        neighbour_correlation=float(acf[1]),
        e_folding_m=float(lags[below[0]]) if below.size else None,
        semivariogram_lag_m=lags,
        semivariogram_m2=gamma,
        semivariogram_pairs=pairs,
        spacing_a_m=_median_spacing_m(am),
        spacing_b_m=_median_spacing_m(bm),
        crs=crs.to_string(),
    )
