"""Loading and validating case folders."""

from __future__ import annotations

import json
import re
import tempfile
import warnings
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import borderkit
from borderkit.errors import BorderkitError, BorderkitWarning
from borderkit import CaseError, CaseNotFoundError, CoordinateError, InputError, list_cases, load_case
from borderkit.case import _precision_from_value


def test_load_case__shipped_tavush_has_its_pairs_layers_and_claims() -> None:
    case = load_case("tavush-2024")
    assert [p.id for p in case.pairs] == ["baghanis", "voskepar", "kirants", "berkaber"]
    assert {lay.role for lay in case.layers.values()} >= {
        "settlements",
        "new_line",
        "new_line_alt",
        "old_line",
        "extent",
    }
    claims = {c.id: c for c in case.claims}
    assert claims["length-total-12.7"].value_si == 12_700
    assert claims["length-total-12.7"].precision_si == pytest.approx(50)
    assert claims["length-total-12"].precision_si == pytest.approx(500)
    assert claims["area-to-aze"].value_si == pytest.approx(6.5e6)


def test_load_case__every_layer_records_provenance_and_accuracy() -> None:
    for lay in load_case("tavush-2024").layers.values():
        prov = lay.provenance()
        assert prov["source"], lay.name
        assert prov["licence"], lay.name
        assert prov["accuracy_m"] >= 0
        assert (load_case("tavush-2024").root / lay.path).is_file()


def test_settlements__members_without_coordinates_are_listed_not_guessed() -> None:
    s = load_case("tavush-2024").settlements()
    missing = set(s.loc[~s["has_coordinate"], "name"])
    assert missing == {"Kheyrimli", "Ghizilhajili"}
    assert s.loc[~s["has_coordinate"], "geometry"].isna().all()
    baghanis = s.loc[s["name"] == "Baghanis"].iloc[0]
    assert baghanis["accuracy_m"] == 535  # arc-minute rounding: 0.5′/√3 of latitude


def test_list_cases__includes_the_shipped_case() -> None:
    assert "tavush-2024" in list_cases()


def test_load_case__accepts_folder_and_case_toml_path(synthetic_case) -> None:
    root = synthetic_case()
    assert load_case(root).id == "synthetic-case"
    assert load_case(root / "case.toml").id == "synthetic-case"
    assert load_case(str(root)).id == "synthetic-case"


def test_load_case__unknown_id_lists_shipped_cases() -> None:
    with pytest.raises(CaseNotFoundError, match="tavush-2024"):
        load_case("no-such-case")


@pytest.mark.parametrize(("value", "expected"), [(12, 0.5), (12.7, 0.05), (1.9, 0.05), (6.25, 0.005), (12.0, 0.05)])
def test_precision__half_a_unit_of_the_last_digit_written(value, expected) -> None:
    assert _precision_from_value(value) == pytest.approx(expected)


def _edit(root: Path, old: str, new: str) -> None:
    text = (root / "case.toml").read_text()
    assert old in text, old
    (root / "case.toml").write_text(text.replace(old, new, 1))


