"""Templates that expand to labelled cases for minimum functionality tests."""

from __future__ import annotations

import itertools
import string
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from ..errors import InputError


@dataclass(frozen=True)
class Cases:
    """Test cases: ``inputs`` (texts), their expected ``labels`` (or ``None``) and the slot values used."""

    inputs: list[str]
    labels: list[Any] | None = None
    slots: list[dict[str, str]] = field(default_factory=list)

    def __len__(self) -> int:
        return len(self.inputs)

    def __add__(self, other: Cases) -> Cases:
        if (self.labels is None) != (other.labels is None):
            raise InputError("cases", "one set of cases has labels and the other has not", "label both")
        labels = None if self.labels is None or other.labels is None else self.labels + other.labels
        return Cases(self.inputs + other.inputs, labels, self.slots + other.slots)


def template(pattern: str, *, label: Any = None, **slots: Sequence[str] | Mapping[str, Any]) -> Cases:
    """Expand ``pattern`` with every combination of slot values.

    A slot given as a dict ``{word: label}`` labels the cases it fills (one such slot at most);
    otherwise ``label`` is a constant or a function of the slot values (a dict).

    Examples
    --------
    >>> c = template("{name} is a {adj} pilot", name=["Ana", "Raj"], adj={"great": 1, "bad": 0})
    >>> c.inputs[1], c.labels
    ('Ana is a bad pilot', [1, 0, 1, 0])
    """
    fields = [f for _, f, _, _ in string.Formatter().parse(pattern) if f]
    missing = [f for f in dict.fromkeys(fields) if f not in slots]
    if missing:
        raise InputError("slots", f"no values for {', '.join(missing)}", f"pass {missing[0]}=[...]")
    unused = [k for k in slots if k not in fields]
    if unused:
        raise InputError("slots", f"{', '.join(unused)} do not occur in the pattern", "remove them")
    labelling = [k for k, v in slots.items() if isinstance(v, Mapping)]
    if len(labelling) > 1 or (labelling and label is not None):
        raise InputError(
            "label", "labels come from more than one place", "give labels by one dict slot or by label="
        )
    names = list(slots)
    values = [list(slots[k]) for k in names]
    if any(not v or isinstance(slots[k], str) for k, v in zip(names, values, strict=True)):
        raise InputError(
            "slots", "each slot needs a non-empty list of values", "pass e.g. adj=['good', 'bad']"
        )
    combos = [dict(zip(names, c, strict=True)) for c in itertools.product(*values)]
    inputs = [pattern.format(**c) for c in combos]
    labels: list[Any] | None
    if labelling:
        table = slots[labelling[0]]
        assert isinstance(table, Mapping)
        labels = [table[c[labelling[0]]] for c in combos]
    elif callable(label):
        fn: Callable[[dict[str, str]], Any] = label
        labels = [fn(c) for c in combos]
    else:
        labels = None if label is None else [label] * len(combos)
    return Cases(inputs, labels, combos)
