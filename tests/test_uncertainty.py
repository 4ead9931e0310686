"""Tests of borderkit.uncertainty on synthetic geometry only (no real border here)."""

from __future__ import annotations

import itertools
import json
import math
import shutil
from pathlib import Path

import numpy as np
import pytest
import shapely
from hypothesis import given, settings
from hypothesis import strategies as st

from borderkit import analyse, load_case, measure
from borderkit.areas import handover_polygons
from borderkit.case import Claim
from borderkit.errors import BorderkitError, GeometryError
from borderkit.geodesy import GEOD
from borderkit._uncertainty._legacy import (
    CONSISTENT,
    INCONSISTENT,
    SOURCES,
    UNDETERMINED,
    UNDETERMINED_HALF_WIDTH,
    _judge,
    correlated_noise,
    interval_from_draws,
    uncertainty,
)

# ---------------------------------------------------------------------- synthetic case
# A straight west–east new line along 41°N (left = AAA, the north), an old line that dips
# 0.005° (≈ 555 m) south between 44.98° and 45.02° E: one face of ≈ 3.36 km × 0.555 km
# changes from AAA to BBB. Two settlement pairs at 44.96° and 45.04° E span ≈ 6.7 km.
_STEP = 0.005
_LONS = np.round(np.arange(44.90, 45.10 + 1e-9, _STEP), 6)


def _old_lat(lon: float) -> float:
    return 40.995 if 44.98 - 1e-9 <= lon <= 45.02 + 1e-9 else 41.0


def _fc(features: list[dict]) -> str:
    return json.dumps({"type": "FeatureCollection", "features": features})


def _feature(geom_type: str, coords: object, **props: object) -> dict:
    return {"type": "Feature", "properties": props, "geometry": {"type": geom_type, "coordinates": coords}}


def _write_case(root: Path, *, acc_new: float = 10.0, acc_old: float = 5.0, acc_settle: float = 20.0,
                area_km2: float = 1.9, length_km: float = 6.7, alt: bool = False, extra: str = "") -> Path:
    root.mkdir(parents=True, exist_ok=True)
    new = [[float(x), 41.0] for x in _LONS]
    old = [[float(x), _old_lat(float(x))] for x in _LONS]
    (root / "new.geojson").write_text(_fc([_feature("LineString", new)]))
    (root / "old.geojson").write_text(_fc([_feature("LineString", old)]))
    (root / "extent.geojson").write_text(_fc([_feature(
        "Polygon", [[[44.95, 40.97], [45.05, 40.97], [45.05, 41.03], [44.95, 41.03], [44.95, 40.97]]])]))
    pts = [("A-west", "AAA", 44.96, 41.01), ("B-west", "BBB", 44.96, 40.99),
           ("A-east", "AAA", 45.04, 41.01), ("B-east", "BBB", 45.04, 40.99)]
    (root / "settlements.geojson").write_text(_fc([_feature("Point", [x, y], name=n, country=c) for n, c, x, y in pts]))
    alt_layer = ""
    if alt:  # a second rendering 30 m north, coarser
        alt_xy = [[float(x), 41.0 + 30 / 111_000] for x in _LONS[::2]]
        (root / "alt.geojson").write_text(_fc([_feature("LineString", alt_xy)]))
        alt_layer = f"""
[layers.alt]
role = "new_line_alt"
path = "alt.geojson"
crs = "EPSG:4326"
accuracy_m = {acc_new}
left = "AAA"
"""
    (root / "case.toml").write_text(f"""\
format = 1
id = "synthetic-uncertainty"
synthetic = true
title = "Synthetic case for uncertainty tests (not a real border)"

[[countries]]
code = "AAA"
name = "Aland"

[[countries]]
code = "BBB"
name = "Bland"

[[pairs]]
id = "west"
AAA = "A-west"
BBB = "B-west"

[[pairs]]
id = "east"
AAA = "A-east"
BBB = "B-east"

[layers.settlements]
role = "settlements"
path = "settlements.geojson"
crs = "EPSG:4326"
accuracy_m = {acc_settle}

[layers.new]
role = "new_line"
path = "new.geojson"
crs = "EPSG:4326"
accuracy_m = {acc_new}
left = "AAA"

[layers.old]
role = "old_line"
path = "old.geojson"
crs = "EPSG:4326"
accuracy_m = {acc_old}
left = "AAA"

[layers.extent]
role = "extent"
path = "extent.geojson"
crs = "EPSG:4326"
accuracy_m = 0
{alt_layer}
[[claims]]
id = "length-total"
quantity = "length"
scope = "total"
value = {length_km}
unit = "km"

[[claims]]
id = "length-west"
quantity = "length"
scope = ["west"]
value = 3.4
unit = "km"

[[claims]]
id = "area-to-bbb"
quantity = "area"
scope = "total"
direction = "BBB"
value = {area_km2}
unit = "km2"

[[claims]]
id = "count"
quantity = "count"
subject = "buildings"
scope = "total"
direction = "BBB"
value = 3
unit = "houses"
precision = 0
""" + extra)
    return root


