"""Delta Lake I/O and the Spark bridge, in one place.

delta-spark's jars cannot be fetched here, so Spark never talks Delta directly:
* **read**: delta-rs resolves the snapshot's files; Spark reads exactly those parquet files.
* **write**: Spark executors write parquet with pyarrow (``mapInArrow``), return each file's
  path, size, partition values and Delta statistics, and the driver commits them all as one Delta
  transaction with delta-rs. A failed job leaves only unreferenced files (vacuum removes them).

The tables stay standard Delta, readable by delta-spark, Databricks, Trino, DuckDB and Polars.
Small tables (reference data, marts) are written from Arrow with :func:`write_arrow`.

Because the Spark side reads and writes a snapshot's parquet files itself, it applies none of the
Delta features that change what a file's rows mean (deletion vectors hide rows, column mapping renames
columns, type widening changes types): a table whose protocol needs one is refused with
:class:`UnsupportedDeltaFeature` (:func:`check_bridgeable`) instead of being read wrongly.
"""
from __future__ import annotations

import datetime as dt
import json
import threading
import time
import uuid
from collections.abc import Iterator, Sequence

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
from deltalake import CommitProperties, DeltaTable, Transaction, write_deltalake
from deltalake.transaction import AddAction, create_table_with_add_actions

# Delta keeps min/max statistics for string prefixes; long strings are left without them.
_STRING_STATS_LIMIT = 32

# reader features that do not change what the snapshot's parquet files hold (log-level or plain types)
BRIDGE_READER_FEATURES = frozenset({"timestampNtz", "vacuumProtocolCheck", "v2Checkpoint"})


class UnsupportedDeltaFeature(RuntimeError):
    """A Delta table needs a reader feature the Spark bridge does not apply."""


def check_bridgeable(snapshot: DeltaTable) -> None:
    """Refuse a table whose files the bridge would read wrongly (deletion vectors, column mapping...)."""
    protocol = snapshot.protocol()
    mapping = (snapshot.metadata().configuration or {}).get("delta.columnMapping.mode", "none")
    needed = set(protocol.reader_features or ())
    if protocol.min_reader_version >= 2 and mapping != "none":
        needed.add("columnMapping")
    if protocol.min_reader_version > 3:
        needed.add(f"readerVersion{protocol.min_reader_version}")
    unsupported = sorted(needed - BRIDGE_READER_FEATURES)
    if unsupported:
        raise UnsupportedDeltaFeature(
            f"{snapshot.table_uri}: the table's protocol (reader version {protocol.min_reader_version}) needs "
            f"{', '.join(unsupported)}, which the Spark bridge (citylake.delta) does not apply to the parquet "
            f"files it reads; refusing rather than reading it wrongly. Rewrite the table without "
            f"{'them' if len(unsupported) > 1 else 'it'} (e.g. REORG/purge, or copy it with delta-rs).")


def exists(uri: str) -> bool:
    return DeltaTable.is_deltatable(uri)


def table(uri: str, version: int | None = None) -> DeltaTable:
    return DeltaTable(uri, version=version)


def read_arrow(uri: str, columns: Sequence[str] | None = None, filter=None, version: int | None = None) -> pa.Table:
    return DeltaTable(uri, version=version).to_pyarrow_dataset().to_table(columns=columns, filter=filter)


def commit_properties(app_id: str | None = None, version: int | None = None,
                      metadata: dict | None = None) -> CommitProperties:
    txns = [Transaction(app_id=app_id, version=version)] if app_id is not None else None
    custom = {k: (v if isinstance(v, str) else json.dumps(v)) for k, v in (metadata or {}).items()}
    return CommitProperties(app_transactions=txns, custom_metadata=custom or None)


