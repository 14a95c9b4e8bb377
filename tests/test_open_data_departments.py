"""Every department's open data end to end on the shared warehouse: the marts DAGs (dbt, audit,
publish), then the portal DAG's per-domain publish tasks to a real CKAN. Then a client's view over
the CKAN API: each department under its own organisation, every resource free of personal data and
of counts of fewer than 5 people, DCAT-AP for every dataset, and the pages in headless Chromium."""
from __future__ import annotations

import datetime as dt
import io
import json
from pathlib import Path

import ckanapi
import pyarrow as pa
import pyarrow.csv as pacsv
import pytest
import requests

from citylake import delta, events
from citylake.catalog import bronze_uri, silver_uri
from open_data.disclosure import THRESHOLD, violations
from open_data.pipeline import verify_published
from open_data.privacy import FORBIDDEN_COLUMNS, scan_table
from open_data.registry import DATASETS_BY_DOMAIN, all_datasets

T0 = dt.datetime(2026, 3, 2, 0, 0, tzinfo=dt.UTC)  # 07:00 in Ho Chi Minh City
SHOTS = Path(__file__).resolve().parent.parent / ".run" / "screenshots"


def run_dag(dag_id: str):
    from airflow.dag_processing.dagbag import DagBag

    from orchestration.airflow_env import DAGS_FOLDER

    run = DagBag(dag_folder=str(DAGS_FOLDER)).dags[dag_id].test()
    return run.state, {ti.task_id: ti.state for ti in run.get_task_instances()}


def _camera_events(settings) -> None:
    """A morning of traffic from a dozen registry cameras, as the stream consumer lands it in bronze."""
    registry = delta.read_arrow(silver_uri(settings, "cameras", "registry")).to_pylist()
    cams = [c for c in registry if c.get("ward_code_2025") and c.get("latitude")][:12]
    assert cams, "the shared warehouse has no camera registry"
    evts = []
    for n, cam in enumerate(cams):
        for minute in range(0, 180, 5):
            start = T0 + dt.timedelta(minutes=minute)
            rush = 60 <= minute < 120
            counts = {"motorcycle": 20 + n + (30 if rush else 0), "car": 4 + n % 3, "bus": 1, "truck": 0, "bicycle": 1}
            evts.append(events.traffic_flow(cam["camera_id"], start, start + dt.timedelta(minutes=1), counts,
                                            cam["longitude"], cam["latitude"], congested=rush,
                                            average_speed_kmh=8 if rush else 30))
    rows = []
    for e in evts:
        row = events.parse(events.encode(e, T0 + dt.timedelta(hours=3)), events.topic(e["cameraId"], e["type"]))
        rows.append({**row, "_ingested_at": T0 + dt.timedelta(hours=3), "_batch": 1})
    delta.write_arrow(pa.Table.from_pylist(rows, schema=events.BRONZE_SCHEMA),
                      bronze_uri(settings, "cameras", "events"), partition_by=["event_date"])


def _departments():
    """The departments' datasets: the centre's are made by its own DAGs (tests/test_centre_open_data.py)."""
    return tuple(spec for spec in all_datasets() if spec.gold_source is None)


@pytest.fixture(scope="module")
def portal(warehouse, ckan, airflow_db):
    settings = warehouse[0]
    api = ckanapi.RemoteCKAN(settings.ckan_url, apikey=settings.ckan_api_token)
    # a clean portal for this module: other modules' datasets (the infrastructure layers of the
    # Department of Construction...) would count on the organisations' pages
    for name in {*api.action.package_list(), *(spec.name for spec in all_datasets())}:
        try:
            api.action.dataset_purge(id=name)
        except ckanapi.NotFound:
            pass
    _camera_events(settings)
    runs = {dag_id: run_dag(dag_id) for dag_id in ("camera_analytics", "transport_marts", "warehouse_marts",
                                                   "open_data_portal")}
    return settings, api, runs


def test_every_department_publishes_through_write_audit_publish(portal):
    settings, api, runs = portal
    for dag_id, (state, tasks) in runs.items():
        assert state == "success", (dag_id, tasks)
    portal_tasks = runs["open_data_portal"][1]
    assert {f"publish_{domain}" for domain in DATASETS_BY_DOMAIN} == set(portal_tasks)
    # the centre's sites come from site_selection, which never ran here: skipped, not failed
    # (published in tests/test_centre_open_data.py)
    assert portal_tasks.pop("publish_siting") == "skipped"
    assert set(portal_tasks.values()) == {"success"}
    departments = _departments()
    for spec in departments:
        package = api.action.package_show(id=spec.name)
        assert package["organization"]["name"] == spec.organization.name, spec.name
        assert package["organization"]["title"] == spec.organization.title
        assert int(package["row_count"]) > 0, spec.name
    checked = verify_published(departments, settings)
    assert all(line.endswith("matches") for line in checked), checked
    orgs = {o["name"]: o for o in api.action.organization_list(all_fields=True)}
    for spec in departments:
        assert orgs[spec.organization.name]["package_count"] >= 1


AMOUNT = (".*_vnd", ".*_usd", ".*_m2", ".*_ha")  # money and areas: 12-digit amounts are not citizen IDs


def _as_text(table: pa.Table) -> pa.Table:
    """Every column as text for the value scan (a citizen ID typed as a number would be read as
    one), except amounts of money and area."""
    import re

    keep = [c for c in table.column_names if not any(re.fullmatch(a, c) for a in AMOUNT)]
    return pa.table({c: pa.array([None if v is None else str(v) for v in table[c].to_pylist()], pa.string())
                     for c in keep})


