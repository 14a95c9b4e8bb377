"""What every DAG of the platform shares: owner, retries, pools."""
from __future__ import annotations

from datetime import timedelta

from citylake.settings import get_settings

OWNER = "data-platform"
# Airflow pools (created by citylake.services.airflow): Spark jobs at once, and one publication of
# the warehouse at a time
SPARK_POOL = "spark"
WAREHOUSE_POOL = "warehouse"
# a DAG that runs for minutes under the scheduler (the forecasts): a day's run (`citylake run`, the
# demo) does not wait for it, the scheduler runs it from its Assets all the same
BACKGROUND_TAG = "background"


def default_args(retries: int | None = None) -> dict:
    """Owner and retries (``CITYLAKE_TASK_RETRIES``; the tests set 0 so a failure fails at once)."""
    return {"owner": OWNER, "retries": get_settings().task_retries if retries is None else retries,
            "retry_delay": timedelta(seconds=20)}
