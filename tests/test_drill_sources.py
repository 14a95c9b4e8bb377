"""Drills against the real PostgreSQL and MariaDB: values bronze cannot hold, untrusted watermarks,
deterministic versus transient failures, repairing a damaged bronze table, and the Delta bridge's limits."""
from __future__ import annotations

import datetime as dt
import json

import connectorx as cx
import duckdb
import psycopg
import pyarrow as pa
import pytest
from deltalake import DeltaTable, write_deltalake

import ingestion.extract as extract
from citylake import delta
from citylake.catalog import bronze_uri
from citylake.services.mariadb import connect as mariadb_connect
from citylake.settings import Settings
from citylake.source_config import load_source
from ingestion.extract import UNREPRESENTABLE, WATERMARK_FLAG, UnextractableValue, extract_table
from ingestion.repair import main as repair_main
from simulators.departments import ensure_server

# (id, column, value as the source accepts it): every one is something bronze cannot hold as is
PG_CASES = [(2, "d", "infinity"), (3, "d", "-infinity"), (4, "d", "10000-01-01"), (5, "d", "0044-03-15 BC"),
            (6, "ts", "infinity"), (7, "ts", "-infinity"), (8, "tz", "infinity"), (9, "tz", "-infinity"),
            (10, "n", "NaN"), (11, "nu", "Infinity"), (12, "nu", "-Infinity"), (13, "nu", "1e30"),
            (15, "tz", "12000-06-01 00:00:00+00")]
MARIADB_CASES = [(2, "d", "0000-00-00"), (3, "d", "2024-00-00"), (4, "d", "2024-05-00"),
                 (5, "dt", "0000-00-00 00:00:00"), (6, "dt", "2024-01-00 10:00:00"),
                 (7, "ts", "0000-00-00 00:00:00"), (8, "n", "1e30")]
# Delta has no time-of-day type: kept as the source's text, whatever it is (PostgreSQL's 24:00, MariaDB's durations)
TIME_TEXT = {"pg": ("t", ["24:00:00", "10:30:00"]), "mariadb": ("tm", ["838:59:59", "-10:00:00", "10:30:00"])}

PG_DDL = """DROP SCHEMA IF EXISTS drill CASCADE; CREATE SCHEMA drill;
CREATE TABLE drill.gia_tri (id bigint PRIMARY KEY, d date, ts timestamp, tz timestamptz, n numeric(20,0),
  nu numeric, t time, f float8, iv interval, ghi_chu text, ngay_cap_nhat timestamptz NOT NULL DEFAULT now())"""
MARIADB_DDL = ["DROP TABLE IF EXISTS gia_tri",
               """CREATE TABLE gia_tri (id BIGINT NOT NULL PRIMARY KEY, d DATE, dt DATETIME(6), ts TIMESTAMP(6) NULL,
                  n DECIMAL(40,5), tm TIME, ghi_chu VARCHAR(64), ngay_cap_nhat DATETIME(6) NOT NULL)"""]


class Db:
    """One drill database: run statements (zero dates allowed on MariaDB) and read the source's text."""

    def __init__(self, kind: str, dsn: str):
        self.kind, self.dsn = kind, dsn
        self.now = "now()" if kind == "pg" else "UTC_TIMESTAMP(6)"

    def run(self, *sql: str) -> None:
        if self.kind == "pg":
            with psycopg.connect(self.dsn, autocommit=True) as conn:
                for s in sql:
                    conn.execute(s)
            return
        conn = mariadb_connect(self.dsn)
        try:
            with conn.cursor() as cur:
                cur.execute("SET SESSION sql_mode = ''")  # what legacy applications run with
                for s in sql:
                    cur.execute(s)
        finally:
            conn.close()

    def text(self, key: int, column: str) -> str:
        """The value as the source itself prints it: what bronze must keep."""
        cast = f"CAST(`{column}` AS CHAR)" if self.kind == "mariadb" else f'"{column}"::text'
        table = "gia_tri" if self.kind == "mariadb" else "drill.gia_tri"
        sql = f"SELECT {cast} AS v FROM {table} WHERE id = {key}"
        if self.kind == "pg":
            with psycopg.connect(self.dsn) as conn:
                return conn.execute(sql).fetchone()[0]
        return cx.read_sql(self.dsn, sql, return_type="arrow")["v"][0].as_py()


