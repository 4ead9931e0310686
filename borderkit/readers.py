"""Read coordinate sets (points, lines, polygons) from files into WGS 84 GeoDataFrames.

Every reader returns ``(GeoDataFrame in EPSG:4326, Transformation)``: the data and the
datum operation that brought it there (see :mod:`borderkit.crs`).

CSV conventions
---------------
A CSV (``.csv``, ``.tsv``, ``.txt``; delimiter ``,`` ``;`` or tab, read from the header
line; UTF-8 with or without BOM) holds one point per row. Lines starting with ``#``
are comments; a comment ``# crs: EPSG:28408`` declares the CRS inside the file. Column
names are matched case-insensitively:

========================  ==========================  ================================
declared CRS              first coordinate            second coordinate
========================  ==========================  ================================
geographic (EPSG:4326,    ``lat``, ``latitude``,      ``lon``, ``lng``, ``long``,
EPSG:4284)                ``y``                       ``longitude``, ``x``
Gauss–Krüger, northing    ``x`` = **northing**,       ``y`` = **easting**, with the
first (EPSG:28408, 2498)  ``northing``, ``north``     zone prefix in zone CRSs;
                                                      ``easting``, ``east``
other projected           ``easting``, ``east``,      ``northing``, ``north``,
(UTM, EPSG:32638)         ``x`` = easting             ``y`` = northing
========================  ==========================  ================================

So ``x``/``y`` mean what the CRS's EPSG definition says: lon/lat for geographic CRSs,
northing/easting for Gauss–Krüger (the Soviet convention), easting/northing for UTM.
``easting``/``northing``/``lat``/``lon`` are never ambiguous and are preferred.
Geographic values may be decimal degrees (``41.0647``, ``41,0647``) or DMS text
(``41°03′53″N``); a single column ``coordinates`` (or ``coords``, ``position``,
``latlon``, ``dms``) may hold both as ``41°03′53″N 45°03′27″E``. The ``columns=``
argument names the columns explicitly (keys ``lat``, ``lon``, ``easting``,
``northing``, ``x``, ``y``, ``coordinates``). A column ``order``, ``seq`` or
``sequence`` sorts the rows. Every other column is kept as an attribute.
"""

from __future__ import annotations

import io
import math
import re
import unicodedata
import warnings
from collections.abc import Mapping, Sequence
from contextlib import closing
from pathlib import Path
from typing import NamedTuple

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import shapely
import shapely.errors
from pyogrio.errors import DataLayerError, DataSourceError
from pyproj import CRS

from borderkit._validate import check_mapping, check_path, check_text
from borderkit.crs import (
    Transformation,
    _check_vertices,
    _to_wgs84_frame,
    check_coordinates,
    is_northing_first,
    parse_crs,
    to_wgs84,
)
from borderkit.errors import CoordinateError, CRSError, GeometryError, InputError, ParameterError

__all__ = [
    "CSV_SUFFIXES",
    "LonLat",
    "parse_dms",
    "parse_dms_pair",
    "read_layer",
    "read_points_csv",
    "read_points_table",
]

CSV_SUFFIXES = frozenset({".csv", ".tsv", ".txt"})

# ---------------------------------------------------------------------------- DMS

_DEG = "°º˚"
_MIN = "'′’ʹ´‘"
_SEC = '"″”ʺ“'
_HEMISPHERES: dict[str, tuple[str, int]] = {
    "N": ("lat", 1),
    "S": ("lat", -1),
    "E": ("lon", 1),
    "W": ("lon", -1),
    "NORTH": ("lat", 1),
    "SOUTH": ("lat", -1),
    "EAST": ("lon", 1),
    "WEST": ("lon", -1),
    "NORD": ("lat", 1),
    "SUD": ("lat", -1),
    "EST": ("lon", 1),
    "OUEST": ("lon", -1),
    # Russian abbreviations of Soviet documents: с.ш., ю.ш., в.д., з.д.
    "СШ": ("lat", 1),
    "ЮШ": ("lat", -1),
    "ВД": ("lon", 1),
    "ЗД": ("lon", -1),
}
_TOKEN = re.compile(
    r"(?P<num>\d+(?:\.\d+)?)|(?P<word>[^\W\d_]+(?:\.\s?[^\W\d_]+)*\.?)"
    r"|(?P<deg>[°])|(?P<min>['])|(?P<sec>[\"])|(?P<sign>[-+])|(?P<sep>[,;/])|(?P<sp>[\s:]+)|(?P<bad>.)"
)


class LonLat(NamedTuple):
    """A point in degrees, longitude first (``always_xy``)."""

    lon: float
    lat: float


