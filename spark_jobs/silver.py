"""Bronze → silver for every configured source, driven by the ``silver`` block of its source.yml.

For each table: the latest version per key (by watermark, then batch) unless it is a tombstone;
Vietnamese text in NFC; the silver columns as Spark SQL expressions over that row; personal data
only as a salted pseudonym; pre-2025 wards mapped to the 2025 wards (by code, else by ward and
district name); source values mapped to English enumerations; and every row that breaks a rule
(a required value missing, an unknown enumeration value, a ward not found, a failed check, a
duplicate business key) sent to ``silver/<domain>/quarantine`` with its reason. Where a table's
ward is optional (``required: false``), a ward the source gave but that is not found keeps its row
in silver and says so in ``ward_issue`` (null when the ward was found or none was given).

A run costs what changed: each table's commit records the bronze version it was built from, and the
next run reads only the bronze versions appended since, works out which keys' latest version changed
(new, updated, deleted: tombstones remove the key), and merges those keys into the table and the
quarantine (Delta MERGE). A rerun finds nothing new and writes nothing. The table is rebuilt whole
instead on its first build, with ``full_rebuild``, when its spec, the job's logic, the salt or the ward
mapping changed, or when bronze was rewritten (repair, compaction, overwrite); either way the rows are
the same.

(The Health department keeps its own job, ``health_silver``: facility de-duplication and the
restricted identity table are specific to it.)
"""
from __future__ import annotations

import hashlib
import json
import logging
import sys
import time
import unicodedata
from contextlib import contextmanager

import pyarrow as pa
import pyarrow.compute as pc
from pyspark.sql import DataFrame, Window
from pyspark.sql import functions as F
from pyspark.sql.types import StringType

from citylake import delta
from citylake.catalog import bronze_uri, silver_uri
from citylake.settings import Settings, get_settings
from citylake.source_config import SilverSpec, SourceConfig, TableConfig, load_source
from citylake.spark import spark_session
from spark_jobs.common import (
    WATERMARK_FLAG,
    ensure_ward_mapping,
    first_reason,
    latest_versions,
    ranked_versions,
    read_bronze,
)
from spark_jobs.text import nfc

log = logging.getLogger(__name__)


def _normalised(df: DataFrame) -> DataFrame:
    """Every source text column in NFC, white space collapsed, blanks as null."""
    text = [f.name for f in df.schema.fields if isinstance(f.dataType, StringType) and not f.name.startswith("_")]
    return df.select(*[nfc(c).alias(c) if c in text else F.col(c) for c in df.columns])


def _enum_key(value: str) -> str:
    return " ".join(unicodedata.normalize("NFC", value).lower().split())


def _map(column: F.Column, mapping: dict[str, str]) -> F.Column:
    pairs = [x for k, v in mapping.items() for x in (F.lit(_enum_key(k)), F.lit(v))]
    return F.create_map(*pairs)[F.lower(column)]


def _with_wards(df: DataFrame, ward: dict, wards: DataFrame) -> DataFrame:
    by_code = wards.select(F.col("old_ward_code").alias("_wc"), F.col("ward_code_2025").alias("_w1"),
                           F.col("ward_name_2025").alias("_n1"))
    joined = df.join(F.broadcast(by_code), F.col(ward["code"]) == F.col("_wc"), "left")
    name_cols = [F.col("old_ward_name").alias("_wn"), F.col("ward_code_2025").alias("_w2"),
                 F.col("ward_name_2025").alias("_n2")]
    if ward.get("district"):
        by_name = wards.select(*name_cols, F.col("old_district_name").alias("_dn"))
        cond = (F.col(ward["name"]) == F.col("_wn")) & (F.col(ward["district"]) == F.col("_dn"))
    else:  # a ward name alone is only trusted where it is unique in the city
        unique = wards.groupBy("old_ward_name").agg(F.count("*").alias("_k")).filter("_k = 1")
        by_name = wards.join(unique, "old_ward_name").select(*name_cols)
        cond = F.col(ward["name"]) == F.col("_wn")
    joined = joined.join(F.broadcast(by_name), cond, "left")
    joined = (joined.withColumn("ward_code_2025", F.coalesce("_w1", "_w2"))
              .withColumn("ward_name_2025", F.coalesce("_n1", "_n2"))
              .withColumn("source_ward_code", F.col(ward["code"]))
              .withColumn("_source_ward_name", F.col(ward["name"]))
              .drop("_wc", "_w1", "_n1", "_wn", "_w2", "_n2", "_dn"))
    # a ward given but not found is said so, never turned into a silent null
    given = F.col("source_ward_code").isNotNull() | F.col("_source_ward_name").isNotNull()
    return joined.withColumn("ward_issue", F.when(F.col("ward_code_2025").isNull() & given, _ward_not_found()))


