"""Derive the OSM Armenia–Azerbaijan border in the Tavush box, one file per timezone-boundary-builder release.

Run BY HAND, never in tests (it downloads about 420 MB from PyPI and builds a venv),
from the repository root, with any Python 3.11 that has shapely 2 and pyproj::

    . /work/venv/bin/activate
    python data/tavush-2024/derive/osm_vintages.py --cache /tmp/tzf

It writes ``data/tavush-2024/osm_tzbb_<release>.geojson`` (``--out`` to change the
folder) and prints the measurements and checks recorded in ``data/tavush-2024/SOURCES.md``.
Re-running gives identical bytes.

What it does, per release of the table ``RELEASES``:

1. ``pip download --no-deps timezonefinder==X`` (plus ``timezonefinder-data`` for 2026c)
   into ``CACHE/dl/<package>-<version>/`` (a wheel or an sdist; kept for the next run) and unpack it
   into ``CACHE/unpacked/``; the sha256 of each file is printed.
2. In a subprocess of its own (so versions never clash), put the unpacked folder first on
   ``sys.path``, check that ``timezonefinder`` is imported from it, and print
   ``TimezoneFinder(in_memory=True).get_geometry(tz_name=..., coords_as_pairs=True)`` of
   Asia/Yerevan and Asia/Baku as JSON. The data files travel inside the package.
3. Here: the shared boundary is Yerevan's boundary within 1e-6° of Baku's polygon,
   line-merged, clipped to the box lon 44.9–45.6, lat 40.9–41.35 (the shared extracts'
   box). Vertices are the package's own floats; only the cut points at the box edge are new.
   Each part is walked with Armenia on its left (``left`` is computed, not assumed:
   points 1e-5° left and right of every segment's midpoint are tested against the two
   polygons), so every release runs south to north.

The subprocess interpreter needs what these versions import: numpy, h3, cffi and, for
9.0.0, flatbuffers (``get_geometry`` itself calls none of h3's functions, but the modules
import it). One venv serves every version from 6.0.1 to 9.0.0: numpy 2.4.6, h3 4.5.0,
cffi 1.17.1, flatbuffers 25.12.19 (the old versions declare h3<4 and numpy<2, but only
import ``h3.api.numpy_int``, which h3 4 still has). Without ``--python`` the script makes
that venv in ``CACHE/venv``; a venv with h3 3.7.7 + numpy 1.26.4 gave the same polygons
for 6.0.1–6.5.8 (checked by hand with ``--python``).

Checks (the script fails loudly, exit status 1, when one fails):

- Reproduction: each line against the feature of the same release in
  ``ARM_AZE_border_lines_tzbb_2021c_to_2026c.geojson`` of the shared data (``--shared`` folder;
  skipped with a note when the file is absent): same parts, same vertex count, every
  vertex within 1e-6°. 2022g has no line there (the shared data give its polygons only),
  so it is checked instead against ``tz_2022g_yerevan_baku_tbilisi.geojson``: every vertex
  of the line not on the box edge must be a vertex of that file's Yerevan polygon.
- ``left`` must be the same side for at least 95 % of the segments of every part.

Result of the run of 2026-12-01 (``--cache /tmp/tzf/run1``, the venv made by the script;
a second run gave byte-identical files)::

    release  reference vertices  ours  parts  max diff  median diff
    2021c    395                 395   1      0 deg     0 deg
    2022g    (no line in the shared data: its 395 vertices off the box edge are all
              vertices of the tz_2022g Yerevan polygon, max diff 9.89e-07 deg: that file
              rounds to 1e-6 deg)
    2023b    260                 260   1      0 deg     0 deg
    2023d    451                 451   1      0 deg     0 deg
    2024a    451                 451   1      0 deg     0 deg
    2024b    1735                1735  3      0 deg     0 deg
    2025a    1720                1720  1      0 deg     0 deg
    2026c    1721                1721  1      0 deg     0 deg

Every segment of every part had ARM on the left, except, up to 2023d/2024a, the last one:
a stub 1e-6 deg (0.1 m) long at the northern end, where the 1e-6 deg buffer of Baku's
polygon reaches past the ARM–AZE–GEO tripoint (Georgia on its right, so neither side
votes). It is kept, as in the shared lines.

Measurements (the table in SOURCES.md): vertex count; median geodesic vertex spacing and
geodesic length on WGS 84 (``pyproj.Geod``), the whole clipped line; offsets from the
2026c line and from the geoBoundaries 2020 rendering (``new_line_geoboundaries_ARM.geojson``)
within lon 45.03–45.30, lat 40.95–41.16: points every 10 m along the line inside that box,
their distance to the other line (in UTM 38N, EPSG:32638, whose scale error there, at most
4e-4, moves even the largest offset, 3.4 km, by 1.4 m), median / p95 / max; both directions are printed,
because a smooth line's distance to a winding one is not the winding one's to it.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import subprocess
import sys
import tarfile
import zipfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import shapely
from pyproj import Geod, Transformer
from shapely.geometry import LineString, MultiLineString, MultiPolygon, Polygon, box, mapping, shape
from shapely.ops import linemerge

CASE_DIR = Path(__file__).resolve().parent.parent
SHARED_DIR = Path("/work/shared/data/tavush-2024/osm_vintages")
REFERENCE_NAME = "ARM_AZE_border_lines_tzbb_2021c_to_2026c.geojson"

BOX = box(44.9, 40.9, 45.6, 41.35)
OFFSET_BOX = box(45.03, 40.95, 45.30, 41.16)
SHARED_TOLERANCE_DEG = 1e-6
REPRODUCTION_TOLERANCE_DEG = 1e-6
SIDE_PROBE_DEG = 1e-5
SIDE_AGREEMENT_MIN = 0.95
SAMPLE_STEP_M = 10.0
UTM_38N = "EPSG:32638"

LICENCE = "ODbL 1.0, © OpenStreetMap contributors (via timezone-boundary-builder)"
DERIVATION = (
    "shared boundary of the Asia/Yerevan and Asia/Baku polygons (timezone-boundary-builder, from the OSM "
    "relations of Armenia and Azerbaijan tagged timezone=Asia/Yerevan / Asia/Baku) read with "
    "TimezoneFinder(in_memory=True).get_geometry(tz_name=..., coords_as_pairs=True): Yerevan's boundary "
    "within 1e-6 deg of Baku's polygon, line-merged, clipped to lon 44.9-45.6, lat 40.9-41.35; each part "
    "walked with `left` on its left; vertices as in the package (cut points at the box edge added)"
)
VENV_REQUIREMENTS = ("numpy==2.4.6", "h3==4.5.0", "cffi==1.17.1", "flatbuffers==25.12.19")

COUNTRY_BY_TZ = {"Asia/Yerevan": "ARM", "Asia/Baku": "AZE"}


@dataclass(frozen=True)
class Release:
    """One timezone-boundary-builder release and the PyPI packages that ship it."""

    name: str
    packages: tuple[str, ...]
    release_date: str  # the release commit's date; the OSM data are a few days older

    @property
    def package(self) -> str:
        return " + ".join(self.packages)


RELEASES = (
    Release("2021c", ("timezonefinder==6.0.1",), "2022-04-25"),
    Release("2022g", ("timezonefinder==6.1.9",), "2022-12-02"),
    Release("2023b", ("timezonefinder==6.2.0",), "2023-03-26"),
    Release("2023d", ("timezonefinder==6.4.1",), "2023-12-29"),
    Release("2024a", ("timezonefinder==6.5.2",), "2024-03-13"),
    Release("2024b", ("timezonefinder==6.5.3",), "2024-09-09"),
    Release("2025a", ("timezonefinder==6.5.8",), "2025-01-20"),
    Release("2026c", ("timezonefinder==9.0.0", "timezonefinder-data==3.2026.3.post1"), "2026-07-10"),
)

# Run in the subprocess: argv[1:] are the unpacked folders, first on sys.path.
_READER = r"""
import json, sys
folders = sys.argv[1:]
for folder in reversed(folders):
    sys.path.insert(0, folder)
