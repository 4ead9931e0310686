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
from typing import TYPE_CHECKING, Any

from borderkit._measure import Measurements, settlement_effects_m
from borderkit.case import Case, Check, Claim
from borderkit.enums import LineBasis, Outcome, Quantity
from borderkit.geodesy import geodesic_perimeter_m

if TYPE_CHECKING:
    # Types only: verify judges what impact and uncertainty computed; it runs neither.
    from borderkit._impact import ImpactResult
    from borderkit._uncertainty import UncertaintyResult

__all__ = ["CheckResult", "Verdict", "judge_claims"]

CONSISTENT = Outcome.CONSISTENT
INCONSISTENT = Outcome.INCONSISTENT
NOT_COMPUTABLE = Outcome.NOT_COMPUTABLE
UNDETERMINED = Outcome.UNDETERMINED


@dataclass(frozen=True)
class Verdict:
    """One claim checked against the measurements.

    ``measured``, ``difference`` and ``tolerance`` are in the claim's own unit.
    ``verdict`` is the quick look (first-order); ``statistical_verdict`` the Monte Carlo
    verdict over every rendering, where there is one; ``final_verdict`` the one to read.

    Examples
    --------
    >>> import borderkit
    >>> v = borderkit.analyse("tavush-2024", draws=0).verdict("length-total-12.7")
    >>> v.claim.unit, str(v.final_verdict) in ("consistent", "inconsistent")
    ('km', True)
    """

    claim: Claim
    measured: float | None
    difference: float | None
    difference_pct: float | None
    tolerance: float | None
    tolerance_parts: dict[str, float]
    verdict: Outcome
    reason: str
    basis: str = ""
    #: With draws: (lo, measured, hi) of the 95 % Monte Carlo interval on the measured
    #: rendering, in the claim's unit; the one verdict over every rendering (scenario) and
    #: where each outcome holds (:mod:`borderkit._uncertainty`).
    interval: tuple[float, float, float] | None = None
    statistical_verdict: Outcome | None = None
    statistical_reason: str = ""
    #: The claim measured on every rendering of the new line (claim unit), the measured one first.
    by_rendering: dict[str, float | None] = field(default_factory=dict)

    @property
    def final_verdict(self) -> Outcome:
        """The Monte Carlo verdict where there is one, else the quick look (first-order)."""
        return self.statistical_verdict if self.statistical_verdict is not None else self.verdict

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
            "verdict": str(self.verdict),
            "reason": self.reason,
            "basis": self.basis,
            "by_rendering": {k: _round(v) for k, v in self.by_rendering.items()},
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
                    "statistical": {
                        "verdict": None if self.statistical_verdict is None else str(self.statistical_verdict),
                        "reason": self.statistical_reason,
                    },
                }
            ),
        }


@dataclass(frozen=True)
class CheckResult:
    """Claims checked against each other, by the intervals their wording allows.

    Examples
    --------
    >>> import borderkit
    >>> c = borderkit.analyse("tavush-2024", draws=0).checks[0]
    >>> c.check.id, str(c.verdict)
    ('stretches-sum-vs-total', 'consistent')
    """

    check: Check
    left: tuple[float, float]
    right: tuple[float, float]
    difference: float
    unit: str
    verdict: Outcome
    reason: str

    def to_dict(self) -> dict[str, Any]:
        """JSON form."""
        return {
            "id": self.check.id,
            "kind": self.check.kind,
            "claims": list(self.check.claims),
            "total": self.check.total,
            "difference": {"value": _round(self.difference), "unit": self.unit},
            "verdict": str(self.verdict),
            "reason": self.reason,
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
            if m.line_basis is LineBasis.NONE
            else (f"the measured line has no segment attributed to {'+'.join(claim.scope)}")
        )
        return _not_computable(claim, why)
    turning = m.line_basis is LineBasis.TURNING_POINTS
    new = case.layer("turning_points") if turning else case.layers.get(m.rendering)
    assert new is not None
    parts = {"rounding": claim.precision_si}
    if turning:
        parts["line_ends"] = math.sqrt(2) * new.accuracy_m
    else:
        parts["positional"] = math.sqrt(2) * new.accuracy_m
    parts["settlements"] = settlement_m
    alts = [v for r in m.renderings.values() if (v := r.length_m(claim.scope)) is not None]
    if alts and not turning:
        parts["rendering"] = max(abs(a - measured) for a in alts)
    parts["datum"] = math.sqrt(2) * _datum_spread_m(case, ("new_line", "turning_points"))
    return _judge(claim, measured, parts, str(m.line_basis))


