"""The Airflow Assets of the warehouse, named once so producers and consumers agree.

``citylake://<layer>/<domain>/<table>`` for lakehouse tables, ``citylake://warehouse/<mart>`` for
marts, ``citylake://reports/<name>`` for rendered reports. Imported by DAG files (never from one
DAG file to another).
"""
from __future__ import annotations

from airflow.sdk import Asset

from citylake.source_config import SourceConfig, all_sources

LEADERSHIP_MARTS = (
    "rpt_dossiers_on_time", "rpt_complaint_backlog", "rpt_hotline_response", "rpt_new_businesses",
    "rpt_fdi_by_country_year", "rpt_land_transactions", "rpt_schools_by_ward", "rpt_inspection_recovery",
    "rpt_investment_projects", "rpt_health_capacity_by_ward", "rpt_ward_overview",
)
CORE_DIMENSIONS = ("dim_admin_units", "dim_agencies", "dim_calendar", "dim_industries")
# camera marts (dbt/models/marts/transport): built by warehouse_marts once the camera tables exist
TRANSPORT_MARTS = ("dim_cameras", "fct_traffic_flow_5min", "rpt_congestion_by_ward", "rpt_incident_hotspots")
CAMERA_SILVER = ("traffic_flow_observed", "crowd_flow_observed", "alerts", "traffic_flow_5min",
                 "traffic_flow_ward_5min", "hotspots_camera_daily", "hotspots_ward_daily")


def bronze_assets(source: SourceConfig) -> list[Asset]:
    return [Asset(f"citylake://bronze/{source.source}/{t}") for t in source.tables]


def silver_assets(source: SourceConfig) -> list[Asset]:
    return [Asset(f"citylake://silver/{source.domain}/{cfg.silver.name}")
            for cfg in source.tables.values() if cfg.silver is not None]


def warehouse_sources() -> list[SourceConfig]:
    """Sources the config-driven silver job builds (Health has its own DAG and job)."""
    return [src for src in all_sources() if any(cfg.silver is not None for cfg in src.tables.values())]


def camera_silver_assets() -> list[Asset]:
    """The camera event and analytics tables the camera_analytics DAG rebuilds."""
    return [Asset(f"citylake://silver/cameras/{name}") for name in CAMERA_SILVER]


def all_silver_assets() -> list[Asset]:
    health = [Asset("citylake://silver/health/facilities"), Asset("citylake://silver/health/practice_certificates")]
    return health + [a for src in warehouse_sources() for a in silver_assets(src)] + camera_silver_assets()


def mart_assets() -> list[Asset]:
    return [Asset(f"citylake://warehouse/{m}") for m in (*CORE_DIMENSIONS, *LEADERSHIP_MARTS, *TRANSPORT_MARTS)]


LEADERSHIP_REPORT = Asset("citylake://reports/leadership_report")
