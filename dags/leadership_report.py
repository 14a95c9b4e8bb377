"""
### Leadership report

Rebuilt whenever the audited marts change: records every source's freshness (late sources are
shown in red at the top of the report), then renders the HTML report (charts and the ward map,
Vietnamese with English labels) into `<run dir>/reports/leadership_report.html`.
"""
from __future__ import annotations

from datetime import timedelta

import pendulum
from airflow.sdk import AssetAny, chain, dag, task

from citylake.settings import get_settings
from orchestration.assets import LEADERSHIP_REPORT, mart_assets


@dag(
    dag_id="leadership_report",
    doc_md=__doc__,
    schedule=AssetAny(*mart_assets()),
    start_date=pendulum.datetime(2025, 7, 1, tz="Asia/Ho_Chi_Minh"),
    catchup=False,
    max_active_runs=1,
    tags=["report", "leadership"],
    default_args={"owner": "data-platform", "retries": get_settings().task_retries,
                  "retry_delay": timedelta(seconds=20)},
)
def leadership_report():
    @task
    def record_freshness() -> list[str]:
        from ingestion.freshness import check_and_record

        return [f"{r['source']}: {r['reason']}" for r in check_and_record(fail=False).to_pylist()]

    @task(outlets=[LEADERSHIP_REPORT])
    def render_leadership_report() -> str:
        from citylake.settings import get_settings
        from reporting.leadership import build_report

        settings = get_settings()
        return str(build_report(settings.warehouse_duckdb, settings.reports_dir))

    chain(record_freshness(), render_leadership_report())


leadership_report()
