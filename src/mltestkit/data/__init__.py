"""Data validation: schemas, integrity, drift, leakage, Great Expectations suites, statistics.

The public functions are exported from :mod:`mltestkit` (``mltestkit.check_schema``, ...).
"""
