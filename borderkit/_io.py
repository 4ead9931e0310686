"""The one writer: every file borderkit writes goes through :func:`atomic_outputs`.

What it promises, for one file or a set of files written together (the maps, a ``.shp``
set and its sidecars):

- each file is written under a short temporary name in its target folder
  (``.bk-<8 hex><suffix>``: a 250-byte target name still fits), then published;
- a target that is, or would replace, one of the case's inputs is refused before
  anything is written;
- without ``overwrite`` a file is published with :func:`os.link`, which fails if the
  target appeared meanwhile (another process writing the same name): "no overwrite"
  holds against a concurrent writer; with ``overwrite`` it is :func:`os.replace`;
- every temporary file is written before the first is published, and a failure while
  publishing undoes what this call published (replaced files come back): all or nothing,
  even on a full disk;
- ``OSError``s (read-only folder, full disk, name too long, no permission) become
  one-line :class:`~borderkit.ExportError`s that name the path and the fix;
- SIGINT and SIGTERM while writing remove the temporary files first, then act as before
  (``KeyboardInterrupt``, or the process ends by the signal).
"""

from __future__ import annotations

import errno
import os
import secrets
import shutil
import signal
import threading
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from types import FrameType
from typing import Any

from borderkit.errors import ExportError

__all__ = ["TMP_PREFIX", "atomic_output", "atomic_outputs", "check_writable", "write_bytes_atomic", "write_text_atomic"]

#: Every temporary name starts so (and a stray one is easy to spot and delete).
TMP_PREFIX = ".bk-"
#: Suffixes GDAL writes beside a ``.shp``: an input ``x.shp`` is all of them.
SHAPEFILE_SIDECARS = (".shp", ".shx", ".dbf", ".prj", ".cpg", ".qix", ".sbn", ".sbx", ".shp.xml")

_FIX = {
    errno.ENOSPC: ("the disk is full", "Free some space, or write to another disk"),
    errno.EDQUOT: ("the disk quota is used up", "Free some space, or write to another disk"),
    errno.EROFS: ("the folder is on a read-only file system", "Choose a folder you can write to"),
    errno.EACCES: ("permission denied", "Choose a folder you can write to, or change its permissions"),
    errno.EPERM: ("operation not permitted", "Choose a folder you can write to, or change its permissions"),
    errno.ENAMETOOLONG: ("the file name is too long", "Choose a shorter name (most file systems allow 255 bytes)"),
    errno.ENOENT: ("the folder does not exist", "Create it first"),
}


def os_error(path: Path, err: OSError) -> ExportError:
    """``err`` met while writing ``path`` as a one-line :class:`ExportError` with the fix."""
    why, fix = _FIX.get(err.errno or 0, (err.strerror or type(err).__name__, "Choose another path"))
    return ExportError(f"{path}: cannot be written: {why} (errno {err.errno}); nothing was written there. {fix}.")


def input_files(paths: Iterable[str | os.PathLike[str]]) -> frozenset[Path]:
    """The resolved paths of ``paths`` and, for a ``.shp``, of its sidecars (all are inputs)."""
    out: set[Path] = set()
    for p in paths:
        path = Path(p).resolve()
        out.add(path)
        if path.suffix.lower() == ".shp":
            stem = path.with_suffix("")
            out.update(Path(f"{stem}{ext}") for side in SHAPEFILE_SIDECARS for ext in (side, side.upper()))
    return frozenset(out)


def _refuse_inputs(out: Path, inputs: frozenset[Path]) -> None:
    if inputs and out.resolve() in inputs:
        msg = f"{out}: is an input file of the case; borderkit never modifies its inputs. Choose another path."
        raise ExportError(msg)


def check_writable(
    path: str | os.PathLike[str], *, overwrite: bool, inputs: Iterable[str | os.PathLike[str]] = ()
) -> Path:
    """Fail early, before anything is computed: the checks :func:`atomic_outputs` repeats.

    Refuses a folder, an existing file without ``overwrite``, a missing folder, a name the
    file system cannot hold, a read-only folder and any of ``inputs`` (with sidecars).
    """
    out = Path(path)
    # First, as anything that looks at the path fails on a name too long.
    if len(os.fsencode(out.name)) > _name_max(out.parent):
        raise os_error(out, OSError(errno.ENAMETOOLONG, os.strerror(errno.ENAMETOOLONG)))
    try:
        _refuse_inputs(out, input_files(inputs))
        if out.is_dir():
            msg = f"{out}: is a folder. Give a file name with its suffix, e.g. {out / ('out' + _example_suffix(out))}"
            raise ExportError(msg)
        if out.exists() and not overwrite:
            msg = f"{out}: already exists. To replace it, pass overwrite=True / --overwrite, or choose another path."
            raise ExportError(msg)
        if not out.parent.is_dir():
            msg = f"{out}: folder {str(out.parent)!r} does not exist. Create it first."
            raise ExportError(msg)
        if not os.access(out.parent, os.W_OK):
            code = errno.EROFS if _read_only_mount(out.parent) else errno.EACCES
            raise os_error(out, OSError(code, os.strerror(code)))
    except ExportError:
        raise
    except OSError as err:
        raise os_error(out, err) from err
    return out


