"""The served model: latency offline, then the FastAPI service under load with locust."""

import pytest


@pytest.mark.ml_perf
def test_fast_enough_offline(ml, model, test_set):
    ml.check_latency(
        model.predict, test_set.X.iloc[:64], max={"p95_ms": 100}, batch_sizes=[1, 32], n_calls=200
    )


@pytest.fixture
def payloads(test_set):
    return test_set.X.iloc[:50].to_dict(orient="records")


@pytest.mark.ml_load
def test_service_under_load(ml, ml_server, model, test_set, payloads):
    url = ml_server("credit.service:app", health="/health", env={"PYTHONPATH": "src"})
    expected = model.predict(test_set.X.iloc[:50]).tolist()
    ml.load_test(
        url + "/predict",
        payloads=payloads,
        users=5,
        duration="3s",
        max={"p95_ms": 1000, "fail_ratio": 0.0},
        min={"agreement": 1.0},
        expected=expected,
        key="label",
    )


@pytest.mark.ml_load
def test_service_contract(ml, ml_server):
    url = ml_server("credit.service:app", health="/health", env={"PYTHONPATH": "src"})
    ml.check_contract(url, max_examples=10)
