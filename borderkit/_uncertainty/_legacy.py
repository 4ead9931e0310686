"""How sure is each verdict: error budget, Monte Carlo intervals and sensitivity.

:func:`uncertainty` propagates every source of doubt borderkit can put a number on
through the measurement of a case, draw by draw, and turns each length or area claim
into a statistical verdict. It answers three questions an analyst asks of a verdict:
how sure is it, which input decides it, and what do the claims themselves imply.

Sources
-------
Random (propagated by Monte Carlo; each can be switched off with ``exclude``):

``new_line``
    Every vertex of the new line (and of its alternative rendering) moves by a 2-D
    normal error with standard deviation ``accuracy_m`` of its layer on each axis
    (east, north). Independent per vertex, or, with ``correlation_length_m = ℓ``,
    correlated along the line with an exponential covariance
    ``σ² · exp(−Δs / ℓ)`` (Δs: distance along the line), since digitising errors are.
    When the lengths come from turning points, it is the turning points that move (σ =
    the ``accuracy_m`` of their layer), joined by the layer's ``line_type``; the
    rendered new line still moves for the areas, which are measured between it and the
    old line.
``old_line``
    The same for the line held before (areas only).
``settlements``
    Each pair settlement moves by its own accuracy (``accuracy_m_by_name``). This moves
    the ends of the pair-span proxy and the attribution of segments to pairs.
``datum``
    Each layer shifts as a whole by a 2-D normal error with σ = ``spread_m / 2`` per
    axis, ``spread_m`` being the spread of the candidate datum operations.
``rendering``
    Which public rendering of the new line is right is unknown: each draw uses
    ``new_line`` or ``new_line_alt`` with equal probability. Not for lengths measured
    from turning points (the renderings play no part in them).

Systematic or on the reported side (in the budget, not in the draws):

``line_type``
    The effect of joining the vertices by rhumb lines instead of geodesics (or the
    reverse, when the case declares rhumb lines).
``extent``
    The case's extent (a box the analyst chose) cuts faces and, for a line clipped to
    it, the measured line: each such quantity is measured again with the extent grown
    and shrunk by ``extent_margin_m``. An analytical choice, not a random error: shown
    beside the interval, never in it.
``rounding``
    Half a unit of the last digit of the reported value ("12.7 km" = ±0.05 km).

Claims with no measured value (a scope with no segment, no areas, no line) are
``not computable``, count and impact claims ``not propagated``: neither gets an
interval nor a ``z``. Every ``to_dict`` is strict JSON (no NaN, no infinity).

Method
------
Lengths: each segment's geodesic length is scaled by the ratio of its perturbed to
its unperturbed length in the local UTM plane. UTM is conformal, so the ratio is
exact to first order in the displacement; the neglected term is below 1e-6 of the
length for displacements under 1 km (tested against :meth:`pyproj.Geod.inv`). The
pair-span ends are the feet of the perturbed settlements on the measured line, found
as :func:`borderkit.measure` finds them (planar in degrees).

Areas: the area change of each handed-over face is the flux of the boundary
displacement through its boundary, ``δA = ∮ e·n ds``: exact to first order, linear
in the vertex errors, so one matrix product covers all draws. A face whose area
changes sign has changed direction (a lobe between two crossings that the lines now
cross the other way round). Faces keep their attribution to pairs. New lobes, born
where the lines pass within a few σ of each other without crossing, are not
modelled. The planar area change is scaled to the ellipsoid by the face's ratio of
geodesic to planar area.

Intervals are for the true value, not for the perturbed lines: vertex noise makes a
polyline longer (each zig-zag adds about σ²/spacing), so a perturbed draw is longer
than the measured line by about as much as the measured line is longer than the
true one. With ``bias`` = median of the draws − measured value (per rendering), every
draw is shifted by ``−2·bias`` and clipped at 0 (a bias-corrected percentile
interval: it keeps the draws' shape, unlike the reflected "basic" interval, which
turns the long tail of a span end that may jump along the line into negative
lengths). The interval is the 2.5 % and 97.5 % quantiles of the shifted draws and σ
their robust standard deviation (1.4826 × median absolute deviation).

Statistical verdicts
--------------------
The reported value with its rounding interval ``[v − p, v + p]`` is compared with the
95 % interval ``[lo, hi]``:

- ``inconsistent`` when the two do not overlap; ``z`` is the distance from the
  median to the nearest end of the rounding interval in robust σ (positive when the
  measurement is larger than the claim);
- ``undetermined`` when they overlap but the interval's half-width exceeds
  :data:`UNDETERMINED_HALF_WIDTH` (50 %) of the reported value: the data would also
  agree with a figure half as large or half as large again, so agreement says little;
- ``consistent`` otherwise (``z`` is 0).

Sensitivity: every source is switched off in turn and the draws rerun with the same
seed (common random numbers, so differences are the source's, not the sampling's),
and every source is run alone, on the first :data:`SENSITIVITY_DRAWS` draws (compared
with the full model on the same draws); the variance share is each source's alone variance
over the sum of them (additive only when the effects are, a first-order reading).
"""

from __future__ import annotations

import functools
import math
import os
import re
import sys
import time
from collections.abc import Collection
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
import shapely
from numpy.typing import ArrayLike, NDArray
from pyproj import Transformer

from borderkit.case import Case, Claim
from borderkit.errors import GeometryError
from borderkit.geodesy import GEOD, local_projected_crs
from borderkit._measure import Measurements, measure

__all__ = [
    "LEVEL",
    "SENSITIVITY_DRAWS",
    "SOURCES",
    "UNDETERMINED_HALF_WIDTH",
    "ClaimInterval",
    "ErrorBudget",
    "ExtentEffect",
    "InverseReading",
    "Sensitivity",
    "UncertaintyResult",
    "correlated_noise",
    "interval_from_draws",
    "uncertainty",
]

#: Sources propagated by Monte Carlo, in the order their random numbers are drawn.
SOURCES: tuple[str, ...] = ("new_line", "old_line", "settlements", "datum", "rendering")
#: Draws (the first of the main run's) behind the budget's effects and the sensitivity.
SENSITIVITY_DRAWS = 2000
#: Coverage of the reported intervals.
LEVEL = 0.95
#: A claim inside an interval whose half-width exceeds this share of the reported
#: value is ``undetermined``, not ``consistent``.
UNDETERMINED_HALF_WIDTH = 0.5

#: How the budget describes the extent row.
EXTENT_KIND = "an analytical choice, not a random error: not in the Monte Carlo interval"

CONSISTENT = "consistent"
INCONSISTENT = "inconsistent"
UNDETERMINED = "undetermined"
NOT_PROPAGATED = "not propagated"
NOT_COMPUTABLE = "not computable"

_MAD_TO_SIGMA = 1.482602218505602
_CHUNK = 2048
_A = GEOD.a
_E2 = GEOD.es


# ====================================================================== results
@dataclass(frozen=True)
class ClaimInterval:
    """One claim with the 95 % interval of its measured value.

    Values are in the claim's unit. ``bias`` is the median of the raw draws minus
    the measured value (what the perturbation itself adds; the interval is corrected for it).
    """

    claim_id: str
    quantity: str
    unit: str
    reported: float
    precision: float
    measured: float | None
    lo: float | None
    median: float | None
    hi: float | None
    sigma: float | None
    bias: float | None
    verdict: str
    z: float | None
    reason: str

    def __repr__(self) -> str:
        if self.median is None:
            return f"<ClaimInterval {self.claim_id}: {self.verdict}>"
        return (f"<ClaimInterval {self.claim_id}: {self.median:.3g} [{self.lo:.3g}, {self.hi:.3g}] "
                f"{self.unit} vs {self.reported:g}: {self.verdict}>")

    @property
    def interval(self) -> tuple[float, float, float] | None:
        """``(lo, median, hi)`` in the claim's unit, or ``None`` when not propagated."""
        if self.lo is None or self.median is None or self.hi is None:
            return None
        return (self.lo, self.median, self.hi)

    def to_dict(self) -> dict[str, Any]:
        """JSON form."""
        return {"claim": self.claim_id, "unit": self.unit, "reported": self.reported,
                "precision": self.precision, "measured": _r(self.measured), "lo": _r(self.lo),
                "median": _r(self.median), "hi": _r(self.hi), "sigma": _r(self.sigma),
                "bias": _r(self.bias), "level": LEVEL, "verdict": self.verdict,
                "z": _r(self.z, 2), "reason": self.reason}


@dataclass(frozen=True)
class ErrorBudget:
    """Each source of doubt: its size and its effect on each measured quantity.

    ``effects[source][claim_id]`` is, in the claim's unit, the half-width of the 95 %
    interval that the source alone gives (random sources), the shift it causes
    (``line_type``), half the range between the extent grown and shrunk (``extent``,
    not in the interval) or the half-unit of the wording (``rounding``).
    """

    sources: tuple[str, ...]
    sizes: dict[str, str]
    kinds: dict[str, str]
    effects: dict[str, dict[str, float | None]]
    units: dict[str, str]

    def __repr__(self) -> str:
        return f"<ErrorBudget: {len(self.sources)} sources x {len(self.units)} claims>"

    def to_frame(self) -> pd.DataFrame:
        """One row per source: ``size``, ``kind``, then one column per claim, ``"<id> [unit]"``."""
        rows = []
        for s in self.sources:
            row: dict[str, Any] = {"source": s, "size": self.sizes[s], "kind": self.kinds[s]}
            for cid, unit in self.units.items():
                row[f"{cid} [{unit}]"] = self.effects[s].get(cid)
            rows.append(row)
        return pd.DataFrame(rows).set_index("source")

    def to_dict(self) -> dict[str, Any]:
        """JSON form."""
        return {"sources": [{"source": s, "size": self.sizes[s], "kind": self.kinds[s],
                             "effect": {c: _r(v) for c, v in self.effects[s].items()}}
                            for s in self.sources],
                "units": dict(self.units)}


@dataclass(frozen=True)
class Sensitivity:
    """Which source moves each result most (one at a time, same seed).

    ``rows``: one mapping per (claim, source) with ``half_width`` (all sources),
    ``half_width_without`` (this source off), ``reduction`` (how much narrower the
    interval gets without it), ``variance_share`` (its alone variance over the sum),
    ``median_without`` and ``verdict_without``.
    """

    rows: tuple[dict[str, Any], ...]

    def __repr__(self) -> str:
        top = {r["claim"]: r["source"] for r in sorted(self.rows, key=lambda r: -(r["reduction"] or 0))[::-1]}
        text = ", ".join(f"{c}: {s}" for c, s in sorted(top.items()))
        return f"<Sensitivity: largest source per claim: {text}>"

    def decisive(self) -> dict[str, str]:
        """For each claim, the source whose removal narrows its interval most."""
        best: dict[str, tuple[float, str]] = {}
        for r in self.rows:
            red = r["reduction"] or 0.0
            if r["claim"] not in best or red > best[r["claim"]][0]:
                best[r["claim"]] = (red, r["source"])
        return {c: s for c, (_, s) in best.items()}

    def to_frame(self) -> pd.DataFrame:
        """One row per claim and source, largest reduction first within each claim."""
        cols = ["claim", "source", "unit", "half_width", "half_width_without", "reduction",
                "variance_share", "median_without", "verdict", "verdict_without"]
        frame = pd.DataFrame(list(self.rows), columns=cols)
        if frame.empty:
            return frame.set_index(["claim", "source"])
        frame = frame.sort_values(["claim", "reduction"], ascending=[True, False], kind="stable")
        return frame.set_index(["claim", "source"])

    def to_dict(self) -> list[dict[str, Any]]:
        """JSON form."""
        return [{k: (_r(v) if isinstance(v, float) else v) for k, v in r.items()} for r in self.rows]


