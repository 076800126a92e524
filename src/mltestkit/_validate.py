"""Input validation shared by every check: each error names the argument and the fix."""

from __future__ import annotations

import math
import warnings
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import Any

import numpy as np
import pandas as pd

from .errors import InputError, MLTestKitWarning, caller_stacklevel

#: The most bins a histogram-based figure accepts.
MAX_BINS = 10**6
#: More rows than any table holds: a size above it (``min_size=2**70``) cannot mean anything.
MAX_ROWS = 2**53


def as_1d(x: Any, argument: str, *, numeric: bool = False, allow_nan: bool = False) -> np.ndarray:
    """Convert a list, array, Series or one-column DataFrame to a 1-D numpy array, or raise."""
    if x is None:
        raise InputError(argument, "is None", "pass an array, list or pandas Series with one entry per row")
    if isinstance(x, (str, bytes)):
        raise InputError(argument, f"is a string ({x[:30]!r})", "pass an array with one entry per row")
    refuse_unsized(x, argument)
    if hasattr(x, "columns") and hasattr(x, "shape"):  # a DataFrame (pandas, polars)
        if x.shape[1] != 1:
            raise InputError(
                argument,
                f"is a DataFrame with {x.shape[1]} columns",
                "pass one column (a Series), e.g. frame['target']",
            )
        x = x.iloc[:, 0] if hasattr(x, "iloc") else x.to_series()
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
    if arr.dtype.kind in "mM":
        raise InputError(
            argument,
            f"holds dates or durations (dtype {arr.dtype}), not labels or numbers",
            "pass the labels or scores; convert dates explicitly if they are meant as numbers",
        )
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
        missing = np.array([is_missing(v) for v in arr])
        if missing.any():
            first = int(np.flatnonzero(missing)[0])
            raise InputError(
                argument,
                f"has {int(missing.sum())} missing values (first at row {first})",
                "drop or impute those rows before checking",
            )
    return arr


def is_missing(v: Any) -> bool:
    """Whether a scalar is a missing value: None, NaN, ``pd.NA`` or ``pd.NaT``.

    >>> import pandas as pd
    >>> [is_missing(v) for v in (None, float("nan"), pd.NA, pd.NaT, 0, "a")]
    [True, True, True, True, False, False]
    """
    if v is None or (isinstance(v, float) and v != v):
        return True
    return type(v).__name__ in ("NAType", "NaTType")


def refuse_unsized(x: Any, argument: str) -> None:
    """Raise for a generator, iterator or dict where rows are expected (they have no rows to count).

    >>> refuse_unsized(iter([1, 2]), "y_true")
    Traceback (most recent call last):
    ...
    mltestkit.errors.InputError: y_true: is a list_iterator, which can be read only once; pass a list or an array, e.g. list(values)
    """
    if isinstance(x, dict):
        raise InputError(
            argument,
            f"is a dict (keys {list(x)[:5]})",
            "pass a DataFrame (pandas.DataFrame(the_dict)) or the one column meant",
        )
    if hasattr(x, "__next__") or (hasattr(x, "__iter__") and not hasattr(x, "__len__")):
        raise InputError(
            argument,
            f"is a {type(x).__name__}, which can be read only once",
            "pass a list or an array, e.g. list(values)",
        )


def flag(value: Any, argument: str) -> bool:
    """``value`` if it is a bool (Python or numpy), else an :class:`InputError`.

    >>> flag(np.True_, "memory")
    True
    """
    if not isinstance(value, (bool, np.bool_)):
        raise InputError(argument, f"must be True or False, got {value!r}", f"pass {argument}=True or False")
    return bool(value)


def count(value: Any, argument: str, *, low: int = 1, high: int = 10**9, example: int = 10) -> int:
    """``value`` as an int in ``[low, high]``; bools, floats and out-of-range values raise.

    >>> count(np.int64(5), "bins")
    5
    >>> count(True, "bins")
    Traceback (most recent call last):
    ...
    mltestkit.errors.InputError: bins: must be an int in [1, 1000000000], got True; pass e.g. bins=10
    """
    if (
        isinstance(value, (bool, np.bool_))
        or not isinstance(value, (int, np.integer))
        or not low <= value <= high
    ):
        raise InputError(
            argument, f"must be an int in [{low}, {high}], got {value!r}", f"pass e.g. {argument}={example}"
        )
    return int(value)


