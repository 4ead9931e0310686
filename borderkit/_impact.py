"""What changed hands: the buildings, plots, roads and other features in handed-over land.

:func:`impact` reads a case's optional impact layers (roles ``buildings``, ``plots``,
``roads``, ``features``; any format :func:`borderkit.read_layer` reads) and sets them
against the handed-over polygons of :func:`borderkit.measure`. Every rule is stated
here and adjustable by keyword:

Which polygons
    The handed-over faces of ``Measurements.areas`` that are not slivers (a sliver is
    within the data's uncertainty, see :func:`borderkit.areas.handover_polygons`).
Buildings and features
    A polygon counts for a handed-over polygon when at least ``building_share``
    (default 0.5) of its footprint lies inside it; a point counts when it lies inside.
    Each feature counts once, for the polygon holding the largest share of it.
Plots
    A plot counts by the share of its area inside (a plot half inside is half a plot);
    ``plots_area_ha`` is the geodesic area of the plots' parts inside.
Roads
    ``road_length_m`` is the geodesic length of road inside. Roads crossing the new
    line are listed in ``crossings``.
Shares
    Ratios of areas in the local UTM plane (the projection's scale cancels in a ratio
    over a few metres); every area and length reported is geodesic (WGS 84).
Routes
    For a settlement and a named destination (``routes=[("Kirants", "Ijevan")]``), the
    shortest road route before (old line) and after (new line) that stays in the
    origin's country, from a graph of the road layers, noded first (roads are split
    where they meet at a shared vertex or cross); nodes are the end points of the noded
    parts, snapped together within ``snap_m``; edges are weighted by geodesic length; an edge
    that crosses a line belongs to neither country for that line and is dropped.
    Names are looked up in the settlements layer and in ``features`` layers.
Near the line
    Buildings, features and settlements within ``within_m`` of the new line, with the
    geodesic distance (the school 50 m from the border).

Checking claims (``ImpactResult.claims``, which :func:`borderkit.analyse` verifies):
``count`` of ``buildings``/``features`` is the number of counted features; ``count``
of ``plots`` the sum of shares; ``count`` of ``roads`` the number of road features
with a part inside; ``length`` of ``roads`` is **the length of road lying in
handed-over land** (the stretch a replacement road has to make up for; the extra
length of the in-country route needs a destination a claim does not name and is
reported in ``routes``). Polygons are those going to the claim's ``direction`` (all
directions without one) and attributed to the claim's pairs. The tolerance's parts:

``rounding``
    The half-unit of the wording.
``positional``
    Half of the subject (features, share of plots, road length) lying within σ of the
    lines where they bound the counted polygons, σ = √(σ_new² + σ_old² + datum
    spread²): a shift of a line by σ moves about half of that band in or out.
``rendering``
    The largest difference the other renderings of the new line make.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from numpy.typing import NDArray
from shapely.errors import GEOSException
from shapely.geometry.base import BaseGeometry

from borderkit._measure import Measurements, measure
from borderkit._validate import check_number
from borderkit.areas import side_of
from borderkit.case import Case, Claim
from borderkit.errors import CaseError, ParameterError
from borderkit.geodesy import GEOD, LocalPlane, geodesic_area_m2, local_plane

if TYPE_CHECKING:
    import networkx as nx

__all__ = ["IMPACT_ROLES", "ImpactClaim", "ImpactResult", "impact", "is_impact_claim"]

#: Layer roles :func:`impact` reads.
IMPACT_ROLES = ("buildings", "plots", "roads", "features")

#: Snap-rounding grid (degrees, about 0.1 mm) when floating-point noding of roads fails.
_NODE_GRID_DEG = 1e-9

_POLY_STATS = ["buildings", "features", "plots", "plots_area_ha", "roads", "road_length_m"]


# ---------------------------------------------------------------------- result
@dataclass(frozen=True, eq=False)
class ImpactResult:
    """What lies in the handed-over land of a case; what :func:`impact` returns.

    Attributes
    ----------
    case_id : str
    polygons : GeoDataFrame
        One row per handed-over polygon (slivers apart), indexed by its row in
        ``Measurements.areas``: ``from_country``, ``to_country``, ``area_m2``, ``pairs``,
        ``buildings`` and ``features`` (counts), ``plots`` (sum of shares),
        ``plots_area_ha``, ``roads`` (road features with a part inside),
        ``road_length_m``, geometry.
    items : GeoDataFrame
        Every feature touching a handed-over polygon: ``role``, ``layer``, ``fid`` (row
        in its layer), ``name``, ``polygon``, ``to_country``, ``share`` (of its area;
        1 for points and roads), ``counted``, ``area_ha`` (plots), ``length_m`` (roads),
        geometry (the feature).
    crossings : GeoDataFrame
        Road features crossing the new line: ``layer``, ``fid``, ``name``,
        ``n_crossings``, ``length_m``, geometry (the crossing points).
    routes : DataFrame
        One row per route asked for: ``origin``, ``destination``, ``country_before``,
        ``country_after``, ``shortest_m``, ``shortest_within_before``,
        ``shortest_within_after``, ``in_country_before_m``, ``in_country_after_m``,
        ``extra_m``, ``snap_origin_m``, ``snap_destination_m``, ``route_before``,
        ``route_after`` (geometries), ``note``.
    near_line : GeoDataFrame
        Features within ``within_m`` of the new line: ``role``, ``layer``, ``name``,
        ``distance_m`` (geodesic), ``country_after``, geometry.
    missing : tuple of str
        One sentence per impact layer role the case lacks.
    within_m, building_share, sliver_width_m, snap_m : float
        The rules used.
    rendering_polygons : dict of str to GeoDataFrame
        ``polygons`` against every other rendering of the new line, by layer name.
    claims : dict of str to ImpactClaim
        Each impact claim of the case (one with a ``subject``, or a count) measured:
        what :mod:`borderkit` verifies it against.
    notes : tuple of str

    Examples
    --------
    >>> import borderkit
    >>> res = borderkit.impact(borderkit.load_case("tavush-2024"))
    >>> res.missing[0]
    "buildings: no layer with role 'buildings' in this case"
    """

    case_id: str
    polygons: gpd.GeoDataFrame = field(repr=False)
    items: gpd.GeoDataFrame = field(repr=False)
    crossings: gpd.GeoDataFrame = field(repr=False)
    routes: pd.DataFrame = field(repr=False)
    near_line: gpd.GeoDataFrame = field(repr=False)
    missing: tuple[str, ...]
    within_m: float
    building_share: float
    sliver_width_m: float | None
    snap_m: float = 1.0
    rendering_polygons: Mapping[str, gpd.GeoDataFrame] = field(default_factory=dict, repr=False)
    notes: tuple[str, ...] = ()
    claims: Mapping[str, ImpactClaim] = field(default_factory=dict, repr=False)

    def __repr__(self) -> str:
        parts = []
        for c in sorted(set(self.polygons["to_country"])):
            t = self.totals(c)
            bits = [f"{t['buildings']:g} buildings"] if not self._is_missing("buildings") else []
            if not self._is_missing("plots"):
                bits.append(f"{t['plots']:g} plots ({t['plots_area_ha']:.1f} ha)")
            if not self._is_missing("roads"):
                bits.append(f"{t['road_length_m']:.0f} m road")
            if bits:
                parts.append(f"to {c}: " + ", ".join(bits))
        missing = ", ".join(r for r in IMPACT_ROLES if self._is_missing(r)) or "none"
        text = "; ".join([f"{len(self.polygons)} polygons", *parts, f"missing layers: {missing}"])
        return f"<ImpactResult {self.case_id!r}: {text}>"

    def _is_missing(self, role: str) -> bool:
        return any(m.startswith(f"{role}:") for m in self.missing)

    def totals(self, to_country: str | None = None, scope: tuple[str, ...] = ()) -> dict[str, float]:
        """Sums over the polygons going to ``to_country`` (all) attributed within ``scope``.

        Keys: ``polygons``, ``area_m2`` and every per-polygon figure (``buildings``,
        ``features``, ``plots``, ``plots_area_ha``, ``roads``, ``road_length_m``).
        """
        sel = _select(self.polygons, to_country, scope)
        out = {"polygons": float(len(sel)), "area_m2": float(sel["area_m2"].sum())}
        out.update({k: float(sel[k].sum()) for k in _POLY_STATS})
        return out

    def to_frame(self) -> pd.DataFrame:
        """One row per handed-over polygon with its counts, plot area and road length."""
        return pd.DataFrame(self.polygons.drop(columns="geometry"))

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready summary: rules, missing layers, totals per direction, polygons,
        crossings, routes and features near the line."""
        directions = sorted(set(self.polygons["to_country"]))
        return {
            "rules": {"building_share": self.building_share, "within_m": self.within_m,
                      "sliver_width_m": _r(self.sliver_width_m), "snap_m": self.snap_m,
                      "road_claims": "length of road lying in handed-over land"},
            "missing": list(self.missing),
            "totals": {f"to_{c}": {k: _r(v, 3) for k, v in self.totals(c).items()} for c in directions},
            "polygons": [{k: (_r(v, 3) if isinstance(v, float) else v) for k, v in r.items()}
                         for r in self.to_frame().reset_index(names="polygon").to_dict("records")],
            "crossings": [{"layer": r.layer, "fid": int(r.fid), "name": r.name, "n_crossings": int(r.n_crossings)}
                          for r in self.crossings.itertuples()],
            "routes": [{k: (_r(v, 1) if isinstance(v, float) else v) for k, v in r.items()
                        if k not in ("route_before", "route_after")}
                       for r in self.routes.to_dict("records")],
            "near_line": [{"role": r.role, "layer": r.layer, "name": r.name, "distance_m": _r(r.distance_m, 1),
                           "country_after": r.country_after} for r in self.near_line.itertuples()],
            "notes": list(self.notes),
        }


