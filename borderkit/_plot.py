"""Static maps of a case with matplotlib: an overview and one detail map per settlement pair.

Maps are drawn in the case's local UTM zone (WGS 84 / UTM, :func:`borderkit.geodesy.
local_projected_crs` at the centre of the case), with equal x and y scales, so shapes and
distances look as they are on the ground (UTM's scale error is under 0.1 % within the
zone). The scale bar is measured geodesically: it is drawn level, and its map length is
the stated distance divided by the ground distance per map metre along a geodesic across
the middle of the view, so it is true on the ellipsoid; it is labelled at its ticks
(``0  1  2 km``). The north arrow points to true north at the centre of the view (it
differs from grid north by the meridian convergence).

A map shows the new line, every alternative rendering of it (each layer of role
``new_line_alt``, labelled by its name or date) and the old line, the faces handed over
by direction (colour and hatch of the receiving country), the measured stretch, the
case's extent, the settlements labelled with their pair, the countries' names (each in
its own territory), a locator inset of the two countries (from a ``context`` layer),
scale bar, north arrow, legend, title and the sources and licences of every layer drawn
(once per source and licence; the OpenStreetMap credit once). A case with impact layers
also shows its roads, plots, buildings (those counted in handed-over land apart from
those touching it but not counted) and named features, and where roads cross the new
line.

Layout: the map frame holds data and labels only. Legend, north arrow, scale bar and
inset stand in a column right of the frame, one under the other; the notices and the
attribution under the frame, wrapped to its width. Nothing is drawn over data and no
element crosses another.

A map says what its new line is. Without turning points it is a proxy: the legend calls it
"New line: proxy (<source>, <date>) — turning points not in this case", the faces between
the lines "Now on <country>'s side (old line → new line)" (they include mapping
differences, not only handovers), and a footer line under the map says so
(:data:`borderkit.export.PROXY_NOTICE`). With turning points the legend reads "New line
(turning points)" and "Handed over to <country>". A synthetic case says SYNTHETIC in the
title and the footer.

Fonts: text is set in the first installed of :data:`FONT_FAMILIES`, glyph by glyph
(matplotlib falls back per glyph): Noto Sans (Latin with ə, ı, ğ; Cyrillic; Greek), Noto
Sans Armenian, Noto Sans CJK JP, then DejaVu Sans, which matplotlib ships. On Debian they
come with ``fonts-noto-core`` and ``fonts-noto-cjk``. A family that is not installed is
left out, so a map still draws without them; a glyph no installed font has is drawn as
a box, and matplotlib warns ("Glyph ... missing from font(s)"). SVG keeps text as
``<text>`` (``svg.fonttype = "none"``), so labels stay editable, e.g. in Inkscape.

The drawing functions (:func:`plot_lines`, :func:`plot_polygons`, :func:`plot_faces`,
:func:`plot_settlements`, :func:`add_scale_bar`, ...) each take the Axes first and pass
``**kwargs`` on to matplotlib, like :mod:`shapely.plotting`; :func:`plot` composes them.
matplotlib is imported only when a map is drawn.
"""

from __future__ import annotations

import io
import math
import os
import re
import textwrap
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from pyproj import CRS, Transformer
from shapely.ops import polylabel

from borderkit._api import as_report, case_of
from borderkit._io import atomic_output, atomic_outputs, check_writable
from borderkit._layers import export_layers
from borderkit._present import MAPPING_DIFFERENCE, SLIVER_LABEL, faces_label, new_line_label, notices, went_to
from borderkit._report import Report
from borderkit._validate import check_path, check_positive
from borderkit.case import Case, Layer, Pair
from borderkit.errors import CaseError, ExportError, GeometryError, ParameterError
from borderkit.geodesy import GEOD, local_projected_crs

if TYPE_CHECKING:
    from matplotlib.artist import Artist
    from matplotlib.axes import Axes
    from matplotlib.backend_bases import RendererBase
    from matplotlib.collections import Collection
    from matplotlib.figure import Figure
    from matplotlib.legend import Legend
    from matplotlib.patches import PathPatch
    from matplotlib.text import Text
    from matplotlib.transforms import Bbox

__all__ = [
    "COUNTRY_COLOURS",
    "FONT_FAMILIES",
    "MAP_FORMATS",
    "add_attribution",
    "add_country_names",
    "add_inset",
    "add_legend",
    "add_north_arrow",
    "add_scale_bar",
    "font_families",
    "map_crs",
    "plot",
    "plot_case_lines",
    "plot_context",
    "plot_faces",
    "plot_footprints",
    "plot_impact_items",
    "plot_impact_layers",
    "plot_lines",
    "plot_polygons",
    "plot_road_crossings",
    "plot_settlement_labels",
    "plot_settlements",
    "plot_sheets",
    "render_map",
    "save_map",
    "save_maps",
]

#: Suffixes :func:`save_map` writes.
MAP_FORMATS = (".png", ".svg", ".pdf")

#: Colours of the first and second country of a case (ColorBrewer Dark2, colour-blind safe).
COUNTRY_COLOURS = ("#d95f02", "#1b9e77")
#: Font families, tried glyph by glyph: Latin/Cyrillic/Greek, Armenian, CJK, matplotlib's own.
FONT_FAMILIES = ("Noto Sans", "Noto Sans Armenian", "Noto Sans CJK JP", "DejaVu Sans")
_HATCHES = ("////", "\\\\\\\\")
_OSM = "© OpenStreetMap contributors"
#: The OpenStreetMap credit inside a licence text, so that the map gives it once.
_OSM_CREDIT = re.compile(r"[,;]?\s*©\s*OpenStreetMap contributors", re.IGNORECASE)
#: Figure size in inches; at the default 150 dpi the overview is about 1600 px wide.
_FIGSIZE = (10.7, 7.6)
#: Where the column of legend, north arrow, scale bar and inset starts (axes fraction).
_PANEL_X = 1.02
_PANEL_W = 0.30
#: Styles of the lines; alternative renderings cycle through quiet dashes.
_NEW_LINE = {"color": "#7a0177", "lw": 2.0, "ls": "-"}
_ALT_LINES = (
    {"color": "#7a0177", "lw": 1.2, "ls": (0, (5, 2))},
    {"color": "#3f6fb0", "lw": 1.1, "ls": (0, (2, 1.5))},
    {"color": "#8a6d3b", "lw": 1.1, "ls": (0, (7, 2, 1.5, 2))},
    {"color": "#5e5e5e", "lw": 1.0, "ls": (0, (3, 3))},
)
_OLD_LINE = {"color": "0.2", "lw": 1.6, "ls": (0, (1, 1.5))}
_EXTENT = {"color": "0.25", "lw": 0.9, "ls": (0, (6, 3))}
_STRETCH = {"color": "#ffd92f", "lw": 7, "alpha": 0.8, "capstyle": "round"}
#: Styles of the impact layers: roads, plots, buildings (counted, touching, other), features.
_IMPACT_STYLE = {
    "road": "#8c510a",
    "plot": "#66a61e",
    "counted": "#e7298a",
    "building": "0.55",
    "crossing": "#e41a1c",
}


# ---------------------------------------------------------------------- frames
def map_crs(case: Case) -> CRS:
    """The projected CRS maps of ``case`` are drawn in: the UTM zone of its centre.

    Examples
    --------
    >>> from borderkit import load_case
    >>> map_crs(load_case("tavush-2024")).to_string()
    'EPSG:32638'
    """
    ext = case.layer("extent")
    layers = [ext] if ext is not None else [lay for lay in case.layers.values() if lay.role != "context"]
    layers = layers or list(case.layers.values())
    xy = shapely.get_coordinates([lay.union() for lay in layers])
    if not len(xy):
        msg = f"case {case.id!r}: no layer holds a coordinate to draw. Add a settlements, line or extent layer."
        raise GeometryError(msg)
    # The mean vertex, not a centroid: a zero-length line (two equal points) has none.
    lon, lat = xy.mean(axis=0)
    return local_projected_crs(float(lon), float(lat))


