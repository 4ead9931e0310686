"""A delimitation case: a folder with ``case.toml``, its data files and ``SOURCES.md``.

``case.toml`` (format 1) holds:

- ``id``, ``title``, ``description``; ``synthetic = true`` for made-up data (only then may
  layers omit ``source`` and ``licence``); optional ``bounds = [min_lon, min_lat, max_lon,
  max_lat]``: where the case's data must lie (a coordinate far outside is an error
  that suggests swapped axes or a wrong zone); a layer's ``expect_bounds`` overrides it;
- ``[[countries]]``: ``code`` and ``name`` of the two parties;
- ``[[pairs]]``: settlement pairs, ``id``, optional ``section``, and one key per
  country code giving the settlement's name in the settlements layer;
- ``[layers.<name>]``: ``role`` (see :data:`ROLES`), ``path`` (inside the folder),
  ``crs``, ``accuracy_m`` (or ``map_scale``, the scale of the sheet it was digitised
  from: see :func:`borderkit._sheets.accuracy_from_map_scale_m`; ``accuracy_m`` wins)
  and provenance (``source``, ``licence``, ``date``); line layers give ``left``, the
  country on the left when walking the line in vertex order;
- ``[[claims]]``: reported figures: ``quantity`` (length, area, count), ``scope``
  (``"total"`` or a list of pair ids), ``value``, ``unit``, optional ``precision``,
  ``direction``, ``subject`` and who said it, where and when;
- ``[[checks]]``: claims checked against each other (``sum`` of parts vs a total,
  ``equal`` totals).

:func:`load_case` validates everything on load and names the file, key, bad value and
fix in every error.
"""

from __future__ import annotations

import difflib
import math
import os
import warnings
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from decimal import Decimal
from functools import cached_property
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from borderkit._folders import _ID_RE, _resolve, case_dirs, list_cases, read_case_toml
from borderkit._progress import LARGE_FILE_BYTES, Bar, progress
from borderkit._sheets import accuracy_basis_text, accuracy_from_map_scale_m
from borderkit.crs import Transformation
from borderkit.errors import (
    BorderkitError,
    BorderkitWarning,
    CaseError,
    CaseNotFoundError,
    ParameterError,
    collect_warnings,
)
from borderkit.readers import read_layer

__all__ = [
    "ROLES",
    "Case",
    "Check",
    "Claim",
    "Country",
    "Layer",
    "Pair",
    "case_dirs",
    "list_cases",
    "load_case",
]

FORMAT_VERSION = 1

#: Layer roles and what they hold. ``one`` roles may appear once per case.
ROLES: Mapping[str, str] = {
    "settlements": "points with a name and a country (one)",
    "turning_points": "points of the new line, ordered by an `order` field (one)",
    "new_line": "the delimited line, as lines (one)",
    "new_line_alt": "another rendering of the new line: a scenario of every verdict (any number)",
    "old_line": "the line held before, as lines (one)",
    "extent": "polygon bounding the delimited stretch (one)",
    "buildings": "buildings, points or polygons",
    "plots": "parcels or plots, polygons",
    "roads": "roads, lines",
    "features": "any other named feature layer",
    "context": "shown on maps only",
}
_SINGLE_ROLES = {"settlements", "turning_points", "new_line", "old_line", "extent"}
#: What a settlement's published value is rounded to (``rounding_field``): the half-width
#: of its rounding cell in degrees. Values not listed here are treated as unrounded.
ROUNDINGS: Mapping[str, float] = {"arc-minute": 0.5 / 60, "arc-second": 0.5 / 3600, "1e-5 degree": 0.5e-5}
QUANTITIES = {"length": {"m": 1.0, "km": 1000.0}, "area": {"m2": 1.0, "ha": 1e4, "km2": 1e6}}
_TOP_KEYS = {
    "format",
    "id",
    "title",
    "description",
    "synthetic",
    "bounds",
    "countries",
    "pairs",
    "layers",
    "claims",
    "checks",
    "uncertainty",
}
_LAYER_KEYS = {
    "role",
    "path",
    "crs",
    "operation",
    "accuracy_m",
    "accuracy_m_by_name",
    "left",
    "source",
    "licence",
    "license",
    "date",
    "name_field",
    "country_field",
    "layer",
    "line_type",
    "map_scale",
    "columns",
    "label",
    "rank_field",
    "rounding_field",
    "expect_bounds",
    "note",
}
_CLAIM_KEYS = {
    "id",
    "quantity",
    "scope",
    "value",
    "unit",
    "precision",
    "direction",
    "subject",
    "wording",
    "said_by",
    "source",
    "date",
    "holding",
    "note",
}
_CHECK_KEYS = {"id", "kind", "parts", "total", "claims", "note"}


@dataclass(frozen=True)
class Country:
    """One party to the delimitation."""

    code: str
    name: str


@dataclass(frozen=True)
class Pair:
    """Two settlements facing each other across the line, one per country."""

    id: str
    section: int | None
    settlements: Mapping[str, str]
    #: Members the case says have no public coordinate (``unpublished = [...]``).
    unpublished: tuple[str, ...] = ()

    @property
    def label(self) -> str:
        """``"Baghanis – Bağanis Ayrım"``: the pair's settlements joined by a dash."""
        return " – ".join(self.settlements.values())


@dataclass(frozen=True)
class Claim:
    """A figure someone reported about the delimitation.

    ``value`` is in ``unit``; ``precision`` is the half-width, in ``unit``, that the
    wording implies ("12 km" = ±0.5 km, "12.7 km" = ±0.05 km).
    """

    id: str
    quantity: str
    scope: tuple[str, ...]
    value: float
    unit: str
    precision: float
    direction: str | None = None
    subject: str | None = None
    #: Area claims: the settlements whose faces the claim is about (the wording names them);
    #: empty: every face to ``direction``.
    holding: tuple[str, ...] = ()
    wording: str = ""
    said_by: str = ""
    source: str = ""
    date: str = ""

    @property
    def is_total(self) -> bool:
        """True when the claim is about the whole stretch, not named pairs."""
        return not self.scope

    @property
    def scale(self) -> float:
        """Factor from ``unit`` to SI (m or m²); 1 for counts."""
        return QUANTITIES.get(self.quantity, {}).get(self.unit, 1.0)

    @property
    def value_si(self) -> float:
        """The reported value in metres or square metres (counts unchanged)."""
        return self.value * self.scale

    @property
    def precision_si(self) -> float:
        """The wording's half-width in metres or square metres."""
        return self.precision * self.scale


