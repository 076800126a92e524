"""check_deepchecks on a real deepchecks suite; runs only where deepchecks imports (numpy<2,
pandas<2.3, scikit-learn<1.7), and is skipped in the main environment.

    python -m venv .venv-deepchecks
    .venv-deepchecks/bin/pip install "numpy<2" "pandas<2.3" "scikit-learn<1.7" deepchecks==0.19.1 \\
        pytest pyyaml jsonschema hypothesis scipy
    .venv-deepchecks/bin/pip install --no-deps -e .
    .venv-deepchecks/bin/pytest tests/test_data_deepchecks_real.py -W ignore -p no:cacheprovider
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest

from mltestkit.data.deepchecks import check_deepchecks
from mltestkit.results import Outcome

try:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        from deepchecks.tabular import Suite
        from deepchecks.tabular import checks as dc
except Exception as exc:  # missing, or failing at import on numpy 2 / scikit-learn >= 1.7
    pytest.skip(f"deepchecks cannot be imported here ({type(exc).__name__})", allow_module_level=True)


def frames(shift: float) -> tuple[pd.DataFrame, pd.DataFrame]:
    rng = np.random.default_rng(0)
    train = pd.DataFrame({"x": rng.normal(size=1000), "c": rng.choice(["a", "b"], 1000)})
    test = pd.DataFrame({"x": rng.normal(shift, 1, size=500), "c": rng.choice(["a", "b"], 500)})
    for f in (train, test):
        f["y"] = (f["x"] > 0).astype(int)
    return train, test


def suite() -> Suite:
    return Suite(
        "data suite",
        dc.FeatureDrift().add_condition_drift_score_less_than(0.2, 0.1),
        dc.MixedNulls().add_condition_different_nulls_less_equal_to(1),
    )


@pytest.mark.parametrize("shift", [0.0, 1.0])
def test_verdict_equals_deepchecks(shift):
    train, test = frames(shift)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ours = check_deepchecks(suite(), train, test, label="y", cat_features=["c"])
        from deepchecks.tabular import Dataset

        theirs = suite().run(
            train_dataset=Dataset(train, label="y", cat_features=["c"]),
            test_dataset=Dataset(test, label="y", cat_features=["c"]),
        )
    assert (ours.outcome is Outcome.PASSED) is theirs.passed(fail_if_warning=False)
    assert (ours.outcome is Outcome.FAILED) is (shift > 0)
    checks = {m.slice["check"] for m in ours.metrics}
    assert any("Feature Drift" in c for c in checks) and any("Mixed Nulls" in c for c in checks)
    if shift > 0:
        drift = [r for r in ours.details["conditions"] if "Feature Drift" in r["check"]]
        assert drift[0]["category"] == "FAIL" and "x" in drift[0]["details"]