def _r(v: Any, nd: int = 1) -> Any:
    if v is None or (isinstance(v, float) and math.isnan(v)):
        return None
    if isinstance(v, (bool, np.bool_)):
        return bool(v)
    return round(float(v), nd)


def _select(polys: pd.DataFrame, to_country: str | None, scope: tuple[str, ...]) -> pd.DataFrame:
    sel = polys if to_country is None else polys[polys["to_country"] == to_country]
    if scope:
        sel = sel[np.array([set(p.split(",")) <= set(scope) for p in sel["pairs"]], dtype=bool)]
    return sel


# ---------------------------------------------------------------------- helpers
class _Features:
    """The features of every layer with one role, with a lazily built spatial index."""

    def __init__(self, case: Case, role: str) -> None:
        frames = []
        for lay in case.layers_with_role(role):
            f = lay.frame
            nf = lay.name_field
            names = f[nf].astype(str).to_numpy() if nf in f.columns else np.full(len(f), "", dtype=object)
            frames.append(pd.DataFrame({"layer": lay.name, "fid": np.arange(len(f)), "name": names,
                                        "geometry": f.geometry.to_numpy()}))
        df = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(
            {"layer": [], "fid": [], "name": [], "geometry": []})
        df = df[~shapely.is_missing(df["geometry"].to_numpy()) & ~shapely.is_empty(df["geometry"].to_numpy())]
        self.role = role
        self.frame = df.reset_index(drop=True)
        self.geoms: NDArray[np.object_] = self.frame["geometry"].to_numpy()
        self._tree: shapely.STRtree | None = None

    def __len__(self) -> int:
        return len(self.geoms)

    @property
    def tree(self) -> shapely.STRtree:
        if self._tree is None:
            self._tree = shapely.STRtree(self.geoms)
        return self._tree




