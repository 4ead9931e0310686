"""Static maps of a case with matplotlib: an overview and one detail map per settlement pair.

Maps are drawn in the case's local UTM zone (WGS 84 / UTM, :func:`borderkit.geodesy.
local_projected_crs` at the centre of the case), with equal x and y scales, so shapes and
distances look as they are on the ground (UTM's scale error is under 0.1 % within the
zone). The scale bar is measured geodesically: it is drawn level, and its map length is
the stated number of kilometres divided by the ground distance per map metre at its
latitude (a geodesic across the map), so it is true on the ellipsoid. The north arrow points to true north
(it differs from grid north by the meridian convergence).

A map shows the new line, its alternative rendering and the old line, the faces handed
over by direction (colour and hatch of the receiving country), the measured stretch, the
case's extent, the settlements labelled with their pair, a locator inset of the two
countries (from a ``context`` layer), scale bar, north arrow, legend, title and the
sources and licences of every layer drawn. A case with impact layers also shows its
roads, plots, buildings (those counted in handed-over land apart from those touching it
but not counted) and named features, and where roads cross the new line.

A map says what its new line is. Without turning points it is a proxy: the legend calls it
"New line: proxy (<source>, <date>) — turning points not in this case", the faces between
the lines "Now on <country>'s side (old line → new line)" (they include mapping
differences, not only handovers), and a footer line under the map says so
(:data:`borderkit.export.PROXY_NOTICE`). With turning points the legend reads "New line
(turning points)" and "Handed over to <country>". A synthetic case says SYNTHETIC in the
title and the footer.

matplotlib is imported only when a map is drawn.
"""

from __future__ import annotations

import io
import os
import textwrap
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import geopandas as gpd
import numpy as np
import shapely
from pyproj import CRS, Transformer

from borderkit._api import as_report, case_of
from borderkit._io import atomic_output, check_writable
from borderkit._layers import export_layers
from borderkit._present import faces_label, new_line_label, notices
from borderkit._report import Report
from borderkit.case import Case, Layer, Pair
from borderkit.errors import CaseError, ExportError, GeometryError
from borderkit.geodesy import GEOD, local_projected_crs

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

__all__ = ["COUNTRY_COLOURS", "MAP_FORMATS", "map_crs", "plot", "render_map", "save_map", "save_maps"]

#: Suffixes :func:`save_map` writes.
MAP_FORMATS = (".png", ".svg", ".pdf")

#: Colours of the first and second country of a case (ColorBrewer Dark2, colour-blind safe).
COUNTRY_COLOURS = ("#d95f02", "#1b9e77")
_HATCHES = ("////", "\\\\\\\\")
_OSM = "© OpenStreetMap contributors"
_NICE_KM = (0.05, 0.1, 0.2, 0.25, 0.5, 1, 2, 2.5, 5, 10, 20, 25, 50, 100, 200, 500)
#: Figure size in inches; at the default 150 dpi the overview is about 1600 px wide.
_FIGSIZE = (10.7, 7.6)


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


def _view_bounds(case: Case, layers: dict[str, gpd.GeoDataFrame],
                 pair: Pair | None) -> tuple[float, float, float, float]:
    geoms = []
    if pair is None:
        if "extent" in layers:
            geoms += list(layers["extent"].geometry)
        else:
            for name in ("sections", "settlements", "handed_over"):
                if name in layers:
                    geoms += list(layers[name].geometry)
        pad, min_m = 0.06, 1000.0
    else:
        for name in ("sections", "settlements"):
            if name in layers:
                f = layers[name]
                geoms += list(f.loc[f["pair"] == pair.id].geometry)
        if "handed_over" in layers:
            f = layers["handed_over"]
            geoms += [g for g, p in zip(f.geometry, f["pair"], strict=True) if pair.id in str(p).split(",")]
        pad, min_m = 0.15, 2500.0
    geoms = [g for g in geoms if g is not None and not g.is_empty]
    if not geoms:
        geoms = [g for f in layers.values() for g in f.geometry if g is not None and not g.is_empty]
    x0, y0, x1, y1 = shapely.union_all(geoms).bounds
    w, h = max(x1 - x0, min_m), max(y1 - y0, min_m)
    cx, cy = (x0 + x1) / 2, (y0 + y1) / 2
    w, h = w * (1 + 2 * pad), h * (1 + 2 * pad)
    # Keep the map a landscape rectangle close to the figure's shape.
    aspect = 1.25
    if w / h < aspect:
        w = h * aspect
    else:
        h = w / aspect
    return cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2


