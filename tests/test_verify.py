"""Claims against measurements and against each other."""

from __future__ import annotations

import pytest

from borderkit import analyse, load_case, measure


def _verdict(report, claim_id):
    return next(v for v in report.verdicts if v.claim.id == claim_id)


def test_verify__length_within_rounding_is_consistent(synthetic_case, geodsolve) -> None:
    ref_km = geodsolve(0.01, 10.0, 0.09, 10.0) / 1000
    report = analyse(load_case(synthetic_case(total_km=round(ref_km, 1))), draws=0)
    v = _verdict(report, "total")
    assert v.verdict == "consistent"
    # The stretch's ends are the settlements' nearest points found in the local UTM plane;
    # 1.1 km off a meridian, that foot lies within 1 cm of the geodesic one (GeodSolve's).
    assert v.measured == pytest.approx(ref_km, abs=2e-5)
    assert "rounding" in v.tolerance_parts


def test_verify__length_off_by_a_kilometre_is_inconsistent_with_reason(synthetic_case, geodsolve) -> None:
    ref_km = geodsolve(0.01, 10.0, 0.09, 10.0) / 1000
    report = analyse(load_case(synthetic_case(total_km=round(ref_km + 1, 1))), draws=0)
    v = _verdict(report, "total")
    assert v.verdict == "inconsistent"
    assert v.difference == pytest.approx(ref_km - round(ref_km + 1, 1), abs=2e-5)  # 1 cm: see above
    assert "differs from the reported" in v.reason
    assert report.inconsistent == ["total", "area"]


def test_verify__tolerance_is_root_sum_of_squares_of_parts(synthetic_case) -> None:
    v = _verdict(analyse(load_case(synthetic_case()), draws=0), "total")
    # Parts by hand: rounding 0.05 km; positional sqrt(2)*5 m; settlements: the two end
    # settlements (10 m accuracy) each move their end of the straight north-south line
    # by at most 10 m (when moved north or south), B-north changes nothing:
    # sqrt(10^2 + 10^2) m; rendering none; datum 0 (all WGS 84).
    expected_km = (0.05**2 + (2**0.5 * 5 / 1000) ** 2 + ((10**2 + 10**2) ** 0.5 / 1000) ** 2) ** 0.5
    # Nearest points are found in the UTM plane: a 10 m move lands within 0.1 mm of 10 m.
    assert v.tolerance == pytest.approx(expected_km, rel=1e-5)
    assert v.tolerance_parts["settlements"] == pytest.approx((10**2 + 10**2) ** 0.5 / 1000, rel=1e-5)


def test_verify__missing_old_line_gives_not_computable_area(synthetic_case) -> None:
    report = analyse(load_case(synthetic_case(with_old_line=False)), draws=0)
    v = _verdict(report, "area")
    assert v.verdict == "not computable"
    assert v.measured is None
    assert "no old_line layer in this case" in v.reason


def test_verify__tavush_counts_say_which_layer_is_missing() -> None:
    frame = analyse(load_case("tavush-2024"), draws=0).to_frame()
    assert frame.loc["structures-kirants", "reason"] == "not computable: no buildings layer in this case"
    assert frame.loc["plots", "reason"] == "not computable: no plots layer in this case"
    assert frame.loc["road-kirants", "verdict"] == "not computable"


def test_verify__stretches_sum_check_uses_rounding_intervals() -> None:
    # 1.9 + 4.9 + 5.8 = 12.6; each "x.y km" is +-0.05 so the sum lies in [12.45, 12.75],
    # which overlaps 12.7's [12.65, 12.75]: the rounding can explain the 0.1 km gap.
    checks = analyse(load_case("tavush-2024"), draws=0).checks_frame()
    assert checks.loc["stretches-sum-vs-total", "verdict"] == "consistent"
    assert checks.loc["stretches-sum-vs-total", "difference"] == pytest.approx(-0.1)
    # "12 km" covers [11.5, 12.5]; 12.7 covers [12.65, 12.75]: no common value.
    assert checks.loc["totals-agree", "verdict"] == "inconsistent"


def test_judge_claims__reads_the_measurements_it_is_given() -> None:
    from borderkit._verify import judge_claims

    case = load_case("tavush-2024")
    m = measure(case)
    verdicts, _ = judge_claims(case, m)
    total = next(v for v in verdicts if v.claim.id == "length-total-12.7")
    assert total.measured == pytest.approx(m.length_m() / 1000)


def test_report__json_document_has_the_documented_shape() -> None:
    d = analyse(load_case("tavush-2024"), draws=0).to_dict()
    assert set(d) >= {"case", "claims", "measurements"}
    c = d["claims"][0]
    assert set(c) >= {
        "id",
        "quantity",
        "scope",
        "reported",
        "measured",
        "difference",
        "tolerance",
        "verdict",
        "reason",
        "sources",
    }
    assert c["reported"] == {"value": 12.0, "unit": "km", "precision": 0.5, "wording": "12-kilometer section"}
    assert all(layer["transformation"]["code"] is None for layer in d["case"]["layers"])


def test_settlement_effects__a_settlement_near_a_hairpin_moves_the_stretch_by_kilometres(
    synthetic_case, write_geojson
) -> None:
    # Synthetic U-shaped line: north along lon 10.00 (lat 0 -> 0.1), east to 10.05, back
    # south along lon 10.05 (0.25 deg of line). Pair settlements project onto it at
    # A-north (9.99, 0.09) -> 0.09 deg along, B-north (10.005, 0.05) -> 0.05, and A-south,
    # put at (10.02, 0.01), nearest leg 1 (0.02 deg away, not 0.03) -> 0.01: the stretch
    # is 0.01..0.09, 0.08 deg. Give A-south a 1.3 km (0.0117 deg) accuracy. Moved
    # south-east (az 135: +0.0083 deg east and south) to (10.0283, 0.0017) it is nearest
    # leg 3, at 0.15 + (0.1 - 0.0017) = 0.2483 deg along, so the stretch becomes
    # 0.05..0.2483 = 0.1983 deg: 0.1183 deg longer, about 13.1 km (1 deg of latitude or
    # of longitude is about 110.6-111.3 km at the equator). The other directions move it
    # less; the other settlements (10 m) add only metres in quadrature.
    import json

    from borderkit._measure import settlement_effects_m

    root = synthetic_case()
    write_geojson(root / "new_line.geojson", ("LineString", [[10.0, 0.0], [10.0, 0.1], [10.05, 0.1], [10.05, 0.0]]))
    settlements = json.loads((root / "settlements.geojson").read_text())
    for f in settlements["features"]:
        if f["properties"]["name"] == "A-south":
            f["geometry"]["coordinates"] = [10.02, 0.01]
    (root / "settlements.geojson").write_text(json.dumps(settlements))
    text = (root / "case.toml").read_text()
    (root / "case.toml").write_text(
        text.replace(
            'licence = "CC0"\n', 'licence = "CC0"\n\n[layers.settlements.accuracy_m_by_name]\n"A-south" = 1300\n', 1
        )
    )
    effect_m = settlement_effects_m(load_case(root), [()])[()]
    assert 12_800 < effect_m < 13_400