def _area_verdict(case: Case, m: Measurements, claim: Claim) -> Verdict:
    assert claim.direction is not None
    if m.areas is None:
        return _not_computable(claim, m.areas_reason.removeprefix("not computable: "))
    # Slivers are within the data's uncertainty, not handovers; ``holding`` names the faces.
    sel = m.faces(claim.direction, claim.scope, claim.holding)
    assert sel is not None
    measured = float(sel["area_m2"].sum())
    half_perimeter_m = 0.5 * sum(geodesic_perimeter_m(g) for g in sel.geometry)
    new, old = case.layers.get(m.rendering), case.layer("old_line")
    assert new is not None
    assert old is not None
    parts = {
        "rounding": claim.precision_si,
        "positional": half_perimeter_m * math.hypot(new.accuracy_m, old.accuracy_m),
    }
    alts = [
        v for r in m.renderings.values() if (v := r.area_m2(claim.direction, claim.scope, claim.holding)) is not None
    ]
    if alts:
        parts["rendering"] = max(abs(a - measured) for a in alts)
    parts["datum"] = half_perimeter_m * _datum_spread_m(case, ("new_line", "old_line"))
    which = f"holding {', '.join(claim.holding)}" if claim.holding else "all of them"
    basis = f"faces between the new and the old line inside the extent, to {claim.direction}: {which}"
    return _judge(claim, measured, parts, basis)


def _impact_verdict(case: Case, claim: Claim, impact: ImpactResult | None) -> Verdict:
    role = claim.subject or "features"
    if impact is None or claim.id not in impact.claims:
        return _not_computable(claim, f"no {role} layer in this case")
    value = impact.claims[claim.id]
    if value.measured_si is None:
        return _not_computable(claim, value.basis)
    return _judge(claim, value.measured_si, dict(value.tolerance_parts_si), value.basis)


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
    u = {"km2": "km²", "m2": "m²"}.get(claim.unit, claim.unit)
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


def _by_rendering(m: Measurements, claim: Claim) -> dict[str, float | None]:
    """The claim's quantity on the measured line and on every other rendering, in its unit."""
    out: dict[str, float | None] = {}
    for name, mm in {m.rendering or "new line": m, **m.renderings}.items():
        if claim.quantity == Quantity.LENGTH:
            v = mm.length_m(claim.scope)
        else:
            v = None if claim.direction is None else mm.area_m2(claim.direction, claim.scope, claim.holding)
        out[name] = None if v is None else v / claim.scale
    return out


def judge_claims(
    case: Case,
    measurements: Measurements,
    *,
    impact: ImpactResult | None = None,
    uncertainty: UncertaintyResult | None = None,
) -> tuple[tuple[Verdict, ...], tuple[CheckResult, ...]]:
    """Every claim of ``case`` against what was measured, and the claims against each other.

    This step computes no measurement of its own: it reads ``measurements``, the impact
    claims of ``impact`` and the intervals of ``uncertainty``, all computed before it by
    :func:`borderkit.analyse`.

    Parameters
    ----------
    case : Case
    measurements : Measurements
    impact : ImpactResult, optional
        Needed for claims about buildings, plots, roads or features; without it they are
        not computable.
    uncertainty : UncertaintyResult, optional
        Adds each claim's 95 % interval and statistical verdict.

    Returns
    -------
    tuple
        ``(verdicts, checks)``, in the case's order.

    Examples
    --------
    >>> from borderkit import load_case, measure
    >>> case = load_case("tavush-2024")
    >>> verdicts, checks = judge_claims(case, measure(case))
    >>> [str(v.verdict) for v in verdicts if v.claim.id == "plots"]
    ['not computable']
    """
    m = measurements
    length_scopes = [c.scope for c in case.claims if c.quantity == Quantity.LENGTH and c.subject is None]
    effects = (
        settlement_effects_m(case, length_scopes, rendering=m.rendering or None)
        if length_scopes and m.line_basis is not LineBasis.NONE
        else {}
    )
    verdicts = []
    for claim in case.claims:
        # A claim about buildings, plots or roads is an impact claim whatever its quantity.
        if claim.subject is not None or claim.quantity == Quantity.COUNT:
            verdicts.append(_impact_verdict(case, claim, impact))
            continue
        if claim.quantity == Quantity.LENGTH:
            v = _length_verdict(case, m, claim, effects.get(claim.scope, 0.0))
        else:
            v = _area_verdict(case, m, claim)
        verdicts.append(replace(v, by_rendering=_by_rendering(m, claim)))
    checks = tuple(_check(case, ch) for ch in case.checks)
    if uncertainty is not None:
        by_id = {c.claim_id: c for c in uncertainty.claims}
        out = []
        for v in verdicts:
            u = by_id.get(v.claim.id)
            if u is None:
                out.append(v)
                continue
            first = u.scenarios[0]
            iv = (first.interval.lo, first.measured, first.interval.hi)
            out.append(replace(v, interval=iv, statistical_verdict=u.outcome, statistical_reason=u.reason))
        verdicts = out
    return tuple(verdicts), checks
