"""Convert a list of points in any supported CRS to WGS 84 GeoJSON or CSV.

The library side of ``borderkit convert``: the CLI prints the returned
:class:`~borderkit.crs.Transformation` on stderr.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import shapely

from borderkit._io import check_writable, write_text_atomic
from borderkit._validate import check_mapping, check_path, check_text
from borderkit.crs import Transformation
from borderkit.errors import ExportError, InputError
from borderkit.readers import read_layer

__all__ = ["OUTPUT_SUFFIXES", "convert_points"]

OUTPUT_SUFFIXES: dict[str, str] = {".geojson": "GeoJSON", ".json": "GeoJSON", ".csv": "CSV"}


def _plain(value: Any) -> Any:
    """A JSON-ready version of a table value (numpy scalars, NaN -> None)."""
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if value is None or isinstance(value, str | int | float | bool):
        return value
    return str(value)


def _geojson(frame: gpd.GeoDataFrame, record: dict[str, Any]) -> str:
    features = []
    attrs = frame.drop(columns=frame.geometry.name)
    for geom, props in zip(frame.geometry, attrs.to_dict("records"), strict=True):
        properties = {str(k): _plain(v) for k, v in props.items()}
        properties["transformation"] = record
        features.append(
            '{"type": "Feature", "geometry": {"type": "Point", "coordinates": '
            f"[{geom.x:.7f}, {geom.y:.7f}]}}, "
            f'"properties": {json.dumps(properties, ensure_ascii=False)}}}'
        )
    return '{"type": "FeatureCollection", "features": [\n' + ",\n".join(features) + "\n]}\n"


def _csv(frame: gpd.GeoDataFrame, record: dict[str, Any]) -> str:
    table = frame.drop(columns=frame.geometry.name)
    table.insert(0, "lon", [f"{g.x:.7f}" for g in frame.geometry])
    table.insert(1, "lat", [f"{g.y:.7f}" for g in frame.geometry])
    table["transformation"] = json.dumps(record, ensure_ascii=False)
    return str(table.to_csv(index=False, lineterminator="\n"))


def convert_points(
    input_path: str | Path,
    output_path: str | Path,
    *,
    crs: str | None = None,
    operation: str | None = None,
    overwrite: bool = False,
    columns: Mapping[str, str] | None = None,
) -> Transformation:
    """Convert a file of points to WGS 84 GeoJSON or CSV and say how.

    The output format follows the suffix: ``.geojson``/``.json`` gives RFC 7946
    GeoJSON (lon, lat; 7 decimals, ~1 cm; no ``crs`` member), ``.csv`` gives columns
    ``lon``, ``lat`` (7 decimals) before the input's other columns. Every feature
    (GeoJSON property ``transformation``) or row (CSV column ``transformation``, JSON
    text) records ``{"code", "name", "accuracy_m"}`` of the datum operation.
    The output is written atomically; the input is never modified.

    Parameters
    ----------
    input_path : str or Path
        CSV (decimal degrees, DMS, grid values) or any vector file of points.
    output_path : str or Path
        ``.geojson``, ``.json`` or ``.csv``.
    crs : str, optional
        The input's CRS (required for a CSV without a ``# crs:`` line).
    operation : str, optional
        EPSG datum operation (``"EPSG:1808"``); chosen by :mod:`borderkit.crs` if omitted.
    overwrite : bool
        Replace an existing output file.
    columns : mapping, optional
        Explicit CSV coordinate columns, as for :func:`borderkit.readers.read_layer`.

    Returns
    -------
    Transformation
        The datum operation used (for the CLI to print).

    Raises
    ------
    ExportError
        Unknown output suffix, output exists without ``overwrite``, output is the input,
        or the file cannot be written.
    InputError, CoordinateError, CRSError
        From reading the input.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> folder = pathlib.Path(tempfile.mkdtemp())
    >>> _ = (folder / "tp.csv").write_text("name,x,y\\nsynthetic,4547853.2139,8504938.2307\\n")
    >>> convert_points(folder / "tp.csv", folder / "tp.geojson", crs="EPSG:28408")
    <Transformation EPSG:28408 -> WGS 84 via EPSG:15865 (4.5 m)>
    >>> print((folder / "tp.geojson").read_text().splitlines()[1][:90])
    {"type": "Feature", "geometry": {"type": "Point", "coordinates": [45.0575000, 41.0647222]}
    """
    source = Path(check_path("input_path", input_path, example="'points.csv'"))
    target = Path(check_path("output_path", output_path))
    check_text("crs", crs, optional=True)
    check_text("operation", operation, optional=True)
    check_mapping("columns", columns, example="{'lon': 'x', 'lat': 'y'}")
    fmt = OUTPUT_SUFFIXES.get(target.suffix.lower())
    if fmt is None:
        msg = f"{target}: unknown output suffix {target.suffix!r}. Only {sorted(OUTPUT_SUFFIXES)} are supported."
        raise ExportError(msg)
    if source.exists() and target.exists() and source.resolve() == target.resolve():
        msg = f"{target}: is the input file; borderkit never modifies its inputs. Choose another output."
        raise ExportError(msg)
    check_writable(target, overwrite=overwrite, inputs=[source])
    frame, transformation = read_layer(source, crs=crs, operation=operation, columns=columns)
    if frame.empty:
        msg = f"{source}: holds no points (a header only?). Add one row per point."
        raise InputError(msg)
    kinds = set(shapely.get_type_id(np.asarray(frame.geometry.values)).tolist())
    if kinds - {0}:  # 0 = Point
        msg = (
            f"{source}: holds non-point geometries; convert_points converts lists of "
            "points. Read lines and polygons with borderkit.readers.read_layer."
        )
        raise InputError(msg)
    record = {
        "code": transformation.code,
        "name": transformation.name,
        "accuracy_m": transformation.accuracy_m,
    }
    text = _geojson(frame, record) if fmt == "GeoJSON" else _csv(frame, record)
    write_text_atomic(target, text, overwrite=overwrite, inputs=[source])
    return transformation
