"""Export a case and its measurements: GeoJSON (RFC 7946), GeoPackage, KML, Shapefile, CSV.

:func:`export` picks the format from the suffix of the path:

===================  ==========================================================
suffix               what is written
===================  ==========================================================
``.geojson``         one RFC 7946 FeatureCollection, every layer, ``layer``
                     property per feature
``.gpkg``            GeoPackage, one table per layer (:data:`LAYER_ORDER`)
``.kml``             KML (GDAL LIBKML driver, else KML), one folder per layer
``.shp.zip``         zip of Shapefiles, one per layer (``<layer>.shp`` ...), and
                     ``fields.txt`` with the field-name map
``.shp``             Shapefile sets beside each other: ``<stem>_<layer>.shp``
``.csv``             the measured segments of the new line, one row each, with
                     start and end points, geodesic and planar length, and a
                     ``WKT`` column GDAL reads as geometry
===================  ==========================================================

Every output follows the same rules:

- coordinates are WGS 84 longitude, latitude, rounded to 7 decimals (about 1 cm);
  polygon exteriors run counter-clockwise and holes clockwise (RFC 7946 §3.1.6; GDAL
  writes Shapefile rings the other way round, as that format's specification asks);
- ``length_m`` and ``area_m2`` are geodesic (:mod:`borderkit.geodesy`) and measured on
  exactly the rounded geometry written, so re-measuring the file gives the same number;
- every feature carries ``layer``, ``pair``, the provenance of its layer (``source``,
  ``licence``, ``date``, ``accuracy_m``) and the datum operation that brought it to
  WGS 84 (``transformation``: the record of :meth:`borderkit.crs.Transformation.to_dict`;
  flat formats spell it out in ``transformation_*`` fields). Derived layers
  (``segments``, ``sections``, ``handed_over`` and the impact layers) carry the provenance
  of the layers they come from, joined with ``"; "``, the transformation of the new line,
  and ``basis``: the line basis of the measurements (``"turning_points"``, or a proxy such
  as ``"new_line between outermost pairs"``);
- what the new line is, is said in every file: the GeoJSON has a top-level foreign member
  ``"borderkit": {"case", "line_basis", "notes", "synthetic"}`` (RFC 7946 §6.1), each
  GeoPackage table's description (``gpkg_contents.description``) says it in short. Without
  turning points the new line is a proxy and the ``handed_over`` faces include mapping
  differences between the lines, not only handovers: their ``name`` says "now on <country>'s
  side", not "to <country>";
- ``handed_over`` faces carry ``sliver`` and ``width_m`` (largest inscribed circle's
  diameter): a sliver is narrower than the lines' combined accuracy, counts for nothing and
  carries no claim;
- features a claim is about (``sections``: length claims of its pair; ``handed_over``:
  area claims to its country within its pairs) carry ``claims`` (``"<id>: <verdict>"``, the
  final verdict: Monte Carlo where there is one, else first-order), ``claims_first_order``
  and ``claims_interval`` (the 95 % Monte Carlo interval and z);
- an existing file is replaced only with ``overwrite=True``; a file is written under a
  temporary name and renamed into place, so an error never leaves half a file;
- the same case exported twice gives byte-identical files (GeoPackage too: GDAL's
  timestamps are pinned with ``OGR_CURRENT_DATE``).

When the case has an impact layer (role ``buildings``, ``plots``, ``roads`` or
``features``), the results of :func:`borderkit.impact.impact` follow as three more layers
(:data:`IMPACT_LAYERS`); a case without one exports exactly as before:

``impact_items``
    Every feature touching a handed-over polygon (its whole geometry): ``role``,
    ``source_layer``, ``source_fid`` (row in that layer), ``polygon`` (row in
    ``Measurements.areas``), ``pair`` and ``to_country`` of the polygon, ``share`` of the
    feature inside, ``counted``, ``length_inside_m`` (roads) and ``area_inside_ha`` (plots).
``road_crossings``
    Where a road crosses the new line (points): ``source_layer``, ``source_fid``,
    ``n_crossings``, ``road_length_m`` (the whole road) and ``pair`` of the nearest
    stretch of the new line.
``near_line``
    Buildings, features and settlements within ``within_m`` of the new line: ``role``,
    ``source_layer``, ``distance_m`` (geodesic), ``country_after`` and ``pair`` of the
    nearest stretch.

Their features carry the provenance and datum operation of the layer each comes from
(a crossing also the new line's). A Shapefile holds one geometry type, so a layer of
several (``impact_items``, ``near_line``) is written as ``<layer>_points``,
``<layer>_lines`` and ``<layer>_polygons``. The segments CSV is about the new line only
and holds no impact results.

Settlements with no published coordinate are not exported (they have no geometry); the
report (:mod:`borderkit.report`) lists them.
"""

from __future__ import annotations

import contextlib
import io
import json
import math
import os
import tempfile
import zipfile
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from shapely.geometry.base import BaseGeometry

from borderkit._io import atomic_output, check_writable
from borderkit.case import Case, Layer
from borderkit.errors import ExportError
from borderkit.geodesy import geodesic_area_m2, geodesic_length_m, local_projected_crs, planar_length_m

if TYPE_CHECKING:
    from borderkit.impact import ImpactResult
    from borderkit.measure import Measurements
    from borderkit.verify import Report, Verdict

__all__ = [
    "COORDINATE_DECIMALS",
    "FORMATS",
    "IMPACT_LAYERS",
    "LAYER_ORDER",
    "PROXY_NOTICE",
    "SHAPEFILE_FIELDS",
    "SYNTHETIC_NOTICE",
    "ExportLayer",
    "basis_record",
    "export",
    "export_layers",
    "face_verdicts",
    "faces_label",
    "format_value",
    "geojson_features",
    "geojson_text",
    "is_proxy",
    "new_line_label",
    "notices",
    "round_geometry",
    "section_verdicts",
]