import timezonefinder
from timezonefinder import TimezoneFinder
if not timezonefinder.__file__.startswith(folders[0]):
    sys.exit(f"timezonefinder was imported from {timezonefinder.__file__!r}, not from {folders[0]!r}")
tf = TimezoneFinder(in_memory=True)
out = {"module": timezonefinder.__file__}
for tz in ("Asia/Yerevan", "Asia/Baku"):
    out[tz] = tf.get_geometry(tz_name=tz, coords_as_pairs=True)
json.dump(out, sys.stdout)
"""


class DerivationError(RuntimeError):
    """A check of this script failed: the files are not written."""


def _run(cmd: list[str]) -> str:
    done = subprocess.run(cmd, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        msg = f"command failed ({done.returncode}): {' '.join(cmd)}\n{done.stderr[-2000:]}"
        raise DerivationError(msg)
    return done.stdout


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def ensure_venv(cache: Path) -> Path:
    """Make (once) the throwaway venv in which the packages are imported; return its python."""
    venv = cache / "venv"
    python = venv / "bin" / "python"
    if not python.exists():
        _run([sys.executable, "-m", "venv", str(venv)])
        _run([str(python), "-m", "pip", "install", "--quiet", *VENV_REQUIREMENTS])
    return python


def fetch_package(spec: str, cache: Path) -> Path:
    """``pip download --no-deps`` one pinned package (once) and unpack it; return the folder to import from."""
    dl_dir = cache / "dl" / spec.replace("==", "-")
    files = sorted(dl_dir.glob("*")) if dl_dir.exists() else []
    if not files:
        _run([sys.executable, "-m", "pip", "download", "--no-deps", "--quiet", "--dest", str(dl_dir), spec])
        files = sorted(dl_dir.glob("*"))
    if len(files) != 1:
        msg = f"expected one downloaded file for {spec!r} in {dl_dir}, found {[f.name for f in files]!r}"
        raise DerivationError(msg)
    archive = files[0]
    print(f"  {spec}: {archive.name} sha256 {_sha256(archive)}")
    target = cache / "unpacked" / archive.name
    if not target.exists():
        tmp = target.with_name(target.name + ".partial")
        if archive.suffix == ".whl":
            with zipfile.ZipFile(archive) as zf:
                zf.extractall(tmp)
        else:
            with tarfile.open(archive) as tf:
                tf.extractall(tmp, filter="data")
        tmp.rename(target)
    # A wheel unpacks its package at the top; an sdist inside one folder named after it.
    package_dir = spec.split("==")[0].replace("-", "_")
    for candidate in (target, *sorted(p for p in target.iterdir() if p.is_dir())):
        if (candidate / package_dir).is_dir():
            return candidate
    msg = f"no folder {package_dir!r} in the unpacked {archive.name}"
    raise DerivationError(msg)


def read_polygons(release: Release, python: Path, cache: Path) -> dict[str, MultiPolygon]:
    """The Asia/Yerevan and Asia/Baku polygons of one release, read by that release's own package."""
    folders = [str(fetch_package(spec, cache)) for spec in release.packages]
    raw = json.loads(_run([str(python), "-c", _READER, *folders]))
    polygons = {}
    for tz in COUNTRY_BY_TZ:
        geom = MultiPolygon([Polygon(rings[0], rings[1:]) for rings in raw[tz]])
        if not geom.is_valid:
            msg = f"{release.name}: the {tz} polygon of {release.package} is not valid: {shapely.is_valid_reason(geom)}"
            raise DerivationError(msg)
        polygons[tz] = geom
    return polygons


