"""Tests for borderkit/webmap.py: layers, popups and attribution, offline."""

from __future__ import annotations

import re

import pytest

import borderkit
from borderkit import webmap
from borderkit.errors import ExportError


@pytest.fixture(scope="module")
def case() -> borderkit.Case:
    return borderkit.load_case("tavush-2024")


@pytest.fixture(scope="module")
def report(case):
    return borderkit.verify(case)


@pytest.fixture(scope="module")
def html(case, report) -> str:
    return webmap.web_map(case, report=report).get_root().render()


def _layer_names(text: str) -> list[str]:
    # LayerControl's overlays object: "name" : feature_group_<id>
    block = re.search(r"overlays\s*:\s*\{(.*?)\}", text, re.S)
    assert block is not None
    return re.findall(r'"([^"]+)"\s*:', block.group(1))


def test_web_map__has_toggleable_layers_by_kind_and_direction(html) -> None:
    names = _layer_names(html)
    for expected in ("Settlements", "New line (delimited)", "New line, alternative rendering",
                     "Old line (held before)", "Case extent", "Measured stretch, per pair",
                     "Handed over to Azerbaijan", "Handed over to Armenia", "Context: countries"):
        assert expected in names


def test_web_map__tile_free_by_default_with_attribution(html) -> None:
    assert "tile.openstreetmap.org" not in html
    assert "L.tileLayer" not in html
    assert "attributionControl.addAttribution" in html
    assert "OpenStreetMap" in html
    assert "contributors" in html
    assert "ODbL 1.0" in html


def test_web_map__popups_carry_measured_reported_and_verdict(html) -> None:
    assert "stretch-kirants" in html
    assert "measured length:" in html
    assert "measured area:" in html
    assert "inconsistent" in html
    assert "area-to-aze" in html


def test_web_map__tiles_add_osm_layer_with_attribution(case, report) -> None:
    text = webmap.web_map(case, tiles=True, report=report).get_root().render()
    assert "tile.openstreetmap.org" in text
    assert "OpenStreetMap tiles" in text


def test_save_web_map__writes_html_and_refuses_overwrite(tmp_path, case, report) -> None:
    out = webmap.save_web_map(case, tmp_path / "m.html", report=report)
    assert "<html" in out.read_text(encoding="utf-8")
    with pytest.raises(ExportError, match="overwrite"):
        webmap.save_web_map(case, out, report=report)
    with pytest.raises(ExportError, match=r"'\.png'.*\.html"):
        webmap.save_web_map(case, tmp_path / "m.png", report=report)


# ---------------------------------------------------------------------- impact layers (synthetic village)
@pytest.fixture(scope="module")
def village_html(village) -> str:
    return webmap.web_map(borderkit.load_case(village)).get_root().render()


def test_web_map__impact_layers_are_toggleable(village_html) -> None:
    names = [n.encode().decode("unicode_escape") for n in _layer_names(village_html)]
    for expected in ("Buildings counted (≥ 50% inside)",
                     "Buildings touching handed-over land, not counted (< 50% inside)",
                     "Plots in handed-over land", "Roads in handed-over land", "Roads crossing the new line",
                     "Within 50 m of the new line", "All buildings: buildings", "All roads: roads"):
        assert expected in names


def test_web_map__impact_popups_carry_share_and_distance(village_html) -> None:
    assert "share inside: 60%; counted: yes" in village_html  # s60
    assert "share inside: 40%; counted: no" in village_html  # s40
    assert "distance to the new line: 40 m (geodesic)" in village_html  # the school
    assert "crosses the new line 1 time(s)" in village_html


def test_web_map__tavush_has_no_impact_layers(html) -> None:
    names = _layer_names(html)
    assert not any(n.startswith(("Buildings", "Roads", "Plots", "All ")) for n in names)
