"""Rhumb lines of borderkit.linetype against GeographicLib's RhumbSolve on random SYNTHETIC ends.

Every family is a few hundred seeded random pairs of ends, solved by RhumbSolve (Debian
package geographiclib-tools) in one subprocess call: ``RhumbSolve -i`` for length and
azimuth, plain ``RhumbSolve`` (direct) for the points that :func:`densify` inserts.
The families are the edge cases where naive formulas lose digits: latitude differences
of 1e-10° to 1e-5°, exactly along a parallel, ends within 1e-10° of the equator, and
ends within 0.1 m to 11 km of a pole.
"""

from __future__ import annotations

import shutil
import subprocess

import numpy as np
import pytest
from numpy.typing import NDArray
from pyproj import Geod

from borderkit.linetype import densify, rhumb_azimuth_deg, rhumb_length_m

SEED = 20240515
CASES = 200
# A ruler for the distance between a densified point and RhumbSolve's (not under test).
_RULER = Geod(ellps="WGS84")


def _rhumbsolve(lines: list[str], *, inverse: bool) -> NDArray[np.float64]:
    exe = shutil.which("RhumbSolve")
    if exe is None:
        pytest.fail("RhumbSolve is not installed: `apt-get install geographiclib-tools` (.ci/run does this)")
    args = [exe, "-p", "12", *(["-i"] if inverse else [])]
    out = subprocess.run(args, input="".join(lines), capture_output=True, text=True, check=True).stdout
    rows = np.array([[float(v) for v in line.split()] for line in out.splitlines()])
    assert len(rows) == len(lines)
    return rows


def _ends(family: str) -> NDArray[np.float64]:
    """``CASES`` rows of (lon1, lat1, lon2, lat2), degrees, synthetic."""
    rng = np.random.default_rng([SEED, sum(map(ord, family))])
    n = CASES
    lon1 = rng.uniform(-180, 180, n)
    dlon = rng.choice([-1, 1], n) * 10 ** rng.uniform(-6, np.log10(179), n)
    sign = rng.choice([-1, 1], n)
    if family == "anywhere":
        lat1, lat2 = rng.uniform(-89, 89, n), rng.uniform(-89, 89, n)
    elif family == "tiny latitude difference":
        lat1 = rng.uniform(-85, 85, n)
        lat2 = lat1 + sign * 10 ** rng.uniform(-10, -5, n)
    elif family == "along a parallel":
        lat1 = sign * (90 - 10 ** rng.uniform(-6, np.log10(90), n))
        lat2 = lat1.copy()
    elif family == "near the equator":
        # 1e-10° to 1° from the equator, on either side, with tiny or small latitude steps.
        lat1 = sign * 10 ** rng.uniform(-10, 0, n)
        lat2 = np.where(rng.random(n) < 0.5, lat1 + rng.choice([-1, 1], n) * 10 ** rng.uniform(-10, -5, n), -lat1)
    elif family == "near a pole":
        # 0.1 m to 11 km from the pole (1e-6° to 0.1° of colatitude), the other end near
        # it too or anywhere in the same hemisphere.
        lat1 = sign * (90 - 10 ** rng.uniform(-6, -1, n))
        near = rng.random(n) < 0.5
        lat2 = np.where(near, sign * (90 - 10 ** rng.uniform(-6, -1, n)), sign * rng.uniform(0, 89.9, n))
    else:
        raise AssertionError(family)
    lon2 = (lon1 + dlon + 180) % 360 - 180
    return np.column_stack([lon1, lat1, lon2, lat2])


FAMILIES = ["anywhere", "tiny latitude difference", "along a parallel", "near the equator", "near a pole"]


def _num(value: float) -> str:
    # Fixed point: GeographicLib reads "1e-05" as 1 degree East (its DMS parser takes "e"
    # for a hemisphere), so exponent notation must never reach it.
    return f"{value:.17f}"


def _inverse(ends: NDArray[np.float64]) -> NDArray[np.float64]:
    """(azimuth_deg, length_m) of each row from RhumbSolve -i."""
    lines = [" ".join(map(_num, (la1, lo1, la2, lo2))) + "\n" for lo1, la1, lo2, la2 in ends.tolist()]
    return _rhumbsolve(lines, inverse=True)[:, :2]


def _azimuth_error_deg(a: NDArray[np.float64], b: NDArray[np.float64]) -> NDArray[np.float64]:
    return np.abs((a - b + 180) % 360 - 180)


@pytest.mark.parametrize("family", FAMILIES)
def test_rhumb_length_and_azimuth__match_rhumbsolve(family: str) -> None:
    ends = _ends(family)
    ref = _inverse(ends)
    length = np.array([rhumb_length_m(*row) for row in ends.tolist()])
    azimuth = np.array([rhumb_azimuth_deg(*row) for row in ends.tolist()])
    # Bounds: 1 mm absolute on lengths up to 20,000 km (measured worst 1e-6 m; before the
    # divided differences 50 m near a pole); the azimuth within 1e-9° or, for short lines,
    # within 1 mm of sideways offset at the far end, s · Δα (measured worst 7e-7° on a
    # line of centimetres, offset 2e-9 m; before: 11.5°, 505 m, near a pole).
    assert np.max(np.abs(length - ref[:, 1])) < 1e-3
    sideways_m = np.radians(_azimuth_error_deg(azimuth, ref[:, 0])) * ref[:, 1]
    assert np.all((_azimuth_error_deg(azimuth, ref[:, 0]) < 1e-9) | (sideways_m < 1e-3))


@pytest.mark.parametrize("family", FAMILIES)
def test_densify__rhumb_points_match_rhumbsolve_direct(family: str) -> None:
    ends = _ends(family)[:60]
    ref = _inverse(ends)
    pieces = 7
    lines = []
    for (lo1, la1, lo2, la2), (azi, s12) in zip(ends.tolist(), ref.tolist(), strict=True):
        # Densify inserts 6 points at s12 · k/7 (max_segment_m just over s12 / 7). RhumbSolve
        # walks to them from the end farther from the pole: from an end 0.4 m from a pole
        # its own direct solution misses the other end by 2 mm (its longitude, tan α · Δψ,
        # multiplies Δψ ≈ 15 there), from the other end by < 1e-7 m.
        for k in range(1, pieces):
            if abs(la1) <= abs(la2):
                lines.append(" ".join(map(_num, (la1, lo1, azi, s12 * k / pieces))) + "\n")
            else:
                lines.append(" ".join(map(_num, (la2, lo2, (azi + 180) % 360, s12 * (pieces - k) / pieces))) + "\n")
    direct = _rhumbsolve(lines, inverse=False)  # lat2 lon2 S12
    got_lon, got_lat = [], []
    for lo1, la1, lo2, la2 in ends.tolist():
        # The count of pieces only (RhumbSolve prints lengths to 1e-10 m, too coarse for
        # lines of a micrometre): where the points go is checked against RhumbSolve.
        piece_m = rhumb_length_m(lo1, la1, lo2, la2) / pieces * (1 + 1e-9)
        lon, lat = densify([lo1, lo2], [la1, la2], line_type="rhumb", max_segment_m=piece_m)
        assert len(lon) == pieces + 1
        got_lon.extend(lon[1:-1])
        got_lat.extend(lat[1:-1])
    error_m = _RULER.inv(np.array(got_lon), np.array(got_lat), direct[:, 1], direct[:, 0])[2]
    # Bound: 1 mm absolute (measured worst after the fix: 1e-7 m; before it 191 m for
    # latitude differences of 1e-10°..1e-5°, 2.5 cm near the equator, 202 m near a pole).
    assert np.max(error_m) < 1e-3
