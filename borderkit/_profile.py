"""A profile along the line: where each marker lies, in km along every rendering.

For each rendering of the new line, the geodesic distance from the line's first vertex
(in vertex order) of: each pair settlement's nearest point (found in metres, in the
local UTM plane), where the old line crosses it, where each face between the lines
begins and ends along it, and where the measured stretch begins and ends. From these an
analyst reads the length of any stretch, and :attr:`Profile.claim_ends` says where the
end of a stretch of a claimed length would have to lie.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
import shapely
from numpy.typing import NDArray

from borderkit._linear import PlanarLine
from borderkit._measure import line_layers, line_of
from borderkit.enums import Quantity
from borderkit.geodesy import GEOD, LocalPlane, local_plane

if TYPE_CHECKING:
    from borderkit._measure import Measurements
    from borderkit.case import Case

__all__ = ["Profile", "profile"]

#: Faces narrower than this along the line are not given a begin/end of their own.
_MIN_FACE_M = 1.0


@dataclass(frozen=True)
class Profile:
    """Markers along every rendering of the new line; what :func:`profile` returns.

    Attributes
    ----------
    markers : DataFrame
        One row per marker: ``rendering``, ``kind`` (``settlement``, ``crossing``,
        ``face begins``, ``face ends``, ``stretch begins``, ``stretch ends``), ``name``,
        ``km`` (along the rendering from its first vertex), ``offset_m`` (a settlement's
        distance to the line), ``lon``, ``lat``.
    claim_ends : DataFrame
        For each total-length claim and rendering, where the stretch would end if it
        began where the measured one begins (``from = "north"``... the first end in
        vertex order) or ended where it ends: ``claim``, ``rendering``, ``anchor``,
        ``anchor_km``, ``end_km``, ``lon``, ``lat``, ``nearest`` (the pair settlement
        nearest that end) and ``nearest_m``.

    Examples
    --------
    >>> import borderkit
    >>> p = borderkit.analyse("tavush-2024", draws=0).profile()
    >>> sorted(set(p["kind"]))[:3]
    ['crossing', 'face begins', 'face ends']
    """

    markers: pd.DataFrame = field(repr=False)
    claim_ends: pd.DataFrame = field(repr=False)

    def __repr__(self) -> str:
        n = self.markers["rendering"].nunique() if len(self.markers) else 0
        return f"<Profile: {len(self.markers)} markers on {n} renderings>"


class _Chainage:
    """Geodesic km along a line for points located on it in the plane."""

    def __init__(self, line: shapely.LineString, plane: LocalPlane) -> None:
        self.lonlat = shapely.get_coordinates(line)
        self.xy = plane.xy(self.lonlat)
        self.plane = plane
        self.indexed = PlanarLine(self.xy)
        seg_planar = np.hypot(*np.diff(self.xy, axis=0).T)
        _, _, seg_geo = GEOD.inv(self.lonlat[:-1, 0], self.lonlat[:-1, 1], self.lonlat[1:, 0], self.lonlat[1:, 1])
        self.cum_planar = np.concatenate([[0.0], np.cumsum(seg_planar)])
        self.cum_geo = np.concatenate([[0.0], np.cumsum(seg_geo)])

    def km(self, planar_m: NDArray[np.float64]) -> NDArray[np.float64]:
        d = np.clip(np.asarray(planar_m, dtype=float), 0.0, self.cum_planar[-1])
        i = np.clip(np.searchsorted(self.cum_planar, d, side="right") - 1, 0, len(self.cum_planar) - 2)
        span = self.cum_planar[i + 1] - self.cum_planar[i]
        frac = np.divide(d - self.cum_planar[i], span, out=np.zeros_like(d), where=span > 0)
        return (self.cum_geo[i] + frac * (self.cum_geo[i + 1] - self.cum_geo[i])) / 1000.0

    def locate(self, lonlat: NDArray[np.float64]) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
        """Planar distance along, and planar distance off, for lon/lat points."""
        return self.indexed.locate(self.plane.xy(lonlat))

    def at_km(self, km: float) -> tuple[float, float]:
        """Lon/lat of the point ``km`` along the line (geodesic), interpolated in the plane."""
        g = min(max(km * 1000.0, 0.0), self.cum_geo[-1])
        i = int(np.clip(np.searchsorted(self.cum_geo, g, side="right") - 1, 0, len(self.cum_geo) - 2))
        span = self.cum_geo[i + 1] - self.cum_geo[i]
        frac = (g - self.cum_geo[i]) / span if span > 0 else 0.0
        xy = self.xy[i] + frac * (self.xy[i + 1] - self.xy[i])
        lon, lat = self.plane.lonlat(xy)[0]
        return float(lon), float(lat)


def profile(case: Case, measurements: Measurements) -> Profile:
    """Markers along every rendering of the new line (see :class:`Profile`)."""
    settlements = measurements.settlements
    known = settlements[settlements["has_coordinate"].astype(bool) & (settlements["pair"] != "")]
    known_ll = shapely.get_coordinates(known.geometry.to_numpy()) if len(known) else np.zeros((0, 2))
    by_name = {lay.name: lay for lay in line_layers(case)}
    rows: list[dict[str, object]] = []
    ends: list[dict[str, object]] = []
    old = case.layer("old_line")
    old_line = line_of(case, old)[0] if old is not None else None
    for name, m in {measurements.rendering: measurements, **measurements.renderings}.items():
        lay = by_name.get(name)
        if lay is None:
            continue
        line = line_of(case, lay)[0]
        c = shapely.centroid(shapely.envelope(line))
        ch = _Chainage(line, local_plane(c.x, c.y))

        def add(
            kind: str,
            labels: list[str],
            lonlat: NDArray[np.float64],
            offsets: list[float | None] | None = None,
            ch: _Chainage = ch,
            name: str = name,
        ) -> None:
            """One row per point of ``lonlat`` (k, 2), located on the line all at once."""
            lonlat = lonlat.reshape(-1, 2)
            km = ch.km(ch.locate(lonlat)[0])
            for k, label in enumerate(labels):
                rows.append({"rendering": name, "kind": kind, "name": label, "km": float(km[k]),
                             "offset_m": None if offsets is None else offsets[k],
                             "lon": float(lonlat[k, 0]), "lat": float(lonlat[k, 1])})  # fmt: skip

        if len(known):
            along, off = ch.locate(known_ll)
            foot = ch.plane.lonlat(ch.indexed.interpolate(along))
            add("settlement", [str(nm) for nm in known["name"]], foot, [float(d) for d in off])
        ext = case.layer("extent")
        if old_line is not None:
            # Crossings inside the extent only: beyond it the lines are not compared.
            crossing = shapely.intersection(line, old_line)
            if ext is not None:
                crossing = shapely.intersection(crossing, ext.union())
            at = shapely.get_coordinates(crossing)
            add("crossing", [old.name if old is not None else "old line"] * len(at), at)
        rows.extend(_face_rows(name, m, ch))
        seg = m.segments
        if len(seg):
            first = np.array([seg["lon0"].iloc[0], seg["lat0"].iloc[0]])
            last = np.array([seg["lon1"].iloc[-1], seg["lat1"].iloc[-1]])
            add("stretch begins", ["measured stretch"], first)
            add("stretch ends", ["measured stretch"], last)
            ends += _claim_ends(case, name, ch, first, last, known, known_ll)
    markers = pd.DataFrame(rows, columns=["rendering", "kind", "name", "km", "offset_m", "lon", "lat"])
    markers = markers.sort_values(["rendering", "km"], kind="stable").reset_index(drop=True)
    cols = ["claim", "rendering", "anchor", "anchor_km", "end_km", "lon", "lat", "nearest", "nearest_m"]
    return Profile(markers, pd.DataFrame(ends, columns=cols))


def _face_rows(name: str, m: Measurements, ch: _Chainage) -> list[dict[str, object]]:
    rows: list[dict[str, object]] = []
    if m.areas is None or not len(m.areas):
        return rows
    kinds = m.areas["kind"].to_numpy(dtype=object) if "kind" in m.areas.columns else np.full(len(m.areas), "")
    # The faces' boundaries where they run along this rendering: their vertices on the line,
    # every face's located at once.
    rings = shapely.get_exterior_ring(m.areas.geometry.to_numpy())
    coords, face_of = shapely.get_coordinates(rings, return_index=True)
    which, along = ch.indexed.locate_within(ch.plane.xy(coords), 0.5)
    face_of = face_of[which]
    n_faces = len(m.areas)
    count = np.bincount(face_of, minlength=n_faces)
    lo, hi = np.full(n_faces, np.inf), np.full(n_faces, -np.inf)
    np.minimum.at(lo, face_of, along)
    np.maximum.at(hi, face_of, along)
    picked = [
        (k, float(lo[k]), float(hi[k]))
        for k in range(n_faces)
        if kinds[k] != "sliver" and count[k] >= 2 and hi[k] - lo[k] >= _MIN_FACE_M
    ]
    if not picked:
        return rows
    at = np.array([[lo, hi] for _, lo, hi in picked]).ravel()
    lonlat, km = ch.plane.lonlat(ch.indexed.interpolate(at)), ch.km(at)
    faces = m.areas.iloc[[k for k, _, _ in picked]]
    for j, (k, face) in enumerate(zip((k for k, _, _ in picked), faces.itertuples(), strict=True)):
        label = f"face {k} ({face.from_country}→{face.to_country}, {face.area_m2 / 1e6:.2f} km², {face.kind})"
        for e, kind in enumerate(("face begins", "face ends")):
            i = 2 * j + e
            rows.append({"rendering": name, "kind": kind, "name": label, "km": float(km[i]), "offset_m": None,
                         "lon": float(lonlat[i, 0]), "lat": float(lonlat[i, 1])})  # fmt: skip
    return rows


def _claim_ends(
    case: Case,
    name: str,
    ch: _Chainage,
    first: NDArray[np.float64],
    last: NDArray[np.float64],
    known: pd.DataFrame,
    known_ll: NDArray[np.float64],
) -> list[dict[str, object]]:
    out: list[dict[str, object]] = []
    a = float(ch.km(ch.locate(first.reshape(1, 2))[0])[0])
    b = float(ch.km(ch.locate(last.reshape(1, 2))[0])[0])
    for claim in case.claims:
        if claim.quantity != Quantity.LENGTH or claim.subject is not None or claim.scope:
            continue
        km = claim.value_si / 1000.0
        for anchor, at, end in (("begins as measured", a, a + km), ("ends as measured", b, b - km)):
            lon, lat = ch.at_km(end)
            nearest, dist = "", float("nan")
            if len(known_ll):
                _, _, d = GEOD.inv(np.full(len(known_ll), lon), np.full(len(known_ll), lat), *known_ll.T)
                j = int(np.argmin(d))
                nearest, dist = str(known["name"].iloc[j]), float(d[j])
            out.append({"claim": claim.id, "rendering": name, "anchor": anchor, "anchor_km": at, "end_km": end,
                        "lon": lon, "lat": lat, "nearest": nearest, "nearest_m": dist})  # fmt: skip
    return out
