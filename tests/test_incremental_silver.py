"""Incremental silver equals a full rebuild, row for row, on real simulated department sources.

Each source gets databases of its own (not the shared warehouse's) and a lakehouse of its own. Silver is
built in full, the source then lives through days of changes (the simulator's inserts, updates, hard
deletes, late-committed rows and its additive schema change, plus edits made here: a far-future
watermark later corrected, a late version that must not win, a business key that frees a duplicate),
each day is extracted and merged incrementally, and the result is compared with a full rebuild of a
copy of the same bronze in another lakehouse.
"""
from __future__ import annotations

import datetime as dt
import json
import shutil

import psycopg
import pyarrow as pa
import pyarrow.compute as pc
import pytest

from citylake import delta
from citylake.catalog import bronze_uri, silver_uri
from citylake.settings import Settings
from citylake.source_config import load_source
from ingestion.extract import extract_table
from simulators.departments import ensure_server, simulator
from spark_jobs import silver

SCALE = 0.004
VOLATILE = ("_silver_built_at", "quarantined_at")   # when a row was written, not what it says


@pytest.fixture
def lakehouses(tmp_path, monkeypatch):
    """Settings for the incremental lakehouse and for the full rebuild's (switched by ``use``)."""
    roots = {"incremental": tmp_path / "incremental", "full": tmp_path / "full"}

    def use(which: str) -> Settings:
        monkeypatch.setenv("CITYLAKE_LAKEHOUSE", str(roots[which]))
        return Settings()

    yield use
    shutil.rmtree(tmp_path, ignore_errors=True)


def _own_source(settings: Settings, name: str):
    """The source's simulator on a database of this test's (its day-one state), and its config pointed there."""
    source = load_source(name)
    database = f"incr_{source.database}"
    ensure_server(settings, source.kind, database)
    dsn = (settings.mariadb_dsn if source.kind == "mariadb" else settings.pg_dsn)(database)
    generator = simulator(name)
    generator.create(dsn, SCALE, 11, force=True)
    generator.advance(dsn)
    return source.model_copy(update={"database": database}), generator, dsn


def _extract(source, settings: Settings) -> None:
    for cfg in source.tables.values():
        extract_table(source, cfg, settings)


def _snapshot(settings: Settings, source) -> dict[str, list[dict]]:
    """Every silver table of the source and its quarantine, sorted, without write times."""
    names = [cfg.silver.name for cfg in source.tables.values() if cfg.silver] + ["quarantine"]
    out = {}
    for name in names:
        table = delta.read_arrow(silver_uri(settings, source.domain, name))
        table = table.drop_columns([c for c in VOLATILE if c in table.column_names])
        rows = [json.dumps(r, sort_keys=True, default=str) for r in table.to_pylist()]
        out[name] = sorted(rows)
    return out


def _full_rebuild_of(use, source, spark) -> dict[str, list[dict]]:
    """A full rebuild from a copy of the incremental lakehouse's bronze, in the other lakehouse."""
    incremental, full = use("incremental"), use("full")
    shutil.rmtree(full.lakehouse, ignore_errors=True)
    shutil.copytree(f"{incremental.lakehouse}/bronze/{source.source}", f"{full.lakehouse}/bronze/{source.source}")
    silver.run(source.name, full, spark, full_rebuild=True)
    rebuilt = _snapshot(full, source)
    use("incremental")
    return rebuilt


def _modes(settings: Settings, source) -> dict[str, str]:
    return {cfg.silver.name: silver.built_from(silver_uri(settings, source.domain, cfg.silver.name))["mode"]
            for cfg in source.tables.values() if cfg.silver}


def _assert_same(incremental: dict, full: dict) -> None:
    assert incremental.keys() == full.keys()
    for name in full:
        assert len(incremental[name]) == len(full[name]), name
        diff = set(incremental[name]) ^ set(full[name])
        assert not diff, (name, sorted(diff)[:4])


