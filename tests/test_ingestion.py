"""Extraction from the real Health department PostgreSQL into bronze: incremental, exactly once."""
from __future__ import annotations

import threading

import duckdb
import psycopg
import pytest
from deltalake.exceptions import CommitFailedError

from citylake import delta
from citylake.catalog import bronze_uri
from citylake.settings import Settings
from citylake.source_config import load_source
from ingestion.extract import extract_source, extract_table
from simulators.departments.health import generator


def _bronze(table: str):
    return delta.read_arrow(bronze_uri(Settings(), "health_dept", table))


def _source_rows(dsn: str, table: str) -> int:
    with psycopg.connect(dsn) as conn:
        return conn.execute(f"SELECT count(*) FROM {table}").fetchone()[0]


def _each_version_once(bronze) -> bool:
    """No source row version (all source columns equal) is in bronze twice."""
    source_columns = [c for c in bronze.column_names if not c.startswith("_")]
    return bronze.group_by(source_columns).aggregate([]).num_rows == bronze.num_rows


def _latest_matches_source(dsn: str, cfg) -> None:
    """Every current source row is in bronze, and bronze's latest version of each key is it."""
    bronze = delta.read_arrow(bronze_uri(Settings(), "health_dept", cfg.name))
    con = duckdb.connect()
    con.register("bronze", bronze)
    latest = con.execute(f"""SELECT id, {cfg.watermark} AS w FROM bronze
                             QUALIFY row_number() OVER (PARTITION BY id ORDER BY {cfg.watermark} DESC,
                                                        _batch_seq DESC) = 1""").arrow().read_all()
    with psycopg.connect(dsn) as conn:
        source = {r[0]: r[1] for r in conn.execute(f"SELECT id, {cfg.watermark} FROM {cfg.query_table}")}
    got = dict(zip(latest["id"].to_pylist(), latest["w"].to_pylist()))
    assert got.keys() == source.keys()
    assert all(got[k] == source[k] for k in source)


def test_first_run_loads_everything_and_rerun_adds_nothing(health_source, lakehouse):
    results = extract_source("health")
    assert [r.rows_added for r in results] == [
        _source_rows(health_source, "yte.co_so_kcb"), _source_rows(health_source, "yte.chung_chi_hanh_nghe")]
    facilities = _bronze("facilities")
    assert set(facilities["_batch_id"].to_pylist()) == {"health_dept.facilities.00000001"}
    assert facilities["_batch_seq"].null_count == 0 and facilities["_extracted_at"].null_count == 0
    assert facilities["_source_system"].unique().to_pylist() == ["health_dept"]
    version = delta.table(bronze_uri(Settings(), "health_dept", "facilities")).version()
    again = extract_source("health")
    assert [r.rows_added for r in again] == [0, 0]
    assert delta.table(bronze_uri(Settings(), "health_dept", "facilities")).version() == version
    assert _bronze("facilities").num_rows == facilities.num_rows


def test_changes_revocations_and_late_rows_arrive_once(health_source, lakehouse):
    source = load_source("health")
    extract_source("health")
    day = generator.advance(health_source)
    results = {r.table: r for r in extract_source("health")}
    # every edit, revocation and new row (late-committed ones included) is a new version
    assert results["facilities"].rows_added == day["facilities_edited"] + day["facilities_added"]
    assert results["practice_certificates"].rows_added >= day["certificates_added"]
    assert results["facilities"].batch_id.endswith("00000002")
    for cfg in source.tables.values():
        _latest_matches_source(health_source, cfg)
    bronze = _bronze("practice_certificates")
    assert _each_version_once(bronze)
    revoked = [s for s in bronze.filter(bronze["_batch_seq"].to_numpy() == 2)["trang_thai"].to_pylist()]
    assert "Đã thu hồi" in revoked
    assert delta.table(bronze_uri(Settings(), "health_dept", "facilities")).transaction_version(
        "citylake.ingest.health_dept.facilities") == 2


def test_a_run_overtaken_by_another_commits_nothing(health_source, lakehouse, monkeypatch):
    """Run A takes its snapshot; run B extracts and commits while A is still reading; A must fail
    to commit (Airflow retries it) rather than add B's rows a second time."""
    import ingestion.extract as extract

    cfg = load_source("health")
    table = cfg.tables["facilities"]
    extract_table(cfg, table)
    generator.advance(health_source)
    real_read, overtaken = extract._read, []

    def read_while_another_run_commits(*args, **kwargs):
        if not overtaken:
            overtaken.append(None)
            overtaken[0] = extract_table(cfg, table)  # run B, start to finish
        return real_read(*args, **kwargs)

    monkeypatch.setattr(extract, "_read", read_while_another_run_commits)
    with pytest.raises(CommitFailedError):
        extract_table(cfg, table)  # run A
    monkeypatch.setattr(extract, "_read", real_read)
    assert overtaken[0].rows_added > 0
    assert extract_table(cfg, table).rows_added == 0  # A's retry finds nothing new
    bronze = _bronze("facilities")
    assert _each_version_once(bronze)
    _latest_matches_source(health_source, table)


def test_racing_threads_never_duplicate(health_source, lakehouse):
    cfg = load_source("health")
    extract_table(cfg, cfg.tables["facilities"])
    generator.advance(health_source)
    barrier = threading.Barrier(2)

    def run():
        barrier.wait()
        try:
            extract_table(cfg, cfg.tables["facilities"])
        except CommitFailedError:  # the loser of the race; Airflow retries it
            pass

    threads = [threading.Thread(target=run) for _ in range(2)]
    [t.start() for t in threads]
    [t.join() for t in threads]
    extract_table(cfg, cfg.tables["facilities"])  # the retry
    bronze = _bronze("facilities")
    assert _each_version_once(bronze)
    _latest_matches_source(health_source, cfg.tables["facilities"])


def test_unknown_source_is_a_clear_error():
    with pytest.raises(FileNotFoundError, match="no source config"):
        load_source("no_such_department")
