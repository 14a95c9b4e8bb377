"""Camera events through the warehouse, against real PostgreSQL (the registry), Spark and dbt-duckdb:
registry → bronze → silver; bronze events (duplicates and an unknown camera included) → silver events →
5-minute traffic windows with the congestion index → hotspots → transport marts."""
from __future__ import annotations

import datetime as dt
import json

import pyarrow as pa
import pytest

from citylake import delta, events
from citylake.catalog import bronze_uri, silver_uri

SEED = 20250701
T0 = dt.datetime(2026, 3, 2, 0, 0, tzinfo=dt.UTC)  # 07:00 in Ho Chi Minh City
CONGESTED_AT = T0 + dt.timedelta(hours=1)          # 08:00: the rush
MINUTE = dt.timedelta(minutes=1)


def _counts(motorcycle: int, car: int, bus: int = 0, truck: int = 0, bicycle: int = 0) -> dict[str, int]:
    return {"motorcycle": motorcycle, "car": car, "bus": bus, "truck": truck, "bicycle": bicycle}


def _rows(evts: list[dict], batch: int) -> pa.Table:
    """Bronze rows as the stream consumer writes them: parse(encode(event), topic) + its batch stamps."""
    rows = []
    for e in evts:
        row = events.parse(events.encode(e, T0 + dt.timedelta(hours=3)), events.topic(e["cameraId"], e["type"]))
        rows.append({**row, "_ingested_at": T0 + dt.timedelta(hours=3, seconds=batch), "_batch": batch})
    return pa.Table.from_pylist(rows, schema=events.BRONZE_SCHEMA)


@pytest.fixture(scope="module")
def camera_lake(postgres, spark, tmp_path_factory):
    """Registry ingested to silver, a known set of events in bronze, the camera jobs run once."""
    from citylake.services.postgres import ensure_database
    from citylake.settings import Settings
    from ingestion.extract import extract_source
    from ingestion.reference import tables
    from simulators.departments import prepare_source
    from simulators.departments.cameras.generator import fleet
    from spark_jobs import camera_analytics, camera_events, silver

    mp = pytest.MonkeyPatch()
    mp.setenv("CITYLAKE_LAKEHOUSE", str(tmp_path_factory.mktemp("camera-lake")))
    settings = Settings()
    # a registry database of its own: the shared warehouse's camera source (seed 11) stays as it is
    ensure_database(settings, "camera_registry_events_test")
    mp.setenv("CITYLAKE_CAMERAS_DSN", settings.pg_dsn("camera_registry_events_test"))
    tables.write(settings)
    prepare_source(settings, "cameras", scale=0.004, seed=SEED, force=True)
    extract_source("cameras", settings)
    silver.run("cameras", settings, spark)
    registry = {r["camera_id"]: r for r in delta.read_arrow(silver_uri(settings, "cameras", "registry")).to_pylist()}

    # two cameras in one 2025 ward, a third in another ward
    def ward(cam):
        return registry[cam["camera_id"]]["ward_code_2025"]

    cams = [c for c in fleet(300, SEED) if c["camera_id"] in registry and ward(c)]
    a = cams[0]
    b = next(c for c in cams[1:] if ward(c) == ward(a))
    c = next(c for c in cams if ward(c) != ward(a))

    def traffic(cam, start, counts, congested, stopped=0):
        return events.traffic_flow(cam["camera_id"], start, start + MINUTE, counts, cam["longitude"],
                                   cam["latitude"], congested=congested, average_speed_kmh=8 if congested else 30,
                                   stopped_vehicles=stopped)

    def incident(cam, at, sub):
        category = "security" if sub in ("crowdAboveThreshold", "civilDisorder") else "traffic"
        return events.alert(cam["camera_id"], at, category, sub, cam["longitude"], cam["latitude"])

    quiet = [traffic(cam, T0 + i * MINUTE, _counts(15 + i, 4, 1), False) for cam in (a, b) for i in range(5)]
    rush = [traffic(cam, CONGESTED_AT + i * MINUTE, _counts(25 + i, 5, 0, 1), True, stopped=2)
            for cam in (a, b) for i in range(5)]
    alerts = [incident(a, T0 + 2 * MINUTE, "trafficJam"), incident(a, CONGESTED_AT, "trafficJam"),
              incident(b, CONGESTED_AT + MINUTE, "carAccident"), incident(c, T0 + 3 * MINUTE, "crowdAboveThreshold")]
    crowds = [events.crowd_flow(c["camera_id"], T0 + i * MINUTE, T0 + (i + 1) * MINUTE, 120 + 40 * i, c["longitude"],
                                c["latitude"], threshold=150) for i in range(3)]
    unknown = traffic({"camera_id": "CAM-99999", "longitude": 106.7, "latitude": 10.78}, T0, _counts(9, 1), False)
    first = quiet + rush + alerts + crowds + [unknown]
    again = quiet[:2] + rush[:1] + alerts[:1]  # redelivered (QoS 1) in a later micro-batch
    uri = bronze_uri(settings, "cameras", "events")
    delta.write_arrow(_rows(first, 1), uri, partition_by=["event_date"])
    delta.write_arrow(_rows(again, 2), uri, partition_by=["event_date"])

    counts = {"events": camera_events.run(settings, spark), "analytics": camera_analytics.run(settings, spark)}
    yield {"settings": settings, "counts": counts, "a": a, "b": b, "c": c, "registry": registry,
           "quiet": quiet, "rush": rush, "alerts": alerts}
    mp.undo()


