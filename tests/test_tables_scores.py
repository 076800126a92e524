"""Score matrices from tables: ``y_score=`` names one column per class (in the sorted classes'
order, as the columns of ``model.predict_proba``) or one column of fixed-size lists, and the
metrics of a score matrix (top-k accuracy, multi-class log loss, one-vs-rest AUC) equal the
in-memory figures on the same matrix, on every engine, in ``check_metric``, ``check_slices``
and ``find_weak_slices``."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from test_tables import _as, _spark_frame
from test_tables_weights import _close, _same_details

from mltestkit import InputError, check_metric, check_slices, find_weak_slices

ENGINES = ["pandas", "polars", "polars-lazy", "pyarrow", "duckdb", "parquet-dir"]
MATRIX_METRICS = ["top_k_accuracy", "top_1_accuracy", "log_loss", "roc_auc_ovr", "roc_auc_ovr_weighted"]
CLASSES = np.array(["ant", "bee", "cat"], dtype=object)
COLUMNS = ["p_ant", "p_bee", "p_cat"]


def _frame(n: int = 1500, seed: int = 21) -> tuple[pd.DataFrame, np.ndarray]:
    rng = np.random.default_rng(seed)
    codes = rng.integers(0, 3, n)
    logits = rng.normal(size=(n, 3)) + 1.1 * np.eye(3)[codes]
    p = np.exp(logits)
    p = np.round(p / p.sum(axis=1, keepdims=True), 6)
    p[:, 2] = 1.0 - p[:, 0] - p[:, 1]
    frame = pd.DataFrame(
        {
            "y": CLASSES[codes],
            "region": np.array(["north", "south", "east", "west"], dtype=object)[rng.integers(0, 4, n)],
            **{c: p[:, i] for i, c in enumerate(COLUMNS)},
            "w": np.where(rng.random(n) < 0.1, 0.0, rng.lognormal(0.0, 0.6, n)),
        }
    )
    frame["proba"] = list(p)
    return frame, p


FRAME, P = _frame()
Y = FRAME["y"].to_numpy()


def _memory(metric: str, **kw):
    return check_metric(metric, Y, y_score=P, keep_rows=False, **kw)


@pytest.mark.parametrize("kind", ENGINES)
def test_score_matrix_columns_equal_memory(kind, tmp_path):
    data = _as(kind, FRAME, tmp_path)
    for metric in MATRIX_METRICS:
        bound = {"max": 1.0} if metric == "log_loss" else {"min": 0.6}
        ref = _memory(metric, **bound)
        _close(check_metric(metric, "y", y_score=COLUMNS, data=data, **bound), ref)
        _close(check_metric(metric, "y", y_score="proba", data=data, **bound), ref)
    for metric in ("top_k_accuracy", "log_loss"):
        ref = _memory(metric, sample_weight=FRAME["w"].to_numpy())
        _close(check_metric(metric, "y", y_score=COLUMNS, data=data, sample_weight="w"), ref)


@pytest.mark.parametrize("kind", ["pandas", "duckdb", "parquet-dir"])
def test_slices_and_weak_slices_read_the_score_matrix(kind, tmp_path):
    data = _as(kind, FRAME, tmp_path)
    by = FRAME[["region"]]
    names = ["top_1_accuracy", "roc_auc_ovr", "log_loss"]
    ref = check_slices(names, Y, by=by, y_score=P, min=0.5)
    for y_score in (COLUMNS, "proba"):
        got = check_slices(names, "y", by="region", y_score=y_score, data=data, min=0.5)
        _close(got, ref)
        _same_details(got.details, ref.details)
    ref_w = find_weak_slices(Y, by=by, y_score=P, metric="top_1_accuracy", max=0.5)
    got_w = find_weak_slices(
        by="region", y_true="y", y_score=COLUMNS, metric="top_1_accuracy", data=data, max=0.5
    )
    _close(got_w, ref_w)
    _same_details(got_w.details, ref_w.details)
    w = FRAME["w"].to_numpy()
    ref = check_slices("top_k_accuracy", Y, by=by, y_score=P, sample_weight=w, min=0.6)
    got = check_slices(
        "top_k_accuracy", "y", by="region", y_score="proba", data=data, sample_weight="w", min=0.6
    )
    _close(got, ref)


def test_the_columns_follow_the_sorted_classes():
    shuffled = [COLUMNS[2], COLUMNS[0], COLUMNS[1]]
    right = check_metric("top_1_accuracy", "y", y_score=COLUMNS, data=FRAME)
    wrong = check_metric("top_1_accuracy", "y", y_score=shuffled, data=FRAME)
    assert wrong.metrics[0].value < right.metrics[0].value - 0.2  # the column order is the class order
    _close(wrong, check_metric("top_1_accuracy", Y, y_score=P[:, [2, 0, 1]], keep_rows=False))


def test_bad_score_columns_are_refused_naming_y_score():
    with pytest.raises(
        InputError,
        match=r"^y_score: has 2 scores a row \(columns \['p_ant', 'p_bee'\]\) but y_true has 3 classes",
    ):
        check_metric("top_k_accuracy", "y", y_score=COLUMNS[:2], data=FRAME)
    with pytest.raises(
        InputError, match=r"^y_score: names column 'p_cta', which is not in data; did you mean 'p_cat'"
    ):
        check_metric("roc_auc_ovr", "y", y_score=["p_ant", "p_bee", "p_cta"], data=FRAME)
    with pytest.raises(InputError, match=r"^y_score: names a column twice"):
        check_metric("log_loss", "y", y_score=["p_ant", "p_bee", "p_ant"], data=FRAME)
    with pytest.raises(InputError, match=r"^y_score: column 'region' is not numeric"):
        check_metric("top_k_accuracy", "y", y_score=["p_ant", "p_bee", "region"], data=FRAME)
    with pytest.raises(InputError, match=r"^y_score: must name a column of data or a list of columns"):
        check_metric("top_k_accuracy", "y", y_score=P, data=FRAME)
    ragged = FRAME.assign(proba=[row[:2] if i == 7 else row for i, row in enumerate(FRAME["proba"])])
    with pytest.raises(InputError, match=r"^y_score: column 'proba' holds lists of 2 to 3 scores"):
        check_metric("top_k_accuracy", "y", y_score="proba", data=ragged)
    with pytest.raises(InputError, match=r"^y_score: has 3 columns and roc_auc reads one score a row"):
        check_metric("roc_auc", "y", y_score=COLUMNS, data=FRAME)
    with pytest.raises(InputError, match=r"^sample_weight: is not supported for roc_auc_ovr"):
        check_metric("roc_auc_ovr", "y", y_score=COLUMNS, data=FRAME, sample_weight="w")
    with pytest.raises(InputError, match=r"^y_score: row 0 sums to"):
        check_metric("log_loss", "y", y_score=COLUMNS, data=FRAME.assign(p_ant=FRAME["p_ant"] * 0.5))


def test_spark_score_matrix_equals_memory(spark):
    data = _spark_frame(spark, FRAME)
    for metric in ("top_k_accuracy", "log_loss", "roc_auc_ovr"):
        ref = _memory(metric)
        _close(check_metric(metric, "y", y_score=COLUMNS, data=data), ref)
        _close(check_metric(metric, "y", y_score="proba", data=data), ref)
    ref = check_slices("top_1_accuracy", Y, by=FRAME[["region"]], y_score=P, min=0.5)
    _close(check_slices("top_1_accuracy", "y", by="region", y_score="proba", data=data, min=0.5), ref)
