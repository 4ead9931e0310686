"""Monte Carlo draws of every length and area claim under one scenario (rendering).

Each draw moves the rendering's vertices by a smooth 2-D displacement field (isotropic
Matérn covariance of :class:`~borderkit._uncertainty._model.ErrorModel`, generated exactly
at the vertices by a Cholesky factor), moves the old line by its own field, and draws the
pair settlements over their rounding cells plus their placement error. Then:

- the measured stretch runs between the nearest points (found in metres, in the local
  UTM plane) of the outermost settlements on the moved line, and each segment belongs
  to the pair whose settlement is nearest its midpoint, as :func:`borderkit.measure` does;
- a face's area changes by the flux of the lines' displacement through the part of its
  boundary each line forms (first order; faces may shrink to nothing, new faces born
  where the lines nearly touch are not modelled).

A 2-D field, unlike one along the line, moves two strands of a line that pass close to
each other together, so that a smooth displacement does not make the line cross itself.
Lengths are measured in the plane and scaled by the ratio of the geodesic to the planar
length of the unmoved line (within 1e-6 of the geodesic length of the moved line).
Draws are made in chunks, so memory is bounded by the chunk, not by draws × vertices.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import shapely
from numpy.typing import NDArray

from borderkit._measure import Measurements, line_of
from borderkit._uncertainty._model import ErrorModel, draw_points, matern_correlation
from borderkit.case import Case, Claim, Layer
from borderkit.enums import LineBasis, Quantity
from borderkit.geodesy import LocalPlane

__all__ = ["CHUNK", "ScenarioDraws", "clipped_line_xy", "field_factor", "scenario_draws"]

#: Draws per chunk: a 1,000-vertex line needs a few (chunk × vertices) arrays.
CHUNK = 500
#: How far around the extent a rendering is kept for the draws (degrees).
_MARGIN_DEG = 0.03


@dataclass(frozen=True)
class ScenarioDraws:
    """Draws of each claim (claim unit) under one scenario, and its unmoved values."""

    scenario: str
    values: dict[str, NDArray[np.float64]]
    measured: dict[str, float]


def clipped_line_xy(case: Case, lay: Layer, plane: LocalPlane) -> NDArray[np.float64]:
    """The rendering's vertices around the case's extent, in the plane (the longest part)."""
    line = line_of(case, lay)[0]
    ext = case.layer("extent")
    if ext is not None:
        x0, y0, x1, y1 = ext.union().bounds
        clipped = shapely.clip_by_rect(line, x0 - _MARGIN_DEG, y0 - _MARGIN_DEG, x1 + _MARGIN_DEG, y1 + _MARGIN_DEG)
        parts = [g for g in shapely.get_parts(clipped) if g.geom_type == "LineString"]
        if parts:
            line = max(parts, key=lambda g: g.length)
    return plane.xy(shapely.get_coordinates(line))


def field_factor(xy: NDArray[np.float64], model: ErrorModel) -> NDArray[np.float64]:
    """Lower Cholesky factor of the field's covariance at the vertices (m): draws are ``z @ L.T``."""
    d = np.hypot(*(xy[:, None, :] - xy[None, :, :]).transpose(2, 0, 1))
    cov = model.sigma_m**2 * matern_correlation(d, model.length_m, model.nu)
    cov[np.diag_indices_from(cov)] += model.nugget_m**2 + 1e-6 * max(model.sigma_m**2, 1.0)
    return np.asarray(np.linalg.cholesky(cov), dtype=np.float64)


def _nearest_chainage(
    px: NDArray[np.floating], py: NDArray[np.floating], cum: NDArray[np.floating], pts: NDArray[np.float64]
) -> NDArray[np.float64]:
    """(c, k) distance along each moved line (vertices ``px, py``: (c, n)) of its nearest point to each point."""
    ax, ay = px[:, :-1], py[:, :-1]
    vx, vy = px[:, 1:] - ax, py[:, 1:] - ay
    vv = np.maximum(vx * vx + vy * vy, 1e-12)
    out = np.empty(pts.shape[:2])
    rows = np.arange(px.shape[0])
    for j in range(pts.shape[1]):
        wx = pts[:, j, 0, None].astype(px.dtype) - ax
        wy = pts[:, j, 1, None].astype(px.dtype) - ay
        t = np.clip((wx * vx + wy * vy) / vv, 0.0, 1.0)
        wx -= t * vx
        wy -= t * vy
        i = np.argmin(wx * wx + wy * wy, axis=1)
        out[:, j] = cum[rows, i] + t[rows, i] * np.sqrt(vv[rows, i])
    return out