@dataclass(frozen=True, eq=False)
class _View:
    """What one map draws: the report, its pair, the map CRS, the exported layers in it, the box."""

    report: Report
    pair: Pair | None
    crs: CRS
    layers: dict[str, gpd.GeoDataFrame]
    box: tuple[float, float, float, float]

    @property
    def case(self) -> Case:
        return self.report.case

    @property
    def polygon(self) -> shapely.Polygon:
        return shapely.box(*self.box)


def _view(report: Report, pair: Pair | None) -> _View:
    crs = map_crs(report.case)
    layers = {lay.name: lay.frame.to_crs(crs) for lay in export_layers(report)}
    return _View(report, pair, crs, layers, _view_bounds(layers, pair))


def _export_name(case: Case, lay: Layer) -> str:
    """The name :func:`borderkit._layers.export_layers` gives ``lay``: its role when it is the only one."""
    return lay.role if len(case.layers_with_role(lay.role)) == 1 else lay.name


def _view_geoms(layers: dict[str, gpd.GeoDataFrame], pair: Pair | None) -> list[Any]:
    if pair is None:
        names = ("extent",) if "extent" in layers else ("sections", "settlements", "handed_over")
        geoms = [g for name in names if name in layers for g in layers[name].geometry]
    else:
        geoms = [
            g
            for name in ("sections", "settlements")
            if name in layers
            for g in layers[name].loc[layers[name]["pair"] == pair.id].geometry
        ]
        if "handed_over" in layers:
            f = layers["handed_over"]
            geoms += [g for g, p in zip(f.geometry, f["pair"], strict=True) if pair.id in str(p).split(",")]
    geoms = [g for g in geoms if g is not None and not g.is_empty]
    return geoms or [g for f in layers.values() for g in f.geometry if g is not None and not g.is_empty]


def _view_bounds(layers: dict[str, gpd.GeoDataFrame], pair: Pair | None) -> tuple[float, float, float, float]:
    pad, min_m = (0.06, 1000.0) if pair is None else (0.15, 2500.0)
    x0, y0, x1, y1 = shapely.union_all(_view_geoms(layers, pair)).bounds
    w, h = max(x1 - x0, min_m) * (1 + 2 * pad), max(y1 - y0, min_m) * (1 + 2 * pad)
    cx, cy = (x0 + x1) / 2, (y0 + y1) / 2
    # Keep the map a landscape rectangle close to the figure's shape.
    aspect = 1.25
    w, h = (h * aspect, h) if w / h < aspect else (w, w / aspect)
    return cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2


def _country_colour(case: Case, code: str) -> str:
    codes = [c.code for c in case.countries]
    return COUNTRY_COLOURS[codes.index(code) % 2] if code in codes else "#666666"


def _country_hatch(case: Case, code: str) -> str:
    codes = [c.code for c in case.countries]
    return _HATCHES[codes.index(code) % 2] if code in codes else "xx"


def _country_of_feature(case: Case, row: Any) -> str | None:
    """Which party a context feature is: by ``name`` starting with the country's name or code."""
    name = str(getattr(row, "name", "") or "")
    for c in case.countries:
        if name.startswith(c.name) or name == c.code:
            return c.code
    path = str(getattr(row, "source_path", "") or "")
    for c in case.countries:
        if f"/{c.code}." in path:
            return c.code
    return None


def _country_features(case: Case, crs: CRS) -> dict[str, Any]:
    """Each party's polygon from the first ``context`` layer that holds the countries, in ``crs``."""
    for lay in case.layers_with_role("context"):
        rows = [
            (code, row.geometry)
            for row in lay.frame.itertuples()
            if (code := _country_of_feature(case, row)) is not None and row.geometry is not None
        ]
        if rows:
            geoms = gpd.GeoSeries([g for _, g in rows], crs=lay.frame.crs).to_crs(crs)
            return {code: g for (code, _), g in zip(rows, geoms, strict=True)}
    return {}


def _rgba(colour: str, alpha: float) -> tuple[float, float, float, float]:
    from matplotlib.colors import to_rgba

    return to_rgba(colour, alpha)


def _geoms(data: gpd.GeoDataFrame | gpd.GeoSeries | Iterable[Any]) -> list[Any]:
    seq = data.geometry if isinstance(data, gpd.GeoDataFrame) else data
    return [g for g in seq if g is not None and not g.is_empty]


def _renderer(fig: Any) -> RendererBase | None:
    canvas = fig.canvas
    return canvas.get_renderer() if hasattr(canvas, "get_renderer") else None


# ---------------------------------------------------------------------- fonts
def font_families() -> list[str]:
    """The :data:`FONT_FAMILIES` installed here, in order (DejaVu Sans, matplotlib's own, at least).

    Examples
    --------
    >>> font_families()[-1]
    'DejaVu Sans'
    """
    from matplotlib import font_manager

    installed = {f.name for f in font_manager.fontManager.ttflist}
    return [f for f in FONT_FAMILIES if f in installed] or ["DejaVu Sans"]


# ---------------------------------------------------------------------- data
def plot_lines(ax: Axes, data: gpd.GeoDataFrame | gpd.GeoSeries | Iterable[Any], **kwargs: Any) -> Collection | None:
    """Draw the lines of ``data`` (polygons by their rings) as one LineCollection.

    ``**kwargs`` go to :class:`matplotlib.collections.LineCollection` (``color``, ``lw``,
    ``ls``, ``label``, ``zorder``, ...). Returns ``None`` when there is nothing to draw.

    Examples
    --------
    >>> import matplotlib; matplotlib.use("Agg")
    >>> import matplotlib.pyplot as plt
    >>> from shapely import LineString
    >>> fig, ax = plt.subplots()
    >>> lc = plot_lines(ax, [LineString([(0, 0), (1, 1)])], color="red", label="a line")
    >>> lc.get_label(), len(lc.get_segments())
    ('a line', 1)
    >>> plt.close(fig)
    """
    from matplotlib.collections import LineCollection

    segs = [
        shapely.get_coordinates(part)
        for g in _geoms(data)
        for part in shapely.get_parts(shapely.boundary(g) if g.geom_type.endswith("Polygon") else g)
    ]
    if not segs:
        return None
    return ax.add_collection(LineCollection(segs, **kwargs), autolim=False)


def plot_polygons(ax: Axes, data: gpd.GeoDataFrame | gpd.GeoSeries | Iterable[Any], **kwargs: Any) -> PathPatch | None:
    """Draw the polygons of ``data`` (with their holes) as one patch; ``**kwargs`` go to the PathPatch.

    Returns ``None`` when ``data`` holds no polygon.
    """
    from shapely.plotting import patch_from_polygon

    parts = [p for g in _geoms(data) for p in shapely.get_parts(g) if p.geom_type == "Polygon"]
    if not parts:
        return None
    patch: PathPatch = patch_from_polygon(shapely.multipolygons(parts), **kwargs)
    # add_artist, not add_patch: the map sets its limits itself, and updating the data
    # limits from a country's outline costs seconds.
    ax.add_artist(patch)
    return patch


def plot_footprints(
    ax: Axes, data: gpd.GeoDataFrame | gpd.GeoSeries | Iterable[Any], **kwargs: Any
) -> Collection | None:
    """Exteriors of many polygons as one PolyCollection (fast for thousands of footprints)."""
    from matplotlib.collections import PolyCollection

    parts = shapely.get_parts(np.asarray(_geoms(data), dtype=object))
    parts = parts[shapely.get_type_id(parts) == 3] if len(parts) else parts
    if not len(parts):
        return None
    rings = [shapely.get_coordinates(r) for r in shapely.get_exterior_ring(parts)]
    return ax.add_collection(PolyCollection(rings, **kwargs), autolim=False)


