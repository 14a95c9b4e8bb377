"""The warehouse's Airflow DAGs through dag.test() on the shared warehouse: a source DAG rerun adds
nothing, a backfill of a date range through the DAG's params, the marts DAGs (staging → audit →
publish), the leadership report rendered in Chromium from the published marts, and the freshness
DAG failing on a late source."""
from __future__ import annotations

import datetime as dt
from functools import lru_cache

import duckdb
import pyarrow.compute as pc
import pytest
from browser import RENDERED, offline_page
from restored_rows import restore_rows

from citylake import dbt, delta
from citylake.catalog import bronze_uri, silver_uri
from citylake.source_config import load_source
from ingestion.extract import extract_log_uri, extract_source
from ingestion.freshness import recorded
from simulators.departments import simulator


def leadership_marts() -> list[str]:
    return dbt.marts(("leadership",))


@lru_cache(maxsize=1)
def _bag():
    from airflow.dag_processing.dagbag import DagBag

    from orchestration.airflow_env import DAGS_FOLDER

    return DagBag(dag_folder=str(DAGS_FOLDER))


def run_dag(dag_id: str, conf: dict | None = None):
    run = _bag().dags[dag_id].test(run_conf=conf)
    return run.state, {ti.task_id: ti.state for ti in run.get_task_instances()}


def _counts(settings, name: str) -> dict[str, int]:
    source = load_source(name)
    out = {}
    for cfg in source.tables.values():
        out[f"bronze.{cfg.name}"] = delta.table(bronze_uri(settings, source.source, cfg.name)).count()
        out[f"silver.{cfg.silver.name}"] = delta.table(silver_uri(settings, source.domain, cfg.silver.name)).count()
    return out


@pytest.fixture(scope="module")
def deployment(warehouse, airflow_db):
    return warehouse[0]


def test_source_dag_rerun_adds_nothing(deployment):
    settings = deployment
    source = load_source("fdi")
    simulator(source.name).advance(source.dsn(settings, owner=True))
    state, tasks = run_dag("ingest_fdi")
    assert state == "success", tasks
    after_first = _counts(settings, "fdi")
    state, tasks = run_dag("ingest_fdi")  # a retry of the same day
    assert state == "success", tasks
    assert _counts(settings, "fdi") == after_first


def test_backfill_a_date_range_through_the_dag(deployment):
    settings = deployment
    source = load_source("investment")
    cfg = next(iter(source.tables.values()))
    # restored rows, stamped 2, 5 and 9 days ago: beyond any lookback
    restored = dict(zip((2, 5, 9), restore_rows(source.dsn(settings, owner=True), cfg.query_table, cfg.watermark,
                                                [2, 5, 9])))
    new_ids = set(restored.values())
    state, _ = run_dag("ingest_investment")
    assert state == "success"
    held = set(delta.read_arrow(bronze_uri(settings, source.source, cfg.name), columns=["id"])["id"].to_pylist())
    assert not new_ids & held  # the increment cannot see them
    now = dt.datetime.now(dt.UTC)
    window = {"window_start": (now - dt.timedelta(days=7)).isoformat(), "window_end": now.isoformat()}
    for _ in range(2):  # the second backfill of the same range adds nothing
        state, tasks = run_dag("ingest_investment", window)
        assert state == "success", tasks
    ids = delta.read_arrow(bronze_uri(settings, source.source, cfg.name), columns=["id"])["id"].to_pylist()
    assert {i for i in new_ids if ids.count(i) == 1} == {restored[2], restored[5]}  # 9 days ago: outside
    assert restored[9] not in ids


