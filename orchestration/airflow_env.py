"""Airflow's configuration for a citylake deployment (home, DAG folder, metadata database)."""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

from citylake.settings import REPO_ROOT, Settings

DAGS_FOLDER = REPO_ROOT / "dags"


def airflow_env(settings: Settings) -> dict[str, str]:
    home = settings.run_dir / "airflow"
    return {
        **settings.env(),
        "AIRFLOW_HOME": str(home),
        "AIRFLOW__CORE__DAGS_FOLDER": str(DAGS_FOLDER),
        "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
        "AIRFLOW__CORE__PARALLELISM": "4",
        "AIRFLOW__CORE__UNIT_TEST_MODE": "False",
        "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": f"sqlite:///{home / 'airflow.db'}",
        "AIRFLOW__LOGGING__BASE_LOG_FOLDER": str(home / "logs"),
        "AIRFLOW__COSMOS__ENABLE_TELEMETRY": "False",
        "AIRFLOW__SCHEDULER__ENABLE_HEALTH_CHECK": "False",
        "PYSPARK_PYTHON": sys.executable,
        "NO_PROXY": "*",
    }


def apply(settings: Settings) -> None:
    """Configure this process for Airflow (must run before ``import airflow``)."""
    env = airflow_env(settings)
    Path(env["AIRFLOW_HOME"]).mkdir(parents=True, exist_ok=True)
    os.environ.update(env)


def airflow_cli(settings: Settings, *args: str) -> None:
    exe = shutil.which("airflow", path=str(Path(sys.executable).parent)) or "airflow"
    env = dict(os.environ, **airflow_env(settings))
    env["PATH"] = f"{Path(sys.executable).parent}:{env.get('PATH', '')}"
    Path(env["AIRFLOW_HOME"]).mkdir(parents=True, exist_ok=True)
    subprocess.run([exe, *args], env=env, check=True)


def dag_run_order() -> list[str]:
    """The order a one-shot run follows: what the asset schedule would trigger, written out."""
    from orchestration.assets import warehouse_sources

    return ([f"ingest_{src.name}" for src in warehouse_sources()]
            + ["camera_analytics", "health_open_data", "warehouse_marts", "leadership_report", "source_freshness"])