@pytest.fixture(scope="module")
def straight_case(tmp_path_factory: pytest.TempPathFactory):
    return load_case(_write_case(tmp_path_factory.mktemp("synthetic") / "case"))


@pytest.fixture(scope="module")
def straight_result(straight_case):
    return uncertainty(straight_case, draws=2000, seed=7)


# ---------------------------------------------------------------------- building blocks
def test_correlated_noise__has_unit_variance_and_exponential_correlation() -> None:
    rng = np.random.default_rng(1)
    along = np.arange(0.0, 1000.0, 100.0)
    e = correlated_noise(along, 20_000, rng, correlation_length_m=300.0)
    assert e.shape == (20_000, 10, 2)
    assert np.allclose(e[..., 0].std(axis=0), 1.0, atol=0.03)
    for lag in (1, 3):
        r = np.corrcoef(e[:, 2, 0], e[:, 2 + lag, 0])[0, 1]
        assert r == pytest.approx(math.exp(-100.0 * lag / 300.0), abs=0.02)


def test_correlated_noise__independent_without_correlation_length() -> None:
    e = correlated_noise([0.0, 1.0, 2.0], 20_000, np.random.default_rng(2))
    assert abs(np.corrcoef(e[:, 0, 0], e[:, 1, 0])[0, 1]) < 0.03


def test_correlated_noise__decreasing_positions_are_an_error() -> None:
    with pytest.raises(GeometryError, match="non-decreasing"):
        correlated_noise([0.0, 2.0, 1.0], 10, np.random.default_rng(0), correlation_length_m=5.0)


def _polyline_lengths(xy: np.ndarray) -> np.ndarray:
    """Planar lengths of polylines ``(..., V, 2)``."""
    return np.hypot(*np.moveaxis(np.diff(xy, axis=-2), -1, 0)).sum(axis=-1)


def test_interval__covers_true_length_at_stated_rate_on_noisy_synthetic_line() -> None:
    # 1000 trials: the true line T (40 vertices 100 m apart, σ = 5 m per axis) is observed
    # as O = T + noise; 500 draws O + noise' give each trial's interval. Independent vertex
    # noise lengthens every line by ≈ Σ σ²/d = 39·0.25 m ≈ 10 m, more than the ≈ 7 m spread
    # of the ends, so a plain percentile interval misses; the bias-corrected one must cover
    # L(T) in 95 % ± 2 % of the trials.
    rng = np.random.default_rng(2024)
    x = np.arange(40) * 100.0
    true = np.column_stack([x, 30.0 * np.sin(x / 400.0)])
    lt = _polyline_lengths(true)
    sigma, draws = 5.0, 500
    hits, raw_hits = [], []
    for _ in range(10):  # 10 × 100 trials keeps memory at 32 MB
        obs = true[None] + sigma * rng.standard_normal((100, 40, 2))
        pert = _polyline_lengths(obs[:, None] + sigma * rng.standard_normal((100, draws, 40, 2)))
        for lo_obs, ld in zip(_polyline_lengths(obs), pert, strict=True):
            lo, _, hi, _, _ = interval_from_draws(float(lo_obs), ld)
            hits.append(lo <= lt <= hi)
            raw_hits.append(np.quantile(ld, 0.025) <= lt <= np.quantile(ld, 0.975))
    assert np.mean(hits) == pytest.approx(0.95, abs=0.02)
    assert np.mean(raw_hits) < 0.5  # the uncorrected percentile interval misses: the correction matters


