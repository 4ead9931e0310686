"""The one composition step: :func:`analyse` chains the pipeline and returns a Report.

case → measure → impact → uncertainty → verify → :class:`~borderkit.Report`. Every
output takes that Report; an output given a case instead calls :func:`analyse` once,
with the same defaults as the command line (:data:`DEFAULT_DRAWS`).
"""

from __future__ import annotations

import os

from borderkit._defaults import DEFAULT_DRAWS, MAX_DRAWS
from borderkit._impact import IMPACT_ROLES, impact
from borderkit._measure import measure
from borderkit._profile import profile
from borderkit._report import Report
from borderkit._uncertainty import uncertainty
from borderkit._validate import check_int
from borderkit._verify import judge_claims
from borderkit.case import Case, load_case
from borderkit.errors import ParameterError, collect_warnings

__all__ = ["DEFAULT_DRAWS", "MAX_DRAWS", "analyse", "as_report", "case_of"]


_check_int = check_int


def analyse(
    case: Case | str | os.PathLike[str],
    *,
    draws: int = DEFAULT_DRAWS,
    seed: int = 0,
    sliver_width_m: float | None = None,
) -> Report:
    """Measure a case, verify every claim and say how sure: the whole pipeline, once.

    Parameters
    ----------
    case : Case, str or path
        A loaded case, a shipped case id (``"tavush-2024"``) or a case folder.
    draws : int
        Monte Carlo draws behind the verdicts (0: none, first-order verdicts only).
    seed : int
        Seed of the draws (>= 0): the same seed gives the same numbers.
    sliver_width_m : float, optional
        Faces narrower than this are slivers (default: the lines' combined accuracy).

    Returns
    -------
    Report

    Raises
    ------
    ParameterError
        ``draws`` or ``seed`` out of range.
    CaseError
        The case does not load.

    Examples
    --------
    >>> import borderkit
    >>> report = borderkit.analyse("tavush-2024", draws=0)
    >>> report.draws, len(report.verdicts)
    (0, 9)
    """
    draws = _check_int("draws", draws, 0, MAX_DRAWS)
    seed = _check_int("seed", seed, 0, 2**32 - 1)
    if not isinstance(case, Case | str | os.PathLike):
        msg = f"case={case!r}: give a Case, a shipped case id ('tavush-2024') or a case folder"
        raise ParameterError(msg)
    # Each suspicious input is issued once (the case's at load) and kept in Report.warnings.
    with collect_warnings() as found:
        if not isinstance(case, Case):
            case = load_case(case)
        m = measure(case, sliver_width_m=sliver_width_m)
        has_impact = any(case.layers_with_role(r) for r in IMPACT_ROLES) and m.areas is not None
        res = impact(case, m) if has_impact else None
        u = uncertainty(case, draws=draws, seed=seed, measurements=m) if draws > 0 else None
        verdicts, checks = judge_claims(case, m, impact=res, uncertainty=u)
        line_profile = profile(case, m)
    texts = tuple(dict.fromkeys((*case.warnings, *found)))
    return Report(case, m, verdicts, checks, u, res, draws, seed, line_profile, texts)


def case_of(obj: Report | Case | str | os.PathLike[str]) -> Case:
    """The case of what an output was given, loaded if need be (before any analysis)."""
    if isinstance(obj, Report):
        return obj.case
    if isinstance(obj, Case):
        return obj
    if isinstance(obj, str | os.PathLike):
        return load_case(obj)
    msg = f"expected a Report, a Case, a case id or a case folder, got {obj!r}. Pass borderkit.analyse(case)"
    raise ParameterError(msg)


def as_report(obj: Report | Case | str | os.PathLike[str], *, draws: int = DEFAULT_DRAWS, seed: int = 0) -> Report:
    """``obj`` itself when it is a Report, else :func:`analyse` of it (once)."""
    if isinstance(obj, Report):
        return obj
    return analyse(case_of(obj), draws=draws, seed=seed)
