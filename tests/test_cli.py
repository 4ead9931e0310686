"""The command line: output, exit codes, one-line errors."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from typer.testing import CliRunner

from borderkit.cli import app

runner = CliRunner()


def test_cases__lists_the_shipped_case() -> None:
    result = runner.invoke(app, ["cases"])
    assert result.exit_code == 0
    assert result.stdout.startswith("tavush-2024\t")


def test_verify__default_case_prints_the_claims_table() -> None:
    result = runner.invoke(app, ["verify"])
    assert result.exit_code == 0, result.output
    for claim in ("length-total-12.7", "stretch-kirants", "area-to-aze", "plots"):
        assert claim in result.stdout
    assert "not computable: no plots layer in this case" in result.stdout
    assert "© OpenStreetMap contributors" in result.stdout


def test_verify__json_is_one_document_with_claims(synthetic_case) -> None:
    result = runner.invoke(app, ["verify", str(synthetic_case()), "--json"])
    assert result.exit_code == 0, result.output
    doc = json.loads(result.stdout)
    assert doc["case"]["id"] == "synthetic-case"
    assert [c["id"] for c in doc["claims"]] == ["total", "area"]
    assert doc["claims"][0]["measured"]["unit"] == "km"


def test_verify__strict_exits_1_on_an_inconsistent_claim(synthetic_case) -> None:
    # The synthetic area claim (0.5 km2) is far from the strip lon 10.00-10.01, lat 0.04-0.06:
    # 0.01 deg x 0.02 deg at the equator = 1.113 km x 2.211 km = 2.46 km2. Quick look (--draws 0).
    assert runner.invoke(app, ["verify", str(synthetic_case()), "--strict", "--draws", "0"]).exit_code == 1
    assert runner.invoke(app, ["verify", str(synthetic_case()), "--draws", "0"]).exit_code == 0


AREA_3_KM2 = """
[[claims]]
id = "area-3"
quantity = "area"
direction = "BBB"
value = 3.0
unit = "km2"
"""


def test_verify__strict_exits_1_on_an_inconsistent_monte_carlo_verdict(tmp_path, make_village) -> None:
    # The synthetic village's new line bulges 500 m west over 2 km (conftest): 1.0 km2 goes
    # to BBB, not 3; 10 m line errors move that by hundredths of a km2, so the Monte Carlo
    # verdict (which --strict reads where there is one) is inconsistent.
    root = str(make_village(tmp_path / "v", layers=(), claims=AREA_3_KM2))
    doc = json.loads(runner.invoke(app, ["verify", root, "--json", "--draws", "200"]).stdout)
    assert doc["claims"][0]["statistical"]["verdict"] == "inconsistent"
    assert runner.invoke(app, ["verify", root, "--strict", "--draws", "200"]).exit_code == 1
    assert runner.invoke(app, ["verify", root, "--draws", "200"]).exit_code == 0


def test_errors__one_line_on_stderr_exit_2_no_traceback(tmp_path) -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "borderkit", "verify", str(tmp_path / "nowhere")], capture_output=True, text=True
    )
    assert proc.returncode == 2
    assert proc.stdout == ""
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1
    assert lines[0].startswith("borderkit: error: no case")
    assert "Traceback" not in proc.stderr


def test_errors__bad_case_toml_is_one_line(synthetic_case) -> None:
    root = synthetic_case()
    (root / "case.toml").write_text((root / "case.toml").read_text().replace('left = "AAA"', 'left = "XXX"', 1))
    result = runner.invoke(app, ["verify", str(root)])
    assert result.exit_code == 2
    assert "unknown country 'XXX'" in result.stderr


def test_convert__sk42_csv_to_geojson_prints_the_operation(tmp_path) -> None:
    src = Path(__file__).parent / "data" / "synthetic_turning_points_sk42.csv"
    out = tmp_path / "tp.geojson"
    result = runner.invoke(app, ["convert", str(src), "-o", str(out)])
    assert result.exit_code == 0, result.output
    assert "EPSG:15865" in result.stderr
    doc = json.loads(out.read_text())
    assert "crs" not in doc
    assert doc["features"][0]["properties"]["transformation"]["code"] == "EPSG:15865"
    # Second run refuses to replace the file, then --overwrite does.
    again = runner.invoke(app, ["convert", str(src), "-o", str(out)])
    assert again.exit_code == 2
    assert "--overwrite" in again.stderr
    assert runner.invoke(app, ["convert", str(src), "-o", str(out), "--overwrite"]).exit_code == 0


def test_verify__draws_print_intervals_and_same_seed_same_json(synthetic_case) -> None:
    root = str(synthetic_case())
    text = runner.invoke(app, ["verify", root, "--draws", "300"])
    assert text.exit_code == 0, text.output
    assert "95 % interval" in text.stdout
    assert "Monte Carlo, 300 draws" in text.stdout
    a = runner.invoke(app, ["verify", root, "--json", "--draws", "300", "--seed", "7"]).stdout
    b = runner.invoke(app, ["verify", root, "--json", "--draws", "300", "--seed", "7"]).stdout
    c = runner.invoke(app, ["verify", root, "--json", "--draws", "300", "--seed", "8"]).stdout
    assert a == b
    assert a != c
    claim = json.loads(a)["claims"][0]
    assert claim["interval"]["level"] == 0.95
    assert claim["interval"]["lo"] <= claim["interval"]["median"] <= claim["interval"]["hi"]
    assert "uncertainty" in json.loads(a)


def test_verify__draws_zero_prints_first_order_only(synthetic_case) -> None:
    result = runner.invoke(app, ["verify", str(synthetic_case()), "--draws", "0"])
    assert result.exit_code == 0
    assert "quick look only (--draws 0)" in result.stdout
    assert "Monte Carlo" not in result.stdout
    assert "How sure" not in result.stdout
    doc = json.loads(runner.invoke(app, ["verify", str(synthetic_case()), "--draws", "0", "--json"]).stdout)
    assert not any("interval" in c for c in doc["claims"])


def test_verify__village_case_prints_and_carries_impact(village) -> None:
    root = str(village)
    text = runner.invoke(app, ["verify", root, "--draws", "0"])
    assert text.exit_code in (0, 1), text.output
    assert "Impact (what lies in the handed-over land)" in text.stdout
    doc = json.loads(runner.invoke(app, ["verify", root, "--draws", "0", "--json"]).stdout)
    assert doc["impact"]["totals"]


def test_verify__tavush_json_has_no_impact_without_impact_layers() -> None:
    doc = json.loads(runner.invoke(app, ["verify", "--draws", "0", "--json"]).stdout)
    assert doc["impact"] is None


def test_report_and_export__take_draws_and_refuse_to_overwrite(tmp_path) -> None:
    out = tmp_path / "r.html"
    assert runner.invoke(app, ["report", "-o", str(out), "--draws", "0"]).exit_code == 0
    again = runner.invoke(app, ["report", "-o", str(out), "--draws", "0"])
    assert again.exit_code == 2
    assert "already exists" in again.stderr
    geo = tmp_path / "e.geojson"
    assert runner.invoke(app, ["export", "-o", str(geo), "--draws", "200", "--seed", "3"]).exit_code == 0
    assert json.loads(geo.read_text(encoding="utf-8"))["borderkit"]["case"] == "tavush-2024"


def test_errors__output_that_is_a_folder_is_refused(tmp_path) -> None:
    folder = tmp_path / "a.png"
    folder.mkdir()
    result = runner.invoke(app, ["map", "-o", str(folder), "--overwrite"])
    assert result.exit_code == 2
    assert "is a folder" in result.stderr


def test_errors__negative_seed_is_a_usage_error() -> None:
    assert runner.invoke(app, ["verify", "--seed", "-1", "--draws", "10"]).exit_code == 2


def test_cases__a_broken_case_on_borderkit_cases_says_does_not_load(tmp_path, monkeypatch) -> None:
    bad = tmp_path / "bom-case"
    bad.mkdir()
    (bad / "case.toml").write_bytes(b'\xef\xbb\xbfid = "bom-case"\n')
    monkeypatch.setenv("BORDERKIT_CASES", str(tmp_path))
    result = CliRunner().invoke(app, ["cases"])
    assert result.exit_code == 0, result.output
    line = next(x for x in result.output.splitlines() if x.startswith("bom-case"))
    assert "(does not load: " in line
    assert "byte-order mark" in line
    assert "tavush-2024" in result.output


def test_convert__names_no_transformation_for_wgs84_and_the_right_zone_for_gk_metres(tmp_path) -> None:
    from typer.testing import CliRunner

    runner = CliRunner()
    (tmp_path / "p.csv").write_text("lat,lon\n41.06,45.07\n", encoding="utf-8")
    res = runner.invoke(
        app, ["convert", str(tmp_path / "p.csv"), "-o", str(tmp_path / "p.geojson"), "--crs", "EPSG:4326"]
    )
    assert res.exit_code == 0
    assert "none none" not in res.output
    assert "already WGS 84" in res.output
    # Soviet order: x = 4 547 853 m northing, y = 8 504 938 m easting of zone 8 (prefix 8).
    (tmp_path / "g.csv").write_text("x,y\n4547853.21,8504938.23\n", encoding="utf-8")
    res = runner.invoke(
        app, ["convert", str(tmp_path / "g.csv"), "-o", str(tmp_path / "g.geojson"), "--crs", "EPSG:4326"]
    )
    assert res.exit_code == 2
    assert "EPSG:28408" in res.output
    assert "EPSG:28404" not in res.output
    res = runner.invoke(
        app, ["convert", str(tmp_path / "p.csv"), "-o", str(tmp_path / "h.geojson"), "--crs", "EPSG:4979"]
    )
    assert res.exit_code == 2
    assert "EPSG:4326" in res.output


def test_compare__output_refuses_to_replace_an_input_file(synthetic_case) -> None:
    # A case's line stored under a drawing's suffix (GDAL reads GeoJSON by its content):
    # `compare -o` with --overwrite must still never replace it, like every other writer.
    root = synthetic_case()
    (root / "new_line.geojson").rename(root / "new_line.svg")
    toml = root / "case.toml"
    toml.write_text(toml.read_text().replace('"new_line.geojson"', '"new_line.svg"'))
    before = (root / "new_line.svg").read_bytes()
    result = runner.invoke(
        app, ["compare", "new_line", "old_line", "--case", str(root), "-o", str(root / "new_line.svg"), "--overwrite"]
    )
    assert result.exit_code == 2
    assert "is an input file of the case" in result.stderr
    assert (root / "new_line.svg").read_bytes() == before
