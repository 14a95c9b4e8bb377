"""Has every source delivered within the update frequency agreed with its owner?

Per source: when it was last extracted successfully (the extraction log) and how new its newest
row is (bronze watermark statistics, no data scan). A source is late when either is older than its
``freshness_hours``: the pipeline did not run, or the department stopped sending. The result is a
table (for the leadership report) and, from the Airflow task, a failure naming the late sources.
"""
from __future__ import annotations

import datetime as dt

import pyarrow as pa

from citylake import delta
from citylake.catalog import bronze_uri
from citylake.settings import Settings, get_settings
from citylake.source_config import all_sources
from ingestion.extract import bronze_watermark, extract_log_uri

SCHEMA = pa.schema([
    ("source", pa.string()), ("owner", pa.string()), ("update_frequency", pa.string()),
    ("freshness_hours", pa.float64()), ("last_batch_at", pa.timestamp("us", "UTC")),
    ("last_data_at", pa.timestamp("us", "UTC")), ("hours_since", pa.float64()), ("is_late", pa.bool_()),
    ("reason", pa.string()), ("checked_at", pa.timestamp("us", "UTC")),
])


class SourcesLate(RuntimeError):
    """One or more sources missed their agreed update deadline."""


def _last_extractions(settings: Settings) -> dict[str, dt.datetime]:
    uri = extract_log_uri(settings)
    if not delta.exists(uri):
        return {}
    log = delta.read_arrow(uri, columns=["source", "finished_at"]).to_pylist()
    out: dict[str, dt.datetime] = {}
    for row in log:
        if row["source"] not in out or row["finished_at"] > out[row["source"]]:
            out[row["source"]] = row["finished_at"]
    return out


def check(settings: Settings | None = None, now: dt.datetime | None = None) -> pa.Table:
    settings = settings or get_settings()
    now = now or dt.datetime.now(dt.UTC)
    extracted = _last_extractions(settings)
    rows = []
    for src in all_sources():
        newest = None
        for cfg in src.tables.values():
            uri = bronze_uri(settings, src.source, cfg.name)
            if delta.exists(uri):
                mark = bronze_watermark(delta.table(uri), cfg.watermark)
                newest = mark if newest is None or (mark and mark > newest) else newest
        last_run = extracted.get(src.name)
        run_age = (now - last_run).total_seconds() / 3600 if last_run else None
        data_age = (now - newest).total_seconds() / 3600 if newest else None
        hours = max(run_age, data_age) if run_age is not None and data_age is not None else None
        if last_run is None:
            reason = "never extracted"
        elif newest is None:
            reason = "no rows in bronze"
        elif run_age > src.freshness_hours:
            reason = f"last extraction {run_age:.0f} h ago"
        elif data_age > src.freshness_hours:
            reason = f"newest row {data_age:.0f} h old"
        else:
            reason = None
        rows.append({"source": src.name, "owner": src.owner, "update_frequency": src.update_frequency,
                     "freshness_hours": src.freshness_hours, "last_batch_at": last_run,
                     "last_data_at": newest, "hours_since": hours, "is_late": reason is not None,
                     "reason": reason or f"within {src.freshness_hours:.0f} h", "checked_at": now})
    return pa.Table.from_pylist(rows, SCHEMA)


def freshness_uri(settings: Settings) -> str:
    return f"{settings.lakehouse.rstrip('/')}/silver/_platform/source_freshness"


def recorded(settings: Settings | None = None) -> pa.Table | None:
    """The last recorded check, or None when it never ran."""
    settings = settings or get_settings()
    uri = freshness_uri(settings)
    return delta.read_arrow(uri) if delta.exists(uri) else None


def check_and_record(settings: Settings | None = None, fail: bool = True,
                     now: dt.datetime | None = None) -> pa.Table:
    """Check, keep the result (a Delta table the report reads), then fail if any is late."""
    settings = settings or get_settings()
    result = check(settings, now)
    delta.write_arrow(result, freshness_uri(settings), mode="overwrite", schema_mode="overwrite")
    late = [f"{r['source']} ({r['reason']})" for r in result.to_pylist() if r["is_late"]]
    if late and fail:
        raise SourcesLate(f"{len(late)} source(s) missed their deadline: {', '.join(late)}")
    return result
