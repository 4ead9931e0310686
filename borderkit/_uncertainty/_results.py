"""What the Monte Carlo step returns: intervals per claim and scenario, the model and its checks."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from borderkit._stats import Interval, StatResult
from borderkit._uncertainty._model import Calibration, ErrorModel
from borderkit.enums import Outcome

__all__ = ["ClaimUncertainty", "ModelCheck", "ScenarioInterval", "UncertaintyResult"]


def _r(v: float | None, nd: int = 4) -> float | None:
    return None if v is None or not math.isfinite(v) else round(float(v), nd)


@dataclass(frozen=True)
class ScenarioInterval:
    """One claim under one scenario (a rendering of the new line): its interval and outcome."""

    scenario: str
    measured: float
    interval: Interval
    result: StatResult

    def to_dict(self) -> dict[str, Any]:
        iv = self.interval
        return {
            "scenario": self.scenario,
            "measured": _r(self.measured),
            "lo": _r(iv.lo),
            "hi": _r(iv.hi),
            "lo_se": _r(iv.lo_se),
            "hi_se": _r(iv.hi_se),
            "lengthening": _r(iv.lengthening),
            "outcome": str(self.result.outcome),
            "tail": self.result.tail_text,
        }


@dataclass(frozen=True)
class ClaimUncertainty:
    """A claim's Monte Carlo intervals under every scenario, and the one verdict they give.

    ``outcome`` is consistent (or inconsistent, undetermined, "more draws needed") only
    when every scenario says so; otherwise :attr:`Outcome.DEPENDS`, and ``reason`` names
    the scenarios under which each outcome holds.
    """

    claim_id: str
    unit: str
    scenarios: tuple[ScenarioInterval, ...]
    outcome: Outcome
    reason: str

    def scenario(self, name: str) -> ScenarioInterval:
        """The interval under the scenario ``name``."""
        return next(s for s in self.scenarios if s.scenario == name)

    def to_dict(self) -> dict[str, Any]:
        return {
            "claim": self.claim_id,
            "unit": self.unit,
            "outcome": str(self.outcome),
            "reason": self.reason,
            "scenarios": [s.to_dict() for s in self.scenarios],
        }


@dataclass(frozen=True)
class ModelCheck:
    """The admissibility checks of an error model on one line (see :func:`borderkit._uncertainty._check`)."""

    line: str
    ok: bool
    reason: str
    roughness_line_m: float
    roughness_model_m: float
    self_crossing_fraction: float
    draws: int

    def to_dict(self) -> dict[str, Any]:
        return {k: (_r(v, 4) if isinstance(v, float) else v) for k, v in self.__dict__.items()}


@dataclass(frozen=True, eq=False)
class UncertaintyResult:
    """The Monte Carlo step of a case; what :func:`borderkit.uncertainty` returns.

    Attributes
    ----------
    case_id : str
    draws, seed : int
    model : ErrorModel
        The error model of the renderings of the new line (σ, ℓ, ν), with its basis.
    old_model : ErrorModel or None
        That of the old line.
    calibration : Calibration or None
        The fit behind ``model`` when it was calibrated from the case's renderings.
    checks : tuple of ModelCheck
        The admissibility checks on the measured line.
    claims : tuple of ClaimUncertainty
        One per length or area claim with a measured value.
    sensitivity : DataFrame
        Each claim's interval on the measured rendering with ℓ halved and doubled.
    notes : tuple of str
        What the result depends on, in words.

    Examples
    --------
    >>> import borderkit
    >>> u = borderkit.analyse("tavush-2024", draws=200).uncertainty
    >>> u.claim("length-total-12.7").unit
    'km'
    >>> u.model.nu
    2.5
    """

    case_id: str
    draws: int
    seed: int
    model: ErrorModel
    old_model: ErrorModel | None
    calibration: Calibration | None = field(repr=False)
    checks: tuple[ModelCheck, ...]
    claims: tuple[ClaimUncertainty, ...]
    sensitivity: pd.DataFrame = field(repr=False)
    notes: tuple[str, ...] = ()

    def __repr__(self) -> str:
        m = self.model
        return (
            f"<UncertaintyResult {self.case_id!r}: {self.draws:,} draws, σ {m.sigma_m:.0f} m, ℓ {m.length_m:.0f} m; "
            f"{len(self.claims)} claims>"
        )

    def claim(self, claim_id: str) -> ClaimUncertainty:
        """The intervals of the claim ``claim_id``."""
        for c in self.claims:
            if c.claim_id == claim_id:
                return c
        from borderkit.errors import CaseError

        msg = f"claim_id={claim_id!r}: no interval for it. Claims with one: {[c.claim_id for c in self.claims]}"
        raise CaseError(msg)

    def to_frame(self) -> pd.DataFrame:
        """One row per (claim, scenario): measured, lo, hi, their Monte Carlo errors, outcome."""
        rows = [
            {"claim": c.claim_id, **s.to_dict(), "unit": c.unit, "verdict": str(c.outcome)}
            for c in self.claims
            for s in c.scenarios
        ]
        return pd.DataFrame(rows).set_index(["claim", "scenario"])

    def to_dict(self) -> dict[str, Any]:
        def model(m: ErrorModel | None) -> dict[str, Any] | None:
            if m is None:
                return None
            return {"sigma_m": _r(m.sigma_m, 2), "length_m": _r(m.length_m, 1), "nu": m.nu,
                    "nugget_m": _r(m.nugget_m, 2), "basis": m.basis}  # fmt: skip

        return {
            "draws": self.draws,
            "seed": self.seed,
            "model": model(self.model),
            "old_model": model(self.old_model),
            "calibration": None if self.calibration is None else self.calibration.assumption,
            "checks": [c.to_dict() for c in self.checks],
            "claims": [c.to_dict() for c in self.claims],
            "sensitivity": [
                {k: (_r(v) if isinstance(v, float) else v) for k, v in r.items()}
                for r in self.sensitivity.reset_index().to_dict("records")
            ],
            "notes": list(self.notes),
        }