#: Decimals of longitude and latitude written: 1e-7° is 1.1 cm of latitude.
COORDINATE_DECIMALS = 7

#: Suffix -> format name. ``.shp.zip`` is matched before ``.zip``.
FORMATS: Mapping[str, str] = {
    ".geojson": "GeoJSON",
    ".json": "GeoJSON",
    ".gpkg": "GeoPackage",
    ".kml": "KML",
    ".shp.zip": "Shapefile (zip)",
    ".zip": "Shapefile (zip)",
    ".shp": "Shapefile",
    ".csv": "CSV",
}

#: Order of the exported layers; case layers of other roles (buildings, plots, roads,
#: features) follow under their own name. ``context`` layers are for maps only.
LAYER_ORDER = (
    "settlements", "turning_points", "new_line", "new_line_alt", "old_line", "extent",
    "segments", "sections", "handed_over",
)

#: Layers of impact results, after the case's own layers; only for cases with an impact layer.
IMPACT_LAYERS = ("impact_items", "road_crossings", "near_line")

_BASE_SHAPEFILE_FIELDS: Mapping[str, str] = {
    "layer": "layer",
    "name": "name",
    "pair": "pair",
    "country": "country",
    "from_country": "from_cntry",
    "to_country": "to_cntry",
    "direction": "direction",
    "length_m": "length_m",
    "planar_length_m": "plan_len_m",
    "area_m2": "area_m2",
    "segment": "segment",
    "settlements": "settlemnts",
    "side_new": "side_new",
    "side_old": "side_old",
    "distance_to_new_m": "dist_new_m",
    "feature_source": "feat_src",
    "claims": "claims",
    "claims_first_order": "claims_1st",
    "claims_interval": "claims_int",
    "basis": "basis",
    "sliver": "sliver",
    "width_m": "width_m",
    "source": "source",
    "licence": "licence",
    "date": "date",
    "accuracy_m": "accuracy_m",
    "source_crs": "src_crs",
    "transformation_code": "trans_code",
    "transformation_name": "trans_name",
    "transformation_accuracy_m": "trans_acc",
    "transformation_spread_m": "trans_sprd",
    "transformation_candidates": "trans_cand",
}
_IMPACT_SHAPEFILE_FIELDS: Mapping[str, str] = {
    "role": "role",
    "source_layer": "src_layer",
    "source_fid": "src_fid",
    "polygon": "polygon",
    "share": "share",
    "counted": "counted",
    "length_inside_m": "len_in_m",
    "area_inside_ha": "area_in_ha",
    "n_crossings": "n_cross",
    "road_length_m": "road_len_m",
    "distance_m": "dist_m",
    "country_after": "cntry_aft",
}
#: Shapefile field names are at most 10 characters: the rename applied on export.
SHAPEFILE_FIELDS: Mapping[str, str] = {**_BASE_SHAPEFILE_FIELDS, **_IMPACT_SHAPEFILE_FIELDS}

_CORE = ["layer", "name", "pair"]
_PROVENANCE = ["source", "licence", "date", "accuracy_m"]
_TRANSFORMATION = [
    "source_crs", "transformation_code", "transformation_name", "transformation_accuracy_m",
    "transformation_spread_m", "transformation_candidates",
]
#: Pinned GDAL timestamp (GeoPackage ``gpkg_contents.last_change``) for byte-stable files.
_GDAL_DATE = "2000-01-01T00:00:00Z"

#: What every output (maps, web map, report, exports) says when the case has no turning points.
PROXY_NOTICE = ("The new line is a proxy: this case has no turning points; faces between the lines include "
                "mapping differences, not only handovers.")
#: What every output says about a case marked ``synthetic = true``.
SYNTHETIC_NOTICE = "SYNTHETIC case: made-up data for tests and examples, not a real border."

#: Decimals shown for a value in a claim's unit; other units (counts) get 4 significant digits.
_DECIMALS = {"km": 3, "m": 0, "km2": 3, "ha": 2, "m2": 0}


# ---------------------------------------------------------------------- line basis
def is_proxy(m: Measurements) -> bool:
    """True when the measured new line is not the line through the case's turning points."""
    return m.line_basis != "turning_points"


def _source_short(lay: Layer | None) -> str:
    """The first clause of a layer's source, without commit hashes: ``"geoBoundaries gbOpen ARM ADM0"``."""
    if lay is None:
        return ""
    head = lay.source
    for sep in (",", ";", "("):
        head = head.split(sep)[0]
    short = " ".join(w for w in head.split() if not w.startswith("@"))
    return short or lay.name


def new_line_label(case: Case, m: Measurements) -> str:
    """What maps call the new line: a proxy, with its source and date, unless there are turning points.

    Examples
    --------
    >>> from borderkit import load_case, measure
    >>> case = load_case("tavush-2024")
    >>> new_line_label(case, measure(case))
    'New line: proxy (geoBoundaries gbOpen ARM ADM0, 2020-09-25) — turning points not in this case'
    """
    if not is_proxy(m):
        return "New line (turning points)"
    lay = case.layer("new_line")
    what = ", ".join(b for b in (_source_short(lay), lay.date if lay is not None else "") if b)
    return f"New line: proxy ({what}) — turning points not in this case" if what else \
        "New line: proxy — turning points not in this case"


def faces_label(case: Case, m: Measurements, code: str) -> str:
    """What maps call the faces whose country changed to ``code``.

    Examples
    --------
    >>> from borderkit import load_case, measure
    >>> case = load_case("tavush-2024")
    >>> faces_label(case, measure(case), "AZE")
    "Now on Azerbaijan's side (old line → new line)"
    """
    name = next((c.name for c in case.countries if c.code == code), code)
    return f"Now on {name}'s side (old line → new line)" if is_proxy(m) else f"Handed over to {name}"


