"""A small published warehouse for the simulation and forecasting centre's DAGs, report and notebooks.

The synthetic marts of ``analytics_marts`` (12 real 2025 wards, 8 years of months) and the real
calendar, written as the published DuckDB file of a run folder of its own: the centre's DAGs read it
through ``citylake.warehouse.read_mart`` exactly as they read the shared warehouse, in seconds rather
than the shared warehouse's minutes (which has months of history, not the years a backtest needs).
"""
from __future__ import annotations

import contextlib
import os
from pathlib import Path

import duckdb
import pyarrow as pa
from analytics_marts import marts, siting_marts


def mart_tables() -> dict[str, pa.Table]:
    from ingestion.reference.calendar import calendar

    cal = calendar()
    dim_calendar = cal.rename_columns(["date_day" if c == "date" else c for c in cal.column_names])
    return {**marts(), **siting_marts(), "dim_calendar": dim_calendar}


def write_warehouse(path: Path, tables: dict[str, pa.Table]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.unlink(missing_ok=True)
    with duckdb.connect(str(path)) as con:
        for name, table in tables.items():
            con.register("t", table)
            con.execute(f"CREATE TABLE main.{name} AS SELECT * FROM t")
            con.unregister("t")


@contextlib.contextmanager
def centre_run_dir(run_dir: Path):
    """This process (and the tasks dag.test() runs in it) works on ``run_dir``: its warehouse, its
    lakehouse, its staging folders and reports."""
    saved = {k: os.environ.get(k) for k in ("CITYLAKE_RUN_DIR", "CITYLAKE_LAKEHOUSE")}
    os.environ["CITYLAKE_RUN_DIR"] = str(run_dir)
    os.environ.pop("CITYLAKE_LAKEHOUSE", None)
    try:
        from citylake.settings import Settings

        settings = Settings()
        if not settings.warehouse_duckdb.exists():
            write_warehouse(settings.warehouse_duckdb, mart_tables())
        yield settings
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


def ensure_answers(settings, ks=(5, 10, 20)) -> None:
    """The centre's gold tables, straight from the library where no DAG has written them yet."""
    from analytics.forecasting import pipeline as forecasting
    from analytics.scenarios import pipeline as scenarios
    from analytics.siting import pipeline as siting
    from citylake import catalog, delta

    if not delta.exists(catalog.gold_uri(settings, "forecasting", "forecasts")):
        forecasting.run(settings)
    if not delta.exists(catalog.gold_uri(settings, "scenarios", "ward_results")):
        scenarios.run(settings)
    if not delta.exists(catalog.gold_uri(settings, "siting", "sites")):
        siting.run(settings, ks=ks, radius_m=800.0)
