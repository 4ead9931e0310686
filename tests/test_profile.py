"""The profile along the line, on the real shipped renderings.

References: the shared data README states, for the 2026c release, how far each GeoNames
village lies from the border ("Baghanis Ayrum lies 77 m inside Azerbaijan, Kheyrimli 168 m,
Ashaghi Askipara 355 m, Ghizilhajili 575 m; Kirants 214 m inside Armenia, Berkaber 1,395 m"),
measured by the shared data's own script, not by borderkit; lengths along the line are
re-measured here with pyproj's Geod on the line's own vertices.
"""

from __future__ import annotations

import numpy as np
import pytest
import shapely
from pyproj import Geod

import borderkit
from borderkit._measure import line_of

GEOD = Geod(ellps="WGS84")


@pytest.fixture(scope="module")
def report() -> borderkit.Report:
    return borderkit.analyse("tavush-2024", draws=0)


@pytest.mark.parametrize(
    ("name", "metres"),
    [
        ("Baghanis Ayrum", 77),
        ("Kheyrimli", 168),
        ("Ashaghi Askipara", 355),
        ("Ghizilhajili", 575),
        ("Kirants", 214),
        ("Berkaber", 1395),
    ],
)
def test_profile__settlement_offsets_match_the_shared_readme(report, name: str, metres: float) -> None:
    p = report.profile()
    row = p[(p["rendering"] == "osm_2026c") & (p["kind"] == "settlement") & (p["name"] == name)].iloc[0]
    # The README rounds to the metre; nearest points are found in UTM 38N (scale ≈ 0.9996).
    assert row["offset_m"] == pytest.approx(metres, abs=2.0)


def _geodesic_km_along(line: shapely.LineString, a: tuple[float, float], b: tuple[float, float]) -> float:
    """Geodesic length of ``line`` between the vertices nearest to two points (km)."""
    xy = shapely.get_coordinates(line)
    i = int(np.argmin(np.hypot(*(xy - a).T)))
    j = int(np.argmin(np.hypot(*(xy - b).T)))
    i, j = sorted((i, j))
    return GEOD.line_length(xy[i : j + 1, 0], xy[i : j + 1, 1]) / 1000.0


def test_profile__the_measured_stretch_runs_between_its_markers(report) -> None:
    p = report.profile()
    q = p[p["rendering"] == "osm_2026c"].set_index("kind")
    begins, ends = q.loc["stretch begins"], q.loc["stretch ends"]
    line = line_of(report.case, report.case.layers["osm_2026c"])[0]
    km = _geodesic_km_along(line, (begins["lon"], begins["lat"]), (ends["lon"], ends["lat"]))
    # Between the markers' nearest vertices (41 m apart on average): within 0.1 km.
    assert ends["km"] - begins["km"] == pytest.approx(km, abs=0.1)
    assert ends["km"] - begins["km"] == pytest.approx(report.measurements.total_length_m / 1000, abs=0.01)


def test_profile__a_claimed_length_ends_where_the_line_has_run_that_far(report) -> None:
    ends = report.line_profile.claim_ends
    row = ends[(ends["rendering"] == "osm_2026c") & (ends["claim"] == "length-total-12.7")].iloc[0]
    assert row["end_km"] - row["anchor_km"] == pytest.approx(12.7)
    p = report.profile()
    start = p[(p["rendering"] == "osm_2026c") & (p["kind"] == "stretch begins")].iloc[0]
    line = line_of(report.case, report.case.layers["osm_2026c"])[0]
    km = _geodesic_km_along(line, (start["lon"], start["lat"]), (row["lon"], row["lat"]))
    assert km == pytest.approx(12.7, abs=0.1)


def test_profile__markers_are_sorted_along_each_rendering(report) -> None:
    p = report.profile()
    for _, g in p.groupby("rendering"):
        assert np.all(np.diff(g["km"].to_numpy()) >= 0)
    assert set(p["rendering"]) == {"osm_2026c", "osm_2025a", "osm_2024b", "osm_2024a", "gb_2020", "gb_2021"}