def _normalise(text: str) -> str:
    s = unicodedata.normalize("NFC", text).strip()
    s = s.replace("\u2212", "-").replace("\u2013", "-").replace("\u00a0", " ")
    s = s.replace("''", '"').replace("′′", '"')
    s = re.sub(r"(?<=\d),(?=\d)", ".", s)  # comma decimals: 53,2 -> 53.2
    for chars, canon in ((_DEG, "°"), (_MIN, "'"), (_SEC, '"')):
        for ch in chars:
            s = s.replace(ch, canon)
    return s


def _tokens(text: str, original: str) -> list[tuple[str, str]]:
    out = []
    for m in _TOKEN.finditer(text):
        kind = m.lastgroup or "bad"
        if kind == "sp":
            continue
        if kind == "bad":
            msg = f"cannot read {original!r} as DMS: unexpected character {m.group()!r}."
            raise CoordinateError(msg)
        out.append((kind, m.group()))
    return out


def _hemisphere(word: str, original: str) -> tuple[str, int]:
    key = re.sub(r"[.\s]", "", word).upper()
    if key not in _HEMISPHERES:
        allowed = "N, S, E, W (or north/nord, east/est, ..., с.ш., в.д.)"
        msg = f"cannot read {original!r} as DMS: {word!r} is not a hemisphere; use {allowed}."
        raise CoordinateError(msg)
    return _HEMISPHERES[key]


def _dms_tokens(tokens: list[tuple[str, str]], original: str) -> tuple[float, str | None]:
    """Value (signed) and axis ('lat'/'lon' or None) of one coordinate's tokens."""
    words = [i for i, (k, _) in enumerate(tokens) if k == "word"]
    nums = [i for i, (k, _) in enumerate(tokens) if k == "num"]
    if not nums:
        msg = f"cannot read {original!r} as DMS: no number in it."
        raise CoordinateError(msg)
    if len(words) > 1 or (words and nums[0] < words[0] < nums[-1]):
        msg = (
            f"cannot read {original!r} as DMS: one hemisphere letter, before or after the "
            "numbers, e.g. '41°03′53″N' or 'N41°03.883′'."
        )
        raise CoordinateError(msg)
    axis, hemi_sign = (None, 1)
    if words:
        axis, hemi_sign = _hemisphere(tokens[words[0]][1], original)
    sign = 1
    parts: list[float] = []
    marks: list[str | None] = []
    for kind, value in tokens:
        if kind == "num":
            if len(parts) == 3:
                msg = f"cannot read {original!r} as DMS: more than degrees, minutes, seconds."
                raise CoordinateError(msg)
            parts.append(float(value))
            marks.append(None)
        elif kind in ("deg", "min", "sec"):
            if not parts or marks[-1] is not None:
                msg = f"cannot read {original!r} as DMS: a unit mark without a number."
                raise CoordinateError(msg)
            marks[-1] = kind
        elif kind == "sign":
            if parts:  # a dash between numbers separates them: 41-03-53.2N
                if value == "+":
                    msg = f"cannot read {original!r} as DMS: '+' between numbers."
                    raise CoordinateError(msg)
                continue
            sign = -1 if value == "-" else 1
        elif kind == "sep":
            msg = f"cannot read {original!r} as DMS: {value!r} inside one coordinate."
            raise CoordinateError(msg)
    expected = ("deg", "min", "sec")
    for i, mark in enumerate(marks):
        if mark is not None and mark != expected[i]:
            msg = (
                f"cannot read {original!r} as DMS: component {i + 1} is marked as "
                f"{mark.replace('deg', 'degrees').replace('min', 'minutes').replace('sec', 'seconds')}; "
                "write degrees, then minutes, then seconds."
            )
            raise CoordinateError(msg)
    for part in parts[:-1]:
        if part != int(part):
            msg = f"cannot read {original!r} as DMS: only the last component may have decimals."
            raise CoordinateError(msg)
    if len(parts) > 1 and parts[1] >= 60:
        msg = f"cannot read {original!r} as DMS: minutes {parts[1]:g} must be below 60."
        raise CoordinateError(msg)
    if len(parts) > 2 and parts[2] >= 60:
        msg = f"cannot read {original!r} as DMS: seconds {parts[2]:g} must be below 60."
        raise CoordinateError(msg)
    if sign < 0 and words:
        msg = f"cannot read {original!r} as DMS: both a minus sign and a hemisphere letter."
        raise CoordinateError(msg)
    value = parts[0] + sum(p / 60**i for i, p in enumerate(parts[1:], start=1))
    value *= sign * hemi_sign
    limit = {"lat": 90.0, "lon": 180.0}.get(axis or "", 180.0)
    if abs(value) > limit:
        msg = f"cannot read {original!r} as DMS: {abs(value):g}° exceeds {limit:g}°."
        raise CoordinateError(msg)
    return value, axis