def plot_faces(
    ax: Axes, frame: gpd.GeoDataFrame, case: Case, *, labels: dict[str, str] | None = None, **kwargs: Any
) -> list[PathPatch]:
    """Faces between the lines by receiving country (``to_country``): its colour, tinted and hatched.

    ``labels`` maps a country code to its legend label; ``**kwargs`` go to each PathPatch.
    Where the frame has a ``kind`` column (:data:`borderkit._measure.FACE_KINDS`), the faces
    that hold no village an area claim names are drawn apart, with their own legend entry
    (:func:`borderkit._present.face_label`): a mapping difference in the country's colour,
    paler, unhatched and edged with dashes, and slivers (within the lines' accuracy,
    counted nowhere) grey and dotted.
    """
    out = []
    kind = frame["kind"].astype(str) if "kind" in frame.columns else pd.Series("", index=frame.index)
    apart = kind.isin(["mapping difference", "sliver"])
    for c in case.countries:
        colour = _country_colour(case, c.code)
        label = (labels or {}).get(c.code, c.name)
        to = frame["to_country"] == c.code
        styles: list[tuple[pd.Series, dict[str, Any]]] = [
            (to & ~apart, {"facecolor": _rgba(colour, 0.35), "hatch": _country_hatch(case, c.code), "label": label}),
            (
                to & (kind == "mapping difference"),
                {"facecolor": _rgba(colour, 0.2), "ls": (0, (4, 2)), "label": label + MAPPING_DIFFERENCE},
            ),
        ]
        for sel, style in styles:
            patch = plot_polygons(ax, frame[sel], **{"edgecolor": colour, "lw": 0.8, "zorder": 3, **style, **kwargs})
            out += [patch] if patch is not None else []
    slivers = plot_polygons(
        ax,
        frame[kind == "sliver"],
        **{"facecolor": _rgba("0.6", 0.25), "edgecolor": "0.35", "lw": 0.6, "ls": ":", "zorder": 3,
           "label": SLIVER_LABEL, **kwargs},
    )  # fmt: skip
    return out + ([slivers] if slivers is not None else [])


def plot_settlements(ax: Axes, frame: gpd.GeoDataFrame, case: Case, **kwargs: Any) -> list[Collection]:
    """The settlements as dots in their country's colour, one scatter per country (for the legend).

    ``**kwargs`` go to :meth:`~matplotlib.axes.Axes.scatter`.
    """
    out: list[Collection] = []
    countries = [str(c) for c in frame["country"]]
    for c in case.countries:
        sel = frame[[code == c.code for code in countries]]
        if not len(sel):
            continue
        xy = shapely.get_coordinates(sel.geometry.to_numpy())
        style = {
            "s": 28,
            "color": _country_colour(case, c.code),
            "edgecolors": "black",
            "linewidths": 0.6,
            "zorder": 10,
            "label": f"Settlement in {c.name} [pair]",
            **kwargs,
        }
        out.append(ax.scatter(xy[:, 0], xy[:, 1], **style))
    return out


def plot_impact_layers(
    ax: Axes, case: Case, crs: CRS, box: tuple[float, float, float, float]
) -> tuple[list[Artist], list[Layer]]:
    """Roads, plots, buildings and named features of the case's impact layers in the view.

    Returns the artists (for the legend) and the layers drawn (for the attribution).
    """
    st = _IMPACT_STYLE
    styles: dict[str, tuple[Any, dict[str, Any]]] = {
        "plots": (
            plot_footprints,
            {"facecolor": "none", "edgecolor": st["plot"], "lw": 0.5, "zorder": 4.5, "label": "Plot"},
        ),
        "roads": (plot_lines, {"color": st["road"], "lw": 1.0, "zorder": 4.6, "label": "Road"}),
        "buildings": (
            plot_footprints,
            {"facecolor": _rgba(st["building"], 0.8), "edgecolor": "none", "zorder": 4.7, "label": "Building"},
        ),
        "features": (
            _plot_features,
            {
                "marker": "^",
                "s": 22,
                "color": "black",
                "zorder": 9.5,
                "gid": "impact_features",
                "label": "Named feature",
            },
        ),
    }
    artists: list[Artist] = []
    shown: list[Layer] = []
    for role, (draw, style) in styles.items():
        frames = [(lay, _in_view(lay, crs, box)) for lay in case.layers_with_role(role)]
        frames = [(lay, f) for lay, f in frames if len(f)]
        if frames:
            shown += [lay for lay, _ in frames]
            art = draw(ax, [g for _, f in frames for g in f.geometry], **style)
            artists += [art] if art is not None else []
    return artists, shown


def _plot_features(ax: Axes, geoms: Sequence[Any], **kwargs: Any) -> Collection:
    xy = shapely.get_coordinates(shapely.point_on_surface(np.asarray(geoms, dtype=object)))
    return ax.scatter(xy[:, 0], xy[:, 1], **kwargs)


def plot_impact_items(ax: Axes, items: gpd.GeoDataFrame | None, share: float) -> list[Artist]:
    """Plots in handed-over land, and buildings counted there apart from those touching it but not counted."""
    if items is None or not len(items):
        return []
    st = _IMPACT_STYLE
    b = items[items["role"] == "buildings"]
    counted = b["counted"].astype(bool)
    drawn = [
        plot_footprints(
            ax,
            items[items["role"] == "plots"],
            facecolor=_rgba(st["plot"], 0.45),
            edgecolor=st["plot"],
            lw=0.7,
            zorder=4.55,
            label="Plot in handed-over land",
        ),
        plot_footprints(
            ax,
            b[counted],
            facecolor=st["counted"],
            edgecolor="black",
            lw=0.4,
            zorder=4.8,
            gid="buildings_counted",
            label=f"Building counted (≥ {share:.0%} inside)",
        ),
        plot_footprints(
            ax,
            b[~counted],
            facecolor="white",
            edgecolor=st["counted"],
            lw=0.8,
            zorder=4.8,
            gid="buildings_not_counted",
            label=f"Building touching, not counted (< {share:.0%} inside)",
        ),
    ]
    return [a for a in drawn if a is not None]


def plot_road_crossings(ax: Axes, frame: gpd.GeoDataFrame | None, **kwargs: Any) -> Collection | None:
    """Where roads cross the new line, as crosses; ``**kwargs`` go to the scatter."""
    if frame is None or not len(frame):
        return None
    xy = shapely.get_coordinates(frame.geometry.to_numpy())
    style = {
        "marker": "X",
        "s": 45,
        "color": _IMPACT_STYLE["crossing"],
        "edgecolors": "white",
        "linewidths": 0.6,
        "zorder": 9.6,
        "gid": "road_crossings",
        "label": "Road crosses the new line",
        **kwargs,
    }
    return ax.scatter(xy[:, 0], xy[:, 1], **style)


def _in_view(lay: Layer, crs: CRS, box_xy: tuple[float, float, float, float]) -> gpd.GeoDataFrame:
    """The layer's features in the view, in the map's CRS (filtered in lon/lat first: layers may be big)."""
    to_ll = Transformer.from_crs(crs, "EPSG:4326", always_xy=True)
    x0, y0, x1, y1 = to_ll.transform_bounds(*box_xy)
    frame = lay.frame[lay.frame.geometry.notna()]
    frame = frame.iloc[frame.sindex.query(shapely.box(x0, y0, x1, y1), predicate="intersects")]
    return frame.sort_index().to_crs(crs)


def plot_case_lines(
    ax: Axes, case: Case, layers: dict[str, gpd.GeoDataFrame], new_label: str
) -> tuple[list[Artist], list[Layer]]:
    """The new line, each alternative rendering (``new_line_alt``), the old line and the turning points.

    Returns the artists (for the legend) and the layers drawn (for the attribution).
    """
    alts = case.layers_with_role("new_line_alt")
    entries: list[tuple[Layer, dict[str, Any], str, float]] = []
    if (new := case.layer("new_line")) is not None:
        entries.append((new, _NEW_LINE, new_label, 8))
    entries += [
        (lay, _ALT_LINES[i % len(_ALT_LINES)], _alt_label(lay, several=len(alts) > 1), 7) for i, lay in enumerate(alts)
    ]
    if (old := case.layer("old_line")) is not None:
        what = f": {old.label}" if old.label else ""
        entries.append((old, _OLD_LINE, f"Old line (held before){what}" + (f", {old.date}" if old.date else ""), 7))
    artists: list[Artist] = []
    shown: list[Layer] = []
    for lay, style, label, zorder in entries:
        art = plot_lines(ax, layers.get(_export_name(case, lay), []), zorder=zorder, label=label, **style)
        if art is not None:
            artists.append(art)
            shown.append(lay)
    tp = case.layer("turning_points")
    if tp is not None and (name := _export_name(case, tp)) in layers:
        xy = shapely.get_coordinates(layers[name].geometry.to_numpy())
        artists.append(
            ax.scatter(
                xy[:, 0],
                xy[:, 1],
                color=_NEW_LINE["color"],
                marker="+",
                s=30,
                zorder=9,
                label="Turning points" + (f", {tp.date}" if tp.date else ""),
            )
        )
        shown.append(tp)
    return artists, shown