@pytest.mark.parametrize("name", ["one_stop", "land"])
def test_incremental_silver_equals_a_full_rebuild_day_after_day(name, postgres, mariadb, spark, lakehouses):
    settings = lakehouses("incremental")
    source, generator, dsn = _own_source(settings, name)
    _extract(source, settings)
    silver.run(name, settings, spark)
    assert set(_modes(settings, source).values()) == {"full"}        # nothing built yet: a full build
    day_one = _snapshot(settings, source)

    generator.advance(dsn)                # day two: the simulator's changes and its additive schema change
    edits = _edit(source, dsn, settings) if source.kind == "postgresql" else {}
    _extract(source, settings)
    grown = [cfg.name for cfg in source.tables.values()
             if set(_columns(settings, source, cfg)) - set(_columns(settings, source, cfg, version=0)) - {"_deleted"}]
    assert grown, "the schema change did not reach bronze"
    assert _bronze_changes(settings, source)["tombstones"] > 0
    silver.run(name, settings, spark)
    assert set(_modes(settings, source).values()) == {"incremental"}
    day_two = _snapshot(settings, source)
    assert day_two != day_one
    _assert_same(day_two, _full_rebuild_of(lakehouses, source, spark))
    if edits:
        _check_edits(settings, source, edits, day_one)

    generator.advance(dsn)                # day three, and the far-future watermark corrected at the source
    if edits:
        _execute(dsn, f"UPDATE motcua.ho_so SET ma_co_quan = 'CORRECTED', ngay_cap_nhat = now() "
                      f"WHERE id = {edits['future']}")
    _extract(source, settings)
    silver.run(name, settings, spark)
    assert set(_modes(settings, source).values()) == {"incremental"}
    day_three = _snapshot(settings, source)
    _assert_same(day_three, _full_rebuild_of(lakehouses, source, spark))
    if edits:   # a version extracted after a far-future one wins, though its watermark is older
        assert _dossier(settings, edits["future"])["agency_code"] == "CORRECTED"
    _readers_agree(settings, source)

    # a rerun with nothing new in bronze writes nothing
    versions = {n: delta.table(silver_uri(settings, source.domain, n)).version() for n in day_three}
    silver.run(name, settings, spark)
    assert {n: delta.table(silver_uri(settings, source.domain, n)).version() for n in day_three} == versions


def test_rewritten_bronze_or_changed_logic_rebuilds_in_full(postgres, spark, lakehouses, monkeypatch):
    settings = lakehouses("incremental")
    source, generator, dsn = _own_source(settings, "one_stop")
    _extract(source, settings)
    silver.run("one_stop", settings, spark)
    built = _snapshot(settings, source)
    # a rewrite of bronze (as a repair does; rows unchanged): the files added since are not the new rows
    dossiers = bronze_uri(settings, source.source, "dossiers")
    delta.write_arrow(delta.read_arrow(dossiers), dossiers, mode="overwrite")
    versions = {n: delta.table(silver_uri(settings, source.domain, n)).version() for n in built}
    silver.run("one_stop", settings, spark)
    assert _modes(settings, source)["dossiers"] == "full"
    rewritten = {n for n in built if delta.table(silver_uri(settings, source.domain, n)).version() != versions[n]}
    assert rewritten == {"dossiers", "quarantine"}       # the other tables had nothing new: nothing written
    assert _snapshot(settings, source) == built
    monkeypatch.setattr(silver, "LOGIC_VERSION", silver.LOGIC_VERSION + 1)
    generator.advance(dsn)
    _extract(source, settings)
    silver.run("one_stop", settings, spark)
    assert set(_modes(settings, source).values()) == {"full"}
    _assert_same(_snapshot(settings, source), _full_rebuild_of(lakehouses, source, spark))


def test_a_flagged_watermark_does_not_win_over_a_later_extracted_version(spark):
    from spark_jobs.common import latest_versions

    far = dt.datetime(2999, 1, 1)
    day = dt.datetime(2026, 1, 1)
    rows = [  # key, watermark, batch, flag
        (1, far, 1, "future"), (1, day, 2, None),              # the far-future version came first
        (2, day, 1, None), (2, None, 2, "missing"),             # a later version without a watermark
        (3, day, 1, None), (3, far, 2, "future"), (3, day - dt.timedelta(days=1), 3, None),  # then a late one
        (4, day, 1, None), (4, day - dt.timedelta(days=1), 2, None),   # trusted: the watermark decides
    ]
    df = spark.createDataFrame(rows, "id long, wm timestamp, _batch_seq long, _watermark_flag string")
    latest = {r["id"]: r["_batch_seq"] for r in latest_versions(df, ["id"], "wm").collect()}
    assert latest == {1: 2, 2: 2, 3: 2, 4: 1}


# -- helpers for the one_stop edits --

def _execute(dsn: str, sql: str, params=()) -> list:
    with psycopg.connect(dsn, autocommit=True) as conn:
        cur = conn.execute(sql, params)
        return cur.fetchall() if cur.description else []


