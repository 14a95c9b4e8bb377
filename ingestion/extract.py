"""Incremental, exactly-once extraction of a source table into a bronze Delta table.

Each run is one batch: rows with ``watermark > (bronze max − lookback)`` and ``<= source now()``
are read Arrow-native (connectorx, COPY BINARY) and anti-joined on (key, content hash) against the
versions bronze already holds in that window, so the lookback catches rows committed late without
ever adding a row version twice. The content hash is computed on both sides at that moment from
the source columns (bronze keeps them as read), so it costs only the window; a first load has
nothing to compare with and streams from the database straight into the Delta table.

The batch is appended as one Delta commit carrying a Delta app transaction
(``citylake.ingest.<source>.<table>`` = batch sequence): a crashed run retried by Airflow adds
nothing it already added, and a run overtaken by another fails to commit instead of duplicating. Rows without a
key go to the source's bronze quarantine table with the reason; nothing is dropped.

PostgreSQL and MariaDB alike (connectorx; MariaDB DATETIMEs hold UTC and are stamped so). With
``delete_detection: keys`` the source's keys are compared with bronze's live keys and the vanished
ones get a tombstone row (``_deleted``) in the same commit. Additive schema changes evolve the
bronze table; an incompatible one (a column changing type) stops the table's batch with
:class:`SchemaIncompatible`, after parking the batch's rows under ``quarantine/`` with the reason.
"""
from __future__ import annotations

import datetime as dt
import logging
import os
import time
from dataclasses import dataclass

import connectorx as cx
import duckdb
import psycopg
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.dataset as pads
import pyarrow.parquet as pq
from deltalake import DeltaTable

from citylake import delta
from citylake.catalog import bronze_uri
from citylake.settings import Settings, get_settings
from citylake.source_config import SourceConfig, TableConfig, load_source

log = logging.getLogger(__name__)

BATCH_COLUMNS = ("_batch_id", "_batch_seq", "_extracted_at", "_source_system", "_deleted")
STREAM_BATCH_ROWS = 65_536


@dataclass
class BatchResult:
    table: str
    batch_id: str | None
    rows_read: int
    rows_added: int
    rows_quarantined: int
    low: dt.datetime | None
    high: dt.datetime
    seconds: float

    def __str__(self) -> str:
        return (f"{self.table}: read {self.rows_read}, added {self.rows_added}, "
                f"quarantined {self.rows_quarantined} (batch {self.batch_id or '-'}, "
                f"window ({self.low}, {self.high}], {self.seconds:.1f}s)")


class SchemaIncompatible(RuntimeError):
    """The source changed a column in a way bronze cannot follow (a type change)."""


def _connectorx_uri(dsn: str) -> str:
    # connectorx wants the binary protocol hint; cursor-less COPY BINARY is its fast path
    return dsn if "cxprotocol" in dsn else f"{dsn}{'&' if '?' in dsn else '?'}cxprotocol=binary"


def _is_mysql(dsn: str) -> bool:
    return dsn.startswith(("mysql://", "mariadb://"))


def _literal(dsn: str, instant: dt.datetime) -> str:
    """A timestamp literal the source compares its watermark column with (MariaDB: naive UTC)."""
    if _is_mysql(dsn):
        return instant.astimezone(dt.UTC).strftime("%Y-%m-%d %H:%M:%S.%f")
    return instant.isoformat()


def _utc_schema(schema: pa.Schema) -> pa.Schema:
    """Naive timestamps (MariaDB DATETIME) hold UTC: say so, so every bronze table compares alike."""
    return pa.schema([f.with_type(pa.timestamp(f.type.unit, "UTC"))
                      if pa.types.is_timestamp(f.type) and f.type.tz is None else f for f in schema])


def _utc(rows: pa.Table | pa.RecordBatch):
    schema = _utc_schema(rows.schema)
    return rows if schema.equals(rows.schema) else rows.cast(schema)


def bronze_watermark(snapshot: DeltaTable | None, column: str) -> dt.datetime | None:
    if snapshot is None:
        return None
    actions = pa.table(snapshot.get_add_actions(flatten=True))
    stat = f"max.{column}"
    if stat in actions.column_names and actions.num_rows and actions[stat].null_count == 0:
        value = max(actions[stat].to_pylist())  # file statistics: no data scan
    else:
        values = snapshot.to_pyarrow_dataset().to_table(columns=[column])[column]
        value = pc.max(values).as_py() if len(values) else None
    if value is not None and value.tzinfo is None:
        value = value.replace(tzinfo=dt.UTC)
    return value


def _source_now(dsn: str) -> dt.datetime:
    if _is_mysql(dsn):
        now = cx.read_sql(dsn, "SELECT UTC_TIMESTAMP(6) AS now", return_type="arrow")["now"][0].as_py()
        return now.replace(tzinfo=dt.UTC)
    with psycopg.connect(dsn) as conn:
        return conn.execute("SELECT now()").fetchone()[0].astimezone(dt.UTC)


