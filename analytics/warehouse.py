"""Reading the marts: the dbt-built DuckDB warehouse, opened read-only.

Everything downstream works on Arrow tables keyed by mart name, so tests and benchmarks hand in tables
shaped like the marts and the same SQL runs on them (an in-memory DuckDB over the Arrow tables).
"""
from __future__ import annotations

from collections.abc import Iterable, Mapping
from pathlib import Path

import pyarrow as pa

from citylake.settings import Settings


def read_marts(names: Iterable[str], settings: Settings | None = None) -> dict[str, pa.Table]:
    """The named marts of the warehouse as Arrow tables (``citylake.warehouse.read_mart``); a missing
    warehouse or mart is an error that names it."""
    import duckdb

    from citylake.warehouse import MartMissing, read_mart

    settings = settings or Settings()
    path = Path(settings.warehouse_duckdb)
    if not path.exists():         # connecting would create an empty warehouse
        raise FileNotFoundError(f"No warehouse at {path}: build the marts first (warehouse_marts DAG)")
    out = {}
    for name in names:
        try:
            out[name] = read_mart(settings, name)
        except (duckdb.CatalogException, MartMissing):
            raise KeyError(f"mart {name} is not in the warehouse {path}") from None
    return out


def query(sql: str, tables: Mapping[str, pa.Table]) -> pa.Table:
    """Run ``sql`` over Arrow tables registered under their mart names (an in-memory DuckDB)."""
    import duckdb

    con = duckdb.connect()
    try:
        for name, table in tables.items():
            con.register(name, table)
        return con.execute(sql).to_arrow_table()
    finally:
        con.close()
