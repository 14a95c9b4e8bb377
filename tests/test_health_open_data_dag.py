"""Health's open data end to end through Airflow's dag.test() — ingest_health, then the marts DAG
(staging → audit → publish), then the portal DAG — against real PostgreSQL, Spark, dbt, Great
Expectations and CKAN on the shared warehouse: publication, idempotent republication, in-place
updates, no personal data anywhere on the portal, and failed audits (silver, marts) that publish
nothing and leave yesterday's marts in place."""
from __future__ import annotations

import hashlib
import io
import json

import ckanapi
import psycopg
import pyarrow as pa
import pyarrow.csv as pacsv
import pytest
import requests

from citylake import delta
from citylake.catalog import silver_uri
from open_data.departments import TRAFFIC
from open_data.health import DATASETS
from open_data.pipeline import source_exists, verify_published
from open_data.privacy import scan_table
from simulators.departments.health import generator

CHAIN = ("ingest_health", "warehouse_marts", "open_data_portal")


@pytest.fixture(scope="module")
def deployment(warehouse, ckan, airflow_db):
    settings = warehouse[0]
    api = ckanapi.RemoteCKAN(settings.ckan_url, apikey=settings.ckan_api_token)
    for spec in DATASETS:  # a clean portal for this module
        try:
            api.action.dataset_purge(id=spec.name)
        except ckanapi.NotFound:
            pass
    yield settings, api


@pytest.fixture(scope="module")
def health_source(deployment):
    return deployment[0].health_source_dsn


def run_dag(dag_id: str):
    from airflow.dag_processing.dagbag import DagBag

    from orchestration.airflow_env import DAGS_FOLDER

    run = DagBag(dag_folder=str(DAGS_FOLDER)).dags[dag_id].test()
    return run.state, {ti.task_id: ti.state for ti in run.get_task_instances()}


def run_chain(stop_at_failure: bool = True) -> dict[str, tuple[str, dict]]:
    """What the scheduler does from Health's Assets, one DAG after the other, in this process."""
    out = {}
    for dag_id in CHAIN:
        out[dag_id] = run_dag(dag_id)
        if out[dag_id][0] != "success" and stop_at_failure:
            break
    return out


def _published_state(settings) -> tuple[str, int]:
    """The published warehouse file's hash and its number of publications."""
    import duckdb

    path = settings.warehouse_duckdb
    with duckdb.connect(str(path), read_only=True) as con:
        publications = con.execute("SELECT count(*) FROM main._publications").fetchone()[0]
    return hashlib.sha256(path.read_bytes()).hexdigest(), publications


def _packages(api):
    return {spec.name: api.action.package_show(id=spec.name) for spec in DATASETS}


def test_dag_publishes_both_datasets_with_metadata(deployment):
    settings, api = deployment
    runs = run_chain()
    for dag_id, (state, tasks) in runs.items():
        assert state == "success", (dag_id, tasks)
        # the chosen sites wait for site_selection (on demand), the cameras' traffic for the camera
        # path (which another module may have run on this warehouse): not there, their publication skips
        expected = {"publish_siting": "skipped"} | ({} if source_exists(TRAFFIC) else {"publish_transport": "skipped"})
        expected = expected if dag_id == "open_data_portal" else {}
        assert {t: s for t, s in tasks.items() if s != "success"} == expected, (dag_id, tasks)
    packages = _packages(api)
    facilities = packages["co-so-kham-chua-benh"]
    assert facilities["organization"]["name"] == "so-y-te-tphcm"
    assert facilities["license_id"] == "CC-BY-4.0" and facilities["license_version"] == "4.0"
    assert facilities["title_en"] == "Licensed health facilities in Ho Chi Minh City"
    assert facilities["frequency"].endswith("/DAILY") and facilities["modified"]
    assert facilities["publisher"][0]["name"] == "Sở Y tế Thành phố Hồ Chí Minh"
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
    assert {dag_id: state for dag_id, (state, _) in run_chain().items()} == dict.fromkeys(CHAIN, "success")
    after = {name: (p["metadata_modified"], [r["id"] for r in p["resources"]])
             for name, p in _packages(api).items()}
    assert after == before


