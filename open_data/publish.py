"""Publish an audited mart to CKAN: dataset metadata, CSV/GeoJSON resources, a DataStore table.

Idempotent by content: each resource carries the SHA-256 of what was uploaded, so republishing
unchanged data changes nothing (not even ``metadata_modified``); changed data updates the same
resources in place, and the DataStore table is upserted by primary key with vanished keys deleted.
Nothing is sent before the personal-data scan has passed.

The CSV file is safe to open in a spreadsheet: a text cell that begins with ``=``, ``+``, ``-``,
``@``, a tab or a carriage return would be read as a formula (``=HYPERLINK(…)`` in a facility's name),
so it is written with a single quote in front (OWASP's CSV-injection rule). Only text columns: a
number column's ``-5`` stays the number -5. The DataStore table and the GeoJSON keep the value as it
is: they are typed data, not spreadsheets.
"""
from __future__ import annotations

import datetime as dt
import decimal
import hashlib
import io
import logging
from dataclasses import dataclass, field

import ckanapi
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv

from open_data.privacy import require_clean
from open_data.spec import DatasetSpec, OrganizationSpec

log = logging.getLogger(__name__)
CHUNK = 5_000


@dataclass
class PublishResult:
    dataset: str
    url: str
    rows: int
    package_changed: bool = False
    resources_changed: list[str] = field(default_factory=list)
    rows_upserted: int = 0
    rows_deleted: int = 0

    def __str__(self) -> str:
        what = ", ".join(self.resources_changed) or "no resource"
        return (f"{self.dataset}: {self.rows} rows; metadata {'updated' if self.package_changed else 'unchanged'}; "
                f"{what} changed; DataStore +{self.rows_upserted}/-{self.rows_deleted} → {self.url}")


def _datastore_type(kind: pa.DataType) -> str:
    if pa.types.is_boolean(kind):
        return "bool"
    if pa.types.is_integer(kind):
        return "int8" if kind.bit_width > 32 else "int4"
    if pa.types.is_floating(kind):
        return "float8"
    if pa.types.is_decimal(kind):
        return "numeric"
    if pa.types.is_date(kind):
        return "date"
    if pa.types.is_timestamp(kind):
        return "timestamptz" if kind.tz else "timestamp"
    return "text"


def _jsonable(value):
    if isinstance(value, (dt.datetime, dt.date)):
        return value.isoformat()
    if isinstance(value, decimal.Decimal):
        return float(value)
    return value


def to_records(table: pa.Table) -> list[dict]:
    return [{k: _jsonable(v) for k, v in row.items()} for row in table.to_pylist()]


# what a spreadsheet takes for the start of a formula (OWASP, "CSV Injection")
FORMULA_START = r"^([=+\-@\t\r])"


def _is_text(kind: pa.DataType) -> bool:
    return pa.types.is_string(kind) or pa.types.is_large_string(kind) or pa.types.is_string_view(kind)


def neutralise_formulas(table: pa.Table) -> pa.Table:
    """Text cells that a spreadsheet would run as a formula, with a ``'`` in front; numbers untouched."""
    columns = []
    for column in table.columns:
        if pa.types.is_dictionary(column.type) and _is_text(column.type.value_type):
            column = column.cast(column.type.value_type)
        if _is_text(column.type):
            column = pc.replace_substring_regex(column, FORMULA_START, r"'\1")
        columns.append(column)
    return pa.Table.from_arrays(columns, schema=pa.schema(
        [pa.field(f.name, c.type, f.nullable, f.metadata) for f, c in zip(table.schema, columns)]))


def to_csv(table: pa.Table) -> bytes:
    """The CSV resource: UTF-8, a header row, formulas neutralised (:func:`neutralise_formulas`)."""
    buf = io.BytesIO()
    pacsv.write_csv(neutralise_formulas(table), buf)
    return buf.getvalue()


