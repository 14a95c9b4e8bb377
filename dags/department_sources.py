"""
### Department sources → bronze → silver (one DAG per source)

For every department source configured in `ingestion/sources/<name>/source.yml` (one-stop
dossiers, complaints, hotline, business registration, FDI, investment projects, land, schools,
inspection conclusions), a DAG `ingest_<name>`:

1. **extract**: incremental, exactly-once batches into bronze Delta (PostgreSQL or MariaDB), hard
   deletes as tombstones, additive schema changes followed; an incompatible change stops this
   source only, with its batch quarantined;
2. **silver**: the config-driven Spark job (latest per key, NFC, 2025 wards, pseudonyms,
   enumerations, quarantine with reasons);
3. **audit**: the generated Great Expectations suite of every silver table.

The silver tables are Assets: the warehouse marts rebuild when any of them changes.
**Backfill**: trigger with `window_start`/`window_end` (ISO instants) to re-read a past range of the
source; only row versions bronze is missing are added, so a backfill never duplicates.
"""
from __future__ import annotations

from datetime import timedelta

import pendulum
from airflow.sdk import Param, chain, dag, task

from citylake.settings import get_settings
from orchestration.assets import bronze_assets, silver_assets, warehouse_sources

SCHEDULES = {"hourly": "@hourly", "daily": "@daily", "weekly": "@weekly", "monthly": "@monthly"}


def _window(params: dict):
    import datetime as dt

    start, end = params.get("window_start"), params.get("window_end")
    if not start and not end:
        return None
    if not (start and end):
        raise ValueError("a backfill needs both window_start and window_end")
    return dt.datetime.fromisoformat(start), dt.datetime.fromisoformat(end)


def ingest_dag(name: str, source):
    @dag(
        dag_id=f"ingest_{name}",
        doc_md=__doc__,
        schedule=SCHEDULES[source.update_frequency],
        start_date=pendulum.datetime(2025, 7, 1, tz="Asia/Ho_Chi_Minh"),
        catchup=False,
        max_active_runs=1,
        tags=["ingestion", "bronze", "silver", name],
        params={"window_start": Param(None, type=["null", "string"], description="backfill from (ISO)"),
                "window_end": Param(None, type=["null", "string"], description="backfill to (ISO)")},
        default_args={"owner": "data-platform", "retries": get_settings().task_retries,
                      "retry_delay": timedelta(seconds=20)},
    )
    def ingest():
        @task(task_id=f"extract_{name}", outlets=bronze_assets(source))
        def extract(params=None) -> list[str]:
            from ingestion.extract import extract_source

            return [str(batch) for batch in extract_source(name, window=_window(params or {}))]

        @task(task_id=f"build_{name}_silver", outlets=silver_assets(source))
        def silver() -> dict:
            from spark_jobs import silver as silver_job

            return silver_job.run(name)

        @task(task_id=f"audit_{name}_silver")
        def audit() -> list[str]:
            from expectations.gates import audit_source_silver

            return audit_source_silver(name)

        chain(extract(), silver(), audit())

    return ingest()


for _source in warehouse_sources():
    globals()[f"ingest_{_source.name}"] = ingest_dag(_source.name, _source)
