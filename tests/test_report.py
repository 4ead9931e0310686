"""Tests for borderkit/report.py: a self-contained, printable HTML report."""

from __future__ import annotations

import base64
import dataclasses
import re

import pytest

import borderkit
from borderkit import _html as rp
from borderkit._present import PROXY_NOTICE
from borderkit.errors import ExportError

_PNG = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg=="
)


@pytest.fixture(scope="module")
def text(case, report) -> str:
    return rp.report_html(report, map_png=_PNG)


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


@pytest.fixture(scope="module")
def mc_report(case):
    return borderkit.analyse(case, draws=300, seed=2)


@pytest.fixture(scope="module")
def mc_text(case, mc_report) -> str:
    return rp.report_html(mc_report, map_png=_PNG)


def _cells(text: str, table_after: str) -> list[list[str]]:
    part = text[text.index(table_after) :]
    part = part[: part.index("</table>")]
    return [re.findall(r"<t[dh][^>]*>(.*?)</t[dh]>", r) for r in re.findall(r"<tr>(.*?)</tr>", part)]


def test_report__headline_counts_the_final_monte_carlo_verdict(mc_text, mc_report) -> None:
    finals: dict[str, int] = {}
    for v in mc_report.verdicts:
        finals[v.final_verdict] = finals.get(v.final_verdict, 0) + 1
    # The Monte Carlo step changes some verdicts here: the headline follows it.
    assert finals != {v.verdict: sum(w.verdict == v.verdict for w in mc_report.verdicts) for v in mc_report.verdicts}
    headline = re.search(r"<span id='headline'>(.*?)</span>", mc_text).group(1)
    assert headline == ", ".join(f"{n} {k}" for k, n in finals.items())
    assert "by the Monte Carlo verdict where there is one" in mc_text


def test_report__verdict_table_has_both_verdicts_and_interval_with_units(mc_text, mc_report) -> None:
    rows = _cells(mc_text, "<h2 id='verdicts'>")
    head = rows[0]
    assert {"quick look", "95 % interval (Monte Carlo)", "Monte Carlo verdict, over every rendering"} <= set(head)
    assert not any("z (" in h for h in head)  # z-scores are gone: intervals and outcomes only
    by_claim = {re.search(r"<code>(.*?)</code>", r[0]).group(1): dict(zip(head, r, strict=True)) for r in rows[1:]}
    v = next(v for v in mc_report.verdicts if v.claim.id == "area-to-aze")
    row = by_claim["area-to-aze"]
    assert row["quick look"] == v.verdict
    assert row["Monte Carlo verdict, over every rendering"].startswith(str(v.statistical_verdict))
    lo, _, hi = v.interval
    assert row["95 % interval (Monte Carlo)"] == f"{lo:.3f}–{hi:.3f} km²"
    assert row["measured"] == f"{v.measured:.3f} km²"
    assert row["tolerance"] == f"±{v.tolerance:.3f} km²"
    length = by_claim["length-total-12.7"]
    assert length["measured"].endswith(" km")
    assert re.fullmatch(r"\d+\.\d{3} km", length["measured"])


def test_report__uncertainty_is_tables_not_dumps(mc_text, mc_report) -> None:
    part = mc_text[mc_text.index("<h2 id='uncertainty'>") : mc_text.index("<h2 id='notes'>")]
    for heading in ("Every claim under every rendering", "Sensitivity to the correlation length"):
        assert f"<h3>{heading}" in part
    assert "<dl>" not in part
    assert "{" not in part
    # One row per claim and scenario (rendering of the new line), in the claim's unit.
    every = _cells(part, "<h3>Every claim under every rendering")
    assert every[0][:4] == ["claim", "rendering", "measured", "95 % interval"]
    expected = [(c.claim_id, s.scenario) for c in mc_report.uncertainty.claims for s in c.scenarios]
    assert [(re.search(r"<code>(.*?)</code>", r[0]).group(1), r[1]) for r in every[1:]] == expected
    assert {s for _, s in expected} == {"osm_2026c", "osm_2025a", "osm_2024b", "osm_2024a", "gb_2020", "gb_2021"}
    # The sensitivity table halves and doubles the fitted correlation length.
    length_m = mc_report.uncertainty.model.length_m
    sens = _cells(part, "<h3>Sensitivity to the correlation length")
    assert {r[1] for r in sens[1:]} == {f"{f * length_m:.0f} m" for f in (0.5, 1, 2)}
    # The proxy case uses no turning points: its parts are named as the verification names them.
    for used in ("rounding", "positional", "settlements", "rendering", "datum"):
        assert f"<i>{used}</i>" in part
    assert "line_ends" not in mc_text


def test_report__areas_in_km2_with_three_decimals_never_in_e_notation(mc_text, mc_report) -> None:
    assert not re.search(r"\d[eE][+-]\d", mc_text)
    faces = _cells(mc_text, "<h3>Faces between the old and the new line")
    biggest = max(mc_report.measurements.areas["area_m2"])
    assert f"{biggest / 1e6:.3f}" in [r[2] for r in faces[1:]]
    assert "area km² (geodesic)" in faces[0]
    slivers = [r for r in faces[1:] if r[4].startswith("sliver")]
    # Narrower than sqrt(75**2 + 600**2) = 604.67 m, the two lines' accuracies in case.toml.
    assert [r[0] for r in slivers] == [r[0] for r in faces[1:] if float(r[3]) < 604.67]
    assert slivers
    assert all(r[-1] == "—" for r in slivers)  # no claim is about a sliver
    # The other faces say what they are: the 7.33 km² by Berkaber holds no named village.
    kinds = {r[0]: r[4] for r in faces[1:] if not r[4].startswith("sliver")}
    areas = mc_report.measurements.areas
    assert kinds == {str(i): f"counted — {k}" for i, k in enumerate(areas["kind"]) if k != "sliver"}
    assert set(kinds.values()) == {"counted — named villages", "counted — mapping difference"}


