"""The infrastructure DAGs: one per owner at its agreed frequency, extract → silver → audit, and the
analyses on the owners' silver Assets, audited before the map is published; then run for real
(``dag.test()``) on a generated owner."""
from __future__ import annotations

import pytest


@pytest.fixture(scope="module")
def dags():
    from airflow.dag_processing.dagbag import DagBag

    from orchestration.airflow_env import DAGS_FOLDER

    bag = DagBag(dag_folder=str(DAGS_FOLDER / "infrastructure.py"))
    assert bag.import_errors == {}, bag.import_errors
    return bag


def test_one_dag_per_owner_at_its_frequency(dags):
    from citylake.source_config import infrastructure_sources

    for source in infrastructure_sources():
        dag = dags.dags[f"ingest_{source.name}"]
        assert dag.schedule == {"daily": "@daily", "weekly": "@weekly"}[source.update_frequency]
        order = [f"extract_{source.name}", f"build_{source.name}_silver", f"audit_{source.name}_silver"]
        assert dag.get_task(order[1]).upstream_task_ids == {order[0]}
        assert dag.get_task(order[2]).upstream_task_ids == {order[1]}
        assert not dag.get_task(order[0]).outlets and not dag.get_task(order[1]).outlets
        assert {a.uri for a in dag.get_task(order[2]).outlets} == {
            f"citylake://silver/{source.domain}/{c.silver.name}" for c in source.tables.values()}


def test_analyses_run_on_the_owners_assets_and_publish_after_their_audit(dags):
    dag = dags.dags["infrastructure_analysis"]
    waited = {a.uri for a in dag.timetable.asset_condition.objects}
    produced = {a.uri for d in dags.dags.values() if d.dag_id.startswith("ingest_") for t in d.tasks for a in t.outlets}
    assert waited == produced and "citylake://silver/power/feeder_segments" in waited
    assert dag.get_task("audit_infrastructure_gold").upstream_task_ids == {"power_n1", "water", "coverage"}
    assert dag.get_task("publish_map").upstream_task_ids == {"audit_infrastructure_gold"}
    assert dag.get_task("publish_open_layers").upstream_task_ids == {"publish_map"}
    for task in dag.tasks:
        if task.outlets:
            assert "audit" in task.task_id or "audit_infrastructure_gold" in task.get_flat_relative_ids(upstream=True)


def test_ingest_dag_runs_end_to_end(dags, postgres, airflow_db, lakehouse):
    """``dag.test()`` of one owner's DAG on its generated registry: every task succeeds, silver is there."""
    from citylake import delta
    from citylake.catalog import silver_uri
    from citylake.settings import Settings
    from simulators.departments import prepare_source

    settings = Settings()
    prepare_source(settings, "vnpost", scale=0.02, seed=3, force=True)
    run = dags.dags["ingest_vnpost"].test()
    assert run.state == "success", run.state
    assert delta.read_arrow(silver_uri(settings, "post", "delivery_points")).num_rows > 100


def test_analysis_dag_runs_and_publishes_the_map(dags, postgres, airflow_db, lakehouse, ckan):
    """The owners' silver built, ``infrastructure_analysis`` under ``dag.test()``: analyses, their audit,
    then the map's layers (restricted assets only per ward), then each open layer on the portal."""
    import json

    from citylake import delta
    from citylake.catalog import gold_uri
    from citylake.settings import Settings
    from ingestion.extract import extract_source
    from simulators.departments import prepare_source
    from spark_jobs import gis_silver

    settings = Settings()
    for owner in ("evn", "sawaco", "streets", "telecom", "vnpost"):
        prepare_source(settings, owner, scale=0.02, seed=5, force=True)
        extract_source(owner, settings)
        gis_silver.run(owner, settings)
    run = dags.dags["infrastructure_analysis"].test()
    assert run.state == "success", run.state
    assert delta.read_arrow(gold_uri(settings, "infrastructure", "power_n1_wards")).num_rows > 10
    layers = settings.run_dir / "map" / "layers"
    assert (layers / "streets.pmtiles").stat().st_size > 0
    subs = json.loads((layers / "substations_by_ward.geojson").read_text())["features"]
    assert subs and all(set(f["properties"]) == {"ward_code_2025", "ward_name_2025", "substations", "count"}
                        for f in subs)
    import ckanapi

    from open_data.gis_layers import OPEN_LAYERS
    from open_data.gis_portal import layer_spec

    states = {ti.task_id: ti.state for ti in run.get_task_instances()}
    assert states["publish_open_layers"] == "success", states
    citizen = ckanapi.RemoteCKAN(ckan.ckan_url)
    for layer in OPEN_LAYERS:
        package = citizen.action.package_show(id=layer_spec(layer).name)
        assert {r["format"] for r in package["resources"]} == {"GeoJSON", "OGC API Features"}
