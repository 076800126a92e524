"""check_deepchecks: a clear error when deepchecks is missing or cannot be imported, and the
mapping of a suite result's conditions.

deepchecks' last release cannot be imported next to numpy 2 / scikit-learn 1.9, so the suite
result is built here from stand-ins with deepchecks' attribute names, and the broken install is a
package that fails at import time the way deepchecks does.
"""

from __future__ import annotations

import enum
import importlib
import sys
from importlib import metadata
from types import SimpleNamespace

import pandas as pd
import pytest

from mltestkit.data.deepchecks import DeepchecksUnavailableError, check_deepchecks
from mltestkit.errors import MLTestKitError
from mltestkit.results import CheckResult, Outcome


class Category(enum.Enum):
    FAIL = "FAIL"
    WARN = "WARN"
    PASS = "PASS"
    ERROR = "ERROR"


def condition(name: str, category: Category, details: str = "") -> SimpleNamespace:
    return SimpleNamespace(name=name, category=category, details=details)


def check(header: str, *conditions: SimpleNamespace) -> SimpleNamespace:
    return SimpleNamespace(get_header=lambda: header, conditions_results=list(conditions))


def suite_result() -> SimpleNamespace:
    return SimpleNamespace(
        name="Data Integrity Suite",
        results=[
            check("Mixed Nulls", condition("Number of different null types is at most 1", Category.PASS)),
            check(
                "Feature Drift",
                condition("PSI <= 0.2", Category.FAIL, "Found 1 out of 4 features with PSI above threshold"),
                condition("Earth Mover's Distance <= 0.1", Category.WARN, "x: 0.12"),
            ),
            SimpleNamespace(header="Outlier Sample Detection", exception=ValueError("bad input")),
        ],
    )


def test_suite_result_conditions_are_mapped():
    r = check_deepchecks(suite_result())
    assert r.name == "Data Integrity Suite" and r.kind == "data"
    assert [(m.slice["check"], m.outcome) for m in r.metrics] == [
        ("Mixed Nulls", Outcome.PASSED),
        ("Feature Drift", Outcome.FAILED),
        ("Feature Drift", Outcome.PASSED),
        ("Outlier Sample Detection", Outcome.INCONCLUSIVE),  # undefined: the check raised
    ]
    assert r.metrics[-1].value is None and "raised ValueError: bad input" in r.metrics[-1].reason
    assert r.outcome is Outcome.ERROR
    assert "Feature Drift: PSI <= 0.2: Found 1 out of 4 features" in r.message
    assert r.details["conditions"][1]["category"] == "FAIL"
    CheckResult.from_dict(r.to_dict())
    strict = check_deepchecks(SimpleNamespace(name="s", results=suite_result().results[1:2]), warn_fails=True)
    assert [m.outcome for m in strict.metrics] == [Outcome.FAILED, Outcome.FAILED]


def test_missing_deepchecks_is_a_clear_error(monkeypatch):
    monkeypatch.setitem(sys.modules, "deepchecks", None)
    monkeypatch.setitem(sys.modules, "deepchecks.tabular", None)
    with pytest.raises(DeepchecksUnavailableError) as exc:
        check_deepchecks(object(), pd.DataFrame({"a": [1]}))
    assert isinstance(exc.value, MLTestKitError) and isinstance(exc.value, ImportError)
    assert "needs the package 'deepchecks', which is not installed; its last release needs numpy<2" in str(
        exc.value
    )


def test_a_deepchecks_that_fails_at_import_explains_the_version_conflict(tmp_path, monkeypatch):
    package = tmp_path / "deepchecks"
    (package / "tabular").mkdir(parents=True)
    (package / "__init__.py").write_text(
        "raise AttributeError('`np.Inf` was removed in the NumPy 2.0 release')\n"
    )
    (package / "tabular" / "__init__.py").write_text("")
    monkeypatch.syspath_prepend(str(tmp_path))
    for key in [k for k in sys.modules if k.split(".")[0] == "deepchecks"]:
        monkeypatch.delitem(sys.modules, key)
    importlib.invalidate_caches()
    with pytest.raises(DeepchecksUnavailableError) as exc:
        check_deepchecks(object(), pd.DataFrame({"a": [1]}))
    text = str(exc.value)
    assert text.startswith(
        "deepchecks is installed but cannot be imported (AttributeError: `np.Inf` was removed in the NumPy 2.0 release); "
        f"its last release needs numpy<2, pandas<2.3 and scikit-learn<1.7, and this environment has numpy {metadata.version('numpy')}, "
    )
    assert text.endswith(
        "run deepchecks in a separate environment with those pins and pass its SuiteResult to check_deepchecks"
    )