def parse_dms(text: str | float, *, axis: str | None = None) -> float:
    """Parse one latitude or longitude in decimal degrees or DMS text.

    Accepts ``41°03′53″N``, ``41°03'53"N``, ``41 03 53 N``, ``41-03-53.2N``,
    ``N41°03.883'``, ``41°03′53,2″N`` (comma decimal), ``41° 03′ 01″ nord``,
    ``-45.0575``, with Unicode or ASCII primes.

    Parameters
    ----------
    text : str or float
        The value.
    axis : {"lat", "lon"}, optional
        What the value must be. A hemisphere letter of the other axis is an error
        (a latitude in a longitude column); without a hemisphere the sign counts.

    Returns
    -------
    float
        Decimal degrees, negative for S and W.

    Raises
    ------
    CoordinateError
        Naming the value: garbage, minutes or seconds ≥ 60, wrong hemisphere, out of range.

    Examples
    --------
    >>> f"{parse_dms('41°03′53″N'):.6f}"    # 41 + 3/60 + 53/3600
    '41.064722'
    >>> parse_dms("N41°03.883'") == 41 + 3.883 / 60
    True
    >>> parse_dms("45°03′27″ W")
    -45.0575
    >>> parse_dms("41°63′00″N")
    Traceback (most recent call last):
    ...
    borderkit.errors.CoordinateError: cannot read '41°63′00″N' as DMS: minutes 63 must be below 60.
    """
    if isinstance(text, int | float) and not isinstance(text, bool):
        value, found = float(text), None
    else:
        original = str(text)
        tokens = _tokens(_normalise(original), original)
        value, found = _dms_tokens(tokens, original)
    if axis is not None and found is not None and found != axis:
        what = {"lat": "latitude", "lon": "longitude"}
        msg = (
            f"{text!r} is a {what[found]} (hemisphere letter) but was given as a {what[axis]}: lat/lon columns swapped?"
        )
        raise CoordinateError(msg)
    if axis == "lat" and abs(value) > 90:
        msg = f"{text!r} is beyond ±90° and cannot be a latitude: lat/lon swapped?"
        raise CoordinateError(msg)
    return value


def parse_dms_pair(text: str) -> LonLat:
    """Parse a latitude and longitude written in one string, in either order.

    Both must carry a hemisphere (``N``/``S`` and ``E``/``W``, or the French
    ``nord``/``est``...): without them a pair cannot be told apart safely.

    Returns
    -------
    LonLat
        ``(lon, lat)`` in decimal degrees, longitude first.

    Raises
    ------
    CoordinateError
        If the text is not two hemisphere-marked coordinates.

    Examples
    --------
    >>> p = parse_dms_pair("41°03′53″N 45°03′27″E")
    >>> f"{p.lon:.6f} {p.lat:.6f}"
    '45.057500 41.064722'
    >>> p = parse_dms_pair("41° 03′ 01″ nord, 45° 06′ 05″ est")
    >>> f"{p.lon:.6f} {p.lat:.6f}"    # 45 + 6/60 + 5/3600, 41 + 3/60 + 1/3600
    '45.101389 41.050278'
    >>> parse_dms_pair("41 03 53, 45 03 27")
    Traceback (most recent call last):
    ...
    borderkit.errors.CoordinateError: cannot read '41 03 53, 45 03 27' as a lat/lon pair: ...
    """
    original = str(text)
    tokens = _tokens(_normalise(original), original)
    seps = [i for i, (k, _) in enumerate(tokens) if k == "sep"]
    words = [i for i, (k, _) in enumerate(tokens) if k == "word"]
    hint = "write both hemispheres, e.g. '41°03′53″N 45°03′27″E'"
    if len(words) != 2:
        msg = (
            f"cannot read {original!r} as a lat/lon pair: found {len(words)} hemisphere "
            f"letter(s), need two to tell latitude from longitude; {hint}."
        )
        raise CoordinateError(msg)
    if len(seps) == 1:
        first, second = tokens[: seps[0]], tokens[seps[0] + 1 :]
    elif not seps and tokens[0][0] == "word":  # N41 03.883 E45 03.450
        first, second = tokens[: words[1]], tokens[words[1] :]
    elif not seps:  # 41 03 53 N 45 03 27 E
        first, second = tokens[: words[0] + 1], tokens[words[0] + 1 :]
    else:
        msg = f"cannot read {original!r} as a lat/lon pair: more than one separator; {hint}."
        raise CoordinateError(msg)
    (v1, a1), (v2, a2) = _dms_tokens(first, original), _dms_tokens(second, original)
    if {a1, a2} != {"lat", "lon"}:
        msg = f"cannot read {original!r} as a lat/lon pair: need one latitude and one longitude; {hint}."
        raise CoordinateError(msg)
    return LonLat(v1, v2) if a1 == "lon" else LonLat(v2, v1)


