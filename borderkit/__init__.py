"""borderkit: check what governments say about a border delimitation against coordinates.

Examples
--------
>>> import borderkit
>>> case = borderkit.load_case("tavush-2024")
>>> report = borderkit.verify(case)
>>> report.to_frame().loc["length-total-12.7", "unit"]
'km'
"""

from __future__ import annotations

from borderkit.case import Case, Claim, Layer, Pair, list_cases, load_case
from borderkit.crs import Transformation
from borderkit.errors import (
    BorderkitError,
    CaseError,
    CaseNotFoundError,
    CoordinateError,
    CRSError,
    ExportError,
    GeometryError,
    InputError,
)
from borderkit.export import export
from borderkit.geodesy import geodesic_area_m2, geodesic_length_m
from borderkit.impact import ImpactResult, impact
from borderkit.measure import Measurements, measure
from borderkit.plot import plot_case, save_map, save_maps
from borderkit.readers import read_layer, read_points_csv
from borderkit.report import write_report
from borderkit.uncertainty import UncertaintyResult, uncertainty
from borderkit.verify import Report, Verdict, verify
from borderkit.webmap import save_web_map, web_map

__version__ = "0.1.0"

__all__ = [
    "BorderkitError",
    "CRSError",
    "Case",
    "CaseError",
    "CaseNotFoundError",
    "Claim",
    "CoordinateError",
    "ExportError",
    "GeometryError",
    "ImpactResult",
    "InputError",
    "Layer",
    "Measurements",
    "Pair",
    "Report",
    "Transformation",
    "UncertaintyResult",
    "Verdict",
    "__version__",
    "export",
    "geodesic_area_m2",
    "geodesic_length_m",
    "impact",
    "list_cases",
    "load_case",
    "measure",
    "plot_case",
    "read_layer",
    "read_points_csv",
    "save_map",
    "save_maps",
    "save_web_map",
    "uncertainty",
    "verify",
    "web_map",
    "write_report",
]
