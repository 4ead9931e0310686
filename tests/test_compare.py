"""Tests of borderkit._compare: signed offsets between two renderings of a line.

Synthetic lines are built in local metres (the SYNTHETIC frame of tests/_synthetic_curves.py,
UTM 32S at sea) and handed to compare_lines in lon/lat; compare_lines projects them back
to the same UTM zone, so the hand-computed planar offsets apply.
"""

from __future__ import annotations

import importlib.util
import json
import math
import sys
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
import pytest
from shapely import MultiLineString, box
from shapely.geometry import shape

from borderkit._compare import LineComparison, compare_lines
from borderkit.errors import GeometryError


def _load_curves():  # tests/ is not on sys.path under --import-mode=importlib
    name = "_synthetic_curves"
    if name not in sys.modules:
        spec = importlib.util.spec_from_file_location(name, Path(__file__).with_name("_synthetic_curves.py"))
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module
        spec.loader.exec_module(module)
    return sys.modules[name]


sc = _load_curves()
DATA = Path(__file__).parents[1] / "data" / "tavush-2024"


def _xy(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    return np.column_stack([sc.E0 + x, sc.N0 + y])


def _east(step: float = 50.0, length: float = 10_000.0, y: float = 0.0) -> np.ndarray:
    x = np.arange(0.0, length + step / 2, step)
    return _xy(x, np.full_like(x, y))


def test_compare__parallel_line_100m_to_the_left_is_plus_100() -> None:
    # A walks east; B runs 100 m north of it, i.e. on A's left: every offset is +100 m.
    c = compare_lines(sc.to_lonlat(_east()), sc.to_lonlat(_east(y=100.0)))
    assert isinstance(c, LineComparison)
    assert c.median_abs_offset_m == pytest.approx(100.0, abs=0.01)
    assert (c.offset_m > 0).all()
    assert c.max_abs_offset_m == pytest.approx(100.0, abs=0.01)
    # Hausdorff of two parallel, equally long segments 100 m apart: 100 m.
    assert c.hausdorff_m == pytest.approx(100.0, abs=0.01)
    assert c.crs == "EPSG:32732"


def test_compare__line_to_the_right_is_negative() -> None:
    c = compare_lines(sc.to_lonlat(_east()), sc.to_lonlat(_east(y=-40.0)))
    assert c.offset_m == pytest.approx(np.full(c.offset_m.size, -40.0), abs=0.01)


def test_compare__reversed_b_gives_the_same_offsets() -> None:
    a, b = sc.to_lonlat(_east()), _east(y=100.0)
    forward = compare_lines(a, sc.to_lonlat(b))
    reverse = compare_lines(a, sc.to_lonlat(b[::-1]))
    np.testing.assert_allclose(reverse.offset_m, forward.offset_m, atol=1e-6)
    np.testing.assert_allclose(reverse.chainage_m, forward.chainage_m)


def test_compare__different_vertex_spacing_does_not_change_offsets() -> None:
    c = compare_lines(sc.to_lonlat(_east(step=200.0)), sc.to_lonlat(_east(step=7.0, y=100.0)))
    assert c.offset_m == pytest.approx(np.full(c.offset_m.size, 100.0), abs=0.01)
    assert c.spacing_a_m == pytest.approx(200.0, abs=0.01)
    assert c.spacing_b_m == pytest.approx(7.0, abs=0.01)


def test_compare__sine_offset_amplitude_median_and_correlation() -> None:
    # B = 50 m · sin(2πx/2000) north of an eastward A, vertices every 5 m. The nearest-point
    # distance differs from |y| by a factor cos(slope) ≥ cos(atan(50·2π/2000)) = 0.988, and is
    # exact at the crests: max |offset| = 50 m. Median of |50 sin| over whole waves = 50·sin(π/4)
    # = 35.36 m. Autocorrelation of a sine: cos(2πh/2000): 1/e at h = 2000·acos(1/e)/(2π) =
    # 380.1 m, so the first 25 m lag below it is 400 m; at a half wave (1000 m) it is −1.
    # Semivariogram: A²/2·(1 − cos(2πh/λ)) = 2500 m² at h = 1000 m.
    x = np.arange(0.0, 20_000.0 + 1, 5.0)
    c = compare_lines(sc.to_lonlat(_xy(x, 0 * x)), sc.to_lonlat(_xy(x, 50 * np.sin(2 * np.pi * x / 2000))))
    assert c.max_abs_offset_m == pytest.approx(50.0, abs=0.05)
    assert c.median_abs_offset_m == pytest.approx(35.36, rel=0.015)
    # Sign follows the sine: positive (left, north) on the first half wave.
    first = (c.chainage_m > 100) & (c.chainage_m < 900)
    assert (c.offset_m[first] > 0).all()
    assert c.e_folding_m == pytest.approx(400.0)
    i1000 = int(np.flatnonzero(c.acf_lag_m == 1000.0)[0])
    assert c.acf[i1000] == pytest.approx(-1.0, abs=0.03)
    assert c.semivariogram_m2[i1000] == pytest.approx(2500.0, rel=0.03)
    assert c.neighbour_correlation == pytest.approx(math.cos(2 * math.pi * 25 / 2000), abs=0.01)


def test_compare__only_the_common_stretch_is_kept() -> None:
    # B covers x = 3–7 km of a 10 km A: stations nearest to B's ends are dropped.
    x = np.arange(3000.0, 7000.0 + 1, 50.0)
    c = compare_lines(sc.to_lonlat(_east()), sc.to_lonlat(_xy(x, np.full_like(x, 100.0))))
    assert c.chainage_m.min() > 3000.0 - 1e-6
    assert c.chainage_m.max() < 7000.0 + 1e-6
    assert c.offset_m == pytest.approx(np.full(c.offset_m.size, 100.0), abs=0.01)


def test_compare__clip_restricts_stations() -> None:
    a, b = _east(), _east(y=100.0)
    lon, lat = sc._TO_LONLAT.transform([sc.E0 + 2000, sc.E0 + 4000], [sc.N0 - 500, sc.N0 + 500])
    c = compare_lines(sc.to_lonlat(a), sc.to_lonlat(b), clip=box(lon[0], lat[0], lon[1], lat[1]))
    assert c.chainage_m.min() >= 2000.0 - 1
    assert c.chainage_m.max() <= 4000.0 + 1


def test_compare__multilinestring_parts_are_merged_or_refused() -> None:
    xy = _east()
    ll = np.asarray(sc.to_lonlat(xy).coords)
    joined = compare_lines(MultiLineString([ll[:100], ll[99:]]), sc.to_lonlat(_east(y=100.0)))
    assert joined.median_abs_offset_m == pytest.approx(100.0, abs=0.01)
    with pytest.raises(GeometryError, match="merge into 2 separate lines"):
        compare_lines(MultiLineString([ll[:100], ll[120:]]), sc.to_lonlat(_east(y=100.0)), name_a="gappy")


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [({"step_m": 0.0}, "step_m=0.0"), ({"step_m": float("nan")}, "step_m=nan")],
)
def test_compare__bad_step_is_refused(kwargs: dict, match: str) -> None:
    with pytest.raises(GeometryError, match=match):
        compare_lines(sc.to_lonlat(_east()), sc.to_lonlat(_east(y=1.0)), **kwargs)


