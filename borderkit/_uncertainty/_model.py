"""The positional error model of a rendered line, and the Monte Carlo draws built on it.

A public rendering of a border differs from the true line by a displacement that is
smooth along the line (digitising and generalisation move whole stretches, not single
vertices: between two renderings of the Tavush line the offsets of neighbouring stations
25 m apart correlate at 0.99). :class:`ErrorModel` describes one rendering's error as

    e(s) = f(s) + ε(s)

at chainage ``s`` along the line, perpendicular to it, where ``f`` is a stationary
Gaussian field with standard deviation ``sigma_m`` and Matérn correlation of length
``length_m`` and smoothness ``nu`` (:func:`matern_correlation`), and ``ε`` an
independent Gaussian "nugget" of standard deviation ``nugget_m`` at each point.
Displacements along the line are not modelled: they slide a vertex along the line
without moving it.

From the difference of two renderings to one rendering's error
---------------------------------------------------------------
:func:`fit` sees only differences ``d = e_B − e_A`` between renderings. It assumes the
two errors are **independent and equally distributed**: then ``var(d) = 2σ²`` and the
correlation of ``d`` is that of ``e``, so ``σ = σ_d/√2``, ``nugget = nugget_d/√2``
and ``ℓ`` is the same. Both the difference's and the single rendering's figures are
kept. If the renderings share errors (one traced from the other) σ is underestimated;
if one is much coarser than the other, the finer one's error is overestimated.

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
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import Literal

import numpy as np
import pandas as pd
import shapely
from numpy.typing import ArrayLike, NDArray

from borderkit._compare import LineComparison
from borderkit.errors import CaseError, GeometryError

__all__ = [
    "CHUNK_DRAWS",
    "MAX_VALUES_PER_CALL",
    "Admissibility",
    "Calibration",
    "ComparisonFit",
    "ErrorModel",
    "Rounding",
    "admissibility",
    "chainage_of",
    "chunks",
    "draw_points",
    "fit",
    "locate_m",
    "matern_correlation",
    "metres_per_degree",
    "perturb",
    "perturbed_lengths_m",
    "roughness_m",
    "simulate_offsets",
    "vertex_normals",
]

#: Draws per chunk that keep a 5,000-vertex line well under 100 MB per call.
CHUNK_DRAWS = 1000
#: Largest ``draws × points`` one :func:`simulate_offsets` call accepts (about 0.5 GB of work arrays).
MAX_VALUES_PER_CALL = 20_000_000
#: Largest fraction of perturbed lines that may cross themselves for a model to be admissible.
MAX_SELF_CROSSING = 0.01

NU_VALUES = (0.5, 1.5, 2.5)
Rounding = Literal["arc-minute", "arc-second"]
_HALF_CELL_DEG = {"arc-minute": 0.5 / 60.0, "arc-second": 0.5 / 3600.0}
_WGS84_A = 6_378_137.0
_WGS84_E2 = 6.694379990141317e-3  # first eccentricity squared, f = 1/298.257223563


def _positive(name: str, value: float, *, zero_ok: bool = False) -> float:
    ok = isinstance(value, int | float) and math.isfinite(value) and (value >= 0 if zero_ok else value > 0)
    if not ok:
        msg = f"{name}={value!r}: expected a finite number {'≥ 0' if zero_ok else '> 0'} (metres)"
        raise CaseError(msg)
    return float(value)


@dataclass(frozen=True)
class ErrorModel:
    """One rendering's perpendicular positional error: a smooth Matérn field plus a nugget.

    Parameters
    ----------
    sigma_m
        Standard deviation of the smooth perpendicular displacement, metres.
    length_m
        Correlation length ℓ of :func:`matern_correlation`, metres.
    nu
        Matérn smoothness: 0.5 (rough, exponential), 1.5 or 2.5 (smooth).
    nugget_m
        Standard deviation of an independent displacement at each point, metres.
    grid_m
        Along-line step of the regular grid the field is generated on where the points
        asked for are denser than it (20–50 m is plenty for ℓ of hundreds of metres).
    basis
        Where the figures come from: "calibrated from <A> vs <B>" or "set in case.toml".

    Examples
    --------
    >>> ErrorModel(sigma_m=80.0, length_m=500.0)
    ErrorModel(sigma_m=80.0, length_m=500.0, nu=1.5, nugget_m=0.0, grid_m=25.0, basis='set in case.toml')
    """

    sigma_m: float
    length_m: float
    nu: float = 1.5
    nugget_m: float = 0.0
    grid_m: float = 25.0
    basis: str = field(default="set in case.toml")

    def __post_init__(self) -> None:
        _positive("sigma_m", self.sigma_m, zero_ok=True)
        _positive("length_m", self.length_m)
        _positive("nugget_m", self.nugget_m, zero_ok=True)
        _positive("grid_m", self.grid_m)
        if self.nu not in NU_VALUES:
            msg = f"nu={self.nu!r}: the Matérn smoothness must be one of {NU_VALUES} (1.5 is the usual choice)"
            raise CaseError(msg)


def matern_correlation(h_m: ArrayLike, length_m: float, nu: float) -> NDArray[np.float64]:
    """Matérn correlation at separations ``h_m`` (metres), in closed form for ν = 1/2, 3/2, 5/2.

    The parametrisation of Rasmussen and Williams (2006, eq. 4.17), with ``x = √(2ν)·|h|/ℓ``:

    - ν = 1/2: ``ρ(h) = exp(−|h|/ℓ)``
    - ν = 3/2: ``ρ(h) = (1 + √3·|h|/ℓ) · exp(−√3·|h|/ℓ)``
    - ν = 5/2: ``ρ(h) = (1 + √5·|h|/ℓ + 5h²/(3ℓ²)) · exp(−√5·|h|/ℓ)``

    Examples
    --------
    At h = ℓ/√3 for ν = 3/2: x = 1, ρ = 2/e = 0.7358.

    >>> f"{float(matern_correlation(100 / 3**0.5, 100.0, 1.5)):.4f}"
    '0.7358'
    """
    _positive("length_m", length_m)
    if nu not in NU_VALUES:
        msg = f"nu={nu!r}: the Matérn smoothness must be one of {NU_VALUES}"
        raise CaseError(msg)
    x = math.sqrt(2 * nu) * np.abs(np.asarray(h_m, dtype=float)) / length_m
    if nu == 0.5:
        poly = np.ones_like(x)
    elif nu == 1.5:
        poly = 1 + x
    else:
        poly = 1 + x + x * x / 3
    return np.asarray(poly * np.exp(-x), dtype=float)


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


# ------------------------------------------------------------------ moving a line by the field
def _as_xy(xy_m: ArrayLike, name: str = "xy_m") -> NDArray[np.float64]:
    xy = np.asarray(xy_m, dtype=float)
    if xy.ndim != 2 or xy.shape[1] != 2 or xy.shape[0] < 2 or not np.isfinite(xy).all():
        msg = f"{name}: expected an (n, 2) array of finite planar metres with n ≥ 2, got shape {xy.shape}"
        raise GeometryError(msg)
    return xy


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


# ------------------------------------------------------------------ calibration from renderings
@dataclass(frozen=True)
class ComparisonFit:
    """Matérn semivariogram fitted to the offsets of one comparison (or to several pooled).

    ``*_d_m`` describe the DIFFERENCE of the two renderings; ``sigma_m`` and ``nugget_m``
    one rendering's error under the assumption of independent, equal errors (÷√2).
    """

    name: str
    stations: int
    sigma_d_m: float
    nugget_d_m: float
    length_m: float
    nu: float
    sigma_m: float
    nugget_m: float
    mean_offset_m: float
    #: Root of the weighted mean squared misfit relative to the fitted semivariogram (dimensionless).
    relative_misfit: float


@dataclass(frozen=True, repr=False)
class Calibration:
    """An :class:`ErrorModel` fitted to comparisons of renderings, with each comparison's fit."""

    model: ErrorModel
    pooled: ComparisonFit
    fits: tuple[ComparisonFit, ...]
    assumption: str

    def __repr__(self) -> str:
        m = self.model
        return (
            f"<Calibration σ {m.sigma_m:.0f} m, ℓ {m.length_m:.0f} m, ν {m.nu}, nugget {m.nugget_m:.1f} m "
            f"from {len(self.fits)} comparison(s)>"
        )

    def to_frame(self) -> pd.DataFrame:
        """One row per comparison, then the pooled fit the model uses."""
        rows = [*self.fits, self.pooled] if len(self.fits) > 1 else list(self.fits)
        return pd.DataFrame([f.__dict__ for f in rows])


