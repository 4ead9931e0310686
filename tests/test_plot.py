"""Tests for borderkit/_plot.py: the map's artists under Agg, their layout in display space, the files."""

from __future__ import annotations

import re

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import numpy as np
import pytest
import shapely

import borderkit
from borderkit import _plot as plot
from borderkit._present import PROXY_NOTICE
from borderkit.errors import CaseError, ExportError


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
    # tavush-2024 has no turning points: its new line is OSM 2026c (source and date of case.toml).
    labels = _legend(overview)
    assert (
        "New line: proxy (OpenStreetMap via timezone-boundary-builder 2026c, 2026-07-10) — turning points not in "
        "this case" in labels
    )
    assert "Now on Azerbaijan's side (old line → new line)" in labels
    # Every face now on Armenia's side holds no village the area claim names (borderkit
    # profile: the 7.3 and 1.3 km² faces by Berkaber and Baghanis), so they are drawn, and
    # named, apart; so are the slivers.
    assert "Now on Armenia's side (old line → new line): mapping difference only" in labels
    assert "Now on Armenia's side (old line → new line)" not in labels
    assert "Sliver: within the lines' accuracy, counted nowhere" in labels
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
        assert "Made with borderkit" in attribution.get_text().replace("\n", " ")
    finally:
        plt.close(ax.figure)


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
    overview.figure.canvas.draw()
    renderer = overview.figure.canvas.get_renderer()
    # The drawn rounded boxes; a leader line (from the dot to its label) crosses no other label.
    boxes = [t.get_bbox_patch().get_window_extent(renderer) for t in labels]
    for i, a in enumerate(boxes):
        for b in boxes[i + 1 :]:
            assert not a.overlaps(b)
    for t, own in zip(labels, boxes, strict=True):
        if t.arrow_patch is not None:
            dot = overview.transData.transform(t.xy)
            leader = shapely.LineString([tuple(dot), ((own.x0 + own.x1) / 2, (own.y0 + own.y1) / 2)])
            others = [b for b in boxes if b is not own]
            assert not any(leader.intersects(shapely.box(b.x0, b.y0, b.x1, b.y1)) for b in others)


def test_plot_case__inset_locator_is_drawn(overview) -> None:
    assert any(getattr(c, "get_gid", lambda: None)() == "inset" for c in overview.child_axes)


def test_plot_case__pair_map_zooms_and_titles(case, report) -> None:
    ax = plot.plot(report, pair="kirants")
    try:
        title = ax.get_title(loc="left").replace("\n", " ")
        assert "Kirants – Kheyrimli" in title
        assert "no published coordinate" not in title  # both members have one now
        # A proxy line's faces are "now on" a side, as the legend says, never handed "to" it.
        # Kirants' face holds Kheyrimli: 1.96 km², as the README's verify section reads it.
        assert "1.96 km² now on Azerbaijan's side" in title
        assert " to Azerbaijan" not in title
        x0, x1 = ax.get_xlim()
        assert x1 - x0 < 8000
    finally:
        plt.close(ax.figure)


def test_plot_case__pair_map_title_names_a_member_with_no_coordinate(synthetic_case) -> None:
    # The synthetic pair "south" marks B-south-unknown `unpublished`.
    ax = plot.plot(borderkit.analyse(synthetic_case(), draws=0), pair="south")
    try:
        title = ax.get_title(loc="left").replace("\n", " ")
        assert "A-south – B-south-unknown" in title
        assert "no published coordinate: B-south-unknown" in title
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
    for expected in (
        "Road",
        "Plot",
        "Building",
        "Named feature",
        "Plot in handed-over land",
        "Building counted (≥ 50% inside)",
        "Building touching, not counted (< 50% inside)",
        "Road crosses the new line",
    ):
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


# ---------------------------------------------------------------------- cartography (issue 13)
def _maps_of(report) -> list[str | None]:
    return [None, *(p.id for p in report.case.pairs)]