# ---------------------------------------------------------------------- pieces
def _nice_km(width_m: float) -> float:
    target = width_m / 5.0 / 1000.0
    return max([k for k in _NICE_KM if k <= target] or [_NICE_KM[0]])


def _scale_bar(ax: Axes, to_ll: Transformer) -> None:
    x0, x1 = ax.get_xlim()
    y0, y1 = ax.get_ylim()
    km = _nice_km(x1 - x0)
    sx, sy = x0 + 0.04 * (x1 - x0), y0 + 0.05 * (y1 - y0)
    # Metres on the ellipsoid per map unit along the bar, from a geodesic over the view's
    # width: the bar is drawn level and its length is true on the ground.
    lon0, lat0 = to_ll.transform(sx, sy)
    lon1, lat1 = to_ll.transform(x1, sy)
    _, _, ground_m = GEOD.inv(lon0, lat0, lon1, lat1)
    metres_per_unit = ground_m / (x1 - sx)
    ex, ey = sx + km * 1000.0 / metres_per_unit, sy
    mx, my = (sx + ex) / 2, (sy + ey) / 2
    kw: dict[str, Any] = {"solid_capstyle": "butt", "zorder": 20, "gid": "scale_bar"}
    ax.plot([sx, ex], [sy, ey], color="black", lw=5, **kw)
    ax.plot([sx, mx], [sy, my], color="white", lw=3, **kw)
    label = f"{km:g} km" if km >= 1 else f"{km * 1000:g} m"
    ax.text(mx, sy + 0.012 * (y1 - y0), label, ha="center", va="bottom", fontsize=8, zorder=20,
            gid="scale_bar", bbox={"boxstyle": "round,pad=0.15", "fc": "white", "ec": "none", "alpha": 0.7})


def _north_arrow(ax: Axes, to_ll: Transformer, to_xy: Transformer) -> None:
    x0, x1 = ax.get_xlim()
    y0, y1 = ax.get_ylim()
    bx, by = x0 + 0.05 * (x1 - x0), y1 - 0.17 * (y1 - y0)
    lon, lat = to_ll.transform(bx, by)
    nx, ny = to_xy.transform(lon, lat + 0.01)
    d = np.array([nx - bx, ny - by])
    d = d / np.hypot(*d) * 0.09 * (y1 - y0)
    tip = (bx + d[0], by + d[1])
    ax.annotate("", xy=tip, xytext=(bx, by), zorder=20, gid="north_arrow",
                arrowprops={"arrowstyle": "-|>,head_width=0.35,head_length=0.7", "lw": 2, "color": "black"})
    ax.text(tip[0] + 0.1 * d[0], tip[1] + 0.1 * d[1], "N", ha="center", va="bottom", fontsize=11,
            fontweight="bold", zorder=20, gid="north_arrow")


def _label_text(row: Any) -> str:
    pair = str(row.pair or "")
    return f"{row.name}\n[{pair}]" if pair else str(row.name)