def _geodesic_lengths_m(geoms: NDArray[np.object_]) -> NDArray[np.float64]:
    """Geodesic length of each lon/lat (multi)line, vectorised over all segments."""
    out = np.zeros(len(geoms))
    if len(geoms) == 0:
        return out
    parts, idx = shapely.get_parts(geoms, return_index=True)
    coords, cidx = shapely.get_coordinates(parts, return_index=True)
    if len(coords) < 2:
        return out
    same = cidx[1:] == cidx[:-1]
    a, b = coords[:-1][same], coords[1:][same]
    _, _, dist = GEOD.inv(a[:, 0], a[:, 1], b[:, 0], b[:, 1])
    seg_geom = idx[cidx[1:][same]]
    total = np.bincount(seg_geom, weights=np.asarray(dist, dtype=float), minlength=len(geoms))
    return np.asarray(total, dtype=np.float64)


def _line_of(case: Case, role: str) -> BaseGeometry | None:
    lay = case.layer(role)
    return None if lay is None else lay.union()


def _sigma_m(case: Case) -> float:
    new, old = case.layer("new_line"), case.layer("old_line")
    spread = max((lay.transformation.spread_m for lay in (new, old) if lay is not None), default=0.0)
    return math.sqrt(sum(lay.accuracy_m**2 for lay in (new, old) if lay is not None) + spread**2)


# ---------------------------------------------------------------------- polygons
def _overlay(polys: NDArray[np.object_], feats: _Features, plane: LocalPlane) -> pd.DataFrame:
    """Every (polygon, feature) pair that intersects, with the feature's share inside.

    Features wholly inside a polygon are found by a ``contains_properly`` query and get
    share 1 without an intersection; only those on a polygon's edge are cut.
    """
    cols = ["polygon", "feature", "share", "inter"]
    if len(feats) == 0 or len(polys) == 0:
        return pd.DataFrame({c: [] for c in cols})
    pi, fi = feats.tree.query(polys, predicate="intersects")
    ip, if_ = feats.tree.query(polys, predicate="contains_properly")
    n = len(feats)
    whole = np.isin(pi.astype(np.int64) * n + fi, ip.astype(np.int64) * n + if_)
    g = feats.geoms[fi]
    share = np.ones(len(pi))
    inter = g.copy()
    edge = ~whole
    if edge.any():
        inter[edge] = shapely.intersection(g[edge], polys[pi[edge]])
        areal = edge & (shapely.get_dimensions(g) == 2)
        if areal.any():
            num = shapely.area(plane.to(inter[areal]))
            den = shapely.area(plane.to(g[areal]))
            share[areal] = np.divide(num, den, out=np.zeros_like(num), where=den > 0)
    return pd.DataFrame({"polygon": pi, "feature": fi, "share": share, "inter": inter})


