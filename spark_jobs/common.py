"""What the silver jobs share: the latest version per key, the first failing rule, the ward mapping."""
from __future__ import annotations

from collections.abc import Sequence

from pyspark.sql import DataFrame, Window
from pyspark.sql import functions as F

from citylake import delta
from citylake.catalog import silver_uri
from citylake.settings import Settings
from ingestion.reference.admin_units import ward_mapping_2025


def latest_versions(bronze: DataFrame, key: Sequence[str], watermark: str) -> DataFrame:
    """One row per key: its newest version (by watermark, then batch), unless it says the key was deleted."""
    order = Window.partitionBy(*key).orderBy(F.col(watermark).desc(), F.col("_batch_seq").desc())
    latest = bronze.withColumn("_rn", F.row_number().over(order)).filter("_rn = 1").drop("_rn")
    if "_deleted" in bronze.columns:
        latest = latest.filter(~F.coalesce(F.col("_deleted"), F.lit(False)))
    return latest


def first_reason(*checks) -> F.Column:
    """The first failing check's message, or null when the row is valid."""
    return F.coalesce(*[F.when(cond, msg) for cond, msg in checks])


def ensure_ward_mapping(spark, settings: Settings) -> DataFrame:
    """The reference table follows the package: refreshed when it differs (after an upgrade), else kept."""
    uri = silver_uri(settings, "reference", "ward_mapping_2025")
    delta.replace_if_changed(ward_mapping_2025(), uri)
    return delta.read_spark(spark, uri)
