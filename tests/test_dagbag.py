"""Every DAG imports cleanly and follows the project's conventions."""
from __future__ import annotations

from orchestration.airflow_env import DAGS_FOLDER


def _dagbag():
    from airflow.dag_processing.dagbag import DagBag

    return DagBag(dag_folder=str(DAGS_FOLDER))


def test_no_import_errors():
    bag = _dagbag()
    assert bag.import_errors == {}, bag.import_errors
    assert "health_open_data" in bag.dag_ids


def test_dags_are_documented_tagged_and_retrying():
    for dag_id, dag in _dagbag().dags.items():
        assert dag.doc_md and len(dag.doc_md) > 100, dag_id
        assert dag.tags, dag_id
        assert all(task.retries >= 0 for task in dag.tasks)


def test_health_flow_order_puts_the_audit_before_publication():
    dag = _dagbag().dags["health_open_data"]
    order = ["extract_health_source", "build_health_silver", "audit_health_silver",
             "build_health_marts", "audit_health_marts", "publish_health_open_data"]
    for upstream, downstream in zip(order, order[1:]):
        assert dag.get_task(downstream).upstream_task_ids == {upstream}
    assert {a.uri for a in dag.get_task("publish_health_open_data").outlets} == {
        "ckan://portal/dataset/co-so-kham-chua-benh", "ckan://portal/dataset/chung-chi-hanh-nghe-y"}


def test_every_configured_source_has_its_own_dag_and_marts_wait_for_silver():
    from orchestration.assets import all_silver_assets, warehouse_sources

    bag = _dagbag()
    sources = warehouse_sources()
    assert len(sources) >= 9
    for source in sources:
        dag = bag.dags[f"ingest_{source.name}"]
        order = [f"extract_{source.name}", f"build_{source.name}_silver", f"audit_{source.name}_silver"]
        for upstream, downstream in zip(order, order[1:]):
            assert dag.get_task(downstream).upstream_task_ids == {upstream}
        silver = {a.uri for a in dag.get_task(f"build_{source.name}_silver").outlets}
        assert silver and silver <= {a.uri for a in all_silver_assets()}
        assert "window_start" in dag.params and "window_end" in dag.params  # backfill of a date range
    # data-aware scheduling: the marts run when any silver table changes, the report when a mart does
    marts = bag.dags["warehouse_marts"]
    assert {a.uri for a in marts.timetable.asset_condition.objects} == {a.uri for a in all_silver_assets()}
    report = bag.dags["leadership_report"]
    assert {a.uri for a in report.timetable.asset_condition.objects} == {
        a.uri for a in marts.get_task("audit_warehouse_marts").outlets}
    assert bag.dags["source_freshness"].get_task("check_source_freshness").retries == 0