@dataclass(frozen=True)
class InverseReading:
    """What the claims imply, beside what the measurements give.

    ``claimed`` follows from the reported figures alone; ``measured`` from the
    measurements, with its 95 % interval ``lo``–``hi`` where the draws give one.
    """

    name: str
    unit: str
    claimed: float
    claimed_text: str
    measured: float | None
    lo: float | None
    hi: float | None
    note: str = ""
    #: The measured side in words, with its unit (fixed-point), or why there is none.
    measured_text: str = ""

    def __repr__(self) -> str:
        m = "n/a" if self.measured is None else _sig(self.measured)
        return f"<InverseReading {self.name}: claimed {_sig(self.claimed)} {self.unit}, measured {m}>"

    @property
    def text(self) -> str:
        """One line: what the claims imply; what the measurements give."""
        return f"{self.claimed_text}; measured {self.measured_text or 'n/a'}"

    def to_dict(self) -> dict[str, Any]:
        """JSON form."""
        return {"name": self.name, "unit": self.unit, "claimed": _r(self.claimed),
                "claimed_text": self.claimed_text, "measured": _r(self.measured),
                "measured_text": self.measured_text, "lo": _r(self.lo), "hi": _r(self.hi),
                "note": self.note}


@dataclass(frozen=True)
class ExtentEffect:
    """How a claim's measured value moves with the case's analysis extent.

    The extent (a box the case authors chose) cuts faces and, without turning points or
    settlements, the measured line. It is an analytical choice, not a random error, so
    it is not in the Monte Carlo interval: the extent grown and shrunk by ``margin_m``
    gives ``grown`` and ``shrunk`` (claim's unit); ``half_range`` is half their
    difference. ``None`` where the quantity does not depend on the extent.
    """

    claim_id: str
    unit: str
    margin_m: float
    measured: float | None
    grown: float | None
    shrunk: float | None
    reason: str = ""

    @property
    def half_range(self) -> float | None:
        """Half the difference between the grown and the shrunk extent, in the claim's unit."""
        if self.grown is None or self.shrunk is None:
            return None
        return abs(self.grown - self.shrunk) / 2

    def __repr__(self) -> str:
        if self.half_range is None:
            return f"<ExtentEffect {self.claim_id}: independent of the extent>"
        return (f"<ExtentEffect {self.claim_id}: ±{self.margin_m:g} m extent gives {_sig(self.shrunk)}–"
                f"{_sig(self.grown)} {self.unit} (±{_sig(self.half_range)})>")

    def to_dict(self) -> dict[str, Any]:
        """JSON form."""
        return {"claim": self.claim_id, "unit": self.unit, "margin_m": self.margin_m,
                "measured": _r(self.measured), "grown": _r(self.grown), "shrunk": _r(self.shrunk),
                "half_range": _r(self.half_range), "reason": self.reason}


@dataclass(frozen=True, eq=False)
class UncertaintyResult:
    """What :func:`uncertainty` returns."""

    case_id: str
    draws: int
    seed: int
    correlation_length_m: float | None
    intervals: tuple[ClaimInterval, ...]
    budget: ErrorBudget = field(repr=False)
    sensitivity: Sensitivity = field(repr=False)
    inverse: tuple[InverseReading, ...] = field(repr=False)
    excluded: tuple[str, ...] = ()
    notes: tuple[str, ...] = field(default=(), repr=False)
    elapsed_s: float = field(default=0.0, repr=False)
    #: Each length and area claim re-measured with the case extent grown and shrunk by
    #: ``extent_margin_m``: an analytical choice, not in the Monte Carlo interval.
    extent: tuple[ExtentEffect, ...] = field(default=(), repr=False)
    extent_margin_m: float = field(default=0.0, repr=False)

    def __repr__(self) -> str:
        counts = pd.Series([i.verdict for i in self.intervals], dtype=object).value_counts().to_dict()
        text = ", ".join(f"{n} {k}" for k, n in counts.items())
        corr = "independent" if self.correlation_length_m is None else f"ℓ={self.correlation_length_m:g} m"
        return f"<UncertaintyResult {self.case_id!r}: {self.draws} draws, seed {self.seed}, {corr}: {text}>"

    def interval(self, claim_id: str) -> ClaimInterval:
        """The interval of one claim."""
        for i in self.intervals:
            if i.claim_id == claim_id:
                return i
        msg = f"no claim {claim_id!r} in this result; claims: {[i.claim_id for i in self.intervals]}"
        raise KeyError(msg)

    def to_frame(self) -> pd.DataFrame:
        """One row per claim: reported ± rounding, measured, lo, median, hi, σ, bias, verdict, z."""
        rows = [{"claim": i.claim_id, "unit": i.unit, "reported": i.reported, "±": i.precision,
                 "measured": i.measured, "lo": i.lo, "median": i.median, "hi": i.hi,
                 "sigma": i.sigma, "bias": i.bias, "verdict": i.verdict, "z": i.z}
                for i in self.intervals]
        return pd.DataFrame(rows).set_index("claim")

    def inverse_frame(self) -> pd.DataFrame:
        """The inverse readings as a table."""
        return pd.DataFrame([r.to_dict() for r in self.inverse]).set_index("name")

    def extent_effect(self, claim_id: str) -> ExtentEffect | None:
        """The extent sensitivity of one claim, or ``None`` when it was not computed."""
        return next((e for e in self.extent if e.claim_id == claim_id), None)

    def extent_frame(self) -> pd.DataFrame:
        """One row per claim: measured, with the extent grown and shrunk, and the half-range."""
        cols = ["claim", "unit", "margin_m", "measured", "grown", "shrunk", "half_range", "reason"]
        frame = pd.DataFrame([e.to_dict() for e in self.extent], columns=cols)
        return frame.set_index("claim")

    def to_dict(self) -> dict[str, Any]:
        """JSON form: settings, intervals, budget, sensitivity, inverse readings, notes."""
        return {"draws": self.draws, "seed": self.seed, "level": LEVEL,
                "correlation_length_m": self.correlation_length_m,
                "excluded": list(self.excluded),
                "undetermined_half_width": UNDETERMINED_HALF_WIDTH,
                "intervals": [i.to_dict() for i in self.intervals],
                "budget": self.budget.to_dict(), "sensitivity": self.sensitivity.to_dict(),
                "inverse": [r.to_dict() for r in self.inverse], "notes": list(self.notes),
                "extent": {"margin_m": self.extent_margin_m, "kind": EXTENT_KIND,
                           "effects": [e.to_dict() for e in self.extent]}}


def _sig(v: float | None, sig: int = 3) -> str:
    """Fixed-point text, never an exponent: whole numbers from 10^(sig−1) up, else ``sig`` digits.

    >>> _sig(17823.4), _sig(9.9512), _sig(0.51234), _sig(-0.0999999), _sig(0.0)
    ('17823', '9.95', '0.512', '-0.100', '0')
    """
    if v is None or not math.isfinite(v):
        return "n/a"
    r = float(f"{v:.{sig}g}")
    if r == 0 or abs(r) >= 10 ** (sig - 1):
        return f"{v:.0f}"
    return f"{r:.{max(sig - 1 - math.floor(math.log10(abs(r))), 0)}f}"


def _num(v: float) -> str:
    """A reported figure as written: fixed-point, no trailing zeros (``12.6``, ``12600``, ``0.05``)."""
    text = f"{round(v, 6):.6f}".rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


def _r(v: float | None, nd: int = 4) -> float | None:
    """Rounded for JSON; ``None`` for a missing, NaN or infinite value (strict JSON has neither)."""
    if v is None or not math.isfinite(float(v)):
        return None
    return round(float(v), nd)


# ====================================================================== building blocks
def correlated_noise(
    along_m: ArrayLike,
    draws: int,
    rng: np.random.Generator,
    *,
    correlation_length_m: float | None = None,
    dims: int = 2,
    dtype: type[np.floating[Any]] = np.float64,
) -> NDArray[np.floating[Any]]:
    """Unit-variance errors for vertices at ``along_m``, shape ``(draws, n, dims)``.

    Independent per vertex when ``correlation_length_m`` is ``None``; otherwise an
    exponential covariance ``exp(−|s_i − s_j| / ℓ)``, drawn exactly as the Markov
    (Ornstein–Uhlenbeck) process it is: ``e_k = ρ_k e_{k−1} + √(1 − ρ_k²) z_k``
    with ``ρ_k = exp(−(s_k − s_{k−1}) / ℓ)``. ``along_m`` must not decrease.

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> e = correlated_noise([0, 10, 20], 20_000, rng, correlation_length_m=10)
    >>> f"{np.corrcoef(e[:, 0, 0], e[:, 1, 0])[0, 1]:.2f}"    # exp(-1) = 0.37
    '0.37'
    """
    s = np.asarray(along_m, dtype=float)
    if s.ndim != 1 or (s.size > 1 and np.any(np.diff(s) < 0)):
        msg = f"along_m must be a 1-D non-decreasing array of metres, got shape {s.shape}"
        raise GeometryError(msg)
    z = rng.standard_normal((draws, s.size, dims), dtype=dtype)
    if correlation_length_m is None or s.size < 2:
        return z
    if not correlation_length_m > 0:
        msg = f"correlation_length_m={correlation_length_m!r}: give metres > 0, or None for independent errors"
        raise GeometryError(msg)
    rho = np.exp(-np.diff(s) / correlation_length_m).astype(dtype)
    scale = np.sqrt(1.0 - rho**2).astype(dtype)
    for k in range(1, s.size):
        z[:, k] = rho[k - 1] * z[:, k - 1] + scale[k - 1] * z[:, k]
    return z


def interval_from_draws(
    measured: float, draws: ArrayLike, *, level: float = LEVEL
) -> tuple[float, float, float, float, float]:
    """``(lo, median, hi, sigma, bias)`` of the true value from perturbed draws.

    ``bias`` is the median of the draws minus ``measured``: what the perturbation
    itself adds. The draws are shifted by ``−2·bias`` (bias-corrected percentile
    interval, see the module docstring) and clipped at 0; ``sigma`` is 1.4826 × the
    median absolute deviation of the shifted draws.

    Examples
    --------
    >>> lo, med, hi, sigma, bias = interval_from_draws(10.0, [11.0, 12.0, 13.0])
    >>> (lo, med, hi, bias)
    (7.05, 8.0, 8.95, 2.0)
    """
    x = np.asarray(draws, dtype=float)
    bias = float(np.median(x)) - measured
    y = np.clip(x - 2.0 * bias, 0.0, None)
    a = (1.0 - level) / 2.0
    lo, med, hi = (float(v) for v in np.quantile(y, [a, 0.5, 1.0 - a]))
    return lo, med, hi, _robust_sigma(y, med, lo, hi, level), bias


def _robust_sigma(y: NDArray[np.float64], med: float, lo: float, hi: float, level: float) -> float:
    mad = float(np.median(np.abs(y - med)))
    if mad > 0:
        return _MAD_TO_SIGMA * mad
    # Less than half the draws vary (a two-point mixture, say): fall back to the interval.
    zq = _normal_quantile(0.5 + level / 2.0)
    return (hi - lo) / (2.0 * zq)


def _normal_quantile(p: float) -> float:
    # Acklam's rational approximation is overkill here; bisection on erf is exact enough.
    lo, hi = -10.0, 10.0
    for _ in range(80):
        mid = 0.5 * (lo + hi)
        if 0.5 * (1 + math.erf(mid / math.sqrt(2))) < p:
            lo = mid
        else:
            hi = mid
    return 0.5 * (lo + hi)