@dataclass(frozen=True)
class Check:
    """Claims checked against each other: a ``sum`` of parts vs a total, or ``equal``."""

    id: str
    kind: str
    claims: tuple[str, ...]
    total: str | None = None


@dataclass(frozen=True, eq=False)
class Layer:
    """One data file of a case, read and brought to WGS 84."""

    name: str
    role: str
    path: Path
    crs: str
    accuracy_m: float
    frame: gpd.GeoDataFrame = field(repr=False)
    transformation: Transformation
    source: str = ""
    licence: str = ""
    date: str = ""
    left: str | None = None
    #: Settlements: the fields holding each point's name and country code.
    name_field: str = "name"
    country_field: str = "country"
    #: Settlements: accuracy (1 σ, m) of named points, overriding ``accuracy_m``.
    accuracy_m_by_name: Mapping[str, float] = field(default_factory=dict, repr=False)
    #: Turning points: what joins them, ``"geodesic"`` or ``"rhumb"``.
    line_type: str = "geodesic"
    #: Column names given in case.toml (CSV and table inputs), or ``None``.
    columns: Mapping[str, str] | None = field(default=None, repr=False)
    #: A short name for outputs and scenario tables (default: the layer's name).
    label: str = ""
    #: Settlements: the field ranking a village's sources (1 = its position; 2... others),
    #: and the field saying what each published value is rounded to (see ``ROUNDINGS``).
    rank_field: str | None = None
    rounding_field: str | None = None

    @property
    def title(self) -> str:
        """The layer's label, or its name."""
        return self.label or self.name

    #: Where ``accuracy_m`` comes from: case.toml's ``accuracy_m``, or the ``map_scale`` rule.
    accuracy_basis: str = "accuracy_m in case.toml"

    def union(self) -> shapely.Geometry:
        """All features of the layer as one geometry (lines merged); computed once."""
        return self._union

    @cached_property
    def _union(self) -> shapely.Geometry:
        geoms = self.frame.geometry.dropna().to_numpy()
        # A single feature needs no overlay: self-noding a 10^6-vertex line costs seconds.
        merged = geoms[0] if len(geoms) == 1 else shapely.union_all(geoms)
        if merged.geom_type == "MultiLineString":
            merged = _oriented_like(shapely.line_merge(merged), geoms)
        return merged

    def provenance(self) -> dict[str, Any]:
        """Source, licence, date and accuracy of the file, as recorded in case.toml."""
        return {
            "layer": self.name,
            "role": self.role,
            "path": self.path.as_posix(),
            "source": self.source,
            "licence": self.licence,
            "date": self.date,
            "accuracy_m": self.accuracy_m,
            "accuracy_basis": self.accuracy_basis,
            "transformation": self.transformation.to_dict(),
        }


def _oriented_like(merged: shapely.Geometry, parts: Any) -> shapely.Geometry:
    """Turn a merged line to run the way most of its source features run (by length).

    Merging is undirected: one short feature drawn the other way can flip the whole line,
    and with it every ``left``. OpenStreetMap ways often disagree like that.
    """
    if merged.geom_type != "LineString":
        return merged
    pieces = shapely.get_parts(shapely.get_parts(np.asarray(parts, dtype=object)))
    pieces = pieces[shapely.get_type_id(pieces) == 1]  # LineStrings
    if len(pieces) == 0:
        return merged
    start = shapely.line_locate_point(merged, shapely.get_point(pieces, 0))
    end = shapely.line_locate_point(merged, shapely.get_point(pieces, -1))
    length = shapely.length(pieces)
    if length[end < start].sum() > length[end > start].sum():
        return shapely.reverse(merged)
    return merged


@dataclass(frozen=True)
class ModelSettings:
    """The ``[uncertainty]`` table of case.toml: how the lines' errors are modelled.

    ``calibrate`` names pairs of line layers whose differences calibrate σ and ℓ (default:
    the new line against its first other rendering); ``sigma_m`` and ``length_m`` set
    them instead; ``nu`` is the Matérn smoothness; ``old_line_length_m`` the correlation
    length of the old line's error (default: the new line's ℓ).
    """

    calibrate: tuple[tuple[str, str], ...] = ()
    sigma_m: float | None = None
    length_m: float | None = None
    nu: float = 1.5
    old_line_length_m: float | None = None
    note: str = ""