# ---------------------------------------------------------------------------- CSV

_NUMBER = re.compile(r"^[+-]?(\d+([.,]\d*)?|[.,]\d+)([eE][+-]?\d+)?$")
_GEO_NAMES = {"lon": ("lon", "lng", "long", "longitude", "x"), "lat": ("lat", "latitude", "y")}
_PAIR_NAMES = ("coordinates", "coords", "position", "latlon", "lat_lon", "dms")
_ORDER_NAMES = ("order", "seq", "sequence")
_COLUMN_KEYS = frozenset({"lat", "lon", "easting", "northing", "x", "y", "coordinates"})
_CRS_COMMENT = re.compile(r"^#\s*crs\s*[:=]\s*(\S+)", re.IGNORECASE)


def _find(header: Sequence[str], candidates: Sequence[str]) -> str | None:
    lower = {h.strip().lower(): h for h in header}
    for name in candidates:
        if name in lower:
            return lower[name]
    return None


def _resolve_columns(
    header: Sequence[str], crs: CRS, columns: Mapping[str, str] | None, source: str
) -> tuple[str | None, str | None, str | None]:
    """(x column, y column, pair column) in always_xy order for this CRS."""
    columns = dict(columns or {})
    unknown = set(columns) - _COLUMN_KEYS
    if unknown:
        msg = f"{source}: columns: unknown key(s) {sorted(unknown)!r}; allowed: {sorted(_COLUMN_KEYS)}."
        raise InputError(msg)
    for key, name in columns.items():
        if name not in header:
            msg = f"{source}: columns: {key} = {name!r} is not a column; the file has {list(header)!r}."
            raise InputError(msg)
    if crs.is_geographic:
        x = columns.get("lon") or columns.get("x") or _find(header, _GEO_NAMES["lon"])
        y = columns.get("lat") or columns.get("y") or _find(header, _GEO_NAMES["lat"])
        pair = columns.get("coordinates") or _find(header, _PAIR_NAMES)
        if (x is None or y is None) and pair is None:
            en = _find(header, ("easting", "northing", "east", "north"))
            why = f" The file has {en!r}: projected metres? Declare the projected crs." if en else ""
            msg = (
                f"{source}: no longitude/latitude columns for geographic crs "
                f"{crs.name!r}: name them lon/lat (or longitude/latitude, x/y), or one "
                f"'coordinates' column, or pass columns={{'lon': ..., 'lat': ...}}.{why} "
                f"Columns found: {list(header)!r}."
            )
            raise InputError(msg)
        return (x, y, None) if x is not None and y is not None else (None, None, pair)
    if is_northing_first(crs):  # Gauss–Krüger: x = northing, y = easting
        e = columns.get("easting") or columns.get("y") or _find(header, ("easting", "east", "y"))
        n = columns.get("northing") or columns.get("x") or _find(header, ("northing", "north", "x"))
    else:
        e = columns.get("easting") or columns.get("x") or _find(header, ("easting", "east", "x"))
        n = columns.get("northing") or columns.get("y") or _find(header, ("northing", "north", "y"))
    if e is None or n is None:
        ll = _find(header, ("lat", "latitude", "lon", "longitude"))
        why = f" The file has {ll!r}: degrees? Declare crs='EPSG:4326' or 'EPSG:4284'." if ll else ""
        msg = (
            f"{source}: no easting/northing columns for projected crs {crs.name!r}: name "
            f"them easting/northing (or x/y; see the column conventions), or pass "
            f"columns={{'easting': ..., 'northing': ...}}.{why} Columns found: {list(header)!r}."
        )
        raise InputError(msg)
    return e, n, None


def _number(value: str, *, source: str, row: int, column: str, crs: CRS, axis: str) -> float:
    text = value.strip()
    if text == "":
        return math.nan
    if _NUMBER.match(text):
        return float(text.replace(",", "."))
    if not crs.is_geographic:
        msg = f"{source}: row {row}: {column}={value!r} is not a number (metres in {crs.name!r})."
        raise CoordinateError(msg)
    try:
        return parse_dms(text, axis=axis)
    except CoordinateError as err:
        msg = f"{source}: row {row}: column {column!r}: {err}"
        raise CoordinateError(msg) from err