def _alt_label(lay: Layer, *, several: bool) -> str:
    """``"New line, alternative rendering, <date>"``; with several renderings also the layer's name."""
    bits = ([lay.title] if several else []) + ([lay.date] if lay.date and lay.date not in lay.title else [])
    return "New line, alternative rendering" + (f": {', '.join(bits)}" if several else "".join(f", {b}" for b in bits))


def _plot_data(ax: Axes, view: _View) -> tuple[list[Artist], list[Layer]]:
    """Everything drawn inside the frame, bottom to top by zorder; legend artists in legend order."""
    case, m, layers = view.case, view.report.measurements, view.layers
    # The proxy's label names its source and date itself; a line break keeps the legend narrow.
    lines, shown = plot_case_lines(ax, case, layers, new_line_label(case, m).replace(" — ", "\n— "))
    handles: list[Artist | None] = list(lines)
    context, context_shown = plot_context(ax, case, view.crs, view.box)
    handles += context
    shown += context_shown
    if "handed_over" in layers:
        handles += plot_faces(
            ax, layers["handed_over"], case, labels={c.code: faces_label(case, m, c.code) for c in case.countries}
        )
    impact, impact_shown = plot_impact_layers(ax, case, view.crs, view.box)
    share = view.report.impact.building_share if view.report.impact is not None else 0.5
    handles += impact + plot_impact_items(ax, layers.get("impact_items"), share)
    handles.append(plot_road_crossings(ax, layers.get("road_crossings")))
    shown += impact_shown
    handles.append(plot_lines(ax, layers.get("extent", []), zorder=5, label="Case extent", **_EXTENT))
    sections = layers.get("sections")
    if sections is not None and view.pair is not None:
        sections = sections[sections["pair"] == view.pair.id]
    label = "Measured stretch" + (f" ({view.pair.id})" if view.pair is not None else "")
    handles.append(plot_lines(ax, sections if sections is not None else [], zorder=6, label=label, **_STRETCH))
    if "settlements" in layers and (src := case.layer("settlements")) is not None:
        handles += plot_settlements(ax, layers["settlements"], case)
        shown.append(src)
    return [h for h in handles if h is not None], shown


def plot_context(
    ax: Axes, case: Case, crs: CRS, box: tuple[float, float, float, float]
) -> tuple[list[Artist], list[Layer]]:
    """The ``context`` layers under everything: each party's territory tinted, other features dotted.

    Returns the artists (for the legend, labelled with their layer) and the layers drawn.
    """
    artists: list[Artist] = []
    shown: list[Layer] = []
    view = shapely.box(*box)
    for lay in case.layers_with_role("context"):
        frame = lay.frame.to_crs(crs)
        frame = frame[frame.intersects(view)]
        if not len(frame):
            continue
        shown.append(lay)
        # Only what can show: a whole country's outline is slow to draw for nothing.
        frame = frame.set_geometry(frame.geometry.intersection(view.buffer(0.1 * (box[2] - box[0]))))
        codes = [_country_of_feature(case, row) for row in frame.itertuples()]
        when = f", {lay.date}" if lay.date else ""
        drawn = [
            plot_polygons(
                ax,
                frame[[code == c.code for code in codes]],
                facecolor=_rgba(_country_colour(case, c.code), 0.07),
                edgecolor="none",
                zorder=1,
                label=f"{c.name} (context: {lay.name}{when})",
            )
            for c in case.countries
        ]
        drawn.append(
            plot_polygons(
                ax,
                frame[[code is None for code in codes]],
                facecolor=_rgba("0.85", 0.6),
                edgecolor="0.45",
                lw=0.6,
                hatch="..",
                zorder=2,
                label=f"{lay.name} (context)",
            )
        )
        artists += [a for a in drawn if a is not None]
    return artists, shown


def _frame(ax: Axes, box: tuple[float, float, float, float]) -> None:
    x0, y0, x1, y1 = box
    ax.set_xlim(x0, x1)
    ax.set_ylim(y0, y1)
    ax.set_aspect("equal", adjustable="box")
    ax.set_xticks([])
    ax.set_yticks([])
    # Settle the axes' final box now: labels and the panel are placed in display space.
    ax.apply_aspect()


# ---------------------------------------------------------------------- names and labels
def _territories(view: _View) -> dict[str, Any]:
    """Where each party's name may go: its land in the view, off the faces, lines and settlements.

    The land is the party's polygon of a ``context`` layer; without one, the parts of the view
    the new line cuts off that hold only settlements on that party's side of it.
    """
    box = view.polygon
    features = _country_features(view.case, view.crs)
    land = {code: g.intersection(box) for code, g in features.items()} if features else _sides_of_new_line(view)
    width = view.box[2] - view.box[0]
    layers = view.layers
    keep_off = [g for name in ("handed_over",) if name in layers for g in layers[name].geometry]
    keep_off += [
        g.boundary.buffer(0.03 * width) if g.geom_type.endswith("Polygon") else g.buffer(0.03 * width)
        for name, f in layers.items()
        if name in ("new_line", "old_line", "extent") or name.startswith("new_line")
        for g in f.geometry
        if g is not None
    ]
    if "settlements" in layers:
        keep_off += [g.buffer(0.06 * width) for g in layers["settlements"].geometry]
    blocked = shapely.union_all([g for g in keep_off if g is not None])
    out = {code: g.difference(blocked) for code, g in land.items()}
    return {code: g for code, g in out.items() if not g.is_empty and g.area > 0}


def _sides_of_new_line(view: _View) -> dict[str, Any]:
    if "new_line" not in view.layers or "settlements" not in view.layers:
        return {}
    box = view.polygon
    line = _extended(shapely.line_merge(shapely.union_all(view.layers["new_line"].geometry.to_numpy())), box)
    line = shapely.intersection(line, box)
    parts = shapely.get_parts(shapely.polygonize(shapely.get_parts(shapely.union(box.exterior, line))))
    s = view.layers["settlements"]
    codes = {c.code for c in view.case.countries}
    out: dict[str, Any] = {}
    for part in parts:
        sides = {str(c) for g, c in zip(s.geometry, s["side_new"], strict=True) if c in codes and part.contains(g)}
        if len(sides) == 1:
            code = sides.pop()
            out[code] = shapely.union(out[code], part) if code in out else part
    return out


def _extended(line: Any, box: shapely.Polygon) -> Any:
    """A single line with both end segments prolonged past ``box``, so that it cuts the box in two."""
    if line.geom_type != "LineString" or len(line.coords) < 2:
        return line
    xy = np.asarray(line.coords)[:, :2]
    reach = float(np.hypot(box.bounds[2] - box.bounds[0], box.bounds[3] - box.bounds[1]))

    def beyond(end: np.ndarray, before: np.ndarray) -> np.ndarray:
        d = end - before
        norm = float(np.hypot(*d))
        return end + d / norm * reach if norm > 0 else end

    return shapely.LineString(np.vstack([beyond(xy[0], xy[1]), xy, beyond(xy[-1], xy[-2])]))


def add_country_names(ax: Axes, territories: dict[str, Any], case: Case, **kwargs: Any) -> list[Text]:
    """Each party's name, in capitals, at the most inland point of the largest piece of its territory.

    The size shrinks (12, 10, 8.5 pt) until the name fits inside that piece. ``**kwargs`` go
    to :meth:`~matplotlib.axes.Axes.text`.
    """
    from matplotlib import patheffects

    renderer = _renderer(ax.figure)
    out = []
    for code, land in territories.items():
        piece = max(shapely.get_parts(land), key=lambda g: g.area)
        at = polylabel(piece, tolerance=max(math.sqrt(piece.area) / 200, 1.0))
        style = {
            "ha": "center",
            "va": "center",
            "color": "0.3",
            "fontsize": 12,
            "zorder": 11,
            "gid": "country_name",
            "path_effects": [patheffects.withStroke(linewidth=2.5, foreground="white")],
            **kwargs,
        }
        text = ax.text(at.x, at.y, case.country(code).name.upper(), **style)
        for size in (12, 10, 8.5):
            text.set_fontsize(size)
            if renderer is None or piece.contains(_data_box(ax, text.get_window_extent(renderer))):
                break
        out.append(text)
    return out