def _lengths(
    px: NDArray[np.floating],
    py: NDArray[np.floating],
    pts: NDArray[np.float64],
    pair_of_point: NDArray[np.intp],
    scopes: Sequence[tuple[int, ...]],
) -> NDArray[np.float64]:
    """(c, len(scopes)) planar length of the stretch between the outermost points, per scope."""
    seg = np.hypot(np.diff(px, axis=1), np.diff(py, axis=1)).astype(np.float64)
    cum = np.concatenate([np.zeros((px.shape[0], 1)), np.cumsum(seg, axis=1)], axis=1)
    at = _nearest_chainage(px, py, cum, pts)
    lo, hi = at.min(axis=1, keepdims=True), at.max(axis=1, keepdims=True)
    overlap = np.clip(np.minimum(cum[:, 1:], hi) - np.maximum(cum[:, :-1], lo), 0.0, None)
    mx, my = (px[:, 1:] + px[:, :-1]) / 2, (py[:, 1:] + py[:, :-1]) / 2
    best = np.full(mx.shape, np.inf, dtype=mx.dtype)
    nearest = np.zeros(mx.shape, dtype=np.intp)
    for j in range(pts.shape[1]):
        d2 = (mx - pts[:, j, 0, None].astype(mx.dtype)) ** 2 + (my - pts[:, j, 1, None].astype(mx.dtype)) ** 2
        closer = d2 < best
        best[closer], nearest[closer] = d2[closer], j
    pair = pair_of_point[nearest]
    out = np.empty((px.shape[0], len(scopes)))
    for k, sc in enumerate(scopes):
        out[:, k] = (hi - lo)[:, 0] if not sc else (overlap * np.isin(pair, sc)).sum(axis=1)
    return out


