"""Intervals and verdicts from Monte Carlo draws, with what the draws can and cannot support.

:func:`interval_from_draws` turns draws of a measured quantity into an interval for it;
:func:`judge` compares a claim with that interval; :func:`combine` joins the outcomes of
several scenarios (which rendering of the line is right, say). Three rules keep the
verdicts honest:

- no bias correction: the interval is the spread of the draws re-centred on the
  measured value, so every measured value lies inside its own interval; how much the
  model lengthens the line (median of draws − measured) is kept beside it as a
  diagnostic, never subtracted;
- "undetermined" depends on the interval alone (its width relative to its median),
  never on the size of the claim, so the same interval says the same of every claim;
- tails are fractions of draws ("0 of 10,000 draws ..."), never a z or a σ the draws
  cannot support; where a claim edge lies within two Monte Carlo standard errors of an
  interval end the outcome is "more draws needed".
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, replace

import numpy as np
from numpy.typing import ArrayLike, NDArray

from borderkit.enums import Outcome
from borderkit.errors import CaseError

__all__ = [
    "DEPENDS",
    "UNDETERMINED_RELATIVE_WIDTH",
    "Interval",
    "Outcome",
    "StatResult",
    "combine",
    "interval_from_draws",
    "judge",
    "quantile_se",
    "tail_text",
    "widened",
]

#: An interval wider than this fraction of its median is "undetermined" for every claim:
#: at 1.0 the data would agree both with half the median and with one and a half times it.
UNDETERMINED_RELATIVE_WIDTH = 1.0
#: A claim edge within this many Monte Carlo standard errors of an interval end needs more draws.
MC_SE_MARGIN = 2.0
DEPENDS = Outcome.DEPENDS


def quantile_se(values: ArrayLike, p: float) -> float:
    """Monte Carlo standard error of the ``p`` quantile of ``values`` (order-statistic method).

    The number of draws below the true ``p`` quantile is binomial, with standard
    deviation ``√(N·p(1−p))``; the draws at ranks ``N·p ± √(N·p(1−p))`` therefore
    bracket the true quantile with about 68 % probability, and half the distance between
    them is the standard error. Distribution-free; shrinks like ``1/√N``.

    Examples
    --------
    For N standard normal draws the asymptotic value is √(p(1−p)/N)/φ(z_p): at the median,
    √(0.25/10 000)/0.3989 = 0.0125.

    >>> v = np.random.default_rng(0).standard_normal(10_000)
    >>> bool(0.011 < quantile_se(v, 0.5) < 0.014)
    True
    """
    x = np.asarray(values, dtype=float)
    n = x.size
    if n < 2:
        return math.inf
    half = math.sqrt(p * (1 - p) / n)
    lo, hi = np.quantile(x, [max(p - half, 0.0), min(p + half, 1.0)])
    return float(hi - lo) / 2


@dataclass(frozen=True)
class Interval:
    """An interval for a measured value from Monte Carlo draws, in the draws' unit.

    ``lo``/``hi`` are the draws' quantiles re-centred on ``measured`` (so ``median`` is
    ``measured``); ``lo_se``/``hi_se`` their Monte Carlo standard errors;
    ``lengthening`` = median of draws − measured (a diagnostic, not subtracted).
    """

    lo: float
    median: float
    hi: float
    level: float
    draws: int
    lo_se: float
    hi_se: float
    measured: float
    lengthening: float

    @property
    def relative_width(self) -> float:
        """(hi − lo) / |median|; infinite for a zero median."""
        return (self.hi - self.lo) / abs(self.median) if self.median else math.inf


def interval_from_draws(values: ArrayLike, *, measured: float, level: float = 0.95) -> Interval:
    """The ``level`` interval for ``measured`` from draws of it, without bias correction.

    ``lo = measured + (q_{(1−level)/2} − median)``, ``hi = measured + (q_{(1+level)/2} −
    median)`` of the draws. Each end's standard error combines that of its quantile and
    of the median (:func:`quantile_se`), added in quadrature: conservative, since the two
    are positively correlated.

    Examples
    --------
    >>> iv = interval_from_draws([9.0, 10.0, 11.0, 12.0, 13.0], measured=10.0, level=0.5)
    >>> (iv.lo, iv.median, iv.hi, iv.lengthening)
    (9.0, 10.0, 11.0, 1.0)
    """
    v = np.asarray(values, dtype=float).ravel()
    if v.size < 2 or not np.isfinite(v).all():
        msg = f"values: expected at least 2 finite draws, got {v.size} ({int(np.sum(~np.isfinite(v)))} not finite)"
        raise CaseError(msg)
    if not (isinstance(level, int | float) and 0 < level < 1):
        msg = f"level={level!r}: expected a probability strictly between 0 and 1, e.g. 0.95"
        raise CaseError(msg)
    if not math.isfinite(measured):
        msg = f"measured={measured!r}: expected a finite value"
        raise CaseError(msg)
    a = (1 - level) / 2
    q_lo, med, q_hi = (float(q) for q in np.quantile(v, [a, 0.5, 1 - a]))
    se_med = quantile_se(v, 0.5)
    return Interval(
        lo=measured + q_lo - med,
        median=float(measured),
        hi=measured + q_hi - med,
        level=float(level),
        draws=int(v.size),
        lo_se=math.hypot(quantile_se(v, a), se_med),
        hi_se=math.hypot(quantile_se(v, 1 - a), se_med),
        measured=float(measured),
        lengthening=med - measured,
    )


def widened(interval: Interval) -> Interval:
    """``interval`` extended by its lengthening on the side opposite the shift, not moved.

    A rendering carries errors of its own, and errors lengthen a line: the draws of the
    measured line + the model's errors measure longer, on average by ``lengthening``,
    than the measured line; the line without its errors would measure shorter by about
    as much. The interval stays centred on the measured value (no correction) and reaches
    further on the side the true value may lie, so that it covers the value with and
    without the errors' lengthening.

    Examples
    --------
    >>> iv = interval_from_draws([9.0, 10.0, 11.0, 12.0, 13.0], measured=10.0, level=0.5)
    >>> w = widened(iv)
    >>> (w.lo, w.median, w.hi)
    (8.0, 10.0, 11.0)
    """
    shift = interval.lengthening
    if shift > 0:
        return replace(interval, lo=interval.lo - shift)
    if shift < 0:
        return replace(interval, hi=interval.hi - shift)
    return interval


def _num(x: float) -> str:
    return f"{x:,.0f}" if abs(x) >= 1000 else f"{x:.4g}"


def tail_text(
    shifted: NDArray[np.float64], claim_lo: float, claim_hi: float, median: float, unit: str = ""
) -> tuple[int, float, str]:
    """(count, fraction, sentence) of re-centred draws at least as far out as the claim.

    Examples
    --------
    >>> tail_text(np.linspace(13.0, 15.0, 10_000), 12.65, 12.75, 14.0, "km")[2]
    '0 of 10,000 draws fall at or below 12.75 km (< 0.01 %)'
    """
    n = shifted.size
    u = f" {unit}" if unit else ""
    if claim_hi < median:
        k = int(np.sum(shifted <= claim_hi))
        where = f"at or below {_num(claim_hi)}{u}"
    elif claim_lo > median:
        k = int(np.sum(shifted >= claim_lo))
        where = f"at or above {_num(claim_lo)}{u}"
    else:
        return n, 1.0, f"the claim [{_num(claim_lo)}, {_num(claim_hi)}]{u} holds the median {_num(median)}{u}"
    pct = f"< {100 / n:.2g} %" if k == 0 else f"{100 * k / n:.2g} %"
    return k, k / n, f"{k:,} of {n:,} draws fall {where} ({pct})"


@dataclass(frozen=True)
class StatResult:
    """A claim judged against a Monte Carlo interval."""

    outcome: Outcome
    reason: str
    interval: Interval
    claim_lo: float
    claim_hi: float
    tail_count: int
    tail_fraction: float
    tail_text: str


def judge(
    interval: Interval, claim_lo: float, claim_hi: float, *, draws_values: ArrayLike, unit: str = ""
) -> StatResult:
    """Compare a claim's rounding interval ``[claim_lo, claim_hi]`` with a Monte Carlo interval.

    In this order:

    1. UNDETERMINED when ``(hi − lo)/|median|`` exceeds :data:`UNDETERMINED_RELATIVE_WIDTH`,
       whatever the claim (MORE_DRAWS if the width is within two standard errors of it);
    2. INCONSISTENT when the claim misses ``[lo, hi]`` by more than two Monte Carlo
       standard errors of the nearer end, CONSISTENT when it overlaps by more than that
       at both ends, and MORE_DRAWS in between (more draws could flip it).

    ``draws_values`` are the raw draws the interval came from; the tail text counts them
    re-centred as the interval is.

    Examples
    --------
    >>> v = np.random.default_rng(0).normal(14.0, 0.3, 10_000)
    >>> iv = interval_from_draws(v, measured=14.0)
    >>> r = judge(iv, 12.65, 12.75, draws_values=v, unit="km")
    >>> str(r.outcome), r.tail_text
    ('inconsistent', '0 of 10,000 draws fall at or below 12.75 km (< 0.01 %)')
    """
    if not (math.isfinite(claim_lo) and math.isfinite(claim_hi) and claim_lo <= claim_hi):
        msg = f"claim interval [{claim_lo!r}, {claim_hi!r}]: expected finite ends with claim_lo ≤ claim_hi"
        raise CaseError(msg)
    v = np.asarray(draws_values, dtype=float).ravel()
    shifted = v - interval.lengthening
    count, frac, text = tail_text(shifted, claim_lo, claim_hi, interval.median, unit)
    width = interval.relative_width
    q_se = math.sqrt(max(interval.lo_se**2 + interval.hi_se**2, 0.0))
    width_se = q_se / abs(interval.median) if interval.median else math.inf
    u = f" {unit}" if unit else ""
    span = f"[{_num(interval.lo)}, {_num(interval.hi)}]{u}"
    if abs(width - UNDETERMINED_RELATIVE_WIDTH) <= MC_SE_MARGIN * width_se:
        outcome = Outcome.MORE_DRAWS
        reason = (
            f"the interval {span} is {width:.0%} of its median, within two Monte Carlo standard errors "
            f"of the {UNDETERMINED_RELATIVE_WIDTH:.0%} that makes it undetermined"
        )
    elif width > UNDETERMINED_RELATIVE_WIDTH:
        outcome = Outcome.UNDETERMINED
        reason = (
            f"the interval {span} is {width:.0%} of its median (over {UNDETERMINED_RELATIVE_WIDTH:.0%}): "
            "too wide to say anything of any claim"
        )
    else:
        reach_lo = claim_hi - interval.lo  # > 0: the claim reaches above lo
        reach_hi = interval.hi - claim_lo  # > 0: the claim reaches below hi
        m = MC_SE_MARGIN
        if reach_lo < -m * interval.lo_se or reach_hi < -m * interval.hi_se:
            outcome = Outcome.INCONSISTENT
            reason = f"the claim lies outside the {interval.level:.0%} interval {span}: {text}"
        elif reach_lo > m * interval.lo_se and reach_hi > m * interval.hi_se:
            outcome = Outcome.CONSISTENT
            reason = f"the claim overlaps the {interval.level:.0%} interval {span}"
        else:
            edge = interval.lo if abs(reach_lo) <= abs(reach_hi) else interval.hi
            se = interval.lo_se if edge == interval.lo else interval.hi_se
            outcome = Outcome.MORE_DRAWS
            reason = (
                f"the claim edge lies within two Monte Carlo standard errors ({_num(se)}{u}) of the interval end "
                f"{_num(edge)}{u} from {interval.draws:,} draws: more draws could change the outcome"
            )
    return StatResult(outcome, reason, interval, float(claim_lo), float(claim_hi), count, frac, text)


def combine(outcomes_by_scenario: Mapping[str, Outcome]) -> tuple[Outcome, str]:
    """One outcome across scenarios, or "depends" and where each outcome holds.

    Consistent only if consistent under every scenario, inconsistent only if
    inconsistent under every one (likewise for the other outcomes); otherwise
    :data:`DEPENDS`, with the scenarios named per outcome in the order given.

    Examples
    --------
    >>> outcome, text = combine({"osm-2026c": Outcome.CONSISTENT, "osm-2025a": Outcome.CONSISTENT,
    ...                          "geoboundaries-2020": Outcome.INCONSISTENT})
    >>> str(outcome), text
    ('depends', 'consistent under osm-2026c, osm-2025a; inconsistent under geoboundaries-2020')
    """
    if not outcomes_by_scenario:
        msg = "outcomes_by_scenario: expected at least one scenario, got none"
        raise CaseError(msg)
    groups: dict[Outcome, list[str]] = {}
    for name, outcome in outcomes_by_scenario.items():
        groups.setdefault(Outcome(outcome), []).append(name)
    if len(groups) == 1:
        ((only, names),) = groups.items()
        every = "the only scenario" if len(names) == 1 else "every scenario"
        return only, f"{only} under {every} ({', '.join(names)})"
    return DEPENDS, "; ".join(f"{o} under {', '.join(n)}" for o, n in groups.items())
