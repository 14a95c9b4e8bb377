"""Bronze camera events → silver: one table per event type, each event once, joined to the camera registry.

Bronze (``bronze/cameras/events``, written by the MQTT stream consumer) holds every received message
as validated JSON (``citylake.events.BRONZE_SCHEMA``). Here:

* **once per event id**: a redelivered or replayed event (QoS 1 is at-least-once on the wire) keeps its
  first copy (lowest micro-batch, then earliest ingestion);
* **parsed per type** with an explicit schema (``from_json``), into ``silver/cameras/traffic_flow_observed``,
  ``crowd_flow_observed`` and ``alerts``, partitioned by ``event_date`` (UTC date observed);
* **joined to the registry** (``silver/cameras/registry``): 2025 ward, former district, owner, analytics
  profile, crowd threshold; an event from a camera the registry does not know (or whose payload does not
  parse as its type) goes to ``silver/cameras/events_quarantine`` with the reason, never silently away.

Incremental by day: a run rebuilds only the ``event_date`` partitions that received data files since the
bronze version it last read (kept in each silver commit), one Delta commit per table replacing just those
partitions, so reruns agree and the cost follows the new data, not the history.
No face data exists on the bus.
"""
from __future__ import annotations

import logging
import re

from deltalake.exceptions import DeltaError
from pyspark.sql import DataFrame, Window
from pyspark.sql import functions as F
from pyspark.sql.types import (
    BooleanType,
    DoubleType,
    LongType,
    StringType,
    StructField,
    StructType,
)

from citylake import delta
from citylake.catalog import bronze_uri, silver_uri
from citylake.events import BRONZE_SCHEMA, VEHICLE_TYPES
from citylake.settings import Settings, get_settings
from citylake.spark import spark_session

log = logging.getLogger(__name__)

DOMAIN = "cameras"
BRONZE = ("cameras", "events")
REGISTRY = "registry"
QUARANTINE = "events_quarantine"
TABLES = {"TrafficFlowObserved": "traffic_flow_observed", "CrowdFlowObserved": "crowd_flow_observed",
          "Alert": "alerts"}
TIME_ZONE = "Asia/Ho_Chi_Minh"
BRONZE_VERSION = "citylake.bronze_version"
EVENT_DATES = "citylake.event_dates"      # the event_date partitions a commit replaced ("all": every one)

_COMMON = [StructField("eventId", StringType()), StructField("cameraId", StringType()),
           StructField("dateObserved", StringType()), StructField("source", StringType())]
PAYLOAD_SCHEMAS = {
    "TrafficFlowObserved": StructType(_COMMON + [
        StructField("dateObservedFrom", StringType()), StructField("dateObservedTo", StringType()),
        StructField("intensity", LongType()),
        StructField("vehicleCounts", StructType([StructField(v, LongType()) for v in VEHICLE_TYPES])),
        StructField("averageVehicleSpeed", DoubleType()), StructField("occupancy", DoubleType()),
        StructField("stoppedVehicles", LongType()), StructField("congested", BooleanType())]),
    "CrowdFlowObserved": StructType(_COMMON + [
        StructField("dateObservedFrom", StringType()), StructField("dateObservedTo", StringType()),
        StructField("peopleCount", LongType()), StructField("occupancy", DoubleType()),
        StructField("threshold", LongType()), StructField("congested", BooleanType())]),
    "Alert": StructType(_COMMON + [
        StructField("category", StringType()), StructField("subCategory", StringType()),
        StructField("severity", StringType()), StructField("dateIssued", StringType()),
        StructField("description", StringType())]),
}
# what silver keeps of each type (p = the parsed payload); a null in a required one quarantines the event.
# Built per call: Spark column expressions need a running session, importing this module must not.
def _columns(event_type: str) -> dict[str, F.Column]:
    ts = F.try_to_timestamp
    window = {"observed_from": ts(F.col("p.dateObservedFrom")), "observed_to": ts(F.col("p.dateObservedTo"))}
    if event_type == "TrafficFlowObserved":
        return {**window, "intensity": F.col("p.intensity"),
                **{v: F.coalesce(F.col(f"p.vehicleCounts.{v}"), F.lit(0)) for v in VEHICLE_TYPES},
                "average_speed_kmh": F.col("p.averageVehicleSpeed"), "occupancy": F.col("p.occupancy"),
                "stopped_vehicles": F.coalesce(F.col("p.stoppedVehicles"), F.lit(0)),
                "congested": F.col("p.congested")}
    if event_type == "CrowdFlowObserved":
        return {**window, "people_count": F.col("p.peopleCount"), "occupancy": F.col("p.occupancy"),
                "threshold": F.col("p.threshold"), "above_threshold": F.col("p.congested")}
    return {"category": F.col("p.category"), "sub_category": F.col("p.subCategory"),
            "severity": F.col("p.severity"), "date_issued": ts(F.col("p.dateIssued")),
            "description": F.col("p.description")}


