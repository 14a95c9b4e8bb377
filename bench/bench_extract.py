"""Extraction throughput: citylake's extractor vs ``pandas.read_sql`` → parquet, side by side.

Both read the same department tables from the same server (PostgreSQL or MariaDB), in the same
process, alternating, several rounds; the median of each is compared. citylake's run does more
work than the baseline (batch metadata, null-key quarantine, a Delta commit with statistics and
an app transaction) and still has to win.

    .venv/bin/python bench/bench_extract.py [--sources one_stop land] [--scale 1] [--rounds 3]

Scale 1 (SF1) is about 1M one-stop dossiers with 2.5M status-history rows, and 400k land parcels.
The table printed at the end puts each source table's two rates and their ratio side by side, with
the server it was read from, the CPU seconds each side cost (this process, all its threads, plus the
database server) and the machine's load average at the start and the end: the other work on a shared
machine slows both sides' wall time, not always alike, but not their CPU. The same goes to
``<run dir>/reports/bench_extract.json`` with every round's figures.
"""
from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import shutil
import statistics
import sys
import tempfile
import time
from functools import partial
from pathlib import Path

import psutil

REPO = Path(__file__).resolve().parent.parent
os.environ.setdefault("CITYLAKE_RUN_DIR", str(REPO / ".run" / "bench"))
os.environ.setdefault("CITYLAKE_PORT_BASE", "26300")
sys.path.insert(0, str(REPO))

from servers import database_servers  # noqa: E402

from citylake.settings import Settings  # noqa: E402
from citylake.source_config import load_source  # noqa: E402
from ingestion.extract import extract_table  # noqa: E402
from simulators.departments import prepare_source  # noqa: E402

BASELINE = "pandas.read_sql → parquet"
OURS = "citylake extract → Delta"


def _cpu(servers: list[psutil.Process]) -> tuple[float, float]:
    """CPU seconds so far of (this process, the database servers): all threads, and the PostgreSQL
    backends, live or ended. Unlike wall time, what the other work on a shared machine cannot inflate."""
    mine = psutil.Process().cpu_times()
    total = 0.0
    for server in servers:
        try:
            t = server.cpu_times()
            total += t.user + t.system + t.children_user + t.children_system
            for child in server.children(recursive=True):
                c = child.cpu_times()
                total += c.user + c.system
        except psutil.Error:
            continue
    return mine.user + mine.system, total


def _timed(servers: list[psutil.Process], run) -> tuple[object, float, float, float]:
    """``run()``'s result, wall seconds, and this process's and the servers' CPU seconds meanwhile."""
    client, server, t = *_cpu(servers), time.monotonic()
    out = run()
    wall = time.monotonic() - t
    client_after, server_after = _cpu(servers)
    return out, wall, client_after - client, server_after - server


def _sqlalchemy_url(dsn: str) -> str:
    if dsn.startswith("mysql://"):
        return dsn.replace("mysql://", "mysql+pymysql://", 1) + "?charset=utf8mb4"
    return dsn.replace("postgresql://", "postgresql+psycopg://", 1)


def baseline(dsn: str, query_table: str, out: Path) -> int:
    """What a team writes first: pandas over SQLAlchemy, then parquet."""
    import pandas as pd
    import sqlalchemy

    engine = sqlalchemy.create_engine(_sqlalchemy_url(dsn))
    with engine.connect() as conn:
        frame = pd.read_sql(f"SELECT * FROM {query_table}", conn)
    frame.to_parquet(out / f"{query_table}.parquet", index=False)
    engine.dispose()
    return len(frame)


