"""SYNTHETIC smooth curves and renderings of them, for coverage tests of the error model.

Made up, at no real place: local metres (x east, y north) in UTM zone 32S (EPSG:32732)
around E 500 000, N 5 570 000 (about 9° E, 40° S, open South Atlantic, far from any
border), as in ``tests/conftest.py``'s synthetic village. A *truth* is a dense polyline
(5 m steps) whose length is known exactly; a *rendering* is the truth subsampled at a
coarser spacing and displaced perpendicular to itself by an independent draw of an
:class:`~borderkit._uncertainty._model.ErrorModel`, i.e. the model family the Monte Carlo assumes.

Load it from a test with :func:`load` (pytest runs with ``--import-mode=importlib``, so
``tests/`` is not on ``sys.path``)::

    curves = importlib.util ... (see load())
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

import numpy as np
from numpy.typing import NDArray
from pyproj import Transformer
from shapely import LineString

from borderkit._uncertainty._model import ErrorModel

SYNTHETIC_CRS = "EPSG:32732"
E0, N0 = 500_000.0, 5_570_000.0
_TO_LONLAT = Transformer.from_crs(SYNTHETIC_CRS, "EPSG:4326", always_xy=True)


def _sibling(name: str) -> ModuleType:
    """The module ``name`` beside this one, imported by path (the same object on every call):
    tests/ is not on sys.path under --import-mode=importlib."""
    if name not in sys.modules:
        spec = importlib.util.spec_from_file_location(name, Path(__file__).with_name(f"{name}.py"))
        assert spec is not None
        assert spec.loader is not None
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module
        spec.loader.exec_module(module)
    return sys.modules[name]


def load() -> ModuleType:
    """This module, imported by path (the same object on every call)."""
    return _sibling("_synthetic_curves")


#: The along-line error model the renderings are drawn with (tests/_along_line_model.py).
along = _sibling("_along_line_model")


def truth(rng: np.random.Generator, length_x_m: float = 20_000.0, step_m: float = 5.0) -> NDArray[np.float64]:
    """A SYNTHETIC smooth curve: x east in ``step_m`` steps, y a sum of three random-phase sines.

    Wavelengths 4 km, 1.5 km and 700 m, amplitudes 400, 120 and 30 m: curvature up to
    about 1/300 m, so that perpendicular displacements of tens of metres never fold it.
    """
    x = np.arange(0.0, length_x_m + step_m / 2, step_m)
    y = np.zeros_like(x)
    for amp, wave in ((400.0, 4000.0), (120.0, 1500.0), (30.0, 700.0)):
        y += amp * np.sin(2 * np.pi * x / wave + rng.uniform(0, 2 * np.pi))
    return np.column_stack([E0 + x, N0 + y])


def length_m(xy: NDArray[np.float64]) -> float:
    """Planar length of a polyline, metres."""
    return float(np.hypot(*np.diff(xy, axis=0).T).sum())


def rendering(
    true_xy: NDArray[np.float64], spacing_m: float, model: ErrorModel, rng: np.random.Generator
) -> NDArray[np.float64]:
    """The truth subsampled every ~``spacing_m`` of chainage, displaced by one draw of ``model``."""
    s = along.chainage_of(true_xy)
    keep = np.unique(np.concatenate([np.searchsorted(s, np.arange(0.0, s[-1], spacing_m)), [s.size - 1]]))
    xy = true_xy[keep]
    return along.perturb(xy, along.simulate_offsets(s[keep], model, 1, rng))[0]


def to_lonlat(xy: NDArray[np.float64]) -> LineString:
    """The polyline in lon/lat (WGS 84), for :func:`borderkit._compare.compare_lines`."""
    lon, lat = _TO_LONLAT.transform(xy[:, 0], xy[:, 1])
    return LineString(np.column_stack([lon, lat]))
