"""
### Camera analytics: stream bronze → camera silver → traffic windows and hotspots → audit

Every 15 minutes, and as soon as the camera registry changed (`ingest_cameras`, after its audit):

1. **compact** the stream's bronze tables (`bronze/cameras/events` and its dead-letter table): the MQTT
   consumer commits a small file per micro-batch; OPTIMIZE bin-packs them (rows unchanged, concurrent
   appends unaffected);
2. **silver events** (Spark, `spark_jobs/camera_events.py`): each event once, parsed per type, joined to
   the camera registry (`ingest_cameras` keeps it current); events from unknown cameras quarantined
   with the reason;
3. **analytics** (Spark, `spark_jobs/camera_analytics.py`): traffic per camera and 2025 ward in
   5-minute windows with the congestion index, daily incident and crowd hotspots; only the local days
   the new events fall on (and the later days whose 28-day reference includes them) are rebuilt;
4. **audit**: Great Expectations on every camera table (`expectations/camera_suites.py`).

The camera tables are Assets, updated once the audit passed: `transport_marts` rebuilds the transport
marts when they change.

Trigger with `{"full_rebuild": true}` to rebuild every day from all of bronze instead (after a
registry correction that should reach past days, say).
"""
from __future__ import annotations

from airflow.sdk import Param, chain, dag, task
from airflow.sdk.definitions.timetables.assets import AssetOrTimeSchedule
from airflow.sdk.definitions.timetables.trigger import CronTriggerTimetable

from orchestration.assets import CAMERAS, camera_silver_assets, ingested_sources, silver_assets
from orchestration.defaults import SPARK_POOL, default_args


@dag(
    dag_id="camera_analytics",
    doc_md=__doc__,
    # every 15 minutes, and at once when the camera registry changed (events of new cameras join it)
    schedule=AssetOrTimeSchedule(
        timetable=CronTriggerTimetable("*/15 * * * *", timezone="Asia/Ho_Chi_Minh"),
        assets=silver_assets(next(s for s in ingested_sources() if s.name == CAMERAS))),
    catchup=False,
    max_active_runs=1,
    tags=["cameras", "stream", "spark", "silver"],
    params={"full_rebuild": Param(False, type="boolean",
                                  description="rebuild every day of the camera silver and analytics tables")},
    default_args=default_args(),
)
def camera_analytics():
    @task
    def compact_stream_bronze() -> dict:
        from citylake.settings import get_settings
        from ingestion.stream.compaction import compact

        return {name: {k: v for k, v in out.items() if k != "metrics"} for name, out in compact(get_settings()).items()}

    @task(pool=SPARK_POOL)
    def build_camera_silver(params=None) -> dict:
        from airflow.sdk.exceptions import AirflowSkipException

        from spark_jobs import camera_events

        if not camera_events.registry_ready():
            # a new deployment: events wait in bronze until the registry they join is ingested
            raise AirflowSkipException("the camera registry is not in silver yet: ingest_cameras runs first")
        return camera_events.run(full=bool((params or {}).get("full_rebuild")))

    @task(pool=SPARK_POOL)
    def build_camera_analytics(params=None) -> dict:
        from spark_jobs import camera_analytics as job

        return job.run(full=bool((params or {}).get("full_rebuild")))

    # write-audit-publish: the marts hear of new camera tables only once the audit has passed
    @task(outlets=camera_silver_assets())
    def audit_camera_silver() -> list[str]:
        from expectations.gates import audit_camera_silver as audit

        return audit()

    chain(compact_stream_bronze(), build_camera_silver(), build_camera_analytics(), audit_camera_silver())


camera_analytics()
