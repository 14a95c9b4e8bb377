"""Repair the bronze tables of a source that an older extractor damaged: ``python -m ingestion.repair <source>``.

Before values bronze cannot hold were kept as raw text (see :mod:`ingestion.extract`), connectorx read a
PostgreSQL ``infinity`` date as ``+262142-12-31`` (and ``-infinity`` as ``-262143-01-01``); bronze stored
it, and every later reader choked on the file statistics (``Invalid isoformat string``), the extractor
included. Before untrusted watermarks were flagged, a far-future one (2999-01-01) moved the high-water mark.

For each table of the source (and its ``_quarantine_`` table) this reads the snapshot's files itself (delta-rs
cannot load their statistics), and where a date or timestamp lies outside years 1..9999 it sets it null and
records the text in ``_unrepresentable`` (``infinity``/``-infinity`` for connectorx's sentinels, else the
ISO text bronze held); rows whose watermark is missing, in the future or before ``watermark_since`` get
their ``_watermark_flag``. A table that needs a change is overwritten in one commit against the snapshot
it was read from (time travel keeps the damaged version; app transactions are kept). A healthy table is
left alone, so running it again adds nothing.
"""
from __future__ import annotations

import argparse
import datetime as dt
import json
import logging
import sys
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.fs as pafs
import pyarrow.parquet as pq
from deltalake import DeltaTable

from citylake import delta
from citylake.catalog import bronze_uri
from citylake.settings import Settings, get_settings
from citylake.source_config import TableConfig, load_source
from ingestion.extract import UNREPRESENTABLE, WATERMARK_FLAG

log = logging.getLogger(__name__)

_UNIT = {"s": 1, "ms": 1_000, "us": 1_000_000, "ns": 1_000_000_000}
_FIRST, _LAST = dt.datetime(1, 1, 1), dt.datetime(9999, 12, 31, 23, 59, 59, 999_999)
_EPOCH = dt.datetime(1970, 1, 1)
# connectorx's readings of ±infinity: chrono's NaiveDate::MAX/MIN (days; microseconds for timestamps)
_DATE_INF, _DATE_NINF = 95_026_236, -96_465_292
_TS_INF_US, _TS_NINF_US = 8_210_266_876_799_999_999, -8_334_601_228_800_000_000


def _read_snapshot(snapshot: DeltaTable) -> pa.Table:
    """Every row of the snapshot, read from its parquet files (older files lack newer columns)."""
    delta.check_bridgeable(snapshot)
    schema = pa.schema(snapshot.schema().to_arrow())
    if snapshot.metadata().partition_columns:
        raise ValueError(f"{snapshot.table_uri}: partitioned bronze tables are not repaired by this command")
    fs, root = pafs.FileSystem.from_uri(snapshot.table_uri)
    parts = []
    for path in pa.table(snapshot.get_add_actions(flatten=False))["path"].to_pylist():
        part = pq.read_table(f"{root.rstrip('/')}/{path}", filesystem=fs)
        columns = [part[f.name].cast(f.type) if f.name in part.column_names else pa.nulls(part.num_rows, f.type)
                   for f in schema]
        parts.append(pa.Table.from_arrays(columns, schema=schema))
    return pa.concat_tables(parts) if parts else schema.empty_table()


def _ints(column: pa.ChunkedArray, kind: pa.DataType) -> np.ndarray:
    """The stored integers (days or ticks) of a date/timestamp column, nulls as 0 (exact: no float)."""
    return np.concatenate([pc.fill_null(c.view(kind), 0).to_numpy() for c in column.chunks]
                          or [np.array([], kind.to_pandas_dtype())]).astype("int64")


def _out_of_range(column: pa.ChunkedArray) -> tuple[np.ndarray, list[str | None]] | None:
    """Rows whose date/timestamp is outside years 1..9999, and the text to keep for each."""
    kind = column.type
    if pa.types.is_date32(kind):
        ints = _ints(column, pa.int32())
        lo, hi, inf, ninf, unit = (_FIRST - _EPOCH).days, (_LAST - _EPOCH).days, _DATE_INF, _DATE_NINF, "D"
    elif pa.types.is_timestamp(kind):
        per_s = _UNIT[kind.unit]
        ints = _ints(column, pa.int64())
        lo = int((_FIRST - _EPOCH).total_seconds()) * per_s
        hi = (int((_LAST - _EPOCH).total_seconds()) + 1) * per_s - 1
        inf, ninf = (_TS_INF_US, _TS_NINF_US) if kind.unit == "us" else (None, None)
        unit = kind.unit
    else:
        return None
    valid = np.concatenate([c.is_valid().to_numpy(zero_copy_only=False) for c in column.chunks]
                           or [np.array([], bool)])
    bad = valid & ((ints < lo) | (ints > hi))
    if not bad.any():
        return None
    texts = [None] * len(ints)
    for i in np.flatnonzero(bad):
        v = int(ints[i])
        texts[i] = ("infinity" if inf is not None and v >= inf else
                    "-infinity" if ninf is not None and v <= ninf else str(np.datetime64(v, unit)))
    return bad, texts