def _judge(claim: Claim, lo: float, med: float, hi: float, sigma: float) -> tuple[str, float | None, str]:
    """Statistical verdict, z and reason; values in SI.

    ``z`` is ``None`` when the interval has zero width (nothing was random): the claim is
    then outside by a definite amount, not by a number of σ.
    """
    v, p = claim.value_si, claim.precision_si
    scale, u = claim.scale, claim.unit
    span = f"{med / scale:.3g} [{lo / scale:.3g}, {hi / scale:.3g}] {u}"
    if hi < v - p or lo > v + p:
        nearest = v - p if med < v - p else v + p
        if not sigma > 0:
            return INCONSISTENT, None, (f"reported {claim.value:g} ± {claim.precision:g} {u} lies outside the "
                                        f"{LEVEL:.0%} interval {span}, which has zero width (no random error "
                                        "reaches this quantity)")
        z = (med - nearest) / sigma
        return INCONSISTENT, z, (f"reported {claim.value:g} ± {claim.precision:g} {u} lies outside the "
                                 f"{LEVEL:.0%} interval {span}, {abs(z):.1f} σ from its median")
    half = (hi - lo) / 2.0
    if half > UNDETERMINED_HALF_WIDTH * abs(v):
        return UNDETERMINED, 0.0, (f"reported {claim.value:g} {u} is inside the {LEVEL:.0%} interval {span}, "
                                   f"but its half-width ±{half / scale:.2g} {u} exceeds "
                                   f"{UNDETERMINED_HALF_WIDTH:.0%} of the reported value: too wide to decide")
    return CONSISTENT, 0.0, (f"reported {claim.value:g} ± {claim.precision:g} {u} overlaps the "
                             f"{LEVEL:.0%} interval {span}")


# ====================================================================== geometry helpers
def _m_per_deg(lat: NDArray[np.float64]) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Metres per degree of longitude and latitude on WGS 84 at ``lat``."""
    phi = np.radians(lat)
    w = np.sqrt(1.0 - _E2 * np.sin(phi) ** 2)
    n = _A / w
    m = _A * (1.0 - _E2) / w**3
    return n * np.cos(phi) * math.pi / 180.0, m * math.pi / 180.0


def _rhumb_lengths_m(a: NDArray[np.float64], b: NDArray[np.float64]) -> NDArray[np.float64]:
    """Rhumb-line lengths between rows of ``a`` and ``b`` (lon, lat degrees)."""
    try:
        from borderkit.linetype import rhumb_length_m
    except ImportError:
        return _rhumb_lengths_fallback(a, b)
    return np.array([rhumb_length_m(x0, y0, x1, y1) for (x0, y0), (x1, y1) in zip(a, b, strict=True)])


def _isometric_lat(phi: NDArray[np.float64]) -> NDArray[np.float64]:
    e = math.sqrt(_E2)
    s = np.sin(phi)
    return np.asarray(np.arctanh(s) - e * np.arctanh(e * s))


def _rhumb_lengths_fallback(a: NDArray[np.float64], b: NDArray[np.float64]) -> NDArray[np.float64]:
    # Loxodrome on the ellipsoid: s = ΔM / cos α, tan α = Δλ·(dM/dψ) / ΔM; the meridian
    # arc ΔM by 16-point Gauss–Legendre quadrature of M'(φ) = a(1−e²)/(1−e² sin²φ)^1.5.
    phi1, phi2 = np.radians(a[:, 1]), np.radians(b[:, 1])
    dlam = np.radians(b[:, 0] - a[:, 0])
    xg, wg = np.polynomial.legendre.leggauss(16)
    mid, half = (phi1 + phi2) / 2, (phi2 - phi1) / 2
    phis = mid[:, None] + half[:, None] * xg[None, :]
    dm = half * np.sum(wg * _A * (1 - _E2) / (1 - _E2 * np.sin(phis) ** 2) ** 1.5, axis=1)
    dpsi = _isometric_lat(phi2) - _isometric_lat(phi1)
    flat = np.abs(dpsi) < 1e-12
    ratio = np.where(flat, _A * np.cos(mid) / np.sqrt(1 - _E2 * np.sin(mid) ** 2),
                     dm / np.where(flat, 1.0, dpsi))
    return np.asarray(np.hypot(dm, dlam * ratio))


def _rhumb_edge_area_m2(a: NDArray[np.float64], b: NDArray[np.float64], n: int = 6) -> float:
    """How much a ring with the edge ``a → b`` gains when the edge is a rhumb line, not a geodesic.

    The signed area (pyproj: positive counter-clockwise) of the sliver between the two
    paths, traversed along the rhumb line and back along the geodesic, with its sign
    flipped: a rhumb line bulging to the right of ``a → b`` enlarges a counter-clockwise
    ring.
    """
    try:
        from borderkit.linetype import densify
    except ImportError:
        lon, lat = _rhumb_points_fallback(a, b, n)
    else:
        length = float(GEOD.inv(a[0], a[1], b[0], b[1])[2])
        lon, lat = densify([a[0], b[0]], [a[1], b[1]], line_type="rhumb", max_segment_m=max(length / (n + 1), 1e-3))
    area, _ = GEOD.polygon_area_perimeter(lon, lat)
    return -float(area)


def _rhumb_points_fallback(a: NDArray[np.float64], b: NDArray[np.float64], n: int
                           ) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    # Along a rhumb line the longitude is linear in the isometric latitude ψ.
    e = math.sqrt(_E2)
    t = np.linspace(0.0, 1.0, n + 2)
    psi0, psi1 = _isometric_lat(np.radians(np.array([a[1], b[1]])))
    if abs(psi1 - psi0) < 1e-15:
        return a[0] + t * (b[0] - a[0]), np.full(t.shape, a[1])
    psi = psi0 + t * (psi1 - psi0)
    phi = 2 * np.arctan(np.exp(psi)) - math.pi / 2
    for _ in range(10):  # invert ψ(φ) by fixed-point iteration
        sp = np.sin(phi)
        phi = 2 * np.arctan(np.exp(psi) * ((1 + e * sp) / (1 - e * sp)) ** (e / 2)) - math.pi / 2
    return a[0] + (psi - psi0) / (psi1 - psi0) * (b[0] - a[0]), np.degrees(phi)


# ====================================================================== the model
@dataclass
class _LineModel:
    """Length model of one rendering: vertices, segments, span rule."""

    layer: str
    start: int                      # index of the first vertex in the layer's noise array
    xy_m: NDArray[np.float64]       # (V, 2) UTM
    seg_len: NDArray[np.float64]    # (V-1,) geodesic (or rhumb) length; 0 across breaks
    seg_plan: NDArray[np.float64]   # (V-1,) UTM length
    seg_ok: NDArray[np.bool_]       # (V-1,) False across a break between pieces
    group: NDArray[np.object_]      # (V-1,) pair id from the line's own grouping, or ""
    span: bool                      # True: pair-span proxy, ends follow the settlements
    rhumb_shift: NDArray[np.float64]  # (V-1,) other line type minus used, per segment
    a0: float = 0.0                 # span start, segment-index units (local)
    b0: float = 0.0


@dataclass
class _AreaModel:
    layer: str
    start_new: int
    start_old: int
    w_new: NDArray[np.float64]      # (F, Vn, 2) flux weights (planar m² per m)
    w_old: NDArray[np.float64]      # (F, Vo, 2)
    area_geo: NDArray[np.float64]   # (F,)
    geo_per_plan: NDArray[np.float64]
    to_country: NDArray[np.object_]
    pairs: list[set[str]]
    rhumb_shift: NDArray[np.float64]  # (F,) rhumb-edge area minus geodesic-edge area


@dataclass
class _Rendering:
    role: str
    measurements: Measurements
    length: _LineModel | None
    area: _AreaModel | None
    # (settlements on, datum on) -> (D, S) feet of the settlements; and their zero-noise feet.
    span_params: dict[tuple[bool, bool], NDArray[np.float64]] = field(default_factory=dict)
    codes: dict[tuple[bool, bool], NDArray[np.int8]] = field(default_factory=dict)


@dataclass
class _Prep:
    case: Case
    measurements: Measurements
    utm: Any
    renderings: list[_Rendering]
    claims: list[Claim]
    skipped: dict[str, str]
    set_ll: NDArray[np.float64]      # (S, 2) lon/lat of pair settlements with coordinates
    set_m: NDArray[np.float64]       # (S, 2) UTM
    set_sigma: NDArray[np.float64]   # (S,)
    set_pair: NDArray[np.object_]
    set_mpd: tuple[NDArray[np.float64], NDArray[np.float64]]
    pair_ids: list[str]
    sigma: dict[str, float]          # per noisy layer role: vertex σ in metres
    spread: dict[str, float]         # per layer role: datum spread in metres
    ranges: dict[str, tuple[int, int, NDArray[np.float64]]] = field(default_factory=dict)
    xhat: dict[tuple[int, str], float | None] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    #: Lengths come from turning points: their own σ and datum, no rendering draw.
    turning_points: bool = False
    #: Per quantity ("length", "area"): whether draws pick new_line or new_line_alt.
    rendering_for: dict[str, bool] = field(default_factory=dict)
    #: Length and area claims with no measured value, and why (not propagated).
    not_computable: dict[str, str] = field(default_factory=dict)

    def length_role(self, r: _Rendering) -> str:
        """The layer whose vertex σ and datum move the measured line of ``r``."""
        ln = r.length
        return "turning_points" if self.turning_points and ln is not None and not ln.span else r.role


def _line_vertices(case: Case, role: str) -> NDArray[np.float64]:
    lay = case.layer(role)
    assert lay is not None
    return shapely.get_coordinates(lay.union())


def _known(m: Measurements) -> pd.DataFrame:
    s = m.settlements
    return s[s.geometry.notna() & (s["pair"] != "")]


def _prepare(case: Case, m: Measurements) -> _Prep:
    centre = shapely.union_all(m.segments.geometry.to_numpy()).centroid if len(m.segments) else None
    if centre is None or centre.is_empty:
        ext = case.layer("extent") or case.layer("new_line")
        centre = ext.union().centroid if ext is not None else shapely.Point(0, 0)
    utm = local_projected_crs(centre.x, centre.y)
    tr = Transformer.from_crs("EPSG:4326", utm, always_xy=True)

    def to_m(xy: NDArray[np.float64]) -> NDArray[np.float64]:
        x, y = tr.transform(xy[:, 0], xy[:, 1])
        return np.column_stack([x, y])

    known = _known(m)
    set_ll = shapely.get_coordinates(known.geometry.to_numpy()) if len(known) else np.zeros((0, 2))
    set_lay = case.layer("settlements")
    claims, skipped = [], {}
    for c in case.claims:
        if c.quantity not in ("length", "area") or c.subject is not None:
            skipped[c.id] = f"{c.quantity} of {c.subject}" if c.subject else c.quantity
        else:
            claims.append(c)
    prep = _Prep(
        case=case, measurements=m, utm=utm, renderings=[], claims=claims, skipped=skipped,
        set_ll=set_ll, set_m=to_m(set_ll) if len(set_ll) else np.zeros((0, 2)),
        set_sigma=known["accuracy_m"].to_numpy(dtype=float) if len(known) else np.zeros(0),
        set_pair=known["pair"].to_numpy(dtype=object) if len(known) else np.zeros(0, dtype=object),
        pair_ids=[p.id for p in case.pairs],
        set_mpd=_m_per_deg(set_ll[:, 1]) if len(set_ll) else (np.zeros(0), np.zeros(0)),
        sigma={r: (lay.accuracy_m if (lay := case.layer(r)) is not None else 0.0)
               for r in ("new_line", "new_line_alt", "old_line", "turning_points")},
        spread={lay.role: lay.transformation.spread_m for lay in case.layers.values()
                if lay.role in ("new_line", "new_line_alt", "old_line", "turning_points", "settlements")},
    )
    if set_lay is None:
        prep.spread.setdefault("settlements", 0.0)
    wants_area = any(c.quantity == "area" for c in claims)
    prep.turning_points = m.line_basis == "turning points"
    alt = next(iter(m.renderings.values()), None)
    roles = [("new_line", m)] + ([("new_line_alt", alt)] if alt is not None else [])
    for role, mm in roles:
        # With turning points the measured line is theirs; the alternative rendering
        # only bears on the areas, which are still measured between the rendered lines.
        skip_length = prep.turning_points and role != "new_line"
        length = None if skip_length else _length_model(case, mm, role, to_m)
        area = _area_model(case, mm, role, to_m) if wants_area and mm.areas is not None and len(mm.areas) else None
        prep.renderings.append(_Rendering(role, mm, length, area))
    # A claim with no measured value has nothing to put an interval around.
    for c in list(prep.claims):
        why = _not_computable(prep, c)
        if why is not None:
            prep.not_computable[c.id] = why
            prep.claims.remove(c)
    two = len(prep.renderings) > 1
    prep.rendering_for = {"length": two and not prep.turning_points,
                          "area": two and prep.renderings[1].measurements.areas is not None}
    if prep.turning_points:
        tp = case.layer("turning_points")
        assert tp is not None
        prep.notes.append(
            f"lengths from the turning points ({tp.name}): each moves by σ {tp.accuracy_m:g} m per axis "
            f"and the layer by its datum spread ({tp.transformation.spread_m:g} m); joined by "
            f"{_line_type(case, m)} lines; no rendering draw for lengths (new_line_alt bears on areas only)")
    return prep


def _length_model(case: Case, mm: Measurements, role: str, to_m: Any) -> _LineModel | None:
    if mm.total_length_m is None or not len(mm.segments):
        return None
    pair_ids = {p.id for p in case.pairs}
    if mm.line_basis.endswith("between outermost pairs"):
        full = _line_vertices(case, role)
        # Feet of the settlements on the line, as measure finds them: a window of segments
        # generous enough for any perturbed foot is chosen later from the draws.
        return _LineModel(
            layer=role, start=0, xy_m=to_m(full), seg_len=_seg_lengths(full, "geodesic"),
            seg_plan=np.zeros(0), seg_ok=np.ones(len(full) - 1, bool),
            group=np.full(len(full) - 1, "", dtype=object), span=True,
            rhumb_shift=np.zeros(0),
        )
    # Fixed pieces (turning points, extent clip, whole line): rebuild polylines from the
    # segments' own ends (their geometry may be densified for drawing).
    seg = mm.segments
    if {"lon0", "lat0", "lon1", "lat1"} <= set(seg.columns):
        a = seg[["lon0", "lat0"]].to_numpy(dtype=float)
        b = seg[["lon1", "lat1"]].to_numpy(dtype=float)
    else:
        geoms = seg.geometry.to_numpy()
        a = shapely.get_coordinates(shapely.get_point(geoms, 0))
        b = shapely.get_coordinates(shapely.get_point(geoms, -1))
    brk = np.ones(len(a), bool)
    brk[1:] = np.any(a[1:] != b[:-1], axis=1)
    xy: list[NDArray[np.float64]] = []
    ok: list[bool] = []
    grp: list[str] = []
    for k in range(len(a)):
        if brk[k]:
            if xy:
                ok.append(False)
                grp.append("")
            xy.append(a[k])
        xy.append(b[k])
        ok.append(True)
        g = str(mm.segments["group"].iloc[k]) if "group" in mm.segments else ""
        grp.append(g if g in pair_ids else "")
    xy_ll = np.array(xy)
    seg_ok = np.array(ok)
    line_type = _line_type(case, mm)
    # The measured lengths themselves (geodesic or rhumb as the layer says), so that a
    # draw with no noise gives exactly the measured value.
    seg_len = np.zeros(len(seg_ok))
    seg_len[seg_ok] = seg["length_m"].to_numpy(dtype=float)
    other = _seg_lengths(xy_ll, "rhumb" if line_type == "geodesic" else "geodesic")
    xy_m = to_m(xy_ll)
    return _LineModel(
        layer=f"pieces:{role}", start=0, xy_m=xy_m, seg_len=seg_len,
        seg_plan=np.hypot(*np.diff(xy_m, axis=0).T), seg_ok=seg_ok,
        group=np.array(grp, dtype=object), span=False,
        rhumb_shift=np.where(seg_ok, other - seg_len, 0.0), a0=0.0, b0=float(len(xy_ll) - 1),
    )


def _line_type(case: Case, mm: Measurements) -> str:
    """How the measured vertices are joined: the turning points layer's ``line_type``, else geodesic."""
    tp = case.layer("turning_points")
    if mm.line_basis == "turning points" and tp is not None:
        return tp.line_type
    return "geodesic"


