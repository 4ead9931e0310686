"""A 2-D Matérn displacement field at the vertices of a line, drawn block by block.

The field is that of :class:`~borderkit._uncertainty._model.ErrorModel`: each of the two
components (east, north) is an independent Gaussian field with isotropic Matérn
covariance ``σ² ρ(h)``, plus an independent nugget at each vertex. An exact draw at ``n``
vertices needs the ``n × n`` Cholesky factor, O(n³) to make and O(n²) per draw: 15 GFLOP
per 10,000 draws of a 625-vertex line, and out of reach for the whole border.

:class:`Field` draws it the way Vecchia (1988) approximates a Gaussian likelihood: the
vertices, in their order along the line, are drawn one by one, each from its exact
conditional distribution given a few earlier vertices (the :data:`NEAREST` nearest, and
:data:`SPREAD` more spread over three correlation lengths, so that a strand of the line
coming back near an earlier one moves with it). A draw then costs O(n · (NEAREST +
SPREAD)) and memory is that of the draws; the loop is compiled
(:func:`~borderkit._uncertainty._kernels.field_apply`). ``tests/test_field.py`` compares
the covariance this implies with the exact one on a hairpin line with ℓ 165–660 m: mean
error 5e-4 σ², worst pair 0.05 σ², variances within 2 %; where a vertex has no more
earlier vertices than its conditioning set holds, the draws are exact. On the shipped
line the lengths drawn this way have the mean lengthening and spread of exact draws
within their Monte Carlo error.

:func:`weighted_covariance` gives the exact covariance of linear functionals of the field
(the first-order area changes), without drawing it.

References
----------
Vecchia, A. V. (1988). Estimation and model identification for continuous spatial
processes. *J. R. Stat. Soc. B* 50(2), 297–312.
Guinness, J. (2018). Permutation and grouping methods for sharpening Gaussian process
approximations. *Technometrics* 60(4), 415–429.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import numpy as np
import shapely
from numpy.typing import NDArray

from borderkit._uncertainty._model import ErrorModel, matern_correlation

__all__ = ["NEAREST", "SPREAD", "Field", "exact_factor", "weighted_covariance"]

#: Earlier vertices each vertex is conditioned on: the nearest ones ...
NEAREST = 16
#: ... and this many more, one per cell of ℓ/2, spread over the correlation reach (other strands).
SPREAD = 8
#: Added to the diagonal, relative to σ², so that near-coincident vertices stay positive definite.
JITTER = 1e-6
#: Vertices whose coefficients are solved in one batch.
_BATCH = 4096


def _cov(a: NDArray[np.float64], b: NDArray[np.float64], model: ErrorModel) -> NDArray[np.float64]:
    """σ² ρ(|a − b|) between the points ``a`` (..., k, 2) and ``b`` (..., l, 2), metres²."""
    d = np.hypot(a[..., :, None, 0] - b[..., None, :, 0], a[..., :, None, 1] - b[..., None, :, 1])
    return model.sigma_m**2 * matern_correlation(d, model.length_m, model.nu)


def _jitter_m2(model: ErrorModel) -> float:
    return JITTER * max(model.sigma_m**2, 1.0)


def exact_factor(xy: NDArray[np.float64], model: ErrorModel) -> NDArray[np.float64]:
    """Lower Cholesky factor of the field's whole covariance at ``xy`` (nugget included): draws are ``L @ z``.

    The reference :class:`Field` is tested against; O(n³), for small lines only.

    Examples
    --------
    >>> xy = np.array([[0.0, 0.0], [100.0, 0.0]])
    >>> L = exact_factor(xy, ErrorModel(10.0, 300.0, 2.5))
    >>> bool(np.allclose((L @ L.T)[0, 0], 100.0 + 1e-4))
    True
    """
    cov = _cov(xy, xy, model)
    cov[np.diag_indices_from(cov)] += model.nugget_m**2 + _jitter_m2(model)
    return np.asarray(np.linalg.cholesky(cov), dtype=np.float64)


def _group_rank(groups: NDArray[np.int64]) -> NDArray[np.int64]:
    """Position of each entry within its run of equal (sorted) ``groups``: 0, 1, 2, … per group."""
    start = np.r_[0, np.flatnonzero(np.diff(groups)) + 1]
    return np.arange(len(groups)) - np.repeat(start, np.diff(np.r_[start, len(groups)]))


def _unique_pairs(qi: NDArray[np.int64], qj: NDArray[np.int64], n: int) -> tuple[NDArray[np.int64], NDArray[np.int64]]:
    """Each pair ``(qi, qj)`` once, sorted by ``qi`` then ``qj`` (``qi`` given as a few sorted runs).

    The pairs are put in vertex order by a stable sort (a merge of the sorted runs), then
    each vertex's few dozen ``qj`` are sorted and made unique row by row in a padded
    table; where that table would be mostly padding, one sort of ``qi · n + qj`` does it.
    """
    if not len(qi):
        return qi, qj
    count = np.bincount(qi, minlength=n)
    width = int(count.max())
    if n * width > 4 * len(qi):
        key = np.sort(qi * n + qj)
        key = key[np.r_[True, key[1:] != key[:-1]]]
        return key // n, key % n
    order = np.argsort(qi, kind="stable")
    qi, qj = qi[order], qj[order]
    table = np.full((n, width), n, dtype=np.int64)  # n: past every vertex, sorts last
    table[qi, _group_rank(qi)] = qj
    table.sort(axis=1)
    keep = table < n
    keep[:, 1:] &= table[:, 1:] != table[:, :-1]
    rows = np.broadcast_to(np.arange(n)[:, None], table.shape)
    return rows[keep], table[keep]


def _nearest_first(
    qi: NDArray[np.int64], qj: NDArray[np.int64], dist: NDArray[np.float64], n: int
) -> NDArray[np.int64]:
    """The order of ``np.lexsort((qj, dist, qi))`` for pairs sorted by (qi, qj): by vertex, then distance.

    Each vertex's candidates are a few dozen, so they are sorted row by row in a padded
    (n, widest) table, several times faster than a lexsort of millions of pairs; a stable
    sort keeps equal distances in ascending ``qj``, as the lexsort does. Where a few
    vertices have very many candidates, the table would be mostly padding: lexsort then.
    """
    rank = _group_rank(qi)
    width = int(rank.max()) + 1 if len(rank) else 0
    if not len(qi) or n * width > 4 * len(qi):
        return np.lexsort((qj, dist, qi))
    table = np.full((n, width), np.inf)
    table[qi, rank] = dist
    row = np.argsort(table, axis=1, kind="stable")
    count = np.bincount(qi, minlength=n)
    start = np.concatenate([[0], np.cumsum(count)[:-1]])
    return (start[:, None] + row)[np.arange(width)[None, :] < count[:, None]]


def _neighbours(xy: NDArray[np.float64], model: ErrorModel) -> NDArray[np.int64]:
    """(n, NEAREST + SPREAD) earlier vertices each vertex is conditioned on, −1 padded, ascending.

    The candidates of vertex i are the earlier vertices within three correlation lengths
    (of a line drawn more densely than ℓ/8, every so many) and the NEAREST just before it.
    Where they are more than NEAREST + SPREAD: the NEAREST nearest, then the nearest one
    in each ℓ/2 cell not yet used, for the SPREAD nearest such cells.
    """
    n = len(xy)
    m = NEAREST + SPREAD
    # Candidates over the reach from every `stride`-th vertex only: about 12 per ℓ/2 of
    # line, however densely it is drawn (a line drawn every metre would give thousands).
    spacing = float(np.median(np.hypot(*np.diff(xy, axis=0).T))) if n > 1 else 1.0
    stride = max(1, int(model.length_m / 8 / max(spacing, 1e-9)))
    sub = np.arange(0, n, stride)
    qi, qs = shapely.STRtree(shapely.points(xy[sub])).query(
        shapely.points(xy), predicate="dwithin", distance=3.0 * model.length_m
    )
    qj = sub[qs]
    back = np.arange(1, NEAREST + 1)
    bi = np.repeat(np.arange(n), NEAREST)
    bj = bi - np.tile(back, n)
    qi, qj = np.concatenate([qi, bi]), np.concatenate([qj, bj])
    keep = (qj >= 0) & (qj < qi)
    qi, qj = _unique_pairs(qi[keep].astype(np.int64), qj[keep].astype(np.int64), n)
    dist = np.hypot(*(xy[qi] - xy[qj]).T)
    order = _nearest_first(qi, qj, dist, n)  # by vertex, then nearest first
    qi, qj, dist = qi[order], qj[order], dist[order]
    rank = _group_rank(qi)
    near = (rank < NEAREST) | (np.bincount(qi, minlength=n)[qi] <= m)  # where all fit, take all
    # The rest: one per ℓ/2 cell (the nearest in it), nearest cells first.
    ri, rj = qi[~near], qj[~near]
    cell = np.floor(xy[rj] / max(model.length_m / 2, 1e-9)).astype(np.int64)
    ckey = cell[:, 0] * 4_000_037 + cell[:, 1]
    # The first (nearest) entry of each (vertex, cell): a stable sort keeps the nearest first.
    order = np.lexsort((ckey, ri))
    k_ri, k_c = ri[order], ckey[order]
    first = np.sort(order[np.r_[True, (k_ri[1:] != k_ri[:-1]) | (k_c[1:] != k_c[:-1])][: len(order)]])
    si, sj = ri[first], rj[first]
    spread = _group_rank(si) < SPREAD
    ci = np.concatenate([qi[near], si[spread]])
    cj = np.concatenate([qj[near], sj[spread]])
    order = np.lexsort((cj, ci))
    ci, cj = ci[order], cj[order]
    out = np.full((n, m), -1, dtype=np.int64)
    out[ci, _group_rank(ci)] = cj
    return out


@dataclass(frozen=True, eq=False)
class Field:
    """Draws of the model's 2-D field at the vertices ``xy`` of a line (Vecchia; see the module).

    Each vertex, in order along the line, is drawn from its exact conditional
    distribution given its conditioning set (``neighbours``): the NEAREST earlier
    vertices and SPREAD more spread over three correlation lengths, so that a strand of
    the line that comes back near an earlier one moves with it.

    Examples
    --------
    >>> xy = np.column_stack([np.arange(200) * 40.0, np.zeros(200)])
    >>> f = Field.build(xy, ErrorModel(60.0, 330.0, 2.5))
    >>> d = f.draw(np.random.default_rng(0), 4000)  # (n, 2 · draws): east columns, then north
    >>> d.shape
    (200, 8000)
    >>> 55 < float(d.std()) < 65
    True
    """

    neighbours: NDArray[np.int64]
    coef: NDArray[np.float64]
    sd: NDArray[np.float64]
    nugget_m: float

    @property
    def n(self) -> int:
        """Vertices."""
        return int(self.neighbours.shape[0])

    @classmethod
    def build(cls, xy: NDArray[np.float64], model: ErrorModel) -> Field:
        """Each vertex's conditional mean coefficients and standard deviation."""
        xy = np.asarray(xy, dtype=np.float64)
        nbr = _neighbours(xy, model)
        n, m = nbr.shape
        jit = _jitter_m2(model)
        coef = np.zeros((n, m))
        sd = np.empty(n)
        from borderkit._uncertainty._kernels import conditional_systems

        for a in range(0, n, _BATCH):
            e = min(n, a + _BATCH)
            # Each vertex's conditioning set: its covariance and its covariance with the vertex.
            c_ss, c_si = conditional_systems(xy, nbr[a:e], a, model.sigma_m**2, model.length_m, model.nu, jit)
            b = np.linalg.solve(c_ss, c_si[..., None])[..., 0]
            coef[a:e] = b
            var = model.sigma_m**2 + jit - np.sum(b * c_si, axis=1)
            sd[a:e] = np.sqrt(np.clip(var, jit * 1e-3, None))
        return cls(nbr, coef, sd, model.nugget_m)

    def apply(self, z: NDArray[np.floating]) -> NDArray[np.float64]:
        """The field (n, k) made from independent standard normals ``z`` (n, k): one column per draw."""
        from borderkit._uncertainty._kernels import field_apply

        if z.dtype not in (np.float32, np.float64):
            z = z.astype(np.float64)
        coef, sd = self.coef.astype(z.dtype, copy=False), self.sd.astype(z.dtype, copy=False)
        return np.asarray(field_apply(self.neighbours, coef, sd, np.ascontiguousarray(z)))

    def draw(self, rng: np.random.Generator, draws: int) -> NDArray[np.float64]:
        """(n, 2 · draws) displacements (float32), metres: the east components of the draws, then the north."""
        d = self.apply(_normals(rng, (self.n, 2 * draws)))
        if self.nugget_m > 0:
            d += rng.standard_normal(d.shape) * self.nugget_m
        return d

    def weighted_covariance(self, wx: NDArray[np.float64], wy: NDArray[np.float64]) -> NDArray[np.float64]:
        """Covariance (F, F) of ``wx @ dx + wy @ dy`` for this field ``(dx, dy)``, without drawing it.

        O(n · (NEAREST + SPREAD) · F): :func:`weighted_covariance` is the exact O(n²) one.
        """
        from borderkit._uncertainty._kernels import field_adjoint

        out = np.zeros((wx.shape[0], wx.shape[0]))
        for w in (wx, wy):
            y = field_adjoint(self.neighbours, self.coef, np.ascontiguousarray(w, dtype=np.float64)) * self.sd[None, :]
            out += y @ y.T + self.nugget_m**2 * (w @ w.T)
        return (out + out.T) / 2