def _write_source(tmp_path, kind: str, database: str, query_table: str):
    folder = tmp_path / "sources" / "drill"
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "source.yml").write_text(f"""
source: drill_{kind}
owner: "drill"
kind: {'postgresql' if kind == 'pg' else 'mariadb'}
database: {database}
update_frequency: daily
freshness_hours: 26
tables:
  values:
    query_table: {query_table}
    key: [id]
    watermark: ngay_cap_nhat
    lookback_minutes: 60
""")
    return load_source("drill", tmp_path / "sources")


@pytest.fixture(params=["pg", "mariadb"])
def drill(request, lakehouse, tmp_path):
    """A drill table on the real server of each kind, and its source config."""
    settings = request.getfixturevalue("postgres" if request.param == "pg" else "mariadb")
    if request.param == "pg":
        ensure_server(settings, "postgresql", "drill_pg")
        db = Db("pg", settings.pg_dsn("drill_pg"))
        db.run(PG_DDL)
        source = _write_source(tmp_path, "pg", "drill_pg", "drill.gia_tri")
    else:
        ensure_server(settings, "mariadb", "drill_my")
        db = Db("mariadb", settings.mariadb_dsn("drill_my"))
        db.run(*MARIADB_DDL)
        source = _write_source(tmp_path, "mariadb", "drill_my", "gia_tri")
    return db, source, source.tables["values"]


def _bronze(source, table: str = "values") -> pa.Table:
    return delta.read_arrow(bronze_uri(Settings(), source.source, table))


def _by_id(rows: pa.Table) -> dict:
    """The latest version of each key, as Python values (this is where damaged bronze used to fail)."""
    latest = {}
    for r in sorted(rows.to_pylist(), key=lambda r: r["_batch_seq"]):
        latest[r["id"]] = r
    return latest


def test_every_value_the_source_accepts_is_extracted(drill):
    db, source, cfg = drill
    cases = PG_CASES if db.kind == "pg" else MARIADB_CASES
    extra = ", f, iv" if db.kind == "pg" else ""
    extra_values = ", 'NaN', '1 day 02:00'" if db.kind == "pg" else ""
    table = cfg.query_table
    db.run(f"INSERT INTO {table} (id, d, n, ghi_chu{extra}, ngay_cap_nhat) "
           f"VALUES (1, '2024-03-01', 5000000000, 'bình thường'{extra_values}, {db.now})",
           *[f"INSERT INTO {table} (id, {col}, ngay_cap_nhat) VALUES ({key}, '{value}', {db.now})"
             for key, col, value in cases])
    time_col, times = TIME_TEXT[db.kind]
    db.run(*[f"INSERT INTO {table} (id, {time_col}, ngay_cap_nhat) VALUES ({100 + i}, '{v}', {db.now})"
             for i, v in enumerate(times)])
    expected = {key: (col, db.text(key, col)) for key, col, _ in cases}
    first = extract_table(source, cfg, Settings())
    assert first.rows_added == len(cases) + len(times) + 1
    rows = _by_id(_bronze(source))  # readable as Python values: nothing out of range reached bronze
    assert [rows[100 + i][time_col] for i in range(len(times))] == times
    assert rows[1][UNREPRESENTABLE] is None and rows[1]["d"] == dt.date(2024, 3, 1)
    if db.kind == "pg":
        assert rows[1]["f"] != rows[1]["f"]  # a float NaN is a value Arrow holds: kept as NaN
        assert rows[1]["iv"] == "1 day 02:00:00"  # a type connectorx cannot read arrives as text
    for key, (col, raw) in expected.items():
        assert rows[key][col] is None, (key, col)
        assert json.loads(rows[key][UNREPRESENTABLE]) == {col: raw}, key
    # every reader sees the same rows: DuckDB over the snapshot's parquet files, and the Delta reader
    files = DeltaTable(bronze_uri(Settings(), source.source, "values")).file_uris()
    con = duckdb.connect()
    con.execute("SET TimeZone = 'UTC'")
    listed = ", ".join(f"'{f}'" for f in files)
    got = con.execute(f"SELECT id, {UNREPRESENTABLE} FROM read_parquet([{listed}]) ORDER BY id").fetchall()
    assert got == [(k, rows[k][UNREPRESENTABLE]) for k in sorted(rows)]
    # rerun: nothing new; fixing a value at the source gives one new version with nothing raw left
    assert extract_table(source, cfg, Settings()).rows_added == 0
    fixed_key, fixed_col, _ = cases[0]
    db.run(f"UPDATE {table} SET {fixed_col} = NULL, ngay_cap_nhat = {db.now} WHERE id = {fixed_key}")
    assert extract_table(source, cfg, Settings()).rows_added == 1
    assert _by_id(_bronze(source))[fixed_key][UNREPRESENTABLE] is None


