"""Mean losses from a table: the engine computes six power sums of the per-row loss, and the
figures equal the in-memory ones on the same rows (to 1e-9 relative: only the order of the
floating-point sums differs), for every engine, with and without sample weights."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from test_tables import _as, _spark_frame

from mltestkit import InputError, check_metric
from mltestkit.metrics.pushdown import LOSS_EXPRESSIONS, table_estimate

LOSSES = ["mae", "rmse", "mape", "log_loss", "brier"]
ENGINES = ["pandas", "polars", "polars-lazy", "pyarrow", "duckdb", "parquet-dir"]


def _frame(n: int = 3000, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    y = rng.integers(0, 2, n)
    score = np.round(np.clip(0.3 * y + rng.normal(0.35, 0.2, n), 0, 1), 3)
    target = rng.gamma(2.0, 3.0, n) + 1.0
    return pd.DataFrame(
        {
            "label": y,
            "score": score,
            "target": target,
            "guess": target + rng.normal(0.0, 1.0, n),
            "w": np.where(rng.random(n) < 0.1, 0.0, rng.lognormal(0.0, 0.7, n)),
        }
    )


FRAME = _frame()


def _columns(metric: str) -> dict[str, str]:
    if metric in ("log_loss", "brier"):
        return {"y_true": "label", "y_score": "score"}
    return {"y_true": "target", "y_pred": "guess"}


def _memory(metric: str, frame: pd.DataFrame, weighted: bool):
    args = {k: frame[c].to_numpy() for k, c in _columns(metric).items()}
    weights = frame["w"].to_numpy() if weighted else None
    return check_metric(metric, args.pop("y_true"), **args, sample_weight=weights, max=10.0, keep_rows=False)


def _close(a, b) -> None:
    x, y = a.metrics[0], b.metrics[0]
    assert (x.outcome, x.ci.method) == (y.outcome, y.ci.method)
    assert x.n == pytest.approx(y.n, rel=1e-9)
    assert x.value == pytest.approx(y.value, rel=1e-9)
    assert x.ci.low == pytest.approx(y.ci.low, rel=1e-9)
    assert x.ci.high == pytest.approx(y.ci.high, rel=1e-9)


def test_every_registered_mean_loss_is_pushed_down():
    assert sorted(LOSS_EXPRESSIONS) == sorted(LOSSES)


@pytest.mark.parametrize("engine", ENGINES)
@pytest.mark.parametrize("metric", LOSSES)
def test_table_loss_equals_memory(engine, metric, tmp_path):
    data = _as(engine, FRAME, tmp_path)
    _close(check_metric(metric, data=data, **_columns(metric), max=10.0), _memory(metric, FRAME, False))


@pytest.mark.parametrize("metric", LOSSES)
def test_weights_mean_what_they_mean_in_memory(metric):
    data = _as("duckdb", FRAME, None)
    r = check_metric(metric, data=data, **_columns(metric), sample_weight="w", max=10.0)
    _close(r, _memory(metric, FRAME, True))
    w = FRAME["w"].to_numpy()
    assert abs(r.metrics[0].n - w.sum() ** 2 / (w**2).sum()) < 1  # Kish's size


def test_power_sums_are_read_not_rows(monkeypatch):
    import mltestkit.metrics.pushdown as pushdown

    def no_rows(*args, **kwargs):
        raise AssertionError("rows were collected")

    monkeypatch.setattr(pushdown, "collect_rows", no_rows)
    est, sketch = table_estimate("rmse", FRAME, y_true="target", y_pred="guess")
    assert sketch is None and est.method == "skew-t"


def test_large_losses_keep_their_accuracy():
    frame = FRAME.assign(target=FRAME["target"] + 1e8, guess=FRAME["guess"] + 1e8 + 1e4)
    _close(check_metric("mae", data=frame, y_true="target", y_pred="guess", max=2e4), _memory_mae(frame))


def _memory_mae(frame):
    return check_metric(
        "mae", frame["target"].to_numpy(), frame["guess"].to_numpy(), max=2e4, keep_rows=False
    )


def test_table_loss_errors_name_the_argument():
    bad = FRAME.assign(score=FRAME["score"] * 2)
    with pytest.raises(InputError, match=r"^y_score: holds values outside \[0, 1\]"):
        check_metric("log_loss", data=bad, y_true="label", y_score="score", max=1.0)
    missing = FRAME.assign(guess=FRAME["guess"].where(FRAME.index % 10 > 0))
    with pytest.raises(InputError, match=r"^y_pred: column 'guess' has 300 missing values"):
        check_metric("mae", data=missing, y_true="target", y_pred="guess", max=1.0)
    with pytest.raises(InputError, match=r"^y_true: column 'label' has missing values"):
        check_metric("brier", data=FRAME.assign(label=FRAME["label"].where(FRAME.index > 0)), y_true="label",
                     y_score="score", max=1.0)  # fmt: skip


@pytest.mark.parametrize("metric", LOSSES)
def test_spark_loss_equals_memory(spark, metric):
    data = _spark_frame(spark, FRAME)
    _close(check_metric(metric, data=data, **_columns(metric), max=10.0), _memory(metric, FRAME, False))
    weighted = check_metric(metric, data=data, **_columns(metric), sample_weight="w", max=10.0)
    _close(weighted, _memory(metric, FRAME, True))
