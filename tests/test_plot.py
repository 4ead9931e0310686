"""Tests for borderkit/plot.py: the map's artists under Agg, the files it writes."""

from __future__ import annotations

import re

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import pytest

import borderkit
from borderkit import _plot as plot
from borderkit.errors import CaseError, ExportError
from borderkit._present import PROXY_NOTICE
from borderkit.geodesy import GEOD


@pytest.fixture(scope="module")
def overview(case, report):
    ax = plot.plot(report)
    yield ax
    plt.close(ax.figure)


def _texts(ax) -> list[str]:
    return [t.get_text() for t in ax.texts]


def _legend(ax) -> list[str]:
    # The proxy's label is broken over two lines to keep the legend narrow.
    return [t.get_text().replace("\n", " ") for t in ax.get_legend().get_texts()]


def test_plot_case__legend_names_lines_and_directions_by_country(overview) -> None:
    labels = _legend(overview)
    assert any(lab.startswith("New line, alternative rendering") for lab in labels)
    assert any(lab.startswith("Old line (held before)") for lab in labels)
    assert "Settlement in Armenia [pair]" in labels


def test_plot_case__proxy_case_says_proxy_in_legend_and_footer(overview) -> None:
    # tavush-2024 has no turning points: its new line is geoBoundaries' rendering of OSM.
    labels = _legend(overview)
    assert ("New line: proxy (geoBoundaries gbOpen ARM ADM0, 2020-09-25) — turning points not in this case"
            in labels)
    assert "Now on Azerbaijan's side (old line → new line)" in labels
    assert "Now on Armenia's side (old line → new line)" in labels
    assert not any("delimited" in lab or lab.startswith("Handed over") for lab in labels)
    (notice,) = [t.get_text() for t in overview.texts if t.get_gid() == "notice"]
    assert notice.replace("\n", " ") == PROXY_NOTICE
    assert "SYNTHETIC" not in notice


@pytest.fixture
def tp_case(sk42_case) -> borderkit.Case:
    """The synthetic case with turning points (as tests/test_measure.py builds it)."""
    root = sk42_case()
    return borderkit.load_case(root)


def test_plot_case__turning_points_case_says_handed_over_and_synthetic(tp_case) -> None:
    ax = plot.plot(borderkit.analyse(tp_case, draws=0))
    try:
        labels = _legend(ax)
        assert "New line (turning points)" in labels
        assert "Handed over to Bland" in labels
        assert not any("proxy" in lab or lab.startswith("Now on") for lab in labels)
        (notice,) = [t.get_text().replace("\n", " ") for t in ax.texts if t.get_gid() == "notice"]
        assert "SYNTHETIC" in notice
        assert "proxy" not in notice
        assert ax.get_title(loc="left").startswith("SYNTHETIC")
        attribution = next(t for t in ax.texts if t.get_gid() == "attribution")
        assert "Made with borderkit" in attribution.get_text()
    finally:
        plt.close(ax.figure)


def test_plot_case__scale_bar_is_geodesically_true(overview, case) -> None:
    texts = [t for t in overview.texts if t.get_gid() == "scale_bar"]
    assert len(texts) == 1
    m = re.fullmatch(r"([\d.]+) (k?m)", texts[0].get_text())
    assert m is not None
    metres = float(m.group(1)) * (1000 if m.group(2) == "km" else 1)
    bar = next(line for line in overview.lines if line.get_gid() == "scale_bar")
    (x0, x1), (y0, y1) = bar.get_xdata(), bar.get_ydata()
    from pyproj import Transformer

    to_ll = Transformer.from_crs(plot.map_crs(case), "EPSG:4326", always_xy=True)
    lon0, lat0 = to_ll.transform(x0, y0)
    lon1, lat1 = to_ll.transform(x1, y1)
    assert GEOD.inv(lon0, lat0, lon1, lat1)[2] == pytest.approx(metres, rel=1e-3)