@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
        ('path = "new_line.geojson"', 'path = "../new_line.geojson"', "leaves the case folder"),
        ('path = "new_line.geojson"', 'path = "/etc/passwd"', "absolute path"),
        ('path = "new_line.geojson"', 'path = "nope.geojson"', "no file 'nope.geojson'"),
        ('left = "AAA"', 'left = "ZZZ"', "unknown country 'ZZZ'"),
        ('left = "AAA"', "", "left: missing"),
        ('unit = "km2"', 'unit = "km"', "unit 'km' is not a area unit"),
        ('scope = "total"', 'scope = ["nowhere"]', "bad scope"),
        ('quantity = "length"', 'quantity = "volume"', "unknown quantity 'volume'"),
        ('role = "new_line"', 'role = "newline"', "unknown role 'newline'"),
        ("accuracy_m = 5", 'accuracy_m = "five"', "expected int or float, got 'five'"),
        ("accuracy_m = 5", "accuracy_m = -5", "accuracy_m: -5 is below 0"),
        ("accuracy_m = 5", "accuracy_m = nan", "not a finite number: nan"),
        ("value = 0.5", "value = inf", "not a finite number: inf"),
        ("value = 0.5", "value = -0.5", "value: -0.5 is below 0"),
        ('value = 0.5\nunit = "km2"', 'value = 0.5\nunit = "km2"\nprecision = -1', "precision: -1 is below 0"),
        ('role = "new_line"', 'role = "new_line"\nline_type = "rhumb"', "line_type: given for a 'new_line' layer"),
        ('left = "AAA"', 'left = "AAA"\noperation = 15865', "expected str, got 15865"),
        ("format = 1", "format = 2", "unsupported format 2"),
        (
            'unit = "km2"\n',
            'unit = "km2"\n\n[[checks]]\nid = "s"\nkind = "sum"\nparts = []\ntotal = "total"\n',
            "checks[0].parts: empty",
        ),
        ('AAA = "A-north"', 'AAA = "A-nort"', "'A-nort' is not in settlements.geojson, but 'A-north' is"),
        ('title = "Synthetic', 'titel = "Synthetic', "unknown key 'titel'"),
        ('direction = "BBB"', "", "direction: missing"),
        ('id = "synthetic-case"', 'id = "synthetic case"', "bad id"),
    ],
)
def test_load_case__bad_case_toml_names_key_value_and_fix(synthetic_case, old, new, message) -> None:
    root = synthetic_case()
    _edit(root, old, new)
    with pytest.raises(CaseError, match=re.escape(message)) as info:
        load_case(root)
    assert "case.toml" in str(info.value)


def test_load_case__second_new_line_layer_is_refused(synthetic_case) -> None:
    root = synthetic_case(
        extra_toml="""
        [layers.another]
        role = "new_line"
        path = "old_line.geojson"
        crs = "EPSG:4326"
        accuracy_m = 5
        left = "AAA"
    """
    )
    with pytest.raises(CaseError, match="a second 'new_line' layer"):
        load_case(root)


def test_load_case__invalid_toml_says_where(synthetic_case) -> None:
    root = synthetic_case()
    (root / "case.toml").write_text((root / "case.toml").read_text() + "\n[[claims]\n")
    with pytest.raises(CaseError, match="not valid TOML"):
        load_case(root)


def test_load_case__wrong_geometry_kind_names_feature(synthetic_case) -> None:
    root = synthetic_case()
    _edit(root, 'path = "extent.geojson"', 'path = "settlements.geojson"')
    with pytest.raises(CaseError, match="feature 1 is a 'Point'"):
        load_case(root)


def test_load_case__unreadable_data_file_names_layer_and_file(synthetic_case) -> None:
    root = synthetic_case()
    (root / "new_line.geojson").write_text("this is not geojson")
    with pytest.raises(InputError, match=r"layers\.new_line: .*new_line\.geojson"):
        load_case(root)


def test_load_case__never_modifies_input_files(synthetic_case) -> None:
    root = synthetic_case()
    before = {p.name: p.read_bytes() for p in root.iterdir()}
    load_case(root)
    assert {p.name: p.read_bytes() for p in root.iterdir()} == before


def test_load_case__unknown_settlement_in_accuracy_table(synthetic_case) -> None:
    root = synthetic_case(
        extra_toml="""
        [layers.settlements.accuracy_m_by_name]
        "Atlantis" = 10
    """
    )
    # The table must follow [layers.settlements]: move it there.
    text = (root / "case.toml").read_text()
    block = '\n[layers.settlements.accuracy_m_by_name]\n"Atlantis" = 10\n'
    text = text.replace(block, "").replace('licence = "CC0"\n', 'licence = "CC0"\n' + block, 1)
    (root / "case.toml").write_text(text)
    with pytest.raises(CaseError, match="no settlement 'Atlantis'"):
        load_case(root)


