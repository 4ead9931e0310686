"""Benchmark: `borderkit verify` on the shipped case, and a 10^6-vertex synthetic border.

Run by hand (not part of the test suite)::

    python benchmarks/bench_verify.py            # both
    python benchmarks/bench_verify.py --vertices 200000

Prints wall times and the peak resident memory of this process. The synthetic border is
made here, in a temporary folder, and named synthetic: two wiggly lines of N vertices
each, about 100 km long, crossing each other many times.
"""

from __future__ import annotations

import argparse
import json
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np


def _peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _median_s(cmd: list[str], runs: int) -> float:
    times = []
    for _ in range(runs):
        t = time.perf_counter()
        subprocess.run(cmd, check=True, capture_output=True)
        times.append(time.perf_counter() - t)
    return statistics.median(times)


_IMPORTS = "import borderkit.cli, borderkit._api, borderkit._uncertainty._kernels"
# One tiny call of each compiled kernel with the argument types the Monte Carlo passes (so
# numba loads them from its cache, as `verify` does): the field, its adjoint, the systems.
_DISPATCH = (
    "import numpy as np; from borderkit._uncertainty._field import Field; "
    "from borderkit._uncertainty._model import ErrorModel; "
    "f = Field.build(np.column_stack([np.arange(30.0) * 40, np.zeros(30)]), ErrorModel(60.0, 330.0, 2.5)); "
    "f.draw(np.random.default_rng(0), 10); f.weighted_covariance(np.ones((1, 30)), np.ones((1, 30)))"
)


def bench_cli(runs: int) -> None:
    # The baseline of issue 12's goal, in the same run: a bare `import geopandas`.
    bare = _median_s([sys.executable, "-c", "import geopandas"], runs)
    print(f"python -c 'import geopandas': median {bare:.2f} s over {runs} runs")
    # The floor: the modules `verify` imports (its command line, the pipeline and the compiled
    # Monte Carlo), before any work; numba's first call of its cached kernels comes on top.
    floor = _median_s([sys.executable, "-c", _IMPORTS], runs)
    print(f"the imports of verify alone ({_IMPORTS}): median {floor:.2f} s ({floor / bare:.1f}× the baseline)")
    dispatch = _median_s([sys.executable, "-c", _IMPORTS + "; " + _DISPATCH], runs) - floor
    print(f"numba's first call of the cached kernels, on top: {dispatch:.2f} s")
    for extra in ([], ["--draws", "0"]):
        med = _median_s([sys.executable, "-m", "borderkit", "verify", *extra], runs)
        label = " ".join(["borderkit verify", *extra])
        print(f"{label} (tavush-2024, whole process): median {med:.2f} s ({med / bare:.1f}× the baseline)")

    import borderkit

    case = borderkit.load_case("tavush-2024")
    borderkit.analyse(case)
    t = time.perf_counter()
    for _ in range(5):
        borderkit.analyse(case)
    print(f"borderkit.analyse(case) in-process, default draws: {(time.perf_counter() - t) / 5 * 1000:.0f} ms per call")


def _synthetic_case(root: Path, n: int) -> None:
    lat = np.linspace(40.0, 40.9, n)  # ~100 km due north
    wiggle = 0.002 * np.sin(np.linspace(0, 400 * np.pi, n))
    new = np.column_stack([45.0 + wiggle, lat])
    old = np.column_stack([45.0 + 0.9 * np.sin(np.linspace(0.3, 400 * np.pi + 0.3, n)) * 0.002, lat])

    def fc(geom: dict, **props: object) -> str:
        return json.dumps(
            {"type": "FeatureCollection", "features": [{"type": "Feature", "properties": props, "geometry": geom}]}
        )

    (root / "new.geojson").write_text(fc({"type": "LineString", "coordinates": new.tolist()}))
    (root / "old.geojson").write_text(fc({"type": "LineString", "coordinates": old.tolist()}))
    (root / "extent.geojson").write_text(
        fc(
            {
                "type": "Polygon",
                "coordinates": [[[44.9, 39.99], [45.1, 39.99], [45.1, 40.91], [44.9, 40.91], [44.9, 39.99]]],
            }
        )
    )
    (root / "case.toml").write_text(f"""\
id = "synthetic-bench"
synthetic = true
title = "Synthetic benchmark border, {n} vertices (not a real border)"
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
[[claims]]
id = "total"
quantity = "length"
value = 100
unit = "km"
[[claims]]
id = "area"
quantity = "area"
direction = "BBB"
value = 20
unit = "km2"
""")


def bench_synthetic(n: int) -> None:
    import borderkit

    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        _synthetic_case(root, n)
        t0 = time.perf_counter()
        case = borderkit.load_case(root)
        t1 = time.perf_counter()
        m = borderkit.measure(case)
        t2 = time.perf_counter()
        report = borderkit.analyse(case, draws=0)  # measures again, then judges every claim
        t3 = time.perf_counter()
    assert m.areas is not None
    print(
        f"synthetic border, {n:,} vertices per line: load {t1 - t0:.2f} s, measure {t2 - t1:.2f} s "
        f"(line {m.total_length_m / 1000:.1f} km in {len(m.segments):,} segments, "
        f"{len(m.areas):,} handed-over faces), analyse(draws=0) {t3 - t2:.3f} s; "
        f"peak RSS {_peak_rss_mb():.0f} MB; verdicts {[v.verdict for v in report.verdicts]}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--vertices", type=int, default=1_000_000)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    bench_cli(args.runs)
    bench_synthetic(args.vertices)


if __name__ == "__main__":
    main()
