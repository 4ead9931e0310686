"""Every figure an output shows is the Report's: text, JSON, GeoJSON, GPKG, maps, web map, HTML.

Each output of the shipped case is parsed back and its lengths and areas compared with
the Report's fields, slivers left out everywhere the same way.
"""

from __future__ import annotations

import json
import re

import matplotlib
import pyogrio
import pytest

import borderkit
from borderkit._present import format_value
from borderkit._text import render_report

matplotlib.use("Agg")


@pytest.fixture(scope="module")
def report() -> borderkit.Report:
    return borderkit.analyse("tavush-2024", draws=200, seed=0)


@pytest.fixture(scope="module")
def faces_km2(report) -> list[float]:
    """The Report's faces that count (slivers apart), km², largest first."""
    a = report.measurements.areas
    return sorted((float(x) / 1e6 for x in a.loc[~a["sliver"].astype(bool), "area_m2"]), reverse=True)


def test_text__claims_table_shows_the_reports_measured_values(report) -> None:
    text = render_report(report)
    for v in report.verdicts:
        if v.measured is None:
            continue
        row = next(line for line in text.splitlines() if line.startswith(v.claim.id + " "))
        assert format_value(v.measured, v.claim.unit) in row


def test_text__faces_listed_are_the_reports_non_sliver_faces(report, faces_km2) -> None:
    shown = [float(x) for x in re.findall(r"^\s+(\d+\.\d\d) km² [A-Z]{3} → [A-Z]{3}", render_report(report), re.M)]
    assert shown == pytest.approx([round(x, 2) for x in faces_km2], abs=0.005)


def test_json__claims_and_faces_are_the_reports(report) -> None:
    doc = json.loads(json.dumps(report.to_dict(), ensure_ascii=False))
    for v, c in zip(report.verdicts, doc["claims"], strict=True):
        if v.measured is not None:
            assert c["measured"]["value"] == pytest.approx(v.measured, abs=1e-4)
    areas = [f["area_m2"] / 1e6 for f in doc["measurements"]["areas"] if not f["sliver"]]
    assert sorted(areas, reverse=True) == pytest.approx(report_faces(report), abs=1e-6)


def report_faces(report) -> list[float]:
    a = report.measurements.areas
    return sorted((float(x) / 1e6 for x in a.loc[~a["sliver"].astype(bool), "area_m2"]), reverse=True)


@pytest.mark.parametrize("suffix", [".geojson", ".gpkg"])
def test_gis__faces_and_sections_are_the_reports(tmp_path, report, faces_km2, suffix) -> None:
    out = borderkit.export(report, tmp_path / f"t{suffix}")
    if suffix == ".geojson":
        feats = [f["properties"] for f in json.loads(out.read_text(encoding="utf-8"))["features"]]
        faces = [p for p in feats if p["layer"] == "handed_over"]
        sections = [p for p in feats if p["layer"] == "sections"]
    else:
        faces = pyogrio.read_dataframe(out, layer="handed_over").to_dict("records")
        sections = pyogrio.read_dataframe(out, layer="sections").to_dict("records")
    # The files hold coordinates rounded to 1e-7° and re-measured: within 1e-6 relative.
    got = sorted((p["area_m2"] / 1e6 for p in faces if not p["sliver"]), reverse=True)
    assert got == pytest.approx(faces_km2, rel=1e-6)
    per_pair = report.per_pair().set_index("pair")["length_m"]
    for p in sections:
        assert p["length_m"] == pytest.approx(per_pair[p["pair"]], rel=1e-6)


def test_maps__detail_titles_read_the_reports_per_pair_rows(report) -> None:
    import matplotlib.pyplot as plt

    table = report.per_pair().set_index("pair")
    for pair in report.case.pairs:
        ax = borderkit.plot(report, pair=pair.id, inset=False)
        title = ax.get_title(loc="left")
        plt.close(ax.figure)
        row = table.loc[pair.id]
        assert f"measured stretch {row['length_m'] / 1000:.2f} km" in title
        for c in report.case.countries:
            area = row.get(f"area_to_{c.code}_m2")
            if area and area >= 1e5:
                assert f"{area / 1e6:.2f} km² now on {c.name}'s side" in title  # a proxy line: "now on"


def test_web_map__face_popups_show_the_reports_areas(report, faces_km2) -> None:
    html = borderkit.web_map(report).get_root().render()
    shown = sorted({float(x) for x in re.findall(r"measured area: (\d+\.\d{3}) km²", html)}, reverse=True)
    faces = sorted({round(float(x) / 1e6, 3) for x in report.measurements.areas["area_m2"]}, reverse=True)
    extent = round(borderkit.geodesic_area_m2(report.case.layer("extent").union()) / 1e6, 3)
    # Every face's popup (slivers say so in theirs) and the extent's; nothing else.
    assert shown == pytest.approx(sorted({*faces, extent}, reverse=True), abs=5e-4)


def test_html_report__verdict_table_shows_the_reports_values(report) -> None:
    html = borderkit.report_html(report, map_png=b"\x89PNG\r\n\x1a\n")
    for v in report.verdicts:
        if v.measured is not None:
            assert format_value(v.measured, v.claim.unit) in html
