"""Incremental, exactly-once extraction of a source table into a bronze Delta table.

Each run is one batch: rows with ``watermark > (bronze max − lookback)`` and ``<= source now()``
are read Arrow-native (connectorx, COPY BINARY), hashed, and anti-joined against the versions
bronze already holds in that window, so the lookback catches rows committed late without ever
adding a row version twice. The batch is appended as one Delta commit carrying a Delta app
transaction (``citylake.ingest.<source>.<table>`` = batch sequence): a crashed run retried by
Airflow adds nothing it already added, and two racing runs cannot both commit. Rows without a
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

BATCH_COLUMNS = ("_batch_id", "_batch_seq", "_extracted_at", "_source_system", "_row_hash")


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
        value = value.replace(tzinfo=dt.timezone.utc)
    return value


def _source_now(dsn: str) -> dt.datetime:
    with psycopg.connect(dsn) as conn:
        return conn.execute("SELECT now()").fetchone()[0].astimezone(dt.timezone.utc)


def _read(dsn: str, cfg: TableConfig, low: dt.datetime | None, high: dt.datetime) -> pa.Table:
    where = f"{cfg.watermark} <= '{high.isoformat()}'"
    if low is not None:
        where = f"{cfg.watermark} > '{low.isoformat()}' AND {where}"
    query = f"SELECT * FROM {cfg.query_table} WHERE {where}"
    kwargs = {}
    if low is None and len(cfg.key) == 1:
        kwargs = {"partition_on": cfg.key[0], "partition_num": 2}  # full load: read in parallel
    return cx.read_sql(_connectorx_uri(dsn), query, return_type="arrow", **kwargs)


def _query(con: duckdb.DuckDBPyConnection, sql: str) -> pa.Table:
    """Run ``sql`` and materialise the result (DuckDB hands back a lazy reader)."""
    return con.execute(sql).arrow().read_all()


def _with_row_hash(con: duckdb.DuckDBPyConnection, rows: pa.Table) -> pa.Table:
    """md5 over every source column, in a stable text form: identifies a row version."""
    parts = ", ".join(f"coalesce(CAST(\"{c}\" AS VARCHAR), '\\N')" for c in rows.column_names)
    con.register("extracted", rows)
    return _query(con, f"SELECT *, md5(concat_ws('\x1f', {parts})) AS _row_hash FROM extracted")


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
    rows = _read(dsn, cfg, low, high)
    read = rows.num_rows
    con = duckdb.connect()
    con.execute("SET TimeZone = 'UTC'")
    rows = _with_row_hash(con, rows)
    if watermark is not None and rows.num_rows:
        seen = snapshot.to_pyarrow_dataset().to_table(
            columns=[*cfg.key, "_row_hash"],
            filter=pads.field(cfg.watermark) > pa.scalar(low, pa.timestamp("us", "UTC")))
        con.register("seen", seen)
        con.register("batch_rows", rows)
        keys = " AND ".join(f'b."{k}" = s."{k}"' for k in (*cfg.key, "_row_hash"))
        rows = _query(con, f"SELECT b.* FROM batch_rows b ANTI JOIN seen s ON {keys}")
    good, quarantined = _split_null_keys(rows, cfg.key)
    if good.num_rows == 0 and quarantined.num_rows == 0:
        return BatchResult(cfg.name, None, read, 0, 0, low, high, time.monotonic() - started)
    seq = (snapshot.transaction_version(app_id) or 0) + 1 if snapshot is not None else 1
    batch_id = f"{source.source}.{cfg.name}.{seq:08d}"
    meta = {"citylake.batch_id": batch_id, "citylake.window_low": str(low),
            "citylake.window_high": str(high), "citylake.rows_read": str(read)}
    if quarantined.num_rows:
        delta.write_arrow(_stamp(quarantined, batch_id, seq, source.source)
                          .append_column("_reason", pa.array(["null key: " + ", ".join(cfg.key)]
                                                             * quarantined.num_rows)),
                          bronze_uri(settings, source.source, f"_quarantine_{cfg.name}"),
                          schema_mode="merge", metadata=meta)
    delta.write_arrow(_stamp(good, batch_id, seq, source.source), snapshot or uri, mode="append",
                      app_id=app_id, app_version=seq, metadata=meta, schema_mode="merge")
    result = BatchResult(cfg.name, batch_id, read, good.num_rows, quarantined.num_rows, low, high,
                         time.monotonic() - started)
    log.info("%s", result)
    return result


def _stamp(rows: pa.Table, batch_id: str, seq: int, source_system: str) -> pa.Table:
    n = rows.num_rows
    hashes = rows["_row_hash"]
    rows = rows.drop_columns(["_row_hash"])
    now = dt.datetime.now(dt.timezone.utc)
    for name, values in (("_batch_id", pa.array([batch_id] * n)),
                         ("_batch_seq", pa.array([seq] * n, pa.int64())),
                         ("_extracted_at", pa.array([now] * n, pa.timestamp("us", "UTC"))),
                         ("_source_system", pa.array([source_system] * n)),
                         ("_row_hash", hashes)):
        rows = rows.append_column(name, values)
    return rows


def extract_source(name: str, settings: Settings | None = None) -> list[BatchResult]:
    """Extract every table of a source; each table is its own batch and its own commit."""
    source = load_source(name)
    return [extract_table(source, cfg, settings) for cfg in source.tables.values()]