def _lines(geom: shapely.Geometry) -> list[LineString]:
    if isinstance(geom, LineString):
        return [geom] if not geom.is_empty else []
    if isinstance(geom, MultiLineString):
        return list(geom.geoms)
    if hasattr(geom, "geoms"):
        return [part for g in geom.geoms for part in _lines(g)]
    return []


def side_votes(part: LineString, yerevan: MultiPolygon, baku: MultiPolygon) -> tuple[int, int]:
    """Segments with Armenia on the left, and with Azerbaijan on the left, by probes 1e-5° to either side."""
    xy = np.asarray(part.coords)
    mid = (xy[:-1] + xy[1:]) / 2
    d = xy[1:] - xy[:-1]
    normal = np.column_stack([-d[:, 1], d[:, 0]])
    normal /= np.hypot(normal[:, 0], normal[:, 1])[:, None]
    left = mid + SIDE_PROBE_DEG * normal
    right = mid - SIDE_PROBE_DEG * normal
    arm_left = shapely.contains_xy(yerevan, left[:, 0], left[:, 1]) & shapely.contains_xy(
        baku, right[:, 0], right[:, 1]
    )
    aze_left = shapely.contains_xy(baku, left[:, 0], left[:, 1]) & shapely.contains_xy(
        yerevan, right[:, 0], right[:, 1]
    )
    return int(arm_left.sum()), int(aze_left.sum())


