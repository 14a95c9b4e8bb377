"""Silver camera events → traffic flow in 5-minute windows with a congestion index, and daily hotspots.

Tables (``silver/cameras/…``), all partitioned by ``local_date`` (the day in Ho Chi Minh City):

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

``p85`` is the 85th percentile of the camera's own 5-minute intensities over the 28 local days ending
with the window's day (its normal busy level of late), so a quiet side street and an arterial are judged
against themselves, and a road that changed is judged against its new normal; ``congested_share`` is the
share of the window's observations the edge analytics flagged congested (slow, dense or stopped traffic).
A window as busy as the camera's busy hour and congested throughout scores 1; an empty road 0.

**Incremental by day.** Each commit records the versions of the three silver event tables it was built
from; a run reads the ``event_date`` partitions ``camera_events`` rebuilt since then (from those tables'
commit metadata), and replaces only the local days they cover, plus the later days held whose 28-day
reference includes one of them. Their windows come from the events; the reference's other days from the
windows already built. So the cost follows the new data (at 1,000 cameras × 2 events/s a day is 170M
events, but only 288k windows), and an incremental run gives what a full rebuild (``full=True``) gives.
"""
from __future__ import annotations

import datetime as dt
import json
import logging

from pyspark.sql import DataFrame, Window
from pyspark.sql import functions as F

from citylake import delta
from citylake.catalog import silver_uri
from citylake.events import VEHICLE_TYPES
from citylake.settings import Settings, get_settings
from citylake.spark import spark_session
from spark_jobs.camera_events import DOMAIN, EVENT_DATES, TABLES, TIME_ZONE

log = logging.getLogger(__name__)

WINDOW_S = 300
LOAD_WEIGHT, CONGESTED_WEIGHT = 0.5, 0.5
P85 = 0.85
REFERENCE_DAYS = 28
INPUT_VERSIONS = "citylake.silver_event_versions"
LOCAL_DATES = "citylake.local_dates"
SUB_CATEGORIES = {"trafficJam": "traffic_jams", "carStopped": "stopped_vehicles", "carAccident": "accidents",
                  "crowdAboveThreshold": "crowd_alerts", "civilDisorder": "civil_disorder"}
CAMERA_COLUMNS = ["camera_name", "ward_code_2025", "ward_name_2025", "district", "owner_code", "analytics_profile"]


def _local(ts: F.Column, prefix: str = "local") -> list[F.Column]:
    wall = F.from_utc_timestamp(ts, TIME_ZONE)
    return [F.to_date(wall).alias(f"{prefix}_date"), F.date_format(wall, "HH:mm").alias(f"{prefix}_time"),
            F.hour(wall).alias(f"{prefix}_hour")]


def _share(part: F.Column, whole: F.Column) -> F.Column:
    return F.when(whole > 0, part / whole).otherwise(F.lit(0.0))


WINDOW_SUMS = ["camera_id", "window_start", "window_end", "local_date", "local_time", "local_hour", *CAMERA_COLUMNS,
               "observations", "intensity", *VEHICLE_TYPES, "stopped_vehicles", "congested_observations",
               "average_speed_kmh"]


def window_sums(traffic: DataFrame) -> DataFrame:
    """Per camera and 5-minute window: the sums of its observations (``WINDOW_SUMS``), before the index."""
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
    return (sums.withColumn("average_speed_kmh", F.when(F.col("_speed_w") > 0, F.col("_speed_x") / F.col("_speed_w")))
            .withColumn("window_end", F.col("window_start") + F.expr("INTERVAL 5 MINUTES"))
            .select(*[c for c in WINDOW_SUMS if not c.startswith("local_")], *_local(F.col("window_start")))
            .select(*WINDOW_SUMS))


