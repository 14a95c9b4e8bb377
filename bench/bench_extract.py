"""Extraction throughput: citylake's extractor vs ``pandas.read_sql`` → parquet, side by side.

Both read the same department tables from the same server (PostgreSQL or MariaDB), in the same
process, alternating, several rounds; the median of each is compared. citylake's run does more
work than the baseline (batch metadata, null-key quarantine, a Delta commit with statistics and
an app transaction) and still has to win.

    .venv/bin/python bench/bench_extract.py [--sources one_stop land] [--scale 1] [--rounds 3]

Scale 1 (SF1) is about 1M one-stop dossiers with 2.5M status-history rows, and 400k land parcels.
"""
from __future__ import annotations

import argparse
import os
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
os.environ.setdefault("CITYLAKE_RUN_DIR", str(REPO / ".run" / "bench"))
os.environ.setdefault("CITYLAKE_PORT_BASE", "26300")
sys.path.insert(0, str(REPO))

from citylake.settings import Settings  # noqa: E402
from citylake.source_config import load_source  # noqa: E402
from ingestion.extract import extract_table  # noqa: E402
from simulators.departments import prepare_source  # noqa: E402

BASELINE = "pandas.read_sql → parquet"
OURS = "citylake extract → Delta"


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


def bench_source(settings: Settings, name: str, rounds: int) -> dict[str, dict[str, list[float]]]:
    source = load_source(name)
    dsn = source.dsn(settings)
    results: dict[str, dict[str, list[float]]] = {}
    for cfg in source.tables.values():
        timings = results.setdefault(f"{name}.{cfg.name}", {BASELINE: [], OURS: []})
        for round_no in range(rounds):
            scratch = Path(tempfile.mkdtemp(prefix="bench-"))
            try:
                t = time.monotonic()
                rows_a = baseline(dsn, cfg.query_table, scratch)
                timings[BASELINE].append(rows_a / (time.monotonic() - t))
                os.environ["CITYLAKE_LAKEHOUSE"] = str(scratch / "lakehouse")
                t = time.monotonic()
                batch = extract_table(source, cfg, Settings())
                timings[OURS].append((batch.rows_added + batch.rows_quarantined) / (time.monotonic() - t))
                assert rows_a == batch.rows_read, (rows_a, batch.rows_read)
            finally:
                shutil.rmtree(scratch, ignore_errors=True)
            print(f"  {name}.{cfg.name} round {round_no + 1}: {rows_a:,} rows", flush=True)
    return results


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
        results.update(bench_source(settings, name, args.rounds))
    print(f"\nrows per second (median of {args.rounds} rounds, same machine, same run)")
    for table, timings in results.items():
        base, ours = (statistics.median(v) for v in timings.values())
        print(f"{table:<36} {BASELINE} {base:>10,.0f}   {OURS} {ours:>10,.0f}   ratio {ours / base:5.1f}×")
    if not args.keep_services:
        from citylake.services import mariadb, postgres

        mariadb.stop(settings)
        postgres.stop(settings)


if __name__ == "__main__":
    main()
