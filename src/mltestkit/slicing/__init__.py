"""Slices and groups: the group engine, check_slices, check_fairness and the weak-slice search."""

from .fairness import DISPARITIES, check_fairness
from .slices import SliceCounts, check_slices, format_key, merge, slice_counts
from .weak import find_weak_slices

__all__ = [
    "DISPARITIES",
    "SliceCounts",
    "check_fairness",
    "check_slices",
    "find_weak_slices",
    "format_key",
    "merge",
    "slice_counts",
]
