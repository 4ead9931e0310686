"""Check reported figures against measurements, and reported figures against each other.

A claim's tolerance combines, in quadrature (independent errors), every source of
doubt borderkit can put a number on, each listed in ``tolerance_parts``:

``rounding``
    The half-unit the wording implies ("12 km" = ±0.5 km).
``line_ends``
    Length from turning points: their accuracy at both ends (√2·σ).
``settlements``
    Length: where the pair settlements are. They fix the ends of the measured stretch
    (without turning points) and which pair each piece of line belongs to. Each is moved
    by its accuracy in 8 directions, one at a time, and the line measured again
    (:func:`borderkit.measure.settlement_effects_m`); the largest changes add in
    quadrature. On a winding line a settlement known to ±1 km can move an end by
    several kilometres of line.
``positional``
    Length: both ends of the line shift by the line's accuracy (√2·σ). Area: each line
    shifted sideways by its accuracy over the length it bounds the faces
    (½·perimeter·√(σ_new² + σ_old²)).
``rendering``
    The difference between the two renderings of the new line, where the case has an
    alternative rendering.
``datum``
    The spread between candidate datum operations (√2·spread for lengths).

The verdict is ``consistent`` when |measured − reported| ≤ tolerance,
``inconsistent`` otherwise, and ``not computable`` when the case lacks the data (the
reason says which).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, replace
from typing import Any

import pandas as pd

from borderkit.case import Case, Check, Claim
from borderkit.geodesy import geodesic_perimeter_m
from borderkit.measure import Measurements, measure, settlement_effects_m

__all__ = ["CheckResult", "Report", "Verdict", "verify"]

CONSISTENT = "consistent"
INCONSISTENT = "inconsistent"
NOT_COMPUTABLE = "not computable"
UNDETERMINED = "undetermined"


@dataclass(frozen=True)
class Verdict:
    """One claim checked against the measurements.

    ``measured``, ``difference`` and ``tolerance`` are in the claim's own unit.
    """

    claim: Claim
    measured: float | None
    difference: float | None
    difference_pct: float | None
    tolerance: float | None
    tolerance_parts: dict[str, float]
    verdict: str
    reason: str
    basis: str = ""
    #: With ``verify(..., draws=N)``: (lo, median, hi) of the 95 % Monte Carlo interval in
    #: the claim's unit, the statistical verdict and z (see :mod:`borderkit.uncertainty`).
    interval: tuple[float, float, float] | None = None
    statistical_verdict: str | None = None
    z: float | None = None

    @property
    def final_verdict(self) -> str:
        """The statistical verdict where there is one, else the first-order verdict."""
        if self.statistical_verdict in (CONSISTENT, INCONSISTENT, UNDETERMINED):
            return self.statistical_verdict
        return self.verdict

    def __repr__(self) -> str:
        m = "—" if self.measured is None else f"{self.measured:.3g} {self.claim.unit}"
        return (
            f"<Verdict {self.claim.id}: reported {self.claim.value:g} {self.claim.unit}, measured {m}: {self.verdict}>"
        )

    def to_dict(self) -> dict[str, Any]:
        """The JSON form used by ``borderkit verify --json``."""
        c = self.claim
        unit = c.unit
        return {
            "id": c.id,
            "quantity": c.quantity,
            "scope": "total" if c.is_total else list(c.scope),
            "direction": c.direction,
            "subject": c.subject,
            "reported": {"value": c.value, "unit": unit, "precision": c.precision, "wording": c.wording},
            "measured": None if self.measured is None else {"value": _round(self.measured), "unit": unit},
            "difference": None
            if self.difference is None
            else {"value": _round(self.difference), "unit": unit, "percent": _round(self.difference_pct, 2)},
            "tolerance": None
            if self.tolerance is None
            else {
                "value": _round(self.tolerance),
                "unit": unit,
                "parts": {k: _round(v) for k, v in self.tolerance_parts.items()},
                "combined": "root sum of squares of the parts",
            },
            "verdict": self.verdict,
            "reason": self.reason,
            "basis": self.basis,
            "sources": {"said_by": c.said_by, "source": c.source, "date": c.date},
            **(
                {}
                if self.statistical_verdict is None
                else {
                    "interval": None
                    if self.interval is None
                    else {
                        "lo": _round(self.interval[0]),
                        "median": _round(self.interval[1]),
                        "hi": _round(self.interval[2]),
                        "unit": unit,
                        "level": 0.95,
                    },
                    "statistical": {"verdict": self.statistical_verdict, "z": _round(self.z, 2)},
                }
            ),
        }


@dataclass(frozen=True)
class CheckResult:
    """Claims checked against each other, by the intervals their wording allows."""

    check: Check
    left: tuple[float, float]
    right: tuple[float, float]
    difference: float
    unit: str
    verdict: str
    reason: str

    def to_dict(self) -> dict[str, Any]:
        """JSON form."""
        return {
            "id": self.check.id,
            "kind": self.check.kind,
            "claims": list(self.check.claims),
            "total": self.check.total,
            "difference": {"value": _round(self.difference), "unit": self.unit},
            "verdict": self.verdict,
            "reason": self.reason,
        }


@dataclass(frozen=True, eq=False)
class Report:
    """Every claim of a case with its verdict; what :func:`verify` returns."""

    case: Case = field(repr=False)
    measurements: Measurements = field(repr=False)
    verdicts: tuple[Verdict, ...]
    checks: tuple[CheckResult, ...]
    #: :class:`borderkit.uncertainty.UncertaintyResult` when ``verify(..., draws=N)``.
    uncertainty: Any = field(default=None, repr=False)

    @property
    def impact(self) -> Any:
        """:class:`borderkit.impact.ImpactResult` of the case (default rules), or ``None``
        when the case has no buildings, plots, roads or features layer."""
        from borderkit.impact import IMPACT_ROLES, _cached_impact

        if not any(self.case.layers_with_role(r) for r in IMPACT_ROLES) or self.measurements.areas is None:
            return None
        return _cached_impact(self.case, self.measurements)

    def __repr__(self) -> str:
        counts = pd.Series([v.verdict for v in self.verdicts]).value_counts().to_dict()
        text = ", ".join(f"{n} {k}" for k, n in counts.items())
        return f"<Report {self.case.id!r}: {len(self.verdicts)} claims ({text}); {len(self.checks)} cross-checks>"

    @property
    def inconsistent(self) -> list[str]:
        """Ids of claims and cross-checks found inconsistent.

        A claim counts by its statistical verdict where the report has one (``verify(...,
        draws=N)``), else by its first-order verdict.
        """
        return [v.claim.id for v in self.verdicts if v.final_verdict == INCONSISTENT] + [
            c.check.id for c in self.checks if c.verdict == INCONSISTENT
        ]

    def to_frame(self) -> pd.DataFrame:
        """One row per claim: reported, measured, difference, tolerance, verdict, reason."""
        rows = []
        for v in self.verdicts:
            c = v.claim
            rows.append(
                {
                    "claim": c.id,
                    "quantity": c.quantity,
                    "scope": "total" if c.is_total else "+".join(c.scope),
                    "reported": c.value,
                    "±": c.precision,
                    "unit": c.unit,
                    "measured": v.measured,
                    "difference": v.difference,
                    "difference_%": v.difference_pct,
                    "tolerance": v.tolerance,
                    "verdict": v.verdict,
                    "reason": v.reason,
                    **(
                        {}
                        if self.uncertainty is None
                        else {
                            "lo": v.interval[0] if v.interval else None,
                            "median": v.interval[1] if v.interval else None,
                            "hi": v.interval[2] if v.interval else None,
                            "statistical_verdict": v.statistical_verdict,
                            "z": v.z,
                        }
                    ),
                }
            )
        return pd.DataFrame(rows).set_index("claim")

    def checks_frame(self) -> pd.DataFrame:
        """One row per cross-check between claims."""
        return pd.DataFrame(
            [
                {
                    "check": c.check.id,
                    "kind": c.check.kind,
                    "difference": c.difference,
                    "unit": c.unit,
                    "verdict": c.verdict,
                    "reason": c.reason,
                }
                for c in self.checks
            ]
        ).set_index("check")

    def to_dict(self) -> dict[str, Any]:
        """The JSON document printed by ``borderkit verify --json``."""
        layers = [lay.provenance() for lay in self.case.layers.values()]
        return {
            "case": {
                "id": self.case.id,
                "title": self.case.title,
                "countries": [{"code": c.code, "name": c.name} for c in self.case.countries],
                "pairs": [
                    {"id": p.id, "section": p.section, "settlements": dict(p.settlements)} for p in self.case.pairs
                ],
                "layers": layers,
            },
            "claims": [v.to_dict() for v in self.verdicts],
            "checks": [c.to_dict() for c in self.checks],
            "measurements": self.measurements.to_dict(),
            "impact": None if self.impact is None else self.impact.to_dict(),
            **({} if self.uncertainty is None else {"uncertainty": self.uncertainty.to_dict()}),
        }


def _round(v: float | None, nd: int = 4) -> float | None:
    if v is None or not math.isfinite(v):
        return None
    return round(float(v), nd)


def _quad(parts: dict[str, float]) -> float:
    return math.sqrt(sum(p * p for p in parts.values()))


def _datum_spread_m(case: Case, roles: tuple[str, ...]) -> float:
    return max((lay.transformation.spread_m for lay in case.layers.values() if lay.role in roles), default=0.0)


def _length_verdict(case: Case, m: Measurements, claim: Claim, settlement_m: float) -> Verdict:
    measured = m.length_m(claim.scope)
    if measured is None or measured == 0.0:
        why = (
            "no new line and no turning points in this case"
            if m.line_basis == "none"
            else (f"the measured line has no segment attributed to {'+'.join(claim.scope)}")
        )
        return _not_computable(claim, why)
    new = case.layer("turning_points") if m.line_basis == "turning_points" else case.layer("new_line")
    assert new is not None
    parts = {"rounding": claim.precision_si}
    if m.line_basis == "turning_points":
        parts["line_ends"] = math.sqrt(2) * new.accuracy_m
    else:
        parts["positional"] = math.sqrt(2) * new.accuracy_m
    parts["settlements"] = settlement_m
    if m.alt is not None and m.line_basis != "turning_points":
        alt = m.alt.length_m(claim.scope)
        if alt is not None:
            parts["rendering"] = abs(alt - measured)
    parts["datum"] = math.sqrt(2) * _datum_spread_m(case, ("new_line", "turning_points"))
    return _judge(claim, measured, parts, m.line_basis)


def _area_verdict(case: Case, m: Measurements, claim: Claim) -> Verdict:
    assert claim.direction is not None
    if m.areas is None:
        return _not_computable(claim, m.areas_reason.removeprefix("not computable: "))
    measured = m.area_m2(claim.direction, claim.scope)
    assert measured is not None
    sel = m.areas[m.areas["to_country"] == claim.direction]
    if "sliver" in sel.columns:  # slivers are within the data's uncertainty, not handovers
        sel = sel[~sel["sliver"].astype(bool)]
    if claim.scope:
        sel = sel[[set(p.split(",")) <= set(claim.scope) for p in sel["pairs"]]]
    half_perimeter_m = 0.5 * sum(geodesic_perimeter_m(g) for g in sel.geometry)
    new, old = case.layer("new_line"), case.layer("old_line")
    assert new is not None
    assert old is not None
    parts = {
        "rounding": claim.precision_si,
        "positional": half_perimeter_m * math.hypot(new.accuracy_m, old.accuracy_m),
    }
    if m.alt is not None and m.alt.areas is not None:
        alt = m.alt.area_m2(claim.direction, claim.scope)
        if alt is not None:
            parts["rendering"] = abs(alt - measured)
    parts["datum"] = half_perimeter_m * _datum_spread_m(case, ("new_line", "old_line"))
    return _judge(claim, measured, parts, f"faces between new and old line inside the extent, to {claim.direction}")


def _impact_verdict(case: Case, m: Measurements, claim: Claim) -> Verdict:
    role = claim.subject or "features"
    if not case.layers_with_role(role):
        return _not_computable(claim, f"no {role} layer in this case")
    from borderkit.impact import impact_verdict_value

    measured_si, parts, basis = impact_verdict_value(case, m, claim)
    if measured_si is None:
        return _not_computable(claim, basis)
    return _judge(claim, measured_si, parts, basis)


def _not_computable(claim: Claim, why: str) -> Verdict:
    return Verdict(claim, None, None, None, None, {}, NOT_COMPUTABLE, f"not computable: {why}")


def _judge(claim: Claim, measured_si: float, parts_si: dict[str, float], basis: str) -> Verdict:
    scale = claim.scale
    measured = measured_si / scale
    parts = {k: v / scale for k, v in parts_si.items()}
    tol = _quad(parts)
    diff = measured - claim.value
    pct = 100.0 * diff / claim.value if claim.value else None
    big = max(parts, key=lambda k: parts[k]) if parts else ""
    u = claim.unit
    if abs(diff) <= tol:
        verdict = CONSISTENT
        reason = (
            f"measured {measured:.3g} {u} is within ±{tol:.2g} {u} of the reported {claim.value:g} {u} "
            f"(largest doubt: {big}, ±{parts.get(big, 0):.2g} {u})"
        )
    else:
        verdict = INCONSISTENT
        reason = (
            f"measured {measured:.3g} {u} differs from the reported {claim.value:g} {u} by {diff:+.2g} {u}, "
            f"{abs(diff) / tol:.1f}× the tolerance ±{tol:.2g} {u} (largest doubt: {big})"
            if tol
            else f"measured {measured:.3g} {u} differs from the reported {claim.value:g} {u} by {diff:+.2g} {u}"
        )
    return Verdict(claim, measured, diff, pct, tol, parts, verdict, reason, basis)


def _check(case: Case, check: Check) -> CheckResult:
    cl = {c.id: c for c in case.claims}
    parts = [cl[i] for i in check.claims]
    unit = parts[0].unit
    to_unit = parts[0].scale

    def interval(c: Claim) -> tuple[float, float]:
        k = c.scale / to_unit
        return ((c.value - c.precision) * k, (c.value + c.precision) * k)

    if check.kind == "sum":
        assert check.total is not None
        ivs = [interval(c) for c in parts]
        left = (sum(a for a, _ in ivs), sum(b for _, b in ivs))
        right = interval(cl[check.total])
        total = cl[check.total]
        parts_sum = sum(c.value * c.scale / to_unit for c in parts)
        diff = parts_sum - total.value * total.scale / to_unit
        words = " + ".join(f"{c.value:g}" for c in parts)
        what = f"{words} = {parts_sum:g} {unit} vs {check.total} {total.value:g} {total.unit}"
    else:
        ivs = [interval(c) for c in parts]
        # Equal claims agree when one value lies in every claim's interval.
        left = (max(a for a, _ in ivs), max(a for a, _ in ivs))
        right = (min(b for _, b in ivs), min(b for _, b in ivs))
        diff = parts[0].value * parts[0].scale / to_unit - parts[1].value * parts[1].scale / to_unit
        what = " vs ".join(f"{c.id} {c.value:g} {c.unit}" for c in parts)
    overlap = max(left[0], right[0]) <= min(left[1], right[1]) if check.kind == "sum" else left[0] <= right[1]
    verdict = CONSISTENT if overlap else INCONSISTENT
    reason = f"{what}: differ by {diff:+.3g} {unit}; " + (
        "the rounding of the wording can explain it" if overlap else "more than the rounding of the wording allows"
    )
    return CheckResult(check, left, right, diff, unit, verdict, reason)


def verify(case: Case, *, measurements: Measurements | None = None, draws: int = 0, seed: int = 0) -> Report:
    """Check every claim of ``case`` against its measurements, and claims against each other.

    Parameters
    ----------
    case : Case
        As :func:`borderkit.load_case` returns it.
    measurements : Measurements, optional
        Reuse measurements already taken (:func:`borderkit.measure`).
    draws : int
        With ``draws > 0``, also run :func:`borderkit.uncertainty.uncertainty` with that
        many Monte Carlo draws: each verdict gets its 95 % ``interval``,
        ``statistical_verdict`` and ``z``, the report its ``uncertainty``. The
        deterministic verdict is unchanged.
    seed : int
        Seed of the draws (same seed, same numbers).

    Returns
    -------
    Report

    Examples
    --------
    >>> from borderkit import load_case
    >>> report = verify(load_case("tavush-2024"))
    >>> report.to_frame().loc["plots", "verdict"]
    'not computable'
    >>> report.checks_frame().loc["stretches-sum-vs-total", "verdict"]
    'consistent'
    """
    m = measurements if measurements is not None else measure(case)
    length_scopes = [c.scope for c in case.claims if c.quantity == "length" and c.subject is None]
    effects = settlement_effects_m(case, length_scopes) if length_scopes and m.line_basis != "none" else {}
    verdicts = []
    for claim in case.claims:
        # A claim about buildings, plots or roads is an impact claim whatever its quantity.
        if claim.subject is not None or claim.quantity == "count":
            verdicts.append(_impact_verdict(case, m, claim))
        elif claim.quantity == "length":
            verdicts.append(_length_verdict(case, m, claim, effects.get(claim.scope, 0.0)))
        else:
            verdicts.append(_area_verdict(case, m, claim))
    checks = tuple(_check(case, ch) for ch in case.checks)
    if draws <= 0:
        return Report(case, m, tuple(verdicts), checks)
    from borderkit.uncertainty import uncertainty

    u = uncertainty(case, draws=draws, seed=seed, measurements=m)
    by_id = {i.claim_id: i for i in u.intervals}
    verdicts = [
        replace(
            v, interval=by_id[v.claim.id].interval, statistical_verdict=by_id[v.claim.id].verdict, z=by_id[v.claim.id].z
        )
        if v.claim.id in by_id
        else v
        for v in verdicts
    ]
    return Report(case, m, tuple(verdicts), checks, u)