def _name_max(folder: Path) -> int:
    try:
        return os.pathconf(folder if folder.is_dir() else "/", "PC_NAME_MAX")
    except (OSError, ValueError):
        return 255


def _example_suffix(out: Path) -> str:
    return out.suffix if out.suffix else ".geojson"


def _read_only_mount(folder: Path) -> bool:
    try:
        return bool(os.statvfs(folder).f_flag & os.ST_RDONLY)
    except OSError:
        return False


# ---------------------------------------------------------------------- signals
_live: dict[str, tuple[Path, ...]] = {}  # token -> folders holding that call's temporary files
_lock = threading.RLock()
_saved: dict[int, Any] = {}
_SIGNALS = (signal.SIGINT, signal.SIGTERM)


def _remove_temporaries(folder: Path, token: str) -> None:
    """Remove ``folder/.bk-<token>*``: the temporary files, their sidecars, scratch folders."""
    try:
        found = list(folder.glob(f"{TMP_PREFIX}{token}*"))
    except OSError:
        return
    for p in found:
        try:
            if p.is_dir() and not p.is_symlink():
                shutil.rmtree(p, ignore_errors=True)
            else:
                p.unlink(missing_ok=True)
        except OSError:
            pass


def _on_signal(signum: int, frame: FrameType | None) -> None:
    with _lock:
        live = list(_live.items())
        _live.clear()
        previous = _saved.get(signum, signal.SIG_DFL)
        _restore()
    for token, folders in live:
        for folder in folders:
            _remove_temporaries(folder, token)
    if callable(previous):
        previous(signum, frame)  # Python's SIGINT handler raises KeyboardInterrupt
    elif previous == signal.SIG_DFL:
        os.kill(os.getpid(), signum)  # end the process as the signal would have


def _restore() -> None:
    for signum, handler in _saved.items():
        signal.signal(signum, handler)
    _saved.clear()


@contextmanager
def _guarded(folders: tuple[Path, ...], token: str) -> Iterator[None]:
    """While the block runs, SIGINT/SIGTERM first remove ``token``'s temporary files."""
    main = threading.current_thread() is threading.main_thread()  # handlers live in the main thread only
    with _lock:
        if main and not _saved:
            for signum in _SIGNALS:
                _saved[signum] = signal.signal(signum, _on_signal)
        _live[token] = folders
    try:
        yield
    finally:
        with _lock:
            _live.pop(token, None)
            if main and not _live:
                _restore()


# ---------------------------------------------------------------------- writing
def _publish(tmp: Path, out: Path, *, overwrite: bool, backup: Path) -> bool:
    """Put ``tmp`` at ``out``; True when an existing ``out`` was kept at ``backup``."""
    if overwrite:
        kept = False
        if out.exists():
            os.link(out, backup)
            kept = True
        os.replace(tmp, out)
        return kept
    try:
        os.link(tmp, out)
    except FileExistsError:
        msg = (
            f"{out}: already exists (another process may have written it meanwhile); nothing was written there. "
            "To replace it, pass overwrite=True / --overwrite, or choose another path."
        )
        raise ExportError(msg) from None
    except OSError as err:
        if err.errno not in (errno.EPERM, errno.ENOTSUP, errno.EOPNOTSUPP, errno.EMLINK):
            raise
        # No hard links here (FAT, some network file systems): claim the name exclusively.
        try:
            os.close(os.open(out, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644))
        except FileExistsError:
            msg = f"{out}: already exists (another process may have written it meanwhile); nothing was written there."
            raise ExportError(msg) from None
        os.replace(tmp, out)
        return False
    tmp.unlink()
    return False