def derive_line(release: Release, polygons: dict[str, MultiPolygon]) -> tuple[list[LineString], str]:
    """The shared Yerevan/Baku boundary clipped to the box, each part walked with the same country on its left."""
    yerevan, baku = polygons["Asia/Yerevan"], polygons["Asia/Baku"]
    shared = yerevan.boundary.intersection(baku.buffer(SHARED_TOLERANCE_DEG))
    merged = linemerge(_lines(shared))
    parts = _lines(merged.intersection(BOX))
    if len(parts) > 1:
        parts = _lines(linemerge(parts))
    if not parts:
        msg = f"{release.name}: no shared Yerevan/Baku boundary in the box"
        raise DerivationError(msg)
    oriented = []
    for i, part in enumerate(parts):
        arm, aze = side_votes(part, yerevan, baku)
        n_segments = len(part.coords) - 1
        if max(arm, aze) < SIDE_AGREEMENT_MIN * n_segments:
            msg = (
                f"{release.name} part {i}: the sides disagree ({arm} of {n_segments} segments have ARM on the left, "
                f"{aze} AZE); fewer than {SIDE_AGREEMENT_MIN:.0%} agree"
            )
            raise DerivationError(msg)
        oriented.append(part if arm >= aze else part.reverse())
        print(f"  part {i}: {n_segments} segments, ARM left {arm}, AZE left {aze}{'' if arm >= aze else ' (reversed)'}")
    return oriented, "ARM"


def geometry_of(parts: list[LineString]) -> LineString | MultiLineString:
    return parts[0] if len(parts) == 1 else MultiLineString(parts)


def check_reference(release: Release, parts: list[LineString], reference: dict[str, shapely.Geometry]) -> str:
    """Compare with the shared data's line of the same release; raise beyond 1e-6°."""
    ref = reference.get(release.name)
    if ref is None:
        return "no reference line"
    ref_parts = _lines(ref)
    n_ours, n_ref = sum(len(p.coords) for p in parts), sum(len(p.coords) for p in ref_parts)
    if [len(p.coords) for p in parts] != [len(p.coords) for p in ref_parts]:
        msg = (
            f"{release.name}: parts/vertices differ from the reference: ours "
            f"{[len(p.coords) for p in parts]}, reference {[len(p.coords) for p in ref_parts]}"
        )
        raise DerivationError(msg)
    diff = np.abs(shapely.get_coordinates(geometry_of(parts)) - shapely.get_coordinates(ref)).max(axis=1)
    line = (
        f"reference {n_ref} vertices, ours {n_ours}, parts {len(parts)}, "
        f"max diff {diff.max():.3g} deg, median {np.median(diff):.3g} deg"
    )
    if diff.max() > REPRODUCTION_TOLERANCE_DEG:
        msg = f"{release.name}: {line}: beyond {REPRODUCTION_TOLERANCE_DEG} deg"
        raise DerivationError(msg)
    return line


def check_polygon_file(release: Release, parts: list[LineString], path: Path) -> str:
    """Every vertex of the line off the box edge must be a vertex of the shared file's Yerevan polygon."""
    features = json.loads(path.read_text())["features"]
    yerevan = next(shape(f["geometry"]) for f in features if f["properties"]["tzid"] == "Asia/Yerevan")
    polygon_xy = shapely.get_coordinates(yerevan)
    xy = shapely.get_coordinates(geometry_of(parts))
    inner = xy[~shapely.intersects_xy(BOX.boundary, xy[:, 0], xy[:, 1])]
    nearest = np.array([np.abs(polygon_xy - p).max(axis=1).min() for p in inner])
    line = f"{len(inner)} inner vertices, all on {path.name}'s Yerevan polygon: max diff {nearest.max():.3g} deg"
    if nearest.max() > REPRODUCTION_TOLERANCE_DEG:
        msg = f"{release.name}: {line}: beyond {REPRODUCTION_TOLERANCE_DEG} deg"
        raise DerivationError(msg)
    return line


GEOD = Geod(ellps="WGS84")
TO_UTM = Transformer.from_crs("EPSG:4326", UTM_38N, always_xy=True)


def _segment_lengths_m(parts: list[LineString]) -> np.ndarray:
    lengths = []
    for part in parts:
        xy = np.asarray(part.coords)
        _, _, dist = GEOD.inv(xy[:-1, 0], xy[:-1, 1], xy[1:, 0], xy[1:, 1])
        lengths.append(np.asarray(dist))
    return np.concatenate(lengths)


def _utm(geom: shapely.Geometry) -> shapely.Geometry:
    return shapely.transform(geom, lambda xy: np.column_stack(TO_UTM.transform(xy[:, 0], xy[:, 1])))


def offsets_m(line: shapely.Geometry, other: shapely.Geometry) -> tuple[float, float, float]:
    """Median, p95, max distance (m) from points every 10 m along ``line`` inside the offset box to ``other``."""
    inside = _utm(line.intersection(OFFSET_BOX))
    target = _utm(other)
    points = []
    for part in _lines(inside):
        steps = np.append(np.arange(0.0, part.length, SAMPLE_STEP_M), part.length)
        points.append(shapely.line_interpolate_point(part, steps))
    dist = shapely.distance(np.concatenate(points), target)
    return float(np.median(dist)), float(np.percentile(dist, 95)), float(dist.max())


