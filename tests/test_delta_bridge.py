"""Spark writes parquet, delta-rs commits it: the tables must be plain, correct Delta."""
from __future__ import annotations

import duckdb
import pyarrow as pa
import pyarrow.compute as pc
import pytest
from deltalake import DeltaTable, write_deltalake
from deltalake.exceptions import CommitFailedError
from pyspark.sql import functions as F

from citylake import delta


def _frame(spark, n: int):
    return (spark.range(n)
            .withColumn("ward", (F.col("id") % 3).cast("string"))
            .withColumn("name", F.when(F.col("id") % 2 == 0, F.lit("Bệnh viện Chợ Rẫy"))
                        .otherwise(F.lit(None)))
            .withColumn("seen_at", F.to_timestamp(F.lit("2025-07-01 08:30:00"))))


def test_spark_write_is_one_delta_commit_with_stats(spark, tmp_path):
    uri = str(tmp_path / "t")
    files = delta.write_spark(_frame(spark, 10_000), uri, partition_by=["ward"],
                              app_id="test-writer", app_version=7, metadata={"batch": "b1"})
    table = DeltaTable(uri)
    assert table.version() == 0 and files == 3
    assert table.transaction_version("test-writer") == 7
    actions = pa.table(table.get_add_actions(flatten=True)).to_pylist()
    assert sum(a["num_records"] for a in actions) == 10_000
    assert {a["partition.ward"] for a in actions} == {"0", "1", "2"}
    assert sum(a["null_count.name"] for a in actions) == 5_000
    assert min(a["min.id"] for a in actions) == 0 and max(a["max.id"] for a in actions) == 9_999
    # timestamps are UTC instants, read the same by every engine
    assert pa.schema(table.schema().to_arrow()).field("seen_at").type == pa.timestamp("us", tz="UTC")
    ds = table.to_pyarrow_dataset()  # noqa: F841 (scanned by DuckDB by name)
    got = duckdb.sql("select count(*), min(seen_at)::varchar from ds").fetchone()
    assert got == (10_000, "2025-07-01 08:30:00+00")
    assert table.history(1)[0]["batch"] == "b1"


def test_spark_reads_the_snapshot_not_the_folder(spark, tmp_path):
    uri = str(tmp_path / "t")
    delta.write_spark(_frame(spark, 1_000), uri, partition_by=["ward"])
    delta.write_spark(_frame(spark, 10), uri, mode="overwrite", partition_by=["ward"])
    # the old files are still on disk, but not in the snapshot
    assert len(list((tmp_path / "t").rglob("*.parquet"))) > len(DeltaTable(uri).file_uris())
    df = delta.read_spark(spark, uri)
    assert df.count() == 10
    assert delta.read_spark(spark, uri, version=0).count() == 1_000
    assert set(df.columns) == {"id", "ward", "name", "seen_at"}


def test_partition_pruned_read_and_repartitioning_overwrite(spark, tmp_path):
    uri = str(tmp_path / "t")
    delta.write_spark(_frame(spark, 90), uri)                              # unpartitioned
    with pytest.raises(ValueError, match="only a whole-table overwrite"):
        delta.write_spark(_frame(spark, 9), uri, mode="append", partition_by=["ward"])
    assert DeltaTable(uri).count() == 90 and DeltaTable(uri).metadata().partition_columns == []
    delta.write_spark(_frame(spark, 30), uri, mode="overwrite", partition_by=["ward"], metadata={"job": "j"})
    table = DeltaTable(uri)
    assert table.metadata().partition_columns == ["ward"] and table.count() == 30
    assert table.history(1)[0]["job"] == "j" and "job" not in table.history(2)[1]
    assert {a["partition.ward"] for a in pa.table(table.get_add_actions(flatten=True)).to_pylist()} == {"0", "1", "2"}
    assert delta.read_spark(spark, uri, version=0).count() == 90           # time travel keeps the old
    some = delta.read_spark(spark, uri, partition_filters=[("ward", "in", ["1", "2"])])
    assert some.count() == 20 and {r.ward for r in some.select("ward").distinct().collect()} == {"1", "2"}


def test_append_and_empty_table(spark, tmp_path):
    uri = str(tmp_path / "t")
    delta.write_spark(_frame(spark, 5), uri)
    delta.write_spark(_frame(spark, 5), uri, mode="append")
    assert DeltaTable(uri).count() == 10
    empty = delta.read_spark(spark, uri).filter("id < 0")
    delta.write_spark(empty, uri, mode="overwrite")
    assert DeltaTable(uri).count() == 0
    assert delta.read_spark(spark, uri).count() == 0


