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

from open_data.dictionary import data_dictionary
from open_data.disclosure import THRESHOLD, require_protected
from open_data.privacy import require_clean
from open_data.spec import LICENSE_VERSION, DatasetSpec, OrganizationSpec

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



UTF8_BOM = b"\xef\xbb\xbf"


def iso_timestamps(table: pa.Table) -> pa.Table:
    """Timestamp columns as ISO 8601 text (``2026-11-24T11:21:31.123400+00:00``), as the
    DataStore and the GeoJSON give them; Arrow's CSV writer would print a space and ``Z``."""
    for i, (name, kind) in enumerate(zip(table.column_names, table.schema.types)):
        if pa.types.is_timestamp(kind):
            text = pa.array([None if v is None else v.isoformat() for v in table.column(i).to_pylist()],
                            pa.string())
            table = table.set_column(i, name, text)
    return table


def to_csv(table: pa.Table) -> bytes:
    """The CSV resource: UTF-8 with a byte-order mark, so Excel opens Vietnamese text as UTF-8;
    ISO 8601 timestamps; formulas neutralised (:func:`neutralise_formulas`)."""
    buf = io.BytesIO()
    buf.write(UTF8_BOM)
    pacsv.write_csv(neutralise_formulas(iso_timestamps(table)), buf)
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


FREQUENCY = "http://publications.europa.eu/resource/authority/frequency/"
LANGUAGES = ["http://publications.europa.eu/resource/authority/language/VIE",
             "http://publications.europa.eu/resource/authority/language/ENG"]
# Ho Chi Minh City (GeoNames), and the city's extent since 1 July 2025 (Côn Đảo included)
CITY_URI = "https://www.geonames.org/1566083"
CITY_BBOX = "POLYGON((106.35 8.5, 107.65 8.5, 107.65 11.55, 106.35 11.55, 106.35 8.5))"
CITY_CENTROID = "POINT(106.7 10.78)"


def temporal_coverage(table: pa.Table, column: str | None) -> list[dict]:
    """The first and last day the data covers, from its time column (a year, a month, a day)."""
    if not column or column not in table.column_names or not table.num_rows:
        return []
    low, high = pc.min(table[column]).as_py(), pc.max(table[column]).as_py()
    if low is None:
        return []
    if isinstance(low, int):
        return [{"start": f"{low:04d}-01-01", "end": f"{high:04d}-12-31"}]
    if isinstance(low, str):  # school years, "2024-2025": September to the end of the next August
        return [{"start": f"{low[:4]}-09-01", "end": f"{high[-4:]}-08-31"}]
    if isinstance(low, dt.datetime):
        low, high = low.date(), high.date()
    if column == "month":  # first days of months: the last month runs to its end
        nxt = (high.replace(day=28) + dt.timedelta(days=4)).replace(day=1)
        high = nxt - dt.timedelta(days=1)
    return [{"start": low.isoformat(), "end": high.isoformat()}]


def _package_fields(spec: DatasetSpec, org_id: str, table: pa.Table, portal_url: str = "") -> dict:
    """The dataset's metadata as the city schema (ckanext-scheming, DCAT-AP) declares it."""
    org = spec.organization
    modified = None
    if "updated_at" in table.column_names and table.num_rows:
        modified = pc.max(table["updated_at"]).as_py()
    org_url = f"{portal_url}/organization/{org.name}"
    fields = {
        "name": spec.name, "title": spec.title, "title_en": spec.title_en,
        "notes": spec.notes, "notes_en": spec.notes_en, "owner_org": org_id,
        "license_id": spec.license_id, "license_version": LICENSE_VERSION,
        "tags": [{"name": t} for t in spec.tags],
        "publisher": [{"name": org.title, "email": org.email or "opendata@citylake.invalid", "url": org_url,
                       "uri": org_url, "type": "http://purl.org/adms/publishertype/RegionalAuthority"}],
        "contact": [{"name": f"{org.title} — Bộ phận dữ liệu mở / Open data desk",
                     "email": org.email or "opendata@citylake.invalid", "uri": f"{org_url}#contact"}],
        "frequency": FREQUENCY + spec.update_frequency.upper(),
        "language": LANGUAGES,
        "temporal_coverage": temporal_coverage(table, spec.temporal_column),
        "spatial_coverage": [{"uri": CITY_URI, "text": spec.spatial_coverage, "bbox": CITY_BBOX,
                              "centroid": CITY_CENTROID}],
        "data_source": spec.source, "primary_key": spec.primary_key, "row_count": str(table.num_rows),
        "disclosure_control": (f"Ô dưới {THRESHOLD} người được ẩn / cells of fewer than {THRESHOLD} people "
                               f"suppressed: {', '.join(spec.people_counts)}" if spec.people_counts else ""),
    }
    if modified:
        fields["modified"] = modified.isoformat()
    return fields


