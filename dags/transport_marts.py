"""
### Transport marts: cameras, traffic in 5-minute windows, congestion by ward, incident hotspots

Runs when the camera analytics or the camera registry changed (their Assets are updated only after
their audit), every 15 minutes at most while the cameras stream:

1. **dbt_build**: `dbt build` of the marts under `dbt/models/marts/transport` into this DAG's own
   **staging** DuckDB file;
2. **audit_staged_marts**: Great Expectations on every staged mart;
3. **publish_marts**: the audited marts replace the published ones, all at once (one writer at a
   time, in the `warehouse` pool); only this task updates their Assets.
"""
from __future__ import annotations

from airflow.sdk import AssetAny, dag

from orchestration.assets import transport_silver_assets
from orchestration.defaults import default_args
from orchestration.marts import write_audit_publish


@dag(
    dag_id="transport_marts",
    doc_md=__doc__,
    schedule=AssetAny(*transport_silver_assets()),
    catchup=False,
    max_active_runs=1,
    tags=["warehouse", "dbt", "cameras", "transport"],
    default_args=default_args(),
)
def transport_marts():
    write_audit_publish("transport_marts")


transport_marts()