def _seg_lengths(xy: NDArray[np.float64], line_type: str) -> NDArray[np.float64]:
    if len(xy) < 2:
        return np.zeros(0)
    if line_type == "rhumb":
        return _rhumb_lengths_m(xy[:-1], xy[1:])
    _, _, d = GEOD.inv(xy[:-1, 0], xy[:-1, 1], xy[1:, 0], xy[1:, 1])
    return np.asarray(d, dtype=float)


def _locate(line_xy: NDArray[np.float64], pts: NDArray[np.float64], tree: shapely.STRtree) -> NDArray[np.float64]:
    """Segment-index parameter (k + t) of the nearest point of the line, planar in degrees
    as :func:`shapely.line_locate_point` (and so :func:`borderkit.measure`) finds it."""
    _, k = tree.query_nearest(shapely.points(pts), all_matches=False)
    p0 = line_xy[k]
    d = line_xy[k + 1] - p0
    dd = np.einsum("ij,ij->i", d, d)
    t = np.clip(np.einsum("ij,ij->i", pts - p0, d) / np.where(dd > 0, dd, 1.0), 0.0, 1.0)
    return k + t


def _area_model(case: Case, mm: Measurements, role: str, to_m: Any) -> _AreaModel | None:
    assert mm.areas is not None
    frame = mm.areas
    if "sliver" in frame.columns:  # slivers are within the data's uncertainty, not handovers
        frame = frame[~frame["sliver"].astype(bool)]
    new = _line_vertices(case, role)
    old = _line_vertices(case, "old_line")
    faces = frame.geometry.to_numpy()
    segs = {"new": new, "old": old}
    rows: dict[str, list[tuple[int, int, float, float, NDArray[np.float64]]]] = {"new": [], "old": []}
    plan_area = np.zeros(len(faces))
    shift = np.zeros(len(faces))
    for f, poly in enumerate(faces):
        poly = shapely.orient_polygons(poly, exterior_cw=False)
        rings = [r for g in shapely.get_parts(poly) for r in (g.exterior, *g.interiors)]
        for ring in rings:
            ll = shapely.get_coordinates(ring)
            mxy = to_m(ll)
            plan_area[f] += 0.5 * float(np.sum(mxy[:-1, 0] * mxy[1:, 1] - mxy[1:, 0] * mxy[:-1, 1]))
            mid = (ll[:-1] + ll[1:]) / 2
            best: list[tuple[str, NDArray[np.intp], NDArray[np.float64]]] = []
            for key, xy in segs.items():
                k, dist = _nearest_segment(xy, mid)
                best.append((key, k, dist))
            for e in range(len(mid)):
                key, k, dist = min(((b[0], b[1][e], b[2][e]) for b in best), key=lambda x: x[2])
                if dist > 1e-16:  # squared degrees: farther than ~1 mm, so an extent edge
                    continue
                p, q = segs[key][k], segs[key][k + 1]
                dq = q - p
                den = float(dq @ dq) or 1.0
                ta = float((ll[e] - p) @ dq) / den
                tb = float((ll[e + 1] - p) @ dq) / den
                dx, dy = mxy[e + 1] - mxy[e]
                rows[key].append((f, int(k), ta, tb, np.array([dy, -dx])))
                shift[f] += _rhumb_edge_area_m2(ll[e], ll[e + 1])
    if not rows["new"] and not rows["old"]:
        return None

    def weights(key: str) -> tuple[int, NDArray[np.float64]]:
        ks = [r[1] for r in rows[key]]
        if not ks:
            return 0, np.zeros((len(faces), 0, 2))
        lo, hi = min(ks), max(ks) + 2
        w = np.zeros((len(faces), hi - lo, 2))
        for f, k, ta, tb, nrm in rows[key]:
            w[f, k - lo] += (1 - (ta + tb) / 2) * nrm
            w[f, k + 1 - lo] += ((ta + tb) / 2) * nrm
        return lo, w

    lo_n, w_n = weights("new")
    lo_o, w_o = weights("old")
    area_geo = frame["area_m2"].to_numpy(dtype=float)
    return _AreaModel(
        layer=role, start_new=lo_n, start_old=lo_o, w_new=w_n, w_old=w_o, area_geo=area_geo,
        geo_per_plan=area_geo / np.where(plan_area > 0, plan_area, 1.0),
        to_country=frame["to_country"].to_numpy(dtype=object),
        pairs=[set(str(p).split(",")) - {""} for p in frame["pairs"]], rhumb_shift=shift,
    )


def _nearest_segment(xy: NDArray[np.float64], pts: NDArray[np.float64]) -> tuple[NDArray[np.intp], NDArray[np.float64]]:
    """Index of the nearest segment of ``xy`` to each point and the squared distance (degrees)."""
    p0, d = xy[:-1], np.diff(xy, axis=0)
    dd = np.einsum("ij,ij->i", d, d)
    dd = np.where(dd > 0, dd, 1.0)
    rel = pts[:, None, :] - p0[None]
    t = np.clip(np.einsum("nkj,kj->nk", rel, d) / dd, 0, 1)
    gap = rel - t[..., None] * d[None]
    dist = np.einsum("nkj,nkj->nk", gap, gap)
    k = np.argmin(dist, axis=1)
    return k, dist[np.arange(len(pts)), k]


# ====================================================================== the draws
@dataclass
class _Noise:
    """Common random numbers: unit-variance errors, scaled per run."""

    draws: int
    settle: NDArray[np.float64]                 # (D, S, 2)
    line: dict[str, NDArray[np.floating[Any]]]  # layer -> (D, V_range, 2), float32
    shift: dict[str, NDArray[np.float64]]       # layer role -> (D, 2)
    use_alt: NDArray[np.bool_]                  # (D,)


def _draw_base(prep: _Prep, draws: int, seed: int) -> _Noise:
    """Settlement errors, datum shifts and rendering choices (line errors come later)."""
    rng = np.random.default_rng([seed, 0])
    settle = rng.standard_normal((draws, len(prep.set_ll), 2))
    shift = {role: rng.standard_normal((draws, 2)) for role in sorted(prep.spread)}
    use_alt = rng.random(draws) < 0.5
    return _Noise(draws, settle, {}, shift, use_alt)


def _draw_lines(prep: _Prep, noise: _Noise, seed: int, correlation_length_m: float | None) -> None:
    rng = np.random.default_rng([seed, 1])
    for layer in sorted(prep.ranges):
        _, _, along = prep.ranges[layer]
        # float32: a metre of noise needs no 16 digits, and it halves time and memory.
        noise.line[layer] = correlated_noise(along, noise.draws, rng, correlation_length_m=correlation_length_m,
                                             dtype=np.float32)


def _settlement_offsets_m(prep: _Prep, noise: _Noise, on: dict[str, bool]) -> NDArray[np.float64]:
    """(D, S, 2) metres each settlement moves: its own error plus its layer's datum shift."""
    off = np.zeros((noise.draws, len(prep.set_ll), 2))
    if on["settlements"]:
        off += noise.settle * prep.set_sigma[None, :, None]
    spr = prep.spread.get("settlements", 0.0)
    if on["datum"] and spr > 0:
        off += (noise.shift["settlements"] * spr / 2)[:, None, :]
    return off


