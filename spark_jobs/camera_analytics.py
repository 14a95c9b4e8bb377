"""Silver camera events → traffic flow in 5-minute windows with a congestion index, and daily hotspots.

Tables (``silver/cameras/…``), all rebuilt from the silver event tables on each run:

* ``traffic_flow_5min`` — per camera and 5-minute window: vehicles by type, intensity (all vehicles),
  observations, congested observations and share, stopped vehicles, intensity-weighted average speed and
  the **congestion index**. A window is the one its observation *starts* in (``observed_from`` floored to
  5 minutes); ``window_start`` is UTC, ``local_date`` / ``local_time`` / ``local_hour`` are wall time in
  Asia/Ho_Chi_Minh (UTC+7, no daylight saving, so the 5-minute grid is the same in both).
* ``traffic_flow_ward_5min`` — per 2025 ward and window: the sums over the ward's cameras, the cameras
  reporting, and the index averaged over its cameras weighted by intensity (a plain average when no
  vehicle passed). Cameras without a known ward stay out of it.
* ``hotspots_ward_daily`` / ``hotspots_camera_daily`` — per local day: alerts by sub-category (traffic jam,
  stopped vehicle, accident, crowd above threshold, civil disorder), crowd observations above the camera's
  threshold, and ``rank`` (1 = most alerts that day; ties share a rank), joined to the registry.

**Congestion index** (0–1, higher = more congested)::

    index = 0.5 × min(1, intensity / p85) + 0.5 × congested_share

``p85`` is the 85th percentile of the camera's own 5-minute intensities over the windows held (its normal
busy level), so a quiet side street and an arterial are judged against themselves; ``congested_share`` is
the share of the window's observations the edge analytics flagged congested (slow, dense or stopped
traffic). A window as busy as the camera's busy hour and congested throughout scores 1; an empty road 0.
"""
from __future__ import annotations

import logging

from pyspark.sql import DataFrame, Window
from pyspark.sql import functions as F

from citylake import delta
from citylake.catalog import silver_uri
from citylake.settings import Settings, get_settings
from citylake.spark import spark_session
from spark_jobs.camera_events import DOMAIN, TIME_ZONE
from vision.events import VEHICLE_TYPES

log = logging.getLogger(__name__)

WINDOW_S = 300
LOAD_WEIGHT, CONGESTED_WEIGHT = 0.5, 0.5
P85 = 0.85
SUB_CATEGORIES = {"trafficJam": "traffic_jams", "carStopped": "stopped_vehicles", "carAccident": "accidents",
                  "crowdAboveThreshold": "crowd_alerts", "civilDisorder": "civil_disorder"}
CAMERA_COLUMNS = ["camera_name", "ward_code_2025", "ward_name_2025", "district", "owner_code", "analytics_profile"]


def _local(ts: F.Column, prefix: str = "local") -> list[F.Column]:
    wall = F.from_utc_timestamp(ts, TIME_ZONE)
    return [F.to_date(wall).alias(f"{prefix}_date"), F.date_format(wall, "HH:mm").alias(f"{prefix}_time"),
            F.hour(wall).alias(f"{prefix}_hour")]


def _share(part: F.Column, whole: F.Column) -> F.Column:
    return F.when(whole > 0, part / whole).otherwise(F.lit(0.0))


def camera_windows(traffic: DataFrame) -> DataFrame:
    """Per camera and 5-minute window, with the congestion index."""
    window_start = F.timestamp_seconds(F.floor(F.unix_seconds("observed_from") / WINDOW_S) * WINDOW_S)
    speed_weight = F.when(F.col("average_speed_kmh").isNotNull(), F.col("intensity")).otherwise(0)
    sums = (traffic.withColumn("window_start", window_start)
            .groupBy("camera_id", "window_start")
            .agg(F.count("*").alias("observations"), F.sum("intensity").alias("intensity"),
                 *[F.sum(v).alias(v) for v in VEHICLE_TYPES],
                 F.sum(F.col("congested").cast("int")).alias("congested_observations"),
                 F.sum("stopped_vehicles").alias("stopped_vehicles"),
                 F.sum(F.coalesce(F.col("average_speed_kmh") * F.col("intensity"), F.lit(0.0))).alias("_speed_x"),
                 F.sum(speed_weight).alias("_speed_w"),
                 *[F.first(c).alias(c) for c in CAMERA_COLUMNS]))
    p85 = sums.groupBy("camera_id").agg(F.percentile("intensity", P85).alias("p85_intensity"))
    load = F.least(F.lit(1.0), _share(F.col("intensity"), F.col("p85_intensity")))
    congested_share = _share(F.col("congested_observations"), F.col("observations"))
    return (sums.join(p85, "camera_id")
            .withColumn("congested_share", congested_share)
            .withColumn("congestion_index", F.round(LOAD_WEIGHT * load + CONGESTED_WEIGHT * congested_share, 4))
            .withColumn("average_speed_kmh", F.when(F.col("_speed_w") > 0, F.col("_speed_x") / F.col("_speed_w")))
            .select("camera_id", "window_start", (F.col("window_start") + F.expr("INTERVAL 5 MINUTES")).alias(
                "window_end"), *_local(F.col("window_start")), *CAMERA_COLUMNS, "observations", "intensity",
                *VEHICLE_TYPES, "stopped_vehicles", "congested_observations", "congested_share",
                "average_speed_kmh", "p85_intensity", "congestion_index"))