def test_plot_case__north_arrow_attribution_and_title(overview, case) -> None:
    from matplotlib.text import Annotation

    arrow = [t for t in overview.texts if t.get_gid() == "north_arrow"]
    assert "N" in [t.get_text() for t in arrow]
    assert any(isinstance(t, Annotation) and t.arrow_patch is not None for t in arrow)
    attribution = next(t.get_text() for t in overview.texts if t.get_gid() == "attribution")
    assert "© OpenStreetMap contributors" in attribution
    assert "osm-boundaries.com" in attribution  # the context layer of the inset
    assert "EPSG:32638" in attribution
    assert overview.get_title(loc="left") == case.title


def test_plot_case__labels_every_located_settlement_with_its_pair_without_overlap(overview) -> None:
    labels = [t for t in overview.texts if t.get_gid() == "settlement_label"]
    assert "Kirants\n[kirants]" in [t.get_text() for t in labels]
    renderer = overview.figure.canvas.get_renderer()
    boxes = [t.get_window_extent(renderer) for t in labels]
    for i, a in enumerate(boxes):
        for b in boxes[i + 1:]:
            assert not a.overlaps(b)


def test_plot_case__inset_locator_is_drawn(overview) -> None:
    assert any(getattr(c, "get_gid", lambda: None)() == "inset" for c in overview.child_axes)


def test_plot_case__pair_map_zooms_and_titles(case, report) -> None:
    ax = plot.plot(report, pair="kirants")
    try:
        assert "Kirants – Kheyrimli" in ax.get_title(loc="left")
        assert "no published coordinate: Kheyrimli" in ax.get_title(loc="left")
        x0, x1 = ax.get_xlim()
        assert x1 - x0 < 8000
    finally:
        plt.close(ax.figure)


def test_plot_case__unknown_pair_is_a_case_error(case) -> None:
    with pytest.raises(CaseError, match=r"'nowhere'.*baghanis"):
        plot.plot(case, pair="nowhere")


def test_plot_case__draws_into_given_axes(case, report) -> None:
    fig, ax = plt.subplots()
    try:
        assert plot.plot(report, ax=ax, inset=False) is ax
    finally:
        plt.close(fig)


@pytest.mark.parametrize(("suffix", "magic"), [(".png", b"\x89PNG"), (".svg", b"<?xml"), (".pdf", b"%PDF")])
def test_save_map__writes_by_suffix_and_is_byte_stable(tmp_path, case, report, suffix, magic) -> None:
    a = plot.save_map(report, tmp_path / f"a{suffix}", dpi=60)
    b = plot.save_map(report, tmp_path / f"b{suffix}", dpi=60)
    assert a.read_bytes().startswith(magic)
    assert a.read_bytes() == b.read_bytes()


def test_save_map__refuses_overwrite_and_bad_suffix(tmp_path, case) -> None:
    out = tmp_path / "m.png"
    out.write_bytes(b"old")
    with pytest.raises(ExportError, match="overwrite"):
        plot.save_map(case, out)
    assert out.read_bytes() == b"old"
    with pytest.raises(ExportError, match=r"'\.jpg'.*\.png, \.svg, \.pdf"):
        plot.save_map(case, tmp_path / "m.jpg")


def test_save_maps__makes_the_folder_and_writes_overview_and_pairs(tmp_path, minimal_case) -> None:
    case = borderkit.load_case(minimal_case())
    out = plot.save_maps(borderkit.analyse(case, draws=0), tmp_path / "new" / "maps", dpi=30)
    assert [p.name for p in out] == [f"{case.id}_overview.png", f"{case.id}_p1.png"]
    assert all(p.read_bytes().startswith(b"\x89PNG") for p in out)
    assert sorted(p.name for p in (tmp_path / "new" / "maps").iterdir()) == sorted(p.name for p in out)