def _silver(lake, name):
    return delta.read_arrow(silver_uri(lake["settings"], "cameras", name)).to_pylist()


def test_registry_holds_the_fleet_with_2025_wards_and_few_face_matching_cameras(camera_lake):
    from simulators.departments.cameras.generator import fleet

    registry = camera_lake["registry"]
    assert len(registry) >= 1000
    cams = fleet(1000, SEED)
    assert all(c["camera_id"] in registry for c in cams)
    by_fleet = {c["camera_id"]: c for c in cams}
    with_ward = [r for r in registry.values() if r["ward_code_2025"] and r["camera_id"] in by_fleet]
    assert len(with_ward) > 900
    assert all(by_fleet[r["camera_id"]]["ward_code"] == r["ward_code_2025"] for r in with_ward)
    face = [r for r in registry.values() if r["face_matching"]]
    assert 0 < len(face) <= 20 and all(r["owner_code"] == "CA-TP" and r["analytics_profile"] == "public_order"
                                       for r in face)
    assert "SGTVT" not in {r["owner_code"] for r in registry.values()}  # the 2025 department took them over
    assert {r["analytics_profile"] for r in registry.values()} == {"traffic", "crowd", "traffic_crowd", "public_order"}


def test_each_event_once_and_the_unknown_camera_quarantined_with_its_reason(camera_lake):
    traffic = _silver(camera_lake, "traffic_flow_observed")
    ids = [r["event_id"] for r in traffic]
    assert len(ids) == len(set(ids)) == len(camera_lake["quiet"]) + len(camera_lake["rush"])
    assert len(_silver(camera_lake, "alerts")) == len(camera_lake["alerts"])
    quarantine = _silver(camera_lake, "events_quarantine")
    assert [(q["camera_id"], q["reason"]) for q in quarantine] == [
        ("CAM-99999", "camera not in the registry: CAM-99999")]
    a = camera_lake["registry"][camera_lake["a"]["camera_id"]]
    row = next(r for r in traffic if r["camera_id"] == a["camera_id"])
    assert (row["ward_code_2025"], row["district"], row["owner_code"]) == (a["ward_code_2025"], a["district"],
                                                                           a["owner_code"])