def _same_package(current: dict, wanted: dict) -> bool:
    """Whether the portal already holds ``wanted`` (empty and missing values are the same)."""
    def norm(value):
        if isinstance(value, list):
            return [norm(v) for v in value]
        if isinstance(value, dict):
            return {k: norm(v) for k, v in value.items() if v not in (None, "", [])}
        return value

    for key, value in wanted.items():
        if key == "tags":
            if sorted(t["name"] for t in current.get("tags", [])) != sorted(t["name"] for t in value):
                return False
        elif key == "modified":
            if not current.get(key) or dt.datetime.fromisoformat(current[key]) != dt.datetime.fromisoformat(value):
                return False
        elif norm(current.get(key)) != norm(value) and (value or current.get(key)):
            return False
    return True


def ensure_package(api: ckanapi.RemoteCKAN, spec: DatasetSpec, org_id: str, table: pa.Table,
                   portal_url: str = "") -> tuple[dict, bool]:
    wanted = _package_fields(spec, org_id, table, portal_url)
    try:
        current = api.action.package_show(id=spec.name)
    except ckanapi.NotFound:
        return api.action.package_create(**wanted), True
    if current.get("state") != "active" or not _same_package(current, wanted):
        # the full dataset (resources kept): a patch would leave fields the schema no longer has
        resources = current.get("resources", [])
        return api.action.package_update(id=current["id"], state="active", resources=resources, **wanted), True
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


def ensure_table_view(api, resource_id: str, view_type: str = "datatables_view",
                      title: str = "Xem trước / Preview") -> None:
    """A preview on the resource page: the DataStore table, or the map of a GeoJSON file."""
    views = api.action.resource_view_list(id=resource_id)
    if not any(v.get("view_type") == view_type for v in views):
        api.action.resource_view_create(resource_id=resource_id, view_type=view_type, title=title)


def ensure_dictionary(api, resource_id: str, table: pa.Table, key: str, dictionary: dict[str, dict]) -> bool:
    """Set the DataStore data dictionary when it differs from ``dictionary``; True when it did."""
    served = {f["id"]: f.get("info") or {} for f in api.action.datastore_info(id=resource_id)["fields"]}
    if all({k: served.get(n, {}).get(k) for k in info} == info for n, info in dictionary.items()):
        return False
    fields = [{"id": n, "type": t, "info": dictionary[n]} for n, t in _wanted_fields(table).items()]
    api.action.datastore_create(resource_id=resource_id, fields=fields, primary_key=[key], force=True)
    return True


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


def sync_datastore(api, resource_id: str, table: pa.Table, key: str,
                   dictionary: dict[str, dict] | None = None, datastore_dsn: str = "") -> tuple[int, int]:
    """Make the DataStore table equal to ``table``: upsert every row, delete vanished keys.

    ``dictionary`` is the data dictionary (``info`` per column: label, description). With
    ``datastore_dsn`` (the DataStore's database) the rows go in by COPY (:func:`copy_rows`), else
    through ``datastore_upsert`` in batches of ``CHUNK``; the table itself is always made by CKAN."""
    wanted = _wanted_fields(table)
    fields = [{"id": n, "type": t, **({"info": dictionary[n]} if dictionary else {})} for n, t in wanted.items()]
    existing = _datastore_fields(api, resource_id)
    if existing is not None and any(wanted.get(name) != kind for name, kind in existing.items()):
        # a column vanished or changed type: rebuild the table rather than serve a stale shape
        api.action.datastore_delete(resource_id=resource_id, force=True)
        existing = None
    if datastore_dsn:
        if existing is None or wanted.keys() - existing.keys():
            api.action.datastore_create(resource_id=resource_id, fields=fields, primary_key=[key], force=True)
        return copy_rows(datastore_dsn, resource_id, table, key)
    records = to_records(table)
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


