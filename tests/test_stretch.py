"""The compiled stretch against the NumPy reference that searches every segment and settlement.

SYNTHETIC lines and settlements in local metres; the reference (``full_lengths``) is
checked by hand on a straight line first.
"""

from __future__ import annotations

import numpy as np
import pytest

from borderkit._uncertainty._stretch import full_lengths, lengths, plan


def test_full_lengths__by_hand_on_a_straight_line() -> None:
    # A straight line x = 0 … 10 km; settlements (pair 0) at x = 1 km and 4 km, (pair 1) at 8 km,
    # 300 m off the line. The stretch runs 1 → 8 km: 7 km. Midpoints nearer 4 km than 8 km
    # (x < 6 km) are pair 0: 1 → 6 km = 5 km; pair 1: 6 → 8 km = 2 km.
    x = np.linspace(0.0, 10_000.0, 101)
    px, py = x[None], np.zeros((1, 101))
    pts = np.array([[[1000.0, 300.0], [4000.0, -300.0], [8000.0, 300.0]]])
    got = full_lengths(px, py, pts, np.array([0, 0, 1]), [(), (0,), (1,)])[0]
    assert got == pytest.approx([7000.0, 5000.0, 2000.0])


def _wiggly(rng: np.random.Generator, n: int = 400) -> np.ndarray:
    t = np.linspace(0.0, 1.0, n)
    x = t * 20_000.0
    y = 800.0 * np.sin(2 * np.pi * 3 * t + rng.uniform(0, 6)) + 200.0 * np.sin(2 * np.pi * 11 * t)
    return np.column_stack([x, y])


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_lengths__equal_the_reference_in_every_draw(seed) -> None:
    rng = np.random.default_rng(seed)
    xy = _wiggly(rng)
    pts0 = np.column_stack([np.linspace(1_500.0, 18_500.0, 8), rng.uniform(-1_500.0, 1_500.0, 8)])
    pair_of_point = np.array([0, 0, 1, 1, 2, 2, 3, 3])
    scopes = [(), (0,), (1, 2), (3,)]
    draws = 600
    # Smooth line moves of ~60 m and settlement moves up to ~2 km (some far beyond any bound).
    k = np.arange(len(xy))
    d = np.vstack(
        [
            sum(rng.normal(0, 40, (1, 2 * draws)) * np.sin(np.pi * f * k / len(xy))[:, None] for f in (1, 3, 7))
            for _ in range(1)
        ]
    )
    pts = pts0[None] + rng.normal(0, 400, (draws, 8, 2)) * rng.choice([0.2, 1.0, 3.0], (draws, 1, 1))
    p = plan(xy, pts0, pair_of_point)
    got = lengths(xy, d, pts, pts0, p, pair_of_point, scopes, 4)
    px = xy[None, :, 0] + d[:, :draws].T
    py = xy[None, :, 1] + d[:, draws:].T
    want = full_lengths(px, py, pts, pair_of_point, scopes)
    assert np.allclose(got, want, rtol=0, atol=1e-6)
    # The draws do move the answer (the test could fail).
    assert want[:, 1].std() > 100.0


def test_lengths__unmoved_equal_the_reference() -> None:
    xy = _wiggly(np.random.default_rng(5))
    pts0 = np.array([[2_000.0, 900.0], [9_000.0, -700.0], [16_000.0, 400.0]])
    pop = np.array([0, 1, 1])
    got = lengths(xy, np.zeros((len(xy), 2)), pts0[None], pts0, plan(xy, pts0, pop), pop, [(), (1,)], 2)
    want = full_lengths(xy[None, :, 0], xy[None, :, 1], pts0[None], pop, [(), (1,)])
    assert np.allclose(got, want, rtol=0, atol=1e-6)