def _place_labels(ax: Axes, xy: np.ndarray, texts: Sequence[str], colours: Sequence[str]) -> None:
    """Put each label at the first of a fixed ring of offsets where it overlaps nothing.

    Deterministic: labels are placed north to south, candidates tried in a fixed order
    (right, left, above, below, diagonals; then further out with a leader line).
    Falls back to the least-overlapping candidate.
    """
    fig = ax.figure
    renderer = fig.canvas.get_renderer() if hasattr(fig.canvas, "get_renderer") else None
    x0, x1 = ax.get_xlim()
    y0, y1 = ax.get_ylim()
    inside = (xy[:, 0] > x0) & (xy[:, 0] < x1) & (xy[:, 1] > y0) & (xy[:, 1] < y1)
    pts_disp = ax.transData.transform(xy) if len(xy) else np.zeros((0, 2))
    from matplotlib.transforms import Bbox

    blocked = [Bbox.from_bounds(px - 5, py - 5, 10, 10) for (px, py), ok in zip(pts_disp, inside, strict=True) if ok]
    ax_box = ax.get_window_extent(renderer) if renderer is not None else None
    for art in ax.texts:  # scale bar, north arrow
        if renderer is not None and art.get_gid() in ("scale_bar", "north_arrow"):
            blocked.append(art.get_window_extent(renderer))
    dirs = [(1, 0, "left", "center"), (-1, 0, "right", "center"), (0, 1, "center", "bottom"),
            (0, -1, "center", "top"), (1, 1, "left", "bottom"), (-1, 1, "right", "bottom"),
            (1, -1, "left", "top"), (-1, -1, "right", "top")]
    order = sorted((int(i) for i in np.flatnonzero(inside)), key=lambda i: (-xy[i, 1], xy[i, 0]))
    for i in order:
        best: tuple[float, Any] | None = None
        for radius in (7, 18, 32, 48):
            for dx, dy, ha, va in dirs:
                off = (dx * radius, dy * radius)
                arrow = {"arrowstyle": "-", "lw": 0.6, "color": "0.3"} if radius > 7 else None
                ann = ax.annotate(texts[i], xy=tuple(xy[i]), xytext=off, textcoords="offset points",
                                  ha=ha, va=va, fontsize=7.5, zorder=25, gid="settlement_label",
                                  color="black", arrowprops=arrow,
                                  bbox={"boxstyle": "round,pad=0.2", "fc": "white", "ec": colours[i],
                                        "lw": 0.6, "alpha": 0.85})
                if renderer is None:
                    best = (0.0, ann)
                    break
                bb = ann.get_window_extent(renderer).expanded(1.05, 1.1)
                overlap = sum(_overlap_area(bb, b) for b in blocked)
                if ax_box is not None:
                    overlap += bb.width * bb.height - _overlap_area(bb, ax_box)
                if best is None or overlap < best[0]:
                    if best is not None:
                        best[1].remove()
                    best = (overlap, ann)
                else:
                    ann.remove()
                if overlap == 0:
                    break
            if best is not None and best[0] == 0:
                break
        if best is not None and renderer is not None:
            blocked.append(best[1].get_window_extent(renderer))


def _overlap_area(a: Any, b: Any) -> float:
    w = min(a.x1, b.x1) - max(a.x0, b.x0)
    h = min(a.y1, b.y1) - max(a.y0, b.y0)
    return float(w * h) if w > 0 and h > 0 else 0.0


def _attribution(case: Case, shown: Sequence[Layer], crs: CRS) -> str:
    parts = []
    for lay in shown:
        bits = ", ".join(b for b in (lay.source, lay.licence) if b)
        parts.append(f"{lay.name}: {bits}" if bits else lay.name)
    text = "Sources: " + "; ".join(parts) + "."
    if any("openstreetmap" in f"{lay.source} {lay.licence}".lower() for lay in shown):
        text += f" {_OSM}."
    text += (f" Map: {crs.name} ({crs.to_string()}); lengths and areas geodesic on WGS 84. "
             f"Made with borderkit.")
    return textwrap.fill(text, 190)


def _inset(ax: Axes, case: Case, crs: CRS) -> None:
    countries = [lay for lay in case.layers_with_role("context")
                 if any(_country_of_feature(case, r) for r in lay.frame.itertuples())]
    if not countries:
        return
    from matplotlib.patches import Rectangle

    # Outside the map, under the legend, so that it hides no data.
    iax = ax.inset_axes((1.02, 0.0, 0.3, 0.34))
    iax.set_gid("inset")
    frame = countries[0].frame.to_crs(crs)
    for row in frame.itertuples():
        code = _country_of_feature(case, row)
        colour = _country_colour(case, code) if code else "#cccccc"
        _draw_polygons(iax, [row.geometry], facecolor=_rgba(colour, 0.35), edgecolor=colour, lw=0.5)
        if code is not None:
            p = row.geometry.representative_point()
            iax.text(p.x, p.y, case.country(code).name, fontsize=6.5, ha="center", va="center", color="0.15")
    x0, x1 = ax.get_xlim()
    y0, y1 = ax.get_ylim()
    iax.add_patch(Rectangle((x0, y0), x1 - x0, y1 - y0, fill=False, ec="black", lw=1.2, zorder=5))
    ix0, iy0, ix1, iy1 = frame.total_bounds
    iax.set_xlim(ix0, ix1)
    iax.set_ylim(iy0, iy1)
    iax.set_aspect("equal")
    iax.set_xticks([])
    iax.set_yticks([])
    iax.set_facecolor("white")
    for s in iax.spines.values():
        s.set_linewidth(0.6)