def write_arrow(data: pa.Table, uri: str | DeltaTable, mode: str = "append", partition_by: Sequence[str] | None = None,
                app_id: str | None = None, app_version: int | None = None, metadata: dict | None = None,
                schema_mode: str | None = None) -> None:
    """Write an Arrow table as one Delta commit (optionally tagged as app transaction ``app_id``).

    Given a :class:`DeltaTable` instead of a URI, the commit is made against that snapshot, so
    a concurrent commit of the same app transaction makes this one fail.
    """
    write_deltalake(uri, data, mode=mode, partition_by=list(partition_by) if partition_by else None,
                    schema_mode=schema_mode,
                    commit_properties=commit_properties(app_id, app_version, metadata))


MAINTENANCE = ("OPTIMIZE", "VACUUM START", "VACUUM END")   # operations that leave the rows as they are


def is_maintenance(commit: dict) -> bool:
    """Whether a history entry is compaction or vacuum: the rows are unchanged."""
    return commit.get("operation") in MAINTENANCE


def job_metadata(table: DeltaTable, key: str, depth: int = 50) -> str | None:
    """``key`` in the newest commit that is not maintenance: a job's bookkeeping (the versions it built
    from) survives an OPTIMIZE or VACUUM run between two of its runs."""
    for commit in table.history(depth):
        if not is_maintenance(commit):
            return commit.get(key)
    return None


APPEND_ONLY = frozenset({("WRITE", "Append"), ("VACUUM START", None), ("VACUUM END", None)})


def all_null(snapshot: DeltaTable, column: str) -> bool:
    """Whether ``column`` is null in every row, from the files' statistics alone: no data is read. False
    when a file has no statistics for it (it may hold a value); True for a table without the column."""
    if column not in pa.schema(snapshot.schema().to_arrow()).names:
        return True
    actions = pa.table(snapshot.get_add_actions(flatten=True))
    stat = f"null_count.{column}"
    if not actions.num_rows:
        return True
    if stat not in actions.column_names or actions[stat].null_count:
        return False
    return pc.all(pc.equal(actions[stat], actions["num_records"])).as_py()


def appended_since(uri: str, version: int, table_id: str | None = None) -> bool:
    """Whether every commit after ``version`` only appended rows (or vacuumed), so the rows added since
    are exactly the files added since. False after an overwrite, repair, merge, delete, compaction or
    restore, when the table was re-created (another ``table_id``), or when ``version`` is unknown."""
    snapshot = DeltaTable(uri)
    current = snapshot.version()
    if version > current or (table_id is not None and snapshot.metadata().id != table_id):
        return False
    for commit in snapshot.history(current - version) if current > version else []:
        if commit["version"] <= version:
            continue
        mode = (commit.get("operationParameters") or {}).get("mode")
        if (commit.get("operation"), mode) not in APPEND_ONLY:
            return False
    return True


def _sql_literal(value) -> str:
    if isinstance(value, bool) or value is None:
        raise TypeError(f"a key value must be text, an integer or a date, not {value!r}")
    if isinstance(value, int):
        return str(value)
    if isinstance(value, str):
        return "'" + value.replace("'", "''") + "'"
    if isinstance(value, dt.date) and not isinstance(value, dt.datetime):
        return f"CAST('{value.isoformat()}' AS DATE)"
    raise TypeError(f"a key value must be text, an integer or a date, not {type(value).__name__} {value!r}")


def keys_predicate(keys: pa.Table) -> str:
    """SQL matching exactly the key tuples in ``keys`` (its columns are the key): one ``IN`` list per
    value of the leading columns, so a single-column key is one ``IN``."""
    *lead, last = keys.column_names
    groups: dict[tuple, list] = {}
    for row in keys.to_pylist():
        groups.setdefault(tuple(row[c] for c in lead), []).append(row[last])
    clauses = []
    for head, values in groups.items():
        fixed = [f'"{c}" = {_sql_literal(v)}' for c, v in zip(lead, head)]
        inside = ", ".join(sorted({_sql_literal(v) for v in values}))
        clauses.append(" AND ".join([*fixed, f'"{last}" IN ({inside})']))
    return " OR ".join(f"({c})" for c in clauses) if len(clauses) > 1 else clauses[0]