def test_five_minute_windows_sum_the_input_and_rate_the_rush_as_congested(camera_lake):
    windows = _silver(camera_lake, "traffic_flow_5min")
    a, b = camera_lake["a"]["camera_id"], camera_lake["b"]["camera_id"]
    assert {(w["camera_id"], w["local_time"]) for w in windows} == {(a, "07:00"), (a, "08:00"), (b, "07:00"),
                                                                    (b, "08:00")}
    for w in windows:
        sent = [e for e in camera_lake["quiet"] + camera_lake["rush"] if e["cameraId"] == w["camera_id"]
                and (e["dateObservedFrom"] < "2026-03-02T01:00") == (w["local_time"] == "07:00")]
        assert w["observations"] == len(sent) == 5
        assert w["intensity"] == sum(e["intensity"] for e in sent)
        for vehicle in events.VEHICLE_TYPES:
            assert w[vehicle] == sum(e["vehicleCounts"][vehicle] for e in sent), vehicle
        assert w["motorcycle"] > w["car"] + w["bus"] + w["truck"]
        assert 0 <= w["congestion_index"] <= 1
        assert w["local_date"] == dt.date(2026, 3, 2)
    index = {(w["camera_id"], w["local_time"]): w["congestion_index"] for w in windows}
    assert index[(a, "08:00")] > index[(a, "07:00")] + 0.3
    rush = next(w for w in windows if (w["camera_id"], w["local_time"]) == (a, "08:00"))
    assert rush["congested_share"] == 1.0 and rush["stopped_vehicles"] == 10

    wards = _silver(camera_lake, "traffic_flow_ward_5min")
    ward = camera_lake["registry"][a]["ward_code_2025"]
    mine = {w["local_time"]: w for w in wards if w["ward_code_2025"] == ward}
    assert mine["08:00"]["cameras"] == 2
    assert mine["08:00"]["intensity"] == sum(w["intensity"] for w in windows if w["local_time"] == "08:00")
    assert 0 <= mine["07:00"]["congestion_index"] < mine["08:00"]["congestion_index"] <= 1


def test_hotspots_rank_wards_and_cameras_by_alerts(camera_lake):
    registry = camera_lake["registry"]
    a, b, c = (camera_lake[k]["camera_id"] for k in "abc")
    wards = {w["ward_code_2025"]: w for w in _silver(camera_lake, "hotspots_ward_daily")}
    first, second = registry[a]["ward_code_2025"], registry[c]["ward_code_2025"]
    assert (wards[first]["rank"], wards[first]["alerts"], wards[first]["traffic_jams"],
            wards[first]["accidents"]) == (1, 3, 2, 1)
    assert (wards[second]["rank"], wards[second]["crowd_alerts"]) == (2, 1)
    assert wards[second]["crowd_observations_above_threshold"] == 2  # 160 and 200 people over 150
    cams = {r["camera_id"]: r for r in _silver(camera_lake, "hotspots_camera_daily")}
    # b and c both had one alert; c's crowd over its threshold breaks the tie
    assert [cams[x]["rank"] for x in (a, b, c)] == [1, 3, 2]
    assert cams[a]["camera_name"] == registry[a]["camera_name"]


def test_transport_marts_build_pass_their_tests_and_audit_without_face_data(camera_lake, tmp_path_factory):
    import duckdb

    from citylake.dbt import marts, run_dbt
    from citylake.warehouse import publish, staging_path
    from expectations.gates import audit_marts

    TRANSPORT_MARTS = marts(("transport",))  # noqa: N806

    # a warehouse of its own: the shared test warehouse belongs to the department marts; built into
    # the transport DAG's staging file, audited there, then published, as the DAG does
    settings = camera_lake["settings"].model_copy(update={"run_dir": tmp_path_factory.mktemp("camera-warehouse")})
    run_dbt(["build", "--select", "+marts.transport"], settings, staging_path(settings, "transport_marts"))
    assert len(audit_marts(TRANSPORT_MARTS, staged_by="transport_marts", settings=settings)) == len(TRANSPORT_MARTS)
    assert sorted(publish(settings, "transport_marts", TRANSPORT_MARTS).marts) == TRANSPORT_MARTS
    a = camera_lake["registry"][camera_lake["a"]["camera_id"]]
    with duckdb.connect(str(settings.warehouse_duckdb), read_only=True) as con:
        assert con.sql("SELECT count(*) FROM main.dim_cameras").fetchone()[0] == len(camera_lake["registry"])
        owners = dict(con.sql("SELECT owner_code, any_value(owner_name) FROM main.dim_cameras GROUP BY 1").fetchall())
        assert owners["SXD"] == "Sở Xây dựng" and owners["CA-TP"] == "Công an Thành phố"
        rush = con.sql("SELECT windows, intensity, motorcycles, congestion_index FROM main.rpt_congestion_by_ward "
                       "WHERE ward_code_2025 = $1 AND local_hour = 8", params=[a["ward_code_2025"]]).fetchone()
        sent = [e for e in camera_lake["rush"]]
        assert rush[:3] == (1, sum(e["intensity"] for e in sent), sum(e["vehicleCounts"]["motorcycle"] for e in sent))
        assert 0.5 < rush[3] <= 1
        top = con.sql("SELECT ward_code_2025, alerts FROM main.rpt_incident_hotspots WHERE day_rank = 1").fetchall()
        assert top == [(a["ward_code_2025"], 3)]
        columns = [c for (c,) in con.sql("SELECT column_name FROM information_schema.columns WHERE table_name IN "
                                         f"{tuple(TRANSPORT_MARTS)}").fetchall()]
    assert not [c for c in columns if "embedding" in c or ("face" in c and c != "face_matching_enabled")]

    # the leadership report draws them: traffic through the day, hotspots, congestion on the ward map
    from citylake.warehouse import read_mart
    from reporting.leadership import render

    wards = read_mart(settings, "dim_admin_units", staged_by="transport_marts")
    with duckdb.connect(str(settings.warehouse_duckdb)) as con:
        # the departments' ward overview is not built here: the map's wards alone stand in for it
        con.register("wards", wards)
        con.execute("CREATE TABLE main.rpt_ward_overview AS SELECT ward_code_2025, ward_name_2025, latitude, "
                    "longitude, area_km2 FROM wards")
    report = render(settings.warehouse_duckdb, settings.reports_dir)
    html = report.path.read_text()
    assert 'id="chart-rpt_congestion_by_ward"' in html and 'id="chart-rpt_incident_hotspots"' in html
    assert "Congestion index (camera" in html  # the map measure (plotly escapes the Vietnamese)
    assert not {"rpt_congestion_by_ward", "rpt_incident_hotspots", "rpt_ward_overview"} & set(report.empty_sections)