def _draw_lines(ax: Axes, geoms: Any, **kw: Any) -> None:
    from matplotlib.collections import LineCollection

    segs = [shapely.get_coordinates(part) for g in geoms if g is not None
            for part in shapely.get_parts(shapely.boundary(g) if g.geom_type.endswith("Polygon") else g)]
    if segs:
        ax.add_collection(LineCollection(segs, **kw), autolim=False)


def _draw_polygons(ax: Axes, geoms: Any, **kw: Any) -> None:
    from shapely.plotting import patch_from_polygon

    for g in geoms:
        if g is not None and not g.is_empty and g.geom_type.endswith("Polygon"):
            ax.add_patch(patch_from_polygon(g, **kw))


# ---------------------------------------------------------------------- the map
def plot(report: Report | Case | str | os.PathLike[str], *, ax: Axes | None = None, pair: str | None = None,
         inset: bool = True) -> Axes:
    """Draw a map of a report: the overview, or the detail of one settlement pair.

    Parameters
    ----------
    report : Report, Case, str or path
        What :func:`borderkit.analyse` returned (a case is analysed once).
    ax : matplotlib Axes, optional
        Draw into these axes (their data coordinates become UTM metres); by default a
        new figure is made with :func:`matplotlib.pyplot.subplots`.
    pair : str, optional
        A pair id: zoom to that pair's settlements, stretch and handed-over faces.
    inset : bool
        Draw the locator inset of the two countries (needs a ``context`` layer holding
        the countries).

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
    >>> [t.get_text().replace(chr(10), " ") for t in ax.get_legend().get_texts()][:2]
    ['New line: proxy (geoBoundaries gbOpen ARM ADM0, 2020-09-25) — turning points not in this case',
     'New line, alternative rendering, 2021-02-11']
    >>> [t.get_text() for t in ax.texts if t.get_gid() == "notice"]
    ['The new line is a proxy: this case has no turning points; faces between the lines include mapping
      differences, not only handovers.']
    >>> import matplotlib.pyplot as plt; plt.close(ax.figure)
    """
    from matplotlib.lines import Line2D
    from matplotlib.patches import Patch

    report = as_report(report)
    case, measurements = report.case, report.measurements
    the_pair = _find_pair(case, pair)
    if ax is None:
        import matplotlib.pyplot as plt

        _, ax = plt.subplots(figsize=_FIGSIZE)
    crs = map_crs(case)
    to_ll = Transformer.from_crs(crs, "EPSG:4326", always_xy=True)
    to_xy = Transformer.from_crs("EPSG:4326", crs, always_xy=True)
    exported = {lay.name: lay for lay in export_layers(report)}
    layers = {name: lay.frame.to_crs(crs) for name, lay in exported.items()}
    bx0, by0, bx1, by1 = _view_bounds(case, layers, the_pair)
    handles: list[Any] = []
    shown: list[Layer] = []

    # Context first (background), then faces, extent, lines, settlements.
    for lay in case.layers_with_role("context"):
        frame = lay.frame.to_crs(crs)
        frame = frame[frame.intersects(shapely.box(bx0, by0, bx1, by1))]
        if not len(frame):
            continue
        shown.append(lay)
        for row in frame.itertuples():
            code = _country_of_feature(case, row)
            if code is not None:
                _draw_polygons(ax, [row.geometry], facecolor=_rgba(_country_colour(case, code), 0.07),
                               edgecolor="none", zorder=1)
            else:
                _draw_polygons(ax, [row.geometry], facecolor=_rgba("0.85", 0.6), edgecolor="0.45",
                               lw=0.6, hatch="..", zorder=2)
        if not any(_country_of_feature(case, r) for r in frame.itertuples()):
            handles.append(Patch(facecolor="0.85", edgecolor="0.45", hatch="..", label=f"{lay.name} (context)"))

    if "handed_over" in layers:
        f = layers["handed_over"]
        for c in case.countries:
            sel = f[f["to_country"] == c.code]
            if not len(sel):
                continue
            colour = _country_colour(case, c.code)
            _draw_polygons(ax, sel.geometry, facecolor=_rgba(colour, 0.35), edgecolor="none", zorder=3)
            _draw_polygons(ax, sel.geometry, facecolor="none", edgecolor=colour,
                           hatch=_country_hatch(case, c.code), lw=0.8, zorder=4)
            handles.append(Patch(facecolor=_rgba(colour, 0.35), edgecolor=colour,
                                 hatch=_country_hatch(case, c.code), label=faces_label(case, measurements, c.code)))

    share = report.impact.building_share if report.impact is not None else 0.5
    _draw_impact(ax, case, layers, crs, (bx0, by0, bx1, by1), handles, shown, share)

    if "extent" in layers:
        _draw_lines(ax, layers["extent"].geometry, color="0.25", lw=0.9, ls=(0, (6, 3)), zorder=5)
        handles.append(Line2D([], [], color="0.25", lw=0.9, ls=(0, (6, 3)), label="Case extent"))

    if "sections" in layers:
        f = layers["sections"]
        if the_pair is not None:
            f = f[f["pair"] == the_pair.id]
        if len(f):
            _draw_lines(ax, f.geometry, color="#ffd92f", lw=7, alpha=0.8, zorder=6, capstyle="round")
            label = "Measured stretch" + (f" ({the_pair.id})" if the_pair is not None else "")
            handles.append(Line2D([], [], color="#ffd92f", lw=7, alpha=0.8, label=label))

    # The proxy's label names its source and date itself; a line break keeps the legend narrow.
    new_label = new_line_label(case, measurements).replace(" — ", "\n— ")
    styles: dict[str, tuple[dict[str, Any], str]] = {
        "new_line": ({"color": "#7a0177", "lw": 2.0, "ls": "-"}, new_label),
        "new_line_alt": ({"color": "#7a0177", "lw": 1.2, "ls": (0, (5, 2))}, "New line, alternative rendering"),
        "old_line": ({"color": "0.2", "lw": 1.6, "ls": (0, (1, 1.5))}, "Old line (held before)"),
        "turning_points": ({"color": "#7a0177"}, "Turning points"),
    }
    line_handles = []
    for name, (style, label) in styles.items():
        if name not in layers:
            continue
        src = case.layer(name)
        if src is not None:
            shown.append(src)
            if src.date and name != "new_line":
                label = f"{label}, {src.date}"
        if name == "turning_points":
            xy = shapely.get_coordinates(layers[name].geometry.to_numpy())
            ax.scatter(xy[:, 0], xy[:, 1], color=style["color"], marker="+", s=30, zorder=9)
            line_handles.append(Line2D([], [], color=style["color"], marker="+", ls="none", label=label))
            continue
        _draw_lines(ax, layers[name].geometry, zorder=8 if name == "new_line" else 7, **style)
        line_handles.append(Line2D([], [], label=label, **style))
    handles = line_handles + handles

    ax.set_xlim(bx0, bx1)
    ax.set_ylim(by0, by1)
    ax.set_aspect("equal", adjustable="box")
    ax.set_xticks([])
    ax.set_yticks([])

    if "settlements" in layers:
        f = layers["settlements"]
        src = case.layer("settlements")
        if src is not None:
            shown.append(src)
        xy = shapely.get_coordinates(f.geometry.to_numpy())
        colours = [_country_colour(case, str(c)) for c in f["country"]]
        ax.scatter(xy[:, 0], xy[:, 1], s=28, c=colours, edgecolors="black", linewidths=0.6, zorder=10)
        for c in case.countries:
            handles.append(Line2D([], [], marker="o", ls="none", markerfacecolor=_country_colour(case, c.code),
                                  markeredgecolor="black", label=f"Settlement in {c.name} [pair]"))
    _scale_bar(ax, to_ll)
    _north_arrow(ax, to_ll, to_xy)
    if "settlements" in layers:
        f = layers["settlements"]
        xy = shapely.get_coordinates(f.geometry.to_numpy())
        _place_labels(ax, xy, [_label_text(r) for r in f.itertuples()],
                      [_country_colour(case, str(c)) for c in f["country"]])

    ax.legend(handles=handles, loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize=8,
              frameon=False, title="Legend", title_fontsize=9, alignment="left")
    ax.set_title(_title(report, the_pair), fontsize=11, loc="left")
    attribution = _attribution(case, _unique(shown), crs)
    said = notices(case, measurements)
    if said:
        notice = ax.text(0.0, -0.015, textwrap.fill(" ".join(said), 150), transform=ax.transAxes, ha="left",
                         va="top", fontsize=7.5, color="#b42318", fontweight="bold", gid="notice")
        # Under the notice, whatever its height.
        ax.annotate(attribution, xy=(0.0, 0.0), xycoords=notice, xytext=(0, -3), textcoords="offset points",
                    ha="left", va="top", fontsize=6, color="0.25", gid="attribution")
    else:
        ax.text(0.0, -0.015, attribution, transform=ax.transAxes,
                ha="left", va="top", fontsize=6, color="0.25", gid="attribution")
    if inset:
        _inset(ax, case, crs)
    return ax


