"""Impact: buildings, plots, roads, routes and features in handed-over land (SYNTHETIC village).

Everything here except the shipped-case check is SYNTHETIC: made-up countries AAA
("Synthland") and BBB ("Testonia"), made-up settlements, claims and geometry, placed at
no real place. The village is built by ``write_village_case`` (``tests/conftest.py``,
fixtures ``village`` and ``make_village``) in UTM zone 32S (EPSG:32732) on its central
meridian, 9°E, at about 40.02°S: open South Atlantic, on the high seas, about 1 050 km
from the nearest land and far from any real border. On the central meridian grid metres
turn into ellipsoid metres by the UTM scale factor alone: k0 = 0.9996, i.e. a geodesic
length is grid / 0.9996 and a geodesic area grid / 0.9996² (off the meridian by x metres
k grows by x²/2R², under 3e-8 for |x| <= 1.5 km: negligible here;
``test_village__grid_over_k0_agrees_with_geographiclib`` checks the rule with GeodSolve
and Planimeter). Local coordinates (x, y) below are metres east and north of E 500 000,
N 5 570 000.

Geometry (x, y in metres):

- old line: x = 0 from y = -3000 to 3000; AAA on the left (west), BBB on the right.
- new line: as the old one, except a 500 m × 2000 m rectangle x in [-500, 0],
  y in [-1000, 1000] that goes to BBB, a 200 m × 500 m bulge x in [0, 200],
  y in [1500, 2000] that goes to AAA, and a 5 m × 500 m strip x in [0, 5],
  y in [-2500, -2000] (a sliver: narrower than √(10² + 5²) = 11.18 m).
- settlements: Synthetic village A (AAA) at (-1500, 0), Synthetic town B (BBB) at
  (1500, 0); one pair, "village-a".
- buildings, 10 m squares: b1 and b2 wholly in the rectangle; s60 straddling its west
  edge with 6 of its 10 m inside (60 %: counted), s40 with 4 m inside (40 %: not
  counted); b-bulge in the AAA bulge; b-village and b-east elsewhere.
- plots: four of 200 m × 400 m (8 ha) wholly in the rectangle; one of 200 m × 400 m
  half inside (counts 0.5, 4 ha inside); one outside.
- roads: Synthetic village A V(-1500, 0) - P(-700, 0) - Q(-300, 0) - R(-300, 1300) -
  Synthetic town C T(-300, 2600); a bypass P - D(-1000, 400) - E(-1000, 1300) - R.
  P-Q and Q-R cross the new line (the rectangle's west edge at x = -500 and north edge
  at y = 1000).
- features: Synthetic school at (-540, -300), 40 m west of the new line; Synthetic
  spring in the rectangle; Synthetic town C at T.
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pytest
from pyproj import Transformer

from borderkit import analyse, load_case, measure
from borderkit._impact import ImpactResult, impact
from borderkit.errors import CaseError, ParameterError

K0 = 0.9996  # UTM scale factor on the central meridian
VILLAGE_CRS, E0, N0 = "EPSG:32732", 500_000.0, 5_570_000.0  # as in tests/conftest.py
ROUTE = ("Synthetic village A", "Synthetic town C")


@pytest.fixture(scope="module")
def village_impact(village: Path) -> ImpactResult:
    return impact(load_case(village), routes=[ROUTE])


def test_village__grid_over_k0_agrees_with_geographiclib(village: Path, geodsolve, planimeter) -> None:
    to_lonlat = Transformer.from_crs(VILLAGE_CRS, "EPSG:4326", always_xy=True)

    def lonlat(x: float, y: float) -> tuple[float, float]:
        return to_lonlat.transform(E0 + x, N0 + y)

    (lon, lat), (lon_a, lat_a), (lon_p, lat_p) = lonlat(0, 0), lonlat(-1500, 0), lonlat(-700, 0)
    assert (lon, round(lat, 2)) == (pytest.approx(9.0), -40.02)  # on the meridian, at sea
    village_a = load_case(village).layers["settlements"].frame.set_index("name").geometry["Synthetic village A"]
    assert (village_a.x, village_a.y) == (pytest.approx(lon_a, abs=1e-9), pytest.approx(lat_a, abs=1e-9))
    # V-P, 800 m of grid 700-1500 m off the meridian: 800.3201 m on the ellipsoid.
    assert geodsolve(lat_a, lon_a, lat_p, lon_p) == pytest.approx(800 / K0, abs=1e-4)
    # The handed-over rectangle, 500 m × 2000 m of grid: 1 000 800.48 m².
    _, area = planimeter([lonlat(-500, -1000), lonlat(0, -1000), lonlat(0, 1000), lonlat(-500, 1000)])
    assert abs(area) == pytest.approx(500 * 2000 / K0**2, rel=1e-6)


def test_impact__tavush_says_which_layers_are_missing() -> None:
    result = impact(load_case("tavush-2024"))
    assert [m.split(":")[0] for m in result.missing] == ["buildings", "plots", "roads", "features"]
    assert result.items.empty
    assert result.crossings.empty
    assert "missing layers: buildings, plots, roads, features" in repr(result)


def test_impact__village_handed_over_polygons_leave_the_sliver_out(village_impact: ImpactResult) -> None:
    p = village_impact.polygons
    # The rectangle (to BBB) and the bulge (to AAA); the 5 m strip is a sliver.
    assert sorted(p["to_country"]) == ["AAA", "BBB"]
    bbb = p[p["to_country"] == "BBB"].iloc[0]
    # 500 m × 2000 m of grid / k0² = 1 000 800.48 m² (Planimeter: 1 000 800.5 m²).
    assert bbb.area_m2 == pytest.approx(500 * 2000 / K0**2, rel=1e-6)
    assert "sliver" in village_impact.notes[0]


def test_impact__buildings_count_by_footprint_share(village_impact: ImpactResult) -> None:
    t = village_impact.totals("BBB", ("village-a",))
    assert t["buildings"] == 3  # b1, b2 wholly inside + s60 (60 % >= 50 %); s40 is out
    items = village_impact.items.set_index("name")
    assert items.loc["s60", "share"] == pytest.approx(0.6, abs=1e-5)
    assert items.loc["s40", "share"] == pytest.approx(0.4, abs=1e-5)
    assert bool(items.loc["s60", "counted"])
    assert not bool(items.loc["s40", "counted"])
    assert village_impact.totals("AAA")["buildings"] == 1  # b-bulge in the bulge


def test_impact__building_share_is_adjustable(village: Path) -> None:
    # 35 %: s40 counts too (b1, b2, s60, s40); 100 %: only b1 and b2, wholly inside. Not
    # 40 %: s40's share is 0.4 only to within the 1e-9° noding grid (here 0.3999992).
    assert impact(load_case(village), building_share=0.35).totals("BBB")["buildings"] == 4
    assert impact(load_case(village), building_share=1.0).totals("BBB")["buildings"] == 2


def test_impact__plots_count_by_area_share_and_hectares(village_impact: ImpactResult) -> None:
    t = village_impact.totals("BBB")
    assert t["plots"] == pytest.approx(4.5, abs=1e-5)  # 4 whole + half of p5-half
    # 4 × 8 ha + 4 ha = 36 ha of grid; / k0² on the ellipsoid = 36.0288 ha.
    assert t["plots_area_ha"] == pytest.approx(36 / K0**2, rel=1e-6)


def test_impact__road_length_inside_and_crossings(village_impact: ImpactResult) -> None:
    t = village_impact.totals("BBB")
    # P-Q inside from x = -500 to -300 (200 m), Q-R from y = 0 to 1000 (1000 m): 1200 m
    # grid, 1200.48 m on the ellipsoid (GeodSolve: 200.0800 + 1000.4002 m).
    assert t["road_length_m"] == pytest.approx(1200 / K0, abs=0.01)
    assert t["roads"] == 2
    cr = village_impact.crossings
    assert sorted(cr["name"]) == ["P-Q", "Q-R"]
    assert cr["n_crossings"].tolist() == [1, 1]


def test_impact__route_village_a_to_town_c_needs_the_bypass(village_impact: ImpactResult) -> None:
    r = village_impact.routes.iloc[0]
    # Before: V-P-Q-R-T = 800 + 400 + 1300 + 1300 = 3800 m grid, all west of the old line.
    # After: P-Q and Q-R cross the new line; V-P-D-E-R-T = 800 + 500 + 900 + 700 + 1300
    # = 4200 m grid (P-D is a 300-400-500 triangle); 400 m longer. On the ellipsoid
    # 3801.52, 4201.68 and 400.16 m (GeodSolve, segment by segment, agrees to 0.1 mm).
    assert r.in_country_before_m == pytest.approx(3800 / K0, abs=0.01)
    assert r.in_country_after_m == pytest.approx(4200 / K0, abs=0.01)
    assert r.extra_m == pytest.approx(400 / K0, abs=0.01)
    assert r.shortest_m == pytest.approx(3800 / K0, abs=0.01)
    assert bool(r.shortest_within_before)
    assert not bool(r.shortest_within_after)
    assert (r.country_before, r.country_after) == ("AAA", "AAA")
    assert r.snap_origin_m == pytest.approx(0, abs=1e-3)


def test_impact__features_near_the_new_line(village_impact: ImpactResult) -> None:
    near = village_impact.near_line.set_index("name")
    # The school stands 40 m west of the rectangle's west edge (x = -540 vs -500): 40.016 m.
    assert near.loc["Synthetic school", "distance_m"] == pytest.approx(40 / K0, abs=0.01)
    assert near.loc["Synthetic school", "country_after"] == "AAA"
    assert near.loc["s60", "distance_m"] == 0
    assert near.loc["s60", "country_after"] == "on the line"
    assert "Synthetic town C" not in near.index
    assert "b1" not in near.index


def test_impact__to_dict_is_json_and_repr_is_short(village_impact: ImpactResult) -> None:
    d = json.loads(json.dumps(village_impact.to_dict()))
    assert d["totals"]["to_BBB"]["buildings"] == 3
    assert d["routes"][0]["destination"] == "Synthetic town C"
    assert len(repr(village_impact)) < 200
    assert list(village_impact.to_frame().columns)[:3] == ["from_country", "to_country", "area_m2"]


@pytest.mark.parametrize(
    ("claim", "verdict"),
    [
        ("structures-3", "consistent"),
        ("structures-9", "inconsistent"),
        ("plots-5", "consistent"),
        ("plots-7", "inconsistent"),
        ("road-1.2km", "consistent"),
        ("road-400m", "inconsistent"),
        ("area-to-bbb", "consistent"),
    ],
)
def test_verify__village_claims(village: Path, claim: str, verdict: str) -> None:
    frame = _village_report(village)
    assert frame.loc[claim, "verdict"] == verdict, frame.loc[claim, "reason"]


_REPORTS: dict[Path, object] = {}


def _village_report(root: Path):  # one verify per module: it is the slow part
    if root not in _REPORTS:
        _REPORTS[root] = analyse(load_case(root), draws=0).to_frame()
    return _REPORTS[root]


def test_impact_claims__tolerance_parts_from_the_band_at_the_lines(village: Path) -> None:
    case = load_case(village)
    res = impact(case, measure(case))

    def claim(claim_id: str) -> tuple[float | None, dict[str, float], str]:
        c = res.claims[claim_id]
        return c.measured_si, dict(c.tolerance_parts_si), c.basis

    sigma = math.hypot(10, 5)  # combined accuracy of the lines, 11.18 m
    measured, parts, basis = claim("structures-3")
    # s60 and s40 lie within σ of the west edge: half of 2 may flip.
    assert (measured, parts["positional"]) == (3, 1.0)
    measured, parts, basis = claim("road-400m")
    # Road within σ of the rectangle's edges: 2σ at x = -500 and 2σ at y = 1000; half.
    assert parts["positional"] == pytest.approx(0.5 * 4 * sigma / K0, rel=1e-3)
    assert "length of road in handed-over land" in basis
    _, parts, _ = claim("plots-5")
    # p5-half (200 m × 400 m) has 2σ × 400 m within σ of x = -500: share 2σ/200, half of it.
    assert parts["positional"] == pytest.approx(0.5 * 2 * sigma / 200, rel=1e-3)


def test_verify__missing_impact_layer_is_named(tmp_path: Path, make_village) -> None:
    frame = analyse(load_case(make_village(tmp_path / "v", layers=("plots",))), draws=0).to_frame()
    assert frame.loc["structures-3", "verdict"] == "not computable"
    assert "buildings" in frame.loc["structures-3", "reason"]
    assert frame.loc["plots-5", "verdict"] == "consistent"


def test_impact__bad_arguments_are_named(village: Path) -> None:
    case = load_case(village)
    with pytest.raises(ParameterError, match=r"building_share=1\.5"):
        impact(case, building_share=1.5)
    with pytest.raises(CaseError, match="'Synthetic town Z'"):
        impact(case, routes=[("Synthetic village A", "Synthetic town Z")])


# Roads as OSM draws them: one way through a junction vertex, another crossing without one.
#   W "west road"   V(-1500, 0) - J(-1500, 1000) - (-1500, 2000): J is an interior vertex
#   T "tee"         J(-1500, 1000) - (-700, 1000): starts at W's interior vertex
#   N "north road"  (-1000, 400) - (-1000, 2600): crosses T at X(-1000, 1000), no vertex there
#   L "last mile"   (-1000, 2600) - Synthetic town C T(-300, 2600)
_OSM_ROADS = [
    ("W", [(-1500, 0), (-1500, 1000), (-1500, 2000)]),
    ("T", [(-1500, 1000), (-700, 1000)]),
    ("N", [(-1000, 400), (-1000, 2600)]),
    ("L", [(-1000, 2600), (-300, 2600)]),
]


@pytest.fixture(scope="module")
def osm_village(tmp_path_factory: pytest.TempPathFactory, make_village) -> Path:
    return make_village(tmp_path_factory.mktemp("osm") / "synthetic-osm-village", roads=_OSM_ROADS)


def test_impact__route_turns_at_shared_vertex_and_at_crossing(osm_village: Path) -> None:
    r = impact(load_case(osm_village), routes=[ROUTE]).routes.iloc[0]
    # V -> J along W (1000 m), turn at the T-junction onto T to X (500 m), turn at the
    # crossing onto N to (-1000, 2600) (1600 m), then L to T (700 m): 3800 m of grid, all
    # west of x = -500 (AAA before and after). Unnoded, V's road W touches nothing: no route.
    # (abs 5 cm: X is found on the lon/lat segments, about 1 cm from the grid's crossing.)
    assert r.in_country_before_m == pytest.approx(3800 / K0, abs=0.05)
    assert r.in_country_after_m == pytest.approx(3800 / K0, abs=0.05)
    assert r.shortest_m == pytest.approx(3800 / K0, abs=0.05)
    assert r.extra_m == pytest.approx(0, abs=1e-6)
    assert r.note == ""


def test_impact__noding_splits_roads_at_shared_vertices_and_crossings() -> None:
    from shapely import LineString, MultiLineString

    from borderkit._impact import _noded

    roads = np.array(
        [LineString([(0, 0), (0, 1), (0, 2)]), LineString([(0, 1), (1, 1)]), LineString([(0.5, 0.5), (0.5, 2)])],
        dtype=object,
    )
    noded = MultiLineString(list(_noded(roads)))
    # W splits at its vertex (0, 1); T and N split where they cross, at (0.5, 1).
    assert noded.normalize().equals(
        MultiLineString(
            [
                [(0, 0), (0, 1)],
                [(0, 1), (0, 2)],
                [(0, 1), (0.5, 1)],
                [(0.5, 1), (1, 1)],
                [(0.5, 0.5), (0.5, 1)],
                [(0.5, 1), (0.5, 2)],
            ]
        ).normalize()
    )