@dataclass(frozen=True, eq=False)
class Case:
    """A delimitation case as :func:`load_case` returns it."""

    id: str
    title: str
    root: Path
    countries: tuple[Country, Country]
    pairs: tuple[Pair, ...]
    layers: Mapping[str, Layer]
    claims: tuple[Claim, ...]
    checks: tuple[Check, ...] = ()
    description: str = ""
    #: True for made-up test or tutorial data (``synthetic = true`` in case.toml); such a
    #: case may omit provenance, and every output says it is synthetic.
    synthetic: bool = False
    #: How the Monte Carlo models the lines' errors (``[uncertainty]`` in case.toml).
    model: ModelSettings = field(default_factory=lambda: ModelSettings())
    #: What loading found legal but suspicious (each also issued once as a BorderkitWarning).
    warnings: tuple[str, ...] = ()

    def __repr__(self) -> str:
        return f"<Case {self.id!r}: {len(self.pairs)} pairs, {len(self.layers)} layers, {len(self.claims)} claims>"

    @property
    def inputs(self) -> tuple[Path, ...]:
        """The case's own files (``case.toml`` and every layer's file): no output may replace one."""
        return (self.root / "case.toml", *(self.root / lay.path for lay in self.layers.values()))

    def layer(self, role: str) -> Layer | None:
        """The layer with a single-use ``role``, or ``None`` when the case has none."""
        found = [lay for lay in self.layers.values() if lay.role == role]
        return found[0] if found else None

    def layers_with_role(self, role: str) -> list[Layer]:
        """Every layer with ``role`` (context, buildings, ... may repeat)."""
        return [lay for lay in self.layers.values() if lay.role == role]

    def country(self, code: str) -> Country:
        """The country with ISO code ``code``."""
        for c in self.countries:
            if c.code == code:
                return c
        msg = f"case {self.id!r}: no country {code!r}; the case has {[c.code for c in self.countries]}"
        raise CaseError(msg)

    def other(self, code: str) -> str:
        """The code of the other country."""
        a, b = self.countries
        return b.code if code == a.code else a.code

    def claim(self, claim_id: str) -> Claim:
        """The claim with ``claim_id``."""
        for c in self.claims:
            if c.id == claim_id:
                return c
        msg = f"case {self.id!r}: no claim {claim_id!r}"
        raise CaseError(msg)

    def settlements(self) -> gpd.GeoDataFrame:
        """Every pair member, with its coordinate where the settlements layer has one.

        A village the layer gives more than once (one point per source, ranked by its
        ``rank_field``) is placed at its first-ranked point; the others are kept in
        ``alternatives`` and their largest distance from it in ``source_spread_m``.

        Columns: ``name``, ``country``, ``pair``, ``accuracy_m`` (1 σ per axis, the
        placement and the rounding together), ``placement_m`` (where in the village the
        point was put), ``rounding`` (what the published value is rounded to, or ``""``),
        ``rounding_sigma_m`` (σ of that rounding, metres of latitude), ``sources``,
        ``source_spread_m``, ``alternatives`` (lon/lat of the other sources),
        ``has_coordinate``, ``geometry`` (``None`` for a settlement with no published
        coordinate), plus settlements of the layer that belong to no pair (``pair`` empty).
        """
        lay = self.layer("settlements")
        rows: list[dict[str, Any]] = []
        known: dict[str, dict[str, Any]] = {}
        if lay is not None:
            frame = lay.frame
            if lay.rank_field is not None and lay.rank_field in frame.columns:
                frame = frame.assign(_rank=pd.to_numeric(frame[lay.rank_field], errors="coerce")).sort_values(
                    "_rank", kind="stable"
                )
            for name, group in frame.groupby(frame[lay.name_field].astype(str), sort=False):
                known[str(name)] = _settlement_record(lay, group)
        used: set[str] = set()
        for p in self.pairs:
            for code, name in p.settlements.items():
                used.add(name)
                rec = known.get(name) or _no_coordinate(code)
                rows.append({"name": name, "pair": p.id, **rec, "country": code})
        for name, rec in known.items():
            if name not in used:
                rows.append({"name": name, "pair": "", **rec})
        cols = [
            "name",
            "country",
            "pair",
            "accuracy_m",
            "placement_m",
            "rounding",
            "rounding_sigma_m",
            "sources",
            "source_spread_m",
            "alternatives",
            "has_coordinate",
            "geometry",
        ]
        return gpd.GeoDataFrame(pd.DataFrame(rows, columns=cols), geometry="geometry", crs="EPSG:4326")


_M_PER_DEG_LAT = 111_132.0  # metres per degree of latitude at 45° (WGS 84; 111,040 at 41°N): rounding σ


def _settlement_record(lay: Layer, group: gpd.GeoDataFrame) -> dict[str, Any]:
    """The first-ranked point of one village and what its other sources say."""
    first = group.iloc[0]
    name = str(first[lay.name_field])
    placement = float(lay.accuracy_m_by_name.get(name, lay.accuracy_m))
    rounding = str(first[lay.rounding_field]) if lay.rounding_field and lay.rounding_field in group else ""
    # A value rounded to ±h degrees is uniform over the cell: σ = h/√3 per axis.
    rounding_sigma = ROUNDINGS.get(rounding, 0.0) / math.sqrt(3) * _M_PER_DEG_LAT
    others = [(g.x, g.y) for g in group.geometry.iloc[1:] if g is not None]
    spread = float("nan")
    if others and first.geometry is not None:
        from pyproj import Geod

        lon = np.array([o[0] for o in others])
        lat = np.array([o[1] for o in others])
        _, _, d = Geod(ellps="WGS84").inv(
            np.full(len(lon), first.geometry.x), np.full(len(lon), first.geometry.y), lon, lat
        )
        spread = float(np.max(d))
    return {
        "country": str(first[lay.country_field]) if lay.country_field in group else "",
        "accuracy_m": math.hypot(placement, rounding_sigma),
        "placement_m": placement,
        "rounding": rounding if rounding in ROUNDINGS else "",
        "rounding_sigma_m": rounding_sigma,
        "sources": len(group),
        "source_spread_m": spread,
        "alternatives": tuple(others),
        "has_coordinate": first.geometry is not None,
        "geometry": first.geometry,
    }


def _no_coordinate(code: str) -> dict[str, Any]:
    nan = float("nan")
    return {
        "country": code,
        "accuracy_m": nan,
        "placement_m": nan,
        "rounding": "",
        "rounding_sigma_m": 0.0,
        "sources": 0,
        "source_spread_m": nan,
        "alternatives": (),
        "has_coordinate": False,
        "geometry": None,
    }


# ---------------------------------------------------------------------- finding cases
# ---------------------------------------------------------------------- validation helpers
#: The largest number case.toml may give; metres of accuracy are capped at :data:`MAX_ACCURACY_M`.
MAX_NUMBER = 1e12
#: Half the Earth's meridian circumference, rounded up: no positional error is larger.
MAX_ACCURACY_M = 2e7


