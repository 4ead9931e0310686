"""Interactive web map of a case (folium / Leaflet), one toggleable layer per kind.

The map shows the layers :func:`borderkit.export.export_layers` builds (the same
rounded, measured features the GIS exports hold), the case's context layers as a
background, and a popup on every feature with its measured figures, the reported
figures about it and their verdicts, and its source and licence.

A case with impact layers (buildings, plots, roads, features) also gets the results of
:func:`borderkit.impact.impact` as layers of their own: buildings counted in handed-over
land and those touching it but not counted, plots and roads in handed-over land, where
roads cross the new line, and features near it; and its raw impact layers, hidden until
switched on.

The map says what its new line is, as the static maps do (:mod:`borderkit.plot`):
without turning points the new line's layer is "New line: proxy (<source>, <date>) —
turning points not in this case", the faces' layers "Now on <country>'s side (old line →
new line)", and a notice under the title says that the faces include mapping differences,
not only handovers (:data:`borderkit.export.PROXY_NOTICE`). Faces that hold no village an
area claim names, and slivers, have layers of their own, named and styled as on the
static maps (:func:`borderkit._present.face_label`). A synthetic case says
SYNTHETIC in the title box. The title box counts claims by their final verdict (Monte
Carlo where there is one), and popups show both the first-order and the Monte Carlo
verdict, with the 95 % interval.

:func:`save_web_map` writes one self-contained HTML file: Leaflet is inlined, nothing is
loaded from a CDN, and the same case gives the same bytes (:mod:`borderkit._offline`).
``tiles=False`` (the default) draws no tile layer, so the map needs no network at all;
``tiles=True`` adds OpenStreetMap tiles, loaded from the network when viewed, and the
attribution says so. A raw impact layer with more than :data:`MAX_RAW_FEATURES` features
draws every n-th of them, and its layer name says how many of how many.
"""

from __future__ import annotations

import html
import os
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import shapely

from borderkit._api import as_report, case_of
from borderkit._export import geojson_features
from borderkit._io import check_writable, write_text_atomic
from borderkit._layers import ExportLayer, export_layers
from borderkit._offline import offline_html, thin
from borderkit._present import face_label, face_verdicts, format_value, new_line_label, notices, section_verdicts
from borderkit._report import Report
from borderkit._validate import check_bool, check_path
from borderkit.case import Case
from borderkit.errors import ExportError

if TYPE_CHECKING:
    import folium

    from borderkit._verify import Verdict

__all__ = ["LAYER_TITLES", "MAX_RAW_FEATURES", "save_web_map", "web_map"]

#: Most features drawn per raw impact layer (a browser slows down past a few thousand popups).
MAX_RAW_FEATURES = 2000

#: Names of the toggleable layers, as the layer control lists them.
LAYER_TITLES = {
    "settlements": "Settlements",
    "turning_points": "Turning points",
    "new_line": "New line",
    "new_line_alt": "New line, alternative rendering",
    "old_line": "Old line (held before)",
    "extent": "Case extent",
    "sections": "Measured stretch, per pair",
    "handed_over": "Faces between the old and the new line",
    "road_crossings": "Roads crossing the new line",
}
#: Impact items by (role, counted): layer title and style. ``{share}`` is the building share.
_ITEM_GROUPS: dict[tuple[str, bool], tuple[str, dict[str, Any]]] = {
    ("buildings", True): (
        "Buildings counted (≥ {share:.0%} inside)",
        {"color": "#000000", "weight": 1, "fillColor": "#e7298a", "fillOpacity": 0.9},
    ),
    ("buildings", False): (
        "Buildings touching handed-over land, not counted (< {share:.0%} inside)",
        {"color": "#e7298a", "weight": 2, "fillColor": "#ffffff", "fillOpacity": 0.6},
    ),
    ("features", True): (
        "Features in handed-over land",
        {"color": "#000000", "weight": 1, "fillColor": "#7570b3", "fillOpacity": 0.9},
    ),
    ("features", False): (
        "Features touching handed-over land, not counted",
        {"color": "#7570b3", "weight": 2, "fillColor": "#ffffff", "fillOpacity": 0.6},
    ),
    ("plots", True): (
        "Plots in handed-over land",
        {"color": "#4d9221", "weight": 1, "fillColor": "#66a61e", "fillOpacity": 0.45},
    ),
    ("plots", False): (
        "Plots in handed-over land",
        {"color": "#4d9221", "weight": 1, "fillColor": "#66a61e", "fillOpacity": 0.45},
    ),
    ("roads", True): ("Roads in handed-over land", {"color": "#8c510a", "weight": 4}),
    ("roads", False): ("Roads in handed-over land", {"color": "#8c510a", "weight": 4}),
}
_RAW_STYLE = {
    "buildings": {"color": "#777777", "weight": 1, "fillColor": "#999999", "fillOpacity": 0.6},
    "plots": {"color": "#66a61e", "weight": 1, "fill": False},
    "roads": {"color": "#8c510a", "weight": 2},
    "features": {"color": "#000000", "weight": 1, "fillColor": "#333333", "fillOpacity": 0.9},
}
_OSM_ATTR = '© <a href="https://www.openstreetmap.org/copyright">OpenStreetMap</a> contributors'
_TILES_NOTE = "base-map tiles load from tile.openstreetmap.org; everything else is in this file"
_STYLE = {
    "new_line": {"color": "#7a0177", "weight": 3},
    "new_line_alt": {"color": "#7a0177", "weight": 2, "dashArray": "6 4"},
    "old_line": {"color": "#333333", "weight": 2, "dashArray": "2 4"},
    "extent": {"color": "#404040", "weight": 1, "dashArray": "8 4", "fill": False},
    "sections": {"color": "#ffd92f", "weight": 9, "opacity": 0.8},
    "road_crossings": {"color": "#ffffff", "weight": 1, "fillColor": "#e41a1c", "fillOpacity": 1.0},
    "near_line": {"color": "#000000", "weight": 1, "fillColor": "#ff7f00", "fillOpacity": 0.9},
}