def _read(dsn: str, cfg: TableConfig, low: dt.datetime | None, high: dt.datetime):
    """The window's rows: a table for an increment, a stream of batches for a first load."""
    where = f"{cfg.watermark} <= '{_literal(dsn, high)}'"
    if low is not None:
        where = f"{cfg.watermark} > '{_literal(dsn, low)}' AND {where}"
        return _utc(cx.read_sql(_connectorx_uri(dsn), f"SELECT * FROM {cfg.query_table} WHERE {where}",
                                return_type="arrow"))
    kwargs = {"partition_on": cfg.key[0], "partition_num": 2} if len(cfg.key) == 1 else {}
    reader = cx.read_sql(_connectorx_uri(dsn), f"SELECT * FROM {cfg.query_table} WHERE {where}",
                         return_type="arrow_stream", batch_size=STREAM_BATCH_ROWS, **kwargs)
    return pa.RecordBatchReader.from_batches(_utc_schema(reader.schema), (_utc(b) for b in reader))


def _check_schema(rows_schema: pa.Schema, snapshot: DeltaTable | None, where: str) -> None:
    """Additive changes pass (bronze evolves); a column that changed type raises."""
    if snapshot is None:
        return
    stored = {f.name: f.type for f in pa.schema(snapshot.schema().to_arrow())}
    changed = []
    for f in rows_schema:
        old = stored.get(f.name)
        if old is None or pa.types.is_null(f.type) or pa.types.is_null(old):
            continue
        if not _same_type(old, f.type):
            changed.append(f"{f.name}: {old} → {f.type}")
    if changed:
        raise SchemaIncompatible(f"{where}: incompatible schema change ({'; '.join(changed)}); the batch is "
                                 f"quarantined and this source stops until the contract is updated")


def _same_type(a: pa.DataType, b: pa.DataType) -> bool:
    if pa.types.is_string(a) or pa.types.is_large_string(a):
        return pa.types.is_string(b) or pa.types.is_large_string(b)
    for family in (pa.types.is_integer, pa.types.is_floating, pa.types.is_decimal, pa.types.is_timestamp):
        if family(a) and family(b):
            return True  # width, unit and zone differences are representation (readers differ), not meaning
    return a == b


def _quarantine_batch(settings: Settings, source: SourceConfig, cfg: TableConfig, batch_id: str,
                      rows: pa.Table, reason: str) -> str:
    """Park a batch bronze cannot take, with its reason, and say where it is."""
    folder = f"{settings.lakehouse.rstrip('/')}/quarantine/{source.source}/{cfg.name}"
    path = f"{folder}/{batch_id}.parquet"
    if "://" not in folder:
        os.makedirs(folder, exist_ok=True)
    pq.write_table(rows, path)
    log_row = pa.table({"table": [cfg.name], "batch_id": [batch_id], "reason": [reason], "rows": [rows.num_rows],
                        "path": [path], "quarantined_at": pa.array([dt.datetime.now(dt.UTC)],
                                                                   pa.timestamp("us", "UTC"))})
    delta.write_arrow(log_row, bronze_uri(settings, source.source, "_quarantine_batches"), schema_mode="merge")
    return path


def _tombstones(dsn: str, cfg: TableConfig, snapshot: DeltaTable, high: dt.datetime,
                schema: pa.Schema) -> pa.Table:
    """A row per key that bronze holds live but the source no longer has (hard deletes)."""
    keys = ", ".join(cfg.key)
    source_keys = cx.read_sql(_connectorx_uri(dsn), f"SELECT {keys} FROM {cfg.query_table}", return_type="arrow")
    stored = pa.schema(snapshot.schema().to_arrow()).names
    cols = list(cfg.key) + [cfg.watermark, "_batch_seq"] + (["_deleted"] if "_deleted" in stored else [])
    held = snapshot.to_pyarrow_dataset().to_table(columns=cols)
    con = duckdb.connect()
    con.register("held", held)
    con.register("source_keys", source_keys)
    deleted = "coalesce(_deleted, false)" if "_deleted" in stored else "false"
    on = " AND ".join(f'l."{k}" = s."{k}"' for k in cfg.key)
    gone = _query(con, f"""
        WITH latest AS (SELECT * FROM held QUALIFY row_number() OVER (
                          PARTITION BY {keys} ORDER BY {cfg.watermark} DESC, _batch_seq DESC) = 1)
        SELECT {', '.join(f'l."{k}"' for k in cfg.key)} FROM latest l
        WHERE NOT {deleted} AND NOT EXISTS (SELECT 1 FROM source_keys s WHERE {on})""")
    if gone.num_rows == 0:
        return schema.empty_table()
    columns = []
    for f in schema:
        if f.name in cfg.key:
            columns.append(gone[f.name].cast(f.type))
        elif f.name == cfg.watermark:
            columns.append(pa.array([high] * gone.num_rows, f.type))
        else:
            columns.append(pa.nulls(gone.num_rows, f.type))
    return pa.Table.from_arrays(columns, schema=schema)


