"""Tests of borderkit._stats: intervals from draws, verdicts, and scenarios combined."""

from __future__ import annotations

import numpy as np
import pytest

from borderkit._stats import (
    DEPENDS,
    UNDETERMINED_RELATIVE_WIDTH,
    Interval,
    Outcome,
    combine,
    interval_from_draws,
    judge,
    quantile_se,
)
from borderkit.errors import CaseError


def _normal(mean: float, sd: float, n: int = 10_000, seed: int = 0) -> np.ndarray:
    return np.random.default_rng(seed).normal(mean, sd, n)


def test_interval__recentred_on_measured_without_bias_correction() -> None:
    # Draws 1..101 (median 51); measured 40. 95 % quantiles by linear interpolation over 101
    # points: 2.5 % → 1 + 0.025·100 = 3.5, 97.5 % → 98.5. Re-centred: 40 + (3.5 − 51) = −7.5
    # and 40 + (98.5 − 51) = 87.5; the lengthening (median − measured) is 11.
    iv = interval_from_draws(np.arange(1.0, 102.0), measured=40.0)
    assert (iv.lo, iv.median, iv.hi) == pytest.approx((-7.5, 40.0, 87.5))
    assert iv.lengthening == pytest.approx(11.0)
    assert iv.draws == 101
    assert iv.level == 0.95
    assert iv.measured == 40.0


@pytest.mark.parametrize("measured", [0.5, 14.0, 1e6])
def test_interval__every_measured_value_lies_inside_its_own_interval(measured: float) -> None:
    iv = interval_from_draws(_normal(measured * 1.3, measured * 0.05 + 1), measured=measured)
    assert iv.lo <= measured <= iv.hi


def test_quantile_se__shrinks_like_one_over_root_n() -> None:
    # 16 times the draws: a quarter of the standard error. Averaged over 20 seeds, ±15 %.
    small = np.mean([quantile_se(_normal(0, 1, 1000, s), 0.025) for s in range(20)])
    large = np.mean([quantile_se(_normal(0, 1, 16_000, s), 0.025) for s in range(20)])
    assert small / large == pytest.approx(4.0, rel=0.15)
    # Asymptotic value for the 2.5 % quantile of N(0, 1): √(p(1−p)/N)/φ(1.95996) =
    # √(0.025·0.975/16000)/0.058445 = 0.02112.
    assert large == pytest.approx(0.02112, rel=0.10)


def test_judge__undetermined_depends_on_the_interval_alone() -> None:
    # A wide interval (relative width > 1): the same outcome for claims of every size.
    v = _normal(10.0, 4.0)
    iv = interval_from_draws(v, measured=10.0)
    assert iv.relative_width > UNDETERMINED_RELATIVE_WIDTH
    for size in (0.01, 1.0, 9.5, 10.0, 100.0, 1e5):
        assert judge(iv, size * 0.99, size * 1.01, draws_values=v).outcome is Outcome.UNDETERMINED
    # A narrow interval is never undetermined, whatever the claim.
    v = _normal(10.0, 0.5)
    iv = interval_from_draws(v, measured=10.0)
    outcomes = {judge(iv, s * 0.99, s * 1.01, draws_values=v).outcome for s in (0.01, 1.0, 10.0, 100.0, 1e5)}
    assert Outcome.UNDETERMINED not in outcomes
    assert outcomes == {Outcome.CONSISTENT, Outcome.INCONSISTENT}


def test_judge__tail_text_counts_draws_never_sigmas() -> None:
    v = _normal(14.0, 0.3)
    iv = interval_from_draws(v, measured=14.0)
    r = judge(iv, 12.65, 12.75, draws_values=v, unit="km")
    assert r.outcome is Outcome.INCONSISTENT
    # 12.75 km is (14.0 − 12.75)/0.3 = 4.2 σ below: P = 1.4e-5, so 0 of 10,000 draws expected.
    assert r.tail_text == "0 of 10,000 draws fall at or below 12.75 km (< 0.01 %)"
    assert "σ" not in r.reason
    assert "sigma" not in r.reason
    above = judge(iv, 14.45, 14.55, draws_values=v, unit="km")
    # (14.45 − 14.0)/0.3 = 1.5 σ: about 6.7 % of draws lie above.
    assert above.tail_fraction == pytest.approx(0.0668, abs=0.01)
    assert above.tail_text.endswith("draws fall at or above 14.45 km (" + f"{100 * above.tail_fraction:.2g} %)")


