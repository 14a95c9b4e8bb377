"""
### Centre marts: the forecasts, their backtests, the growth scenarios and the site choice as marts

Runs when the simulation and forecasting centre published one of its gold tables (each after its own
audit): forecasts (`forecasts`), scenarios (`growth_scenarios`), the choice of sites (`site_selection`).

1. **dbt_build**: `dbt build` of the marts under `dbt/models/marts/centre` (`fct_forecasts`,
   `fct_forecast_backtests`, `fct_scenario_ward_months`, `rpt_site_choice_by_k`) into this DAG's own
   **staging** DuckDB file; skipped until each of those gold tables was published once;
2. **audit_staged_marts**: Great Expectations on every staged mart;
3. **publish_marts**: the audited marts replace the published ones, all at once (one writer at a
   time, in the `warehouse` pool); only this task updates their Assets.
"""
from __future__ import annotations

from airflow.sdk import AssetAny, dag

from orchestration.assets import FORECAST_ASSETS, SCENARIO_ASSETS, SITING_ASSETS
from orchestration.defaults import default_args
from orchestration.marts import write_audit_publish


@dag(
    dag_id="centre_marts",
    doc_md=__doc__,
    schedule=AssetAny(*FORECAST_ASSETS, *SCENARIO_ASSETS, *SITING_ASSETS),
    catchup=False,
    max_active_runs=1,
    tags=["warehouse", "dbt", "centre", "forecasting"],
    default_args=default_args(),
)
def centre_marts():
    write_audit_publish("centre_marts")


centre_marts()
