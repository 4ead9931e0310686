"""The measured stretch in each draw: its length in all and per pair, on the moved line.

The stretch runs between the nearest points (in the plane) of the outermost settlements
on the moved line; each segment belongs to the pair whose settlement is nearest its
midpoint, as :func:`borderkit.measure` does. :func:`full_lengths` computes this against
every segment of the line, and is the reference.

:func:`lengths` gets the same numbers (``tests/test_stretch.py``) with work only where a
draw can change them. In one draw no point of the line moves further than its largest
vertex move ``D``, and settlement j moves by ``P_j``; both are known. So a segment whose
unmoved distance to settlement j exceeds the nearest moved distance found so far by more
than ``D + P_j`` cannot be nearer: with the segments searched in order of their unmoved
distance (:class:`StretchPlan`), the search stops after a few. Likewise a segment's pair
cannot change unless another pair's settlement was, unmoved, within ``2(D + max P)`` of
being the nearest to its midpoint. The loops are compiled
(:mod:`borderkit._uncertainty._kernels`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

__all__ = ["StretchPlan", "full_lengths", "lengths", "plan"]


def _nearest_on_segments(
    ax: NDArray[np.float64],
    ay: NDArray[np.float64],
    vx: NDArray[np.float64],
    vy: NDArray[np.float64],
    qx: NDArray[np.float64],
    qy: NDArray[np.float64],
) -> tuple[NDArray[np.intp], NDArray[np.float64]]:
    """(c,) index of the nearest of the segments ``a + t v`` (c, s) to each point ``q`` (c,), and its t."""
    vv = np.maximum(vx * vx + vy * vy, 1e-12)
    wx = qx[:, None] - ax
    wy = qy[:, None] - ay
    t = np.clip((wx * vx + wy * vy) / vv, 0.0, 1.0)
    wx -= t * vx
    wy -= t * vy
    i = np.argmin(wx * wx + wy * wy, axis=1)
    rows = np.arange(len(i))
    return i, t[rows, i]


def full_lengths(
    px: NDArray[np.float64],
    py: NDArray[np.float64],
    pts: NDArray[np.float64],
    pair_of_point: NDArray[np.intp],
    scopes: Sequence[tuple[int, ...]],
) -> NDArray[np.float64]:
    """(c, len(scopes)) planar length of the stretch per scope, against every segment.

    ``px, py`` (c, n) are the moved vertices, ``pts`` (c, k, 2) the moved settlements;
    an empty scope is the whole stretch.
    """
    c = px.shape[0]
    vx, vy = np.diff(px, axis=1), np.diff(py, axis=1)
    seg = np.hypot(vx, vy)
    cum = np.concatenate([np.zeros((c, 1)), np.cumsum(seg, axis=1)], axis=1)
    rows = np.arange(c)
    at = np.empty(pts.shape[:2])
    for j in range(pts.shape[1]):
        i, t = _nearest_on_segments(px[:, :-1], py[:, :-1], vx, vy, pts[:, j, 0], pts[:, j, 1])
        at[:, j] = cum[rows, i] + t * seg[rows, i]
    lo, hi = at.min(axis=1, keepdims=True), at.max(axis=1, keepdims=True)
    overlap = np.clip(np.minimum(cum[:, 1:], hi) - np.maximum(cum[:, :-1], lo), 0.0, None)
    pair = pair_of_point[_nearest_point((px[:, 1:] + px[:, :-1]) / 2, (py[:, 1:] + py[:, :-1]) / 2, pts)]
    out = np.empty((c, len(scopes)))
    for k, sc in enumerate(scopes):
        out[:, k] = (hi - lo)[:, 0] if not sc else (overlap * np.isin(pair, sc)).sum(axis=1)
    return out


def _nearest_point(mx: NDArray[np.float64], my: NDArray[np.float64], pts: NDArray[np.float64]) -> NDArray[np.intp]:
    """(c, s) index of the point of ``pts`` (c, k, 2) nearest each of the points ``mx, my`` (c, s); first on ties."""
    best = np.full(mx.shape, np.inf)
    nearest = np.zeros(mx.shape, dtype=np.intp)
    for j in range(pts.shape[1]):
        d2 = (mx - pts[:, j, 0, None]) ** 2 + (my - pts[:, j, 1, None]) ** 2
        closer = d2 < best
        best[closer], nearest[closer] = d2[closer], j
    return nearest


@dataclass(frozen=True)
class StretchPlan:
    """The unmoved line's distances that bound what a draw can change (see the module).

    ``seg_order[j]`` lists the segments by their distance ``seg_d0[j]`` to settlement j;
    ``pt_order[s]`` the settlements by their distance ``pt_d0[s]`` to segment s's
    midpoint; ``margin_m[s]`` is how much nearer that midpoint its nearest settlement is
    than any settlement of another pair, and ``fixed_pair[s]`` that settlement's pair.
    """

    seg_order: NDArray[np.int64]
    seg_d0: NDArray[np.float64]
    pt_order: NDArray[np.int64]
    pt_d0: NDArray[np.float64]
    margin_m: NDArray[np.float64]
    fixed_pair: NDArray[np.int64]


def _segment_distances(xy: NDArray[np.float64], p: NDArray[np.float64]) -> NDArray[np.float64]:
    """(s, k) distance from each segment of ``xy`` to each point ``p`` (k, 2)."""
    a, v = xy[:-1, None, :], np.diff(xy, axis=0)[:, None, :]
    w = p[None, :, :] - a
    t = np.clip(np.sum(w * v, axis=2) / np.maximum(np.sum(v * v, axis=2), 1e-12), 0.0, 1.0)
    return np.asarray(np.hypot(*(w - t[..., None] * v).transpose(2, 0, 1)))


def plan(xy: NDArray[np.float64], pts: NDArray[np.float64], pair_of_point: NDArray[np.intp]) -> StretchPlan:
    """The plan of the unmoved line ``xy`` (n, 2) for the settlements ``pts`` (k, 2) of pairs ``pair_of_point``."""
    pair_of_point = np.asarray(pair_of_point, dtype=np.int64)
    d = _segment_distances(xy, pts).T  # (k, s)
    seg_order = np.argsort(d, axis=1, kind="stable")
    mid = (xy[1:] + xy[:-1]) / 2
    dm = np.hypot(mid[:, None, 0] - pts[None, :, 0], mid[:, None, 1] - pts[None, :, 1])  # (s, k)
    pt_order = np.argsort(dm, axis=1, kind="stable")
    nearest = pt_order[:, 0]
    fixed_pair = pair_of_point[nearest]
    other = np.where(pair_of_point[None, :] != fixed_pair[:, None], dm, np.inf).min(axis=1)
    margin = other - dm[np.arange(len(mid)), nearest]
    return StretchPlan(
        seg_order.astype(np.int64),
        np.take_along_axis(d, seg_order, axis=1),
        pt_order.astype(np.int64),
        np.take_along_axis(dm, pt_order, axis=1),
        margin,
        fixed_pair.astype(np.int64),
    )


def lengths(
    loc: NDArray[np.float64],
    d: NDArray[np.float64],
    pts: NDArray[np.float64],
    pts0: NDArray[np.float64],
    p: StretchPlan,
    pair_of_point: NDArray[np.intp],
    scopes: Sequence[tuple[int, ...]],
    n_pairs: int,
) -> NDArray[np.float64]:
    """:func:`full_lengths` of the line ``loc`` (n, 2) moved by ``d`` (n, 2·draws: east, then north columns).

    ``pts`` (draws, k, 2) are the moved settlements, ``pts0`` (k, 2) the unmoved ones,
    ``p`` the :func:`plan` of ``loc`` and ``pts0``.
    """
    from borderkit._uncertainty._kernels import stretch_lengths

    scope_pairs = np.zeros((len(scopes), max(n_pairs, 1)), dtype=np.bool_)
    for k, sc in enumerate(scopes):
        scope_pairs[k, list(sc)] = True
    whole = np.array([not sc for sc in scopes], dtype=np.bool_)
    return np.asarray(
        stretch_lengths(
            np.ascontiguousarray(loc, dtype=np.float64),
            np.ascontiguousarray(d) if d.dtype in (np.float32, np.float64) else d.astype(np.float64),
            np.ascontiguousarray(pts, dtype=np.float64),
            np.ascontiguousarray(pts0, dtype=np.float64),
            np.asarray(pair_of_point, dtype=np.int64),
            scope_pairs,
            whole,
            p.seg_order,
            p.seg_d0,
            p.pt_order,
            p.pt_d0,
            p.margin_m,
            p.fixed_pair,
        )
    )