def test_interval__zero_spread_is_the_measured_value() -> None:
    lo, med, hi, sigma, bias = interval_from_draws(12.5, np.full(100, 12.5))
    assert (lo, med, hi, sigma, bias) == (12.5, 12.5, 12.5, 0.0, 0.0)


@settings(max_examples=50, deadline=None)
@given(st.lists(st.floats(100.0, 200.0), min_size=3, max_size=60), st.floats(0.0, 50.0))
def test_interval__ordered_and_shift_equivariant(draws: list[float], shift: float) -> None:
    # Draws in [100, 200] around 150 have |bias| <= 50, so the bias-corrected draws
    # x - 2*bias stay >= 0 for shifts >= 0 and the clip at zero (lengths and areas are
    # never negative) does not act: there the interval must move with the data.
    lo, med, hi, sigma, _ = interval_from_draws(150.0, draws)
    assert lo <= med <= hi
    assert sigma >= 0
    lo2, med2, hi2, _, _ = interval_from_draws(150.0 + shift, np.array(draws) + shift)
    assert (lo2, med2, hi2) == pytest.approx((lo + shift, med + shift, hi + shift), abs=1e-9)


def test_correlation__narrows_a_straight_line_and_vanishes_for_a_rigid_shift() -> None:
    # To first order δL = Σ e_i·(t_{i-1} − t_i) + t_n·e_n − t_0·e_0 (t: unit tangents).
    # Straight line: only the ends count, Var = 2σ²(1 − ρ(L)), and independent errors add
    # a zig-zag term that correlation removes: the interval narrows as ℓ grows. For ℓ ≫ L
    # any line only translates: zero width, however curved. (For a curved line and ℓ of
    # the order of its bends the two first-order effects compete; no direction is asserted.)
    rng = np.random.default_rng(5)
    n, sigma, draws = 40, 10.0, 4000
    s = np.arange(n) * 100.0
    straight = np.column_stack([s, np.zeros(n)])
    widths = []
    for ell in (None, 500.0, 4000.0, 1e6):
        e = correlated_noise(s, draws, rng, correlation_length_m=ell) * sigma
        widths.append(np.subtract(*np.quantile(_polyline_lengths(straight + e), [0.975, 0.025])))
    assert widths == sorted(widths, reverse=True)
    phi = np.linspace(0, math.pi, n)
    arc = np.column_stack([1200 * np.cos(phi), 1200 * np.sin(phi)])
    along = np.concatenate([[0], np.cumsum(np.hypot(*np.diff(arc, axis=0).T))])
    rigid = correlated_noise(along, draws, rng, correlation_length_m=1e9) * sigma
    ind = correlated_noise(along, draws, rng) * sigma
    w_rigid, w_ind = (np.subtract(*np.quantile(_polyline_lengths(arc + e), [0.975, 0.025])) for e in (rigid, ind))
    assert w_rigid < 0.01 * w_ind


# ---------------------------------------------------------------------- verdict rule
def _claim(value: float, precision: float = 0.05) -> Claim:
    return Claim(id="c", quantity="length", scope=(), value=value, unit="km", precision=precision)


@pytest.mark.parametrize(
    ("value", "lo", "med", "hi", "expected"),
    [
        (10.0, 9_800.0, 10_000.0, 10_200.0, CONSISTENT),
        (10.0, 10_100.0, 10_200.0, 10_300.0, INCONSISTENT),        # 10.05 km < lo
        (10.0, 10_040.0, 10_200.0, 10_300.0, CONSISTENT),          # rounding interval overlaps
        (10.0, 2_000.0, 10_000.0, 16_000.0, UNDETERMINED),         # half-width 7 km > 50 %
        (10.0, 20_000.0, 40_000.0, 90_000.0, INCONSISTENT),        # wide, but outside
    ],
)
def test_judge__rule(value: float, lo: float, med: float, hi: float, expected: str) -> None:
    verdict, z, _ = _judge(_claim(value), lo, med, hi, sigma=100.0)
    assert verdict == expected
    assert (z != 0) is (expected == INCONSISTENT)