def test_camera_silver_passes_its_audit(camera_lake):
    from expectations.camera_suites import CAMERA_SUITES
    from expectations.gates import audit_camera_silver

    assert len(audit_camera_silver(camera_lake["settings"])) == len(CAMERA_SUITES)


def _add_traffic(settings, cam: dict, start: dt.datetime, motorcycles: int = 10) -> None:
    """Four one-minute observations from ``start`` into bronze (one redelivered), ingested an hour later."""
    new = [events.traffic_flow(cam["camera_id"], start + i * MINUTE, start + (i + 1) * MINUTE,
                               _counts(motorcycles, 2), cam["longitude"], cam["latitude"], congested=False)
           for i in range(4)]
    rows = _rows(new + new[:1], 3)
    stamp = events.BRONZE_SCHEMA.field("_ingested_at").type
    ingested = pa.array([start + dt.timedelta(hours=1)] * rows.num_rows, stamp)
    rows = rows.set_column(rows.schema.get_field_index("_ingested_at"), "_ingested_at", ingested)
    delta.write_arrow(rows, bronze_uri(settings, "cameras", "events"), partition_by=["event_date"])


def test_a_new_day_of_events_rebuilds_only_that_day(camera_lake, spark):
    """Incremental silver: bronze unchanged → nothing written; events of a new day → that day's
    partition replaced (plus any day ingested within the late-commit margin of the last run), the
    other days' files kept as they were. (Last in the module: it adds events.)"""
    from spark_jobs import camera_events

    settings, a = camera_lake["settings"], camera_lake["a"]
    uri = silver_uri(settings, "cameras", "traffic_flow_observed")
    version = delta.table(uri).version()
    assert camera_events.run(settings, spark)["event_dates_rebuilt"] == 0
    assert delta.table(uri).version() == version

    before = delta.table(uri).count()
    day2, day3 = T0 + dt.timedelta(days=1), T0 + dt.timedelta(days=2)
    _add_traffic(settings, a, day2)
    counts = camera_events.run(settings, spark)
    assert counts["traffic_flow_observed"] == before + 4
    assert day2.date().isoformat() in delta.table(uri).history(1)[0]["citylake.event_dates"]

    kept = sorted(f for f in delta.table(uri).file_uris() if "event_date=" + day3.date().isoformat() not in f)
    _add_traffic(settings, a, day3)
    counts = camera_events.run(settings, spark)
    assert counts["event_dates_rebuilt"] == 1 and counts["traffic_flow_observed"] == before + 8
    assert delta.table(uri).history(1)[0]["citylake.event_dates"] == day3.date().isoformat()
    assert sorted(f for f in delta.table(uri).file_uris() if "event_date=" + day3.date().isoformat() not in f) == kept