def notices(case: Case, m: Measurements) -> list[str]:
    """The notices every output shows: synthetic data, and a proxy new line."""
    out = [SYNTHETIC_NOTICE] if case.synthetic else []
    if is_proxy(m):
        out.append(PROXY_NOTICE)
    return out


def basis_record(case: Case, m: Measurements) -> dict[str, Any]:
    """The GeoJSON foreign member ``"borderkit"``: case id, line basis, its notes, synthetic."""
    return {"case": case.id, "line_basis": m.line_basis, "notes": list(m.notes), "synthetic": bool(case.synthetic)}


def _description(case: Case, m: Measurements, layer: str) -> str:
    """A GeoPackage table's description: the basis in short."""
    text = f"borderkit case {case.id}, layer {layer}; line basis: {m.line_basis}"
    if is_proxy(m):
        text += " (a proxy: no turning points in this case; faces between the lines include mapping differences)"
    if case.synthetic:
        text += "; SYNTHETIC case, not a real border"
    return text


def format_value(value: float | None, unit: str) -> str:
    """A value in a claim's unit with fixed decimals (``km`` 3, ``m`` 0, ``km2`` 3, ``ha`` 2).

    Examples
    --------
    >>> format_value(17.83512, "km"), format_value(9.9512, "km2"), format_value(750.4, "m")
    ('17.835', '9.951', '750')
    """
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "—"
    nd = _DECIMALS.get(unit)
    # + 0.0: a value that rounds to zero prints as 0.000, not -0.000.
    return f"{round(value, nd) + 0.0:.{nd}f}" if nd is not None else f"{value + 0.0:.4g}"


@dataclass(frozen=True, eq=False)
class ExportLayer:
    """One exported layer: its features (rounded, oriented, measured) and provenance.

    ``frame`` holds flat columns only (text, numbers, booleans) so every GDAL driver
    can write it; ``transformation`` is the nested record GeoJSON writes, and
    ``transformations`` one per feature where the features come from several layers.
    """

    name: str
    frame: gpd.GeoDataFrame
    transformation: Mapping[str, Any]
    transformations: tuple[Mapping[str, Any], ...] | None = None

    def __repr__(self) -> str:
        return f"<ExportLayer {self.name!r}: {len(self.frame)} features>"


# ---------------------------------------------------------------------- geometry
def _round_coord(v: float) -> float:
    # Formatting gives the correctly rounded decimal; parsing it gives the double nearest
    # to that decimal, which prints back as at most 7 decimals. + 0.0 turns -0.0 into 0.0.
    return float(f"{v:.{COORDINATE_DECIMALS}f}") + 0.0


def round_geometry(geometry: BaseGeometry) -> BaseGeometry:
    """Round coordinates to 7 decimals and orient polygons as RFC 7946 asks.

    Exterior rings come out counter-clockwise, holes clockwise. Z is dropped.

    Examples
    --------
    >>> from shapely import Polygon
    >>> g = round_geometry(Polygon([(0, 0), (0, 1.123456789), (1, 0)]))
    >>> g.wkt
    'POLYGON ((0 0, 1 0, 0 1.1234568, 0 0))'
    >>> import shapely
    >>> bool(shapely.is_ccw(g.exterior))
    True
    """
    rounded = shapely.transform(
        geometry, lambda xy: np.vectorize(_round_coord, otypes=[float])(xy) if xy.size else xy
    )
    if rounded.geom_type in ("Polygon", "MultiPolygon", "GeometryCollection"):
        rounded = shapely.orient_polygons(rounded, exterior_cw=False)
    return rounded


def _measure_into(frame: gpd.GeoDataFrame, *, planar: bool = False) -> gpd.GeoDataFrame:
    """Round, orient and measure every geometry of ``frame`` in place of the old values."""
    geoms = [None if g is None or g.is_empty else round_geometry(g) for g in frame.geometry]
    frame = frame.set_geometry(gpd.GeoSeries(geoms, index=frame.index, crs="EPSG:4326"))
    lines, polygons = {"LineString", "MultiLineString"}, {"Polygon", "MultiPolygon"}
    kinds = {g.geom_type for g in geoms if g is not None}
    # A layer of several geometry types (impact_items) has lengths of lines and areas of
    # polygons only: a polygon's perimeter is no length_m.
    if kinds & lines:
        frame["length_m"] = [None if g is None or g.geom_type not in lines else round(geodesic_length_m(g), 3)
                             for g in geoms]
        if planar and len(frame):
            # The mean vertex, not a centroid: a zero-length line has none.
            lon, lat = shapely.get_coordinates([g for g in geoms if g is not None]).mean(axis=0)
            utm = local_projected_crs(float(lon), float(lat))
            frame["planar_length_m"] = [None if g is None else round(planar_length_m(g, utm), 3)
                                        for g in geoms]
    if kinds & polygons:
        frame["area_m2"] = [None if g is None or g.geom_type not in polygons else round(geodesic_area_m2(g), 2)
                            for g in geoms]
    return frame


# ---------------------------------------------------------------------- building layers
def _transformation_columns(record: Mapping[str, Any]) -> dict[str, Any]:
    acc = record.get("accuracy_m")
    return {
        "source_crs": str(record.get("source_crs", "")),
        "transformation_code": record.get("code") or "",
        "transformation_name": str(record.get("name", "")),
        "transformation_accuracy_m": math.nan if acc is None else float(acc),
        "transformation_spread_m": float(record.get("spread_m") or 0.0),
        "transformation_candidates": ",".join(record.get("candidates") or ()),
    }


def _joined(values: list[str]) -> str:
    return "; ".join(dict.fromkeys(v for v in values if v))


def _provenance(layers: list[Layer]) -> dict[str, Any]:
    return {
        "source": _joined([lay.source for lay in layers]),
        "licence": _joined([lay.licence for lay in layers]),
        "date": _joined([lay.date for lay in layers]),
        "accuracy_m": max(lay.accuracy_m for lay in layers),
    }


