"""Timing shared by the benchmark scripts: best of several rounds, taking turns."""

from __future__ import annotations

import time
import tracemalloc
from collections.abc import Callable
from typing import Any


def timed(fns: list[Callable[[], Any]], runs: int) -> list[tuple[float, float, Any]]:
    """Best wall time of each function over ``runs`` rounds (one call of each per round, in
    turn, so that both meet the same load), its peak traced MiB in one more call, its result."""
    best = [float("inf")] * len(fns)
    for _ in range(runs):
        for k, fn in enumerate(fns):
            t = time.perf_counter()
            fn()
            best[k] = min(best[k], time.perf_counter() - t)
    out = []
    for k, fn in enumerate(fns):
        tracemalloc.start()
        result = fn()
        out.append((best[k], tracemalloc.get_traced_memory()[1] / 2**20, result))
        tracemalloc.stop()
    return out
