"""Progress bars on stderr for the steps that can take more than a few seconds.

A bar is drawn by tqdm on ``sys.stderr`` and only when stderr is a terminal, so tests,
notebooks, pipes and log files never get one, and standard output is never written to.
Set the environment variable ``BORDERKIT_PROGRESS=0`` (or ``false``, ``no``, ``off``) to
turn every bar off; a caller can pass ``show=False`` (off) or ``show=True`` (on even
without a terminal, still on stderr).

A bar appears only once its step has run for ``delay_s`` seconds (default 2 s), so quick
steps stay silent; ``refresh()`` shows it at once, e.g. before reading a large file.
"""

from __future__ import annotations

import os
import sys
from types import TracebackType
from typing import Protocol

__all__ = ["DELAY_S", "ENV_VAR", "LARGE_FILE_BYTES", "Bar", "enabled", "progress"]

#: The environment variable that turns bars off: ``0``, ``false``, ``no`` or ``off``.
ENV_VAR = "BORDERKIT_PROGRESS"
_OFF = frozenset({"0", "false", "no", "off"})

#: Seconds a step runs before its bar appears.
DELAY_S = 2.0

#: A file at least this large (bytes) gets its bar at once when it is read.
LARGE_FILE_BYTES = 50_000_000


class Bar(Protocol):
    """What :func:`progress` returns: a ``tqdm`` bar, or one that does nothing."""

    def update(self, n: float = 1, /) -> bool | None: ...

    def set_postfix_str(self, s: str = "", /, refresh: bool = True) -> None: ...

    def refresh(self) -> bool | None: ...

    def close(self) -> None: ...

    def __enter__(self) -> Bar: ...

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None, /
    ) -> bool | None: ...


class _NoBar:
    """A bar that shows nothing (stderr is not a terminal, or bars are turned off)."""

    def update(self, n: float = 1, /) -> bool | None:
        return None

    def set_postfix_str(self, s: str = "", /, refresh: bool = True) -> None:
        return None

    def refresh(self) -> bool | None:
        return None

    def close(self) -> None:
        return None

    def __enter__(self) -> _NoBar:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None, /
    ) -> bool | None:
        return None


def enabled(show: bool | None = None) -> bool:
    """Whether a bar would be drawn.

    Parameters
    ----------
    show : bool, optional
        ``False``: never; ``True``: yes, terminal or not; ``None`` (default): only when
        ``sys.stderr`` is a terminal. ``BORDERKIT_PROGRESS=0`` turns bars off in every case.

    Returns
    -------
    bool

    Examples
    --------
    >>> enabled(show=False)
    False
    """
    stream = sys.stderr
    if stream is None or os.environ.get(ENV_VAR, "").strip().lower() in _OFF:  # no stderr: pythonw
        return False
    if show is not None:
        return bool(show)
    try:
        return bool(stream.isatty())
    except (AttributeError, ValueError):  # a stand-in without isatty, or a closed stream
        return False


def progress(
    total: float | None,
    desc: str,
    unit: str = "it",
    *,
    show: bool | None = None,
    delay_s: float | None = None,
) -> Bar:
    """A progress bar on stderr, or a stand-in that does nothing (see :func:`enabled`).

    Parameters
    ----------
    total : float or None
        The number of units the step has (None: unknown, the bar counts up).
    desc : str
        What the step does, shown before the bar ("reading tavush-2024").
    unit : str
        What is counted ("layer", "feature", "draw").
    show : bool, optional
        As in :func:`enabled`.
    delay_s : float, optional
        Seconds before the bar appears (default :data:`DELAY_S`); quicker steps show none.
        ``refresh()`` shows it at once.

    Returns
    -------
    Bar
        Use it as a context manager (it is closed, and removed from the terminal, on
        leaving) and call ``update(n)`` when ``n`` more units are done.

    Examples
    --------
    A chunked loop, e.g. Monte Carlo draws computed 1000 at a time:

    >>> import numpy as np
    >>> draws, chunk = 10_000, 1_000
    >>> total = 0.0
    >>> with progress(draws, "Monte Carlo", "draw") as bar:
    ...     for start in range(0, draws, chunk):
    ...         n = min(chunk, draws - start)
    ...         total += float(np.ones(n).sum())    # the work of one chunk
    ...         bar.update(n)
    >>> total
    10000.0

    Here (a doctest, stderr is not a terminal) the bar is the silent stand-in; in a
    terminal it shows ``Monte Carlo:  40%|████      | 4000/10000 [00:03<00:04, 1.2kdraw/s]``
    on stderr once the loop has run for ``delay_s`` seconds.
    """
    if not enabled(show):
        return _NoBar()
    from tqdm import tqdm

    # A terminal that reports no size (a bare pty) would get an empty bar: say 80 x 24.
    width = {} if _columns(sys.stderr) else {"ncols": 80, "nrows": 24}
    bar: Bar = tqdm(
        total=total,
        desc=desc,
        unit=unit,
        file=sys.stderr,
        leave=False,
        dynamic_ncols=not width,
        delay=max(0.0, float(DELAY_S if delay_s is None else delay_s)),
        **width,
    )
    return bar


def _columns(stream: object) -> int:
    """The width of the terminal behind ``stream``; 0 if it tells none."""
    try:
        return os.get_terminal_size(stream.fileno()).columns  # type: ignore[attr-defined]
    except (AttributeError, OSError, ValueError):
        return 0
