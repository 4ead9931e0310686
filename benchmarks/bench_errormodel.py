"""Time and peak memory of the error model's draws on the whole Armenia–Azerbaijan border (run by hand).

    python benchmarks/bench_errormodel.py [draws] [path-to-border.geojson]

On the OSM 2026c border (/work/shared/data/armenia-azerbaijan-border/border_tzbb_2026c.geojson:
2 parts, 4,658 vertices, 929 km), in chunks of :data:`borderkit._uncertainty._model.CHUNK_DRAWS`
draws, measures: the Matérn field (:func:`simulate_offsets`), the perpendicular
perturbation (:func:`perturb`, the (chunk, n, 2) vertices) and the perturbed lengths
(:func:`perturbed_lengths_m`); against a bare baseline in the same run,
``np.random.default_rng().standard_normal`` of the same number of values (draws × vertices,
float32 and float64). Also the total on two threads, each
with its own spawned generator. Prints a small table of wall times and the peak traced memory of
each step (tracemalloc), then the process's peak resident memory (``resource.getrusage``).
Target: the three steps together well under 10 s for 10,000 draws, peak memory well
under 2 GB.
"""

from __future__ import annotations

import json
import resource
import sys
import time
import tracemalloc
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
from pyproj import Transformer
from shapely.geometry import shape

from borderkit._uncertainty._model import (
    CHUNK_DRAWS,
    ErrorModel,
    chainage_of,
    chunks,
    perturb,
    perturbed_lengths_m,
    simulate_offsets,
)
from borderkit.geodesy import local_projected_crs

DEFAULT = Path("/work/shared/data/armenia-azerbaijan-border/border_tzbb_2026c.geojson")
#: The model calibrated from the two shipped geoBoundaries renderings of the Tavush line.
MODEL = ErrorModel(sigma_m=80.0, length_m=465.0, nu=1.5, nugget_m=10.6)


def _parts(path: Path) -> list[np.ndarray]:
    geom = shape(json.loads(path.read_text())["features"][0]["geometry"])
    lines = list(getattr(geom, "geoms", [geom]))
    minx, miny, maxx, maxy = geom.bounds
    tr = Transformer.from_crs("EPSG:4326", local_projected_crs((minx + maxx) / 2, (miny + maxy) / 2), always_xy=True)
    return [np.column_stack(tr.transform(*np.asarray(g.coords).T)) for g in lines]


def _timed(fn: Callable[[], object]) -> tuple[float, float]:
    tracemalloc.start()
    t0 = time.perf_counter()
    fn()
    dt = time.perf_counter() - t0
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return dt, peak / 2**20


def main(argv: list[str]) -> None:
    draws = int(argv[0]) if argv else 10_000
    path = Path(argv[1]) if len(argv) > 1 else DEFAULT
    parts = _parts(path)
    chain = [chainage_of(xy) for xy in parts]
    n = sum(xy.shape[0] for xy in parts)
    km = sum(float(s[-1]) for s in chain) / 1000
    print(
        f"{path.name}: {len(parts)} parts, {n:,} vertices, {km:,.1f} km planar; {draws:,} draws in chunks of "
        f"{CHUNK_DRAWS:,}; model σ {MODEL.sigma_m} m, ℓ {MODEL.length_m} m, ν {MODEL.nu}, nugget {MODEL.nugget_m} m"
    )
    rng = np.random.default_rng(0)

    def baseline(dtype: type) -> None:
        for size in chunks(draws):
            rng.standard_normal((size, n), dtype=dtype)

    def field_only() -> None:
        for s in chain:
            for size in chunks(draws):
                simulate_offsets(s, MODEL, size, rng)

    def perturb_only() -> None:
        for xy, s in zip(parts, chain, strict=True):
            off = simulate_offsets(s, MODEL, CHUNK_DRAWS, rng)
            for _ in chunks(draws):
                perturb(xy, off)

    def lengths_only() -> None:
        for xy, s in zip(parts, chain, strict=True):
            off = simulate_offsets(s, MODEL, CHUNK_DRAWS, rng)
            for _ in chunks(draws):
                perturbed_lengths_m(xy, off)

    def total(gen: np.random.Generator, share: int = 1) -> None:
        for xy, s in zip(parts, chain, strict=True):
            for size in chunks(draws // share):
                perturbed_lengths_m(xy, simulate_offsets(s, MODEL, size, gen))

    def total_threads() -> None:
        gens = rng.spawn(2)
        with ThreadPoolExecutor(2) as pool:
            list(pool.map(lambda g: total(g, 2), gens))

    rows = [
        ("baseline: standard_normal float32, draws × vertices", lambda: baseline(np.float32)),
        ("baseline: standard_normal float64, draws × vertices", lambda: baseline(np.float64)),
        ("simulate_offsets (field + nugget)", field_only),
        ("perturbed_lengths_m (perturbs inside, given offsets)", lengths_only),
        ("perturb (materialises draws × n × 2 float64)", perturb_only),
        ("TOTAL simulate_offsets + perturbed_lengths_m", lambda: total(rng)),
        ("TOTAL, 2 threads (rng.spawn, half the draws each)", total_threads),
    ]
    print(f"{'step':<55} {'time s':>8} {'peak traced MB':>15}")
    for name, fn in rows:
        dt, peak = _timed(fn)
        print(f"{name:<55} {dt:8.2f} {peak:15.0f}")
    print(f"peak RSS of the process: {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB")


if __name__ == "__main__":
    main(sys.argv[1:])