#: Styles of the impact layers: roads, plots, buildings (counted, touching, other), features.
_IMPACT_STYLE = {
    "road": "#8c510a", "plot": "#66a61e", "counted": "#e7298a", "building": "0.55", "crossing": "#e41a1c",
}


def _in_view(lay: Layer, crs: CRS, box_xy: tuple[float, float, float, float]) -> gpd.GeoDataFrame:
    """The layer's features in the view, in the map's CRS (filtered in lon/lat first: layers may be big)."""
    to_ll = Transformer.from_crs(crs, "EPSG:4326", always_xy=True)
    x0, y0, x1, y1 = to_ll.transform_bounds(*box_xy)
    frame = lay.frame[lay.frame.geometry.notna()]
    frame = frame.iloc[frame.sindex.query(shapely.box(x0, y0, x1, y1), predicate="intersects")]
    return frame.sort_index().to_crs(crs)


def _fill_polygons(ax: Axes, geoms: Any, **kw: Any) -> None:
    """Exteriors of many polygons as one collection (fast for thousands of footprints)."""
    from matplotlib.collections import PolyCollection

    parts = shapely.get_parts(np.asarray([g for g in geoms if g is not None], dtype=object))
    parts = parts[shapely.get_type_id(parts) == 3] if len(parts) else parts
    if len(parts):
        rings = [shapely.get_coordinates(r) for r in shapely.get_exterior_ring(parts)]
        ax.add_collection(PolyCollection(rings, **kw), autolim=False)


