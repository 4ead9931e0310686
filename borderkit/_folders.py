"""Where cases live: the folders searched for shipped case ids (light: no geometry imports).

The command line lists cases from here without loading any layer.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

from borderkit.errors import CaseNotFoundError

__all__ = ["case_dirs", "list_cases"]

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
        for sub in sorted(d.iterdir()):
            if (sub / "case.toml").is_file() and sub.name not in ids:
                ids.append(sub.name)
    return ids


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
