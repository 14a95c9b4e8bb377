"""A Spark standalone cluster (one master, one worker) started from the pyspark install, on loopback.

Scale-out is configuration: jobs run unchanged on it once ``CITYLAKE_SPARK_MASTER`` points at
``spark://127.0.0.1:<port>``. A city runs the same against its own cluster (standalone or
Kubernetes) with the project installed on the executors.
"""
from __future__ import annotations

import json
import os
import sys
import urllib.request
from pathlib import Path

from citylake.services.process import pid_alive, start_daemon, stop_daemon, wait_for_port
from citylake.settings import Settings


def spark_home() -> Path:
    import pyspark

    return Path(pyspark.__file__).parent


def master_url(settings: Settings) -> str:
    return f"spark://127.0.0.1:{settings.spark_master_port}"


def _env(settings: Settings) -> dict[str, str]:
    return dict(os.environ, SPARK_HOME=str(spark_home()), SPARK_LOCAL_IP="127.0.0.1",
                PYSPARK_PYTHON=sys.executable, SPARK_LOG_DIR=str(settings.services_dir / "spark"),
                SPARK_WORKER_DIR=str(settings.services_dir / "spark" / "work"),
                SPARK_MASTER_OPTS="-Dspark.master.rest.enabled=false")


def start(settings: Settings, worker_cores: int = 2, worker_memory: str = "2g") -> str:
    home = settings.services_dir / "spark"
    home.mkdir(parents=True, exist_ok=True)
    spark_class = str(spark_home() / "bin" / "spark-class")
    if not pid_alive(home / "master.pid"):
        start_daemon([spark_class, "org.apache.spark.deploy.master.Master", "--host", "127.0.0.1",
                      "--port", str(settings.spark_master_port),
                      "--webui-port", str(settings.spark_master_ui_port)],
                     pidfile=home / "master.pid", log=home / "master.log", env=_env(settings))
        wait_for_port(settings.spark_master_port, 60, "Spark master", home / "master.log")
        wait_for_port(settings.spark_master_ui_port, 60, "Spark master UI", home / "master.log")
    if not pid_alive(home / "worker.pid"):
        start_daemon([spark_class, "org.apache.spark.deploy.worker.Worker", master_url(settings),
                      "--host", "127.0.0.1", "--cores", str(worker_cores), "--memory", worker_memory,
                      "--webui-port", "0"],
                     pidfile=home / "worker.pid", log=home / "worker.log", env=_env(settings))
    return master_url(settings)


def state(settings: Settings) -> dict:
    """The master's view (workers, running and completed applications), from its JSON endpoint."""
    with urllib.request.urlopen(f"http://127.0.0.1:{settings.spark_master_ui_port}/json/", timeout=10) as r:
        return json.loads(r.read())


def stop(settings: Settings) -> bool:
    home = settings.services_dir / "spark"
    stopped = stop_daemon(home / "worker.pid")
    return stop_daemon(home / "master.pid") or stopped