def test_save_maps__an_existing_target_stops_everything_before_writing(tmp_path, case, monkeypatch) -> None:
    folder = tmp_path / "maps"
    folder.mkdir()
    last = folder / f"tavush-2024_{case.pairs[-1].id}.png"
    last.write_bytes(b"old")
    drawn: list[str] = []
    monkeypatch.setattr(plot, "_figure", lambda *a, **k: drawn.append("x"))
    with pytest.raises(ExportError, match=re.escape(str(last))):
        plot.save_maps(case, folder)
    # Nothing drawn, nothing written: only the file that was there.
    assert drawn == []
    assert [p.name for p in folder.iterdir()] == [last.name]
    assert last.read_bytes() == b"old"


def test_save_maps__a_drawing_error_writes_nothing(tmp_path, minimal_case, monkeypatch) -> None:
    case = borderkit.load_case(minimal_case())
    real = plot.render_map

    def fail_on_pair(case, **kw):
        if kw.get("pair"):
            raise RuntimeError("drawing failed (simulated)")
        return real(case, **kw)

    monkeypatch.setattr(plot, "render_map", fail_on_pair)
    with pytest.raises(RuntimeError, match="simulated"):
        plot.save_maps(case, tmp_path / "maps", dpi=30)
    assert list((tmp_path / "maps").iterdir()) == []


def test_save_maps__same_bytes_as_save_map(tmp_path, minimal_case) -> None:
    case = borderkit.load_case(minimal_case())
    report = borderkit.analyse(case, draws=0)
    (overview, _) = plot.save_maps(report, tmp_path / "maps", dpi=30)
    assert overview.read_bytes() == plot.save_map(report, tmp_path / "one.png", dpi=30).read_bytes()


def test_plot_case__synthetic_case_without_old_line_has_no_osm_attribution(minimal_case) -> None:
    case = borderkit.load_case(minimal_case())
    ax = plot.plot(borderkit.analyse(case, draws=0))
    try:
        labels = [t.get_text() for t in ax.get_legend().get_texts()]
        assert not any(lab.startswith("Handed over") for lab in labels)
        attribution = next(t.get_text() for t in ax.texts if t.get_gid() == "attribution")
        assert "OpenStreetMap" not in attribution
        assert "synthetic test data" in attribution
    finally:
        plt.close(ax.figure)


# ---------------------------------------------------------------------- impact layers (synthetic village)
@pytest.fixture(scope="module")
def village_ax(village):
    ax = plot.plot(borderkit.analyse(village, draws=0))
    yield ax
    plt.close(ax.figure)


def _by_gid(ax, gid: str):
    return [c for c in ax.collections if c.get_gid() == gid]


def test_plot_case__impact_legend_entries(village_ax) -> None:
    labels = [t.get_text() for t in village_ax.get_legend().get_texts()]
    for expected in ("Road", "Plot", "Building", "Named feature", "Plot in handed-over land",
                     "Building counted (≥ 50% inside)", "Building touching, not counted (< 50% inside)",
                     "Road crosses the new line"):
        assert expected in labels


def test_plot_case__draws_counted_and_uncounted_buildings_and_crossings(village_ax) -> None:
    # b1, b2, s60 (to BBB) and b-bulge (to AAA) are counted; s40 touches at 40 %.
    (counted,) = _by_gid(village_ax, "buildings_counted")
    (not_counted,) = _by_gid(village_ax, "buildings_not_counted")
    assert len(counted.get_paths()) == 4
    assert len(not_counted.get_paths()) == 1
    # P-Q and Q-R cross the new line once each.
    (crossings,) = _by_gid(village_ax, "road_crossings")
    assert len(crossings.get_offsets()) == 2


def test_plot_case__tavush_has_no_impact_artists(overview) -> None:
    labels = [t.get_text() for t in overview.get_legend().get_texts()]
    assert not any(lab.startswith(("Building", "Road", "Plot")) for lab in labels)
    assert not _by_gid(overview, "road_crossings")