def _polygon_stats(
    areas: gpd.GeoDataFrame | None, layers: dict[str, _Features], plane: LocalPlane | None, building_share: float
) -> tuple[gpd.GeoDataFrame, gpd.GeoDataFrame]:
    """Per-polygon counts and the items behind them, for non-sliver handed-over faces."""
    item_cols = ["role", "layer", "fid", "name", "polygon", "to_country", "share", "counted",
                 "area_ha", "length_m", "geometry"]
    if areas is None:
        empty = gpd.GeoDataFrame({c: [] for c in item_cols}, geometry="geometry", crs="EPSG:4326")
        return gpd.GeoDataFrame({c: [] for c in ["from_country", "to_country", "area_m2", "pairs", *_POLY_STATS,
                                                  "geometry"]}, geometry="geometry", crs="EPSG:4326"), empty
    keep = ~areas["sliver"].astype(bool) if "sliver" in areas.columns else np.ones(len(areas), dtype=bool)
    polys_df = areas.loc[keep, ["from_country", "to_country", "area_m2", "pairs", "geometry"]].copy()
    for k in _POLY_STATS:
        polys_df[k] = 0.0
    polys = polys_df.geometry.to_numpy()
    ids = polys_df.index.to_numpy()
    items = []
    for role, feats in layers.items():
        if plane is None or len(feats) == 0 or len(polys) == 0:
            continue
        ov = _overlay(polys, feats, plane)
        if ov.empty:
            continue
        ov["to_country"] = polys_df["to_country"].to_numpy()[ov["polygon"].to_numpy(dtype=int)]
        ov["area_ha"] = np.nan
        ov["length_m"] = np.nan
        if role in ("buildings", "features"):
            # Each feature counts once: for the polygon holding its largest share.
            best = ov.sort_values("share", ascending=False).drop_duplicates("feature").index
            ov["counted"] = False
            ov.loc[best, "counted"] = ov.loc[best, "share"] >= building_share - 1e-12
            per = ov[ov["counted"]].groupby("polygon").size()
            polys_df.iloc[per.index.to_numpy(), polys_df.columns.get_loc(role)] = per.to_numpy(dtype=float)
        elif role == "plots":
            ov["counted"] = ov["share"] > 0
            ov["area_ha"] = [geodesic_area_m2(g) / 1e4 for g in ov["inter"]]
            agg = ov.groupby("polygon")[["share", "area_ha"]].sum()
            pos = agg.index.to_numpy()
            polys_df.iloc[pos, polys_df.columns.get_loc("plots")] = agg["share"].to_numpy()
            polys_df.iloc[pos, polys_df.columns.get_loc("plots_area_ha")] = agg["area_ha"].to_numpy()
        else:  # roads
            ov["length_m"] = _geodesic_lengths_m(ov["inter"].to_numpy())
            ov["counted"] = ov["length_m"] > 0
            agg = ov[ov["counted"]].groupby("polygon")["length_m"].agg(["sum", "size"])
            pos = agg.index.to_numpy()
            polys_df.iloc[pos, polys_df.columns.get_loc("road_length_m")] = agg["sum"].to_numpy()
            polys_df.iloc[pos, polys_df.columns.get_loc("roads")] = agg["size"].to_numpy(dtype=float)
        meta = feats.frame.iloc[ov["feature"].to_numpy(dtype=int)]
        items.append(pd.DataFrame({
            "role": role, "layer": meta["layer"].to_numpy(), "fid": meta["fid"].to_numpy(dtype=int),
            "name": meta["name"].to_numpy(), "polygon": ids[ov["polygon"].to_numpy(dtype=int)],
            "to_country": ov["to_country"].to_numpy(), "share": ov["share"].to_numpy(),
            "counted": ov["counted"].to_numpy(dtype=bool), "area_ha": ov["area_ha"].to_numpy(),
            "length_m": ov["length_m"].to_numpy(), "geometry": meta["geometry"].to_numpy(),
        }))
    frame = pd.concat(items, ignore_index=True) if items else pd.DataFrame({c: [] for c in item_cols})
    items_gdf = gpd.GeoDataFrame(frame[item_cols], geometry="geometry", crs="EPSG:4326")
    polys_gdf = gpd.GeoDataFrame(polys_df[["from_country", "to_country", "area_m2", "pairs", *_POLY_STATS,
                                           "geometry"]], geometry="geometry", crs="EPSG:4326")
    return polys_gdf, items_gdf


# ---------------------------------------------------------------------- crossings, near the line
def _crossings(roads: _Features, new_line: BaseGeometry | None) -> gpd.GeoDataFrame:
    cols = ["layer", "fid", "name", "n_crossings", "length_m", "geometry"]
    if new_line is None or len(roads) == 0:
        return gpd.GeoDataFrame({c: [] for c in cols}, geometry="geometry", crs="EPSG:4326")
    hit = roads.tree.query(new_line, predicate="crosses")
    g = roads.geoms[hit]
    pts = shapely.intersection(g, new_line)
    meta = roads.frame.iloc[hit]
    return gpd.GeoDataFrame({
        "layer": meta["layer"].to_numpy(), "fid": meta["fid"].to_numpy(dtype=int), "name": meta["name"].to_numpy(),
        "n_crossings": shapely.get_num_geometries(pts), "length_m": _geodesic_lengths_m(g), "geometry": pts,
    }, geometry="geometry", crs="EPSG:4326")


