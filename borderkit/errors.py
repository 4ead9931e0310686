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

    BorderkitWarning(UserWarning)                      legal but suspicious input (measured as given)

Messages name the file, row or field, show the bad value with ``!r`` and say how to fix it.
A :class:`BorderkitWarning` is issued once per cause and kept in ``Report.warnings``
(the JSON's ``"warnings"``).
"""

from __future__ import annotations

import warnings
from collections.abc import Iterator
from contextlib import contextmanager

__all__ = [
    "BorderkitError",
    "BorderkitWarning",
    "CRSError",
    "CaseError",
    "CaseNotFoundError",
    "CoordinateError",
    "ExportError",
    "GeometryError",
    "InputError",
    "ParameterError",
    "collect_warnings",
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


class BorderkitWarning(UserWarning):
    """Input that is legal but suspicious: a self-crossing line, an extent that misses the lines."""


@contextmanager
def collect_warnings() -> Iterator[list[str]]:
    """Collect the :class:`BorderkitWarning` texts issued in the block, then issue each once.

    Other warnings pass through unchanged. Nested blocks issue nothing twice: the outer
    block sees each text once more and keeps one.

    Examples
    --------
    >>> with warnings.catch_warnings(record=True) as seen:
    ...     warnings.simplefilter("always")
    ...     with collect_warnings() as texts:
    ...         for _ in range(3):
    ...             warnings.warn("line crosses itself", BorderkitWarning)
    >>> texts, len(seen)
    (['line crosses itself'], 1)
    """
    texts: list[str] = []
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        yield texts
    for w in caught:
        if issubclass(w.category, BorderkitWarning):
            if str(w.message) not in texts:
                texts.append(str(w.message))
        else:
            warnings.warn_explicit(w.message, w.category, w.filename, w.lineno, source=w.source)
    for text in texts:
        warnings.warn(text, BorderkitWarning, stacklevel=3)
