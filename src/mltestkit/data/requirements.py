"""The requirements of a data check, from ``min=`` / ``max=`` dicts keyed by figure over its defaults."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

from .._validate import blame_legacy
from ..deprecation import legacy_bounds
from ..errors import InputError
from ..stats.requirement import Requirement, requirements_by_figure


def data_requirements(
    check: str,
    min: Any,
    max: Any,
    legacy: dict[str, Any],
    spellings: dict[str, tuple[str, str]],
    figures: Sequence[str],
    defaults: dict[str, float],
    *,
    rule: str,
    confidence: float,
    shares: Sequence[str] | None = None,
) -> dict[str, Requirement]:
    """One requirement per figure of a data check that measures several.

    ``max`` is merged over ``defaults`` (a ``None`` value drops a default); deprecated spellings
    in ``legacy`` are folded in (:func:`~mltestkit.deprecation.legacy_bounds`). Bounds on the
    figures in ``shares`` (all of them by default) must lie in [0, 1], the others must be
    non-negative numbers.

    >>> reqs = data_requirements("check_x", None, {"b": 0.1}, {}, {}, ["a", "b"], {"a": 0.0},
    ...                          rule="acceptance", confidence=0.95)
    >>> reqs["a"].max, reqs["b"].max
    (0.0, 0.1)
    """
    with blame_legacy(legacy, spellings):
        low, high = legacy_bounds(check, legacy, spellings, min, max)
        shares = figures if shares is None else shares
        for side, bound in (("min", low), ("max", high)):
            if bound is not None and not isinstance(bound, dict):
                raise InputError(
                    side,
                    "this check measures several figures, got a single number",
                    f"pass a dict keyed by figure, e.g. {side}={{{figures[0]!r}: 0.01}}",
                )
            for figure, value in (bound or {}).items():
                if value is None or figure not in figures:
                    continue
                number = (
                    not isinstance(value, bool) and isinstance(value, (int, float)) and math.isfinite(value)
                )
                if figure in shares and not (number and 0 <= value <= 1):
                    raise InputError(
                        side,
                        f"{figure} is a share in [0, 1], got {value!r}",
                        f"e.g. {side}={{{figure!r}: 0.01}}",
                    )
                if not (number and value >= 0):
                    raise InputError(
                        side,
                        f"{figure} must be a non-negative number, got {value!r}",
                        f"e.g. {side}={{{figure!r}: 0.2}}",
                    )
        high = {**defaults, **(high or {})}
        return requirements_by_figure(low, high, figures, rule=rule, confidence=confidence)