def test_load_case__bounds_catch_swapped_lat_lon_with_row(synthetic_case) -> None:
    root = synthetic_case()
    text = (root / "case.toml").read_text()
    (root / "case.toml").write_text(
        text.replace('title = "Synthetic', 'bounds = [9.9, -0.1, 10.1, 0.2]\ntitle = "Synthetic', 1)
    )
    assert load_case(root).id == "synthetic-case"  # the synthetic data lies inside
    settlements = (root / "settlements.geojson").read_text()
    # Row 2 (B-north, 10.005E 0.05N) written lat, lon: (0.05, 10.005).
    (root / "settlements.geojson").write_text(settlements.replace("[10.005, 0.05]", "[0.05, 10.005]"))
    with pytest.raises(CoordinateError, match=r"(?s)layers\.settlements.*row 2.*swapped"):
        load_case(root)


def test_load_case__bad_bounds_value(synthetic_case) -> None:
    root = synthetic_case()
    text = (root / "case.toml").read_text()
    (root / "case.toml").write_text(
        text.replace('title = "Synthetic', 'bounds = [10.1, 0, 9.9, 0.2]\ntitle = "Synthetic', 1)
    )
    with pytest.raises(CaseError, match=re.escape("bad bounds [10.1, 0, 9.9, 0.2]")):
        load_case(root)


def test_load_case__real_case_must_name_source_and_licence(synthetic_case) -> None:
    root = synthetic_case()
    _edit(root, "synthetic = true\n", "")
    # The synthetic settlements name source and licence; the new line names only a source.
    with pytest.raises(CaseError, match=r"layers\.new_line\.licence: missing") as info:
        load_case(root)
    assert "synthetic = true" in str(info.value)


def test_load_case__synthetic_flag_is_recorded(synthetic_case) -> None:
    assert load_case(synthetic_case()).synthetic is True
    assert load_case("tavush-2024").synthetic is False


def test_layer_union__keeps_the_direction_of_most_of_the_line(synthetic_case, write_geojson) -> None:
    # Synthetic new line in two features: a long piece drawn north to south (lat 0.1 to
    # 0.01) and a short piece drawn south to north (0.0 to 0.01). shapely's undirected
    # merge returns them as one line running south to north; most of the line (0.09 deg
    # of 0.1) runs north to south, so the merged line must too, or `left` would flip.
    root = synthetic_case()
    write_geojson(
        root / "new_line.geojson",
        ("LineString", [[10.0, 0.1], [10.0, 0.05], [10.0, 0.01]]),
        ("LineString", [[10.0, 0.0], [10.0, 0.01]]),
    )
    line = load_case(root).layer("new_line").union()
    assert line.geom_type == "LineString"
    assert line.coords[0][1] > line.coords[-1][1]


def test_load_case__empty_layer_is_refused(synthetic_case, write_geojson) -> None:
    root = synthetic_case()
    write_geojson(root / "old_line.geojson")
    with pytest.raises(CaseError, match=r"layers\.old_line: the file has no features"):
        load_case(root)


def test_load_case__self_crossing_extent_names_the_problem(synthetic_case, write_geojson) -> None:
    root = synthetic_case()
    bowtie = [[9.95, 0.0], [10.05, 0.1], [10.05, 0.0], [9.95, 0.1], [9.95, 0.0]]  # synthetic, crosses itself
    write_geojson(root / "extent.geojson", ("Polygon", [bowtie]))
    with pytest.raises(CaseError, match=r"layers\.extent: feature 1 is not a valid polygon \(Self-intersection"):
        load_case(root)


# ---------------------------------------------------------------------- issue 14: wrong types, bad geometry


