"""
### Growth scenarios: one scenario file → the city model to its horizon → audit → gold

On demand (trigger with `{"scenario_file": "fdi_plus_20.yaml"}`; default `baseline.yaml`). The file
is a name under `analytics/scenarios/scenarios/` or a path to an analyst's own copy (`extends:` a
sibling):

1. **run_scenario** (`analytics/scenarios`): the file validated (pydantic names a bad field), the
   stock-and-flow model (`city.mdl`, PySD) calibrated on the published marts and run per ward to the
   scenario's horizon; results staged with the sha256 of the exact assumptions, model and calibration;
2. **audit_scenario**: results to December of the horizon year, non-negative stocks, the hash on
   every row that of the assumptions recorded; a baseline must reproduce its calibration window;
3. **publish_scenario**: this scenario's rows replace its earlier ones in
   `gold/scenarios/ward_results` (the other scenarios' stay, so the report sets them side by side),
   and one row per run is appended to `gold/scenarios/runs`: the resolved assumptions, their hash and
   the Delta version of `ward_results` that holds the results — every answer versioned beside the
   assumptions behind it, readable again by time travel.
"""
from __future__ import annotations

from airflow.sdk import Param, chain, dag, task

from orchestration.assets import SCENARIO_ASSETS
from orchestration.defaults import default_args

DAG_ID = "growth_scenarios"


def scenario_path(value: str):
    """A scenario file name under analytics/scenarios/scenarios/, or a path to one anywhere."""
    from pathlib import Path

    from analytics.scenarios.spec import SCENARIO_DIR

    path = Path(value)
    if not path.is_absolute() and not path.exists():
        path = SCENARIO_DIR / value
    if not path.exists():
        raise FileNotFoundError(f"no scenario file {value!r} (looked in {SCENARIO_DIR} too)")
    return path


@dag(
    dag_id=DAG_ID,
    doc_md=__doc__,
    schedule=None,
    catchup=False,
    max_active_runs=1,
    tags=["analytics", "scenarios", "gold"],
    params={"scenario_file": Param("baseline.yaml", type="string",
                                   description="a file under analytics/scenarios/scenarios/, or a path")},
    default_args=default_args(),
)
def growth_scenarios():
    @task
    def run_scenario(params=None) -> dict:
        from analytics.scenarios.pipeline import build
        from orchestration.centre import stage

        path = scenario_path((params or {}).get("scenario_file") or "baseline.yaml")
        tables = build(files=[path])
        return {"file": str(path), "rows": stage(DAG_ID, tables, {"file": str(path)})}

    @task
    def audit_scenario() -> list[str]:
        from expectations.centre import audit_scenarios
        from orchestration.centre import staged

        return audit_scenarios(staged(DAG_ID)[0])

    @task(outlets=SCENARIO_ASSETS)
    def publish_scenario() -> dict:
        from analytics.scenarios.pipeline import write_merged
        from orchestration.centre import staged

        return write_merged(staged(DAG_ID)[0])

    chain(run_scenario(), audit_scenario(), publish_scenario())


growth_scenarios()
