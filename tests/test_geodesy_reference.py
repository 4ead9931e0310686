"""borderkit.geodesy against GeographicLib's Planimeter on random SYNTHETIC polygons and lines.

Each family is a few dozen seeded random cases, sent to Planimeter (Debian package
geographiclib-tools) in one subprocess call. Planimeter's area is signed by the ring's
orientation on the ellipsoid, and it measures every edge the short way in longitude,
so a ring written with -180/180 jumps is read as crossing the antimeridian. The
reference area of a polygon with holes is ``|exterior| - sum |hole|``, each ring
measured by Planimeter on its own; the reference perimeter is the sum of every ring's.

Worst cases measured (seed 20240515, 60 cases a family) are stated at each bound.
"""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Callable

import numpy as np
import pytest
import shapely
from numpy.typing import NDArray
from pyproj import Geod
from shapely import LineString, MultiLineString, MultiPolygon, Polygon

from borderkit.geodesy import geodesic_area_m2, geodesic_length_m, geodesic_perimeter_m

SEED = 20240515
CASES = 60
# Only to draw the synthetic test geometry: vertices at given distances and azimuths.
_DRAW = Geod(ellps="WGS84")

Ring = NDArray[np.float64]  # (n, 2) lon, lat; open (first vertex not repeated)


def _tool(name: str) -> str:
    path = shutil.which(name)
    if path is None:
        pytest.fail(f"{name} is not installed: `apt-get install geographiclib-tools` (.ci/run does this)")
    return path


def _run_planimeter(rings: list[Ring], *, polyline: bool = False) -> NDArray[np.float64]:
    """Planimeter over many rings (or polylines) in one call: rows of (perimeter_m, area_m2)."""
    exe = _tool("Planimeter")
    # A blank line ends one polygon; Planimeter then prints "n perimeter area" ("n length" with -l).
    # Fixed point: GeographicLib reads "1e-05" as 1° East ("e" is a hemisphere to its parser).
    text = "\n".join("".join(f"{lat:.17f} {lon:.17f}\n" for lon, lat in ring.tolist()) for ring in rings) + "\n"
    args = [exe, "-p", "10", *(["-l"] if polyline else [])]
    out = subprocess.run(args, input=text, capture_output=True, text=True, check=True).stdout
    rows = [line.split() for line in out.splitlines() if line.strip()]
    assert len(rows) == len(rings)
    return np.array([[float(r[1]), float(r[2]) if len(r) > 2 else np.nan] for r in rows])


@pytest.fixture(scope="module")
def planimeter() -> Callable[..., NDArray[np.float64]]:
    return _run_planimeter


def _star(rng: np.random.Generator, lon0: float, lat0: float, radius_m: float, lo: float, hi: float) -> Ring:
    """A synthetic star-shaped ring around (lon0, lat0), radii ``radius_m * U(lo, hi)``, random sense."""
    n = int(rng.integers(5, 13))
    # Jittered, evenly spread azimuths: no gap over 101°, so every edge stays over 0.38 of
    # the smallest radius from the centre and the holes drawn below fit inside.
    azimuths = (np.arange(n) + rng.uniform(-0.2, 0.2, n)) * 360 / n + rng.uniform(0, 360)
    radii = radius_m * rng.uniform(lo, hi, n)
    lon, lat, _ = _DRAW.fwd(np.full(n, lon0), np.full(n, lat0), azimuths, radii)
    ring = np.column_stack([lon, lat])  # longitudes in [-180, 180]: jumps where a ring crosses 180°
    return ring[::-1] if rng.random() < 0.5 else ring


def _radius_m(rng: np.random.Generator) -> float:
    return float(10 ** rng.uniform(1, 6))  # 10 m to 1000 km


def _centre(rng: np.random.Generator, *, across: bool) -> tuple[float, float]:
    lat = float(rng.uniform(-75, 75))
    lon = float(rng.choice([-1, 1]) * rng.uniform(179.9, 180)) if across else float(rng.uniform(-170, 170))
    return lon, lat


