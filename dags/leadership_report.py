"""
### Leadership report

Rebuilt whenever published marts change (audited by the DAG that owns them), and whenever the
simulation and forecasting centre publishes audited forecasts, scenarios or sites: records every
source's freshness (late sources are shown in red at the top of the report), then renders the HTML
report (charts and the ward map; the forecasts' fan charts, the scenarios side by side and the
chosen sites on a map with the K comparison; Vietnamese with English labels) into
`<run dir>/reports/leadership_report.html` from the published warehouse, read-only.
"""
from __future__ import annotations

from airflow.sdk import AssetAny, chain, dag, task

from orchestration.assets import CENTRE_ASSETS, LEADERSHIP_REPORT, mart_asset
from orchestration.defaults import default_args
from orchestration.marts import published_marts


@dag(
    dag_id="leadership_report",
    doc_md=__doc__,
    schedule=AssetAny(*(mart_asset(m) for m in published_marts()), *CENTRE_ASSETS),
    catchup=False,
    max_active_runs=1,
    tags=["report", "leadership"],
    default_args=default_args(),
)
def leadership_report():
    @task
    def record_freshness() -> list[str]:
        from ingestion.freshness import check_and_record

        return [f"{r['source']}: {r['reason']}" for r in check_and_record(fail=False).to_pylist()]

    @task(outlets=[LEADERSHIP_REPORT])
    def render_leadership_report() -> str:
        from citylake.settings import get_settings
        from ingestion.freshness import recorded
        from reporting.infrastructure_section import ward_table
        from reporting.leadership import build_report

        settings = get_settings()
        return str(build_report(settings.warehouse_duckdb, settings.reports_dir, freshness=recorded(settings),
                                centre=settings, infrastructure=ward_table(settings)))

    chain(record_freshness(), render_leadership_report())


leadership_report()