def _finish(name: str, frame: gpd.GeoDataFrame, layers: list[Layer], *,
            planar: bool = False) -> ExportLayer:
    """Add provenance and measurements; order columns: core, specific, provenance."""
    frame = frame.reset_index(drop=True)
    frame.insert(0, "layer", name)
    for col in ("name", "pair"):
        if col not in frame.columns:
            frame[col] = ""
    frame = _measure_into(frame, planar=planar)
    record = layers[0].transformation.to_dict()
    for key, value in {**_provenance(layers), **_transformation_columns(record)}.items():
        frame[key] = value
    specific = [c for c in frame.columns
                if c not in {*_CORE, *_PROVENANCE, *_TRANSFORMATION, "geometry"}]
    cols = _CORE + specific + _PROVENANCE + _TRANSFORMATION + ["geometry"]
    frame = gpd.GeoDataFrame(frame[cols], geometry="geometry", crs="EPSG:4326")
    return ExportLayer(name, frame, record)


def _str(value: Any) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    return str(value)


def section_verdicts(report: Report | None, pair: str) -> list[Verdict]:
    """The length claims about ``pair``'s stretch (by name, not the totals)."""
    if report is None or not pair:
        return []
    return [v for v in report.verdicts
            if v.claim.quantity == "length" and not v.claim.subject and pair in v.claim.scope]


def face_verdicts(report: Report | None, to_country: str, pairs: str, sliver: bool) -> list[Verdict]:
    """The area claims a face counts for: to its country, and (unless total) within its pairs.

    A sliver counts for nothing, so no claim is about it.
    """
    if report is None or sliver:
        return []
    face_pairs = {p for p in pairs.split(",") if p}
    return [v for v in report.verdicts
            if v.claim.quantity == "area" and not v.claim.subject and v.claim.direction == to_country
            and (v.claim.is_total or face_pairs <= set(v.claim.scope))]


def _interval_text(v: Verdict) -> str:
    if v.interval is None:
        return ""
    lo, _, hi = v.interval
    u = v.claim.unit
    z = "" if v.z is None or math.isnan(v.z) else f", z {v.z:.1f}"
    return f"{v.claim.id}: {format_value(lo, u)}–{format_value(hi, u)} {u} (95 %{z})"


def _claim_fields(verdicts: list[Verdict]) -> dict[str, str]:
    """``claims`` (final verdicts), ``claims_first_order`` and ``claims_interval`` of a feature."""
    return {
        "claims": "; ".join(f"{v.claim.id}: {v.final_verdict}" for v in verdicts),
        "claims_first_order": "; ".join(f"{v.claim.id}: {v.verdict}" for v in verdicts),
        "claims_interval": "; ".join(t for t in (_interval_text(v) for v in verdicts) if t),
    }


def _settlements_layer(case: Case, m: Measurements) -> ExportLayer | None:
    lay = case.layer("settlements")
    if lay is None:
        return None
    s = m.settlements
    s = s[s.geometry.notna()]
    nf = lay.options.get("name_field", "name")
    feature_source: dict[str, str] = {}
    if "source" in lay.frame.columns and nf in lay.frame.columns:
        feature_source = {str(n): _str(v) for n, v in zip(lay.frame[nf], lay.frame["source"], strict=True)}
    frame = gpd.GeoDataFrame({
        "name": [str(v) for v in s["name"]],
        "pair": [_str(v) for v in s["pair"]],
        "country": [_str(v) for v in s["country"]],
        "side_new": [_str(v) for v in s.get("side_new", pd.Series([""] * len(s)))],
        "side_old": [_str(v) for v in s.get("side_old", pd.Series([""] * len(s)))],
        "distance_to_new_m": [None if pd.isna(v) else round(float(v), 1)
                              for v in s.get("distance_to_new_m", pd.Series([math.nan] * len(s)))],
        "feature_source": [feature_source.get(str(n), "") for n in s["name"]],
    }, geometry=list(s.geometry), crs="EPSG:4326")
    frame["distance_to_new_m"] = frame["distance_to_new_m"].astype(float)
    out = _finish("settlements", frame, [lay])
    # The pair members' accuracy differs per settlement (accuracy_m_by_name).
    out.frame["accuracy_m"] = [float(a) for a in s["accuracy_m"]]
    return out


def _case_layer(name: str, lay: Layer) -> ExportLayer:
    f = lay.frame
    geoms = [g for g in f.geometry]
    data: dict[str, Any] = {"name": [""] * len(f)}
    for col in ("name", "pair"):
        if col in f.columns:
            data[col] = [_str(v) for v in f[col]]
    for col in ("order", "section"):
        if col in f.columns and lay.role == "turning_points":
            data[col] = [_str(v) for v in f[col]]
    frame = gpd.GeoDataFrame(data, geometry=geoms, crs="EPSG:4326")
    frame = frame[frame.geometry.notna()]
    return _finish(name, frame, [lay])


def _segments_layers(case: Case, m: Measurements, report: Report | None) -> list[ExportLayer]:
    if len(m.segments) == 0:
        return []
    src = case.layer("turning_points") if m.line_basis == "turning_points" else case.layer("new_line")
    layers = [src] if src is not None else []
    if not layers:
        return []
    seg = m.segments
    frame = gpd.GeoDataFrame({
        "name": [""] * len(seg),
        "pair": [_str(p) for p in seg["pair"]],
        "segment": np.arange(1, len(seg) + 1, dtype=np.int64),
        "basis": [m.line_basis] * len(seg),
    }, geometry=list(seg.geometry), crs="EPSG:4326")
    segments = _finish("segments", frame, layers, planar=True)
    labels = {p.id: p.label for p in case.pairs}
    rows = []
    for pair in dict.fromkeys(segments.frame["pair"]):
        parts = segments.frame.loc[segments.frame["pair"] == pair, "geometry"].to_numpy()
        merged = shapely.line_merge(shapely.union_all(parts)) if len(parts) > 1 else parts[0]
        rows.append({"name": labels.get(pair, ""), "pair": pair, "basis": m.line_basis,
                     **_claim_fields(section_verdicts(report, pair)), "geometry": merged})
    sections = _finish("sections", gpd.GeoDataFrame(rows, geometry="geometry", crs="EPSG:4326"),
                       layers, planar=True)
    return [segments, sections]


