"""Write-audit-publish for the simulation and forecasting centre's gold tables.

A centre DAG computes its tables into a **staging folder** of its own (Parquet files under
``<run>/staging/<dag_id>/``, no Delta table: nothing reads them by accident), audits them there, and
only then publishes them to ``gold/<domain>/`` — the step that updates the tables' Assets, so the
report and the portal never start on an answer that failed its audit, and a failed audit leaves the
last published answer in place.
"""
from __future__ import annotations

import json
import shutil
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from citylake.settings import Settings, get_settings

META = "_meta.json"


def staging_dir(dag_id: str, settings: Settings | None = None) -> Path:
    return (settings or get_settings()).run_dir / "staging" / dag_id


def stage(dag_id: str, tables: dict[str, pa.Table], meta: dict | None = None,
          settings: Settings | None = None) -> dict[str, int]:
    """Replace the DAG's staging folder with ``tables`` (and ``meta``); returns each table's row count."""
    folder = staging_dir(dag_id, settings)
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    for name, table in tables.items():
        pq.write_table(table, folder / f"{name}.parquet")
    (folder / META).write_text(json.dumps(meta or {}, default=str))
    return {name: table.num_rows for name, table in tables.items()}


def staged(dag_id: str, settings: Settings | None = None) -> tuple[dict[str, pa.Table], dict]:
    """The tables and metadata the DAG's last build staged."""
    folder = staging_dir(dag_id, settings)
    if not (folder / META).exists():
        raise FileNotFoundError(f"nothing staged for {dag_id} in {folder}")
    tables = {p.stem: pq.read_table(p) for p in sorted(folder.glob("*.parquet"))}
    return tables, json.loads((folder / META).read_text())
