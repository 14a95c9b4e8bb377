"""Airflow 3, live: the API server (UI and REST API), scheduler, DAG processor and triggerer run as
the deployment's own services, with the LocalExecutor and their metadata in the project's
PostgreSQL, bound to loopback.

``start`` is idempotent and supervises: a component whose process has died (a crashed scheduler)
is started again, the others are left alone. When the scheduler is started again, what a killed one
left is dealt with first, while no task can run: its runs still ``running`` or ``queued`` are marked
failed (over the REST API, with a note), and the temporary files of killed tasks (a staging DuckDB
file, a publication's half-written copy of the warehouse) are removed. The configuration is written whole on every start
from the settings, so ``airflow.cfg`` can never drift from them; its secrets (Fernet key, JWT
secret, database and admin passwords) are generated once and kept readable by their owner only.
"""
from __future__ import annotations

import json
import os
import secrets
import subprocess
import sys
import time
from pathlib import Path

from citylake.services import postgres, spark_connect
from citylake.services.process import pid_alive, port_open, start_daemon, stop_daemon, wait_for_port
from citylake.settings import REPO_ROOT, Settings

DAGS_FOLDER = REPO_ROOT / "dags"
ADMIN = "admin"
DB_ROLE = "airflow"
# the API server answers the UI and REST calls; the log servers are not started (every task runs on
# this machine, so the API server reads task logs from the log folder itself)
COMPONENTS: dict[str, tuple[str, ...]] = {
    "api-server": ("api-server",),
    "scheduler": ("scheduler", "--skip-serve-logs"),
    "dag-processor": ("dag-processor",),
    "triggerer": ("triggerer", "--skip-serve-logs"),
}
# Airflow pools: what may run at once, whichever DAG asks (see dags/)
POOLS = {
    "spark": (2, "Spark jobs at once: each task holds a Spark driver (memory) on this machine"),
    "warehouse": (1, "Writers of the published warehouse: one publication at a time"),
}


def home(settings: Settings) -> Path:
    return settings.run_dir / "airflow"


def _service_dir(settings: Settings) -> Path:
    return settings.services_dir / "airflow"


def _secret(settings: Settings, name: str, make) -> str:
    path = settings.run_dir / "secrets" / "airflow" / name
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.parent.chmod(0o700)
        path.touch(mode=0o600)
        path.write_text(make())
    return path.read_text().strip()


def admin_password_file(settings: Settings) -> Path:
    return home(settings) / "admin_password.json"


def admin_password(settings: Settings) -> str:
    return _secret(settings, "admin_password", lambda: secrets.token_urlsafe(18))


def api_url(settings: Settings) -> str:
    return f"http://127.0.0.1:{settings.airflow_port}"


def _db_url(settings: Settings) -> str:
    password = _secret(settings, "db_password", lambda: secrets.token_hex(16))
    return f"postgresql+psycopg://{DB_ROLE}:{password}@127.0.0.1:{settings.pg_port}/airflow"


def config_text(settings: Settings) -> str:
    from cryptography.fernet import Fernet

    fernet = _secret(settings, "fernet_key", lambda: Fernet.generate_key().decode())
    jwt = _secret(settings, "jwt_secret", lambda: secrets.token_hex(32))
    api_secret = _secret(settings, "api_secret_key", lambda: secrets.token_hex(32))
    port = settings.airflow_port
    sections = {
        "core": {
            "dags_folder": DAGS_FOLDER,
            "executor": "LocalExecutor",
            "load_examples": "False",
            # two cores: four task processes at once; Spark tasks are limited further by a pool
            "parallelism": 4,
            "max_active_tasks_per_dag": 4,
            "dags_are_paused_at_creation": "False",
            "fernet_key": fernet,
            "auth_manager": "airflow.api_fastapi.auth.managers.simple.simple_auth_manager.SimpleAuthManager",
            "simple_auth_manager_users": f"{ADMIN}:admin",
            "simple_auth_manager_passwords_file": admin_password_file(settings),
            "execution_api_server_url": f"http://127.0.0.1:{port}/execution/",
            "default_timezone": "Asia/Ho_Chi_Minh",
            # a DAG file imports project code: generous on a busy two-core machine
            "dagbag_import_timeout": 120,
        },
        "database": {"sql_alchemy_conn": _db_url(settings), "load_default_connections": "False"},
        "api": {"host": "127.0.0.1", "port": port, "base_url": f"http://127.0.0.1:{port}", "workers": 1,
                "secret_key": api_secret, "expose_config": "False"},
        "api_auth": {"jwt_secret": jwt},
        "logging": {"base_log_folder": home(settings) / "logs",
                    "dag_processor_child_process_log_directory": home(settings) / "logs" / "dag_processor"},
        "scheduler": {"enable_health_check": "False"},
        "dag_processor": {"refresh_interval": 30},
        "cosmos": {"enable_telemetry": "False"},
        "webserver": {"warn_deployment_exposure": "False"},
    }
    lines = ["# Written by citylake (citylake/services/airflow.py) on every start: edit the settings, not this."]
    for section, values in sections.items():
        lines.append(f"\n[{section}]")
        lines.extend(f"{key} = {value}" for key, value in values.items())
    return "\n".join(lines) + "\n"