def test_judge__z_counts_sigmas_from_the_nearest_rounding_end() -> None:
    _, z, reason = _judge(_claim(10.0), 10_300.0, 10_450.0, 10_600.0, sigma=100.0)
    assert z == pytest.approx((10_450.0 - 10_050.0) / 100.0)
    assert "4.0 σ" in reason
    _, z, _ = _judge(_claim(12.0), 10_300.0, 10_450.0, 10_600.0, sigma=100.0)
    assert z < 0  # measured below the claim


def test_undetermined_threshold_is_half_the_reported_value() -> None:
    assert UNDETERMINED_HALF_WIDTH == 0.5


# ---------------------------------------------------------------------- the engine
def test_uncertainty__zero_noise_gives_zero_width_interval_at_the_measured_value(tmp_path: Path) -> None:
    case = load_case(_write_case(tmp_path / "c", acc_new=0, acc_old=0, acc_settle=0))
    m = measure(case)
    u = uncertainty(case, draws=50, seed=3, measurements=m)
    for claim_id, measured in (("length-total", m.length_m() / 1e3), ("length-west", m.length_m(("west",)) / 1e3),
                               ("area-to-bbb", m.area_m2("BBB") / 1e6)):
        iv = u.interval(claim_id)
        assert iv.lo == iv.median == iv.hi
        assert iv.median == pytest.approx(measured, rel=1e-7)
        assert iv.measured == pytest.approx(measured, rel=1e-12)


def test_uncertainty__same_seed_same_numbers_other_seed_other_numbers(straight_case) -> None:
    a = uncertainty(straight_case, draws=300, seed=11, sensitivity=False)
    b = uncertainty(straight_case, draws=300, seed=11, sensitivity=False)
    c = uncertainty(straight_case, draws=300, seed=12, sensitivity=False)
    assert a.to_frame().equals(b.to_frame())
    assert not a.to_frame()[["lo", "median", "hi"]].equals(c.to_frame()[["lo", "median", "hi"]])


def test_uncertainty__planar_ratio_lengths_match_geodesic_within_1e6(straight_case) -> None:
    # The engine scales each geodesic segment by its perturbed/unperturbed UTM length. For
    # a 1 km displacement of one end of a 420 m segment, compare with Geod.inv directly.
    from pyproj import Transformer

    tr = Transformer.from_crs("EPSG:4326", "EPSG:32638", always_xy=True)
    back = Transformer.from_crs("EPSG:32638", "EPSG:4326", always_xy=True)
    a, b = (45.0, 41.0), (45.005, 41.0)
    ax, ay = tr.transform(*a)
    bx, by = tr.transform(*b)
    for dx, dy in ((1000.0, 0.0), (0.0, 1000.0), (-700.0, 700.0)):
        b2 = back.transform(bx + dx, by + dy)
        geo = GEOD.inv(*a, *b)[2] * math.hypot(bx + dx - ax, by + dy - ay) / math.hypot(bx - ax, by - ay)
        assert geo == pytest.approx(GEOD.inv(*a, *b2)[2], rel=1e-6)


def test_uncertainty__area_flux_model_agrees_with_recomputed_faces(straight_case) -> None:
    # Brute force: perturb both lines' vertices, recompute the faces with handover_polygons,
    # and compare the spread with the engine's first-order model (same σ, independent draws).
    rng = np.random.default_rng(9)
    new = shapely.get_coordinates(straight_case.layer("new_line").union())
    old = shapely.get_coordinates(straight_case.layer("old_line").union())
    ext = straight_case.layer("extent").union()
    mpd_lon, mpd_lat = 84_000.0, 111_000.0  # metres per degree at 41°N, to 1 %
    areas = []
    for _ in range(60):
        n2 = new + rng.standard_normal(new.shape) * 10.0 / [mpd_lon, mpd_lat]
        o2 = old + rng.standard_normal(old.shape) * 5.0 / [mpd_lon, mpd_lat]
        f = handover_polygons(shapely.LineString(n2), shapely.LineString(o2), ext, new_left="AAA",
                              old_left="AAA", countries=("AAA", "BBB"))
        areas.append(f.loc[f["to_country"] == "BBB", "area_m2"].sum())
    u = uncertainty(straight_case, draws=2000, seed=1, exclude=("settlements",), sensitivity=False)
    iv = u.interval("area-to-bbb")
    brute_sigma_km2 = float(np.std(areas)) / 1e6
    assert iv.sigma == pytest.approx(brute_sigma_km2, rel=0.35)
    assert iv.median == pytest.approx(float(np.mean(areas)) / 1e6, abs=3 * brute_sigma_km2)