def _merge_raw(existing: list[str | None], column: str, texts: list[str | None]) -> list[str | None]:
    out = []
    for held, text in zip(existing, texts):
        if text is None:
            out.append(held)
        else:
            out.append(json.dumps({**(json.loads(held) if held else {}), column: text}, ensure_ascii=False))
    return out


def repair_table(uri: str, cfg: TableConfig | None, now: dt.datetime) -> dict[str, int]:
    """Repair one bronze table; returns {column: values set null} plus ``flagged`` rows, empty if healthy."""
    snapshot = DeltaTable(uri)
    rows = _read_snapshot(snapshot)
    fixed: dict[str, int] = {}
    raw = (rows[UNREPRESENTABLE].to_pylist() if UNREPRESENTABLE in rows.column_names
           else [None] * rows.num_rows)
    for i, field in enumerate(rows.schema):
        found = _out_of_range(rows[field.name])
        if found is None:
            continue
        bad, texts = found
        rows = rows.set_column(i, field, pc.if_else(pa.array(bad), pa.nulls(rows.num_rows, field.type),
                                                    rows[field.name]))
        raw = _merge_raw(raw, field.name, texts)
        fixed[field.name] = int(bad.sum())
    if cfg is not None and cfg.watermark in rows.column_names:
        wm = rows[cfg.watermark]
        flags = (rows[WATERMARK_FLAG] if WATERMARK_FLAG in rows.column_names
                 else pa.nulls(rows.num_rows, pa.string()))
        since = dt.datetime.combine(cfg.watermark_since, dt.time(), dt.UTC)
        if not pa.types.is_timestamp(wm.type) or wm.type.tz is None:
            now, since = now.replace(tzinfo=None), since.replace(tzinfo=None)
        wanted = pc.case_when(pc.make_struct(pc.is_null(wm), pc.greater(wm, pa.scalar(now, wm.type)),
                                             pc.less(wm, pa.scalar(since, wm.type))),
                              "missing", "future", "past")
        if "_deleted" in rows.column_names:  # a tombstone carries no source watermark of its own
            wanted = pc.if_else(pc.fill_null(rows["_deleted"], False), pa.nulls(rows.num_rows, pa.string()), wanted)
        new = pc.if_else(pc.is_valid(flags), flags, wanted)
        changed = pc.sum(pc.cast(pc.and_(pc.is_null(flags), pc.is_valid(new)), pa.int64())).as_py() or 0
        if changed:
            fixed["flagged"] = changed
            rows = _put(rows, WATERMARK_FLAG, new.combine_chunks() if hasattr(new, "combine_chunks") else new)
    if not fixed:
        return {}
    rows = _put(rows, UNREPRESENTABLE, pa.array(raw, pa.string()))
    delta.write_arrow(rows, snapshot, mode="overwrite", schema_mode="merge",
                      metadata={"citylake.operation": "repair-bronze", "citylake.repaired": fixed})
    return fixed


def _put(rows: pa.Table, name: str, values) -> pa.Table:
    if name in rows.column_names:
        return rows.set_column(rows.column_names.index(name), pa.field(name, pa.string()), values)
    return rows.append_column(pa.field(name, pa.string()), values)


def repair_source(name: str, settings: Settings | None = None, directory: Path | None = None,
                  now: dt.datetime | None = None) -> dict[str, dict[str, int]]:
    """Repair every bronze table of source ``name``; returns what was fixed, per table."""
    settings = settings or get_settings()
    source = load_source(name, directory)
    now = now or dt.datetime.now(dt.UTC)
    done = {}
    for cfg in source.tables.values():
        for table, table_cfg in ((cfg.name, cfg), (f"_quarantine_{cfg.name}", None)):
            uri = bronze_uri(settings, source.source, table)
            if not delta.exists(uri):
                continue
            fixed = repair_table(uri, table_cfg, now)
            if fixed:
                log.warning("%s.%s repaired: %s", source.source, table, fixed)
                done[table] = fixed
    return done


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m ingestion.repair", description=__doc__.splitlines()[0])
    parser.add_argument("source", help="source name (ingestion/sources/<source>)")
    parser.add_argument("--sources-dir", type=Path, default=None, help="where source.yml files live")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(message)s")
    done = repair_source(args.source, directory=args.sources_dir)
    for table, fixed in done.items():
        print(f"{table}: {json.dumps(fixed)}")
    if not done:
        print(f"{args.source}: bronze is healthy, nothing to repair")
    return 0


if __name__ == "__main__":
    sys.exit(main())
