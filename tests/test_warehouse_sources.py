"""Every department source through the config-driven path, against real PostgreSQL and MariaDB:
generated → bronze (exactly once, deletes, schema evolution, backfill) → Spark silver → audit,
and the freshness check over all of them."""
from __future__ import annotations

import datetime as dt

import psycopg
import pyarrow as pa
import pyarrow.compute as pc
import pytest
from restored_rows import restore_rows

from citylake import delta
from citylake.catalog import bronze_uri, silver_uri
from citylake.settings import Settings
from citylake.source_config import load_source
from ingestion.extract import SchemaIncompatible, extract_source, extract_table
from simulators.departments import prepare_source, simulator
from spark_jobs import silver

SCALE = 0.004


def _sources():
    from orchestration.assets import warehouse_sources

    return [s.name for s in warehouse_sources()]


def test_every_source_lands_in_bronze_and_silver_without_personal_data(warehouse):
    settings, first = warehouse
    assert len(first) >= 9
    for name, batches in first.items():
        source = load_source(name)
        assert all(b.rows_added > 0 for b in batches), (name, [str(b) for b in batches])
        for cfg in source.tables.values():
            bronze = delta.table(bronze_uri(settings, source.source, cfg.name))
            names = pa.schema(bronze.schema().to_arrow()).names
            assert {"_batch_id", "_batch_seq", "_extracted_at", "_source_system", "_deleted"} <= set(names)
            if cfg.silver is None:
                continue
            table = delta.read_arrow(silver_uri(settings, source.domain, cfg.silver.name))
            assert table.num_rows > 0, (name, cfg.name)
            assert not set(cfg.personal_data) & set(table.column_names), (name, cfg.name)
            for key in cfg.silver.pseudonymise:
                values = [v for v in table[key].to_pylist() if v is not None]
                assert values and all(len(v) == 64 for v in values), (name, key)


def test_quarantine_keeps_every_rejected_row_with_its_reason(warehouse):
    settings, _ = warehouse
    seen_reasons = set()
    for name in _sources():
        source = load_source(name)
        quarantine = delta.read_arrow(silver_uri(settings, source.domain, "quarantine"))
        assert pc.all(pc.invert(pc.is_null(quarantine["reason"]))).as_py() in (True, None)
        seen_reasons |= {r.split(":")[0] for r in quarantine["reason"].to_pylist()}
        for cfg in source.tables.values():
            if cfg.silver is None:
                continue
            # nothing is lost: every live key is either in silver or in quarantine
            bronze = delta.read_arrow(bronze_uri(settings, source.source, cfg.name))
            live = _live_keys(bronze, cfg)
            kept = delta.read_arrow(silver_uri(settings, source.domain, cfg.silver.name)).num_rows
            rejected = sum(1 for t in quarantine["source_table"].to_pylist() if t == cfg.name)
            assert kept + rejected == live, (name, cfg.name, kept, rejected, live)
    assert {"ward not found", "check failed"} <= seen_reasons


def _live_keys(bronze: pa.Table, cfg) -> int:
    import duckdb

    con = duckdb.connect()
    con.register("b", bronze)
    keys = ", ".join(cfg.key)
    return con.sql(f"""SELECT count(*) FROM (SELECT * FROM b QUALIFY row_number() OVER (
                       PARTITION BY {keys} ORDER BY {cfg.watermark} DESC, _batch_seq DESC) = 1)
                       WHERE NOT coalesce(_deleted, false)""").fetchone()[0]


def test_rerun_adds_nothing(warehouse):
    settings, _ = warehouse
    for name in _sources():
        again = extract_source(name, settings)
        assert sum(b.rows_added for b in again) == 0, (name, [str(b) for b in again])


def test_a_day_of_changes_flows_with_deletes_and_an_additive_schema_change(warehouse, spark):
    import connectorx as cx

    settings, _ = warehouse
    for name in _sources():
        source = load_source(name)
        generator = simulator(source.name)
        dsn = source.dsn(settings, owner=True)
        generator.advance(dsn)
        generator.advance(dsn)  # by now every source is past its second day, which adds a column
        batches = extract_source(name, settings)
        assert sum(b.rows_added for b in batches) > 0, name
        grown = []
        for cfg in source.tables.values():
            uri = bronze_uri(settings, source.source, cfg.name)
            now_cols = set(pa.schema(delta.table(uri).schema().to_arrow()).names)
            first_cols = set(pa.schema(delta.table(uri, version=0).schema().to_arrow()).names)
            at_source = set(cx.read_sql(dsn, f"SELECT * FROM {cfg.query_table} LIMIT 1", return_type="arrow")
                            .column_names)
            assert at_source <= now_cols, (name, cfg.name, at_source - now_cols)
            grown += sorted(now_cols - first_cols - {"_deleted"})
        assert grown, f"{name}: the schema change did not reach bronze"
        silver.run(name, settings, spark)
        for cfg in source.tables.values():
            if cfg.delete_detection != "keys":
                continue
            bronze = delta.read_arrow(bronze_uri(settings, source.source, cfg.name))
            deleted = bronze.filter(pc.equal(bronze["_deleted"], True))
            assert deleted.num_rows > 0, f"{name}.{cfg.name}: hard deletes were not detected"
            if cfg.silver is not None:
                silver_key = next(n for n, e in cfg.silver.columns.items() if e.strip() == cfg.key[0])
                kept = set(delta.read_arrow(silver_uri(settings, source.domain, cfg.silver.name),
                                            columns=[silver_key])[silver_key].to_pylist())
                assert not kept & set(deleted[cfg.key[0]].to_pylist())