def write_geojson(path: Path, release: Release, parts: list[LineString], left: str) -> None:
    """One feature, sorted keys, Python's shortest round-trip floats: the same bytes on every run."""
    feature = {
        "type": "Feature",
        "properties": {
            "release": release.name,
            "package": release.package,
            "release_date": release.release_date,
            "licence": LICENCE,
            "vertex_count": sum(len(p.coords) for p in parts),
            "left": left,
            "derivation": DERIVATION,
        },
        "geometry": mapping(geometry_of(parts)),
    }
    text = json.dumps({"type": "FeatureCollection", "features": [feature]}, sort_keys=True, ensure_ascii=False)
    path.write_text(text + "\n", encoding="utf-8")


def _fmt_m(value: float) -> str:
    return f"{value / 1000:.2f} km" if value >= 1000 else f"{value:.0f} m"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cache", type=Path, required=True, help="folder for downloads, unpacked packages, the venv")
    parser.add_argument(
        "--python", type=Path, help="interpreter with numpy, h3, cffi, flatbuffers (default: a venv in CACHE)"
    )
    parser.add_argument("--out", type=Path, default=CASE_DIR, help="where osm_tzbb_<release>.geojson go")
    parser.add_argument(
        "--shared", type=Path, default=SHARED_DIR, help="the shared osm_vintages folder, for the checks"
    )
    args = parser.parse_args(argv)
    cache = args.cache.resolve()
    cache.mkdir(parents=True, exist_ok=True)
    python = args.python or ensure_venv(cache)

    reference_path = args.shared / REFERENCE_NAME
    reference = {}
    if reference_path.exists():
        for feature in json.loads(reference_path.read_text())["features"]:
            reference[feature["properties"]["release"].split()[-1]] = shape(feature["geometry"])
    else:
        print(f"note: {reference_path} is absent: the reproduction check is skipped")

    lines: dict[str, list[LineString]] = {}
    lefts: dict[str, str] = {}
    checks: dict[str, str] = {}
    for release in RELEASES:
        print(f"{release.name} ({release.package})")
        polygons = read_polygons(release, python, cache)
        parts, left = derive_line(release, polygons)
        polygon_file = args.shared / f"tz_{release.name}_yerevan_baku_tbilisi.geojson"
        if release.name in reference:
            checks[release.name] = check_reference(release, parts, reference)
        elif polygon_file.exists():
            checks[release.name] = check_polygon_file(release, parts, polygon_file)
        else:
            checks[release.name] = "not checked: no reference line or polygon file"
        print(f"  check: {checks[release.name]}")
        lines[release.name] = parts
        lefts[release.name] = left
    for release in RELEASES:  # only once every check has passed
        write_geojson(args.out / f"osm_tzbb_{release.name}.geojson", release, lines[release.name], lefts[release.name])

    latest = geometry_of(lines["2026c"])
    geoboundaries = shape(
        json.loads((CASE_DIR / "new_line_geoboundaries_ARM.geojson").read_text())["features"][0]["geometry"]
    )
    print()
    print(
        "release  vertices  parts  median spacing  length     left | vs 2026c (line->2026c; 2026c->line) median/p95/max"
        " | vs geoBoundaries 2020 (line->gB; gB->line)"
    )
    for release in RELEASES:
        parts = lines[release.name]
        geom = geometry_of(parts)
        spacing = float(np.median(_segment_lengths_m(parts)))
        length = GEOD.geometry_length(geom)
        to_latest = "/".join(_fmt_m(v) for v in offsets_m(geom, latest))
        from_latest = "/".join(_fmt_m(v) for v in offsets_m(latest, geom))
        to_gb = "/".join(_fmt_m(v) for v in offsets_m(geom, geoboundaries))
        from_gb = "/".join(_fmt_m(v) for v in offsets_m(geoboundaries, geom))
        print(
            f"{release.name}    {sum(len(p.coords) for p in parts):>8}  {len(parts):>5}  {spacing:>11.1f} m  "
            f"{length / 1000:7.2f} km  {lefts[release.name]} | {to_latest}; {from_latest} | {to_gb}; {from_gb}"
        )
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except DerivationError as err:
        print(f"FAILED: {err}", file=sys.stderr)
        sys.exit(1)