def _download(settings, url: str) -> bytes:
    reply = requests.get(url, timeout=60)
    reply.raise_for_status()
    return reply.content


def test_a_client_finds_no_personal_data_and_no_small_cells(portal):
    """Everything fetched over the CKAN API as an anonymous client: each organisation's datasets,
    every resource (CSV, GeoJSON) and every DataStore row."""
    settings, _, _ = portal
    client = ckanapi.RemoteCKAN(settings.ckan_url)  # no token: what the public gets
    specs = {spec.name: spec for spec in _departments()}
    seen = set()
    for org in client.action.organization_list():
        for summary in client.action.package_search(fq=f"organization:{org}", rows=1000)["results"]:
            spec = specs.get(summary["name"])
            if spec is None:
                continue  # another test module's dataset
            seen.add(spec.name)
            allow = (*spec.allow_codes, spec.primary_key, "_id")
            for resource in client.action.package_show(id=spec.name)["resources"]:
                body = _download(settings, resource["url"])
                if resource["format"] == "CSV":
                    table = pacsv.read_csv(io.BytesIO(body))
                else:
                    table = pa.Table.from_pylist([f["properties"] for f in json.loads(body)["features"]])
                assert not [c for c in table.column_names if FORBIDDEN_COLUMNS.search(c)], spec.name
                assert scan_table(_as_text(table), allow) == [], (spec.name, resource["format"])
                assert violations(table.to_pylist(), spec.people_counts) == [], (spec.name, resource["format"])
                if resource.get("datastore_active"):
                    rows = client.action.datastore_search(resource_id=resource["id"], limit=32000)["records"]
                    assert len(rows) == table.num_rows
                    assert violations(rows, spec.people_counts) == [], spec.name
                    assert scan_table(_as_text(pa.Table.from_pylist(rows)), allow) == [], spec.name
    assert seen == set(specs)
    # and the rule did bite: at this scale some rows counted fewer than THRESHOLD people
    suppressed = 0
    for spec in _departments():
        if spec.people_counts:
            csv = next(r for r in client.action.package_show(id=spec.name)["resources"] if r["format"] == "CSV")
            rows = client.action.datastore_search(resource_id=csv["id"], limit=32000)["records"]
            hidden = [r for r in rows if r["small_cell_suppressed"]]
            assert all(r[c] is None for r in hidden for c in (*spec.people_counts, *spec.derived_from_people))
            suppressed += len(hidden)
    assert suppressed > 0 and THRESHOLD == 5


def test_dcat_for_every_dataset_has_the_required_properties(portal):
    from rdflib import Graph
    from rdflib.namespace import DCAT, DCTERMS, RDF

    settings, _, _ = portal
    for spec in _departments():
        reply = requests.get(f"{settings.ckan_url}/dataset/{spec.name}.ttl", timeout=60)
        assert reply.status_code == 200, spec.name
        g = Graph().parse(data=reply.content.decode("utf-8"), format="turtle")
        (dataset,) = list(g.subjects(RDF.type, DCAT.Dataset))
        for predicate in (DCTERMS.title, DCTERMS.description, DCTERMS.publisher, DCAT.contactPoint,
                          DCAT.distribution, DCAT.keyword, DCTERMS.accrualPeriodicity, DCTERMS.spatial,
                          DCTERMS.license, DCTERMS.identifier, DCTERMS.issued, DCTERMS.modified):
            assert g.value(dataset, predicate) is not None, (spec.name, predicate)
        if spec.temporal_column:
            assert g.value(g.value(dataset, DCTERMS.temporal), DCAT.startDate) is not None, spec.name
        assert {t.language for t in g.objects(dataset, DCTERMS.title)} == {"vi", "en"}
        assert str(g.value(g.value(dataset, DCTERMS.publisher),
                           next(p for p in g.predicates(g.value(dataset, DCTERMS.publisher))
                                if p.endswith("name")))) == spec.organization.title
        for dist in g.objects(dataset, DCAT.distribution):
            assert str(g.value(dist, DCTERMS.license)) == "https://creativecommons.org/licenses/by/4.0/"


def test_every_organisation_page_renders_offline(portal):
    """The organisation list and each department's page in headless Chromium: facets, datasets,
    no console error, nothing requested beyond 127.0.0.1."""
    from browser import loopback_page

    settings, _, _ = portal
    SHOTS.mkdir(parents=True, exist_ok=True)
    orgs = {spec.organization.name: spec.organization for spec in _departments()}
    with loopback_page(f"{settings.ckan_url}/organization/") as (page, log):
        for org in orgs.values():
            assert page.get_by_text(org.title, exact=False).count() >= 1, org.title
        page.screenshot(path=str(SHOTS / "departments-organizations.png"), full_page=True)
        assert log.outside == [] and log.errors == [], (log.outside, log.errors)
    for name in orgs:
        expected = [s for s in _departments() if s.organization.name == name]
        with loopback_page(f"{settings.ckan_url}/organization/{name}") as (page, log):
            assert page.locator(".dataset-item").count() == len(expected), name
            for spec in expected:
                assert page.get_by_text(spec.title).count() >= 1, spec.title
            page.screenshot(path=str(SHOTS / f"department-{name}.png"), full_page=True)
            assert log.outside == [] and log.errors == [], (name, log.outside, log.errors)