def test_far_watermarks_are_extracted_flagged_and_do_not_hide_later_rows(drill):
    db, source, cfg = drill
    table = cfg.query_table
    db.run(f"INSERT INTO {table} (id, ghi_chu, ngay_cap_nhat) VALUES (1, 'a', {db.now}), (2, 'b', {db.now})")
    extract_table(source, cfg, Settings())
    past = "0001-01-01 00:00:00" if db.kind == "pg" else "0000-00-00 00:00:00"
    db.run(f"INSERT INTO {table} (id, ghi_chu, ngay_cap_nhat) VALUES (10, 'future', '2999-01-01 00:00:00'), "
           f"(11, 'past', '{past}')")
    if db.kind == "pg":
        db.run(f"INSERT INTO {table} (id, ghi_chu, ngay_cap_nhat) VALUES (12, 'endless', 'infinity')")
    extract_table(source, cfg, Settings())
    db.run(f"INSERT INTO {table} (id, ghi_chu, ngay_cap_nhat) VALUES (3, 'later', {db.now})")
    assert extract_table(source, cfg, Settings()).rows_added == 1  # the 2999 row did not hide it
    db.run(f"UPDATE {table} SET ghi_chu = 'edited', ngay_cap_nhat = {db.now} WHERE id = 1")
    assert extract_table(source, cfg, Settings()).rows_added == 1
    assert extract_table(source, cfg, Settings()).rows_added == 0  # flagged rows re-read, never repeated
    rows = _by_id(_bronze(source))
    assert rows[10][WATERMARK_FLAG] == "future" and rows[10]["ngay_cap_nhat"].year == 2999
    assert rows[11][WATERMARK_FLAG] == "past"
    assert rows[3]["ghi_chu"] == "later" and rows[1]["ghi_chu"] == "edited"
    assert rows[3][WATERMARK_FLAG] is None and rows[1][WATERMARK_FLAG] is None
    if db.kind == "pg":
        assert rows[12][WATERMARK_FLAG] == "future" and rows[12]["ngay_cap_nhat"] is None
        assert json.loads(rows[12][UNREPRESENTABLE]) == {"ngay_cap_nhat": "infinity"}
    else:  # the zero date is unrepresentable too: null beside its text
        assert json.loads(rows[11][UNREPRESENTABLE]) == {"ngay_cap_nhat": "0000-00-00 00:00:00.000000"}
    # a past-dated update of a row already in bronze is picked up as well
    db.run(f"UPDATE {table} SET ghi_chu = 'backdated', ngay_cap_nhat = '1900-01-01 00:00:00' WHERE id = 2")
    assert extract_table(source, cfg, Settings()).rows_added == 1
    assert _by_id(_bronze(source))[2][WATERMARK_FLAG] == "past"


def test_a_deterministic_failure_names_column_and_key_and_is_not_retried(postgres, lakehouse, tmp_path):
    settings = postgres
    ensure_server(settings, "postgresql", "drill_pg")
    db = Db("pg", settings.pg_dsn("drill_pg"))
    db.run(PG_DDL, "INSERT INTO drill.gia_tri (id, n) SELECT g, g FROM generate_series(1, 40) g",
           # a view that fails for one row only: a source error tied to a value, as a broken function gives
           "CREATE VIEW drill.hong AS SELECT id, 100 / (n - 23)::int AS ti_le, ngay_cap_nhat FROM drill.gia_tri")
    source = _write_source(tmp_path, "pg", "drill_pg", "drill.hong")
    with pytest.raises(UnextractableValue, match=r"drill_pg\.values \(drill\.hong\): column ti_le, key id=23: .*"
                                                 r"division by zero.*not retried"):
        extract_table(source, source.tables["values"], Settings())
    assert extract._open_stream.statistics["attempt_number"] == 1