@pytest.fixture(scope="module")
def drawn(report):
    """Every map of the shipped case as the files draw it (Figure at 80 dpi), drawn once."""
    figs = {}
    for pair in _maps_of(report):
        fig = plot._figure(report, pair=pair, dpi=80)
        fig.canvas.draw()
        figs[pair] = fig
    return figs


def _union(boxes):
    from matplotlib.transforms import Bbox

    return Bbox.union(list(boxes))


def _furniture(ax) -> dict[str, object]:
    """Display boxes of what stands outside the data: scale bar, north arrow, legend, inset, texts."""
    renderer = ax.figure.canvas.get_renderer()
    parts = [*ax.lines, *ax.texts]
    out = {
        gid: _union(a.get_window_extent(renderer) for a in parts if a.get_gid() == gid)
        for gid in ("scale_bar", "north_arrow", "notice", "attribution")
        if any(a.get_gid() == gid for a in parts)
    }
    out["legend"] = ax.get_legend().get_window_extent(renderer)
    out["title"] = ax.title.get_window_extent(renderer)
    for inset in (c for c in ax.child_axes if c.get_gid() == "inset"):
        out["inset"] = inset.get_window_extent(renderer)
    return out


def _data_boxes(ax) -> list[object]:
    """Display boxes of each drawn line and face path, clipped to the frame (as they are drawn)."""
    from matplotlib.collections import LineCollection, PolyCollection

    renderer = ax.figure.canvas.get_renderer()
    boxes = []
    for art in [*ax.collections, *ax.patches, *ax.lines]:
        if art.get_gid() in ("scale_bar", "north_arrow"):
            continue
        if isinstance(art, LineCollection | PolyCollection):
            trans = art.get_transform()
            boxes += [p.transformed(trans).get_extents() for p in art.get_paths()]
        else:
            boxes.append(art.get_window_extent(renderer))
    clipped = [b.intersection(b, ax.bbox) for b in boxes]
    return [b for b in clipped if b is not None and b.width > 0 and b.height > 0]


@pytest.mark.parametrize("pair", [None, "baghanis", "voskepar", "kirants", "berkaber"])
def test_map__scale_bar_arrow_legend_inset_cross_no_data(drawn, pair) -> None:
    ax = drawn[pair].axes[0]
    furniture = _furniture(ax)
    assert {"scale_bar", "north_arrow", "legend", "inset"} <= set(furniture)
    data = _data_boxes(ax)
    assert len(data) > 10
    for name in ("scale_bar", "north_arrow", "legend", "inset"):
        hits = [d for d in data if furniture[name].overlaps(d)]
        assert not hits, f"{name} overlaps {len(hits)} drawn paths on map {pair}"


@pytest.mark.parametrize("pair", [None, "baghanis", "voskepar", "kirants", "berkaber"])
def test_map__no_element_crosses_another(drawn, pair) -> None:
    furniture = _furniture(drawn[pair].axes[0])
    names = sorted(furniture)
    for i, a in enumerate(names):
        for b in names[i + 1 :]:
            assert not furniture[a].overlaps(furniture[b]), f"{a} overlaps {b} on map {pair}"


@pytest.mark.parametrize("pair", [None, "baghanis", "voskepar", "kirants", "berkaber"])
def test_map__labels_keep_clear_of_each_other_and_the_furniture(drawn, pair) -> None:
    ax = drawn[pair].axes[0]
    renderer = ax.figure.canvas.get_renderer()
    labels = [t for t in ax.texts if t.get_gid() == "settlement_label"]
    assert labels
    # The drawn rounded boxes, 2 px apart at least (Voskepar and Yuxarı Əskipara used to touch).
    boxes = [t.get_bbox_patch().get_window_extent(renderer).padded(1) for t in labels]
    boxes += [t.get_window_extent(renderer).padded(1) for t in ax.texts if t.get_gid() == "country_name"]
    for i, a in enumerate(boxes):
        for b in boxes[i + 1 :]:
            assert not a.overlaps(b)
    furniture = _furniture(ax)
    for box in boxes:
        assert not any(box.overlaps(f) for f in furniture.values())
        assert ax.bbox.containsx(box.x0)
        assert ax.bbox.containsx(box.x1)