def _handed_over_layer(case: Case, m: Measurements, report: Report | None) -> ExportLayer | None:
    new, old = case.layer("new_line"), case.layer("old_line")
    if m.areas is None or len(m.areas) == 0 or new is None or old is None:
        return None
    a = m.areas
    names = {c.code: c.name for c in case.countries}
    slivers = [bool(v) for v in a["sliver"]] if "sliver" in a.columns else [False] * len(a)
    widths = [math.nan if pd.isna(v) else round(float(v), 1)
              for v in (a["width_m"] if "width_m" in a.columns else [math.nan] * len(a))]
    proxy = is_proxy(m)
    claims = [_claim_fields(face_verdicts(report, str(t), _str(p), s))
              for t, p, s in zip(a["to_country"], a["pairs"], slivers, strict=True)]
    frame = gpd.GeoDataFrame({
        "name": [f"now on {names.get(str(t), str(t))}'s side" if proxy else f"to {names.get(str(t), str(t))}"
                 for t in a["to_country"]],
        "pair": [_str(p) for p in a["pairs"]],
        "from_country": [_str(v) for v in a["from_country"]],
        "to_country": [_str(v) for v in a["to_country"]],
        "settlements": [_str(v) for v in a.get("settlements", pd.Series([""] * len(a)))],
        "sliver": np.asarray(slivers, dtype=bool),
        "width_m": np.asarray(widths, dtype=float),
        "basis": [m.line_basis] * len(a),
        **{key: [c[key] for c in claims] for key in ("claims", "claims_first_order", "claims_interval")},
    }, geometry=list(a.geometry), crs="EPSG:4326")
    return _finish("handed_over", frame, [new, old])


def export_layers(case: Case, *, measurements: Measurements | None = None,
                  report: Report | None = None, impact_result: ImpactResult | None = None) -> list[ExportLayer]:
    """Every layer :func:`export` writes, in :data:`LAYER_ORDER`, as GeoDataFrames.

    The maps (:mod:`borderkit.plot`, :mod:`borderkit.webmap`) draw these same layers.
    Empty layers are left out (a case with no old line has no ``handed_over``). A case
    with an impact layer gets the :data:`IMPACT_LAYERS` last, from ``impact_result`` or
    :func:`borderkit.impact.impact` with its default rules.

    Examples
    --------
    >>> from borderkit import load_case
    >>> [lay.name for lay in export_layers(load_case("tavush-2024"))]
    ['settlements', 'new_line', 'new_line_alt', 'old_line', 'extent', 'segments', 'sections', 'handed_over']
    """
    if measurements is None:
        from borderkit.measure import measure

        measurements = report.measurements if report is not None else measure(case)
    if report is None:
        from borderkit.verify import verify

        report = verify(case, measurements=measurements)
    out: list[ExportLayer] = []
    settlements = _settlements_layer(case, measurements)
    if settlements is not None:
        out.append(settlements)
    for role in ("turning_points", "new_line", "new_line_alt", "old_line", "extent"):
        lay = case.layer(role)
        if lay is not None:
            out.append(_case_layer(role, lay))
    out += _segments_layers(case, measurements, report)
    handed = _handed_over_layer(case, measurements, report)
    if handed is not None:
        out.append(handed)
    from borderkit.impact import IMPACT_ROLES

    has_impact = any(case.layers_with_role(r) for r in IMPACT_ROLES)
    taken = {x.name for x in out} | (set(IMPACT_LAYERS) if has_impact else set())
    for lay in case.layers.values():
        if lay.role in IMPACT_ROLES:
            name = lay.name if lay.name not in taken else f"{lay.role}_{lay.name}"
            taken.add(name)
            out.append(_case_layer(name, lay))
    if has_impact:
        out += _impact_layers(case, measurements, impact_result)
    return [x for x in out if len(x.frame)]


# ---------------------------------------------------------------------- impact layers
def _source_layer(case: Case, name: str) -> Layer:
    return case.layers[name] if name in case.layers else case.layers_with_role(name)[0]


def _nearest_pair(geoms: Any, m: Measurements) -> list[str]:
    """Pair of the stretch of the new line nearest to each geometry (in the local UTM plane)."""
    seg = m.segments
    if len(seg) == 0 or len(geoms) == 0:
        return [""] * len(geoms)
    from pyproj import Transformer

    c = shapely.centroid(shapely.envelope(shapely.union_all(seg.geometry.to_numpy())))
    fwd = Transformer.from_crs("EPSG:4326", local_projected_crs(c.x, c.y), always_xy=True)

    def to_plane(g: Any) -> Any:
        return shapely.transform(g, lambda xy: np.column_stack(fwd.transform(xy[:, 0], xy[:, 1])))

    tree = shapely.STRtree(to_plane(seg.geometry.to_numpy()))
    (src, hit) = tree.query_nearest(to_plane(np.asarray(geoms, dtype=object)), all_matches=False)
    pairs = np.full(len(geoms), "", dtype=object)
    pairs[src] = [_str(p) for p in seg["pair"].to_numpy()[hit]]
    return list(pairs)