class _Where:
    """Builds messages that name the file and key."""

    def __init__(self, toml: Path) -> None:
        self.toml = toml

    def fail(self, key: str, problem: str, fix: str) -> CaseError:
        return CaseError(f"{self.toml}: {key}: {problem}. {fix}")

    def unknown_keys(self, table: Mapping[str, Any], allowed: set[str], key: str) -> None:
        extra = sorted(set(table) - allowed)
        if extra:
            raise self.fail(key, f"unknown key {extra[0]!r}", f"Allowed keys: {', '.join(sorted(allowed))}")

    def get(
        self,
        table: Mapping[str, Any],
        name: str,
        key: str,
        typ: type | tuple[type, ...],
        default: Any = ...,
        fix: str = "",
    ) -> Any:
        if name not in table:
            if default is ...:
                raise self.fail(f"{key}.{name}", "missing", fix or f"Add `{name} = ...` to [{key}]")
            return default
        val = table[name]
        # bool is an int in Python; `accuracy_m = true` is still a mistake.
        is_stray_bool = isinstance(val, bool) and bool not in (typ if isinstance(typ, tuple) else (typ,))
        if not isinstance(val, typ) or is_stray_bool:
            tn = typ.__name__ if isinstance(typ, type) else " or ".join(t.__name__ for t in typ)
            raise self.fail(f"{key}.{name}", f"expected {tn}, got {val!r}", fix or f"Write {name} as a {tn}")
        return val

    def number(
        self,
        table: Mapping[str, Any],
        name: str,
        key: str,
        default: Any = ...,
        *,
        minimum: float | None = None,
        maximum: float = MAX_NUMBER,
        fix: str = "",
    ) -> Any:
        """A finite int or float (not bool), at least ``minimum`` when given, at most ``maximum``."""
        if name not in table:
            return self.get(table, name, key, (int, float), default=default, fix=fix)
        val = self.get(table, name, key, (int, float), fix=fix)
        if not math.isfinite(val):
            raise self.fail(f"{key}.{name}", f"not a finite number: {val!r}", fix or f"Give {name} as a finite number")
        if minimum is not None and val < minimum:
            raise self.fail(f"{key}.{name}", f"{val!r} is below {minimum:g}", fix or f"Give {name} >= {minimum:g}")
        if val > maximum:
            # Larger values overflow to inf in the error model and make every claim "consistent".
            raise self.fail(f"{key}.{name}", f"{val!r} is above the largest allowed, {maximum:g}", fix or
                            f"Give {name} <= {maximum:g}")  # fmt: skip
        return val

    def tables(
        self, table: Mapping[str, Any], name: str, key: str, fix: str, default: Any = ...
    ) -> list[dict[str, Any]]:
        """An array of tables (``[[name]]``): every item a table."""
        items = self.get(table, name, key, list, default=default, fix=fix)
        for i, item in enumerate(items):
            if not isinstance(item, dict):
                raise self.fail(f"{name}[{i}]", f"expected a table, got {item!r}", fix)
        return list(items)

    def strings(self, table: Mapping[str, Any], name: str, key: str, fix: str, default: Any = ...) -> list[str]:
        """A list of text items."""
        items = self.get(table, name, key, list, default=default, fix=fix)
        for item in items:
            if not isinstance(item, str):
                raise self.fail(f"{key}.{name}", f"expected a list of text, got {items!r}", fix)
        return list(items)


def _precision_from_value(value: int | float) -> float:
    """Half a unit of the last digit written: ``12`` -> 0.5, ``12.7`` -> 0.05.

    TOML keeps integers and floats apart, so ``12`` and ``12.0`` differ as they do in
    words ("12 km" vs "12.0 km").

    Examples
    --------
    >>> _precision_from_value(12), _precision_from_value(12.7), _precision_from_value(0.25)
    (0.5, 0.05, 0.005)
    """
    if isinstance(value, int):
        return 0.5
    exponent = Decimal(repr(float(value))).normalize().as_tuple().exponent
    decimals = max(-int(exponent), 1) if isinstance(exponent, int) else 1
    return round(0.5 * 10.0**-decimals, decimals + 1)


def _inside(root: Path, rel: str, where: _Where, key: str) -> Path:
    p = Path(rel)
    if p.is_absolute():
        raise where.fail(key, f"absolute path {rel!r}", "Give a path relative to the case folder")
    full = (root / p).resolve()
    if not full.is_relative_to(root.resolve()):
        raise where.fail(key, f"path {rel!r} leaves the case folder", "Copy the file into the case folder")
    if not full.is_file():
        raise where.fail(key, f"no file {rel!r} in {root}", "Check the spelling or add the file")
    return full


# ---------------------------------------------------------------------- loading
def load_case(case: str | os.PathLike[str]) -> Case:
    """Load and validate a case by shipped id or folder.

    Parameters
    ----------
    case : str or path
        A shipped case id (see :func:`list_cases`), a folder holding ``case.toml``, or
        the path of a ``case.toml``.

    Returns
    -------
    Case

    Raises
    ------
    CaseNotFoundError
        No such id or folder.
    CaseError
        ``case.toml`` is malformed: the message names the key, value and fix.
    InputError
        A data file cannot be read as declared.

    Examples
    --------
    >>> case = load_case("tavush-2024")
    >>> case
    <Case 'tavush-2024': 4 pairs, 11 layers, 9 claims>
    >>> [p.id for p in case.pairs]
    ['baghanis', 'voskepar', 'kirants', 'berkaber']
    """
    if not isinstance(case, str | os.PathLike) or str(case) == "":
        msg = f"case={case!r}: give a shipped case id ('tavush-2024'), a case folder or its case.toml"
        raise ParameterError(msg)
    with collect_warnings() as found:
        loaded = _load(case)
    return replace(loaded, warnings=tuple(found))