def test_analytics_rebuild_only_the_days_that_changed_and_agree_with_a_full_rebuild(camera_lake, spark):
    """Incremental analytics: nothing new → nothing written; a new day → that local day (and the next,
    which its UTC date reaches) replaced, every other day's files kept; late events for an old day →
    that day and the later days whose 28-day p85 reference includes it; and all of it the same as a
    full rebuild. (Last in the module: it adds events.)"""
    import numpy as np

    from spark_jobs import camera_analytics, camera_events

    settings, a = camera_lake["settings"], camera_lake["a"]
    uris = {name: silver_uri(settings, "cameras", name) for name in camera_analytics.OUTPUTS}
    windows = uris["traffic_flow_5min"]

    def files_outside(uri, days):
        return sorted(f for f in delta.table(uri).file_uris() if not any(f"local_date={d}" in f for d in days))

    def rows(uri):
        return sorted(delta.read_arrow(uri).to_pylist(), key=lambda r: json.dumps(r, sort_keys=True, default=str))

    camera_analytics.run(settings, spark)                  # catch up with the events the tests above added
    versions = {n: delta.table(u).version() for n, u in uris.items()}
    assert camera_analytics.run(settings, spark)["local_dates_rebuilt"] == 0
    assert {n: delta.table(u).version() for n, u in uris.items()} == versions
    # an OPTIMIZE in between (rows unchanged; Z-order rewrites even one-file partitions) makes neither
    # job rebuild anything
    for uri in (silver_uri(settings, "cameras", "traffic_flow_observed"), windows):
        before = delta.table(uri).version()
        delta.table(uri).optimize.z_order(["camera_id"])
        assert delta.table(uri).history(1)[0]["operation"] == "OPTIMIZE" and delta.table(uri).version() > before
    assert camera_events.run(settings, spark)["event_dates_rebuilt"] == 0
    assert camera_analytics.run(settings, spark)["local_dates_rebuilt"] == 0

    # a new day, three weeks on: 12:00 UTC is 19:00 local, so only that local day has windows
    late_day = T0 + dt.timedelta(days=20, hours=12)
    local = [(late_day + dt.timedelta(days=k)).date().isoformat() for k in (0, 1)]
    kept = {n: files_outside(u, local) for n, u in uris.items()}
    _add_traffic(settings, a, late_day)
    camera_events.run(settings, spark)
    counts = camera_analytics.run(settings, spark)
    assert counts["local_dates_rebuilt"] == 2
    assert delta.table(windows).history(1)[0][camera_analytics.LOCAL_DATES] == ",".join(local)
    assert {n: files_outside(u, local) for n, u in uris.items()} == kept
    day_rows = [r for r in delta.read_arrow(windows).to_pylist() if r["local_date"].isoformat() == local[0]]
    assert len(day_rows) == 1 and day_rows[0]["intensity"] == 4 * 12
    p85_before = day_rows[0]["p85_intensity"]

    # late events for the second day: that day is rebuilt, and the late day whose reference includes it
    second = T0 + dt.timedelta(days=1, hours=5)                  # 12:00 local on 3 March
    _add_traffic(settings, a, second, motorcycles=200)
    camera_events.run(settings, spark)
    camera_analytics.run(settings, spark)
    rebuilt = delta.table(windows).history(1)[0][camera_analytics.LOCAL_DATES].split(",")
    assert second.date().isoformat() in rebuilt and local[0] in rebuilt
    mine = [r for r in delta.read_arrow(windows).to_pylist() if r["camera_id"] == a["camera_id"]]
    day = dt.date.fromisoformat(local[0])
    reference = [r["intensity"] for r in mine if day - dt.timedelta(days=27) <= r["local_date"] <= day]
    late = next(r for r in mine if r["local_date"] == day)
    assert late["p85_intensity"] == pytest.approx(float(np.percentile(reference, 85)))
    assert late["p85_intensity"] > p85_before

    incremental = {n: rows(u) for n, u in uris.items()}
    assert camera_analytics.run(settings, spark, full=True)["local_dates_rebuilt"] == "all"
    assert {n: rows(u) for n, u in uris.items()} == incremental