def _span_window(prep: _Prep, noise: _Noise) -> None:
    """Feet of the perturbed settlements on each span line; cut each model to its window."""
    all_on = dict.fromkeys(SOURCES, True)
    for r in prep.renderings:
        ln = r.length
        if ln is None or not ln.span:
            continue
        full_ll = _line_vertices(prep.case, r.role)
        S = len(prep.set_ll)
        cand = shapely.STRtree(shapely.linestrings(np.stack([full_ll[:-1], full_ll[1:]], axis=1)))
        base = _locate(full_ll, prep.set_ll, cand)
        found: dict[tuple[bool, bool], NDArray[np.float64]] = {}
        for key in {_span_key(prep, {"settlements": a, "datum": b}) for a in (True, False) for b in (True, False)}:
            on = dict(all_on, settlements=key[0], datum=key[1])
            rel = _settlement_offsets_m(prep, noise, on)
            spr = prep.spread.get(r.role, 0.0)
            if key[1] and spr > 0:
                rel = rel - (noise.shift[r.role] * spr / 2)[:, None, :]
            params = np.empty((noise.draws, S))

            def one(s: int, rel: NDArray[np.float64] = rel, params: NDArray[np.float64] = params,
                    key: tuple[bool, bool] = key, full_ll: NDArray[np.float64] = full_ll,
                    cand: shapely.STRtree = cand, base: NDArray[np.float64] = base) -> None:
                pts = prep.set_ll[s] + rel[:, s, :] / np.array([prep.set_mpd[0][s], prep.set_mpd[1][s]])
                params[:, s] = _locate(full_ll, pts, cand) if key != (False, False) else base[s]

            list(_pool().map(one, range(S)))
            found[key] = params
        lo_p = min(float(p.min()) for p in found.values())
        hi_p = max(float(p.max()) for p in found.values())
        lo = max(int(np.floor(min(lo_p, base.min()))), 0)
        hi = min(int(np.ceil(max(hi_p, base.max()))) + 1, len(full_ll))
        ln.start = lo
        ln.xy_m = ln.xy_m[lo:hi]
        ln.seg_len = ln.seg_len[lo:hi - 1]
        ln.seg_plan = np.hypot(*np.diff(ln.xy_m, axis=0).T)
        ln.seg_ok = ln.seg_ok[lo:hi - 1]
        ln.group = ln.group[lo:hi - 1]
        ln.rhumb_shift = _seg_lengths(full_ll[lo:hi], "rhumb") - ln.seg_len
        ln.a0, ln.b0 = float(base.min() - lo), float(base.max() - lo)
        r.span_params = {k: v - lo for k, v in found.items()}


def _span_key(prep: _Prep, on: dict[str, bool]) -> tuple[bool, bool]:
    """Which settlement movements are on, collapsed where a source has size 0."""
    lines = ("new_line", "new_line_alt", "turning_points") if prep.turning_points else ("new_line", "new_line_alt")
    spr = prep.spread.get("settlements", 0.0) > 0 or any(prep.spread.get(r, 0.0) > 0 for r in lines)
    has_s = bool(len(prep.set_sigma)) and float(prep.set_sigma.max()) > 0
    return (bool(on["settlements"]) and has_s, bool(on["datum"]) and spr)


def _ensure_ranges(prep: _Prep) -> None:
    """Noise ranges cover the (now windowed) length models and the faces."""
    need: dict[str, list[int]] = {}
    for r in prep.renderings:
        if r.length is not None:
            need.setdefault(r.length.layer, []).extend([r.length.start, r.length.start + len(r.length.xy_m)])
        if r.area is not None:
            need.setdefault(r.area.layer, []).extend([r.area.start_new, r.area.start_new + r.area.w_new.shape[1]])
            need.setdefault("old_line", []).extend([r.area.start_old, r.area.start_old + r.area.w_old.shape[1]])
    tr = Transformer.from_crs("EPSG:4326", prep.utm, always_xy=True)
    prep.ranges = {}
    for layer, idx in need.items():
        lo, hi = min(idx), max(idx)
        if layer.startswith("pieces:"):
            ln = next(r.length for r in prep.renderings if r.length is not None and r.length.layer == layer)
            step = np.where(ln.seg_ok, ln.seg_plan, 1e12)  # pieces are independent of each other
        else:
            ll = _line_vertices(prep.case, layer)[lo:hi]
            x, y = tr.transform(ll[:, 0], ll[:, 1])
            step = np.hypot(np.diff(x), np.diff(y))
        prep.ranges[layer] = (lo, hi, np.concatenate([[0.0], np.cumsum(step)]))


def _alt_mask(prep: _Prep, noise: _Noise, off: frozenset[str], D: int, quantity: str) -> NDArray[np.bool_]:
    """Which of the first ``D`` draws use new_line_alt for a quantity ("length" or "area")."""
    if "rendering" in off or not prep.rendering_for.get(quantity, False):
        return np.zeros(D, bool)
    return noise.use_alt[:D]


def _run(prep: _Prep, noise: _Noise, off: frozenset[str], D: int) -> dict[str, NDArray[np.float64]]:
    """Raw draws (SI) of every propagated claim, the first ``D`` draws, with ``off`` switched off."""
    on = {s: s not in off for s in SOURCES}
    out = {c.id: np.empty(D) for c in prep.claims}
    for quantity in ("length", "area"):
        claims = [c for c in prep.claims if c.quantity == quantity]
        if not claims:
            continue
        alt_mask = _alt_mask(prep, noise, off, D, quantity)
        for ri, r in enumerate(prep.renderings[:2]):
            idx = np.flatnonzero(alt_mask if ri == 1 else ~alt_mask)
            if not len(idx):
                continue
            if quantity == "length" and r.length is not None and any(c.scope for c in claims):
                _codes(prep, noise, r, _span_key(prep, on))  # fill the cache before the threads read it

            def work(c0: int, r: _Rendering = r, idx: NDArray[np.intp] = idx,
                     claims: list[Claim] = claims) -> None:
                rows = idx[c0:c0 + _CHUNK]
                for cid, v in _measure_draws(prep, noise, r, rows, on, claims).items():
                    out[cid][rows] = v  # disjoint rows per chunk: no lock needed

            list(_pool().map(work, range(0, len(idx), _CHUNK)))
    return out


@functools.lru_cache(maxsize=1)
def _pool() -> ThreadPoolExecutor:
    # NumPy and GEOS release the GIL in the array operations that dominate here.
    return ThreadPoolExecutor(max_workers=min(2, os.cpu_count() or 1), thread_name_prefix="borderkit-mc")


def _line_error(prep: _Prep, noise: _Noise, layer: str, role: str, start: int, n: int,
                rows: NDArray[np.intp], on: dict[str, bool]) -> NDArray[np.float64]:
    """(len(rows), n, 2) metres: vertex noise plus the layer's datum shift."""
    lo, _, _ = prep.ranges[layer]
    src = "old_line" if role == "old_line" else "new_line"
    e = np.zeros((len(rows), n, 2))
    sig = prep.sigma.get(role, 0.0)
    if on[src] and sig > 0:
        e += noise.line[layer][rows, start - lo:start - lo + n] * sig
    spr = prep.spread.get(role, 0.0)
    if on["datum"] and spr > 0:
        e += (noise.shift[role][rows] * spr / 2)[:, None, :]
    return e


def _measure_draws(prep: _Prep, noise: _Noise, r: _Rendering, rows: NDArray[np.intp],
                   on: dict[str, bool], claims: list[Claim]) -> dict[str, NDArray[np.float64]]:
    out: dict[str, NDArray[np.float64]] = {}
    n = len(rows)
    ln = r.length
    length_claims = [c for c in claims if c.quantity == "length"]
    if ln is not None and length_claims:
        role = prep.length_role(r)
        K = len(ln.seg_len)
        if on["new_line"] and prep.sigma.get(role, 0.0) > 0:
            e = _line_error(prep, noise, ln.layer, role, ln.start, len(ln.xy_m), rows, on)
            v = np.diff(e, axis=1)
            v += np.diff(ln.xy_m, axis=0)[None]
            seg = np.hypot(v[..., 0], v[..., 1])
            seg *= (ln.seg_len / np.where(ln.seg_plan > 0, ln.seg_plan, 1.0))[None]
        else:  # a rigid shift does not change lengths
            seg = np.broadcast_to(ln.seg_len[None], (n, K))
        key = _span_key(prep, on)
        if ln.span:
            params = r.span_params[key][rows]
            a, b = params.min(axis=1)[:, None], params.max(axis=1)[:, None]
            k = np.arange(K)[None, :]
            w = np.minimum(k + 1, b) - np.maximum(k, a)
            np.clip(w, 0.0, 1.0, out=w)
            seg_w = seg * w
        else:
            seg_w = seg * ln.seg_ok[None]
        scoped = [c for c in length_claims if c.scope]
        codes = _codes(prep, noise, r, key)[rows] if scoped else None
        for c in length_claims:
            if not c.scope:
                out[c.id] = seg_w.sum(axis=1)
            else:
                assert codes is not None
                table = np.array([pid in c.scope for pid in prep.pair_ids] + [False])
                out[c.id] = np.where(table[codes], seg_w, 0.0).sum(axis=1)
    elif length_claims:
        for c in length_claims:
            out[c.id] = np.full(n, np.nan)
    area_claims = [c for c in claims if c.quantity == "area"]
    am = r.area
    for c in area_claims:
        if am is None:
            out[c.id] = np.zeros(n) if r.measurements.areas is not None else np.full(n, np.nan)
            continue
        out[c.id] = _area_draws(prep, noise, am, r.role, rows, on, c)
    return out


def _codes(prep: _Prep, noise: _Noise, r: _Rendering, key: tuple[bool, bool]) -> NDArray[np.int8]:
    """(D, K) pair code of each segment per draw, cached per settlement movement.

    A segment belongs to its own group's pair, else to the pair of the nearest perturbed
    settlement to its unperturbed midpoint (the line's own errors, tens of metres, matter
    little beside settlements kilometres apart). Code ``len(pair_ids)``: no pair.
    """
    if key in r.codes:
        return r.codes[key]
    ln = r.length
    assert ln is not None
    K = len(ln.seg_len)
    none = len(prep.pair_ids)
    own = np.array([prep.pair_ids.index(g) if g in prep.pair_ids else -1 for g in ln.group], dtype=np.int8)
    S = len(prep.set_m)
    if S == 0:
        codes = np.broadcast_to(np.where(own >= 0, own, none).astype(np.int8)[None], (noise.draws, K))
        r.codes[key] = codes
        return codes
    mid = (ln.xy_m[:-1] + ln.xy_m[1:]) / 2
    set_code = np.array([prep.pair_ids.index(p) for p in prep.set_pair], dtype=np.int8)
    if not key[0] and not key[1]:
        d = ((mid[:, None, :] - prep.set_m[None]) ** 2).sum(axis=2)
        codes = np.broadcast_to(set_code[np.argmin(d, axis=1)][None], (noise.draws, K)).copy()
    else:
        on = dict.fromkeys(SOURCES, True) | {"settlements": key[0], "datum": key[1]}
        off = _settlement_offsets_m(prep, noise, on)
        role = prep.length_role(r)
        spr = prep.spread.get(role, 0.0)
        if key[1] and spr > 0:  # what matters is where the settlements are relative to the line
            off = off - (noise.shift[role] * spr / 2)[:, None, :]
        sxy = prep.set_m[None] + off                                  # (D, S, 2)
        codes = np.empty((noise.draws, K), dtype=np.int8)
        mid32 = mid.astype(np.float32)
        for c0 in range(0, noise.draws, _CHUNK):
            q = sxy[c0:c0 + _CHUNK].astype(np.float32)
            d = (mid32[None, :, None, 0] - q[:, None, :, 0]) ** 2
            d += (mid32[None, :, None, 1] - q[:, None, :, 1]) ** 2
            near = np.argmin(d, axis=2)
            codes[c0:c0 + _CHUNK] = set_code[near]
    if (own >= 0).any():
        codes[:, own >= 0] = own[own >= 0][None, :]
    r.codes[key] = codes
    return codes


