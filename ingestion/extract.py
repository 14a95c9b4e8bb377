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
"""
from __future__ import annotations

import datetime as dt
import logging
import time
from dataclasses import dataclass

import connectorx as cx
import duckdb
import psycopg
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.dataset as pads
from deltalake import DeltaTable

from citylake import delta
from citylake.catalog import bronze_uri
from citylake.settings import Settings, get_settings
from ingestion.config import SourceConfig, TableConfig, load_source

log = logging.getLogger(__name__)

BATCH_COLUMNS = ("_batch_id", "_batch_seq", "_extracted_at", "_source_system")
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


def _connectorx_uri(dsn: str) -> str:
    # connectorx wants the binary protocol hint; cursor-less COPY BINARY is its fast path
    return dsn if "cxprotocol" in dsn else f"{dsn}{'&' if '?' in dsn else '?'}cxprotocol=binary"


def _bronze_watermark(snapshot: DeltaTable | None, column: str) -> dt.datetime | None:
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
    with psycopg.connect(dsn) as conn:
        return conn.execute("SELECT now()").fetchone()[0].astimezone(dt.UTC)


def _read(dsn: str, cfg: TableConfig, low: dt.datetime | None, high: dt.datetime):
    """The window's rows: a table for an increment, a stream of batches for a first load."""
    where = f"{cfg.watermark} <= '{high.isoformat()}'"
    if low is not None:
        where = f"{cfg.watermark} > '{low.isoformat()}' AND {where}"
        return cx.read_sql(_connectorx_uri(dsn), f"SELECT * FROM {cfg.query_table} WHERE {where}",
                           return_type="arrow")
    kwargs = {"partition_on": cfg.key[0], "partition_num": 2} if len(cfg.key) == 1 else {}
    return cx.read_sql(_connectorx_uri(dsn), f"SELECT * FROM {cfg.query_table} WHERE {where}",
                       return_type="arrow_stream", batch_size=STREAM_BATCH_ROWS, **kwargs)


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


def extract_table(source: SourceConfig, cfg: TableConfig, settings: Settings | None = None) -> BatchResult:
    settings = settings or get_settings()
    started = time.monotonic()
    uri = bronze_uri(settings, source.source, cfg.name)
    app_id = f"citylake.ingest.{source.source}.{cfg.name}"
    dsn = source.dsn(settings)
    high = _source_now(dsn)
    # One snapshot decides the window, what is already there and the batch number, and the
    # commit is made against it: a run that raced ahead makes this commit fail, never duplicate.
    snapshot = delta.table(uri) if delta.exists(uri) else None
    watermark = _bronze_watermark(snapshot, cfg.watermark)
    low = watermark - dt.timedelta(minutes=cfg.lookback_minutes) if watermark else None
    seq = (snapshot.transaction_version(app_id) or 0) + 1 if snapshot is not None else 1
    batch_id = f"{source.source}.{cfg.name}.{seq:08d}"
    meta = {"citylake.batch_id": batch_id, "citylake.window_low": str(low),
            "citylake.window_high": str(high)}
    stamp = _Stamp(batch_id, seq, source.source)
    rows = _read(dsn, cfg, low, high)
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
        if good.num_rows == 0 and quarantined.num_rows == 0:
            return BatchResult(cfg.name, None, read, 0, 0, low, high, time.monotonic() - started)
        delta.write_arrow(stamp(good), snapshot, mode="append", app_id=app_id, app_version=seq,
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
    log.info("%s", result)
    return result


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
        return schema

    def __call__(self, rows: pa.Table) -> pa.Table:
        for name, value in self.values:
            rows = rows.append_column(name, pa.repeat(value, rows.num_rows))
        return rows


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


def extract_source(name: str, settings: Settings | None = None) -> list[BatchResult]:
    """Extract every table of a source; each table is its own batch and its own commit."""
    source = load_source(name)
    return [extract_table(source, cfg, settings) for cfg in source.tables.values()]
