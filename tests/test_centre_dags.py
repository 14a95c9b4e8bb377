"""The simulation and forecasting centre's DAGs through Airflow's dag.test() on a small published
warehouse: forecasts, scenarios and sites staged, audited, then published to gold with their Assets;
a failed audit publishes nothing and leaves the last answer in place."""
from __future__ import annotations

import json
import shutil
from functools import lru_cache

import pandas as pd
import pytest
from centre_warehouse import centre_run_dir, mart_tables, write_warehouse

from citylake import catalog, delta


@lru_cache(maxsize=1)
def _bag():
    from airflow.dag_processing.dagbag import DagBag

    from orchestration.airflow_env import DAGS_FOLDER

    return DagBag(dag_folder=str(DAGS_FOLDER))


def run_dag(dag_id: str, conf: dict | None = None):
    run = _bag().dags[dag_id].test(run_conf=conf)
    return run.state, {ti.task_id: ti.state for ti in run.get_task_instances()}


def _gold(settings, domain: str, table: str, version: int | None = None) -> pd.DataFrame:
    return delta.read_arrow(catalog.gold_uri(settings, domain, table), version=version).to_pandas()


def _version(settings, domain: str, table: str) -> int | None:
    uri = catalog.gold_uri(settings, domain, table)
    return delta.table(uri).version() if delta.exists(uri) else None


@pytest.fixture(scope="module")
def deployment(airflow_db):
    from conftest import TEST_RUN_DIR

    run_dir = TEST_RUN_DIR / "centre-dags"     # apart from the report's and notebooks' answers
    shutil.rmtree(run_dir, ignore_errors=True)      # every answer below is this module's
    with centre_run_dir(run_dir) as settings:
        yield settings


def test_forecasts_are_audited_then_published(deployment):
    settings = deployment
    state, tasks = run_dag("forecasts")
    assert state == "success", tasks
    assert list(tasks.values()) == ["success"] * 3
    forecasts = _gold(settings, "forecasting", "forecasts")
    choice = _gold(settings, "forecasting", "model_choice")
    metrics = _gold(settings, "forecasting", "backtest_metrics")
    # the marts the small warehouse holds are forecast; the others are named as skipped
    assert {"new_businesses_by_ward", "charter_capital_by_section", "fdi_registered_usd",
            "pupils_by_level"} <= set(forecasts["series_set"])
    skipped = json.loads(delta.table(catalog.gold_uri(settings, "forecasting", "forecasts")).history(1)[0]["skipped"])
    assert skipped["dossiers_by_agency"] == "mart rpt_dossiers_on_time not in the warehouse"
    assert skipped["hotline_contacts_by_category"] == "no complete period in rpt_hotline_response"
    assert "vehicles_by_ward_daily" in skipped                            # one day of camera counts
    assert forecasts.groupby("series_set")["unique_id"].nunique().gt(0).all()
    chosen = metrics[metrics["is_chosen"]].set_index(["series_set", "unique_id"])
    assert chosen["mase"].notna().all()
    assert set(chosen.index) == set(zip(choice["series_set"], choice["unique_id"]))
    # nothing left staged as Delta in the lakehouse: only the audited gold tables
    assert (settings.run_dir / "staging" / "forecasts" / "forecasts.parquet").exists()


def test_a_failed_forecast_audit_publishes_nothing(deployment):
    """Marts too short for any backtest: every set is skipped, the audit fails naming why, and last
    week's forecasts stay in gold."""
    settings = deployment
    before = _version(settings, "forecasting", "forecasts")
    tables = mart_tables()
    short = {name: t for name, t in tables.items() if name in ("dim_calendar", "rpt_hotline_response")}
    saved = settings.warehouse_duckdb.with_suffix(".full")
    shutil.copy(settings.warehouse_duckdb, saved)
    write_warehouse(settings.warehouse_duckdb, short)
    try:
        state, tasks = run_dag("forecasts")
    finally:
        shutil.move(saved, settings.warehouse_duckdb)
    assert state == "failed", tasks
    assert tasks == {"forecast_series": "success", "audit_forecasts": "failed",
                     "publish_forecasts": "upstream_failed"}
    assert _version(settings, "forecasting", "forecasts") == before