def _area_draws(prep: _Prep, noise: _Noise, am: _AreaModel, role: str, rows: NDArray[np.intp],
                on: dict[str, bool], claim: Claim) -> NDArray[np.float64]:
    e_new = _line_error(prep, noise, am.layer, role, am.start_new, am.w_new.shape[1], rows, on)
    e_old = _line_error(prep, noise, "old_line", "old_line", am.start_old, am.w_old.shape[1], rows, on)
    F = len(am.area_geo)
    d_plan = e_new.reshape(len(rows), -1) @ am.w_new.reshape(F, -1).T
    if am.w_old.shape[1]:
        d_plan += e_old.reshape(len(rows), -1) @ am.w_old.reshape(F, -1).T
    sign = np.where(am.to_country == claim.direction, 1.0, -1.0)
    signed = sign[None] * (am.area_geo[None] + d_plan * am.geo_per_plan[None])
    if claim.scope:
        keep = np.array([bool(p) and p <= set(claim.scope) for p in am.pairs])
        signed = signed[:, keep]
    return np.clip(signed, 0.0, None).sum(axis=1)


# ====================================================================== zero-noise values
def _measured_si(prep: _Prep, r: _Rendering, claim: Claim) -> float | None:
    key = (id(r), claim.id)
    if key not in prep.xhat:
        mm = r.measurements
        if claim.quantity == "length":
            prep.xhat[key] = mm.length_m(claim.scope)
        else:
            assert claim.direction is not None
            prep.xhat[key] = mm.area_m2(claim.direction, claim.scope)
    return prep.xhat[key]


# ====================================================================== the extent
def _moved_extent(prep: _Prep, margin_m: float) -> Any:
    """The case extent grown (``margin_m`` > 0) or shrunk (< 0) by ``margin_m`` metres.

    A box (the usual extent) stays a box: its edges move by ``margin_m`` converted to
    degrees at its mid-latitude (WGS 84 metres per degree, the longitude ones scaled by
    cos φ). Any other polygon is buffered in the local UTM plane with mitred corners,
    after densifying its edges so that they keep their shape between the two planes.
    """
    ext = prep.case.layer("extent")
    assert ext is not None
    poly = ext.union()
    if poly.geom_type == "Polygon" and not poly.interiors and shapely.equals(poly, shapely.envelope(poly)):
        x0, y0, x1, y1 = poly.bounds
        per_lon, per_lat = _m_per_deg(np.array([(y0 + y1) / 2]))
        dx, dy = margin_m / float(per_lon[0]), margin_m / float(per_lat[0])
        if x1 - x0 <= -2 * dx or y1 - y0 <= -2 * dy:
            return shapely.Polygon()
        return shapely.box(x0 - dx, y0 - dy, x1 + dx, y1 + dy)
    fwd = Transformer.from_crs("EPSG:4326", prep.utm, always_xy=True)
    back = Transformer.from_crs(prep.utm, "EPSG:4326", always_xy=True)
    plane = shapely.transform(shapely.segmentize(poly, 0.001),
                              lambda xy: np.column_stack(fwd.transform(xy[:, 0], xy[:, 1])))
    moved = shapely.buffer(plane, margin_m, join_style="mitre")
    return shapely.transform(moved, lambda xy: np.column_stack(back.transform(xy[:, 0], xy[:, 1])))


def _extent_areas(prep: _Prep, extent: Any) -> Measurements | None:
    """The measurements with their faces re-cut by ``extent`` (the rules of :func:`borderkit.measure`)."""
    from dataclasses import replace

    from borderkit.areas import handover_polygons

    case, m = prep.case, prep.measurements
    new, old = case.layer("new_line"), case.layer("old_line")
    if m.areas is None or new is None or old is None or new.left is None or old.left is None or extent.is_empty:
        return None
    frame = handover_polygons(
        new.union(), old.union(), extent, new_left=new.left, old_left=old.left,
        countries=(case.countries[0].code, case.countries[1].code), settlements=case.settlements(),
        new_accuracy_m=new.accuracy_m, old_accuracy_m=old.accuracy_m, sliver_width_m=m.sliver_width_m,
    )
    return replace(m, areas=frame, renderings={})


def _extent_lengths(prep: _Prep, extent: Any, claim: Claim) -> float:
    """Length (m) of the new line inside ``extent`` for a claim's scope, pieces attributed as measure does."""
    lay = prep.case.layer("new_line")
    assert lay is not None
    parts = [g for g in shapely.get_parts(shapely.intersection(lay.union(), extent)) if g.geom_type == "LineString"]
    total = 0.0
    tr = Transformer.from_crs("EPSG:4326", prep.utm, always_xy=True)
    for g in parts:
        xy = shapely.get_coordinates(g)
        if len(xy) < 2:
            continue
        seg = _seg_lengths(xy, "geodesic")
        if claim.scope:
            if not len(prep.set_m):
                continue
            x, y = tr.transform(xy[:, 0], xy[:, 1])
            mxy = np.column_stack([x, y])
            mid = (mxy[:-1] + mxy[1:]) / 2
            d = ((mid[:, None, :] - prep.set_m[None]) ** 2).sum(axis=2)
            seg = seg[np.isin(prep.set_pair[np.argmin(d, axis=1)], list(claim.scope))]
        total += float(seg.sum())
    return total


def _extent_effects(prep: _Prep, margin_m: float) -> tuple[ExtentEffect, ...]:
    """Each length and area claim measured with the extent grown and shrunk by ``margin_m``."""
    m0 = prep.renderings[0] if prep.renderings else None
    has_extent = prep.case.layer("extent") is not None
    basis = prep.measurements.line_basis
    out: list[ExtentEffect] = []
    moved: dict[float, Any] = {}
    cut: dict[float, Measurements | None] = {}
    for c in prep.claims:
        x0 = None if m0 is None else _measured_si(prep, m0, c)
        measured = None if x0 is None else x0 / c.scale
        depends = has_extent and margin_m > 0 and (c.quantity == "area" or basis == "in extent")
        if not depends:
            why = ("no extent in this case" if not has_extent else
                   "margin 0" if margin_m <= 0 else f"the measured line ({basis}) does not depend on the extent")
            out.append(ExtentEffect(c.id, c.unit, margin_m, measured, None, None, why))
            continue
        vals = []
        for sign in (1.0, -1.0):
            if sign not in moved:
                moved[sign] = _moved_extent(prep, sign * margin_m)
            if c.quantity == "area":
                if sign not in cut:
                    cut[sign] = _extent_areas(prep, moved[sign])
                mm = cut[sign]
                assert c.direction is not None
                v = None if mm is None else mm.area_m2(c.direction, c.scope)
            else:
                v = _extent_lengths(prep, moved[sign], c)
            vals.append(None if v is None else v / c.scale)
        what = "faces re-cut" if c.quantity == "area" else "the new line re-clipped"
        out.append(ExtentEffect(c.id, c.unit, margin_m, measured, vals[0], vals[1],
                                f"extent grown and shrunk by {margin_m:g} m, {what}"))
    return tuple(out)


# ====================================================================== the API
def uncertainty(
    case: Case,
    *,
    draws: int = 10_000,
    seed: int = 0,
    correlation_length_m: float | None = None,
    measurements: Measurements | None = None,
    progress: bool | None = None,
    exclude: Collection[str] = (),
    sensitivity: bool = True,
    extent_margin_m: float = 1000.0,
) -> UncertaintyResult:
    """Error budget, Monte Carlo intervals, statistical verdicts and sensitivity of a case.

    Parameters
    ----------
    case : Case
        As :func:`borderkit.load_case` returns it.
    draws : int
        Monte Carlo draws (≥ 1). 10 000 take about a second for the Tavush case.
    seed : int
        Seed of the :class:`numpy.random.Generator`: the same seed gives the same numbers.
    correlation_length_m : float, optional
        ``None``: vertex errors independent per vertex. Otherwise correlated along each
        line with an exponential covariance of this length (metres).
    measurements : Measurements, optional
        Reuse measurements already taken (:func:`borderkit.measure`).
    progress : bool, optional
        Show a tqdm progress bar; ``None`` shows it only on a terminal and only after
        half a second.
    exclude : collection of str
        Sources of :data:`SOURCES` to switch off.
    sensitivity : bool
        Also run each source alone and each source switched off (the budget's effects
        and the sensitivity table); ``False`` runs the full model only.
    extent_margin_m : float
        Re-measure each quantity that depends on the case's extent (areas; lengths
        clipped to it) with the extent grown and shrunk by this many metres: the
        budget's ``extent`` row and :attr:`UncertaintyResult.extent`. An analytical
        choice, not a random error: not in the Monte Carlo interval. 0 skips it.

    Returns
    -------
    UncertaintyResult

    Raises
    ------
    GeometryError
        ``draws`` < 1, an unknown source in ``exclude``, a bad correlation length or
        a negative ``extent_margin_m``.

    Examples
    --------
    >>> from borderkit import load_case
    >>> u = uncertainty(load_case("tavush-2024"), draws=200, seed=1, sensitivity=False)
    >>> u.interval("area-to-aze").verdict in {"consistent", "inconsistent", "undetermined"}
    True
    >>> u2 = uncertainty(load_case("tavush-2024"), draws=200, seed=1, sensitivity=False)
    >>> u.interval("length-total-12.7").interval == u2.interval("length-total-12.7").interval
    True
    """
    t0 = time.perf_counter()
    if not isinstance(draws, int | np.integer) or isinstance(draws, bool) or draws < 1:
        msg = f"draws={draws!r}: give a whole number of Monte Carlo draws >= 1 (e.g. 10_000)"
        raise GeometryError(msg)
    bad = sorted(set(exclude) - set(SOURCES))
    if bad:
        msg = f"exclude={sorted(exclude)!r}: unknown source {bad[0]!r}. Only {SOURCES} are supported."
        raise GeometryError(msg)
    if correlation_length_m is not None and not correlation_length_m > 0:
        msg = f"correlation_length_m={correlation_length_m!r}: give metres > 0, or None for independent errors"
        raise GeometryError(msg)
    if not (isinstance(extent_margin_m, int | float) and math.isfinite(extent_margin_m) and extent_margin_m >= 0):
        msg = f"extent_margin_m={extent_margin_m!r}: give metres >= 0 (0 skips the extent sensitivity)"
        raise GeometryError(msg)
    m = measurements if measurements is not None else measure(case)
    prep = _prepare(case, m)
    noise = _draw_base(prep, draws, seed)
    _span_window(prep, noise)
    _ensure_ranges(prep)
    _draw_lines(prep, noise, seed, correlation_length_m)
    base_off = frozenset(exclude)
    active = [s for s in SOURCES if s not in base_off and _source_size(prep, s) > 0]
    n_sens = min(draws, SENSITIVITY_DRAWS)
    runs: list[tuple[str, frozenset[str], int]] = [("all", base_off, draws)]
    if sensitivity:
        runs += [(f"without:{s}", base_off | {s}, n_sens) for s in active]
        runs += [(f"alone:{s}", frozenset(SOURCES) - {s}, n_sens) for s in active]
    if progress is None:
        progress = bool(getattr(sys.stderr, "isatty", lambda: False)())
    results: dict[str, dict[str, NDArray[np.float64]]] = {}
    if progress:
        # Imported only when asked for: tqdm.auto warns in a notebook without ipywidgets.
        from tqdm.auto import tqdm

        with tqdm(total=len(runs), desc="uncertainty", unit="run", delay=0.5, leave=False) as bar:
            for name, off, n in runs:
                results[name] = _run(prep, noise, off, n)
                bar.update(1)
    else:
        for name, off, n in runs:
            results[name] = _run(prep, noise, off, n)
    summaries = {name: _summaries(prep, noise, off, results[name]) for name, off, _ in runs}
    # The sensitivity runs are compared with the full model on the same draws.
    summaries["all@sens"] = _summaries(prep, noise, base_off, {k: v[:n_sens] for k, v in results["all"].items()})
    intervals = _intervals(prep, summaries["all"])
    extent = _extent_effects(prep, float(extent_margin_m))
    budget = _budget(prep, summaries, active, correlation_length_m, extent, float(extent_margin_m))
    sens = _sensitivity(prep, summaries, active) if sensitivity else Sensitivity(())
    inverse = _inverse(prep, noise, base_off, results["all"])
    notes = _notes(prep, summaries["all"], correlation_length_m, extent)
    return UncertaintyResult(
        case_id=case.id, draws=draws, seed=seed, correlation_length_m=correlation_length_m,
        intervals=intervals, budget=budget, sensitivity=sens, inverse=inverse,
        excluded=tuple(sorted(base_off)), notes=tuple(notes), elapsed_s=time.perf_counter() - t0,
        extent=extent, extent_margin_m=float(extent_margin_m),
    )


