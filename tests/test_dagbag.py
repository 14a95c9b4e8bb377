"""Every DAG imports cleanly and follows the project's conventions; write-audit-publish holds in the
graph itself: every Asset a task updates sits downstream of an audit."""
from __future__ import annotations

from functools import lru_cache

from orchestration.airflow_env import DAGS_FOLDER


@lru_cache(maxsize=1)
def _dagbag():
    from airflow.dag_processing.dagbag import DagBag

    return DagBag(dag_folder=str(DAGS_FOLDER))


def _upstream_closure(dag, task_id: str) -> set[str]:
    seen, todo = set(), [task_id]
    while todo:
        for up in dag.get_task(todo.pop()).upstream_task_ids:
            if up not in seen:
                seen.add(up)
                todo.append(up)
    return seen


def test_no_import_errors():
    bag = _dagbag()
    assert bag.import_errors == {}, bag.import_errors
    assert {"warehouse_marts", "transport_marts", "open_data_portal", "leadership_report", "camera_analytics",
            "source_freshness", "ingest_health", "forecasts", "growth_scenarios", "site_selection"} <= set(bag.dag_ids)


def test_dags_are_documented_tagged_and_unpaused_without_a_past_start():
    for dag_id, dag in _dagbag().dags.items():
        assert dag.doc_md and len(dag.doc_md) > 100, dag_id
        assert dag.tags, dag_id
        assert dag.owner == "data-platform", dag_id
        # no start date in the past: unpausing a DAG does not set off a run of a missed interval
        assert dag.start_date is None, dag_id
        assert dag.max_active_runs == 1, dag_id


def test_every_outlet_sits_downstream_of_an_audit():
    """An Asset is updated only once what it names was audited: by the audit task itself, or by a
    task the audit runs before (the publication of audited marts, the report made from them)."""
    checked = 0
    for dag_id, dag in _dagbag().dags.items():
        for task in dag.tasks:
            if not task.outlets:
                continue
            audited = "audit" in task.task_id or any("audit" in up for up in _upstream_closure(dag, task.task_id))
            # the report and the portal only read marts that were published after their audit
            from_published = dag_id in ("leadership_report", "open_data_portal")
            assert audited or from_published, f"{dag_id}.{task.task_id} updates Assets before any audit"
            checked += 1
    assert checked >= 15


def test_consumers_wait_only_on_assets_some_task_updates_after_its_audit():
    bag = _dagbag()
    produced = {a.uri for dag in bag.dags.values() for task in dag.tasks for a in task.outlets}
    for dag_id in ("warehouse_marts", "transport_marts", "leadership_report", "open_data_portal", "forecasts"):
        condition = bag.dags[dag_id].timetable.asset_condition
        waited = {a.uri for a in condition.objects} if hasattr(condition, "objects") else {condition.uri}
        assert waited and waited <= produced, (dag_id, waited - produced)
    camera = bag.dags["camera_analytics"].timetable
    assert {a.uri for a in camera.asset_condition.objects} == {"citylake://silver/cameras/registry"}


def test_each_mart_is_built_and_published_by_exactly_one_dag():
    from citylake import dbt
    from orchestration.marts import OWNERS, owned_marts

    domains = [d for owned in OWNERS.values() for d in owned]
    assert len(domains) == len(set(domains))  # no domain owned twice
    assert set(domains) == dbt.mart_domains(dbt.ensure_manifest())  # and none left out
    bag = _dagbag()
    published: dict[str, str] = {}
    for dag_id, dag in bag.dags.items():
        for task in dag.tasks:
            for asset in task.outlets:
                if asset.uri.startswith("citylake://warehouse/"):
                    assert asset.uri not in published, (asset.uri, published.get(asset.uri), dag_id)
                    published[asset.uri] = dag_id
    for dag_id in OWNERS:
        assert {f"citylake://warehouse/{m}" for m in owned_marts(dag_id)} == {
            uri for uri, owner in published.items() if owner == dag_id}
        order = ["dbt_build", "audit_staged_marts", "publish_marts"]
        dag = bag.dags[dag_id]
        for upstream, downstream in zip(order, order[1:]):
            assert upstream in dag.get_task(downstream).upstream_task_ids
        assert dag.get_task("publish_marts").pool == "warehouse"


def test_every_source_has_its_own_dag_with_backfill_and_spark_in_its_pool():
    from orchestration.assets import department_silver_assets, ingested_sources, silver_assets

    bag = _dagbag()
    sources = ingested_sources()
    assert len(sources) >= 11
    for source in sources:
        dag = bag.dags[f"ingest_{source.name}"]
        order = [f"extract_{source.name}", f"build_{source.name}_silver", f"audit_{source.name}_silver"]
        for upstream, downstream in zip(order, order[1:]):
            assert dag.get_task(downstream).upstream_task_ids == {upstream}
        assert dag.get_task(order[1]).pool == "spark"
        assert not dag.get_task(order[0]).outlets and not dag.get_task(order[1]).outlets
        assert {a.uri for a in dag.get_task(order[2]).outlets} == {a.uri for a in silver_assets(source)}
        assert "window_start" in dag.params and "window_end" in dag.params  # backfill of a date range
    # the leadership marts wait on the departments, not on the cameras' every 15 minutes
    marts = bag.dags["warehouse_marts"]
    assert {a.uri for a in marts.timetable.asset_condition.objects} == {a.uri for a in department_silver_assets()}
    assert not any("cameras" in a.uri for a in marts.timetable.asset_condition.objects)
    assert bag.dags["source_freshness"].get_task("check_source_freshness").retries == 0


def test_the_centres_dags_publish_gold_only_after_their_audit():
    """Forecasts weekly and on the marts they read; scenarios and sites on demand with their
    parameters; each publishes its gold tables (its only outlets) from a task after its audit."""
    from airflow.sdk.definitions.timetables.assets import AssetOrTimeSchedule

    from analytics.forecasting.series import SERIES
    from orchestration.assets import FORECAST_ASSETS, SCENARIO_ASSETS, SITING_ASSETS

    bag = _dagbag()
    forecasts = bag.dags["forecasts"]
    assert isinstance(forecasts.timetable, AssetOrTimeSchedule)
    assert forecasts.timetable.timetable.expression == "0 2 * * 1"             # weekly
    assert "background" in forecasts.tags            # minutes long: a day's run does not wait for it
    assert {a.uri for a in forecasts.timetable.asset_condition.objects} == {
        f"citylake://warehouse/{m}" for m in {d.mart for d in SERIES} | {"dim_calendar"}}
    assert bag.dags["growth_scenarios"].params["scenario_file"] == "baseline.yaml"
    assert bag.dags["site_selection"].params["ks"] == [100, 200, 300]
    assert {"radius_m", "budget"} <= set(bag.dags["site_selection"].params)
    for dag_id, audit, publish, assets in (
            ("forecasts", "audit_forecasts", "publish_forecasts", FORECAST_ASSETS),
            ("growth_scenarios", "audit_scenario", "publish_scenario", SCENARIO_ASSETS),
            ("site_selection", "audit_sites", "publish_sites", SITING_ASSETS)):
        dag = bag.dags[dag_id]
        if dag_id != "forecasts":
            assert dag.schedule is None and type(dag.timetable).__name__ == "NullTimetable", dag_id
        outlets = {t.task_id: {a.uri for a in t.outlets} for t in dag.tasks if t.outlets}
        assert outlets == {publish: {a.uri for a in assets}}, dag_id
        assert dag.get_task(publish).upstream_task_ids == {audit}
        assert all(a.uri.startswith("citylake://gold/") for a in assets)