# delta-rs works through a replaceWhere predicate recursively, once per literal, on the calling thread:
# the main thread's 8 MiB stack overflowed (a segfault, not an error) between 10,000 and 30,000 keys.
# The write runs on a thread whose stack grows with the predicate (reserved, touched only as deep as it
# goes); beyond this many keys the predicate's own memory grows too (about 1.5 GB at 110,000), and the
# table is rewritten without their rows instead: every file then, which scattered keys cost anyway.
PREDICATE_MAX_KEYS = 200_000
_STACK_PER_LITERAL = 2048
_STACK_FLOOR = 64 * 2**20


def merge_by_keys(rows: pa.Table, uri: str, keys: Sequence[str], delete_flag: str,
                  metadata: dict | None = None) -> None:
    """Replace the target's rows for the keys in ``rows``, in one commit: a row whose ``delete_flag``
    is true deletes its key, any other row updates or inserts it. With no rows the commit adds nothing
    but its ``metadata`` (a build's record of what it read).

    A predicate overwrite (``replaceWhere`` on the keys), not delta-rs' MERGE: MERGE (like DELETE)
    rewrites files with ``string_view`` columns, which pyarrow cannot filter, so every filtered read of
    the table by pyarrow, DuckDB or a notebook would fail. Copy-on-write either way: no deletion vectors,
    so the table stays readable by the Spark bridge."""
    target = DeltaTable(uri)
    check_bridgeable(target)
    if not rows.num_rows:
        write_deltalake(uri, pa.schema(target.schema().to_arrow()).empty_table(), mode="append",
                        commit_properties=commit_properties(metadata=metadata))
        return
    keep = pc.invert(pc.fill_null(rows[delete_flag], False))
    if rows.num_rows > PREDICATE_MAX_KEYS:
        _rewrite_without(target, uri, rows.select(list(keys)), rows.filter(keep), metadata)
        return
    predicate = keys_predicate(rows.select(list(keys)))
    _on_deep_stack(replace_where, rows.num_rows, rows.filter(keep), uri, predicate, metadata=metadata)


def _on_deep_stack(fn, literals: int, *args, **kwargs):
    """``fn(*args, **kwargs)`` on a thread with room for delta-rs' recursion over ``literals`` literals."""
    done: dict = {}

    def run():
        try:
            done["value"] = fn(*args, **kwargs)
        except BaseException as exc:  # noqa: BLE001 -- re-raised on the caller's thread
            done["error"] = exc

    previous = threading.stack_size(max(_STACK_FLOOR, literals * _STACK_PER_LITERAL))
    try:
        worker = threading.Thread(target=run, name="delta-deep-stack")
        worker.start()
    finally:
        threading.stack_size(previous)
    worker.join()
    if "error" in done:
        raise done["error"]
    return done.get("value")


def _key_text(table: pa.Table, keys: Sequence[str]) -> pa.Array:
    parts = [pc.cast(table[k], pa.string()) for k in keys]
    return parts[0] if len(parts) == 1 else pc.binary_join_element_wise(*parts, "\x1f")


def _rewrite_without(target: DeltaTable, uri: str, drop: pa.Table, rows: pa.Table, metadata: dict | None) -> None:
    """The table without ``drop``'s keys, plus ``rows``, in one overwrite commit, streamed batch by batch."""
    schema = pa.schema(target.schema().to_arrow())
    keys = drop.column_names
    gone = pc.unique(_key_text(drop, keys))
    held_files = target.to_pyarrow_dataset()   # made here: the writer's runtime drives the generator below

    def batches():
        for batch in held_files.to_batches():
            held = pa.Table.from_batches([batch])
            kept = held.filter(pc.invert(pc.fill_null(pc.is_in(_key_text(held, keys), value_set=gone), False)))
            yield from kept.select(schema.names).cast(schema).to_batches()
        yield from rows.select(schema.names).cast(schema).to_batches()

    write_deltalake(uri, pa.RecordBatchReader.from_batches(schema, batches()), mode="overwrite",
                    partition_by=target.metadata().partition_columns or None,
                    commit_properties=commit_properties(metadata=metadata))