def test_backfill_window_adds_what_the_lookback_missed_and_only_once(warehouse):
    settings, _ = warehouse
    source = load_source("inspection")
    cfg = next(iter(source.tables.values()))
    # a row restored from a backup: committed now, stamped three days ago (far beyond the lookback)
    [new_id] = restore_rows(source.dsn(settings, owner=True), cfg.query_table, cfg.watermark, [3])
    assert extract_table(source, cfg, settings).rows_added == 0
    now = dt.datetime.now(dt.UTC)
    window = (now - dt.timedelta(days=4), now)
    first = extract_table(source, cfg, settings, window=window)
    assert first.rows_added == 1
    assert extract_table(source, cfg, settings, window=window).rows_added == 0
    ids = delta.read_arrow(bronze_uri(settings, source.source, cfg.name), columns=["id"])["id"].to_pylist()
    assert ids.count(new_id) == 1


def test_freshness_flags_sources_past_their_deadline(warehouse):
    from ingestion.freshness import SourcesLate, check, check_and_record

    settings, _ = warehouse
    now = check(settings)
    fresh = {r["source"]: r for r in now.to_pylist()}
    for name in _sources():
        assert not fresh[name]["is_late"], fresh[name]
    later = dt.datetime.now(dt.UTC) + dt.timedelta(hours=30)
    late = {r["source"] for r in check(settings, later).to_pylist() if r["is_late"]}
    daily = {name for name in _sources() if load_source(name).freshness_hours < 30}
    assert daily and daily <= late
    assert not late & {name for name in _sources() if load_source(name).freshness_hours > 100}
    with pytest.raises(SourcesLate, match="missed their deadline"):
        check_and_record(settings, fail=True, now=later)


def test_incompatible_schema_change_stops_that_source_only(warehouse):
    settings, _ = warehouse
    source = load_source("schools")
    cfg = next(c for c in source.tables.values() if len(c.key) == 1)
    with psycopg.connect(source.dsn(settings, owner=True), autocommit=True) as conn:
        column = conn.execute(
            "SELECT column_name FROM information_schema.columns WHERE table_schema || '.' || table_name = %s "
            "AND data_type IN ('integer', 'bigint', 'smallint') AND column_name <> 'id' LIMIT 1",
            (cfg.query_table,)).fetchone()[0]
        conn.execute(f"ALTER TABLE {cfg.query_table} ALTER COLUMN {column} TYPE text")
        conn.execute(f"UPDATE {cfg.query_table} SET {cfg.watermark} = now() WHERE id IN "
                     f"(SELECT id FROM {cfg.query_table} ORDER BY id LIMIT 3)")
    with pytest.raises(SchemaIncompatible, match=column):
        extract_table(source, cfg, settings)
    parked = delta.read_arrow(bronze_uri(settings, source.source, "_quarantine_batches")).to_pylist()
    assert parked[-1]["table"] == cfg.name and parked[-1]["rows"] >= 3 and column in parked[-1]["reason"]
    assert pa.parquet.read_table(parked[-1]["path"]).num_rows == parked[-1]["rows"]
    # the other sources go on
    assert all(b.batch_id is not None or b.rows_added == 0 for b in extract_source("hotline", settings))
    prepare_source(settings, "schools", scale=SCALE, seed=11, force=True)  # leave it usable


def test_generators_are_deterministic(postgres, mariadb):
    """Same seed and step, same rows (a scratch database each, apart from the warehouse's)."""
    from simulators.departments import ensure_server

    settings = Settings()
    for name in ("inspection", "land"):
        source = load_source(name)
        generator = simulator(source.name)
        ensure_server(settings, source.kind, "determinism_check")
        dsn = (settings.mariadb_dsn if source.kind == "mariadb" else settings.pg_dsn)("determinism_check")
        sums = []
        for _ in range(2):
            generator.create(dsn, SCALE, 5, force=True)
            generator.advance(dsn, 1)
            sums.append(_checksums(source, dsn))
        generator.create(dsn, SCALE, 6, force=True)
        assert sums[0] == sums[1], name
        assert _checksums(source, dsn) != sums[0], f"{name}: another seed should give other data"


def _checksums(source, dsn: str) -> dict:
    import connectorx as cx

    out = {}
    for cfg in source.tables.values():
        cols = [c for c in cx.read_sql(dsn, f"SELECT * FROM {cfg.query_table} LIMIT 1",
                                       return_type="arrow").column_names if c != cfg.watermark]
        rows = cx.read_sql(dsn, f"SELECT {', '.join(cols)} FROM {cfg.query_table}",
                           return_type="arrow")
        out[cfg.name] = (rows.num_rows, hash(tuple(map(str, rows.sort_by([(k, "ascending") for k in cfg.key])
                                                       .to_pylist()))))
    return out