def _toml_value(v: object) -> str:
    """``v`` written as a TOML value (the few types the strategies make)."""
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, float):
        return "nan" if v != v else ("inf" if v == float("inf") else "-inf" if v == float("-inf") else repr(v))
    if isinstance(v, int):
        return str(v)
    if isinstance(v, str):
        return json.dumps(v)
    if isinstance(v, list):
        return "[" + ", ".join(_toml_value(x) for x in v) + "]"
    assert isinstance(v, dict)
    return "{ " + ", ".join(f"{k} = {_toml_value(x)}" for k, x in v.items()) + " }"


_SCALARS = st.one_of(
    st.integers(-(2**63), 2**63 - 1),
    st.floats(allow_nan=True, allow_infinity=True),
    st.booleans(),
    st.text(alphabet="abcAAA-_ 1", max_size=6),
)
_VALUES = st.one_of(
    _SCALARS,
    st.lists(_SCALARS, max_size=3),
    st.lists(st.lists(_SCALARS, max_size=2), min_size=1, max_size=2),
    st.dictionaries(st.sampled_from(["a", "code", "id"]), _SCALARS, max_size=2),
)
# (line of MINIMAL_TOML to replace, key as the message names it, how to write the new value)
_SLOTS = [
    ('id = "synthetic-no-old-line"', "id", "id = {}"),
    ('title = "SYNTHETIC case with no old line (test data, not a real border)"', "title", "title = {}"),
    ('[[countries]]\ncode = "AAA"\nname = "Synthland"\n\n[[countries]]\ncode = "BBB"\nname = "Testonia"\n',
     "countries", "countries = {}\n"),
    ('code = "AAA"', "countries[0].code", "code = {}"),
    ('[[pairs]]\nid = "p1"\nAAA = "Synthetic North A"\nBBB = "Synthetic South B"\n', "pairs", "pairs = {}\n"),
    ('AAA = "Synthetic North A"', "pairs[0]", "AAA = {}"),
    ('accuracy_m = 5', "layers.new_line.accuracy_m", "accuracy_m = {}"),
    ('left = "AAA"', "layers.new_line.left", "left = {}"),
    ('crs = "EPSG:4326"\naccuracy_m = 10', "layers.settlements.crs", "crs = {}\naccuracy_m = 10"),
    ('scope = "total"', "claims[0] (length-total).scope", "scope = {}"),
    ('value = 3', "claims[0] (length-total).value", "value = {}"),
    ('value = 3', "claims[0] (length-total).precision", "value = 3\nprecision = {}"),
    ('unit = "km"', "claims[0] (length-total).unit", 'unit = "km"\n\n[[checks]]\nid = "c"\nkind = "sum"\nparts = {}\n'
     'total = "length-total"'),
]


@settings(max_examples=30, deadline=None)
@given(slot=st.sampled_from(_SLOTS), value=_VALUES)
def test_load_case__any_value_of_any_type_is_a_case_error_naming_the_key_or_loads(
    write_minimal_case, slot: tuple[str, str, str], value: object
) -> None:
    old, key, template = slot
    root = write_minimal_case(Path(tempfile.mkdtemp()) / "case")
    toml = (root / "case.toml").read_text()
    assert old in toml
    (root / "case.toml").write_text(toml.replace(old, template.format(_toml_value(value)), 1))
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", BorderkitWarning)
            case = borderkit.load_case(root)
    except BorderkitError as err:
        text = str(err)
        assert "\n" not in text
        # The message names the key (a parse error names the line instead).
        top = key.split(".")[0].split("[")[0]
        assert top in text or "not valid TOML" in text, text
    else:
        assert case.id  # a clean result: the value was of a type that is allowed there


