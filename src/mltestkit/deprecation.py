"""Deprecated argument spellings: they keep working for one release and say what replaced them.

Every check takes its requirements as ``min=`` / ``max=`` (a number for a check with one
figure, a dict keyed by figure name for several). :func:`legacy_bounds` folds the older
per-figure spellings (``p95_ms=50``, ``max_psi=0.2``, ``min_agreement=0.99``) into those
dicts with a :class:`DeprecationWarning` that names the new spelling; :func:`renamed` does the
same for an argument that only changed its name.

Examples
--------
>>> import warnings
>>> with warnings.catch_warnings(record=True) as caught:
...     warnings.simplefilter("always")
...     legacy_bounds("check_latency", {"p95_ms": 50}, {"p95_ms": ("max", "p95_ms")}, None, None)
(None, {'p95_ms': 50})
>>> print(caught[0].message)
check_latency: p95_ms=50 is deprecated and will be removed; use max={'p95_ms': 50}
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping
from typing import Any

from .errors import InputError, caller_stacklevel


def _warn(check: str, old: str, value: Any, new: str) -> None:
    warnings.warn(
        f"{check}: {old}={value!r} is deprecated and will be removed; use {new}",
        DeprecationWarning,
        stacklevel=caller_stacklevel(),
    )


def renamed(check: str, old: str, new: str, old_value: Any, new_value: Any, default: Any) -> Any:
    """The value of an argument renamed from ``old`` to ``new``, warning when ``old`` was used.

    ``new_value`` is what the caller gave under the new name (``default`` when not given).

    >>> renamed("check_mft", "max_examples", "max_counterexamples", None, 5, 20)
    5
    """
    if old_value is None:
        return new_value
    if new_value is not default and new_value != old_value:
        raise InputError(old, f"and {new}= are both given", f"pass only {new}=")
    _warn(check, old, old_value, f"{new}={old_value!r}")
    return old_value


def _as_dict(bound: Any, side: str, default: str | None) -> dict[str, Any] | None:
    if bound is None or isinstance(bound, Mapping):
        return None if bound is None else dict(bound)
    if default is None:
        raise InputError(
            side, "this check measures several figures, got a single number", "pass a dict keyed by figure"
        )
    return {default: bound}


def legacy_bounds(
    check: str,
    legacy: Mapping[str, Any],
    spellings: Mapping[str, tuple[str, str]],
    min: Any,
    max: Any,
    *,
    default: str | Mapping[str, str] | None = None,
) -> tuple[Any, Any]:
    """``(min, max)`` with the deprecated keyword arguments in ``legacy`` folded in.

    Parameters
    ----------
    check:
        The check's name, for messages.
    legacy:
        The keyword arguments the check did not recognise (its ``**legacy``); a ``None`` value
        is folded in as ``None`` (no requirement on that figure).
    spellings:
        ``old name -> (side, figure)``, e.g. ``{"max_psi": ("max", "psi")}``.
    min, max:
        What the caller gave with the new spelling.
    default:
        The figure a bare number stands for (or ``{"min": ..., "max": ...}`` when it depends on
        the side); when given, the result is a dict whenever anything was folded in.

    Returns
    -------
    tuple
        ``(min, max)`` unchanged when no deprecated argument was given, else as dicts keyed by
        figure. An unknown keyword raises :class:`~mltestkit.errors.InputError`; a figure given
        both ways too.

    Examples
    --------
    >>> import warnings
    >>> with warnings.catch_warnings():
    ...     warnings.simplefilter("ignore")
    ...     legacy_bounds("check_agreement", {"min_agreement": 0.99},
    ...                   {"min_agreement": ("min", "agreement")}, None, None, default="agreement")
    ({'agreement': 0.99}, None)
    """
    given = dict(legacy)
    if not given:
        return min, max
    for key in given:
        if key not in spellings:
            raise InputError(
                key,
                f"is not an argument of {check}",
                "give requirements as min= / max=, a number or a dict keyed by figure",
            )
    sides = {"min": min, "max": max}
    out: dict[str, dict[str, Any] | None] = {}
    for side in ("min", "max"):
        fig = default.get(side) if isinstance(default, Mapping) else default
        out[side] = _as_dict(sides[side], side, fig)
    for key, value in given.items():
        side, figure = spellings[key]
        real = isinstance(value, (int, float)) and not isinstance(value, bool) and value == value
        if value is not None and not real:
            raise InputError(
                key, f"must be a number, got {value!r:.60}", f"pass {side}={{{figure!r}: <number>}}"
            )
        bucket: dict[str, Any] = out[side] or {}
        if figure in bucket and bucket[figure] is not None and bucket[figure] != value:
            raise InputError(key, f"and {side}= both set {figure!r}", f"pass only {side}=")
        bucket[figure] = value
        out[side] = bucket
        single = isinstance(default, str) and figure == default
        _warn(check, key, value, f"{side}={value!r}" if single else f"{side}={{{figure!r}: {value!r}}}")
    return out["min"], out["max"]
