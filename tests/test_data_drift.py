"""check_drift: statistics equal scipy's, planted shifts are found, same-distribution samples pass,
and Holm keeps the family-wise false alarm rate at alpha."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats
from scipy.spatial.distance import jensenshannon

from mltestkit import check_drift
from mltestkit.data.drift import _categorical, _numeric, psi
from mltestkit.errors import InputError
from mltestkit.results import CheckResult, Outcome


def frame(n: int, seed: int, shift: float = 0.0, p_a: float = 0.5) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    x = rng.normal(shift, 1, n)
    return pd.DataFrame(
        {
            "x": x,
            "u": rng.uniform(0, 1, n),
            "c": rng.choice(["a", "b", "c"], n, p=[p_a, (1 - p_a) / 2, (1 - p_a) / 2]),
            "y": (x + rng.normal(size=n) > 0).astype(int),
        }
    )


def table(r: CheckResult) -> dict[str, dict]:
    return {row["column"]: row for row in r.details["table"]}


samples = st.lists(st.floats(-100, 100), min_size=1, max_size=60).map(np.array)


@settings(max_examples=60, deadline=None)
@given(samples, samples)
def test_numeric_statistics_equal_scipy(a, b):
    got = _numeric(a, b, bins=10)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        ks = stats.ks_2samp(a, b)
    assert got["ks"] == pytest.approx(ks.statistic, abs=1e-12)
    assert got["p_value"] == pytest.approx(ks.pvalue, rel=1e-9, abs=1e-12)
    assert got["wasserstein"] == pytest.approx(stats.wasserstein_distance(a, b), rel=1e-9, abs=1e-9)


def test_large_sample_p_value_equals_scipy_asymptotic():
    rng = np.random.default_rng(0)
    a, b = rng.normal(size=30_000), rng.normal(0.02, 1, size=20_000)
    got = _numeric(a, b, bins=10)
    ks = stats.ks_2samp(a, b)
    assert got["ks"] == pytest.approx(ks.statistic) and got["p_value"] == pytest.approx(ks.pvalue, rel=1e-9)


@settings(max_examples=60, deadline=None)
@given(
    st.lists(st.sampled_from("abcd"), min_size=1, max_size=50),
    st.lists(st.sampled_from("abce"), min_size=1, max_size=50),
)
def test_categorical_statistics_equal_scipy(a, b):
    got = _categorical(pd.Series(a), pd.Series(b))
    cats = sorted(set(a) | set(b))
    ca = np.array([a.count(c) for c in cats], float)
    cb = np.array([b.count(c) for c in cats], float)
    assert got["js"] == pytest.approx(jensenshannon(ca, cb, base=2), abs=1e-12)
    expected_p = 1.0 if len(cats) < 2 else stats.chi2_contingency(np.vstack([ca, cb])).pvalue
    assert got["p_value"] == pytest.approx(expected_p, rel=1e-9, abs=1e-12)
    assert got["psi"] == pytest.approx(psi(ca, cb))


def test_psi_by_hand():
    # (0.6 - 0.5) ln(0.6 / 0.5) + (0.4 - 0.5) ln(0.4 / 0.5)
    assert psi(np.array([5, 5]), np.array([6, 4])) == pytest.approx(0.1 * np.log(1.2) - 0.1 * np.log(0.8))
    assert psi(np.array([3, 7]), np.array([3, 7])) == 0


def test_same_distribution_passes_and_shift_is_found():
    ref = frame(5000, 0)
    same = check_drift(ref, frame(5000, 1), min={"p_value": 0.01}, label="y")
    assert same.outcome is Outcome.PASSED, same.message
    shifted = check_drift(ref, frame(5000, 2, shift=0.6, p_a=0.2), min={"p_value": 0.01}, label="y")
    rows = table(shifted)
    assert shifted.outcome is Outcome.FAILED
    assert rows["x"]["drifted"] and rows["c"]["drifted"] and not rows["u"]["drifted"]
    assert rows["x"]["psi"] > 0.2 and rows["x"]["p_adjusted"] < 1e-10
    assert rows["y"]["role"] == "label" and rows["y"]["drifted"]  # label drift follows x
    assert rows["x"]["wasserstein"] == pytest.approx(0.6, abs=0.1)
    assert shifted.message.startswith("3 of 4 columns drifted: x, c, y")
    label_metrics = [m for m in shifted.metrics if (m.slice or {}).get("role") == "label"]
    assert {m.name for m in label_metrics} == {"psi", "ks", "wasserstein", "p_value"}
    CheckResult.from_dict(shifted.to_dict())


def test_each_statistic_gates_when_given_a_limit():
    ref, cur = frame(3000, 0), frame(3000, 1, shift=0.15)
    assert check_drift(ref, cur).outcome is Outcome.PASSED  # PSI of a 0.15 sd shift is about 0.02
    assert check_drift(ref, cur, max={"ks": 0.03}).outcome is Outcome.FAILED
    assert check_drift(ref, cur, max={"wasserstein": 0.05}, columns=["x"]).outcome is Outcome.FAILED
    assert check_drift(ref, cur, max={"psi": None, "js": 0.0}, columns=["c"]).outcome is Outcome.FAILED


def test_prediction_drift_and_new_categories():
    ref, cur = frame(2000, 0), frame(2000, 1)
    ref["pred"] = np.where(ref["x"] > 0, "yes", "no")
    cur["pred"] = np.where(cur["x"] > -1, "yes", "maybe")
    r = check_drift(ref, cur, columns=["u"], prediction="pred")
    rows = table(r)
    assert set(rows) == {"u", "pred"} and rows["pred"]["role"] == "prediction" and rows["pred"]["drifted"]


def test_holm_keeps_family_wise_false_alarms_at_alpha():
    # 10 columns with no drift, 200 simulated pairs of samples: the share of runs with any
    # false alarm stays at or below alpha = 0.1 (uncorrected it would be about 1 - 0.9**10 = 0.65)
    rng = np.random.default_rng(3)
    alarms = 0
    runs = 200
    for _ in range(runs):
        ref = pd.DataFrame(rng.normal(size=(80, 10)), columns=[f"c{i}" for i in range(10)])
        cur = pd.DataFrame(rng.normal(size=(80, 10)), columns=ref.columns)
        alarms += check_drift(ref, cur, max={"psi": None}, min={"p_value": 0.1}).outcome is Outcome.FAILED
    assert alarms / runs <= 0.1 + 2 * np.sqrt(0.1 * 0.9 / runs)


def test_missing_values_and_bad_input():
    ref, cur = frame(500, 0), frame(500, 1)
    cur.loc[:9, "c"] = None
    assert table(check_drift(ref, cur))["c"]["missing_current"] == 10
    with pytest.raises(
        InputError, match=r"^current: column 'x' is not in current; the columns are \['u', 'c', 'y'\]$"
    ):
        check_drift(ref, cur.drop(columns="x"))
    with pytest.raises(InputError, match=r"^columns: column 'zz' is not in reference; "):
        check_drift(ref, cur, columns=["zz"])
    cur["x"] = np.nan
    with pytest.raises(
        InputError, match=r"^current: column 'x' has no finite values; drop it or pass columns=\[\.\.\.\]$"
    ):
        check_drift(ref, cur)
    with pytest.raises(InputError, match=r"^min: p_value is a share in \[0, 1\], got 5; "):
        check_drift(ref, ref, min={"p_value": 5})
    with pytest.raises(InputError, match=r"^min: p_value must be in \(0, 1\), got 0"):
        check_drift(ref, ref, min={"p_value": 0})
    with pytest.raises(InputError, match=r"^max: psi must be a non-negative number, got -1; "):
        check_drift(ref, ref, max={"psi": -1})
    with pytest.raises(
        InputError, match=r"^max: unknown figure 'kl'; use one of psi, ks, wasserstein, js, p_value"
    ):
        check_drift(ref, ref, max={"kl": 0.1})
    with pytest.raises(InputError, match=r"^reference: has no rows; "):
        check_drift(ref.iloc[:0], cur)


def test_date_columns_are_compared_as_numbers():
    days = pd.Timestamp("2026-01-01") + pd.to_timedelta(np.arange(1000) % 100, unit="D")
    ref = pd.DataFrame({"d": days})
    cur = pd.DataFrame({"d": days + pd.Timedelta(days=30)})
    row = table(check_drift(ref, cur))["d"]
    assert row["kind"] == "datetime" and row["drifted"]
    assert row["wasserstein"] == pytest.approx(30 * 86400)
    assert check_drift(ref, ref).outcome is Outcome.PASSED


@pytest.mark.parametrize(
    ("old", "new"),
    [
        ({"max_psi": 0.1}, {"max": {"psi": 0.1}}),
        ({"max_ks": 0.1}, {"max": {"ks": 0.1}}),
        ({"max_wasserstein": 0.5}, {"max": {"wasserstein": 0.5}}),
        ({"max_js": 0.1}, {"max": {"js": 0.1}}),
        ({"alpha": 0.01}, {"min": {"p_value": 0.01}}),
    ],
)
def test_the_old_spellings_still_work_with_a_deprecation(old, new):
    ref, cur = frame(500, 0), frame(500, 1)
    (key, value), (side, _figures) = next(iter(old.items())), next(iter(new.items()))
    with pytest.deprecated_call(match=rf"check_drift: {key}={value} is deprecated .*; use {side}="):
        before = check_drift(ref, cur, **old)
    assert before.to_dict() == check_drift(ref, cur, **new).to_dict()


def test_acceptance_rarely_passes_a_psi_at_the_limit():
    """Two samples whose populations have a PSI of exactly the limit pass under acceptance at most
    ~2.5% of the time (the bootstrap's upper bound must clear it); the point rule passes about half."""
    p = np.array([0.5, 0.5])
    q = np.array([0.6, 0.4])
    limit = psi(p, q)  # the population PSI
    rng = np.random.default_rng(3)
    passed = {"acceptance": 0, "point": 0}
    reps, n = 200, 2000
    for _ in range(reps):
        ref = pd.DataFrame({"c": rng.choice(["a", "b"], n, p=p)})
        cur = pd.DataFrame({"c": rng.choice(["a", "b"], n, p=q)})
        for rule in passed:
            r = check_drift(ref, cur, max={"psi": limit}, rule=rule, seed=int(rng.integers(1 << 30)))
            passed[rule] += r.outcome is Outcome.PASSED
    assert passed["acceptance"] / reps < 0.06
    assert 0.3 < passed["point"] / reps < 0.7


def test_the_ks_interval_covers_the_population_distance():
    rng = np.random.default_rng(4)
    true = stats.norm.cdf(0.15) - stats.norm.cdf(-0.15)  # KS of N(0, 1) and N(0.3, 1)
    covered, reps = 0, 200
    for _ in range(reps):
        r = check_drift(
            pd.DataFrame({"x": rng.normal(0, 1, 300)}),
            pd.DataFrame({"x": rng.normal(0.3, 1, 300)}),
            max={"psi": None},
        )
        ks = next(m for m in r.metrics if m.name == "ks")
        covered += ks.ci.low <= true <= ks.ci.high
    assert covered / reps >= 0.95
