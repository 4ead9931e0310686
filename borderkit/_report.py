"""The one result of an analysis: :class:`Report`, what :func:`borderkit.analyse` returns.

Every output (the text table, JSON, GIS exports, maps, the web map, the HTML report)
reads its figures from a Report, so a number shown in two outputs is the same field.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from borderkit._impact import ImpactResult
from borderkit._measure import Measurements
from borderkit._profile import Profile
from borderkit._uncertainty import UncertaintyResult
from borderkit._verify import CheckResult, Verdict
from borderkit.case import Case
from borderkit.enums import Outcome
from borderkit.errors import CaseError

__all__ = ["Report"]


@dataclass(frozen=True, eq=False)
class Report:
    """Every claim of a case with its verdict, and everything measured to reach it.

    Attributes
    ----------
    case : Case
    measurements : Measurements
        Lengths, handed-over faces and settlements, on every rendering of the new line.
    verdicts : tuple of Verdict
        One per claim, in the case's order.
    checks : tuple of CheckResult
        The claims checked against each other.
    uncertainty : UncertaintyResult or None
        The Monte Carlo step; ``None`` with ``draws=0``.
    impact : ImpactResult or None
        What lies in the handed-over land; ``None`` when the case has no impact layer.
    draws, seed : int
        The Monte Carlo draws and seed the report was made with.
    warnings : tuple of str
        Legal but suspicious input (a self-crossing line, an extent missing the lines),
        one text per cause; each was also issued once as a ``BorderkitWarning``.

    Examples
    --------
    >>> import borderkit
    >>> report = borderkit.analyse("tavush-2024", draws=0)
    >>> report.verdict("plots").verdict
    <Outcome.NOT_COMPUTABLE: 'not computable'>
    >>> report.to_frame().loc["length-total-12.7", "unit"]
    'km'
    """

    case: Case = field(repr=False)
    measurements: Measurements = field(repr=False)
    verdicts: tuple[Verdict, ...]
    checks: tuple[CheckResult, ...]
    uncertainty: UncertaintyResult | None = field(default=None, repr=False)
    impact: ImpactResult | None = field(default=None, repr=False)
    draws: int = 0
    seed: int = 0
    #: Markers along every rendering of the new line (:meth:`profile`).
    line_profile: Profile | None = field(default=None, repr=False)
    #: What the analysis found legal but suspicious, one text per cause (also issued as BorderkitWarning).
    warnings: tuple[str, ...] = ()

    def __repr__(self) -> str:
        counts = pd.Series([str(v.final_verdict) for v in self.verdicts]).value_counts().to_dict()
        text = ", ".join(f"{n} {k}" for k, n in counts.items())
        return (
            f"<Report {self.case.id!r}: {len(self.verdicts)} claims ({text}); {len(self.checks)} cross-checks; "
            f"{self.draws:,} draws>"
        )

    def verdict(self, claim_id: str) -> Verdict:
        """The verdict on the claim ``claim_id``."""
        for v in self.verdicts:
            if v.claim.id == claim_id:
                return v
        msg = f"claim_id={claim_id!r}: no such claim. Use one of {[v.claim.id for v in self.verdicts]}"
        raise CaseError(msg)

    @property
    def inconsistent(self) -> list[str]:
        """Ids of claims (by their final verdict) and cross-checks found inconsistent."""
        return [v.claim.id for v in self.verdicts if v.final_verdict == Outcome.INCONSISTENT] + [
            c.check.id for c in self.checks if c.verdict == Outcome.INCONSISTENT
        ]

    def profile(self) -> pd.DataFrame:
        """Where each settlement, crossing, face and stretch end lies, in km along each rendering."""
        return pd.DataFrame() if self.line_profile is None else self.line_profile.markers

    def scenarios_frame(self) -> pd.DataFrame:
        """The rendering × claim table: each claim measured on every rendering of the new line.

        One row per rendering (its layer name), with its label, median vertex spacing
        (``spacing_m``: the step it was digitised at, on which length depends), then one
        column per length or area claim, in the claim's unit.
        """
        m = self.measurements
        rows = []
        for name, mm in {m.rendering: m, **m.renderings}.items():
            lay = self.case.layers.get(name)
            row: dict[str, Any] = {"rendering": name, "label": lay.title if lay else name, "spacing_m": mm.spacing_m}
            for v in self.verdicts:
                if v.by_rendering:
                    row[f"{v.claim.id} ({v.claim.unit})"] = v.by_rendering.get(name)
            rows.append(row)
        return pd.DataFrame(rows).set_index("rendering")

    def per_pair(self) -> pd.DataFrame:
        """Length and areas per settlement pair (:meth:`Measurements.per_pair`)."""
        return self.measurements.per_pair()

    def to_frame(self) -> pd.DataFrame:
        """One row per claim: reported, measured, difference, tolerance, verdicts, reason."""
        rows = []
        for v in self.verdicts:
            c = v.claim
            row: dict[str, Any] = {
                "claim": c.id,
                "quantity": str(c.quantity),
                "scope": "total" if c.is_total else "+".join(c.scope),
                "reported": c.value,
                "±": c.precision,
                "unit": c.unit,
                "measured": v.measured,
                "difference": v.difference,
                "difference_%": v.difference_pct,
                "tolerance": v.tolerance,
                "verdict": str(v.verdict),
                "reason": v.reason,
            }
            if self.uncertainty is not None:
                row.update(
                    {
                        "lo": v.interval[0] if v.interval else None,
                        "median": v.interval[1] if v.interval else None,
                        "hi": v.interval[2] if v.interval else None,
                        "statistical_verdict": None if v.statistical_verdict is None else str(v.statistical_verdict),
                        "holds": v.statistical_reason,
                    }
                )
            row.update({f"on {k}": x for k, x in v.by_rendering.items()})
            rows.append(row)
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
                    "verdict": str(c.verdict),
                    "reason": c.reason,
                }
                for c in self.checks
            ]
        ).set_index("check")

    def to_dict(self) -> dict[str, Any]:
        """The JSON document printed by ``borderkit verify --json``."""
        case = self.case
        return {
            "case": {
                "id": case.id,
                "title": case.title,
                "synthetic": bool(case.synthetic),
                "countries": [{"code": c.code, "name": c.name} for c in case.countries],
                "pairs": [{"id": p.id, "section": p.section, "settlements": dict(p.settlements)} for p in case.pairs],
                "layers": [lay.provenance() for lay in case.layers.values()],
            },
            "draws": self.draws,
            "seed": self.seed,
            "warnings": list(self.warnings),
            "claims": [v.to_dict() for v in self.verdicts],
            "checks": [c.to_dict() for c in self.checks],
            "measurements": self.measurements.to_dict(),
            "scenarios": [
                {k: (None if isinstance(v, float) and v != v else v) for k, v in r.items()}
                for r in self.scenarios_frame().reset_index().to_dict("records")
            ],
            "impact": None if self.impact is None else self.impact.to_dict(),
            **({} if self.uncertainty is None else {"uncertainty": self.uncertainty.to_dict()}),
        }