def _ward_not_found() -> F.Column:
    return F.concat(F.lit("ward not found: code="), F.coalesce("source_ward_code", F.lit("∅")),
                    F.lit(", name="), F.coalesce("_source_ward_name", F.lit("∅")))


def shape(bronze: DataFrame, source: SourceConfig, cfg: TableConfig, wards: DataFrame | None,
          salt: str) -> tuple[DataFrame, DataFrame]:
    """(valid silver rows, quarantine rows) for one table."""
    spec: SilverSpec = cfg.silver
    for column, spark_type in spec.optional.items():  # added at the source later: null until then
        if column not in bronze.columns:
            bronze = bronze.withColumn(column, F.lit(None).cast(spark_type))
    df = _normalised(latest_versions(bronze, cfg.key, cfg.watermark))
    if spec.ward:
        df = _with_wards(df, spec.ward, wards)
    for target, expr in spec.pseudonymise.items():  # a column, or an expression (e.g. only for some rows)
        value = F.expr(expr).cast("string")
        df = df.withColumn(target, F.when(value.isNotNull(), F.sha2(F.concat(F.lit(salt), value), 256)))
    ward_cols = ["ward_code_2025", "ward_name_2025", "source_ward_code", "ward_issue"] if spec.ward else []
    key_text = F.concat_ws("|", *[F.col(k).cast("string") for k in cfg.key]).alias("_source_key")
    shaped = df.select(
        *[F.expr(expr).alias(name) for name, expr in spec.columns.items()],
        *spec.pseudonymise.keys(), *ward_cols,
        *([F.col("_source_ward_name")] if spec.ward else []),
        F.col(cfg.watermark).alias("updated_at"), "_batch_id", key_text)
    for col, mapping in spec.enums.items():
        shaped = shaped.withColumn(f"_raw_{col}", F.col(col)).withColumn(col, _map(F.col(col), mapping))
    checks = [(F.col(c).isNull(), F.lit(f"missing {c}")) for c in spec.required]
    checks += [(F.col(f"_raw_{c}").isNotNull() & F.col(c).isNull(),
                F.concat(F.lit(f"unknown {c}: "), F.col(f"_raw_{c}"))) for c in spec.enums]
    if spec.ward and spec.ward.get("required", True):
        checks.append((F.col("ward_code_2025").isNull(), _ward_not_found()))
    checks += [(~F.expr(predicate), F.lit(f"check failed: {name} ({predicate})"))
               for name, predicate in spec.checks.items()]
    source_key = [name for name, expr in spec.columns.items() if expr.strip() in cfg.key] or ["_source_key"]
    for business_key in spec.unique:  # the first entered (lowest source key) is the record; later copies are not
        first = Window.partitionBy(business_key).orderBy(*source_key)
        shaped = shaped.withColumn(f"_first_{business_key}", F.first("_source_key").over(first))
        checks.append((F.col(business_key).isNotNull() & (F.col(f"_first_{business_key}") != F.col("_source_key")),
                       F.concat(F.lit(f"duplicate {business_key} of "), F.col(f"_first_{business_key}"))))
    checked = shaped.withColumn("_reason", first_reason(*checks)) if checks else \
        shaped.withColumn("_reason", F.lit(None).cast("string"))
    silver_cols = [c for c in shaped.columns if not c.startswith("_") or c == "_batch_id"]
    good = (checked.filter("_reason IS NULL").select(*silver_cols)
            .withColumn("_silver_built_at", F.current_timestamp()))
    record = F.to_json(F.struct(*[c for c in silver_cols if c not in spec.pseudonymise and c != "_batch_id"]))
    bad = checked.filter("_reason IS NOT NULL").select(
        F.lit(cfg.name).alias("source_table"), F.col("_source_key").alias("source_key"),
        F.col("_reason").alias("reason"), record.alias("record"), "_batch_id",
        F.current_timestamp().alias("quarantined_at"))
    return good, bad


