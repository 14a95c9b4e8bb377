"""The chosen monitoring sites on the real CKAN portal through the open-data DAG's own task: gold
table → write-audit-publish → CKAN (CSV, GeoJSON, DataStore), coarse coordinates, no personal data,
idempotent republication."""
from __future__ import annotations

import io
import json
import os

import ckanapi
import pyarrow.csv as pacsv
import pytest
import requests
from centre_warehouse import ensure_answers

from citylake import catalog, delta
from open_data.pipeline import verify_published
from open_data.privacy import scan_table
from open_data.siting import DATASETS, MONITORING_SITES


@pytest.fixture(scope="module")
def portal(ckan, centre):
    """The centre's run folder, publishing to the session's CKAN with its token and its DataStore
    (the centre's run folder holds no secrets of the session's services)."""
    names = ("CITYLAKE_CKAN_TOKEN", "CITYLAKE_CKAN_DATASTORE_DSN")
    saved = {name: os.environ.get(name) for name in names}
    os.environ["CITYLAKE_CKAN_TOKEN"] = ckan.ckan_api_token
    os.environ["CITYLAKE_CKAN_DATASTORE_DSN"] = ckan.ckan_datastore_dsn
    try:
        ensure_answers(centre)
        api = ckanapi.RemoteCKAN(ckan.ckan_url, apikey=ckan.ckan_api_token)
        try:
            api.action.dataset_purge(id=MONITORING_SITES.name)
        except ckanapi.NotFound:
            pass
        from citylake.settings import Settings

        yield Settings(), api
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


def _publish_siting(domain: str = "siting"):
    """The portal DAG's publish task for the sites (or another domain), run by Airflow's dag.test()
    (by hand: publishes)."""
    from airflow.dag_processing.dagbag import DagBag

    from orchestration.airflow_env import DAGS_FOLDER

    dag = DagBag(dag_folder=str(DAGS_FOLDER)).dags["open_data_portal"]
    run = dag.partial_subset(task_ids=[f"publish_{domain}"], include_upstream=False).test()
    return run.state, {ti.task_id: ti.state for ti in run.get_task_instances()}


def test_the_chosen_sites_are_published_with_coarse_coordinates(portal):
    settings, api = portal
    state, tasks = _publish_siting()
    assert state == "success" and tasks == {"publish_siting": "success"}, tasks
    package = api.action.package_show(id=MONITORING_SITES.name)
    assert package["organization"]["name"] == "trung-tam-mo-phong-du-bao-tphcm"
    assert {r["format"] for r in package["resources"]} == {"CSV", "GeoJSON"}
    assert all(line.endswith("matches") for line in verify_published(DATASETS, settings))
    sites = delta.read_arrow(catalog.gold_uri(settings, "siting", "sites"))
    published = delta.read_arrow(catalog.gold_uri(settings, "siting", "sites_open_data"))
    assert published.num_rows == sites.num_rows                           # one row per site and K
    csv = next(r for r in package["resources"] if r["format"] == "CSV")
    body = requests.get(csv["url"], headers={"Authorization": settings.ckan_api_token}, timeout=60).content
    table = pacsv.read_csv(io.BytesIO(body))
    assert scan_table(table) == []
    for column in ("latitude", "longitude"):
        assert all(round(v, 3) == v for v in table[column].to_pylist())   # about 110 m, no finer
    assert set(table["k"].to_pylist()) == set(sites["k"].to_pylist())
    geo = next(r for r in package["resources"] if r["format"] == "GeoJSON")
    features = json.loads(requests.get(geo["url"], headers={"Authorization": settings.ckan_api_token},
                                       timeout=60).content)["features"]
    assert len(features) == table.num_rows and features[0]["geometry"]["type"] == "Point"


def test_republishing_unchanged_sites_changes_nothing(portal):
    _, api = portal
    before = api.action.package_show(id=MONITORING_SITES.name)
    state, _ = _publish_siting()
    assert state == "success"
    after = api.action.package_show(id=MONITORING_SITES.name)
    assert after["metadata_modified"] == before["metadata_modified"]
    assert [r["id"] for r in after["resources"]] == [r["id"] for r in before["resources"]]


def test_sites_never_chosen_are_skipped_not_failed(airflow_db, tmp_path):
    """By hand, the portal publishes every dataset: a deployment where site_selection never ran
    skips the sites (nothing to send) rather than failing the portal's run."""
    from centre_warehouse import centre_run_dir

    with centre_run_dir(tmp_path / "run") as settings:
        assert not delta.exists(catalog.gold_uri(settings, "siting", "sites"))
        state, tasks = _publish_siting()
    assert state == "success" and tasks == {"publish_siting": "skipped"}


def test_marts_never_published_are_skipped_not_failed(airflow_db, tmp_path, monkeypatch):
    """The same for a department on a new deployment whose marts DAG has not published yet."""
    from citylake.settings import Settings
    from citylake.warehouse import published_path

    monkeypatch.setenv("CITYLAKE_RUN_DIR", str(tmp_path / "run"))
    monkeypatch.delenv("CITYLAKE_LAKEHOUSE", raising=False)
    assert not published_path(Settings()).exists()
    state, tasks = _publish_siting("health")
    assert state == "success" and tasks == {"publish_health": "skipped"}
