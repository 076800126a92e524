"""Input validation shared by every check: each error names the argument and the fix."""

from __future__ import annotations

from typing import Any

import numpy as np

from .errors import InputError


def as_1d(x: Any, argument: str, *, numeric: bool = False, allow_nan: bool = False) -> np.ndarray:
    """Convert a list, array, Series or one-column DataFrame to a 1-D numpy array, or raise."""
    if x is None:
        raise InputError(argument, "is None", "pass an array, list or pandas Series with one entry per row")
    if isinstance(x, (str, bytes)):
        raise InputError(argument, f"is a string ({x[:30]!r})", "pass an array with one entry per row")
    if hasattr(x, "columns") and hasattr(x, "iloc"):  # a DataFrame
        if x.shape[1] != 1:
            raise InputError(
                argument,
                f"is a DataFrame with {x.shape[1]} columns",
                "pass one column (a Series), e.g. frame['target']",
            )
        x = x.iloc[:, 0]
    if hasattr(x, "to_numpy"):
        x = x.to_numpy()
    try:
        arr = np.asarray(x)
    except (ValueError, TypeError) as exc:
        raise InputError(
            argument, f"cannot be read as an array ({exc})", "pass a flat list or 1-D array"
        ) from None
    if arr.ndim == 0:
        raise InputError(argument, "is a single value, not an array", "pass one entry per row")
    if arr.ndim == 2 and 1 in arr.shape:
        arr = arr.reshape(-1)
    if arr.ndim != 1:
        raise InputError(
            argument,
            f"has shape {arr.shape}, expected one value per row",
            "pass a 1-D array; for predict_proba output select a column, e.g. proba[:, 1]",
        )
    if arr.size == 0:
        raise InputError(argument, "is empty", "pass at least one row")
    if numeric or arr.dtype.kind in "fc":
        if arr.dtype.kind not in "biuf":
            try:
                arr = arr.astype(float)
            except (ValueError, TypeError):
                raise InputError(
                    argument, f"holds non-numeric values (dtype {arr.dtype})", "pass numbers"
                ) from None
        arr = arr.astype(float, copy=False) if arr.dtype.kind in "fb" else arr
        if not allow_nan and arr.dtype.kind == "f":
            bad = ~np.isfinite(arr)
            if bad.any():
                first = int(np.flatnonzero(bad)[0])
                raise InputError(
                    argument,
                    f"has {int(bad.sum())} NaN or infinite values (first at row {first})",
                    "drop or impute those rows before checking",
                )
    elif arr.dtype.kind == "O" and not allow_nan:
        missing = np.array([v is None or (isinstance(v, float) and v != v) for v in arr])
        if missing.any():
            first = int(np.flatnonzero(missing)[0])
            raise InputError(
                argument,
                f"has {int(missing.sum())} missing values (first at row {first})",
                "drop or impute those rows before checking",
            )
    return arr


def same_length(reference: np.ndarray, reference_name: str, other: np.ndarray, other_name: str) -> None:
    if len(other) != len(reference):
        raise InputError(
            other_name,
            f"has {len(other)} rows but {reference_name} has {len(reference)}",
            "pass arrays of the same length, one entry per row",
        )


def probabilities(arr: np.ndarray, argument: str) -> np.ndarray:
    arr = arr.astype(float)
    if arr.min() < 0 or arr.max() > 1:
        raise InputError(
            argument,
            f"holds values outside [0, 1] (min {arr.min():.4g}, max {arr.max():.4g})",
            "pass probabilities of the positive class, e.g. model.predict_proba(X)[:, 1]",
        )
    return arr


def encode_labels(
    y_true: np.ndarray, y_pred: np.ndarray | None
) -> tuple[np.ndarray, np.ndarray, np.ndarray | None]:
    """Classes (sorted union) and integer codes of ``y_true`` and ``y_pred``."""
    arrays = [y_true] if y_pred is None else [y_true, y_pred]
    if all((a.dtype.kind in "iu" and a.dtype.itemsize < 8) or a.dtype.kind == "i" for a in arrays):
        low = min(int(a.min()) for a in arrays)
        span = max(int(a.max()) for a in arrays) - low + 1
        if span <= 1_000_000:  # small integer labels: count instead of sorting
            shifted = [a.astype(np.int64) - low for a in arrays]
            present = np.flatnonzero(sum(np.bincount(a, minlength=span) for a in shifted))
            lookup = np.zeros(span, dtype=np.int64)
            lookup[present] = np.arange(present.size)
            classes = (present + low).astype(np.result_type(*arrays))
            return classes, lookup[shifted[0]], (lookup[shifted[1]] if y_pred is not None else None)
    both = y_true if y_pred is None else np.concatenate([y_true.astype(object), y_pred.astype(object)])
    if y_pred is not None and y_true.dtype.kind in "biuf" and y_pred.dtype.kind in "biuf":
        both = np.concatenate([y_true, y_pred])
    try:
        classes, codes = np.unique(both, return_inverse=True)
    except TypeError:
        kinds = sorted({type(v).__name__ for v in both[:1000]})
        raise InputError(
            "y_true/y_pred",
            f"mix label types ({', '.join(kinds)})",
            "use one type for all labels, e.g. all int or all str",
        ) from None
    codes = codes.reshape(-1)
    n = len(y_true)
    return classes, codes[:n], (codes[n:] if y_pred is not None else None)


def positive_index(classes: np.ndarray, pos_label: Any, metric: str) -> int:
    """Index of the positive class among ``classes``; -1 when it is absent from the data."""
    if pos_label is not None:
        hits = np.flatnonzero(classes == pos_label)
        return int(hits[0]) if hits.size else -1
    values = set(classes.tolist())
    if values <= {0, 1} or values <= {-1, 1} or values <= {False, True}:
        hits = np.flatnonzero(classes == 1)
        return int(hits[0]) if hits.size else -1
    raise InputError(
        "pos_label",
        f"{metric} needs to know the positive class and the labels are {sorted(map(str, values))[:10]}",
        "pass pos_label=<the positive label>",
    )


def as_rng(seed: Any) -> np.random.Generator:
    if isinstance(seed, np.random.Generator):
        return seed
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0:
        raise InputError("seed", f"must be a non-negative int, got {seed!r}", "pass e.g. seed=0")
    return np.random.default_rng(int(seed))


def validate_n_boot(n_boot: Any) -> int:
    if isinstance(n_boot, bool) or not isinstance(n_boot, (int, np.integer)) or n_boot < 100:
        raise InputError("n_boot", f"must be an int >= 100, got {n_boot!r}", "pass e.g. n_boot=1000")
    return int(n_boot)
