"""Tests for borderkit._progress: a bar on a terminal's stderr, nothing anywhere else.

A real pseudo-terminal (``pty.openpty``) stands in for the terminal: what a bar writes is
read back from its other end. Nothing here is timed: a bar either appears or it does not.
"""

from __future__ import annotations

import fcntl
import io
import os
import pty
import select
import struct
import sys
import termios
from collections.abc import Callable, Iterator
from pathlib import Path

import geopandas as gpd
import pytest
from shapely import Point

import borderkit
import borderkit._progress as progress_module
from borderkit._export import _write_gdal
from borderkit._layers import ExportLayer
from borderkit._progress import ENV_VAR, Bar, _NoBar, enabled, progress


class _Terminal:
    """The two ends of a pty: ``file`` is the terminal a program writes to."""

    def __init__(self, columns: int) -> None:
        self.master, slave = pty.openpty()
        if columns:
            fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 24, columns, 0, 0))
        self.file = os.fdopen(slave, "w", encoding="utf-8", buffering=1)

    def read(self) -> str:
        """Everything written so far."""
        self.file.flush()
        chunks = []
        while select.select([self.master], [], [], 0.2)[0]:
            try:
                data = os.read(self.master, 65536)
            except OSError:  # the other end is closed
                break
            if not data:
                break
            chunks.append(data)
        return b"".join(chunks).decode("utf-8", errors="replace")

    def close(self) -> None:
        self.file.close()
        os.close(self.master)


