"""The whole warehouse at a scale factor on this machine: wall time and peak memory per stage.

Stages, in the order a day runs: generate each department database (the demo's stand-in for the
departments; not the platform's cost), extract each source to bronze, build each source's silver
with Spark, write the reference tables, ``dbt build`` the dimensions and leadership marts, audit
the marts with Great Expectations, render the leadership report. Memory is the peak resident set
of this process and its children (the Spark JVM among them) plus the database servers, sampled
every 0.2 s while the stage runs. The summary says where the time goes.

    .venv/bin/python bench/bench_warehouse.py --scale 10        # SF10: ~10M dossiers, ~25M history rows
"""
from __future__ import annotations

import argparse
import json
import os
import re
import sys
import threading
import time
from contextlib import contextmanager
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
os.environ.setdefault("CITYLAKE_RUN_DIR", str(REPO / ".run" / "bench-warehouse"))
os.environ.setdefault("CITYLAKE_PORT_BASE", "26400")
sys.path.insert(0, str(REPO))

import psutil  # noqa: E402
from servers import database_servers  # noqa: E402

from citylake.settings import Settings  # noqa: E402

STAGES: list[dict] = []


def _rss(roots: list[psutil.Process]) -> int:
    total, seen = 0, set()
    for root in roots:
        try:
            for proc in [root, *root.children(recursive=True)]:
                if proc.pid not in seen:
                    seen.add(proc.pid)
                    total += proc.memory_info().rss
        except psutil.Error:
            continue
    return total


@contextmanager
def stage(name: str, settings: Settings, rows: int | None = None):
    peak, stop = [0], threading.Event()
    roots = [psutil.Process(), *database_servers(settings)]

    def sample():
        while not stop.is_set():
            peak[0] = max(peak[0], _rss(roots))
            stop.wait(0.2)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    started = time.monotonic()
    record = {"stage": name, "rows": rows}
    try:
        yield record
    finally:
        stop.set()
        sampler.join()
        record.update(seconds=time.monotonic() - started, peak_mib=peak[0] / 2**20)
        STAGES.append(record)
        rows_txt = f"{record['rows']:>12,} rows" if record.get("rows") else " " * 17
        print(f"  {name:<34} {record['seconds']:>8.1f} s  {rows_txt}  peak {record['peak_mib']:>7,.0f} MiB",
              flush=True)


def _dbt_build(settings: Settings, duckdb_path: Path, copy_sources: bool = False) -> None:
    """``dbt build`` of the dimensions and leadership marts in a process of its own (its peak memory is
    its own, not what an earlier build left in this one). ``copy_sources`` builds from a copy of the
    project whose sources are copied into DuckDB as tables and DuckDB's memory unbounded, as before
    they were read in place."""
    import shutil
    import subprocess
    import tempfile

    from citylake.dbt import DBT_PROJECT, dbt_env

    with tempfile.TemporaryDirectory(dir=settings.run_dir) as tmp:
        project = DBT_PROJECT
        if copy_sources:
            project = Path(tmp) / "dbt"
            shutil.copytree(DBT_PROJECT, project, ignore=shutil.ignore_patterns("target", "logs"))
            for yml in project.glob("models/staging/*/_*__sources.yml"):
                yml.write_text(yml.read_text().replace("materialization: view", "materialization: table"))
            # and DuckDB's memory as it was then: no limit of ours (its default, 80 % of the machine)
            profile = project / "profiles.yml"
            profile.write_text(re.sub(r"\n      settings:\n(        .*\n)+", "\n", profile.read_text()))
        duckdb_path.parent.mkdir(parents=True, exist_ok=True)
        duckdb_path.unlink(missing_ok=True)
        env = {**os.environ, **dbt_env(settings, duckdb_path)}
        subprocess.run([str(Path(sys.executable).parent / "dbt"), "build", "--select", "+marts.core +marts.leadership",
                        "--project-dir", str(project), "--profiles-dir", str(project), "--target-path",
                        f"{tmp}/target", "--log-path", f"{tmp}/logs", "--quiet"], env=env, check=True)