def bench_source(settings: Settings, name: str, rounds: int) -> dict[str, dict]:
    source = load_source(name)
    dsn = source.dsn(settings)
    servers = database_servers(settings)
    results: dict[str, dict] = {}
    for cfg in source.tables.values():
        entry = results.setdefault(f"{name}.{cfg.name}", {"source": name, "table": cfg.name, "server": source.kind,
                                                          "rows": 0, BASELINE: [], OURS: [], "cpu": {BASELINE: [],
                                                                                                     OURS: []}})
        for round_no in range(rounds):
            scratch = Path(tempfile.mkdtemp(prefix="bench-"))
            try:
                rows_a, wall, client, server = _timed(servers, partial(baseline, dsn, cfg.query_table, scratch))
                entry[BASELINE].append(rows_a / wall)
                entry["cpu"][BASELINE].append({"client": client, "server": server})
                os.environ["CITYLAKE_LAKEHOUSE"] = str(scratch / "lakehouse")
                batch, wall, client, server = _timed(servers, lambda cfg=cfg: extract_table(source, cfg, Settings()))
                entry[OURS].append((batch.rows_added + batch.rows_quarantined) / wall)
                entry["cpu"][OURS].append({"client": client, "server": server})
                assert rows_a == batch.rows_read, (rows_a, batch.rows_read)
                entry["rows"] = rows_a
            finally:
                shutil.rmtree(scratch, ignore_errors=True)
            print(f"  {name}.{cfg.name} round {round_no + 1}: {rows_a:,} rows", flush=True)
    return results


def _load(averages: tuple[float, float, float]) -> str:
    return " / ".join(f"{a:.1f}" for a in averages) + " (1, 5, 15 min)"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sources", nargs="+", default=["one_stop", "land"])
    parser.add_argument("--scale", type=float, default=1.0, help="SF1 = about 1M one-stop dossiers")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--keep-services", action="store_true")
    args = parser.parse_args()
    settings = Settings()
    results = {}
    for name in args.sources:
        t = time.monotonic()
        made = prepare_source(settings, name, scale=args.scale, seed=1)
        print(f"{name} at scale {args.scale}: {made} ({time.monotonic() - t:.1f}s)", flush=True)
        if name == args.sources[0]:
            load_start = os.getloadavg()
        results.update(bench_source(settings, name, args.rounds))
    load_end = os.getloadavg()
    print(f"\nrows per second, median of {args.rounds} rounds alternating, same machine, same run "
          f"({os.cpu_count()} cores; load average {_load(load_start)} at the start, {_load(load_end)} at the end)")
    print(f"{'table':<30} {'server':<10} {'rows':>10}  {BASELINE:>26}  {OURS:>24}  ratio   "
          f"CPU s, this process + server: {'pandas':>13}  {'citylake':>13}  ratio")
    for table, entry in results.items():
        entry[BASELINE + " median"] = base = statistics.median(entry[BASELINE])
        entry[OURS + " median"] = ours = statistics.median(entry[OURS])
        entry["ratio"] = round(ours / base, 2)
        cpu = {side: {part: statistics.median(r[part] for r in entry["cpu"][side]) for part in ("client", "server")}
               for side in (BASELINE, OURS)}
        entry["cpu median"] = cpu
        base_cpu, ours_cpu = (sum(cpu[side].values()) for side in (BASELINE, OURS))
        entry["cpu ratio"] = round(base_cpu / ours_cpu, 2)
        print(f"{table:<30} {entry['server']:<10} {entry['rows']:>10,}  {base:>20,.0f} rows/s  "
              f"{ours:>18,.0f} rows/s  {ours / base:5.1f}×   {'':>30}"
              f"{cpu[BASELINE]['client']:>6.2f} + {cpu[BASELINE]['server']:<4.2f}  "
              f"{cpu[OURS]['client']:>6.2f} + {cpu[OURS]['server']:<4.2f}  {base_cpu / ours_cpu:5.1f}×")
    report = {"finished_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"), "scale": args.scale,
              "rounds": args.rounds, "cores": os.cpu_count(), "load_average_start": load_start,
              "load_average_end": load_end, "baseline": BASELINE, "ours": OURS, "tables": results}
    out = settings.reports_dir / "bench_extract.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(report, indent=2, ensure_ascii=False))
    print(f"written to {out}")
    if not args.keep_services:
        from citylake.services import mariadb, postgres

        mariadb.stop(settings)
        postgres.stop(settings)


if __name__ == "__main__":
    main()
