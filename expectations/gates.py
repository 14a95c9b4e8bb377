"""The audit gates the DAGs call: load what is about to be trusted, validate it, or stop.

``audit_health_silver`` runs after the silver job; ``audit_health_marts`` runs after ``dbt build``
and before anything is published (write-audit-publish). Both raise :class:`AuditFailed` with a
readable report naming every failed expectation; Data Docs land in ``<run_dir>/reports/gx``.
"""
from __future__ import annotations

from citylake import delta
from citylake.catalog import silver_uri
from citylake.settings import Settings, get_settings
from expectations.audit import AuditResult, require, run_audit

HEALTH_SILVER = {
    "silver_health_facilities": ("health", "facilities"),
    "silver_health_practice_certificates": ("health", "practice_certificates"),
}
HEALTH_MARTS = {
    "mart_dim_health_facilities": "dim_health_facilities",
    "mart_fct_practice_certificates": "fct_practice_certificates",
    "mart_rpt_health_capacity_by_ward": "rpt_health_capacity_by_ward",
}


def _summary(results: list[AuditResult]) -> list[str]:
    require(results)
    return [f"{r.suite}: passed" for r in results]


def audit_health_silver(settings: Settings | None = None) -> list[str]:
    settings = settings or get_settings()
    results = [run_audit(suite, delta.read_arrow(silver_uri(settings, *table)).to_pandas(),
                         settings.reports_dir)
               for suite, table in HEALTH_SILVER.items()]
    return _summary(results)


def audit_health_marts(settings: Settings | None = None) -> list[str]:
    from open_data.pipeline import read_mart

    settings = settings or get_settings()
    results = [run_audit(suite, read_mart(settings, mart).to_pandas(), settings.reports_dir)
               for suite, mart in HEALTH_MARTS.items()]
    return _summary(results)


def audit_source_silver(name: str, settings: Settings | None = None) -> list[str]:
    """Every silver table of a configured source against its generated suite."""
    from expectations.generated import silver_tables
    from ingestion.config import load_source

    settings = settings or get_settings()
    source = load_source(name)
    suites = {suite: cfg for suite, (src, cfg) in silver_tables().items() if src.name == source.name}
    results = [run_audit(suite, delta.read_arrow(silver_uri(settings, source.domain, cfg.silver.name)).to_pandas(),
                         settings.reports_dir)
               for suite, cfg in suites.items()]
    return _summary(results)


def audit_marts(names: list[str], settings: Settings | None = None) -> list[str]:
    """Marts against their suites (expectations/marts.yml) before anything downstream trusts them."""
    from open_data.pipeline import read_mart

    settings = settings or get_settings()
    results = [run_audit(f"mart_{mart}", read_mart(settings, mart).to_pandas(), settings.reports_dir)
               for mart in names]
    return _summary(results)


def audit_camera_silver(settings: Settings | None = None) -> list[str]:
    """The camera event and analytics tables (expectations/camera_suites.py) before the marts read them."""
    from expectations.camera_suites import CAMERA_SUITES

    settings = settings or get_settings()
    results = [run_audit(suite, delta.read_arrow(silver_uri(settings, "cameras", suite[len("silver_cameras_"):]))
                         .to_pandas(), settings.reports_dir)
               for suite in CAMERA_SUITES]
    return _summary(results)
