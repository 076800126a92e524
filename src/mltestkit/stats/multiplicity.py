"""Corrections for testing many hypotheses at once.

>>> holm([0.01, 0.04, 0.03]).round(2).tolist()
[0.03, 0.06, 0.06]
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike


def holm(pvalues: ArrayLike) -> np.ndarray:
    """Holm's step-down adjusted p-values (controls the family-wise error rate).

    Rejecting every hypothesis whose adjusted p-value is below ``alpha`` keeps the probability
    of any false rejection at most ``alpha``. NaN p-values are left NaN and do not count.
    """
    p = np.asarray(pvalues, dtype=float).reshape(-1)
    out = np.full(p.shape, np.nan)
    ok = np.flatnonzero(~np.isnan(p))
    m = ok.size
    if m == 0:
        return out
    order = ok[np.argsort(p[ok], kind="stable")]
    stepped = np.maximum.accumulate((m - np.arange(m)) * p[order])
    out[order] = np.minimum(stepped, 1.0)
    return out