def _near_line(
    sources: Sequence[tuple[str, pd.DataFrame, NDArray[np.object_], shapely.STRtree | None]],
    new_line: BaseGeometry | None, within_m: float, plane: LocalPlane | None, left: str | None, other: str | None,
) -> gpd.GeoDataFrame:
    cols = ["role", "layer", "name", "distance_m", "country_after", "geometry"]
    empty = gpd.GeoDataFrame({c: [] for c in cols}, geometry="geometry", crs="EPSG:4326")
    if new_line is None or plane is None:
        return empty
    _, ymin, _, ymax = new_line.bounds
    lat = min(89.0, max(abs(ymin), abs(ymax)) + 1.0)
    # Lon/lat distance in degrees is at most metres / (metres per degree of longitude).
    deg = 1.01 * within_m / (111_320.0 * math.cos(math.radians(lat))) + 1e-9
    line_p = plane.to(new_line)
    rows = []
    for role, meta, geoms, tree in sources:
        if len(geoms) == 0:
            continue
        idx = (tree if tree is not None else shapely.STRtree(geoms)).query(new_line, predicate="dwithin", distance=deg)
        if len(idx) == 0:
            continue
        g = geoms[idx]
        nearest = shapely.shortest_line(plane.to(g), line_p)
        ends = shapely.get_coordinates(plane.back(nearest)).reshape(-1, 2, 2)
        _, _, dist = GEOD.inv(ends[:, 0, 0], ends[:, 0, 1], ends[:, 1, 0], ends[:, 1, 1])
        dist = np.where(shapely.intersects(g, new_line), 0.0, np.asarray(dist, dtype=float))
        ok = dist <= within_m
        if not ok.any():
            continue
        g, dist, sub = g[ok], dist[ok], meta.iloc[idx[ok]]
        country: list[str | None] = [None] * len(g)
        if left is not None:
            sides = side_of(new_line, shapely.point_on_surface(g), what="new line")
            country = [left if s > 0 else other if s < 0 else "on the line" for s in sides]
            country = [c if d > 0 else "on the line" for c, d in zip(country, dist, strict=True)]
        rows.append(pd.DataFrame({"role": role, "layer": sub["layer"].to_numpy(), "name": sub["name"].to_numpy(),
                                  "distance_m": dist, "country_after": country, "geometry": g}))
    if not rows:
        return empty
    out = pd.concat(rows, ignore_index=True).sort_values("distance_m", ignore_index=True)
    return gpd.GeoDataFrame(out, geometry="geometry", crs="EPSG:4326")


# ---------------------------------------------------------------------- routes
def _named_points(case: Case) -> dict[str, BaseGeometry]:
    out: dict[str, BaseGeometry] = {}
    for lay in case.layers_with_role("features"):
        nf = lay.name_field
        if nf in lay.frame.columns:
            for name, g in zip(lay.frame[nf].astype(str), lay.frame.geometry, strict=True):
                if g is not None and not g.is_empty:
                    out.setdefault(name, g if g.geom_type == "Point" else g.representative_point())
    s = case.settlements()
    for name, g in zip(s["name"], s.geometry, strict=True):
        if g is not None:
            out[str(name)] = g
    return out


def _road_graph(roads: _Features, plane: LocalPlane, snap_m: float) -> tuple[nx.MultiGraph, NDArray[np.object_],
                                                                           NDArray[np.object_]]:
    """Graph of the noded road network: nodes are end points snapped within ``snap_m``.

    OSM-style roads meet at a shared interior vertex or cross without one; noding splits
    every road where it meets or crosses another, so junctions become nodes.
    """
    parts = _noded(shapely.get_parts(roads.geoms))
    ends = np.concatenate([shapely.get_point(parts, 0), shapely.get_point(parts, -1)])
    ends_p = plane.to(ends)
    pairs = shapely.STRtree(ends_p).query(ends_p, predicate="dwithin", distance=snap_m)
    import networkx as nx  # imported here: routes are rare and networkx takes 0.2 s to import

    snap = nx.Graph()
    snap.add_nodes_from(range(len(ends)))
    snap.add_edges_from(pairs.T.tolist())
    label = np.empty(len(ends), dtype=np.int64)
    node_pts = []
    for k, comp in enumerate(nx.connected_components(snap)):
        members = np.fromiter(comp, dtype=np.int64)
        label[members] = k
        node_pts.append(ends_p[members[0]])
    n = len(parts)
    lengths = _geodesic_lengths_m(parts)
    g = nx.MultiGraph()
    g.add_nodes_from(range(len(node_pts)))
    g.add_edges_from((int(label[i]), int(label[n + i]), i, {"length_m": float(lengths[i])}) for i in range(n))
    return g, parts, np.asarray(node_pts, dtype=object)


