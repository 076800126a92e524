"""Tables of any engine and size as inputs of the checks, and the statistics their engine computes.

:func:`open_table` turns pandas, polars, pyarrow, DuckDB and Spark tables, and paths of Parquet
or CSV data (scanned by DuckDB within a memory limit), into one lazy :mod:`narwhals` frame.
:mod:`~mltestkit.tables.pushdown` and :mod:`~mltestkit.tables.rank` let that engine compute the
sufficient statistics the checks need (counts per group, column profiles, histograms, rank sums),
so that nothing but those statistics is collected.
"""

from .inputs import (
    CompactRows,
    Rows,
    TableInputs,
    collect_rows,
    compact_rows,
    labelled_rows,
    missing_in,
    table_inputs,
    table_rows,
)
from .pushdown import Counts, Profile, column_profile, duplicate_rows, grouped_counts, histogram, quantiles
from .rank import RankSums, rank_sums
from .source import MEMORY_LIMIT, connection, is_table, open_table, require_columns

__all__ = [
    "MEMORY_LIMIT",
    "CompactRows",
    "Counts",
    "Profile",
    "RankSums",
    "Rows",
    "TableInputs",
    "collect_rows",
    "column_profile",
    "compact_rows",
    "connection",
    "duplicate_rows",
    "grouped_counts",
    "histogram",
    "is_table",
    "labelled_rows",
    "missing_in",
    "open_table",
    "quantiles",
    "rank_sums",
    "require_columns",
    "table_inputs",
    "table_rows",
]
