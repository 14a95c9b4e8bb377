"""Extraction throughput: citylake's extractor vs ``pandas.read_sql`` → parquet, side by side.

Both read the same Health department tables from the same PostgreSQL, in the same process,
alternating, several rounds; the median of each is compared. citylake's run does more work than
the baseline (row hashing, batch metadata, a Delta commit with statistics) and still has to win.

    .venv/bin/python bench/bench_extract.py [--scale 5] [--rounds 3]
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
os.environ.setdefault("CITYLAKE_PORT_BASE", "56300")
sys.path.insert(0, str(REPO))

from citylake.services import postgres  # noqa: E402
from citylake.settings import Settings  # noqa: E402
from ingestion.config import load_source  # noqa: E402
from ingestion.extract import extract_table  # noqa: E402
from ingestion.sources.health import generator  # noqa: E402


def baseline(settings: Settings, query_table: str, out: Path) -> int:
    import pandas as pd
    import sqlalchemy

    engine = sqlalchemy.create_engine(settings.health_source_dsn.replace("postgresql://", "postgresql+psycopg://"))
    with engine.connect() as conn:
        frame = pd.read_sql(f"SELECT * FROM {query_table}", conn)
    frame.to_parquet(out / f"{query_table}.parquet", index=False)
    engine.dispose()
    return len(frame)


def citylake_run(source, cfg) -> int:
    return extract_table(source, cfg).rows_added


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", type=float, default=5.0, help="1.0 = 10k facilities + 80k certificates")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--keep-services", action="store_true")
    args = parser.parse_args()
    settings = Settings()
    postgres.start(settings)
    postgres.ensure_database(settings, "health_dept")
    t = time.monotonic()
    made = generator.create(settings.health_source_dsn, args.scale, seed=1)
    print(f"source at scale {args.scale}: {made} ({time.monotonic() - t:.1f}s)", flush=True)
    source = load_source("health")
    results: dict[str, dict[str, list[float]]] = {}
    for cfg in source.tables.values():
        timings = results.setdefault(cfg.name, {"pandas.read_sql → parquet": [], "citylake extract → Delta": []})
        for round_no in range(args.rounds):
            scratch = Path(tempfile.mkdtemp(prefix="bench-"))
            try:
                t = time.monotonic()
                rows_a = baseline(settings, cfg.query_table, scratch)
                timings["pandas.read_sql → parquet"].append(rows_a / (time.monotonic() - t))
                os.environ["CITYLAKE_LAKEHOUSE"] = str(scratch / "lakehouse")
                t = time.monotonic()
                rows_b = citylake_run(source, cfg)
                timings["citylake extract → Delta"].append(rows_b / (time.monotonic() - t))
                assert rows_a == rows_b, (rows_a, rows_b)
            finally:
                shutil.rmtree(scratch, ignore_errors=True)
            print(f"  {cfg.name} round {round_no + 1}: {rows_a} rows", flush=True)
    print("\nrows per second (median of rounds, same machine, same run)")
    for table, timings in results.items():
        base, ours = (statistics.median(v) for v in timings.values())
        print(f"{table:<24} pandas.read_sql→parquet {base:>10,.0f}   citylake→Delta {ours:>10,.0f}   "
              f"ratio {ours / base:5.1f}×")
    if not args.keep_services:
        postgres.stop(settings)


if __name__ == "__main__":
    main()
