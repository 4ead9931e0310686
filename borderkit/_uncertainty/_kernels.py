"""Compiled loops of the Monte Carlo (numba): the field and the stretch, draw by draw.

Both are loops whose NumPy form costs a pass over a (draws × vertices) array per
operation: about 700 ns per vertex and draw for the stretch of the shipped case, where
these take about 10. Each is the plain algorithm its caller documents
(:class:`~borderkit._uncertainty._field.Field`, :mod:`borderkit._uncertainty._stretch`),
checked against the NumPy reference in ``tests/test_field.py`` and
``tests/test_stretch.py``. Draws run in parallel over numba's threads; compiled code is
cached on disk (``cache=True``) so only the first call in an installation compiles.
"""

from __future__ import annotations

import numba
import numpy as np
from numpy.typing import NDArray

if numba.config.THREADING_LAYER == "default":  # type: ignore[attr-defined]
    # numba's own thread pool: its OpenMP layer leaves threads spinning after each parallel
    # loop, which made the BLAS products that follow (areas, eigh) ten times slower here.
    numba.config.THREADING_LAYER = "workqueue"  # type: ignore[attr-defined]

__all__ = ["conditional_systems", "field_adjoint", "field_apply", "stretch_lengths"]

_COLS = 256  # draws per parallel task of field_apply
_ROWS = 16  # draws per parallel task of stretch_lengths


@numba.njit(cache=True, parallel=True, fastmath={"contract", "arcp"})
def field_apply(
    nbr: NDArray[np.int64], coef: NDArray[np.float64], sd: NDArray[np.float64], z: NDArray[np.float64]
) -> NDArray[np.float64]:  # pragma: no cover - compiled
    """d[i] = sd[i]·z[i] + Σ_k coef[i, k]·d[nbr[i, k]] for i in order (nbr −1 ends a row); z, d: (n, draws).

    ``d`` has the type of ``z`` (float32 for the Monte Carlo, float64 for the tests' exact checks);
    ``coef`` and ``sd`` must have it too.
    """
    n, m = nbr.shape
    cols = z.shape[1]
    d = np.empty(z.shape, dtype=z.dtype)  # float32 draws: 30 % faster, 1e-5 of the field's size
    tasks = (cols + _COLS - 1) // _COLS
    for b in numba.prange(tasks):
        r0 = b * _COLS
        w_cols = min(cols, r0 + _COLS) - r0
        acc = np.empty(w_cols, dtype=z.dtype)  # its own buffer, so the inner loop vectorises
        for i in range(n):
            s = sd[i]
            for q in range(w_cols):
                acc[q] = s * z[i, r0 + q]
            for k in range(m):
                j = nbr[i, k]
                if j < 0:
                    break
                w = coef[i, k]
                dj = d[j, r0 : r0 + w_cols]
                for q in range(w_cols):
                    acc[q] += w * dj[q]
            d[i, r0 : r0 + w_cols] = acc
    return d


@numba.njit(cache=True, fastmath={"contract"})
def _nearest(
    x: NDArray[np.float64],
    y: NDArray[np.float64],
    seg: NDArray[np.float64],
    cum: NDArray[np.float64],
    rows: NDArray[np.int64],
    d0: NDArray[np.float64],
    slack_m: float,
    qx: float,
    qy: float,
) -> float:  # pragma: no cover - compiled
    """Chainage of the point nearest (qx, qy) on the segments ``rows`` (lowest segment on ties).

    ``rows`` are in order of their unmoved distance ``d0``; a segment can be no nearer than
    ``d0 − slack_m``, so the search stops once that exceeds the best distance found.
    """
    best = np.inf
    best_s = -1
    at = 0.0
    for q in range(rows.shape[0]):
        lower = d0[q] - slack_m
        if lower > 0.0 and lower * lower > best:
            break
        s = rows[q]
        vx = x[s + 1] - x[s]
        vy = y[s + 1] - y[s]
        vv = max(vx * vx + vy * vy, 1e-12)
        wx = qx - x[s]
        wy = qy - y[s]
        t = min(max((wx * vx + wy * vy) / vv, 0.0), 1.0)
        ex = wx - t * vx
        ey = wy - t * vy
        d2 = ex * ex + ey * ey
        if d2 < best or (d2 == best and s < best_s):
            best = d2
            best_s = s
            at = cum[s] + t * seg[s]
    return at


