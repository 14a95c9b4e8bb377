"""The SparkSession every job uses: ``local[*]`` by default, a cluster by ``CITYLAKE_SPARK_MASTER``."""
from __future__ import annotations

import os
import sys

from citylake.settings import Settings, get_settings


def spark_session(app_name: str, settings: Settings | None = None):
    """Build (or reuse) a session. Workers run this venv's python so they have pyarrow and citylake."""
    settings = settings or get_settings()
    os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    os.environ.setdefault("PYSPARK_DRIVER_PYTHON", sys.executable)
    from pyspark.sql import SparkSession

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