def test_camera_feed_through_mqtt_and_the_camera_dag(deployment, mqtt):
    """The demo's camera feed (fleet replay + real footage through the vision pipeline, MQTT → bronze)
    then camera_analytics through dag.test(): every event once in bronze, windows and hotspots built."""
    from ingestion.stream.consumer import StreamConfig, drop_session
    from simulators import camera_feed

    settings = deployment
    drop_session(settings, StreamConfig().client_id)  # only what this feed publishes, not other tests' queues
    uri = bronze_uri(settings, "cameras", "events")
    # events other modules wrote into this warehouse's bronze (the open-data tests' camera day)
    before = delta.read_arrow(uri, columns=["event_id"]).num_rows if delta.exists(uri) else 0
    stats = camera_feed.run(settings, hours=0.5, vision_frames=8, say=lambda line: None)
    bronze = delta.read_arrow(uri, columns=["event_id", "camera_id"])
    assert stats["events"] > 5000 and stats["dead_letters"] == 0
    assert bronze.num_rows - before == stats["events"] and bronze.num_rows == len(pc.unique(bronze["event_id"]))
    state, tasks = run_dag("camera_analytics")
    assert state == "success", tasks
    windows = delta.read_arrow(silver_uri(settings, "cameras", "traffic_flow_5min"))
    assert windows.num_rows > 0 and pc.min(windows["congestion_index"]).as_py() >= 0
    assert pc.max(windows["congestion_index"]).as_py() <= 1
    # the real-footage camera is in the registry, so its events were not quarantined
    flows = delta.read_arrow(silver_uri(settings, "cameras", "crowd_flow_observed"), columns=["camera_id"])
    assert flows.num_rows > 0

    # an operator's full rebuild, through the DAG's params: every day rebuilt, the same rows
    from spark_jobs.camera_analytics import LOCAL_DATES

    uri = silver_uri(settings, "cameras", "traffic_flow_5min")
    before = delta.table(uri)
    state, tasks = run_dag("camera_analytics", {"full_rebuild": True})
    assert state == "success", tasks
    after = delta.table(uri)
    assert after.version() > before.version() and after.history(1)[0][LOCAL_DATES] == "all"
    assert after.count() == before.count()
    # the transport marts, as the scheduler would run them on the camera tables' Assets
    state, tasks = run_dag("transport_marts")
    assert state == "success", tasks


def test_marts_dag_builds_and_audits_every_leadership_mart(deployment):
    settings = deployment
    state, tasks = run_dag("warehouse_marts")
    assert state == "success", tasks
    with duckdb.connect(str(settings.warehouse_duckdb), read_only=True) as con:  # the published marts
        for mart in leadership_marts():
            assert con.sql(f"SELECT count(*) FROM main.{mart}").fetchone()[0] > 0, mart
        wards = con.sql("SELECT count(*), count(dossiers_received_12m) FROM main.rpt_ward_overview").fetchone()
        assert wards[0] == con.sql("SELECT count(*) FROM main.dim_admin_units").fetchone()[0]
        days = con.sql("SELECT count(*) FILTER (WHERE is_working_day) FROM main.dim_calendar "
                       "WHERE date_day BETWEEN DATE '2026-02-14' AND DATE '2026-02-22'").fetchone()[0]
        assert days == 0  # Tết 2026


def test_report_dag_renders_the_marts_in_a_browser(deployment):
    settings = deployment
    state, tasks = run_dag("leadership_report")
    assert state == "success", tasks
    html = settings.reports_dir / "leadership_report.html"
    text = html.read_text()
    assert "no data:" not in text  # every section has its mart
    with offline_page(html.as_uri()) as (page, log):
        page.wait_for_function(RENDERED, timeout=60_000)
        charts = page.eval_on_selector_all(".plotly-graph-div",
                                           "ds => ds.map(d => d.querySelectorAll('.main-svg').length)")
        wards = page.locator("#chart-rpt_ward_overview path.choroplethlocation").count()
        page.screenshot(path=str(settings.reports_dir / "leadership_report.png"), full_page=True)
    assert log.errors == [] and log.outside == []
    # every leadership mart, plus the two camera sections (the camera feed test above filled them)
    assert len(charts) == len(leadership_marts()) + 2 and all(charts)
    assert "chart-rpt_congestion_by_ward" in text and "chart-rpt_incident_hotspots" in text
    assert wards >= 160


def test_freshness_dag_fails_naming_a_source_that_never_arrived(deployment):
    settings = deployment
    uri = extract_log_uri(settings)
    log = delta.read_arrow(uri)
    delta.write_arrow(log.filter(pc.not_equal(log["source"], "schools")), uri, mode="overwrite")
    try:
        state, tasks = run_dag("source_freshness")
        assert state == "failed" and tasks["check_source_freshness"] == "failed"
        late = [(r["source"], r["reason"]) for r in recorded(settings).to_pylist() if r["is_late"]]
        assert late == [("schools", "never extracted")]
    finally:
        extract_source("schools", settings)  # a run, even with nothing new, is a delivery
    state, _ = run_dag("source_freshness")
    assert state == "success"
