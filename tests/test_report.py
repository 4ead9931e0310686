"""Tests for borderkit/report.py: a self-contained, printable HTML report."""

from __future__ import annotations

import base64
import re

import pytest

import borderkit
from borderkit import report as rp
from borderkit.errors import ExportError

_PNG = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg==")


@pytest.fixture(scope="module")
def case() -> borderkit.Case:
    return borderkit.load_case("tavush-2024")


@pytest.fixture(scope="module")
def report(case):
    return borderkit.verify(case)


@pytest.fixture(scope="module")
def text(case, report) -> str:
    return rp.report_html(case, report=report, map_png=_PNG)


def test_report__has_verdict_table_with_every_claim(text, case) -> None:
    assert "<h2 id='verdicts'>Verdicts</h2>" in text
    for claim in case.claims:
        assert f"<code>{claim.id}</code>" in text
    assert "class='inconsistent'" in text
    assert "class='not-computable'" in text
    assert "rendering: ±" in text  # tolerance parts


def test_report__has_cross_checks_and_sources_with_licences(text, case) -> None:
    assert "stretches-sum-vs-total" in text
    assert "totals-agree" in text
    for lay in case.layers.values():
        assert f"<code>{lay.name}</code>" in text
    assert "ODbL 1.0, © OpenStreetMap contributors" in text
    assert "CC BY-SA 4.0" in text
    assert "CC0 1.0" in text  # the extent, an analytical choice


def test_report__is_self_contained_and_printable(text) -> None:
    assert "data:image/png;base64," in text
    assert not re.search(r"""(?:src|href)\s*=\s*['"](?!data:|#)""", text)
    assert "<link" not in text
    assert "@import" not in text
    assert "url(" not in text
    assert "@media print" in text


def test_report__shows_uncertainty_key_when_present(case, report, monkeypatch) -> None:
    original = report.to_dict

    def with_uncertainty():
        doc = original()
        doc["uncertainty"] = {"method": "synthetic Monte Carlo", "draws": 1000}
        return doc

    monkeypatch.setattr(type(report), "to_dict", lambda self: with_uncertainty())
    text = rp.report_html(case, report=report, map_png=_PNG)
    assert "synthetic Monte Carlo" in text


def test_write_report__embeds_the_map_and_refuses_overwrite(tmp_path, case, report) -> None:
    out = rp.write_report(case, tmp_path / "r.html", report=report)
    text = out.read_text(encoding="utf-8")
    png = base64.b64decode(re.search(r"data:image/png;base64,([A-Za-z0-9+/=]+)", text).group(1))
    assert png.startswith(b"\x89PNG")
    with pytest.raises(ExportError, match="overwrite"):
        rp.write_report(case, out, report=report)
    with pytest.raises(ExportError, match=r"'\.pdf'.*\.html"):
        rp.write_report(case, tmp_path / "r.pdf", report=report)


def test_report__impact_says_which_layers_the_case_lacks(text) -> None:
    assert "<h2 id='impact'>Impact</h2>" in text
    assert "no buildings, plots, roads or features layer in this case" in text


@pytest.fixture(scope="module")
def village_text(village) -> str:
    from borderkit.impact import impact

    case = borderkit.load_case(village)
    rep = borderkit.verify(case)
    res = impact(case, rep.measurements, routes=[("Kirants", "Ijevan")])
    return rp.report_html(case, report=rep, map_png=_PNG, impact_result=res)


def _impact_part(text: str) -> str:
    return text[text.index("<h2 id='impact'>"):text.index("<h2 id='uncertainty'>")]


def test_report__impact_section_per_polygon_near_line_and_routes(village_text) -> None:
    part = _impact_part(village_text)
    rows = re.findall(r"<tr>(.*?)</tr>", part)
    cells = [re.findall(r"<td[^>]*>(.*?)</td>", r) for r in rows]
    to_east = next(c for c in cells if c[:3] == ["<b>total</b>", "", "<b>Country east</b>"])
    # 4 buildings, 1 feature (the spring), 4.5 plots, 36.03 ha, 2 roads, 1200 m / 0.9996 of road.
    assert to_east[5:] == ["4", "1", "4.5", "36.03", "2", "1200"]
    assert "School" in part
    assert "40.0" in part  # 40 / 0.9996 m
    # Kirants - Ijevan: 3800 m before, 4200 m after along the bypass (see tests/test_impact.py).
    route = next(c for c in cells if c[:2] == ["Kirants", "Ijevan"])
    assert route[3:6] == ["3.802", "4.202", "0.400"]


def test_report__impact_names_the_missing_layers_of_a_partial_case(tmp_path, make_village) -> None:
    case = borderkit.load_case(make_village(tmp_path / "v", layers=("plots",)))
    part = _impact_part(rp.report_html(case, map_png=_PNG))
    assert "No buildings, roads or features layer in this case." in part
    assert "plots (sum of shares)" in part
    assert "No routes asked for" in part