STATE = "citylake.silver_state"   # commit metadata of a silver table: what it was built from
LOGIC_VERSION = 2                 # bump when shape() changes what a row becomes: every table is rebuilt once
MERGE_DELETE = "_merge_delete"


def _fingerprint(cfg: TableConfig, salt: str, wards_version: int | None) -> str:
    """What a silver row depends on besides its bronze row: when it changes, incremental runs would
    leave rows built the old way, so the table is rebuilt."""
    spec = {"table": cfg.name, "key": list(cfg.key), "watermark": cfg.watermark, "logic": LOGIC_VERSION,
            "silver": cfg.silver.model_dump(mode="json"), "wards": wards_version}
    return hashlib.sha256((json.dumps(spec, sort_keys=True, default=str) + salt).encode()).hexdigest()


def _silver_keys(cfg: TableConfig) -> dict[str, str] | None:
    """Silver column → bronze key column, when every key column reaches silver as itself."""
    mapped = {name: expr.strip() for name, expr in cfg.silver.columns.items() if expr.strip() in cfg.key}
    return mapped if sorted(mapped.values()) == sorted(cfg.key) else None


def built_from(target: str) -> dict | None:
    """The state a silver table's last build recorded: bronze version and table id, batch, fingerprint, mode."""
    if not delta.exists(target):
        return None
    raw = delta.job_metadata(delta.table(target), STATE)
    return json.loads(raw) if raw else None


def _read_from(cfg: TableConfig, bronze: str, target: str, fingerprint: str, quarantine: str) -> tuple[int | None, str]:
    """The bronze version to read on from, or None and why the table is rebuilt instead."""
    state = built_from(target)
    if state is None:
        return None, "no silver table built by this job yet"
    if not delta.exists(quarantine):
        return None, "the quarantine table is missing"
    if state.get("fingerprint") != fingerprint:
        return None, "the silver spec, the job's logic, the salt or the ward mapping changed"
    if _silver_keys(cfg) is None or len(cfg.silver.unique) > 1:
        return None, "the key is not a silver column, or more than one business key is unique"
    if not delta.appended_since(bronze, state["bronze_version"], state.get("bronze_table_id")):
        return None, "bronze was rewritten (overwrite, repair, compaction, merge) since the last build"
    return state["bronze_version"], "incremental"


@contextmanager
def _timed(timings: dict | None, table: str, phase: str):
    """Wall seconds of one phase of one table, added to ``timings`` (``{table: {phase: s}}``) if given."""
    started = time.monotonic()
    try:
        yield
    finally:
        if timings is not None:
            phases = timings.setdefault(table, {})
            phases[phase] = phases.get(phase, 0.0) + time.monotonic() - started


def _key_text(columns) -> F.Column:
    return F.concat_ws("|", *[F.col(k).cast("string") for k in columns])


def _arrow_key_text(table: pa.Table, columns) -> pa.Array:
    """:func:`_key_text` in Arrow (the key types in use, integers, strings and dates, cast to the same text)."""
    parts = [pc.cast(table[c], pa.string()).combine_chunks() for c in columns]
    return pc.binary_join_element_wise(*parts, "|") if len(parts) > 1 else parts[0]


def _isin(column: str, values) -> pc.Expression:
    return pc.field(column).isin(pa.array(values) if not isinstance(values, pa.Array | pa.ChunkedArray) else values)


def _record_values(records: pa.ChunkedArray | pa.Array, field: str) -> list:
    """One field of each quarantine record (JSON), as ``get_json_object`` gives it: text, or the JSON of
    anything else; None where absent or null."""
    out = []
    for raw in records.to_pylist():
        value = json.loads(raw).get(field) if raw else None
        out.append(value if value is None or isinstance(value, str) else json.dumps(value))
    return out