def _draw_impact(ax: Axes, case: Case, layers: dict[str, gpd.GeoDataFrame], crs: CRS,
                 box_xy: tuple[float, float, float, float], handles: list[Any], shown: list[Layer],
                 share: float) -> None:
    """Roads, plots, buildings and features of the case's impact layers, and road crossings."""
    from matplotlib.lines import Line2D
    from matplotlib.patches import Patch

    st = _IMPACT_STYLE
    items = layers.get("impact_items")
    for role in ("plots", "roads", "buildings", "features"):
        frames = [(lay, _in_view(lay, crs, box_xy)) for lay in case.layers_with_role(role)]
        frames = [(lay, f) for lay, f in frames if len(f)]
        if not frames:
            continue
        shown.extend(lay for lay, _ in frames)
        geoms = [g for _, f in frames for g in f.geometry]
        if role == "roads":
            _draw_lines(ax, geoms, color=st["road"], lw=1.0, zorder=4.6)
            handles.append(Line2D([], [], color=st["road"], lw=1.0, label="Road"))
        elif role == "plots":
            _fill_polygons(ax, geoms, facecolor="none", edgecolor=st["plot"], lw=0.5, zorder=4.5)
            handles.append(Patch(facecolor="none", edgecolor=st["plot"], label="Plot"))
        elif role == "buildings":
            _fill_polygons(ax, geoms, facecolor=_rgba(st["building"], 0.8), edgecolor="none", zorder=4.7)
            handles.append(Patch(facecolor=_rgba(st["building"], 0.8), label="Building"))
        else:
            xy = shapely.get_coordinates(shapely.point_on_surface(np.asarray(geoms, dtype=object)))
            ax.scatter(xy[:, 0], xy[:, 1], marker="^", s=22, color="black", zorder=9.5, gid="impact_features")
            handles.append(Line2D([], [], marker="^", ls="none", color="black", label="Named feature"))
    if items is not None and len(items):
        plots = items[items["role"] == "plots"]
        if len(plots):
            _fill_polygons(ax, plots.geometry, facecolor=_rgba(st["plot"], 0.45), edgecolor=st["plot"], lw=0.7,
                           zorder=4.55)
            handles.append(Patch(facecolor=_rgba(st["plot"], 0.45), edgecolor=st["plot"],
                                 label="Plot in handed-over land"))
        b = items[items["role"] == "buildings"]
        yes, no = b[b["counted"].astype(bool)], b[~b["counted"].astype(bool)]
        if len(yes):
            _fill_polygons(ax, yes.geometry, facecolor=st["counted"], edgecolor="black", lw=0.4, zorder=4.8,
                           gid="buildings_counted")
            handles.append(Patch(facecolor=st["counted"], edgecolor="black",
                                 label=f"Building counted (≥ {share:.0%} inside)"))
        if len(no):
            _fill_polygons(ax, no.geometry, facecolor="white", edgecolor=st["counted"], lw=0.8, zorder=4.8,
                           gid="buildings_not_counted")
            handles.append(Patch(facecolor="white", edgecolor=st["counted"],
                                 label=f"Building touching, not counted (< {share:.0%} inside)"))
    cr = layers.get("road_crossings")
    if cr is not None and len(cr):
        xy = shapely.get_coordinates(cr.geometry.to_numpy())
        ax.scatter(xy[:, 0], xy[:, 1], marker="X", s=45, color=st["crossing"], edgecolors="white", linewidths=0.6,
                   zorder=9.6, gid="road_crossings")
        handles.append(Line2D([], [], marker="X", ls="none", color=st["crossing"], markeredgecolor="white",
                              label="Road crosses the new line"))