def _load(case: str | os.PathLike[str]) -> Case:
    try:
        root = _resolve(case)
        toml_path = root / "case.toml"
        if not toml_path.is_file():
            raise CaseNotFoundError(f"{root}: no case.toml in this folder. Create one (see README, 'Add a case').")
    except PermissionError as err:
        msg = f"{case}: cannot be read ({err.strerror}). Give the case folder read permission (chmod -R u+rX)."
        raise CaseError(msg) from err
    where = _Where(toml_path)
    doc = read_case_toml(toml_path)

    where.unknown_keys(doc, _TOP_KEYS, "case.toml")
    fmt = where.get(doc, "format", "case.toml", int, default=FORMAT_VERSION)
    if fmt != FORMAT_VERSION:
        raise where.fail("format", f"unsupported format {fmt!r}", f"This borderkit reads format {FORMAT_VERSION}")
    case_id = where.get(doc, "id", "case.toml", str)
    if not _ID_RE.match(case_id):
        raise where.fail("id", f"bad id {case_id!r}", "Use letters, digits, '.', '_' and '-' only")
    title = where.get(doc, "title", "case.toml", str, default=case_id)
    description = " ".join(where.get(doc, "description", "case.toml", str, default="").split())

    countries = _load_countries(doc, where)
    codes = {c.code for c in countries}
    pairs = _load_pairs(doc, where, codes)
    bounds = _bounds(where.get(doc, "bounds", "case.toml", list, default=None), where, "bounds")
    synthetic = where.get(doc, "synthetic", "case.toml", bool, default=False)
    raw_layers = doc.get("layers")  # checked by _load_layers
    # A bar on a terminal's stderr when reading takes a while (many layers, large files).
    with progress(len(raw_layers) if isinstance(raw_layers, dict) else None, f"reading {case_id}", "layer") as bar:
        layers = _load_layers(doc, where, root, codes, bounds, synthetic=synthetic, bar=bar)
    claims = _load_claims(doc, where, codes, {p.id for p in pairs})
    checks = _load_checks(doc, where, claims)
    _check_settlement_names(layers, pairs, where, codes)
    _warn_extent(layers, where)
    model = _load_model_settings(doc, where, layers)
    return Case(case_id, title, root, countries, pairs, layers, claims, checks, description, synthetic, model)


def _load_countries(doc: Mapping[str, Any], where: _Where) -> tuple[Country, Country]:
    raw = where.tables(doc, "countries", "case.toml", fix="Add two [[countries]] tables with code and name")
    if len(raw) != 2:
        raise where.fail("countries", f"expected 2 countries, got {len(raw)}", "A case is between two countries")
    out = []
    for i, t in enumerate(raw):
        key = f"countries[{i}]"
        where.unknown_keys(t, {"code", "name"}, key)
        code = where.get(t, "code", key, str)
        if not code.strip() or code != code.strip():
            raise where.fail(f"{key}.code", f"{code!r} is not a country code", 'Give a code such as "ARM"')
        out.append(Country(code, where.get(t, "name", key, str)))
    if out[0].code == out[1].code:
        raise where.fail("countries", f"both countries have code {out[0].code!r}", "Give two different codes")
    return out[0], out[1]


def _load_model_settings(doc: Mapping[str, Any], where: _Where, layers: Mapping[str, Layer]) -> ModelSettings:
    t = where.get(doc, "uncertainty", "case.toml", dict, default={})
    key = "uncertainty"
    where.unknown_keys(t, {"calibrate", "sigma_m", "length_m", "nu", "old_line_length_m", "note"}, key)
    lines = {n for n, lay in layers.items() if lay.role in ("new_line", "new_line_alt")}
    pairs = where.get(t, "calibrate", key, list, default=[])
    for pair in pairs:
        if not (isinstance(pair, list) and len(pair) == 2 and all(isinstance(p, str) and p in lines for p in pair)):
            raise where.fail(
                f"{key}.calibrate", f"bad pair {pair!r}", f"Give pairs of line layer names from {sorted(lines)}"
            )
    numbers = {k: where.number(t, k, key, default=None, minimum=0, maximum=MAX_ACCURACY_M,
                               fix=f"Give {k} in metres, from 0 to {MAX_ACCURACY_M:g}") for k in
               ("sigma_m", "length_m", "old_line_length_m")}  # fmt: skip
    if (numbers["sigma_m"] is None) != (numbers["length_m"] is None):
        raise where.fail(f"{key}.sigma_m", "given without length_m (or the other way)", "Set both, or neither")
    nu = where.number(t, "nu", key, default=1.5, minimum=0, fix="Give the Matérn smoothness: 0.5, 1.5 or 2.5")
    if nu not in (0.5, 1.5, 2.5):
        raise where.fail(f"{key}.nu", f"{nu!r} is not supported", "Use 0.5, 1.5 or 2.5")
    return ModelSettings(
        calibrate=tuple((str(a), str(b)) for a, b in pairs),
        sigma_m=None if numbers["sigma_m"] is None else float(numbers["sigma_m"]),
        length_m=None if numbers["length_m"] is None else float(numbers["length_m"]),
        nu=float(nu),
        old_line_length_m=None if numbers["old_line_length_m"] is None else float(numbers["old_line_length_m"]),
        note=str(t.get("note", "")),
    )


def _load_pairs(doc: Mapping[str, Any], where: _Where, codes: set[str]) -> tuple[Pair, ...]:
    pairs: list[Pair] = []
    for i, t in enumerate(where.tables(doc, "pairs", "case.toml", "Write each pair as a [[pairs]] table", default=[])):
        key = f"pairs[{i}]"
        extra = sorted(set(t) - ({"id", "section", "note", "unpublished"} | codes))
        if extra:
            raise where.fail(
                key,
                f"unknown key {extra[0]!r}",
                f"A pair names its settlements by the codes of [[countries]] ({', '.join(sorted(codes))}); "
                f"the other keys allowed are id, note, section, unpublished",
            )
        pid = where.get(t, "id", key, str)
        if not _ID_RE.match(pid) or any(p.id == pid for p in pairs):
            raise where.fail(f"{key}.id", f"bad or repeated pair id {pid!r}", "Give each pair a unique id")
        names = {c: where.get(t, c, key, str, fix=f'Name the settlement of {c} ({c} = "...")') for c in sorted(codes)}
        unpublished = where.get(t, "unpublished", key, list, default=[])
        if not all(isinstance(u, str) and u in names.values() for u in unpublished):
            raise where.fail(
                f"{key}.unpublished",
                f"bad value {unpublished!r}",
                f"List the pair's settlements that have no public coordinate, from {sorted(names.values())}",
            )
        pairs.append(Pair(pid, where.get(t, "section", key, int, default=None), names, tuple(unpublished)))
    return tuple(pairs)


def _bounds(value: list[Any] | None, where: _Where, key: str) -> tuple[float, float, float, float] | None:
    if value is None:
        return None
    if (
        len(value) != 4
        or not all(isinstance(v, int | float) for v in value)
        or not (value[0] < value[2] and value[1] < value[3])
    ):
        raise where.fail(key, f"bad bounds {value!r}", "Give [min_lon, min_lat, max_lon, max_lat] in degrees")
    return (float(value[0]), float(value[1]), float(value[2]), float(value[3]))