def test_judge__consistent_when_overlapping_clearly() -> None:
    v = _normal(14.0, 0.3)
    iv = interval_from_draws(v, measured=14.0)
    r = judge(iv, 13.95, 14.05, draws_values=v)
    assert r.outcome is Outcome.CONSISTENT
    assert "holds the median" in r.tail_text


def test_judge__more_draws_when_a_claim_edge_is_within_two_standard_errors() -> None:
    v = _normal(14.0, 0.3, n=500)
    iv = interval_from_draws(v, measured=14.0)
    # The claim's upper edge exactly on lo: could fall either side with more draws.
    assert judge(iv, iv.lo - 0.1, iv.lo, draws_values=v).outcome is Outcome.MORE_DRAWS
    assert judge(iv, iv.lo - 0.1, iv.lo - 0.5 * iv.lo_se, draws_values=v).outcome is Outcome.MORE_DRAWS
    # Far beyond two standard errors it is decided.
    assert judge(iv, iv.lo - 1.0, iv.lo - 5 * iv.lo_se, draws_values=v).outcome is Outcome.INCONSISTENT
    assert judge(iv, iv.lo + 5 * iv.lo_se, iv.hi, draws_values=v).outcome is Outcome.CONSISTENT


def test_judge__outcome_does_not_change_with_the_number_of_draws() -> None:
    # The review's 12.7 km claim flipped between 500 and 2000 draws; away from the edges the
    # same distribution must give the same outcome at every draw count.
    for claim in ((12.65, 12.75), (13.95, 14.05), (14.95, 15.05)):
        got = set()
        for n in (500, 2000, 10_000, 40_000):
            v = _normal(14.0, 0.3, n=n, seed=n)
            got.add(judge(interval_from_draws(v, measured=14.0), *claim, draws_values=v).outcome)
        assert len(got) == 1, (claim, got)


def test_judge__bad_claim_interval_is_refused() -> None:
    iv = Interval(1.0, 2.0, 3.0, 0.95, 100, 0.1, 0.1, 2.0, 0.0)
    with pytest.raises(CaseError, match=r"claim interval \[3.0, 1.0\]"):
        judge(iv, 3.0, 1.0, draws_values=[1.0, 2.0])


@pytest.mark.parametrize(("values", "match"), [([1.0], "at least 2"), ([1.0, np.nan], "1 not finite")])
def test_interval__bad_draws_are_refused(values: list[float], match: str) -> None:
    with pytest.raises(CaseError, match=match):
        interval_from_draws(values, measured=1.0)


def test_combine__consistent_only_if_consistent_everywhere() -> None:
    c, i = Outcome.CONSISTENT, Outcome.INCONSISTENT
    assert combine({"osm-2026c": c, "osm-2025a": c}) == (c, "consistent under every scenario (osm-2026c, osm-2025a)")
    assert combine({"a": i, "b": i})[0] is i
    assert combine({"a": c}) == (c, "consistent under the only scenario (a)")
    outcome, text = combine({"osm-2026c": c, "osm-2025a": c, "geoboundaries-2020": i})
    assert outcome == DEPENDS
    assert text == "consistent under osm-2026c, osm-2025a; inconsistent under geoboundaries-2020"
    outcome, text = combine({"a": c, "b": Outcome.UNDETERMINED})
    assert outcome == DEPENDS
    assert text == "consistent under a; undetermined under b"
    with pytest.raises(CaseError, match="at least one scenario"):
        combine({})