def _attributes(table: pd.DataFrame) -> pd.DataFrame:
    out = table.copy()
    for col in out.columns:
        values = out[col]
        if not (values.dtype == object or pd.api.types.is_string_dtype(values)):
            continue
        text = values.astype(str).str.strip()
        if (text.str.match(r"^[+-]?0\d")).any():  # keep identifiers such as '007' as text
            continue
        try:
            out[col] = pd.to_numeric(text.str.replace(",", ".", regex=False))
        except (ValueError, TypeError):
            continue
    return out


def read_points_table(
    table: pd.DataFrame,
    *,
    crs: str | CRS,
    operation: str | None = None,
    columns: Mapping[str, str] | None = None,
    expect_bounds: tuple[float, float, float, float] | None = None,
    source: str = "table",
    rows: Sequence[int] | None = None,
) -> tuple[gpd.GeoDataFrame, Transformation]:
    """Turn a table of coordinates into WGS 84 points (the Python API behind CSV files).

    Parameters
    ----------
    table : pandas.DataFrame
        One point per row; column conventions as in the module docstring. Values may
        be numbers or text (decimal degrees, DMS, comma decimals).
    crs : str or pyproj.CRS
        The CRS of the coordinates (required: SK-42 and WGS 84 degrees differ by ~100 m).
    operation : str, optional
        EPSG datum operation (``"EPSG:1808"``); chosen by :mod:`borderkit.crs` if omitted.
    columns : mapping, optional
        Explicit column names, keys ``lat``, ``lon``, ``easting``, ``northing``, ``x``,
        ``y``, ``coordinates``.
    expect_bounds : (min_lon, min_lat, max_lon, max_lat), optional
        Where the points should be; a point far outside is an error.
    source : str
        Name for messages (the file name).
    rows : sequence of int, optional
        1-based row numbers for messages (default 1, 2, ...).

    Returns
    -------
    (GeoDataFrame, Transformation)
        Points in EPSG:4326 with the other columns as attributes, sorted by an
        ``order``/``seq`` column if there is one.

    Raises
    ------
    InputError, CoordinateError, CRSError

    Examples
    --------
    >>> t = pd.DataFrame({"name": ["synthetic A"], "x": [4547853.2139], "y": [8504938.2307]})
    >>> points, how = read_points_table(t, crs="EPSG:28408")
    >>> f"{points.geometry[0].x:.6f} {points.geometry[0].y:.6f}", how.code
    ('45.057500 41.064722', 'EPSG:15865')
    >>> t = pd.DataFrame({"lat": ["41°03′53″N"], "lon": ["45°03′27″E"]})
    >>> points, how = read_points_table(t, crs="EPSG:4326")
    >>> f"{points.geometry[0].x:.6f} {points.geometry[0].y:.6f}", how.code
    ('45.057500 41.064722', None)
    """
    crs_obj = parse_crs(crs, where=f"{source}: crs")
    header = [str(c) for c in table.columns]
    table = table.rename(columns=dict(zip(table.columns, header, strict=True)))
    labels = list(rows) if rows is not None else list(range(1, len(table) + 1))
    xcol, ycol, pair = _resolve_columns(header, crs_obj, columns, source)
    xs = np.empty(len(table))
    ys = np.empty(len(table))
    for i, (label, rec) in enumerate(zip(labels, table.to_dict("records"), strict=True)):
        if pair is not None:
            try:
                xs[i], ys[i] = parse_dms_pair(str(rec[pair]))
            except CoordinateError as err:
                msg = f"{source}: row {label}: column {pair!r}: {err}"
                raise CoordinateError(msg) from err
            continue
        assert xcol is not None
        assert ycol is not None
        axes = ("lon", "lat") if crs_obj.is_geographic else ("easting", "northing")
        for arr, col, axis in ((xs, xcol, axes[0]), (ys, ycol, axes[1])):
            value = rec[col]
            if isinstance(value, int | float | np.number) and not isinstance(value, bool):
                arr[i] = float(value)
            else:
                arr[i] = _number(str(value), source=source, row=label, column=col, crs=crs_obj, axis=axis)
    names = (pair, pair) if pair is not None else (str(xcol), str(ycol))
    check_coordinates(xs, ys, crs_obj, expect_bounds=expect_bounds, source=source, rows=labels, names=names)
    lon, lat, transformation = to_wgs84(xs, ys, crs_obj, operation=operation)
    coord_cols = {c for c in (xcol, ycol, pair) if c is not None}
    attrs = _attributes(table.drop(columns=sorted(coord_cols)).reset_index(drop=True))
    frame = gpd.GeoDataFrame(attrs, geometry=shapely.points(lon, lat), crs="EPSG:4326")
    order = _find(header, _ORDER_NAMES)
    if order is not None:
        frame = _sort(frame, order, labels, source)
    return frame, transformation


