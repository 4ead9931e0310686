"""SYNTHETIC benchmark cases: the whole Armenia–Azerbaijan border with made-up claims, and long synthetic lines.

``whole_border(folder, part)`` writes a case folder whose new line is one part of the shared OSM 2026c
border (``../shared/data/armenia-azerbaijan-border/border_tzbb_2026c.geojson``: 2 parts,
4,658 vertices, 929 km; ODbL, © OpenStreetMap contributors). Everything else in it is
SYNTHETIC and named so: an "old line" made by moving the border's main part by a smooth
made-up displacement (up to 150 m), an extent (its envelope grown by 5 km), 16
settlements in 8 pairs placed 1.5 km either side of it at even spacing, and length and
area claims with made-up values. A case measures one continuous line, so the whole
border is two cases, one per part. It exists to time the Monte Carlo at the size of a
whole border; its numbers mean nothing.

``long_line(folder, vertices)`` writes a wholly SYNTHETIC case at sea (around 9° E, 40° S,
as in the tests): a wiggly 200 km line of ``vertices`` vertices, 8 settlements in 4
pairs, and length claims, for the scaling in vertices.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import shapely
from pyproj import Transformer
from shapely.geometry import mapping, shape

BORDER = Path(__file__).resolve().parents[2] / "shared/data/armenia-azerbaijan-border/border_tzbb_2026c.geojson"


def _fc(geoms: list[dict], props: list[dict] | None = None) -> str:
    props = props or [{} for _ in geoms]
    feats = [{"type": "Feature", "properties": p, "geometry": g} for g, p in zip(geoms, props, strict=True)]
    return json.dumps({"type": "FeatureCollection", "features": feats})


def _settlements(line_xy: np.ndarray, n_pairs: int, offset_m: float) -> tuple[np.ndarray, list[dict]]:
    """Pairs of points ``offset_m`` either side of the line at evenly spaced chainages (plane metres)."""
    line = shapely.LineString(line_xy)
    out, props = [], []
    for k in range(n_pairs):
        s = line.length * (k + 0.5) / n_pairs
        p, q = line.interpolate(s), line.interpolate(min(s + 10.0, line.length))
        t = np.array([q.x - p.x, q.y - p.y])
        t /= np.hypot(*t)
        normal = np.array([-t[1], t[0]])
        for side, country in ((1.0, "ARM"), (-1.0, "AZE")):
            out.append(np.array([p.x, p.y]) + side * offset_m * normal)
            props.append({"name": f"SYNTHETIC-{country}-{k + 1}", "country": country})
    return np.array(out), props


def _toml(case_id: str, title: str, n_pairs: int, layers: str, claims: str) -> str:
    pairs = "".join(
        f'[[pairs]]\nid = "p{k + 1}"\nARM = "SYNTHETIC-ARM-{k + 1}"\nAZE = "SYNTHETIC-AZE-{k + 1}"\n'
        for k in range(n_pairs)
    )
    return f"""format = 1
id = "{case_id}"
title = "{title}"
synthetic = true
[[countries]]
code = "ARM"
name = "Armenia"
[[countries]]
code = "AZE"
name = "Azerbaijan"
{pairs}
[layers.settlements]
role = "settlements"
path = "settlements.geojson"
crs = "EPSG:4326"
accuracy_m = 200
{layers}
[uncertainty]
# The model calibrated on the shipped Tavush case (σ 62 m, ℓ 329 m), set here.
sigma_m = 62.0
length_m = 329.0
nu = 2.5
{claims}"""


def border_parts() -> list[shapely.LineString]:
    """The shared border's parts, longest first (the main border, then Nakhchivan's)."""
    geom = shape(json.loads(BORDER.read_text())["features"][0]["geometry"])
    return sorted(getattr(geom, "geoms", [geom]), key=lambda g: -len(g.coords))


def whole_border(folder: Path, part: int = 0) -> Path:
    """Write a SYNTHETIC-claims case on part ``part`` of the border into ``folder``; returns it.

    A case measures one continuous line, so the whole border is two cases, one per part.
    """
    folder.mkdir(parents=True, exist_ok=True)
    main = border_parts()[part]
    fwd = Transformer.from_crs("EPSG:4326", "EPSG:32638", always_xy=True)
    inv = Transformer.from_crs("EPSG:32638", "EPSG:4326", always_xy=True)
    xy = np.column_stack(fwd.transform(*np.asarray(main.coords).T))
    s = np.r_[0.0, np.cumsum(np.hypot(*np.diff(xy, axis=0).T))]
    # SYNTHETIC old line: the main part moved sideways by 400 m × a slow made-up wave.
    k = np.ones(51) / 51  # normals of the line smoothed over ~10 km, so the moved line stays simple
    sm = np.column_stack([np.convolve(np.pad(xy[:, i], 25, mode="edge"), k, mode="valid") for i in (0, 1)])
    v = np.gradient(sm, axis=0)
    normal = np.column_stack([-v[:, 1], v[:, 0]]) / np.maximum(np.hypot(v[:, 0], v[:, 1]), 1e-9)[:, None]
    old = xy + (150.0 * np.sin(2 * np.pi * s / 60_000.0))[:, None] * normal
    # SYNTHETIC extent: the line's envelope grown by 5 km.
    ext = shapely.box(*shapely.LineString(xy).buffer(5_000.0).bounds)
    (folder / "extent.geojson").write_text(
        _fc([mapping(shapely.transform(ext, lambda a: np.column_stack(inv.transform(a[:, 0], a[:, 1]))))])
    )
    (folder / "border.geojson").write_text(_fc([mapping(main)]))
    (folder / "old.geojson").write_text(
        _fc([mapping(shapely.LineString(np.column_stack(inv.transform(old[:, 0], old[:, 1]))))])
    )
    pts, props = _settlements(xy, 8, 1_500.0)
    ll = np.column_stack(inv.transform(pts[:, 0], pts[:, 1]))
    (folder / "settlements.geojson").write_text(_fc([mapping(shapely.Point(p)) for p in ll], props))
    total_km = round(float(s[-1]) / 1000 * 0.8, 1)
    layers = """[layers.border]
