"""Benchmark: `borderkit.areas.handover_polygons` on two 10^6-vertex lines, against bare shapely + pyproj.

Run by hand (not part of the test suite)::

    python benchmarks/bench_areas.py
    python benchmarks/bench_areas.py --vertices 200000 --runs 5

The input is made here, in memory, and named synthetic: two wiggly lines of N vertices
each, about 100 km due north along 45°E, crossing each other about 400 times (the lines
of ``benchmarks/bench_verify.py``), inside a box extent, with eight synthetic pair
settlements (three of them inside faces). Both sides run best-of-``runs`` in the same
process:

- bare: ``shapely.union_all`` of the two lines, ``shapely.polygonize``, and
  ``pyproj.Geod(ellps="WGS84").polygon_area_perimeter`` on every ring of every face
  (``shapely.get_coordinates`` per ring);
- borderkit: ``handover_polygons`` with the settlements (snapping to the grid, noding
  with the extent, sides of both lines, geodesic areas, largest inscribed circles for
  the sliver widths, pairs and settlements per face).

Prints seconds, the ratio to the bare baseline and peak traced memory (tracemalloc),
and the time of the sliver widths alone (largest inscribed circle in the UTM plane, on
one thread), which the bare baseline does not compute. The bare baseline runs on one
thread; borderkit shares the per-face work (geodesic areas, projection, widths) among
the machine's cores (GEOS and PROJ release the GIL), as ``borderkit.areas._per_face`` does.
"""

from __future__ import annotations

import argparse

import geopandas as gpd
import numpy as np
import shapely
from _timing import timed
from pyproj import Geod
from shapely import LineString, box


def synthetic_lines(n: int) -> tuple[LineString, LineString]:
    """The synthetic new and old lines, ``n`` vertices each."""
    lat = np.linspace(40.0, 40.9, n)
    new = np.column_stack([45.0 + 0.002 * np.sin(np.linspace(0, 400 * np.pi, n)), lat])
    old = np.column_stack([45.0 + 0.9 * np.sin(np.linspace(0.3, 400 * np.pi + 0.3, n)) * 0.002, lat])
    return LineString(new), LineString(old)


def synthetic_settlements() -> gpd.GeoDataFrame:
    """Eight synthetic settlements: three pairs and two without a pair."""
    lon = [44.99, 45.01, 44.995, 45.005, 44.99, 45.0, 45.02, 44.98]
    lat = [40.1, 40.1, 40.45, 40.45, 40.8, 40.80021, 40.5, 40.5]
    return gpd.GeoDataFrame(
        {
            "name": [f"synthetic {i}" for i in range(8)],
            "country": ["AAA", "BBB"] * 4,
            "pair": ["p1", "p1", "p2", "p2", "p3", "p3", "", ""],
        },
        geometry=gpd.points_from_xy(lon, lat),
        crs="EPSG:4326",
    )


def bare(new: LineString, old: LineString) -> float:
    geod = Geod(ellps="WGS84")
    faces = shapely.get_parts(shapely.polygonize(shapely.get_parts(shapely.union_all([new, old]))))
    total = 0.0
    for face in faces:
        for ring in (face.exterior, *face.interiors):
            xy = shapely.get_coordinates(ring)
            area, _ = geod.polygon_area_perimeter(xy[:, 0], xy[:, 1])
            total += abs(area)
    return total


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--vertices", type=int, default=1_000_000)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()

    from borderkit.areas import _threads, _widths_crs, _widths_in_plane, handover_polygons

    new, old = synthetic_lines(args.vertices)
    extent = box(44.9, 39.99, 45.1, 40.91)
    settlements = synthetic_settlements()

    def borderkit_areas() -> gpd.GeoDataFrame:
        return handover_polygons(
            new, old, extent, new_left="AAA", old_left="AAA", countries=("AAA", "BBB"), settlements=settlements
        )

    (t_bare, mem_bare, bare_m2), (t_bk, mem_bk, frame) = timed([lambda: bare(new, old), borderkit_areas], args.runs)
    faces = frame.geometry.to_numpy()
    from borderkit.areas import _to_plane

    ((t_w, _, _),) = timed([lambda: _widths_in_plane(_to_plane(faces, _widths_crs(faces)))], 1)

    print(
        f"synthetic lines, {args.vertices:,} vertices each: {len(frame)} handed-over faces, "
        f"{frame['area_m2'].sum() / 1e6:.6f} km² (bare, every face: {bare_m2 / 1e6:.6f} km²); best of {args.runs}"
    )
    rows = [
        ("bare union_all + polygonize + areas", t_bare, mem_bare),
        ("borderkit handover_polygons", t_bk, mem_bk),
    ]
    for label, t, mem in rows:
        print(f"  {label:36s} {t:7.3f} s  {t / t_bare:5.2f}x   peak {mem:7.1f} MiB traced")
    print(
        f"  the sliver widths alone (UTM + largest inscribed circles), on one thread: {t_w:.3f} s; "
        f"handover_polygons shares the per-face work (areas, widths) among {_threads()} threads"
    )


if __name__ == "__main__":
    main()
