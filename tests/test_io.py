"""The one writer (borderkit/_io.py): short temporary names, inputs refused, all or nothing."""

from __future__ import annotations

import errno
import os
import signal
from pathlib import Path

import pytest

from borderkit._io import TMP_PREFIX, atomic_output, atomic_outputs, check_writable, os_error, write_text_atomic
from borderkit.errors import ExportError


def _left_behind(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.rglob(f"{TMP_PREFIX}*"))


def test_atomic_output__a_250_byte_name_fits_because_the_temporary_name_is_short(tmp_path: Path) -> None:
    # 242 + len(".geojson") = 250 bytes: legal on ext4/tmpfs (255), and a long temporary
    # name such as ".<stem>.<random>.geojson" would be 259 bytes.
    target = tmp_path / ("a" * 242 + ".geojson")
    assert len(os.fsencode(target.name)) == 250
    with atomic_output(target) as tmp:
        assert len(os.fsencode(tmp.name)) < 32
        assert tmp.parent == tmp_path
        tmp.write_text("{}")
    assert target.read_text() == "{}"
    assert _left_behind(tmp_path) == []


def test_atomic_output__a_name_too_long_is_one_line_naming_the_fix(tmp_path: Path) -> None:
    target = tmp_path / ("a" * 300 + ".geojson")
    with pytest.raises(ExportError, match=r"file name is too long.*Choose a shorter name") as info:
        write_text_atomic(target, "x")
    assert "\n" not in str(info.value)


@pytest.mark.parametrize("name", ["new_line.geojson", "roads.shp", "roads.dbf", "roads.shx", "roads.prj", "roads.cpg"])
def test_check_writable__refuses_an_input_and_a_shapefile_inputs_sidecars(tmp_path: Path, name: str) -> None:
    for f in ("new_line.geojson", "roads.shp", "roads.dbf", "roads.shx", "roads.prj", "roads.cpg"):
        (tmp_path / f).write_text("input")
    inputs = [tmp_path / "new_line.geojson", tmp_path / "roads.shp"]
    with pytest.raises(ExportError, match="is an input file of the case"):
        check_writable(tmp_path / name, overwrite=True, inputs=inputs)
    with pytest.raises(ExportError, match="is an input file of the case"):
        write_text_atomic(tmp_path / name, "output", overwrite=True, inputs=inputs)
    assert (tmp_path / name).read_text() == "input"


def test_atomic_output__no_overwrite_fails_if_the_target_appears_while_writing(tmp_path: Path) -> None:
    # A concurrent writer publishes first: os.link refuses, the other file stays whole.
    target = tmp_path / "out.txt"
    with pytest.raises(ExportError, match=r"already exists .another process"), atomic_output(target) as tmp:  # noqa: PT012 - the fault is injected inside the writer's block
        tmp.write_text("mine")
        target.write_text("theirs")
    assert target.read_text() == "theirs"
    assert _left_behind(tmp_path) == []


def test_atomic_outputs__a_failed_publish_undoes_the_ones_already_published(tmp_path: Path) -> None:
    a, b = tmp_path / "a.txt", tmp_path / "b.txt"
    with pytest.raises(ExportError), atomic_outputs([a, b]) as (ta, tb):  # noqa: PT012 - the fault is injected inside the writer's block
        ta.write_text("A")
        tb.write_text("B")
        b.write_text("someone else's")  # b's publish now fails; a was not published yet
    assert not a.exists()
    assert b.read_text() == "someone else's"
    assert _left_behind(tmp_path) == []


def test_atomic_outputs__overwrite_restores_replaced_files_when_a_later_publish_fails(tmp_path: Path) -> None:
    a, b = tmp_path / "a.txt", tmp_path / "sub" / "b.txt"
    a.write_text("old A")
    (tmp_path / "sub").mkdir()
    with pytest.raises(ExportError), atomic_outputs([a, b], overwrite=True) as (ta, tb):  # noqa: PT012 - the fault is injected inside the writer's block
        ta.write_text("new A")
        tb.write_text("new B")
        (tmp_path / "sub").rename(tmp_path / "gone")  # b's folder vanishes: its publish fails
    assert a.read_text() == "old A"
    assert sorted(p.name for p in tmp_path.glob(f"{TMP_PREFIX}*")) == []


def test_atomic_outputs__an_error_while_writing_leaves_nothing_and_no_sidecar(tmp_path: Path) -> None:
    with pytest.raises(RuntimeError, match="writer broke"), atomic_output(tmp_path / "x.shp") as tmp:  # noqa: PT012 - the fault is injected inside the writer's block
        tmp.write_text("shp")
        tmp.with_suffix(".dbf").write_text("dbf")
        (tmp_path / (tmp.name + ".d")).mkdir()
        raise RuntimeError("writer broke")
    assert list(tmp_path.iterdir()) == []


def test_atomic_output__installs_signal_handlers_only_while_writing(tmp_path: Path) -> None:
    before = {s: signal.getsignal(s) for s in (signal.SIGINT, signal.SIGTERM)}
    with atomic_output(tmp_path / "a.txt") as tmp:
        assert signal.getsignal(signal.SIGTERM) is not before[signal.SIGTERM]
        tmp.write_text("a")
    assert {s: signal.getsignal(s) for s in before} == before


def test_atomic_output__sigint_removes_the_temporary_file_then_raises_keyboard_interrupt(tmp_path: Path) -> None:
    target = tmp_path / "a.txt"
    with pytest.raises(KeyboardInterrupt), atomic_output(target) as tmp:  # noqa: PT012 - the fault is injected inside the writer's block
        tmp.write_text("half")
        signal.raise_signal(signal.SIGINT)
    assert list(tmp_path.iterdir()) == []
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler


@pytest.mark.parametrize(
    ("code", "words"),
    [
        (errno.ENOSPC, "the disk is full"),
        (errno.EROFS, "the folder is on a read-only file system"),
        (errno.EACCES, "permission denied"),
        (errno.ENAMETOOLONG, "the file name is too long"),
    ],
)
def test_os_error__is_one_line_with_the_path_and_a_fix(code: int, words: str) -> None:
    err = os_error(Path("/x/out.gpkg"), OSError(code, os.strerror(code)))
    text = str(err)
    assert text.startswith("/x/out.gpkg: cannot be written: " + words)
    assert "nothing was written" in text
    assert "\n" not in text