_ASSUMPTION = (
    "the two renderings' errors are independent and equally distributed: var(d) = 2σ², "
    "so one rendering's σ = σ_d/√2 (nugget likewise) and ℓ is that of the difference"
)


def _fit_semivariogram(
    lag_m: NDArray[np.float64], gamma: NDArray[np.float64], pairs: NDArray[np.float64], nu: float
) -> tuple[float, float, float, float]:
    """(sill σ_d², nugget τ_d², ℓ, misfit) of γ(h) = τ² + σ²(1 − ρ(h)) by Cressie's weighted least squares.

    ℓ by a grid search (log-spaced), the two linear coefficients by non-negative least
    squares at each ℓ; weights N(h)/γ_model(h)², iterated from N(h)/γ_emp(h)².
    """
    ok = (lag_m > 0) & np.isfinite(gamma) & (pairs > 0) & (gamma > 0)
    h, g, npairs = lag_m[ok], gamma[ok], pairs[ok].astype(float)
    if h.size < 3:
        msg = f"semivariogram has {h.size} usable lags; need at least 3 (longer common stretch or smaller step_m)"
        raise GeometryError(msg)
    lengths = np.geomspace(h[0] / 4, h[-1] * 4, 400)
    basis = 1 - matern_correlation(h[None, :] / lengths[:, None], 1.0, nu)  # (L, H)
    weights = npairs / g**2
    best: tuple[float, float, float, float] = (0.0, 0.0, float(lengths[0]), math.inf)
    for _ in range(4):
        # Weighted normal equations of g ≈ τ² + σ²·basis, solved for every ℓ at once.
        w = weights[None, :]
        a11, a12, a22 = float(weights.sum()), (w * basis).sum(axis=1), (w * basis**2).sum(axis=1)
        b1, b2 = float((weights * g).sum()), (w * basis * g).sum(axis=1)
        det = a11 * a22 - a12**2
        with np.errstate(invalid="ignore", divide="ignore"):
            nug = (a22 * b1 - a12 * b2) / det
            sill = (a11 * b2 - a12 * b1) / det
            sill_only = b2 / a22
        neg = ~(nug >= 0)  # no negative nugget (nor a singular system): refit the sill alone
        nug = np.where(neg, 0.0, nug)
        sill = np.where(neg, sill_only, sill)
        sse = np.sum(w * (nug[:, None] + sill[:, None] * basis - g[None, :]) ** 2, axis=1)
        sse = np.where(np.isfinite(sse) & (sill >= 0), sse, np.inf)
        i = int(np.argmin(sse))
        best = (float(sill[i]), float(nug[i]), float(lengths[i]), float(sse[i]))
        model_g = best[1] + best[0] * basis[i]
        weights = npairs / np.maximum(model_g, 1e-12 * float(g.max())) ** 2
    sill, nug, ell, _ = best
    model_g = nug + sill * (1 - matern_correlation(h, ell, nu))
    misfit = float(np.sqrt(np.sum(npairs * ((g - model_g) / model_g) ** 2) / np.sum(npairs)))
    return sill, nug, ell, misfit


