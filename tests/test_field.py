"""The Vecchia field against the exact Gaussian field, and the exact area covariance.

Every line here is SYNTHETIC, in local metres. The reference covariance is built with
NumPy from the Matérn ν = 5/2 closed form (Rasmussen & Williams 2006, eq. 4.17), written
out here, not with borderkit's own covariance code.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from borderkit._uncertainty._field import Field, _nearest_first, _unique_pairs, weighted_covariance
from borderkit._uncertainty._model import ErrorModel


def _matern52(a: np.ndarray, b: np.ndarray, sigma: float, ell: float) -> np.ndarray:
    d = np.hypot(a[:, None, 0] - b[None, :, 0], a[:, None, 1] - b[None, :, 1])
    r = math.sqrt(5.0) * d / ell
    return sigma**2 * (1.0 + r + r * r / 3.0) * np.exp(-r)


def _hairpin(step_m: float = 40.0) -> np.ndarray:
    # SYNTHETIC: 12 km out along y = 0, a half circle of radius 300 m, and back along y = 600 m,
    # so that the second strand runs 600 m from the first: a field along the line alone
    # would move them independently.
    out = np.arange(0.0, 12_000.0, step_m)
    arc = np.linspace(-np.pi / 2, np.pi / 2, 24)[1:-1]
    back = np.arange(12_000.0, 0.0, -step_m)
    return np.vstack(
        [
            np.column_stack([out, np.zeros_like(out)]),
            np.column_stack([12_000.0 + 300.0 * np.cos(arc), 300.0 + 300.0 * np.sin(arc)]),
            np.column_stack([back, np.full_like(back, 600.0)]),
        ]
    )


def _implied_covariance(f: Field) -> np.ndarray:
    m = f.apply(np.eye(f.n))  # column k: the field made from the k-th unit vector
    return m @ m.T


@pytest.mark.parametrize("ell", [165.0, 330.0, 660.0])
def test_field__covariance_matches_the_exact_matern_field(ell) -> None:
    xy = _hairpin()
    model = ErrorModel(60.0, ell, 2.5)
    got = _implied_covariance(Field.build(xy, model))
    want = _matern52(xy, xy, 60.0, ell)
    err = np.abs(got - want) / 60.0**2
    # Measured (ℓ 165 / 330 / 660 m): mean error 2e-4 / 5e-4 / 5e-4 σ², worst pair 0.009 / 0.022 / 0.045 σ².
    assert err.mean() < 2e-3
    assert err.max() < 0.1
    # The variances and the neighbours' covariance (what makes a line rough): the
    # approximation drifts along the line, by at most 1e-6 / 0.3 % / 1.7 % at the far end.
    assert np.abs(np.diag(got) / 60.0**2 - 1).max() < 0.025
    assert np.abs(np.diag(got, 1) - np.diag(want, 1)).max() / 60.0**2 < 0.025
    # The second strand moves with the first one 600 m across (ρ(600 m) is 0.18 at ℓ 330 m).
    i, j = 150, len(xy) - 1 - 150
    assert got[i, j] == pytest.approx(want[i, j], abs=0.1 * 60.0**2)


def test_field__is_exact_where_the_line_is_short() -> None:
    xy = _hairpin()[:20]
    model = ErrorModel(60.0, 330.0, 2.5)
    got = _implied_covariance(Field.build(xy, model))
    # The model adds a jitter of 1e-6 σ² on the diagonal (near-coincident vertices).
    assert np.allclose(got, _matern52(xy, xy, 60.0, 330.0) + np.eye(20) * 1e-6 * 3600, rtol=0, atol=1e-6)


def test_field__draws_have_the_model_variance_and_the_nugget() -> None:
    xy = _hairpin()[:300]
    d = Field.build(xy, ErrorModel(60.0, 330.0, 2.5, nugget_m=10.0)).draw(np.random.default_rng(1), 4000)
    assert d.shape == (300, 8000)
    # Each value has variance σ² + nugget² = 3700 m²; 4000 × 2 draws: the estimate's sd is ~1.6 %.
    assert d.var(axis=1).mean() == pytest.approx(3700.0, rel=0.03)


def test_field__same_generator_same_draws() -> None:
    f = Field.build(_hairpin()[:200], ErrorModel(60.0, 330.0, 2.5))
    a = f.draw(np.random.default_rng(3), 3000)
    b = f.draw(np.random.default_rng(3), 3000)
    assert np.array_equal(a, b)


def test_weighted_covariance__equals_the_dense_product() -> None:
    rng = np.random.default_rng(0)
    xy = _hairpin()[:150]
    wx, wy = rng.normal(size=(3, 150)), rng.normal(size=(3, 150))
    wx[:, 100:] = 0.0  # vertices without weight are left out: the result must not change
    model = ErrorModel(60.0, 330.0, 2.5, nugget_m=5.0)
    c = _matern52(xy, xy, 60.0, 330.0) + np.eye(150) * (25.0 + 1e-6 * 3600)
    want = wx @ c @ wx.T + wy @ c @ wy.T
    assert np.allclose(weighted_covariance(xy, model, wx, wy), want, rtol=1e-10)


def test_field__weighted_covariance_is_that_of_its_draws() -> None:
    # The adjoint solve gives exactly Cov(W d) for the Vecchia field d: compare with the
    # product of W and the field's implied covariance, and with the exact Matérn one.
    rng = np.random.default_rng(4)
    xy = _hairpin()[:400]
    wx, wy = rng.normal(size=(4, 400)), rng.normal(size=(4, 400))
    model = ErrorModel(60.0, 330.0, 2.5, nugget_m=5.0)
    f = Field.build(xy, model)
    implied = _implied_covariance(f) + np.eye(400) * 25.0
    got = f.weighted_covariance(wx, wy)
    assert np.allclose(got, wx @ implied @ wx.T + wy @ implied @ wy.T, rtol=1e-9)
    exact = weighted_covariance(xy, model, wx, wy)
    # And close to the exact Matérn one: within 2 % of the variances (measured: 0.2 %).
    assert np.abs(got - exact).max() < 0.02 * np.diag(exact).max()


def test_field__long_lines_are_built_in_batches_like_short_ones(monkeypatch) -> None:
    # The coefficients are solved in batches of vertices: a batch of 7 must give what one
    # batch gives (a vertex's system uses its own position, not its place in the batch).
    import borderkit._uncertainty._field as fmod

    xy = _hairpin()[:60]
    model = ErrorModel(60.0, 330.0, 2.5)
    one = Field.build(xy, model)
    monkeypatch.setattr(fmod, "_BATCH", 7)
    batched = Field.build(xy, model)
    assert np.allclose(one.coef, batched.coef) and np.allclose(one.sd, batched.sd)


@pytest.mark.parametrize("wide", [False, True])
def test_nearest_first__is_the_lexsort_by_vertex_distance_and_index(wide: bool) -> None:
    # Synthetic pairs (vertex qi, earlier vertex qj), sorted by (qi, qj) as _neighbours makes
    # them, with integer distances so that ties are common; `wide` gives one vertex 5,000
    # candidates, so that the padded table would be mostly padding and lexsort is used.
    rng = np.random.default_rng(7)
    n = 2_000
    counts = rng.integers(0, 40, n)
    if wide:
        counts[-1] = 5_000
    qi = np.repeat(np.arange(n), counts)
    qj = np.concatenate([np.sort(rng.choice(10_000, c, replace=False)) for c in counts])
    dist = rng.integers(0, 8, len(qi)).astype(float)
    got = _nearest_first(qi, qj, dist, n)
    assert np.array_equal(got, np.lexsort((qj, dist, qi)))


@pytest.mark.parametrize("wide", [False, True])
def test_unique_pairs__each_pair_once_sorted_as_numpy_unique_gives_it(wide: bool) -> None:
    # Synthetic candidate pairs as _neighbours makes them: a sorted run from the spatial
    # query, a sorted run of the 16 vertices just before each one, many pairs twice; `wide`
    # adds 40,000 pairs on one vertex, so that the padded table is refused.
    rng = np.random.default_rng(11)
    n = 3_000
    qi = np.concatenate([np.sort(rng.integers(0, n, 50_000)), np.repeat(np.arange(n), 16)])
    qj = rng.integers(0, n, len(qi))
    if wide:
        qi, qj = np.concatenate([qi, np.full(40_000, n - 1)]), np.concatenate([qj, rng.integers(0, n, 40_000)])
    key = np.unique(qi * n + qj)
    got_i, got_j = _unique_pairs(qi, qj, n)
    assert np.array_equal(got_i, key // n)
    assert np.array_equal(got_j, key % n)
