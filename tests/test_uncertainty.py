"""The Monte Carlo step: calibrated model, one verdict per claim, coverage on known truths.

The coverage test builds SYNTHETIC cases at sea (lon 10°, lat 0°–0.1°): a smooth true
line with a known geodesic length, two renderings of it drawn from the model family (the
truth moved by independent smooth 2-D fields, generated here with NumPy's Cholesky, not
with borderkit's code), and runs the whole pipeline (`borderkit.analyse`) on each.
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pytest
from pyproj import Geod, Transformer

import borderkit
from borderkit._uncertainty import _check
from borderkit._uncertainty._draws import clipped_line_xy
from borderkit._uncertainty._model import ErrorModel
from borderkit.enums import Outcome
from borderkit.errors import ParameterError

GEOD = Geod(ellps="WGS84")
# UTM 32N around (10°E, 0°): the synthetic plane.
TO_LL = Transformer.from_crs("EPSG:32632", "EPSG:4326", always_xy=True)


def _matern52(d: np.ndarray, sigma: float, ell: float) -> np.ndarray:
    # Matérn ν = 5/2 by its closed form (Rasmussen & Williams 2006, eq. 4.17).
    r = math.sqrt(5.0) * d / ell
    return sigma**2 * (1.0 + r + r * r / 3.0) * np.exp(-r)


def _truth_xy(rng: np.random.Generator) -> np.ndarray:
    # A smooth 10 km curve: a sum of two long sines, vertices every 50 m (UTM 32N metres).
    y = np.arange(0.0, 10_000.0 + 1, 50.0)
    a1, a2 = rng.uniform(300, 600), rng.uniform(100, 250)
    p1, p2 = rng.uniform(0, 2 * np.pi, 2)
    x = 500_000.0 + a1 * np.sin(2 * np.pi * y / 6000 + p1) + a2 * np.sin(2 * np.pi * y / 2300 + p2)
    return np.column_stack([x, y + 10_000.0])


def _rendering(xy: np.ndarray, chol: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    return xy + np.column_stack([chol @ rng.standard_normal(len(xy)), chol @ rng.standard_normal(len(xy))])


def _write_case(root: Path, truth: np.ndarray, a: np.ndarray, b: np.ndarray, claim_km: float) -> None:
    root.mkdir(parents=True, exist_ok=True)

    def line(xy: np.ndarray) -> str:
        lon, lat = TO_LL.transform(xy[:, 0], xy[:, 1])
        coords = [[round(float(x), 9), round(float(y), 9)] for x, y in zip(lon, lat, strict=True)]
        return json.dumps(
            {
                "type": "FeatureCollection",
                "features": [
                    {"type": "Feature", "properties": {}, "geometry": {"type": "LineString", "coordinates": coords}}
                ],
            }
        )

    (root / "a.geojson").write_text(line(a))
    (root / "b.geojson").write_text(line(b))
    # The two pair settlements sit 300 m beyond the truth's ends (it runs south to north):
    # their nearest points on the truth and on any rendering are the ends.
    ends = np.array([truth[0] - (0.0, 300.0), truth[-1] + (0.0, 300.0)])
    lon, lat = TO_LL.transform(ends[:, 0], ends[:, 1])
    feats = [
        {
            "type": "Feature",
            "properties": {"name": n, "country": "AAA"},
            "geometry": {"type": "Point", "coordinates": [float(x), float(y)]},
        }
        for n, x, y in zip(("S-south", "S-north"), lon, lat, strict=True)
    ]
    (root / "settlements.geojson").write_text(json.dumps({"type": "FeatureCollection", "features": feats}))
    (root / "case.toml").write_text(
        f"""format = 1
