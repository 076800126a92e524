"""Slices and groups: the group engine (codes and additive confusion counts per slice),
:func:`check_slices`, :func:`check_fairness` and the weak-slice search."""

from .fairness import check_fairness
from .slices import SliceCounts, check_slices, merge, slice_counts
from .weak import find_weak_slices

__all__ = ["SliceCounts", "check_fairness", "check_slices", "find_weak_slices", "merge", "slice_counts"]
