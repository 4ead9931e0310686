"""Fault injection: a full disk, a read-only folder, SIGINT/SIGTERM mid-write, two writers at once.

Each test checks that nothing is left behind (no ``.bk-*`` temporary file, no partial
output) and that the case's input files are byte-for-byte unchanged (SHA-256 before
and after). The full-disk and read-only tests mount a small tmpfs and so need root;
without it they are skipped with the reason.
"""

from __future__ import annotations

import hashlib
import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

import borderkit
from borderkit._io import TMP_PREFIX
from borderkit.errors import ExportError

REPO = Path(__file__).resolve().parents[1]


def _hashes(folder: Path) -> dict[str, str]:
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(folder.iterdir()) if p.is_file()}


def _temporaries(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.rglob(f"{TMP_PREFIX}*"))


def _mount_tmpfs(folder: Path, options: str) -> None:
    if os.geteuid() != 0:
        reason = "mounting a tmpfs needs root; run the suite as root (as .ci/run does) to inject this fault"
        print(reason)
        pytest.skip(reason)
    folder.mkdir(parents=True, exist_ok=True)
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", options, "tmpfs", str(folder)], capture_output=True, text=True)
    if done.returncode != 0:
        reason = f"mount -t tmpfs failed ({done.stderr.strip()}): no CAP_SYS_ADMIN in this container"
        print(reason)
        pytest.skip(reason)


@pytest.fixture
def tmpfs(tmp_path: Path) -> Iterator[callable]:  # type: ignore[valid-type]
    mounted: list[Path] = []

    def mount(size: str, *, read_only: bool = False) -> Path:
        folder = tmp_path / f"mnt{len(mounted)}"
        _mount_tmpfs(folder, f"size={size}" + (",ro" if read_only else ""))
        mounted.append(folder)
        return folder

    yield mount
    for folder in mounted:
        subprocess.run(["umount", str(folder)], check=False)


@pytest.fixture
def case_dir(minimal_case) -> Path:  # type: ignore[no-untyped-def]
    return minimal_case()


def test_full_disk__export_report_and_web_map_fail_in_one_line_and_leave_nothing(tmpfs, case_dir: Path) -> None:
    before = _hashes(case_dir)
    report = borderkit.analyse(case_dir, draws=0)
    disk = tmpfs("64k")
    outputs = [
        (borderkit.export, "out.gpkg"),
        (borderkit.export, "out.shp.zip"),
        (borderkit.write_report, "report.html"),
        (borderkit.save_web_map, "map.html"),
        (borderkit.save_map, "map.png"),
    ]
    for write, name in outputs:
        with pytest.raises(ExportError, match=r"disk is full|No space left") as info:
            write(report, disk / name)
        assert "\n" not in str(info.value)
        assert sorted(os.listdir(disk)) == [], name
    assert _hashes(case_dir) == before


def test_full_disk__save_maps_is_all_or_nothing_when_only_the_first_map_fits(tmpfs, case_dir: Path) -> None:
    report = borderkit.analyse(case_dir, draws=0)
    from borderkit._plot import render_map

    first = len(render_map(report, fmt="png"))
    # Room for the overview (rounded up to 4 KiB pages) and not for the pair map too.
    disk = tmpfs(f"{(first // 4096 + 2) * 4096}")
    with pytest.raises(ExportError, match="disk is full"):
        borderkit.save_maps(report, disk)
    assert sorted(os.listdir(disk)) == []


def test_read_only_folder__every_writer_fails_in_one_line_exit_2(tmpfs, case_dir: Path) -> None:
    before = _hashes(case_dir)
    ro = tmpfs("1m", read_only=True)
    for args in (
        ["export", str(case_dir), "-o", str(ro / "out.gpkg")],
        ["export", str(case_dir), "-o", str(ro / "out.shp")],
        ["report", str(case_dir), "-o", str(ro / "r.html")],
        ["map", str(case_dir), "-o", str(ro / "m.png")],
        ["maps", str(case_dir), "-o", str(ro)],
    ):
        done = _cli(*args, "--draws", "0")
        assert done.returncode == 2, (args, done.stderr)
        assert done.stderr.count("\n") == 1
        assert "Traceback" not in done.stderr
        assert "read-only" in done.stderr, done.stderr
    assert sorted(os.listdir(ro)) == []
    assert _hashes(case_dir) == before


