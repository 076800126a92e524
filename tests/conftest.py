"""Shared test setup: the Spark session of the table tests, and modules imported once.

pytester's in-process runs restore ``sys.modules`` afterwards; numpy and friends cannot be
imported twice in one process, so they are imported here once, before any inner run.
"""

import contextlib
import importlib
import shutil

import numpy  # noqa: F401
import pandas.core.arrays.arrow.extension_types  # noqa: F401  (pandas, and its Arrow extension types once)
import pytest
import scipy.stats  # noqa: F401
import sklearn.metrics  # noqa: F401

# the engines the table checks load (the zero-code suite's data checks scan paths with DuckDB):
# a second import of their native modules in one process aborts it
for _engine in ("pyarrow", "pyarrow.dataset", "duckdb", "polars"):
    with contextlib.suppress(ImportError):
        importlib.import_module(_engine)

# Dask imports the importlib_metadata backport, which adds its own distribution finder to
# sys.meta_path and deletes the standard one's; pytester restores sys.meta_path after a test, so a
# first import inside a test (scikit-learn's estimator discovery, run by skops, imports Dask) would
# leave the process with no distribution finder and later inner runs without their plugins.
with contextlib.suppress(ImportError):
    importlib.import_module("importlib_metadata")


@pytest.fixture(scope="session")
def spark():
    if shutil.which("java") is None:
        pytest.skip(
            "Spark needs Java 17 and `java` is not on PATH (make test installs openjdk-17-jre-headless)"
        )
    pyspark_sql = pytest.importorskip("pyspark.sql")
    session = (
        pyspark_sql.SparkSession.builder.master("local[2]")
        .appName("mltestkit-tests")
        .config("spark.ui.enabled", "false")
        .config("spark.sql.shuffle.partitions", "4")
        .config("spark.driver.bindAddress", "127.0.0.1")
        .getOrCreate()
    )
    session.sparkContext.setLogLevel("ERROR")
    yield session
    session.stop()
