"""check_latency's sequential plan and check_fit_time, decided on injected timings (a fake clock):
no test here depends on how fast this machine is."""

from __future__ import annotations

import math

import numpy as np
import pytest
from sklearn.linear_model import LogisticRegression

from mltestkit import InputError, check_fit_time, check_latency
from mltestkit.serving.latency import calls_to_decide, look_level, looks


class FakeClock:
    """A clock that moves only when the fake ``predict`` (or ``fit``) says a call took so long."""

    def __init__(self, durations):
        self.now = 0.0
        self.durations = iter(durations)
        self.calls = 0

    def __call__(self) -> float:
        return self.now

    def predict(self, batch):
        self.calls += 1
        self.now += next(self.durations)


def timings(seconds, n=10_000_000):
    return (seconds for _ in range(n))


def exponential(scale_s, seed):
    rng = np.random.default_rng(seed)
    while True:
        yield from rng.exponential(scale_s, 4096)


def test_fifty_calls_of_a_2ms_function_no_longer_leave_p95_undecided():
    clock = FakeClock(timings(0.002))
    r = check_latency(clock.predict, [0], max={"p95_ms": 1000}, clock=clock, warmup=0)
    assert r.outcome.value == "passed", r.message
    # at the looks' level (99.5% for 11 looks) 100 calls bound no p95 from above; 200 do
    assert r.details["stopped"] == {"1": "decided"} and r.details["calls"] == {"1": 200}


def test_p99_is_decided_by_calling_on():
    clock = FakeClock(exponential(0.002, seed=1))
    r = check_latency(clock.predict, [0], max={"p99_ms": 50}, clock=clock, warmup=0)
    p99 = next(m for m in r.metrics if m.name == "p99_ms")
    assert r.outcome.value == "passed" and p99.ci.high < 50
    assert r.details["stopped"] == {"1": "decided"} and r.details["calls"]["1"] in r.details["looks"]
    assert r.details["calls"]["1"] > 100  # 100 calls bound no p99 at the looks' level
    assert p99.ci.level == pytest.approx(look_level(0.95, len(r.details["looks"])))


def test_a_clear_failure_stops_at_the_first_look():
    clock = FakeClock(timings(0.02))
    r = check_latency(clock.predict, [0], max={"p95_ms": 5}, clock=clock, warmup=0)
    assert r.outcome.value == "failed" and r.details["calls"] == {"1": 100}


def test_undecided_when_the_budget_runs_out_shows_the_interval_and_the_calls_needed():
    # true p95 of an exponential with mean 2 ms is 5.99 ms: a 6.3 ms limit needs many calls
    clock = FakeClock(exponential(0.002, seed=5))
    r = check_latency(clock.predict, [0], max={"p95_ms": 6.3}, clock=clock, warmup=0, max_seconds=1.0)
    p95 = next(m for m in r.metrics if m.name == "p95_ms")
    assert r.outcome.value == "inconclusive" and r.details["stopped"] == {"1": "max_seconds"}
    assert 400 < r.details["calls"]["1"] < 600  # 1 s of 2 ms calls
    assert p95.describe() in r.message and "timed calls would decide p95_ms at batch size 1" in r.message
    assert f"timing stopped after {r.details['calls']['1']} calls at batch size 1 (max_seconds)" in r.message
    need = int(r.message.split("about ")[1].split(" timed calls")[0])
    assert need > r.details["calls"]["1"]
    # with that many calls (and the same timings) the plan decides
    clock = FakeClock(exponential(0.002, seed=5))
    r = check_latency(clock.predict, [0], max={"p95_ms": 6.3}, clock=clock, warmup=0, max_seconds=1e9,
                      max_calls=4 * need)  # fmt: skip
    assert r.outcome.value == "passed" and r.details["stopped"] == {"1": "decided"}


def test_max_calls_bounds_the_plan_and_n_calls_fixes_it():
    clock = FakeClock(exponential(0.002, seed=3))
    r = check_latency(clock.predict, [0], max={"p95_ms": 5.99}, clock=clock, warmup=0, max_calls=300)
    assert r.details["looks"] == [100, 200, 300] and r.details["calls"]["1"] <= 300
    clock = FakeClock(timings(0.002))
    r = check_latency(clock.predict, [0], max={"p95_ms": 1000}, clock=clock, warmup=0, n_calls=50)
    assert r.details["calls"] == {"1": 50} and r.details["stopped"] == {"1": "n_calls"}


def test_nothing_required_times_a_fixed_number_of_calls():
    clock = FakeClock(timings(0.001))
    r = check_latency(clock.predict, [0], clock=clock, warmup=0)
    assert r.details["calls"] == {"1": 1000} and r.outcome.value == "passed"


def test_the_warm_up_respects_max_seconds():
    clock = FakeClock(timings(1.0))
    r = check_latency(clock.predict, [0], max={"p95_ms": 5000}, clock=clock, warmup=1000, max_seconds=5)
    assert clock.calls <= 7 and r.details["calls"]["1"] >= 1
    assert r.details["stopped"] == {"1": "max_seconds"}