@pytest.mark.parametrize(
    ("old", "new", "words"),
    [
        ('[[countries]]\ncode = "AAA"\nname = "Synthland"\n\n[[countries]]\ncode = "BBB"\nname = "Testonia"\n',
         "countries = [1, 2]\n", "countries[0]: expected a table, got 1"),
        ('scope = "total"', 'scope = [["p1"]]', "scope: bad scope [['p1']]"),
        ('value = 3', "value = 1e308", "value: 1e+308 is above the largest allowed, 1e+12"),
        ('value = 3', "value = 3\nprecision = 1e308", "precision: 1e+308 is above the largest allowed, 1e+12"),
        ('accuracy_m = 5', "accuracy_m = 1e308", "accuracy_m: 1e+308 is above the largest allowed, 2e+07"),
        ('accuracy_m = 5', "accuracy_m = inf", "accuracy_m: not a finite number: inf"),
        ('unit = "km"',
         'unit = "km"\n[[checks]]\nid = "c"\nkind = "sum"\nparts = [["length-total"]]\ntotal = "length-total"',
         "checks[0].parts: expected a list of text"),
        ('unit = "km"',
         'unit = "km"\n' + '[[checks]]\nid = "c"\nkind = "equal"\nclaims = ["length-total", "length-total"]\n' * 2,
         "checks[1].id: repeated check id 'c'"),
    ],
)
def test_load_case__wrong_values_from_the_reliability_corpus_are_case_errors(
    minimal_case, old: str, new: str, words: str
) -> None:
    root = minimal_case()
    toml = (root / "case.toml").read_text()
    (root / "case.toml").write_text(toml.replace(old, new, 1))
    with pytest.raises(CaseError) as info:
        borderkit.load_case(root)
    assert words in str(info.value)


def test_load_case__a_utf8_bom_is_named_as_such(minimal_case) -> None:
    root = minimal_case()
    (root / "case.toml").write_bytes(b"\xef\xbb\xbf" + (root / "case.toml").read_bytes())
    with pytest.raises(CaseError, match=r"byte-order mark \(BOM\).*without BOM"):
        borderkit.load_case(root)


def test_load_case__a_settlement_of_a_third_country_is_a_case_error(minimal_case) -> None:
    root = minimal_case()
    doc = json.loads((root / "settlements.geojson").read_text())
    doc["features"][1]["properties"]["country"] = "GEO"
    (root / "settlements.geojson").write_text(json.dumps(doc))
    with pytest.raises(CaseError, match=r"feature 2 .'Synthetic South B'. has country = 'GEO', not a country"):
        borderkit.load_case(root)


def _line_fc(coords: list) -> str:
    geom = {"type": "LineString", "coordinates": coords}
    return json.dumps({"type": "FeatureCollection", "features": [{"type": "Feature", "properties": {},
                                                                     "geometry": geom}]})  # fmt: skip


@pytest.mark.parametrize(
    ("coords", "words"),
    [
        ([], "feature 1 is an empty LineString"),
        ([[10.0, 50.0]], "A LineString needs two or more vertices"),
    ],
)
def test_load_case__an_empty_or_one_vertex_line_names_the_layer_and_file(minimal_case, coords, words) -> None:
    root = minimal_case()
    (root / "new_line.geojson").write_text(_line_fc(coords))
    with pytest.raises(BorderkitError) as info:
        borderkit.load_case(root)
    assert "layers.new_line" in str(info.value)
    assert words in str(info.value)
    assert "\n" not in str(info.value)


def test_load_case__an_empty_kml_coordinates_element_is_a_case_error(minimal_case) -> None:
    root = minimal_case()
    (root / "new_line.kml").write_text(
        '<?xml version="1.0"?><kml xmlns="http://www.opengis.net/kml/2.2"><Document><Placemark><LineString>'
        "<coordinates></coordinates></LineString></Placemark></Document></kml>"
    )
    toml = (root / "case.toml").read_text().replace('path = "new_line.geojson"', 'path = "new_line.kml"')
    (root / "case.toml").write_text(toml)
    with pytest.raises(CaseError, match=r"layers.new_line: feature 1 is an empty LineString"):
        borderkit.load_case(root)