def _source_size(prep: _Prep, s: str) -> float:
    if s == "new_line":
        return max(prep.sigma.get("new_line", 0), prep.sigma.get("new_line_alt", 0),
                   prep.sigma.get("turning_points", 0) if prep.measurements.line_basis == "turning points" else 0)
    if s == "old_line":
        return prep.sigma.get("old_line", 0) if any(r.area is not None for r in prep.renderings) else 0.0
    if s == "settlements":
        return float(prep.set_sigma.max()) if len(prep.set_sigma) else 0.0
    if s == "datum":
        return max(prep.spread.values(), default=0.0)
    return 1.0 if any(prep.rendering_for.get(c.quantity, False) for c in prep.claims) else 0.0


def _corrected(prep: _Prep, noise: _Noise, off: frozenset[str], raw: dict[str, NDArray[np.float64]]
               ) -> tuple[dict[str, NDArray[np.float64]], dict[str, float]]:
    """Draws shifted by twice their bias, per rendering; and the bias of the main rendering."""
    D = len(next(iter(raw.values()))) if raw else 0
    out, bias = {}, {}
    for c in prep.claims:
        alt = _alt_mask(prep, noise, off, D, c.quantity)
        y = raw[c.id].copy()
        for ri, sel in enumerate((~alt, alt)):
            if not sel.any():
                continue
            x0 = _measured_si(prep, prep.renderings[ri], c)
            b = float(np.median(y[sel])) - (np.nan if x0 is None else x0)
            y[sel] = np.clip(y[sel] - 2.0 * b, 0.0, None)
            if ri == 0 or c.id not in bias:
                bias[c.id] = b
        out[c.id] = y
    return out, bias


def _summaries(prep: _Prep, noise: _Noise, off: frozenset[str], raw: dict[str, NDArray[np.float64]]
               ) -> dict[str, dict[str, float]]:
    refl, bias = _corrected(prep, noise, off, raw)
    a = (1 - LEVEL) / 2
    out = {}
    for c in prep.claims:
        y = refl[c.id]
        if not np.all(np.isfinite(y)):
            continue
        lo, med, hi = (float(v) for v in np.quantile(y, [a, 0.5, 1 - a]))
        sigma = _robust_sigma(y, med, lo, hi, LEVEL)
        out[c.id] = {"lo": lo, "median": med, "hi": hi, "sigma": sigma, "var": float(np.var(y)),
                     "bias": bias[c.id]}
    return out


def _intervals(prep: _Prep, summ: dict[str, dict[str, float]]) -> tuple[ClaimInterval, ...]:
    out = []
    m0 = prep.renderings[0] if prep.renderings else None
    for c in prep.case.claims:
        sc = c.scale
        if c.id in prep.skipped:
            out.append(ClaimInterval(c.id, c.quantity, c.unit, c.value, c.precision, None, None, None, None,
                                     None, None, NOT_PROPAGATED, None,
                                     f"{prep.skipped[c.id]} claims are not propagated"))
            continue
        why = prep.not_computable.get(c.id)
        if why is None and c.id not in summ:
            why = "the draws give no finite value for it"
        if why is not None or m0 is None:
            out.append(ClaimInterval(c.id, c.quantity, c.unit, c.value, c.precision, None, None, None, None,
                                     None, None, NOT_COMPUTABLE, None, f"not computable: {why}"))
            continue
        s = summ[c.id]
        verdict, z, reason = _judge(c, s["lo"], s["median"], s["hi"], s["sigma"])
        x0 = _measured_si(prep, m0, c)
        out.append(ClaimInterval(
            c.id, c.quantity, c.unit, c.value, c.precision, None if x0 is None else x0 / sc,
            s["lo"] / sc, s["median"] / sc, s["hi"] / sc, s["sigma"] / sc, s["bias"] / sc, verdict, z, reason))
    return tuple(out)


def _not_computable(prep: _Prep, c: Claim) -> str | None:
    """Why a length or area claim has no measured value (as :func:`borderkit.verify` says), else None."""
    m0 = prep.renderings[0] if prep.renderings else None
    x0 = None if m0 is None else _measured_si(prep, m0, c)
    if c.quantity == "area":
        return None if x0 is not None else prep.measurements.areas_reason.removeprefix("not computable: ")
    if x0 is None or prep.measurements.line_basis == "none":
        return "no new line and no turning points in this case"
    if x0 == 0.0:
        return f"the measured line has no segment attributed to {'+'.join(c.scope) or 'the total'}"
    return None


_SIZE_TEXT = {
    "rendering": "each draw uses new_line or new_line_alt, 50/50",
    "line_type": "rhumb lines instead of geodesics between vertices (systematic)",
    "rounding": "half a unit of the last digit reported",
}


def _budget(prep: _Prep, summaries: dict[str, dict[str, dict[str, float]]], active: list[str],
            corr: float | None, extent: tuple[ExtentEffect, ...], margin_m: float) -> ErrorBudget:
    units = {c.id: c.unit for c in prep.claims}
    sizes, kinds, effects = {}, {}, {}
    corr_text = "independent per vertex" if corr is None else f"correlated along the line, ℓ = {corr:g} m"
    for s in SOURCES:
        if s == "new_line":
            accs = sorted({prep.sigma[r] for r in ("new_line", "new_line_alt") if prep.sigma.get(r)})
            sizes[s] = f"σ {'/'.join(f'{a:g}' for a in accs) or 0} m per vertex and axis, {corr_text}"
            if prep.turning_points:
                sizes[s] = (f"σ {prep.sigma.get('turning_points', 0):g} m per turning point and axis (lengths); "
                            f"{sizes[s]} of the rendered line (areas)")
        elif s == "old_line":
            sizes[s] = f"σ {prep.sigma.get('old_line', 0):g} m per vertex and axis, {corr_text}"
        elif s == "settlements":
            sig: dict[float, list[str]] = {}
            for p, acc in zip(prep.set_pair, prep.set_sigma, strict=True):
                sig.setdefault(float(acc), []).append(str(p))
            sizes[s] = "; ".join(f"σ {a:g} m ({len(ps)})" for a, ps in sorted(sig.items())) or "no coordinates"
        elif s == "datum":
            spread = max(prep.spread.values(), default=0.0)
            sizes[s] = f"spread {spread:g} m between candidate operations (σ = spread/2)"
        else:
            sizes[s] = _SIZE_TEXT[s]
        kinds[s] = "random (Monte Carlo)"
        alone = summaries.get(f"alone:{s}")
        effects[s] = {c.id: ((alone[c.id]["hi"] - alone[c.id]["lo"]) / 2 / c.scale
                             if alone and c.id in alone else (0.0 if s not in active else None))
                      for c in prep.claims}
    sizes["line_type"], kinds["line_type"] = _SIZE_TEXT["line_type"], "systematic shift"
    effects["line_type"] = {c.id: _line_type_shift(prep, c) for c in prep.claims}
    by_claim = {e.claim_id: e for e in extent}
    sizes["extent"] = (f"the case extent grown and shrunk by {margin_m:g} m: " + "; ".join(
        f"{cid} {_sig(e.shrunk)}–{_sig(e.grown)} {e.unit}" for cid, e in by_claim.items() if e.half_range is not None)
        ) if any(e.half_range is not None for e in extent) else f"the case extent grown and shrunk by {margin_m:g} m"
    kinds["extent"] = EXTENT_KIND
    effects["extent"] = {c.id: (by_claim[c.id].half_range if c.id in by_claim and by_claim[c.id].half_range
                                is not None else 0.0) for c in prep.claims}
    sizes["rounding"], kinds["rounding"] = _SIZE_TEXT["rounding"], "reported value"
    effects["rounding"] = {c.id: c.precision for c in prep.claims}
    srcs = (*SOURCES, "line_type", "extent", "rounding")
    return ErrorBudget(srcs, sizes, kinds, effects, units)


def _line_type_shift(prep: _Prep, c: Claim) -> float | None:
    if not prep.renderings:
        return None
    r = prep.renderings[0]
    if c.quantity == "length":
        ln = r.length
        if ln is None:
            return None
        k = np.arange(len(ln.seg_len))
        w = np.clip(np.minimum(k + 1, ln.b0) - np.maximum(k, ln.a0), 0, 1) if ln.span else ln.seg_ok.astype(float)
        if c.scope:
            # Attribution as measured (zero noise), by the segment's unperturbed midpoint.
            pair = _attribute_fixed(prep, ln)
            w = w * np.isin(pair, list(c.scope))
        return float(np.sum(w * ln.rhumb_shift)) / c.scale if len(ln.rhumb_shift) else 0.0
    am = r.area
    if am is None:
        return None
    sign = np.where(am.to_country == c.direction, 1.0, -1.0)
    keep = np.array([(not c.scope) or (bool(p) and p <= set(c.scope)) for p in am.pairs])
    base = np.clip(sign * am.area_geo, 0, None)[keep].sum()
    shifted = np.clip(sign * (am.area_geo + am.rhumb_shift), 0, None)[keep].sum()
    return float(shifted - base) / c.scale


def _attribute_fixed(prep: _Prep, ln: _LineModel) -> NDArray[np.object_]:
    if not len(prep.set_m):
        return ln.group
    k = np.arange(len(ln.seg_len))
    mid = np.clip((np.maximum(k, ln.a0) + np.minimum(k + 1, ln.b0)) / 2 - k, 0, 1) if ln.span else np.full(len(k), 0.5)
    mx = ln.xy_m[:-1] + mid[:, None] * np.diff(ln.xy_m, axis=0)
    d = ((mx[:, None, :] - prep.set_m[None]) ** 2).sum(axis=2)
    pair = prep.set_pair[np.argmin(d, axis=1)]
    own = ln.group != ""
    pair[own] = ln.group[own]
    return pair