def _rgba(colour: str, alpha: float) -> tuple[float, float, float, float]:
    from matplotlib.colors import to_rgba

    return to_rgba(colour, alpha)


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
    """The map's title; a detail map's figures are the pair's row of ``report.per_pair()``."""
    case = report.case
    if pair is None:
        return _case_title(case)
    bits = [f"{pair.label}" + (f" (section {pair.section})" if pair.section is not None else "")]
    table = report.per_pair().set_index("pair") if len(report.per_pair()) else None
    if table is not None and pair.id in table.index:
        row = table.loc[pair.id]
        if row.get("length_m"):
            bits.append(f"measured stretch {row['length_m'] / 1000:.2f} km")
        for c in case.countries:
            area = row.get(f"area_to_{c.code}_m2")
            if area:
                bits.append(f"{_area_text(float(area))} to {c.name}")
        # Faces holding settlements of several pairs are theirs together, not this pair's.
        for group in (g for g in table.index if "+" in g and pair.id in g.split("+")):
            for c in case.countries:
                area = table.loc[group].get(f"area_to_{c.code}_m2")
                if area:
                    others = " and ".join(p for p in group.split("+") if p != pair.id)
                    bits.append(f"with {others}: {_area_text(float(area))} to {c.name}")
    known = set(report.measurements.settlements.loc[report.measurements.settlements["has_coordinate"], "name"])
    missing = [name for name in pair.settlements.values() if name not in known]
    if missing:
        bits.append(f"no published coordinate: {', '.join(missing)}")
    head = f"{case.id}: pair {pair.id}" + (" (SYNTHETIC)" if case.synthetic else "")
    return f"{head}\n" + "; ".join(bits)