def test_uncertainty__correlated_errors_narrow_the_straight_line_length(straight_case) -> None:
    ind = uncertainty(straight_case, draws=2000, seed=4, exclude=("settlements",), sensitivity=False)
    cor = uncertainty(straight_case, draws=2000, seed=4, exclude=("settlements",), sensitivity=False,
                      correlation_length_m=50_000)
    w = {k: r.interval("length-total").hi - r.interval("length-total").lo for k, r in (("i", ind), ("c", cor))}
    assert w["c"] < w["i"]


def test_uncertainty__budget_lists_every_source(straight_result) -> None:
    frame = straight_result.budget.to_frame()
    assert list(frame.index) == [*SOURCES, "line_type", "extent", "rounding"]
    assert {"size", "kind", "length-total [km]", "area-to-bbb [km2]"} <= set(frame.columns)
    assert frame.loc["rounding", "length-total [km]"] == pytest.approx(0.05)
    assert frame.loc["old_line", "length-total [km]"] == 0.0  # the old line does not touch lengths
    assert frame.loc["new_line", "area-to-bbb [km2]"] > 0


def test_uncertainty__result_tables_and_json(straight_result) -> None:
    u = straight_result
    assert repr(u).startswith("<UncertaintyResult 'synthetic-uncertainty': 2000 draws, seed 7")
    frame = u.to_frame()
    assert frame.loc["count", "verdict"] == "not propagated"
    assert frame.loc["area-to-bbb", "lo"] <= frame.loc["area-to-bbb", "median"] <= frame.loc["area-to-bbb", "hi"]
    json.dumps(u.to_dict(), allow_nan=False)
    sens = u.sensitivity.to_frame()
    assert set(sens.index.get_level_values("claim")) == {"length-total", "length-west", "area-to-bbb"}
    shares = sens.groupby(level="claim")["variance_share"].sum()
    assert np.allclose(shares, 1.0)
    assert u.sensitivity.decisive()["area-to-bbb"] in {"new_line", "old_line"}


def test_uncertainty__inverse_reading_of_area_over_length(straight_result) -> None:
    depth = next(r for r in straight_result.inverse if r.name.startswith("mean depth"))
    assert depth.claimed == pytest.approx(1.9e6 / 6.7e3)
    assert depth.lo <= depth.measured <= depth.hi


def test_uncertainty__rendering_mixture_spans_both_renderings(tmp_path: Path) -> None:
    case = load_case(_write_case(tmp_path / "c", acc_new=0, acc_old=0, acc_settle=0, alt=True))
    m = measure(case)
    u = uncertainty(case, draws=400, seed=0, measurements=m, sensitivity=False)
    a, b = sorted([m.area_m2("BBB") / 1e6, next(iter(m.renderings.values())).area_m2("BBB") / 1e6])
    iv = u.interval("area-to-bbb")
    assert iv.lo == pytest.approx(a, rel=1e-6)
    assert iv.hi == pytest.approx(b, rel=1e-6)
    assert uncertainty(case, draws=400, seed=0, measurements=m, exclude=("rendering",),
                       sensitivity=False).interval("area-to-bbb").hi == pytest.approx(iv.measured, rel=1e-6)


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [({"draws": 0}, "draws=0"), ({"exclude": ("weather",)}, "unknown source 'weather'"),
     ({"correlation_length_m": -5.0}, "correlation_length_m=-5.0")],
)
def test_uncertainty__bad_arguments_say_what_is_allowed(straight_case, kwargs: dict, match: str) -> None:
    with pytest.raises(BorderkitError, match=match):
        uncertainty(straight_case, **kwargs)