def _e(value: Any) -> str:
    return html.escape("" if value is None else str(value))


def _unit(unit: str) -> str:
    return {"km2": "km²", "m2": "m²"}.get(unit, unit)


def _verdict_cell(verdict: str | None) -> str:
    if not verdict:
        return "<td>—</td>"
    return f"<td class='v-{_e(verdict.replace(' ', '-'))}'><b>{_e(verdict)}</b></td>"


def _verdict_rows(verdicts: Iterable[Verdict]) -> str:
    rows = []
    for v in verdicts:
        c = v.claim
        u = _unit(c.unit)
        measured = "—" if v.measured is None else f"{format_value(v.measured, c.unit)} {u}"
        tol = "" if v.tolerance is None else f" ± {format_value(v.tolerance, c.unit)} {u}"
        if v.interval is not None:
            lo, _, hi = v.interval
            interval = f"{format_value(lo, c.unit)}–{format_value(hi, c.unit)} {u}"
        else:
            interval = "—"
        mc = v.statistical_verdict if v.statistical_verdict else None
        rows.append(
            f"<tr><td>{_e(c.id)}</td><td>{c.value:g} {_e(u)}</td><td>{_e(measured)}{_e(tol)}</td>"
            f"{_verdict_cell(v.verdict)}<td>{_e(interval)}</td>{_verdict_cell(mc)}</tr>"
        )
    if not rows:
        return ""
    return (
        "<table class='bk'><tr><th>claim</th><th>reported</th><th>measured ± tolerance</th>"
        "<th>quick look</th><th>95 % interval</th><th>Monte Carlo</th></tr>" + "".join(rows) + "</table>"
    )


def _layer_title(case: Case, name: str) -> str:
    """A layer's name in the layer list: the case layer's label where it has one."""
    if name == "old_line":
        old = case.layer("old_line")
        return LAYER_TITLES["old_line"] + (f": {old.label}" if old is not None and old.label else "")
    if name in case.layers and case.layers[name].label:
        return (
            f"New line, rendering {case.layers[name].label}"
            if case.layers[name].role == "new_line_alt"
            else case.layers[name].label
        )
    return LAYER_TITLES.get(name, name)


