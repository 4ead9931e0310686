"""One scenario's draws: the settlement draws are the same under every scenario, whatever its chunks."""

from __future__ import annotations

import numpy as np

from borderkit._uncertainty._draws import POINT_BLOCK, FieldCache, _points_m
from borderkit.geodesy import local_plane

# SYNTHETIC points at sea (9° E, 40° S), one rounded to the arc-minute.
LL = np.array([[9.0, -40.0], [9.01, -40.02]])
ROUNDING = ["arc-minute", None]
PLACEMENT = np.array([50.0, 100.0])


def test_points_m__do_not_depend_on_how_the_draws_are_chunked() -> None:
    plane = local_plane(9.0, -40.0)
    whole = _points_m(LL, ROUNDING, PLACEMENT, plane, 7, 0, 2 * POINT_BLOCK + 10, None)
    cache = FieldCache()
    parts = [
        _points_m(LL, ROUNDING, PLACEMENT, plane, 7, a, b - a, cache)
        for a, b in ((0, 1000), (1000, POINT_BLOCK + 3), (POINT_BLOCK + 3, 2 * POINT_BLOCK + 10))
    ]
    assert whole.shape == (2 * POINT_BLOCK + 10, 2, 2)
    assert np.array_equal(whole, np.concatenate(parts))
    # Another seed, other draws (the test could fail).
    assert not np.array_equal(whole, _points_m(LL, ROUNDING, PLACEMENT, plane, 8, 0, 2 * POINT_BLOCK + 10, None))


def test_points_m__arc_minute_values_stay_in_their_cell_plus_placement() -> None:
    plane = local_plane(9.0, -40.0)
    pts = _points_m(LL, ROUNDING, PLACEMENT, plane, 0, 0, POINT_BLOCK, None)
    centre = plane.xy(LL)
    # Half an arc-minute at 40° S: 927 m north-south, 710 m east-west (1852 m × cos 40° / 2);
    # plus 5 σ of placement (250 m) covers all but ~1e-6 of the draws.
    off = np.abs(pts[:, 0, :] - centre[0])
    assert (off[:, 0] < 710 + 250).all() and (off[:, 1] < 927 + 250).all()
    assert off[:, 1].max() > 800  # spread over the cell, not only the placement