def to_geojson(table: pa.Table, lat: str = "latitude", lon: str = "longitude") -> bytes:
    import geopandas as gpd

    frame = table.to_pandas()
    for name in frame.columns:
        if frame[name].dtype == object or str(frame[name].dtype).startswith(("datetime", "date")):
            frame[name] = frame[name].map(lambda v: None if v is None else _jsonable(v))
    geo = gpd.GeoDataFrame(frame, geometry=gpd.points_from_xy(frame[lon], frame[lat]), crs="EPSG:4326")
    return geo.to_json(drop_id=True, ensure_ascii=False).encode("utf-8")


def _sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def ensure_organization(api: ckanapi.RemoteCKAN, org: OrganizationSpec) -> dict:
    try:
        current = api.action.organization_show(id=org.name)
    except ckanapi.NotFound:
        return api.action.organization_create(name=org.name, title=org.title, description=org.description)
    if (current.get("title"), current.get("description")) != (org.title, org.description):
        current = api.action.organization_patch(id=current["id"], title=org.title, description=org.description)
    return current


def _package_fields(spec: DatasetSpec, org_id: str, table: pa.Table) -> dict:
    modified = None
    if "updated_at" in table.column_names and table.num_rows:
        modified = pc.max(table["updated_at"]).as_py()
    extras = {
        "title_en": spec.title_en, "notes_en": spec.notes_en,
        "update_frequency": spec.update_frequency, "spatial_coverage": spec.spatial_coverage,
        "source": spec.source, "publisher": "citylake", "primary_key": spec.primary_key,
        "row_count": str(table.num_rows),
        "modified": modified.isoformat() if modified else "",
    }
    return {"name": spec.name, "title": spec.title, "notes": spec.notes, "owner_org": org_id,
            "license_id": spec.license_id, "tags": [{"name": t} for t in spec.tags],
            "extras": [{"key": k, "value": v} for k, v in sorted(extras.items())]}


def _same_package(current: dict, wanted: dict) -> bool:
    def norm(p: dict) -> tuple:
        return (p.get("title"), p.get("notes"), p.get("owner_org"), p.get("license_id"),
                sorted(t["name"] for t in p.get("tags", [])),
                sorted((e["key"], e["value"]) for e in p.get("extras", [])))
    return norm(current) == norm(wanted)


def ensure_package(api: ckanapi.RemoteCKAN, spec: DatasetSpec, org_id: str, table: pa.Table) -> tuple[dict, bool]:
    wanted = _package_fields(spec, org_id, table)
    try:
        current = api.action.package_show(id=spec.name)
    except ckanapi.NotFound:
        return api.action.package_create(**wanted), True
    if current.get("state") != "active" or not _same_package(current, wanted):
        return api.action.package_patch(id=current["id"], state="active", **wanted), True
    return current, False


def _upload(api, package: dict, name: str, fmt: str, filename: str, data: bytes, description: str,
            mark_done: bool = True) -> tuple[dict, bool]:
    """Upload unless the resource already holds exactly ``data``.

    With ``mark_done=False`` the content hash is recorded later (:func:`_mark_done`), after the
    steps that depend on this upload succeeded, so a failure in between is redone on retry.
    """
    digest = _sha(data)
    existing = next((r for r in package.get("resources", []) if r.get("name") == name), None)
    if existing and existing.get("citylake_sha256") == digest:
        return existing, False
    fields = dict(name=name, format=fmt, description=description, upload=(filename, io.BytesIO(data)),
                  citylake_sha256=digest if mark_done else "pending")
    if existing:
        return api.action.resource_patch(id=existing["id"], **fields), True
    return api.action.resource_create(package_id=package["id"], **fields), True


def ensure_table_view(api, resource_id: str) -> None:
    """A DataTables preview of the DataStore table on the resource page."""
    views = api.action.resource_view_list(id=resource_id)
    if not any(v.get("view_type") == "datatables_view" for v in views):
        api.action.resource_view_create(resource_id=resource_id, view_type="datatables_view",
                                        title="Xem trước / Preview")


def _mark_done(api, resource: dict, data: bytes) -> None:
    api.action.resource_patch(id=resource["id"], citylake_sha256=_sha(data))


