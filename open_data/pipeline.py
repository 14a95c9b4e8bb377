"""Write-audit-publish for open data: audited marts are swapped into gold, then sent to CKAN.

The marts are built by dbt into the warehouse (the staging area) and audited there; only after the
audit passed does this step copy them into the gold Delta tables (one atomic overwrite each) and
publish them. A failure before this step leaves gold and the portal as they were.
"""
from __future__ import annotations

import datetime as dt
import re

import pyarrow as pa

from citylake import delta
from citylake.catalog import gold_uri
from citylake.settings import Settings, get_settings
from citylake.warehouse import is_published, read_mart
from open_data.disclosure import protect
from open_data.publish import PublishResult, datastore_rows, publish, to_records
from open_data.spec import DatasetSpec


def for_publication(spec: DatasetSpec, table: pa.Table) -> pa.Table:
    """The mart as the public may see it: small counts of people suppressed (gold holds this too)."""
    return protect(table, spec.people_counts, spec.derived_from_people)


def publish_datasets(datasets: tuple[DatasetSpec, ...], domain: str,
                     settings: Settings | None = None) -> list[PublishResult]:
    import ckanapi

    settings = settings or get_settings()
    tables = {spec.name: for_publication(spec, source_table(spec, settings)) for spec in datasets}
    for spec in datasets:
        delta.write_arrow(tables[spec.name], gold_uri(settings, domain, spec.published_table), mode="overwrite",
                          schema_mode="overwrite", metadata={"citylake.published_as": spec.name})
    api = ckanapi.RemoteCKAN(settings.ckan_url, apikey=settings.ckan_api_token,
                             user_agent="citylake-publisher/0.1")
    return [publish(api, spec, tables[spec.name], settings.ckan_url, settings.ckan_datastore_dsn)
            for spec in datasets]


def source_exists(spec: DatasetSpec, settings: Settings | None = None) -> bool:
    """Whether what the dataset is made from was ever published: its mart in the published warehouse,
    or its gold table (a new deployment, or a centre DAG that runs on demand, may have neither yet)."""
    settings = settings or get_settings()
    if spec.gold_source is None:
        return is_published(settings, spec.mart)
    return delta.exists(gold_uri(settings, *spec.gold_source))


def source_table(spec: DatasetSpec, settings: Settings) -> pa.Table:
    """What the dataset publishes: its mart as published, or its gold source shaped by its SQL."""
    if spec.gold_source is None:
        return read_mart(settings, spec.mart)
    import duckdb

    source = delta.read_arrow(gold_uri(settings, *spec.gold_source))
    with duckdb.connect() as con:
        con.register("source", source)
        return con.execute(spec.sql).to_arrow_table()


_TIMESTAMP = re.compile(r"^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}")


def comparable(value):
    """One form for a value as the mart holds it and as the DataStore serves it back.

    Timestamps compare as instants: PostgreSQL prints ``.1234`` where Python prints ``.123400``.
    """
    if value is None or isinstance(value, bool):
        return value
    if isinstance(value, (int, float)):
        return float(value)
    if isinstance(value, str) and _TIMESTAMP.match(value):
        instant = dt.datetime.fromisoformat(value)
        if instant.tzinfo is not None:
            instant = instant.astimezone(dt.UTC).replace(tzinfo=None)
        return instant
    return str(value)


def verify_published(datasets: tuple[DatasetSpec, ...], settings: Settings | None = None) -> list[str]:
    """Compare each published DataStore table with its mart, row for row and value for value."""
    import ckanapi

    settings = settings or get_settings()
    api = ckanapi.RemoteCKAN(settings.ckan_url, apikey=settings.ckan_api_token)
    lines = []
    for spec in datasets:
        mart = {r[spec.primary_key]: r for r in to_records(for_publication(spec, source_table(spec, settings)))}
        try:
            package = api.action.package_show(id=spec.name)
        except ckanapi.NotFound:
            lines.append(f"{spec.name}: NOT PUBLISHED (no such dataset on the portal)")
            continue
        csv = next(r for r in package["resources"] if r["format"] == "CSV")
        served = {r[spec.primary_key]: r for r in datastore_rows(api, csv["id"])}
        differing = [(key, [c for c, v in row.items() if comparable(served[key].get(c)) != comparable(v)])
                     if key in served else (key, ["<missing>"]) for key, row in mart.items()]
        differing = [(key, cols) for key, cols in differing if cols]
        ok = len(served) == len(mart) and not differing
        detail = ""
        if differing:
            key, cols = differing[0]
            detail = (f"; e.g. {spec.primary_key}={key} {cols[0]}: mart {mart[key].get(cols[0])!r}, "
                      f"portal {served.get(key, {}).get(cols[0])!r}")
        lines.append(f"{spec.name}: DataStore {len(served)} rows, mart {len(mart)} rows: "
                     + ("matches" if ok else f"DIFFERS ({len(differing)} rows{detail})"))
    return lines