def _comparison_fit(
    name: str, stations: int, mean_m: float, fitted: tuple[float, float, float, float], nu: float
) -> ComparisonFit:
    sill, nug, ell, misfit = fitted
    sd, nd = math.sqrt(sill), math.sqrt(nug)
    return ComparisonFit(name, stations, sd, nd, ell, nu, sd / math.sqrt(2), nd / math.sqrt(2), mean_m, misfit)


def fit(comparisons: Sequence[LineComparison], *, nu: float = 1.5, grid_m: float = 25.0) -> Calibration:
    """Fit σ, ℓ and the nugget of one rendering's error to offsets between renderings.

    Each comparison's empirical semivariogram (:class:`~borderkit._compare.LineComparison`)
    is fitted by ``γ_d(h) = τ_d² + σ_d²·(1 − ρ(h; ℓ, ν))`` for h > 0 (Cressie's weighted
    least squares, ℓ by grid search). The model uses the fit to all semivariograms
    pooled (weighted by pair counts), turned into one rendering's error under the
    assumption stated in the module docstring: σ = σ_d/√2, nugget = τ_d/√2.

    Parameters
    ----------
    comparisons
        One or more comparisons made with the same ``step_m``.
    nu
        Matérn smoothness of the fitted model (0.5, 1.5 or 2.5).
    grid_m
        ``grid_m`` of the returned model.

    Returns
    -------
    Calibration

    Examples
    --------
    >>> from shapely import LineString
    >>> from borderkit._compare import compare_lines
    >>> a = LineString([(10 + 0.0001 * i, 0.05 * np.sin(i / 30)) for i in range(300)])
    >>> b = LineString([(10 + 0.0001 * i, 0.05 * np.sin(i / 30) + 0.002 * np.sin(i / 7)) for i in range(300)])
    >>> cal = fit([compare_lines(a, b, step_m=10.0)])
    >>> cal.model.basis
    'calibrated from A vs B'
    """
    comps = list(comparisons)
    if not comps:
        msg = "comparisons: expected at least one LineComparison, got none"
        raise CaseError(msg)
    steps = {c.step_m for c in comps}
    if len(steps) > 1:
        msg = f"comparisons were made with different step_m {sorted(steps)!r}: compare all with the same step"
        raise CaseError(msg)
    if nu not in NU_VALUES:
        msg = f"nu={nu!r}: the Matérn smoothness must be one of {NU_VALUES}"
        raise CaseError(msg)
    fits = []
    for c in comps:
        f = _fit_semivariogram(c.semivariogram_lag_m, c.semivariogram_m2, c.semivariogram_pairs.astype(float), nu)
        fits.append(_comparison_fit(f"{c.name_a} vs {c.name_b}", c.chainage_m.size, c.mean_offset_m, f, nu))
    if len(comps) == 1:
        pooled = fits[0]
    else:
        n_lag = min(c.semivariogram_lag_m.size for c in comps)
        pairs = np.sum([c.semivariogram_pairs[:n_lag] for c in comps], axis=0).astype(float)
        gsum = np.sum(
            [np.nan_to_num(c.semivariogram_m2[:n_lag]) * c.semivariogram_pairs[:n_lag] for c in comps], axis=0
        )
        with np.errstate(invalid="ignore", divide="ignore"):
            gamma = np.where(pairs > 0, gsum / pairs, np.nan)
        f = _fit_semivariogram(comps[0].semivariogram_lag_m[:n_lag], gamma, pairs, nu)
        stations = sum(c.chainage_m.size for c in comps)
        mean = float(np.sum([c.mean_offset_m * c.chainage_m.size for c in comps]) / stations)
        pooled = _comparison_fit("pooled", stations, mean, f, nu)
    names = ", ".join(f"{c.name_a} vs {c.name_b}" for c in comps)
    model = ErrorModel(
        sigma_m=pooled.sigma_m,
        length_m=pooled.length_m,
        nu=nu,
        nugget_m=pooled.nugget_m,
        grid_m=grid_m,
        basis=f"calibrated from {names}",
    )
    return Calibration(model=model, pooled=pooled, fits=tuple(fits), assumption=_ASSUMPTION)


