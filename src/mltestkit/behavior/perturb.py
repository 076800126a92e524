"""Perturbations for behavioral tests: functions that map inputs to perturbed inputs of the same length.

Any callable ``f(inputs) -> inputs`` works as a perturbation in :func:`mltestkit.check_invariance` and
:func:`mltestkit.check_directional`. The ones here also have a ``name`` and a ``description`` for
the report, say which rows they apply to (:meth:`Perturbation.apply` returns the perturbed inputs
and a boolean mask), are seeded where random, and compose with ``|`` or :func:`chain`.

Inputs are a pandas DataFrame or a 2-D numpy array (tabular; a column is a name or an index), or a
list, Series or 1-D array of strings (text). The output has the type of the input.

Examples
--------
>>> import pandas as pd
>>> from mltestkit import perturb
>>> frame = pd.DataFrame({"sex": ["male", "female", "male"], "income": [10.0, 20.0, 30.0]})
>>> p = perturb.swap("sex", {"male": "female"}) | perturb.scale("income", 1.5)
>>> out, applied = p.apply(frame)
>>> out["sex"].tolist(), out["income"].tolist(), applied.tolist()
(['female', 'female', 'female'], [15.0, 30.0, 45.0], [True, True, True])
>>> perturb.negate()(["The food is good", "Great food"])
['The food is not good', 'Great food']
"""

from __future__ import annotations

import contextlib
import itertools
import random
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any, cast

import numpy as np
import pandas as pd

from .._validate import as_rng
from ..errors import InputError
from . import words

Inputs = Any

__all__ = [
    "Perturbation",
    "add_phrase",
    "as_perturbation",
    "case",
    "chain",
    "changed_rows",
    "clip",
    "contract",
    "delete_chars",
    "expand",
    "negate",
    "noise",
    "permute",
    "punctuation",
    "replace_words",
    "scale",
    "set_missing",
    "shift",
    "swap",
    "swap_cities",
    "swap_countries",
    "swap_names",
    "typos",
    "unit",
]


# --------------------------------------------------------------------------- base


class Perturbation:
    """A named perturbation. Subclasses implement :meth:`apply`."""

    name: str = "perturbation"
    description: str = ""

    def apply(self, inputs: Inputs) -> tuple[Inputs, np.ndarray]:
        """The perturbed inputs and a boolean mask of the rows the perturbation applied to."""
        raise NotImplementedError

    def __call__(self, inputs: Inputs) -> Inputs:
        return self.apply(inputs)[0]

    def __or__(self, other: Callable[[Inputs], Inputs]) -> Perturbation:
        return chain(self, other)

    def __ror__(self, other: Callable[[Inputs], Inputs]) -> Perturbation:
        return chain(other, self)

    def __repr__(self) -> str:
        return f"<perturbation {self.name}: {self.description}>"


class _Function(Perturbation):
    """A plain callable: it applies to the rows it changes."""

    def __init__(self, function: Callable[[Inputs], Inputs]) -> None:
        self.function = function
        self.name = getattr(function, "__name__", type(function).__name__)
        self.description = (getattr(function, "__doc__", None) or "").strip().split("\n")[0] or self.name

    def apply(self, inputs: Inputs) -> tuple[Inputs, np.ndarray]:
        out = self.function(inputs)
        require_same_length(inputs, out, self.name)
        return out, changed_rows(inputs, out)


class _Chain(Perturbation):
    def __init__(self, parts: Sequence[Perturbation]) -> None:
        self.parts = list(parts)
        self.name = " | ".join(p.name for p in self.parts)
        self.description = "; then ".join(p.description for p in self.parts)

    def apply(self, inputs: Inputs) -> tuple[Inputs, np.ndarray]:
        mask = np.zeros(_length(inputs), dtype=bool)
        for part in self.parts:
            inputs, applied = part.apply(inputs)
            mask |= applied
        return inputs, mask


def as_perturbation(function: Callable[[Inputs], Inputs]) -> Perturbation:
    """A :class:`Perturbation` from any callable (returned as is when it already is one)."""
    if isinstance(function, Perturbation):
        return function
    if (
        callable(getattr(function, "apply", None))
        and isinstance(getattr(function, "name", None), str)
        and not hasattr(function, "iloc")
    ):
        return cast(Perturbation, function)  # an object with apply() and a name
    if not callable(function):
        raise InputError(
            "perturbation",
            f"is not callable (got {type(function).__name__})",
            "pass a function inputs -> perturbed inputs, e.g. perturb.scale('income', 1.1)",
        )
    return _Function(function)


