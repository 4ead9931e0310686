"""Benchmark: `borderkit.impact` against 10^6 synthetic building footprints.

Run by hand (not part of the test suite)::

    python benchmarks/bench_impact.py                 # 10^6 footprints
    python benchmarks/bench_impact.py --buildings 200000 --tracemalloc

Everything here is SYNTHETIC and made in a temporary folder, between two made-up
countries, AAA ("Synthland") and BBB ("Testonia"), at no real place: the open South
Atlantic on the high seas, far from any land or real border. An old line along 9°E, a
new line bulging 0.01° west of it between 40.03° and 39.97°S (a handed-over rectangle of
about 5.7 km²), and N square footprints of 10 m scattered uniformly over
box(8.97, -40.05, 9.03, -39.95) (about 57 km²; some 10 % of them in the rectangle).
Prints wall times for each step and the peak memory: resident set size of the process
(``resource``), and, with ``--tracemalloc``, the peak of Python-level allocations
during ``impact`` (slower to run; numbers are then not timings).
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import resource
import tempfile
import time
import tracemalloc
from pathlib import Path

import geopandas as gpd
import numpy as np
import shapely
from _timing import timed

import borderkit
from borderkit._impact import impact

TOML = """format = 1
id = "synthetic-bench"
synthetic = true
title = "SYNTHETIC benchmark case (made-up geometry at sea, not a real place or border)"

[[countries]]
code = "AAA"
name = "Synthland (synthetic)"

[[countries]]
code = "BBB"
name = "Testonia (synthetic)"

[layers.new_line]
role = "new_line"
path = "new.geojson"
crs = "EPSG:4326"
accuracy_m = 10
left = "AAA"

[layers.old_line]
role = "old_line"
path = "old.geojson"
crs = "EPSG:4326"
accuracy_m = 5
left = "AAA"

[layers.extent]
role = "extent"
path = "extent.geojson"
crs = "EPSG:4326"
accuracy_m = 0

[layers.buildings]
role = "buildings"
path = "buildings.geojson"
crs = "EPSG:4326"
accuracy_m = 2

[[claims]]
id = "structures"
quantity = "count"
subject = "buildings"
direction = "BBB"
value = 100000
unit = "structures"
precision = 0
"""


def _peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _case(root: Path) -> borderkit.Case:
    old = shapely.LineString([(9.0, -40.1), (9.0, -39.9)])
    new = shapely.LineString([(9.0, -40.1), (9.0, -40.03), (8.99, -40.03), (8.99, -39.97), (9.0, -39.97), (9.0, -39.9)])
    for name, geom in (
        ("old", old),
        ("new", new),
        ("extent", shapely.box(8.95, -40.05, 9.05, -39.95)),
        ("buildings", shapely.box(9.02, -40.0, 9.0201, -39.9999)),
    ):
        gpd.GeoDataFrame(geometry=[geom], crs="EPSG:4326").to_file(root / f"{name}.geojson")
    (root / "case.toml").write_text(TOML, encoding="utf-8")
    return borderkit.load_case(root)


def _footprints(n: int, seed: int = 0) -> gpd.GeoDataFrame:
    rng = np.random.default_rng(seed)
    lon = rng.uniform(8.97, 9.03, n)
    lat = rng.uniform(-40.05, -39.95, n)
    half_lon, half_lat = 5 / (111_320 * np.cos(np.radians(40.0))), 5 / 111_050
    geoms = shapely.box(lon - half_lon, lat - half_lat, lon + half_lon, lat + half_lat)
    return gpd.GeoDataFrame({"name": np.char.add("b", np.arange(n).astype(str))}, geometry=geoms, crs="EPSG:4326")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--buildings", type=int, default=1_000_000)
    ap.add_argument("--tracemalloc", action="store_true", help="also report the Python allocation peak")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        t = time.perf_counter()
        case = _case(Path(tmp))
        frame = _footprints(args.buildings)
        lay = dataclasses.replace(case.layers["buildings"], frame=frame)
        case = dataclasses.replace(case, layers={**case.layers, "buildings": lay})
        print(f"synthetic: {args.buildings:,} footprints generated in {time.perf_counter() - t:.2f} s")
        t = time.perf_counter()
        m = borderkit.measure(case)
        print(f"measure: {time.perf_counter() - t:.2f} s")
        if args.tracemalloc:
            tracemalloc.start()
        t = time.perf_counter()
        res = impact(case, m)
        first = time.perf_counter() - t
        if args.tracemalloc:
            _, peak = tracemalloc.get_traced_memory()
            tracemalloc.stop()
            print(f"tracemalloc peak during impact: {peak / 2**20:.0f} MiB")
        # The bare baseline (issue 12): one STRtree query of the footprints against the
        # handed-over faces, and the same 50 % share rule, in degrees, with no bookkeeping.
        assert m.areas is not None
        faces = m.areas.geometry.to_numpy()
        geoms = frame.geometry.to_numpy()

        def bare() -> int:
            fi, gi = shapely.STRtree(geoms).query(faces, predicate="intersects")
            share = shapely.area(shapely.intersection(geoms[gi], faces[fi])) / shapely.area(geoms[gi])
            return int(np.unique(gi[share >= 0.5]).size)

        # Then both in turn, best of 3 (the bare query builds its tree every time, as impact's first call).
        (bare_s, _, bare_count), (again, _, res) = timed([bare, lambda: impact(case, m)], 3)
        tot = res.totals("BBB")
        print(
            f"impact: {first:.2f} s (first call, builds the spatial index), {again:.2f} s (best of 3 after); "
            f"bare STRtree + share rule {bare_s:.2f} s (best of 3, in turn): {first / bare_s:.2f}× first, "
            f"{again / bare_s:.2f}× after"
        )
        print(
            f"counted {tot['buildings']:,.0f} buildings in {tot['polygons']:.0f} handed-over polygon(s) "
            f"of {tot['area_m2'] / 1e6:.2f} km² (bare: {bare_count:,}); {len(res.near_line):,} within "
            f"{res.within_m:g} m of the new line; claims {json.dumps(sorted(res.claims))}"
        )
        print(f"peak resident memory: {_peak_rss_mb():.0f} MB")


if __name__ == "__main__":
    main()
