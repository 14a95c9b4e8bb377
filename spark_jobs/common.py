"""What the silver jobs share: the latest version per key, the first failing rule, the ward mapping."""
from __future__ import annotations

from collections.abc import Sequence

from pyspark.sql import DataFrame, Window
from pyspark.sql import functions as F

from citylake import delta
from citylake.catalog import silver_uri
from citylake.settings import Settings
from ingestion.reference.admin_units import ward_mapping_2025

WATERMARK_FLAG = "_watermark_flag"   # set by the extractor on a missing, future or implausibly old watermark


def read_bronze(spark, uri: str, version: int | None = None) -> DataFrame:
    """Bronze for a full build. Where the files' statistics say no version's watermark is flagged, the
    flag column is left out: the latest version is then the newest watermark, and each key's versions
    are sorted once instead of twice (see :func:`ranked_versions`)."""
    snapshot = delta.table(uri, version=version)   # one version for both: a commit may land in between
    bronze = delta.read_spark(spark, uri, version=snapshot.version())
    if delta.all_null(snapshot, WATERMARK_FLAG):
        bronze = bronze.drop(WATERMARK_FLAG)
    return bronze


def ranked_versions(bronze: DataFrame, key: Sequence[str], watermark: str) -> DataFrame:
    """Every version with ``_rn`` (1 = the key's latest), tombstones included.

    Versions are ordered by watermark, then batch. A flagged watermark (``_watermark_flag``) is not
    trusted, so such a version ranks as extracted: as new as the newest trusted watermark extracted up
    to its batch. A far-future one then no longer beats every later version, and a version with a
    missing watermark is newer than what was extracted before it.
    """
    effective = F.col(watermark)
    if WATERMARK_FLAG in bronze.columns:
        trusted = F.when(F.col(WATERMARK_FLAG).isNull(), F.col(watermark))
        so_far = (Window.partitionBy(*key).orderBy("_batch_seq")
                  .rangeBetween(Window.unboundedPreceding, Window.currentRow))
        effective = F.coalesce(trusted, F.max(trusted).over(so_far))
    order = Window.partitionBy(*key).orderBy(F.col("_effective_watermark").desc_nulls_last(),
                                             F.col("_batch_seq").desc())
    return (bronze.withColumn("_effective_watermark", effective)
            .withColumn("_rn", F.row_number().over(order)).drop("_effective_watermark"))


def latest_versions(bronze: DataFrame, key: Sequence[str], watermark: str) -> DataFrame:
    """One row per key: its newest version (see :func:`ranked_versions`), unless it says the key was deleted."""
    latest = ranked_versions(bronze, key, watermark).filter("_rn = 1").drop("_rn")
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