def _popup_html(case: Case, lay: ExportLayer, props: dict[str, Any], report: Report) -> str:
    m = report.measurements
    title = _layer_title(case, lay.name)
    if lay.name == "new_line":
        title = new_line_label(case, m)
    elif lay.name == "handed_over":
        title = face_label(case, m, str(props.get("to_country")), str(props.get("kind") or ""))
    lines = [f"<b>{_e(title)}</b>"]
    if props.get("name"):
        lines.append(_e(props["name"]))
    if props.get("pair"):
        lines.append(f"pair: {_e(props['pair'])}")
    if props.get("length_m") is not None:
        lines.append(f"measured length: {props['length_m'] / 1000:.3f} km (geodesic)")
    if props.get("area_m2") is not None:
        lines.append(f"measured area: {props['area_m2'] / 1e6:.3f} km² (geodesic)")
    if props.get("sliver"):
        lines.append(
            f"sliver: {props.get('width_m') or 0:.1f} m wide, within the data's uncertainty; counts for nothing"
        )
    if props.get("basis") and lay.name in ("sections", "segments", "handed_over"):
        lines.append(f"line basis: {_e(props['basis'])}")
    if lay.name == "settlements":
        for key, label in (
            ("country", "country"),
            ("side_new", "side of the new line"),
            ("side_old", "side of the old line"),
        ):
            if props.get(key):
                lines.append(f"{label}: {_e(props[key])}")
        if props.get("distance_to_new_m") is not None:
            lines.append(f"distance to the new line: {props['distance_to_new_m']:.0f} m")
        if props.get("feature_source"):
            lines.append(f"coordinate from: {_e(props['feature_source'])}")
    lines += _impact_popup_lines(lay.name, props)
    verdicts: list[Verdict] = []
    if lay.name == "sections":
        verdicts = section_verdicts(report, str(props.get("pair") or ""))
    elif lay.name == "new_line":
        verdicts = [
            v for v in report.verdicts if v.claim.quantity == "length" and not v.claim.subject and v.claim.is_total
        ]
    elif lay.name == "handed_over":
        verdicts = face_verdicts(
            report, str(props.get("to_country")), str(props.get("pair") or ""), bool(props.get("sliver"))
        )
    table = _verdict_rows(verdicts)
    src = f"<small>source: {_e(props.get('source'))}; licence: {_e(props.get('licence'))}</small>"
    return "<br>".join(lines) + table + "<br>" + src


def _impact_popup_lines(name: str, props: dict[str, Any]) -> list[str]:
    out = []
    if name in ("impact_items", "near_line") and props.get("role"):
        out.append(f"{_e(props['role'])} (layer {_e(props.get('source_layer'))})")
    if name == "impact_items":
        out.append(f"share inside: {props['share']:.0%}; counted: {'yes' if props.get('counted') else 'no'}")
        if props.get("to_country"):
            out.append(f"in land handed over to {_e(props['to_country'])} (polygon {props.get('polygon')})")
        if props.get("length_inside_m") is not None:
            out.append(f"length inside: {props['length_inside_m']:.0f} m (geodesic)")
        if props.get("area_inside_ha") is not None:
            out.append(f"area inside: {props['area_inside_ha']:.2f} ha (geodesic)")
    elif name == "road_crossings":
        out.append(
            f"crosses the new line {props.get('n_crossings')} time(s); "
            f"road length {props.get('road_length_m', 0) / 1000:.3f} km"
        )
    elif name == "near_line":
        out.append(
            f"distance to the new line: {props['distance_m']:.0f} m (geodesic); after: {_e(props.get('country_after'))}"
        )
    return out


def _bounds(layers: list[ExportLayer]) -> list[list[float]]:
    pick = [lay for lay in layers if lay.name == "extent"] or layers
    geoms = [g for lay in pick for g in lay.frame.geometry if g is not None]
    x0, y0, x1, y1 = shapely.union_all(geoms).bounds
    return [[y0, x0], [y1, x1]]


