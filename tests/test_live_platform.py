"""The live platform: Airflow's API server, scheduler, DAG processor and triggerer (LocalExecutor,
PostgreSQL metadata) and the Spark Connect server, started as the deployment's own services on the
shared warehouse, driven the way a data engineer drives them — over the REST API and in the UI.

Nothing here calls ``dag.test()``: every run is created and executed by the real scheduler.
"""
from __future__ import annotations

import datetime as dt
import os
import time

import duckdb
import pytest
from browser import loopback_page

from citylake import delta
from citylake.catalog import silver_uri
from citylake.services import airflow, jupyter, spark_connect
from citylake.warehouse import read_mart, staging_path
from orchestration.api import TERMINAL, AirflowAPI
from orchestration.marts import OWNERS, owned_marts
from orchestration.run import run_day

pytestmark = pytest.mark.live


def _wait_state(api: AirflowAPI, dag_id: str, run_id: str, timeout: float = 900) -> dict:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        run = api.run(dag_id, run_id)
        if run["state"] in TERMINAL:
            return run
        time.sleep(2)
    raise TimeoutError(f"{dag_id} {run_id} still {run['state']} after {timeout:.0f}s")


# the marts DAGs this deployment's sources feed (the centre's marts wait for its forecasts and choices)
DEPARTMENT_WRITERS = ("warehouse_marts", "transport_marts")


def _settle(api: AirflowAPI, timeout: float = 900) -> None:
    """Wait until no run of the warehouse writers or their followers is queued or running: runs that
    earlier tests' Asset events set off would otherwise publish in the middle of the next test."""
    # the centre's DAGs too: a forecast published minutes later sets off the report again
    watched = (*OWNERS, "leadership_report", "open_data_portal", "forecasts", "growth_scenarios", "site_selection")
    deadline = time.monotonic() + timeout

    def busy() -> bool:
        # a run still going, or Asset events waiting to become one (a run just ended, the next not made)
        return (any(r["state"] not in TERMINAL for d in watched for r in api.runs(d, limit=5))
                or any(api.queued_asset_events(d) for d in watched))

    while busy():
        if time.monotonic() > deadline:
            raise TimeoutError("runs of the warehouse writers still active")
        time.sleep(3)


def _published(settings) -> dict[str, int]:
    """Publications per mart so far."""
    with duckdb.connect(str(settings.warehouse_duckdb), read_only=True) as con:
        return dict(con.execute("SELECT mart, count(*) FROM main._publications GROUP BY mart").fetchall())


def _publications_by(settings, owner: str) -> list[tuple]:
    """Every publication ``owner`` made: mart and time (the clock of a camera or forecast DAG may
    publish theirs meanwhile, so the file as a whole is not the measure)."""
    with duckdb.connect(str(settings.warehouse_duckdb), read_only=True) as con:
        return con.execute("SELECT mart, published_at FROM main._publications WHERE owner = ? ORDER BY ALL",
                           [owner]).fetchall()


def _followed(api: AirflowAPI, but: str | None = None) -> list[str]:
    """The DAGs a day's run waits for: all but the root and the background ones (the forecasts), as
    `citylake run` does."""
    from orchestration.defaults import BACKGROUND_TAG

    return [d["dag_id"] for d in api.dags()
            if d["dag_id"] != but and not any(t["name"] == BACKGROUND_TAG for t in d["tags"])]


@pytest.fixture(scope="module")
def live(warehouse, ckan, mqtt):
    """The live Airflow and Spark Connect over the shared warehouse, with camera tables in it."""
    settings = warehouse[0]
    spark_connect.start(settings)
    airflow.start(settings)
    api = AirflowAPI.for_settings(settings)
    log_folder = airflow.home(settings) / "logs"
    if not delta.exists(silver_uri(settings, "cameras", "traffic_flow_5min")):
        # the transport marts read the camera tables: stream a little, then let the scheduler build them
        from simulators import camera_feed

        camera_feed.run(settings, hours=0.25, vision_frames=4, say=lambda line: None)
        day = run_day(api, ["camera_analytics"], _followed(api), log_folder,
                      say=lambda line: None)
        assert day.ok, day.summary()
    yield settings, api, log_folder
    airflow.stop(settings)
    spark_connect.stop(settings)