def replace_where(rows: pa.Table, uri: str, predicate: str, metadata: dict | None = None) -> None:
    """Replace the rows matching ``predicate`` (SQL) with ``rows``, in one commit."""
    schema = pa.schema(DeltaTable(uri).schema().to_arrow())
    write_deltalake(uri, rows.select(schema.names).cast(schema), mode="overwrite", predicate=predicate,
                    commit_properties=commit_properties(metadata=metadata))


def replace_if_changed(data: pa.Table, uri: str) -> bool:
    """Overwrite the table with ``data`` (schema included) unless it holds exactly those rows already;
    returns whether it wrote. Reference tables rebuilt from code on every run then add no version, and
    two jobs refreshing the same one at once do not race for the same overwrite."""
    if exists(uri):
        held = read_arrow(uri)
        if held.schema.equals(data.schema) and held.num_rows == data.num_rows:
            keys = [(name, "ascending") for name in data.column_names]
            try:
                if held.sort_by(keys).equals(data.sort_by(keys)):
                    return False
            except pa.ArrowNotImplementedError:           # a column Arrow cannot sort: write it
                pass
    write_arrow(data, uri, mode="overwrite", schema_mode="overwrite")
    return True


# ----------------------------------------------------------------------------------------------
# Spark side
# ----------------------------------------------------------------------------------------------

def spark_frame(spark, data: pa.Table, schema=None):
    """An Arrow table as a Spark DataFrame, its chunks combined first: PySpark 4.2 loses rows of a table
    whose record batches include an empty one (batches of 1, 0 and 2 rows came back as 1 row), and a
    filtered dataset read is full of empty batches."""
    return spark.createDataFrame(data.combine_chunks(), schema)


def read_spark(spark, uri: str, version: int | None = None, partition_filters: list[tuple] | None = None,
               since: int | None = None, columns: Sequence[str] | None = None, rows_filter=None):
    """The snapshot's files as a Spark DataFrame (never a folder scan: compaction leaves old files);
    ``partition_filters`` (``[("event_date", "in", [...])]``) keeps only those partitions' files;
    ``since`` (a version) only the files added after it: the rows appended since, for an append-only
    table (see :func:`appended_since`).

    ``rows_filter`` (a ``pyarrow.dataset`` expression) is for a few rows out of many: Arrow reads the
    matching rows (``columns`` only; the files' statistics prune) and hands Spark that small table,
    instead of Spark scanning every file."""
    from pyspark.sql.pandas.types import from_arrow_schema

    snapshot = DeltaTable(uri, version=version)
    check_bridgeable(snapshot)
    arrow_schema = pa.schema(snapshot.schema().to_arrow())
    if columns is not None:
        arrow_schema = pa.schema([arrow_schema.field(c) for c in columns])
    spark_schema = from_arrow_schema(arrow_schema)
    if rows_filter is not None:
        if since is not None or partition_filters:
            raise ValueError("rows_filter reads the whole snapshot: no since or partition_filters with it")
        rows = snapshot.to_pyarrow_dataset().to_table(columns=arrow_schema.names, filter=rows_filter)
        return spark_frame(spark, rows.cast(arrow_schema), spark_schema)
    files = snapshot.file_uris(file_pruning_predicate=partition_filters) if partition_filters else snapshot.file_uris()
    if since is not None:
        before = set(DeltaTable(uri, version=since).file_uris())
        files = [f for f in files if f not in before]
    if not files:
        return spark.createDataFrame([], spark_schema)
    df = spark.read.option("basePath", snapshot.table_uri).schema(spark_schema).parquet(*files)
    return df.select(*arrow_schema.names)


def _stat_value(value):
    if isinstance(value, dt.datetime):
        if value.tzinfo is not None:
            value = value.astimezone(dt.UTC).replace(tzinfo=None)
        return value.isoformat(timespec="milliseconds") + "Z"
    if isinstance(value, (dt.date, dt.time)):
        return value.isoformat()
    if isinstance(value, bytes):
        return None
    if hasattr(value, "as_py"):
        return _stat_value(value.as_py())
    if isinstance(value, float) and value != value:  # NaN has no order
        return None
    return float(value) if type(value).__name__ == "Decimal" else value