def chain(*perturbations: Callable[[Inputs], Inputs]) -> Perturbation:
    """Apply perturbations one after the other; a row counts as perturbed if any step applied to it.

    >>> chain(case("lower"), punctuation("strip"))(["Hello, World!"])
    ['hello world']
    """
    parts: list[Perturbation] = []
    for p in map(as_perturbation, perturbations):
        parts.extend(p.parts if isinstance(p, _Chain) else [p])
    return _Chain(parts)


# --------------------------------------------------------------------------- helpers


def _is_text(inputs: Inputs) -> bool:
    if isinstance(inputs, pd.DataFrame):
        return False
    if isinstance(inputs, pd.Series):
        return not pd.api.types.is_numeric_dtype(inputs.dtype)
    if isinstance(inputs, np.ndarray):
        return inputs.ndim == 1 and inputs.dtype.kind in "OUS"
    return isinstance(inputs, (list, tuple)) and all(isinstance(x, str) for x in inputs[:100])


def _length(inputs: Inputs) -> int:
    return int(inputs.shape[0]) if hasattr(inputs, "shape") else len(inputs)


def require_same_length(before: Inputs, after: Inputs, name: str) -> None:
    """Raise :class:`InputError` when a perturbation's output does not match its input's shape."""
    n = _length(before)
    if after is None or not hasattr(after, "__len__") or isinstance(after, str):
        raise InputError(
            "perturbation",
            f"{name} returned {type(after).__name__}, not inputs",
            "return the perturbed inputs (same type and length as its argument)",
        )
    if _length(after) != n:
        raise InputError(
            "perturbation",
            f"{name} returned {_length(after)} rows for {n} input rows",
            "return one perturbed row per input row, in the same order",
        )
    if isinstance(before, pd.DataFrame) and (
        not isinstance(after, pd.DataFrame) or list(after.columns) != list(before.columns)
    ):
        raise InputError(
            "perturbation",
            f"{name} did not return a DataFrame with the same columns",
            "return a copy of the frame with changed values, keeping its columns",
        )
    if isinstance(before, np.ndarray) and before.ndim == 2 and np.shape(after) != before.shape:
        raise InputError(
            "perturbation",
            f"{name} returned shape {np.shape(after)} for inputs of shape {before.shape}",
            "return an array of the same shape",
        )