def _cli(*args: str, **kw: object) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    return subprocess.run([sys.executable, "-m", "borderkit", *args], capture_output=True, text=True, env=env,
                          timeout=300, **kw)  # type: ignore[call-overload]  # fmt: skip


def _big_case(root: Path, n: int = 60_000) -> Path:
    """SYNTHETIC: the minimal case with a zig-zag new line of ``n`` vertices, for long writes."""
    xs = [9.95 + 0.15 * i / (n - 1) for i in range(n)]
    ys = [50.0 + (0.0005 if i % 2 else -0.0005) for i in range(n)]
    line = {"type": "LineString", "coordinates": [[x, y] for x, y in zip(xs, ys, strict=True)]}
    doc = {"type": "FeatureCollection", "features": [{"type": "Feature", "properties": {}, "geometry": line}]}
    (root / "new_line.geojson").write_text(json.dumps(doc), encoding="utf-8")
    return root


@pytest.mark.parametrize(("signum", "returncode"), [(signal.SIGINT, 130), (signal.SIGTERM, -signal.SIGTERM)])
@pytest.mark.parametrize("name", ["out.gpkg", "map.html"])
def test_signal__during_a_long_write_removes_the_temporary_file_and_writes_nothing(
    tmp_path: Path, case_dir: Path, signum: int, returncode: int, name: str
) -> None:
    case = _big_case(case_dir)
    before = _hashes(case)
    out_dir = tmp_path / "out"
    out_dir.mkdir()
    command = "map" if name.endswith(".html") else "export"
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    args = [sys.executable, "-m", "borderkit", command, str(case), "-o", str(out_dir / name), "--draws", "0"]
    proc = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    try:
        deadline = time.monotonic() + 120
        while not _temporaries(out_dir):  # the writer has started once its temporary file exists
            assert proc.poll() is None, f"finished before it could be interrupted: {proc.communicate()}"
            assert time.monotonic() < deadline
            time.sleep(0.002)
        proc.send_signal(signum)
        _, stderr = proc.communicate(timeout=120)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == returncode, stderr
    assert "Traceback" not in stderr
    assert sorted(os.listdir(out_dir)) == []
    assert _hashes(case) == before


_RACER = """
import sys, time, pathlib, borderkit
case, target, ready, go = sys.argv[1:]
report = borderkit.analyse(case, draws=0)
pathlib.Path(ready).touch()
while not pathlib.Path(go).exists():
    time.sleep(0.001)
try:
    borderkit.export(report, target)
except borderkit.ExportError as err:
    print(err, file=sys.stderr)
    sys.exit(2)
"""


def test_concurrent_exports__without_overwrite_exactly_one_wins_and_the_file_is_whole(
    tmp_path: Path, case_dir: Path
) -> None:
    case = _big_case(case_dir, n=20_000)
    before = _hashes(case)
    target = tmp_path / "same.gpkg"
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    procs = [
        subprocess.Popen([sys.executable, "-c", _RACER, str(case), str(target), str(tmp_path / f"ready{i}"),
                          str(tmp_path / "go")], stderr=subprocess.PIPE, text=True, env=env)
        for i in range(2)
    ]
    deadline = time.monotonic() + 240
    while not all((tmp_path / f"ready{i}").exists() for i in range(2)):
        assert time.monotonic() < deadline
        assert all(p.poll() is None for p in procs)
        time.sleep(0.01)
    (tmp_path / "go").touch()  # both pass the exists check together, then write for seconds
    results = [(p.returncode, err) for p in procs for _, err in [p.communicate(timeout=240)]]
    codes = sorted(code for code, _ in results)
    assert codes == [0, 2], results
    loser = next(err for code, err in results if code == 2)
    assert "already exists" in loser
    assert loser.count("\n") == 1
    assert _temporaries(tmp_path) == []
    frame, _ = borderkit.read_layer(target, layer="new_line")
    assert len(frame.geometry.iloc[0].coords) == 20_000  # the winner's whole file
    assert _hashes(case) == before