def test_a_transient_failure_is_retried(lakehouse, tmp_path, monkeypatch):
    import socket

    with socket.socket() as s:  # a port nothing listens on: connection refused
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    monkeypatch.setenv("CITYLAKE_DRILL_DSN", f"postgresql://citylake@127.0.0.1:{port}/drill_pg")
    source = _write_source(tmp_path, "pg", "drill_pg", "drill.gia_tri")
    with pytest.raises(psycopg.OperationalError, match="(?i)refused"):
        extract_table(source, source.tables["values"], Settings())
    assert extract._source_now.statistics["attempt_number"] == 3


def test_repair_bronze_recovers_a_table_an_older_extractor_damaged(postgres, lakehouse, tmp_path):
    """What the old extractor wrote: connectorx's reading of 'infinity' dates, an unflagged 2999 watermark."""
    settings = postgres
    ensure_server(settings, "postgresql", "drill_pg")
    db = Db("pg", settings.pg_dsn("drill_pg"))
    db.run(PG_DDL, "INSERT INTO drill.gia_tri (id, d, tz, ghi_chu) VALUES (1, '2024-01-01', now(), 'ok'), "
                   "(2, 'infinity', '-infinity', 'inf'), (3, '2024-02-02', now(), 'x')",
           "INSERT INTO drill.gia_tri (id, ghi_chu, ngay_cap_nhat) VALUES (4, 'future', '2999-01-01')")
    source = _write_source(tmp_path, "pg", "drill_pg", "drill.gia_tri")
    old = cx.read_sql(db.dsn + "?cxprotocol=binary",
                      "SELECT id, d, tz, ghi_chu, ngay_cap_nhat FROM drill.gia_tri", return_type="arrow")
    uri = bronze_uri(Settings(), source.source, "values")
    stamped = old.append_column("_batch_seq", pa.array([1] * old.num_rows, pa.int64()))
    write_deltalake(uri, stamped, commit_properties=delta.commit_properties("citylake.ingest.drill_pg.values", 1))
    with pytest.raises(ValueError, match="Invalid isoformat"):
        delta.read_arrow(uri)  # the reported failure: every reader, the extractor included
    assert repair_main(["drill", "--sources-dir", str(tmp_path / "sources")]) == 0
    rows = _by_id(delta.read_arrow(uri))
    assert rows[2]["d"] is None and rows[2]["tz"] is None
    assert json.loads(rows[2][UNREPRESENTABLE]) == {"d": "infinity", "tz": "-infinity"}
    assert rows[1][UNREPRESENTABLE] is None and rows[1]["d"] == dt.date(2024, 1, 1)
    assert rows[4][WATERMARK_FLAG] == "future" and rows[1][WATERMARK_FLAG] is None
    table = DeltaTable(uri)
    assert table.transaction_version("citylake.ingest.drill_pg.values") == 1
    version = table.version()
    assert repair_main(["drill", "--sources-dir", str(tmp_path / "sources")]) == 0
    assert DeltaTable(uri).version() == version  # healthy now: a second repair writes nothing
    # and extraction goes on: the 2999 row no longer holds the high-water mark up
    db.run("INSERT INTO drill.gia_tri (id, ghi_chu) VALUES (5, 'after the repair')")
    assert extract_table(source, source.tables["values"], Settings()).rows_added == 1
    assert _by_id(delta.read_arrow(uri))[5]["ghi_chu"] == "after the repair"