def _load_layers(
    doc: Mapping[str, Any],
    where: _Where,
    root: Path,
    codes: set[str],
    bounds: tuple[float, float, float, float] | None,
    *,
    synthetic: bool = False,
    bar: Bar | None = None,
) -> dict[str, Layer]:
    layers: dict[str, Layer] = {}
    raw = where.get(doc, "layers", "case.toml", dict, default={})
    for name, t in raw.items():
        key = f"layers.{name}"
        if not isinstance(t, dict):
            raise where.fail(key, f"expected a table, got {t!r}", f"Write [layers.{name}] with path, role, crs")
        where.unknown_keys(t, _LAYER_KEYS, key)
        role = where.get(t, "role", key, str, default=name if name in ROLES else ...)
        if role not in ROLES:
            raise where.fail(f"{key}.role", f"unknown role {role!r}", f"Use one of: {', '.join(ROLES)}")
        if role in _SINGLE_ROLES and any(lay.role == role for lay in layers.values()):
            raise where.fail(
                f"{key}.role", f"a second {role!r} layer", f"A case has one {role} layer; use role 'context' for others"
            )
        if not synthetic:
            # Real data carries its provenance; only a case marked synthetic may omit it.
            for k, example in (("source", "geoBoundaries gbOpen ARM ADM0 @93c2201b"), ("licence", "ODbL 1.0")):
                if not str(t.get(k, t.get("license", "")) if k == "licence" else t.get(k, "")).strip():
                    raise where.fail(
                        f"{key}.{k}",
                        "missing",
                        f'Say where the file comes from: {k} = "{example}" (or mark a made-up case synthetic = true)',
                    )
        rel = where.get(t, "path", key, str)
        path = _inside(root, rel, where, f"{key}.path")
        crs = where.get(t, "crs", key, str, fix='Declare the CRS of the file, e.g. crs = "EPSG:4326"')
        map_scale = where.number(
            t,
            "map_scale",
            key,
            default=None,
            minimum=1,
            fix="Give the scale denominator of the sheet the layer was digitised from, e.g. map_scale = 50000",
        )
        acc = where.number(
            t,
            "accuracy_m",
            key,
            default=... if map_scale is None else None,
            minimum=0,
            maximum=MAX_ACCURACY_M,
            fix="State the positional accuracy (1 σ) in metres >= 0, e.g. accuracy_m = 25, "
            "or the scale of the map it was digitised from, map_scale = 50000",
        )
        if acc is None:
            acc, basis = accuracy_from_map_scale_m(map_scale), accuracy_basis_text(map_scale)
        else:
            basis = "accuracy_m in case.toml" + ("" if map_scale is None else " (overrides map_scale)")
        left = where.get(t, "left", key, str, default=None)
        if role in ("new_line", "new_line_alt", "old_line") and left is None:
            raise where.fail(
                f"{key}.left",
                "missing",
                f'Say which country lies left of the line in vertex order: left = "{sorted(codes)[0]}"',
            )
        if left is not None and left not in codes:
            raise where.fail(f"{key}.left", f"unknown country {left!r}", f"Use one of {sorted(codes)}")
        line_type = where.get(t, "line_type", key, str, default="geodesic")
        if line_type not in ("geodesic", "rhumb"):
            raise where.fail(f"{key}.line_type", f"unknown line type {line_type!r}", "Use 'geodesic' or 'rhumb'")
        if "line_type" in t and role != "turning_points":
            raise where.fail(
                f"{key}.line_type",
                f"given for a {role!r} layer",
                "line_type says how turning points are joined; remove it here",
            )
        operation = where.get(
            t, "operation", key, str, default=None, fix='Name the operation as text: operation = "EPSG:15865"'
        )
        by_name = where.get(t, "accuracy_m_by_name", key, dict, default={})
        for settlement in by_name:
            where.number(
                by_name,
                settlement,
                f"{key}.accuracy_m_by_name",
                minimum=0,
                maximum=MAX_ACCURACY_M,
                fix=f'Give metres >= 0: "{settlement}" = 500',
            )
        if by_name and role != "settlements":
            raise where.fail(
                f"{key}.accuracy_m_by_name", f"given for a {role!r} layer", "Use it on the settlements layer"
            )
        columns = where.get(t, "columns", key, dict, default=None)
        if columns is not None and not all(isinstance(v, str) for v in columns.values()):
            raise where.fail(f"{key}.columns", f"expected column names as text, got {columns!r}",
                             'Write columns = { lon = "x", lat = "y" }')  # fmt: skip
        read_kwargs: dict[str, Any] = {
            "crs": crs,
            "operation": operation,
            "layer": where.get(t, "layer", key, str, default=None),
        }
        if columns is not None:
            read_kwargs["columns"] = columns
        layer_bounds = _bounds(where.get(t, "expect_bounds", key, list, default=None), where, f"{key}.expect_bounds")
        if layer_bounds or bounds:
            read_kwargs["expect_bounds"] = layer_bounds or bounds
        if bar is not None:
            size = path.stat().st_size
            large = size >= LARGE_FILE_BYTES
            # A large file shows the bar at once: the read itself reports nothing until it ends.
            bar.set_postfix_str(f"{name} ({size / 1e6:.0f} MB)" if large else name, refresh=large)
        try:
            frame, tr = read_layer(path, **read_kwargs)
        except BorderkitError as err:
            raise type(err)(f"{key}: {err}") from err
        if bar is not None:
            bar.update(1)
        _check_geometry(frame, role, where, key)
        layers[name] = Layer(
            name=name,
            role=role,
            path=path.relative_to(root.resolve()),
            crs=crs,
            accuracy_m=float(acc),
            frame=frame,
            transformation=tr,
            source=str(t.get("source", "")),
            licence=str(t.get("licence", t.get("license", ""))),
            date=str(t.get("date", "")),
            left=left,
            name_field=str(t.get("name_field", "name")),
            country_field=str(t.get("country_field", "country")),
            accuracy_m_by_name={str(k): float(v) for k, v in by_name.items()},
            line_type=line_type,
            columns=columns,
            accuracy_basis=basis,
            label=where.get(t, "label", key, str, default=""),
            rank_field=where.get(t, "rank_field", key, str, default=None),
            rounding_field=where.get(t, "rounding_field", key, str, default=None),
        )
    return layers