def _per_feature(name: str, frame: gpd.GeoDataFrame, sources: list[list[Layer]]) -> ExportLayer | None:
    """:func:`_finish` with the provenance and datum operation of each feature's own layers."""
    if not sources:
        return None
    out = _finish(name, frame, sources[0])
    records = [srcs[0].transformation.to_dict() for srcs in sources]
    rows = [{**_provenance(srcs), **_transformation_columns(rec)} for srcs, rec in zip(sources, records, strict=True)]
    for key in [*_PROVENANCE, *_TRANSFORMATION]:
        out.frame[key] = [r[key] for r in rows]
    return ExportLayer(name, out.frame, out.transformation, tuple(records))


def _impact_layers(case: Case, m: Measurements, res: ImpactResult | None) -> list[ExportLayer]:
    if res is None:
        from borderkit.impact import _cached_impact

        res = _cached_impact(case, m)
    out: list[ExportLayer | None] = []
    items = res.items
    pairs = res.polygons["pairs"] if len(res.polygons) else pd.Series(dtype=object)
    frame = gpd.GeoDataFrame({
        "name": [_str(v) for v in items["name"]],
        "pair": [_str(pairs.get(p, "")) for p in items["polygon"]],
        "role": [str(v) for v in items["role"]],
        "source_layer": [str(v) for v in items["layer"]],
        "source_fid": np.asarray(items["fid"], dtype=np.int64),
        "polygon": np.asarray(items["polygon"], dtype=np.int64),
        "to_country": [_str(v) for v in items["to_country"]],
        "share": np.round(np.asarray(items["share"], dtype=float), 6),
        "counted": np.asarray(items["counted"], dtype=bool),
        "length_inside_m": np.round(np.asarray(items["length_m"], dtype=float), 3),
        "area_inside_ha": np.round(np.asarray(items["area_ha"], dtype=float), 6),
        "basis": [m.line_basis] * len(items),
    }, geometry=list(items.geometry), crs="EPSG:4326")
    out.append(_per_feature("impact_items", frame,
                            [[_source_layer(case, str(v))] for v in items["layer"]]))
    cr = res.crossings
    new = case.layer("new_line")
    frame = gpd.GeoDataFrame({
        "name": [_str(v) for v in cr["name"]],
        "pair": _nearest_pair(cr.geometry.to_numpy(), m),
        "source_layer": [str(v) for v in cr["layer"]],
        "source_fid": np.asarray(cr["fid"], dtype=np.int64),
        "n_crossings": np.asarray(cr["n_crossings"], dtype=np.int64),
        "road_length_m": np.round(np.asarray(cr["length_m"], dtype=float), 3),
        "basis": [m.line_basis] * len(cr),
    }, geometry=list(cr.geometry), crs="EPSG:4326")
    out.append(_per_feature("road_crossings", frame,
                            [[_source_layer(case, str(v)), *([new] if new is not None else [])]
                             for v in cr["layer"]]))
    near = res.near_line
    frame = gpd.GeoDataFrame({
        "name": [_str(v) for v in near["name"]],
        "pair": _nearest_pair(near.geometry.to_numpy(), m),
        "role": [str(v) for v in near["role"]],
        "source_layer": [str(v) for v in near["layer"]],
        "distance_m": np.round(np.asarray(near["distance_m"], dtype=float), 3),
        "country_after": [_str(v) for v in near["country_after"]],
        "basis": [m.line_basis] * len(near),
    }, geometry=list(near.geometry), crs="EPSG:4326")
    out.append(_per_feature("near_line", frame,
                            [[_source_layer(case, str(v))] for v in near["layer"]]))
    return [x for x in out if x is not None]


# ---------------------------------------------------------------------- writers
def _json_value(v: Any) -> Any:
    if v is None:
        return None
    if isinstance(v, (bool, np.bool_)):
        return bool(v)
    if isinstance(v, (int, np.integer)):
        return int(v)
    if isinstance(v, (float, np.floating)):
        return None if math.isnan(v) else float(v)
    return v if isinstance(v, str) else str(v)


def geojson_features(layers: list[ExportLayer]) -> list[dict[str, Any]]:
    """RFC 7946 Feature dicts of ``layers`` (used by the GeoJSON file and the web map)."""
    features = []
    for lay in layers:
        props_cols = [c for c in lay.frame.columns if c != "geometry" and c not in _TRANSFORMATION]
        for i, row in enumerate(lay.frame.itertuples(index=False)):
            rec = row._asdict()
            props = {c: _json_value(rec[c]) for c in props_cols}
            props["transformation"] = dict(lay.transformation if lay.transformations is None
                                           else lay.transformations[i])
            geom = rec["geometry"]
            features.append({
                "type": "Feature",
                "properties": props,
                "geometry": None if geom is None else shapely.geometry.mapping(geom),
            })
    return features


def _coords_to_lists(obj: Any) -> Any:
    if isinstance(obj, (tuple, list)):
        return [_coords_to_lists(x) for x in obj]
    if isinstance(obj, dict):
        return {k: _coords_to_lists(v) for k, v in obj.items()}
    return obj


def geojson_text(case: Case, layers: list[ExportLayer], *, measurements: Measurements | None = None) -> str:
    """The RFC 7946 document, one feature per line, deterministic.

    The foreign member ``"borderkit"`` (:func:`basis_record`) says what the new line is;
    ``measurements`` default to :func:`borderkit.measure` of ``case``.
    """
    if measurements is None:
        from borderkit.measure import measure

        measurements = measure(case)
    lines = [
        json.dumps(_coords_to_lists(f), ensure_ascii=False, allow_nan=False, separators=(",", ":"))
        for f in geojson_features(layers)
    ]
    head = json.dumps({"type": "FeatureCollection", "name": case.id,
                       "borderkit": basis_record(case, measurements)}, ensure_ascii=False)[:-1]
    return head + ', "features": [\n' + ",\n".join(lines) + "\n]}\n"


def _write_geojson(case: Case, layers: list[ExportLayer], tmp: Path, m: Measurements) -> None:
    tmp.write_text(geojson_text(case, layers, measurements=m), encoding="utf-8")