@pytest.mark.parametrize("configuration, feature", [
    ({"delta.enableDeletionVectors": "true"}, "deletionVectors"),
    ({"delta.columnMapping.mode": "name", "delta.minReaderVersion": "2", "delta.minWriterVersion": "5"},
     "columnMapping"),
])
def test_the_bridge_refuses_tables_whose_features_it_does_not_apply(tmp_path, configuration, feature):
    uri = str(tmp_path / "t")
    write_deltalake(uri, pa.table({"id": [1, 2, 3]}), configuration=configuration)
    with pytest.raises(delta.UnsupportedDeltaFeature, match=f"needs .*{feature}.*refusing"):
        delta.read_spark(None, uri)  # refused before Spark is asked to read a single file
    with pytest.raises(delta.UnsupportedDeltaFeature, match=feature):
        delta.check_bridgeable(DeltaTable(uri))
    plain = str(tmp_path / "plain")
    write_deltalake(plain, pa.table({"id": [1]}))
    delta.check_bridgeable(DeltaTable(plain))  # a plain table passes



def test_the_extract_task_fails_without_retries_on_a_deterministic_error(postgres, lakehouse, monkeypatch):
    """Airflow retries a failed task; AirflowFailException tells it not to (the error cannot pass)."""
    from airflow.sdk.exceptions import AirflowFailException

    from dags.department_sources import extract_or_fail

    ensure_server(postgres, "postgresql", "drill_pg")
    Db("pg", postgres.pg_dsn("drill_pg")).run("DROP SCHEMA IF EXISTS dkkd CASCADE")
    monkeypatch.setenv("CITYLAKE_BUSINESS_DSN", postgres.pg_dsn("drill_pg"))  # no dkkd tables there
    with pytest.raises(AirflowFailException, match=r"ExtractError: business\.enterprises \(dkkd\.doanh_nghiep\)"):
        extract_or_fail("business")


@pytest.mark.parametrize("name, sql, first_raw, second_raw", [
    ("business", ["UPDATE dkkd.doanh_nghiep SET ngay_thanh_lap = 'infinity', ngay_cap_nhat = now() WHERE id = {id}",
                  "UPDATE dkkd.doanh_nghiep SET von_dieu_le = 'NaN', ngay_cap_nhat = now() WHERE id = {id2}"],
     {"ngay_thanh_lap": "infinity"}, {"von_dieu_le": "NaN"}),
    ("land", ["UPDATE giao_dich SET ngay_dang_ky = '0000-00-00', ngay_cap_nhat = UTC_TIMESTAMP(6) WHERE id = {id}",
              "UPDATE giao_dich SET ngay_dang_ky = '2024-00-00', ngay_cap_nhat = UTC_TIMESTAMP(6) WHERE id = {id2}"],
     {"ngay_dang_ky": "0000-00-00"}, {"ngay_dang_ky": "2024-00-00"}),
])
def test_the_reported_values_in_the_real_department_sources(name, sql, first_raw, second_raw, postgres, mariadb,
                                                            lakehouse):
    """The defects as reported, on the generated Business Registration (PostgreSQL) and Land (MariaDB) systems."""
    from simulators.departments import prepare_source

    settings = Settings()
    prepare_source(settings, name, scale=0.004, seed=3, force=True)
    source = load_source(name)
    cfg = next(c for c in source.tables.values() if any(f"{c.query_table} " in s for s in sql))
    extract_table(source, cfg, settings)
    db = Db("pg" if source.kind == "postgresql" else "mariadb", source.dsn(settings, owner=True))
    ids = cx.read_sql(db.dsn, f"SELECT id FROM {cfg.query_table} ORDER BY id LIMIT 2", return_type="arrow")["id"]
    first, second = ids.to_pylist()
    db.run(*[s.format(id=first, id2=second) for s in sql])
    assert extract_table(source, cfg, settings).rows_added == 2
    assert extract_table(source, cfg, settings).rows_added == 0  # and the next run reads bronze fine
    rows = _by_id(_bronze(source, cfg.name))
    for key, raw in ((first, first_raw), (second, second_raw)):
        assert json.loads(rows[key][UNREPRESENTABLE]) == raw
        assert all(rows[key][column] is None for column in raw)
    # fixed at the source: the next run adds the corrected versions, with nothing raw left
    fix = {"business": f"UPDATE dkkd.doanh_nghiep SET ngay_thanh_lap = '2020-01-01', von_dieu_le = 1, "
                       f"ngay_cap_nhat = now() WHERE id IN ({first}, {second})",
           "land": f"UPDATE giao_dich SET ngay_dang_ky = '2020-01-01', ngay_cap_nhat = UTC_TIMESTAMP(6) "
                   f"WHERE id IN ({first}, {second})"}[name]
    db.run(fix)
    assert extract_table(source, cfg, settings).rows_added == 2
    rows = _by_id(_bronze(source, cfg.name))
    assert rows[first][UNREPRESENTABLE] is None and rows[second][UNREPRESENTABLE] is None