_GEOM_KINDS = {
    "settlements": {"Point"},
    "turning_points": {"Point"},
    "new_line": {"LineString", "MultiLineString"},
    "new_line_alt": {"LineString", "MultiLineString"},
    "old_line": {"LineString", "MultiLineString"},
    "extent": {"Polygon", "MultiPolygon"},
    "plots": {"Polygon", "MultiPolygon"},
    "roads": {"LineString", "MultiLineString"},
    "buildings": {"Point", "MultiPoint", "Polygon", "MultiPolygon"},
}


_LINE_ROLES = ("new_line", "new_line_alt", "old_line")


def _check_geometry(frame: gpd.GeoDataFrame, role: str, where: _Where, key: str) -> None:
    if frame.empty:
        raise where.fail(key, "the file has no features", "Give a file with data, or remove the layer from case.toml")
    if frame.geometry.isna().all():
        raise where.fail(
            key,
            f"none of its {len(frame)} features has a geometry that could be read",
            "Write coordinates as numbers, not text ([45.05, 41.06]), or remove the layer from case.toml",
        )
    empty = frame.geometry[frame.geometry.notna() & frame.geometry.is_empty]
    if len(empty):
        row = int(empty.index[0]) + 1
        raise where.fail(
            key,
            f"feature {row} is an empty {empty.iloc[0].geom_type} (no coordinates)",
            "Give it its coordinates, or remove the feature",
        )
    if role in _LINE_ROLES:
        for i, geom in enumerate(frame.geometry):
            if geom is not None and not shapely.is_simple(geom):
                warnings.warn(
                    f"{where.toml}: {key}: feature {i + 1} crosses itself; it is measured as drawn. "
                    "Check the vertex order",
                    BorderkitWarning,
                    stacklevel=5,
                )
    polys = frame.geometry[frame.geometry.geom_type.isin(["Polygon", "MultiPolygon"])]
    invalid = polys[~polys.is_valid]
    if len(invalid):
        row = int(invalid.index[0]) + 1
        why = shapely.is_valid_reason(invalid.iloc[0])
        raise where.fail(
            key,
            f"feature {row} is not a valid polygon ({why})",
            "Fix its rings (no self-crossing, e.g. with QGIS 'Fix geometries' or shapely.make_valid)",
        )
    allowed = _GEOM_KINDS.get(role)
    if allowed is None:
        return
    kinds = frame.geometry.geom_type.fillna("None")
    bad = kinds[~kinds.isin(allowed)]
    if len(bad):
        row = int(bad.index[0]) + 1
        raise where.fail(
            key,
            f"feature {row} is a {bad.iloc[0]!r}",
            f"A {role} layer holds {' or '.join(sorted(allowed))} geometries",
        )


def _load_claims(doc: Mapping[str, Any], where: _Where, codes: set[str], pair_ids: set[str]) -> tuple[Claim, ...]:
    claims: list[Claim] = []
    for i, t in enumerate(
        where.tables(doc, "claims", "case.toml", "Write each claim as a [[claims]] table", default=[])
    ):
        key = f"claims[{i}]"
        where.unknown_keys(t, _CLAIM_KEYS, key)
        cid = where.get(t, "id", key, str)
        key = f"claims[{i}] ({cid})"
        if any(c.id == cid for c in claims):
            raise where.fail(f"{key}.id", f"repeated claim id {cid!r}", "Give each claim a unique id")
        quantity = where.get(t, "quantity", key, str)
        if quantity not in ("length", "area", "count"):
            raise where.fail(f"{key}.quantity", f"unknown quantity {quantity!r}", "Use 'length', 'area' or 'count'")
        unit = where.get(t, "unit", key, str)
        if quantity in QUANTITIES and unit not in QUANTITIES[quantity]:
            raise where.fail(
                f"{key}.unit", f"unit {unit!r} is not a {quantity} unit", f"Use one of {sorted(QUANTITIES[quantity])}"
            )
        scope_raw = where.get(t, "scope", key, (str, list), default="total")
        if scope_raw == "total":
            scope: tuple[str, ...] = ()
        elif isinstance(scope_raw, list) and scope_raw and all(isinstance(s, str) and s in pair_ids for s in scope_raw):
            scope = tuple(scope_raw)
        else:
            raise where.fail(
                f"{key}.scope", f"bad scope {scope_raw!r}", f'Use "total" or a list of pair ids from {sorted(pair_ids)}'
            )
        value = where.number(
            t,
            "value",
            key,
            minimum=0,
            fix=f"Give the reported figure as a number from 0 to {MAX_NUMBER:g}, e.g. value = 12.7",
        )
        precision = where.number(
            t,
            "precision",
            key,
            default=None,
            minimum=0,
            fix=f"Give the half-width the wording implies, from 0 to {MAX_NUMBER:g}, in the claim's unit",
        )
        if precision is None:
            precision = _precision_from_value(value)
        direction = where.get(t, "direction", key, str, default=None)
        if direction is not None and direction not in codes:
            raise where.fail(
                f"{key}.direction",
                f"unknown country {direction!r}",
                f"Use one of {sorted(codes)}: the country the land went to",
            )
        if quantity == "area" and direction is None:
            raise where.fail(
                f"{key}.direction", "missing", f'Say which country the area went to: direction = "{sorted(codes)[0]}"'
            )
        subject = where.get(t, "subject", key, str, default=None)
        if quantity == "count" and subject is None:
            raise where.fail(f"{key}.subject", "missing", 'Say which layer role is counted, e.g. subject = "buildings"')
        if subject is not None and subject not in ("buildings", "plots", "roads", "features"):
            raise where.fail(
                f"{key}.subject", f"unknown subject {subject!r}", "Use 'buildings', 'plots', 'roads' or 'features'"
            )
        holding = where.get(t, "holding", key, list, default=[])
        if not all(isinstance(h, str) and h for h in holding):
            raise where.fail(f"{key}.holding", f"bad value {holding!r}", 'Give settlement names: holding = ["A", "B"]')
        if holding and quantity != "area":
            raise where.fail(f"{key}.holding", f"given for a {quantity!r} claim", "holding names the faces of an area")
        claims.append(
            Claim(
                id=cid,
                quantity=quantity,
                scope=scope,
                value=float(value),
                unit=unit,
                precision=float(precision),
                direction=direction,
                subject=subject,
                holding=tuple(holding),
                wording=str(t.get("wording", "")),
                said_by=str(t.get("said_by", "")),
                source=str(t.get("source", "")),
                date=str(t.get("date", "")),
            )
        )
    return tuple(claims)


