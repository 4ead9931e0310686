"""borderkit: check what governments say about a border delimitation against coordinates.

How the package is built
------------------------
Computation flows one way; a module imports only the modules above it in this list::

    errors, enums                     the error hierarchy; the choices (Outcome, LineBasis, ...)
    geodesy, linetype, crs, readers   the ellipsoid, line types, datums, file formats
    case                              a case folder: its layers (brought to WGS 84) and claims
    areas, _measure                   lengths and handed-over faces, on every rendering
    _impact                           what lies in the handed-over land (buildings, plots, roads)
    _uncertainty                      the Monte Carlo: intervals of every claim
    _verify                           claims judged against what was measured; no computation
    _report, _api                     Report, the one frozen result; analyse() chains the above
    _present, _layers                 labels and formatting; the layer model outputs share
    _export, _plot, webmap, _html     GIS files, maps, the web map, the HTML report: each takes
                                      a Report and computes nothing of its own
    cli                               the command line, thin over analyse() and the outputs

``analyse(case)`` is the only place that chains measure → impact → uncertainty →
verify; every figure any output shows is a field of the :class:`Report` it returns.

Examples
--------
>>> import borderkit
>>> report = borderkit.analyse("tavush-2024", draws=0)
>>> report.to_frame().loc["length-total-12.7", "unit"]
'km'
"""

from __future__ import annotations

import importlib
import importlib.metadata as _metadata
from typing import TYPE_CHECKING, Any

from borderkit.enums import LineBasis, Outcome, Quantity, Role
from borderkit.errors import (
    BorderkitError,
    CaseError,
    CaseNotFoundError,
    CoordinateError,
    CRSError,
    ExportError,
    GeometryError,
    InputError,
    ParameterError,
)

if TYPE_CHECKING:
    from borderkit._api import analyse
    from borderkit._defaults import DEFAULT_DRAWS
    from borderkit._export import export
    from borderkit._html import report_html, write_report
    from borderkit._impact import ImpactResult, impact
    from borderkit._measure import Measurements, measure
    from borderkit._plot import plot, save_map, save_maps
    from borderkit._report import Report
    from borderkit._uncertainty import UncertaintyResult, uncertainty
    from borderkit._verify import CheckResult, Verdict
    from borderkit.case import Case, Claim, Layer, Pair, list_cases, load_case
    from borderkit.crs import Transformation
    from borderkit.geodesy import geodesic_area_m2, geodesic_length_m
    from borderkit.readers import read_layer, read_points_csv
    from borderkit.webmap import save_web_map, web_map

# The rest of the API is imported on first use (PEP 562): `borderkit --help` and
# `borderkit cases` then start without loading geopandas, pyproj and matplotlib.
_LAZY = {
    "DEFAULT_DRAWS": "borderkit._defaults",
    "analyse": "borderkit._api",
    "export": "borderkit._export",
    "report_html": "borderkit._html",
    "write_report": "borderkit._html",
    "ImpactResult": "borderkit._impact",
    "impact": "borderkit._impact",
    "Measurements": "borderkit._measure",
    "measure": "borderkit._measure",
    "plot": "borderkit._plot",
    "save_map": "borderkit._plot",
    "save_maps": "borderkit._plot",
    "Report": "borderkit._report",
    "UncertaintyResult": "borderkit._uncertainty",
    "uncertainty": "borderkit._uncertainty",
    "CheckResult": "borderkit._verify",
    "Verdict": "borderkit._verify",
    "Case": "borderkit.case",
    "Claim": "borderkit.case",
    "Layer": "borderkit.case",
    "Pair": "borderkit.case",
    "list_cases": "borderkit.case",
    "load_case": "borderkit.case",
    "Transformation": "borderkit.crs",
    "geodesic_area_m2": "borderkit.geodesy",
    "geodesic_length_m": "borderkit.geodesy",
    "read_layer": "borderkit.readers",
    "read_points_csv": "borderkit.readers",
    "save_web_map": "borderkit.webmap",
    "web_map": "borderkit.webmap",
}


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        msg = f"module 'borderkit' has no attribute {name!r}"
        raise AttributeError(msg)
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(__all__)


try:
    __version__ = _metadata.version("borderkit")
except _metadata.PackageNotFoundError:  # pragma: no cover - running from a source tree that was never installed
    __version__ = "0+unknown"

__all__ = [  # noqa: RUF022 - plain sorted order, as tests/test_init.py checks
    "BorderkitError",
    "CRSError",
    "Case",
    "CaseError",
    "CaseNotFoundError",
    "CheckResult",
    "Claim",
    "CoordinateError",
    "DEFAULT_DRAWS",
    "ExportError",
    "GeometryError",
    "ImpactResult",
    "InputError",
    "Layer",
    "LineBasis",
    "Measurements",
    "Outcome",
    "Pair",
    "ParameterError",
    "Quantity",
    "Report",
    "Role",
    "Transformation",
    "UncertaintyResult",
    "Verdict",
    "__version__",
    "analyse",
    "export",
    "geodesic_area_m2",
    "geodesic_length_m",
    "impact",
    "list_cases",
    "load_case",
    "measure",
    "plot",
    "read_layer",
    "read_points_csv",
    "report_html",
    "save_map",
    "save_maps",
    "save_web_map",
    "uncertainty",
    "web_map",
    "write_report",
]