def file_stats(data: pa.Table) -> str:
    """Delta statistics (numRecords, min/max, nullCount) for one data file."""
    mins, maxs, nulls = {}, {}, {}
    for name, column in zip(data.column_names, data.columns):
        kind = column.type
        if pa.types.is_nested(kind):
            continue
        nulls[name] = column.null_count
        if column.null_count == len(column) or pa.types.is_binary(kind) or pa.types.is_boolean(kind):
            continue
        if pa.types.is_dictionary(kind):
            column = column.cast(kind.value_type)
        minmax = pc.min_max(column)
        lo, hi = _stat_value(minmax["min"].as_py()), _stat_value(minmax["max"].as_py())
        if isinstance(lo, str) and (len(lo) > _STRING_STATS_LIMIT or len(hi) > _STRING_STATS_LIMIT):
            continue
        if lo is not None and hi is not None:
            mins[name], maxs[name] = lo, hi
    return json.dumps({"numRecords": data.num_rows, "minValues": mins, "maxValues": maxs,
                       "nullCount": nulls}, default=str)


def _partition_path(values: dict[str, str | None]) -> str:
    from urllib.parse import quote

    return "/".join(f"{k}={'__HIVE_DEFAULT_PARTITION__' if v is None else quote(str(v), safe='')}"
                    for k, v in values.items())


def _parquet_writer(table_uri: str, partition_by: Sequence[str], run_id: str):
    """The function executors run: Arrow batches in, one parquet file per partition value out."""

    def write(batches: Iterator[pa.RecordBatch]) -> Iterator[pa.RecordBatch]:
        import pyarrow.fs as pafs

        batches = list(batches)
        if not batches or sum(b.num_rows for b in batches) == 0:
            return
        data = pa.Table.from_batches(batches)
        fs, root = pafs.FileSystem.from_uri(table_uri)
        groups: list[tuple[dict, pa.Table]]
        if partition_by:
            keys = data.select(list(partition_by)).group_by(list(partition_by)).aggregate([])
            groups = []
            for key in keys.to_pylist():
                mask = None
                for col, val in key.items():
                    cond = pc.is_null(data[col]) if val is None else pc.equal(data[col], val)
                    mask = cond if mask is None else pc.and_(mask, cond)
                part = data.filter(mask).drop_columns(list(partition_by))
                groups.append(({k: (None if v is None else str(v)) for k, v in key.items()}, part))
        else:
            groups = [({}, data)]
        out = []
        for values, part in groups:
            rel = f"part-{run_id}-{uuid.uuid4().hex}.zstd.parquet"
            if values:
                rel = f"{_partition_path(values)}/{rel}"
            full = f"{root.rstrip('/')}/{rel}"
            fs.create_dir(full.rsplit("/", 1)[0], recursive=True)
            with fs.open_output_stream(full) as sink:
                pq.write_table(part, sink, compression="zstd", coerce_timestamps="us",
                               allow_truncated_timestamps=False)
            size = fs.get_file_info(full).size
            out.append({"path": rel, "size": size, "partition_values": json.dumps(values),
                        "stats": file_stats(part)})
        yield pa.RecordBatch.from_pylist(out, schema=_WRITTEN_SCHEMA)

    return write


_WRITTEN_SCHEMA = pa.schema([("path", pa.string()), ("size", pa.int64()),
                             ("partition_values", pa.string()), ("stats", pa.string())])


