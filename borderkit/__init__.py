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
from borderkit.geodesy import geodesic_area_m2, geodesic_length_m
from borderkit.measure import Measurements, measure
from borderkit.readers import read_layer
from borderkit.verify import Report, Verdict, verify

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
    "InputError",
    "Layer",
    "Measurements",
    "Pair",
    "Report",
    "Transformation",
    "Verdict",
    "__version__",
    "geodesic_area_m2",
    "geodesic_length_m",
    "list_cases",
    "load_case",
    "measure",
    "read_layer",
    "verify",
]