def _data_box(ax: Axes, bbox: Bbox) -> shapely.Polygon:
    (x0, y0), (x1, y1) = ax.transData.inverted().transform([(bbox.x0, bbox.y0), (bbox.x1, bbox.y1)])
    return shapely.box(x0, y0, x1, y1)


#: Label offsets tried (points), then directions: right, left, above, below, diagonals.
_LABEL_RADII = (7, 18, 32, 48)
_LABEL_DIRS = (
    (1, 0, "left", "center"),
    (-1, 0, "right", "center"),
    (0, 1, "center", "bottom"),
    (0, -1, "center", "top"),
    (1, 1, "left", "bottom"),
    (-1, 1, "right", "bottom"),
    (1, -1, "left", "top"),
    (-1, -1, "right", "top"),
)
#: Clear space kept around a label's box, in pixels.
_LABEL_GAP_PX = 3.0


def _label_text(row: Any) -> str:
    pair = str(row.pair or "")
    return f"{row.name}\n[{pair}]" if pair else str(row.name)


def plot_settlement_labels(
    ax: Axes, frame: gpd.GeoDataFrame, case: Case, *, avoid: Sequence[Bbox] = (), **kwargs: Any
) -> list[Text]:
    """Label each settlement in the view ("name [pair]"), boxed in its country's colour.

    Deterministic: labels are placed north to south, each at the first of a fixed ring of
    offsets where its box (with a 3 px margin) overlaps no settlement dot, no label placed
    before, none of the ``avoid`` boxes (display space) and stays in the frame; further out
    with a leader line; else at the least-overlapping offset. ``**kwargs`` go to
    :meth:`~matplotlib.axes.Axes.annotate`.
    """
    from matplotlib.transforms import Bbox

    renderer = _renderer(ax.figure)
    xy = shapely.get_coordinates(frame.geometry.to_numpy())
    x0, x1 = ax.get_xlim()
    y0, y1 = ax.get_ylim()
    inside = (xy[:, 0] > x0) & (xy[:, 0] < x1) & (xy[:, 1] > y0) & (xy[:, 1] < y1)
    dots = ax.transData.transform(xy[inside]) if inside.any() else np.zeros((0, 2))
    blocked = [Bbox.from_bounds(px - 5, py - 5, 10, 10) for px, py in dots]
    boxes = list(avoid)
    rows = list(frame.itertuples())
    out = []
    for i in sorted((int(i) for i in np.flatnonzero(inside)), key=lambda i: (-xy[i, 1], xy[i, 0])):
        style = {
            "fontsize": 7.5,
            "zorder": 25,
            "gid": "settlement_label",
            "color": "black",
            "bbox": {
                "boxstyle": "round,pad=0.2",
                "fc": "white",
                "ec": _country_colour(case, str(rows[i].country)),
                "lw": 0.6,
                "alpha": 0.85,
            },
            **kwargs,
        }
        label = _place_label(
            ax, _label_text(rows[i]), (float(xy[i, 0]), float(xy[i, 1])), (blocked, boxes), renderer, style
        )
        out.append(label)
        if renderer is not None:
            boxes.append(_label_box(label, renderer))
    return out


def _place_label(
    ax: Axes,
    text: str,
    xy: tuple[float, float],
    blocked: tuple[list[Bbox], list[Bbox]],
    renderer: RendererBase | None,
    style: dict[str, Any],
) -> Text:
    """The first candidate that costs nothing, else the cheapest; ``blocked`` is (dots, labels)."""
    frame = ax.get_window_extent(renderer) if renderer is not None else None
    dot = ax.transData.transform(xy)
    best: tuple[float, Text] | None = None
    for radius in _LABEL_RADII:
        for dx, dy, ha, va in _LABEL_DIRS:
            leader = {"arrowstyle": "-", "lw": 0.6, "color": "0.3"} if radius > _LABEL_RADII[0] else None
            ann = ax.annotate(
                text,
                xy=xy,
                xytext=(dx * radius, dy * radius),
                textcoords="offset points",
                ha=ha,
                va=va,
                arrowprops=leader,
                **style,
            )
            if renderer is None or frame is None:
                return ann
            box = _label_box(ann, renderer)
            cost = _overlap_cost(box.padded(_LABEL_GAP_PX), [*blocked[0], *blocked[1]], frame)
            if leader is not None:
                cost += _crossing_cost(dot, box, blocked[1])
            if best is not None and cost >= best[0]:
                ann.remove()
                continue
            if best is not None:
                best[1].remove()
            best = (cost, ann)
            if cost == 0:
                return ann
    assert best is not None
    return best[1]


def _crossing_cost(dot: np.ndarray, box: Bbox, labels: Sequence[Bbox]) -> float:
    """A leader line from the dot to the label's centre that crosses another label costs that label's area."""
    leader = shapely.LineString([tuple(dot), (box.x0 + box.width / 2, box.y0 + box.height / 2)])
    return sum(b.width * b.height for b in labels if leader.intersects(shapely.box(b.x0, b.y0, b.x1, b.y1)))


def _label_box(label: Text, renderer: RendererBase) -> Bbox:
    """The label's text with its rounded box (pad 0.2 of the font size), without the leader line."""
    from matplotlib.text import Annotation, Text

    if isinstance(label, Annotation):
        # Place the text at its offset from the point, as drawing would.
        label.update_positions(renderer)
    pad_px = float(renderer.points_to_pixels(0.2 * label.get_fontsize()))  # type: ignore[operator, arg-type]
    return Text.get_window_extent(label, renderer).padded(pad_px)


def _overlap_cost(box: Bbox, blocked: Sequence[Bbox], frame: Bbox) -> float:
    cost = sum(_overlap_area(box, b) for b in blocked)
    return cost + box.width * box.height - _overlap_area(box, frame)


def _overlap_area(a: Bbox, b: Bbox) -> float:
    w = min(a.x1, b.x1) - max(a.x0, b.x0)
    h = min(a.y1, b.y1) - max(a.y0, b.y0)
    return float(w * h) if w > 0 and h > 0 else 0.0


# ---------------------------------------------------------------------- furniture
def _scale_divisions(max_m: float) -> tuple[float, float, int]:
    """The longest 1, 2 or 5 × 10^k m not over ``max_m``, its tick step, and every how many ticks a label goes.

    Examples
    --------
    >>> _scale_divisions(2600.0), _scale_divisions(740.0), _scale_divisions(1999.0)
    ((2000.0, 500.0, 2), (500.0, 100.0, 1), (1000.0, 250.0, 2))
    """
    k = math.floor(math.log10(max_m))
    lead = max(d for d in (1, 2, 5) if d * 10.0**k <= max_m)
    length_m = lead * 10.0**k
    return (length_m, length_m / 5, 1) if lead == 5 else (length_m, length_m / 4, 2)


def _scale_label(value_m: float, length_m: float, *, last: bool) -> str:
    km = length_m >= 1000
    number = f"{value_m / 1000:g}" if km else f"{value_m:g}"
    return f"{number} {'km' if km else 'm'}" if last else number


