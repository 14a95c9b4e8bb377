"""Airflow in this process, for ``dag.test()``: the tests' harness, apart from the live deployment.

The live Airflow (``citylake.services.airflow``: scheduler, API server, PostgreSQL metadata) has its
own home; a test that runs a DAG in-process with ``dag.test()`` gets a home of its own
(``<run>/airflow-dagtest``, SQLite), so its runs never show up in, or race with, the live scheduler.
"""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from citylake.services.airflow import DAGS_FOLDER
from citylake.settings import Settings

__all__ = ["DAGS_FOLDER", "airflow_env", "apply", "airflow_cli"]


def airflow_env(settings: Settings) -> dict[str, str]:
    home = settings.run_dir / "airflow-dagtest"
    return {
        **settings.env(),
        "AIRFLOW_HOME": str(home),
        "AIRFLOW_CONFIG": str(home / "airflow.cfg"),
        "AIRFLOW__CORE__DAGS_FOLDER": str(DAGS_FOLDER),
        "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
        "AIRFLOW__CORE__PARALLELISM": "4",
        "AIRFLOW__CORE__UNIT_TEST_MODE": "False",
        "AIRFLOW__CORE__DAGBAG_IMPORT_TIMEOUT": "120",
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
    exe = str(Path(sys.executable).parent / "airflow")
    env = dict(os.environ, **airflow_env(settings))
    env["PATH"] = f"{Path(sys.executable).parent}:{env.get('PATH', '')}"
    Path(env["AIRFLOW_HOME"]).mkdir(parents=True, exist_ok=True)
    subprocess.run([exe, *args], env=env, check=True)
