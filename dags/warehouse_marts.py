"""
### Warehouse marts: conformed dimensions and the leadership marts

Data-aware: runs whenever any silver table changes (any department's `ingest_<name>` DAG, or the
Health DAG). Rebuilds the reference tables (2025 wards and the old→new mapping, agencies, the
working-day calendar with Tết, VSIC 2018), runs `dbt build` for the conformed dimensions and the
leadership marts (models and their tests), then audits every dimension and leadership mart with Great
Expectations before the report may read them (write-audit-publish). The camera (transport) marts —
cameras, traffic in 5-minute windows, congestion by ward, incident hotspots — are built and audited
with them once the camera tables exist (the `camera_analytics` DAG's outputs are among the silver
Assets this DAG waits on).
"""
from __future__ import annotations

from datetime import timedelta

import pendulum
from airflow.sdk import AssetAny, chain, dag, task

from citylake.settings import get_settings
from orchestration.assets import CORE_DIMENSIONS, LEADERSHIP_MARTS, TRANSPORT_MARTS, all_silver_assets, mart_assets


@dag(
    dag_id="warehouse_marts",
    doc_md=__doc__,
    schedule=AssetAny(*all_silver_assets()),
    start_date=pendulum.datetime(2025, 7, 1, tz="Asia/Ho_Chi_Minh"),
    catchup=False,
    max_active_runs=1,
    tags=["warehouse", "dbt", "leadership"],
    default_args={"owner": "data-platform", "retries": get_settings().task_retries,
                  "retry_delay": timedelta(seconds=20)},
)
def warehouse_marts():
    @task
    def write_reference_tables() -> dict:
        from ingestion.reference import tables

        return tables.write()

    @task
    def build_leadership_marts() -> int:
        from citylake.dbt import run_dbt
        from spark_jobs.camera_analytics import built

        transport = " +marts.transport" if built() else ""  # no camera tables yet: no camera marts yet
        return run_dbt(["build", "--select", f"+marts.core +marts.leadership{transport}"]).passed

    @task(outlets=mart_assets())
    def audit_warehouse_marts() -> list[str]:
        from expectations.gates import audit_marts
        from spark_jobs.camera_analytics import built

        return audit_marts([*CORE_DIMENSIONS, *LEADERSHIP_MARTS, *(TRANSPORT_MARTS if built() else ())])

    chain(write_reference_tables(), build_leadership_marts(), audit_warehouse_marts())


warehouse_marts()