def test_report__proxy_case_says_so_under_the_title(mc_text) -> None:
    assert f"<p class='notice'>{PROXY_NOTICE.replace(chr(39), '&#x27;')}</p>" in mc_text
    assert "SYNTHETIC" not in mc_text
    assert "Handed over to" not in mc_text
    assert "delimited)" not in mc_text
    # The per-pair table's areas are "now on" a side, as the maps say, not handed "to" it.
    per_pair = _cells(mc_text, "<h3>Per pair")
    assert "now on Armenia&#x27;s side km²" in per_pair[0]
    assert not any(h.startswith("to ") for h in per_pair[0])


def test_report__turning_points_case_is_not_a_proxy_and_says_synthetic(sk42_case) -> None:
    root = sk42_case()
    text = rp.report_html(borderkit.analyse(root, draws=0), map_png=_PNG)
    assert "<h1>SYNTHETIC: Synthetic case" in text
    assert "SYNTHETIC case: made-up data" in text
    assert "The new line is a proxy" not in text
    assert "<h3>Handed-over areas</h3>" in text
    assert "to Bland km²" in _cells(text, "<h3>Per pair")[0]
    assert "<i>line_ends</i>" in text
    assert "Quick-look verdicts only (no Monte Carlo draws were made" in text


def test_write_report__given_a_case_analyses_it_once_with_the_default_draws(tmp_path, case, monkeypatch) -> None:
    from borderkit import _api

    calls = []
    real = _api.analyse

    def spy(c, **kw):
        calls.append(kw)
        return real(c, **kw)

    monkeypatch.setattr(_api, "analyse", spy)
    out = rp.write_report(case, tmp_path / "r.html")
    assert calls == [{"draws": borderkit.DEFAULT_DRAWS, "seed": 0}]
    assert f"<b>Monte Carlo</b> one ({borderkit.DEFAULT_DRAWS:,} draws per rendering, seed 0)" in out.read_text(
        encoding="utf-8"
    )


def test_write_report__embeds_the_map_and_refuses_overwrite(tmp_path, case, report) -> None:
    out = rp.write_report(report, tmp_path / "r.html")
    text = out.read_text(encoding="utf-8")
    png = base64.b64decode(re.search(r"data:image/png;base64,([A-Za-z0-9+/=]+)", text).group(1))
    assert png.startswith(b"\x89PNG")
    with pytest.raises(ExportError, match="overwrite"):
        rp.write_report(report, out)
    with pytest.raises(ExportError, match=r"'\.pdf'.*\.html"):
        rp.write_report(report, tmp_path / "r.pdf")


def test_report__impact_says_which_layers_the_case_lacks(text) -> None:
    assert "<h2 id='impact'>Impact</h2>" in text
    assert "no buildings, plots, roads or features layer in this case" in text


@pytest.fixture(scope="module")
def village_text(village) -> str:
    from borderkit._impact import impact

    case = borderkit.load_case(village)
    rep = borderkit.analyse(case, draws=0)
    res = impact(case, rep.measurements, routes=[("Synthetic village A", "Synthetic town C")])
    # A Report is frozen; one with other impact rules (routes) is a replaced copy.
    return rp.report_html(dataclasses.replace(rep, impact=res), map_png=_PNG)


def _impact_part(text: str) -> str:
    return text[text.index("<h2 id='impact'>") : text.index("<h2 id='uncertainty'>")]


def test_report__impact_section_per_polygon_near_line_and_routes(village_text) -> None:
    part = _impact_part(village_text)
    rows = re.findall(r"<tr>(.*?)</tr>", part)
    cells = [re.findall(r"<td[^>]*>(.*?)</td>", r) for r in rows]
    to_bbb = next(c for c in cells if c[:3] == ["<b>total</b>", "", "<b>Testonia (synthetic)</b>"])
    # 3 buildings, 1 feature (the spring), 4.5 plots, 36.03 ha, 2 roads, 1200 m / 0.9996 of road.
    assert to_bbb[5:] == ["3", "1", "4.5", "36.03", "2", "1200"]
    assert "Synthetic school" in part
    assert "40.0" in part  # 40 / 0.9996 m
    # Village A - town C: 3800 m before, 4200 m after along the bypass (see tests/test_impact.py).
    route = next(c for c in cells if c[:2] == ["Synthetic village A", "Synthetic town C"])
    assert route[3:6] == ["3.802", "4.202", "0.400"]


def test_report__impact_names_the_missing_layers_of_a_partial_case(tmp_path, make_village) -> None:
    case = borderkit.load_case(make_village(tmp_path / "v", layers=("plots",)))
    part = _impact_part(rp.report_html(case, map_png=_PNG))
    assert "No buildings, roads or features layer in this case." in part
    assert "plots (sum of shares)" in part
    assert "No routes asked for" in part
