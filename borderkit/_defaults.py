"""Defaults shared by the Python API and the command line, in one place."""

from __future__ import annotations

__all__ = ["DEFAULT_DRAWS", "MAX_DRAWS"]

#: Monte Carlo draws behind every verdict, in Python and on the command line alike.
DEFAULT_DRAWS = 1000
#: More draws than this would not fit the machine's memory or time budget.
MAX_DRAWS = 1_000_000
