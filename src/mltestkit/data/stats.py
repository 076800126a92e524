"""Per-column statistics of a dataset, recorded in the report for a dataset card."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from .io import column_kind, load_frame, plain

_QUANTILES = (0.01, 0.25, 0.5, 0.75, 0.99)


def describe_column(s: pd.Series, *, top: int = 5) -> dict[str, Any]:
    """Type, missing values, distinct values, range and quantiles or top categories of one column."""
    kind = column_kind(s)
    n = len(s)
    missing = int(s.isna().sum())
    out: dict[str, Any] = {
        "kind": kind,
        "dtype": str(s.dtype),
        "count": n - missing,
        "missing": missing,
        "missing_fraction": missing / n if n else None,
    }
    values = s.dropna()
    if kind == "numeric":
        # one sort gives the distinct count and the quantiles (linear interpolation, as np.quantile)
        x = np.sort(values.to_numpy(dtype=float))
        out["distinct"] = int(np.count_nonzero(np.diff(x)) + 1) if x.size else 0
        if x.size:
            pos = np.asarray(_QUANTILES) * (x.size - 1)
            lo = np.floor(pos).astype(int)
            hi = np.minimum(lo + 1, x.size - 1)
            q = x[lo] + (pos - lo) * (x[hi] - x[lo])
            out.update(
                min=float(x[0]),
                max=float(x[-1]),
                mean=float(x.mean()),
                std=float(x.std(ddof=1)) if x.size > 1 else None,
                quantiles={f"p{round(p * 100):02d}": float(v) for p, v in zip(_QUANTILES, q, strict=True)},
                zeros=int((x == 0).sum()),
            )
        return out
    try:
        counts = values.value_counts()
    except TypeError:  # unhashable objects
        out["distinct"] = None
        return out
    out["distinct"] = len(counts)
    if kind == "datetime" and len(values):
        out.update(min=plain(values.min()), max=plain(values.max()))
    elif len(values):
        out["top"] = [{"value": plain(k), "count": int(v)} for k, v in counts.head(top).items()]
    return out


def describe_data(data: Any, *, top: int = 5) -> dict[str, Any]:
    """Dataset statistics: the row count and a summary of every column.

    Parameters
    ----------
    data:
        A pandas or polars DataFrame, or the path of a CSV or Parquet file.
    top:
        How many most frequent categories to keep for a categorical column.

    Returns
    -------
    dict
        ``{"rows": n, "columns": {name: {"kind", "dtype", "count", "missing",
        "missing_fraction", "distinct", ...}}}``; numeric columns add ``min``, ``max``,
        ``mean``, ``std``, ``quantiles`` and ``zeros``, categorical ones ``top``.

    Examples
    --------
    >>> import pandas as pd
    >>> stats = describe_data(pd.DataFrame({"age": [30, 40, None], "city": ["a", "b", "a"]}))
    >>> stats["columns"]["age"]["missing"], stats["columns"]["city"]["top"][0]
    (1, {'value': 'a', 'count': 2})
    """
    frame = load_frame(data)
    return {
        "rows": len(frame),
        "columns": {str(c): describe_column(frame[c], top=top) for c in frame.columns},
    }
