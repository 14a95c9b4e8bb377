"""
### Open data portal: audited marts → gold Delta → CKAN

Runs when a published mart that an open dataset is made from changed (marts are published only
after their audit), or a gold table of the simulation and forecasting centre that one is made from
(the chosen monitoring sites, published by `site_selection` after its audit). For each domain's
datasets whose marts or tables changed: the personal-data scan, the gold Delta table (one atomic
overwrite each), then CKAN — dataset metadata, CSV and GeoJSON
resources, the DataStore table upserted by primary key. Publishing is idempotent by content:
unchanged data changes nothing on the portal. A domain whose sources did not change is skipped.
Triggered by hand, every dataset is published (a department whose marts were never published, or a
centre table its DAG never made, is skipped). Every department has its own task: Health, Finance
(enterprises, new businesses, FDI, investment), Education, the public service centre, the 1022
hotline, land, the Inspectorate (inspections, complaints), Construction (camera traffic) and the
simulation and forecasting centre (monitoring sites); see `open_data/registry.py`. Counts of fewer
than 5 people are suppressed before anything is written (`open_data/disclosure.py`).
"""
from __future__ import annotations

from airflow.sdk import Asset, AssetAny, dag, get_current_context, task

from open_data.registry import DATASETS_BY_DOMAIN
from orchestration.assets import dataset_asset
from orchestration.defaults import default_args


def _sources_that_changed() -> set[str] | None:
    """The Assets (marts, gold tables) whose events started this run; None when started by hand
    (publish all)."""
    events = get_current_context().get("triggering_asset_events") or {}
    return {getattr(asset, "uri", str(asset)) for asset in events} or None


def publish_task(domain: str, datasets):
    @task(task_id=f"publish_{domain}", outlets=[dataset_asset(spec.name) for spec in datasets])
    def publish() -> list[str]:
        from airflow.sdk.exceptions import AirflowSkipException

        from open_data.pipeline import publish_datasets, source_exists

        changed = _sources_that_changed()
        if changed is not None and not changed & {spec.source_asset_uri for spec in datasets}:
            raise AirflowSkipException(f"none of {domain}'s marts or tables changed")
        ready = tuple(spec for spec in datasets if source_exists(spec))
        if not ready:
            # started by hand before its marts DAG (or site_selection, on demand) ever published: nothing
            # to send yet, and their publication will set this DAG off
            raise AirflowSkipException(f"not published yet: {', '.join(spec.source_asset_uri for spec in datasets)}")
        return [str(result) for result in publish_datasets(ready, domain)]

    return publish()


@dag(
    dag_id="open_data_portal",
    doc_md=__doc__,
    schedule=AssetAny(*(Asset(spec.source_asset_uri) for specs in DATASETS_BY_DOMAIN.values() for spec in specs)),
    catchup=False,
    max_active_runs=1,
    tags=["open-data", "ckan", "portal"],
    default_args=default_args(),
)
def open_data_portal():
    for domain, datasets in DATASETS_BY_DOMAIN.items():
        publish_task(domain, datasets)


open_data_portal()