def _query(con: duckdb.DuckDBPyConnection, sql: str) -> pa.Table:
    """Run ``sql`` and materialise the result (DuckDB hands back a lazy reader)."""
    return con.execute(sql).arrow().read_all()


def _hash_sql(columns: list[str]) -> str:
    """md5 over the given source columns in a stable text form: identifies a row version."""
    parts = ", ".join(f"coalesce(CAST(\"{c}\" AS VARCHAR), '\\N')" for c in columns)
    return f"md5(concat_ws('\x1f', {parts}))"


def _new_versions(rows: pa.Table, seen: pa.Table, key: tuple[str, ...]) -> pa.Table:
    """The rows whose (key, content) bronze does not hold yet."""
    common = [c for c in rows.column_names if c in seen.column_names]
    con = duckdb.connect()
    con.execute("SET TimeZone = 'UTC'")
    con.register("batch_rows", rows)
    con.register("seen", seen)
    on = " AND ".join([f'b."{k}" = s."{k}"' for k in key] + ["b._h = s._h"])
    keys = ", ".join(f'"{k}"' for k in key)
    return _query(con, f"""
        WITH b AS (SELECT *, {_hash_sql(common)} AS _h FROM batch_rows),
             s AS (SELECT {keys}, {_hash_sql(common)} AS _h FROM seen)
        SELECT * EXCLUDE (_h) FROM b ANTI JOIN s ON {on}""")


def _split_null_keys(rows: pa.Table, key: tuple[str, ...]) -> tuple[pa.Table, pa.Table]:
    """Rows with a key (to bronze) and rows without (to quarantine); no copy when all have one."""
    if all(rows[k].null_count == 0 for k in key):
        return rows, rows.schema.empty_table()
    missing = pc.is_null(rows[key[0]])
    for k in key[1:]:
        missing = pc.or_(missing, pc.is_null(rows[k]))
    return rows.filter(pc.invert(missing)), rows.filter(missing)


def extract_table(source: SourceConfig, cfg: TableConfig, settings: Settings | None = None,
                  window: tuple[dt.datetime, dt.datetime] | None = None) -> BatchResult:
    """One batch of one table. ``window`` (low, high] re-reads a past range instead of the increment:
    a backfill, which adds only the row versions bronze is missing (e.g. committed later than the
    lookback could see)."""
    settings = settings or get_settings()
    started = time.monotonic()
    uri = bronze_uri(settings, source.source, cfg.name)
    app_id = f"citylake.ingest.{source.source}.{cfg.name}"
    dsn = source.dsn(settings)
    high = _source_now(dsn)
    # One snapshot decides the window, what is already there and the batch number, and the
    # commit is made against it: a run that raced ahead makes this commit fail, never duplicate.
    snapshot = delta.table(uri) if delta.exists(uri) else None
    watermark = bronze_watermark(snapshot, cfg.watermark)
    low = watermark - dt.timedelta(minutes=cfg.lookback_minutes) if watermark else None
    if window is not None and watermark is not None:
        low, high = window[0], min(window[1], high)
    seq = (snapshot.transaction_version(app_id) or 0) + 1 if snapshot is not None else 1
    batch_id = f"{source.source}.{cfg.name}.{seq:08d}"
    meta = {"citylake.batch_id": batch_id, "citylake.window_low": str(low),
            "citylake.window_high": str(high)}
    stamp = _Stamp(batch_id, seq, source.source)
    rows = _read(dsn, cfg, low, high)
    try:
        _check_schema(rows.schema, snapshot, f"{source.source}.{cfg.name}")
    except SchemaIncompatible as err:
        table = rows if isinstance(rows, pa.Table) else rows.read_all()
        path = _quarantine_batch(settings, source, cfg, batch_id, table, str(err))
        log.error("%s (rows parked at %s)", err, path)
        raise
    if watermark is None:
        # first load: stream batches from the database into one Delta commit
        counts, quarantined = {"read": 0, "good": 0}, []
        stream = _stamped_stream(rows, stamp, cfg.key, counts, quarantined)
        delta.write_arrow(stream, snapshot or uri, mode="append", app_id=app_id, app_version=seq,
                          metadata=meta, schema_mode="merge")
        read, added = counts["read"], counts["good"]
        quarantined = pa.Table.from_batches(quarantined, rows.schema) if quarantined else None
    else:
        read = rows.num_rows
        if rows.num_rows:
            stored = pa.schema(snapshot.schema().to_arrow()).names
            seen_columns = [c for c in rows.column_names if c in stored]
            seen = snapshot.to_pyarrow_dataset().to_table(
                columns=seen_columns,
                filter=pads.field(cfg.watermark) > pa.scalar(low, pa.timestamp("us", "UTC")))
            rows = _new_versions(rows, seen, cfg.key)
        good, quarantined = _split_null_keys(rows, cfg.key)
        good = stamp(good, deleted=False)
        if cfg.delete_detection == "keys":
            gone = _tombstones(dsn, cfg, snapshot, high, rows.schema)
            if gone.num_rows:
                log.info("%s.%s: %d keys deleted at the source", source.source, cfg.name, gone.num_rows)
                good = pa.concat_tables([good, stamp(gone, deleted=True)], promote_options="permissive")
        if good.num_rows == 0 and quarantined.num_rows == 0:
            result = BatchResult(cfg.name, None, read, 0, 0, low, high, time.monotonic() - started)
            _log_run(settings, source, result)
            return result
        delta.write_arrow(good, snapshot, mode="append", app_id=app_id, app_version=seq,
                          metadata=meta, schema_mode="merge")
        added = good.num_rows
    n_quarantined = quarantined.num_rows if quarantined is not None else 0
    if n_quarantined:
        reason = pa.array(["null key: " + ", ".join(cfg.key)] * n_quarantined)
        delta.write_arrow(stamp(quarantined).append_column("_reason", reason),
                          bronze_uri(settings, source.source, f"_quarantine_{cfg.name}"),
                          schema_mode="merge", metadata=meta)
    result = BatchResult(cfg.name, batch_id, read, added, n_quarantined, low, high,
                         time.monotonic() - started)
    _log_run(settings, source, result)
    log.info("%s", result)
    return result


