"""Drill: the services and the run folder are locked down.

Another local account (``nobody``) can reach none of them; the platform's own accounts hold only
what their job needs: extraction reads the department databases and writes nothing, no role but the
cluster's own superuser is one, a camera publishes on its own topics alone, CKAN's anonymous users
get no SQL and no user details.
"""
from __future__ import annotations

import shutil
import stat
import subprocess
import threading
import time

import paho.mqtt.client as paho
import psycopg
import pymysql
import pytest

from citylake import events
from citylake.services import mariadb as mariadb_service
from citylake.services import mosquitto, redis
from citylake.services import postgres as pg_service


def as_nobody(*cmd: str) -> subprocess.CompletedProcess:
    runuser = shutil.which("runuser") or "/usr/sbin/runuser"
    return subprocess.run([runuser, "-u", "nobody", "--", *cmd], capture_output=True, text=True, timeout=30,
                          cwd="/", env={"PATH": "/usr/bin:/bin", "HOME": "/nonexistent"})


@pytest.fixture(scope="module")
def services(postgres, mariadb, mqtt):
    """As root (the deployment's owner): the services, one department database of each kind."""
    settings = postgres
    redis.start(settings)
    postgres_db = "drill_department"
    pg_service.ensure_database(settings, postgres_db)
    pg_service.grant_reader(settings, postgres_db)
    with psycopg.connect(settings.pg_dsn(postgres_db), autocommit=True) as conn:
        conn.execute("CREATE SCHEMA IF NOT EXISTS dept")
        conn.execute("CREATE TABLE IF NOT EXISTS dept.citizens (id int PRIMARY KEY, cccd text)")
        conn.execute("INSERT INTO dept.citizens VALUES (1, '079203001234') ON CONFLICT DO NOTHING")
    mariadb_service.ensure_database(settings, "drill_land")
    mariadb_service.grant_reader(settings, "drill_land")
    conn = mariadb_service.connect(settings.mariadb_dsn("drill_land"))
    with conn.cursor() as cur:
        cur.execute("CREATE TABLE IF NOT EXISTS parcels (id int PRIMARY KEY, owner_id varchar(12))")
        cur.execute("INSERT IGNORE INTO parcels VALUES (1, '079203001234')")
    conn.close()
    return settings


def test_another_local_user_reaches_no_service(services):
    s = services
    pg = as_nobody("psql", "-w", "-h", "127.0.0.1", "-p", str(s.pg_port), "-U", "citylake", "-d", "postgres",
                   "-c", "select 1")
    assert pg.returncode != 0 and "password" in pg.stderr, pg
    pg_socket = as_nobody("psql", "-w", "-h", str(pg_service.data_dir(s)), "-p", str(s.pg_port), "-U", "postgres",
                          "-d", "postgres", "-c", "select 1")
    assert pg_socket.returncode != 0, pg_socket
    maria = as_nobody("mariadb", "-h", "127.0.0.1", "-P", str(s.mariadb_port), "-u", "root", "-e", "select 1")
    assert maria.returncode != 0 and "Access denied" in maria.stderr, maria
    red = as_nobody("redis-cli", "-h", "127.0.0.1", "-p", str(s.redis_port), "get", "anything")
    assert "NOAUTH" in red.stdout + red.stderr, red
    mq = as_nobody("mosquitto_pub", "-h", "127.0.0.1", "-p", str(s.mqtt_port), "-q", "1",
                   "-t", events.topic("CAM-ANY", "CrowdFlowObserved"), "-m", "{}")
    assert mq.returncode != 0 and "not authori" in (mq.stderr + mq.stdout).lower(), mq


def test_another_local_user_reads_no_file_of_the_deployment(services):
    s = services
    s.secret("pseudonym_salt")
    secret_file = s.secrets_dir / "pseudonym_salt"
    assert stat.S_IMODE(secret_file.stat().st_mode) == 0o600
    assert stat.S_IMODE(s.secrets_dir.stat().st_mode) == 0o700
    probes = [secret_file, s.run_dir / "services" / "mosquitto" / "passwords"]
    lake = s.run_dir / "lakehouse"
    probes += list(lake.rglob("*.parquet"))[:1] if lake.exists() else []
    for path in probes:
        assert path.exists(), path
        got = as_nobody("cat", str(path))
        assert got.returncode != 0 and "Permission denied" in got.stderr, (path, got)
    listing = as_nobody("ls", str(s.run_dir))
    assert listing.returncode != 0 and "Permission denied" in listing.stderr, listing