def test_rows_filter_and_since_reads(spark, tmp_path):
    """The incremental silver reads: the files appended since a version, and a few rows picked by key
    through Arrow (filtered reads are full of empty batches: none of their rows may be lost)."""
    import pyarrow.compute as pc

    uri = str(tmp_path / "t")
    for start in (0, 100, 200):   # three appends, three files
        delta.write_arrow(pa.table({"id": pa.array(range(start, start + 100), pa.int64()),
                                    "v": [f"r{i}" for i in range(start, start + 100)]}), uri, mode="append")
    assert delta.appended_since(uri, 0) and not delta.appended_since(uri, 5)
    assert sorted(r["id"] for r in delta.read_spark(spark, uri, since=1).collect()) == list(range(200, 300))
    wanted = [5, 250, 99, 201]   # in the first and the last file, none in the middle one
    picked = delta.read_spark(spark, uri, rows_filter=pc.field("id").isin(wanted), columns=["id"])
    assert picked.columns == ["id"]
    assert sorted(r["id"] for r in picked.collect()) == sorted(wanted)
    assert delta.read_spark(spark, uri, version=0, rows_filter=pc.field("id") == 250).count() == 0
    delta.write_arrow(delta.read_arrow(uri), uri, mode="overwrite")       # a rewrite: not an append
    assert not delta.appended_since(uri, 2)
    # PySpark 4.2 alone loses the rows after an empty record batch; the bridge's hand-over does not
    batches = pa.Table.from_batches([pa.record_batch({"a": [1]}), pa.record_batch({"a": pa.array([], pa.int64())}),
                                     pa.record_batch({"a": [2, 3]})])
    assert sorted(r["a"] for r in delta.spark_frame(spark, batches).collect()) == [1, 2, 3]


def test_racing_writers_with_same_app_version_conflict(tmp_path):
    uri = str(tmp_path / "t")
    data = pa.table({"id": [1, 2]})
    delta.write_arrow(data, uri, app_id="ingest", app_version=1)
    stale = DeltaTable(uri)
    delta.write_arrow(data, uri, app_id="ingest", app_version=2)
    with pytest.raises(CommitFailedError):
        stale.create_write_transaction([], "append", data.schema,
                                       commit_properties=delta.commit_properties("ingest", 2))


def test_replace_if_changed_adds_a_version_only_when_the_rows_differ(tmp_path):
    uri = str(tmp_path / "ref")
    data = pa.table({"code": ["26734", "26737", "26740"], "name": ["Bến Nghé", "Đa Kao", "Bến Thành"]})
    assert delta.replace_if_changed(data, uri) is True
    assert delta.replace_if_changed(data.take([2, 0, 1]), uri) is False      # same rows, another order
    assert DeltaTable(uri).version() == 0
    changed = data.set_column(1, "name", pa.array(["Sài Gòn", "Tân Định", "Bến Thành"]))
    assert delta.replace_if_changed(changed, uri) is True
    assert DeltaTable(uri).version() == 1 and delta.read_arrow(uri).equals(changed)
    wider = changed.append_column("level", pa.array(["ward"] * 3))
    assert delta.replace_if_changed(wider, uri) is True and delta.read_arrow(uri).column_names == wider.column_names