# ---------------------------------------------------------------------- verify integration
def test_verify__draws_add_statistical_verdicts_and_keep_the_deterministic_one(straight_case) -> None:
    plain = analyse(straight_case, draws=0)
    stat = analyse(straight_case, draws=300, seed=2)
    assert [v.verdict for v in plain.verdicts] == [v.verdict for v in stat.verdicts]
    assert plain.verdicts[0].interval is None
    assert "statistical" not in plain.verdicts[0].to_dict()
    v = stat.verdicts[0]
    assert v.statistical_verdict in {CONSISTENT, INCONSISTENT, UNDETERMINED}
    d = v.to_dict()
    assert d["interval"]["lo"] <= d["interval"]["median"] <= d["interval"]["hi"]
    assert {"verdict", "z"} <= set(d["statistical"])
    doc = stat.to_dict()
    assert {"budget", "sensitivity", "inverse"} <= set(doc["uncertainty"])
    assert "statistical_verdict" in stat.to_frame().columns
    json.dumps(doc)


# ---------------------------------------------------------------------- turning points
SK42_CSV = Path(__file__).parent / "data" / "synthetic_turning_points_sk42.csv"
# The WGS 84 points the synthetic SK-42 file was made from (its header comments).
SK42_WGS84 = [(45.0575, 41.06472222), (45.07, 41.07), (45.082, 41.078), (45.09, 41.085), (45.098, 41.095)]
TURNING_POINTS_TOML = """
[layers.turning_points]
role = "turning_points"
path = "turning_points_sk42.csv"
crs = "EPSG:28408"
accuracy_m = 5
line_type = "{line_type}"
source = "synthetic"
licence = "CC0"

[layers.new_line_alt]
role = "new_line_alt"
path = "alt.geojson"
crs = "EPSG:4326"
accuracy_m = 5
left = "AAA"
source = "synthetic"

[[claims]]
id = "tp-length"
quantity = "length"
scope = "total"
value = {value_km}
unit = "km"
"""


@pytest.mark.parametrize("line_type", ["geodesic", "rhumb"])
def test_uncertainty__turning_points_interval_holds_the_measured_length(synthetic_case, line_type) -> None:
    # Σ GEOD.inv over the five WGS 84 points the SK-42 file was made from: 4872.95 m, so
    # "4.87 km" (±5 m) is the measured length rounded. An alternative rendering of the new
    # line, 3x as long (a zig-zag), must not enter the length draws: with turning points
    # the measured line is theirs.
    ref_m = sum(GEOD.inv(*a, *b)[2] for a, b in itertools.pairwise(SK42_WGS84))
    assert ref_m == pytest.approx(4872.95, abs=0.01)
    root = synthetic_case(extra_toml=TURNING_POINTS_TOML.format(line_type=line_type, value_km=4.87))
    shutil.copy(SK42_CSV, root / "turning_points_sk42.csv")
    zigzag = [[10.0 + (0.01 if k % 2 else 0.0), k * 0.01] for k in range(11)]
    (root / "alt.geojson").write_text(_fc([_feature("LineString", zigzag)]))
    case = load_case(root)
    m = measure(case)
    assert m.line_basis == "turning points"
    assert next(iter(m.renderings.values())).total_length_m > 2 * m.total_length_m
    u = uncertainty(case, draws=2000, seed=0, measurements=m)
    iv = u.interval("tp-length")
    assert iv.measured == pytest.approx(ref_m / 1e3, abs=1e-4)
    assert iv.lo <= iv.measured <= iv.hi
    # Five points with σ = 5 m per axis: the length moves by metres, not kilometres.
    assert iv.hi - iv.lo < 0.1
    assert iv.verdict == CONSISTENT
    assert u.interval("total").verdict == INCONSISTENT  # 11.1 km against 4.87 km of turning points
    budget = u.budget.to_frame()
    assert budget.loc["rendering", "tp-length [km]"] == 0.0
    assert "per turning point" in budget.loc["new_line", "size"]
    rep = analyse(case, draws=500, seed=0)
    assert rep.to_frame().loc["tp-length", "statistical_verdict"] == CONSISTENT
    json.dumps(rep.to_dict(), allow_nan=False)