def _noded(parts: NDArray[np.object_]) -> NDArray[np.object_]:
    """The line parts split wherever they meet or cross (duplicates dissolved)."""
    lines = parts[shapely.get_type_id(parts) == 1]
    if len(lines) == 0:
        return lines
    try:
        noded = shapely.node(shapely.multilinestrings(lines))
    except GEOSException:
        # Floating-point noding can fail to converge; snap-rounding to ~0.1 mm cannot.
        noded = shapely.union_all(lines, grid_size=_NODE_GRID_DEG)
    out = shapely.get_parts(noded)
    return np.asarray(out[shapely.get_type_id(out) == 1], dtype=object)


def _edge_countries(parts: NDArray[np.object_], line: BaseGeometry, left: str, other: str) -> NDArray[np.object_]:
    """Country of each road part under ``line``; ``None`` where the part crosses it."""
    mids = shapely.line_interpolate_point(parts, 0.5, normalized=True)
    sides = side_of(line, mids, what="line")
    out = np.where(sides > 0, left, other).astype(object)
    out[shapely.crosses(parts, line)] = None
    return out


def _path_edges(g: nx.MultiGraph, path: list[int], allowed: set[int] | None) -> list[int]:
    keys = []
    for u, v in itertools.pairwise(path):
        cands = [(d["length_m"], k) for k, d in g[u][v].items() if allowed is None or k in allowed]
        keys.append(min(cands)[1])
    return keys


def _shortest(g: nx.MultiGraph, o: int, d: int, allowed: set[int] | None) -> tuple[float | None, list[int]]:
    import networkx as nx

    sub = g if allowed is None else g.edge_subgraph([(u, v, k) for u, v, k in g.edges(keys=True) if k in allowed])
    if o not in sub or d not in sub:
        return (0.0, []) if o == d else (None, [])
    try:
        length, path = nx.single_source_dijkstra(sub, o, d, weight="length_m")
    except nx.NetworkXNoPath:
        return None, []
    return float(length), _path_edges(g, path, allowed)


def _routes(case: Case, roads: _Features, plane: LocalPlane | None, routes: Sequence[tuple[str, str]],
            snap_m: float) -> pd.DataFrame:
    cols = ["origin", "destination", "country_before", "country_after", "shortest_m", "shortest_within_before",
            "shortest_within_after", "in_country_before_m", "in_country_after_m", "extra_m", "snap_origin_m",
            "snap_destination_m", "route_before", "route_after", "note"]
    if not routes:
        return pd.DataFrame({c: [] for c in cols})
    new, old = case.layer("new_line"), case.layer("old_line")
    if len(roads) == 0 or plane is None or new is None or old is None or not new.left or not old.left:
        why = "no roads layer" if len(roads) == 0 else "no new_line and old_line (with `left`) in this case"
        return pd.DataFrame([{**dict.fromkeys(cols), "origin": o, "destination": d, "note": f"not computable: {why}"}
                             for o, d in routes], columns=cols)
    named = _named_points(case)
    for name in {n for r in routes for n in r}:
        if name not in named:
            msg = (f"route end {name!r} is not a named point of the case; names in the settlements and "
                   f"features layers: {sorted(named)}")
            raise CaseError(msg)
    g, parts, node_pts = _road_graph(roads, plane, snap_m)
    c_old = _edge_countries(parts, old.union(), old.left, case.other(old.left))
    c_new = _edge_countries(parts, new.union(), new.left, case.other(new.left))
    node_tree = shapely.STRtree(node_pts)
    rows = []
    for o_name, d_name in routes:
        ends_p = plane.to(np.array([named[o_name], named[d_name]], dtype=object))
        (_, nodes), dist = node_tree.query_nearest(ends_p, return_distance=True, all_matches=False)
        o, d = int(nodes[0]), int(nodes[1])
        before_c = _side_country(old.union(), named[o_name], old.left, case.other(old.left))
        after_c = _side_country(new.union(), named[o_name], new.left, case.other(new.left))
        short_m, short_e = _shortest(g, o, d, None)
        b_m, b_e = _shortest(g, o, d, {i for i in range(len(parts)) if c_old[i] == before_c})
        a_m, a_e = _shortest(g, o, d, {i for i in range(len(parts)) if c_new[i] == after_c})
        note = []
        if a_m is None:
            note.append(f"no road route from {o_name} to {d_name} stays in {after_c} after the change")
        if b_m is None:
            note.append(f"no road route from {o_name} to {d_name} stayed in {before_c} before")
        rows.append({
            "origin": o_name, "destination": d_name, "country_before": before_c, "country_after": after_c,
            "shortest_m": short_m,
            "shortest_within_before": None if short_m is None else _one_country(c_old[short_e]),
            "shortest_within_after": None if short_m is None else _one_country(c_new[short_e]),
            "in_country_before_m": b_m, "in_country_after_m": a_m,
            "extra_m": None if a_m is None or b_m is None else a_m - b_m,
            "snap_origin_m": float(dist[0]), "snap_destination_m": float(dist[1]),
            "route_before": shapely.multilinestrings(parts[b_e]) if b_e else None,
            "route_after": shapely.multilinestrings(parts[a_e]) if a_e else None,
            "note": "; ".join(note),
        })
    return pd.DataFrame(rows, columns=cols)