def camera_windows(sums: DataFrame, reference: DataFrame, days: list[dt.date], spark) -> DataFrame:
    """Per camera and 5-minute window of the local ``days`` (from ``sums``), with the congestion index
    against the camera's p85 over the 28 days ending with the window's day. ``reference`` (camera_id,
    local_date, intensity) must hold those days and the 27 before them."""
    first, last = (F.lit(min(days)), F.lit(max(days))) if days else (F.lit(None).cast("date"),) * 2
    dates = spark.createDataFrame([(d,) for d in sorted(days)], "local_date date")
    # each window counts towards the days of ``days`` up to 27 days after its own (bounded first, so a
    # day's rebuild does not multiply the whole reference by 28)
    p85 = (reference
           .filter((F.col("local_date") >= F.date_sub(first, REFERENCE_DAYS - 1)) & (F.col("local_date") <= last))
           .select("camera_id", "intensity", F.explode(F.sequence(
               F.greatest("local_date", first), F.least(F.date_add("local_date", REFERENCE_DAYS - 1), last)))
               .alias("local_date"))
           .join(F.broadcast(dates), "local_date")
           .groupBy("camera_id", "local_date").agg(F.percentile("intensity", P85).alias("p85_intensity")))
    load = F.least(F.lit(1.0), _share(F.col("intensity"), F.col("p85_intensity")))
    congested_share = _share(F.col("congested_observations"), F.col("observations"))
    return (sums.join(F.broadcast(dates), "local_date").join(p85, ["camera_id", "local_date"])
            .withColumn("congested_share", congested_share)
            .withColumn("congestion_index", F.round(LOAD_WEIGHT * load + CONGESTED_WEIGHT * congested_share, 4))
            .select(*WINDOW_SUMS[:-1], "congested_share", "average_speed_kmh", "p85_intensity", "congestion_index"))


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


def _input_uris(settings: Settings) -> dict[str, str]:
    return {name: silver_uri(settings, DOMAIN, name) for name in TABLES.values()}


def processed_versions(settings: Settings) -> dict[str, int] | None:
    """The silver event tables' versions the outputs were last built from (None: build everything)."""
    uris = [silver_uri(settings, DOMAIN, name) for name in OUTPUTS]
    if not all(delta.exists(uri) for uri in uris):
        return None
    tables = [delta.table(uri) for uri in uris]
    if any(list(t.metadata().partition_columns) != ["local_date"] for t in tables):
        return None                        # built before the outputs were partitioned by day
    seen = [delta.job_metadata(t, INPUT_VERSIONS) for t in tables]
    if not all(seen) or len(set(seen)) > 1:   # a run stopped between two outputs' commits
        return None
    return json.loads(seen[0])


def touched_local_dates(settings: Settings, since: dict[str, int]) -> set[dt.date] | None:
    """The local days holding events of the ``event_date`` partitions camera_events replaced after the
    versions in ``since``; None when that cannot be told (then everything is rebuilt)."""
    dates: set[dt.date] = set()
    for name, uri in _input_uris(settings).items():
        if name not in since:
            return None
        table = delta.table(uri)
        count = table.version() - since[name]
        if count < 0:                                       # the table was recreated
            return None
        newer = [h for h in table.history(count) if h.get("version", -1) > since[name]] if count else []
        if len(newer) != count:                             # log entries cleaned up
            return None
        for commit in newer:
            replaced = commit.get(EVENT_DATES)
            if replaced is None and (delta.is_maintenance(commit) or commit.get("citylake.operation") == "repartition"):
                continue                                    # no rows changed
            if replaced is None or replaced == "all":
                return None
            for day in filter(None, replaced.split(",")):
                utc = dt.date.fromisoformat(day)   # 00:00–16:59 UTC is that day in Ho Chi Minh City,
                dates |= {utc, utc + dt.timedelta(days=1)}  # 17:00–23:59 the next
    return dates


def _held_dates(uri: str) -> set[dt.date]:
    if not delta.exists(uri):
        return set()
    return {dt.date.fromisoformat(p["local_date"]) for p in delta.table(uri).partitions()}


def _iso(dates) -> list[str]:
    return sorted(d.isoformat() for d in dates)


