"""The Monte Carlo at scale: time and peak memory, against bare random numbers in the same run.

    python benchmarks/bench_scale.py                 # all four parts
    python benchmarks/bench_scale.py tavush          # borderkit.uncertainty on the shipped case, 10,000 draws
    python benchmarks/bench_scale.py border          # the whole border (SYNTHETIC claims), 10,000 draws
    python benchmarks/bench_scale.py scaling         # SYNTHETIC 200 km lines of 10^3, 10^4, 10^5 vertices
    python benchmarks/bench_scale.py draws           # one SYNTHETIC 10^4-vertex line at 1,000 and 10,000 draws

Each measurement runs in a fresh Python process (so its peak resident memory is its own),
after one warm-up call in that process (numba's compiled code is cached on disk; the
first call of a new installation compiles it, about 10–20 s). The baseline, in the same
run: ``numpy.random.default_rng().standard_normal`` of the same number of values as the
field needs (2 × draws × vertices), in float32, in one process. Goals (issue 12, issue 11):
the shipped case ≤ 2 s; the whole border ≤ 10 s and ≤ 2 GB; time exponent in vertices ≤ 1.0
and peak memory flat.
"""

from __future__ import annotations

import json
import math
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent

_CHILD = r"""
import json, resource, sys, time
sys.path.insert(0, {here!r})
import numpy as np
import borderkit
from borderkit._uncertainty import uncertainty
what, arg, draws = {what!r}, {arg!r}, {draws}
if what == "bare":
    rng = np.random.default_rng(0)
    t = time.perf_counter()
    done = 0
    while done < draws:  # chunked like the Monte Carlo: 2^21 values at a time
        c = min(draws - done, max(1, 2**21 // arg))
        rng.standard_normal((arg, 2 * c), dtype=np.float32)
        done += c
    out = {{"s": time.perf_counter() - t}}
else:
    case = borderkit.load_case(arg)
    m = borderkit.measure(case)
    uncertainty(case, draws=200, measurements=m)  # warm-up: compiled code, imports
    t = time.perf_counter()
    u = uncertainty(case, draws=draws, measurements=m)
    out = {{"s": time.perf_counter() - t}}
out["rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
print(json.dumps(out))
"""


def _run(what: str, arg: object, draws: int) -> dict[str, float]:
    code = _CHILD.format(here=str(HERE), what=what, arg=arg, draws=draws)
    res = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return json.loads(res.stdout.strip().splitlines()[-1])


def tavush() -> None:
    got = _run("case", "tavush-2024", 10_000)
    # The six renderings' vertices around the extent: 626 + 625 + 630 + 176 + 282 + 100.
    bare = _run("bare", 2_439, 10_000)
    print(
        f"tavush-2024, 10,000 draws per scenario (6 renderings): {got['s']:.2f} s, peak RSS {got['rss_mb']:.0f} MB; "
        f"bare normals {bare['s']:.2f} s ({got['s'] / bare['s']:.1f}×)"
    )


def border(tmp: Path) -> None:
    from _border_case import border_parts, whole_border

    total_s, peak_mb, vertices = 0.0, 0.0, 0
    for k, part in enumerate(border_parts()):
        got = _run("case", str(whole_border(tmp / f"synthetic-border-part-{k}", k)), 10_000)
        print(f"  part {k} ({len(part.coords):,} vertices): {got['s']:.2f} s, peak RSS {got['rss_mb']:.0f} MB")
        total_s, peak_mb, vertices = total_s + got["s"], max(peak_mb, got["rss_mb"]), vertices + len(part.coords)
    bare = _run("bare", vertices, 10_000)
    print(
        f"whole border ({vertices:,} vertices, SYNTHETIC claims), 10,000 draws: {total_s:.2f} s, peak RSS "
        f"{peak_mb:.0f} MB; bare normals {bare['s']:.2f} s ({total_s / bare['s']:.1f}×), {bare['rss_mb']:.0f} MB"
    )


def scaling(tmp: Path, draws: int = 1_000) -> None:
    from _border_case import long_line

    rows = []
    for n in (1_000, 10_000, 100_000):
        folder = long_line(tmp / f"line-{n}", n)
        got = _run("case", str(folder), draws)
        bare = _run("bare", n, draws)
        rows.append((n, got["s"], got["rss_mb"], bare["s"]))
        print(
            f"{n:>7,} vertices, {draws:,} draws: {got['s']:7.2f} s, peak RSS {got['rss_mb']:5.0f} MB; "
            f"bare normals {bare['s']:.2f} s"
        )
    (n0, t0, *_), (n1, t1, *_) = rows[0], rows[-1]
    print(f"time exponent 10^3 → 10^5: {math.log(t1 / t0) / math.log(n1 / n0):.2f}")
    (n0, t0, *_), (n1, t1, *_) = rows[1], rows[-1]
    print(f"time exponent 10^4 → 10^5: {math.log(t1 / t0) / math.log(n1 / n0):.2f}")


def in_draws(tmp: Path, n: int = 10_000) -> None:
    """Peak memory flat in the draws: the same SYNTHETIC line at 1,000 and 10,000 draws."""
    from _border_case import long_line

    folder = long_line(tmp / f"line-{n}", n)
    for draws in (1_000, 10_000):
        got = _run("case", str(folder), draws)
        print(f"{n:,} vertices, {draws:>6,} draws: {got['s']:6.2f} s, peak RSS {got['rss_mb']:5.0f} MB")


def main(argv: list[str]) -> None:
    parts = argv or ["tavush", "border", "scaling", "draws"]
    sys.path.insert(0, str(HERE))
    with tempfile.TemporaryDirectory() as tmp:
        for p in parts:
            {
                "tavush": lambda: tavush(),
                "border": lambda: border(Path(tmp)),
                "scaling": lambda: scaling(Path(tmp)),
                "draws": lambda: in_draws(Path(tmp)),
            }[p]()


if __name__ == "__main__":
    main(sys.argv[1:])
