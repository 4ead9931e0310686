"""Atomic, no-surprise file output shared by every writer."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from borderkit.errors import ExportError

__all__ = ["atomic_output", "check_writable", "write_text_atomic"]


def check_writable(path: str | os.PathLike[str], *, overwrite: bool) -> Path:
    """Refuse to replace an existing file unless ``overwrite``; make sure the folder exists."""
    out = Path(path)
    if out.is_dir():
        msg = f"{out}: is a folder. Give a file name with its suffix, e.g. {out / 'out.geojson'}"
        raise ExportError(msg)
    if out.exists() and not overwrite:
        msg = f"{out}: already exists. To replace it, pass overwrite=True / --overwrite, or choose another path."
        raise ExportError(msg)
    if not out.parent.is_dir():
        msg = f"{out}: folder {str(out.parent)!r} does not exist. Create it first."
        raise ExportError(msg)
    return out


@contextmanager
def atomic_output(path: str | os.PathLike[str], *, overwrite: bool = False) -> Iterator[Path]:
    """Yield a temporary path beside ``path``; on success rename it onto ``path``.

    The temporary file keeps ``path``'s suffix, so GDAL drivers chosen by suffix work.
    On any error the temporary file is removed and ``path`` is left as it was.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> d = pathlib.Path(tempfile.mkdtemp())
    >>> with atomic_output(d / "a.txt") as tmp:
    ...     _ = tmp.write_text("hello")
    >>> (d / "a.txt").read_text()
    'hello'
    """
    out = check_writable(path, overwrite=overwrite)
    fd, tmp_name = tempfile.mkstemp(prefix=f".{out.stem}.", suffix=out.suffix, dir=out.parent)
    os.close(fd)
    tmp = Path(tmp_name)
    tmp.unlink()  # writers (GDAL) want to create the file themselves
    try:
        yield tmp
        if not tmp.exists():
            msg = f"{out}: the writer produced no file"
            raise ExportError(msg)
        try:
            os.replace(tmp, out)
        except OSError as err:
            msg = f"{out}: cannot be written ({err}); nothing was changed there."
            raise ExportError(msg) from err
    finally:
        if tmp.exists():
            tmp.unlink()
        # Shapefile and friends leave side-car files next to the temporary name.
        for side in out.parent.glob(f"{tmp.stem}.*"):
            side.unlink()


def write_text_atomic(path: str | os.PathLike[str], text: str, *, overwrite: bool = False) -> Path:
    """Write ``text`` (UTF-8) to ``path`` atomically."""
    with atomic_output(path, overwrite=overwrite) as tmp, open(tmp, "w", encoding="utf-8", newline="") as out:
        out.write(text)
        out.flush()
        os.fsync(out.fileno())
    return Path(path)