# ------------------------------------------------------------------ admissibility
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


def roughness_m(xy_m: ArrayLike) -> float:
    """Vertex-to-chord roughness of a line: RMS distance of each interior vertex from its neighbours' chord.

    For every interior vertex ``i`` the planar distance from ``p_i`` to the segment
    ``p_{i−1} p_{i+1}``; the root mean square over all interior vertices, metres.

    Examples
    --------
    A zig-zag of 1 m teeth at 2 m spacing: every interior vertex lies 1 m from its chord.

    >>> f"{roughness_m([(0, 0), (1, 1), (2, 0), (3, 1), (4, 0)]):.3f}"
    '1.000'
    """
    xy = _as_xy(xy_m)
    if xy.shape[0] < 3:
        return 0.0
    chords = shapely.linestrings(np.stack([xy[:-2], xy[2:]], axis=1))
    d = shapely.distance(shapely.points(xy[1:-1]), chords)
    return float(np.sqrt(np.mean(d**2)))


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


# ------------------------------------------------------------------ points
def metres_per_degree(lat_deg: ArrayLike) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """(east, north) metres per degree of longitude and latitude on WGS 84 at ``lat_deg``.

    North: the meridian radius of curvature M = a(1 − e²)/(1 − e² sin²φ)^{3/2}; east: the
    radius of the parallel N·cos φ, N = a/√(1 − e² sin²φ); both × π/180.

    Examples
    --------
    At the equator a degree of longitude is 2πa/360 = 111 319.491 m and one of latitude
    a(1 − e²)·π/180 = 6 335 439.327 m × 0.0174532925 = 110 574.28 m.

    >>> e, n = metres_per_degree(0.0)
    >>> f"{float(e):.3f} {float(n):.2f}"
    '111319.491 110574.28'
    """
    phi = np.radians(np.asarray(lat_deg, dtype=float))
    w2 = 1 - _WGS84_E2 * np.sin(phi) ** 2
    north = np.pi / 180 * _WGS84_A * (1 - _WGS84_E2) / w2**1.5
    east = np.pi / 180 * _WGS84_A * np.cos(phi) / np.sqrt(w2)
    return east, north


