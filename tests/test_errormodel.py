"""Tests of borderkit._uncertainty._model: Matérn draws, perturbation, calibration, admissibility, points."""

from __future__ import annotations

import importlib.util
import json
import math
import sys
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
from pyproj import Transformer
from shapely.geometry import shape

from borderkit._compare import compare_lines
from borderkit._stats import Outcome, interval_from_draws, judge
from borderkit._uncertainty._model import (
    ErrorModel,
    draw_points,
    fit,
    matern_correlation,
    metres_per_degree,
    roughness_m,
)
from borderkit.errors import CaseError, GeometryError
from borderkit.geodesy import local_projected_crs


def _load_curves():  # tests/ is not on sys.path under --import-mode=importlib
    name = "_synthetic_curves"
    if name not in sys.modules:
        spec = importlib.util.spec_from_file_location(name, Path(__file__).with_name("_synthetic_curves.py"))
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module
        spec.loader.exec_module(module)
    return sys.modules[name]


sc = _load_curves()
# The along-line model of earlier versions (tests/_along_line_model.py): it draws the
# renderings of the synthetic curves, and is checked here.
alm = sc.along
MAX_VALUES_PER_CALL = alm.MAX_VALUES_PER_CALL
admissibility, chainage_of, locate_m, perturb = alm.admissibility, alm.chainage_of, alm.locate_m, alm.perturb
perturbed_lengths_m, simulate_offsets, vertex_normals = (
    alm.perturbed_lengths_m,
    alm.simulate_offsets,
    alm.vertex_normals,
)
DATA = Path(__file__).parents[1] / "data" / "tavush-2024"


# ------------------------------------------------------------------ Matérn correlation and draws
@pytest.mark.parametrize(
    ("h", "nu", "expected"),
    [
        (100.0, 0.5, math.exp(-1)),  # exp(−h/ℓ) at h = ℓ
        (100.0 / math.sqrt(3), 1.5, 2 * math.exp(-1)),  # (1 + x)e^−x at x = 1
        (100.0 / math.sqrt(5), 2.5, (1 + 1 + 1 / 3) * math.exp(-1)),  # (1 + x + x²/3)e^−x at x = 1
        (0.0, 1.5, 1.0),
    ],
)
def test_matern_correlation__closed_forms(h: float, nu: float, expected: float) -> None:
    assert float(matern_correlation(h, 100.0, nu)) == pytest.approx(expected, rel=1e-12)


@pytest.mark.parametrize("nu", [0.5, 1.5, 2.5])
@pytest.mark.parametrize("spacing_m", [5.0, 50.0, 400.0])
def test_simulate_offsets__target_sigma_and_correlation_at_any_spacing(nu: float, spacing_m: float) -> None:
    # σ = 50 m, ℓ = 500 m. 4000 draws over 20 km: the sample sd within 3 %, the correlation at
    # 400 m within 0.04 of ρ(400). 5 m spacing goes through the 25 m grid and interpolation,
    # 50 and 400 m are sampled exactly at the points: the same statistics either way.
    model = ErrorModel(sigma_m=50.0, length_m=500.0, nu=nu)
    s = np.arange(0.0, 20_000.0, spacing_m)
    e = simulate_offsets(s, model, 4000, np.random.default_rng(7)).astype(float)
    assert e.shape == (4000, s.size)
    assert e.std() == pytest.approx(50.0, rel=0.03)
    k = round(400.0 / spacing_m)
    corr = float(np.mean(e[:, :-k] * e[:, k:]) / np.mean(e**2))
    assert corr == pytest.approx(float(matern_correlation(400.0, 500.0, nu)), abs=0.04)