@contextlib.contextmanager
def _pinned_gdal_date() -> Iterator[None]:
    import pyogrio

    before = pyogrio.get_gdal_config_option("OGR_CURRENT_DATE")
    pyogrio.set_gdal_config_options({"OGR_CURRENT_DATE": _GDAL_DATE})
    try:
        yield
    finally:
        pyogrio.set_gdal_config_options({"OGR_CURRENT_DATE": before})


def _flat_frame(lay: ExportLayer, *, rename: Mapping[str, str] | None = None) -> gpd.GeoDataFrame:
    """The layer as GDAL writes it: no all-empty text columns, text as plain ``object``."""
    f = lay.frame.copy()
    for col in list(f.columns):
        if col == "geometry":
            continue
        if f[col].dtype.kind in "OSU" or isinstance(f[col].dtype, pd.StringDtype):
            f[col] = f[col].astype(object).where(f[col].notna(), "")
    if rename:
        f = f.rename(columns=dict(rename))
    return f


def _write_gdal(layers: list[ExportLayer], tmp: Path, driver: str, *,
                rename: Mapping[str, str] | None = None, case: Case | None = None,
                measurements: Measurements | None = None) -> None:
    import pyogrio

    with _pinned_gdal_date():
        for i, lay in enumerate(layers):
            f = _flat_frame(lay, rename=rename)
            kw: dict[str, Any] = {}
            if driver == "GPKG":
                desc = (_description(case, measurements, lay.name) if case is not None and measurements is not None
                        else f"borderkit layer {lay.name}")
                kw["layer_options"] = {"DESCRIPTION": desc}
                if i == 0:
                    # GeoPackage 1.2: what GDAL < 3.9 and QGIS 3.x read without warnings.
                    kw["dataset_options"] = {"VERSION": "1.2"}
            pyogrio.write_dataframe(f, tmp, layer=lay.name, driver=driver, append=i > 0, **kw)


def _kml_driver() -> str:
    import pyogrio

    drivers = pyogrio.list_drivers(write=True)
    return "LIBKML" if "LIBKML" in drivers else "KML"


_DIMENSION_NAMES = {0: "points", 1: "lines", 2: "polygons"}


def _shapefile_parts(layers: list[ExportLayer]) -> list[ExportLayer]:
    """One geometry type per Shapefile: a layer of several is split into ``<layer>_points`` ..."""
    out = []
    for lay in layers:
        dims = shapely.get_dimensions(lay.frame.geometry.to_numpy())
        if len(set(dims.tolist())) <= 1:
            out.append(lay)
            continue
        for d in sorted(set(dims.tolist())):
            sel = dims == d
            out.append(ExportLayer(f"{lay.name}_{_DIMENSION_NAMES[d]}", lay.frame[sel].reset_index(drop=True),
                                   lay.transformation))
    return out


def _write_shapefiles(layers: list[ExportLayer], folder: Path, stem: str) -> list[Path]:
    import pyogrio

    written = []
    for lay in _shapefile_parts(layers):
        target = folder / f"{stem}{lay.name}.shp"
        f = _flat_frame(lay, rename=SHAPEFILE_FIELDS)
        for col in f.columns:
            if f[col].dtype == object:
                f[col] = [_dbf_text(v) for v in f[col]]
        pyogrio.write_dataframe(f, target, driver="ESRI Shapefile", layer_options={"ENCODING": "UTF-8"})
        written += sorted(folder.glob(f"{stem}{lay.name}.*"))
    return written


def _dbf_text(value: Any) -> Any:
    """A DBF text field holds 254 bytes: cut longer UTF-8 text at a character boundary."""
    if not isinstance(value, str) or len(value.encode("utf-8")) <= 254:
        return value
    return value.encode("utf-8")[:251].decode("utf-8", errors="ignore") + "..."


def _fields_text(layers: list[ExportLayer]) -> str:
    impact = any(lay.name in IMPACT_LAYERS for lay in layers)
    fields = SHAPEFILE_FIELDS if impact else _BASE_SHAPEFILE_FIELDS
    width = max(len(k) for k in fields)
    rows = [f"{k:<{width}}  {v}" for k, v in fields.items()]
    text = ("borderkit Shapefile export: field names are cut to 10 characters.\n"
            "Full name (GeoJSON, GeoPackage)  ->  Shapefile field\n\n" + "\n".join(rows) + "\n")
    if impact:
        text += ("\nA Shapefile holds one geometry type: impact_items and near_line are split into\n"
                 "<layer>_points, <layer>_lines and <layer>_polygons.\n")
    return text


def _write_shapefile_zip(layers: list[ExportLayer], tmp: Path) -> None:
    with tempfile.TemporaryDirectory(dir=tmp.parent, prefix=".borderkit-shp-") as d:
        files = _write_shapefiles(layers, Path(d), "")
        with zipfile.ZipFile(tmp, "w", compression=zipfile.ZIP_DEFLATED) as z:
            # A fixed timestamp keeps the archive byte-stable.
            info = zipfile.ZipInfo("fields.txt", date_time=(2000, 1, 1, 0, 0, 0))
            z.writestr(info, _fields_text(layers), compress_type=zipfile.ZIP_DEFLATED)
            for f in files:
                info = zipfile.ZipInfo(f.name, date_time=(2000, 1, 1, 0, 0, 0))
                z.writestr(info, f.read_bytes(), compress_type=zipfile.ZIP_DEFLATED)


def _write_shapefile_set(layers: list[ExportLayer], path: Path, overwrite: bool) -> Path:
    """Write ``<stem>_<layer>.shp`` sets: all into a temporary folder first, then moved."""
    stem = path.name[: -len(".shp")] + "_"
    targets = [path.parent / f"{stem}{lay.name}{ext}" for lay in _shapefile_parts(layers)
               for ext in (".shp", ".shx", ".dbf", ".prj", ".cpg")]
    for t in targets:
        check_writable(t, overwrite=overwrite)
    with tempfile.TemporaryDirectory(dir=path.parent, prefix=".borderkit-shp-") as d:
        files = _write_shapefiles(layers, Path(d), stem)
        for f in files:
            os.replace(f, path.parent / f.name)
    return path.parent