def run(settings: Settings | None = None, spark=None, full: bool = False) -> dict[str, int]:
    """Build the 5-minute traffic tables and the daily hotspots from silver events, for the local days
    that changed since the last run (every day when ``full``); returns row counts."""
    settings = settings or get_settings()
    inputs = _input_uris(settings)
    versions = {name: delta.table(uri).version() for name, uri in inputs.items()}
    seen = None if full else processed_versions(settings)
    touched = None if seen is None else (set() if seen == versions else touched_local_dates(settings, seen))
    if touched is not None and not touched:
        log.info("camera analytics: no new silver events since %s", seen)
        return {"local_dates_rebuilt": 0, **{n: delta.table(silver_uri(settings, DOMAIN, n)).count() for n in OUTPUTS}}
    spark = spark or spark_session("camera_analytics", settings)
    windows_uri = silver_uri(settings, DOMAIN, "traffic_flow_5min")
    if touched is None:
        read = {name: delta.read_spark(spark, uri) for name, uri in inputs.items()}
        sums = reference = cached = window_sums(read["traffic_flow_observed"]).cache()
        rebuilt = {r[0] for r in sums.select("local_date").distinct().collect()}
        filters = None
    else:
        held = _held_dates(windows_uri) - touched
        # the local days whose 28-day reference includes a touched day are rebuilt too
        later = {d for d in held if any(t < d < t + dt.timedelta(days=REFERENCE_DAYS) for t in touched)}
        rebuilt = touched | later
        event_dates = _iso({t + dt.timedelta(days=k) for t in touched for k in (-1, 0, 1)})
        read = {name: delta.read_spark(spark, uri, partition_filters=[("event_date", "in", event_dates)])
                .filter(F.col("event_date").isin(event_dates)) for name, uri in inputs.items()}
        fresh = cached = (window_sums(read["traffic_flow_observed"])
                          .filter(F.col("local_date").isin(_iso(touched))).cache())
        # the days not touched come from the windows already built: all their columns for the later
        # days rebuilt, only the intensities for the rest of the 28-day reference
        first = min(rebuilt) - dt.timedelta(days=REFERENCE_DAYS - 1)
        reference_only = [d for d in held - later if first <= d <= max(rebuilt)]
        sums = fresh
        if later:
            sums = sums.unionByName(delta.read_spark(spark, windows_uri, partition_filters=[
                ("local_date", "in", _iso(later))]).select(*WINDOW_SUMS))
        reference = sums.select("camera_id", "local_date", "intensity")
        if reference_only:
            reference = reference.unionByName(delta.read_spark(spark, windows_uri, partition_filters=[
                ("local_date", "in", _iso(reference_only))]).select("camera_id", "local_date", "intensity"))
        filters = _iso(rebuilt)
    cameras = camera_windows(sums, reference, sorted(rebuilt), spark).cache()
    daily = daily_counts(read["alerts"], read["crowd_flow_observed"])
    if touched is not None:
        daily = daily.filter(F.col("local_date").isin(_iso(touched)))
    daily = daily.cache()
    meta = {"citylake.job": "camera_analytics", INPUT_VERSIONS: json.dumps(versions, sort_keys=True),
            LOCAL_DATES: "all" if filters is None else ",".join(filters)}
    # hotspots do not depend on the reference: only the touched days change
    hotspot_filters = None if touched is None else _iso(touched)
    outputs = {"traffic_flow_5min": (cameras, filters),
               "traffic_flow_ward_5min": (ward_windows(cameras), filters),
               "hotspots_camera_daily": (ranked(daily, "camera_id"), hotspot_filters),
               "hotspots_ward_daily": (ranked(ward_hotspots(daily), "ward_code_2025"), hotspot_filters)}
    counts = {"local_dates_rebuilt": "all" if filters is None else len(filters)}
    for name, (df, days) in outputs.items():
        target = silver_uri(settings, DOMAIN, name)
        delta.write_spark(df, target, mode="overwrite", partition_by=["local_date"], metadata=meta,
                          partition_filters=None if days is None else [("local_date", "in", days)])
        counts[name] = delta.table(target).count()
    for df in (cached, cameras, daily):
        df.unpersist()
    log.info("camera analytics: %s", counts)
    return counts


if __name__ == "__main__":
    logging.basicConfig(level=logging.INFO)
    print(run())