def _edit(source, dsn: str, settings: Settings) -> dict:
    """A far-future watermark, a late version older than bronze's, a hard delete, and the first of a
    duplicated dossier code renamed (so the copy becomes the record)."""
    quarantine = delta.read_arrow(silver_uri(settings, source.domain, "quarantine")).to_pylist()
    dup = next(r for r in quarantine if r["source_table"] == "dossiers" and r["reason"].startswith("duplicate"))
    first = int(dup["reason"].rsplit(" ", 1)[1])
    [(future,), (gone,)] = _execute(dsn, "SELECT id FROM motcua.ho_so WHERE id NOT IN (%s, %s) "
                                         "ORDER BY ngay_cap_nhat DESC, id LIMIT 2", (first, int(dup["source_key"])))
    # the late version: one minute older than the version bronze holds (within the extractor's lookback)
    held = delta.read_arrow(bronze_uri(settings, source.source, "dossiers"), columns=["id", "ngay_cap_nhat"])
    held = held.sort_by([("ngay_cap_nhat", "descending")]).to_pylist()
    late, stamp = next((r["id"], r["ngay_cap_nhat"]) for r in held
                       if r["id"] not in (future, gone, first, int(dup["source_key"])))
    _execute(dsn, f"UPDATE motcua.ho_so SET ma_co_quan = 'FUTURE', ngay_cap_nhat = '2999-01-01' WHERE id = {future}")
    _execute(dsn, "UPDATE motcua.ho_so SET ma_co_quan = 'LATE', ngay_cap_nhat = %s WHERE id = %s",
             (stamp - dt.timedelta(minutes=1), late))
    _execute(dsn, f"DELETE FROM motcua.ho_so WHERE id = {gone}")
    _execute(dsn, f"UPDATE motcua.ho_so SET ma_ho_so = ma_ho_so || '-R', ngay_cap_nhat = now() WHERE id = {first}")
    return {"future": future, "late": late, "gone": gone, "freed": int(dup["source_key"])}


def _dossier(settings: Settings, dossier_id: int) -> dict | None:
    table = delta.read_arrow(silver_uri(settings, "one_stop", "dossiers"))
    found = table.filter(pc.equal(table["dossier_id"], dossier_id)).to_pylist()
    return found[0] if found else None


def _check_edits(settings: Settings, source, edits: dict, day_one: dict) -> None:
    assert _dossier(settings, edits["gone"]) is None
    late = _dossier(settings, edits["late"])
    assert late is None or late["agency_code"] != "LATE"          # older than what bronze held: it lost
    versions = delta.read_arrow(bronze_uri(settings, source.source, "dossiers"), columns=["id", "ma_co_quan"])
    assert "LATE" in versions.filter(pc.equal(versions["id"], edits["late"]))["ma_co_quan"].to_pylist()
    freed = _dossier(settings, edits["freed"])
    assert freed is not None, "the copy of a renamed dossier code should now be the record"
    assert not any(f'"source_key": "{edits["freed"]}"' in r for r in day_one["dossiers"])


def _readers_agree(settings: Settings, source) -> None:
    """After the merges, pyarrow, DuckDB and Polars filter each table alike on a text column."""
    from readers import filtered_reads, view_typed_files

    names = [cfg.silver.name for cfg in source.tables.values() if cfg.silver] + ["quarantine"]
    for name in names:
        uri = silver_uri(settings, source.domain, name)
        assert not view_typed_files(uri), name
        table = delta.read_arrow(uri)
        column = next(f.name for f in table.schema if pa.types.is_string(f.type) and table[f.name].null_count == 0)
        middle = sorted(table[column].to_pylist())[table.num_rows // 2]
        reads = filtered_reads(uri, column, middle)
        assert reads["pyarrow"] == reads["duckdb"] == reads["polars"], name
        assert len(reads["pyarrow"]) >= table.num_rows // 2, name


def _columns(settings: Settings, source, cfg, version: int | None = None) -> list[str]:
    return pa.schema(delta.table(bronze_uri(settings, source.source, cfg.name), version=version)
                     .schema().to_arrow()).names


def _bronze_changes(settings: Settings, source) -> dict:
    tombstones = 0
    for cfg in source.tables.values():
        bronze = delta.read_arrow(bronze_uri(settings, source.source, cfg.name))
        if "_deleted" in bronze.column_names:
            tombstones += pc.sum(pc.fill_null(bronze["_deleted"], False).cast("int8")).as_py() or 0
    return {"tombstones": tombstones}