@numba.njit(cache=True, parallel=True)
def stretch_lengths(
    loc: NDArray[np.float64],
    d: NDArray[np.float64],
    pts: NDArray[np.float64],
    pts0: NDArray[np.float64],
    pair_of_point: NDArray[np.int64],
    scope_pairs: NDArray[np.bool_],
    whole: NDArray[np.bool_],
    seg_order: NDArray[np.int64],
    seg_d0: NDArray[np.float64],
    pt_order: NDArray[np.int64],
    pt_d0: NDArray[np.float64],
    margin_m: NDArray[np.float64],
    fixed_pair: NDArray[np.int64],
) -> NDArray[np.float64]:  # pragma: no cover - compiled
    """(draws, scopes) planar length of the stretch per scope on each moved line.

    ``loc`` (n, 2) is the unmoved line, ``d`` (n, 2·draws) its displacement (east
    columns, then north), ``pts`` (draws, k, 2) the moved settlements, ``pts0`` (k, 2)
    the unmoved ones. The rest is the :class:`~borderkit._uncertainty._stretch.StretchPlan`.
    """
    n = loc.shape[0]
    draws = pts.shape[0]
    out = np.empty((draws, scope_pairs.shape[0]))
    tasks = (draws + _ROWS - 1) // _ROWS
    for b in numba.prange(tasks):
        r0 = b * _ROWS
        nr = min(draws, r0 + _ROWS) - r0
        # The block's moved vertices, read along d's rows (each vertex's draws are contiguous).
        xs = np.empty((nr, n))
        ys = np.empty((nr, n))
        move2 = np.zeros(nr)
        for i in range(n):
            for q in range(nr):
                ex = np.float64(d[i, r0 + q])
                ey = np.float64(d[i, draws + r0 + q])
                xs[q, i] = loc[i, 0] + ex
                ys[q, i] = loc[i, 1] + ey
                move2[q] = max(move2[q], ex * ex + ey * ey)
        for q in range(nr):
            _one_draw(xs[q], ys[q], np.sqrt(move2[q]), pts[r0 + q], pts0, pair_of_point, scope_pairs, whole,
                      seg_order, seg_d0, pt_order, pt_d0, margin_m, fixed_pair, out[r0 + q])  # fmt: skip
    return out


@numba.njit(cache=True, fastmath={"contract"})
def _one_draw(
    x: NDArray[np.float64],
    y: NDArray[np.float64],
    move_m: float,
    pts: NDArray[np.float64],
    pts0: NDArray[np.float64],
    pair_of_point: NDArray[np.int64],
    scope_pairs: NDArray[np.bool_],
    whole: NDArray[np.bool_],
    seg_order: NDArray[np.int64],
    seg_d0: NDArray[np.float64],
    pt_order: NDArray[np.int64],
    pt_d0: NDArray[np.float64],
    margin_m: NDArray[np.float64],
    fixed_pair: NDArray[np.int64],
    out: NDArray[np.float64],
) -> None:  # pragma: no cover - compiled
    """One draw of :func:`stretch_lengths`: the moved line ``x, y`` whose largest vertex move is
    ``move_m``, settlements ``pts`` (k, 2); fills ``out``."""
    n = x.shape[0]
    k = pts.shape[0]
    n_pairs = scope_pairs.shape[1]
    move = move_m + 1e-6  # no vertex, so no point of the line, moved further (+ rounding)
    pmove = np.empty(k)
    for j in range(k):
        ex = pts[j, 0] - pts0[j, 0]
        ey = pts[j, 1] - pts0[j, 1]
        pmove[j] = np.sqrt(ex * ex + ey * ey)
    pmax = pmove.max()
    seg = np.empty(n - 1)
    cum = np.empty(n)
    cum[0] = 0.0
    for i in range(n - 1):
        ex = x[i + 1] - x[i]
        ey = y[i + 1] - y[i]
        seg[i] = np.sqrt(ex * ex + ey * ey)
        cum[i + 1] = cum[i] + seg[i]
    lo = np.inf
    hi = -np.inf
    for j in range(k):
        a = _nearest(x, y, seg, cum, seg_order[j], seg_d0[j], move + pmove[j], pts[j, 0], pts[j, 1])
        lo = min(lo, a)
        hi = max(hi, a)
    per_pair = np.zeros(n_pairs)
    slack = 2.0 * (move + pmax)
    for s in range(n - 1):
        ov = min(cum[s + 1], hi) - max(cum[s], lo)
        if ov <= 0.0:
            continue
        p = fixed_pair[s]
        if margin_m[s] <= slack:
            # Another pair's settlement may be nearest: search them, nearest first.
            mx = (x[s + 1] + x[s]) / 2
            my = (y[s + 1] + y[s]) / 2
            best = np.inf
            jn = -1
            for q in range(k):
                j = pt_order[s, q]
                lower = pt_d0[s, q] - move - pmax  # rises with q: no later one can be nearer
                if lower > 0.0 and lower * lower > best:
                    break
                lower = pt_d0[s, q] - move - pmove[j]
                if lower > 0.0 and lower * lower > best:
                    continue
                d2 = (mx - pts[j, 0]) ** 2 + (my - pts[j, 1]) ** 2
                if d2 < best or (d2 == best and j < jn):
                    best = d2
                    jn = j
            p = pair_of_point[jn]
        per_pair[p] += ov
    for sc in range(scope_pairs.shape[0]):
        if whole[sc]:
            out[sc] = hi - lo
        else:
            v = 0.0
            for p in range(n_pairs):
                if scope_pairs[sc, p]:
                    v += per_pair[p]
            out[sc] = v