# ---------------------------------------------------------------------- not computable
def _drop_settlements(root: Path) -> None:
    toml = (root / "case.toml").read_text()
    start = toml.index("[layers.settlements]")
    end = toml.index("[layers.new]")
    (root / "case.toml").write_text(toml[:start] + toml[end:])


def _misspell_west(root: Path) -> None:
    toml = (root / "case.toml").read_text()
    (root / "case.toml").write_text(toml.replace('AAA = "A-west"', 'AAA = "A-Wset"')
                                    .replace('BBB = "B-west"', 'BBB = "B-Wset"'))


@pytest.mark.parametrize("edit", [_drop_settlements, _misspell_west], ids=["no-settlements", "misspelt-pair"])
def test_uncertainty__claims_with_no_measured_value_stay_not_computable(tmp_path: Path, edit) -> None:
    root = _write_case(tmp_path / "c")
    edit(root)
    case = load_case(root)
    rep = analyse(case, draws=300, seed=0)
    first = rep.to_frame()
    assert first.loc["length-west", "verdict"] == "not computable"
    iv = rep.uncertainty.interval("length-west")
    assert (iv.verdict, iv.z, iv.interval) == ("not computable", None, None)
    assert iv.reason.startswith("not computable: ")
    assert rep.uncertainty.interval("count").verdict == "not propagated"
    assert rep.uncertainty.interval("count").z is None
    assert "length-west" not in rep.inconsistent  # --strict must not fail on it
    assert "length-west" not in set(rep.uncertainty.sensitivity.to_frame().index.get_level_values("claim"))
    json.dumps(rep.to_dict(), allow_nan=False)


def test_uncertainty__zero_width_interval_outside_the_claim_has_no_z(tmp_path: Path) -> None:
    case = load_case(_write_case(tmp_path / "c", acc_new=0, acc_old=0, acc_settle=0, length_km=9.0))
    iv = uncertainty(case, draws=50, seed=0).interval("length-total")
    assert iv.verdict == INCONSISTENT
    assert iv.z is None
    assert "zero width" in iv.reason


# ---------------------------------------------------------------------- extent
def test_uncertainty__extent_row_regrows_and_shrinks_the_box(straight_case) -> None:
    # The face is a trapezoid between lat 40.995 and 41.0 (0.04° wide at the bottom, 0.05°
    # at the top: 2.25e-4 square degrees) inside the box lon 44.95–45.05, lat 40.97–41.03.
    # Growing the box changes nothing. Shrinking it by 3 km moves its sides by 3000 m /
    # 84 140 m/° of longitude and 3000 m / 111 050 m/° of latitude at 41° N: the box then
    # keeps a rectangle of the face (0.1 − 2·0.03565)° wide and (0.03 − 0.02701)° high.
    u = uncertainty(straight_case, draws=200, seed=0, sensitivity=False, extent_margin_m=3000)
    e = u.extent_effect("area-to-bbb")
    assert e.margin_m == 3000
    assert e.grown == pytest.approx(e.measured, rel=1e-6)
    kept = (0.1 - 2 * 3000 / 84_140) * (0.03 - 3000 / 111_050) / 2.25e-4
    assert e.shrunk / e.measured == pytest.approx(kept, rel=0.01)
    assert e.half_range == pytest.approx((e.grown - e.shrunk) / 2)
    budget = u.budget.to_frame()
    assert budget.loc["extent", "kind"] == "an analytical choice, not a random error: not in the Monte Carlo interval"
    assert budget.loc["extent", "area-to-bbb [km2]"] == pytest.approx(e.half_range)
    # The pair-span length does not depend on the box: no values, effect 0.
    length = u.extent_effect("length-total")
    assert (length.grown, length.shrunk, length.half_range) == (None, None, None)
    assert budget.loc["extent", "length-total [km]"] == 0.0
    doc = u.to_dict()
    assert doc["extent"]["effects"][-1]["claim"] == "area-to-bbb"
    json.dumps(doc, allow_nan=False)
    assert "area-to-bbb: depends on the case's extent" in " ".join(u.notes)


