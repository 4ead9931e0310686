"""Time and peak memory of borderkit.uncertainty on the Tavush case (run by hand).

    python benchmarks/bench_uncertainty.py [draws ...]

Prints, per number of draws, the wall time of :func:`borderkit.uncertainty.uncertainty`
with sensitivity (the budget and one-at-a-time runs, and the extent re-measured grown
and shrunk by 1 km) and without either, given measurements already taken, and of
``verify(case, draws=N)`` end to end; then the process's peak resident memory. The
target: 10 000 draws in under 2 s, peak memory under 1 GB.
"""

from __future__ import annotations

import os
import resource
import sys
import time
from collections.abc import Callable

from borderkit._uncertainty._legacy import uncertainty

import borderkit


def _best_of(n: int, fn: Callable[[], object]) -> float:
    best = float("inf")
    for _ in range(n):
        t0 = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - t0)
    return best


def main(argv: list[str]) -> None:
    draws_list = [int(a) for a in argv] or [2_000, 10_000]
    case = borderkit.load_case("tavush-2024")
    m = borderkit.measure(case)
    uncertainty(case, draws=100, measurements=m, progress=False)  # warm imports and caches
    print(f"cpus: {os.cpu_count()}; best of 3 runs")
    for draws in draws_list:
        full = _best_of(3, lambda d=draws: uncertainty(case, draws=d, measurements=m, progress=False))
        bare = _best_of(
            3,
            lambda d=draws: uncertainty(
                case, draws=d, measurements=m, progress=False, sensitivity=False, extent_margin_m=0
            ),
        )
        ver = _best_of(3, lambda d=draws: borderkit.verify(case, draws=d))
        print(
            f"draws={draws:>6}: uncertainty {full:6.2f} s (with sensitivity), {bare:6.2f} s (without); "
            f"verify(draws=...) {ver:6.2f} s"
        )
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"peak RSS: {peak_mb:.0f} MB")


if __name__ == "__main__":
    main(sys.argv[1:])