def web_map(
    report: Report | Case | str | os.PathLike[str], m: folium.Map | None = None, *, tiles: bool = False
) -> folium.Map:
    """An interactive map of a report with toggleable layers and popups.

    Parameters
    ----------
    report : Report, Case, str or path
        What :func:`borderkit.analyse` returned (a case is analysed once).
    m : folium.Map, optional
        Add the layers to this map (as geopandas' ``explore(m=...)``); by default a new one.
    tiles : bool
        Add OpenStreetMap tiles (needs network when viewed). Without them the map
        shows the case's own layers on the ``context`` layers only.

    Returns
    -------
    folium.Map

    Examples
    --------
    >>> import borderkit
    >>> text = web_map(borderkit.analyse("tavush-2024", draws=0)).get_root().render()
    >>> "New line: proxy (OpenStreetMap via timezone-boundary-builder 2026c, 2026-07-10)" in text
    True
    >>> "New line (delimited)" in text
    False
    """
    import folium

    report = as_report(report)
    case = report.case
    layers = export_layers(report)
    share = report.impact.building_share if report.impact is not None else 0.5
    within_m = report.impact.within_m if report.impact is not None else 50.0
    raw = {
        name: lay.role
        for lay in case.layers.values()
        if lay.role in _RAW_STYLE
        for name in (lay.name, f"{lay.role}_{lay.name}")
    }
    colours = {c.code: col for c, col in zip(case.countries, ("#d95f02", "#1b9e77"), strict=True)}

    fmap = m if m is not None else folium.Map(location=None, tiles=None, control_scale=True, prefer_canvas=False)
    if tiles:
        folium.TileLayer(
            "OpenStreetMap",
            attr=f"{_OSM_ATTR} ({_TILES_NOTE})",
            name="OpenStreetMap tiles",
            overlay=False,
            control=True,
        ).add_to(fmap)

    # Context layers: the background when there are no tiles.
    for ctx in case.layers_with_role("context"):
        fg = folium.FeatureGroup(name=f"Context: {ctx.name}", show=True)
        data = {
            "type": "FeatureCollection",
            "features": [
                {
                    "type": "Feature",
                    "properties": {"name": str(getattr(r, "name", "") or "")},
                    "geometry": shapely.geometry.mapping(r.geometry),
                }
                for r in ctx.frame.itertuples()
                if r.geometry is not None
            ],
        }
        folium.GeoJson(
            data,
            style_function=lambda _f: {"color": "#999999", "weight": 1, "fillColor": "#eeeeee", "fillOpacity": 0.35},
            tooltip=folium.GeoJsonTooltip(fields=["name"], labels=False),
        ).add_to(fg)
        fg.add_to(fmap)

    for lay in layers:
        if lay.name == "segments":
            continue  # drawn as the per-pair sections; every segment is in the GIS exports
        feats = geojson_features([lay])
        total = len(feats)
        feats, step = thin(feats, MAX_RAW_FEATURES) if lay.name in raw else (feats, 1)
        groups: dict[str, folium.FeatureGroup] = {}
        for feat in feats:
            props = feat["properties"]
            key = lay.name
            title = _layer_title(case, lay.name)
            # Renderings are named by their case layer: they take the style of their role.
            role = case.layers[lay.name].role if lay.name in case.layers else lay.name
            style: dict[str, Any] = dict(_STYLE.get(lay.name, _STYLE.get(role, {"color": "#555555", "weight": 2})))
            show = True
            if lay.name == "new_line":
                title = new_line_label(case, report.measurements)
            elif lay.name == "handed_over":
                # By receiving country and kind, as the static map's legend has them.
                kind = str(props.get("kind") or "")
                kind = kind if kind in ("mapping difference", "sliver") else ""
                key = "handed_over_sliver" if kind == "sliver" else f"handed_over_{props['to_country']}_{kind}"
                title = face_label(case, report.measurements, str(props["to_country"]), kind)
            elif lay.name == "impact_items":
                group = (str(props["role"]), bool(props["counted"]))
                title, style = _ITEM_GROUPS[group][0].format(share=share), dict(_ITEM_GROUPS[group][1])
                key = f"impact_{title}"
            elif lay.name == "near_line":
                title = f"Within {within_m:g} m of the new line"
            elif lay.name in raw:
                title, style, show = f"All {raw[lay.name]}: {lay.name}", dict(_RAW_STYLE[raw[lay.name]]), False
                if step > 1:
                    title += f" — showing {len(feats):,} of {total:,} (1 in {step:,})"
            if key not in groups:
                groups[key] = folium.FeatureGroup(name=title, show=show)
            popup = folium.Popup(_popup_html(case, lay, props, report), max_width=420)
            tooltip = props.get("name") or props.get("pair") or title
            if feat["geometry"] is None:
                continue
            if lay.name == "settlements":
                lon, lat = feat["geometry"]["coordinates"][:2]
                folium.CircleMarker(
                    location=[lat, lon],
                    radius=6,
                    color="#000000",
                    weight=1,
                    fill=True,
                    fill_color=colours.get(props.get("country"), "#777777"),
                    fill_opacity=0.9,
                    popup=popup,
                    tooltip=f"{tooltip} [{props.get('pair')}]" if props.get("pair") else tooltip,
                ).add_to(groups[key])
                continue
            if feat["geometry"]["type"] == "Point" and (
                lay.name in ("impact_items", "road_crossings", "near_line") or lay.name in raw
            ):
                lon, lat = feat["geometry"]["coordinates"][:2]
                folium.CircleMarker(
                    location=[lat, lon],
                    radius=5,
                    color=style.get("color", "#000000"),
                    weight=style.get("weight", 1),
                    fill=True,
                    fill_color=style.get("fillColor", "#333333"),
                    fill_opacity=style.get("fillOpacity", 0.9),
                    popup=popup,
                    tooltip=tooltip,
                ).add_to(groups[key])
                continue
            if lay.name == "handed_over":
                c = colours.get(props.get("to_country"), "#777777")
                style = {"color": c, "weight": 1, "fillColor": c, "fillOpacity": 0.45}
                if props.get("kind") == "mapping difference":
                    style.update(fillOpacity=0.2, dashArray="6 4")
                elif props.get("kind") == "sliver":
                    style = {"color": "#595959", "weight": 1, "fillColor": "#999999", "fillOpacity": 0.25,
                             "dashArray": "2 3"}  # fmt: skip
            gj = folium.GeoJson(feat, style_function=lambda _f, s=style: s, tooltip=str(tooltip))
            popup.add_to(gj)
            gj.add_to(groups[key])
        for g in groups.values():
            g.add_to(fmap)

    attribution = "; ".join(
        dict.fromkeys(f"{_e(lay.name)}: {_e(lay.licence)}" for lay in case.layers.values() if lay.licence)
    )
    if any("openstreetmap" in f"{lay.source} {lay.licence}".lower() for lay in case.layers.values()):
        attribution = _OSM_ATTR + " | " + attribution
    _add_attribution(fmap, f"borderkit | {attribution}")
    _add_title(fmap, case, report)
    folium.LayerControl(collapsed=False).add_to(fmap)
    fmap.fit_bounds(_bounds(layers))
    return fmap


