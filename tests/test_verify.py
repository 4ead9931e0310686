"""Claims against measurements and against each other."""

from __future__ import annotations

import pytest

from borderkit import load_case, measure, verify


def _verdict(report, claim_id):
    return next(v for v in report.verdicts if v.claim.id == claim_id)


def test_verify__length_within_rounding_is_consistent(synthetic_case, geodsolve) -> None:
    ref_km = geodsolve(0.01, 10.0, 0.09, 10.0) / 1000
    report = verify(load_case(synthetic_case(total_km=round(ref_km, 1))))
    v = _verdict(report, "total")
    assert v.verdict == "consistent"
    assert v.measured == pytest.approx(ref_km, abs=1e-6)
    assert "rounding" in v.tolerance_parts


def test_verify__length_off_by_a_kilometre_is_inconsistent_with_reason(synthetic_case, geodsolve) -> None:
    ref_km = geodsolve(0.01, 10.0, 0.09, 10.0) / 1000
    report = verify(load_case(synthetic_case(total_km=round(ref_km + 1, 1))))
    v = _verdict(report, "total")
    assert v.verdict == "inconsistent"
    assert v.difference == pytest.approx(ref_km - round(ref_km + 1, 1), abs=1e-6)
    assert "differs from the reported" in v.reason
    assert report.inconsistent == ["total", "area"]


def test_verify__tolerance_is_root_sum_of_squares_of_parts(synthetic_case) -> None:
    v = _verdict(verify(load_case(synthetic_case())), "total")
    # Parts by hand: rounding 0.05 km; positional sqrt(2)*5 m; line ends from the two
    # end settlements (10 m each): sqrt(10^2 + 10^2) m; datum 0 (all WGS 84).
    expected_km = (0.05**2 + (2**0.5 * 5 / 1000) ** 2 + ((10**2 + 10**2) ** 0.5 / 1000) ** 2) ** 0.5
    assert v.tolerance == pytest.approx(expected_km, rel=1e-9)


def test_verify__missing_old_line_gives_not_computable_area(synthetic_case) -> None:
    report = verify(load_case(synthetic_case(with_old_line=False)))
    v = _verdict(report, "area")
    assert v.verdict == "not computable"
    assert v.measured is None
    assert "no old_line layer in this case" in v.reason


def test_verify__tavush_counts_say_which_layer_is_missing() -> None:
    frame = verify(load_case("tavush-2024")).to_frame()
    assert frame.loc["structures-kirants", "reason"] == "not computable: no buildings layer in this case"
    assert frame.loc["plots", "reason"] == "not computable: no plots layer in this case"
    assert frame.loc["road-kirants", "verdict"] == "not computable"


def test_verify__stretches_sum_check_uses_rounding_intervals() -> None:
    # 1.9 + 4.9 + 5.8 = 12.6; each "x.y km" is +-0.05 so the sum lies in [12.45, 12.75],
    # which overlaps 12.7's [12.65, 12.75]: the rounding can explain the 0.1 km gap.
    checks = verify(load_case("tavush-2024")).checks_frame()
    assert checks.loc["stretches-sum-vs-total", "verdict"] == "consistent"
    assert checks.loc["stretches-sum-vs-total", "difference"] == pytest.approx(-0.1)
    # "12 km" covers [11.5, 12.5]; 12.7 covers [12.65, 12.75]: no common value.
    assert checks.loc["totals-agree", "verdict"] == "inconsistent"


def test_verify__reuses_given_measurements() -> None:
    case = load_case("tavush-2024")
    m = measure(case)
    assert verify(case, measurements=m).measurements is m


def test_report__json_document_has_the_documented_shape() -> None:
    d = verify(load_case("tavush-2024")).to_dict()
    assert set(d) >= {"case", "claims", "measurements"}
    c = d["claims"][0]
    assert set(c) >= {"id", "quantity", "scope", "reported", "measured", "difference", "tolerance",
                      "verdict", "reason", "sources"}
    assert c["reported"] == {"value": 12.0, "unit": "km", "precision": 0.5, "wording": "12-kilometer section"}
    assert all(layer["transformation"]["code"] is None for layer in d["case"]["layers"])