def test_a_new_day_updates_the_same_resources_in_place(deployment, health_source):
    settings, api = deployment
    before = _packages(api)
    day = generator.advance(health_source)
    assert {dag_id: state for dag_id, (state, _) in run_chain().items()} == dict.fromkeys(CHAIN, "success")
    after = _packages(api)
    for name in before:
        assert [r["id"] for r in after[name]["resources"]] == [r["id"] for r in before[name]["resources"]]
        assert after[name]["metadata_modified"] > before[name]["metadata_modified"]
    new, old = after["chung-chi-hanh-nghe-y"], before["chung-chi-hanh-nghe-y"]
    assert int(new["row_count"]) > int(old["row_count"]) and day["certificates_added"] > 0
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


def test_failed_silver_audit_stops_before_anything_is_published(deployment, health_source):
    """A phone number keyed into the name field passes the silver job but fails the audit: the
    silver Assets are not updated, so the marts and the portal are not even started."""
    settings, api = deployment
    if api.action.package_search(fq="organization:so-y-te-tphcm")["count"] < 2:
        assert run_chain()["open_data_portal"][0] == "success"
    before = {name: p["metadata_modified"] for name, p in _packages(api).items()}
    published = _published_state(settings)
    with psycopg.connect(health_source) as conn:
        conn.execute("""UPDATE yte.chung_chi_hanh_nghe SET ho_ten = '0908123456', ngay_cap_nhat = now()
                        WHERE id = (SELECT min(id) FROM yte.chung_chi_hanh_nghe)""")
    try:
        state, tasks = run_dag("ingest_health")
        assert state == "failed"
        assert tasks["build_health_silver"] == "success"
        assert tasks["audit_health_silver"] == "failed"
        assert {name: p["metadata_modified"] for name, p in _packages(api).items()} == before
        assert _published_state(settings) == published
    finally:
        with psycopg.connect(health_source) as conn:
            conn.execute("""UPDATE yte.chung_chi_hanh_nghe SET ho_ten = 'Nguyễn Văn An', ngay_cap_nhat = now()
                            WHERE id = (SELECT min(id) FROM yte.chung_chi_hanh_nghe)""")
        # the shared warehouse is left as it was found: the corrected name through silver again
        assert run_dag("ingest_health")[0] == "success"


def test_failed_mart_audit_leaves_yesterdays_marts_in_place(deployment):
    """Schools' silver emptied: dbt's tests pass on an empty table, the audit's minimum row count
    does not. Nothing is published: the published file is byte for byte yesterday's."""
    import duckdb

    settings, _ = deployment
    uri = silver_uri(settings, "education", "school_year_statistics")
    yesterday = delta.read_arrow(uri)
    published = _published_state(settings)
    with duckdb.connect(str(settings.warehouse_duckdb), read_only=True) as con:
        rows_before = con.execute("SELECT count(*) FROM main.rpt_schools_by_ward").fetchone()[0]
    assert rows_before >= 10
    delta.write_arrow(yesterday.schema.empty_table(), uri, mode="overwrite")
    try:
        state, tasks = run_dag("warehouse_marts")
        assert state == "failed", tasks
        assert tasks["dbt_build"] == "success" and tasks["audit_staged_marts"] == "failed"
        assert tasks["publish_marts"] == "upstream_failed"
        assert _published_state(settings) == published
        from citylake.warehouse import read_mart

        assert read_mart(settings, "rpt_schools_by_ward").num_rows == rows_before
        assert read_mart(settings, "rpt_schools_by_ward", staged_by="warehouse_marts").num_rows == 0
    finally:
        delta.write_arrow(yesterday, uri, mode="overwrite")
