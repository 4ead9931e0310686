"""Where cases live: the folders searched for shipped case ids (light: no geometry imports).

The command line lists cases from here without loading any layer.
"""

from __future__ import annotations

import os
import re
import tomllib
from pathlib import Path
from typing import Any

from borderkit.errors import CaseError, CaseNotFoundError

__all__ = ["case_dirs", "list_cases", "read_case_toml"]

_ID_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*$")


def case_dirs() -> list[Path]:
    """Folders searched for shipped case ids, in order.

    ``$BORDERKIT_CASES`` (``os.pathsep``-separated) first, then the ``data/`` folder of
    a source checkout, then the cases packaged with borderkit.
    """
    dirs = [Path(p) for p in os.environ.get("BORDERKIT_CASES", "").split(os.pathsep) if p]
    here = Path(__file__).resolve().parent
    dirs += [here.parent / "data", here / "_data"]
    return [d for d in dirs if d.is_dir()]


def list_cases() -> list[str]:
    """Ids of the shipped cases (folders holding a ``case.toml``).

    Examples
    --------
    >>> "tavush-2024" in list_cases()
    True
    """
    ids: list[str] = []
    for d in case_dirs():
        try:
            subs = sorted(d.iterdir())
        except OSError:  # an unreadable folder on $BORDERKIT_CASES holds no case we can list
            continue
        for sub in subs:
            try:
                found = (sub / "case.toml").is_file()
            except OSError:
                found = False
            if found and sub.name not in ids:
                ids.append(sub.name)
    return ids


def read_case_toml(path: Path) -> dict[str, Any]:
    """The parsed ``case.toml`` at ``path``; any problem reading it is a one-line CaseError.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "case.toml"
    >>> _ = p.write_bytes(b"\\xef\\xbb\\xbfid = 'x'\\n")
    >>> read_case_toml(p)
    Traceback (most recent call last):
    ...
    borderkit.errors.CaseError: ...case.toml: starts with a UTF-8 byte-order mark (BOM), ...
    """
    try:
        data = path.read_bytes()
    except OSError as err:
        msg = f"{path}: cannot be read ({err.strerror}). Give it read permission (chmod u+r), or check the path."
        raise CaseError(msg) from err
    if data.startswith(b"\xef\xbb\xbf"):
        msg = (f"{path}: starts with a UTF-8 byte-order mark (BOM), which TOML does not allow. "
               "Save it as UTF-8 without BOM.")  # fmt: skip
        raise CaseError(msg)
    try:
        return tomllib.loads(data.decode("utf-8"))
    except UnicodeDecodeError as err:
        raise CaseError(f"{path}: not UTF-8 text ({err}). Save it as UTF-8.") from err
    except tomllib.TOMLDecodeError as err:
        raise CaseError(f"{path}: not valid TOML ({err}). Fix the syntax at that line.") from err


def _resolve(case: str | os.PathLike[str]) -> Path:
    path = Path(case)
    if path.is_dir():
        return path
    if path.name == "case.toml" and path.is_file():
        return path.parent
    if isinstance(case, str) and _ID_RE.match(case):
        for d in case_dirs():
            if (d / case / "case.toml").is_file():
                return d / case
    msg = (
        f"no case {str(case)!r}: not a folder and not a shipped case id. "
        f"Shipped cases: {', '.join(list_cases()) or 'none'}; or give a folder holding case.toml."
    )
    raise CaseNotFoundError(msg)
