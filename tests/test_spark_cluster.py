"""The silver job runs unchanged on a real Spark standalone cluster: scale-out by configuration."""
from __future__ import annotations

import os
import subprocess
import sys
import time

import pytest

from citylake import delta
from citylake.catalog import silver_uri
from citylake.services import spark_cluster
from citylake.settings import Settings
from ingestion.extract import extract_source


@pytest.fixture(scope="module")
def cluster(settings):
    url = spark_cluster.start(settings, worker_cores=2, worker_memory="1g")
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and not spark_cluster.state(settings).get("aliveworkers"):
        time.sleep(1)
    assert spark_cluster.state(settings)["aliveworkers"] == 1
    yield url
    spark_cluster.stop(settings)


def test_health_silver_on_a_standalone_cluster(cluster, health_source, lakehouse, settings):
    extract_source("health")
    env = dict(os.environ, CITYLAKE_SPARK_MASTER=cluster, CITYLAKE_LAKEHOUSE=str(lakehouse),
               CITYLAKE_SPARK_DRIVER_MEMORY="1g")
    done = subprocess.run([sys.executable, "-m", "spark_jobs.health_silver"], env=env,
                          capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-3000:]
    apps = spark_cluster.state(settings)["completedapps"]
    assert any(app["name"] == "health_silver" for app in apps), apps
    s = Settings()
    facilities = delta.table(silver_uri(s, "health", "facilities"))
    certificates = delta.table(silver_uri(s, "health", "practice_certificates"))
    assert facilities.count() > 0 and certificates.count() > 0
    assert facilities.history(1)[0]["citylake.job"] == "health_silver"