def _plain_reading(dsn: str, table: str) -> dict:
    """Every row as PyMySQL (the client ``pandas.read_sql`` goes through) reads it, by id; a value it
    cannot convert (a zero date) stays the server's text."""
    conn = mariadb_connect(dsn)
    try:
        with conn.cursor() as cur:
            cur.execute(f"SELECT * FROM {table}")
            names = [d[0] for d in cur.description]
            return {row[0]: dict(zip(names, row)) for row in cur.fetchall()}
    finally:
        conn.close()


def _expected(value, column: str) -> tuple[object, dict]:
    """What bronze holds for a source value: the value (UTC for a DATETIME), or null and its raw text."""
    import decimal

    if isinstance(value, str) and value[:4].isdigit() and value[4:5] == "-" and "-00" in value[4:]:
        return None, {column: value}                        # zero or partial-zero date
    if isinstance(value, decimal.Decimal) and abs(value) >= 10 ** 18:
        return None, {column: str(value)}                   # beyond what bronze's decimal holds
    if isinstance(value, dt.datetime):
        return value.replace(tzinfo=dt.UTC), {}
    return value, {}


def test_land_bronze_holds_row_for_row_what_a_plain_client_reads(mariadb, lakehouse):
    """The extractor's MariaDB path (connectorx, a fit check only where a column's type can hold a value
    bronze cannot) against PyMySQL's reading of the same rows: every column of every row, on the first
    load (streamed) and after a day of changes (the increment), with zero dates and a declared value
    beyond 10^18 among them."""
    from simulators.departments import prepare_source
    from simulators.departments.land import generator

    settings = Settings()
    prepare_source(settings, "land", scale=0.004, seed=5, force=True)
    source = load_source("land")
    db = Db("mariadb", source.dsn(settings, owner=True))
    first = {t: cx.read_sql(db.dsn, f"SELECT MIN(id) AS id FROM {t}", return_type="arrow")["id"][0].as_py()
             for t in ("thua_dat", "giay_chung_nhan", "giao_dich")}
    dirty = [f"UPDATE thua_dat SET ngay_cap_nhat = '0000-00-00 00:00:00' WHERE id = {first['thua_dat']}",
             f"UPDATE giay_chung_nhan SET ngay_cap = '2024-05-00' WHERE id = {first['giay_chung_nhan']}",
             f"UPDATE giao_dich SET gia_tri_khai_bao = 12345678901234567890, ngay_dang_ky = '0000-00-00' "
             f"WHERE id = {first['giao_dich']}"]
    db.run(*dirty)
    for step in ("first load", "increment"):
        if step == "increment":
            generator.advance(db.dsn)
        for cfg in source.tables.values():
            extract_table(source, cfg, settings)
            held = {k: r for k, r in _by_id(_bronze(source, cfg.name)).items() if not r["_deleted"]}
            plain = _plain_reading(source.dsn(settings), cfg.query_table)
            assert held.keys() == plain.keys(), (step, cfg.name)
            for key, row in plain.items():
                raw = {}
                for column, value in row.items():
                    want, unfit = _expected(value, column)
                    raw.update(unfit)
                    assert held[key][column] == want, (step, cfg.name, key, column, held[key][column], value)
                got_raw = held[key][UNREPRESENTABLE]
                assert (json.loads(got_raw) if got_raw else {}) == raw, (step, cfg.name, key)
                assert held[key][WATERMARK_FLAG] == ("past" if key == first["thua_dat"] and
                                                     cfg.name == "parcels" else None), (step, cfg.name, key)