def test_map__country_names_stand_in_their_own_territory(drawn, case, report) -> None:
    ax = drawn[None].axes[0]
    names = {t.get_text(): t.get_position() for t in ax.texts if t.get_gid() == "country_name"}
    assert set(names) == {"ARMENIA", "AZERBAIJAN"}
    # The countries of the case's context layer, projected independently of the map code.
    crs = plot.map_crs(case)
    countries = case.layers["countries"].frame.to_crs(crs)
    faces = next(lay for lay in plot.export_layers(report) if lay.name == "handed_over").frame.to_crs(crs)
    assert faces.geometry.iloc[0].geom_type.endswith("Polygon")
    x0, x1 = ax.get_xlim()
    y0, y1 = ax.get_ylim()
    for name, (x, y) in names.items():
        at = shapely.Point(x, y)
        (own,) = countries.loc[countries["name"].str.upper() == name].geometry
        assert own.contains(at)
        assert not any(f.contains(at) for f in faces.geometry)
        assert x0 < x < x1
        assert y0 < y < y1


def test_map__every_fill_has_a_legend_entry(drawn) -> None:
    from matplotlib.colors import to_rgba

    for fig in drawn.values():
        ax = fig.axes[0]
        labels = set(_legend(ax))
        fills = [
            p
            for p in [*ax.patches, *ax.collections]
            if p.get_label()
            and not p.get_label().startswith("_")
            and len(p.get_facecolor())
            and to_rgba(np.atleast_2d(p.get_facecolor())[0])[3] > 0
        ]
        assert fills
        for p in fills:
            assert p.get_label() in labels
    assert "Armenia (context: countries, 2023-10-02)" in set(_legend(drawn[None].axes[0]))


def test_map__scale_bar_is_labelled_at_its_ticks_and_true_on_the_ellipsoid(drawn, case, geodsolve) -> None:
    from pyproj import Transformer

    to_ll = Transformer.from_crs(plot.map_crs(case), "EPSG:4326", always_xy=True)
    for fig in drawn.values():
        ax = fig.axes[0]
        bar = next(line for line in ax.lines if line.get_gid() == "scale_bar")
        (x0, x1), (y0, _) = bar.get_xdata(), bar.get_ydata()
        labels = [t for t in ax.texts if t.get_gid() == "scale_bar"]
        assert labels[0].get_text() == "0"
        m = re.fullmatch(r"([\d.]+) (k?m)", labels[-1].get_text())
        assert m is not None
        unit_m = 1000 if m.group(2) == "km" else 1
        assert len(labels) >= 3
        lon0, lat0 = to_ll.transform(x0, y0)
        for t in labels:
            value_m = float(t.get_text().split()[0]) * unit_m
            x, y = t.xy
            assert y == y0
            lon, lat = to_ll.transform(x, y)
            assert geodsolve(lat0, lon0, lat, lon) == pytest.approx(value_m, rel=1e-3, abs=0.01)
        lon1, lat1 = to_ll.transform(x1, y0)
        assert geodsolve(lat0, lon0, lat1, lon1) == pytest.approx(float(m.group(1)) * unit_m, rel=1e-3)


