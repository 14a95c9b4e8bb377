"""
### Forecasts: the marts' series → backtested, chosen, reconciled forecasts → audit → gold

Weekly (Monday 02:00, Ho Chi Minh City time), and whenever a mart it forecasts is published (after
that mart's audit):

1. **forecast_series** (`analytics/forecasting`): every series set of the registry
   (`analytics/forecasting/series.py`: new businesses and capital by ward and VSIC section, FDI,
   dossiers per agency, hotline contacts, land transactions, pupils, vehicles per ward and day) read
   from the published warehouse; each series backtested by rolling origin (SeasonalNaive, AutoETS,
   AutoTheta, MSTL, LightGBM), the model with the lowest backtest MASE chosen, wards reconciled with
   the city (MinTrace), 80/95 % intervals. Written to this DAG's **staging** folder only. A set
   whose mart is missing or too short is skipped and named.
2. **audit_forecasts**: at least one series set forecast; every series has one chosen model whose
   MASE is recorded; the intervals are ordered and non-negative.
3. **publish_forecasts**: the audited tables overwrite `gold/forecasting/{forecasts,
   backtest_metrics, model_choice}` (the Delta history keeps earlier runs) and update their Assets:
   the leadership report redraws its fan charts. A failed audit publishes nothing and leaves last
   week's forecasts in place.

At demo scale the run takes minutes, not seconds (every series backtested by five models): it is
tagged `background`, so a day's run (`citylake run`, the demo) does not wait for it; the scheduler
runs it all the same, and the report redraws when it publishes.
"""
from __future__ import annotations

from airflow.sdk import AssetAny, chain, dag, task
from airflow.sdk.definitions.timetables.assets import AssetOrTimeSchedule
from airflow.sdk.definitions.timetables.trigger import CronTriggerTimetable

from analytics.forecasting.series import SERIES
from orchestration.assets import FORECAST_ASSETS, mart_asset
from orchestration.defaults import BACKGROUND_TAG, default_args

DAG_ID = "forecasts"
# the marts the series sets read, and the calendar their features come from
MARTS = sorted({d.mart for d in SERIES} | {"dim_calendar"})


@dag(
    dag_id=DAG_ID,
    doc_md=__doc__,
    schedule=AssetOrTimeSchedule(
        timetable=CronTriggerTimetable("0 2 * * 1", timezone="Asia/Ho_Chi_Minh"),
        assets=AssetAny(*(mart_asset(m) for m in MARTS))),
    catchup=False,
    max_active_runs=1,
    tags=["analytics", "forecasting", "gold", BACKGROUND_TAG],
    default_args=default_args(),
)
def forecasts():
    @task
    def forecast_series() -> dict:
        from airflow.sdk.exceptions import AirflowSkipException

        from analytics.forecasting.pipeline import build
        from citylake.settings import get_settings
        from orchestration.centre import stage

        settings = get_settings()
        if not settings.warehouse_duckdb.exists():
            raise AirflowSkipException("no published warehouse yet: warehouse_marts publishes it first")
        tables, skipped = build(settings)
        return {"rows": stage(DAG_ID, tables, {"skipped": skipped}, settings), "skipped": skipped}

    @task
    def audit_forecasts() -> list[str]:
        from expectations.centre import audit_forecasts as audit
        from orchestration.centre import staged

        tables, meta = staged(DAG_ID)
        return audit(tables, meta.get("skipped"))

    @task(outlets=FORECAST_ASSETS)
    def publish_forecasts() -> dict:
        from analytics.forecasting.pipeline import write
        from orchestration.centre import staged

        tables, meta = staged(DAG_ID)
        return write(tables, meta.get("skipped") or {})

    chain(forecast_series(), audit_forecasts(), publish_forecasts())


forecasts()
