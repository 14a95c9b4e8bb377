"""
### Source freshness

Hourly: has every department source delivered within the update frequency agreed with its owner
(the catalogue's `update_frequency` / `freshness_hours`)? Writes the result for the report and
**fails** naming the late sources, so the on-call engineer is told.
"""
from __future__ import annotations

from airflow.sdk import dag, task

from orchestration.defaults import default_args


@dag(
    dag_id="source_freshness",
    doc_md=__doc__,
    schedule="@hourly",
    catchup=False,
    max_active_runs=1,
    tags=["freshness", "catalogue"],
    default_args=default_args(retries=0),
)
def source_freshness():
    @task
    def check_source_freshness() -> list[str]:
        from ingestion.freshness import check_and_record

        return [f"{r['source']}: {r['reason']}" for r in check_and_record(fail=True).to_pylist()]

    check_source_freshness()


source_freshness()
