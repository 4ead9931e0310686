"""The Python boundary: argument checks every public function shares.

Each raises :class:`~borderkit.ParameterError` naming the parameter, the value given
(``!r``) and what is allowed, so that a wrong call never ends in a bare ``TypeError``
from deep inside pandas or shapely.
"""

from __future__ import annotations

import math
import os
from collections.abc import Mapping
from typing import Any

from borderkit.errors import ParameterError

__all__ = ["check_bool", "check_int", "check_mapping", "check_number", "check_path", "check_positive", "check_text"]


def check_path(name: str, value: object, *, example: str = "'out.geojson'") -> str | os.PathLike[str]:
    """``value`` when it is a ``str`` or path.

    Examples
    --------
    >>> check_path("path", None)
    Traceback (most recent call last):
    ...
    borderkit.errors.ParameterError: path=None: give a file path (str or pathlib.Path), e.g. 'out.geojson'
    """
    if isinstance(value, str | os.PathLike) and str(value) != "":
        return value
    msg = f"{name}={value!r}: give a file path (str or pathlib.Path), e.g. {example}"
    raise ParameterError(msg)


def check_int(name: str, value: object, lo: int, hi: int) -> int:
    """``value`` when it is a whole number (not a bool) from ``lo`` to ``hi``."""
    if isinstance(value, bool) or not isinstance(value, int) or not lo <= value <= hi:
        msg = f"{name}={value!r}: give a whole number from {lo:,} to {hi:,}"
        raise ParameterError(msg)
    return value


def check_number(name: str, value: object, lo: float, hi: float, *, what: str = "") -> float:
    """``value`` as a float when it is a finite real number (not a bool) from ``lo`` to ``hi``.

    Examples
    --------
    >>> check_number("building_share", "x", 0, 1)
    Traceback (most recent call last):
    ...
    borderkit.errors.ParameterError: building_share='x': give a finite number from 0 to 1
    """
    ok = isinstance(value, int | float) and not isinstance(value, bool)
    if not ok or not math.isfinite(float(value)) or not lo <= float(value) <= hi:  # type: ignore[arg-type]
        msg = f"{name}={value!r}: give a finite number from {lo:g} to {hi:g}{what}"
        raise ParameterError(msg)
    return float(value)  # type: ignore[arg-type]


def check_positive(name: str, value: object) -> float:
    """``value`` when it is a finite number > 0."""
    if isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value) and value > 0:
        return float(value)
    msg = f"{name}={value!r}: give a finite number > 0"
    raise ParameterError(msg)


def check_bool(name: str, value: object) -> bool:
    """``value`` when it is ``True`` or ``False``."""
    if isinstance(value, bool):
        return value
    msg = f"{name}={value!r}: give True or False"
    raise ParameterError(msg)


def check_text(name: str, value: object, *, allowed: Any = None, optional: bool = False) -> str | None:
    """``value`` when it is text (one of ``allowed`` if given), or ``None`` when ``optional``."""
    if value is None and optional:
        return None
    if isinstance(value, str) and (allowed is None or value in allowed):
        return value
    what = f"one of {sorted(allowed)}" if allowed is not None else "text"
    msg = f"{name}={value!r}: give {what}" + (" or None" if optional else "")
    raise ParameterError(msg)


def check_mapping(name: str, value: object, *, example: str) -> Mapping[str, str] | None:
    """``value`` when it is ``None`` or a mapping of text to text."""
    if value is None:
        return None
    if isinstance(value, Mapping) and all(isinstance(k, str) and isinstance(v, str) for k, v in value.items()):
        return value
    msg = f"{name}={value!r}: give a mapping of text to text, e.g. {example}, or None"
    raise ParameterError(msg)
