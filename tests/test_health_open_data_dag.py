"""The health_open_data DAG end to end through Airflow's dag.test(), against real PostgreSQL,
Spark, dbt, Great Expectations and CKAN: publication, idempotent republication, in-place updates,
no personal data anywhere on the portal, and a failed audit that publishes nothing."""
from __future__ import annotations

import io
import json
import os

import ckanapi
import psycopg
import pyarrow as pa
import pyarrow.csv as pacsv
import pytest
import requests

from citylake.settings import Settings
from open_data.health import DATASETS
from open_data.pipeline import verify_published
from open_data.privacy import scan_table
from simulators.departments.health import generator

DAG_ID = "health_open_data"


@pytest.fixture(scope="module")
def deployment(ckan, health_source, airflow_db, spark, tmp_path_factory):
    lakehouse = tmp_path_factory.mktemp("dag") / "lakehouse"
    os.environ["CITYLAKE_LAKEHOUSE"] = str(lakehouse)
    api = ckanapi.RemoteCKAN(ckan.ckan_url, apikey=ckan.ckan_api_token)
    for spec in DATASETS:  # a clean portal for this module
        try:
            api.action.dataset_purge(id=spec.name)
        except ckanapi.NotFound:
            pass
    yield Settings(), api
    os.environ.pop("CITYLAKE_LAKEHOUSE", None)


def run_dag():
    from airflow.dag_processing.dagbag import DagBag

    from orchestration.airflow_env import DAGS_FOLDER

    dag = DagBag(dag_folder=str(DAGS_FOLDER)).dags[DAG_ID]
    run = dag.test()
    return run.state, {ti.task_id: ti.state for ti in run.get_task_instances()}


def _packages(api):
    return {spec.name: api.action.package_show(id=spec.name) for spec in DATASETS}


def test_dag_publishes_both_datasets_with_metadata(deployment):
    settings, api = deployment
    state, tasks = run_dag()
    assert state == "success", tasks
    assert set(tasks.values()) == {"success"}
    packages = _packages(api)
    facilities = packages["co-so-kham-chua-benh"]
    extras = {e["key"]: e["value"] for e in facilities["extras"]}
    assert facilities["organization"]["name"] == "so-y-te-tphcm"
    assert facilities["license_id"] == "cc-by"
    assert extras["title_en"] == "Licensed health facilities in Ho Chi Minh City"
    assert extras["update_frequency"] == "daily" and extras["modified"]
    assert {"y tế", "health"} <= {t["name"] for t in facilities["tags"]}
    assert {r["format"] for r in facilities["resources"]} == {"CSV", "GeoJSON"}
    for package in packages.values():  # the DataStore table is previewable on the resource page
        csv = next(r for r in package["resources"] if r["format"] == "CSV")
        assert [v["view_type"] for v in api.action.resource_view_list(id=csv["id"])] == ["datatables_view"]
    checked = verify_published(DATASETS, settings)
    assert all(line.endswith("matches") for line in checked), checked
    page = requests.get(f"{settings.ckan_url}/dataset/co-so-kham-chua-benh", timeout=30)
    assert page.status_code == 200 and "Cơ sở khám bệnh, chữa bệnh" in page.text


def test_rerun_without_source_changes_changes_nothing(deployment):
    _, api = deployment
    before = {name: (p["metadata_modified"], [r["id"] for r in p["resources"]])
              for name, p in _packages(api).items()}
    state, _ = run_dag()
    assert state == "success"
    after = {name: (p["metadata_modified"], [r["id"] for r in p["resources"]])
             for name, p in _packages(api).items()}
    assert after == before


def test_a_new_day_updates_the_same_resources_in_place(deployment, health_source):
    settings, api = deployment
    before = _packages(api)
    day = generator.advance(health_source)
    state, _ = run_dag()
    assert state == "success"
    after = _packages(api)
    for name in before:
        assert [r["id"] for r in after[name]["resources"]] == [r["id"] for r in before[name]["resources"]]
        assert after[name]["metadata_modified"] > before[name]["metadata_modified"]
    extras = {e["key"]: e["value"] for e in after["chung-chi-hanh-nghe-y"]["extras"]}
    old = {e["key"]: e["value"] for e in before["chung-chi-hanh-nghe-y"]["extras"]}
    assert int(extras["row_count"]) > int(old["row_count"]) and day["certificates_added"] > 0
    assert all(line.endswith("matches") for line in verify_published(DATASETS, settings))


def _download(settings, url: str) -> bytes:
    reply = requests.get(url, headers={"Authorization": settings.ckan_api_token}, timeout=60)
    reply.raise_for_status()
    return reply.content


def test_no_personal_data_in_any_published_resource(deployment, health_source):
    """Fetch every resource of the organisation over the API and look for real people's data."""
    settings, api = deployment
    with psycopg.connect(health_source) as conn:
        people = conn.execute("SELECT so_cccd, ngay_sinh, dien_thoai FROM yte.chung_chi_hanh_nghe").fetchall()
    cccds = {p[0] for p in people if p[0]}
    phones = {p[2] for p in people if p[2] and sum(c.isdigit() for c in p[2]) >= 9}
    org = api.action.organization_show(id="so-y-te-tphcm", include_datasets=True)
    assert org["package_count"] == 2
    checked = 0
    for summary in org["packages"]:
        for resource in api.action.package_show(id=summary["name"])["resources"]:
            body = _download(settings, resource["url"]).decode("utf-8")
            assert not any(c in body for c in cccds), resource["name"]
            assert not any(p in body for p in phones), resource["name"]
            if resource["format"] == "CSV":
                table = pacsv.read_csv(io.BytesIO(body.encode()))
                assert "ngay_sinh" not in body and "date_of_birth" not in table.column_names
                assert scan_table(table, ("certificate_no",)) == []
                records = api.action.datastore_search(resource_id=resource["id"], limit=32000)["records"]
                served = pa.Table.from_pylist([{k: (None if v is None else str(v)) for k, v in r.items()}
                                               for r in records])
                assert scan_table(served, ("certificate_no", "_id")) == []
            else:
                features = json.loads(body)["features"]
                assert features and not set(features[0]["properties"]) & {"cccd", "phone", "date_of_birth"}
            checked += 1
    assert checked == 3


def test_failed_audit_stops_before_anything_is_published(deployment, health_source):
    """A phone number keyed into the name field passes the silver job but fails the audit."""
    _, api = deployment
    if api.action.package_search(fq="organization:so-y-te-tphcm")["count"] < 2:
        assert run_dag()[0] == "success"
    before = {name: p["metadata_modified"] for name, p in _packages(api).items()}
    with psycopg.connect(health_source) as conn:
        conn.execute("""UPDATE yte.chung_chi_hanh_nghe SET ho_ten = '0908123456', ngay_cap_nhat = now()
                        WHERE id = (SELECT min(id) FROM yte.chung_chi_hanh_nghe)""")
    try:
        state, tasks = run_dag()
        assert state == "failed"
        assert tasks["build_health_silver"] == "success"
        assert tasks["audit_health_silver"] == "failed"
        assert tasks["build_health_marts"] == tasks["publish_health_open_data"] == "upstream_failed"
        assert {name: p["metadata_modified"] for name, p in _packages(api).items()} == before
    finally:
        with psycopg.connect(health_source) as conn:
            conn.execute("""UPDATE yte.chung_chi_hanh_nghe SET ho_ten = 'Nguyễn Văn An', ngay_cap_nhat = now()
                            WHERE id = (SELECT min(id) FROM yte.chung_chi_hanh_nghe)""")
