"""The Python boundary (borderkit/_validate.py): wrong arguments are ParameterErrors naming them."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import borderkit
from borderkit.errors import ParameterError


@pytest.fixture(scope="module")
def small(case: borderkit.Case) -> borderkit.Report:
    return borderkit.analyse(case, draws=0)


@pytest.mark.parametrize(
    ("call", "words"),
    [
        (lambda r, d: borderkit.load_case(None), "case=None"),
        (lambda r, d: borderkit.load_case(3), "case=3"),
        (lambda r, d: borderkit.analyse(None), "case=None"),
        (lambda r, d: borderkit.analyse(r.case, draws="x"), "draws='x'"),
        (lambda r, d: borderkit.analyse(r.case, draws=-1), "draws=-1"),
        (lambda r, d: borderkit.analyse(r.case, seed=-1), "seed=-1"),
        (lambda r, d: borderkit.export(r, None), "path=None"),
        (lambda r, d: borderkit.export(None, d / "x.geojson"), "expected a Report"),
        (lambda r, d: borderkit.save_map(r, None), "path=None"),
        (lambda r, d: borderkit.save_map(r, d / "m.png", dpi=-5), "dpi=-5"),
        (lambda r, d: borderkit.save_maps(r, None), "folder=None"),
        (lambda r, d: borderkit.save_maps(r, d, suffix=3), "suffix=3"),
        (lambda r, d: borderkit.write_report(r, None), "path=None"),
        (lambda r, d: borderkit.save_web_map(r, None), "path=None"),
        (lambda r, d: borderkit.save_web_map(r, d / "m.html", tiles="yes"), "tiles='yes'"),
        (lambda r, d: borderkit.read_points_csv(None), "path=None"),
        (lambda r, d: borderkit.read_points_csv(d / "p.csv", columns=["lat"]), "columns=['lat']"),
        (lambda r, d: borderkit.read_layer(d / "p.csv", crs=4326), "crs=4326"),
        (lambda r, d: borderkit.read_layer(d / "p.csv", expect_bounds=(1, 2)), "expect_bounds=(1, 2)"),
        (lambda r, d: borderkit.measure(None), "case=None"),
        (lambda r, d: borderkit.measure(r.case, sliver_width_m="wide"), "sliver_width_m='wide'"),
        (lambda r, d: borderkit.impact(r.case, building_share="x"), "building_share='x'"),
        (lambda r, d: borderkit.impact(r.case, within_m=-1), "within_m=-1"),
        (lambda r, d: borderkit.impact(None), "case=None"),
        (lambda r, d: borderkit.uncertainty(r.case, draws=2**62), "draws=4611686018427387904"),
        (lambda r, d: borderkit.uncertainty(None, draws=10), "case=None"),
    ],
)
def test_public_functions__wrong_arguments_are_parameter_errors_naming_them(
    small: borderkit.Report, tmp_path: Path, call: Any, words: str
) -> None:
    (tmp_path / "p.csv").write_text("name,lat,lon\nsynthetic,1.0,2.0\n")
    with pytest.raises(ParameterError) as info:
        call(small, tmp_path)
    assert words in str(info.value)
    assert "\n" not in str(info.value)
    assert list(tmp_path.iterdir()) == [tmp_path / "p.csv"]  # nothing written


def test_convert_points__wrong_arguments_are_parameter_errors(tmp_path: Path) -> None:
    from borderkit.convert import convert_points

    with pytest.raises(ParameterError, match="output_path=None"):
        convert_points(tmp_path / "p.csv", None)
    with pytest.raises(ParameterError, match="crs=4326"):
        convert_points(tmp_path / "p.csv", tmp_path / "o.geojson", crs=4326)  # type: ignore[arg-type]


_NON_FINITE = st.sampled_from([math.nan, math.inf, -math.inf, 1e308 * 10])


@settings(max_examples=30, deadline=None)
@given(value=st.one_of(_NON_FINITE, st.text(max_size=3), st.none(), st.booleans(), st.lists(st.integers(), max_size=2)))
def test_impact__non_finite_or_wrongly_typed_building_share_is_a_parameter_error(
    small: borderkit.Report, value: object
) -> None:
    with pytest.raises(ParameterError, match="building_share="):
        borderkit.impact(small.case, building_share=value)  # type: ignore[arg-type]


@settings(max_examples=30, deadline=None)
@given(value=st.one_of(_NON_FINITE, st.floats(max_value=-1e-9), st.text(max_size=3), st.booleans()))
def test_measure__non_finite_or_negative_sliver_width_is_a_parameter_error(
    small: borderkit.Report, value: object
) -> None:
    with pytest.raises(ParameterError, match="sliver_width_m="):
        borderkit.measure(small.case, sliver_width_m=value)  # type: ignore[arg-type]