def _column_changed(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    if x.dtype.kind in "biuf" and y.dtype.kind in "biuf":
        x, y = x.astype(float), y.astype(float)
        return ~((x == y) | (np.isnan(x) & np.isnan(y)))
    both = pd.isna(x) & pd.isna(y)
    try:
        return np.asarray(x != y, dtype=bool) & ~both
    except (TypeError, ValueError):  # pd.NA compares to NA
        pass
    a, b = pd.Series(x, dtype=object), pd.Series(y, dtype=object)
    both_missing = a.isna() & b.isna()
    equal = a.where(~both_missing, 0).eq(b.where(~both_missing, 0))
    return ~np.asarray(equal, dtype=bool)


def changed_rows(before: Inputs, after: Inputs) -> np.ndarray:
    """Boolean mask of the rows that differ between ``before`` and ``after`` (missing equals missing).

    >>> changed_rows(["a", "b"], ["a", "c"]).tolist()
    [False, True]
    """
    if isinstance(before, pd.DataFrame):
        mask = np.zeros(len(before), dtype=bool)
        for c in before.columns:
            mask |= _column_changed(before[c].to_numpy(), after[c].to_numpy())
        return mask
    x, y = np.asarray(before), np.asarray(after)
    if x.ndim == 2:
        return np.any([_column_changed(x[:, j], y[:, j]) for j in range(x.shape[1])], axis=0)
    return _column_changed(x, y)


def _copy(inputs: Inputs) -> Inputs:
    return inputs.copy()


def _columns(inputs: Inputs) -> list[Any]:
    if isinstance(inputs, pd.DataFrame):
        return list(inputs.columns)
    if isinstance(inputs, np.ndarray) and inputs.ndim == 2:
        return list(range(inputs.shape[1]))
    raise InputError(
        "inputs",
        f"a tabular perturbation needs a DataFrame or a 2-D array, got {type(inputs).__name__}",
        "pass a pandas DataFrame (or a 2-D numpy array and column indices)",
    )


def _get(inputs: Inputs, column: Any) -> pd.Series:
    if column not in _columns(inputs):
        shown = ", ".join(map(repr, _columns(inputs)[:20]))
        raise InputError(
            "column", f"{column!r} is not a column of the inputs (columns: {shown})", "pass one of those"
        )
    if isinstance(inputs, pd.DataFrame):
        return inputs[column].reset_index(drop=True)
    return pd.Series(inputs[:, column])


def _set(inputs: Inputs, column: Any, values: pd.Series) -> Inputs:
    if isinstance(inputs, pd.DataFrame):
        inputs[column] = values.set_axis(inputs.index)
        return inputs
    arr = values.to_numpy()
    if arr.dtype.kind == "f" and inputs.dtype.kind in "biu":
        inputs = inputs.astype(float)
    inputs[:, column] = arr
    return inputs


def _numeric(inputs: Inputs, column: Any) -> pd.Series:
    s = _get(inputs, column)
    if not pd.api.types.is_numeric_dtype(s.dtype) or pd.api.types.is_bool_dtype(s.dtype):
        raise InputError(
            "column",
            f"{column!r} is not numeric (dtype {s.dtype})",
            "use a numeric column for this perturbation",
        )
    return s.astype(float)


def _as_list(columns: Any) -> list[Any]:
    return list(columns) if isinstance(columns, (list, tuple)) else [columns]


# --------------------------------------------------------------------------- tabular


class _Tabular(Perturbation):
    def _apply(self, out: Inputs) -> tuple[Inputs, np.ndarray]:
        raise NotImplementedError

    def apply(self, inputs: Inputs) -> tuple[Inputs, np.ndarray]:
        _columns(inputs)
        return self._apply(_copy(inputs))


class swap(_Tabular):
    """Map values of a categorical column (a counterfactual on an attribute); applies where a key occurs.

    >>> import pandas as pd
    >>> out, applied = swap("sex", {"male": "female", "female": "male"}).apply(
    ...     pd.DataFrame({"sex": ["male", "female", "other"]}))
    >>> out["sex"].tolist(), applied.tolist()
    (['female', 'male', 'other'], [True, True, False])
    """

    def __init__(self, column: Any, mapping: Mapping[Any, Any]) -> None:
        if not isinstance(mapping, Mapping) or not mapping:
            raise InputError("mapping", f"must be a non-empty dict, got {mapping!r}", "pass {old: new, ...}")
        self.column, self.mapping = column, dict(mapping)
        self.name = f"swap({column})"
        self.description = f"replace {column} values " + ", ".join(
            f"{k} -> {v}" for k, v in self.mapping.items()
        )

    def _apply(self, out: Inputs) -> tuple[Inputs, np.ndarray]:
        s = _get(out, self.column)
        mask = s.isin(list(self.mapping)).to_numpy()
        new = s.astype(object).where(~mask, s.astype(object).map(self.mapping))
        if isinstance(s.dtype, pd.CategoricalDtype):
            extra = [v for v in dict.fromkeys(self.mapping.values()) if v not in s.dtype.categories]
            new = new.astype(pd.CategoricalDtype([*s.dtype.categories, *extra], ordered=s.dtype.ordered))
        elif isinstance(out, pd.DataFrame):
            with contextlib.suppress(TypeError, ValueError):
                new = new.astype(s.dtype)
        return _set(out, self.column, new), mask


class noise(_Tabular):
    """Add Gaussian noise with standard deviation ``sd`` (times ``|x|`` when ``relative``); seeded.

    >>> import pandas as pd
    >>> out = noise("x", 0.01, relative=True, seed=1)(pd.DataFrame({"x": [100.0, 200.0]}))
    >>> bool(abs(out["x"] - [100.0, 200.0]).max() < 10)
    True
    """

    def __init__(self, columns: Any, sd: float, *, relative: bool = False, seed: int = 0) -> None:
        if isinstance(sd, bool) or not isinstance(sd, (int, float)) or not sd > 0:
            raise InputError("sd", f"must be a positive number, got {sd!r}", "pass e.g. sd=0.1")
        as_rng(seed)
        self.columns, self.sd, self.relative, self.seed = _as_list(columns), float(sd), relative, seed
        self.name = f"noise({', '.join(map(str, self.columns))})"
        kind = "relative" if relative else "absolute"
        self.description = f"add Gaussian noise ({kind} sd {sd:g}) to {', '.join(map(str, self.columns))}"

    def _apply(self, out: Inputs) -> tuple[Inputs, np.ndarray]:
        rng = np.random.default_rng(self.seed)
        mask = np.zeros(_length(out), dtype=bool)
        for c in self.columns:
            x = _numeric(out, c)
            eps = rng.normal(0.0, self.sd, len(x))
            out = _set(out, c, x + eps * (x.abs() if self.relative else 1.0))
            mask |= x.notna().to_numpy()
        return out, mask


class _Affine(_Tabular):
    def __init__(self, column: Any, factor: float, offset: float, name: str, description: str) -> None:
        for arg, v in (("factor", factor), ("amount", offset)):
            if isinstance(v, bool) or not isinstance(v, (int, float)) or not np.isfinite(v):
                raise InputError(arg, f"must be a finite number, got {v!r}", f"pass e.g. {arg}=1.1")
        self.column, self.factor, self.offset = column, float(factor), float(offset)
        self.name, self.description = name, description

    def _apply(self, out: Inputs) -> tuple[Inputs, np.ndarray]:
        x = _numeric(out, self.column)
        return _set(out, self.column, x * self.factor + self.offset), x.notna().to_numpy()


def scale(column: Any, factor: float) -> Perturbation:
    """Multiply a numeric column by ``factor``; applies to its non-missing rows."""
    return _Affine(column, factor, 0.0, f"scale({column})", f"multiply {column} by {factor:g}")


def shift(column: Any, amount: float) -> Perturbation:
    """Add ``amount`` to a numeric column; applies to its non-missing rows."""
    return _Affine(column, 1.0, amount, f"shift({column})", f"add {amount:g} to {column}")


def unit(column: Any, factor: float, *, units: str = "") -> Perturbation:
    """A unit change: multiply by the conversion ``factor`` (e.g. 1000 for kg -> g, described by ``units``).

    >>> unit("weight", 1000, units="kg -> g").description
    'convert weight (kg -> g, x1000)'
    """
    label = f"{units}, x{factor:g}" if units else f"x{factor:g}"
    return _Affine(column, factor, 0.0, f"unit({column})", f"convert {column} ({label})")


class set_missing(_Tabular):
    """Set a ``fraction`` of the values of columns to missing (seeded); applies where a value was present."""

    def __init__(self, columns: Any, *, fraction: float = 1.0, seed: int = 0) -> None:
        if isinstance(fraction, bool) or not isinstance(fraction, (int, float)) or not 0 < fraction <= 1:
            raise InputError("fraction", f"must be in (0, 1], got {fraction!r}", "pass e.g. fraction=0.5")
        as_rng(seed)
        self.columns, self.fraction, self.seed = _as_list(columns), float(fraction), seed
        self.name = f"set_missing({', '.join(map(str, self.columns))})"
        self.description = f"set {fraction:.0%} of {', '.join(map(str, self.columns))} to missing"

    def _apply(self, out: Inputs) -> tuple[Inputs, np.ndarray]:
        rng = np.random.default_rng(self.seed)
        mask = np.zeros(_length(out), dtype=bool)
        for c in self.columns:
            s = _get(out, c)
            chosen = rng.random(len(s)) < self.fraction
            if not isinstance(out, pd.DataFrame):
                s = s.astype(float)
            out = _set(out, c, s.mask(pd.Series(chosen)))
            mask |= chosen & s.notna().to_numpy()
        return out, mask


class permute(_Tabular):
    """Shuffle the values of a column across rows (seeded); applies where a row's value changed."""

    def __init__(self, column: Any, *, seed: int = 0) -> None:
        as_rng(seed)
        self.column, self.seed = column, seed
        self.name, self.description = f"permute({column})", f"shuffle {column} across rows"

    def _apply(self, out: Inputs) -> tuple[Inputs, np.ndarray]:
        s = _get(out, self.column)
        new = s.iloc[np.random.default_rng(self.seed).permutation(len(s))].reset_index(drop=True)
        mask = _column_changed(s.to_numpy(), new.to_numpy())
        return _set(out, self.column, new), mask


class clip(_Tabular):
    """Clip a numeric column to ``[low, high]``; applies to the rows outside the range."""

    def __init__(self, column: Any, low: float | None = None, high: float | None = None) -> None:
        if low is None and high is None:
            raise InputError("low/high", "neither is given", "pass low= and/or high=")
        self.column, self.low, self.high = column, low, high
        self.name, self.description = f"clip({column})", f"clip {column} to [{low}, {high}]"

    def _apply(self, out: Inputs) -> tuple[Inputs, np.ndarray]:
        x = _numeric(out, self.column)
        new = x.clip(self.low, self.high)
        return _set(out, self.column, new), _column_changed(x.to_numpy(), new.to_numpy())


# --------------------------------------------------------------------------- text


def _texts(inputs: Inputs) -> pd.Series:
    if not _is_text(inputs):
        raise InputError(
            "inputs",
            f"a text perturbation needs a list of strings, got {type(inputs).__name__}",
            "pass a list, Series or 1-D array of str",
        )
    return pd.Series(list(inputs), dtype=object)


def _restore(inputs: Inputs, texts: pd.Series) -> Inputs:
    if isinstance(inputs, pd.Series):
        return pd.Series(texts.to_numpy(), index=inputs.index, name=inputs.name, dtype=inputs.dtype)
    if isinstance(inputs, np.ndarray):
        return texts.to_numpy().astype(inputs.dtype if inputs.dtype.kind == "O" else str)
    return texts.tolist()


class _Text(Perturbation):
    def _texts(self, s: pd.Series) -> pd.Series:
        raise NotImplementedError

    def apply(self, inputs: Inputs) -> tuple[Inputs, np.ndarray]:
        s = _texts(inputs)
        new = self._texts(s)
        return _restore(inputs, new), (s != new).to_numpy()


class _Regex(_Text):
    def __init__(self, pattern: str, repl: str | Callable[[re.Match[str]], str], name: str, description: str):
        self.pattern, self.repl = re.compile(pattern, re.IGNORECASE), repl
        self.name, self.description = name, description

    def _texts(self, s: pd.Series) -> pd.Series:
        return s.str.replace(self.pattern, self.repl, regex=True)


def case(mode: str = "lower") -> Perturbation:
    """Change the case of texts: ``"lower"``, ``"upper"`` or ``"title"``."""
    if mode not in ("lower", "upper", "title"):
        raise InputError("mode", f"unknown case {mode!r}", "use 'lower', 'upper' or 'title'")

    class _Case(_Text):
        def _texts(self, s: pd.Series) -> pd.Series:
            return getattr(s.str, mode)()

    p = _Case()
    p.name, p.description = f"case({mode})", f"convert texts to {mode} case"
    return p


def punctuation(mode: str = "strip", *, mark: str = ".") -> Perturbation:
    """Remove punctuation (``"strip"``) or end texts with ``mark`` where they end without one (``"add"``).

    >>> punctuation("add", mark="!")(["Nice", "Nice."])
    ['Nice!', 'Nice.']
    """
    if mode == "strip":
        return _Regex(r"[.,;:!?]+", "", "punctuation(strip)", "remove punctuation")
    if mode == "add":
        return _Regex(r"(?<=[^.,;:!?\s])\s*$", mark, "punctuation(add)", f"end texts with {mark!r}")
    raise InputError("mode", f"unknown mode {mode!r}", "use 'strip' or 'add'")


def _keep_case(word: str, new: str) -> str:
    return new[:1].upper() + new[1:] if word[:1].isupper() else new


def _lookup(table: Mapping[str, str]) -> Callable[[re.Match[str]], str]:
    return lambda m: _keep_case(m.group(0), table[m.group(0).lower()])


def _alternation(keys: Iterable[str]) -> str:
    return "|".join(re.escape(k) for k in sorted(keys, key=len, reverse=True))


def expand() -> Perturbation:
    """Expand contractions ("isn't" -> "is not") from :data:`mltestkit.behavior.words.CONTRACTIONS`."""
    table = words.CONTRACTIONS
    return _Regex(rf"\b(?:{_alternation(table)})(?!\w)", _lookup(table), "expand", "expand contractions")


def contract() -> Perturbation:
    """Contract phrases ("is not" -> "isn't"), the inverse of :func:`expand`.

    >>> contract()(["We do not know"])
    ["We don't know"]
    """
    table = {v: k for k, v in words.CONTRACTIONS.items()}
    return _Regex(rf"\b(?:{_alternation(table)})\b", _lookup(table), "contract", "contract phrases")


def negate() -> Perturbation:
    """Insert "not" after the first auxiliary verb ("is" -> "is not"); applies to texts that have one."""
    aux = _alternation(words.AUXILIARIES)
    pattern = re.compile(rf"\b({aux})\b(?!\s+not\b)", re.IGNORECASE)

    class _Negate(_Text):
        def _texts(self, s: pd.Series) -> pd.Series:
            return s.str.replace(pattern, r"\1 not", n=1, regex=True)

    p = _Negate()
    p.name, p.description = "negate", "insert 'not' after the first auxiliary verb"
    return p


def _code_points(texts: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """All texts as one array of code points, and where each text starts in it (plus the end)."""
    lengths = texts.str.len().to_numpy(dtype=np.int64)
    starts = np.concatenate([[0], np.cumsum(lengths)])
    joined = "".join(texts).encode("utf-32-le", "surrogatepass")
    return np.frombuffer(joined, dtype=np.uint32).copy(), starts


def _from_code_points(codes: np.ndarray, starts: np.ndarray) -> pd.Series:
    joined = codes.tobytes().decode("utf-32-le", "surrogatepass")
    return pd.Series([joined[a:b] for a, b in itertools.pairwise(starts.tolist())], dtype=object)


def _pick(candidates: np.ndarray, starts: np.ndarray, u: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """For each text, the position of a uniformly chosen candidate character (``u`` in [0, 1) per
    text), and which texts have a candidate at all."""
    cum = np.concatenate([[0], np.cumsum(candidates)])
    count = cum[starts[1:]] - cum[starts[:-1]]
    has = count > 0
    k = cum[starts[:-1]] + np.floor(u * count).astype(np.int64)
    return np.flatnonzero(candidates)[k[has]], has


def _keyboard() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per ASCII code: the letter's row in the neighbour table (-1 if none); the table; row sizes."""
    letters = sorted(words.KEYBOARD)
    width = max(map(len, words.KEYBOARD.values()))
    table = np.zeros((len(letters), width), dtype=np.uint32)
    sizes = np.zeros(len(letters), dtype=np.int64)
    row = np.full(128, -1, dtype=np.int64)
    for r, letter in enumerate(letters):
        keys = words.KEYBOARD[letter]
        table[r, : len(keys)] = [ord(k) for k in keys]
        sizes[r] = len(keys)
        row[ord(letter)] = row[ord(letter.upper())] = r
    return row, table, sizes


class typos(_Text):
    """Replace ``n`` letters of each text by a neighbouring key on a QWERTY keyboard (seeded).

    All texts are edited at once as one array of code points.

    >>> typos(seed=3)(["good movie", "!!!"])
    ['bood movie', '!!!']
    """

    def __init__(self, n: int = 1, *, seed: int = 0) -> None:
        if isinstance(n, bool) or not isinstance(n, int) or n < 1:
            raise InputError("n", f"must be a positive int, got {n!r}", "pass e.g. n=1")
        as_rng(seed)
        self.n, self.seed = n, seed
        self.name, self.description = "typos", f"replace {n} letter(s) by a neighbouring key"

    def _texts(self, s: pd.Series) -> pd.Series:
        codes, starts = _code_points(s)
        row, table, sizes = _keyboard()
        rng = np.random.default_rng(self.seed)
        for _ in range(self.n):
            u = rng.random((2, len(s)))
            rows = np.where(codes < 128, row[np.minimum(codes, 127)], -1)
            where, has = _pick(rows >= 0, starts, u[0])
            r = rows[where]
            new = table[r, np.floor(u[1][has] * sizes[r]).astype(np.int64)]
            upper = (codes[where] >= ord("A")) & (codes[where] <= ord("Z"))
            codes[where] = np.where(upper, new - 32, new)
        return _from_code_points(codes, starts)


class delete_chars(typos):
    """Delete ``n`` letters of each text (seeded).

    >>> delete_chars(seed=0)(["terrible"])
    ['terrile']
    """

    def __init__(self, n: int = 1, *, seed: int = 0) -> None:
        super().__init__(n, seed=seed)
        self.name, self.description = "delete_chars", f"delete {n} letter(s)"

    def _texts(self, s: pd.Series) -> pd.Series:
        codes, starts = _code_points(s)
        rng = np.random.default_rng(self.seed)
        for _ in range(self.n):
            u = rng.random(len(s))
            ascii_letter = ((codes | 32) >= ord("a")) & ((codes | 32) <= ord("z"))
            other = np.unique(codes[codes > 127])
            other_letter = other[[chr(c).isalpha() for c in other.tolist()]]
            where, has = _pick(ascii_letter | np.isin(codes, other_letter), starts, u)
            keep = np.ones(len(codes), dtype=bool)
            keep[where] = False
            codes = codes[keep]
            starts = starts - np.concatenate([[0], np.cumsum(has)])
        return _from_code_points(codes, starts)


class replace_words(_Text):
    """Replace each occurrence of a word from ``source`` by a different word from ``target`` (seeded).

    >>> replace_words(["Paris"], ["Lima"])(["I live in Paris"])
    ['I live in Lima']
    """

    def __init__(
        self, source: Sequence[str], target: Sequence[str] | None = None, *, seed: int = 0, name: str = ""
    ) -> None:
        if isinstance(source, str) or not source:
            raise InputError("source", "must be a non-empty list of words", "pass e.g. ['Paris', 'Rome']")
        as_rng(seed)
        self.source, self.target, self.seed = list(source), list(target or source), seed
        self.name = name or "replace_words"
        self.description = (
            f"replace words like {', '.join(self.source[:3])} by others like {', '.join(self.target[:3])}"
        )
        self._pattern = re.compile(rf"\b(?:{_alternation(self.source)})\b")

    def _texts(self, s: pd.Series) -> pd.Series:
        draw = random.Random(self.seed).random
        options = {w: [t for t in self.target if t != w] or [w] for w in self.source}

        def pick(m: re.Match[str]) -> str:
            choices = options[m.group(0)]
            return choices[int(draw() * len(choices))]

        return s.str.replace(self._pattern, pick, regex=True)


def swap_names(
    *, source: Sequence[str] = words.NAMES, target: Sequence[str] | None = None, seed: int = 0
) -> Perturbation:
    """Replace first names by others; ``source=words.MALE_NAMES, target=words.FEMALE_NAMES`` swaps gender.

    >>> swap_names(seed=0)(["Mary called"])
    ['Kenji called']
    """
    return replace_words(source, target, seed=seed, name="swap_names")


def swap_cities(*, seed: int = 0) -> Perturbation:
    """Replace city names by other cities from :data:`mltestkit.behavior.words.CITIES`."""
    return replace_words(words.CITIES, seed=seed, name="swap_cities")


def swap_countries(*, seed: int = 0) -> Perturbation:
    """Replace country names by other countries from :data:`mltestkit.behavior.words.COUNTRIES`."""
    return replace_words(words.COUNTRIES, seed=seed, name="swap_countries")


class add_phrase(_Text):
    """Prefix each text with a neutral phrase chosen from ``phrases`` (seeded).

    >>> add_phrase(["Well,"])(["I liked it"])
    ['Well, I liked it']
    """

    def __init__(self, phrases: Sequence[str] = words.NEUTRAL_PHRASES, *, seed: int = 0) -> None:
        if isinstance(phrases, str) or not phrases:
            raise InputError("phrases", "must be a non-empty list of str", "pass e.g. ['Well,']")
        as_rng(seed)
        self.phrases, self.seed = list(phrases), seed
        self.name, self.description = "add_phrase", "prefix a neutral phrase"

    def _texts(self, s: pd.Series) -> pd.Series:
        picks = np.random.default_rng(self.seed).integers(len(self.phrases), size=len(s))
        return pd.Series(np.array(self.phrases, dtype=object)[picks], dtype=object) + " " + s
