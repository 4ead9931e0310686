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
- ``handed_over`` faces carry ``kind`` (``named villages``, ``sliver``, ``mapping
  difference`` or ``handover``, as ``Measurements.areas``), ``sliver`` and ``width_m``
  (largest inscribed circle's diameter): a sliver is narrower than the lines' combined
  accuracy, counts for nothing and carries no claim;
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
import zipfile
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from borderkit._api import as_report, case_of
from borderkit._io import atomic_output, atomic_outputs, check_writable, os_error
from borderkit._layers import IMPACT_LAYERS, ExportLayer, export_layers
from borderkit._layers import TRANSFORMATION_FIELDS as _TRANSFORMATION
from borderkit._present import _description, basis_record
from borderkit._progress import progress
from borderkit._report import Report
from borderkit._validate import check_bool, check_path
from borderkit.case import Case
from borderkit.errors import ExportError

if TYPE_CHECKING:
    from borderkit._measure import Measurements

__all__ = ["FORMATS", "SHAPEFILE_FIELDS", "export", "geojson_features", "geojson_text"]

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

#: Pinned GDAL timestamp (GeoPackage ``gpkg_contents.last_change``) for byte-stable files.
_GDAL_DATE = "2000-01-01T00:00:00Z"

#: Features between two moves of the GeoJSON progress bar.
_BAR_CHUNK = 1000


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
    with progress(sum(len(lay.frame) for lay in layers), "GeoJSON features", "feature") as bar:
        for lay in layers:
            bar.set_postfix_str(lay.name, refresh=False)
            props_cols = [c for c in lay.frame.columns if c != "geometry" and c not in _TRANSFORMATION]
            for i, row in enumerate(lay.frame.itertuples(index=False)):
                rec = row._asdict()
                props = {c: _json_value(rec[c]) for c in props_cols}
                props["transformation"] = dict(
                    lay.transformation if lay.transformations is None else lay.transformations[i]
                )
                geom = rec["geometry"]
                features.append(
                    {
                        "type": "Feature",
                        "properties": props,
                        "geometry": None if geom is None else shapely.geometry.mapping(geom),
                    }
                )
                if i % _BAR_CHUNK == _BAR_CHUNK - 1:
                    bar.update(_BAR_CHUNK)
            bar.update(len(lay.frame) % _BAR_CHUNK)
    return features


def _coords_to_lists(obj: Any) -> Any:
    if isinstance(obj, (tuple, list)):
        return [_coords_to_lists(x) for x in obj]
    if isinstance(obj, dict):
        return {k: _coords_to_lists(v) for k, v in obj.items()}
    return obj


def geojson_text(case: Case, layers: list[ExportLayer], *, measurements: Measurements) -> str:
    """The RFC 7946 document, one feature per line, deterministic.

    The foreign member ``"borderkit"`` (:func:`basis_record`) says what the new line is.
    """
    lines = [
        json.dumps(_coords_to_lists(f), ensure_ascii=False, allow_nan=False, separators=(",", ":"))
        for f in geojson_features(layers)
    ]
    head = json.dumps(
        {"type": "FeatureCollection", "name": case.id, "borderkit": basis_record(case, measurements)},
        ensure_ascii=False,
    )[:-1]
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


def _write_gdal(
    layers: list[ExportLayer],
    tmp: Path,
    driver: str,
    *,
    rename: Mapping[str, str] | None = None,
    case: Case | None = None,
    measurements: Measurements | None = None,
) -> None:
    import pyogrio

    with _pinned_gdal_date(), progress(len(layers), f"writing {driver}", "layer") as bar:
        for i, lay in enumerate(layers):
            bar.set_postfix_str(lay.name, refresh=False)
            f = _flat_frame(lay, rename=rename)
            kw: dict[str, Any] = {}
            if driver == "GPKG":
                desc = (
                    _description(case, measurements, lay.name)
                    if case is not None and measurements is not None
                    else f"borderkit layer {lay.name}"
                )
                kw["layer_options"] = {"DESCRIPTION": desc}
                if i == 0:
                    # GeoPackage 1.2: what GDAL < 3.9 and QGIS 3.x read without warnings.
                    kw["dataset_options"] = {"VERSION": "1.2"}
            pyogrio.write_dataframe(f, tmp, layer=lay.name, driver=driver, append=i > 0, **kw)
            bar.update(1)


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
            out.append(
                ExportLayer(
                    f"{lay.name}_{_DIMENSION_NAMES[d]}", lay.frame[sel].reset_index(drop=True), lay.transformation
                )
            )
    return out


def _write_shapefiles(layers: list[ExportLayer], folder: Path, stem: str) -> list[Path]:
    import pyogrio

    written = []
    parts = _shapefile_parts(layers)
    with progress(len(parts), "writing Shapefiles", "layer") as bar:
        for lay in parts:
            bar.set_postfix_str(lay.name, refresh=False)
            target = folder / f"{stem}{lay.name}.shp"
            f = _flat_frame(lay, rename=SHAPEFILE_FIELDS)
            for col in f.columns:
                if f[col].dtype == object:
                    f[col] = [_dbf_text(v) for v in f[col]]
            pyogrio.write_dataframe(f, target, driver="ESRI Shapefile", layer_options={"ENCODING": "UTF-8"})
            written += sorted(folder.glob(f"{stem}{lay.name}.*"))
            bar.update(1)
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
    text = (
        "borderkit Shapefile export: field names are cut to 10 characters.\n"
        "Full name (GeoJSON, GeoPackage)  ->  Shapefile field\n\n" + "\n".join(rows) + "\n"
    )
    if impact:
        text += (
            "\nA Shapefile holds one geometry type: impact_items and near_line are split into\n"
            "<layer>_points, <layer>_lines and <layer>_polygons.\n"
        )
    return text


def _write_shapefile_zip(layers: list[ExportLayer], tmp: Path) -> None:
    # The scratch folder shares the temporary name, so the writer removes it on any exit.
    scratch = tmp.with_name(tmp.name + ".d")
    scratch.mkdir()
    files = _write_shapefiles(layers, scratch, "")
    with zipfile.ZipFile(tmp, "w", compression=zipfile.ZIP_DEFLATED) as z:
        # A fixed timestamp keeps the archive byte-stable.
        info = zipfile.ZipInfo("fields.txt", date_time=(2000, 1, 1, 0, 0, 0))
        z.writestr(info, _fields_text(layers), compress_type=zipfile.ZIP_DEFLATED)
        for f in files:
            info = zipfile.ZipInfo(f.name, date_time=(2000, 1, 1, 0, 0, 0))
            z.writestr(info, f.read_bytes(), compress_type=zipfile.ZIP_DEFLATED)


_SHAPEFILE_SET = (".shp", ".shx", ".dbf", ".prj", ".cpg")


def _write_shapefile_set(layers: list[ExportLayer], path: Path, overwrite: bool, inputs: tuple[Path, ...]) -> Path:
    """Write the ``<stem>_<layer>.shp`` sets through one writer: every file of every set, or none."""
    stem = path.name[: -len(".shp")] + "_"
    names = [lay.name for lay in _shapefile_parts(layers)]
    targets = [path.parent / f"{stem}{name}{ext}" for name in names for ext in _SHAPEFILE_SET]
    with atomic_outputs(targets, overwrite=overwrite, inputs=inputs) as tmps:
        scratch = tmps[0].with_name(tmps[0].name + ".d")
        scratch.mkdir()
        _write_shapefiles(layers, scratch, stem)
        for target, tmp in zip(targets, tmps, strict=True):
            written = scratch / target.name
            if written.exists():
                os.replace(written, tmp)
            else:  # GDAL wrote no such sidecar: an empty one keeps the set complete
                tmp.touch()
    return path.parent


def _segments_csv(layers: list[ExportLayer]) -> str:
    seg = next((lay.frame for lay in layers if lay.name == "segments"), None)
    cols = [
        "segment",
        "pair",
        "lon_start",
        "lat_start",
        "lon_end",
        "lat_end",
        "length_m",
        "planar_length_m",
        "cumulative_length_m",
        "source",
        "licence",
        "transformation_code",
        "WKT",
    ]
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
        w.writerow(
            [
                int(r.segment),
                r.pair,
                *(repr(float(v)) for v in (xy[0, 0], xy[0, 1], xy[-1, 0], xy[-1, 1])),
                f"{r.length_m:.3f}",
                f"{r.planar_length_m:.3f}",
                f"{cumulative:.3f}",
                r.source,
                r.licence,
                r.transformation_code,
                r.geometry.wkt,
            ]
        )
    return buf.getvalue()


def _format_of(path: Path) -> str:
    name = path.name.lower()
    for suffix in sorted(FORMATS, key=len, reverse=True):
        if name.endswith(suffix):
            return suffix
    bad = "".join(path.suffixes[-1:]) or "(none)"
    msg = (
        f"{path}: cannot export to suffix {bad!r}. Allowed suffixes: "
        f"{', '.join(FORMATS)} (" + ", ".join(f"{k} {v}" for k, v in FORMATS.items()) + ")."
    )
    raise ExportError(msg)


def export(
    report: Report | Case | str | os.PathLike[str], path: str | os.PathLike[str], *, overwrite: bool = False
) -> Path:
    """Write a report's layers and measurements to a GIS file; the format is the suffix.

    Parameters
    ----------
    report : Report, Case, str or path
        What :func:`borderkit.analyse` returned; a case (or its id or folder) is analysed
        once with the default draws. The verdicts fill the ``claims`` fields of
        ``sections`` and ``handed_over``; seeded draws are deterministic, so the same
        call writes the same bytes.
    path : str or path
        ``.geojson`` (or ``.json``), ``.gpkg``, ``.kml``, ``.shp.zip`` (or ``.zip``),
        ``.shp`` or ``.csv``; see :data:`FORMATS` and the module docstring.
    overwrite : bool
        Replace an existing file. Without it an existing file is an error.

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
    >>> import borderkit
    >>> report = borderkit.analyse("tavush-2024", draws=0)
    >>> out = export(report, pathlib.Path(tempfile.mkdtemp()) / "t.geojson")
    >>> doc = json.loads(out.read_text())
    >>> sorted({f["properties"]["layer"] for f in doc["features"]})[:3]
    ['extent', 'gb_2020', 'gb_2021']
    """
    check_path("path", path, example="'tavush.gpkg'")
    check_bool("overwrite", overwrite)
    case = case_of(report)
    out = Path(path)
    suffix = _format_of(out)
    # Never write over the case's own files, nor a .shp set over an input's sidecars.
    inputs = case.inputs
    if out.resolve() in {p.resolve() for p in inputs}:
        msg = f"{out}: is an input file of case {case.id!r}; borderkit never modifies its inputs. Choose another path."
        raise ExportError(msg)
    # Fail early on a bad path; a .shp set's files are checked one by one when written.
    check_writable(out, overwrite=overwrite or suffix == ".shp", inputs=inputs)
    report = as_report(report if isinstance(report, Report) else case)
    measurements = report.measurements
    layers = export_layers(report)
    try:
        if suffix == ".shp":
            return _write_shapefile_set(layers, out, overwrite, inputs)
        with atomic_output(out, overwrite=overwrite, inputs=inputs) as tmp:
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
    except OSError as err:
        raise os_error(out, err) from err
    except Exception as err:
        msg = f"{out}: writing {FORMATS[suffix]} failed ({type(err).__name__}: {err}); nothing was written."
        raise ExportError(msg) from err
    return out