def _end_spark(spark) -> None:
    """Stop the session and end its JVM: under the scheduler dbt runs in a task process of its own, with
    no Spark beside it, so the dbt stage's peak must not count a JVM that silver left resident."""
    from pyspark import SparkContext

    spark.stop()
    gateway = SparkContext._gateway
    proc = getattr(gateway, "proc", None)
    if proc is not None:
        gateway.shutdown()
        proc.stdin.close()      # the gateway server exits on EOF of its stdin
        proc.wait(timeout=120)
        SparkContext._gateway = SparkContext._jvm = None


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", type=float, default=10.0)
    parser.add_argument("--sources", nargs="*", help="default: every configured source")
    parser.add_argument("--keep", action="store_true", help="leave the services and data in place")
    parser.add_argument("--next-day", action="store_true",
                        help="keep the previous run's lakehouse: one more day of changes, the incremental run")
    parser.add_argument("--dbt-copy-too", action="store_true",
                        help="also build the marts the former way (sources copied into DuckDB), side by side")
    args = parser.parse_args()
    os.environ["CITYLAKE_SCALE"] = str(args.scale)
    settings = Settings()
    # a cold lakehouse and warehouse: every stage does the full work at this scale (a lakehouse left
    # by another run would make extraction incremental and silver small). The source databases are
    # kept: regenerating them is skipped when scale and seed match. --next-day keeps the lakehouse
    # and warehouse of the previous run: the sources live one more day, and the platform's run is
    # the incremental one a day costs.
    import shutil

    if not args.next_day:
        shutil.rmtree(settings.lakehouse, ignore_errors=True)
        shutil.rmtree(settings.warehouse_duckdb.parent, ignore_errors=True)
    elif not Path(settings.lakehouse).exists():
        raise SystemExit(f"--next-day needs the lakehouse of a previous run at {settings.lakehouse}")

    from citylake.dbt import marts
    from citylake.spark import spark_session
    from expectations.gates import audit_marts
    from ingestion.extract import extract_source
    from ingestion.freshness import check_and_record
    from ingestion.reference import tables
    from orchestration.assets import warehouse_sources
    from reporting.leadership import build_report
    from simulators.departments import prepare_source
    from spark_jobs import health_silver, silver

    names = args.sources or ["health"] + [s.name for s in warehouse_sources()]
    print(f"warehouse at SF{args.scale:g}{', the next day' if args.next_day else ''} under {settings.run_dir} "
          f"({psutil.cpu_count()} cores, "
          f"{psutil.virtual_memory().total / 2**30:.0f} GiB)", flush=True)
    t0 = time.monotonic()
    for name in names:
        with stage(f"{'advance' if args.next_day else 'generate'} {name}", settings) as rec:
            made = prepare_source(settings, name, scale=args.scale, advance=True)
            rec["rows"] = sum(v for k, v in made.items() if isinstance(v, int) and k not in ("step",))
    for name in names:
        with stage(f"extract {name}", settings) as rec:
            rec["rows"] = sum(b.rows_read for b in extract_source(name, settings))
    with stage("spark session start", settings):
        spark = spark_session("bench-warehouse", settings)
    with stage("reference tables", settings):
        tables.write(settings)
    for name in names:
        with stage(f"silver {name}", settings) as rec:
            counts = health_silver.run(settings, spark) if name == "health" else silver.run(name, settings, spark)
            rec["rows"] = sum(counts.values())
    _end_spark(spark)
    with stage("dbt build (dims + leadership marts)", settings):
        _dbt_build(settings, settings.warehouse_duckdb)
    if args.dbt_copy_too:   # the former way, side by side: every source copied into DuckDB first
        with stage("dbt build, sources copied (before)", settings):
            _dbt_build(settings, settings.warehouse_duckdb.parent / "sources_copied.duckdb", copy_sources=True)
    with stage("audit marts (Great Expectations)", settings):
        audit_marts(marts(("leadership",)), settings=settings)
    with stage("freshness + leadership report", settings):
        check_and_record(settings, fail=False)
        build_report(settings.warehouse_duckdb, settings.reports_dir)
    total = time.monotonic() - t0

    platform = [s for s in STAGES
                if not s["stage"].startswith(("generate", "advance")) and "(before)" not in s["stage"]]
    platform_time = sum(s["seconds"] for s in platform)
    print(f"\nSF{args.scale:g}: {total / 60:.1f} min in all, {platform_time / 60:.1f} min of it the platform "
          f"(generation excluded); peak memory {max(s['peak_mib'] for s in STAGES):,.0f} MiB")
    print("where the platform's time goes:")
    groups: dict[str, float] = {}
    for s in platform:
        groups[s["stage"].split(" ")[0]] = groups.get(s["stage"].split(" ")[0], 0) + s["seconds"]
    for group, seconds in sorted(groups.items(), key=lambda kv: -kv[1]):
        print(f"  {group:<12} {seconds:>8.1f} s  {100 * seconds / platform_time:5.1f} %")
    if args.dbt_copy_too:
        now, before = (next(s for s in STAGES if s["stage"].startswith(p)) for p in ("dbt build (", "dbt build, "))
        print(f"dbt build, sources read in place vs copied: {now['seconds']:.1f} s vs {before['seconds']:.1f} s "
              f"({before['seconds'] / now['seconds']:.2f}x), peak {now['peak_mib']:,.0f} MiB vs "
              f"{before['peak_mib']:,.0f} MiB ({before['peak_mib'] / now['peak_mib']:.2f}x less memory)")
    out = settings.reports_dir / f"bench_warehouse_sf{args.scale:g}{'_next_day' if args.next_day else ''}.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps({"scale": args.scale, "next_day": args.next_day, "total_seconds": total,
                               "stages": STAGES}, indent=2))
    print(f"stage table: {out}")
    if not args.keep:
        from citylake.services import mariadb, postgres

        mariadb.stop(settings)
        postgres.stop(settings)


if __name__ == "__main__":
    main()