def ward_windows(cameras: DataFrame) -> DataFrame:
    """Per 2025 ward and window: sums over its cameras; the index weighted by each camera's intensity."""
    weighted = F.sum(F.col("congestion_index") * F.col("intensity"))
    return (cameras.filter(F.col("ward_code_2025").isNotNull())
            .groupBy("ward_code_2025", "window_start")
            .agg(F.first("ward_name_2025").alias("ward_name_2025"), F.first("window_end").alias("window_end"),
                 F.first("local_date").alias("local_date"), F.first("local_time").alias("local_time"),
                 F.first("local_hour").alias("local_hour"), F.countDistinct("camera_id").alias("cameras"),
                 F.sum("observations").alias("observations"), F.sum("intensity").alias("intensity"),
                 *[F.sum(v).alias(v) for v in VEHICLE_TYPES], F.sum("stopped_vehicles").alias("stopped_vehicles"),
                 F.sum("congested_observations").alias("congested_observations"),
                 F.avg("congestion_index").alias("_plain"), weighted.alias("_weighted"))
            .withColumn("congested_share", _share(F.col("congested_observations"), F.col("observations")))
            .withColumn("congestion_index", F.round(F.when(F.col("intensity") > 0, F.col("_weighted") / F.col(
                "intensity")).otherwise(F.col("_plain")), 4))
            .drop("_plain", "_weighted"))


def daily_counts(alerts: DataFrame, crowds: DataFrame) -> DataFrame:
    """Per camera and local day: alerts by sub-category and crowd observations above threshold."""
    by_alert = (alerts.select("camera_id", *_local(F.col("date_issued"))[:1], "sub_category", "category",
                              *CAMERA_COLUMNS)
                .groupBy("camera_id", "local_date")
                .agg(*[F.sum((F.col("sub_category") == k).cast("int")).alias(v) for k, v in SUB_CATEGORIES.items()],
                     F.sum((F.col("category") == "traffic").cast("int")).alias("traffic_incidents"),
                     F.sum((F.col("category") == "security").cast("int")).alias("public_order_incidents"),
                     F.count("*").alias("alerts"), *[F.first(c).alias(c) for c in CAMERA_COLUMNS]))
    by_crowd = (crowds.filter("above_threshold")
                .select("camera_id", *_local(F.col("observed_from"))[:1], *CAMERA_COLUMNS)
                .groupBy("camera_id", "local_date")
                .agg(F.count("*").alias("crowd_observations_above_threshold"),
                     *[F.first(c).alias(f"_c_{c}") for c in CAMERA_COLUMNS]))
    joined = by_alert.join(by_crowd, ["camera_id", "local_date"], "full")
    counts = [*SUB_CATEGORIES.values(), "traffic_incidents", "public_order_incidents", "alerts",
              "crowd_observations_above_threshold"]
    return joined.select("camera_id", "local_date",
                         *[F.coalesce(c, f"_c_{c}").alias(c) for c in CAMERA_COLUMNS],
                         *[F.coalesce(F.col(c), F.lit(0)).cast("long").alias(c) for c in counts])


def ranked(df: DataFrame, tiebreak: str) -> DataFrame:
    """``rank`` within each local day: most alerts first, then most crowd observations above threshold."""
    order = Window.partitionBy("local_date").orderBy(F.col("alerts").desc(),
                                                     F.col("crowd_observations_above_threshold").desc())
    return df.withColumn("rank", F.rank().over(order)).orderBy("local_date", "rank", tiebreak)


def ward_hotspots(cameras: DataFrame) -> DataFrame:
    counts = [c for c in cameras.columns if c not in ("camera_id", "local_date", *CAMERA_COLUMNS)]
    return (cameras.filter(F.col("ward_code_2025").isNotNull())
            .groupBy("ward_code_2025", "local_date")
            .agg(F.first("ward_name_2025").alias("ward_name_2025"), F.countDistinct("camera_id").alias("cameras"),
                 *[F.sum(c).alias(c) for c in counts]))


OUTPUTS = ("traffic_flow_5min", "traffic_flow_ward_5min", "hotspots_camera_daily", "hotspots_ward_daily")


def built(settings: Settings | None = None) -> bool:
    """Whether the camera tables the transport marts read exist (camera_analytics has run once)."""
    from citylake.catalog import silver_uri as uri

    settings = settings or get_settings()
    return all(delta.exists(uri(settings, DOMAIN, name)) for name in ("registry", *OUTPUTS))


def run(settings: Settings | None = None, spark=None) -> dict[str, int]:
    """Rebuild the 5-minute traffic tables and the daily hotspots from silver events; returns row counts."""
    settings = settings or get_settings()
    spark = spark or spark_session("camera_analytics", settings)
    read = {name: delta.read_spark(spark, silver_uri(settings, DOMAIN, name))
            for name in ("traffic_flow_observed", "crowd_flow_observed", "alerts")}
    meta = {"citylake.job": "camera_analytics"}
    cameras = camera_windows(read["traffic_flow_observed"]).cache()
    daily = daily_counts(read["alerts"], read["crowd_flow_observed"]).cache()
    outputs = {"traffic_flow_5min": (cameras, ["local_date"]),
               "traffic_flow_ward_5min": (ward_windows(cameras), ["local_date"]),
               "hotspots_camera_daily": (ranked(daily, "camera_id"), []),
               "hotspots_ward_daily": (ranked(ward_hotspots(daily), "ward_code_2025"), [])}
    counts = {}
    for name, (df, partitions) in outputs.items():
        target = silver_uri(settings, DOMAIN, name)
        delta.write_spark(df, target, mode="overwrite", partition_by=partitions, metadata=meta)
        counts[name] = delta.table(target).count()
    cameras.unpersist()
    daily.unpersist()
    log.info("camera analytics: %s", counts)
    return counts


if __name__ == "__main__":
    logging.basicConfig(level=logging.INFO)
    print(run())
