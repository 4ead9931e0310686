"""The one error hierarchy of borderkit.

Every error borderkit raises derives from :class:`BorderkitError` and also from the
builtin it refines, so callers may catch either::

    BorderkitError(Exception)
    ├── CaseError(BorderkitError, ValueError)          a case folder or case.toml is wrong
    │   └── CaseNotFoundError(CaseError, LookupError)      no such case id or folder
    ├── InputError(BorderkitError, ValueError)         a data file cannot be read as declared
    │   └── CoordinateError(InputError)                a coordinate is malformed or out of place
    ├── CRSError(BorderkitError, ValueError)           a CRS or datum operation is unknown/unsuitable
    ├── GeometryError(BorderkitError, ValueError)      geometry cannot be measured as asked
    ├── ParameterError(BorderkitError, ValueError)     a Python argument is of the wrong type or range
    └── ExportError(BorderkitError, OSError)           an output cannot be written

Messages name the file, row or field, show the bad value with ``!r`` and say how to fix it.
"""

from __future__ import annotations

__all__ = [
    "BorderkitError",
    "CRSError",
    "CaseError",
    "CaseNotFoundError",
    "CoordinateError",
    "ExportError",
    "GeometryError",
    "InputError",
    "ParameterError",
]


class BorderkitError(Exception):
    """Base class of every error borderkit raises."""


class CaseError(BorderkitError, ValueError):
    """A case folder or its ``case.toml`` is malformed."""


class CaseNotFoundError(CaseError, LookupError):
    """A case id or folder does not exist."""


class InputError(BorderkitError, ValueError):
    """A data file cannot be read as it was declared."""


class CoordinateError(InputError):
    """A coordinate is malformed, or lies where it cannot be (wrong zone, swapped axes)."""


class CRSError(BorderkitError, ValueError):
    """A coordinate reference system or datum operation is unknown or unsuitable."""


class GeometryError(BorderkitError, ValueError):
    """A geometry cannot be measured or combined as asked."""


class ExportError(BorderkitError, OSError):
    """An output file cannot be written (exists without ``overwrite``, bad suffix, ...)."""


class ParameterError(BorderkitError, ValueError):
    """A function was called with an argument of the wrong type or out of range."""
