"""Read coordinate sets (points, lines, polygons) from files into WGS 84 GeoDataFrames."""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import pyogrio
from pyogrio.errors import DataSourceError

from borderkit.crs import Transformation, parse_crs, to_wgs84_frame
from borderkit.errors import InputError

__all__ = ["read_layer"]


def read_layer(
    path: str | Path,
    *,
    crs: str | None = None,
    operation: str | None = None,
    layer: str | None = None,
) -> tuple[gpd.GeoDataFrame, Transformation]:
    """Read one vector layer and return it in WGS 84 with the transformation used.

    Parameters
    ----------
    path : str or Path
        A GeoJSON, GeoPackage, Shapefile or KML file (CSV support: see the CSV readers).
    crs : str, optional
        The CRS the file's coordinates are in. Overrides what the file says.
    operation : str, optional
        EPSG code of the datum operation to use (``"EPSG:15865"``).
    layer : str, optional
        Layer name in a multi-layer file (GeoPackage).

    Returns
    -------
    (GeoDataFrame, Transformation)
    """
    path = Path(path)
    if not path.is_file():
        msg = f"{path}: no such file. Check the path (relative paths are from the case folder)."
        raise InputError(msg)
    try:
        frame = pyogrio.read_dataframe(path, layer=layer)
    except DataSourceError as err:
        msg = f"{path}: cannot be read as a vector file ({err}). Use GeoJSON, GeoPackage, KML or Shapefile."
        raise InputError(msg) from err
    if crs is not None:
        frame = frame.set_crs(parse_crs(crs, where=f"{path}: crs"), allow_override=True)
    return to_wgs84_frame(frame, operation=operation)
