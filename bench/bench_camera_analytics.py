"""Camera analytics after a new hour of events: incremental by day vs a full rebuild, side by side.

A week of the fleet's 5-minute flows (the registry's cameras, as their edge analytics send them) goes
into bronze and through the camera jobs once. Then the next hour arrives, as it would every 15 minutes
of a running city, and the two ways of bringing the analytics up to date run one after the other on the
same lakehouse and the same Spark session:

* **incremental** (what the ``camera_analytics`` DAG does): silver events for the day the hour fell on,
  then the traffic windows and hotspots of the local days those events cover;
* **full**: the same two jobs with ``full=True``, every day rebuilt from all of bronze.

Both end in the same tables (the test suite checks that row for row; here the counts are compared).
The ratio grows with the history held: a week here, months in a city.

    .venv/bin/python bench/bench_camera_analytics.py --cameras 300 --days 7
"""
from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import shutil
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
os.environ.setdefault("CITYLAKE_RUN_DIR", str(REPO / ".run" / "bench-camera-analytics"))
os.environ.setdefault("CITYLAKE_PORT_BASE", "26700")
sys.path.insert(0, str(REPO))

import pyarrow as pa  # noqa: E402

from citylake import delta, events  # noqa: E402
from citylake.catalog import bronze_uri  # noqa: E402
from citylake.settings import Settings  # noqa: E402


def load_bronze(settings: Settings, sim, hours: float, end: dt.datetime, batch: int) -> int:
    """The fleet's flows over ``hours`` ending at ``end`` into bronze, as the stream consumer writes them
    (in commits of 250k events, as compaction would leave them)."""
    uri = bronze_uri(settings, "cameras", "events")
    rows: list[dict] = []
    total = 0

    def flush():
        nonlocal rows, total
        if rows:
            delta.write_arrow(pa.Table.from_pylist(rows, schema=events.BRONZE_SCHEMA), uri,
                              partition_by=["event_date"])
            total += len(rows)
            print(f"    bronze: {total:,} events, simulated up to {rows[-1]['date_observed']:%Y-%m-%d %H:%M}",
                  flush=True)
            rows = []

    for _, _, event in sim.replay_windows(hours, end):
        observed = dt.datetime.fromisoformat(event["dateObserved"].replace("Z", "+00:00"))
        published = observed + dt.timedelta(seconds=1)
        row = events.parse(events.encode(event, published), events.topic(event["cameraId"], event["type"]))
        rows.append({**row, "_ingested_at": published + dt.timedelta(seconds=1), "_batch": batch})
        if len(rows) >= 250_000:
            flush()
    flush()
    return total


def timed(label: str, fn):
    started = time.monotonic()
    out = fn()
    seconds = time.monotonic() - started
    print(f"  {label:<44} {seconds:>7.1f} s", flush=True)
    return out, seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cameras", type=int, default=300)
    parser.add_argument("--days", type=float, default=7.0)
    parser.add_argument("--keep", action="store_true", help="leave the services and the lakehouse in place")
    args = parser.parse_args()
    settings = Settings()
    shutil.rmtree(settings.lakehouse, ignore_errors=True)

    from citylake.services import postgres
    from citylake.spark import spark_session
    from ingestion.extract import extract_source
    from ingestion.reference import tables
    from simulators.departments import prepare_source
    from simulators.fleet import FleetSimulator, registry_cameras
    from spark_jobs import camera_analytics, camera_events, silver

    print(f"camera analytics: {args.cameras:,} cameras, {args.days:g} days of history, under {settings.run_dir}",
          flush=True)
    prepare_source(settings, "cameras", seed=settings.seed)
    extract_source("cameras", settings)
    spark = spark_session("bench-camera-analytics", settings)
    tables.write(settings)
    silver.run("cameras", settings, spark)

    sim = FleetSimulator(settings, registry_cameras(args.cameras, seed=settings.seed), progress=None)
    now = dt.datetime.now(dt.UTC)
    end = now.replace(minute=0, second=0, microsecond=0) - dt.timedelta(hours=1)
    history, _ = timed("generate the history into bronze", lambda: load_bronze(settings, sim, args.days * 24, end, 1))
    timed("first build: silver events", lambda: camera_events.run(settings, spark))
    timed("first build: analytics", lambda: camera_analytics.run(settings, spark))

    new, _ = timed("the next hour into bronze", lambda: load_bronze(settings, sim, 1, end + dt.timedelta(hours=1), 2))
    inc_events, t_inc_events = timed("incremental: silver events", lambda: camera_events.run(settings, spark))
    inc, t_inc = timed("incremental: analytics", lambda: camera_analytics.run(settings, spark))
    full_events, t_full_events = timed("full: silver events", lambda: camera_events.run(settings, spark, full=True))
    full, t_full = timed("full: analytics", lambda: camera_analytics.run(settings, spark, full=True))
    spark.stop()

    same = all(inc[k] == full[k] for k in camera_analytics.OUTPUTS)
    incremental, rebuild = t_inc_events + t_inc, t_full_events + t_full
    result = {"cameras": args.cameras, "days": args.days, "history_events": history, "new_events": new,
              "event_dates_rebuilt": inc_events["event_dates_rebuilt"],
              "local_dates_rebuilt": inc["local_dates_rebuilt"],
              "incremental_s": {"events": t_inc_events, "analytics": t_inc, "total": incremental},
              "full_s": {"events": t_full_events, "analytics": t_full, "total": rebuild},
              "rows": {k: full[k] for k in camera_analytics.OUTPUTS}, "same_row_counts": same}
    print(f"\nafter {new:,} new events on {history:,} held: incremental {incremental:.1f} s "
          f"(events {t_inc_events:.1f} s for {inc_events['event_dates_rebuilt']} day(s), analytics {t_inc:.1f} s "
          f"for {inc['local_dates_rebuilt']} local day(s)) vs full rebuild {rebuild:.1f} s "
          f"(events {t_full_events:.1f} s, analytics {t_full:.1f} s): {rebuild / incremental:.1f}× "
          f"(analytics alone {t_full / t_inc:.1f}×); same row counts: {same}", flush=True)
    out = settings.run_dir / "reports" / "bench_camera_analytics.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(result, indent=2, default=str))
    print(f"wrote {out}")
    if not same:
        raise SystemExit("incremental and full rebuild disagree")
    if not args.keep:
        postgres.stop(settings)


if __name__ == "__main__":
    main()