def _segments_csv(layers: list[ExportLayer]) -> str:
    seg = next((lay.frame for lay in layers if lay.name == "segments"), None)
    cols = ["segment", "pair", "lon_start", "lat_start", "lon_end", "lat_end", "length_m",
            "planar_length_m", "cumulative_length_m", "source", "licence", "transformation_code",
            "WKT"]
    buf = io.StringIO()
    buf.write(",".join(cols) + "\n")
    if seg is None:
        return buf.getvalue()
    cumulative = 0.0
    import csv

    w = csv.writer(buf, lineterminator="\n")
    for r in seg.itertuples(index=False):
        xy = shapely.get_coordinates(r.geometry)
        cumulative += float(r.length_m)
        w.writerow([
            int(r.segment), r.pair, *(repr(float(v)) for v in (xy[0, 0], xy[0, 1], xy[-1, 0], xy[-1, 1])),
            f"{r.length_m:.3f}", f"{r.planar_length_m:.3f}", f"{cumulative:.3f}", r.source,
            r.licence, r.transformation_code, r.geometry.wkt,
        ])
    return buf.getvalue()


def _format_of(path: Path) -> str:
    name = path.name.lower()
    for suffix in sorted(FORMATS, key=len, reverse=True):
        if name.endswith(suffix):
            return suffix
    bad = "".join(path.suffixes[-1:]) or "(none)"
    msg = (f"{path}: cannot export to suffix {bad!r}. Allowed suffixes: "
           f"{', '.join(FORMATS)} (" + ", ".join(f"{k} {v}" for k, v in FORMATS.items()) + ").")
    raise ExportError(msg)


def export(case: Case, path: str | os.PathLike[str], *, overwrite: bool = False,
           measurements: Measurements | None = None, report: Report | None = None,
           impact_result: ImpactResult | None = None, draws: int = 1000, seed: int = 0) -> Path:
    """Write the case's layers and measurements to a GIS file; the format is the suffix.

    Parameters
    ----------
    case : Case
        As :func:`borderkit.load_case` returns it.
    path : str or path
        ``.geojson`` (or ``.json``), ``.gpkg``, ``.kml``, ``.shp.zip`` (or ``.zip``),
        ``.shp`` or ``.csv``; see :data:`FORMATS` and the module docstring.
    overwrite : bool
        Replace an existing file. Without it an existing file is an error.
    measurements : Measurements, optional
        Reuse measurements already taken (:func:`borderkit.measure`).
    report : Report, optional
        Reuse a verification (:func:`borderkit.verify`); its verdicts fill the
        ``claims`` fields of ``sections`` and ``handed_over``. By default
        ``verify(case, draws=draws, seed=seed)``.
    impact_result : ImpactResult, optional
        Reuse :func:`borderkit.impact.impact` results (other rules, routes) for the
        :data:`IMPACT_LAYERS`; by default they are computed with the default rules.
    draws, seed : int
        Monte Carlo draws and seed of the verification made when no ``report`` is given
        (``draws=0``: first-order verdicts only). Seeded draws are deterministic, so the
        same call writes the same bytes.

    Returns
    -------
    Path
        The file written; for ``.shp``, the folder holding the ``<stem>_<layer>.shp`` sets.

    Raises
    ------
    ExportError
        The suffix is not one of :data:`FORMATS`, the file exists and ``overwrite`` is
        false, the folder does not exist, or the writer failed (nothing is left behind).

    Examples
    --------
    >>> import json, tempfile, pathlib
    >>> from borderkit import load_case
    >>> out = export(load_case("tavush-2024"), pathlib.Path(tempfile.mkdtemp()) / "t.geojson")
    >>> doc = json.loads(out.read_text())
    >>> sorted({f["properties"]["layer"] for f in doc["features"]})[:3]
    ['extent', 'handed_over', 'new_line']
    """
    out = Path(path)
    suffix = _format_of(out)
    # Never write over the case's own files (an export is not an input).
    inputs = {(case.root / lay.path).resolve() for lay in case.layers.values()} | {(case.root / "case.toml").resolve()}
    if out.resolve() in inputs:
        msg = f"{out}: is an input file of case {case.id!r}; borderkit never modifies its inputs. Choose another path."
        raise ExportError(msg)
    # Fail early on a bad path (the existing-file check comes with the writer).
    if suffix == ".shp":
        if not out.parent.is_dir():
            msg = f"{out}: folder {str(out.parent)!r} does not exist. Create it first."
            raise ExportError(msg)
    else:
        check_writable(out, overwrite=True)
    if report is None:
        from borderkit.verify import verify

        report = verify(case, measurements=measurements, draws=draws, seed=seed)
    measurements = report.measurements
    layers = export_layers(case, measurements=measurements, report=report, impact_result=impact_result)
    if suffix == ".shp":
        return _write_shapefile_set(layers, out, overwrite)
    try:
        with atomic_output(out, overwrite=overwrite) as tmp:
            if suffix in (".geojson", ".json"):
                _write_geojson(case, layers, tmp, measurements)
            elif suffix == ".gpkg":
                _write_gdal(layers, tmp, "GPKG", case=case, measurements=measurements)
            elif suffix == ".kml":
                _write_gdal(layers, tmp, _kml_driver())
            elif suffix in (".shp.zip", ".zip"):
                _write_shapefile_zip(layers, tmp)
            else:
                tmp.write_text(_segments_csv(layers), encoding="utf-8")
    except ExportError:
        raise
    except Exception as err:
        msg = f"{out}: writing {FORMATS[suffix]} failed ({type(err).__name__}: {err}); nothing was written."
        raise ExportError(msg) from err
    return out