def _sort(frame: gpd.GeoDataFrame, column: str, labels: Sequence[int], source: str) -> gpd.GeoDataFrame:
    keys = pd.to_numeric(frame[column], errors="coerce")
    if keys.isna().any():
        i = int(np.flatnonzero(keys.isna().to_numpy())[0])
        msg = f"{source}: row {labels[i]}: {column}={frame[column].iloc[i]!r} is not a number."
        raise InputError(msg)
    dup = keys.duplicated(keep=False)
    if dup.any():
        where = [labels[int(i)] for i in np.flatnonzero(dup.to_numpy())]
        msg = f"{source}: rows {where}: {column} values repeat; each point needs its own place."
        raise InputError(msg)
    return frame.iloc[np.argsort(keys.to_numpy(), kind="stable")].reset_index(drop=True)


def _check_read_args(path: object, crs: object, operation: object, columns: object, bounds: object) -> None:
    """The Python boundary of the readers: wrong argument types as ParameterError."""
    check_path("path", path, example="'points.csv'")
    if crs is not None and not isinstance(crs, str | CRS):
        msg = f"crs={crs!r}: give the CRS as text ('EPSG:4326') or a pyproj.CRS, or None"
        raise ParameterError(msg)
    check_text("operation", operation, optional=True)
    check_mapping("columns", columns, example="{'lon': 'x', 'lat': 'y'}")
    if bounds is not None and not (
        isinstance(bounds, tuple | list)
        and len(bounds) == 4
        and all(isinstance(v, int | float) and not isinstance(v, bool) and math.isfinite(v) for v in bounds)
    ):
        msg = f"expect_bounds={bounds!r}: give (min_lon, min_lat, max_lon, max_lat) in degrees, or None"
        raise ParameterError(msg)


def _check_table_shape(table: pd.DataFrame, header: str, sep: str, path: Path) -> None:
    """Repeated header names, and rows longer than the header, which pandas would silently accept."""
    names = [h.strip() for h in header.split(sep)]
    repeated = sorted({n for n in names if names.count(n) > 1})
    if repeated:
        times = names.count(repeated[0])
        msg = f"{path}: column {repeated[0]!r} appears {times} times in the header. Name each column once."
        raise InputError(msg)
    if not isinstance(table.index, pd.RangeIndex):
        # pandas takes the extra leading fields of a too-long row as an index.
        msg = (
            f"{path}: rows have more fields than the header ({len(names)}: {', '.join(names)}). In a "
            f"{'comma' if sep == ',' else repr(sep)}-separated file this is often a decimal comma (41,06): write "
            "41.06, quote such values, or separate the fields with ';'."
        )
        raise InputError(msg)


class _SeveralLayersError(Exception):
    """pyogrio found more than one layer and no layer was named."""


def _read_vector(path: Path, layer: str | None, *, several_layers_fail: bool = False) -> gpd.GeoDataFrame:
    with warnings.catch_warnings():
        # GDAL warns, then shapely refuses: the GeometryError of read_layer says it in one line.
        warnings.filterwarnings("ignore", "Non closed ring detected", RuntimeWarning)
        if several_layers_fail:
            # pyogrio warns before reading anything; as an error this stops the read there.
            warnings.filterwarnings("error", "More than one layer found", UserWarning)
        try:
            return pyogrio.read_dataframe(path, layer=layer)
        except UserWarning as warning:
            if several_layers_fail and "More than one layer found" in str(warning):
                raise _SeveralLayersError(str(warning)) from warning
            raise


def _gpkg_layer_names(path: Path) -> list[str] | None:
    """The layers a GeoPackage declares (``gpkg_contents``: features and attribute tables), or
    None if it cannot be read as one (pyogrio then says why)."""
    import sqlite3

    try:
        with closing(sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)) as db:
            rows = db.execute(
                "SELECT table_name FROM gpkg_contents WHERE data_type IN ('features', 'attributes', 'aspatial')"
            ).fetchall()
    except sqlite3.Error:
        return None
    return [str(r[0]) for r in rows]


def _layer_problem(path: Path, layer_names: list[str], layer: str | None) -> str | None:
    """Why ``layer`` cannot be read from a file of ``layer_names``: several and none named, or not there."""
    if layer is None and len(layer_names) > 1:
        return (
            f"{path}: holds {len(layer_names)} layers ({', '.join(layer_names)}); say which one: "
            f'layer = "{layer_names[0]}" (layer= in Python).'
        )
    if layer is not None and layer not in layer_names:
        return f"{path}: no layer {layer!r}; the file holds {', '.join(layer_names)}."
    return None


def _geometry_fix(reason: str) -> str:
    if "closed" in reason:
        return "Close every polygon ring: repeat its first vertex at the end."
    if "0 or >1" in reason:
        return "A LineString needs two or more vertices: add one, or remove the feature."
    return "Fix the geometry (e.g. with QGIS 'Fix geometries')."