def env(settings: Settings) -> dict[str, str]:
    """The environment every Airflow process (and so every task) runs in.

    ``AIRFLOW__*`` variables of the caller are left out: ``airflow.cfg`` is the whole configuration.
    (A test process carries its ``dag.test()`` harness's — SQLite, its own log folder — which would
    otherwise win over the file and put the live scheduler's runs and logs somewhere else.)
    """
    bindir = str(Path(sys.executable).parent)
    inherited = {k: v for k, v in os.environ.items() if not k.startswith("AIRFLOW")}
    return {
        **inherited,
        **settings.env(),
        **spark_connect.client_env(settings),
        "AIRFLOW_HOME": str(home(settings)),
        "AIRFLOW_CONFIG": str(home(settings) / "airflow.cfg"),
        "PATH": f"{bindir}:{os.environ.get('PATH', '')}",
        "PYSPARK_PYTHON": sys.executable,
        "NO_PROXY": "*",
    }


def _write_private(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    tmp.touch(mode=0o600)
    tmp.chmod(0o600)
    tmp.write_text(text)
    os.replace(tmp, path)


def airflow(settings: Settings, *args: str, check: bool = True) -> subprocess.CompletedProcess:
    exe = str(Path(sys.executable).parent / "airflow")
    done = subprocess.run([exe, *args], env=env(settings), text=True, capture_output=True)
    if check and done.returncode != 0:
        raise RuntimeError(f"`airflow {' '.join(args)}` failed ({done.returncode}):\n{done.stderr[-3000:]}")
    return done


def prepare(settings: Settings) -> None:
    """Role, database, configuration, schema and pools (idempotent)."""
    postgres.start(settings)
    password = _db_url(settings).split(":")[2].split("@")[0]
    postgres.ensure_role(settings, DB_ROLE, password)
    postgres.ensure_database(settings, "airflow", owner=DB_ROLE)
    _write_private(home(settings) / "airflow.cfg", config_text(settings))
    _write_private(admin_password_file(settings), json.dumps({ADMIN: admin_password(settings)}))
    airflow(settings, "db", "migrate")
    from citylake.dbt import ensure_manifest

    ensure_manifest(settings)  # the marts DAGs read their marts from it: parsed now, not while they parse
    # every DAG file parsed into the metadata database now: the first trigger need not wait for the
    # DAG processor's first pass
    airflow(settings, "dags", "reserialize")
    for name, (slots, description) in POOLS.items():
        airflow(settings, "pools", "set", name, str(slots), description)


def pidfile(settings: Settings, component: str) -> Path:
    return _service_dir(settings) / f"{component}.pid"


def status(settings: Settings) -> dict[str, bool]:
    return {c: pid_alive(pidfile(settings, c)) for c in COMPONENTS}


def clean_temporary_files(settings: Settings) -> list[Path]:
    """Remove the staging DuckDB files (and WAL) and the publication copies killed tasks left.

    Only called while no scheduler runs (the LocalExecutor's tasks are its children), so no task
    is using them; a staging file is scratch by design, the next build writes it anew.
    """
    warehouse = settings.warehouse_duckdb
    found = [*(warehouse.parent / "staging").glob("*.duckdb*"), *warehouse.parent.glob(f".{warehouse.name}.*.tmp*")]
    for path in found:
        path.unlink(missing_ok=True)
    return sorted(found)


def fail_stale_runs(settings: Settings) -> list[str]:
    """Mark failed the runs a stopped scheduler left ``running`` (and ``queued`` before it stopped).

    Airflow's own recovery (orphaned tasks reset by the next scheduler, then the task heartbeat
    timeout) would rerun or fail their tasks minutes later; a day's run should end now and say
    so. A queued run of a paused DAG, or one queued after the scheduler's last heartbeat (waiting
    for this start), is left as it is. Returns ``dag_id run_id (was state)`` per run marked failed.
    """
    import requests

    base, session = api_url(settings), requests.Session()
    for attempt in range(10):  # the API server may listen a moment before it answers
        try:
            beat = session.get(f"{base}/api/v2/monitor/health", timeout=30).json()["scheduler"]
            break
        except (requests.ConnectionError, ValueError):
            time.sleep(0.5 * (attempt + 1))
    else:
        raise RuntimeError(f"Airflow's API server at {base} does not answer")
    last_beat = beat.get("latest_scheduler_heartbeat")
    token = session.post(f"{base}/auth/token", json={"username": ADMIN, "password": admin_password(settings)},
                         timeout=30)
    token.raise_for_status()
    session.headers["Authorization"] = f"Bearer {token.json()['access_token']}"

    def get(path: str, **params) -> dict:
        answer = session.get(f"{base}/api/v2{path}", params={"limit": 1000, **params}, timeout=30)
        answer.raise_for_status()
        return answer.json()

    paused = {d["dag_id"] for d in get("/dags", paused=True)["dags"]}
    marked = []
    for run in get("/dags/~/dagRuns", state=["running", "queued"])["dag_runs"]:
        if run["state"] == "queued" and (run["dag_id"] in paused or not last_beat or not run.get("queued_at")
                                         or _instant(run["queued_at"]) > _instant(last_beat)):
            continue
        note = f"Marked failed when Airflow was started again: left {run['state']} by a scheduler that had stopped."
        answer = session.patch(f"{base}/api/v2/dags/{run['dag_id']}/dagRuns/{run['dag_run_id']}", timeout=60,
                               json={"state": "failed", "note": note})
        answer.raise_for_status()
        marked.append(f"{run['dag_id']} {run['dag_run_id']} (was {run['state']})")
    return marked


def _instant(text: str):
    import datetime as dt

    return dt.datetime.fromisoformat(text)


def start(settings: Settings, say=print) -> list[str]:
    """Start whichever component is not running; returns the ones started.

    The API server first; then, if the scheduler is to be started, what a stopped one left behind
    is cleared (:func:`fail_stale_runs`, :func:`clean_temporary_files`) before it schedules again.
    """
    prepare(settings)
    exe = str(Path(sys.executable).parent / "airflow")
    recovering = not pid_alive(pidfile(settings, "scheduler"))
    started = []
    for component, args in COMPONENTS.items():
        if pid_alive(pidfile(settings, component)):
            continue
        if component == "scheduler" and recovering:
            stale = fail_stale_runs(settings)
            cleaned = clean_temporary_files(settings)
            if stale:
                say(f"    airflow: marked failed {len(stale)} run(s) a stopped scheduler left: {', '.join(stale)}")
            if cleaned:
                say(f"    airflow: removed {len(cleaned)} temporary file(s) of killed tasks: "
                    f"{', '.join(str(p) for p in cleaned)}")
        start_daemon([exe, *args], pidfile(settings, component),
                     _service_dir(settings) / f"{component}.log", env=env(settings), cwd=home(settings))
        started.append(component)
        if component == "api-server":
            wait_for_port(settings.airflow_port, 120, "Airflow's API server",
                          _service_dir(settings) / "api-server.log")
    wait_for_port(settings.airflow_port, 120, "Airflow's API server", _service_dir(settings) / "api-server.log")
    time.sleep(0.5)
    dead = [c for c, alive in status(settings).items() if not alive]
    if dead:
        logs = ", ".join(str(_service_dir(settings) / f"{c}.log") for c in dead)
        raise RuntimeError(f"Airflow's {', '.join(dead)} stopped right after starting; see {logs}")
    return started


def stop(settings: Settings) -> bool:
    stopped = [stop_daemon(pidfile(settings, c), timeout=30) for c in reversed(COMPONENTS)]
    return any(stopped) or port_open(settings.airflow_port)