def test_services_answer_on_loopback_only_and_secrets_are_private(live):
    settings, api, _ = live
    components = ("metadatabase", "scheduler", "triggerer", "dag_processor")
    deadline = time.monotonic() + 180   # a component just (re)started heartbeats within its interval
    while {(health := api.healthy())[c]["status"] for c in components} != {"healthy"} \
            and time.monotonic() < deadline:
        time.sleep(5)
    assert {health[c]["status"] for c in components} == {"healthy"}, health
    config = (airflow.home(settings) / "airflow.cfg").read_text()
    assert f"dags_folder = {airflow.DAGS_FOLDER}" in config and "load_examples = False" in config
    assert "host = 127.0.0.1" in config and "postgresql+psycopg://" in config and "sqlite" not in config
    for private in (airflow.home(settings) / "airflow.cfg", airflow.admin_password_file(settings)):
        assert oct(private.stat().st_mode & 0o777) == "0o600", private
    local = {line.split()[3] for line in os.popen(f"ss -ltnH 'sport = :{settings.airflow_port}'").read().splitlines()}
    assert local == {f"127.0.0.1:{settings.airflow_port}"}
    assert {d["dag_id"] for d in api.dags() if not d["is_paused"]} >= {"warehouse_marts", "ingest_health"}


def test_a_source_run_sets_off_marts_report_and_portal_through_the_scheduler(live):
    """One source's DAG triggered over REST; the scheduler runs the rest from Asset events alone."""
    settings, api, log_folder = live
    report = settings.reports_dir / "leadership_report.html"
    before = report.stat().st_mtime if report.exists() else 0.0
    day = run_day(api, ["ingest_health"], _followed(api, but="ingest_health"),
                  log_folder, say=lambda line: None)
    assert day.ok, day.summary()
    followed = {dag_id: run["run_type"] for (dag_id, _), run in day.runs.items() if dag_id != "ingest_health"}
    assert {"warehouse_marts", "leadership_report", "open_data_portal"} <= set(followed)
    assert set(followed.values()) == {"asset_triggered"}
    assert report.stat().st_mtime > before
    # the report was drawn from the marts this very chain published
    publications = _published(settings)
    assert publications["rpt_health_capacity_by_ward"] >= 1
    import ckanapi

    portal = ckanapi.RemoteCKAN(settings.ckan_url)
    assert portal.action.package_show(id="co-so-kham-chua-benh")["num_resources"] >= 2


def test_a_failed_dag_beside_healthy_ones_stops_only_itself(live, capsys):
    """`citylake run` of Health and of an Inspection whose source table has gone: Inspection fails,
    Health and everything its Assets set off (marts, report, portal) still run; the run ends with the
    failure, its log, and a non-zero exit."""
    import argparse

    import psycopg

    from orchestration.cli import cmd_run

    settings, api, log_folder = live
    _settle(api)
    with psycopg.connect(settings.pg_dsn("inspection_dept"), autocommit=True) as conn:
        conn.execute("ALTER TABLE thanhtra.ket_luan RENAME TO ket_luan_mat")
    since = dt.datetime.now(dt.UTC).isoformat()
    try:
        with pytest.raises(SystemExit) as exit:
            cmd_run(settings, argparse.Namespace(dag=["ingest_inspection", "ingest_health"]))
    finally:
        with psycopg.connect(settings.pg_dsn("inspection_dept"), autocommit=True) as conn:
            conn.execute("ALTER TABLE thanhtra.ket_luan_mat RENAME TO ket_luan")
    out = capsys.readouterr().out
    message = str(exit.value.code)
    assert exit.value.code not in (None, 0) and message.startswith("citylake run: 1 of ")
    assert "(ingest_inspection); the others ran" in message
    log = log_folder / "dag_id=ingest_inspection"
    failure = next(line.strip() for line in message.splitlines() if line.startswith("  "))
    assert failure.startswith("ingest_inspection: extract_inspection failed; its log: " + str(log))
    log_file = failure.rsplit("its log: ", 1)[1]
    assert "ket_luan" in open(log_file).read()  # the log named is the one that says why
    assert failure in out  # and the summary printed says it too
    # the healthy source and what its Assets set off all ran, by the scheduler, to the end (a run
    # that an Asset event from outside the day set off meanwhile is not followed by `citylake run`)
    _settle(api)
    runs = {dag_id: api.runs(dag_id, since=since) for dag_id in (
        "ingest_health", "ingest_inspection", "warehouse_marts", "leadership_report", "open_data_portal")}
    assert {d: {r["state"] for r in rs} for d, rs in runs.items()} == {
        "ingest_health": {"success"}, "ingest_inspection": {"failed"}, "warehouse_marts": {"success"},
        "leadership_report": {"success"}, "open_data_portal": {"success"}}
    assert {r["run_type"] for d in ("warehouse_marts", "leadership_report", "open_data_portal")
            for r in runs[d]} == {"asset_triggered"}
    states = {t["task_id"]: t["state"] for t in api.task_instances("ingest_inspection",
                                                                   runs["ingest_inspection"][0]["dag_run_id"])}
    assert states == {"extract_inspection": "failed", "build_inspection_silver": "upstream_failed",
                      "audit_inspection_silver": "upstream_failed"}


