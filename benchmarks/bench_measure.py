"""Benchmark: measuring a 10^6-vertex line with `borderkit.measure`, against a bare `Geod.line_length`.

Run by hand (not part of the test suite)::

    python benchmarks/bench_measure.py
    python benchmarks/bench_measure.py --vertices 200000 --runs 5

The input is made here, in a temporary folder, and named synthetic: a case with one
wiggly line of N vertices (about 100 km due north) and nothing else, so that
`borderkit.measure` measures the whole line (no extent, no settlements, no old line:
no areas). Both sides run best-of-``runs`` in the same process:

- bare: ``pyproj.Geod(ellps="WGS84").line_length`` on the line's coordinates;
- borderkit: ``borderkit.measure(case)`` and its ``total_length_m`` (the case loaded
  and its layer read beforehand, once);
- then, once, the first access of what is built lazily: ``total_planar_length_m``
  (the UTM projection of every vertex) and ``segments`` (the GeoDataFrame of one
  LineString per segment).

Prints seconds, the ratio to the bare baseline and peak traced memory (tracemalloc) of
each step, and checks that both give the same length.
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
import tracemalloc
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import shapely
from _timing import timed
from pyproj import Geod


def synthetic_line(n: int) -> np.ndarray:
    """(n, 2) lon/lat of the synthetic line: ~100 km north along 45°E, 200 wiggles of ±170 m."""
    lat = np.linspace(40.0, 40.9, n)
    return np.column_stack([45.0 + 0.002 * np.sin(np.linspace(0, 400 * np.pi, n)), lat])


def write_synthetic_case(root: Path, n: int) -> None:
    line = synthetic_line(n)
    feature = {"type": "Feature", "properties": {}, "geometry": {"type": "LineString", "coordinates": line.tolist()}}
    (root / "new.geojson").write_text(json.dumps({"type": "FeatureCollection", "features": [feature]}))
    (root / "case.toml").write_text(f"""\
id = "synthetic-measure-bench"
synthetic = true
title = "Synthetic benchmark line, {n} vertices (not a real border)"
[[countries]]
code = "AAA"
name = "Aland"
[[countries]]
code = "BBB"
name = "Bland"
[layers.new_line]
role = "new_line"
path = "new.geojson"
crs = "EPSG:4326"
accuracy_m = 5
left = "AAA"
""")


def lazy_parts(measure: Callable[[], Any], runs: int) -> tuple[tuple[float, float], tuple[float, float]]:
    """(best s, peak MiB) of the first access of ``total_planar_length_m`` and of ``segments``."""
    best = [float("inf"), float("inf")]
    for _ in range(runs):
        m = measure()
        t0 = time.perf_counter()
        m.total_planar_length_m  # noqa: B018 (the first access computes it)
        t1 = time.perf_counter()
        m.segments  # noqa: B018
        t2 = time.perf_counter()
        best = [min(best[0], t1 - t0), min(best[1], t2 - t1)]
    m = measure()
    peaks = []
    for get in (lambda: m.total_planar_length_m, lambda: m.segments):
        tracemalloc.start()
        get()
        peaks.append(tracemalloc.get_traced_memory()[1] / 2**20)
        tracemalloc.stop()
    return (best[0], peaks[0]), (best[1], peaks[1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--vertices", type=int, default=1_000_000)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()

    import borderkit

    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp) / "synthetic"
        root.mkdir()
        write_synthetic_case(root, args.vertices)
        case = borderkit.load_case(root)
        layer = case.layer("new_line")
        assert layer is not None
        line = layer.union()  # read and parsed once, outside the timings
        xy = shapely.get_coordinates(line)
        lon, lat = xy[:, 0].copy(), xy[:, 1].copy()
        geod = Geod(ellps="WGS84")

        (t_bare, mem_bare, bare_m), (t_bk, mem_bk, m) = timed(
            [lambda: geod.line_length(lon, lat), lambda: borderkit.measure(case)], args.runs
        )
        (t_planar, mem_planar), (t_frame, mem_frame) = lazy_parts(lambda: borderkit.measure(case), args.runs)

    assert m.total_length_m == bare_m or abs(m.total_length_m - bare_m) < 1e-6 * bare_m, (m.total_length_m, bare_m)
    print(f"synthetic line, {args.vertices:,} vertices, {m.total_length_m / 1000:.3f} km; best of {args.runs}")
    rows = [
        ("bare Geod.line_length", t_bare, mem_bare),
        ("borderkit.measure (total_length_m)", t_bk, mem_bk),
        ("then: total_planar_length_m", t_planar, mem_planar),
        ("then: segments GeoDataFrame", t_frame, mem_frame),
    ]
    for label, t, mem in rows:
        print(f"  {label:36s} {t:7.3f} s  {t / t_bare:5.2f}x   peak {mem:7.1f} MiB traced")
    print(f"  lengths: borderkit {m.total_length_m:.6f} m, bare {bare_m:.6f} m")


if __name__ == "__main__":
    main()
