"""Metrics: the registry (one entry per metric: statistics, value, interval, direction), the
estimators that compute a metric's value and interval, and the simple-model baselines."""

from .registry import (
    LABELS,
    METRICS,
    PROPORTIONS,
    REGRESSION,
    SCORES,
    Metric,
    check_metric,
    compute,
    confusion_matrix,
    count_metric,
    get_metric,
    proportion_counts,
    row_losses,
)

__all__ = [
    "LABELS",
    "METRICS",
    "PROPORTIONS",
    "REGRESSION",
    "SCORES",
    "Metric",
    "check_metric",
    "compute",
    "confusion_matrix",
    "count_metric",
    "get_metric",
    "proportion_counts",
    "row_losses",
]
