"""Tests for borderkit/webmap.py: layers, popups and attribution, offline."""

from __future__ import annotations

import os
import re
import subprocess
import sys

import pytest

import borderkit
from borderkit import webmap
from borderkit._present import PROXY_NOTICE
from borderkit.errors import ExportError


@pytest.fixture(scope="module")
def html(case, report) -> str:
    return webmap.web_map(report).get_root().render()


def _layer_names(text: str) -> list[str]:
    # LayerControl's overlays object: "name" : feature_group_<id>
    block = re.search(r"overlays\s*:\s*\{(.*?)\}", text, re.S)
    assert block is not None
    return [n.encode().decode("unicode_escape") for n in re.findall(r'"([^"]+)"\s*:', block.group(1))]


def test_web_map__has_toggleable_layers_by_kind_and_direction(html) -> None:
    names = _layer_names(html)
    # Each new_line_alt layer by its case.toml label; the old line with its label.
    renderings = [
        "OSM 2025a",
        "OSM 2024b",
        "OSM 2024a (de jure, before)",
        "geoBoundaries 2020 (de jure, before)",
        "geoBoundaries 2021 (de jure, before)",
    ]
    for expected in (
        "Settlements",
        *(f"New line, rendering {r}" for r in renderings),
        "Old line (held before): OSM 2023b smoothed state (unsourced, short-lived)",
        "Case extent",
        "Measured stretch, per pair",
        "Context: countries",
    ):
        assert expected in names


def test_web_map__proxy_case_names_the_proxy_and_shows_the_notice(html) -> None:
    names = _layer_names(html)
    # The new line's source (its first clause) and date, as case.toml gives them for osm_2026c.
    assert (
        "New line: proxy (OpenStreetMap via timezone-boundary-builder 2026c, 2026-07-10) — turning points not in "
        "this case" in names
    )
    assert "Now on Azerbaijan's side (old line → new line)" in names
    # Every face now on Armenia's side is a mapping difference (none holds a named village);
    # slivers have their own layer, as on the static map.
    assert "Now on Armenia's side (old line → new line): mapping difference only" in names
    assert "Now on Armenia's side (old line → new line)" not in names
    assert "Sliver: within the lines' accuracy, counted nowhere" in names
    assert not any("delimited" in n or n.startswith("Handed over") for n in names)
    assert PROXY_NOTICE.replace("'", "&#x27;") in html
    assert "SYNTHETIC" not in html


def test_web_map__turning_points_case_says_handed_over_and_synthetic(sk42_case) -> None:
    root = sk42_case()
    text = webmap.web_map(borderkit.analyse(root, draws=0)).get_root().render()
    names = _layer_names(text)
    assert "New line (turning points)" in names
    assert "Handed over to Bland" in names
    assert not any("proxy" in n for n in names)
    assert "The new line is a proxy" not in text
    assert "SYNTHETIC: Synthetic case" in text
    assert "SYNTHETIC case: made-up data" in text


def test_web_map__title_counts_final_verdicts_and_popups_show_both(case) -> None:
    rep = borderkit.analyse(case, draws=200, seed=1)
    text = webmap.web_map(rep).get_root().render()
    finals: dict[str, int] = {}
    for v in rep.verdicts:
        finals[v.final_verdict] = finals.get(v.final_verdict, 0) + 1
    summary = ", ".join(f"{n} {k}" for k, n in finals.items())
    assert f"claims (by the Monte Carlo verdict where there is one, else first-order): {summary}." in text
    assert "<th>quick look</th><th>95 % interval</th><th>Monte Carlo</th>" in text


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
    assert "sliver: " in html  # the two slivers say so and carry no claim


def test_web_map__tiles_add_osm_layer_with_attribution(case, report) -> None:
    text = webmap.web_map(report, tiles=True).get_root().render()
    assert "tile.openstreetmap.org" in text
    assert "OpenStreetMap tiles" in text
    assert "base-map tiles load from tile.openstreetmap.org; everything else is in this file" in text


