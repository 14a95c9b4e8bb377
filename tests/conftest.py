"""Test fixtures: a private deployment (own run folder, own port block) with real services."""
from __future__ import annotations

import logging
import os
import shutil
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
# a second test run beside the first (a helper, a benchmark) sets both of these
TEST_RUN_DIR = Path(os.environ.get("CITYLAKE_TEST_RUN_DIR", REPO / ".run" / "test"))

# py4j logs from __del__ at interpreter exit, after pytest closed the streams
logging.getLogger("py4j").setLevel(logging.WARNING)

# Everything the tests start lives apart from a running demo (its own folder and ports).
os.environ["CITYLAKE_RUN_DIR"] = str(TEST_RUN_DIR)
os.environ["CITYLAKE_PORT_BASE"] = os.environ.get("CITYLAKE_TEST_PORT_BASE", "25300")
os.environ.setdefault("CITYLAKE_SHUFFLE_PARTITIONS", "4")
os.environ.pop("CITYLAKE_LAKEHOUSE", None)
os.environ["CITYLAKE_TASK_RETRIES"] = "0"  # a failing task fails the test run at once

# Airflow reads its configuration at import: point it at the test deployment first.
from citylake.settings import Settings as _Settings  # noqa: E402
from orchestration import airflow_env  # noqa: E402

airflow_env.apply(_Settings())


def pytest_collection_modifyitems(config, items):
    """The live platform's tests run last: they drive the scheduler over what the others built."""
    items.sort(key=lambda item: item.get_closest_marker("live") is not None)


@pytest.fixture(scope="session")
def settings():
    from citylake.settings import Settings

    return Settings()


@pytest.fixture(scope="session")
def postgres(settings):
    from citylake.services import postgres as pg

    pg.start(settings)
    yield settings
    pg.stop(settings)


@pytest.fixture(scope="session")
def mariadb(settings):
    from citylake.services import mariadb as mariadb_service

    mariadb_service.start(settings)
    yield settings
    mariadb_service.stop(settings)


@pytest.fixture(scope="session")
def mqtt(settings):
    """The project's own Mosquitto on the test port block (camera events)."""
    from citylake.services import mosquitto

    mosquitto.stop(settings)
    # a fresh broker: sessions and queues a previous run persisted would leak into this one
    (settings.services_dir / "mosquitto" / "mosquitto.db").unlink(missing_ok=True)
    mosquitto.start(settings)
    yield settings
    mosquitto.stop(settings)


@pytest.fixture(scope="session")
def ckan(postgres, settings):
    """A real CKAN 2.12 with DataStore, served over HTTP."""
    from citylake.services import ckan as ckan_service
    from citylake.services import redis

    ckan_service.start(settings)
    yield settings
    ckan_service.stop(settings)
    redis.stop(settings)


@pytest.fixture(scope="session")
def spark(settings):
    from citylake.spark import spark_session

    session = spark_session("citylake-tests", settings)
    yield session
    session.stop()


@pytest.fixture
def lakehouse(tmp_path, monkeypatch):
    """A fresh, empty lakehouse for one test."""
    root = tmp_path / "lakehouse"
    monkeypatch.setenv("CITYLAKE_LAKEHOUSE", str(root))
    yield root
    shutil.rmtree(root, ignore_errors=True)


@pytest.fixture(scope="module")
def health_source(postgres, settings):
    """A freshly generated Health department database (scale 0.05) for one test module."""
    from citylake.services.postgres import ensure_database, grant_reader
    from simulators.departments.health import generator

    ensure_database(settings, "health_dept")
    grant_reader(settings, "health_dept")
    generator.create(settings.health_source_dsn, 0.05, seed=7, force=True)
    return settings.health_source_dsn


@pytest.fixture(scope="session")
def airflow_db(settings):
    """Airflow's metadata database, migrated once per test session."""
    from orchestration.airflow_env import airflow_cli

    airflow_cli(settings, "db", "migrate")
    return settings


# -- the shared warehouse: every department source generated, extracted and built to silver --

WAREHOUSE_SCALE = 0.004  # each generator's floor keeps every table populated
WAREHOUSE_LAKEHOUSE = TEST_RUN_DIR / "warehouse-lakehouse"


@pytest.fixture(scope="session")
def warehouse_build(postgres, mariadb, spark):
    """Built once per session: all sources (Health included) to silver, plus the reference tables."""
    from citylake.settings import Settings
    from ingestion.extract import extract_source
    from ingestion.reference import tables
    from orchestration.assets import warehouse_sources
    from simulators.departments import prepare_source
    from spark_jobs import health_silver, silver

    shutil.rmtree(WAREHOUSE_LAKEHOUSE, ignore_errors=True)
    mp = pytest.MonkeyPatch()
    mp.setenv("CITYLAKE_LAKEHOUSE", str(WAREHOUSE_LAKEHOUSE))
    try:
        settings = Settings()
        tables.write(settings)
        prepare_source(settings, "health", scale=0.02, seed=11, force=True, advance=True)
        extract_source("health", settings)
        health_silver.run(settings, spark)
        first = {}
        for source in warehouse_sources():
            prepare_source(settings, source.name, scale=WAREHOUSE_SCALE, seed=11, force=True, advance=True)
            first[source.name] = extract_source(source.name, settings)
            silver.run(source.name, settings, spark)
    finally:
        mp.undo()
    return first


@pytest.fixture(scope="module")
def warehouse(warehouse_build):
    """This module works on the shared warehouse lakehouse: (settings, first extraction per source)."""
    from citylake.settings import Settings

    mp = pytest.MonkeyPatch()
    mp.setenv("CITYLAKE_LAKEHOUSE", str(WAREHOUSE_LAKEHOUSE))
    yield Settings(), warehouse_build
    mp.undo()


# -- the simulation and forecasting centre: a small published warehouse of synthetic marts --

CENTRE_RUN_DIR = TEST_RUN_DIR / "centre"


@pytest.fixture(scope="module")
def centre(airflow_db):
    """A run folder of its own with a published warehouse the centre's DAGs can forecast from (years of
    synthetic months); the process's settings point at it for the module."""
    from centre_warehouse import centre_run_dir

    with centre_run_dir(CENTRE_RUN_DIR) as settings:
        yield settings