def _flux_weights(
    xy: NDArray[np.float64], faces_xy: Sequence[shapely.Geometry]
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """(F, n) weights so that the area change of face f is ``wx[f] @ dx + wy[f] @ dy`` (m²)."""
    n = len(xy)
    wx, wy = np.zeros((len(faces_xy), n)), np.zeros((len(faces_xy), n))
    if n < 2:
        return wx, wy
    v = np.diff(xy, axis=0)
    length = np.hypot(v[:, 0], v[:, 1])
    ok = length > 0
    left = np.zeros_like(v)
    left[ok] = np.column_stack([-v[ok, 1], v[ok, 0]]) / length[ok, None]
    mid = (xy[1:] + xy[:-1]) / 2
    mids = shapely.points(mid)
    probes = shapely.points(mid + left)  # 1 m to the left of each edge
    for f, face in enumerate(faces_xy):
        on = ok & (shapely.distance(face.boundary, mids) < 0.5)
        if not on.any():
            continue
        # Moving the line to the left by o shrinks a face on its left by o × length.
        sign = np.where(shapely.contains(face, probes), -1.0, 1.0) * on
        half = 0.5 * sign * length
        for end in (0, 1):
            idx = np.arange(n - 1) + end
            np.add.at(wx[f], idx, half * left[:, 0])
            np.add.at(wy[f], idx, half * left[:, 1])
    return wx, wy


def _area_claims(claims: Sequence[Claim]) -> list[Claim]:
    return [c for c in claims if c.quantity == Quantity.AREA and c.direction is not None and c.subject is None]


def _length_claims(claims: Sequence[Claim]) -> list[Claim]:
    return [c for c in claims if c.quantity == Quantity.LENGTH and c.subject is None]


def _turning_point_lengths(
    m: Measurements, lengths: Sequence[Claim], accuracy_m: float, plane: LocalPlane, draws: int, seed: int
) -> dict[Claim, NDArray[np.float64]]:
    """Draws of each length claim when the line joins turning points, each moved by its own
    independent error (σ = the layer's ``accuracy_m`` per axis), in the claim's unit."""
    seg = m.segments
    ends = np.vstack([seg[["lon0", "lat0"]].to_numpy(), seg[["lon1", "lat1"]].to_numpy()])
    points, idx = np.unique(ends, axis=0, return_inverse=True)
    a_idx, b_idx = idx[: len(seg)], idx[len(seg) :]
    xy = plane.xy(points)
    pair = seg["pair"].to_numpy(dtype=object)
    base = np.hypot(*(xy[b_idx] - xy[a_idx]).T)
    rng = np.random.default_rng([seed, 4])
    out: dict[Claim, list[NDArray[np.float64]]] = {c: [] for c in lengths}
    done = 0
    while done < draws:
        c_n = min(CHUNK, draws - done)
        p = xy[None] + rng.standard_normal((c_n, len(xy), 2)) * accuracy_m
        seg_m = np.hypot(*(p[:, b_idx] - p[:, a_idx]).transpose(2, 0, 1))
        for c in lengths:
            sel = np.ones(len(seg), dtype=bool) if not c.scope else np.isin(pair, c.scope)
            planar, geo = base[sel].sum(), m.length_m(c.scope) or 0.0
            ratio = geo / planar if planar else 0.0
            out[c].append(seg_m[:, sel].sum(axis=1) * ratio / c.scale)
        done += c_n
    return {c: np.concatenate(v) for c, v in out.items()}


def scenario_draws(
    case: Case,
    m: Measurements,
    lay: Layer,
    model: ErrorModel,
    old_model: ErrorModel | None,
    plane: LocalPlane,
    claims: Sequence[Claim],
    draws: int,
    seed: int,
    index: int,
) -> ScenarioDraws:
    """Draws of every length and area claim under the rendering ``lay`` (see the module)."""
    xy = clipped_line_xy(case, lay, plane)
    lf = field_factor(xy, model)
    rng_line = np.random.default_rng([seed, 2, index])
    rng_pts = np.random.default_rng([seed, 1])  # the same settlement draws under every scenario
    lengths, areas = _length_claims(claims), _area_claims(claims)
    values: dict[str, list[NDArray[np.float64]]] = {c.id: [] for c in [*lengths, *areas]}
    measured: dict[str, float] = {}

    s = m.settlements
    known = s[s["has_coordinate"].astype(bool) & (s["pair"] != "")]
    pair_ids = sorted(set(known["pair"]))
    pair_of_point = np.array([pair_ids.index(p) for p in known["pair"]], dtype=np.intp)
    scopes = [tuple(pair_ids.index(p) for p in c.scope if p in pair_ids) for c in lengths]
    ll = np.asarray(shapely.get_coordinates(known.geometry.to_numpy()))
    rounding = [r if r in ("arc-minute", "arc-second") else None for r in known["rounding"]]
    placement = known["placement_m"].to_numpy(dtype=float)
    if lengths and m.line_basis is LineBasis.TURNING_POINTS:
        # Lengths are the turning points' own: the same under every rendering, drawn once.
        tp = case.layer("turning_points")
        if index == 0 and tp is not None:
            for c, v in _turning_point_lengths(m, lengths, tp.accuracy_m, plane, draws, seed).items():
                values[c.id].append(v)
                measured[c.id] = (m.length_m(c.scope) or 0.0) / c.scale
        lengths = []
    do_lengths = bool(lengths) and m.line_basis is LineBasis.OUTERMOST_PAIRS and len(known) >= 2
    scale: list[float] = []
    if do_lengths:
        base = _lengths(xy[None, :, 0], xy[None, :, 1], plane.xy(ll)[None], pair_of_point, scopes)[0]
        for c, b in zip(lengths, base, strict=True):
            geo = m.length_m(c.scope)
            scale.append(0.0 if not b or geo is None else geo / b)
            measured[c.id] = (geo or 0.0) / c.scale

    faces: list[shapely.Geometry] = []
    weights: tuple[NDArray[np.float64], NDArray[np.float64]] | None = None
    old_weights: tuple[NDArray[np.float64], NDArray[np.float64]] | None = None
    old_lf: NDArray[np.float64] | None = None
    sel_faces: dict[str, NDArray[np.bool_]] = {}
    if areas and m.areas is not None and len(m.areas):
        faces = list(m.areas.geometry)
        faces_xy = [plane.to(g) for g in faces]
        weights = _flux_weights(xy, faces_xy)
        old = case.layer("old_line")
        if old is not None and old_model is not None and old_model.sigma_m > 0:
            old_xy = clipped_line_xy(case, old, plane)
            old_lf = field_factor(old_xy, old_model)
            old_weights = _flux_weights(old_xy, faces_xy)
        for c in areas:
            chosen = m.faces(c.direction or "", c.scope, c.holding)
            sel_faces[c.id] = m.areas.index.isin(chosen.index if chosen is not None else [])
            measured[c.id] = float(m.areas.loc[sel_faces[c.id], "area_m2"].sum()) / c.scale
    area0 = m.areas["area_m2"].to_numpy(dtype=float) if faces and m.areas is not None else np.zeros(0)
    rng_old = np.random.default_rng([seed, 3, index])

    done = 0
    while done < draws:
        c_n = min(CHUNK, draws - done)
        z = rng_line.standard_normal((2, c_n, len(xy)))
        dx, dy = z[0] @ lf.T, z[1] @ lf.T
        pts_ll = draw_points(ll, rounding, placement, c_n, rng_pts) if do_lengths else None
        if do_lengths and pts_ll is not None:
            # Vertices as offsets from the line's first one, in float32: 1e-7 of 50 km is 5 mm.
            x0, y0 = xy[0]
            px = ((xy[None, :, 0] - x0) + dx).astype(np.float32)
            py = ((xy[None, :, 1] - y0) + dy).astype(np.float32)
            pts = plane.xy(pts_ll.reshape(-1, 2)).reshape(c_n, -1, 2) - (x0, y0)
            got = _lengths(px, py, pts, pair_of_point, scopes)
            for k, c in enumerate(lengths):
                values[c.id].append(got[:, k] * scale[k] / c.scale)
        if sel_faces and weights is not None:
            wx, wy = weights
            change = dx @ wx.T + dy @ wy.T
            if old_lf is not None and old_weights is not None:
                zo = rng_old.standard_normal((2, c_n, old_lf.shape[0]))
                change += (zo[0] @ old_lf.T) @ old_weights[0].T + (zo[1] @ old_lf.T) @ old_weights[1].T
            face_area = np.clip(area0[None, :] + change, 0.0, None)
            for c in areas:
                values[c.id].append(face_area[:, sel_faces[c.id]].sum(axis=1) / c.scale)
        done += c_n
    out = {k: np.concatenate(v) for k, v in values.items() if v}
    return ScenarioDraws(m.rendering, out, {k: v for k, v in measured.items() if k in out})
