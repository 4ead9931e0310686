"""How sure: a calibrated Monte Carlo of every length and area claim, under every scenario.

The package, by concern:

``_model``
    The error model (Matérn σ, ℓ, ν), its fit to the offsets between renderings, a line's
    roughness (the admissibility check's yardstick), and draws of published points over
    their rounding cells.
``_field``
    The displacement field at a line's vertices, drawn vertex by vertex (Vecchia), and the
    covariance of linear functionals of it (the area changes).
``_stretch``
    The measured stretch (in all and per pair) on each moved line.
``_kernels``
    The compiled loops of the two above (numba).
``_draws``
    The draws of each claim under one scenario (one rendering of the new line).
``_results``
    What comes back: :class:`UncertaintyResult` and its parts.
``__init__``
    :func:`uncertainty`: calibrate, check, draw every scenario, judge each claim.

The model (after Hunter and Goodchild's correlated error fields and Shi's G-band): each
rendering of a line is the true line moved by a smooth 2-D displacement field with
isotropic Matérn covariance (σ, ℓ, ν = 3/2 or 5/2, as the case sets). σ and ℓ are fitted to the offsets between
two renderings the case names (``[uncertainty] calibrate``), assuming their errors are
independent and alike (σ = σ_d/√2; the nugget, the short-scale part of the difference,
is put down to the coarser rendering's generalisation and left out). A case may set σ
and ℓ itself. The model is checked against the line: its roughness at the line's own
vertices must not exceed the line's, and moved lines must not cross themselves.

Renderings are scenarios, not a coin flip: each claim gets an interval under each, and
one verdict: consistent (or inconsistent) only if so under every scenario, else
"depends", naming where each holds. Intervals are not bias-corrected: they are centred on
the measured value and reach further, by the model's lengthening, on the side the line
without its errors would lie (:func:`borderkit._stats.widened`).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence

import numpy as np
import pandas as pd
import shapely

from borderkit._compare import compare_lines
from borderkit._measure import Measurements, line_layers, line_of, measure
from borderkit._progress import progress
from borderkit._stats import combine, interval_from_draws, judge, widened
from borderkit._uncertainty._draws import FieldCache, ScenarioDraws, clipped_line_xy, field_draws, scenario_draws
from borderkit._uncertainty._model import Calibration, ErrorModel, fit, roughness_m
from borderkit._uncertainty._results import ClaimUncertainty, ModelCheck, ScenarioInterval, UncertaintyResult
from borderkit.case import Case, Claim, Layer
from borderkit.enums import Outcome, Quantity
from borderkit.errors import ParameterError
from borderkit.geodesy import LocalPlane, local_plane

__all__ = ["ClaimUncertainty", "ErrorModel", "ScenarioInterval", "UncertaintyResult", "uncertainty"]

#: Draws of the admissibility check.
CHECK_DRAWS = 200
#: Draws of each sensitivity run (ℓ halved, doubled): a quarter of the draws, at most this many.
SENSITIVITY_DRAWS = 1000
#: At most this fraction of moved lines may cross themselves.
MAX_SELF_CROSSING = 0.01


def _plane(case: Case, m: Measurements) -> LocalPlane:
    ext = case.layer("extent")
    ref = ext.union() if ext is not None else shapely.union_all(m.segments.geometry.to_numpy())
    c = shapely.centroid(shapely.envelope(ref))
    return local_plane(c.x, c.y)


def _calibrate(case: Case) -> tuple[ErrorModel, Calibration | None]:
    s = case.model
    if s.sigma_m is not None and s.length_m is not None:
        return ErrorModel(s.sigma_m, s.length_m, s.nu, basis="set in case.toml"), None
    lines = line_layers(case)
    pairs = list(s.calibrate) or ([(lines[0].name, lines[1].name)] if len(lines) >= 2 else [])
    if not pairs:
        lay = lines[0] if lines else None
        sigma = lay.accuracy_m if lay is not None else 0.0
        basis = f"σ = accuracy_m of {lay.name if lay else 'the line'}, ℓ = 500 m: no second rendering to calibrate"
        return ErrorModel(max(sigma, 0.0), 500.0, s.nu, basis=basis), None
    ext = case.layer("extent")
    clip = ext.union() if ext is not None else None
    comps = [
        compare_lines(line_of(case, case.layers[a])[0], line_of(case, case.layers[b])[0], name_a=a, name_b=b, clip=clip)
        for a, b in pairs
    ]
    cal = fit(comps, nu=s.nu)
    names = "; ".join(f"{a} vs {b}" for a, b in pairs)
    model = ErrorModel(cal.model.sigma_m, cal.model.length_m, s.nu, basis=f"calibrated from {names} in the extent")
    return model, cal


#: Vertex-draws per block of the admissibility check (its temporaries stay in cache).
_CHECK_BLOCK = 2**18


def _field_roughness_m2(xy: np.ndarray, d: np.ndarray) -> np.ndarray:
    """Mean square vertex-to-chord residual (m²) of each column of ``d`` (one row a vertex of ``xy``).

    The roughness of a draw is the root of the sum of its east and north columns' values
    (the columns may stand side by side: east draws, then north).
    """
    s = np.concatenate([[0.0], np.cumsum(np.hypot(*np.diff(xy, axis=0).T))])
    if len(s) < 3:
        return np.zeros(d.shape[1])
    w = np.divide(s[1:-1] - s[:-2], s[2:] - s[:-2], out=np.full(len(s) - 2, 0.5), where=s[2:] > s[:-2])
    total = np.zeros(d.shape[1])
    rows = max(1, _CHECK_BLOCK // max(d.shape[1], 1))
    for a in range(1, len(s) - 1, rows):  # vertex a .. b - 1 against its neighbours' chord
        b = min(a + rows, len(s) - 1)
        before, at, after = (d[a - 1 + k : b - 1 + k].astype(np.float64) for k in range(3))
        residual = at - (before + w[a - 1 : b - 1, None] * (after - before))
        total += np.sum(residual * residual, axis=0)
    return total / (len(s) - 2)


def _check(name: str, xy: np.ndarray, model: ErrorModel, seed: int, fields: FieldCache | None = None) -> ModelCheck:
    d = field_draws(xy, model, fields)(np.random.default_rng([seed, 9]), CHECK_DRAWS)
    simple = shapely.LineString(xy).is_simple
    mean_square_m2 = _field_roughness_m2(xy, d)
    rough = np.sqrt(mean_square_m2[:CHECK_DRAWS] + mean_square_m2[CHECK_DRAWS:])
    crossing = 0.0
    if simple:
        # The moved lines, a block of draws at a time: (draws, vertices, 2) would be 3 GB at 10^6 vertices.
        crosses = 0
        step = max(1, _CHECK_BLOCK // len(xy))
        for a in range(0, CHECK_DRAWS, step):
            b = min(a + step, CHECK_DRAWS)
            moved = np.empty((b - a, len(xy), 2))
            moved[:, :, 0] = xy[None, :, 0] + d[:, a:b].T
            moved[:, :, 1] = xy[None, :, 1] + d[:, CHECK_DRAWS + a : CHECK_DRAWS + b].T
            crosses += int(np.count_nonzero(~shapely.is_simple(shapely.linestrings(moved))))
        crossing = crosses / CHECK_DRAWS
    line_rough = roughness_m(xy)
    model_rough = float(np.median(rough))
    reasons = []
    # A line straight between its vertices (turning points, a synthetic line) has no
    # roughness of its own to compare with: only the crossing test applies.
    straight = line_rough < 1.0
    if model_rough > line_rough and not straight:
        reasons.append(
            f"the model's roughness at the line's vertices ({model_rough:.1f} m) exceeds the line's own "
            f"({line_rough:.1f} m): the line would be rougher than it is"
        )
    if crossing > MAX_SELF_CROSSING:
        reasons.append(
            f"{crossing:.0%} of {CHECK_DRAWS} moved lines cross themselves (at most {MAX_SELF_CROSSING:.0%} allowed)"
        )
    ok = not reasons
    rough_text = (
        "the line is straight between its vertices (no roughness check)"
        if straight
        else f"roughness {model_rough:.1f} m ≤ the line's {line_rough:.1f} m"
    )
    reason = (
        f"admissible: {rough_text}; {crossing:.1%} of {CHECK_DRAWS} moved lines cross themselves"
        if ok
        else "refused: " + "; ".join(reasons)
    )
    return ModelCheck(name, ok, reason, line_rough, model_rough, crossing, CHECK_DRAWS)


def _judge(claim: Claim, draws: Sequence[ScenarioDraws]) -> ClaimUncertainty | None:
    lo, hi = claim.value - claim.precision, claim.value + claim.precision
    per: list[ScenarioInterval] = []
    for d in draws:
        if claim.id not in d.values or claim.id not in d.measured:
            continue
        v = d.values[claim.id]
        iv = widened(interval_from_draws(v, measured=d.measured[claim.id]))
        result = judge(iv, lo, hi, draws_values=v, unit=claim.unit)
        per.append(ScenarioInterval(d.scenario, d.measured[claim.id], iv, result))
    if not per:
        return None
    outcome, text = combine({s.scenario: s.result.outcome for s in per})
    return ClaimUncertainty(claim.id, claim.unit, tuple(per), Outcome(outcome), text)


def _check_args(draws: object, seed: object) -> tuple[int, int]:
    for name, v, hi in (("draws", draws, 1_000_000), ("seed", seed, 2**32 - 1)):
        if isinstance(v, bool) or not isinstance(v, int) or not (1 if name == "draws" else 0) <= v <= hi:
            msg = f"{name}={v!r}: give a whole number from {1 if name == 'draws' else 0} to {hi:,}"
            raise ParameterError(msg)
    return int(draws), int(seed)  # type: ignore[call-overload]


def uncertainty(
    case: Case, *, draws: int = 1000, seed: int = 0, measurements: Measurements | None = None
) -> UncertaintyResult:
    """Monte Carlo intervals of every length and area claim of ``case``, under every rendering.

    Parameters
    ----------
    case : Case
    draws : int
        Draws per scenario (> 0).
    seed : int
        The same seed gives the same numbers.
    measurements : Measurements, optional
        :func:`borderkit.measure` of the case, if already made.

    Returns
    -------
    UncertaintyResult

    Raises
    ------
    ParameterError
        ``draws`` or ``seed`` out of range.

    Examples
    --------
    >>> import borderkit
    >>> u = uncertainty(borderkit.load_case("tavush-2024"), draws=200)
    >>> [c.ok for c in u.checks]
    [True]
    """
    draws, seed = _check_args(draws, seed)
    if not isinstance(case, Case):
        msg = f"case={case!r}: give a Case, e.g. borderkit.load_case('tavush-2024')"
        raise ParameterError(msg)
    m = measurements if measurements is not None else measure(case)
    model, cal = _calibrate(case)
    old = case.layer("old_line")
    old_model = None
    if old is not None:
        ell = case.model.old_line_length_m or model.length_m
        how = "set in case.toml" if case.model.old_line_length_m else "as the new line"
        old_model = ErrorModel(old.accuracy_m, ell, model.nu, basis=f"σ = accuracy_m of {old.name}; ℓ {how}")
    plane = _plane(case, m)
    claims = [c for c in case.claims if c.subject is None and c.quantity in (Quantity.LENGTH, Quantity.AREA)]
    by_name = {lay.name: lay for lay in line_layers(case)}
    checks: list[ModelCheck] = []
    scenarios: list[ScenarioDraws] = []
    notes: list[str] = []
    fields = FieldCache()
    runs = [(k, name, mm) for k, (name, mm) in enumerate({m.rendering: m, **m.renderings}.items()) if name in by_name]
    sens_draws = min(max(draws // 4, 100), SENSITIVITY_DRAWS)
    with progress(draws * len(runs) + 2 * sens_draws, f"Monte Carlo, {case.id}", "draw") as bar:
        for k, name, mm in runs:
            lay = by_name[name]
            if k == 0:
                checks.append(_check(name, clipped_line_xy(case, lay, plane), model, seed, fields))
            scenarios.append(
                scenario_draws(case, mm, lay, model, old_model, plane, claims, draws, seed, k, fields, bar.update)
            )
        first = scenarios[0] if runs and runs[0][0] == 0 else None
        sens = _sensitivity(
            case, m, by_name, model, old_model, plane, claims, sens_draws, seed, fields, bar.update, first
        )
    results = [r for c in claims if (r := _judge(c, scenarios)) is not None]
    refused = [ch for ch in checks if not ch.ok]
    if refused:
        # A model the line contradicts gives no verdict: say why, and how to set one.
        why = (
            f"not computable: the error model is {refused[0].reason} on {refused[0].line}; set [uncertainty] "
            "nu = 2.5, or sigma_m and length_m, in case.toml"
        )
        results = [ClaimUncertainty(r.claim_id, r.unit, r.scenarios, Outcome.NOT_COMPUTABLE, why) for r in results]
    lengthening = [s.interval.lengthening for r in results for s in r.scenarios[:1]]
    notes.append(
        f"error model: {model.basis}: σ {model.sigma_m:.0f} m, ℓ {model.length_m:.0f} m, ν {model.nu}; "
        + (checks[0].reason if checks else "no check")
    )
    if old_model is not None:
        notes.append(f"old line: {old_model.basis}: σ {old_model.sigma_m:.0f} m, ℓ {old_model.length_m:.0f} m")
    if any(abs(x) > 0 for x in lengthening):
        notes.append(
            "errors lengthen a line: intervals are not corrected for it, they reach further on the other side "
            "by the model's lengthening (each scenario's `lengthening`)"
        )
    notes.append(
        "areas: first-order flux of the lines' displacement through each face's boundary; the faces each claim "
        "compares with are fixed by the measured lines (new faces where the lines nearly touch are not modelled)"
    )
    return UncertaintyResult(case.id, draws, seed, model, old_model, cal, tuple(checks), tuple(results), sens,
                             tuple(notes))  # fmt: skip


def _sensitivity(
    case: Case,
    m: Measurements,
    by_name: Mapping[str, Layer],
    model: ErrorModel,
    old_model: ErrorModel | None,
    plane: LocalPlane,
    claims: Sequence[Claim],
    draws: int,
    seed: int,
    fields: FieldCache | None = None,
    on_chunk: Callable[[int], object] | None = None,
    fitted: ScenarioDraws | None = None,
) -> pd.DataFrame:
    """Each claim's interval on the measured rendering with ℓ halved, as fitted and doubled.

    ``fitted``: the measured rendering's own draws, used for ℓ as fitted.
    """
    lay = by_name.get(m.rendering)
    rows = []
    if lay is None:
        return pd.DataFrame(columns=["claim", "length_m", "lo", "hi"]).set_index(["claim", "length_m"])
    for factor in (0.5, 1.0, 2.0):
        mod = ErrorModel(model.sigma_m, model.length_m * factor, model.nu, basis=model.basis)
        if factor == 1.0 and fitted is not None:
            d = fitted
        else:
            d = scenario_draws(case, m, lay, mod, old_model, plane, claims, draws, seed, 0, fields, on_chunk)
        for c in claims:
            if c.id in d.values:
                iv = widened(interval_from_draws(d.values[c.id], measured=d.measured[c.id]))
                rows.append({"claim": c.id, "length_m": mod.length_m, "lo": iv.lo, "hi": iv.hi, "unit": c.unit})
    if not rows:
        return pd.DataFrame(columns=["claim", "length_m", "lo", "hi", "unit"]).set_index(["claim", "length_m"])
    return pd.DataFrame(rows).set_index(["claim", "length_m"])
