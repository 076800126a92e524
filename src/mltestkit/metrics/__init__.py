"""Metrics: the registry (one entry per metric), the grouped estimators, check_metric and the baselines."""

from .check import check_metric
from .estimators import CONFUSION, LOSSES, ROWS, SORTED_SCORES, GroupEstimates, confusion_estimates
from .registry import (
    CUSTOM,
    LABELS,
    METRICS,
    PROPORTIONS,
    REGRESSION,
    SCORES,
    Metric,
    compute,
    estimate,
    get_metric,
    share,
)

__all__ = [
    "CONFUSION",
    "CUSTOM",
    "LABELS",
    "LOSSES",
    "METRICS",
    "PROPORTIONS",
    "REGRESSION",
    "ROWS",
    "SCORES",
    "SORTED_SCORES",
    "GroupEstimates",
    "Metric",
    "check_metric",
    "compute",
    "confusion_estimates",
    "estimate",
    "get_metric",
    "share",
]
