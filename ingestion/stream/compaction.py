"""Compaction of the stream's small files, and a safe vacuum.

A consumer commits every half second, so bronze/cameras/events gains a small file per batch and
partition: readers pay for each one. ``compact`` rewrites them into large files with delta-rs
OPTIMIZE (bin-packing, one commit per table; the rows are unchanged, and concurrent appends by the
consumer do not conflict with it). The replaced files stay referenced by older table versions
until ``vacuum`` removes them: its retention (7 days, Delta's default, and the minimum here)
keeps time travel and any reader that listed files before the compaction working.
"""
from __future__ import annotations

import datetime as dt

from citylake import delta
from citylake.settings import Settings

MIN_VACUUM_HOURS = 168


def _tables(settings: Settings) -> dict[str, tuple[str, str]]:
    from ingestion.stream.consumer import dead_letter_uri, events_uri

    return {"bronze/cameras/events": (events_uri(settings), "event_date"),
            "bronze/cameras/events_dead_letter": (dead_letter_uri(settings), "received_date")}


def compact(settings: Settings, older_than: dt.date | str | None = None,
            vacuum_retention_hours: int | None = None, target_size: int | None = None) -> dict[str, dict]:
    """OPTIMIZE compact both stream tables; returns, per table, files before/after and the metrics.

    ``older_than``: only partitions (UTC dates) strictly before it — closed days — else all.
    ``vacuum_retention_hours``: then vacuum files unreferenced for that long (at least 168).
    """
    if vacuum_retention_hours is not None and vacuum_retention_hours < MIN_VACUUM_HOURS:
        raise ValueError(f"vacuum retention under {MIN_VACUUM_HOURS} h could delete files a reader still needs")
    out = {}
    for name, (uri, partition) in _tables(settings).items():
        if not delta.exists(uri):
            continue
        table = delta.table(uri)
        before = len(table.file_uris())
        filters = None
        if older_than is not None:
            filters = [(partition, "<", str(older_than))]
        metrics = table.optimize.compact(partition_filters=filters, target_size=target_size)
        table.update_incremental()
        vacuumed = None
        if vacuum_retention_hours is not None:
            vacuumed = len(table.vacuum(retention_hours=vacuum_retention_hours, dry_run=False))
        out[name] = {"files_before": before, "files_after": len(table.file_uris()), "version": table.version(),
                     "metrics": metrics, "vacuumed": vacuumed}
    return out