@pytest.mark.parametrize("predicate_max_keys", [delta.PREDICATE_MAX_KEYS, 0], ids=["replaceWhere", "rewrite"])
def test_merge_by_keys_upserts_and_deletes_and_every_reader_still_filters(tmp_path, monkeypatch, predicate_max_keys):
    """Keys of one and of two columns, a quote in a key, updates, inserts and deletes in one commit;
    the files stay plain ``string`` so pyarrow, DuckDB and Polars filter the table alike. The same
    through a predicate on the keys and through the rewrite that many keys take."""
    from readers import filtered_reads, view_typed_files

    monkeypatch.setattr(delta, "PREDICATE_MAX_KEYS", predicate_max_keys)

    uri = str(tmp_path / "q")
    delta.write_arrow(pa.table({"source_table": ["a", "a", "b", "b"], "source_key": ["1", "O'Neil", "1", "2"],
                                "reason": ["r1", "r2", "r3", "r4"]}), uri)
    change = pa.table({"source_table": ["a", "a", "b", "b"], "source_key": ["O'Neil", "3", "2", "9"],
                       "reason": ["new", "added", None, None], "_del": [False, False, True, True]})
    delta.merge_by_keys(change, uri, ["source_table", "source_key"], "_del", metadata={"m": "1"})
    got = sorted(tuple(r.values()) for r in delta.read_arrow(uri).to_pylist())
    assert got == [("a", "1", "r1"), ("a", "3", "added"), ("a", "O'Neil", "new"), ("b", "1", "r3")]
    assert DeltaTable(uri).version() == 1 and DeltaTable(uri).history(1)[0]["m"] == "1"
    assert not view_typed_files(uri)
    reads = filtered_reads(uri, "source_key", "2")
    assert reads["pyarrow"] == reads["duckdb"] == reads["polars"] == [("a", "3", "added"), ("a", "O'Neil", "new")]

    single = str(tmp_path / "s")
    delta.write_arrow(pa.table({"id": [1, 2, 3], "v": ["x", "y", "z"]}), single)
    delta.merge_by_keys(pa.table({"id": [2, 4], "v": [None, "w"], "_del": [True, False]}), single, ["id"], "_del")
    assert sorted(tuple(r.values()) for r in delta.read_arrow(single).to_pylist()) == [(1, "x"), (3, "z"), (4, "w")]
    # nothing changed: the commit only records its metadata (what the build read)
    delta.merge_by_keys(pa.table({"id": pa.array([], pa.int64()), "v": pa.array([], pa.string()),
                                  "_del": pa.array([], pa.bool_())}), single, ["id"], "_del", metadata={"m": "2"})
    assert DeltaTable(single).history(1)[0]["m"] == "2" and delta.read_arrow(single).num_rows == 3
    with pytest.raises(TypeError, match="text, an integer or a date"):
        delta.keys_predicate(pa.table({"id": [1.5]}))

    # a key with a date (a hotline target changed in place with a new effective date)
    import datetime as dt

    dated = str(tmp_path / "d")
    day = dt.date(2026, 1, 1)
    delta.write_arrow(pa.table({"id": [1, 1, 2], "from": [day, day.replace(month=2), day], "v": ["a", "b", "c"]}),
                      dated)
    delta.merge_by_keys(pa.table({"id": [1, 2], "from": [day.replace(month=2), day], "v": ["B", None],
                                  "_del": [False, True]}), dated, ["id", "from"], "_del")
    assert sorted(tuple(r.values()) for r in delta.read_arrow(dated).to_pylist()) == [
        (1, day, "a"), (1, day.replace(month=2), "B")]


def test_merge_by_keys_of_a_busy_day(tmp_path, monkeypatch):
    """A day's changed keys by the hundred thousand: delta-rs walks the predicate recursively, which
    overflowed the main thread's stack (a segfault) at 30,000 keys. Both ways give the same table."""
    import numpy as np

    results = {}
    for way, limit in (("replaceWhere", delta.PREDICATE_MAX_KEYS), ("rewrite", 0)):
        uri = str(tmp_path / way)
        ids = np.arange(400_000, dtype=np.int64)
        for part in np.array_split(ids, 8):     # several files, as days of appends leave
            delta.write_arrow(pa.table({"id": part, "v": np.zeros(len(part))}), uri)
        changed = ids[::4]     # 100,000 keys across every file
        change = pa.table({"id": changed, "v": np.ones(len(changed)), "_del": changed % 8 == 4})
        monkeypatch.setattr(delta, "PREDICATE_MAX_KEYS", limit)
        delta.merge_by_keys(change, uri, ["id"], "_del")
        results[way] = delta.read_arrow(uri).sort_by("id")
    assert results["replaceWhere"].equals(results["rewrite"])
    merged = results["rewrite"]
    assert merged.num_rows == 400_000 - 50_000 and pc.sum(merged["v"]).as_py() == 50_000


def test_all_null_reads_the_statistics_and_never_guesses(spark, tmp_path):
    """Silver skips the flagged-watermark ranking when the files' statistics say no row is flagged:
    a flag in any file, or a file without statistics for the column, must say otherwise."""
    uri = str(tmp_path / "t")
    delta.write_arrow(pa.table({"id": [1, 2], "flag": pa.array([None, None], pa.string())}), uri)
    assert delta.all_null(delta.table(uri), "flag")
    assert delta.all_null(delta.table(uri), "not_a_column")
    delta.write_arrow(pa.table({"id": [3], "flag": ["future"]}), uri)
    assert not delta.all_null(delta.table(uri), "flag")
    assert delta.all_null(delta.table(uri, version=0), "flag")       # the snapshot read, not the folder
    # a Spark-written file through the bridge carries statistics too
    spark_uri = str(tmp_path / "s")
    delta.write_spark(spark.createDataFrame([(1, None)], "id long, flag string"), spark_uri)
    assert delta.all_null(delta.table(spark_uri), "flag")
    # a file whose statistics leave the column out may hold a value: not all null
    unindexed = str(tmp_path / "u")
    write_deltalake(unindexed, pa.table({"id": [1], "flag": pa.array([None], pa.string())}),
                    configuration={"delta.dataSkippingNumIndexedCols": "1"})
    assert not delta.all_null(delta.table(unindexed), "flag")