def test_no_platform_role_is_a_superuser_and_extraction_reads_only(services):
    s = services
    with psycopg.connect(s.pg_admin_dsn(), autocommit=True) as conn:
        supers = {r[0] for r in conn.execute("SELECT rolname FROM pg_roles WHERE rolsuper")}
        hba = conn.execute("SELECT DISTINCT auth_method FROM pg_hba_file_rules").fetchall()
    assert supers == {"postgres"}
    assert {m for (m,) in hba} == {"scram-sha-256"}
    reader = s.pg_dsn("drill_department", s.pg_reader)
    with psycopg.connect(reader, autocommit=True) as conn:
        assert conn.execute("SELECT count(*) FROM dept.citizens").fetchone()[0] >= 1
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            conn.execute("UPDATE dept.citizens SET cccd = 'x'")
    # a database the departments did not grant (Airflow's, CKAN's …) is closed to the reader
    pg_service.ensure_database(s, "drill_private")
    with pytest.raises(psycopg.OperationalError, match="permission denied"):
        psycopg.connect(s.pg_dsn("drill_private", s.pg_reader)).close()
    with pytest.raises(psycopg.OperationalError, match="password authentication failed"):
        psycopg.connect(f"postgresql://citylake:wrong@127.0.0.1:{s.pg_port}/postgres").close()


def test_mariadb_reader_reads_its_database_and_nothing_else(services):
    s = services
    conn = mariadb_service.connect(s.mariadb_dsn("drill_land", s.pg_reader))
    try:
        with conn.cursor() as cur:
            cur.execute("SELECT count(*) FROM parcels")
            assert cur.fetchone()[0] >= 1
            with pytest.raises(pymysql.err.OperationalError, match="command denied"):
                cur.execute("DELETE FROM parcels")
            with pytest.raises(pymysql.err.OperationalError, match="command denied"):
                cur.execute("SELECT * FROM mysql.user")
    finally:
        conn.close()
    with pytest.raises(pymysql.err.OperationalError, match="Access denied"):
        mariadb_service.connect(f"mysql://root@127.0.0.1:{s.mariadb_port}/", database=False)


def test_a_camera_publishes_on_its_own_topics_only(services):
    s = services
    received: list[str] = []
    ready = threading.Event()
    sub = paho.Client(paho.CallbackAPIVersion.VERSION2, client_id="drill-lockdown-sub")
    sub.username_pw_set(*s.mqtt_credentials(mosquitto.INGEST))
    sub.on_connect = lambda c, u, f, rc, p: c.subscribe(f"{events.TOPIC_ROOT}/#", qos=1)
    sub.on_subscribe = lambda *a: ready.set()
    sub.on_message = lambda c, u, msg: received.append(msg.topic)
    sub.connect("127.0.0.1", s.mqtt_port)
    sub.loop_start()
    try:
        assert ready.wait(10)
        cam = paho.Client(paho.CallbackAPIVersion.VERSION2, client_id="drill-cam-a")
        cam.username_pw_set(*mosquitto.provision_camera(s, "DRILL-CAM-A"))
        cam.connect("127.0.0.1", s.mqtt_port)
        cam.loop_start()
        own = events.topic("DRILL-CAM-A", "CrowdFlowObserved")
        foreign = events.topic("DRILL-CAM-B", "CrowdFlowObserved")
        cam.publish(foreign, b"{}", qos=1).wait_for_publish(10)
        cam.publish(own, b"{}", qos=1).wait_for_publish(10)
        deadline = time.monotonic() + 10
        while own not in received and time.monotonic() < deadline:
            time.sleep(0.05)
        cam.loop_stop()
        cam.disconnect()
        assert received == [own]
        refused: list = []
        bad = paho.Client(paho.CallbackAPIVersion.VERSION2, client_id="drill-cam-bad")
        bad.username_pw_set("DRILL-CAM-A", "not-its-password")
        bad.on_connect = lambda c, u, f, rc, p: refused.append(rc.is_failure)
        bad.connect("127.0.0.1", s.mqtt_port)
        bad.loop_start()
        deadline = time.monotonic() + 10
        while not refused and time.monotonic() < deadline:
            time.sleep(0.05)
        bad.loop_stop()
        assert refused == [True]
    finally:
        sub.loop_stop()
        sub.disconnect()


def test_ckan_hides_sql_and_user_details_and_its_config(ckan):
    import requests

    s = ckan
    from citylake.services import ckan as ckan_service

    ini = ckan_service.home(s) / "ckan.ini"
    assert stat.S_IMODE(ini.stat().st_mode) == 0o600
    sql = requests.get(f"{s.ckan_url}/api/3/action/datastore_search_sql",
                       params={"sql": 'SELECT 1 FROM "_table_metadata" a, "_table_metadata" b'}, timeout=30)
    body = sql.json()     # CKAN answers an unknown action with a bare message, not an action result
    assert sql.status_code in (400, 403, 404) and not (isinstance(body, dict) and body.get("success")), body
    users = requests.get(f"{s.ckan_url}/api/3/action/user_list", timeout=30)
    assert users.status_code == 403 and not users.json()["success"]
