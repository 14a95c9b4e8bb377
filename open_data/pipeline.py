"""Write-audit-publish for open data: audited marts are swapped into gold, then sent to CKAN.

The marts are built by dbt into the warehouse (the staging area) and audited there; only after the
audit passed does this step copy them into the gold Delta tables (one atomic overwrite each) and
publish them. A failure before this step leaves gold and the portal as they were.
"""
from __future__ import annotations

import duckdb
import pyarrow as pa

from citylake import delta
from citylake.catalog import gold_uri
from citylake.settings import Settings, get_settings
from open_data.publish import PublishResult, publish
from open_data.spec import DatasetSpec


def read_mart(settings: Settings, mart: str) -> pa.Table:
    # same configuration as dbt's own connection, which may still be open in this process
    with duckdb.connect(str(settings.warehouse_duckdb)) as con:
        return con.execute(f'SELECT * FROM main."{mart}"').arrow().read_all()


def publish_datasets(datasets: tuple[DatasetSpec, ...], domain: str,
                     settings: Settings | None = None) -> list[PublishResult]:
    import ckanapi

    settings = settings or get_settings()
    tables = {spec.name: read_mart(settings, spec.mart) for spec in datasets}
    for spec in datasets:
        delta.write_arrow(tables[spec.name], gold_uri(settings, domain, spec.mart), mode="overwrite",
                          schema_mode="overwrite", metadata={"citylake.published_as": spec.name})
    api = ckanapi.RemoteCKAN(settings.ckan_url, apikey=settings.ckan_api_token,
                             user_agent="citylake-publisher/0.1")
    return [publish(api, spec, tables[spec.name], settings.ckan_url) for spec in datasets]
