"""The positional error model of a rendered line: its parameters, their fit, and the checks.

A public rendering of a border differs from the true line by a displacement that is
smooth along the line (digitising and generalisation move whole stretches, not single
vertices: between two renderings of the Tavush line the offsets of neighbouring stations
25 m apart correlate at 0.99). :class:`ErrorModel` holds its parameters: a stationary
Gaussian field with standard deviation ``sigma_m`` and Matérn correlation of length
``length_m`` and smoothness ``nu`` (:func:`matern_correlation`), plus an independent
Gaussian "nugget" of standard deviation ``nugget_m`` at each point. The Monte Carlo
draws it as a 2-D displacement field at a line's vertices
(:mod:`borderkit._uncertainty._field`).

From the difference of two renderings to one rendering's error
---------------------------------------------------------------
:func:`fit` sees only differences ``d = e_B − e_A`` between renderings. It assumes the
two errors are **independent and equally distributed**: then ``var(d) = 2σ²`` and the
correlation of ``d`` is that of ``e``, so ``σ = σ_d/√2``, ``nugget = nugget_d/√2``
and ``ℓ`` is the same. Both the difference's and the single rendering's figures are
kept. If the renderings share errors (one traced from the other) σ is underestimated;
if one is much coarser than the other, the finer one's error is overestimated.

Also here: a line's own vertex-to-chord roughness (:func:`roughness_m`, the yardstick of
the admissibility check), and draws of published points over their rounding cells
(:func:`draw_points`).

The along-line (1-D) model of earlier versions, which moved each vertex along its normal,
is kept only to make the renderings of the tests' synthetic curves
(``tests/_along_line_model.py``).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Literal

import numpy as np
import pandas as pd
import shapely
from numpy.typing import ArrayLike, NDArray

from borderkit._compare import LineComparison
from borderkit.errors import CaseError, GeometryError

__all__ = [
    "Calibration",
    "ComparisonFit",
    "ErrorModel",
    "Rounding",
    "draw_points",
    "fit",
    "matern_correlation",
    "metres_per_degree",
    "roughness_m",
]

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


# ------------------------------------------------------------------ moving a line by the field
def _as_xy(xy_m: ArrayLike, name: str = "xy_m") -> NDArray[np.float64]:
    xy = np.asarray(xy_m, dtype=float)
    if xy.ndim != 2 or xy.shape[1] != 2 or xy.shape[0] < 2 or not np.isfinite(xy).all():
        msg = f"{name}: expected an (n, 2) array of finite planar metres with n ≥ 2, got shape {xy.shape}"
        raise GeometryError(msg)
    return xy


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


# ------------------------------------------------------------------ roughness
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
