"""The public API: what ``import borderkit`` exports."""

from __future__ import annotations

import types

import borderkit


def test_all__lists_exactly_the_public_names() -> None:
    # Submodules appear as attributes once imported; they are not part of the API list.
    public = {
        n
        for n in dir(borderkit)
        if not n.startswith("_") and n != "annotations" and not isinstance(getattr(borderkit, n), types.ModuleType)
    }
    assert set(borderkit.__all__) - {"__version__"} == public
    assert borderkit.__all__ == sorted(borderkit.__all__)


def test_errors__every_error_is_a_borderkit_error_and_a_builtin() -> None:
    for name in borderkit.__all__:
        obj = getattr(borderkit, name)
        if isinstance(obj, type) and issubclass(obj, Exception):
            assert issubclass(obj, borderkit.BorderkitError)
            assert (
                any(issubclass(obj, b) for b in (ValueError, OSError, LookupError)) or obj is borderkit.BorderkitError
            )