def _area_text(area_m2: float) -> str:
    """``"2.04 km²"``, or hectares below 0.1 km² so that small faces do not print as 0.

    Examples
    --------
    >>> _area_text(2_041_016.0), _area_text(920.0)
    ('2.04 km²', '0.09 ha')
    """
    return f"{area_m2 / 1e6:.2f} km²" if area_m2 >= 1e5 else f"{area_m2 / 1e4:.2f} ha"


# ---------------------------------------------------------------------- files
def _figure(report: Report, *, pair: str | None, dpi: float) -> Figure:
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(figsize=_FIGSIZE, dpi=dpi)
    FigureCanvasAgg(fig)
    ax = fig.add_axes((0.02, 0.1, 0.72, 0.8))
    plot(report, ax=ax, pair=pair)
    return fig


def _save_figure(fig: Figure, target: Any, fmt: str, dpi: float) -> None:
    import matplotlib

    # No dates or software versions in the files: the same map gives the same bytes.
    metadata: dict[str, Any] = {"png": {"Software": None}, "svg": {"Date": None},
                                "pdf": {"CreationDate": None, "ModDate": None, "Producer": None}}[fmt]
    with matplotlib.rc_context({"svg.hashsalt": "borderkit", "svg.fonttype": "path"}):
        fig.savefig(target, format=fmt, dpi=dpi, bbox_inches="tight", pad_inches=0.15, metadata=metadata)


def render_map(report: Report | Case | str | os.PathLike[str], *, fmt: str = "png", pair: str | None = None,
               dpi: float = 150) -> bytes:
    """The map as bytes (``"png"``, ``"svg"`` or ``"pdf"``), e.g. to embed in a report."""
    fig = _figure(as_report(report), pair=pair, dpi=dpi)
    buf = io.BytesIO()
    _save_figure(fig, buf, fmt, dpi)
    return buf.getvalue()


def save_map(report: Report | Case | str | os.PathLike[str], path: str | os.PathLike[str], *,
             overwrite: bool = False, pair: str | None = None, dpi: float = 150) -> Path:
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
    out = Path(path)
    fmt = _map_format(out)
    fig = _figure(as_report(report), pair=pair, dpi=dpi)
    with atomic_output(out, overwrite=overwrite) as tmp:
        _save_figure(fig, tmp, fmt[1:], dpi)
    return out


def _map_format(out: Path) -> str:
    fmt = out.suffix.lower()
    if fmt not in MAP_FORMATS:
        msg = (f"{out}: cannot draw a map as {out.suffix or '(no suffix)'!r}. "
               f"Allowed suffixes: {', '.join(MAP_FORMATS)}.")
        raise ExportError(msg)
    return fmt


def save_maps(report: Report | Case | str | os.PathLike[str], folder: str | os.PathLike[str], *,
              suffix: str = ".png", overwrite: bool = False, dpi: float = 150) -> list[Path]:
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
    suffix = suffix if suffix.startswith(".") else f".{suffix}"
    folder = Path(folder)
    case = case_of(report)
    targets: list[tuple[Path, str | None]] = [(folder / f"{case.id}_overview{suffix}", None)]
    targets += [(folder / f"{case.id}_{p.id}{suffix}", p.id) for p in case.pairs]
    _map_format(targets[0][0])
    if folder.exists() and not folder.is_dir():
        msg = f"{folder}: not a folder. Give a folder for the maps, or remove the file."
        raise ExportError(msg)
    for target, _ in targets:
        if target.exists() and not overwrite:
            msg = (f"{target}: already exists; nothing was written. To replace the maps, pass "
                   "overwrite=True / --overwrite, or choose another folder.")
            raise ExportError(msg)
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as err:
        msg = f"{folder}: cannot create the folder ({err.strerror}). Choose a folder you can write to."
        raise ExportError(msg) from err
    for target, _ in targets:
        check_writable(target, overwrite=overwrite)
    fmt = targets[0][0].suffix.lower()[1:]
    report = as_report(report if isinstance(report, Report) else case)
    drawn = [render_map(report, fmt=fmt, pair=pair, dpi=dpi) for _, pair in targets]
    for (target, _), data in zip(targets, drawn, strict=True):
        with atomic_output(target, overwrite=overwrite) as tmp:
            tmp.write_bytes(data)
    return [target for target, _ in targets]