def test_simulate_offsets__nugget_is_independent_and_order_does_not_matter() -> None:
    s = np.arange(0.0, 2000.0, 10.0)
    e = simulate_offsets(s, ErrorModel(0.0, 1.0, nugget_m=10.0), 4000, np.random.default_rng(1)).astype(float)
    assert e.std() == pytest.approx(10.0, rel=0.03)
    assert abs(float(np.mean(e[:, :-1] * e[:, 1:])) / 100.0) < 0.03
    # Shuffled chainages: each point keeps its own statistics (the field follows chainage, not order).
    rng = np.random.default_rng(2)
    perm = rng.permutation(s.size)
    e2 = simulate_offsets(s[perm], ErrorModel(50.0, 500.0), 4000, rng).astype(float)
    i, j, k = np.argsort(perm)[[10, 11, 50]]  # the points at 100 m, 110 m and 500 m
    assert np.corrcoef(e2[:, i], e2[:, j])[0, 1] == pytest.approx(float(matern_correlation(10.0, 500.0, 1.5)), abs=0.01)
    assert np.corrcoef(e2[:, i], e2[:, k])[0, 1] == pytest.approx(
        float(matern_correlation(400.0, 500.0, 1.5)), abs=0.04
    )


def test_simulate_offsets__refuses_unbounded_memory_and_bad_input() -> None:
    s = np.arange(0.0, 10_000.0)
    with pytest.raises(CaseError, match="pass chunks of draws"):
        simulate_offsets(s, ErrorModel(1.0, 100.0), MAX_VALUES_PER_CALL // s.size + 1, np.random.default_rng())
    with pytest.raises(GeometryError, match="chainage_m"):
        simulate_offsets(np.array([0.0, np.nan]), ErrorModel(1.0, 100.0), 1, np.random.default_rng())
    with pytest.raises(CaseError, match=r"nu=2\.0"):
        ErrorModel(1.0, 100.0, nu=2.0)
    with pytest.raises(CaseError, match=r"sigma_m=-1\.0"):
        ErrorModel(-1.0, 100.0)


# ------------------------------------------------------------------ perturbation and lengths
def test_perturb__moves_along_left_normals() -> None:
    # An L: east then north. Left normals: (0, 1) on the first leg, (−1, 0) on the second,
    # their bisector (−1, 1)/√2 at the corner.
    xy = np.array([(0.0, 0.0), (10.0, 0.0), (10.0, 10.0)])
    p = perturb(xy, np.array([[2.0, math.sqrt(2), 3.0]]))
    np.testing.assert_allclose(p[0], [(0.0, 2.0), (9.0, 1.0), (7.0, 10.0)], atol=1e-12)


def test_perturbed_lengths__constant_offset_of_a_straight_line_keeps_its_length() -> None:
    xy = np.column_stack([np.linspace(0, 1000, 11), np.zeros(11)])
    lengths = perturbed_lengths_m(xy, np.full((3, 11), 25.0))
    np.testing.assert_allclose(lengths, 1000.0, rtol=1e-6)


def test_perturbed_lengths__chunking_changes_nothing_and_matches_perturb() -> None:
    rng = np.random.default_rng(3)
    xy = sc.rendering(sc.truth(rng, 5000.0), 100.0, ErrorModel(5.0, 300.0), rng)
    off = simulate_offsets(chainage_of(xy), ErrorModel(20.0, 400.0), 50, rng)
    p = perturb(xy, off)
    direct = np.hypot(*np.diff(p, axis=1).transpose(2, 0, 1)).sum(axis=1)
    np.testing.assert_allclose(perturbed_lengths_m(xy, off, chunk=7), direct, rtol=1e-6)


def test_vertex_normals__chord_scale_smooths_a_sawtooth() -> None:
    # A sawtooth along x: up 10 m over 8 m, down over 2 m. Its vertex normals point up-left and
    # up-right in turn; at the scale of 100 m its direction is east, so every normal is (0, 1).
    x = np.cumsum(np.tile([8.0, 2.0], 60))
    xy = np.column_stack([np.concatenate([[0.0], x]), np.concatenate([[0.0], np.tile([10.0, 0.0], 60)])])
    assert abs(vertex_normals(xy)[20:-20, 0]).min() > 0.1
    smooth = vertex_normals(xy, normal_scale_m=100.0)
    # Chords span ±100 m of path, 8.7 teeth of 23.0 m (√(8² + 10²) + √(2² + 10²)): they end at
    # most 10 m off level over ≥ 80 m of x, so the normal is within atan(10/80)·… < 0.05 of north.
    np.testing.assert_allclose(smooth[20:-20], np.tile([0.0, 1.0], (xy.shape[0] - 40, 1)), atol=0.05)


def test_vertex_normals__chord_by_hand() -> None:
    # At (100, 0) with w = 50 m: from (50, 0) back to (100, 50) ahead, chord (50, 50), normal (−1, 1)/√2.
    xy = [(0.0, 0.0), (50.0, 0.0), (100.0, 0.0), (100.0, 50.0), (100.0, 100.0)]
    n = vertex_normals(xy, normal_scale_m=50.0)
    np.testing.assert_allclose(n[2], [-math.sqrt(0.5), math.sqrt(0.5)], atol=1e-12)
    np.testing.assert_allclose(n[0], [0.0, 1.0], atol=1e-12)


# ------------------------------------------------------------------ calibration
def test_fit__recovers_sigma_and_length_of_synthetic_renderings() -> None:
    # Two SYNTHETIC renderings of a 100 km curve with independent σ = 30 m, ℓ = 500 m fields:
    # the fit, halved back from the difference (σ_d/√2), gets σ within 15 % and ℓ within 25 %.
    rng = np.random.default_rng(11)
    true = ErrorModel(sigma_m=30.0, length_m=500.0)
    t = sc.truth(rng, 100_000.0)
    a, b = sc.rendering(t, 50.0, true, rng), sc.rendering(t, 80.0, true, rng)
    cal = fit([compare_lines(sc.to_lonlat(a), sc.to_lonlat(b), name_a="synthetic A", name_b="synthetic B")])
    assert cal.model.sigma_m == pytest.approx(30.0, rel=0.15)
    assert cal.model.length_m == pytest.approx(500.0, rel=0.25)
    assert cal.pooled.sigma_d_m == pytest.approx(cal.model.sigma_m * math.sqrt(2))
    assert cal.model.basis == "calibrated from synthetic A vs synthetic B"
    assert "σ_d/√2" in cal.assumption
    frame = cal.to_frame()
    assert {"sigma_d_m", "sigma_m", "length_m", "nugget_m"} <= set(frame.columns)


def test_fit__pools_comparisons_and_refuses_mixed_steps() -> None:
    rng = np.random.default_rng(12)
    true = ErrorModel(sigma_m=30.0, length_m=500.0)
    comps = []
    for _ in range(2):
        t = sc.truth(rng, 40_000.0)
        comps.append(
            compare_lines(
                sc.to_lonlat(sc.rendering(t, 50.0, true, rng)), sc.to_lonlat(sc.rendering(t, 80.0, true, rng))
            )
        )
    cal = fit(comps)
    assert len(cal.fits) == 2
    assert cal.pooled.name == "pooled"
    assert len(cal.to_frame()) == 3
    assert cal.model.sigma_m == pytest.approx(30.0, rel=0.2)
    coarse = compare_lines(
        comps[0] and sc.to_lonlat(sc.truth(rng, 5000.0)), sc.to_lonlat(sc.truth(rng, 5000.0)), step_m=50.0
    )
    with pytest.raises(CaseError, match="different step_m"):
        fit([comps[0], coarse])


# ------------------------------------------------------------------ admissibility on the shipped line
def _shipped_xy(name: str) -> tuple[np.ndarray, object]:
    geom = shape(json.loads((DATA / name).read_text())["features"][0]["geometry"])
    minx, miny, maxx, maxy = geom.bounds
    tr = Transformer.from_crs("EPSG:4326", local_projected_crs((minx + maxx) / 2, (miny + maxy) / 2), always_xy=True)
    return np.column_stack(tr.transform(*np.asarray(geom.coords).T)), geom


def test_roughness__zigzag_by_hand() -> None:
    # Teeth 3 m high every 4 m: each interior vertex lies 3 m from the chord of its neighbours.
    assert roughness_m([(0, 0), (2, 3), (4, 0), (6, 3), (8, 0)]) == pytest.approx(3.0)


def test_admissibility__old_independent_80m_model_is_refused_on_the_shipped_line() -> None:
    xy, _ = _shipped_xy("new_line_geoboundaries_ARM.geojson")
    old = ErrorModel(sigma_m=0.0, length_m=1.0, nugget_m=80.0, basis="the old default: 80 m per vertex")
    a = admissibility(xy, old, rng=np.random.default_rng(0))
    assert not a.ok
    # Independent noise: e_i minus the mean of its two neighbours has sd 80·√1.5 = 98 m
    # (the review's 99 m), against the line's own ~34–37 m.
    assert a.roughness_model_m == pytest.approx(80.0 * math.sqrt(1.5), rel=0.05)
    assert 30.0 < a.roughness_line_m < 40.0
    assert "rougher than the line" in a.reason
    assert a.self_crossing_fraction > 0.5
    assert "cross themselves" in a.reason


def test_admissibility__calibrated_model_is_smooth_enough_for_the_shipped_line() -> None:
    arm, arm_geom = _shipped_xy("new_line_geoboundaries_ARM.geojson")
    aze = shape(json.loads((DATA / "new_line_alt_geoboundaries_AZE.geojson").read_text())["features"][0]["geometry"])
    cal = fit([compare_lines(arm_geom, aze, name_a="geoBoundaries ARM", name_b="geoBoundaries AZE")])
    a = admissibility(arm, cal.model, rng=np.random.default_rng(0), normal_scale_m=cal.model.length_m)
    # (a) holds: the calibrated field is smoother than the line itself.
    assert a.roughness_model_m < a.roughness_line_m
    # (b) moving along normals at the scale ℓ removes the corner loops vertex normals make;
    # what remains are the two places where the line passes within ~120–200 m of itself
    # (km 70 and 80), which σ ≈ 80 m can push through (see the report).
    vertex = admissibility(arm, cal.model, rng=np.random.default_rng(0))
    assert a.self_crossing_fraction < vertex.self_crossing_fraction / 3


def test_admissibility__calibrated_model_accepted_on_a_synthetic_smooth_line() -> None:
    rng = np.random.default_rng(5)
    true = ErrorModel(sigma_m=15.0, length_m=400.0, nugget_m=1.0)
    t = sc.truth(rng)
    a, b = sc.rendering(t, 60.0, true, rng), sc.rendering(t, 100.0, true, rng)
    cal = fit([compare_lines(sc.to_lonlat(a), sc.to_lonlat(b))])
    ok = admissibility(a, cal.model, rng=rng)
    assert ok.ok, ok.reason
    assert ok.reason.startswith("admissible")


# ------------------------------------------------------------------ points
def test_draw_points__rounded_values_stay_inside_their_cell() -> None:
    # Published to the arc-minute with no placement part: 0 % outside ±0.5′ (the old isotropic
    # Gaussian of σ = 535 m put 26 % outside). Uniform over ±h: sd h/√3.
    rng = np.random.default_rng(0)
    pts = np.array([[45.0833, 41.0667], [45.1, 41.1]])
    p = draw_points(pts, ["arc-minute", "arc-second"], [0.0, 0.0], 20_000, rng)
    half = np.array([0.5 / 60, 0.5 / 3600])
    outside = np.abs(p - pts[None]) > half[None, :, None] * (1 + 1e-12)
    assert outside.mean() == 0.0
    np.testing.assert_allclose(p.std(axis=0), (half / math.sqrt(3))[:, None] * np.ones((2, 2)), rtol=0.02)
    # The old model for comparison: σ = 535 m per axis, converted properly.
    east, north = metres_per_degree(41.0667)
    old = rng.normal(0, 535.0, (20_000, 2)) / np.array([east, north])
    assert np.any(np.abs(old) > 0.5 / 60, axis=1).mean() > 0.2


def test_draw_points__unrounded_values_are_gaussian_in_metres(geodsolve: Callable[..., float]) -> None:
    # σ = 50 m per axis at 41° N. metres per degree checked against GeographicLib over 0.001°.
    lat = 41.0
    east, north = metres_per_degree(lat)
    assert float(north) == pytest.approx(geodsolve(lat - 0.0005, 45.0, lat + 0.0005, 45.0) / 0.001, rel=1e-7)
    assert float(east) == pytest.approx(geodsolve(lat, 45.0 - 0.0005, lat, 45.0 + 0.0005) / 0.001, rel=1e-6)
    p = draw_points([[45.0, lat]], [None], [50.0], 20_000, np.random.default_rng(1))
    d = (p[:, 0] - [45.0, lat]) * np.array([float(east), float(north)])
    np.testing.assert_allclose(d.std(axis=0), [50.0, 50.0], rtol=0.03)


def test_draw_points__bad_rounding_is_refused() -> None:
    with pytest.raises(CaseError, match=r"rounding\[0\]='arc-hour'"):
        draw_points([[45.0, 41.0]], ["arc-hour"], [0.0], 10, np.random.default_rng())  # type: ignore[list-item]


def test_locate_m__in_metres_and_vectorised() -> None:
    line = [(0.0, 0.0), (1000.0, 0.0), (1000.0, 1000.0)]
    pts = np.array([[[500.0, 30.0], [1200.0, 400.0]]] * 3)  # (draws=3, k=2, 2)
    s = locate_m(line, pts)
    assert s.shape == (3, 2)
    np.testing.assert_allclose(s, [[500.0, 1400.0]] * 3)  # 1000 m to the corner, then 400 m north


# ------------------------------------------------------------------ coverage of the whole chain
@pytest.mark.slow
def test_coverage__interval_covers_the_true_length_of_synthetic_curves() -> None:
    """Two renderings per replicate → compare → fit → Monte Carlo → interval, against the truth.

    Model family: SYNTHETIC smooth 20 km curves (tests/_synthetic_curves.py), renderings at
    60 m and 100 m vertex spacing, each with an independent Matérn 3/2 error of σ = 10 m,
    ℓ = 400 m, nugget 1 m. In this regime the model's lengthening (≈ 1.5·σ²/ℓ² of the length,
    about 19 m here) is small beside the interval's half-width (about 75 m), which is what
    an interval without bias correction needs: where lengthening exceeds the half-width
    (σ = 80 m, ℓ = 465 m, as calibrated on the Tavush renderings) it misses (see the report).
    200 replicates of 400 draws: coverage within 90–98 %; a claim 30 % short of the truth
    (±50 m rounding) is INCONSISTENT in at least 90 % of replicates.
    """
    true = ErrorModel(sigma_m=10.0, length_m=400.0, nugget_m=1.0)
    covered = inconsistent = 0
    reps = 200
    for r in range(reps):
        rng = np.random.default_rng([2026, r])
        t = sc.truth(rng)
        true_m = sc.length_m(t)
        a, b = sc.rendering(t, 60.0, true, rng), sc.rendering(t, 100.0, true, rng)
        model = fit([compare_lines(sc.to_lonlat(a), sc.to_lonlat(b), max_lag_m=3000.0)]).model
        lengths = perturbed_lengths_m(a, simulate_offsets(chainage_of(a), model, 400, rng))
        iv = interval_from_draws(lengths, measured=sc.length_m(a))
        covered += iv.lo <= true_m <= iv.hi
        short = judge(iv, 0.7 * true_m - 50.0, 0.7 * true_m + 50.0, draws_values=lengths)
        inconsistent += short.outcome is Outcome.INCONSISTENT
    assert 0.90 <= covered / reps <= 0.98, covered / reps
    assert inconsistent / reps >= 0.90