def write_spark(df, uri: str, mode: str = "append", partition_by: Sequence[str] | None = None,
                app_id: str | None = None, app_version: int | None = None,
                metadata: dict | None = None, partition_filters: list[tuple] | None = None) -> int:
    """Write a Spark DataFrame as one Delta transaction; returns the number of files added.

    ``mode`` is ``append`` or ``overwrite`` (the whole table, atomically — or, with
    ``partition_filters`` such as ``[("event_date", "in", ["2026-11-25"])]``, only those partitions).
    """
    from pyspark.sql.pandas.types import to_arrow_schema

    partition_by = list(partition_by or [])
    # timestamps are UTC instants in Delta (the session time zone is UTC: citylake.spark)
    arrow_schema = to_arrow_schema(df.schema, timezone="UTC")
    if exists(uri):
        check_bridgeable(DeltaTable(uri))
    held = list(DeltaTable(uri).metadata().partition_columns) if exists(uri) else partition_by
    repartition = held != partition_by
    if repartition and (mode != "overwrite" or partition_filters):
        raise ValueError(f"{uri} is partitioned by {held}, not {partition_by}: only a whole-table "
                         "overwrite can change that")
    if partition_by:
        df = df.repartition(*partition_by)
    run_id = uuid.uuid4().hex[:12]
    written = df.mapInArrow(_parquet_writer(uri, partition_by, run_id),
                            "path string, size long, partition_values string, stats string").collect()
    now_ms = int(time.time() * 1000)
    actions = [AddAction(r["path"], r["size"], json.loads(r["partition_values"]), now_ms, True, r["stats"])
               for r in written]
    props = commit_properties(app_id, app_version, metadata)
    if repartition:
        # delta-rs's transaction API keeps a table's partitioning (silently): change it first with an
        # empty schema-overwriting commit (without the job's metadata, so a crash here is not taken for
        # a finished run); the next commit brings the rows, and time travel keeps the old ones
        write_deltalake(uri, arrow_schema.empty_table(), mode="overwrite", partition_by=partition_by or None,
                        schema_mode="overwrite",
                        commit_properties=commit_properties(metadata={"citylake.operation": "repartition"}))
    if exists(uri):
        DeltaTable(uri).create_write_transaction(actions, mode, arrow_schema, partition_by or None,
                                                 partition_filters=partition_filters, commit_properties=props)
    else:
        from deltalake import Schema

        create_table_with_add_actions(uri, Schema.from_arrow(arrow_schema), actions, mode="error",
                                      partition_by=partition_by or None, commit_properties=props)
    return len(actions)


def write_geoparquet(data: pa.Table, uri: str, geo: str, metadata: dict | None = None) -> None:
    """Replace the table with ``data`` in one commit, its file written by pyarrow with GeoParquet's
    ``geo`` key in the parquet footer: the data files themselves are GeoParquet (geopandas, DuckDB
    spatial and GDAL read them as such), while the table stays standard Delta for every other reader."""
    import pyarrow.fs as pafs
    from deltalake import Schema

    schema = data.schema.remove_metadata()
    if exists(uri) and not pa.schema(DeltaTable(uri).schema().to_arrow()).equals(schema):
        # a changed schema: an empty schema-overwriting commit first (time travel keeps the old rows)
        write_deltalake(uri, schema.empty_table(), mode="overwrite", schema_mode="overwrite",
                        commit_properties=commit_properties(metadata={"citylake.operation": "schema change"}))
    fs, root = pafs.FileSystem.from_uri(uri)
    fs.create_dir(root, recursive=True)
    rel = f"part-{uuid.uuid4().hex}.zstd.parquet"
    full = f"{root.rstrip('/')}/{rel}"
    with fs.open_output_stream(full) as sink:
        pq.write_table(data.replace_schema_metadata({b"geo": geo.encode()}), sink, compression="zstd",
                       coerce_timestamps="us", allow_truncated_timestamps=False)
    action = AddAction(rel, fs.get_file_info(full).size, {}, int(time.time() * 1000), True, file_stats(data))
    props = commit_properties(metadata=metadata)
    if exists(uri):
        DeltaTable(uri).create_write_transaction([action], "overwrite", schema, None, commit_properties=props)
    else:
        create_table_with_add_actions(uri, Schema.from_arrow(schema), [action], mode="error", commit_properties=props)