def test_pause_and_unpause_through_the_api(live):
    _, api, _ = live
    assert api.set_paused("source_freshness", True)["is_paused"] is True
    try:
        run = api.trigger("source_freshness")
        time.sleep(8)  # several scheduler loops: a paused DAG's run waits
        assert api.run("source_freshness", run["dag_run_id"])["state"] == "queued"
    finally:
        assert api.set_paused("source_freshness", False)["is_paused"] is False
    assert _wait_state(api, "source_freshness", run["dag_run_id"])["state"] in TERMINAL


def test_up_starts_again_a_scheduler_that_crashed(live):
    """Killed mid-run: at the next start its run is marked failed and its temporary files go."""
    import signal

    settings, api, _ = live
    run = api.trigger("warehouse_marts")["dag_run_id"]
    deadline = time.monotonic() + 300
    while api.run("warehouse_marts", run)["state"] != "running" and time.monotonic() < deadline:
        time.sleep(1)
    assert api.run("warehouse_marts", run)["state"] == "running"
    # what a killed publication and a killed build leave: a half-written copy, a staging WAL
    leftovers = [settings.warehouse_duckdb.with_name(f".{settings.warehouse_duckdb.name}.0badc0de.tmp"),
                 staging_path(settings, "transport_marts").with_suffix(".duckdb.wal")]
    for path in leftovers:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(b"left by a killed task")
    pid = int(airflow.pidfile(settings, "scheduler").read_text())
    os.killpg(os.getpgid(pid), signal.SIGKILL)
    deadline = time.monotonic() + 60
    while airflow.status(settings)["scheduler"] and time.monotonic() < deadline:
        time.sleep(0.5)
    assert airflow.status(settings) == {"api-server": True, "scheduler": False, "dag-processor": True,
                                        "triggerer": True}
    said = []
    assert airflow.start(settings, say=said.append) == ["scheduler"]  # what `citylake up` does
    stale = api.run("warehouse_marts", run)
    assert stale["state"] == "failed" and "left running by a scheduler that had stopped" in stale["note"]
    assert not [p for p in leftovers if p.exists()]
    assert f"warehouse_marts {run} (was running)" in said[0] and str(leftovers[0]) in said[1]
    restarted = dt.datetime.now(dt.UTC)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        beat = api.healthy()["scheduler"]["latest_scheduler_heartbeat"]
        if beat and dt.datetime.fromisoformat(beat) > restarted:
            break
        time.sleep(2)
    else:
        raise AssertionError("the restarted scheduler never sent a heartbeat")
    run = api.trigger("source_freshness")  # and it schedules again
    assert _wait_state(api, "source_freshness", run["dag_run_id"])["state"] in TERMINAL


def test_two_warehouse_writers_at_once_both_land_intact(live):
    """warehouse_marts and transport_marts triggered together: each publishes under the lock, one
    after the other, and the published warehouse holds both sets of marts, row for row as staged."""
    settings, api, _ = live
    _settle(api)
    before = _published(settings)
    started = {dag_id: api.trigger(dag_id)["dag_run_id"] for dag_id in DEPARTMENT_WRITERS}
    for dag_id, run_id in started.items():
        assert _wait_state(api, dag_id, run_id)["state"] == "success", dag_id
    after = _published(settings)
    with duckdb.connect(str(settings.warehouse_duckdb), read_only=True) as con:
        times = dict(con.execute("SELECT owner, max(published_at) FROM main._publications GROUP BY owner").fetchall())
    for dag_id in DEPARTMENT_WRITERS:
        for mart in owned_marts(dag_id):
            # published once more by this run (or more: an Asset event may have run the DAG again)
            assert after[mart] >= before.get(mart, 0) + 1, mart
            staged = read_mart(settings, mart, staged_by=dag_id)
            assert read_mart(settings, mart).num_rows == staged.num_rows > 0, mart
    assert times["warehouse_marts"] != times["transport_marts"]


