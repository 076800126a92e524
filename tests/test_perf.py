"""check_latency: real scikit-learn models on a fake clock, order-statistic interval coverage.

Every call's duration is set by the test through :class:`FakeClock` (``time.perf_counter`` as
``check_latency`` reads it), so the figures and outcomes below are exact and do not depend on how
busy the machine is; real timing belongs to ``bench/``.
"""

from __future__ import annotations

import time

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn.datasets import load_iris
from sklearn.linear_model import LogisticRegression

from mltestkit import InputError, check_latency
from mltestkit.errors import MLTestKitWarning
from mltestkit.serving.latency import quantile_figures, quantile_ranks


class FakeClock:
    """``time.perf_counter`` for ``check_latency``: time moves only when a call says it took some."""

    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now

    def costing(self, seconds: float, predict=None):
        """``predict`` (or a no-op) as a call that takes exactly ``seconds`` on this clock."""

        def timed(batch):
            self.now += seconds
            return None if predict is None else predict(batch)

        return timed


@pytest.fixture
def clock(monkeypatch):
    fake = FakeClock()
    monkeypatch.setattr(time, "perf_counter", fake)
    return fake


@pytest.fixture(scope="module")
def model_and_frame():
    data = load_iris(as_frame=True)
    model = LogisticRegression(max_iter=500).fit(data.data, data.target)
    return model, data.data


def test_fast_model_passes_and_reports_every_batch_size(model_and_frame, clock):
    model, frame = model_and_frame
    seen = []

    def predict(batch):
        seen.append(len(batch))
        return model.predict(batch)

    r = check_latency(
        clock.costing(0.001, predict),
        frame.iloc[:1],
        max={"p95_ms": 200},
        batch_sizes=[1, 32],
        n_calls=200,
        min={"throughput_rows_s": 10},
    )
    assert r.kind == "latency" and r.outcome.value == "passed"
    assert {m.slice["batch_size"] for m in r.metrics} == {1, 32}
    assert set(seen) == {1, 32}
    names = [m.name for m in r.metrics if m.slice["batch_size"] == 32]
    assert names == ["p50_ms", "p95_ms", "p99_ms", "throughput_rows_s"]
    p95 = next(m for m in r.metrics if m.name == "p95_ms")
    assert p95.ci.low <= p95.value <= p95.ci.high and p95.ci.method == "order-statistic"
    assert p95.value == pytest.approx(1.0)
    thr = next(m for m in r.metrics if m.name == "throughput_rows_s" and m.slice["batch_size"] == 32)
    assert thr.value == pytest.approx(32_000)
    assert r.details["calls"] == {"1": 200, "32": 200}
    assert type(r).from_dict(r.to_dict()) == r


def test_a_slow_call_fails_the_p95_gate(clock):
    r = check_latency(clock.costing(0.004), [0], max={"p95_ms": 2}, n_calls=30, warmup=1)
    assert r.outcome.value == "failed"
    assert "p95_ms" in r.message
    p95 = next(m for m in r.metrics if m.name == "p95_ms")
    assert p95.value == pytest.approx(4)


def test_a_tail_of_slow_calls_decides_the_p95_gate(clock):
    """The gate reads the order statistics: 3% slow calls pass a p95 bound, 10% fail it."""
    for slow_share, outcome in ((0.03, "passed"), (0.10, "failed")):
        costs = iter([0.001] + [0.5 if i % 100 < 100 * slow_share else 0.001 for i in range(1000)])

        def predict(batch, costs=costs):
            clock.now += next(costs)

        r = check_latency(predict, [0], max={"p95_ms": 10}, n_calls=1000, warmup=0)
        assert r.outcome.value == outcome, r.describe()


def test_throughput_gate_fails_for_a_slow_function(clock):
    r = check_latency(clock.costing(0.002), [0], min={"throughput_rows_s": 10_000}, n_calls=20, warmup=0)
    thr = next(m for m in r.metrics if m.name == "throughput_rows_s")
    assert thr.outcome.value == "failed" and thr.value == pytest.approx(500)


def test_undecided_p99_is_inconclusive_with_few_calls(clock):
    # with 50 calls no order statistic bounds the 99th percentile from above
    r = check_latency(clock.costing(1e-4), [0], max={"p99_ms": 1000}, n_calls=50)
    p99 = next(m for m in r.metrics if m.name == "p99_ms")
    assert p99.ci.high is None and p99.outcome.value == "inconclusive"
    assert r.fails_test


def test_time_budget_limits_the_calls(clock):
    """Calls stop once ``max_seconds`` is spent: the budget is overrun by one call at most."""
    r = check_latency(clock.costing(1 / 64), [0], n_calls=10_000, max_seconds=10 / 64, warmup=0)
    assert 10 <= r.details["calls"]["1"] <= 11


def test_memory_peak_is_measured_and_gated():
    r = check_latency(lambda x: np.ones(2_000_000), [0], n_calls=5, max={"peak_memory_mb": 1})
    mem = next(m for m in r.metrics if m.name == "peak_memory_mb")
    assert 15 < mem.value < 17 and mem.outcome.value == "failed"


