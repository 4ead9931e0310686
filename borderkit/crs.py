"""Coordinate reference systems, legacy datums and the choice of datum operation.

Every layer borderkit reads is brought to WGS 84 longitude/latitude (EPSG:4326,
``always_xy``). The operation used is recorded in a :class:`Transformation` so that
every output can say how its coordinates were obtained.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import geopandas as gpd
from pyproj import CRS
from pyproj.exceptions import CRSError as _PyprojCRSError

from borderkit.errors import CRSError

__all__ = ["WGS84", "Transformation", "parse_crs", "to_wgs84_frame"]

WGS84 = "EPSG:4326"


@dataclass(frozen=True)
class Transformation:
    """How a layer's coordinates were brought to WGS 84.

    Attributes
    ----------
    source_crs : str
        The CRS the data was declared in, e.g. ``"EPSG:28408"``.
    code : str or None
        The EPSG code of the datum operation used (``"EPSG:15865"``), or ``None`` when
        no datum change was needed (WGS 84 in, WGS 84 out; UTM on WGS 84).
    name : str
        Human-readable name of the operation.
    accuracy_m : float or None
        The operation's stated accuracy in metres (0 for a pure conversion, ``None``
        when the EPSG database gives none).
    spread_m : float
        Largest distance in metres between the results of the candidate operations
        over this data: how much the choice of operation matters.
    candidates : tuple of str
        Codes of the operations that were considered.
    """

    source_crs: str
    code: str | None
    name: str
    accuracy_m: float | None
    spread_m: float = 0.0
    candidates: tuple[str, ...] = field(default_factory=tuple)

    def to_dict(self) -> dict[str, Any]:
        """Return a JSON-ready mapping (``code``, ``name``, ``accuracy_m``, ...)."""
        return {
            "source_crs": self.source_crs,
            "code": self.code,
            "name": self.name,
            "accuracy_m": self.accuracy_m,
            "spread_m": round(self.spread_m, 3),
            "candidates": list(self.candidates),
        }

    def __repr__(self) -> str:
        acc = "?" if self.accuracy_m is None else f"{self.accuracy_m:g} m"
        return f"<Transformation {self.source_crs} -> WGS 84 via {self.code or 'none'} ({acc})>"


IDENTITY = Transformation(WGS84, None, "none (data already WGS 84)", 0.0)


def parse_crs(value: str, *, where: str = "crs") -> CRS:
    """Parse a CRS string, naming ``where`` it came from on failure.

    Examples
    --------
    >>> parse_crs("EPSG:28408").name
    'Pulkovo 1942 / Gauss-Kruger zone 8'
    """
    try:
        return CRS.from_user_input(value)
    except _PyprojCRSError as err:
        msg = (
            f"{where}: unknown CRS {value!r}. Give an EPSG code such as 'EPSG:4326' "
            "(WGS 84), 'EPSG:28408' (Pulkovo 1942 / Gauss-Kruger zone 8) or 'EPSG:32638' (UTM 38N)."
        )
        raise CRSError(msg) from err


def to_wgs84_frame(
    frame: gpd.GeoDataFrame, *, operation: str | None = None
) -> tuple[gpd.GeoDataFrame, Transformation]:
    """Bring a GeoDataFrame with a set CRS to WGS 84 and say how.

    A minimal version: data already on WGS 84 passes through; anything else goes through
    PROJ's default choice.  Explicit operations and the regional choice are added by
    :func:`choose_operation`.
    """
    if frame.crs is None:
        msg = "layer has no CRS: declare one (crs = 'EPSG:4326' in case.toml)"
        raise CRSError(msg)
    if CRS.from_user_input(frame.crs).equals(CRS.from_epsg(4326), ignore_axis_order=True):
        return frame.set_crs(WGS84, allow_override=True), IDENTITY
    src = CRS.from_user_input(frame.crs).to_string()
    out = frame.to_crs(WGS84)
    return out, Transformation(src, None, "PROJ default", None)
