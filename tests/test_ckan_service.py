"""The embedded CKAN is real: HTTP API, dataset pages, DataStore, and search without Solr."""
from __future__ import annotations

import uuid

import ckanapi
import pytest
import requests


def test_ckan_serves_datasets_search_and_datastore(ckan):
    api = ckanapi.RemoteCKAN(ckan.ckan_url, apikey=ckan.ckan_api_token)
    assert api.action.status_show()["ckan_version"] == "2.12.0"
    suffix = uuid.uuid4().hex[:8]
    org = api.action.organization_create(name=f"org-{suffix}", title="Sở Thử nghiệm")
    with pytest.raises(ckanapi.ValidationError) as refused:  # the city schema's metadata is required
        api.action.package_create(name=f"ds-{suffix}", title="Cơ sở khám chữa bệnh thử", owner_org=org["id"],
                                  notes="kiểm thử")
    assert {"title_en", "notes_en", "frequency", "license_version"} <= set(refused.value.error_dict)
    pkg = api.action.package_create(name=f"ds-{suffix}", title="Cơ sở khám chữa bệnh thử",
                                    owner_org=org["id"], notes="kiểm thử", title_en="Test facilities",
                                    notes_en="test", license_id="CC-BY-4.0", license_version="4.0",
                                    frequency="http://publications.europa.eu/resource/authority/frequency/DAILY",
                                    publisher=[{"name": "Sở Thử nghiệm"}],
                                    contact=[{"name": "Sở Thử nghiệm", "email": "test@citylake.invalid"}])
    found = api.action.package_search(q="khám", fq=f"owner_org:{org['id']}")
    assert [p["name"] for p in found["results"]] == [pkg["name"]]
    assert api.action.package_search(q=f"nothing-like-{suffix}")["count"] == 0
    assert api.action.organization_show(id=org["name"])["package_count"] == 1
    created = api.action.datastore_create(
        resource={"package_id": pkg["id"], "name": "rows"}, force=True, primary_key=["k"],
        fields=[{"id": "k", "type": "text"}, {"id": "v", "type": "int"}],
        records=[{"k": "a", "v": 1}, {"k": "b", "v": 2}])
    api.action.datastore_upsert(resource_id=created["resource_id"], force=True, method="upsert",
                                records=[{"k": "a", "v": 10}])
    rows = api.action.datastore_search(resource_id=created["resource_id"], sort="k")["records"]
    assert [(r["k"], r["v"]) for r in rows] == [("a", 10), ("b", 2)]
    page = requests.get(f"{ckan.ckan_url}/dataset/{pkg['name']}", timeout=30)
    assert page.status_code == 200 and "Cơ sở khám chữa bệnh thử" in page.text