def extract_log_uri(settings: Settings) -> str:
    return bronze_uri(settings, "_platform", "extract_log")


def _log_run(settings: Settings, source: SourceConfig, result: BatchResult) -> None:
    """One row per finished extraction, rows or not: what freshness checks read."""
    row = {"source": source.name, "table": result.table, "batch_id": result.batch_id,
           "rows_read": result.rows_read, "rows_added": result.rows_added,
           "rows_quarantined": result.rows_quarantined, "window_high": result.high,
           "seconds": result.seconds, "finished_at": dt.datetime.now(dt.UTC)}
    schema = pa.schema([("source", pa.string()), ("table", pa.string()), ("batch_id", pa.string()),
                        ("rows_read", pa.int64()), ("rows_added", pa.int64()), ("rows_quarantined", pa.int64()),
                        ("window_high", pa.timestamp("us", "UTC")), ("seconds", pa.float64()),
                        ("finished_at", pa.timestamp("us", "UTC"))])
    delta.write_arrow(pa.Table.from_pylist([row], schema), extract_log_uri(settings), schema_mode="merge")


class _Stamp:
    """Appends the batch metadata columns every bronze row carries."""

    def __init__(self, batch_id: str, seq: int, source_system: str):
        self.values = (("_batch_id", pa.scalar(batch_id)), ("_batch_seq", pa.scalar(seq, pa.int64())),
                       ("_extracted_at", pa.scalar(dt.datetime.now(dt.UTC),
                                                   pa.timestamp("us", "UTC"))),
                       ("_source_system", pa.scalar(source_system)))

    def schema(self, schema: pa.Schema) -> pa.Schema:
        for name, value in self.values:
            schema = schema.append(pa.field(name, value.type))
        return schema.append(pa.field("_deleted", pa.bool_()))

    def __call__(self, rows: pa.Table, deleted: bool = False) -> pa.Table:
        for name, value in self.values:
            rows = rows.append_column(name, pa.repeat(value, rows.num_rows))
        return rows.append_column("_deleted", pa.repeat(pa.scalar(deleted), rows.num_rows))


def _stamped_stream(reader: pa.RecordBatchReader, stamp: _Stamp, key: tuple[str, ...], counts: dict,
                    quarantined: list) -> pa.RecordBatchReader:
    def batches():
        for batch in reader:
            counts["read"] += batch.num_rows
            good, bad = _split_null_keys(pa.Table.from_batches([batch], reader.schema), key)
            quarantined.extend(bad.to_batches())
            counts["good"] += good.num_rows
            yield from stamp(good).to_batches()

    return pa.RecordBatchReader.from_batches(stamp.schema(reader.schema), batches())


def extract_source(name: str, settings: Settings | None = None,
                   window: tuple[dt.datetime, dt.datetime] | None = None) -> list[BatchResult]:
    """Extract every table of a source; each table is its own batch and its own commit."""
    source = load_source(name)
    return [extract_table(source, cfg, settings, window) for cfg in source.tables.values()]
