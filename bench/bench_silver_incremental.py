"""Silver for the next day's changes: incremental (merge what changed) against a full rebuild, side by side.

Per source: generate the department database at a scale, extract it and build silver in full (day
one); the source then lives one more day (inserts, updates, hard deletes, late rows, on day two its
additive schema change) and that day is extracted. The same bronze is then brought to silver twice,
in one Spark session: a full rebuild in a copy of the lakehouse, and the incremental run in the
original; both must hold the same rows. Times are wall seconds on this machine.

    .venv/bin/python bench/bench_silver_incremental.py --scale 0.02 --sources one_stop hotline
"""
from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
os.environ.setdefault("CITYLAKE_RUN_DIR", str(REPO / ".run" / "bench-silver-incremental"))
os.environ.setdefault("CITYLAKE_PORT_BASE", "26500")
sys.path.insert(0, str(REPO))

from citylake.settings import Settings  # noqa: E402


def _lakehouse(root: Path) -> Settings:
    os.environ["CITYLAKE_LAKEHOUSE"] = str(root)
    return Settings()


def _rows(settings: Settings, source) -> dict[str, int]:
    from citylake import delta
    from citylake.catalog import silver_uri

    names = [c.silver.name for c in source.tables.values() if c.silver] + ["quarantine"]
    return {n: delta.table(silver_uri(settings, source.domain, n)).count() for n in names}


def _content(settings: Settings, source) -> dict[str, list[str]]:
    """Every silver row of the source (quarantine included), sorted, without the times it was written."""
    from citylake import delta
    from citylake.catalog import silver_uri

    out = {}
    for n in [c.silver.name for c in source.tables.values() if c.silver] + ["quarantine"]:
        table = delta.read_arrow(silver_uri(settings, source.domain, n))
        table = table.drop_columns([c for c in ("_silver_built_at", "quarantined_at") if c in table.column_names])
        out[n] = sorted(json.dumps(r, sort_keys=True, default=str) for r in table.to_pylist())
    return out


def _bronze_rows(settings: Settings, source, since: dict[str, int]) -> int:
    """Rows the day added to bronze (the incremental run's input)."""
    from citylake import delta
    from citylake.catalog import bronze_uri

    total = 0
    for cfg in source.tables.values():
        table = delta.table(bronze_uri(settings, source.source, cfg.name))
        total += table.count() - delta.table(table.table_uri, version=since[cfg.name]).count()
    return total


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", type=float, default=0.02)
    parser.add_argument("--seed", type=int, default=11)
    parser.add_argument("--sources", nargs="*", default=["one_stop", "hotline"])
    args = parser.parse_args()
    base = Settings()
    roots = {"incremental": base.run_dir / "lakehouse-incremental", "full": base.run_dir / "lakehouse-full"}
    for root in roots.values():
        shutil.rmtree(root, ignore_errors=True)

    from citylake import delta
    from citylake.catalog import bronze_uri, silver_uri
    from citylake.source_config import load_source
    from citylake.spark import spark_session
    from ingestion.extract import extract_source
    from simulators.departments import prepare_source, simulator
    from spark_jobs import silver

    settings = _lakehouse(roots["incremental"])
    spark = spark_session("bench-silver-incremental", settings)
    results = []
    print(f"silver for the next day's changes at SF{args.scale:g} (seed {args.seed}), {os.cpu_count()} cores",
          flush=True)
    for name in args.sources:
        source = load_source(name)
        settings = _lakehouse(roots["incremental"])
        prepare_source(settings, name, scale=args.scale, seed=args.seed, force=True, advance=True)
        extract_source(name, settings)
        silver.run(name, settings, spark)                       # day one, in full
        day_one = {cfg.name: delta.table(bronze_uri(settings, source.source, cfg.name)).version()
                   for cfg in source.tables.values()}
        simulator(name).advance(source.dsn(settings, owner=True))
        extract_source(name, settings)                          # day two into bronze
        changed = _bronze_rows(settings, source, day_one)
        held = sum(delta.table(bronze_uri(settings, source.source, c.name)).count() for c in source.tables.values())

        full = _lakehouse(roots["full"])
        shutil.rmtree(f"{full.lakehouse}/bronze/{source.source}", ignore_errors=True)
        shutil.copytree(f"{settings.lakehouse}/bronze/{source.source}", f"{full.lakehouse}/bronze/{source.source}")
        started = time.monotonic()
        full_phases: dict = {}
        silver.run(name, full, spark, full_rebuild=True, timings=full_phases)
        full_s = time.monotonic() - started

        settings = _lakehouse(roots["incremental"])
        started = time.monotonic()
        phases: dict = {}
        silver.run(name, settings, spark, timings=phases)
        incremental_s = time.monotonic() - started
        modes = {c.silver.name: silver.built_from(silver_uri(settings, source.domain, c.silver.name))["mode"]
                 for c in source.tables.values() if c.silver}
        same = _content(settings, source) == _content(full, source)
        results.append({"source": name, "bronze_rows": held, "bronze_rows_added": changed,
                        "full_seconds": full_s, "incremental_seconds": incremental_s,
                        "speedup": full_s / incremental_s, "incremental_share": incremental_s / full_s,
                        "modes": modes, "same_rows": same, "full_phases": full_phases,
                        "incremental_phases": phases,
                        "silver_rows": _rows(settings, source)})
        print(f"  {name:<10} bronze {held:>9,} rows, +{changed:>7,} today   full {full_s:7.1f} s   "
              f"incremental {incremental_s:7.1f} s   {full_s / incremental_s:4.1f}×   "
              f"same rows: {same}", flush=True)
        for table, times in phases.items():
            print(f"    {table:<28} " + ", ".join(f"{p} {t:.1f} s" for p, t in times.items()), flush=True)
    spark.stop()
    out = base.reports_dir / f"bench_silver_incremental_sf{args.scale:g}.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps({"scale": args.scale, "seed": args.seed, "cores": os.cpu_count(),
                               "sources": results}, indent=2))
    print(f"results: {out}")


if __name__ == "__main__":
    main()