def _changes(spark, uri: str, version: int, since: int, source: SourceConfig, cfg: TableConfig,
             wards: DataFrame | None, salt: str, target: str, quarantine: str,
             timings: dict | None = None) -> tuple[pa.Table, pa.Table] | None:
    """(silver merge source, quarantine merge source) for the keys whose latest version changed since
    ``since``; None when none did.

    The versions appended since are read whole; older versions only by their key and ordering columns,
    for the keys that have a new one (a late row may not be the latest), and through Arrow with the
    keys as a filter, so Spark never scans all of bronze. A business key checked for duplicates
    (``unique``) ties keys together: the keys holding an old or new value of a changed key are
    re-judged with it, from their current versions, so the first-entered rule sees the same rows as a
    full rebuild. The few Spark jobs left each work on the day's rows; the rest is Arrow.
    """
    key = list(cfg.key)
    name = cfg.silver.name
    cached = []
    try:
        with _timed(timings, name, "read new bronze files"):
            new = delta.read_spark(spark, uri, version=version, since=since).cache()
            cached.append(new)
            new_keys = new.select(*key).distinct().toArrow()
        if not new_keys.num_rows:
            return None
        with _timed(timings, name, "latest version of the changed keys"):
            ordering = [c for c in (*key, cfg.watermark, "_batch_seq", "_deleted", WATERMARK_FLAG) if c in new.columns]
            # every version of those keys (a superset for a composite key: each column's values; the join is exact)
            bronze_schema = pa.schema(delta.table(uri, version=version).schema().to_arrow())
            first = pc.unique(new_keys[key[0]]).cast(bronze_schema.field(key[0]).type)
            history = delta.read_spark(spark, uri, version=version, columns=ordering, rows_filter=_isin(key[0], first))
            history = history.join(new.select(*key).distinct(), key, "left_semi")
            deleted = F.coalesce(F.col("_deleted"), F.lit(False)) if "_deleted" in ordering else F.lit(False)
            winners = (ranked_versions(history, key, cfg.watermark).filter("_rn = 1")
                       .join(new.select(*key, "_batch_seq"), [*key, "_batch_seq"], "left_semi")
                       .select(*key, "_batch_seq", deleted.alias("_gone"), _key_text(key).alias("_k")).cache())
            cached.append(winners)
            changed = winners.toArrow()
        if not changed.num_rows:
            return None
        rows = new.join(F.broadcast(winners.filter(~F.col("_gone")).select(*key, "_batch_seq")),
                        [*key, "_batch_seq"], "left_semi").cache()
        cached.append(rows)
        with _timed(timings, name, "shape the changed keys"):
            good, bad = (df.toArrow() for df in shape(rows, source, cfg, wards, salt))
        silver_keys = _silver_keys(cfg)
        by_bronze = {b: s for s, b in silver_keys.items()}
        silver_key = [by_bronze[k] for k in key]
        target_schema = pa.schema(delta.table(target).schema().to_arrow())
        affected = changed.select(key).rename_columns(silver_key)
        affected = affected.cast(pa.schema([target_schema.field(c) for c in silver_key]))
        affected_k = pc.cast(changed["_k"], pa.string()).combine_chunks()
        if cfg.silver.unique:
            with _timed(timings, name, "keys tied by a business key"):
                tied, tied_silver = _tied(cfg, good, bad, changed, target, quarantine, silver_key)
            if tied.num_rows:
                with _timed(timings, name, "read the tied keys' rows"):
                    found = _isin(key[0], pc.unique(tied["_k0"]).cast(bronze_schema.field(key[0]).type))
                    batches = pc.unique(tied["_batch_id"]).cast(bronze_schema.field("_batch_id").type)
                    found = found & _isin("_batch_id", batches)
                    wanted = delta.spark_frame(spark, tied.select(["_k", "_batch_id"]))
                    tied_rows = (delta.read_spark(spark, uri, version=version, rows_filter=found)
                                 .withColumn("_k", _key_text(key)).join(wanted, ["_k", "_batch_id"], "left_semi")
                                 .drop("_k"))
                    rows = rows.unionByName(tied_rows).cache()
                    cached.append(rows)
                with _timed(timings, name, "shape the changed keys"):
                    good, bad = (df.toArrow() for df in shape(rows, source, cfg, wards, salt))
                affected = pa.concat_tables([affected, tied_silver.cast(affected.schema)])
                affected_k = pa.concat_arrays([affected_k, tied["_k"].combine_chunks()])
        with _timed(timings, name, "merge sources"):
            kept = _arrow_key_text(good, silver_key) if good.num_rows else pa.array([], pa.string())
            gone_silver = affected.filter(pc.invert(pc.is_in(_arrow_key_text(affected, silver_key), kept)))
            gone_bad = pc.unique(affected_k)
            gone_bad = gone_bad.filter(pc.invert(pc.is_in(gone_bad, pc.cast(bad["source_key"], pa.string()))))
            gone_bad = pa.table({"source_table": pa.array([cfg.name] * len(gone_bad), pa.string()),
                                 "source_key": gone_bad})
            return _with_deletes(good, gone_silver), _with_deletes(bad, gone_bad)
    finally:
        for df in cached:
            df.unpersist()


