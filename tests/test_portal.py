"""The city's CKAN portal as its users see it: organisation list and pages, search facets, the home
page, and CSV files that open in Excel with ISO 8601 timestamps."""
from __future__ import annotations

import datetime as dt
import io
import re
import uuid
from pathlib import Path

import ckanapi
import pyarrow as pa
import pyarrow.csv as pacsv
import pytest
import requests

from open_data.disclosure import violations
from open_data.pipeline import for_publication
from open_data.publish import datastore_rows, publish
from open_data.spec import DatasetSpec, OrganizationSpec

SUFFIX = uuid.uuid4().hex[:6]
ORG = OrganizationSpec(name=f"so-thu-nghiem-{SUFFIX}", title=f"Sở Thử nghiệm {SUFFIX}",
                       description="Cơ quan thử nghiệm / a test publisher")


def _facilities(rows: int) -> pa.Table:
    """Shaped like dim_health_facilities: points for the map, timestamps and dates."""
    start = dt.datetime(2026, 11, 24, 11, 21, 31, 123400, tzinfo=dt.UTC)
    return pa.table({
        "facility_id": [f"k{i:03d}" for i in range(rows)],
        "name": [f"Trạm y tế số {i}" for i in range(rows)],
        "ward_name_2025": ["Phường Bến Thành", "Xã Củ Chi"] * (rows // 2),
        "latitude": [10.77 + i / 100 for i in range(rows)],
        "longitude": [106.69 + i / 100 for i in range(rows)],
        "updated_at": pa.array([start + dt.timedelta(hours=i) for i in range(rows)], pa.timestamp("us", "UTC")),
        "licence_issued_on": [dt.date(2026, 11, 1) + dt.timedelta(days=i) for i in range(rows)],
        "beds": list(range(rows)),
    })


def _schools() -> pa.Table:
    """Shaped like rpt_schools_by_ward, with wards of 0, 3 and 4 pupils or teachers."""
    pupils = [420, 3, 0, 800, 57, 12]
    teachers = [20, 1, 0, 4, 6, 2]
    return pa.table({
        "school_ward_key": [f"2024-2025|2674{i}|primary" for i in range(6)],
        "school_year": ["2024-2025"] * 6,
        "ward_code_2025": [f"2674{i}" for i in range(6)],
        "level": ["primary"] * 6,
        "schools": [2, 1, 1, 3, 1, 1],
        "pupils": pupils,
        "teachers": teachers,
        "pupils_per_teacher": [p / t if t else None for p, t in zip(pupils, teachers)],
    })


FACILITIES = DatasetSpec(name=f"thu-a-{SUFFIX}", mart="dim_health_facilities", primary_key="facility_id",
                         organization=ORG, title=f"Bộ dữ liệu thử A {SUFFIX}", title_en=f"Test dataset A {SUFFIX}",
                         notes="Dữ liệu thử nghiệm.", notes_en="Test data.", tags=["thử nghiệm", "giao thông"],
                         geojson=True, temporal_column="licence_issued_on")
SCHOOLS = DatasetSpec(name=f"thu-b-{SUFFIX}", mart="rpt_schools_by_ward", primary_key="school_ward_key",
                      organization=ORG, title=f"Bộ dữ liệu thử B {SUFFIX}", title_en=f"Test dataset B {SUFFIX}",
                      notes="Dữ liệu thử nghiệm.", notes_en="Test data.", tags=["thử nghiệm"],
                      people_counts=("pupils", "teachers"), derived_from_people=("pupils_per_teacher",),
                      temporal_column="school_year")


@pytest.fixture(scope="module")
def portal(ckan):
    api = ckanapi.RemoteCKAN(ckan.ckan_url, apikey=ckan.ckan_api_token)
    results = [publish(api, FACILITIES, _facilities(10), ckan.ckan_url),
               publish(api, SCHOOLS, for_publication(SCHOOLS, _schools()), ckan.ckan_url)]
    assert all(r.package_changed for r in results)
    yield ckan, api, [FACILITIES, SCHOOLS]
    for package in api.action.package_search(fq=f"organization:{ORG.name}", rows=100)["results"]:
        api.action.dataset_purge(id=package["id"])  # the next run's pages start from the same portal
    api.action.organization_purge(id=ORG.name)


def test_organisation_list_and_pages_answer_with_counts(portal):
    """The organisation pages need search facets; the stand-in for Solr used to answer none (HTTP 500)."""
    settings, api, specs = portal
    orgs = {o["name"]: o for o in api.action.organization_list(all_fields=True)}
    assert orgs[ORG.name]["package_count"] == 2
    page = requests.get(f"{settings.ckan_url}/organization/", timeout=30)
    assert page.status_code == 200 and ORG.title in page.text
    page = requests.get(f"{settings.ckan_url}/organization/{ORG.name}", timeout=30)
    assert page.status_code == 200
    assert all(spec.title in page.text for spec in specs)


def test_search_facets_are_counted_from_the_database(portal):
    settings, api, specs = portal
    found = api.action.package_search(fq=f"organization:{ORG.name}", rows=0,
                                      **{"facet.field": '["organization", "tags", "res_format", "license_id"]'})
    facets = {name: {i["name"]: i["count"] for i in f["items"]} for name, f in found["search_facets"].items()}
    assert found["count"] == 2
    assert facets["organization"] == {ORG.name: 2}
    assert facets["tags"]["thử nghiệm"] == 2 and facets["tags"]["giao thông"] == 1
    assert facets["res_format"] == {"CSV": 2, "GeoJSON": 1}
    assert facets["license_id"] == {"CC-BY-4.0": 2}
    narrowed = api.action.package_search(fq=f'organization:{ORG.name} tags:"giao thông"')
    assert [p["name"] for p in narrowed["results"]] == [specs[0].name]
    page = requests.get(f"{settings.ckan_url}/dataset/", params={"organization": ORG.name}, timeout=30)
    assert page.status_code == 200 and "giao thông" in page.text  # the tag facet is listed


def test_home_page_introduces_the_city_in_vietnamese_first_and_features_datasets(portal):
    settings, _, specs = portal
    page = requests.get(f"{settings.ckan_url}/", timeout=30)
    assert page.status_code == 200
    text = page.text
    assert "This is a nice introductory paragraph" not in text  # the stock placeholder is gone
    vi, en = text.index("Cổng dữ liệu mở Thành phố Hồ Chí Minh"), text.index("Ho Chi Minh City's open data portal")
    assert vi < en
    assert specs[-1].title in text[text.index('id="featured-datasets"'):]


def test_csv_opens_in_excel_with_iso_timestamps(portal):
    """A UTF-8 byte-order mark (Excel otherwise reads Vietnamese as ANSI) and ISO 8601 instants."""
    settings, api, specs = portal
    csv = next(r for r in api.action.package_show(id=specs[0].name)["resources"] if r["format"] == "CSV")
    body = requests.get(csv["url"], timeout=30).content
    assert body.startswith(b"\xef\xbb\xbf")
    table = pacsv.read_csv(io.BytesIO(body), convert_options=pacsv.ConvertOptions(
        column_types={"updated_at": pa.string(), "licence_issued_on": pa.string()}))
    assert table["ward_name_2025"][1].as_py() == "Xã Củ Chi"
    assert table["updated_at"][0].as_py() == "2026-11-24T11:21:31.123400+00:00"
    assert table["licence_issued_on"][0].as_py() == "2026-11-01"
    served = api.action.datastore_search(resource_id=csv["id"], sort="facility_id", limit=1)["records"][0]
    assert dt.datetime.fromisoformat(served["updated_at"]).replace(tzinfo=dt.UTC) == \
        dt.datetime.fromisoformat(table["updated_at"][0].as_py())


def test_republishing_the_same_data_changes_nothing(portal):
    """Idempotent by content, with the scheming fields compared as the portal returns them."""
    settings, api, _ = portal
    before = api.action.package_show(id=SCHOOLS.name)["metadata_modified"]
    again = publish(api, SCHOOLS, for_publication(SCHOOLS, _schools()), settings.ckan_url)
    assert (again.package_changed, again.resources_changed) == (False, [])
    assert api.action.package_show(id=SCHOOLS.name)["metadata_modified"] == before


def test_small_counts_of_people_never_reach_the_portal(portal):
    """Rows with 1–4 pupils or teachers are suppressed whole (rate included); zero is published."""
    _, api, _ = portal
    csv = next(r for r in api.action.package_show(id=SCHOOLS.name)["resources"] if r["format"] == "CSV")
    rows = {r["ward_code_2025"]: r for r in api.action.datastore_search(resource_id=csv["id"])["records"]}
    assert violations(list(rows.values()), SCHOOLS.people_counts) == []
    assert (rows["26740"]["pupils"], rows["26740"]["teachers"]) == (420, 20)
    assert (rows["26742"]["pupils"], rows["26742"]["small_cell_suppressed"]) == (0, False)
    for ward in ("26741", "26743", "26745"):  # 3 pupils; 4 teachers; 2 teachers
        assert rows[ward]["pupils"] is None and rows[ward]["teachers"] is None, ward
        assert rows[ward]["pupils_per_teacher"] is None and rows[ward]["small_cell_suppressed"] is True
    assert rows["26744"]["schools"] == 1  # not a count of people: kept


def test_metadata_follows_the_city_schema(portal):
    settings, api, _ = portal
    pkg = api.action.package_show(id=FACILITIES.name)
    assert pkg["title_en"] == FACILITIES.title_en and pkg["notes_en"] == "Test data."
    assert pkg["license_id"] == "CC-BY-4.0" and pkg["license_version"] == "4.0"
    assert pkg["license_url"] == "https://creativecommons.org/licenses/by/4.0/"
    assert pkg["publisher"][0]["name"] == ORG.title
    assert pkg["contact"][0]["email"] and pkg["contact"][0]["name"].startswith(ORG.title)
    assert pkg["frequency"].endswith("/frequency/DAILY")
    assert pkg["temporal_coverage"] == [{"start": "2026-11-01", "end": "2026-11-10"}]
    assert pkg["spatial_coverage"][0]["uri"] == "https://www.geonames.org/1566083"
    page = requests.get(f"{settings.ckan_url}/dataset/{FACILITIES.name}", timeout=30)
    assert page.status_code == 200 and "Title (English)" in page.text and FACILITIES.title_en in page.text
    # dates on the pages in ISO 8601 too, in the city's time zone, not "5 tháng 12, 2026"
    csv = next(r for r in pkg["resources"] if r["format"] == "CSV")
    page = requests.get(f"{settings.ckan_url}/dataset/{FACILITIES.name}/resource/{csv['id']}", timeout=30)
    modified = dt.datetime.fromisoformat(csv["metadata_modified"]).replace(tzinfo=dt.UTC)
    local_day = modified.astimezone(dt.timezone(dt.timedelta(hours=7))).date().isoformat()
    assert local_day in page.text and not re.search(r"\d{1,2} tháng \d{1,2}, \d{4}", page.text)


def test_datastore_dictionary_in_both_languages_and_a_unique_key(portal):
    _, api, _ = portal
    for spec in (FACILITIES, SCHOOLS):
        csv = next(r for r in api.action.package_show(id=spec.name)["resources"] if r["format"] == "CSV")
        fields = {f["id"]: f for f in api.action.datastore_info(id=csv["id"])["fields"]}
        assert fields[spec.primary_key]["schema"]["is_index"] is True
        first = api.action.datastore_search(resource_id=csv["id"], limit=1)["records"][0]
        first.pop("_id")
        with pytest.raises(ckanapi.ValidationError, match="(?i)duplicate|unique"):  # the key is unique
            api.action.datastore_upsert(resource_id=csv["id"], method="insert", records=[first], force=True)
        for name, field in fields.items():
            notes = field["info"]["notes"]
            vi, en = notes.split("\n\n")
            assert vi and en and field["info"]["label"].endswith(f"/ {name}"), (spec.name, name)
    assert "Số học sinh" in fields["pupils"]["info"]["notes"] and "pupils" in fields["pupils"]["info"]["notes"].lower()


DCAT_REQUIRED = ("title", "description", "publisher", "contactPoint", "distribution", "keyword", "license",
                 "accrualPeriodicity", "temporal", "spatial", "issued", "modified", "identifier", "language")


def test_dcat_ap_output_has_every_required_property(portal):
    """The catalogue as a harvester reads it (ckanext-dcat), parsed by rdflib."""
    from rdflib import Graph, Namespace
    from rdflib.namespace import DCAT, DCTERMS, RDF

    settings, api, specs = portal
    vcard = Namespace("http://www.w3.org/2006/vcard/ns#")
    for spec in specs:
        reply = requests.get(f"{settings.ckan_url}/dataset/{spec.name}.ttl", timeout=30)
        assert reply.status_code == 200, reply.text[:500]
        g = Graph().parse(data=reply.content.decode("utf-8"), format="turtle")  # Turtle is UTF-8 by spec
        (dataset,) = list(g.subjects(RDF.type, DCAT.Dataset))
        have = {p.split("/")[-1].split("#")[-1] for p in g.predicates(dataset)}
        assert set(DCAT_REQUIRED) <= have, set(DCAT_REQUIRED) - have
        titles = {t.language: str(t) for t in g.objects(dataset, DCTERMS.title)}
        assert titles == {"vi": spec.title, "en": spec.title_en}
        publisher = g.value(dataset, DCTERMS.publisher)
        assert str(g.value(publisher, Namespace("http://xmlns.com/foaf/0.1/").name)) == ORG.title
        assert g.value(g.value(dataset, DCAT.contactPoint), vcard.hasEmail) is not None
        for dist in g.objects(dataset, DCAT.distribution):
            assert str(g.value(dist, DCTERMS.license)) == "https://creativecommons.org/licenses/by/4.0/"
            assert g.value(dist, DCAT.accessURL) is not None and g.value(dist, DCTERMS["format"]) is not None
        period = g.value(dataset, DCTERMS.temporal)
        assert g.value(period, DCAT.startDate) is not None and g.value(period, DCAT.endDate) is not None
    # the whole catalogue, as a harvester pages through it (package_search from the database)
    reply = requests.get(f"{settings.ckan_url}/catalog.ttl", timeout=30)
    catalog = Graph().parse(data=reply.content.decode("utf-8"), format="turtle")
    titles = {str(t) for d in catalog.subjects(RDF.type, DCAT.Dataset) for t in catalog.objects(d, DCTERMS.title)}
    assert {spec.title for spec in specs} <= titles


SHOTS = Path(__file__).resolve().parent.parent / ".run" / "screenshots"


def _clean(log) -> None:
    assert log.outside == [], log.outside
    assert log.errors == [], log.errors


def _view_frame(page):
    """The resource view's iframe (DataTables or the map), once loaded."""
    return page.wait_for_selector("iframe[data-module='data-viewer']", state="attached").content_frame()


def test_pages_render_in_chromium_offline(portal):
    """Home, organisation list and page, a DataStore preview and a GeoJSON map in headless Chromium:
    no console error and nothing requested from beyond 127.0.0.1 (the basemap is served locally)."""
    from browser import loopback_page

    settings, api, _ = portal
    SHOTS.mkdir(parents=True, exist_ok=True)
    url = settings.ckan_url
    with loopback_page(f"{url}/") as (page, log):
        assert page.locator("#city-intro h1").inner_text() == "Cổng dữ liệu mở Thành phố Hồ Chí Minh"
        assert page.locator("#featured-datasets .dataset-item").count() >= 2
        page.screenshot(path=str(SHOTS / "portal-home.png"), full_page=True)
        _clean(log)
    with loopback_page(f"{url}/organization/") as (page, log):
        assert page.locator(f"a[href$='/organization/{ORG.name}']").count() >= 1
        page.screenshot(path=str(SHOTS / "portal-organizations.png"), full_page=True)
        _clean(log)
    with loopback_page(f"{url}/organization/{ORG.name}") as (page, log):
        assert page.locator(".dataset-item").count() == 2
        assert page.locator("section.module-narrow, .filters").first.inner_text()  # facets listed
        page.screenshot(path=str(SHOTS / "portal-organization.png"), full_page=True)
        _clean(log)
    pkg = api.action.package_show(id=FACILITIES.name)
    resources = {r["format"]: r for r in pkg["resources"]}
    with loopback_page(f"{url}/dataset/{pkg['name']}/resource/{resources['CSV']['id']}") as (page, log):
        frame = _view_frame(page)
        frame.wait_for_selector("table.dataTable tbody tr td", timeout=60_000)
        assert frame.locator("table.dataTable tbody tr").count() == 10
        assert "Trạm y tế số 0" in frame.locator("table.dataTable tbody").inner_text()
        page.screenshot(path=str(SHOTS / "portal-datastore-preview.png"), full_page=True)
        _clean(log)
    with loopback_page(f"{url}/dataset/{pkg['name']}/resource/{resources['GeoJSON']['id']}") as (page, log):
        frame = _view_frame(page)
        frame.wait_for_selector(".leaflet-marker-icon", timeout=60_000)
        assert frame.locator(".leaflet-marker-icon").count() == 10
        frame.wait_for_selector(".leaflet-tile-loaded", timeout=60_000)
        frame.wait_for_function("() => [...document.querySelectorAll('img.leaflet-marker-icon')]"
                                ".every(i => i.complete && i.naturalWidth > 0)", timeout=60_000)
        page.wait_for_timeout(500)  # Leaflet's zoom animation to the points' bounds
        page.screenshot(path=str(SHOTS / "portal-geojson-map.png"), full_page=True)
        assert any(r.startswith(f"{url}/citylake/basemap-tile.png") for r in log.requests)
        _clean(log)


def test_copy_load_serves_what_the_api_load_serves_and_merges_by_key(portal):
    """The COPY path (the publisher's default on the embedded portal) against datastore_upsert: the
    same rows served, full-text search filled by CKAN's trigger, and a second load merging by key."""
    settings, api, _ = portal

    def spec(name):
        return DatasetSpec(name=name, mart="dim_health_facilities", primary_key="facility_id", organization=ORG,
                           title=f"Bộ dữ liệu {name}", title_en=f"Dataset {name}", notes="Thử.", notes_en="Test.")

    def served(name):
        csv = next(r for r in api.action.package_show(id=name)["resources"] if r["format"] == "CSV")
        return csv["id"], [{k: v for k, v in r.items() if k != "_id"}
                           for r in datastore_rows(api, csv["id"])]

    by_api, by_copy = spec(f"thu-api-{SUFFIX}"), spec(f"thu-copy-{SUFFIX}")
    table = _facilities(10).append_column("note", pa.array(["", None, 'có "ngoặc", dấu phẩy'] + ["x"] * 7))
    with pytest.raises(Exception, match="note"):  # an undocumented column never reaches the portal
        publish(api, by_copy, table, settings.ckan_url, settings.ckan_datastore_dsn)
    table = table.drop_columns(["note"])
    publish(api, by_api, table, settings.ckan_url)
    first = publish(api, by_copy, table, settings.ckan_url, settings.ckan_datastore_dsn)
    assert (first.rows_upserted, first.rows_deleted) == (10, 0)
    resource_id, rows = served(by_copy.name)
    assert rows == served(by_api.name)[1] and len(rows) == 10
    found = api.action.datastore_search(resource_id=resource_id, q="Bến Thành")["records"]
    assert len(found) == 5

    names = table["name"].to_pylist()
    names[1] = "Trạm y tế đổi tên"
    changed = table.set_column(1, "name", pa.array(names)).filter(pa.array([i != 0 for i in range(10)]))
    extra = _facilities(12).slice(11).set_column(0, "facility_id", pa.array(["k999"]))
    changed = pa.concat_tables([changed, extra])
    second = publish(api, by_copy, changed, settings.ckan_url, settings.ckan_datastore_dsn)
    assert (second.rows_upserted, second.rows_deleted) == (10, 1)
    _, rows = served(by_copy.name)
    by_key = {r["facility_id"]: r for r in rows}
    assert set(by_key) == {f"k{i:03d}" for i in range(1, 10)} | {"k999"}
    assert by_key["k001"]["name"] == "Trạm y tế đổi tên"
    assert api.action.datastore_search(resource_id=resource_id, q="đổi tên")["total"] == 1