def _one_country(countries: NDArray[np.object_]) -> bool:
    """True when every edge lies in the same country (none crossing the line)."""
    found = set(countries.tolist())
    return len(found) <= 1 and None not in found


def _side_country(line: BaseGeometry, pt: BaseGeometry, left: str, other: str) -> str:
    s = side_of(line, [pt])[0]
    return left if s > 0 else other if s < 0 else "on the line"


# ---------------------------------------------------------------------- entry points
def impact(
    case: Case,
    measurements: Measurements | None = None,
    *,
    within_m: float = 50.0,
    building_share: float = 0.5,
    routes: Sequence[tuple[str, str]] | None = None,
    snap_m: float = 1.0,
) -> ImpactResult:
    """Count what lies in the handed-over land of ``case``: buildings, plots, roads, features.

    Parameters
    ----------
    case : Case
    measurements : Measurements, optional
        Reuse :func:`borderkit.measure` results (their areas and slivers).
    within_m : float
        List features within this geodesic distance of the new line.
    building_share : float
        A building (or feature) polygon counts when at least this share of its
        footprint is inside a handed-over polygon (0 < share <= 1).
    routes : sequence of (str, str), optional
        (origin, destination) names from the settlements or features layers; the
        shortest in-country road route is compared before and after.
    snap_m : float
        Road end points closer than this are one node of the road graph.

    Returns
    -------
    ImpactResult

    Raises
    ------
    ParameterError
        ``case`` is not a Case, or ``building_share``, ``within_m`` or ``snap_m`` out of range.
    CaseError
        A route end is not a named point of the case.

    Examples
    --------
    The shipped case has no buildings, plots or roads yet, and says so:

    >>> from borderkit import load_case
    >>> result = impact(load_case("tavush-2024"))
    >>> result.missing[0]
    "buildings: no layer with role 'buildings' in this case"
    >>> len(result.polygons) > 0, result.totals("AZE")["buildings"]
    (True, 0.0)
    """
    if not isinstance(case, Case):
        msg = f"case={case!r}: give a Case, e.g. borderkit.load_case('tavush-2024')"
        raise ParameterError(msg)
    check_number("building_share", building_share, 0, 1, what=" (the share of a footprint that must be inside)")
    if building_share == 0:
        msg = f"building_share={building_share!r}: give the share of a footprint that must be inside, 0 < share <= 1"
        raise ParameterError(msg)
    within_m = check_number("within_m", within_m, 0, 1e7, what=" (metres)")
    snap_m = check_number("snap_m", snap_m, 0, 1e7, what=" (metres)")
    if measurements is not None and not isinstance(measurements, Measurements):
        msg = f"measurements={measurements!r}: give borderkit.measure(case), or None"
        raise ParameterError(msg)
    m = measurements if measurements is not None else measure(case)
    layers = {role: _Features(case, role) for role in IMPACT_ROLES}
    missing = tuple(f"{r}: no layer with role {r!r} in this case" for r in IMPACT_ROLES if not case.layers_with_role(r))
    new_line = _line_of(case, "new_line")
    plane = None
    ref = new_line if new_line is not None or m.areas is None else shapely.union_all(m.areas.geometry.to_numpy())
    if ref is not None:
        c = shapely.centroid(shapely.envelope(ref))
        plane = local_plane(c.x, c.y)
    polygons, items = _polygon_stats(m.areas, layers, plane, building_share)
    rendering_polygons = {
        name: _polygon_stats(r.areas, layers, plane, building_share)[0]
        for name, r in m.renderings.items()
        if r.areas is not None
    }
    crossings = _crossings(layers["roads"], new_line)
    new = case.layer("new_line")
    s = case.settlements()
    s = s[s.geometry.notna()].reset_index(drop=True)
    sources = [(r, layers[r].frame, layers[r].geoms, layers[r].tree if len(layers[r]) else None)
               for r in ("buildings", "features")]
    sources.append(("settlements", pd.DataFrame({"layer": "settlements", "name": s["name"].to_numpy()}),
                    s.geometry.to_numpy(), None))
    left = new.left if new is not None else None
    near = _near_line(sources, new_line, within_m, plane, left, case.other(left) if left else None)
    route_frame = _routes(case, layers["roads"], plane, list(routes or []), snap_m)
    notes = [m.areas_reason] if m.areas is None else []
    if m.areas is not None and "sliver" in m.areas.columns and m.areas["sliver"].any():
        notes.append(f"{int(m.areas['sliver'].sum())} sliver face(s) narrower than {m.sliver_width_m:.1f} m "
                     "are within the data's uncertainty: nothing in them is counted")
    res = ImpactResult(case.id, polygons, items, crossings, route_frame, near, missing, float(within_m),
                       float(building_share), m.sliver_width_m, float(snap_m), rendering_polygons, tuple(notes))
    claims = {c.id: _claim_value(case, m, res, layers, c) for c in case.claims if is_impact_claim(c)}
    return replace(res, claims=claims)


