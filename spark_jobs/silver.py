"""Bronze → silver for every configured source, driven by the ``silver`` block of its source.yml.

For each table: the latest version per key (by watermark, then batch) unless it is a tombstone;
Vietnamese text in NFC; the silver columns as Spark SQL expressions over that row; personal data
only as a salted pseudonym; pre-2025 wards mapped to the 2025 wards (by code, else by ward and
district name); source values mapped to English enumerations; and every row that breaks a rule
(a required value missing, an unknown enumeration value, a ward not found, a failed check, a
duplicate business key) sent to ``silver/<domain>/quarantine`` with its reason. Where a table's
ward is optional (``required: false``), a ward the source gave but that is not found keeps its row
in silver and says so in ``ward_issue`` (null when the ward was found or none was given). Silver is rebuilt
from bronze on every run and each table replaced in one Delta commit, so reruns agree.

(The Health department keeps its own job, ``health_silver``: facility de-duplication and the
restricted identity table are specific to it.)
"""
from __future__ import annotations

import logging
import sys
import unicodedata

from pyspark.sql import DataFrame, Window
from pyspark.sql import functions as F
from pyspark.sql.types import StringType

from citylake import delta
from citylake.catalog import bronze_uri, silver_uri
from citylake.settings import Settings, get_settings
from citylake.source_config import SilverSpec, SourceConfig, TableConfig, load_source
from citylake.spark import spark_session
from spark_jobs.common import ensure_ward_mapping, first_reason, latest_versions
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


def run(name: str, settings: Settings | None = None, spark=None) -> dict[str, int]:
    """Rebuild every silver table of source ``name``; returns row counts (and the quarantine's)."""
    settings = settings or get_settings()
    source = load_source(name)
    tables = [cfg for cfg in source.tables.values() if cfg.silver is not None]
    if not tables:
        raise ValueError(f"source {name} has no silver tables in its source.yml")
    spark = spark or spark_session(f"silver_{name}", settings)
    wards = ensure_ward_mapping(spark, settings) if any(cfg.silver.ward for cfg in tables) else None
    meta = {"citylake.job": f"silver.{name}"}
    counts, quarantine = {}, None
    for cfg in tables:
        uri = bronze_uri(settings, source.source, cfg.name)
        if not delta.exists(uri):
            raise FileNotFoundError(f"bronze table {uri} does not exist yet: extract {name} first")
        good, bad = shape(delta.read_spark(spark, uri), source, cfg, wards, settings.pseudonym_salt)
        target = silver_uri(settings, source.domain, cfg.silver.name)
        delta.write_spark(good, target, mode="overwrite", metadata=meta)
        counts[cfg.silver.name] = delta.table(target).count()
        quarantine = bad if quarantine is None else quarantine.unionByName(bad)
    q_uri = silver_uri(settings, source.domain, "quarantine")
    delta.write_spark(quarantine, q_uri, mode="overwrite", metadata=meta)
    counts["quarantine"] = delta.table(q_uri).count()
    log.info("silver %s: %s", name, counts)
    return counts


if __name__ == "__main__":
    logging.basicConfig(level=logging.INFO)
    print(run(sys.argv[1]))
