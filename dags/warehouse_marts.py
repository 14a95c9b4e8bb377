"""
### Warehouse marts: conformed dimensions, Health and the leadership marts

Runs when any department's silver tables changed (their Assets are updated only after their audit;
Airflow gathers the events that arrive while a run is going into the next run):

1. **write_reference_tables**: the 2025 wards and the old → new mapping, agencies, the working-day
   calendar with Tết, VSIC 2018 (rewritten only when their rows differ);
2. **dbt_build**: `dbt build` (models and their tests) of the marts under `dbt/models/marts/core`,
   `health` and `leadership` into this DAG's own **staging** DuckDB file;
3. **audit_staged_marts**: Great Expectations on every staged mart;
4. **publish_marts**: the audited marts replace the published ones, all at once (one writer at a
   time, in the `warehouse` pool). Only this task updates the marts' Assets: the report and the
   open-data portal never see unaudited marts, and a failed audit leaves yesterday's marts in place.

The marts come from the dbt manifest: a model added under those folders is built, audited and
published without changing this file (its Great Expectations suite must exist).
"""
from __future__ import annotations

from airflow.sdk import AssetAny, dag, task

from orchestration.assets import department_silver_assets
from orchestration.defaults import default_args
from orchestration.marts import write_audit_publish


@dag(
    dag_id="warehouse_marts",
    doc_md=__doc__,
    schedule=AssetAny(*department_silver_assets()),
    catchup=False,
    max_active_runs=1,
    tags=["warehouse", "dbt", "leadership", "health"],
    default_args=default_args(),
)
def warehouse_marts():
    @task
    def write_reference_tables() -> dict:
        from ingestion.reference import tables

        return tables.write()

    write_audit_publish("warehouse_marts", upstream=write_reference_tables())


warehouse_marts()