def _with_deletes(rows: pa.Table, gone: pa.Table) -> pa.Table:
    """A merge source: ``rows`` to upsert, then ``gone``'s keys (the other columns null) to delete."""
    rows = rows.cast(pa.schema([f.with_nullable(True) for f in rows.schema]))   # a deleting row has only its key
    rows = rows.append_column(MERGE_DELETE, pa.array([False] * rows.num_rows, pa.bool_()))
    gone = gone.cast(pa.schema([rows.schema.field(c) for c in gone.column_names]))
    gone = gone.append_column(MERGE_DELETE, pa.array([True] * gone.num_rows, pa.bool_()))
    return pa.concat_tables([rows, gone], promote_options="default")


def _tied(cfg: TableConfig, good: pa.Table, bad: pa.Table, changed: pa.Table, target: str, quarantine: str,
          silver_key: list[str]) -> tuple[pa.Table, pa.Table]:
    """The unchanged keys sharing a business key value with a changed key: (``_k``, ``_batch_id``, ``_k0``:
    the first key column's value as text), and the silver key columns of those held in silver.

    Worked out in Arrow from the table's key, business key and batch columns and the table's quarantine
    rows (their records give the business key): no Spark scan of silver."""
    [business_key] = cfg.silver.unique
    held = delta.read_arrow(target, columns=[*silver_key, business_key, "_batch_id"])
    held_k = _arrow_key_text(held, silver_key)
    held_bk = pc.cast(held[business_key], pa.string()).combine_chunks()
    q = delta.read_arrow(quarantine, columns=["source_table", "source_key", "record", "_batch_id"],
                         filter=pc.field("source_table") == cfg.name)
    q_key = pc.cast(q["source_key"], pa.string()).combine_chunks()
    q_bk = pa.array(_record_values(q["record"], business_key), pa.string())
    q_k0 = pa.array(_record_values(q["record"], silver_key[0]), pa.string())
    changed_k = pc.cast(changed["_k"], pa.string()).combine_chunks()
    values = set(pc.cast(good[business_key], pa.string()).to_pylist()) if good.num_rows else set()
    values |= set(_record_values(bad["record"], business_key)) if bad.num_rows else set()
    values |= set(held_bk.filter(pc.is_in(held_k, changed_k)).to_pylist())
    values |= set(q_bk.filter(pc.is_in(q_key, changed_k)).to_pylist())
    values.discard(None)
    values = pa.array(sorted(values), pa.string())
    in_silver = pc.and_(pc.is_in(held_bk, values), pc.invert(pc.is_in(held_k, changed_k)))
    in_quarantine = pc.and_(pc.is_in(q_bk, values), pc.invert(pc.is_in(q_key, changed_k)))
    tied = pa.concat_tables([
        pa.table({"_k": held_k.filter(in_silver),
                  "_batch_id": pc.cast(held["_batch_id"], pa.string()).combine_chunks().filter(in_silver),
                  "_k0": pc.cast(held[silver_key[0]], pa.string()).combine_chunks().filter(in_silver)}),
        pa.table({"_k": q_key.filter(in_quarantine),
                  "_batch_id": pc.cast(q["_batch_id"], pa.string()).combine_chunks().filter(in_quarantine),
                  "_k0": q_k0.filter(in_quarantine)}),
    ])
    return tied, held.select(silver_key).filter(in_silver)