def read_points_csv(
    path: str | Path,
    *,
    crs: str | CRS | None = None,
    operation: str | None = None,
    columns: Mapping[str, str] | None = None,
    expect_bounds: tuple[float, float, float, float] | None = None,
) -> tuple[gpd.GeoDataFrame, Transformation]:
    """Read a CSV of points (decimal degrees, DMS or grid values) into WGS 84.

    Row numbers in messages are 1-based data rows (the first row after the header is
    row 1); the file line is given too.

    Parameters
    ----------
    path : str or Path
        The CSV file.
    crs : str, optional
        Its CRS. Required unless the file has a ``# crs: EPSG:....`` comment line.
    operation, columns, expect_bounds
        As in :func:`read_points_table`.

    Returns
    -------
    (GeoDataFrame, Transformation)

    Raises
    ------
    InputError, CoordinateError, CRSError

    Examples
    --------
    >>> import tempfile, pathlib
    >>> folder = pathlib.Path(tempfile.mkdtemp())
    >>> _ = (folder / "tp.csv").write_text(
    ...     "# synthetic\\n# crs: EPSG:32638\\nname,easting,northing\\nA,504831.1046,4545943.4755\\n")
    >>> points, how = read_points_csv(folder / "tp.csv")
    >>> f"{points.geometry[0].x:.6f} {points.geometry[0].y:.6f}", how.source_crs
    ('45.057500 41.064722', 'EPSG:32638')
    """
    _check_read_args(path, crs, operation, columns, expect_bounds)
    path = Path(path)
    source = path.name
    try:
        text = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as err:
        msg = f"{path}: cannot be read as UTF-8 text ({err}). Save the CSV as UTF-8."
        raise InputError(msg) from err
    kept: list[str] = []
    line_numbers: list[int] = []
    declared: str | None = None
    for number, line in enumerate(text.splitlines(), start=1):
        stripped = line.strip()
        if not stripped:
            continue
        if stripped.startswith("#"):
            match = _CRS_COMMENT.match(stripped)
            if match:
                declared = match.group(1)
            continue
        kept.append(line)
        line_numbers.append(number)
    if not kept:
        msg = f"{path}: no header and no rows. A CSV needs a header line, e.g. 'name,lat,lon'."
        raise InputError(msg)
    if crs is None and declared is None:
        msg = (
            f"{path}: no CRS declared. Pass crs='EPSG:4326' (WGS 84 degrees), 'EPSG:4284' "
            "(Pulkovo 1942 degrees), 'EPSG:28408' (SK-42 Gauss-Kruger zone 8) or "
            "'EPSG:32638' (UTM 38N), or add a line '# crs: EPSG:....' to the file."
        )
        raise CRSError(msg)
    if crs is not None and declared is not None:
        given = parse_crs(crs, where=f"{path}: crs")
        in_file = parse_crs(declared, where=f"{path}: '# crs:' line")
        if not given.equals(in_file):
            msg = f"{path}: the file says '# crs: {declared}' but crs={crs!r} was given. Remove one of them."
            raise CRSError(msg)
    header = kept[0]
    sep = "\t" if "\t" in header else ";" if ";" in header else ","
    try:
        table = pd.read_csv(io.StringIO("\n".join(kept)), sep=sep, dtype=str, keep_default_na=False)
    except (pd.errors.ParserError, ValueError) as err:
        msg = (
            f"{path}: not a valid CSV ({' '.join(str(err).split())}). A row with more fields than the "
            "header is often a decimal comma in a comma-separated file: quote such values or separate "
            "the fields with ';'."
        )
        raise InputError(msg) from err
    _check_table_shape(table, header, sep, path)
    table.columns = [str(c).strip() for c in table.columns]
    rows = list(range(1, len(table) + 1))
    lines = dict(zip(rows, line_numbers[1:], strict=False))
    try:
        return read_points_table(
            table,
            crs=crs if crs is not None else str(declared),
            operation=operation,
            columns=columns,
            expect_bounds=expect_bounds,
            source=source,
            rows=rows,
        )
    except CoordinateError as err:
        message = str(err)
        match = re.match(rf"{re.escape(source)}: row (\d+): ", message)
        if match and int(match.group(1)) in lines:
            n = int(match.group(1))
            message = message.replace(f"{source}: row {n}: ", f"{source}: row {n} (file line {lines[n]}): ", 1)
        raise CoordinateError(message) from err


# ----------------------------------------------------------------------- vectors


