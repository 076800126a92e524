"""Search for invariance counterexamples with Hypothesis and report the shrunk minimal one."""

from __future__ import annotations

import random
from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd

from .._validate import count
from ..errors import InputError
from ..results import CheckResult, worst
from ..stats.requirement import Estimate, Requirement, judge
from .checks import counterexample_rows, invariance_failures, perturbation_label, perturbed_inputs, vacuous


def _batch(example: Any) -> Any:
    if isinstance(example, str):
        return [example]
    if isinstance(example, dict):
        return pd.DataFrame([example])
    return example


def search_invariance(
    predict: Any,
    strategy: Any,
    perturbation: Callable[[Any], Any],
    *,
    tolerance: float = 0.0,
    output: int | None = None,
    max_examples: int = 200,
    rule: str = "acceptance",
    confidence: float = 0.95,
    seed: int = 0,
    name: str | None = None,
) -> CheckResult:
    """Look for inputs whose output changes by more than ``tolerance`` under ``perturbation``.

    Hypothesis draws up to ``max_examples`` inputs from ``strategy`` and, when one breaks the
    invariance, shrinks it to a minimal counterexample. The search is seeded (``seed``) and uses
    no example database, so a run repeats exactly.

    Parameters
    ----------
    strategy:
        A Hypothesis strategy drawing inputs: a DataFrame (e.g. ``hypothesis.extra.pandas.data_frames``),
        a list of texts, one text, or one row as a dict; or a :class:`~mltestkit.data.schema.Schema`,
        whose rows (:func:`mltestkit.data.strategies.rows`) are searched one at a time.
    perturbation, tolerance, output:
        As in :func:`mltestkit.check_invariance`.
    max_examples:
        Most inputs Hypothesis draws.
    rule, confidence:
        Accepted for a uniform API: the figure ``counterexamples`` (how many were found, 0 or 1)
        is an exact count required to be 0, so it is judged by its value under every rule.
    seed:
        Seed of the search.
    name:
        Name of the check in the report.

    Returns
    -------
    CheckResult
        Kind ``"behavior"``: ``failed`` with ``details["counterexample"]`` (the minimal one found),
        ``passed`` when none was found.

    Raises
    ------
    InputError
        When ``predict`` raises (the message shows the minimal input that makes it raise), or the
        perturbation never changed an input drawn.

    Examples
    --------
    >>> from hypothesis import strategies as st
    >>> from mltestkit import perturb
    >>> r = search_invariance(lambda t: [int("!" in s) for s in t], st.text(alphabet="ab!"),
    ...                       perturb.punctuation("strip"), max_examples=100)
    >>> r.outcome.value, r.details["counterexample"]["input"]
    ('failed', '!')
    """
    from hypothesis import Phase, Verbosity, find, settings
    from hypothesis.errors import NoSuchExample
    from hypothesis.strategies import SearchStrategy

    from ..data.schema import Schema

    if isinstance(strategy, Schema):
        from ..data.strategies import rows as schema_rows

        strategy = schema_rows(strategy)
    if not isinstance(strategy, SearchStrategy):
        raise InputError(
            "strategy",
            f"must be a Hypothesis strategy or a Schema, got {type(strategy).__name__}",
            "pass e.g. st.text() or infer_schema(frame)",
        )
    seed = count(seed, "seed", low=0, high=2**63 - 1, example=0)
    if isinstance(max_examples, bool) or not isinstance(max_examples, int) or max_examples < 1:
        raise InputError("max_examples", f"must be a positive int, got {max_examples!r}", "pass e.g. 200")
    if isinstance(tolerance, bool) or not isinstance(tolerance, (int, float)) or not tolerance >= 0:
        raise InputError("tolerance", f"must be a non-negative number, got {tolerance!r}", "pass e.g. 0.01")
    label = name or f"invariance search: {perturbation_label(perturbation)}"
    requirement = Requirement(max=0, rule=rule, confidence=confidence)
    stats = {"tried": 0, "applied": 0}

    def breaks(example: Any) -> bool:
        stats["tried"] += 1
        batch = _batch(example)
        if len(batch) == 0:
            return False
        try:
            _, _, rows, y0, y1, _ = perturbed_inputs(
                predict, batch, perturbation, output, False, vacuous_ok=True
            )
        except InputError:
            return True
        if rows.size == 0:
            return False
        stats["applied"] += 1
        return bool(invariance_failures(y0, y1, tolerance)[0].any())

    config = settings(
        max_examples=max_examples,
        database=None,
        deadline=None,
        verbosity=Verbosity.quiet,
        phases=[Phase.generate, Phase.shrink],
    )
    try:
        minimal = find(strategy, breaks, settings=config, random=random.Random(seed))
    except NoSuchExample:
        minimal = None
    details: dict[str, Any] = {"examples_tried": stats["tried"], "examples_perturbed": stats["applied"]}
    if minimal is None:
        if stats["applied"] == 0:
            raise vacuous(perturbation_label(perturbation), stats["tried"], "examples drawn")
        mv = judge("counterexamples", Estimate(0, n=stats["applied"]), requirement)
        message = f"no counterexample in {stats['applied']} perturbed examples ({stats['tried']} drawn)"
        return CheckResult(
            label, "behavior", worst([mv.outcome] if mv.outcome else []), [mv], mv.rule, message, details
        )
    batch = _batch(minimal)
    p, after, rows, y0, y1, _ = perturbed_inputs(predict, batch, perturbation, output, need_one=False)
    fails, severity = invariance_failures(y0, y1, tolerance)
    j = int(np.argmax(np.where(fails, severity, -np.inf)))
    example = counterexample_rows(batch, after, rows, y0, y1, severity)(np.array([j]))[0]
    details.update(counterexample=example, perturbation={"name": p.name, "description": p.description})
    mv = judge("counterexamples", Estimate(1, n=stats["applied"]), requirement)
    message = f"found a counterexample to invariance under {p.name} (tolerance {tolerance:g}): {example}"
    return CheckResult(
        label, "behavior", worst([mv.outcome] if mv.outcome else []), [mv], mv.rule, message, details
    )