def number(
    value: Any, argument: str, *, low: float = -math.inf, high: float = math.inf, example: float = 0.0
) -> float:
    """``value`` as a finite float in ``[low, high]``; bools, NaN and non-numbers raise.

    >>> number(0.5, "tolerance", low=0)
    0.5
    >>> number(float("nan"), "tolerance", low=0)
    Traceback (most recent call last):
    ...
    mltestkit.errors.InputError: tolerance: must be a finite number >= 0, got nan; pass e.g. tolerance=0.0
    """
    real = isinstance(value, (int, float, np.integer, np.floating)) and not isinstance(
        value, (bool, np.bool_)
    )
    if not real or not math.isfinite(value) or not low <= value <= high:
        where = " and ".join(
            t
            for t in (f">= {low:g}" if low > -math.inf else "", f"<= {high:g}" if high < math.inf else "")
            if t
        )
        raise InputError(
            argument,
            f"must be a finite number{' ' + where if where else ''}, got {value!r}",
            f"pass e.g. {argument}={example!r}",
        )
    return float(value)


def text(value: Any, argument: str, *, optional: bool = False) -> Any:
    """``value`` if it is a string (or ``None`` when ``optional``), else an :class:`InputError`."""
    if value is None and optional:
        return None
    if not isinstance(value, str):
        raise InputError(
            argument,
            f"must be a string, got {type(value).__name__} {value!r:.60}",
            f"pass e.g. {argument}='...'",
        )
    return value


def column(value: Any, argument: str) -> Any:
    """A column name (a string or an int), or ``None``; other values raise.

    >>> column("age", "label")
    'age'
    """
    if (
        value is None
        or isinstance(value, str)
        or (isinstance(value, (int, np.integer)) and not isinstance(value, bool))
    ):
        return value
    raise InputError(
        argument,
        f"must be a column name, got {type(value).__name__} {value!r:.60}",
        f"pass e.g. {argument}='target'",
    )


def columns(value: Any, argument: str) -> list[Any] | None:
    """A list of column names from a list or tuple (or ``None``); a bare string or other values raise.

    >>> columns(("a", "b"), "columns")
    ['a', 'b']
    """
    if value is None:
        return None
    if isinstance(value, str) or not isinstance(value, (list, tuple, pd.Index, np.ndarray)):
        raise InputError(
            argument,
            f"must be a list of column names, got {type(value).__name__} {value!r:.60}",
            f"pass e.g. {argument}=['a', 'b']",
        )
    return [column(v, argument) for v in value]


def class_labels(arr: np.ndarray, argument: str, metric: str) -> None:
    """Raise when a classification metric is given continuous values as labels."""
    if arr.dtype.kind == "f" and np.any(arr != np.round(arr)):
        raise InputError(
            argument,
            f"{metric} compares class labels and the values are continuous",
            "pass class labels (model.predict) or use a score metric such as roc_auc with y_score=",
        )


def warn_hard_scores(scores: np.ndarray, argument: str, metric: str) -> None:
    """Warn when the scores of a ranking metric are integer labels 0 and 1 (``predict``, not scores)."""
    if scores.dtype.kind in "iu" and scores.size > 2 and np.isin(scores, (0, 1)).all():
        warnings.warn(
            MLTestKitWarning(
                f"{argument}: holds only 0 and 1, so {metric} ranks hard labels, not scores; "
                "pass model.predict_proba(X)[:, 1] or model.decision_function(X)"
            ),
            stacklevel=caller_stacklevel(),
        )


def same_length(reference: np.ndarray, reference_name: str, other: np.ndarray, other_name: str) -> None:
    if len(other) != len(reference):
        raise InputError(
            other_name,
            f"has {len(other)} rows but {reference_name} has {len(reference)}",
            "pass arrays of the same length, one entry per row",
        )


def as_weights(sample_weight: Any, n: int) -> np.ndarray | None:
    """Non-negative finite weights, one a row of ``n`` (``None`` when not given).

    >>> as_weights([1, 2.5], 2).tolist(), as_weights(None, 3)
    ([1.0, 2.5], None)
    """
    if sample_weight is None:
        return None
    w = as_1d(sample_weight, "sample_weight", numeric=True).astype(float)
    same_length(np.empty(n), "y_true", w, "sample_weight")
    if np.any(w < 0):
        raise InputError("sample_weight", "has negative weights", "pass weights >= 0")
    return w


