"""Where points meet a line in the plane: :func:`shapely.line_locate_point`, indexed.

GEOS locates a point by walking every segment of the line (``LengthIndexOfPoint``): on a
line of n vertices that is O(n) per point, and locating the vertices of a face's
boundary, or a settlement moved 64 times, on a 1,700-vertex rendering cost most of
:func:`borderkit.profile`. :class:`PlanarLine` finds each point's nearest segment in a
spatial index of the segments instead (all the segments at the least distance, GEOS's
own point–segment distance) and takes the first of them, as GEOS's walk does; the
distance along is then computed with GEOS's own arithmetic (``LineSegment::
projectionFactor``, ``segmentNearestMeasure``, segment lengths summed in order), so it is
the same number to the last bit. ``tests/test_linear.py`` checks that against shapely.
"""

from __future__ import annotations

from functools import cached_property

import numpy as np
import shapely
from numpy.typing import ArrayLike, NDArray

from borderkit.errors import GeometryError

__all__ = ["PlanarLine"]

#: Points × segments below which GEOS's walk is used while the index is not built.
_WALK = 2**15


class PlanarLine:
    """A line in plane coordinates (metres) whose points are located through a segment index.

    Parameters
    ----------
    xy : array_like, shape (n, 2)
        The line's vertices, n ≥ 2.

    Examples
    --------
    >>> line = PlanarLine([(0, 0), (100, 0), (100, 100)])
    >>> along, off = line.locate([[50, 5], [120, 60]])
    >>> along.tolist(), off.tolist()
    ([50.0, 160.0], [5.0, 20.0])
    """

    def __init__(self, xy: ArrayLike) -> None:
        self.xy = np.ascontiguousarray(xy, dtype=np.float64)
        if self.xy.ndim != 2 or self.xy.shape[1] != 2 or len(self.xy) < 2:
            msg = f"xy: got shape {self.xy.shape}; give a line's (n, 2) vertices with n >= 2"
            raise GeometryError(msg)
        d = np.diff(self.xy, axis=0)
        self._d = d
        # LineSegment::getLength, summed segment after segment as GEOS's walk sums it.
        self._len2 = d[:, 0] * d[:, 0] + d[:, 1] * d[:, 1]
        self.segment_m = np.sqrt(self._len2)
        self._start = np.concatenate([[0.0], np.cumsum(self.segment_m)[:-1]])

    @cached_property
    def _line(self) -> shapely.LineString:
        return shapely.LineString(self.xy)

    @cached_property
    def _tree(self) -> shapely.STRtree:
        ends = np.stack([self.xy[:-1], self.xy[1:]], axis=1)
        return shapely.STRtree(shapely.linestrings(ends))

    def locate(self, pts_xy: ArrayLike) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
        """Distance along the line, and distance off it, of the nearest point to each of ``pts_xy``.

        The same numbers as ``shapely.line_locate_point(line, points)`` and
        ``shapely.distance(line, points)``; NaN for non-finite points.
        """
        p = np.asarray(pts_xy, dtype=np.float64).reshape(-1, 2)
        along = np.full(len(p), np.nan)
        off = np.full(len(p), np.nan)
        ok = np.flatnonzero(np.isfinite(p).all(axis=1))
        if not len(ok):
            return along, off
        if len(ok) * len(self._d) < _WALK and "_tree" not in self.__dict__:
            # A few points on a short line, no index yet: GEOS's walk costs less than the index.
            pts = shapely.points(p[ok])
            along[ok], off[ok] = shapely.line_locate_point(self._line, pts), shapely.distance(self._line, pts)
            return along, off
        self._indexed(p, ok, along, off)
        return along, off

    def _indexed(
        self,
        p: NDArray[np.float64],
        ok: NDArray[np.intp],
        along: NDArray[np.float64],
        off: NDArray[np.float64],
        max_distance: float | None = None,
    ) -> None:
        """Fill ``along`` and ``off`` at the points ``p[ok]`` through the index (within ``max_distance``)."""
        (qi, seg), dist = self._tree.query_nearest(
            shapely.points(p[ok]), max_distance=max_distance, all_matches=True, return_distance=True
        )
        # GEOS keeps the first segment (in line order) at the least distance.
        order = np.lexsort((seg, qi))
        qi, seg, dist = qi[order], seg[order], dist[order]
        first = np.r_[True, qi[1:] != qi[:-1]]
        qi, seg = ok[qi[first]], seg[first]
        off[qi] = dist[first]
        a, b, pt = self.xy[seg], self.xy[seg + 1], p[qi]
        dx, dy = self._d[seg, 0], self._d[seg, 1]
        with np.errstate(divide="ignore", invalid="ignore"):
            r = ((pt[:, 0] - a[:, 0]) * dx + (pt[:, 1] - a[:, 1]) * dy) / self._len2[seg]
        r = np.where((pt == a).all(axis=1), 0.0, np.where((pt == b).all(axis=1), 1.0, r))
        start, length = self._start[seg], self.segment_m[seg]
        along[qi] = np.where(r <= 0.0, start, np.where(r <= 1.0, start + r * length, start + length))

    def locate_within(self, pts_xy: ArrayLike, within_m: float) -> tuple[NDArray[np.intp], NDArray[np.float64]]:
        """The points of ``pts_xy`` less than ``within_m`` off the line (their indices), and their distance along.

        The same as ``along[off < within_m]`` of :meth:`locate`, but the index's search for
        each point stops at ``within_m``: locating a point far from a dense line would visit
        every segment near it.
        """
        p = np.asarray(pts_xy, dtype=np.float64).reshape(-1, 2)
        along = np.full(len(p), np.nan)
        off = np.full(len(p), np.nan)
        ok = np.flatnonzero(np.isfinite(p).all(axis=1))
        if len(ok):
            self._indexed(p, ok, along, off, max_distance=within_m)
        keep = np.flatnonzero(off < within_m)
        return keep, along[keep]

    def interpolate(self, along_m: ArrayLike) -> NDArray[np.float64]:
        """(k, 2) points at the distances ``along_m`` along the line: ``shapely.line_interpolate_point``'s.

        GEOS's ``LengthLocationMap`` walks the segments to the first whose end lies beyond
        the distance, with the same running sum of segment lengths as :meth:`locate`; here
        that segment is found by bisection, and the point is GEOS's
        ``pointAlongSegmentByFraction``. Negative distances count from the end.
        """
        d = np.atleast_1d(np.asarray(along_m, dtype=np.float64))
        total = self._start[-1] + self.segment_m[-1]
        d = np.where(d < 0.0, total + d, d)
        ends = self._start + self.segment_m  # the running sum at each segment's end
        k = np.searchsorted(ends, d, side="right")  # the first segment whose end lies beyond d
        out = np.empty((len(d), 2))
        past = k >= len(ends)
        out[past] = self.xy[-1]
        kk = np.minimum(k, len(ends) - 1)
        p0, p1 = self.xy[kk], self.xy[kk + 1]
        with np.errstate(divide="ignore", invalid="ignore"):  # zero-length segments: resolved below
            frac = (d - self._start[kk]) / self.segment_m[kk]
            along = (p1 - p0) * frac[:, None] + p0
        mid = np.where((frac <= 0.0)[:, None], p0, np.where((frac >= 1.0)[:, None], p1, along))
        out[~past] = mid[~past]
        out[d <= 0.0] = self.xy[0]
        out[np.isnan(d)] = np.nan
        return out