_MEASURES = {
    ("count", "buildings"): ("buildings", "buildings with ≥ {share:.0%} of their footprint inside"),
    ("count", "features"): ("features", "features with ≥ {share:.0%} of their footprint inside"),
    ("count", "plots"): ("plots", "plots, each counted by the share of its area inside"),
    ("count", "roads"): ("roads", "road features with a part inside"),
    ("length", "roads"): ("road_length_m", "geodesic length of road lying inside"),
    ("area", "plots"): ("plots_area_ha", "geodesic area of plots inside"),
}


@dataclass(frozen=True)
class ImpactClaim:
    """An impact claim measured: the value (SI), its tolerance parts (SI) and its basis.

    ``measured_si`` is ``None`` when the claim cannot be computed; ``basis`` then says why.

    Examples
    --------
    >>> from borderkit import load_case
    >>> res = impact(load_case("tavush-2024"))
    >>> res.claims["plots"]
    ImpactClaim(measured_si=None, tolerance_parts_si={}, basis="no layer with role 'plots' in this case")
    """

    measured_si: float | None
    tolerance_parts_si: Mapping[str, float]
    basis: str


def is_impact_claim(claim: Claim) -> bool:
    """A claim about buildings, plots, roads or features, or any count, is an impact claim."""
    return claim.subject is not None or claim.quantity == "count"


def _claim_value(
    case: Case, m: Measurements, res: ImpactResult, layers: Mapping[str, _Features], claim: Claim
) -> ImpactClaim:
    role = claim.subject or "features"
    spec = _MEASURES.get((claim.quantity, role))
    if spec is None:
        why = f"a {claim.quantity} of {role} is not defined; use count or length of roads, count or area of plots"
        return ImpactClaim(None, {}, why)
    if not case.layers_with_role(role):
        return ImpactClaim(None, {}, f"no layer with role {role!r} in this case")
    if m.areas is None:
        return ImpactClaim(None, {}, m.areas_reason.removeprefix("not computable: "))
    col, words = spec
    sel = _select(res.polygons, claim.direction, claim.scope)
    scale = 1e4 if col == "plots_area_ha" else 1.0
    measured = float(sel[col].sum()) * scale
    parts = {"rounding": claim.precision_si,
             "positional": 0.5 * _band_amount(case, layers[role], sel, role, col) * scale}
    alts = [float(_select(p, claim.direction, claim.scope)[col].sum()) * scale
            for p in res.rendering_polygons.values()]
    if alts:
        parts["rendering"] = max(abs(a - measured) for a in alts)
    where = f"to {claim.direction}" if claim.direction else "either way"
    scope = "all pairs" if claim.is_total else "+".join(claim.scope)
    basis = (f"{words.format(share=res.building_share)} the {len(sel)} handed-over polygon(s) {where} "
             f"attributed to {scope} (slivers apart)")
    if role == "roads" and claim.quantity == "length":
        basis += "; read as the length of road in handed-over land, not the extra length of a detour"
    return ImpactClaim(measured, parts, basis)


def _band_amount(case: Case, feats: _Features, sel: pd.DataFrame, role: str, col: str) -> float:
    """How much of ``role`` lies within σ of the lines where they bound the ``sel`` polygons."""
    sigma = _sigma_m(case)
    new, old = _line_of(case, "new_line"), _line_of(case, "old_line")
    if sigma == 0 or len(sel) == 0 or new is None or old is None:
        return 0.0
    c = shapely.centroid(shapely.envelope(shapely.union_all(sel.geometry.to_numpy())))
    plane = local_plane(c.x, c.y)
    polys_p = plane.to(shapely.union_all(sel.geometry.to_numpy()))
    lines_p = plane.to(shapely.union_all([new, old]))
    band_p = shapely.intersection(shapely.buffer(shapely.boundary(polys_p), sigma),
                                  shapely.buffer(lines_p, sigma))
    band = plane.back(shapely.segmentize(band_p, max(sigma / 4, 1.0)))
    if len(feats) == 0 or band.is_empty:
        return 0.0
    idx = feats.tree.query(band, predicate="intersects")
    g = feats.geoms[idx]
    if col == "road_length_m":
        return float(_geodesic_lengths_m(shapely.intersection(g, band)).sum())
    if role == "plots":
        gp = plane.to(g)
        share = shapely.area(shapely.intersection(gp, band_p)) / np.maximum(shapely.area(gp), 1e-300)
        return float(share.sum()) if col == "plots" else float(
            sum(geodesic_area_m2(x) for x in shapely.intersection(g, band)) / 1e4)
    return float(len(idx))