def test_map__north_arrow_points_to_true_north(overview, case) -> None:
    from pyproj import Proj, Transformer

    arrow = next(t for t in overview.texts if t.get_gid() == "north_arrow" and t.arrow_patch is not None)
    (tx, ty), (bx, by) = arrow.xy, arrow.xyann
    crs = plot.map_crs(case)
    x0, x1 = overview.get_xlim()
    y0, y1 = overview.get_ylim()
    lon, lat = Transformer.from_crs(crs, "EPSG:4326", always_xy=True).transform((x0 + x1) / 2, (y0 + y1) / 2)
    # PROJ's meridian convergence at the view's centre (grid north to true north).
    gamma = Proj(crs).get_factors(lon, lat).meridian_convergence
    angle = np.degrees(np.arctan2(tx - bx, ty - by))
    assert abs(angle) == pytest.approx(abs(gamma), abs=0.01)
    assert 0.05 < abs(gamma) < 1  # Tavush lies a little east of UTM 38's central meridian, 45°E


def test_map__attribution_names_each_source_once_and_credits_osm_once(overview, case) -> None:
    attribution = next(t.get_text() for t in overview.texts if t.get_gid() == "attribution").replace("\n", " ")
    assert attribution.count(plot._OSM) == 1
    for lay in (
        "osm_2026c",
        "osm_2025a",
        "osm_2024b",
        "osm_2024a",
        "gb_2020",
        "gb_2021",
        "osm_2023b",
        "countries",
        "settlements",
    ):
        assert attribution.count(f"{lay}:") + attribution.count(f"{lay},") == 1


def test_attribution__layers_sharing_source_and_licence_are_one_entry(case) -> None:
    from dataclasses import replace

    old = case.layer("old_line")
    twin = replace(old, name="old_line_twin")
    other = replace(old, name="other", source="somewhere else (synthetic)")
    text = plot._attribution([old, twin, other], plot.map_crs(case))
    assert text.count(old.source) == 1
    assert f"{old.name}, old_line_twin: " + old.source in text
    assert "other: somewhere else (synthetic)" in text
    assert text.count("OpenStreetMap contributors") == 1


def test_save_map__svg_keeps_text_editable(tmp_path, report) -> None:
    svg = plot.save_map(report, tmp_path / "m.svg", pair="kirants", dpi=60).read_text(encoding="utf-8")
    assert svg.count("<text") > 20
    assert re.search(r"<text[^>]*>[^<]*Kirants", svg)
    assert "Noto Sans" in svg


# ---------------------------------------------------------------------- fonts
#: SYNTHETIC places with names in four scripts (the names are real words, the points are made up).
SCRIPT_NAMES = {"a1": "Ոսկեպար", "b1": "Aşağı Əskipara", "a2": "Баганис", "b2": "例子村"}


@pytest.fixture
def scripts_case(tmp_path, minimal_case) -> borderkit.Case:
    """The minimal synthetic case with settlements named in Armenian, Azerbaijani, Cyrillic and CJK."""
    import json

    root = minimal_case()
    toml = (root / "case.toml").read_text(encoding="utf-8")
    toml = toml.replace('AAA = "Synthetic North A"', f'AAA = "{SCRIPT_NAMES["a1"]}"')
    toml = toml.replace('BBB = "Synthetic South B"', f'BBB = "{SCRIPT_NAMES["b1"]}"')
    toml = toml.replace(
        "[layers.settlements]",
        f'[[pairs]]\nid = "p2"\nAAA = "{SCRIPT_NAMES["a2"]}"\nBBB = "{SCRIPT_NAMES["b2"]}"\n\n[layers.settlements]',
    )
    (root / "case.toml").write_text(toml, encoding="utf-8")
    points = [
        ("a1", "AAA", [10.01, 50.02]),
        ("b1", "BBB", [10.03, 49.98]),
        ("a2", "AAA", [10.06, 50.02]),
        ("b2", "BBB", [10.08, 49.98]),
    ]
    features = [
        {
            "type": "Feature",
            "properties": {"name": SCRIPT_NAMES[k], "country": c},
            "geometry": {"type": "Point", "coordinates": xy},
        }
        for k, c, xy in points
    ]
    (root / "settlements.geojson").write_text(
        json.dumps({"type": "FeatureCollection", "features": features}), encoding="utf-8"
    )
    return borderkit.load_case(root)


