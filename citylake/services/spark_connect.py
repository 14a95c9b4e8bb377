"""The deployment's Spark: one Spark Connect server that every Airflow task and notebook talks to.

Under a scheduler each task is its own process; a local Spark session per task would start a JVM per
task (seconds, and a driver's memory each). One long-running Spark Connect server (``local[*]`` on
this machine) serves them all as light gRPC clients. A cluster is configuration: point
``CITYLAKE_SPARK_REMOTE`` at the cluster's Spark Connect endpoint instead.
"""
from __future__ import annotations

import os
import sys
from pathlib import Path

from citylake.services.process import ensure_ours, pid_alive, start_daemon, stop_daemon, wait_for_port
from citylake.settings import Settings

SERVER_CLASS = "org.apache.spark.sql.connect.service.SparkConnectServer"


def _dir(settings: Settings) -> Path:
    return settings.services_dir / "spark-connect"


def _pidfile(settings: Settings) -> Path:
    return _dir(settings) / "spark-connect.pid"


def url(settings: Settings) -> str:
    return f"sc://127.0.0.1:{settings.spark_connect_port}"


def client_env(settings: Settings) -> dict[str, str]:
    """What makes a process (an Airflow task, a notebook kernel) use this server: nothing when the
    deployment names a Spark Connect endpoint of its own (``CITYLAKE_SPARK_REMOTE``)."""
    if settings.spark_remote:
        return {"SPARK_CONNECT_MODE_ENABLED": "1"}
    # pyspark decides at import time whether a UDF is a Connect one: say so before anything imports
    return {"CITYLAKE_SPARK_REMOTE": url(settings), "SPARK_CONNECT_MODE_ENABLED": "1"}


def start(settings: Settings) -> None:
    import pyspark

    if settings.spark_remote:
        return  # the deployment uses a Spark Connect server elsewhere (a cluster's)
    if ensure_ours(settings.spark_connect_port, "Spark Connect server", pid_alive(_pidfile(settings))):
        return
    spark_home = Path(pyspark.__file__).parent
    workdir = _dir(settings)
    workdir.mkdir(parents=True, exist_ok=True)
    conf = {
        "spark.master": settings.spark_master,
        "spark.connect.grpc.binding.address": "127.0.0.1",
        "spark.connect.grpc.binding.port": settings.spark_connect_port,
        "spark.driver.memory": settings.spark_driver_memory,
        "spark.driver.bindAddress": "127.0.0.1",
        "spark.driver.host": "127.0.0.1",
        "spark.ui.enabled": "false",
        "spark.sql.session.timeZone": "UTC",
        "spark.sql.shuffle.partitions": settings.shuffle_partitions,
        "spark.sql.execution.arrow.pyspark.enabled": "true",
        "spark.executorEnv.PYSPARK_PYTHON": sys.executable,
        # concurrent tasks share the executors fairly instead of queueing behind a long job
        "spark.scheduler.mode": "FAIR",
        "spark.local.dir": str(workdir / "tmp"),
        "spark.sql.warehouse.dir": str(workdir / "spark-warehouse"),
    }
    args = [str(spark_home / "bin" / "spark-submit"), "--class", SERVER_CLASS, "--name", "citylake-spark-connect"]
    for key, value in conf.items():
        args += ["--conf", f"{key}={value}"]
    env = {**os.environ, **settings.env(), "SPARK_HOME": str(spark_home), "PYSPARK_PYTHON": sys.executable,
           "SPARK_LOG_DIR": str(workdir), "SPARK_LOCAL_IP": "127.0.0.1"}
    start_daemon([*args, "spark-internal"], _pidfile(settings), workdir / "spark-connect.log", env=env, cwd=workdir)
    wait_for_port(settings.spark_connect_port, 120, "Spark Connect server", workdir / "spark-connect.log")


def stop(settings: Settings) -> bool:
    return stop_daemon(_pidfile(settings), timeout=30)