def test_analyse__a_self_crossing_line_warns_once_and_the_json_keeps_it(minimal_case) -> None:
    root = minimal_case()
    # SYNTHETIC figure-eight: the second and fourth edges cross near (10.0, 50.0).
    (root / "new_line.geojson").write_text(_line_fc([[9.95, 50.0], [10.05, 50.01], [10.05, 49.99], [9.96, 50.01]]))
    with pytest.warns(BorderkitWarning, match=r"layers.new_line: feature 1 crosses itself") as seen:
        report = borderkit.analyse(root, draws=0)
    assert len([w for w in seen if issubclass(w.category, BorderkitWarning)]) == 1
    assert len(report.warnings) == 1
    assert "crosses itself" in report.warnings[0]
    assert report.to_dict()["warnings"] == list(report.warnings)


def test_load_case__an_extent_that_misses_both_lines_warns(minimal_case) -> None:
    root = minimal_case()
    ring = [[0.0, 0.0], [0.1, 0.0], [0.1, 0.1], [0.0, 0.1], [0.0, 0.0]]  # SYNTHETIC, far from the lines at 50°N
    feature = {"type": "Feature", "properties": {}, "geometry": {"type": "Polygon", "coordinates": [ring]}}
    doc = {"type": "FeatureCollection", "features": [feature]}
    (root / "extent.geojson").write_text(json.dumps(doc))
    toml = (root / "case.toml").read_text() + (
        '\n[layers.extent]\nrole = "extent"\npath = "extent.geojson"\ncrs = "EPSG:4326"\naccuracy_m = 0\n'
    )
    (root / "case.toml").write_text(toml)
    with pytest.warns(BorderkitWarning, match=r"layers.extent: the extent misses new_line"):
        case = borderkit.load_case(root)
    assert len(case.warnings) == 1


def test_load_case__an_unclosed_extent_ring_is_a_geometry_error(minimal_case) -> None:
    root = minimal_case()
    ring = [[9.9, 49.9], [10.2, 49.9], [10.2, 50.1], [9.9, 50.1]]  # not closed
    feature = {"type": "Feature", "properties": {}, "geometry": {"type": "Polygon", "coordinates": [ring]}}
    doc = {"type": "FeatureCollection", "features": [feature]}
    (root / "extent.geojson").write_text(json.dumps(doc))
    extent = '\n[layers.extent]\nrole = "extent"\npath = "extent.geojson"\ncrs = "EPSG:4326"\naccuracy_m = 0\n'
    (root / "case.toml").write_text((root / "case.toml").read_text() + extent)
    with pytest.raises(BorderkitError, match=r"layers.extent: .*extent.geojson: .*Close every polygon ring"):
        borderkit.load_case(root)


_COORD = st.one_of(st.floats(9.9, 10.2), st.sampled_from([float("nan"), float("inf")]))


@settings(max_examples=30, deadline=None)
@given(coords=st.lists(st.tuples(_COORD, st.floats(49.9, 50.1)), max_size=5), closed=st.booleans())
def test_load_case__any_new_line_is_an_error_naming_the_layer_or_a_clean_result(write_minimal_case, coords, closed):
    root = write_minimal_case(Path(tempfile.mkdtemp()) / "case")
    pts = [list(c) for c in coords] + ([list(coords[0])] if closed and coords else [])
    (root / "new_line.geojson").write_text(_line_fc(pts))
    with warnings.catch_warnings(record=True) as seen:
        warnings.simplefilter("always")
        try:
            report = borderkit.analyse(root, draws=0)
        except BorderkitError as err:
            text = str(err)
        else:
            text = ""
    if text:
        assert "new_line" in text, text
        assert "\n" not in text
        return
    # A clean result: every warning is a BorderkitWarning the report keeps.
    assert {str(w.message) for w in seen} <= set(report.warnings)
    assert report.measurements.total_length_m >= 0
