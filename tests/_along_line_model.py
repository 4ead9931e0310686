"""The along-line (1-D) error model of earlier borderkit versions, for the tests' synthetic curves.

Each vertex of a line is moved along its normal by ``e(s) = f(s) + ε(s)`` at chainage
``s``: ``f`` a stationary Gaussian field with Matérn correlation
(:class:`borderkit._uncertainty._model.ErrorModel`), ``ε`` an independent nugget.
borderkit's Monte Carlo now draws a 2-D field instead
(:mod:`borderkit._uncertainty._field`); this model stays here because it draws the
renderings of the synthetic curves the coverage test (``tests/test_uncertainty.py``)
runs the whole pipeline on, and ``tests/test_along_line_model.py`` checks it.

Generating the field
--------------------
For half-integer ``nu`` (1/2, 3/2, 5/2) the Matérn field is a Gauss–Markov process:
its value and first ``nu − 1/2`` derivatives form a state that evolves exactly as
``x(s + Δ) = A(Δ) x(s) + w``, ``w ~ N(0, Q(Δ))`` (Hartikainen and Särkkä 2010, "Kalman
filtering and smoothing solutions to temporal Gaussian process regression models").
:func:`simulate_offsets` runs that recursion along the sorted chainages, all draws at
once: exact at any spacing, O(n) per draw, no matrix over all points. Where the
requested points are denser than ``grid_m`` the field is generated on a regular grid
of ``grid_m`` and interpolated linearly, so that the work does not grow with vertex
density either. Either way the draws' statistics do not depend on the vertex spacing.

Memory: one call holds about ``draws × n × (8 + 8·d)`` bytes (``d`` = ``nu + 1/2``
state components; random numbers in float32). Callers pass chunks of draws
(:func:`chunks`, :data:`CHUNK_DRAWS`); a call asking for more than
:data:`MAX_VALUES_PER_CALL` values is refused.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np
import shapely
from numpy.typing import ArrayLike, NDArray

from borderkit._uncertainty._model import ErrorModel, _as_xy, _positive, roughness_m
from borderkit.errors import CaseError, GeometryError

#: Draws per chunk that keep a 5,000-vertex line well under 100 MB per call.
CHUNK_DRAWS = 1000
#: Largest ``draws × points`` one :func:`simulate_offsets` call accepts (about 0.5 GB of work arrays).
MAX_VALUES_PER_CALL = 20_000_000
#: Largest fraction of perturbed lines that may cross themselves for a model to be admissible.
MAX_SELF_CROSSING = 0.01


# ------------------------------------------------------------------ state-space form of the Matérn field
def _state_space(model: ErrorModel) -> tuple[NDArray[np.float64], NDArray[np.float64], float]:
    """(N, P∞, λ): F = N − λI is the feedback matrix; P∞ the stationary state covariance."""
    lam = math.sqrt(2 * model.nu) / model.length_m
    s2 = model.sigma_m**2
    if model.nu == 0.5:
        return np.zeros((1, 1)), np.array([[s2]]), lam
    if model.nu == 1.5:
        # F = [[0, 1], [−λ², −2λ]]: characteristic polynomial (s + λ)².
        f = np.array([[0.0, 1.0], [-(lam**2), -2 * lam]])
        p_inf = np.diag([s2, lam**2 * s2])
    else:
        # F companion of (s + λ)³; P∞ from the covariance's derivatives at 0: k'' = −λ²σ²/3, k'''' = λ⁴σ².
        f = np.array([[0.0, 1.0, 0.0], [0.0, 0.0, 1.0], [-(lam**3), -3 * lam**2, -3 * lam]])
        c = lam**2 * s2 / 3
        p_inf = np.array([[s2, 0.0, -c], [0.0, c, 0.0], [-c, 0.0, lam**4 * s2]])
    return f + lam * np.eye(f.shape[0]), p_inf, lam


def _transitions(
    model: ErrorModel, delta_m: NDArray[np.float64]
) -> tuple[NDArray[np.float64], NDArray[np.float64], NDArray[np.float64]]:
    """Exact transition matrices A(Δ), square roots of the innovation covariances Q(Δ), and √P∞."""
    nil, p_inf, lam = _state_space(model)
    d = p_inf.shape[0]
    # expm(FΔ) = e^{−λΔ} · Σ_k (NΔ)^k / k!, exact because N is nilpotent of order d.
    a = np.zeros((delta_m.size, d, d))
    term = np.broadcast_to(np.eye(d), a.shape).copy()
    for k in range(d):
        a += term
        term = term @ nil * (delta_m[:, None, None] / (k + 1))
    a *= np.exp(-lam * delta_m)[:, None, None]
    q = p_inf - a @ p_inf @ np.swapaxes(a, 1, 2)
    q = 0.5 * (q + np.swapaxes(q, 1, 2))
    w, v = np.linalg.eigh(q)
    sqrt_q = v * np.sqrt(np.clip(w, 0.0, None))[:, None, :]
    wi, vi = np.linalg.eigh(p_inf)
    sqrt_p = vi * np.sqrt(np.clip(wi, 0.0, None))[None, :]
    return a, sqrt_q, sqrt_p


def _field(s_m: NDArray[np.float64], model: ErrorModel, draws: int, rng: np.random.Generator) -> NDArray[np.float32]:
    """The smooth field at sorted chainages ``s_m``: (n, draws) float32, by the exact recursion."""
    n = s_m.size
    a, sqrt_q, sqrt_p = _transitions(model, np.diff(s_m))
    d = sqrt_p.shape[0]
    z = rng.standard_normal((n, d, draws), dtype=np.float32)
    out = np.empty((n, draws), dtype=np.float32)
    x = sqrt_p.astype(np.float32) @ z[0]
    out[0] = x[0]
    if n > 1:
        # float32 throughout: the recursion contracts, so rounding stays near 1e-7 of σ.
        w = np.matmul(sqrt_q.astype(np.float32), z[1:])
        a32 = a.astype(np.float32)
        for i in range(n - 1):
            x = a32[i] @ x
            x += w[i]
            out[i + 1] = x[0]
    return out


def chunks(draws: int, chunk: int = CHUNK_DRAWS) -> Iterator[int]:
    """Sizes of successive chunks of ``draws``, each at most ``chunk``.

    Examples
    --------
    >>> list(chunks(2500, 1000))
    [1000, 1000, 500]
    """
    if not (isinstance(draws, int | np.integer) and draws >= 0):
        msg = f"draws={draws!r}: expected a whole number ≥ 0"
        raise CaseError(msg)
    done = 0
    while done < draws:
        size = min(chunk, draws - done)
        done += size
        yield size


def simulate_offsets(
    chainage_m: ArrayLike, model: ErrorModel, draws: int, rng: np.random.Generator
) -> NDArray[np.float32]:
    """Draws of the perpendicular displacement ``e(s)`` at the given chainages.

    Parameters
    ----------
    chainage_m
        (n,) distances along the line, metres, in any order (repeated values get the same
        smooth displacement and independent nuggets).
    model
        The error model.
    draws
        Number of draws in this call: pass chunks (:func:`chunks`); ``draws × n`` above
        :data:`MAX_VALUES_PER_CALL` is refused.
    rng
        Source of randomness; each call advances it.

    Returns
    -------
    ndarray
        (draws, n) float32 displacements in metres, positive to the left of the line
        (a Fortran-ordered view: elementwise work on it runs at full speed; float32 keeps
        1e-7 of σ, far below any Monte Carlo error).

    Examples
    --------
    >>> rng = np.random.default_rng(1)
    >>> e = simulate_offsets(np.arange(0.0, 5000.0, 100.0), ErrorModel(50.0, 500.0), 2000, rng)
    >>> e.shape
    (2000, 50)
    >>> bool(45 < e.std() < 55)
    True
    """
    s = np.asarray(chainage_m, dtype=float)
    if s.ndim != 1 or s.size == 0 or not np.isfinite(s).all():
        msg = f"chainage_m: expected a non-empty 1-D array of finite metres, got shape {s.shape}"
        raise GeometryError(msg)
    if not (isinstance(draws, int | np.integer) and draws >= 1):
        msg = f"draws={draws!r}: expected a whole number ≥ 1"
        raise CaseError(msg)
    if draws * s.size > MAX_VALUES_PER_CALL:
        msg = (
            f"draws={draws!r} × {s.size} points = {draws * s.size:,} values exceeds "
            f"{MAX_VALUES_PER_CALL:,} in one call: pass chunks of draws (borderkit._uncertainty._model.chunks)"
        )
        raise CaseError(msg)
    order = np.argsort(s, kind="stable")
    ss = s[order]
    # Built as (n, draws) so that each step of the recursion writes one contiguous row.
    field = np.zeros((s.size, draws), dtype=np.float32)
    if model.sigma_m > 0:
        spacing = np.diff(ss)
        if spacing.size and float(np.median(spacing)) < model.grid_m:
            n_grid = math.ceil((ss[-1] - ss[0]) / model.grid_m) + 1
            grid = ss[0] + model.grid_m * np.arange(n_grid)
            f = _field(grid, model, draws, rng)
            if n_grid == 1:
                sorted_field = f[np.zeros(ss.size, dtype=int)]
            else:
                j = np.clip(np.searchsorted(grid, ss, side="right") - 1, 0, n_grid - 2)
                t = ((ss - grid[j]) / model.grid_m).astype(np.float32)[:, None]
                sorted_field = f[j] * (1 - t) + f[j + 1] * t
        else:
            sorted_field = _field(ss, model, draws, rng)
        field[order] = sorted_field
    if model.nugget_m > 0:
        nug = rng.standard_normal((s.size, draws), dtype=np.float32)
        nug *= np.float32(model.nugget_m)
        field += nug
    return field.T


def chainage_of(xy_m: ArrayLike) -> NDArray[np.float64]:
    """Planar distance along the line of each vertex, from the first, metres."""
    xy = _as_xy(xy_m)
    return np.concatenate([[0.0], np.cumsum(np.hypot(*np.diff(xy, axis=0).T))])


def vertex_normals(xy_m: ArrayLike, *, normal_scale_m: float | None = None) -> NDArray[np.float64]:
    """(n, 2) unit normals to the LEFT of the line at each vertex.

    By default the normalised sum of the unit left normals of the two adjacent
    segments; an end vertex uses its one segment. Zero-length segments are skipped;
    where the two normals cancel (the line doubles back) the incoming segment's normal
    is used.

    With ``normal_scale_m = w`` the normal is perpendicular to the chord from the point
    ``w`` metres back along the line to the point ``w`` ahead (clamped at the ends): the
    line's direction at the scale ``w``. Moving a wiggly line along its vertex normals
    draws swallowtail loops on the inside of every corner sharper than the displacement
    allows (on the Tavush line 40 % of draws cross themselves already at σ = 10 m); along
    normals at the scale of the correlation length, neighbouring vertices move together.

    Examples
    --------
    >>> (vertex_normals([(0, 0), (1, 0), (1, 1)]).round(4) + 0.0).tolist()
    [[0.0, 1.0], [-0.7071, 0.7071], [-1.0, 0.0]]
    """
    xy = _as_xy(xy_m)
    seg = np.diff(xy, axis=0)
    ln = np.hypot(seg[:, 0], seg[:, 1])
    if normal_scale_m is not None:
        _positive("normal_scale_m", normal_scale_m)
        s = np.concatenate([[0.0], np.cumsum(ln)])
        line = shapely.linestrings(xy)
        back = shapely.get_coordinates(shapely.line_interpolate_point(line, np.clip(s - normal_scale_m, 0, s[-1])))
        ahead = shapely.get_coordinates(shapely.line_interpolate_point(line, np.clip(s + normal_scale_m, 0, s[-1])))
        chord = ahead - back
        cn = np.hypot(chord[:, 0], chord[:, 1])
        fallback = vertex_normals(xy)
        with np.errstate(invalid="ignore", divide="ignore"):
            nrm = np.column_stack([-chord[:, 1], chord[:, 0]]) / cn[:, None]
        return np.asarray(np.where(cn[:, None] > 1e-9, nrm, fallback), dtype=float)
    if not (ln > 0).any():
        msg = f"xy_m: all {xy.shape[0]} vertices coincide; a line needs at least two distinct vertices"
        raise GeometryError(msg)
    with np.errstate(invalid="ignore", divide="ignore"):
        nseg = np.where(ln[:, None] > 0, np.column_stack([-seg[:, 1], seg[:, 0]]) / ln[:, None], 0.0)
    # Carry the last non-degenerate segment normal forward (and the first one backward).
    idx = np.where(ln > 0, np.arange(ln.size), -1)
    idx = np.maximum.accumulate(idx)
    first = int(np.flatnonzero(ln > 0)[0])
    idx[idx < 0] = first
    carried = nseg[idx]
    incoming = np.vstack([carried[:1], carried])
    outgoing = np.vstack([carried, carried[-1:]])
    total = incoming + outgoing
    norm = np.hypot(total[:, 0], total[:, 1])
    bad = norm < 1e-9
    total[bad] = incoming[bad]
    norm[bad] = 1.0
    return np.asarray(total / norm[:, None], dtype=float)


def perturb(xy_m: ArrayLike, offsets: ArrayLike, *, normal_scale_m: float | None = None) -> NDArray[np.float64]:
    """Move every vertex along its unit left normal by its offset.

    Along-line components are not modelled: they slide a vertex along the line (and
    only lengthen it) without moving it. Normals: :func:`vertex_normals`.

    Parameters
    ----------
    xy_m
        (n, 2) planar vertices, metres.
    offsets
        (draws, n) perpendicular displacements, metres (positive: to the left).

    Returns
    -------
    ndarray
        (draws, n, 2) perturbed vertices.

    Examples
    --------
    >>> perturb([(0, 0), (10, 0)], [[1.0, -2.0]]).tolist()
    [[[0.0, 1.0], [10.0, -2.0]]]
    """
    xy = _as_xy(xy_m)
    off = np.atleast_2d(np.asarray(offsets, dtype=float))
    if off.shape[-1] != xy.shape[0]:
        msg = f"offsets: expected shape (draws, {xy.shape[0]}) for {xy.shape[0]} vertices, got {off.shape}"
        raise GeometryError(msg)
    nrm = vertex_normals(xy, normal_scale_m=normal_scale_m)
    out = np.empty((*off.shape, 2))
    # One component at a time: fast whatever the memory order of ``offsets``.
    for k in range(2):
        np.multiply(off, nrm[:, k], out=out[..., k])
        out[..., k] += xy[:, k]
    return out


def perturbed_lengths_m(
    xy_m: ArrayLike, offsets: ArrayLike, *, chunk: int = CHUNK_DRAWS, normal_scale_m: float | None = None
) -> NDArray[np.float64]:
    """Planar length of the line after each draw's perpendicular displacement, metres.

    Works through ``offsets`` ``chunk`` rows at a time, so its temporaries never exceed a
    few ``chunk × n`` arrays.

    Examples
    --------
    A 10 m segment whose far end moves 5 m to the left: √(10² + 5²) = 11.1803 m.

    >>> f"{perturbed_lengths_m([(0, 0), (10, 0)], [[0.0, 5.0]])[0]:.4f}"
    '11.1803'
    """
    xy = _as_xy(xy_m)
    off = np.atleast_2d(np.asarray(offsets))
    if off.ndim != 2 or off.shape[1] != xy.shape[0]:
        msg = f"offsets: expected shape (draws, {xy.shape[0]}) for {xy.shape[0]} vertices, got {off.shape}"
        raise GeometryError(msg)
    nrm = vertex_normals(xy, normal_scale_m=normal_scale_m)
    # Segment vectors in float32 (1e-7 of a segment), their lengths summed in float64.
    dx0, dy0 = np.diff(xy[:, 0]).astype(np.float32), np.diff(xy[:, 1]).astype(np.float32)
    nx, ny = nrm[:, 0].astype(np.float32), nrm[:, 1].astype(np.float32)
    out = np.empty(off.shape[0])
    for start in range(0, off.shape[0], chunk):
        o = off[start : start + chunk].astype(np.float32, copy=False)
        hi, lo = o[:, 1:], o[:, :-1]
        dx = hi * nx[1:]
        dx -= lo * nx[:-1]
        dx += dx0
        dy = hi * ny[1:]
        dy -= lo * ny[:-1]
        dy += dy0
        out[start : start + chunk] = np.hypot(dx, dy).sum(axis=1, dtype=np.float64)
    return out


@dataclass(frozen=True)
class Admissibility:
    """Whether an error model is compatible with the line it is applied to."""

    ok: bool
    reason: str
    roughness_line_m: float
    #: Median over draws of the simulated error's roughness at the line's own vertices.
    roughness_model_m: float
    roughness_model_min_m: float
    self_crossing_fraction: float
    line_is_simple: bool
    draws: int
    max_self_crossing: float


def _field_roughness(chainage_m: NDArray[np.float64], offsets: NDArray[np.float64]) -> NDArray[np.float64]:
    """Per-draw RMS deviation of each interior offset from the chord (in chainage) of its neighbours."""
    s = chainage_m
    span = s[2:] - s[:-2]
    with np.errstate(invalid="ignore", divide="ignore"):
        w = np.where(span > 0, (s[2:] - s[1:-1]) / span, 0.5)
    chord = offsets[:, :-2] * w + offsets[:, 2:] * (1 - w)
    return np.asarray(np.sqrt(np.mean((offsets[:, 1:-1] - chord) ** 2, axis=1)), dtype=float)


def admissibility(
    line_xy_m: ArrayLike,
    model: ErrorModel,
    *,
    draws: int = 200,
    rng: np.random.Generator,
    max_self_crossing: float = MAX_SELF_CROSSING,
    normal_scale_m: float | None = None,
) -> Admissibility:
    """Refuse an error model the line itself contradicts.

    Two tests, on ``draws`` draws of the model at the line's own vertices:

    (a) roughness: the median over draws of the simulated error's vertex-to-chord
        roughness (the RMS over interior vertices of ``e_i`` minus the chord of its
        neighbours ``e_{i−1}``, ``e_{i+1}`` interpolated at ``s_i``) must not exceed the
        line's own :func:`roughness_m`. A rendering is the true line plus its error;
        if the error alone were rougher than the rendering, the rendering would be
        rougher too.
    (b) self-crossing: at most ``max_self_crossing`` of the perturbed lines may fail
        :func:`shapely.is_simple` (tested only when the line itself is simple). A border
        does not cross itself; a model that makes it do so moves vertices independently
        by more than their spacing. ``normal_scale_m`` as in :func:`vertex_normals`.

    Examples
    --------
    >>> x = np.arange(0.0, 20000.0, 200.0)
    >>> line = np.column_stack([x, 300 * np.sin(x / 900)])
    >>> a = admissibility(line, ErrorModel(0.0, 1.0, nugget_m=80.0), rng=np.random.default_rng(0))
    >>> a.ok
    False
    """
    xy = _as_xy(line_xy_m, "line_xy_m")
    s = chainage_of(xy)
    rough_line = roughness_m(xy)
    offs = simulate_offsets(s, model, draws, rng)
    rough = _field_roughness(s, offs.astype(float))
    rough_med = float(np.median(rough))
    simple = bool(shapely.is_simple(shapely.linestrings(xy)))
    crossing = (
        float(np.mean(~shapely.is_simple(shapely.linestrings(perturb(xy, offs, normal_scale_m=normal_scale_m)))))
        if simple
        else math.nan
    )
    reasons = []
    if rough_med > rough_line:
        reasons.append(
            f"its error alone is rougher than the line ({rough_med:.1f} m vertex-to-chord, median of {draws} "
            f"draws, against the line's {rough_line:.1f} m): the rendering would have to be rougher still"
        )
    if simple and crossing > max_self_crossing:
        reasons.append(
            f"{crossing:.0%} of {draws} perturbed lines cross themselves (at most {max_self_crossing:.0%} "
            f"allowed; the line itself does not)"
        )
    ok = not reasons
    if ok:
        reason = f"admissible: error roughness {rough_med:.1f} m ≤ line's {rough_line:.1f} m; " + (
            f"{crossing:.1%} of draws cross themselves" if simple else "line not simple, crossing not tested"
        )
    else:
        reason = "model refused: " + "; ".join(reasons)
    return Admissibility(
        ok=ok,
        reason=reason,
        roughness_line_m=rough_line,
        roughness_model_m=rough_med,
        roughness_model_min_m=float(rough.min()),
        self_crossing_fraction=crossing,
        line_is_simple=simple,
        draws=draws,
        max_self_crossing=max_self_crossing,
    )


def locate_m(line_xy_m: ArrayLike, pts_xy_m: ArrayLike) -> NDArray[np.float64]:
    """Chainage (planar metres along the line) of the nearest point of the line to each point.

    ``pts_xy_m`` has shape (..., 2); the result has shape (...). Distances in the plane
    of the line's coordinates (metres), never in degrees.

    Examples
    --------
    >>> locate_m([(0, 0), (100, 0), (100, 100)], [[50, 5], [120, 60]]).tolist()
    [50.0, 160.0]
    """
    xy = _as_xy(line_xy_m, "line_xy_m")
    pts = np.asarray(pts_xy_m, dtype=float)
    if pts.shape[-1] != 2:
        msg = f"pts_xy_m: expected shape (..., 2), got {pts.shape}"
        raise GeometryError(msg)
    flat = pts.reshape(-1, 2)
    s = shapely.line_locate_point(shapely.linestrings(xy), shapely.points(flat))
    return np.asarray(s, dtype=float).reshape(pts.shape[:-1])