def test_compare__no_common_stretch_is_refused() -> None:
    far = _xy(np.array([20_000.0, 30_000.0]), np.array([0.0, 0.0]))
    with pytest.raises(GeometryError, match="no common stretch"):
        compare_lines(sc.to_lonlat(_east()), sc.to_lonlat(far))


def test_compare__frame_repr_and_plot() -> None:
    c = compare_lines(sc.to_lonlat(_east()), sc.to_lonlat(_east(y=100.0)), name_a="synthetic A", name_b="B")
    frame = c.to_frame()
    assert list(frame.columns) == ["chainage_m", "offset_m", "lon", "lat"]
    assert len(frame) == c.chainage_m.size
    assert repr(c).startswith("<LineComparison synthetic A vs B:")
    ax = c.plot(color="red")
    line = ax.get_lines()[0]
    np.testing.assert_allclose(line.get_ydata(), c.offset_m)
    assert ax.get_xlabel() == "km along synthetic A"
    plt.close(ax.figure)


def _shipped(name: str) -> object:
    return shape(json.loads((DATA / name).read_text())["features"][0]["geometry"])


def test_compare__shipped_geoboundaries_renderings_match_the_shared_readme() -> None:
    # /work/shared/data/tavush-2024/README.md ("What a quick look shows"): the two de jure
    # renderings differ by a median of about 80 m, p95 ≈ 250 m, Hausdorff ≈ 790 m. Tolerance:
    # the README rounds to two significant figures and does not state its stations, so ±10 %.
    c = compare_lines(
        _shipped("new_line_geoboundaries_ARM.geojson"), _shipped("new_line_alt_geoboundaries_AZE.geojson")
    )
    assert c.median_abs_offset_m == pytest.approx(80.0, rel=0.10)
    assert c.p95_abs_offset_m == pytest.approx(250.0, rel=0.10)
    assert c.hausdorff_m == pytest.approx(790.0, rel=0.05)
    # The independent review: neighbour-vertex correlation 0.83 (vertices ~169 m apart, the
    # README's median spacing), 1/e at about 600 m. Loosely: the correlation at the lag nearest
    # the vertex spacing within 0.8–0.9, the e-folding length 400–1000 m.
    assert c.spacing_a_m == pytest.approx(169.0, abs=1.0)
    k = round(c.spacing_a_m / c.step_m)
    assert 0.78 <= c.acf[k] <= 0.90
    assert c.e_folding_m is not None
    assert 400.0 <= c.e_folding_m <= 1000.0
