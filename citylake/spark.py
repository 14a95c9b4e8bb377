"""The SparkSession every job uses.

Three ways, by configuration only: ``local[*]`` in this process (the default, and the tests'), a
cluster by ``CITYLAKE_SPARK_MASTER`` (``spark://…``, ``k8s://…``), or a Spark Connect server by
``CITYLAKE_SPARK_REMOTE`` (``sc://host:port``). The live deployment runs its own Spark Connect
server (``citylake.services.spark_connect``): each Airflow task is then a light client of one warm
Spark instead of starting a driver of its own.
"""
from __future__ import annotations

import os
import sys

from citylake.settings import Settings, get_settings


def spark_session(app_name: str, settings: Settings | None = None):
    """Build (or reuse) a session. Workers run this venv's python so they have pyarrow and citylake."""
    settings = settings or get_settings()
    from pyspark.sql import SparkSession

    if settings.spark_remote:
        # only session (runtime) settings: the server owns the driver's
        return (SparkSession.builder.remote(settings.spark_remote).appName(app_name)
                .config("spark.sql.session.timeZone", "UTC")
                .config("spark.sql.shuffle.partitions", str(settings.shuffle_partitions))
                .config("spark.sql.execution.arrow.pyspark.enabled", "true")
                .getOrCreate())
    os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    os.environ.setdefault("PYSPARK_DRIVER_PYTHON", sys.executable)
    builder = (
        SparkSession.builder.appName(app_name)
        .master(settings.spark_master)
        .config("spark.sql.session.timeZone", "UTC")
        .config("spark.sql.shuffle.partitions", str(settings.shuffle_partitions))
        .config("spark.sql.execution.arrow.pyspark.enabled", "true")
        .config("spark.driver.memory", settings.spark_driver_memory)
        .config("spark.ui.enabled", "false")
        .config("spark.driver.bindAddress", "127.0.0.1")
        .config("spark.driver.host", "127.0.0.1")
        .config("spark.executorEnv.PYSPARK_PYTHON", sys.executable)
    )
    return builder.getOrCreate()