def run(name: str, settings: Settings | None = None, spark=None, full_rebuild: bool = False,
        timings: dict | None = None) -> dict[str, int]:
    """Bring every silver table of source ``name`` up to date with bronze; returns row counts (and the
    quarantine's).

    A table is merged with the keys whose latest version changed since the bronze version its last
    build recorded (in its commit metadata); it is rebuilt whole with ``full_rebuild``, on its first
    build, when its spec, the ward mapping or the salt changed, or when bronze was rewritten since.
    ``timings``, when given, receives the wall seconds of each table's phases.
    """
    settings = settings or get_settings()
    source = load_source(name)
    tables = [cfg for cfg in source.tables.values() if cfg.silver is not None]
    if not tables:
        raise ValueError(f"source {name} has no silver tables in its source.yml")
    spark = spark or spark_session(f"silver_{name}", settings)
    with _timed(timings, "_run", "ward mapping"):
        wards = ensure_ward_mapping(spark, settings) if any(cfg.silver.ward for cfg in tables) else None
    wards_version = delta.table(silver_uri(settings, "reference", "ward_mapping_2025")).version() if wards else None
    q_uri = silver_uri(settings, source.domain, "quarantine")
    plans = []
    for cfg in tables:
        uri = bronze_uri(settings, source.source, cfg.name)
        if not delta.exists(uri):
            raise FileNotFoundError(f"bronze table {uri} does not exist yet: extract {name} first")
        bronze = delta.table(uri)
        target = silver_uri(settings, source.domain, cfg.silver.name)
        fingerprint = _fingerprint(cfg, settings.pseudonym_salt, wards_version)
        since, why = ((None, "full rebuild asked for") if full_rebuild
                      else _read_from(cfg, uri, target, fingerprint, q_uri))
        state = {"bronze_version": bronze.version(), "bronze_table_id": bronze.metadata().id,
                 "bronze_batch_seq": bronze.transaction_version(f"citylake.ingest.{source.source}.{cfg.name}"),
                 "fingerprint": fingerprint, "mode": "full" if since is None else "incremental"}
        log.info("silver %s.%s: %s", name, cfg.silver.name, why)
        plans.append((cfg, uri, target, since, state))
    salt = settings.pseudonym_salt

    def meta(state: dict) -> dict:
        return {"citylake.job": f"silver.{name}", STATE: json.dumps(state)}

    if all(p[3] is None for p in plans):  # every table rebuilt: the quarantine too, in one commit, before the tables
        started = time.monotonic()
        shaped = [(p, *shape(read_bronze(spark, p[1], p[4]["bronze_version"]), source, p[0], wards, salt))
                  for p in plans]
        quarantine = shaped[0][2]
        for *_, bad in shaped[1:]:
            quarantine = quarantine.unionByName(bad)
        delta.write_spark(quarantine, q_uri, mode="overwrite", metadata={"citylake.job": f"silver.{name}"})
        for (_cfg, _uri, target, _since, state), good, _ in shaped:
            delta.write_spark(good, target, mode="overwrite", metadata=meta(state))
        if timings is not None:
            timings.setdefault("_run", {})["full build"] = time.monotonic() - started
    else:  # table by table: its quarantine rows first, then the table, whose commit records the build
        for cfg, uri, target, since, state in plans:
            version = state["bronze_version"]
            if since is None:
                with _timed(timings, cfg.silver.name, "full build"):
                    good, bad = shape(read_bronze(spark, uri, version), source, cfg, wards, salt)
                    its_rows = delta.keys_predicate(pa.table({"source_table": [cfg.name]}))
                    delta.replace_where(bad.toArrow(), q_uri, its_rows, metadata={"citylake.job": f"silver.{name}"})
                    delta.write_spark(good, target, mode="overwrite", metadata=meta(state))
                continue
            if since == version:  # no bronze commit since the last build: nothing to read, no Spark job
                continue
            changes = _changes(spark, uri, version, since, source, cfg, wards, salt, target, q_uri, timings)
            if changes is None:
                continue
            silver_rows, quarantine_rows = changes
            with _timed(timings, cfg.silver.name, "merge into the quarantine"):
                delta.merge_by_keys(quarantine_rows, q_uri, ["source_table", "source_key"], MERGE_DELETE,
                                    metadata={"citylake.job": f"silver.{name}"})
            with _timed(timings, cfg.silver.name, "merge into the table"):
                delta.merge_by_keys(silver_rows, target, list(_silver_keys(cfg)), MERGE_DELETE,
                                    metadata=meta(state))
    counts = {cfg.silver.name: delta.table(target).count() for cfg, _, target, _, _ in plans}
    counts["quarantine"] = delta.table(q_uri).count()
    log.info("silver %s: %s", name, counts)
    return counts


if __name__ == "__main__":
    logging.basicConfig(level=logging.INFO)
    print(run(sys.argv[1]))