def test_save_web_map__writes_html_and_refuses_overwrite(tmp_path, case, report) -> None:
    out = webmap.save_web_map(report, tmp_path / "m.html")
    assert "<html" in out.read_text(encoding="utf-8")
    with pytest.raises(ExportError, match="overwrite"):
        webmap.save_web_map(report, out)
    with pytest.raises(ExportError, match=r"'\.png'.*\.html"):
        webmap.save_web_map(report, tmp_path / "m.png")


# ---------------------------------------------------------------------- impact layers (synthetic village)
@pytest.fixture(scope="module")
def village_html(village) -> str:
    return webmap.web_map(borderkit.analyse(village, draws=0)).get_root().render()


def test_web_map__impact_layers_are_toggleable(village_html) -> None:
    names = _layer_names(village_html)
    for expected in (
        "Buildings counted (≥ 50% inside)",
        "Buildings touching handed-over land, not counted (< 50% inside)",
        "Plots in handed-over land",
        "Roads in handed-over land",
        "Roads crossing the new line",
        "Within 50 m of the new line",
        "All buildings: buildings",
        "All roads: roads",
    ):
        assert expected in names


def test_web_map__impact_popups_carry_share_and_distance(village_html) -> None:
    assert "share inside: 60%; counted: yes" in village_html  # s60
    assert "share inside: 40%; counted: no" in village_html  # s40
    assert "distance to the new line: 40 m (geodesic)" in village_html  # the synthetic school
    assert "crosses the new line 1 time(s)" in village_html


def test_web_map__tavush_has_no_impact_layers(html) -> None:
    names = _layer_names(html)
    assert not any(n.startswith(("Buildings", "Roads", "Plots", "All ")) for n in names)


def test_web_map__raw_layer_over_the_cap_draws_every_nth_and_says_so(village, monkeypatch) -> None:
    monkeypatch.setattr(webmap, "MAX_RAW_FEATURES", 3)
    text = webmap.web_map(borderkit.analyse(village, draws=0)).get_root().render()
    # The synthetic village has 7 buildings: a cap of 3 draws every 3rd (1st, 4th, 7th).
    title = "All buildings: buildings — showing 3 of 7 (1 in 3)"
    assert title in _layer_names(text)
    groups = {
        name.encode().decode("unicode_escape"): var
        for name, var in re.findall(r'"([^"]+)"\s*:\s*(feature_group_\w+)', text)
    }
    assert text.count(f".addTo({groups[title]});") == 3
    # 6 plots: every 2nd; 3 features: all, and the name says nothing.
    assert "All plots: plots — showing 3 of 6 (1 in 2)" in groups
    assert "All features: features" in groups


# ---------------------------------------------------------------------- offline, byte-stable HTML
_EXTERNAL = re.compile(r"<(?:script|link)\b[^>]*\b(?:src|href)=", re.I)


def test_save_web_map__self_contained_and_same_bytes_twice(tmp_path, case) -> None:
    a = webmap.save_web_map(borderkit.analyse(case, draws=0), tmp_path / "a.html").read_bytes()
    b = webmap.save_web_map(borderkit.analyse(case, draws=0), tmp_path / "b.html").read_bytes()
    assert a == b
    text = a.decode("utf-8")
    assert _EXTERNAL.findall(text) == []  # no <script src> or <link href> at all
    assert re.findall(r"url\((?![\"']?data:|#default#VML)[^)]*\)", text) == []  # CSS images are data: URIs
    assert "Leaflet 1.9.4" in text
    for gone in ("jquery", "bootstrap", "fontawesome", "awesome-markers"):
        assert gone not in text.lower()
    # Another interpreter, with another string-hash seed, writes the same bytes.
    code = (
        "import sys, borderkit; from borderkit import webmap; "
        "webmap.save_web_map(borderkit.analyse('tavush-2024', draws=0), sys.argv[1])"
    )
    env = {**os.environ, "PYTHONHASHSEED": "12345"}
    subprocess.run([sys.executable, "-c", code, str(tmp_path / "c.html")], check=True, env=env)
    assert (tmp_path / "c.html").read_bytes() == a