def test_inputs_cycle_through_rows_for_arrays_lists_and_frames():
    for rows in (np.arange(3), [0, 1, 2], pd.DataFrame({"a": [0, 1, 2]})):
        got: list[int] = []
        check_latency(got.append, rows, batch_sizes=[7], n_calls=2, warmup=0)
        assert [len(b) for b in got] == [7, 7, 7]  # one checked call, then the timed ones


def test_a_predict_that_raises_is_an_input_error():
    def predict(batch):
        raise ValueError("X has 3 features, but the model expects 4")

    with pytest.raises(InputError) as info:
        check_latency(predict, [[1, 2, 3]], batch_sizes=[2])
    assert str(info.value) == (
        "predict: raised ValueError: X has 3 features, but the model expects 4 on a batch of 2 rows;"
        " fix the model or the inputs"
    )


def test_under_xdist_the_result_is_marked_unreliable(monkeypatch):
    monkeypatch.setenv("PYTEST_XDIST_WORKER", "gw1")
    with pytest.warns(MLTestKitWarning, match="unreliable"):
        r = check_latency(lambda x: None, [0], n_calls=10)
    assert "pytest-xdist" in r.details["unreliable"] and r.message.startswith("unreliable")


@pytest.mark.parametrize(
    ("kwargs", "text"),
    [
        ({"predict": 3}, "predict: is not callable (int); pass e.g. model.predict"),
        ({"inputs": []}, "inputs: must hold at least one row"),
        ({"batch_sizes": [0]}, "batch_sizes: must be a positive int, got 0; pass e.g. batch_sizes=[1, 32]"),
        ({"batch_sizes": []}, "batch_sizes: is empty"),
        (
            {"max": {"p95_ms": -1}},
            "max: p95_ms must be a positive number, got -1; pass e.g. max={'p95_ms': 20}",
        ),
        ({"max": {"p96_ms": 1}}, "max: unknown figure 'p96_ms'; use one of p50_ms, p95_ms, p99_ms"),
        ({"max": 50}, "max: this check measures several figures"),
        ({"p95": 50}, "p95: is not an argument of check_latency"),
        ({"n_calls": 1.5}, "n_calls: must be a positive int"),
        ({"warmup": -1}, "warmup: must be a non-negative int"),
        ({"rule": "strict"}, "rule: unknown gate rule 'strict'"),
    ],
)
def test_bad_input_names_the_argument(kwargs, text):
    args = {"predict": lambda x: None, "inputs": [0], **kwargs}
    with pytest.raises(InputError) as info:
        check_latency(args.pop("predict"), args.pop("inputs"), **args)
    assert str(info.value).startswith(text)


def test_quantile_interval_covers_the_true_quantile():
    """Coverage of the order-statistic interval by simulation: at least the level, up to noise."""
    rng = np.random.default_rng(0)
    n, reps = 300, 2000
    draws = np.sort(rng.exponential(size=(reps, n)), axis=1)
    for q in (0.5, 0.95):
        truth = -np.log(1 - q)
        _, lo, hi = quantile_ranks(n, q, 0.95)
        covered = (draws[:, lo - 1] <= truth) & (truth <= draws[:, hi - 1])
        assert covered.mean() >= 0.94, (q, covered.mean())


@settings(max_examples=60, deadline=None)
@given(st.lists(st.floats(0, 1000, allow_nan=False), min_size=1, max_size=300))
def test_quantile_estimates_equal_numpy_inverted_cdf_and_histograms_agree(values):
    arr = np.sort(np.asarray(values))
    figures = quantile_figures(arr, None, 0.95)
    keys, counts = np.unique(arr, return_counts=True)
    from_hist = quantile_figures(keys, counts, 0.95)
    for name, q in (("p50_ms", 0.5), ("p95_ms", 0.95), ("p99_ms", 0.99)):
        assert figures[name][0] == np.quantile(arr, q, method="inverted_cdf")
        assert figures[name] == from_hist[name]


@pytest.mark.parametrize(
    ("old", "new"),
    [
        ({"p50_ms": 1000}, {"max": {"p50_ms": 1000}}),
        ({"p95_ms": 1000}, {"max": {"p95_ms": 1000}}),
        ({"p99_ms": 1000}, {"max": {"p99_ms": 1000}}),
        ({"max_memory_mb": 1000}, {"max": {"peak_memory_mb": 1000}}),
        ({"min_throughput": 1}, {"min": {"throughput_rows_s": 1}}),
    ],
)
def test_the_old_requirement_spellings_still_work_with_a_deprecation(old, new):
    (key, value), (side, figures) = next(iter(old.items())), next(iter(new.items()))
    with pytest.deprecated_call(match=rf"check_latency: {key}={value} is deprecated .*; use {side}="):
        r = check_latency(lambda x: None, [0], n_calls=300, warmup=0, **old)
    figure = next(iter(figures))
    judged = [m for m in r.metrics if m.thresholds]
    assert [m.name for m in judged] == [figure]
    assert judged[0].thresholds == next(
        m.thresholds
        for m in check_latency(lambda x: None, [0], n_calls=300, warmup=0, **new).metrics
        if m.thresholds
    )
