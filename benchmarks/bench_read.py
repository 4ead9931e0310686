"""Benchmark: borderkit's vector reader against bare ``pyogrio.read_dataframe``.

Run by hand (not part of the test suite)::

    python benchmarks/bench_read.py                   # 10^6 vertices
    python benchmarks/bench_read.py --vertices 200000 --runs 5

Builds one synthetic line (named synthetic, not a real border) of N vertices in a
temporary folder, writes it as GeoPackage and GeoJSON, then times, best of ``--runs``
in the same process and on the same files:

* ``borderkit.readers.read_layer`` (the path ``borderkit.load_case`` takes for a line
  layer: read, coordinate checks, WGS 84 transformation), with the expected bounds a
  case gives;
* bare ``pyogrio.read_dataframe`` on the same file (the baseline);

and the same for the line in SK-42 / Gauss–Krüger (EPSG:28408), whose baseline reads it and
moves it to WGS 84 with ``GeoDataFrame.to_crs``,

and prints both times and their ratio. The target of issue 12 is a ratio of at most 1.3.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import geopandas as gpd
import numpy as np
import pyogrio
import shapely

from borderkit.readers import read_layer

#: The bounds a case would give (degrees); the line lies well inside.
BOUNDS = (44.5, 39.5, 45.5, 41.5)


def synthetic_line(n: int) -> gpd.GeoDataFrame:
    """One wiggly line of ``n`` vertices, about 100 km due north, in EPSG:4326."""
    lat = np.linspace(40.0, 40.9, n)
    lon = 45.0 + 0.002 * np.sin(np.linspace(0.0, 400.0 * np.pi, n))
    line = shapely.linestrings(lon, lat)
    return gpd.GeoDataFrame({"name": ["synthetic"]}, geometry=[line], crs="EPSG:4326")


def best_of(runs: int, *fns: Callable[[], object]) -> list[float]:
    """Best wall time of each function over ``runs`` rounds, the functions taking turns.

    Taking turns (rather than all runs of one, then all of the other) spreads the noise of a
    shared machine over both sides of the ratio.
    """
    best = [float("inf")] * len(fns)
    for _ in range(runs):
        for i, fn in enumerate(fns):
            t = time.perf_counter()
            fn()
            best[i] = min(best[i], time.perf_counter() - t)
    return best


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--vertices", type=int, default=1_000_000)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()

    frame = synthetic_line(args.vertices)
    with tempfile.TemporaryDirectory(prefix="borderkit-bench-read-") as tmp:
        root = Path(tmp)
        print(f"synthetic line, {args.vertices} vertices; best of {args.runs} runs")
        for suffix in (".gpkg", ".geojson"):
            path = root / f"synthetic{suffix}"
            pyogrio.write_dataframe(frame, path)
            size_mb = path.stat().st_size / 1e6
            # Warm the OS cache and the CRS machinery once before timing either side.
            pyogrio.read_dataframe(path)
            read_layer(path, expect_bounds=BOUNDS)
            bare, ours = best_of(
                args.runs,
                lambda p=path: pyogrio.read_dataframe(p),
                lambda p=path: read_layer(p, expect_bounds=BOUNDS),
            )
            print(
                f"{suffix:9} {size_mb:6.1f} MB  pyogrio.read_dataframe {bare:6.3f} s  "
                f"borderkit read_layer {ours:6.3f} s  ratio {ours / bare:4.2f}"
            )
        # The same line in SK-42 / Gauss-Kruger zone 8 (EPSG:28408), as digitised from the
        # 1976 sheets: the baseline reads it and moves it to WGS 84 (GeoDataFrame.to_crs).
        path = root / "synthetic-sk42.gpkg"
        pyogrio.write_dataframe(frame.to_crs("EPSG:28408"), path)
        pyogrio.read_dataframe(path).to_crs("EPSG:4326")
        read_layer(path, expect_bounds=BOUNDS)
        bare, ours = best_of(
            args.runs,
            lambda: pyogrio.read_dataframe(path).to_crs("EPSG:4326"),
            lambda: read_layer(path, expect_bounds=BOUNDS),
        )
        print(
            f"{'.gpkg SK-42':9}          read_dataframe + to_crs {bare:6.3f} s  "
            f"borderkit read_layer {ours:6.3f} s  ratio {ours / bare:4.2f}"
        )


if __name__ == "__main__":
    main()