def _polygon(rng: np.random.Generator, *, across: bool, holes: int) -> tuple[Ring, list[Ring]]:
    lon0, lat0 = _centre(rng, across=across)
    radius = _radius_m(rng)
    if across:  # make sure the ring reaches over 180°: at least ~11 km from a centre 0.1° off it
        radius = max(radius, 30_000.0)
    exterior = _star(rng, lon0, lat0, radius, 0.6, 1.0)
    # Holes inside the exterior (radii >= 0.6, so edges >= 0.38 from the centre): a centred
    # one reaching 0.18 at most, and a second one 0.25..0.35 from the centre.
    inner = [_star(rng, lon0, lat0, radius, 0.05, 0.18)]
    if holes > 1:
        lon1, lat1, _ = _DRAW.fwd(lon0, lat0, rng.uniform(0, 360), 0.3 * radius)
        inner.append(_star(rng, float(lon1), float(lat1), radius, 0.02, 0.05))
    return exterior, inner[:holes]


def _closed(ring: Ring) -> list[tuple[float, float]]:
    return [(float(x), float(y)) for x, y in ring]


def _family(name: str) -> list[list[tuple[Ring, list[Ring]]]]:
    """``CASES`` synthetic (multi)polygons of one family: lists of (exterior, holes) parts."""
    rng = np.random.default_rng([SEED, sum(map(ord, name))])
    out = []
    for _ in range(CASES):
        if name == "simple":
            parts = [_polygon(rng, across=False, holes=0)]
        elif name == "holes":
            parts = [_polygon(rng, across=False, holes=int(rng.integers(1, 3)))]
        elif name == "antimeridian":
            parts = [_polygon(rng, across=True, holes=0)]
        elif name == "antimeridian with holes":
            parts = [_polygon(rng, across=True, holes=int(rng.integers(1, 3)))]
        elif name == "multipolygon with an antimeridian part":
            parts = [_polygon(rng, across=True, holes=int(rng.integers(0, 2))), _polygon(rng, across=False, holes=0)]
        else:
            raise AssertionError(name)
        out.append(parts)
    return out


FAMILIES = ["simple", "holes", "antimeridian", "antimeridian with holes", "multipolygon with an antimeridian part"]


def _geometry(parts: list[tuple[Ring, list[Ring]]]) -> Polygon | MultiPolygon:
    # shapely keeps the coordinates as given: a part that crosses 180° stays written with jumps.
    polygons = [Polygon(_closed(ext), [_closed(h) for h in holes]) for ext, holes in parts]
    return polygons[0] if len(polygons) == 1 else MultiPolygon(polygons)


