"""Shared test setup.

pytester's in-process runs restore ``sys.modules`` afterwards; numpy and friends cannot be
imported twice in one process, so they are imported here once, before any inner run.
"""

import numpy  # noqa: F401
import pandas.core.arrays.arrow.extension_types  # noqa: F401  (pandas, and its Arrow extension types once)
import scipy.stats  # noqa: F401
import sklearn.metrics  # noqa: F401
