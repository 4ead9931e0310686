"""Monte Carlo draws of every length and area claim under one scenario (rendering).

Each draw moves the rendering's vertices by a smooth 2-D displacement field (isotropic
Matérn covariance of :class:`~borderkit._uncertainty._model.ErrorModel`, drawn at the
vertices by :class:`~borderkit._uncertainty._field.Field`), and draws the pair
settlements over their rounding cells plus their placement error. Then:

- the measured stretch runs between the nearest points (found in metres, in the local
  UTM plane) of the outermost settlements on the moved line, and each segment belongs
  to the pair whose settlement is nearest its midpoint, as :func:`borderkit.measure` does
  (:mod:`borderkit._uncertainty._stretch`);
- a face's area changes by the flux of the lines' displacement through the part of its
  boundary each line forms (first order; faces may shrink to nothing, new faces born
  where the lines nearly touch are not modelled). The change is linear in the fields of
  the new and the old line, so it is drawn from its exact covariance
  (:func:`~borderkit._uncertainty._field.weighted_covariance`), without drawing them.

A 2-D field, unlike one along the line, moves two strands of a line that pass close to
each other together, so that a smooth displacement does not make the line cross itself.
Lengths are measured in the plane and scaled by the ratio of the geodesic to the planar
length of the unmoved line (within 1e-6 of the geodesic length of the moved line).
Draws are made in chunks, so memory is bounded by the chunk, not by draws × vertices.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from dataclasses import field as dataclass_field

import numpy as np
import shapely
from numpy.typing import NDArray

from borderkit._measure import Measurements, line_of
from borderkit._uncertainty._field import Field
from borderkit._uncertainty._model import ErrorModel, draw_points
from borderkit._uncertainty._stretch import full_lengths, plan
from borderkit._uncertainty._stretch import lengths as stretch_lengths
from borderkit.case import Case, Claim, Layer
from borderkit.enums import LineBasis, Quantity
from borderkit.geodesy import LocalPlane

__all__ = ["CHUNK_ELEMENTS", "ScenarioDraws", "clipped_line_xy", "field_draws", "scenario_draws"]

#: Vertex-draws per chunk (a few float64 arrays of this size are alive at once).
CHUNK_ELEMENTS = 2**21
#: Fewest draws per chunk.
MIN_CHUNK = 100
#: Draws per chunk of the turning points' own errors.
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
    faces = np.asarray(faces_xy, dtype=object)
    bounds = shapely.boundary(faces)
    # The edges on each face's boundary: candidates from a spatial index, then the test.
    e, f = shapely.STRtree(bounds).query(mids, predicate="dwithin", distance=0.5)
    on = ok[e] & (shapely.distance(bounds[f], mids[e]) < 0.5)
    e, f = e[on], f[on]
    # Moving the line to the left by o shrinks a face on its left by o × length.
    sign = np.where(shapely.contains(faces[f], probes[e]), -1.0, 1.0)
    half = 0.5 * sign * length[e]
    for end in (0, 1):
        np.add.at(wx, (f, e + end), half * left[e, 0])
        np.add.at(wy, (f, e + end), half * left[e, 1])
    return wx, wy


def _cached_flux(
    xy: NDArray[np.float64], faces_xy: Sequence[shapely.Geometry], faces_id: int, cache: FieldCache | None
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    key = (np.ascontiguousarray(xy).tobytes(), faces_id)
    got = cache.flux.get(key) if cache is not None else None
    if got is None:
        got = _flux_weights(xy, faces_xy)
        if cache is not None:
            cache.flux[key] = got
    return got


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


def _chunk(n: int, draws: int) -> int:
    """Draws per chunk: about :data:`CHUNK_ELEMENTS` vertex-draws, so memory is bounded by the chunk."""
    return int(min(draws, max(MIN_CHUNK, CHUNK_ELEMENTS // max(n, 1))))


#: Settlement draws are made in blocks of this many draws, each from its own stream, so
#: that every scenario gets the same ones whatever its chunk size.
POINT_BLOCK = 4096
#: Settlement draws (points × draws) kept for the other scenarios, at most.
POINT_CACHE = 2**21


@dataclass
class FieldCache:
    """What one call of :func:`borderkit.uncertainty` computes once and every scenario reuses.

    The fields, by line and model; the settlement draws in the plane, by block; the flux
    weights, by line and faces.
    """

    fields: dict[tuple[bytes, ErrorModel], Field] = dataclass_field(default_factory=dict)
    points: dict[int, NDArray[np.float64]] = dataclass_field(default_factory=dict)
    flux: dict[tuple[bytes, int], tuple[NDArray[np.float64], NDArray[np.float64]]] = dataclass_field(
        default_factory=dict
    )


def _points_m(
    ll: NDArray[np.float64],
    rounding: Sequence[str | None],
    placement: NDArray[np.float64],
    plane: LocalPlane,
    seed: int,
    start: int,
    count: int,
    cache: FieldCache | None,
) -> NDArray[np.float64]:
    """Settlement draws ``start`` … ``start + count`` (count, k, 2), plane metres: the same in every scenario."""
    out = []
    for b in range(start // POINT_BLOCK, (start + count - 1) // POINT_BLOCK + 1):
        blk = cache.points.get(b) if cache is not None else None
        if blk is None:
            rng = np.random.default_rng([seed, 1, b])
            blk_ll = draw_points(ll, rounding, placement, POINT_BLOCK, rng)  # type: ignore[arg-type]
            blk = plane.xy(blk_ll.reshape(-1, 2)).reshape(POINT_BLOCK, -1, 2)
            if cache is not None and (len(cache.points) + 1) * POINT_BLOCK * len(ll) <= POINT_CACHE:
                cache.points[b] = blk
        first = b * POINT_BLOCK
        out.append(blk[max(start, first) - first : min(start + count, first + POINT_BLOCK) - first])
    return np.concatenate(out)


def field_draws(
    xy: NDArray[np.float64], model: ErrorModel, cache: FieldCache | None = None
) -> Callable[[np.random.Generator, int], NDArray[np.float64]]:
    """A function drawing the model's field at ``xy``: (n, 2 · draws), east columns then north, metres.

    :class:`~borderkit._uncertainty._field.Field` (Vecchia), the same at every size; built
    once per line and model when a ``cache`` (one per call) is given.
    """
    return _field(xy, model, cache).draw


def _field(xy: NDArray[np.float64], model: ErrorModel, cache: FieldCache | None) -> Field:
    key = (np.ascontiguousarray(xy).tobytes(), model)
    fld = cache.fields.get(key) if cache is not None else None
    if fld is None:
        fld = Field.build(xy, model)
        if cache is not None:
            cache.fields[key] = fld
    return fld


def _area_factor(
    lines: Sequence[tuple[NDArray[np.float64], ErrorModel, tuple[NDArray[np.float64], NDArray[np.float64]]]],
    fields: FieldCache | None,
) -> NDArray[np.float64]:
    """A factor S (F, F) with S Sᵀ the covariance of the first-order face-area changes (m⁴), under the field."""
    cov = sum(_field(xy, mod, fields).weighted_covariance(wx, wy) for xy, mod, (wx, wy) in lines)
    vals, vecs = np.linalg.eigh(np.asarray(cov))
    return np.asarray(vecs * np.sqrt(np.clip(vals, 0.0, None))[None, :])


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
    fields: FieldCache | None = None,
    on_chunk: Callable[[int], object] | None = None,
) -> ScenarioDraws:
    """Draws of every length and area claim under the rendering ``lay`` (see the module).

    ``fields`` keeps the fields built in one call, for the other scenarios and the sensitivity runs;
    ``on_chunk(n)`` is called after each chunk of ``n`` draws (a progress bar).
    """
    xy = clipped_line_xy(case, lay, plane)
    rng_line = np.random.default_rng([seed, 2, index])
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
    x0, y0 = xy[0]
    local = xy - (x0, y0)  # offsets from the first vertex: the products below lose nothing to 5·10^6 m
    if do_lengths:
        pts0 = plane.xy(ll) - (x0, y0)
        base = full_lengths(local[None, :, 0], local[None, :, 1], pts0[None], pair_of_point, scopes)[0]
        for c, b in zip(lengths, base, strict=True):
            geo = m.length_m(c.scope)
            scale.append(0.0 if not b or geo is None else geo / b)
            measured[c.id] = (geo or 0.0) / c.scale
        stretch = plan(local, pts0, pair_of_point)
        draw_field = field_draws(xy, model, fields)

    sel_faces: dict[str, NDArray[np.bool_]] = {}
    area_s: NDArray[np.float64] | None = None
    if areas and m.areas is not None and len(m.areas):
        faces_xy = [plane.to(g) for g in m.areas.geometry]
        lines = [(xy, model, _cached_flux(xy, faces_xy, id(m.areas), fields))]
        old = case.layer("old_line")
        if old is not None and old_model is not None and old_model.sigma_m > 0:
            old_xy = clipped_line_xy(case, old, plane)
            lines.append((old_xy, old_model, _cached_flux(old_xy, faces_xy, id(m.areas), fields)))
        area_s = _area_factor(lines, fields)
        for c in areas:
            chosen = m.faces(c.direction or "", c.scope, c.holding)
            sel_faces[c.id] = m.areas.index.isin(chosen.index if chosen is not None else [])
            measured[c.id] = float(m.areas.loc[sel_faces[c.id], "area_m2"].sum()) / c.scale
    area0 = m.areas["area_m2"].to_numpy(dtype=float) if area_s is not None and m.areas is not None else np.zeros(0)
    rng_area = np.random.default_rng([seed, 3, index])

    chunk = _chunk(len(xy), draws)
    done = 0
    while done < draws:
        c_n = min(chunk, draws - done)
        if do_lengths:
            d = draw_field(rng_line, c_n)
            pts = _points_m(ll, rounding, placement, plane, seed, done, c_n, fields) - (x0, y0)
            got = stretch_lengths(local, d, pts, pts0, stretch, pair_of_point, scopes, len(pair_ids))
            for k, c in enumerate(lengths):
                values[c.id].append(got[:, k] * scale[k] / c.scale)
        if area_s is not None:
            change = rng_area.standard_normal((c_n, area_s.shape[1])) @ area_s.T
            face_area = np.clip(area0[None, :] + change, 0.0, None)
            for c in areas:
                values[c.id].append(face_area[:, sel_faces[c.id]].sum(axis=1) / c.scale)
        done += c_n
        if on_chunk is not None:
            on_chunk(c_n)
    out = {k: np.concatenate(v) for k, v in values.items() if v}
    return ScenarioDraws(m.rendering, out, {k: v for k, v in measured.items() if k in out})