def add_scale_bar(
    ax: Axes, crs: CRS, *, at: tuple[float, float] = (1.09, 0.4), max_fraction: float = 0.2, **kwargs: Any
) -> list[Artist]:
    """A level scale bar, geodesically true, labelled at its ticks (``0  1  2 km``).

    Its length is the longest 1, 2 or 5 × 10^k m under ``max_fraction`` of the view's
    ground width; ground metres per map metre come from a geodesic across the middle of
    the view. ``at`` is its left end in axes fraction (beyond 1 is right of the frame).
    ``**kwargs`` go to the labels (:meth:`~matplotlib.axes.Axes.annotate`).
    """
    x0, x1 = ax.get_xlim()
    y0, y1 = ax.get_ylim()
    to_ll = Transformer.from_crs(crs, "EPSG:4326", always_xy=True)
    lon0, lat0 = to_ll.transform(x0, (y0 + y1) / 2)
    lon1, lat1 = to_ll.transform(x1, (y0 + y1) / 2)
    metres_per_unit = GEOD.inv(lon0, lat0, lon1, lat1)[2] / (x1 - x0)
    length_m, step_m, every = _scale_divisions(max_fraction * (x1 - x0) * metres_per_unit)
    n = round(length_m / step_m)
    sx, sy = x0 + at[0] * (x1 - x0), y0 + at[1] * (y1 - y0)
    xs = [sx + i * step_m / metres_per_unit for i in range(n + 1)]
    kw: dict[str, Any] = {"solid_capstyle": "butt", "zorder": 20, "gid": "scale_bar", "clip_on": False}
    out: list[Artist] = [*ax.plot([xs[0], xs[-1]], [sy, sy], color="black", lw=5, **kw)]
    for i in range(0, n, 2):
        out += ax.plot([xs[i], xs[i + 1]], [sy, sy], color="white", lw=3, **kw)
    style = {"fontsize": 7, "ha": "center", "va": "top", "zorder": 20, "gid": "scale_bar", **kwargs}
    for i in [i for i in range(n + 1) if i % every == 0 or i == n]:
        out.append(
            ax.annotate(
                _scale_label(i * step_m, length_m, last=i == n),
                xy=(xs[i], sy),
                xytext=(0, -5),
                textcoords="offset points",
                annotation_clip=False,
                **style,
            )
        )
    return out


def add_north_arrow(
    ax: Axes, crs: CRS, *, at: tuple[float, float] = (1.04, 0.4), length: float = 0.07, **kwargs: Any
) -> list[Text]:
    """An arrow to true north at the centre of the view, ``length`` (axes fraction) long, with an "N".

    ``at`` is its foot in axes fraction; ``**kwargs`` go to the arrow's ``arrowprops``.
    """
    x0, x1 = ax.get_xlim()
    y0, y1 = ax.get_ylim()
    to_ll = Transformer.from_crs(crs, "EPSG:4326", always_xy=True)
    to_xy = Transformer.from_crs("EPSG:4326", crs, always_xy=True)
    cx, cy = (x0 + x1) / 2, (y0 + y1) / 2
    lon, lat = to_ll.transform(cx, cy)
    nx, ny = to_xy.transform(lon, lat + 0.01)
    d = np.array([nx - cx, ny - cy])
    d = d / np.hypot(*d) * length * (y1 - y0)
    bx, by = x0 + at[0] * (x1 - x0), y0 + at[1] * (y1 - y0)
    tip = (bx + d[0], by + d[1])
    props = {"arrowstyle": "-|>,head_width=0.35,head_length=0.7", "lw": 2, "color": "black", **kwargs}
    arrow = ax.annotate(
        "", xy=tip, xytext=(bx, by), zorder=20, gid="north_arrow", annotation_clip=False, arrowprops=props
    )
    letter = ax.text(
        tip[0] + 0.08 * d[0],
        tip[1] + 0.08 * d[1],
        "N",
        ha="center",
        va="bottom",
        fontsize=10,
        fontweight="bold",
        zorder=20,
        gid="north_arrow",
    )
    return [arrow, letter]


def add_legend(ax: Axes, handles: Sequence[Artist], **kwargs: Any) -> Legend:
    """The legend, right of the frame at the top; ``**kwargs`` go to :meth:`~matplotlib.axes.Axes.legend`."""
    style = {
        "loc": "upper left",
        "bbox_to_anchor": (_PANEL_X, 1.0),
        "fontsize": 8,
        "frameon": False,
        "title": "Legend",
        "title_fontsize": 9,
        "alignment": "left",
        "scatterpoints": 1,
        **kwargs,
    }
    legend = ax.legend(handles=list(handles), **style)
    legend.set_gid("legend")
    return legend


def add_inset(
    ax: Axes,
    case: Case,
    crs: CRS,
    *,
    bounds: tuple[float, float, float, float] = (_PANEL_X, 0.0, _PANEL_W, 0.34),
    **kwargs: Any,
) -> Axes | None:
    """A locator of the two countries (from a ``context`` layer) with the view's box; ``None`` without one.

    ``bounds`` (x, y, width, height) in axes fraction; ``**kwargs`` go to
    :meth:`~matplotlib.axes.Axes.inset_axes`.
    """
    from matplotlib.patches import Rectangle

    countries = _country_features(case, crs)
    if not countries:
        return None
    iax = ax.inset_axes(bounds, **kwargs)
    iax.set_gid("inset")
    for code, geom in countries.items():
        colour = _country_colour(case, code)
        plot_polygons(iax, [geom], facecolor=_rgba(colour, 0.35), edgecolor=colour, lw=0.5)
        p = geom.representative_point()
        iax.text(p.x, p.y, case.country(code).name, fontsize=6.5, ha="center", va="center", color="0.15")
    x0, x1 = ax.get_xlim()
    y0, y1 = ax.get_ylim()
    iax.add_patch(Rectangle((x0, y0), x1 - x0, y1 - y0, fill=False, ec="black", lw=1.2, zorder=5))
    ix0, iy0, ix1, iy1 = shapely.union_all(list(countries.values())).bounds
    iax.set_xlim(ix0, ix1)
    iax.set_ylim(iy0, iy1)
    iax.set_aspect("equal")
    iax.set_anchor("NW")
    iax.set_xticks([])
    iax.set_yticks([])
    iax.set_facecolor("white")
    for s in iax.spines.values():
        s.set_linewidth(0.6)
    return iax


def _add_panel(ax: Axes, case: Case, crs: CRS, legend: Legend, *, inset: bool) -> None:
    """North arrow and scale bar under the legend, the inset under them: a column right of the frame."""
    renderer = _renderer(ax.figure)
    top = 0.5
    if renderer is not None:
        bottom = legend.get_window_extent(renderer).y0
        top = float(ax.transAxes.inverted().transform((0.0, bottom))[1]) - 0.03
    add_north_arrow(ax, crs, at=(_PANEL_X + 0.025, top - 0.125))
    add_scale_bar(ax, crs, at=(_PANEL_X + 0.07, top - 0.085))
    if inset:
        add_inset(ax, case, crs, bounds=(_PANEL_X, top - 0.17 - 0.34, _PANEL_W, 0.34))


def _attribution(shown: Sequence[Layer], crs: CRS) -> str:
    """Sources and licences, once per source and licence; the OpenStreetMap credit once, at the end.

    Examples
    --------
    >>> from dataclasses import replace
    >>> from borderkit import load_case
    >>> case = load_case("tavush-2024")
    >>> old = case.layer("old_line")
    >>> twin = replace(old, name="twin")
    >>> text = _attribution([old, twin], map_crs(case))
    >>> text.count("timezonefinder==6.2.0"), text.count("OpenStreetMap contributors")
    (1, 1)
    >>> text[:23]
    'Sources: osm_2023b, twi'
    """
    groups: dict[tuple[str, str], list[str]] = {}
    for lay in shown:
        licence = _OSM_CREDIT.sub("", lay.licence).strip(" ,;")
        groups.setdefault((lay.source, licence), []).append(lay.name)
    parts = [
        f"{', '.join(names)}: {', '.join(b for b in key if b)}" if any(key) else ", ".join(names)
        for key, names in groups.items()
    ]
    text = "Sources: " + "; ".join(parts) + "."
    if any("openstreetmap" in f"{lay.source} {lay.licence}".lower() for lay in shown):
        text += f" Map data {_OSM}."
    return text + (f" Map: {crs.name} ({crs.to_string()}); lengths and areas geodesic on WGS 84. Made with borderkit.")