@pytest.fixture(params=[100, 0], ids=["100-columns", "no-size"])
def terminal(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> Iterator[_Terminal]:
    """A pseudo-terminal, bars not turned off by the environment.

    A test puts sys.stderr on it itself (``_on(terminal, monkeypatch)``): pytest's own
    capture sets sys.stderr again between a fixture and the test.
    """
    term = _Terminal(request.param)
    monkeypatch.delenv(ENV_VAR, raising=False)
    yield term
    term.close()


def _on(term: _Terminal, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sys, "stderr", term.file)


def _run(bar_factory: Callable[[], Bar], steps: int = 4) -> None:
    with bar_factory() as bar:
        for _ in range(steps):
            bar.update(1)


def test_progress__off_when_stderr_is_not_a_terminal(monkeypatch: pytest.MonkeyPatch, capfd) -> None:
    monkeypatch.delenv(ENV_VAR, raising=False)
    err = io.StringIO()  # isatty() is False, as under pytest, in a notebook or a pipe
    monkeypatch.setattr(sys, "stderr", err)
    assert not enabled()
    bar = progress(4, "synthetic step", "step", delay_s=0)
    assert isinstance(bar, _NoBar)
    _run(lambda: progress(4, "synthetic step", "step", delay_s=0))
    assert err.getvalue() == ""
    assert capfd.readouterr() == ("", "")


def test_progress__on_when_stderr_is_a_terminal(terminal: _Terminal, monkeypatch: pytest.MonkeyPatch, capfd) -> None:
    _on(terminal, monkeypatch)
    assert enabled()
    _run(lambda: progress(4, "synthetic step", "step", delay_s=0))
    shown = terminal.read()
    assert "synthetic step" in shown
    assert "/4 [" in shown  # the total (the count itself is redrawn at most every 0.1 s)
    assert capfd.readouterr().out == ""  # nothing on stdout


def test_progress__on_when_isatty_says_so(monkeypatch: pytest.MonkeyPatch, capfd) -> None:
    # The decision is sys.stderr.isatty(), whatever the stream is.
    monkeypatch.delenv(ENV_VAR, raising=False)
    err = io.StringIO()
    monkeypatch.setattr(err, "isatty", lambda: True)
    monkeypatch.setattr(sys, "stderr", err)
    _run(lambda: progress(3, "synthetic step", "step", delay_s=0))
    assert "/3 [" in err.getvalue()
    assert capfd.readouterr().out == ""


@pytest.mark.parametrize("value", ["0", "off", "False", " no "])
def test_progress__environment_variable_turns_it_off(
    terminal: _Terminal, monkeypatch: pytest.MonkeyPatch, value: str
) -> None:
    _on(terminal, monkeypatch)
    monkeypatch.setenv(ENV_VAR, value)
    assert not enabled()
    assert not enabled(show=True)  # the environment wins over the caller
    assert isinstance(progress(4, "synthetic step", "step", delay_s=0, show=True), _NoBar)
    _run(lambda: progress(4, "synthetic step", "step", delay_s=0))
    assert "synthetic step" not in terminal.read()


def test_progress__other_environment_values_leave_it_on(terminal: _Terminal, monkeypatch: pytest.MonkeyPatch) -> None:
    _on(terminal, monkeypatch)
    monkeypatch.setenv(ENV_VAR, "1")
    _run(lambda: progress(2, "synthetic step", "step", delay_s=0))
    assert "/2 [" in terminal.read()


def test_progress__show_parameter_forces_off_and_on(terminal: _Terminal, monkeypatch: pytest.MonkeyPatch) -> None:
    _on(terminal, monkeypatch)
    _run(lambda: progress(4, "synthetic off", "step", delay_s=0, show=False))
    assert "synthetic off" not in terminal.read()
    err = io.StringIO()
    monkeypatch.setattr(sys, "stderr", err)  # not a terminal: show=True still draws, on stderr
    _run(lambda: progress(4, "synthetic on", "step", delay_s=0, show=True))
    assert "synthetic on" in err.getvalue()


def test_progress__quick_steps_stay_silent_until_refreshed(
    terminal: _Terminal, monkeypatch: pytest.MonkeyPatch
) -> None:
    _on(terminal, monkeypatch)
    _run(lambda: progress(4, "synthetic quick", "step", delay_s=3600))
    assert "synthetic quick" not in terminal.read()
    with progress(4, "synthetic refreshed", "step", delay_s=3600) as bar:
        bar.refresh()
        assert "synthetic refreshed" in terminal.read()


def test_progress__chunked_updates_count_every_unit(terminal: _Terminal, monkeypatch: pytest.MonkeyPatch) -> None:
    _on(terminal, monkeypatch)
    # The docstring's pattern: 10 000 units, 1000 per chunk, the last chunk shorter.
    total, chunk = 10_250, 1_000
    with progress(total, "synthetic draws", "draw", delay_s=0) as bar:
        for start in range(0, total, chunk):
            bar.update(min(chunk, total - start))
        assert bar.n == total  # type: ignore[attr-defined]
    assert "synthetic draws" in terminal.read()


# ---------------------------------------------------------------- where bars are used


def test_load_case__shows_a_reading_bar_on_a_terminal_only(
    terminal: _Terminal, monkeypatch: pytest.MonkeyPatch, minimal_case, capfd
) -> None:
    folder = minimal_case()
    quiet = borderkit.load_case(folder)
    _on(terminal, monkeypatch)
    monkeypatch.setattr(progress_module, "DELAY_S", 0.0)
    shown = borderkit.load_case(folder)
    text = terminal.read()
    assert f"reading {quiet.id}" in text
    assert f"/{len(quiet.layers)} [" in text
    assert capfd.readouterr().out == ""
    assert list(shown.layers) == list(quiet.layers)
    for name, lay in quiet.layers.items():
        assert shown.layers[name].frame.geometry.equals(lay.frame.geometry)


def test_write_gdal__shows_a_bar_per_layer_and_writes_the_same_file(
    terminal: _Terminal, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    frame = gpd.GeoDataFrame({"name": ["synthetic"]}, geometry=[Point(10.0, 0.05)], crs="EPSG:4326")
    layers = [ExportLayer(n, frame, {}) for n in ("synthetic_a", "synthetic_b", "synthetic_c")]
    monkeypatch.setattr(sys, "stderr", io.StringIO())
    _write_gdal(layers, tmp_path / "quiet.gpkg", "GPKG")
    assert sys.stderr.getvalue() == ""  # type: ignore[attr-defined]
    _on(terminal, monkeypatch)
    monkeypatch.setattr(progress_module, "DELAY_S", 0.0)
    _write_gdal(layers, tmp_path / "shown.gpkg", "GPKG")
    assert "writing GPKG" in terminal.read()
    assert (tmp_path / "shown.gpkg").read_bytes() == (tmp_path / "quiet.gpkg").read_bytes()
