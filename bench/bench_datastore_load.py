"""Loading a DataStore table: COPY (the publisher's path on the embedded portal) against
``datastore_upsert`` batches through the CKAN API, side by side, in rows per second.

The same table (shaped like the health facilities mart: text, numbers, dates, timestamps) goes into
two fresh DataStore tables of the same portal, once each way; then a second version of it (a tenth
of the rows changed, a hundredth gone, a hundredth new) is loaded into each, as the daily
republication does. Both tables are then compared row for row.

    .venv/bin/python bench/bench_datastore_load.py --rows 100000
"""
from __future__ import annotations

import argparse
import datetime as dt
import os
import sys
import time
import uuid
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
os.environ.setdefault("CITYLAKE_RUN_DIR", str(REPO / ".run" / "bench-datastore"))
os.environ.setdefault("CITYLAKE_PORT_BASE", "26800")
sys.path.insert(0, str(REPO))

import ckanapi  # noqa: E402
import numpy as np  # noqa: E402
import pyarrow as pa  # noqa: E402

from citylake.settings import Settings  # noqa: E402
from open_data.publish import CHUNK, _wanted_fields, datastore_rows, sync_datastore  # noqa: E402


def make_table(rows: int, seed: int, version: int = 0) -> pa.Table:
    rng = np.random.default_rng(seed)
    keys = [f"F{i:07d}" for i in range(rows)]
    start = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
    table = pa.table({
        "facility_id": keys,
        "name": [f"Phòng khám đa khoa số {i} — Quận {i % 24}" for i in range(rows)],
        "ward_name_2025": rng.choice(["Phường Bến Thành", "Phường Sài Gòn", "Xã Củ Chi", "Phường Thủ Đức"], rows),
        "beds": rng.integers(0, 800, rows),
        "latitude": rng.uniform(10.4, 11.2, rows),
        "longitude": rng.uniform(106.4, 107.0, rows),
        "licence_issued_on": pa.array([dt.date(2000, 1, 1) + dt.timedelta(days=int(d))
                                       for d in rng.integers(0, 9000, rows)], pa.date32()),
        "updated_at": pa.array([start + dt.timedelta(seconds=int(s)) for s in rng.integers(0, 10**7, rows)],
                               pa.timestamp("us", "UTC")),
    })
    if version:
        beds = table["beds"].to_numpy().copy()
        beds[rng.random(rows) < 0.1] += 1                       # a tenth changed
        keep = rng.random(rows) >= 0.01                          # a hundredth gone
        table = table.set_column(3, "beds", pa.array(beds)).filter(pa.array(keep))
        new = make_table(rows // 100, seed + 1)
        new = new.set_column(0, "facility_id", pa.array([f"N{i:07d}" for i in range(new.num_rows)]))
        table = pa.concat_tables([table, new])
    return table


def resource(api, package_id: str, name: str) -> str:
    return api.action.resource_create(package_id=package_id, name=name, url="http://127.0.0.1/none",
                                      format="CSV")["id"]


def timed(label: str, rows: int, fn) -> float:
    t0 = time.perf_counter()
    upserted, deleted = fn()
    seconds = time.perf_counter() - t0
    print(f"  {label:<44} {rows:>9,} rows  {seconds:7.2f} s  {rows / seconds:>10,.0f} rows/s"
          f"  (+{upserted:,}/-{deleted:,})", flush=True)
    return seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000)
    args = parser.parse_args()
    from citylake.services import ckan

    settings = Settings()
    ckan.start(settings)
    api = ckanapi.RemoteCKAN(settings.ckan_url, apikey=settings.ckan_api_token)
    suffix = uuid.uuid4().hex[:6]
    org = api.action.organization_create(name=f"bench-{suffix}", title=f"Bench {suffix}")
    package = api.action.package_create(
        name=f"bench-{suffix}", title="Bench", title_en="Bench", notes="Bench", notes_en="Bench",
        owner_org=org["id"], license_id="CC-BY-4.0", license_version="4.0", frequency="DAILY",
        publisher=[{"name": "Bench"}], contact=[{"name": "Bench", "email": "bench@citylake.invalid"}])
    by_api, by_copy = resource(api, package["id"], "upsert"), resource(api, package["id"], "copy")
    first, second = make_table(args.rows, 7), make_table(args.rows, 7, version=1)
    print(f"CKAN {api.action.status_show()['ckan_version']} at {settings.ckan_url}; "
          f"{len(_wanted_fields(first))} columns; datastore_upsert batches of {CHUNK:,}")
    results = {}
    for label, table in (("first load (empty table)", first), ("second version (10% changed, 1% +/-)", second)):
        print(label)
        results[("api", label)] = timed("datastore_upsert batches (API)", table.num_rows,
                                        lambda t=table: sync_datastore(api, by_api, t, "facility_id"))
        results[("copy", label)] = timed("COPY + merge by key (one transaction)", table.num_rows,
                                         lambda t=table: sync_datastore(api, by_copy, t, "facility_id",
                                                                        datastore_dsn=settings.ckan_datastore_dsn))
        print(f"  COPY is {results[('api', label)] / results[('copy', label)]:.1f}× faster")
    strip = [{k: v for k, v in r.items() if k != "_id"} for r in datastore_rows(api, by_api)]
    same = sorted(strip, key=lambda r: r["facility_id"]) == sorted(
        ({k: v for k, v in r.items() if k != "_id"} for r in datastore_rows(api, by_copy)),
        key=lambda r: r["facility_id"])
    print(f"both tables hold the same {len(strip):,} rows: {same}")
    api.action.dataset_purge(id=package["id"])
    from citylake.services import postgres, redis

    ckan.stop(settings)
    redis.stop(settings)
    postgres.stop(settings)


if __name__ == "__main__":
    main()