def probabilities(arr: np.ndarray, argument: str) -> np.ndarray:
    arr = arr.astype(float)
    if arr.min() < 0 or arr.max() > 1:
        raise InputError(
            argument,
            f"holds values outside [0, 1] (min {arr.min():.4g}, max {arr.max():.4g})",
            "pass probabilities of the positive class, e.g. model.predict_proba(X)[:, 1]",
        )
    return arr


def _int_codes(x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Sorted distinct values and codes of an integer array: counted when the range is small."""
    low, high = int(x.min()), int(x.max())
    span = high - low + 1
    if span > 4 * x.size + 4096:
        codes, uniques = pd.factorize(x, sort=True)
        return np.asarray(uniques), codes.astype(np.int64, copy=False)
    shifted = x.astype(np.int64, copy=False)
    if low:
        shifted = shifted - low
    if span <= 2:  # the minimum and the maximum are present: nothing to count
        return np.arange(low, high + 1), shifted
    present = np.flatnonzero(np.bincount(shifted, minlength=span))
    if present.size == span:
        return present + low, shifted
    lookup = np.zeros(span, dtype=np.int64)
    lookup[present] = np.arange(present.size)
    return present + low, lookup[shifted]


def _packed(values: np.ndarray) -> tuple[list[np.ndarray], int]:
    """Fixed-width strings as non-negative int64 keys whose lexicographic order is the strings'
    order, and the bits each character takes in a key."""
    wide = values.dtype.kind == "U"
    chars = np.ascontiguousarray(values).view(np.uint32 if wide else np.uint8).reshape(values.size, -1)
    bits = max(int(chars.max()).bit_length(), 1)
    per = 63 // bits
    keys = []
    for start in range(0, chars.shape[1], per):
        key = chars[:, start].astype(np.int64)
        for j in range(start + 1, min(start + per, chars.shape[1])):
            key <<= bits
            np.bitwise_or(key, chars[:, j], out=key)
        keys.append(key)
    return keys, bits


def _unpacked(keys: np.ndarray, bits: int, dtype: np.dtype) -> np.ndarray:
    """The strings of one-key packed values (the inverse of :func:`_packed`)."""
    width = dtype.itemsize // (4 if dtype.kind == "U" else 1)
    shifts = bits * np.arange(width - 1, -1, -1, dtype=np.int64)
    chars = (keys[:, None] >> shifts) & ((1 << bits) - 1)
    return (
        np.ascontiguousarray(chars.astype(np.uint32 if dtype.kind == "U" else np.uint8))
        .view(dtype)
        .reshape(-1)
    )


def factorize(values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The sorted distinct values of a 1-D array and each row's index among them (int64).

    Integers, bools and whole floats in a small range are counted instead of sorted; fixed-width
    strings are packed, exactly and in their order, into integers and factorized as those;
    other values are hashed (missing values of an object array get code -1). The codes may share
    memory with ``values``: write to neither.

    >>> factorize(np.array(["b", "a", "b"]))
    (array(['a', 'b'], dtype='<U1'), array([1, 0, 1]))
    >>> factorize(np.array([3.0, 1.0, 3.0]))
    (array([1., 3.]), array([1, 0, 1]))
    """
    kind = values.dtype.kind
    if values.size == 0:
        return values[:0], np.zeros(0, dtype=np.int64)
    if kind in "US" and values.dtype.itemsize:
        keys, bits = _packed(values)
        if len(keys) == 1:
            uniques, codes = _int_codes(keys[0])
            return _unpacked(uniques, bits, values.dtype), codes
        uniques, codes = _combined(keys)
        first = np.empty(uniques.size, dtype=np.intp)
        first[codes] = np.arange(values.size)
        return values[first], codes
    if kind == "b" or (kind in "iu" and not (kind == "u" and values.dtype.itemsize == 8)):
        uniques, codes = _int_codes(values.view(np.uint8) if kind == "b" else values)
        return uniques.astype(values.dtype), codes
    if kind == "f":
        with np.errstate(invalid="ignore"):
            whole = values.astype(np.int64)
        if np.array_equal(whole, values):
            uniques, codes = _int_codes(whole)
            return uniques.astype(values.dtype), codes
    if kind in "fu":
        uniques, codes = np.unique(values, return_inverse=True)
        return uniques, codes.reshape(-1).astype(np.int64)
    codes, uniques = pd.factorize(values)
    order, ordered = pd.factorize(np.asarray(uniques, dtype=object), sort=True)
    if uniques.size:  # the last entry -1 maps a missing value's code -1 to itself
        codes = np.append(order.astype(np.int64), -1)[codes]
    return np.asarray(ordered, dtype=object), codes.astype(np.int64, copy=False)


#: Arrow strings up to this many bytes are factorized from their buffers; longer ones by Arrow's hash.
_WORDS = 4


def _combined(keys: list[np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
    """Distinct tuples of several integer keys (sorted by the keys in turn) and each row's code."""
    uniques, codes = _int_codes(keys[0])
    for key in keys[1:]:
        more, extra = _int_codes(key)
        uniques, codes = _int_codes(codes * more.size + extra)
    return uniques, codes


def _string_words(array: Any) -> list[np.ndarray] | None:
    """Keys of the strings of an Arrow ``string`` / ``large_string`` array: each 8-byte chunk of
    a value read as a big-endian number of as many bytes as the chunk holds (short values of one
    length and a common prefix get close keys, which are counted), and the values' lengths when
    one holds a NUL byte; ``None`` when a value is longer than ``8 * _WORDS`` bytes."""
    import pyarrow as pa

    if not (pa.types.is_string(array.type) or pa.types.is_large_string(array.type)):
        return None
    n = len(array)
    wide = pa.types.is_large_string(array.type)
    width = 8 if wide else 4
    offsets = np.frombuffer(
        array.buffers()[1], dtype=np.int64 if wide else np.int32, count=n + 1, offset=array.offset * width
    )
    lengths = np.diff(offsets)
    longest = int(lengths.max())
    if longest > 8 * _WORDS:
        return None
    start, size = int(offsets[0]), int(offsets[-1] - offsets[0])
    padded = np.zeros(size + 8, np.uint8)
    if size:
        padded[:size] = np.frombuffer(array.buffers()[2], np.uint8, count=size, offset=start)
    words = np.ndarray((size + 1,), dtype="<u8", buffer=padded, strides=(1,))
    rows: np.ndarray = offsets[:-1] - start if start else offsets[:-1]
    same = int(lengths.min()) == longest
    keys = []
    for j in range(max(-(-longest // 8), 1)):
        chunk = words.take(np.minimum(rows.astype(np.int64) + 8 * j, size) if j else rows, axis=0)
        chunk.byteswap(inplace=True)
        if same:
            shift = _SHIFTS[min(longest - 8 * j, 8)]
        else:
            shift = _SHIFTS.take(np.clip(lengths - 8 * j, 0, 8) if j or longest > 8 else lengths)
        np.right_shift(chunk, shift, out=chunk)
        keys.append(chunk.view(np.int64))
    if not padded[:size].all():
        keys.append(lengths)
    return keys


#: The right shift that keeps the first ``k`` bytes (0..8) of a word read big-endian (numpy
#: shifts by 64 to zero).
_SHIFTS = np.array([8 * (8 - k) for k in range(9)], dtype=np.uint64)


def arrow_strings(s: Any) -> Any | None:
    """The Arrow (chunked) array behind a pandas Series of Arrow-backed strings, else ``None``."""
    dtype = getattr(s, "dtype", None)
    arrow = (isinstance(dtype, pd.StringDtype) and dtype.storage == "pyarrow") or (
        isinstance(dtype, pd.ArrowDtype) and dtype.kind in "OU" and "string" in str(dtype.pyarrow_dtype)
    )
    if not arrow:
        return None
    import pyarrow as pa

    return pa.chunked_array(pa.array(s.array))


def factorize_strings(array: Any) -> tuple[np.ndarray, np.ndarray]:
    """The sorted distinct values (an object array) of an Arrow string array or chunked array,
    and each row's index among them (int64; -1 for a null).

    Short strings are keyed by their bytes, read from the array's buffers, and counted; the few
    distinct values are then sorted as text. Longer ones are hashed by Arrow.

    >>> import pyarrow as pa
    >>> uniques, codes = factorize_strings(pa.array(["b", None, "a", "b"]))
    >>> uniques.tolist(), codes.tolist()
    (['a', 'b'], [1, -1, 0, 1])
    """
    import pyarrow as pa

    if isinstance(array, pa.ChunkedArray):
        array = array.combine_chunks() if array.num_chunks != 1 else array.chunk(0)
    n = len(array)
    keys = _string_words(array) if n else None
    if keys is None:
        encoded = array.dictionary_encode()
        codes = encoded.indices.fill_null(-1).to_numpy(zero_copy_only=False).astype(np.int64)
        labels = np.asarray(encoded.dictionary.to_pylist(), dtype=object)
        present = np.arange(labels.size)
    else:
        uniques, codes = _combined(keys)
        present = np.arange(uniques.size)
        if array.null_count:
            codes = np.where(array.is_null().to_numpy(zero_copy_only=False), -1, codes)
            present = np.flatnonzero(np.bincount(codes + 1, minlength=uniques.size + 1)[1:])
        labels = np.empty(uniques.size, dtype=object)
        if len(keys) == 1:  # the key is the value's bytes
            labels[present] = [
                (int(v) % 2**64).to_bytes(8, "big").lstrip(b"\0").decode() for v in uniques[present]
            ]
        else:
            where = np.zeros(uniques.size, dtype=np.int64)
            rows = np.flatnonzero(codes >= 0)
            where[codes[rows]] = rows
            labels[present] = array.take(pa.array(where[present])).to_pylist()
    order = present[np.argsort(labels[present], kind="stable")]
    lookup = np.full(labels.size + 1, -1, dtype=np.int64)
    lookup[order] = np.arange(order.size)
    return labels[order], lookup[codes]


def encode_labels(
    y_true: np.ndarray, y_pred: np.ndarray | None
) -> tuple[np.ndarray, np.ndarray, np.ndarray | None]:
    """Classes (sorted union) and integer codes of ``y_true`` and ``y_pred``.

    >>> classes, t, p = encode_labels(np.array(["b", "a"]), np.array(["c", "b"]))
    >>> classes.tolist(), t.tolist(), p.tolist()
    (['a', 'b', 'c'], [1, 0], [2, 1])
    """
    arrays = [y_true] if y_pred is None else [y_true, y_pred]
    numeric = all(a.dtype.kind in "biuf" for a in arrays)
    try:
        parts = [factorize(a) for a in arrays]
        pool = [u if numeric or y_pred is None else u.astype(object) for u, _ in parts]
        classes = pool[0] if len(pool) == 1 and pool[0].dtype.kind != "O" else np.unique(np.concatenate(pool))
    except TypeError:
        kinds = sorted({type(v).__name__ for a in arrays for v in a[:1000]})
        raise InputError(
            "y_true/y_pred",
            f"mix label types ({', '.join(kinds)})",
            "use one type for all labels, e.g. all int or all str",
        ) from None
    codes = [
        c if u.size == classes.size else np.searchsorted(classes, u.astype(classes.dtype))[c]
        for u, c in parts
    ]
    return classes, codes[0], (codes[1] if y_pred is not None else None)


def positive_index(classes: np.ndarray, pos_label: Any, metric: str) -> int:
    """Index of the positive class among ``classes``; -1 when it is absent from the data."""
    if pos_label is not None:
        if not np.isscalar(pos_label) or is_missing(pos_label):
            raise InputError(
                "pos_label", f"must be one label, got {pos_label!r:.60}", "pass e.g. pos_label=1"
            )
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
    if isinstance(n_boot, bool) or not isinstance(n_boot, (int, np.integer)) or not 100 <= n_boot <= 10**6:
        raise InputError(
            "n_boot", f"must be an int >= 100 and <= 10**6, got {n_boot!r}", "pass e.g. n_boot=1000"
        )
    return int(n_boot)


@contextmanager
def blame_legacy(legacy: Mapping[str, Any], spellings: Mapping[str, tuple[str, str]]) -> Iterator[None]:
    """Re-raise an error about a bound given with a deprecated spelling under that spelling's name.

    ``load_test(p95_ms=...)`` is folded into ``max={"p95_ms": ...}``; an error about it then names
    ``p95_ms``, the argument the caller wrote, not ``max``.

    >>> with blame_legacy({"p95_ms": -1}, {"p95_ms": ("max", "p95_ms")}):
    ...     raise InputError("max", "p95_ms must be a positive number, got -1", "pass e.g. 20")
    Traceback (most recent call last):
    ...
    mltestkit.errors.InputError: p95_ms: must be a positive number, got -1; pass e.g. 20
    """
    try:
        yield
    except InputError as exc:
        for key in legacy:
            if key not in spellings:
                continue
            side, figure = spellings[key]
            problem = exc.problem
            if exc.argument in (f"{figure}.{side}", figure) or (
                exc.argument == side and (problem.startswith(f"{figure} ") or len(legacy) == 1)
            ):
                if problem.startswith(f"{figure} "):
                    problem = problem[len(figure) + 1 :]
                raise InputError(key, problem, exc.fix) from None
        raise


def sequence(value: Any, argument: str, *, optional: bool = False) -> Any:
    """A list from a list, tuple, array or Series (one entry per row); other values raise.

    >>> sequence((1, 2), "responses")
    [1, 2]
    """
    if value is None and optional:
        return None
    if value is None or isinstance(value, (str, bytes)) or not hasattr(value, "__len__"):
        refuse_unsized(value, argument)
        raise InputError(
            argument, f"must be a list with one entry per row, got {type(value).__name__}", "pass a list"
        )
    refuse_unsized(value, argument)
    if hasattr(value, "to_list"):
        return list(value.to_list())
    return list(value)


def key_path(value: Any, argument: str = "key") -> Any:
    """``None``, a dotted path into a JSON body (``"label"``, ``"probs.1"``) or a callable."""
    if value is None or callable(value) or isinstance(value, str):
        return value
    raise InputError(
        argument,
        f"must be a dotted path or a function, got {type(value).__name__} {value!r:.60}",
        f"pass e.g. {argument}='label' or {argument}=lambda body: body['label']",
    )


def mapping(value: Any, argument: str) -> dict[Any, Any] | None:
    """``None`` or a dict (e.g. HTTP headers); other values raise.

    >>> mapping({"X-Key": "1"}, "headers")
    {'X-Key': '1'}
    """
    if value is None or isinstance(value, Mapping):
        return None if value is None else dict(value)
    raise InputError(
        argument, f"must be a dict, got {type(value).__name__} {value!r:.60}", f"pass e.g. {argument}={{}}"
    )


def unique_columns(frame: Any, argument: str) -> None:
    """Raise when a table has duplicated column names (a column would be read as a frame).

    >>> unique_columns(pd.DataFrame([[1, 2]], columns=["a", "a"]), "data")
    Traceback (most recent call last):
    ...
    mltestkit.errors.InputError: data: has duplicated column names ['a']; rename the columns, e.g. frame.columns = [...]
    """
    names = getattr(frame, "columns", None)
    if names is None or not hasattr(frame, "iloc"):
        return
    index = pd.Index(names)
    if not index.is_unique:
        dup = index[index.duplicated()].unique().tolist()[:5]
        raise InputError(
            argument, f"has duplicated column names {dup}", "rename the columns, e.g. frame.columns = [...]"
        )


def table(x: Any, argument: str) -> tuple[int, int]:
    """The shape (rows, columns) of a feature table (DataFrame, 2-D array, list of rows); other values raise.

    >>> table([[1, 2], [3, 4], [5, 6]], "X_test")
    (3, 2)
    """
    if x is None or isinstance(x, (str, bytes)) or not (hasattr(x, "__len__") or hasattr(x, "shape")):
        refuse_unsized(x, argument)
        raise InputError(
            argument,
            f"must be a table of features, got {type(x).__name__}",
            "pass a DataFrame or a 2-D array",
        )
    refuse_unsized(x, argument)
    unique_columns(x, argument)
    shape = getattr(x, "shape", None)
    if shape is None:
        try:
            shape = np.asarray(x, dtype=object).shape
        except ValueError:
            shape = (len(x),)
    if len(shape) != 2:
        raise InputError(
            argument,
            f"has shape {tuple(shape)}, expected one row of features per case",
            "pass a DataFrame or a 2-D array; one feature is X.reshape(-1, 1)",
        )
    if shape[0] == 0:
        raise InputError(argument, "has no rows", "pass at least one row")
    return int(shape[0]), int(shape[1])


def call(function: Any, argument: str, *args: Any) -> Any:
    """``function(*args)``; an exception it raises becomes an :class:`InputError` naming ``argument``."""
    try:
        return function(*args)
    except InputError:
        raise
    except Exception as exc:
        raise InputError(
            argument, f"raised {type(exc).__name__}: {str(exc)[:300]}", "fix it or the data it was given"
        ) from exc


def is_matrix(x: Any) -> bool:
    """Whether ``x`` holds more than one score a row (a 2-D array, list of lists or DataFrame).

    >>> is_matrix([[0.2, 0.8], [0.6, 0.4]]), is_matrix([0.2, 0.6]), is_matrix([[0.2], [0.6]])
    (True, False, False)
    """
    shape = getattr(x, "shape", None)
    if shape is None:
        if isinstance(x, (str, bytes)) or not isinstance(x, (list, tuple)) or not x:
            return False
        first = x[0]
        return isinstance(first, (list, tuple, np.ndarray)) and len(first) > 1
    return len(shape) == 2 and shape[1] > 1


def score_matrix(
    x: Any, argument: str, n: int, classes: int | None = None, *, probabilities: bool = False
) -> np.ndarray:
    """Validated scores of shape ``(n, K)``: one column per class, in the sorted classes' order.

    ``classes`` is the number of classes the labels have (the columns must match it);
    ``probabilities`` requires values in [0, 1] and rows summing to 1 (as ``numpy.allclose``).

    >>> score_matrix([[0.2, 0.8], [0.6, 0.4]], "y_score", 2, 2, probabilities=True).shape
    (2, 2)
    >>> score_matrix([[0.2, 0.7], [0.6, 0.4]], "y_score", 2, 2, probabilities=True)
    Traceback (most recent call last):
    ...
    mltestkit.errors.InputError: y_score: row 0 sums to 0.9, not 1; pass probabilities ...
    """
    refuse_unsized(x, argument)
    if hasattr(x, "to_numpy"):
        x = x.to_numpy()
    try:
        arr = np.asarray(x, dtype=float)
    except (ValueError, TypeError) as exc:
        raise InputError(
            argument,
            f"cannot be read as a matrix of numbers ({str(exc)[:80]})",
            "pass an array of shape (rows, classes), e.g. model.predict_proba(X)",
        ) from None
    if arr.ndim != 2:
        raise InputError(
            argument, f"has shape {arr.shape}, expected (rows, classes)", "pass model.predict_proba(X)"
        )
    if arr.shape[0] != n:
        raise InputError(
            argument,
            f"has {arr.shape[0]} rows but y_true has {n}",
            "pass one row of scores per row of y_true",
        )
    if classes is not None and arr.shape[1] != classes:
        raise InputError(
            argument,
            f"has {arr.shape[1]} columns but y_true has {classes} classes",
            "pass one column per class of y_true, in the sorted classes' order "
            "(as model.predict_proba with model.classes_), on rows that hold every class",
        )
    bad = ~np.isfinite(arr)
    if bad.any():
        first = int(np.flatnonzero(bad.any(axis=1))[0])
        raise InputError(
            argument,
            f"has {int(bad.sum())} NaN or infinite values (first in row {first})",
            "drop or impute those rows before checking",
        )
    if probabilities:
        if arr.min() < 0 or arr.max() > 1:
            raise InputError(
                argument,
                f"holds values outside [0, 1] (min {arr.min():.4g}, max {arr.max():.4g})",
                "pass probabilities, e.g. model.predict_proba(X)",
            )
        sums = arr.sum(axis=1)
        off = ~np.isclose(sums, 1.0)
        if off.any():
            first = int(np.flatnonzero(off)[0])
            raise InputError(
                argument,
                f"row {first} sums to {sums[first]:.6g}, not 1",
                "pass probabilities over every class, e.g. model.predict_proba(X)",
            )
    return arr