@numba.njit(cache=True)
def field_adjoint(nbr: NDArray[np.int64], coef: NDArray[np.float64], w: NDArray[np.float64]) -> NDArray[np.float64]:
    """Y with Y (I − B) = W, B the coefficients of :func:`field_apply`; w, Y: (F, n).

    The field is d = (I − B)⁻¹ S z, so W d = Y S z: the covariance of W d is (Y S)(Y S)ᵀ.
    """  # pragma: no cover - compiled
    n, m = nbr.shape
    y = w.copy()
    for i in range(n - 1, -1, -1):
        for k in range(m):
            j = nbr[i, k]
            if j < 0:
                break
            c = coef[i, k]
            for f in range(y.shape[0]):
                y[f, j] += y[f, i] * c
    return y


@numba.njit(cache=True, fastmath={"contract"})
def _matern(h: float, length_m: float, nu: float) -> float:  # pragma: no cover - compiled
    """Matérn correlation at separation h (the closed forms of `_model.matern_correlation`)."""
    x = np.sqrt(2.0 * nu) * h / length_m
    if nu == 0.5:
        return np.exp(-x)
    if nu == 1.5:
        return (1.0 + x) * np.exp(-x)
    return (1.0 + x + x * x / 3.0) * np.exp(-x)


@numba.njit(cache=True, parallel=True)
def conditional_systems(
    xy: NDArray[np.float64],
    nbr: NDArray[np.int64],
    first: int,
    sigma2: float,
    length_m: float,
    nu: float,
    jitter: float,
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:  # pragma: no cover - compiled
    """For each vertex ``first + i``, the covariance (m, m) of its conditioning set ``nbr[i]``
    (+ jitter) and their covariance (m,) with it; padding (−1) gets unit variance and no correlation."""
    n, m = nbr.shape
    c_ss = np.zeros((n, m, m))
    c_si = np.zeros((n, m))
    for i in numba.prange(n):
        v0 = first + i
        for a in range(m):
            ja = nbr[i, a]
            if ja < 0:
                c_ss[i, a, a] = 1.0
                continue
            c_si[i, a] = sigma2 * _matern(np.hypot(xy[ja, 0] - xy[v0, 0], xy[ja, 1] - xy[v0, 1]), length_m, nu)
            c_ss[i, a, a] = sigma2 + jitter
            for b in range(a):
                jb = nbr[i, b]
                if jb < 0:
                    continue
                v = sigma2 * _matern(np.hypot(xy[ja, 0] - xy[jb, 0], xy[ja, 1] - xy[jb, 1]), length_m, nu)
                c_ss[i, a, b] = v
                c_ss[i, b, a] = v
    return c_ss, c_si