def test_a_failed_audit_under_the_scheduler_leaves_yesterdays_marts(live):
    """Schools' statistics emptied: dbt's tests pass on an empty table, the audit's minimum row count
    does not. Nothing is published and nothing downstream hears of it."""
    settings, api, _ = live
    _settle(api)
    uri = silver_uri(settings, "education", "school_year_statistics")
    yesterday = delta.read_arrow(uri)
    published = _publications_by(settings, "warehouse_marts")
    schools = read_mart(settings, "rpt_schools_by_ward")
    delta.write_arrow(yesterday.schema.empty_table(), uri, mode="overwrite")
    since = dt.datetime.now(dt.UTC).isoformat()
    try:
        run = api.trigger("warehouse_marts")
        assert _wait_state(api, "warehouse_marts", run["dag_run_id"])["state"] == "failed"
        states = {t["task_id"]: t["state"] for t in api.task_instances("warehouse_marts", run["dag_run_id"])}
        assert states["dbt_build"] == "success" and states["audit_staged_marts"] == "failed"
        assert states["publish_marts"] == "upstream_failed"
        assert read_mart(settings, "rpt_schools_by_ward", staged_by="warehouse_marts").num_rows == 0
        assert _publications_by(settings, "warehouse_marts") == published
        assert read_mart(settings, "rpt_schools_by_ward").equals(schools)
        time.sleep(6)  # had an Asset been updated, the scheduler would have queued the report by now
        assert not [r for r in api.runs("leadership_report", since=since)]
        assert not api.queued_asset_events("leadership_report")
    finally:
        delta.write_arrow(yesterday, uri, mode="overwrite")


def test_the_ui_lists_the_dags_with_their_successful_runs(live):
    settings, _, _ = live
    with loopback_page(airflow.api_url(settings) + "/") as (page, log):
        page.wait_for_selector("input[name=username]", timeout=120_000)
        page.fill("input[name=username]", airflow.ADMIN)
        page.fill("input[name=password]", airflow.admin_password(settings))
        page.click("button[type=submit]")
        page.wait_for_url(lambda url: "/auth/" not in url, timeout=120_000)
        log.errors.clear()  # before the login the app's probe of the session answers 401, as it should
        page.goto(airflow.api_url(settings) + "/dags", wait_until="load")
        page.wait_for_selector("a:has-text('warehouse_marts')", timeout=120_000)
        page.wait_for_selector("text=Latest Run", timeout=60_000)
        text = page.inner_text("body")
        page.screenshot(path=str(settings.reports_dir / "airflow_dags.png"), full_page=True)
        page.goto(airflow.api_url(settings) + "/dags/warehouse_marts", wait_until="load")
        page.wait_for_selector("text=publish_marts", timeout=120_000)
        page.screenshot(path=str(settings.reports_dir / "airflow_warehouse_marts.png"))
    for dag_id in ("ingest_health", "warehouse_marts", "transport_marts", "leadership_report", "open_data_portal"):
        assert dag_id in text
    assert "17 Dags" in text or "Dags" in text
    assert log.errors == [] and log.outside == []


def test_notebooks_open_and_run_in_jupyterlab(live):
    settings, _, _ = live
    notebook = "01_businesses_and_land_duckdb.ipynb"
    as_committed = (jupyter.NOTEBOOKS / notebook).read_bytes()   # the lab autosaves the outputs into it
    jupyter.start(settings)
    try:
        with loopback_page(f"{jupyter.url(settings)}/tree/{notebook}?token={jupyter.token(settings)}",
                           height=1200) as (page, log):
            page.wait_for_function("() => document.querySelectorAll('.jp-Notebook .jp-Cell').length > 5",
                                   timeout=180_000)
            page.wait_for_function("() => /\\| Idle/.test(document.body.innerText)", timeout=180_000)
            page.get_by_role("menuitem", name="Run").click()
            page.get_by_text("Run All Cells", exact=True).click()
            # tables and charts drawn: the kernel has the project's packages and reads this lakehouse
            # its two DataFrames and two plotly charts (the notebook's own cells, all run)
            page.wait_for_function("() => document.querySelectorAll('.jp-OutputArea-output table').length >= 2 && "
                                   "document.querySelectorAll('.jp-OutputArea-output svg.main-svg').length >= 2",
                                   timeout=300_000)
            errors = page.locator(".jp-OutputArea-output[data-mime-type='application/vnd.jupyter.stderr']").count()
            page.screenshot(path=str(settings.reports_dir / "jupyterlab_notebook.png"))
        assert errors == 0
        assert log.outside == []
    finally:
        jupyter.stop(settings)
        (jupyter.NOTEBOOKS / notebook).write_bytes(as_committed)


def test_every_delta_table_in_the_lakehouse_is_in_the_catalogue(live):
    from citylake.catalog import all_tables

    settings, _, _ = live
    root = settings.lakehouse
    found = {os.path.relpath(os.path.dirname(p), root) for p, _, _ in os.walk(root) if p.endswith("_delta_log")}
    catalogued = {f"{t.layer}/{t.domain}/{t.name}" for t in all_tables()}
    assert found and found <= catalogued, sorted(found - catalogued)


def test_staging_and_published_warehouses_are_separate_files(live):
    settings, _, _ = live
    for dag_id in DEPARTMENT_WRITERS:
        assert staging_path(settings, dag_id) != settings.warehouse_duckdb
        assert staging_path(settings, dag_id).exists()