@contextmanager
def atomic_outputs(
    paths: Sequence[str | os.PathLike[str]],
    *,
    overwrite: bool = False,
    inputs: Iterable[str | os.PathLike[str]] = (),
) -> Iterator[list[Path]]:
    """Yield one temporary path per target; when the block succeeds, publish them all.

    Each temporary path keeps its target's suffix (GDAL picks drivers by suffix) and does
    not exist yet: the writer creates it. A writer may put scratch files and folders
    beside it whose names start with the temporary path's name; all are removed.

    Parameters
    ----------
    paths : sequence of path
        The files to write.
    overwrite : bool
        Replace existing files; without it an existing target is an error.
    inputs : iterable of path
        The case's input files: none of them (nor a ``.shp``'s sidecars) is written.

    Raises
    ------
    ExportError
        A target is refused (see :func:`check_writable`), exists, or cannot be written;
        nothing is left behind and no target is changed.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> d = pathlib.Path(tempfile.mkdtemp())
    >>> with atomic_outputs([d / "a.txt", d / "b.txt"]) as (a, b):
    ...     _ = a.write_text("A"), b.write_text("B")
    >>> sorted(p.name for p in d.iterdir())
    ['a.txt', 'b.txt']
    """
    outs = [Path(p) for p in paths]
    given = list(inputs)
    for out in outs:
        check_writable(out, overwrite=overwrite, inputs=given)
    token = secrets.token_hex(4)
    folders = tuple(dict.fromkeys(out.parent for out in outs))
    tmps = [out.parent / f"{TMP_PREFIX}{token}{i:x}{_tmp_suffix(out)}" for i, out in enumerate(outs)]
    backups = [out.parent / f"{TMP_PREFIX}{token}{i:x}.old" for i, out in enumerate(outs)]
    published: list[tuple[Path, bool, Path]] = []
    with _guarded(folders, token):
        try:
            try:
                yield tmps
                for tmp, out in zip(tmps, outs, strict=True):
                    if not tmp.exists():
                        msg = f"{out}: the writer produced no file; nothing was written there."
                        raise ExportError(msg)
                for tmp, out, backup in zip(tmps, outs, backups, strict=True):
                    kept = _publish(tmp, out, overwrite=overwrite, backup=backup)
                    published.append((out, kept, backup))
            except ExportError:
                raise
            except OSError as err:
                raise os_error(_target_of(err.filename, tmps, outs), err) from err
            except Exception as err:
                # GDAL reports a full disk as text, or as a broken SQLite table: look at the disk itself.
                if "No space left on device" in str(err) or any(_nearly_full(f) for f in folders):
                    raise os_error(outs[0], OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))) from err
                raise
        except BaseException:
            for out, kept, backup in reversed(published):
                try:
                    if kept:
                        os.replace(backup, out)
                    else:
                        out.unlink(missing_ok=True)
                except OSError:
                    pass
            raise
        finally:
            for folder in folders:
                _remove_temporaries(folder, token)


def _nearly_full(folder: Path) -> bool:
    """Less than 1 MiB free: a writer that failed here most likely ran out of space."""
    try:
        return shutil.disk_usage(folder).free < 1 << 20
    except OSError:
        return False


def _target_of(filename: object, tmps: list[Path], outs: list[Path]) -> Path:
    """The target an ``OSError.filename`` (a target, or a temporary file or its sidecar) belongs to."""
    name = Path(str(filename)).name if filename is not None else ""
    for tmp, out in zip(tmps, outs, strict=True):
        if name == out.name or name.split(".")[:2] == tmp.name.split(".")[:2]:
            return out
    return outs[0]


def _tmp_suffix(out: Path) -> str:
    name = out.name.lower()
    suffix = ".shp.zip" if name.endswith(".shp.zip") else out.suffix
    # A suffix is the writer's format; an overlong "suffix" is part of a name, not a format.
    return suffix if len(suffix) <= 16 else ""


@contextmanager
def atomic_output(
    path: str | os.PathLike[str], *, overwrite: bool = False, inputs: Iterable[str | os.PathLike[str]] = ()
) -> Iterator[Path]:
    """:func:`atomic_outputs` for one file: yield its temporary path, publish it on success.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> d = pathlib.Path(tempfile.mkdtemp())
    >>> with atomic_output(d / "a.txt") as tmp:
    ...     _ = tmp.write_text("hello")
    >>> (d / "a.txt").read_text()
    'hello'
    """
    with atomic_outputs([path], overwrite=overwrite, inputs=inputs) as (tmp,):
        yield tmp


def _write(
    path: str | os.PathLike[str],
    write: Callable[[Any], object],
    mode: str,
    *,
    overwrite: bool,
    inputs: Iterable[str | os.PathLike[str]],
) -> Path:
    with atomic_output(path, overwrite=overwrite, inputs=inputs) as tmp:
        kw: dict[str, Any] = {"encoding": "utf-8", "newline": ""} if "b" not in mode else {}
        with open(tmp, mode, **kw) as fh:
            write(fh)
            fh.flush()
            os.fsync(fh.fileno())
    return Path(path)


def write_text_atomic(
    path: str | os.PathLike[str], text: str, *, overwrite: bool = False, inputs: Iterable[str | os.PathLike[str]] = ()
) -> Path:
    """Write ``text`` (UTF-8) to ``path`` through :func:`atomic_output`."""
    return _write(path, lambda fh: fh.write(text), "w", overwrite=overwrite, inputs=inputs)


def write_bytes_atomic(
    path: str | os.PathLike[str], data: bytes, *, overwrite: bool = False, inputs: Iterable[str | os.PathLike[str]] = ()
) -> Path:
    """Write ``data`` to ``path`` through :func:`atomic_output`."""
    return _write(path, lambda fh: fh.write(data), "wb", overwrite=overwrite, inputs=inputs)
