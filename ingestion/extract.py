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

**Geometries** (PostGIS ``geometry`` columns) land as WKB (``ST_AsBinary``) with the row's SRID in
``<column>_srid``; the batch's commit records GeoParquet-style ``geo`` metadata (encoding, CRS per row).

**No value blocks a source.** Each column is read through an expression chosen by its source type:
a value bronze cannot hold (±infinity dates and timestamps, numeric NaN/±Infinity or beyond ±10^18,
MariaDB zero and partial-zero dates, years outside 1..9999) is read as null and its source text kept
in the row's ``_unrepresentable`` column, a JSON object column → raw text (null when every value fit).
Types connectorx or Delta cannot hold at all (time of day, interval, money...) are read as text.

**No row is skipped in silence.** Rows whose watermark is missing, in the future or before
``watermark_since`` are read on every run (the anti-join keeps them from repeating), flagged in
``_watermark_flag`` (``missing``/``future``/``past``) and never move the high-water mark, which is
also clamped to the source's clock. Errors are split: transient ones (connection refused/reset,
deadlocks) are retried by tenacity; a deterministic one raises :class:`UnextractableValue` naming
source, table, column and key, at once (Airflow does not retry an :class:`ExtractError` either).
"""
from __future__ import annotations

import datetime as dt
import json
import logging
import os
import re
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
from tenacity import before_sleep_log, retry, retry_if_exception, stop_after_attempt, wait_exponential

from citylake import delta, geo
from citylake.catalog import bronze_uri
from citylake.settings import Settings, get_settings
from citylake.source_config import SourceConfig, TableConfig, load_source

log = logging.getLogger(__name__)

BATCH_COLUMNS = ("_batch_id", "_batch_seq", "_extracted_at", "_source_system", "_deleted")
UNREPRESENTABLE = "_unrepresentable"   # JSON {column: raw source text} for values bronze cannot hold
WATERMARK_FLAG = "_watermark_flag"     # missing | future | past: a watermark that cannot be trusted
STREAM_BATCH_ROWS = 65_536
# MariaDB streams in smaller batches: its one decoder is the slowest stage, and the Delta writer waits
# for the first batch and ends on the last, so a smaller batch fills and drains that pipeline sooner
# (same CPU, same files: the writer still makes one row group of them)
MARIADB_STREAM_BATCH_ROWS = 16_384
_RAW = "__raw__"                       # prefix of the per-column raw-text helper columns of a read
GEOMETRY_SRID = "_srid"                # suffix of the SRID column read beside each PostGIS geometry column


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


class ExtractError(RuntimeError):
    """A deterministic failure: running again cannot help, so nothing retries it (tenacity, Airflow)."""


class SchemaIncompatible(ExtractError):
    """The source changed a column in a way bronze cannot follow (a type change)."""


class UnextractableValue(ExtractError):
    """A source value that cannot be read, located: the message names source, table, column and key."""


# connection-level trouble a later attempt may not meet; anything else is deterministic
_TRANSIENT = re.compile(
    r"connection refused|connection reset|broken pipe|timed? ?out|server closed the connection|"
    r"terminating connection|too many connections|could not connect|can't connect|lost connection|"
    r"gone away|deadlock|could not serialize|connection (was )?(closed|aborted)|the database system is "
    r"(starting|shutting) up|cannot connect now|error communicating|failed to fill whole buffer", re.I)


def is_transient(exc: BaseException) -> bool:
    """Whether a failure is worth another attempt (connection trouble, deadlock), judged by its message:
    connectorx reports everything as text."""
    return not isinstance(exc, ExtractError) and bool(_TRANSIENT.search(str(exc)))


_retrying = retry(retry=retry_if_exception(is_transient), stop=stop_after_attempt(3),
                  wait=wait_exponential(multiplier=0.5, max=8), reraise=True,
                  before_sleep=before_sleep_log(log, logging.WARNING))


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


def bronze_watermark(snapshot: DeltaTable | None, column: str,
                     now: dt.datetime | None = None) -> dt.datetime | None:
    """The high-water mark: the newest watermark of the rows whose watermark is trusted (flagged rows
    never count), at most ``now`` (the source's clock), so one far-future row cannot hide later ones."""
    if snapshot is None:
        return None
    actions = pa.table(snapshot.get_add_actions(flatten=True))
    stat = f"max.{column}"
    if (stat in actions.column_names and actions.num_rows and actions[stat].null_count == 0
            and delta.all_null(snapshot, WATERMARK_FLAG)):
        value = max(actions[stat].to_pylist())  # file statistics: no data scan
    else:
        values = _trusted_watermarks(snapshot, column)
        value = pc.max(values).as_py() if len(values) else None
    if value is not None and value.tzinfo is None:
        value = value.replace(tzinfo=dt.UTC)
    if value is not None and now is not None and value > now:
        log.warning("high-water mark %s of %s is after the source's clock %s: clamped", value, column, now)
        value = now
    return value


def _trusted_watermarks(snapshot: DeltaTable, column: str) -> pa.ChunkedArray:
    stored = pa.schema(snapshot.schema().to_arrow()).names
    if WATERMARK_FLAG not in stored:
        return snapshot.to_pyarrow_dataset().to_table(columns=[column])[column]
    rows = snapshot.to_pyarrow_dataset().to_table(columns=[column], filter=pads.field(WATERMARK_FLAG).is_null())
    return rows[column]


@_retrying
def _source_now(dsn: str) -> dt.datetime:
    if _is_mysql(dsn):
        now = cx.read_sql(dsn, "SELECT UTC_TIMESTAMP(6) AS now", return_type="arrow")["now"][0].as_py()
        return now.replace(tzinfo=dt.UTC)
    with psycopg.connect(dsn) as conn:
        return conn.execute("SELECT now()").fetchone()[0].astimezone(dt.UTC)


def _quote(dsn: str, name: str) -> str:
    return f"`{name.replace('`', '``')}`" if _is_mysql(dsn) else '"' + name.replace('"', '""') + '"'


@_retrying
def _columns(dsn: str, query_table: str) -> list[tuple[str, str]]:
    """(name, type) of the source table's columns in their order; a domain counts as its base type."""
    if _is_mysql(dsn):
        schema, _, name = query_table.rpartition(".")
        where = f"table_schema = '{schema}'" if schema else "table_schema = DATABASE()"
        got = cx.read_sql(dsn, f"SELECT column_name AS name, lower(data_type) AS type, "
                               f"numeric_precision - numeric_scale AS digits FROM information_schema.columns "
                               f"WHERE {where} AND table_name = '{name}' ORDER BY ordinal_position",
                          return_type="arrow")
        # a DECIMAL with at most 18 integer digits cannot hold a value bronze cannot (MariaDB has no
        # NaN or infinity): it needs no per-row check
        return [(n, _BOUNDED_DECIMAL if t == "decimal" and d is not None and d <= 18 else t)
                for n, t, d in zip(got["name"].to_pylist(), got["type"].to_pylist(), got["digits"].to_pylist())]
    with psycopg.connect(dsn) as conn:
        return conn.execute("""
            SELECT a.attname, format_type(CASE WHEN t.typtype = 'd' THEN t.typbasetype ELSE a.atttypid END, NULL)
            FROM pg_attribute a JOIN pg_type t ON t.oid = a.atttypid
            WHERE a.attrelid = %s::regclass AND a.attnum > 0 AND NOT a.attisdropped ORDER BY a.attnum""",
                            (query_table,)).fetchall()


# What bronze (Arrow, parquet, Python and Spark readers) holds faithfully, per source type: a
# condition true for such a value. connectorx reads numerics through a 96-bit decimal at scale 10.
_PG_FIT = {
    "date": "{c} BETWEEN '0001-01-01' AND '9999-12-31'",
    "timestamp without time zone": "{c} BETWEEN '0001-01-01' AND '9999-12-31 23:59:59.999999'",
    "timestamp with time zone": "{c} BETWEEN '0001-01-01 00:00:00+00' AND '9999-12-31 23:59:59.999999+00'",
    "numeric": "abs({c}) < 1e18",             # NaN and ±Infinity fail this too
}
# zero and partial-zero dates (and year 0): date arithmetic gives NULL for exactly those, and one
# addition costs the server less than YEAR(), MONTH() and DAYOFMONTH() together
_MARIADB_DATE = "{c} + INTERVAL 0 DAY IS NOT NULL"
_MARIADB_FIT = {"date": _MARIADB_DATE, "datetime": _MARIADB_DATE, "timestamp": _MARIADB_DATE,
                "decimal": "ABS({c}) < 1e18"}
_BOUNDED_DECIMAL = "decimal (at most 18 integer digits)"   # MariaDB: always fits, read as it is
# Delta has no time-of-day type (and MariaDB TIME is a duration up to 838:59:59): kept as the source's text
_AS_TEXT = {"time without time zone", "time with time zone", "time", "interval", "money"}


def _select_list(dsn: str, cfg: TableConfig, columns: list[tuple[str, str]], as_text: set[str]) -> list[str]:
    """Each column as a value bronze can hold (else null) plus, where a value may not fit, its raw text."""
    mysql = _is_mysql(dsn)
    fit = _MARIADB_FIT if mysql else _PG_FIT
    parts, raws = [], []
    for name, kind in columns:
        c = _quote(dsn, name)
        if kind == "geometry" and not mysql:
            # PostGIS: the shape as ISO WKB, its SRID beside it (registries mix systems row by row);
            # both are plain bytes and integers to connectorx, Delta and every reader
            parts.append(f"ST_AsBinary({c}) AS {c}")
            parts.append(f"ST_SRID({c}) AS {_quote(dsn, name + GEOMETRY_SRID)}")
        elif name in as_text or kind in _AS_TEXT:
            parts.append(f"CAST({c} AS CHAR) AS {c}" if mysql else f"{c}::text AS {c}")
        elif kind in fit:
            ok = fit[kind].format(c=c)
            text = f"CAST({c} AS CHAR)" if mysql else f"{c}::text"
            parts.append(f"CASE WHEN {ok} THEN {c} END AS {c}")
            raws.append(f"CASE WHEN {ok} THEN NULL ELSE {text} END AS {_quote(dsn, _RAW + name)}")
        else:
            parts.append(c)
    return parts + raws


def _flag_sql(dsn: str, cfg: TableConfig, now: dt.datetime) -> str:
    w = _quote(dsn, cfg.watermark)
    since = dt.datetime.combine(cfg.watermark_since, dt.time(), dt.UTC)
    # the common case (a trusted watermark) first: one BETWEEN for most rows
    return (f"CASE WHEN {w} BETWEEN '{_literal(dsn, since)}' AND '{_literal(dsn, now)}' THEN NULL "
            f"WHEN {w} IS NULL THEN 'missing' WHEN {w} > '{_literal(dsn, now)}' THEN 'future' "
            f"ELSE 'past' END AS {WATERMARK_FLAG}")


@dataclass
class _Query:
    """The SELECT of one batch, and how to say where its rows came from."""
    dsn: str
    cfg: TableConfig
    columns: list[tuple[str, str]]
    select: list[str]
    flag: str
    where: str

    def sql(self, select: list[str] | None = None, where: str | None = None) -> str:
        cond = " AND ".join(f"({w})" for w in (self.where, where) if w)
        return (f"SELECT {', '.join(select or [*self.select, self.flag])} FROM {self.cfg.query_table}"
                + (f" WHERE {cond}" if cond else ""))


def _build_query(dsn: str, cfg: TableConfig, low: dt.datetime | None, high: dt.datetime, now: dt.datetime,
                 backfill: bool) -> _Query:
    """First load: every row. Increment: the window's rows and every row whose watermark is missing,
    in the future or implausibly old, so none is skipped. Backfill: the window only."""
    columns = _columns(dsn, cfg.query_table)
    if not columns:
        raise ExtractError(f"{cfg.query_table}: no such table or view (or no columns) in the source")
    w = _quote(dsn, cfg.watermark)
    since = dt.datetime.combine(cfg.watermark_since, dt.time(), dt.UTC)
    if low is None:
        where = ""
    elif backfill:
        where = f"{w} > '{_literal(dsn, low)}' AND {w} <= '{_literal(dsn, high)}'"
    else:
        where = f"{w} > '{_literal(dsn, low)}' OR {w} IS NULL OR {w} < '{_literal(dsn, since)}'"
    query = _Query(dsn, cfg, columns, [], _flag_sql(dsn, cfg, now), where)
    query.select = _select_list(dsn, cfg, columns, _unreadable_types(query))
    return query


@_retrying
def _unreadable_types(query: _Query) -> set[str]:
    """Columns whose type connectorx cannot read at all (interval, money, arrays of dates...): read as text.
    A zero-row probe of the whole select first; only if that fails, one probe per column."""
    uri = _connectorx_uri(query.dsn)
    plain = _select_list(query.dsn, query.cfg, query.columns, set())
    try:
        cx.read_sql(uri, f"SELECT * FROM ({query.sql(plain)}) q LIMIT 0", return_type="arrow")
        return set()
    except BaseException as exc:  # noqa: BLE001 -- connectorx panics (BaseException) on an unknown type
        if isinstance(exc, (KeyboardInterrupt, SystemExit)) or is_transient(exc):
            raise
    unreadable = set()
    for name, _ in query.columns:
        part = [p for p in plain if p.endswith(_quote(query.dsn, name))][:1] or [_quote(query.dsn, name)]
        try:
            cx.read_sql(uri, f"SELECT * FROM ({query.sql(part)}) q LIMIT 0", return_type="arrow")
        except BaseException as exc:  # noqa: BLE001
            if isinstance(exc, (KeyboardInterrupt, SystemExit)) or is_transient(exc):
                raise
            unreadable.add(name)
    if unreadable:
        log.warning("%s: columns %s have types connectorx cannot read; read as text",
                    query.cfg.query_table, sorted(unreadable))
    return unreadable


def _finish(rows: pa.Table | pa.RecordBatch, raw_names: list[str]):
    """UTC-stamp naive timestamps and fold the raw-text helper columns into ``_unrepresentable``."""
    rows = _utc(rows)
    if not raw_names:
        return rows.append_column(UNREPRESENTABLE, pa.nulls(rows.num_rows, pa.string()))
    raws = {name: rows[_RAW + name] for name in raw_names if rows[_RAW + name].null_count < rows.num_rows}
    out = pa.nulls(rows.num_rows, pa.string())
    if raws:
        # JSON only for the rows that hold raw text (few): found and scattered back with Arrow compute
        held = None
        for col in raws.values():
            held = pc.is_valid(col) if held is None else pc.or_(held, pc.is_valid(col))
        if isinstance(held, pa.ChunkedArray):
            held = held.combine_chunks()
        where = pc.indices_nonzero(held)
        listed = {name: pc.take(col, where).to_pylist() for name, col in raws.items()}
        texts = [json.dumps({n: v[i] for n, v in listed.items() if v[i] is not None}, ensure_ascii=False)
                 for i in range(len(where))]
        out = pc.replace_with_mask(out, held, pa.array(texts, pa.string()))
    keep = [i for i, n in enumerate(rows.schema.names) if not n.startswith(_RAW)]
    rows = rows.select(keep)
    flag = rows.schema.get_field_index(WATERMARK_FLAG)
    return rows.add_column(flag if flag >= 0 else rows.num_columns, UNREPRESENTABLE, out)


def _raw_names(schema: pa.Schema) -> list[str]:
    return [n[len(_RAW):] for n in schema.names if n.startswith(_RAW)]


def _finished_schema(schema: pa.Schema) -> pa.Schema:
    return _finish(_utc_schema(schema).empty_table(), _raw_names(schema)).schema


def _read(query: _Query, first_load: bool):
    """The batch's rows: a table for an increment, a stream of batches for a first load."""
    uri = _connectorx_uri(query.dsn)
    if not first_load:
        rows = _read_table(uri, query.sql())
        return _finish(rows, _raw_names(rows.schema))
    # PostgreSQL: two COPY streams over the key range. MariaDB: one connection -- two cost the server
    # and connectorx more CPU (a range query, two scans, two decoders) for no gain on a 2-core host
    # where the server, the decoder and the Delta writer already share the cores
    mysql = _is_mysql(query.dsn)
    kwargs = {"batch_size": MARIADB_STREAM_BATCH_ROWS if mysql else STREAM_BATCH_ROWS}
    if len(query.cfg.key) == 1 and not mysql:
        kwargs.update(partition_on=query.cfg.key[0], partition_num=2)
    reader = _open_stream(uri, query.sql(), kwargs)
    raw = _raw_names(reader.schema)
    return pa.RecordBatchReader.from_batches(_finished_schema(reader.schema), (_finish(b, raw) for b in reader))


@_retrying
def _read_table(uri: str, sql: str) -> pa.Table:
    return cx.read_sql(uri, sql, return_type="arrow")


@_retrying
def _open_stream(uri: str, sql: str, kwargs: dict) -> pa.RecordBatchReader:
    return cx.read_sql(uri, sql, return_type="arrow_stream", **kwargs)


def _sql_literal(value) -> str:
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return repr(value)
    return "'" + str(value).replace("'", "''") + "'"


def _locate(query: _Query, error: BaseException) -> tuple[str, str] | None:
    """Which column and key a deterministic read failure comes from: one probe per column, then halving
    the window's keys. None when the rows read fine on their own (the failure was elsewhere)."""
    uri = _connectorx_uri(query.dsn)
    keys = [_quote(query.dsn, k) for k in query.cfg.key]
    plain = {name: next((p for p in query.select if p.endswith(" AS " + _quote(query.dsn, name))),
                        _quote(query.dsn, name)) for name, _ in query.columns}

    def fails(select: list[str], where: str | None = None) -> bool:
        try:
            cx.read_sql(uri, query.sql(select, where), return_type="arrow")
            return False
        except BaseException as exc:  # noqa: BLE001 -- connectorx panics are BaseException
            if isinstance(exc, (KeyboardInterrupt, SystemExit)):
                raise
            return True

    column = next((name for name, _ in query.columns if name not in query.cfg.key
                   and fails([*keys, plain[name]])), None)
    if column is None:
        return None
    held = cx.read_sql(uri, query.sql(keys) + f" ORDER BY {', '.join(keys)}", return_type="arrow").to_pylist()
    tuples = [tuple(r.values()) for r in held]
    key_sql = f"({', '.join(keys)})"

    def in_list(chunk):
        return f"{key_sql} IN ({', '.join('(' + ', '.join(_sql_literal(v) for v in t) + ')' for t in chunk)})"

    while len(tuples) > 1:
        half = tuples[:len(tuples) // 2]
        tuples = half if fails([*keys, plain[column]], in_list(half)) else tuples[len(half):]
    key = ", ".join(f"{k}={v!r}" for k, v in zip(query.cfg.key, tuples[0])) if tuples else "?"
    return column, key


def _unextractable(source: SourceConfig, query: _Query, error: BaseException) -> BaseException:
    """The error to raise for a failed read: transient ones as they are (retried), deterministic ones
    located and named."""
    if is_transient(error) or isinstance(error, ExtractError):
        return error
    where = _locate(query, error)
    if where is None:
        return error
    column, key = where
    return UnextractableValue(
        f"{source.source}.{query.cfg.name} ({query.cfg.query_table}): column {column}, key {key}: "
        f"{str(error).strip()[:300]} -- deterministic, not retried; fix the value at the source")


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
    if pa.types.is_binary(a) or pa.types.is_large_binary(a):   # WKB: Delta reads back what connectorx wrote wider
        return pa.types.is_binary(b) or pa.types.is_large_binary(b)
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
    common = [c for c in rows.column_names if c in seen.column_names and c != WATERMARK_FLAG]
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
    now = high = _source_now(dsn)
    # One snapshot decides the window, what is already there and the batch number, and the
    # commit is made against it: a run that raced ahead makes this commit fail, never duplicate.
    snapshot = delta.table(uri) if delta.exists(uri) else None
    watermark = bronze_watermark(snapshot, cfg.watermark, now)
    low = watermark - dt.timedelta(minutes=cfg.lookback_minutes) if watermark else None
    backfill = window is not None and watermark is not None
    if backfill:
        low, high = window[0], min(window[1], high)
    first_load = snapshot is None or watermark is None and not _holds_rows(snapshot)
    if first_load:
        low = None
    seq = (snapshot.transaction_version(app_id) or 0) + 1 if snapshot is not None else 1
    batch_id = f"{source.source}.{cfg.name}.{seq:08d}"
    meta = {"citylake.batch_id": batch_id, "citylake.window_low": str(low),
            "citylake.window_high": str(high)}
    stamp = _Stamp(batch_id, seq, source.source)
    try:
        query = _build_query(dsn, cfg, low, high, now, backfill)
    except Exception as err:
        if is_transient(err) or isinstance(err, ExtractError):
            raise
        raise ExtractError(f"{source.source}.{cfg.name} ({cfg.query_table}): {err}".strip()) from err
    geometry = [name for name, kind in query.columns if kind == "geometry"]
    if geometry:
        meta["geo"] = geo.geoparquet_metadata({name: name + GEOMETRY_SRID for name in geometry})
    try:
        rows = _read(query, first_load)
    except BaseException as err:  # noqa: BLE001 -- connectorx panics are BaseException
        if isinstance(err, (KeyboardInterrupt, SystemExit)):
            raise
        raise _unextractable(source, query, err) from err
    try:
        _check_schema(rows.schema, snapshot, f"{source.source}.{cfg.name}")
    except SchemaIncompatible as err:
        table = rows if isinstance(rows, pa.Table) else rows.read_all()
        path = _quarantine_batch(settings, source, cfg, batch_id, table, str(err))
        log.error("%s (rows parked at %s)", err, path)
        raise
    counts = {"read": 0, "good": 0, "flagged": 0, "unrepresentable": 0}
    if first_load:
        # first load: stream batches from the database into one Delta commit
        quarantined, failed = [], []
        stream = _stamped_stream(rows, stamp, cfg.key, counts, quarantined, failed)
        try:
            delta.write_arrow(stream, snapshot or uri, mode="append", app_id=app_id, app_version=seq,
                              metadata=meta, schema_mode="merge")
        except BaseException:  # noqa: BLE001
            if not failed:
                raise
            raise _unextractable(source, query, failed[0]) from failed[0]
        read, added = counts["read"], counts["good"]
        quarantined = pa.Table.from_batches(quarantined, rows.schema) if quarantined else None
    else:
        read = rows.num_rows
        if rows.num_rows:
            stored = pa.schema(snapshot.schema().to_arrow()).names
            seen_columns = [c for c in rows.column_names if c in stored and c != WATERMARK_FLAG]
            window_rows = None  # bronze holding only flagged rows: compare with all of them
            if low is not None:
                window_rows = pads.field(cfg.watermark) > pa.scalar(low, pa.timestamp("us", "UTC"))
                if WATERMARK_FLAG in stored:  # flagged rows are re-read every run: compare them too
                    window_rows = window_rows | pads.field(WATERMARK_FLAG).is_valid()
            seen = snapshot.to_pyarrow_dataset().to_table(columns=seen_columns, filter=window_rows)
            rows = _new_versions(rows, seen, cfg.key)
        good, quarantined = _split_null_keys(rows, cfg.key)
        _count(good, counts)
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
    if counts["flagged"]:
        log.warning("%s.%s: %d rows added with a missing, future or implausibly old %s (see %s); they "
                    "do not move the high-water mark", source.source, cfg.name, counts["flagged"],
                    cfg.watermark, WATERMARK_FLAG)
    if counts["unrepresentable"]:
        log.warning("%s.%s: %d rows added with values bronze cannot hold, kept as source text in %s",
                    source.source, cfg.name, counts["unrepresentable"], UNREPRESENTABLE)
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


def _holds_rows(snapshot: DeltaTable) -> bool:
    """Whether bronze has rows (it may hold only rows with untrusted watermarks: no high-water mark)."""
    return bool(sum(pa.table(snapshot.get_add_actions(flatten=True))["num_records"].to_pylist() or [0]))


def _count(rows: pa.Table, counts: dict) -> None:
    counts["good"] += rows.num_rows
    counts["flagged"] += rows.num_rows - rows[WATERMARK_FLAG].null_count
    counts["unrepresentable"] += rows.num_rows - rows[UNREPRESENTABLE].null_count


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
        self._columns: dict[tuple[int, bool], list[pa.Array]] = {}

    def schema(self, schema: pa.Schema) -> pa.Schema:
        for name, value in self.values:
            schema = schema.append(pa.field(name, value.type))
        return schema.append(pa.field("_deleted", pa.bool_()))

    def columns(self, rows: int, deleted: bool) -> list[pa.Array]:
        """The metadata columns for ``rows`` rows: made once per length (a stream's batches share one)."""
        if (rows, deleted) not in self._columns:
            self._columns[rows, deleted] = [*(pa.repeat(value, rows) for _, value in self.values),
                                            pa.repeat(pa.scalar(deleted), rows)]
        return self._columns[rows, deleted]

    def __call__(self, rows: pa.Table, deleted: bool = False) -> pa.Table:
        names = [name for name, _ in self.values] + ["_deleted"]
        for name, column in zip(names, self.columns(rows.num_rows, deleted)):
            rows = rows.append_column(name, column)
        return rows


def _stamped_stream(reader: pa.RecordBatchReader, stamp: _Stamp, key: tuple[str, ...], counts: dict,
                    quarantined: list, failed: list) -> pa.RecordBatchReader:
    """The read batches, stamped; a read failure is kept in ``failed`` (the Delta writer rewraps it)."""
    def batches():
        try:
            for batch in reader:
                counts["read"] += batch.num_rows
                good, bad = _split_null_keys(pa.Table.from_batches([batch], reader.schema), key)
                quarantined.extend(bad.to_batches())
                _count(good, counts)
                yield from stamp(good).to_batches()
        except BaseException as err:
            failed.append(err)
            raise

    return pa.RecordBatchReader.from_batches(stamp.schema(reader.schema), batches())


def extract_source(name: str, settings: Settings | None = None,
                   window: tuple[dt.datetime, dt.datetime] | None = None) -> list[BatchResult]:
    """Extract every table of a source; each table is its own batch and its own commit."""
    source = load_source(name)
    return [extract_table(source, cfg, settings, window) for cfg in source.tables.values()]