def _sensitivity(prep: _Prep, summaries: dict[str, dict[str, dict[str, float]]], active: list[str]) -> Sensitivity:
    rows = []
    full = summaries["all@sens"]
    for c in prep.claims:
        if c.id not in full:
            continue
        f = full[c.id]
        hw = (f["hi"] - f["lo"]) / 2
        verdict = _judge(c, f["lo"], f["median"], f["hi"], f["sigma"])[0]
        var_alone = {s: summaries[f"alone:{s}"][c.id]["var"] for s in active if c.id in summaries[f"alone:{s}"]}
        total = sum(var_alone.values())
        for s in active:
            w = summaries[f"without:{s}"].get(c.id)
            if w is None:
                continue
            hw_wo = (w["hi"] - w["lo"]) / 2
            rows.append({
                "claim": c.id, "source": s, "unit": c.unit, "half_width": hw / c.scale,
                "half_width_without": hw_wo / c.scale, "reduction": (hw - hw_wo) / c.scale,
                "variance_share": var_alone.get(s, 0.0) / total if total > 0 else 0.0,
                "median_without": w["median"] / c.scale, "verdict": verdict,
                "verdict_without": _judge(c, w["lo"], w["median"], w["hi"], w["sigma"])[0],
            })
    return Sensitivity(tuple(rows))


def _inverse(prep: _Prep, noise: _Noise, off: frozenset[str], raw: dict[str, NDArray[np.float64]]
             ) -> tuple[InverseReading, ...]:
    refl = _corrected(prep, noise, off, raw)[0] if prep.claims else {}
    m0 = prep.renderings[0] if prep.renderings else None
    a = (1 - LEVEL) / 2
    out: list[InverseReading] = []

    def q(y: NDArray[np.float64] | None) -> tuple[float | None, float | None]:
        if y is None or not np.all(np.isfinite(y)):
            return None, None
        lo, hi = np.quantile(y, [a, 1 - a])
        return float(lo), float(hi)

    def measured(c: Claim) -> float | None:
        return None if m0 is None or c.id in prep.not_computable else _measured_si(prep, m0, c)

    def with_interval(v: float | None, lo: float | None, hi: float | None, unit: str) -> str:
        if v is None:
            return "n/a"
        span = "" if lo is None or hi is None else f" (95 % interval {_sig(lo)}–{_sig(hi)} {unit})"
        return f"{_sig(v)} {unit}{span}"

    basis = prep.measurements.line_basis
    proxy = basis != "turning points"
    lengths = [c for c in prep.claims if c.quantity == "length" and c.is_total]
    for ar in (c for c in prep.claims if c.quantity == "area" and c.is_total):
        for ln in (c for c in lengths if c.value_si > 0):
            depth = ar.value_si / ln.value_si
            ma, ml = measured(ar), measured(ln)
            with np.errstate(divide="ignore", invalid="ignore"):
                y = refl[ar.id] / refl[ln.id] if ar.id in refl and ln.id in refl else None
            lo, hi = q(y)
            mv = None if not ma or not ml else ma / ml
            out.append(InverseReading(
                f"mean depth: {ar.id} / {ln.id}", "m", depth,
                f"{_num(ar.value)} {ar.unit} over {_num(ln.value)} {ln.unit} is a strip {depth:.0f} m deep on average",
                mv, lo, hi,
                "the area spread evenly along the whole length. Measured: the whole handed-over area to "
                f"{ar.direction} inside the case's extent ({_sig(None if ma is None else ma / ar.scale)} {ar.unit}) "
                f"divided by the {'proxy ' if proxy else ''}length ({_sig(None if ml is None else ml / ln.scale)} "
                f"{ln.unit}, {basis}): the area is cut by the extent box and the length "
                f"{'by where the proxy stretch ends' if proxy else 'by the turning points'}, so the two do not "
                "cover the same stretch and the measured depth is not comparable one to one with the claimed",
                f"{with_interval(mv, lo, hi, 'm')}: whole in-box area / {'proxy ' if proxy else ''}length, "
                "not comparable one to one"))
    for ar in (c for c in prep.claims if c.quantity == "area"):
        reading = _territory_reading(prep, ar)
        if reading is not None:
            out.append(reading)
    by_id = {c.id: c for c in prep.case.claims}
    for ch in prep.case.checks:
        if ch.kind != "sum" or ch.total is None:
            continue
        parts = [by_id[i] for i in ch.claims]
        total = by_id[ch.total]
        unit, k = total.unit, total.scale
        s = sum(p.value_si for p in parts) / k
        lo_c = sum(p.value_si - p.precision_si for p in parts) / k
        hi_c = sum(p.value_si + p.precision_si for p in parts) / k
        words = " + ".join(f"{_num(p.value)} {p.unit}" for p in parts)
        out.append(InverseReading(
            f"sum of parts minus total: {ch.id}", unit, s - total.value,
            f"{words} = {_num(s)} {unit} vs {_num(total.value)} {unit} ({_num(s - total.value)} {unit}; "
            f"the wording allows {_num(lo_c)}–{_num(hi_c)} {unit} vs {_num(total.value - total.precision)}–"
            f"{_num(total.value + total.precision)} {unit})",
            None, None, None,
            "the measured parts are the measured line split by pair, so they add up to the measured total",
            "n/a (the measured parts add up to the measured total by construction)"))
        mt = measured(total)
        if not total.value_si:
            continue  # a reported total of 0 has no shares
        for p in parts:
            share = p.value_si / total.value_si
            mp = measured(p)
            yy = raw[p.id] / raw[total.id] if p.id in raw and total.id in raw else None
            lo, hi = q(yy)
            mv = None if not mp or not mt else 100 * mp / mt
            lo, hi = (None, None) if lo is None or hi is None else (100 * lo, 100 * hi)
            out.append(InverseReading(
                f"share of total: {p.id}", "%", 100 * share,
                f"{_num(p.value)} {p.unit} of {_num(total.value)} {total.unit} is {100 * share:.1f} %",
                mv, lo, hi,
                "which share of the measured line each stretch is"
                + ("" if not proxy else "; measured on the proxy stretch"),
                with_interval(mv, lo, hi, "%")))
    return tuple(out)


def _named_settlements(prep: _Prep, claim: Claim) -> tuple[list[str], bool]:
    """Pair members the claim's wording names (longest names first, each form of a name:
    ``"Aşağı Əskipara (Ashaghi Askipara)"`` is found as either); if it names none, the
    members of the direction country in the claim's scope pairs. Second item: named."""
    sett = prep.measurements.settlements
    members = sett[sett["pair"] != ""]
    forms: list[tuple[str, str]] = []
    for name in members["name"].astype(str):
        alts = {name, name.split(" (")[0], *re.findall(r"\(([^)]*)\)", name)}
        forms += [(f.strip(), name) for f in alts if len(f.strip()) >= 3]
    text = claim.wording
    found: set[str] = set()
    for form, name in sorted(forms, key=lambda f: -len(f[0])):
        pattern = re.compile(rf"(?<!\w){re.escape(form)}(?!\w)", re.IGNORECASE)
        if pattern.search(text):
            text = pattern.sub(" ", text)  # "Baghanis Ayrum" must not also count as "Baghanis"
            found.add(name)
    if found:
        return [n for n in members["name"].astype(str) if n in found], True
    scope = set(claim.scope) or {p.id for p in prep.case.pairs}
    own = members[(members["country"] == claim.direction) & members["pair"].isin(scope)]
    return list(own["name"].astype(str)), False


def _territory_reading(prep: _Prep, ar: Claim) -> InverseReading | None:
    """The faces to the claim's direction that hold the settlements it names."""
    areas = prep.measurements.areas
    if areas is None:
        return None
    named, by_wording = _named_settlements(prep, ar)
    if not named:
        return None
    sett = prep.measurements.settlements.drop_duplicates("name").set_index("name")
    faces = areas[areas["to_country"] == ar.direction]
    if "sliver" in faces.columns:
        faces = faces[~faces["sliver"].astype(bool)]
    missing = [n for n in named if sett.loc[n, "geometry"] is None or sett.loc[n, "geometry"].is_empty]
    located = [n for n in named if n not in missing]
    pts = shapely.points(np.array([shapely.get_coordinates(sett.loc[n, "geometry"])[0] for n in located])
                         ) if located else np.array([])
    geoms = faces.geometry.to_numpy()
    hold = np.array([[bool(shapely.covers(g, pt)) for pt in pts] for g in geoms], dtype=bool).reshape(len(geoms),
                                                                                                      len(located))
    held = [n for j, n in enumerate(located) if hold[:, j].any()]
    keep = hold.any(axis=1) if len(located) else np.zeros(len(geoms), bool)
    area_held = float(faces.loc[keep, "area_m2"].sum()) / ar.scale
    area_other = float(faces.loc[~keep, "area_m2"].sum()) / ar.scale
    outside = [n for n in located if n not in held]
    chosen = ("the settlements the claim names" if by_wording else
              f"the settlements of {ar.direction} in {'+'.join(ar.scope) or 'every pair'} (the claim names none)")
    m_count = f"{len(held)} of the {len(named)}"
    note = (f"measured: the {int(keep.sum())} handed-over face(s) to {ar.direction} holding {m_count} "
            f"{chosen.removeprefix('the ')}" + (f" ({'; '.join(held)})" if held else ""))
    if missing:
        note += f"; {', '.join(missing)} {'has' if len(missing) == 1 else 'have'} no coordinates in this case"
    if outside:
        verb = "lies" if len(outside) == 1 else "lie"
        note += f"; {', '.join(outside)} {verb} in no face handed over to {ar.direction}"
    note += (f"; the other faces to {ar.direction} ({_sig(area_other)} {ar.unit}) may be differences between "
             "the mapped lines rather than handovers")
    return InverseReading(
        f"faces holding named settlements: {ar.id}", ar.unit, ar.value,
        f"{_num(ar.value)} {ar.unit} described as the territory of {', '.join(named)}"
        if by_wording else f"{_num(ar.value)} {ar.unit} read as the territory of {', '.join(named)}",
        area_held, None, None, note,
        f"{_sig(area_held)} {ar.unit} in the faces holding {m_count} {chosen.removeprefix('the ')}")


def _notes(prep: _Prep, summ: dict[str, dict[str, float]], corr: float | None,
           extent: tuple[ExtentEffect, ...]) -> list[str]:
    notes = list(prep.notes)
    for r in prep.renderings:
        ln = r.length
        if ln is not None and len(ln.seg_plan):
            spacing = float(np.median(ln.seg_plan))
            sig = prep.sigma.get(r.role, 0.0)
            if corr is None and spacing > 0 and sig > 0.3 * spacing:
                notes.append(
                    f"{r.role}: vertex σ {sig:g} m is {sig / spacing:.1f}× the median vertex spacing "
                    f"{spacing:.0f} m; independent errors then lengthen the line a lot (see bias) and the "
                    "correction that removes it assumes the true line is as finely drawn. Digitising errors "
                    "are correlated: compare with correlation_length_m of a few hundred metres or more.")
    for c in prep.claims:
        s = summ.get(c.id)
        if s and abs(s["bias"]) > s["sigma"] > 0:
            notes.append(f"{c.id}: the raw draws are shifted by {s['bias'] / c.scale:+.3g} {c.unit} "
                         f"({abs(s['bias']) / s['sigma']:.1f} σ) from the measured value; the interval is "
                         "corrected for it (shifted by twice the bias)")
    for e in extent:
        hr = e.half_range
        if hr is None:
            continue
        iv = summ.get(e.claim_id)
        c = next(c for c in prep.claims if c.id == e.claim_id)
        width = "" if iv is None else (f", against a Monte Carlo half-width of "
                                       f"±{_sig((iv['hi'] - iv['lo']) / 2 / c.scale)} {e.unit}")
        notes.append(f"{e.claim_id}: depends on the case's extent: grown by {e.margin_m:g} m it gives "
                     f"{_sig(e.grown)} {e.unit}, shrunk {_sig(e.shrunk)} {e.unit} (±{_sig(hr)} {e.unit}{width}); "
                     f"{EXTENT_KIND}")
    if any(r.area is not None for r in prep.renderings):
        notes.append("areas: first-order (flux) propagation with faces allowed to vanish or reverse; "
                     "faces keep their attribution to pairs; no new lobes are created")
    return notes