def _reference(
    planimeter: Callable[..., NDArray[np.float64]], cases: list[list[tuple[Ring, list[Ring]]]]
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """(area_m2, perimeter_m) per case from Planimeter, one call for every ring of the family."""
    rings: list[Ring] = []
    index: list[tuple[int, bool]] = []  # (case, is_hole) of each ring
    for i, parts in enumerate(cases):
        for ext, holes in parts:
            rings.append(ext)
            index.append((i, False))
            rings.extend(holes)
            index.extend((i, True) for _ in holes)
    res = planimeter(rings)
    area = np.zeros(len(cases))
    perimeter = np.zeros(len(cases))
    for (i, is_hole), (p, a) in zip(index, res, strict=True):
        area[i] += -abs(a) if is_hole else abs(a)
        perimeter[i] += p
    return area, perimeter


def _unwrapped(geometry: Polygon | MultiPolygon) -> Polygon | MultiPolygon:
    """The same geometry with longitudes made continuous across 180° (for a planar validity check)."""
    return shapely.transform(
        geometry,
        lambda xy: np.column_stack(
            [np.where(xy[:, 0] < 0, xy[:, 0] + 360, xy[:, 0]) if np.ptp(xy[:, 0]) > 180 else xy[:, 0], xy[:, 1]]
        ),
    )


@pytest.mark.parametrize("family", FAMILIES)
def test_random_polygons__are_valid_with_holes_inside(family: str) -> None:
    # The synthetic cases must be what they claim: holes inside their exterior, parts apart.
    for parts in _family(family):
        for ext, holes in parts:
            polygon = _unwrapped(_geometry([(ext, holes)]))
            assert polygon.is_valid, shapely.is_valid_reason(polygon)
            assert len(polygon.interiors) == len(holes)


@pytest.mark.parametrize("family", FAMILIES)
def test_area_and_perimeter__match_planimeter_on_random_polygons(family: str, planimeter) -> None:
    cases = _family(family)
    ref_area, ref_perimeter = _reference(planimeter, cases)
    geoms = [_geometry(parts) for parts in cases]
    area = np.array([geodesic_area_m2(g) for g in geoms])
    perimeter = np.array([geodesic_perimeter_m(g) for g in geoms])
    length = np.array([geodesic_length_m(g) for g in geoms])
    # Bounds: 1 m² absolute (areas up to 1.4e12 m²; measured worst 1.5e-5 m², Planimeter
    # prints 1e-5 m²; before the fix 6.6e8 m² with holes across 180°, 1.3e11 m² for a
    # multipolygon with a part across it). 1 mm absolute for perimeters (up to ~7000 km;
    # measured worst 9.3e-10 m; before the fix holes were left out: 8.7e5 m).
    assert np.max(np.abs(area - ref_area)) < 1.0
    assert np.max(np.abs(perimeter - ref_perimeter)) < 1e-3
    assert np.max(np.abs(length - ref_perimeter)) < 1e-3
    assert np.all(area > 0)


def test_area__does_not_change_when_rings_are_reversed_or_parts_reordered(planimeter) -> None:
    cases = _family("multipolygon with an antimeridian part")
    ref_area, _ = _reference(planimeter, cases)
    flipped = [[(ext[::-1], [h[::-1] for h in holes]) for ext, holes in reversed(parts)] for parts in cases]
    area = np.array([geodesic_area_m2(_geometry(parts)) for parts in flipped])
    assert np.max(np.abs(area - ref_area)) < 1.0


def _lines(name: str) -> list[list[Ring]]:
    """Synthetic (multi)lines: random walks of 2-10 vertices, some across the antimeridian."""
    rng = np.random.default_rng([SEED, sum(map(ord, name))])
    out = []
    for _ in range(CASES):
        parts = []
        for _ in range(int(rng.integers(1, 4))):
            lon0, lat0 = _centre(rng, across=name == "antimeridian" and rng.random() < 0.8)
            n = int(rng.integers(2, 11))
            steps = np.array([_radius_m(rng) for _ in range(n - 1)])
            lon, lat = [lon0], [lat0]
            for step in steps:
                x, y, _ = _DRAW.fwd(lon[-1], lat[-1], rng.uniform(0, 360), step)
                lon.append(float(x))
                lat.append(float(y))
            parts.append(np.column_stack([lon, lat]))
        out.append(parts)
    return out


@pytest.mark.parametrize("family", ["anywhere", "antimeridian"])
def test_length__matches_planimeter_polyline_on_random_lines(family: str, planimeter) -> None:
    cases = _lines(family)
    flat = [part for parts in cases for part in parts]
    ref_parts = planimeter(flat, polyline=True)[:, 0]
    ref = np.add.reduceat(ref_parts, np.cumsum([0] + [len(p) for p in cases[:-1]]))
    length = np.array(
        [
            geodesic_length_m(LineString(parts[0]) if len(parts) == 1 else MultiLineString([p for p in parts]))
            for parts in cases
        ]
    )
    # Bound: 1 mm absolute (lines up to 4100 km; measured worst 4.7e-10 m).
    assert np.max(np.abs(length - ref)) < 1e-3