def draw_points(
    lonlat: ArrayLike,
    rounding: Sequence[Rounding | None],
    accuracy_m: ArrayLike,
    draws: int,
    rng: np.random.Generator,
) -> NDArray[np.float64]:
    """Draws of published point positions: uniform over the rounding cell, plus placement.

    Parameters
    ----------
    lonlat
        (k, 2) published lon/lat, degrees.
    rounding
        For each point "arc-minute", "arc-second" or None. A value published to the
        arc-minute is drawn UNIFORMLY over ±0.5′ of latitude and of longitude around it
        (the arc-second likewise, ±0.5″): the rounding error is not Gaussian.
    accuracy_m
        (k,) standard deviation per axis, metres, of a Gaussian part added to each
        draw. For rounded values it is the placement part only (where in the village
        the point was put), NOT the rounding; for unrounded values it is the whole
        error. Converted to degrees with the local metres per degree
        (:func:`metres_per_degree`).
    draws
        Number of draws.
    rng
        Source of randomness.

    Returns
    -------
    ndarray
        (draws, k, 2) lon/lat, degrees.

    Examples
    --------
    >>> p = draw_points([[45.0, 41.0]], ["arc-minute"], [0.0], 1000, np.random.default_rng(0))
    >>> bool((np.abs(p - [45.0, 41.0]) <= 0.5 / 60).all())
    True
    """
    pts = np.asarray(lonlat, dtype=float)
    if pts.ndim != 2 or pts.shape[1] != 2 or not np.isfinite(pts).all():
        msg = f"lonlat: expected a (k, 2) array of finite lon/lat degrees, got shape {pts.shape}"
        raise GeometryError(msg)
    k = pts.shape[0]
    acc = np.broadcast_to(np.asarray(accuracy_m, dtype=float), (k,))
    if not (np.isfinite(acc).all() and (acc >= 0).all()):
        msg = f"accuracy_m={acc.tolist()!r}: expected k finite metres ≥ 0"
        raise CaseError(msg)
    rounding = list(rounding)
    if len(rounding) != k:
        msg = f"rounding: expected {k} entries (one per point), got {len(rounding)}"
        raise CaseError(msg)
    half = np.zeros(k)
    for i, r in enumerate(rounding):
        if r is not None and r not in _HALF_CELL_DEG:
            msg = f"rounding[{i}]={r!r}: expected 'arc-minute', 'arc-second' or None"
            raise CaseError(msg)
        half[i] = 0.0 if r is None else _HALF_CELL_DEG[r]
    if not (isinstance(draws, int | np.integer) and draws >= 1):
        msg = f"draws={draws!r}: expected a whole number ≥ 1"
        raise CaseError(msg)
    east, north = metres_per_degree(pts[:, 1])
    out = np.broadcast_to(pts, (draws, k, 2)).copy()
    out += rng.uniform(-1.0, 1.0, (draws, k, 2)) * half[None, :, None]
    sd_deg = np.column_stack([acc / east, acc / north])
    out += rng.standard_normal((draws, k, 2)) * sd_deg[None]
    return out


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