def add_attribution(ax: Axes, attribution: str, *, notice: str | None = None, **kwargs: Any) -> list[Text]:
    """The notice (red, bold) and the attribution under the frame, each wrapped to the frame's width.

    ``**kwargs`` go to the attribution's :meth:`~matplotlib.axes.Axes.annotate`.
    """
    renderer = _renderer(ax.figure)
    out = []
    anchor: Any = ax.transAxes
    xy = (0.0, -0.015)
    if notice:
        said = ax.text(
            *xy,
            notice,
            transform=ax.transAxes,
            ha="left",
            va="top",
            fontsize=7.5,
            color="#b42318",
            fontweight="bold",
            gid="notice",
            parse_math=False,
        )
        _wrap_to_frame(ax, said, notice, renderer)
        out.append(said)
        # Under the notice, whatever its height.
        anchor, xy = said, (0.0, 0.0)
    style = {
        "ha": "left",
        "va": "top",
        "fontsize": 6,
        "color": "0.25",
        "gid": "attribution",
        "parse_math": False,
        **kwargs,
    }
    credit = ax.annotate(attribution, xy=xy, xycoords=anchor, xytext=(0, -3), textcoords="offset points", **style)
    _wrap_to_frame(ax, credit, attribution, renderer)
    return [*out, credit]


def _wrap_to_frame(ax: Axes, text: Text, content: str, renderer: RendererBase | None) -> None:
    """Break ``content`` at spaces into lines as wide as the frame, measured in pixels (greedy).

    A line's width is the sum of its words' and spaces' widths, each word measured once
    (measuring whole lines again and again costs seconds with the fallback fonts); 2 % is
    kept spare for kerning.
    """
    if renderer is None:
        text.set_text(textwrap.fill(content, 150, break_on_hyphens=False))
        return
    limit = 0.98 * ax.get_window_extent(renderer).width
    prop = text.get_fontproperties()

    def width(s: str) -> float:
        return float(renderer.get_text_width_height_descent(s, prop, ismath=False)[0])

    words = content.split()
    sizes = {w: width(w) for w in sorted(set(words))}
    space = width("x x") - 2 * width("x")
    lines: list[list[str]] = [[]]
    used = 0.0
    for word in words:
        extra = sizes[word] + (space if lines[-1] else 0.0)
        if lines[-1] and used + extra > limit:
            lines.append([])
            used, extra = 0.0, sizes[word]
        lines[-1].append(word)
        used += extra
    text.set_text("\n".join(" ".join(line) for line in lines))


# ---------------------------------------------------------------------- the map
def plot(
    report: Report | Case | str | os.PathLike[str],
    *,
    ax: Axes | None = None,
    pair: str | None = None,
    inset: bool = True,
    sheets: int | None = None,
) -> Axes:
    """Draw a map of a report: the overview, or the detail of one settlement pair.

    Parameters
    ----------
    report : Report, Case, str or path
        What :func:`borderkit.analyse` returned (a case is analysed once).
    ax : matplotlib Axes, optional
        Draw into these axes (their data coordinates become UTM metres); by default a
        new figure is made with :func:`matplotlib.pyplot.subplots`. Legend, north arrow,
        scale bar and inset stand right of the axes, notices and sources under them.
    pair : str, optional
        A pair id: zoom to that pair's settlements, stretch and handed-over faces.
    inset : bool
        Draw the locator inset of the two countries (needs a ``context`` layer holding
        the countries).
    sheets : int, optional
        Also draw the frames of the 1976 General Staff sheets at this scale (e.g. 50000)
        that the case touches, with their names (:func:`borderkit._sheets.sheets_frame`).

    Returns
    -------
    matplotlib.axes.Axes

    Raises
    ------
    CaseError
        ``pair`` is not a pair of the case.

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> import borderkit
    >>> ax = plot(borderkit.analyse("tavush-2024", draws=0), pair="kirants")
    >>> [t.get_text().replace(chr(10), " ") for t in ax.get_legend().get_texts()][1]
    'New line, alternative rendering: OSM 2025a, 2025-01-20'
    >>> [t.get_text().replace(chr(10), " ") for t in ax.texts if t.get_gid() == "notice"]
    ['The new line is a proxy: this case has no turning points; faces between the lines include mapping
      differences, not only handovers.']
    >>> sorted(t.get_text() for t in ax.texts if t.get_gid() == "country_name")
    ['ARMENIA', 'AZERBAIJAN']
    >>> import matplotlib.pyplot as plt; plt.close(ax.figure)
    """
    import matplotlib

    report = as_report(report)
    the_pair = _find_pair(report.case, pair)
    families = font_families()
    with matplotlib.rc_context({"font.family": families}):
        if ax is None:
            import matplotlib.pyplot as plt

            _, ax = plt.subplots(figsize=_FIGSIZE)
        view = _view(report, the_pair)
        handles, shown = _plot_data(ax, view)
        if sheets is not None:
            handles.append(plot_sheets(ax, view.case, view.crs, sheets))
        _frame(ax, view.box)
        names = add_country_names(ax, _territories(view), view.case)
        renderer = _renderer(ax.figure)
        if "settlements" in view.layers:
            avoid = [t.get_window_extent(renderer) for t in names] if renderer is not None else []
            plot_settlement_labels(ax, view.layers["settlements"], view.case, avoid=avoid)
        legend = add_legend(ax, handles)
        ax.set_title(_title(report, the_pair), fontsize=11, loc="left", family=families)
        add_attribution(
            ax, _attribution(_unique(shown), view.crs), notice=" ".join(notices(view.case, report.measurements)) or None
        )
        _add_panel(ax, view.case, view.crs, legend, inset=inset)
    return ax


def plot_sheets(ax: Axes, case: Case, crs: CRS, scale: int, **kwargs: Any) -> Any:
    """Frames of the General Staff sheets at ``scale`` the case touches, named; returns a legend handle."""
    from matplotlib.lines import Line2D

    from borderkit._sheets import sheets_frame

    frame = sheets_frame(case, scale).to_crs(crs)
    style = {"color": "#1f4e79", "lw": 1.0, "ls": (0, (8, 3, 2, 3)), "zorder": 5.5, **kwargs}
    plot_lines(ax, list(frame.geometry.boundary), **style)
    x0, x1 = ax.get_xlim()
    y0, y1 = ax.get_ylim()
    view = shapely.box(x0, y0, x1, y1)
    for r in frame.itertuples():
        seen = shapely.intersection(r.geometry, view)
        if seen.is_empty:
            continue
        # The name in the north-west corner of the part of the sheet in view.
        bx0, _, _, by1 = seen.bounds
        ax.text(
            bx0,
            by1,
            f" {r.name}",
            ha="left",
            va="top",
            fontsize=7.5,
            color=style["color"],
            gid="sheet_name",
            zorder=5.6,
            clip_on=True,
        )
    return Line2D([], [], color=style["color"], lw=style["lw"], ls=style["ls"],
                  label=f"1976 General Staff sheets, 1:{scale:,}")  # fmt: skip


def _unique(layers: list[Layer]) -> list[Layer]:
    seen: dict[str, Layer] = {}
    for lay in layers:
        seen.setdefault(lay.name, lay)
    return list(seen.values())


def _find_pair(case: Case, pair: str | None) -> Pair | None:
    if pair is None:
        return None
    for p in case.pairs:
        if p.id == pair:
            return p
    msg = f"case {case.id!r}: no pair {pair!r}. Pairs: {', '.join(p.id for p in case.pairs) or 'none'}."
    raise CaseError(msg)


def _case_title(case: Case) -> str:
    """The case's title, marked SYNTHETIC when the case is made up (unless the title says so)."""
    if case.synthetic and "SYNTHETIC" not in case.title:
        return f"SYNTHETIC: {case.title}"
    return case.title


def _title(report: Report, pair: Pair | None) -> str:
    """The map's title, lines wrapped at 110 characters; a detail map's figures are its row of ``per_pair()``."""
    case = report.case
    if pair is None:
        return textwrap.fill(_case_title(case), 110)
    bits = [f"{pair.label}" + (f" (section {pair.section})" if pair.section is not None else "")]
    table = report.per_pair().set_index("pair") if len(report.per_pair()) else None
    if table is not None and pair.id in table.index:
        to = {c.code: went_to(case, report.measurements, c.code) for c in case.countries}
        bits += _pair_figures(case, table, pair, to)
    known = set(report.measurements.settlements.loc[report.measurements.settlements["has_coordinate"], "name"])
    missing = [name for name in pair.settlements.values() if name not in known]
    if missing:
        bits.append(f"no published coordinate: {', '.join(missing)}")
    head = f"{case.id}: pair {pair.id}" + (" (SYNTHETIC)" if case.synthetic else "")
    return f"{head}\n" + textwrap.fill("; ".join(bits), 110, break_on_hyphens=False)