def _load_checks(doc: Mapping[str, Any], where: _Where, claims: tuple[Claim, ...]) -> tuple[Check, ...]:
    ids = {c.id for c in claims}
    checks: list[Check] = []
    for i, t in enumerate(
        where.tables(doc, "checks", "case.toml", "Write each check as a [[checks]] table", default=[])
    ):
        key = f"checks[{i}]"
        where.unknown_keys(t, _CHECK_KEYS, key)
        chid = where.get(t, "id", key, str)
        if any(c.id == chid for c in checks):
            raise where.fail(f"{key}.id", f"repeated check id {chid!r}", "Give each check a unique id")
        kind = where.get(t, "kind", key, str)
        if kind == "sum":
            parts = tuple(where.strings(t, "parts", key, 'Name the claims by id: parts = ["a", "b"]'))
            total = where.get(t, "total", key, str)
            named = (*parts, total)
            if not parts:
                raise where.fail(f"{key}.parts", "empty", "Name the claims that should add up to the total")
        elif kind == "equal":
            parts = tuple(where.strings(t, "claims", key, 'Name the claims by id: claims = ["a", "b"]'))
            total = None
            named = parts
            if len(parts) < 2:
                raise where.fail(
                    f"{key}.claims", f"{list(parts)!r} names fewer than 2 claims", "Name two or more claim ids"
                )
        else:
            raise where.fail(f"{key}.kind", f"unknown kind {kind!r}", "Use 'sum' or 'equal'")
        for n in named:
            if n not in ids:
                raise where.fail(key, f"no claim {n!r}", f"Use claim ids from {sorted(ids)}")
        quantities = {c.quantity for c in claims if c.id in named}
        if len(quantities) > 1:
            raise where.fail(key, f"mixes quantities {sorted(quantities)}", "Check claims of one quantity")
        checks.append(Check(chid, kind, parts, total))
    return tuple(checks)


def _warn_extent(layers: Mapping[str, Layer], where: _Where) -> None:
    """An extent that misses both lines is legal, and gives 0 km² handed over: say so."""
    ext = next((lay for lay in layers.values() if lay.role == "extent"), None)
    lines = [lay for lay in layers.values() if lay.role in ("new_line", "old_line")]
    if ext is None or not lines:
        return
    area = ext.union()
    if not any(shapely.intersects(area, lay.union()) for lay in lines):
        names = " and ".join(lay.name for lay in lines)
        warnings.warn(
            f"{where.toml}: layers.{ext.name}: the extent misses {names}; no land is handed over inside it. "
            "Check its coordinates and CRS",
            BorderkitWarning,
            stacklevel=4,
        )


def _check_settlement_names(
    layers: Mapping[str, Layer], pairs: tuple[Pair, ...], where: _Where, codes: set[str]
) -> None:
    lays = [lay for lay in layers.values() if lay.role == "settlements"]
    if not lays:
        return
    lay = lays[0]
    nf = lay.name_field
    if nf not in lay.frame.columns:
        raise where.fail(
            f"layers.{lay.name}.name_field",
            f"no field {nf!r} in {lay.path}",
            f"Fields there: {', '.join(c for c in lay.frame.columns if c != 'geometry')}",
        )
    cf = lay.country_field
    if cf not in lay.frame.columns:
        raise where.fail(
            f"layers.{lay.name}.country_field",
            f"no field {cf!r} in {lay.path}",
            f"Fields there: {', '.join(c for c in lay.frame.columns if c != 'geometry')}; name the country code field",
        )
    countries = lay.frame[cf].astype(str)
    foreign = countries[~countries.isin(codes)]
    if len(foreign):
        row = int(foreign.index[0]) + 1
        raise where.fail(
            f"layers.{lay.name}",
            f"feature {row} ({lay.frame[nf].iloc[row - 1]!r}) has {cf} = {foreign.iloc[0]!r}, "
            "not a country of the case",
            f"Use one of {sorted(codes)}, or move the point to a context layer",
        )
    names = set(lay.frame[nf].astype(str))
    counts = lay.frame[nf].astype(str).value_counts()
    repeated = sorted(counts[counts > 1].index)
    if repeated and lay.rank_field is None:
        raise where.fail(
            f"layers.{lay.name}",
            f"{repeated[0]!r} appears {counts[repeated[0]]} times in {lay.path}",
            'Give each name once, or rank the sources of a village: rank_field = "rank" (1 = its position)',
        )
    for i, pair in enumerate(pairs):
        for code, member in pair.settlements.items():
            if member in names or member in pair.unpublished:
                continue
            # A name the layer lacks is an error unless the case says it is unpublished.
            close = difflib.get_close_matches(member, sorted(names), n=3, cutoff=0.6)
            hint = f"; close names there: {close}" if close else ""
            raise where.fail(
                f"pairs[{i}] ({pair.id}).{code}",
                f"{member!r} is not in {lay.path}{hint}",
                f'Write the name as the layer does, or mark it: unpublished = ["{member}"]',
            )
        if code_mismatch := [
            (code, member)
            for code, member in pair.settlements.items()
            if member in names
            and lay.country_field in lay.frame.columns
            and code not in set(lay.frame.loc[lay.frame[nf].astype(str) == member, lay.country_field].astype(str))
        ]:
            code, member = code_mismatch[0]
            raise where.fail(
                f"pairs[{i}] ({pair.id}).{code}",
                f"{member!r} is not in {code} according to {lay.path}",
                f"Name a settlement of {code} here",
            )
    for name in lay.accuracy_m_by_name:
        if name not in names:
            raise where.fail(
                f"layers.{lay.name}.accuracy_m_by_name",
                f"no settlement {name!r} in {lay.path}",
                "Use a name from the layer",
            )