def read_layer(
    path: str | Path,
    *,
    crs: str | None = None,
    operation: str | None = None,
    layer: str | None = None,
    columns: Mapping[str, str] | None = None,
    expect_bounds: tuple[float, float, float, float] | None = None,
) -> tuple[gpd.GeoDataFrame, Transformation]:
    """Read one layer (vector file or CSV of points) and return it in WGS 84.

    Parameters
    ----------
    path : str or Path
        GeoJSON, GeoPackage, Shapefile, KML (any format pyogrio reads) or a CSV of
        points (``.csv``, ``.tsv``, ``.txt``; see :func:`read_points_csv`).
    crs : str, optional
        The CRS the coordinates are in. Overrides what a vector file says; required
        for a CSV without a ``# crs:`` line.
    operation : str, optional
        EPSG code of the datum operation to use (``"EPSG:15865"``).
    layer : str, optional
        Layer name in a multi-layer file (GeoPackage).
    columns : mapping, optional
        CSV only: explicit coordinate column names (``{"x": "X_sk42", "y": "Y_sk42"}``;
        ``x``/``y`` follow the CRS convention: northing/easting for Gauss–Krüger).
    expect_bounds : (min_lon, min_lat, max_lon, max_lat), optional
        Where the data should be, in degrees; a vertex far outside is an error.

    Returns
    -------
    (GeoDataFrame, Transformation)
        The layer in EPSG:4326 and the datum operation used.

    Raises
    ------
    InputError
        The file is missing or unreadable.
    CoordinateError
        A coordinate is malformed or out of place (file, 1-based row, cause).
    CRSError
        The CRS is missing, unknown, or no operation applies.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> folder = pathlib.Path(tempfile.mkdtemp())
    >>> _ = (folder / "p.csv").write_text("name;lat;lon\\nsynthetic;41,0647222;45,0575\\n")
    >>> points, how = read_layer(folder / "p.csv", crs="EPSG:4326")
    >>> points.crs.to_epsg(), how.code, points["name"][0]
    (4326, None, 'synthetic')
    """
    _check_read_args(path, crs, operation, columns, expect_bounds)
    if layer is not None and not isinstance(layer, str):
        msg = f"layer={layer!r}: give the layer's name as text, or None"
        raise ParameterError(msg)
    path = Path(path)
    if not path.is_file():
        msg = f"{path}: no such file. Check the path (relative paths are from the case folder)."
        raise InputError(msg)
    if path.suffix.lower() in CSV_SUFFIXES:
        return read_points_csv(path, crs=crs, operation=operation, columns=columns, expect_bounds=expect_bounds)
    if columns:
        msg = f"{path}: columns= applies to CSV files only; a vector file carries its geometry."
        raise InputError(msg)
    try:
        if layer is None and path.suffix.lower() == ".gpkg":
            # A GeoPackage names its layers in its own table (read in well under a millisecond):
            # a second layer is then found whatever pyogrio's warning says.
            declared = _gpkg_layer_names(path)
            if declared is not None and (problem := _layer_problem(path, declared, layer)):
                raise InputError(problem)
        try:
            # Read at once: listing the layers first opens the file twice (and opening a
            # GeoJSON parses all of it). Only if that fails are the layers listed, so the
            # messages are the same as when they are listed first.
            frame = _read_vector(path, layer, several_layers_fail=layer is None)
        except (DataSourceError, DataLayerError, _SeveralLayersError):
            if problem := _layer_problem(path, [str(n) for n in pyogrio.list_layers(path)[:, 0]], layer):
                raise InputError(problem) from None
            frame = _read_vector(path, layer)
    except (DataSourceError, DataLayerError) as err:
        msg = f"{path}: cannot be read as a vector file ({err}). Use GeoJSON, GeoPackage, KML or Shapefile."
        raise InputError(msg) from err
    except shapely.errors.GEOSException as err:
        reason = " ".join(str(err).split())
        msg = f"{path}: a geometry cannot be built ({reason}). {_geometry_fix(reason)}"
        raise GeometryError(msg) from err
    if crs is not None:
        frame = frame.set_crs(parse_crs(crs, where=f"{path}: crs"), allow_override=True)
    if frame.crs is None:
        msg = f"{path}: the file declares no CRS. Pass crs='EPSG:....' (crs = ... in case.toml)."
        raise CRSError(msg)
    geoms = np.asarray(frame.geometry.values)
    coords = shapely.get_coordinates(geoms)
    lonlat = None
    if len(coords):
        src = CRS.from_user_input(frame.crs)
        names = ("lon", "lat") if src.is_geographic else ("easting", "northing")
        lonlat = _check_vertices(geoms, coords, src, expect_bounds=expect_bounds, source=path.name, names=names)
    return _to_wgs84_frame(frame, operation=operation, coords=coords, lonlat=lonlat)
