"""
### Site selection: where K more monitoring sites cover the most demand → audit → gold

On demand (trigger with `{"ks": [100, 200, 300], "radius_m": 1000, "budget": null}`):

1. **choose_sites** (`analytics/siting`): demand points from the published marts (residents,
   complaints, incidents, health facilities), candidate sites (the registry's active cameras fixed,
   a grid besides), sparse coverage within `radius_m`, greedy then swaps for each K under the
   `budget` on site costs (none: no limit), and HiGHS's LP bound on the reduced problem, so each K
   says its coverage, certified upper bound and optimality gap. Staged only;
2. **audit_sites**: one answer per K asked for, coverage within its bound, more sites never covering
   less, K new sites per answer inside the city, and the demand credited to the sites adding up to
   the coverage claimed;
3. **publish_sites**: `gold/siting/{sites, summary}` overwritten (the Delta history keeps earlier
   answers), their Assets updated: the report redraws its map and the open-data portal publishes the
   chosen sites (coarse coordinates).
"""
from __future__ import annotations

from airflow.sdk import Param, chain, dag, task

from orchestration.assets import SITING_ASSETS
from orchestration.defaults import default_args

DAG_ID = "site_selection"


def _options(params: dict | None) -> dict:
    params = params or {}
    ks = sorted({int(k) for k in params.get("ks") or (100, 200, 300)})
    if not ks or ks[0] <= 0:
        raise ValueError(f"ks must be positive numbers of sites, got {params.get('ks')!r}")
    budget = params.get("budget")
    return {"ks": ks, "radius_m": float(params.get("radius_m") or 1000.0),
            "budget": None if budget in (None, "") else float(budget)}


@dag(
    dag_id=DAG_ID,
    doc_md=__doc__,
    schedule=None,
    catchup=False,
    max_active_runs=1,
    tags=["analytics", "siting", "gold"],
    params={"ks": Param([100, 200, 300], type="array", items={"type": "integer", "minimum": 1},
                        description="numbers of new sites to compare"),
            "radius_m": Param(1000.0, type="number", exclusiveMinimum=0, description="coverage radius, metres"),
            "budget": Param(None, type=["null", "number"], description="budget on the new sites' costs")},
    default_args=default_args(),
)
def site_selection():
    @task
    def choose_sites(params=None) -> dict:
        from analytics.siting.pipeline import build
        from orchestration.centre import stage

        options = _options(params)
        tables = build(ks=options["ks"], radius_m=options["radius_m"], budget=options["budget"])
        return {**options, "rows": stage(DAG_ID, tables, options)}

    @task
    def audit_sites() -> list[str]:
        from expectations.centre import audit_sites as audit
        from orchestration.centre import staged

        tables, options = staged(DAG_ID)
        return audit(tables, options["ks"])

    @task(outlets=SITING_ASSETS)
    def publish_sites() -> dict:
        from analytics.siting.pipeline import write
        from orchestration.centre import staged

        return write(staged(DAG_ID)[0])

    chain(choose_sites(), audit_sites(), publish_sites())


site_selection()
