"""The layer model every output shares: the case's layers and what was measured, as frames.

:func:`export_layers` turns a :class:`~borderkit.Report` into :class:`ExportLayer` s:
rounded, oriented, measured GeoDataFrames with their provenance. The GIS exports write
them, and the maps and the web map draw them, so a face's area is the same number in
every output.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from shapely.geometry.base import BaseGeometry

from borderkit._impact import IMPACT_ROLES
from borderkit._present import claim_fields, face_verdicts, section_verdicts, went_to
from borderkit.case import Case, Layer
from borderkit.enums import LineBasis
from borderkit.geodesy import geodesic_area_m2, geodesic_length_m, local_plane, local_projected_crs, planar_length_m

if TYPE_CHECKING:
    from borderkit._impact import ImpactResult
    from borderkit._measure import Measurements
    from borderkit._report import Report

__all__ = ["COORDINATE_DECIMALS", "IMPACT_LAYERS", "LAYER_ORDER", "ExportLayer", "export_layers", "round_geometry"]

#: Decimals of longitude and latitude written: 1e-7° is 1.1 cm of latitude.
COORDINATE_DECIMALS = 7

#: Order of the exported layers; case layers of other roles (buildings, plots, roads,
#: features) follow under their own name. ``context`` layers are for maps only.
LAYER_ORDER = (
    "settlements",
    "turning_points",
    "new_line",
    "new_line_alt",
    "old_line",
    "extent",
    "segments",
    "sections",
    "handed_over",
)

#: Layers of impact results, after the case's own layers; only for cases with an impact layer.
IMPACT_LAYERS = ("impact_items", "road_crossings", "near_line")

_CORE = ["layer", "name", "pair"]
_PROVENANCE = ["source", "licence", "date", "accuracy_m"]
TRANSFORMATION_FIELDS = _TRANSFORMATION = [
    "source_crs",
    "transformation_code",
    "transformation_name",
    "transformation_accuracy_m",
    "transformation_spread_m",
    "transformation_candidates",
]


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
    rounded = shapely.transform(geometry, lambda xy: np.vectorize(_round_coord, otypes=[float])(xy) if xy.size else xy)
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
        frame["length_m"] = [
            None if g is None or g.geom_type not in lines else round(geodesic_length_m(g), 3) for g in geoms
        ]
        if planar and len(frame):
            # The mean vertex, not a centroid: a zero-length line has none.
            lon, lat = shapely.get_coordinates([g for g in geoms if g is not None]).mean(axis=0)
            utm = local_projected_crs(float(lon), float(lat))
            frame["planar_length_m"] = [None if g is None else round(planar_length_m(g, utm), 3) for g in geoms]
    if kinds & polygons:
        frame["area_m2"] = [
            None if g is None or g.geom_type not in polygons else round(geodesic_area_m2(g), 2) for g in geoms
        ]
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


def _finish(name: str, frame: gpd.GeoDataFrame, layers: list[Layer], *, planar: bool = False) -> ExportLayer:
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
    specific = [c for c in frame.columns if c not in {*_CORE, *_PROVENANCE, *_TRANSFORMATION, "geometry"}]
    cols = _CORE + specific + _PROVENANCE + _TRANSFORMATION + ["geometry"]
    frame = gpd.GeoDataFrame(frame[cols], geometry="geometry", crs="EPSG:4326")
    return ExportLayer(name, frame, record)


def _str(value: Any) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    return str(value)


def _settlements_layer(case: Case, m: Measurements) -> ExportLayer | None:
    lay = case.layer("settlements")
    if lay is None:
        return None
    s = m.settlements
    s = s[s.geometry.notna()]
    nf = lay.name_field
    feature_source: dict[str, str] = {}
    if "source" in lay.frame.columns and nf in lay.frame.columns:
        feature_source = {str(n): _str(v) for n, v in zip(lay.frame[nf], lay.frame["source"], strict=True)}
    frame = gpd.GeoDataFrame(
        {
            "name": [str(v) for v in s["name"]],
            "pair": [_str(v) for v in s["pair"]],
            "country": [_str(v) for v in s["country"]],
            "side_new": [_str(v) for v in s.get("side_new", pd.Series([""] * len(s)))],
            "side_old": [_str(v) for v in s.get("side_old", pd.Series([""] * len(s)))],
            "distance_to_new_m": [
                None if pd.isna(v) else round(float(v), 1)
                for v in s.get("distance_to_new_m", pd.Series([math.nan] * len(s)))
            ],
            "feature_source": [feature_source.get(str(n), "") for n in s["name"]],
        },
        geometry=list(s.geometry),
        crs="EPSG:4326",
    )
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
    src = case.layer("turning_points") if m.line_basis is LineBasis.TURNING_POINTS else case.layers.get(m.rendering)
    layers = [src] if src is not None else []
    if not layers:
        return []
    seg = m.segments
    frame = gpd.GeoDataFrame(
        {
            "name": [""] * len(seg),
            "pair": [_str(p) for p in seg["pair"]],
            "segment": np.arange(1, len(seg) + 1, dtype=np.int64),
            "basis": [str(m.line_basis)] * len(seg),
        },
        geometry=list(seg.geometry),
        crs="EPSG:4326",
    )
    segments = _finish("segments", frame, layers, planar=True)
    labels = {p.id: p.label for p in case.pairs}
    rows = []
    for pair in dict.fromkeys(segments.frame["pair"]):
        parts = segments.frame.loc[segments.frame["pair"] == pair, "geometry"].to_numpy()
        merged = shapely.line_merge(shapely.union_all(parts)) if len(parts) > 1 else parts[0]
        rows.append(
            {
                "name": labels.get(pair, ""),
                "pair": pair,
                "basis": str(m.line_basis),
                **claim_fields(section_verdicts(report, pair)),
                "geometry": merged,
            }
        )
    sections = _finish("sections", gpd.GeoDataFrame(rows, geometry="geometry", crs="EPSG:4326"), layers, planar=True)
    return [segments, sections]


def _handed_over_layer(case: Case, m: Measurements, report: Report | None) -> ExportLayer | None:
    new, old = case.layers.get(m.rendering), case.layer("old_line")
    if m.areas is None or len(m.areas) == 0 or new is None or old is None:
        return None
    a = m.areas
    slivers = [bool(v) for v in a["sliver"]] if "sliver" in a.columns else [False] * len(a)
    widths = [
        math.nan if pd.isna(v) else round(float(v), 1)
        for v in (a["width_m"] if "width_m" in a.columns else [math.nan] * len(a))
    ]
    claims = [
        claim_fields(face_verdicts(report, str(t), _str(p), s))
        for t, p, s in zip(a["to_country"], a["pairs"], slivers, strict=True)
    ]
    frame = gpd.GeoDataFrame(
        {
            "name": [went_to(case, m, str(t)) for t in a["to_country"]],
            "pair": [_str(p) for p in a["pairs"]],
            "from_country": [_str(v) for v in a["from_country"]],
            "to_country": [_str(v) for v in a["to_country"]],
            "settlements": [_str(v) for v in a.get("settlements", pd.Series([""] * len(a)))],
            # What the face is (borderkit.measure's FACE_KINDS): it holds a village an area claim
            # names, it is a sliver, or it is a mapping difference between the lines.
            "kind": [_str(v) for v in (a["kind"] if "kind" in a.columns else [""] * len(a))],
            "sliver": np.asarray(slivers, dtype=bool),
            "width_m": np.asarray(widths, dtype=float),
            "basis": [str(m.line_basis)] * len(a),
            **{key: [c[key] for c in claims] for key in ("claims", "claims_first_order", "claims_interval")},
        },
        geometry=list(a.geometry),
        crs="EPSG:4326",
    )
    return _finish("handed_over", frame, [new, old])


def export_layers(report: Report) -> list[ExportLayer]:
    """Every layer an output writes or draws, in :data:`LAYER_ORDER`, as GeoDataFrames.

    Empty layers are left out (a case with no old line has no ``handed_over``). A case
    with an impact layer gets the :data:`IMPACT_LAYERS` last, from ``report.impact``.

    Examples
    --------
    >>> import borderkit
    >>> [lay.name for lay in export_layers(borderkit.analyse("tavush-2024", draws=0))]
    ['settlements', 'new_line', 'osm_2025a', 'osm_2024b', 'osm_2024a', 'gb_2020', 'gb_2021', 'old_line', 'extent',
     'segments', 'sections', 'handed_over']
    """
    case, m = report.case, report.measurements
    out: list[ExportLayer] = []
    settlements = _settlements_layer(case, m)
    if settlements is not None:
        out.append(settlements)
    for role in ("turning_points", "new_line", "new_line_alt", "old_line", "extent"):
        for lay in case.layers_with_role(role):
            out.append(_case_layer(role if len(case.layers_with_role(role)) == 1 else lay.name, lay))
    out += _segments_layers(case, m, report)
    handed = _handed_over_layer(case, m, report)
    if handed is not None:
        out.append(handed)
    has_impact = report.impact is not None
    taken = {x.name for x in out} | (set(IMPACT_LAYERS) if has_impact else set())
    for lay in case.layers.values():
        if lay.role in IMPACT_ROLES:
            name = lay.name if lay.name not in taken else f"{lay.role}_{lay.name}"
            taken.add(name)
            out.append(_case_layer(name, lay))
    if report.impact is not None:
        out += _impact_layers(case, m, report.impact)
    return [x for x in out if len(x.frame)]


# ---------------------------------------------------------------------- impact layers
def _source_layer(case: Case, name: str) -> Layer:
    return case.layers[name] if name in case.layers else case.layers_with_role(name)[0]


def _nearest_pair(geoms: Any, m: Measurements) -> list[str]:
    """Pair of the stretch of the new line nearest to each geometry (in the local UTM plane)."""
    seg = m.segments
    if len(seg) == 0 or len(geoms) == 0:
        return [""] * len(geoms)
    c = shapely.centroid(shapely.envelope(shapely.union_all(seg.geometry.to_numpy())))
    plane = local_plane(c.x, c.y)
    tree = shapely.STRtree(plane.to(seg.geometry.to_numpy()))
    (src, hit) = tree.query_nearest(plane.to(np.asarray(geoms, dtype=object)), all_matches=False)
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


def _impact_layers(case: Case, m: Measurements, res: ImpactResult) -> list[ExportLayer]:
    out: list[ExportLayer | None] = []
    items = res.items
    pairs = res.polygons["pairs"] if len(res.polygons) else pd.Series(dtype=object)
    frame = gpd.GeoDataFrame(
        {
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
            "basis": [str(m.line_basis)] * len(items),
        },
        geometry=list(items.geometry),
        crs="EPSG:4326",
    )
    out.append(_per_feature("impact_items", frame, [[_source_layer(case, str(v))] for v in items["layer"]]))
    cr = res.crossings
    new = case.layer("new_line")
    frame = gpd.GeoDataFrame(
        {
            "name": [_str(v) for v in cr["name"]],
            "pair": _nearest_pair(cr.geometry.to_numpy(), m),
            "source_layer": [str(v) for v in cr["layer"]],
            "source_fid": np.asarray(cr["fid"], dtype=np.int64),
            "n_crossings": np.asarray(cr["n_crossings"], dtype=np.int64),
            "road_length_m": np.round(np.asarray(cr["length_m"], dtype=float), 3),
            "basis": [str(m.line_basis)] * len(cr),
        },
        geometry=list(cr.geometry),
        crs="EPSG:4326",
    )
    out.append(
        _per_feature(
            "road_crossings",
            frame,
            [[_source_layer(case, str(v)), *([new] if new is not None else [])] for v in cr["layer"]],
        )
    )
    near = res.near_line
    frame = gpd.GeoDataFrame(
        {
            "name": [_str(v) for v in near["name"]],
            "pair": _nearest_pair(near.geometry.to_numpy(), m),
            "role": [str(v) for v in near["role"]],
            "source_layer": [str(v) for v in near["layer"]],
            "distance_m": np.round(np.asarray(near["distance_m"], dtype=float), 3),
            "country_after": [_str(v) for v in near["country_after"]],
            "basis": [str(m.line_basis)] * len(near),
        },
        geometry=list(near.geometry),
        crs="EPSG:4326",
    )
    out.append(_per_feature("near_line", frame, [[_source_layer(case, str(v))] for v in near["layer"]]))
    return [x for x in out if x is not None]