def _normals(rng: np.random.Generator, shape: tuple[int, int]) -> NDArray[np.float32]:
    """Standard normals (float32) filled by two threads from two streams spawned off ``rng``.

    The numbers depend on ``rng`` and ``shape`` only, not on the threads' timing.
    """
    z = np.empty(shape, dtype=np.float32)
    half = shape[0] // 2
    kids = rng.spawn(2)
    parts = [(kids[0], z[:half]), (kids[1], z[half:])]
    if z.size < 1_000_000:
        for g, out in parts:
            g.standard_normal(out=out, dtype=np.float32)
        return z
    with ThreadPoolExecutor(2) as pool:  # numpy fills without the GIL
        list(pool.map(lambda gp: gp[0].standard_normal(out=gp[1], dtype=np.float32), parts))
    return z


def weighted_covariance(
    xy: NDArray[np.float64], model: ErrorModel, wx: NDArray[np.float64], wy: NDArray[np.float64]
) -> NDArray[np.float64]:
    """Exact covariance (F, F) of ``wx @ dx + wy @ dy`` for the model's field ``(dx, dy)`` at ``xy``.

    The east and north components are independent with the same covariance ``C``, so it is
    ``wx C wxᵀ + wy C wyᵀ``; ``C`` is made in row blocks, never whole.

    Examples
    --------
    One point, weight 1 east: the variance is σ² (+ the jitter).

    >>> v = weighted_covariance(np.zeros((1, 2)), ErrorModel(10.0, 300.0, 2.5), np.ones((1, 1)), np.zeros((1, 1)))
    >>> round(float(v[0, 0]), 3)
    100.0
    """
    used = np.flatnonzero((wx != 0).any(axis=0) | (wy != 0).any(axis=0))
    f = wx.shape[0]
    out = np.zeros((f, f))
    if not len(used):
        return out
    p, ux, uy = xy[used], wx[:, used], wy[:, used]
    step = max(1, 4_000_000 // max(len(used), 1))
    cx, cy = np.zeros((len(used), f)), np.zeros((len(used), f))
    for a in range(0, len(used), step):
        c = _cov(p[a : a + step], p, model)  # rows a.. of C restricted to the used vertices
        cx[a : a + step] = c @ ux.T
        cy[a : a + step] = c @ uy.T
    diag = model.nugget_m**2 + _jitter_m2(model)
    out = ux @ cx + uy @ cy + diag * (ux @ ux.T + uy @ uy.T)
    return (out + out.T) / 2
