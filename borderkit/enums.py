"""The choices borderkit makes and reports, as enums (the pyproj ``enums`` style).

Each member's value is the text outputs print and JSON carries, so ``Outcome.CONSISTENT
== "consistent"`` holds and a member can be compared with the plain string.

Examples
--------
>>> from borderkit.enums import Outcome, Quantity
>>> Outcome("inconsistent") is Outcome.INCONSISTENT
True
>>> str(Quantity.AREA)
'area'
"""

from __future__ import annotations

from enum import StrEnum

__all__ = ["LineBasis", "Outcome", "Quantity", "Role"]


class Outcome(StrEnum):
    """What a check of a reported figure comes to."""

    #: The reported figure's rounding interval overlaps the measured interval.
    CONSISTENT = "consistent"
    #: It does not.
    INCONSISTENT = "inconsistent"
    #: The interval is too wide, relative to its median, to decide anything.
    UNDETERMINED = "undetermined"
    #: Consistent under some scenarios (renderings), not under others.
    DEPENDS = "depends"
    #: The outcome could flip with more Monte Carlo draws.
    MORE_DRAWS = "more draws needed"
    #: The case lacks the data (the reason names what is missing).
    NOT_COMPUTABLE = "not computable"


class Quantity(StrEnum):
    """What a claim is about."""

    LENGTH = "length"
    AREA = "area"
    COUNT = "count"


class LineBasis(StrEnum):
    """How the measured stretch of the new line was obtained."""

    #: Joined turning points: the delimited line itself.
    TURNING_POINTS = "turning points"
    #: A proxy line between the points nearest to the outermost pair settlements.
    OUTERMOST_PAIRS = "between outermost pairs"
    #: A proxy line clipped to the case's extent.
    IN_EXTENT = "in extent"
    #: The whole proxy line (no extent and no settlements).
    WHOLE_LINE = "whole line"
    #: No new line and no turning points.
    NONE = "none"

    @property
    def is_proxy(self) -> bool:
        """True unless the line comes from turning points."""
        return self is not LineBasis.TURNING_POINTS


class Role(StrEnum):
    """What a layer of a case holds."""

    SETTLEMENTS = "settlements"
    TURNING_POINTS = "turning_points"
    NEW_LINE = "new_line"
    NEW_LINE_ALT = "new_line_alt"
    OLD_LINE = "old_line"
    EXTENT = "extent"
    BUILDINGS = "buildings"
    PLOTS = "plots"
    ROADS = "roads"
    FEATURES = "features"
    CONTEXT = "context"