def _add_attribution(fmap: folium.Map, text: str) -> None:
    from branca.element import MacroElement
    from jinja2 import Template

    el = MacroElement()
    el._name = "Attribution"
    el._template = Template(
        "{% macro script(this, kwargs) %}"
        "{{ this._parent.get_name() }}.attributionControl.addAttribution({{ this.text|tojson }});"
        "{% endmacro %}"
    )
    el.text = text  # type: ignore[attr-defined]
    fmap.add_child(el)


def _add_title(fmap: folium.Map, case: Case, report: Report) -> None:
    import folium

    counts: dict[str, int] = {}
    for v in report.verdicts:
        counts[v.final_verdict] = counts.get(v.final_verdict, 0) + 1
    summary = ", ".join(f"{n} {k}" for k, n in counts.items())
    how = (
        "by the Monte Carlo verdict where there is one, else first-order"
        if report.uncertainty is not None
        else "first-order verdicts"
    )
    title = case.title if not case.synthetic or "SYNTHETIC" in case.title else f"SYNTHETIC: {case.title}"
    said = "".join(f"<div class='bk-notice'>{_e(n)}</div>" for n in notices(case, report.measurements))
    box = (
        "<div style='position:fixed;top:10px;left:60px;z-index:9999;background:white;padding:6px 10px;"
        "border:1px solid #999;border-radius:4px;font:13px sans-serif;max-width:45%'>"
        f"<b>{_e(title)}</b><br>{len(report.verdicts)} claims ({_e(how)}): {_e(summary)}. "
        f"Click a line, area or settlement for its figures.{said}</div>"
    )
    fmap.get_root().html.add_child(folium.Element(box))  # type: ignore[attr-defined]
    css = (
        "<style>table.bk{border-collapse:collapse;margin-top:4px;font-size:12px}"
        "table.bk td,table.bk th{border:1px solid #ccc;padding:2px 4px}"
        ".v-consistent{color:#1a7f37}.v-inconsistent{color:#b42318}.v-not-computable{color:#666}"
        ".v-undetermined{color:#9a6700}.bk-notice{margin-top:4px;color:#b42318;font-weight:600}"
        # The expanded layer list beside the title box, not over it and half the map.
        ".leaflet-control-layers-expanded{max-width:40vw;max-height:60vh;overflow:auto;font:12px sans-serif}"
        "</style>"
    )
    fmap.get_root().header.add_child(folium.Element(css))  # type: ignore[attr-defined]


def save_web_map(
    report: Report | Case | str | os.PathLike[str],
    path: str | os.PathLike[str],
    *,
    tiles: bool = False,
    overwrite: bool = False,
) -> Path:
    """Write :func:`web_map` as one self-contained HTML file (atomically), the same bytes for the same case.

    Raises
    ------
    ExportError
        The suffix is not ``.html``/``.htm``, or the file exists and ``overwrite`` is false.
    """
    out = Path(check_path("path", path, example="'map.html'"))
    if out.suffix.lower() not in (".html", ".htm"):
        msg = f"{out}: a web map is HTML; got suffix {out.suffix or '(none)'!r}. Allowed suffixes: .html, .htm."
        raise ExportError(msg)
    check_bool("tiles", tiles)
    inputs = case_of(report).inputs
    check_writable(out, overwrite=overwrite, inputs=inputs)
    fmap = web_map(report, tiles=tiles)
    return write_text_atomic(out, offline_html(fmap), overwrite=overwrite, inputs=inputs)