id = "synthetic-coverage"
title = "SYNTHETIC curve with a known length (at sea)"
synthetic = true
[[countries]]
code = "AAA"
name = "Synthland"
[[countries]]
code = "BBB"
name = "Testonia"
[[pairs]]
id = "south"
AAA = "S-south"
BBB = "B-south"
unpublished = ["B-south"]
[[pairs]]
id = "north"
AAA = "S-north"
BBB = "B-north"
unpublished = ["B-north"]
[layers.settlements]
role = "settlements"
path = "settlements.geojson"
crs = "EPSG:4326"
accuracy_m = 0.5
[layers.a]
role = "new_line"
path = "a.geojson"
crs = "EPSG:4326"
accuracy_m = 50
left = "AAA"
[layers.b]
role = "new_line_alt"
path = "b.geojson"
crs = "EPSG:4326"
accuracy_m = 50
left = "AAA"
[uncertainty]
calibrate = [["a", "b"]]
nu = 2.5
[[claims]]
id = "length"
quantity = "length"
scope = "total"
value = {claim_km:.6f}
unit = "km"
precision = 0.0005
""",
        encoding="utf-8",
    )


def _true_length_km(truth: np.ndarray) -> float:
    lon, lat = TO_LL.transform(truth[:, 0], truth[:, 1])
    return GEOD.line_length(lon, lat) / 1000.0


@pytest.mark.slow
def test_uncertainty__95_interval_covers_the_known_truth_and_catches_a_claim_30_percent_off(tmp_path) -> None:
    rng = np.random.default_rng(20261201)
    sigma, ell = 40.0, 600.0  # within the range fitted on the real renderings (σ 60 m, ℓ 330 m)
    replicates, covered, caught = 200, 0, 0
    for k in range(replicates):
        truth = _truth_xy(rng)
        d = np.hypot(*(truth[:, None, :] - truth[None, :, :]).transpose(2, 0, 1))
        chol = np.linalg.cholesky(_matern52(d, sigma, ell) + 1e-6 * np.eye(len(truth)))
        a, b = _rendering(truth, chol, rng), _rendering(truth, chol, rng)
        true_km = _true_length_km(truth)
        root = tmp_path / f"r{k}"
        _write_case(root, truth, a, b, true_km)
        report = borderkit.analyse(root, draws=200, seed=k)
        s = report.uncertainty.claim("length").scenario("a")
        covered += s.interval.lo <= true_km <= s.interval.hi
        # The same intervals against a claim 30 % short of the truth.
        off = true_km * 0.7
        outs = {sc.scenario: sc.interval for sc in report.uncertainty.claim("length").scenarios}
        caught += all(iv.hi < off - 0.0005 or iv.lo > off + 0.0005 for iv in outs.values())
    # 95 % intervals: between 90 % and 98 % of the replicates' truths inside (binomial
    # sd at n = 200 is 1.5 %); a claim 30 % off caught in at least 90 % of replicates.
    print(f"coverage {covered}/{replicates}, 30 % off caught {caught}/{replicates}")
    assert 0.90 <= covered / replicates <= 0.98, covered
    assert caught / replicates >= 0.90, caught


@pytest.fixture(scope="module")
def shipped() -> borderkit.Report:
    return borderkit.analyse("tavush-2024", draws=400, seed=0)


def test_uncertainty__every_measured_value_lies_inside_its_own_interval(shipped) -> None:
    for c in shipped.uncertainty.claims:
        for s in c.scenarios:
            assert s.interval.lo <= s.measured <= s.interval.hi, (c.claim_id, s.scenario)


def test_uncertainty__prints_the_calibrated_model_and_its_checks(shipped) -> None:
    u = shipped.uncertainty
    assert u.model.basis.startswith("calibrated from osm_2026c vs gb_2020")
    # The shared README: the renderings differ by a median of 60-80 m (p95 ≈ 150-250 m);
    # σ of one rendering's smooth error must be of that order, ℓ of hundreds of metres.
    assert 30 < u.model.sigma_m < 120
    assert 150 < u.model.length_m < 1500
    (check,) = u.checks
    assert check.ok, check.reason
    assert check.self_crossing_fraction <= 0.01
    assert check.roughness_model_m <= check.roughness_line_m


def test_uncertainty__one_verdict_per_claim_names_the_renderings(shipped) -> None:
    scenarios = {"osm_2026c", "osm_2025a", "osm_2024b", "osm_2024a", "gb_2020", "gb_2021"}
    for c in shipped.uncertainty.claims:
        assert {s.scenario for s in c.scenarios} == scenarios
        outcomes = {s.result.outcome for s in c.scenarios}
        if len(outcomes) == 1:
            assert c.outcome == outcomes.pop()
        else:
            assert c.outcome is Outcome.DEPENDS
            assert "under" in c.reason


def test_uncertainty__no_sigma_beyond_the_draws_is_printed(shipped) -> None:
    from borderkit._text import render_report

    text = render_report(shipped)
    assert " σ)" not in text
    assert "z (σ)" not in text
    assert "draws fall" in json.dumps(shipped.to_dict(), ensure_ascii=False)


def test_uncertainty__the_independent_80_m_vertex_model_is_refused_on_the_line(shipped) -> None:
    case = shipped.case
    from borderkit._uncertainty import _plane

    xy = clipped_line_xy(case, case.layers["osm_2026c"], _plane(case, shipped.measurements))
    check = _check("osm_2026c", xy, ErrorModel(0.0, 1.0, nugget_m=80.0), seed=0)
    assert not check.ok
    assert "cross themselves" in check.reason
    assert "roughness" in check.reason
    # The moved lines are tested a block of draws at a time: with blocks of 3 draws
    # (2,000 vertex-draws // 626 vertices) the same lines cross themselves.
    import borderkit._uncertainty as unc

    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(unc, "_CHECK_BLOCK", 2_000)
        blocks = _check("osm_2026c", xy, ErrorModel(0.0, 1.0, nugget_m=80.0), seed=0)
    assert 0.5 < blocks.self_crossing_fraction <= 1.0
    assert blocks.self_crossing_fraction == check.self_crossing_fraction
    assert blocks.roughness_model_m == pytest.approx(check.roughness_model_m, rel=1e-12)


def test_uncertainty__same_seed_same_numbers() -> None:
    a = borderkit.analyse("tavush-2024", draws=200, seed=5).uncertainty.to_frame()
    b = borderkit.analyse("tavush-2024", draws=200, seed=5).uncertainty.to_frame()
    assert a.equals(b)


@pytest.mark.slow
def test_uncertainty__verdicts_do_not_change_between_1000_and_4000_draws() -> None:
    # The rule: a verdict does not change between N and 4N draws; where one would,
    # the N-draw output says "more draws needed" instead of giving one. So, per claim and
    # scenario: a decided outcome at 1000 draws is the outcome at 4000; and a claim none of
    # whose scenarios needs more draws at 1000 gets the same verdict at 4000.
    n = borderkit.analyse("tavush-2024", draws=1000, seed=0)
    four = borderkit.analyse("tavush-2024", draws=4000, seed=0)
    by_claim = {c.claim_id: c for c in four.uncertainty.claims}
    undecided = 0
    for c in n.uncertainty.claims:
        at_4n = {s.scenario: s.result.outcome for s in by_claim[c.claim_id].scenarios}
        for s in c.scenarios:
            if s.result.outcome is Outcome.MORE_DRAWS:
                undecided += 1
            else:
                assert s.result.outcome == at_4n[s.scenario], (c.claim_id, s.scenario)
    still = [v for v in n.verdicts if "more draws needed" not in (v.statistical_reason or "")]
    final_4n = {v.claim.id: v.final_verdict for v in four.verdicts}
    assert all(v.final_verdict == final_4n[v.claim.id] for v in still)
    assert undecided <= 1  # on the shipped case: the area claim under osm_2024a, at 1000 draws


@pytest.mark.parametrize("draws", [0, -1, 2**62, "x", 1.5, True])
def test_uncertainty__bad_draws_is_a_parameter_error(draws) -> None:
    with pytest.raises(ParameterError, match="draws="):
        borderkit.uncertainty(borderkit.load_case("tavush-2024"), draws=draws)


def test_uncertainty__turning_points_move_by_their_own_accuracy(sk42_case) -> None:
    # Five SYNTHETIC turning points, σ 5 m per axis: the total of 4 segments moves by metres.
    # By hand: each segment's length changes by about the difference of its two ends' moves
    # along it, σ ≈ 5·√2 m, and the four (partly shared) add to σ_total ≈ 5·√2·√2 ≈ 10 m;
    # a 95 % interval is then about ±20 m around the measured length (plus the lengthening).
    report = borderkit.analyse(sk42_case(), draws=1000, seed=1)
    (claim,) = [c for c in report.uncertainty.claims if c.unit == "km"][:1]
    s = claim.scenarios[0]
    half_m = (s.interval.hi - s.interval.lo) / 2 * 1000
    assert 8 < half_m < 40, half_m
    assert s.interval.lo <= s.measured <= s.interval.hi


def test_uncertainty__reports_progress_once_per_draw(monkeypatch) -> None:
    import borderkit._uncertainty as unc

    seen: dict[str, float] = {"total": 0.0, "done": 0.0}

    class _Bar:
        def __init__(self, total: float, desc: str, unit: str) -> None:
            seen["total"] = total

        def update(self, n: float = 1) -> None:
            seen["done"] += n

        def __enter__(self) -> _Bar:
            return self

        def __exit__(self, *exc: object) -> None:
            return None

    monkeypatch.setattr(unc, "progress", _Bar)
    u = borderkit.uncertainty(borderkit.load_case("tavush-2024"), draws=400)
    # Six renderings × 400 draws, and two sensitivity runs (ℓ halved, doubled) of max(400 // 4, 100)
    # draws; ℓ as fitted is the measured rendering's own run.
    assert len(u.claims[0].scenarios) == 6
    assert seen["total"] == seen["done"] == 6 * 400 + 2 * 100


@pytest.mark.parametrize("block", [2**18, 6])
def test_field_roughness__one_displaced_vertex_by_hand(monkeypatch, block: int) -> None:
    # Synthetic: 12 vertices 10 m apart along x. In draw column 0 vertex 5 alone moves by
    # h = 2 m: its residual from its neighbours' chord is h, and vertices 4 and 6 each miss
    # the chord through 3–5 or 5–7 by h/2; mean square over the 10 interior vertices
    # (h² + 2 (h/2)²) / 10 = 0.6 m², RMS √0.6. Column 1 moves all vertices alike: 0.
    # Block 6 splits the vertices into blocks of 3 (6 // 2 columns), so that the pieces meet.
    import borderkit._uncertainty as unc

    monkeypatch.setattr(unc, "_CHECK_BLOCK", block)
    xy = np.column_stack([np.arange(12) * 10.0, np.zeros(12)])
    d = np.zeros((12, 2), dtype=np.float32)
    d[5, 0] = 2.0
    d[:, 1] = 3.0
    got = unc._field_roughness_m2(xy, d)
    assert np.sqrt(got[0]) == pytest.approx(math.sqrt(0.6), rel=1e-12)
    assert got[1] == 0.0
