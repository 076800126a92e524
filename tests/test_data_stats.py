"""describe_data: per-column statistics equal numpy's and pandas' on random columns."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mltestkit import describe_data


@settings(max_examples=80, deadline=None)
@given(
    st.lists(
        st.one_of(st.none(), st.floats(-1e6, 1e6), st.integers(-5, 5).map(float)), min_size=1, max_size=60
    ),
    st.lists(st.one_of(st.none(), st.sampled_from(["a", "b", "c"])), min_size=1, max_size=60),
)
def test_statistics_equal_numpy_and_pandas(numbers, labels):
    x = pd.Series(numbers, dtype=float)
    c = pd.Series(labels, dtype="str")
    stats = describe_data(pd.DataFrame({"x": x, "c": c.reindex(range(len(x)))}))["columns"]
    sx = stats["x"]
    assert sx["missing"] == int(x.isna().sum()) and sx["distinct"] == x.nunique()
    v = x.dropna().to_numpy()
    if v.size:
        expected = np.quantile(v, [0.01, 0.25, 0.5, 0.75, 0.99])
        assert list(sx["quantiles"].values()) == pytest.approx(expected.tolist(), rel=1e-12, abs=1e-9)
        assert (sx["min"], sx["max"], sx["zeros"]) == (v.min(), v.max(), int((v == 0).sum()))
        assert sx["mean"] == pytest.approx(v.mean(), rel=1e-9, abs=1e-9)
    cc = c.reindex(range(len(x)))
    sc = stats["c"]
    assert sc["distinct"] == cc.nunique() and sc["missing"] == int(cc.isna().sum())
    if sc["distinct"]:
        assert sc["top"][0]["count"] == cc.value_counts().iloc[0]