def test_looks_and_their_level():
    assert (
        looks(100_000)[:3] == [100, 200, 400] and looks(100_000)[-1] == 100_000 and len(looks(100_000)) == 11
    )
    assert looks(50) == [50]
    assert look_level(0.95, 1) == 0.95 and math.isclose(look_level(0.95, 10), 0.995)
    ms = np.sort(np.random.default_rng(0).exponential(2.0, 500))
    sample_p95 = float(np.quantile(ms, 0.95, method="inverted_cdf"))
    far, near = (
        calls_to_decide(ms, 0.95, 2 * sample_p95, "<=", 0.95),
        calls_to_decide(ms, 0.95, 1.05 * sample_p95, "<=", 0.95),
    )
    assert far == 500 and near > 1000
    assert calls_to_decide(ms, 0.95, sample_p95, "<=", 0.95) is None  # the estimate sits on the limit


def test_the_sequential_plan_keeps_the_acceptance_error_at_the_threshold():
    """Simulation: the true p95 sits exactly at the limit; acceptance must pass at most 2.5% of runs,
    looks and all. Without the per-look level the same plan passes more often."""
    limit_ms = 2.0 * -math.log(0.05)  # p95 of an exponential with mean 2 ms
    runs = 400
    passed = 0
    for seed in range(runs):
        clock = FakeClock(exponential(0.002, seed=1000 + seed))
        r = check_latency(clock.predict, [0], max={"p95_ms": limit_ms}, clock=clock, warmup=0, max_calls=1600)
        passed += r.outcome.value == "passed"
    share = passed / runs
    assert share <= 0.025 + 3 * math.sqrt(0.025 * 0.975 / runs), share


def test_check_fit_time_times_a_fresh_copy_and_judges_the_slowest_fit():
    clock = FakeClock(iter([1.0, 3.0, 2.0]))

    class Slow:
        def __init__(self, random_state=None):
            self.random_state = random_state

        def get_params(self, deep=True):
            return {"random_state": self.random_state}

        def set_params(self, **params):
            self.__dict__.update(params)
            return self

        def fit(self, X, y):
            clock.now += next(clock.durations)
            self.fitted_ = True
            seeds.append(self.random_state)
            return self

    seeds = []
    original = Slow()
    r = check_fit_time(original, [[0]], [0], max_seconds=2.5, repeats=3, clock=clock, seed=7)
    assert r.kind == "latency" and r.outcome.value == "failed" and r.metrics[0].value == 3.0
    assert r.details["fits_s"] == [1.0, 3.0, 2.0] and not hasattr(original, "fitted_")
    assert "fit_seconds = 3" in r.message and seeds == [7, 7, 7]
    clock.durations = iter([1.0, 1.0])
    assert check_fit_time(Slow(), [[0]], [0], max_seconds=2.5, clock=clock).outcome.value == "passed"
    unjudged = check_fit_time(Slow(), [[0]], [0], clock=clock)
    assert unjudged.metrics[0].outcome is None and unjudged.outcome.value == "passed"


def test_check_fit_time_on_a_real_model():
    X = np.random.default_rng(0).normal(size=(100, 3))
    model = LogisticRegression()
    r = check_fit_time(model, X, (X[:, 0] > 0).astype(int), max_seconds=600)
    assert r.outcome.value == "passed" and not hasattr(model, "coef_")


@pytest.mark.parametrize(
    ("kwargs", "text"),
    [
        ({"estimator": object()}, "estimator: has no fit method (object)"),
        ({"max_seconds": 0}, "max_seconds: must be a positive number, got 0"),
        ({"repeats": 0}, "repeats: must be a positive int, got 0"),
        ({"clock": 3}, "clock: is not callable (int)"),
        ({"y": [0, 1, 2]}, "estimator: fit raised ValueError"),
    ],
)
def test_check_fit_time_bad_input_names_the_argument(kwargs, text):
    args = {"estimator": LogisticRegression(), "X": [[0.0], [1.0]], "y": [0, 1], **kwargs}
    with pytest.raises(InputError) as info:
        check_fit_time(args.pop("estimator"), args.pop("X"), args.pop("y"), **args)
    assert str(info.value).startswith(text)


def test_bad_budget_arguments_name_themselves():
    with pytest.raises(InputError, match="max_calls: must be a positive int"):
        check_latency(lambda x: None, [0], max_calls=0)
    with pytest.raises(InputError, match="clock: is not callable"):
        check_latency(lambda x: None, [0], clock=1)


def test_check_fit_time_through_the_ml_fixture(pytester):
    pytester.makepyfile(
        """
        import numpy as np
        from sklearn.linear_model import LogisticRegression

        def test_trains_fast_enough(ml):
            X = np.random.default_rng(0).normal(size=(50, 2))
            ml.check_fit_time(LogisticRegression(), X, (X[:, 0] > 0).astype(int), max_seconds=600)
        """
    )
    result = pytester.runpytest("--ml", "--ml-report", "r.json", "-p", "no:cacheprovider")
    result.assert_outcomes(passed=1)
    import json

    (check,) = json.loads((pytester.path / "r.json").read_text())["checks"]
    assert check["kind"] == "latency" and check["name"] == "fit_time" and check["outcome"] == "passed"
