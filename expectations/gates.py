"""The audit gates the DAGs call: load what is about to be trusted, validate it, or stop.

The silver gates run after each silver job; ``audit_marts`` runs on a DAG's staged marts after
``dbt build`` and before anything is published (write-audit-publish). Each raises
:class:`AuditFailed` with a readable report naming every failed expectation; Data Docs land in
``<run_dir>/reports/gx``.
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


def _summary(results: list[AuditResult]) -> list[str]:
    require(results)
    return [f"{r.suite}: passed" for r in results]


def _audit_silver(tables: dict[str, tuple[str, str]], settings: Settings | None) -> list[str]:
    """Each silver table (suite → (domain, table)) against its suite; stops on any failure."""
    settings = settings or get_settings()
    return _summary([run_audit(suite, delta.read_arrow(silver_uri(settings, *table)).to_pandas(), settings.reports_dir)
                     for suite, table in tables.items()])


def audit_health_silver(settings: Settings | None = None) -> list[str]:
    return _audit_silver(HEALTH_SILVER, settings)


def audit_source_silver(name: str, settings: Settings | None = None) -> list[str]:
    """Every silver table of a configured source against its generated suite."""
    from citylake.source_config import load_source
    from expectations.generated import silver_tables

    source = load_source(name)
    return _audit_silver({suite: (source.domain, cfg.silver.name) for suite, (src, cfg) in silver_tables().items()
                          if src.name == source.name}, settings)


def audit_marts(names: list[str], staged_by: str | None = None, settings: Settings | None = None) -> list[str]:
    """Marts against their suites (expectations/marts/*.yml) before anything downstream trusts them:
    ``staged_by``'s staged build (the write-audit-publish gate), or the published marts."""
    from citylake.warehouse import read_mart

    settings = settings or get_settings()
    results = [run_audit(f"mart_{mart}", read_mart(settings, mart, staged_by).to_pandas(), settings.reports_dir)
               for mart in names]
    return _summary(results)


def audit_camera_silver(settings: Settings | None = None) -> list[str]:
    """The camera event and analytics tables (expectations/camera_suites.py) before the marts read them."""
    from expectations.camera_suites import CAMERA_SUITES

    return _audit_silver({suite: ("cameras", suite.removeprefix("silver_cameras_")) for suite in CAMERA_SUITES},
                         settings)
