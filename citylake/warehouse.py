"""The warehouse (DuckDB, where dbt builds the marts before the audit lets them out): reading a mart."""
from __future__ import annotations

import duckdb
import pyarrow as pa

from citylake.settings import Settings


def read_mart(settings: Settings, mart: str) -> pa.Table:
    """One mart of the warehouse, whole, as Arrow."""
    # same configuration as dbt's own connection, which may still be open in this process
    with duckdb.connect(str(settings.warehouse_duckdb)) as con:
        return con.execute(f'SELECT * FROM main."{mart}"').arrow().read_all()
