"""Rows "restored from a backup" in a PostgreSQL source: committed now, stamped days ago, so far
beyond any extraction lookback that only a backfill of their date range can find them."""
from __future__ import annotations

import psycopg


def restore_rows(dsn: str, table: str, watermark: str, days_ago: list[int]) -> list[int]:
    """Copies of the table's first row under new ids, one per age; returns the new ids."""
    with psycopg.connect(dsn, autocommit=True) as conn:
        cols = [r[0] for r in conn.execute(
            "SELECT column_name FROM information_schema.columns WHERE table_schema || '.' || table_name = %s",
            (table,)).fetchall()]
        other = ", ".join(c for c in cols if c not in ("id", watermark))
        base = conn.execute(f"SELECT max(id) + 1000 FROM {table}").fetchone()[0]
        ids = [base + days for days in days_ago]
        for new_id, days in zip(ids, days_ago):
            conn.execute(f"INSERT INTO {table} (id, {other}, {watermark}) SELECT %s, {other}, "
                         f"now() - make_interval(days => %s) FROM {table} ORDER BY id LIMIT 1", (new_id, days))
    return ids