COLUMN_NAMES = {
    "TrafficFlowObserved": ["observed_from", "observed_to", "intensity", *VEHICLE_TYPES, "average_speed_kmh",
                            "occupancy", "stopped_vehicles", "congested"],
    "CrowdFlowObserved": ["observed_from", "observed_to", "people_count", "occupancy", "threshold",
                          "above_threshold"],
    "Alert": ["category", "sub_category", "severity", "date_issued", "description"],
}
REQUIRED = {"TrafficFlowObserved": ("observed_from", "observed_to", "intensity", "congested"),
            "CrowdFlowObserved": ("observed_from", "observed_to", "people_count", "above_threshold"),
            "Alert": ("category", "sub_category", "date_issued")}
REGISTRY_COLUMNS = ["camera_id", "camera_name", "ward_code_2025", "ward_name_2025", "district", "owner_code",
                    "analytics_profile", "crowd_threshold", "camera_status"]


def silver_columns(event_type: str) -> list[str]:
    """The columns of an event type's silver table (its audit suite expects exactly these)."""
    return ["camera_id", "event_id", "date_observed", *COLUMN_NAMES[event_type], "event_source", "published_at",
            "ingested_at", "event_date", *REGISTRY_COLUMNS[1:], "_silver_built_at"]


def unique_events(bronze: DataFrame) -> DataFrame:
    """One row per event id: the first copy received (a redelivery or replay adds nothing)."""
    for col, kind in (("_batch", "bigint"), ("_ingested_at", "timestamp")):
        if col not in bronze.columns:
            bronze = bronze.withColumn(col, F.lit(None).cast(kind))
    first = Window.partitionBy("event_id").orderBy(F.col("_batch").asc_nulls_last(),
                                                   F.col("_ingested_at").asc_nulls_last(), "published_at")
    return bronze.withColumn("_copy", F.row_number().over(first)).filter("_copy = 1").drop("_copy")


def bronze_events(spark, settings: Settings) -> DataFrame:
    """The bronze events table, or no events at all before the stream consumer first committed (the
    camera tables then exist, empty, and the marts built on them too)."""
    from pyspark.sql.pandas.types import from_arrow_schema

    uri = bronze_uri(settings, *BRONZE)
    if delta.exists(uri):
        return delta.read_spark(spark, uri)
    log.warning("%s does not exist yet (no camera events received): the camera tables stay empty", uri)
    return spark.createDataFrame([], from_arrow_schema(BRONZE_SCHEMA))


def registry_ready(settings: Settings | None = None) -> bool:
    """Whether the camera registry has reached silver (events are joined to it)."""
    return delta.exists(silver_uri(settings or get_settings(), DOMAIN, REGISTRY))


def registry(spark, settings: Settings) -> DataFrame:
    """The registry columns events are enriched with, one row per camera id."""
    uri = silver_uri(settings, DOMAIN, REGISTRY)
    if not delta.exists(uri):
        raise FileNotFoundError(f"{uri} does not exist yet: ingest the camera registry first (ingest_cameras)")
    return (delta.read_spark(spark, uri).withColumnRenamed("status", "camera_status")
            .select(*REGISTRY_COLUMNS))


def shape(events: DataFrame, cameras: DataFrame, event_type: str) -> tuple[DataFrame, DataFrame]:
    """(silver rows, quarantine rows) of one event type."""
    typed = (events.filter(F.col("event_type") == event_type)
             .withColumn("p", F.from_json("payload", PAYLOAD_SCHEMAS[event_type])))
    shaped = typed.select(
        "event_id", "camera_id", "date_observed", *[expr.alias(name) for name, expr in _columns(event_type).items()],
        F.col("p.source").alias("event_source"), "published_at", F.col("_ingested_at").alias("ingested_at"),
        "event_date", "event_type", "payload")
    joined = shaped.join(F.broadcast(cameras), "camera_id", "left").withColumn(
        "_known", F.col("camera_name").isNotNull())
    missing = [F.when(F.col(c).isNull(), F.lit(c)) for c in REQUIRED[event_type]]
    reason = F.coalesce(
        F.when(~F.col("_known"), F.concat(F.lit("camera not in the registry: "), F.col("camera_id"))),
        F.when(F.concat_ws(",", *missing) != "",
               F.concat(F.lit(f"payload does not parse as {event_type}: missing "), F.concat_ws(",", *missing))))
    checked = joined.withColumn("_reason", reason)
    keep = [c for c in checked.columns if c not in ("payload", "event_type", "_known", "_reason")]
    good = checked.filter("_reason IS NULL").select(*keep).withColumn("_silver_built_at", F.current_timestamp())
    bad = checked.filter("_reason IS NOT NULL").select(
        "event_id", "camera_id", "event_type", "date_observed", "event_date", F.col("_reason").alias("reason"),
        "payload", F.current_timestamp().alias("quarantined_at"))
    return good, bad