def test_scenarios_are_published_side_by_side_and_versioned_with_their_assumptions(deployment, tmp_path):
    from analytics.scenarios.spec import SCENARIO_DIR, load_scenario

    settings = deployment
    state, tasks = run_dag("growth_scenarios")                           # the default: baseline
    assert state == "success", tasks
    mine = tmp_path / "faster_fdi.yaml"
    shutil.copy(SCENARIO_DIR / "baseline.yaml", tmp_path / "baseline.yaml")
    mine.write_text("extends: baseline.yaml\nname: faster_fdi\ndescription: FDI 50 % above trend from 2027\n"
                    "fdi:\n  multiplier: 1.5\n  from_year: 2027\n")
    state, tasks = run_dag("growth_scenarios", {"scenario_file": str(mine)})
    assert state == "success", tasks
    results = _gold(settings, "scenarios", "ward_results")
    runs = _gold(settings, "scenarios", "runs").sort_values("run_at", ignore_index=True)
    assert set(results["scenario"]) == {"baseline", "faster_fdi"}
    assert pd.Timestamp(results["month"].max()) == pd.Timestamp("2030-12-01")
    assert runs["scenario"].tolist() == ["baseline", "faster_fdi"]
    faster = runs.set_index("scenario").loc["faster_fdi"]
    assert faster["scenario_hash"] == load_scenario(mine).content_hash
    assert json.loads(faster["assumptions_json"])["fdi"] == {"multiplier": 1.5, "from_year": 2027.0}
    # the results of each run, read back at the version recorded beside its assumptions
    for run in runs.to_dict("records"):
        then = _gold(settings, "scenarios", "ward_results", int(run["ward_results_version"]))
        assert set(then.loc[then["scenario"] == run["scenario"], "scenario_hash"]) == {run["scenario_hash"]}
    # a rerun replaces the scenario's results and adds a run row: history, not duplicates
    state, _ = run_dag("growth_scenarios", {"scenario_file": "baseline.yaml"})
    assert state == "success"
    again = _gold(settings, "scenarios", "ward_results")
    assert len(again) == len(results)
    history = _gold(settings, "scenarios", "runs").sort_values("run_at")
    assert history["scenario"].tolist() == ["baseline", "faster_fdi", "baseline"]


def test_a_bad_scenario_file_fails_before_anything_is_published(deployment, tmp_path):
    settings = deployment
    before = _version(settings, "scenarios", "ward_results")
    bad = tmp_path / "bad.yaml"
    bad.write_text("extends: " + str(tmp_path / "none.yaml") + "\nname: bad\n")
    state, tasks = run_dag("growth_scenarios", {"scenario_file": str(bad)})
    assert state == "failed" and tasks["run_scenario"] == "failed"
    assert tasks["publish_scenario"] == "upstream_failed"
    assert _version(settings, "scenarios", "ward_results") == before


def test_sites_for_each_k_with_their_gaps(deployment):
    settings = deployment
    state, tasks = run_dag("site_selection", {"ks": [4, 8, 16], "radius_m": 800})
    assert state == "success", tasks
    summary = _gold(settings, "siting", "summary").sort_values("k")
    sites = _gold(settings, "siting", "sites")
    assert summary["k"].tolist() == [4, 8, 16] and (summary["radius_m"] == 800).all()
    assert (summary["coverage"] <= summary["upper_bound"] + 1e-9).all() and (summary["gap_pct"] >= 0).all()
    assert summary["coverage_pct"].is_monotonic_increasing
    new = sites[~sites["is_fixed"]].groupby("k").size()
    assert (new <= new.index).all() and new.gt(0).all()
    assert sites.groupby("k")["demand_attributed"].sum().round(6).tolist() == summary["coverage"].round(6).tolist()


def test_bad_site_parameters_are_refused_before_anything_runs(deployment):
    """The DAG's params are a schema: Airflow refuses the trigger itself, naming the parameter."""
    from airflow.sdk.exceptions import ParamValidationError

    settings = deployment
    before = _version(settings, "siting", "sites")
    with pytest.raises(ParamValidationError, match="param ks: 0 is less than the minimum of 1"):
        run_dag("site_selection", {"ks": [0, 5]})
    with pytest.raises(ParamValidationError, match="radius_m"):
        run_dag("site_selection", {"radius_m": -5})
    assert _version(settings, "siting", "sites") == before


def test_centre_marts_are_built_audited_and_published(deployment):
    """The forecasts, backtests, scenarios and site choice published above, as dbt marts: built into
    the DAG's staging file, audited, then published beside the departments' marts."""
    from citylake.warehouse import read_mart

    settings = deployment
    state, tasks = run_dag("centre_marts")
    assert state == "success" and set(tasks.values()) == {"success"}, tasks
    forecasts = read_mart(settings, "fct_forecasts").to_pandas()
    gold = _gold(settings, "forecasting", "forecasts")
    assert len(forecasts) == len(gold) and forecasts["forecast_key"].is_unique
    assert (forecasts["lower_95"] <= forecasts["upper_95"]).all()
    wards = forecasts[forecasts["series_level"] == "ward_code_2025"]
    assert len(wards) and wards["ward_code_2025"].notna().all()
    # the backtest chose exactly one model per series, the one the forecast is made by
    backtests = read_mart(settings, "fct_forecast_backtests").to_pandas()
    chosen = backtests[backtests["is_chosen"]].set_index(["series_set", "series_id"])["model"]
    assert chosen.index.is_unique
    made_by = forecasts.drop_duplicates(["series_set", "series_id"]).set_index(["series_set", "series_id"])["model"]
    assert made_by.sort_index().equals(chosen.loc[made_by.index].sort_index())
    scenarios = read_mart(settings, "fct_scenario_ward_months").to_pandas()
    assert len(scenarios) == len(_gold(settings, "scenarios", "ward_results"))
    assert scenarios["scenario_hash"].notna().all() and scenarios["scenario_file"].notna().all()
    sites = read_mart(settings, "rpt_site_choice_by_k").to_pandas().sort_values("k")
    summary = _gold(settings, "siting", "summary").sort_values("k")
    assert sites["k"].tolist() == summary["k"].tolist()
    assert (sites["upper_bound_pct"] >= sites["coverage_pct"] - 1e-9).all()