def _ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def copy_rows(dsn: str, resource_id: str, table: pa.Table, key: str, batch_rows: int = 50_000) -> tuple[int, int]:
    """Load ``table`` into an existing DataStore table by COPY, as XLoader does, in one transaction.

    The rows are COPYed (CSV written by Arrow) into a temporary table, then merged by primary key:
    changed rows updated, new ones inserted, vanished keys deleted; readers see the old table or
    the new one, never half of it. CKAN's own per-row trigger fills the full-text column."""
    import psycopg

    target = _ident(resource_id)
    columns = ", ".join(_ident(c) for c in table.column_names)
    # CKAN's trigger fills _full_text only when it is null (its own updates null it, as here)
    assignments = ", ".join([f"{_ident(c)} = EXCLUDED.{_ident(c)}" for c in table.column_names if c != key]
                            + ['"_full_text" = NULL'])
    changed = " OR ".join(f"t.{_ident(c)} IS DISTINCT FROM EXCLUDED.{_ident(c)}" for c in table.column_names
                          if c != key) or "false"
    with psycopg.connect(dsn) as conn:
        conn.execute(f"CREATE TEMP TABLE incoming ON COMMIT DROP AS SELECT {columns} FROM {target} WITH NO DATA")
        with conn.cursor().copy(f"COPY incoming ({columns}) FROM STDIN (FORMAT csv)") as copy:
            for batch in table.to_batches(batch_rows):
                buf = io.BytesIO()
                pacsv.write_csv(pa.Table.from_batches([batch]), buf,
                                pacsv.WriteOptions(include_header=False))
                copy.write(buf.getvalue())
        deleted = conn.execute(f"DELETE FROM {target} t WHERE NOT EXISTS "
                               f"(SELECT 1 FROM incoming i WHERE i.{_ident(key)} = t.{_ident(key)})").rowcount
        conn.execute(f"INSERT INTO {target} AS t ({columns}) SELECT {columns} FROM incoming "
                     f"ON CONFLICT ({_ident(key)}) DO UPDATE SET {assignments} WHERE {changed}")
    return table.num_rows, deleted


def publish(api: ckanapi.RemoteCKAN, spec: DatasetSpec, table: pa.Table, portal_url: str,
            datastore_dsn: str = "") -> PublishResult:
    """Send one audited, disclosure-controlled table to the portal. ``datastore_dsn``: load the
    DataStore by COPY (the embedded portal's database), else through its API."""
    require_clean(spec.name, table, spec.allow_codes)
    require_protected(spec.name, table, spec.people_counts)
    table = table.sort_by(spec.primary_key)
    org = ensure_organization(api, spec.organization)
    package, package_changed = ensure_package(api, spec, org["id"], table, portal_url)
    result = PublishResult(spec.name, f"{portal_url}/dataset/{spec.name}", table.num_rows, package_changed)
    csv_bytes = to_csv(table)
    csv_res, changed = _upload(api, package, "Dữ liệu (CSV)", "CSV", f"{spec.name}.csv", csv_bytes,
                               f"{spec.title_en} — CSV, UTF-8; primary key {spec.primary_key}",
                               mark_done=False)
    dictionary = data_dictionary(spec.published_table, table.column_names)
    if changed or _datastore_fields(api, csv_res["id"]) != _wanted_fields(table):
        result.resources_changed.append("CSV")
        result.rows_upserted, result.rows_deleted = sync_datastore(api, csv_res["id"], table, spec.primary_key,
                                                                   dictionary, datastore_dsn)
        ensure_table_view(api, csv_res["id"])
        _mark_done(api, csv_res, csv_bytes)
    elif ensure_dictionary(api, csv_res["id"], table, spec.primary_key, dictionary):
        result.resources_changed.append("data dictionary")
    if spec.geojson:
        geo_res, changed = _upload(api, package, "Bản đồ (GeoJSON)", "GeoJSON", f"{spec.name}.geojson",
                                   to_geojson(table), f"{spec.title_en} — points, WGS 84 (EPSG:4326)")
        if changed:
            result.resources_changed.append("GeoJSON")
        ensure_table_view(api, geo_res["id"], "geojson_view", "Bản đồ / Map")
    log.info("%s", result)
    return result