def test_fonts__installed_families_have_every_glyph_of_the_names() -> None:
    # Independent of matplotlib's fallback: the fonts' own character maps (fonts-noto-core, fonts-noto-cjk).
    from matplotlib import font_manager
    from matplotlib.ft2font import FT2Font

    families = plot.font_families()
    assert families[:3] == ["Noto Sans", "Noto Sans Armenian", "Noto Sans CJK JP"], (
        "apt-get install fonts-noto-core fonts-noto-cjk (.ci/run does this); fonts installed after matplotlib "
        "built its font cache need `rm ~/.cache/matplotlib/fontlist-*.json`"
    )
    charmaps = [FT2Font(font_manager.findfont(f, fallback_to_default=False)).get_charmap() for f in families]
    for name in SCRIPT_NAMES.values():
        for ch in name.replace(" ", ""):
            assert any(ord(ch) in cm for cm in charmaps), f"{ch!r} of {name!r} is in no font"


@pytest.mark.parametrize("fmt", ["png", "pdf", "svg"])
def test_fonts__names_in_four_scripts_draw_without_a_missing_glyph_warning(scripts_case, fmt) -> None:
    import warnings

    report = borderkit.analyse(scripts_case, draws=0)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        data = plot.render_map(report, fmt=fmt, dpi=40)
    assert [str(w.message) for w in caught] == []
    assert len(data) > 1000
    if fmt == "svg":
        for name in SCRIPT_NAMES.values():
            assert name in data.decode("utf-8")


def test_fonts__a_missing_family_is_left_out_and_a_missing_glyph_only_warns(monkeypatch, scripts_case) -> None:
    monkeypatch.setattr(plot, "FONT_FAMILIES", ("No Such Font (synthetic)", "DejaVu Sans"))
    assert plot.font_families() == ["DejaVu Sans"]
    report = borderkit.analyse(scripts_case, draws=0)
    # DejaVu Sans has Armenian, Cyrillic and ə but no CJK: 例子村 is drawn with boxes, and matplotlib says so.
    with pytest.warns(UserWarning, match=r"Glyph \d+ .* missing from font"):
        ax = plot.plot(report)
    try:
        names = [t.get_text() for t in ax.texts if t.get_gid() == "settlement_label"]
        assert f"{SCRIPT_NAMES['a1']}\n[p1]" in names
        assert all(t.get_fontfamily() == ["DejaVu Sans"] for t in ax.texts)
    finally:
        plt.close(ax.figure)


def test_plot_case_lines__draws_every_new_line_alt_in_its_own_style_with_name_and_date(case) -> None:
    from dataclasses import replace

    alt = case.layer("new_line_alt")
    # A SYNTHETIC second rendering: the first one's geometry under another name and date.
    twin = replace(alt, name="new_line_alt_synthetic_copy", label="", date="2099-01-01")
    two = replace(case, layers={**case.layers, twin.name: twin})
    crs = plot.map_crs(case)
    layers = {lay.name: lay.frame.to_crs(crs) for lay in (alt, twin)}
    fig, ax = plt.subplots()
    try:
        artists, shown = plot.plot_case_lines(ax, two, layers, "New line")
        labels = [a.get_label() for a in artists]
        assert "New line, alternative rendering: OSM 2025a, 2025-01-20" in labels  # label and date of case.toml
        assert "New line, alternative rendering: new_line_alt_synthetic_copy, 2099-01-01" in labels
        assert [lay.name for lay in shown] == ["osm_2025a", "new_line_alt_synthetic_copy"]
        a, b = artists
        assert (a.get_linestyle(), tuple(a.get_color()[0])) != (b.get_linestyle(), tuple(b.get_color()[0]))
    finally:
        plt.close(fig)
