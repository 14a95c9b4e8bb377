"""The independent readers of a Delta table, asked the same filtered question.

Analysts read the lakehouse with pyarrow datasets (notebooks), DuckDB over them (the warehouse, dbt)
and Polars (delta-rs inside). A writer that changes a file's physical types (``string_view`` from
delta-rs' MERGE and DELETE) breaks their filter pushdown, not a plain full read: so each is asked with
a filter on a text column.
"""
from __future__ import annotations

import duckdb
import polars as pl
import pyarrow as pa
import pyarrow.dataset as ds
import pyarrow.parquet as pq
from deltalake import DeltaTable

VIEW_TYPES = (pa.string_view(), pa.binary_view())


def view_typed_files(uri: str) -> list[str]:
    """The table's data files whose written Arrow schema holds a view type."""
    return [f for f in DeltaTable(uri).file_uris()
            if any(t in VIEW_TYPES for t in pq.read_schema(f.removeprefix("file://")).types)]


def filtered_reads(uri: str, column: str, at_least: str) -> dict[str, list[tuple]]:
    """Rows with ``column >= at_least``, sorted, as read by each reader (its name → rows)."""
    table = DeltaTable(uri)
    names = [f.name for f in table.schema().fields]

    def rows(data: pa.Table) -> list[tuple]:
        data = data.select(names)
        return sorted(tuple(str(v) for v in r.values()) for r in data.to_pylist())

    dataset = table.to_pyarrow_dataset()
    out = {"pyarrow": rows(dataset.to_table(filter=ds.field(column) >= at_least))}
    with duckdb.connect() as con:
        con.register("t", dataset)
        out["duckdb"] = rows(con.execute(f'SELECT * FROM t WHERE "{column}" >= ?', [at_least]).arrow().read_all())
    out["polars"] = rows(pl.scan_delta(uri).filter(pl.col(column) >= at_least).collect().to_arrow())
    return out