def _pair_figures(case: Case, table: Any, pair: Pair, to: dict[str, str]) -> list[str]:
    """The stretch and areas of ``pair``'s row of ``report.per_pair()``, and of the groups it is in.

    ``to`` says where each country's areas went (:func:`borderkit._present.went_to`): "now
    on <country>'s side" for a proxy new line, as the legend says.
    """
    row = table.loc[pair.id]
    bits = [f"measured stretch {row['length_m'] / 1000:.2f} km"] if row.get("length_m") else []
    bits += [
        f"{_area_text(float(area))} {to[c.code]}" for c in case.countries if (area := row.get(f"area_to_{c.code}_m2"))
    ]
    # Faces holding settlements of several pairs are theirs together, not this pair's.
    for group in (g for g in table.index if "+" in g and pair.id in g.split("+")):
        others = " and ".join(p for p in group.split("+") if p != pair.id)
        bits += [
            f"with {others}: {_area_text(float(area))} {to[c.code]}"
            for c in case.countries
            if (area := table.loc[group].get(f"area_to_{c.code}_m2"))
        ]
    return bits


def _area_text(area_m2: float) -> str:
    """``"2.04 km²"``, or hectares below 0.1 km² so that small faces do not print as 0.

    Examples
    --------
    >>> _area_text(2_041_016.0), _area_text(920.0)
    ('2.04 km²', '0.09 ha')
    """
    return f"{area_m2 / 1e6:.2f} km²" if area_m2 >= 1e5 else f"{area_m2 / 1e4:.2f} ha"


# ---------------------------------------------------------------------- files
def _figure(report: Report, *, pair: str | None, dpi: float, sheets: int | None = None) -> Figure:
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(figsize=_FIGSIZE, dpi=dpi)
    FigureCanvasAgg(fig)
    ax = fig.add_axes((0.02, 0.1, 0.72, 0.8))
    plot(report, ax=ax, pair=pair, sheets=sheets)
    return fig


def _save_figure(fig: Figure, target: Any, fmt: str, dpi: float) -> None:
    import matplotlib

    # No dates or software versions in the files: the same map gives the same bytes. SVG
    # keeps text as <text> (editable labels); the salt makes its ids the same every time.
    metadata: dict[str, Any] = {
        "png": {"Software": None},
        "svg": {"Date": None},
        "pdf": {"CreationDate": None, "ModDate": None, "Producer": None},
    }[fmt]
    with matplotlib.rc_context({"svg.hashsalt": "borderkit", "svg.fonttype": "none"}):
        fig.savefig(target, format=fmt, dpi=dpi, bbox_inches="tight", pad_inches=0.15, metadata=metadata)


def render_map(
    report: Report | Case | str | os.PathLike[str], *, fmt: str = "png", pair: str | None = None, dpi: float = 150
) -> bytes:
    """The map as bytes (``"png"``, ``"svg"`` or ``"pdf"``), e.g. to embed in a report."""
    fig = _figure(as_report(report), pair=pair, dpi=dpi)
    buf = io.BytesIO()
    _save_figure(fig, buf, fmt, dpi)
    return buf.getvalue()


def save_map(
    report: Report | Case | str | os.PathLike[str],
    path: str | os.PathLike[str],
    *,
    overwrite: bool = False,
    pair: str | None = None,
    dpi: float = 150,
    sheets: int | None = None,
) -> Path:
    """Write the overview map (or one pair's detail map) as PNG, SVG or PDF.

    Parameters
    ----------
    report : Report, Case, str or path
        What :func:`borderkit.analyse` returned (a case is analysed once).
    path : str or path
        ``.png``, ``.svg`` or ``.pdf``; the format follows the suffix.
    overwrite : bool
        Replace an existing file.
    pair : str, optional
        A pair id for a detail map.
    dpi : float
        Resolution of PNG output (150 gives a map about 1600 px wide).
    sheets : int, optional
        Draw the 1976 General Staff sheet frames at this scale (see :func:`plot`).

    Returns
    -------
    Path

    Raises
    ------
    ExportError
        Bad suffix, existing file without ``overwrite``, or missing folder.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> import borderkit
    >>> report = borderkit.analyse("tavush-2024", draws=0)
    >>> out = save_map(report, pathlib.Path(tempfile.mkdtemp()) / "map.svg")
    >>> out.read_text()[:5]
    '<?xml'
    """
    out = Path(check_path("path", path))
    fmt = _map_format(out)
    dpi = check_positive("dpi", dpi)
    inputs = case_of(report).inputs
    check_writable(out, overwrite=overwrite, inputs=inputs)
    fig = _figure(as_report(report), pair=pair, dpi=dpi, sheets=sheets)
    with atomic_output(out, overwrite=overwrite, inputs=inputs) as tmp:
        _save_figure(fig, tmp, fmt[1:], dpi)
    return out


def _map_format(out: Path) -> str:
    fmt = out.suffix.lower()
    if fmt not in MAP_FORMATS:
        msg = (
            f"{out}: cannot draw a map as {out.suffix or '(no suffix)'!r}. Allowed suffixes: {', '.join(MAP_FORMATS)}."
        )
        raise ExportError(msg)
    return fmt


def save_maps(
    report: Report | Case | str | os.PathLike[str],
    folder: str | os.PathLike[str],
    *,
    suffix: str = ".png",
    overwrite: bool = False,
    dpi: float = 150,
) -> list[Path]:
    """Write the overview (``<case>_overview<suffix>``) and one map per pair (``<case>_<pair>``).

    All or nothing: every target is checked before anything is drawn, so an existing file
    (without ``overwrite``) stops the whole run with nothing written; the folder is made if
    missing; every map is drawn in memory first, so a drawing error writes nothing either;
    then each file is written under a temporary name and renamed.

    Returns
    -------
    list of Path
        The paths written, overview first.

    Raises
    ------
    ExportError
        Bad suffix, ``folder`` is a file, or a target exists and ``overwrite`` is false
        (the message names the first one).
    """
    if not isinstance(suffix, str):
        msg = f"suffix={suffix!r}: give the map format as text, one of {', '.join(MAP_FORMATS)}"
        raise ParameterError(msg)
    suffix = suffix if suffix.startswith(".") else f".{suffix}"
    folder = Path(check_path("folder", folder))
    dpi = check_positive("dpi", dpi)
    case = case_of(report)
    targets: list[tuple[Path, str | None]] = [(folder / f"{case.id}_overview{suffix}", None)]
    targets += [(folder / f"{case.id}_{p.id}{suffix}", p.id) for p in case.pairs]
    _map_format(targets[0][0])
    if folder.exists() and not folder.is_dir():
        msg = f"{folder}: not a folder. Give a folder for the maps, or remove the file."
        raise ExportError(msg)
    for target, _ in targets:
        if target.exists() and not overwrite:
            msg = (
                f"{target}: already exists; nothing was written. To replace the maps, pass "
                "overwrite=True / --overwrite, or choose another folder."
            )
            raise ExportError(msg)
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as err:
        msg = f"{folder}: cannot create the folder ({err.strerror}). Choose a folder you can write to."
        raise ExportError(msg) from err
    for target, _ in targets:
        check_writable(target, overwrite=overwrite, inputs=case.inputs)
    fmt = targets[0][0].suffix.lower()[1:]
    report = as_report(report if isinstance(report, Report) else case)
    drawn = [render_map(report, fmt=fmt, pair=pair, dpi=dpi) for _, pair in targets]
    # One writer for all: every map is on disk under its temporary name before the first is published.
    with atomic_outputs([t for t, _ in targets], overwrite=overwrite, inputs=case.inputs) as tmps:
        for tmp, data in zip(tmps, drawn, strict=True):
            tmp.write_bytes(data)
    return [target for target, _ in targets]