def test_uncertainty__extent_margin_must_be_metres(straight_case) -> None:
    with pytest.raises(GeometryError, match="extent_margin_m=-1"):
        uncertainty(straight_case, draws=10, extent_margin_m=-1)


# ---------------------------------------------------------------------- inverse readings
CHECK_TOML = """
[[claims]]
id = "length-east"
quantity = "length"
scope = ["east"]
value = 3.3
unit = "km"

[[claims]]
id = "length-total-m"
quantity = "length"
scope = "total"
value = 6700
unit = "m"

[[checks]]
id = "parts"
kind = "sum"
parts = ["length-west", "length-east"]
total = "length-total-m"
"""


def test_uncertainty__inverse_readings_are_fixed_point_with_units(tmp_path: Path) -> None:
    case = load_case(_write_case(tmp_path / "c", extra=CHECK_TOML))
    u = uncertainty(case, draws=300, seed=0, sensitivity=False)
    texts = [r.text for r in u.inverse]
    assert not any("e+" in t or "e-0" in t for t in texts)
    total = next(r for r in u.inverse if r.name == "sum of parts minus total: parts")
    assert total.claimed_text.startswith("3.4 km + 3.3 km = 6700 m vs 6700 m (0 m;")
    assert total.measured is None
    assert total.measured_text == "n/a (the measured parts add up to the measured total by construction)"
    depth = next(r for r in u.inverse if r.name == "mean depth: area-to-bbb / length-total-m")
    assert "not comparable one to one" in depth.measured_text
    assert "whole handed-over area" in depth.note
    # The claim names no village: the BBB members of its scope, neither inside the face.
    villages = next(r for r in u.inverse if r.name.startswith("faces holding named settlements"))
    assert "holding 0 of the 2 settlements of BBB" in villages.note
    json.dumps(u.to_dict(), allow_nan=False)


def test_uncertainty__territory_reading_counts_named_villages_with_and_without_coordinates(tmp_path: Path) -> None:
    # One named village inside the face (B-mid, added to pair "west" in its place), one
    # named with no coordinate (B-east renamed in the pairs only): "1 of the 2".
    root = _write_case(tmp_path / "c")
    data = json.loads((root / "settlements.geojson").read_text())
    data["features"].append(_feature("Point", [45.0, 40.997], name="B-mid (Mid)", country="BBB"))
    (root / "settlements.geojson").write_text(json.dumps(data))
    toml = (root / "case.toml").read_text().replace('BBB = "B-west"', 'BBB = "B-mid (Mid)"')
    toml = toml.replace('BBB = "B-east"', 'BBB = "B-far"')
    toml = toml.replace('id = "area-to-bbb"', 'id = "area-to-bbb"\nwording = "the territory of Mid and B-far"')
    (root / "case.toml").write_text(toml)
    u = uncertainty(load_case(root), draws=200, seed=0, sensitivity=False)
    r = next(r for r in u.inverse if r.name == "faces holding named settlements: area-to-bbb")
    assert "holding 1 of the 2 settlements the claim names (B-mid (Mid))" in r.note
    assert "B-far has no coordinates" in r.note
    assert r.measured == pytest.approx(u.interval("area-to-bbb").measured)


def test_uncertainty__two_identical_turning_points_do_not_crash(synthetic_case) -> None:
    # Synthetic degenerate input an analyst can produce by a copy-paste slip: the same
    # turning point twice. The line has zero length; nothing may divide by it.
    import json

    root = synthetic_case(extra_toml="""
[layers.turning_points]
role = "turning_points"
path = "tp.geojson"
crs = "EPSG:4326"
accuracy_m = 5
""")
    pts = [{"type": "Feature", "properties": {"order": k}, "geometry": {"type": "Point", "coordinates": [10.0, 0.05]}}
           for k in (1, 2)]
    (root / "tp.geojson").write_text(json.dumps({"type": "FeatureCollection", "features": pts}))
    report = analyse(load_case(root), draws=50)
    assert report.to_frame().loc["total", "verdict"] == "not computable"
    json.dumps(report.to_dict(), allow_nan=False)