role = "new_line"
path = "border.geojson"
crs = "EPSG:4326"
accuracy_m = 75
left = "ARM"
source = "OpenStreetMap via timezone-boundary-builder 2026c (../shared/data/armenia-azerbaijan-border)"
licence = "ODbL 1.0, © OpenStreetMap contributors"
date = "2026-07-10"
[layers.extent]
role = "extent"
path = "extent.geojson"
crs = "EPSG:4326"
accuracy_m = 0
[layers.old]
role = "old_line"
path = "old.geojson"
crs = "EPSG:4326"
accuracy_m = 300
left = "ARM"
"""
    claims = "".join(
        f'[[claims]]\nid = "{cid}"\nquantity = "length"\nscope = {scope}\nvalue = {v}\nunit = "km"\nprecision = 0.5\n'
        for cid, scope, v in (
            ("total", '"total"', total_km),
            ("p1-p2", '["p1", "p2"]', total_km / 4),
            ("p5", '["p5"]', total_km / 8),
        )
    )
    claims += (
        '[[claims]]\nid = "area"\nquantity = "area"\nscope = "total"\ndirection = "AZE"\n'
        'value = 100.0\nunit = "km2"\nprecision = 0.5\n'
    )
    (folder / "case.toml").write_text(
        _toml("synthetic-whole-border", "SYNTHETIC claims on the whole Armenia–Azerbaijan border", 8, layers, claims)
    )
    return folder


def long_line(folder: Path, vertices: int) -> Path:
    """Write a wholly SYNTHETIC case with a 200 km line of ``vertices`` vertices into ``folder``."""
    folder.mkdir(parents=True, exist_ok=True)
    inv = Transformer.from_crs("EPSG:32732", "EPSG:4326", always_xy=True)
    t = np.linspace(0.0, 1.0, vertices)
    x = 500_000.0 + 3_000.0 * np.sin(2 * np.pi * 7 * t) + 600.0 * np.sin(2 * np.pi * 53 * t)
    y = 5_470_000.0 + 200_000.0 * t
    xy = np.column_stack([x, y])
    (folder / "line.geojson").write_text(_fc([mapping(shapely.LineString(np.column_stack(inv.transform(x, y))))]))
    pts, props = _settlements(xy, 4, 1_500.0)
    ll = np.column_stack(inv.transform(pts[:, 0], pts[:, 1]))
    (folder / "settlements.geojson").write_text(_fc([mapping(shapely.Point(p)) for p in ll], props))
    layers = """[layers.line]
role = "new_line"
path = "line.geojson"
crs = "EPSG:4326"
accuracy_m = 75
left = "ARM"
"""
    claims = "".join(
        f'[[claims]]\nid = "{cid}"\nquantity = "length"\nscope = {scope}\nvalue = {v}\nunit = "km"\nprecision = 0.5\n'
        for cid, scope, v in (("total", '"total"', 200.0), ("p2", '["p2"]', 60.0))
    )
    (folder / "case.toml").write_text(
        _toml(f"synthetic-line-{vertices}", f"SYNTHETIC 200 km line, {vertices:,} vertices", 4, layers, claims)
    )
    return folder