def _datastore_fields(api, resource_id: str) -> dict[str, str] | None:
    """The DataStore table's columns and types, or None when there is no table."""
    try:
        fields = api.action.datastore_search(resource_id=resource_id, limit=0)["fields"]
    except ckanapi.NotFound:
        return None
    return {f["id"]: f["type"] for f in fields if f["id"] != "_id"}


def datastore_rows(api, resource_id: str, fields: list[str] | None = None, page_size: int = 32_000) -> list[dict]:
    """Every row of a DataStore table, page by page."""
    rows: list[dict] = []
    while True:
        kwargs = {"fields": fields} if fields else {}
        page = api.action.datastore_search(resource_id=resource_id, limit=page_size, offset=len(rows),
                                           sort="_id", **kwargs)["records"]
        rows.extend(page)
        if len(page) < page_size:
            return rows


def _wanted_fields(table: pa.Table) -> dict[str, str]:
    return {n: _datastore_type(t) for n, t in zip(table.column_names, table.schema.types)}


def sync_datastore(api, resource_id: str, table: pa.Table, key: str) -> tuple[int, int]:
    """Make the DataStore table equal to ``table``: upsert every row, delete vanished keys."""
    wanted = _wanted_fields(table)
    fields = [{"id": n, "type": t} for n, t in wanted.items()]
    records = to_records(table)
    existing = _datastore_fields(api, resource_id)
    if existing is not None and any(wanted.get(name) != kind for name, kind in existing.items()):
        # a column vanished or changed type: rebuild the table rather than serve a stale shape
        api.action.datastore_delete(resource_id=resource_id, force=True)
        existing = None
    done = 0
    if existing is None:
        api.action.datastore_create(resource_id=resource_id, fields=fields, primary_key=[key],
                                    records=records[:CHUNK], force=True)
        done = CHUNK
    elif wanted.keys() - existing.keys():  # new columns are added in place
        api.action.datastore_create(resource_id=resource_id, fields=fields, primary_key=[key], force=True)
    for start in range(done, len(records), CHUNK):
        api.action.datastore_upsert(resource_id=resource_id, records=records[start:start + CHUNK],
                                    method="upsert", force=True)
    stale = sorted({r[key] for r in datastore_rows(api, resource_id, [key])} - {r[key] for r in records})
    for start in range(0, len(stale), CHUNK):
        api.action.datastore_delete(resource_id=resource_id, filters={key: stale[start:start + CHUNK]},
                                    force=True)
    return len(records), len(stale)


def publish(api: ckanapi.RemoteCKAN, spec: DatasetSpec, table: pa.Table, portal_url: str) -> PublishResult:
    require_clean(spec.name, table, spec.allow_codes)
    table = table.sort_by(spec.primary_key)
    org = ensure_organization(api, spec.organization)
    package, package_changed = ensure_package(api, spec, org["id"], table)
    result = PublishResult(spec.name, f"{portal_url}/dataset/{spec.name}", table.num_rows, package_changed)
    csv_bytes = to_csv(table)
    csv_res, changed = _upload(api, package, "Dữ liệu (CSV)", "CSV", f"{spec.name}.csv", csv_bytes,
                               f"{spec.title_en} — CSV, UTF-8; primary key {spec.primary_key}",
                               mark_done=False)
    if changed or _datastore_fields(api, csv_res["id"]) != _wanted_fields(table):
        result.resources_changed.append("CSV")
        result.rows_upserted, result.rows_deleted = sync_datastore(api, csv_res["id"], table, spec.primary_key)
        ensure_table_view(api, csv_res["id"])
        _mark_done(api, csv_res, csv_bytes)
    if spec.geojson:
        _, changed = _upload(api, package, "Bản đồ (GeoJSON)", "GeoJSON", f"{spec.name}.geojson",
                             to_geojson(table), f"{spec.title_en} — points, WGS 84 (EPSG:4326)")
        if changed:
            result.resources_changed.append("GeoJSON")
    log.info("%s", result)
    return result
