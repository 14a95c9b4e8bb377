"""The Airflow Assets of the platform, named once so producers and consumers agree.

``citylake://<layer>/<domain>/<table>`` for lakehouse tables (gold included), ``citylake://warehouse/<mart>`` for
published marts, ``citylake://reports/<name>`` for rendered reports, ``ckan://portal/dataset/<name>``
for open datasets. An Asset is updated only by a task that runs after the audit of what it names
(write-audit-publish): consumers never start on unaudited data.
"""
from __future__ import annotations

from airflow.sdk import Asset

from citylake.source_config import SourceConfig, all_sources

HEALTH = "health"       # the Health source has its own silver job (spark_jobs/health_silver.py)
CAMERAS = "cameras"     # the camera registry: read by the transport marts, not the leadership ones
HEALTH_SILVER = ("facilities", "practice_certificates")
CAMERA_SILVER = ("traffic_flow_observed", "crowd_flow_observed", "alerts", "traffic_flow_5min",
                 "traffic_flow_ward_5min", "hotspots_camera_daily", "hotspots_ward_daily")


def silver_assets(source: SourceConfig) -> list[Asset]:
    if source.name == HEALTH:
        return [Asset(f"citylake://silver/{source.domain}/{name}") for name in HEALTH_SILVER]
    return [Asset(f"citylake://silver/{source.domain}/{cfg.silver.name}")
            for cfg in source.tables.values() if cfg.silver is not None]


def ingested_sources() -> list[SourceConfig]:
    """Every source with a silver job: the config-driven one, or Health's own."""
    return [src for src in all_sources()
            if src.name == HEALTH or any(c.silver is not None for c in src.tables.values())]


def camera_silver_assets() -> list[Asset]:
    """The camera event and analytics tables the camera_analytics DAG rebuilds."""
    return [Asset(f"citylake://silver/cameras/{name}") for name in CAMERA_SILVER]


def department_silver_assets() -> list[Asset]:
    """What the leadership marts are built from: every department's silver tables."""
    return [a for src in ingested_sources() if src.name != CAMERAS for a in silver_assets(src)]


def transport_silver_assets() -> list[Asset]:
    """What the transport marts are built from: the camera registry and the camera analytics."""
    registry = [a for src in ingested_sources() if src.name == CAMERAS for a in silver_assets(src)]
    return registry + camera_silver_assets()


def mart_asset(mart: str) -> Asset:
    return Asset(f"citylake://warehouse/{mart}")


def dataset_asset(name: str) -> Asset:
    return Asset(f"ckan://portal/dataset/{name}")


LEADERSHIP_REPORT = Asset("citylake://reports/leadership_report")


def gold_asset(domain: str, table: str) -> Asset:
    return Asset(f"citylake://gold/{domain}/{table}")


# the simulation and forecasting centre's answers (analytics/), updated by their DAGs' publish tasks
FORECAST_ASSETS = [gold_asset("forecasting", t) for t in ("forecasts", "backtest_metrics", "model_choice")]
SCENARIO_ASSETS = [gold_asset("scenarios", t) for t in ("ward_results", "runs", "calibration_check")]
SITING_ASSETS = [gold_asset("siting", t) for t in ("sites", "summary")]
CENTRE_ASSETS = FORECAST_ASSETS + SCENARIO_ASSETS + SITING_ASSETS


def warehouse_sources() -> list[SourceConfig]:
    """Sources the config-driven silver job builds (every source but Health)."""
    return [src for src in ingested_sources() if src.name != HEALTH]