def processed_version(settings: Settings) -> int | None:
    """The bronze version the silver event tables were last built from (kept in their last commit);
    None when they have never been built: then everything is (re)built."""
    uris = [silver_uri(settings, DOMAIN, name) for name in (*TABLES.values(), QUARANTINE)]
    if not all(delta.exists(uri) for uri in uris):
        return None
    # the oldest of the four: a run stopped between two tables' commits is made good by the next
    versions = [delta.job_metadata(delta.table(uri), BRONZE_VERSION) for uri in uris]
    return min(int(v) for v in versions) if all(versions) else None


def touched_dates(settings: Settings, since_version: int | None) -> list[str] | None:
    """The ``event_date`` partitions with a data file that bronze did not have at ``since_version``
    (new micro-batches; compaction's rewrites too, harmlessly); None: every date (no earlier
    version, or its log entries are gone)."""
    uri = bronze_uri(settings, *BRONZE)
    if since_version is None:
        return None
    try:
        before = set(delta.table(uri, version=since_version).file_uris())
    except DeltaError:  # that version's log entries were cleaned up: rebuild everything
        return None
    added = set(delta.table(uri).file_uris()) - before
    return sorted({m.group(1) for f in added if (m := re.search(r"event_date=([^/]+)/", f))})


def run(settings: Settings | None = None, spark=None, full: bool = False) -> dict[str, int]:
    """Build the three silver event tables and the events quarantine; returns row counts.

    Incremental: only the ``event_date`` partitions that received events since the last run are
    rebuilt (from all of bronze's events of those days, so de-duplication stays exact), each table
    in one Delta commit that replaces just those partitions. ``full=True`` rebuilds everything
    (after a registry correction that should reach past days, say). Bronze at the version last
    processed: nothing written.
    """
    settings = settings or get_settings()
    seen = None if full else processed_version(settings)
    source = bronze_uri(settings, *BRONZE)
    version = delta.table(source).version() if delta.exists(source) else None
    names = (*TABLES.values(), QUARANTINE)
    dates = touched_dates(settings, seen) if version is not None else None
    if seen is not None and (version == seen or dates == []):
        log.info("camera events: no new bronze data since version %s", seen)
        return {"event_dates_rebuilt": 0, **{n: delta.table(silver_uri(settings, DOMAIN, n)).count() for n in names}}
    spark = spark or spark_session("camera_events", settings)
    bronze = bronze_events(spark, settings)
    if dates is not None:
        bronze = bronze.filter(F.col("event_date").isin(dates))
    events = unique_events(bronze).cache()
    cameras = registry(spark, settings).cache()
    filters = None if dates is None else [("event_date", "in", dates)]
    meta = {"citylake.job": "camera_events", BRONZE_VERSION: "" if version is None else str(version),
            EVENT_DATES: "all" if dates is None else ",".join(dates)}
    counts = {"bronze_unique_events": events.count(), "event_dates_rebuilt": "all" if dates is None else len(dates)}
    quarantine = None
    for event_type, name in TABLES.items():
        good, bad = shape(events, cameras, event_type)
        target = silver_uri(settings, DOMAIN, name)
        delta.write_spark(good, target, mode="overwrite", partition_by=["event_date"], metadata=meta,
                          partition_filters=filters)
        counts[name] = delta.table(target).count()
        quarantine = bad if quarantine is None else quarantine.unionByName(bad)
    q_uri = silver_uri(settings, DOMAIN, QUARANTINE)
    delta.write_spark(quarantine, q_uri, mode="overwrite", partition_by=["event_date"], metadata=meta,
                      partition_filters=filters)
    counts[QUARANTINE] = delta.table(q_uri).count()
    events.unpersist()
    cameras.unpersist()
    log.info("camera events: %s", counts)
    return counts


if __name__ == "__main__":
    logging.basicConfig(level=logging.INFO)
    print(run())
