"""Where each table lives and what it holds: layer, owner, classification, personal data.

Paths are ``<lakehouse>/<layer>/<domain>/<table>``. Layers: ``bronze`` (raw source rows,
restricted), ``silver`` (conformed, no direct identifiers), ``restricted`` (personal data: reads
go through :func:`citylake.access.read_restricted` and are logged), ``gold`` (published marts).
"""
from __future__ import annotations

from dataclasses import dataclass

from citylake.settings import Settings


def table_uri(settings: Settings, layer: str, domain: str, name: str) -> str:
    return f"{settings.lakehouse.rstrip('/')}/{layer}/{domain}/{name}"


def bronze_uri(settings: Settings, source: str, table: str) -> str:
    return table_uri(settings, "bronze", source, table)


def silver_uri(settings: Settings, domain: str, table: str) -> str:
    return table_uri(settings, "silver", domain, table)


def restricted_uri(settings: Settings, domain: str, table: str) -> str:
    return table_uri(settings, "restricted", domain, table)


def gold_uri(settings: Settings, domain: str, table: str) -> str:
    return table_uri(settings, "gold", domain, table)


@dataclass(frozen=True)
class TableEntry:
    layer: str
    domain: str
    name: str
    owner: str
    classification: str  # public | internal | restricted
    description: str
    personal_data: tuple[str, ...] = ()

    def uri(self, settings: Settings) -> str:
        return table_uri(settings, self.layer, self.domain, self.name)


HEALTH = "Sở Y tế TP.HCM (Department of Health)"
PLATFORM = "citylake data platform team"

TABLES: tuple[TableEntry, ...] = (
    TableEntry("bronze", "health_dept", "facilities", HEALTH, "internal",
               "Every extracted version of yte.co_so_kcb, with batch metadata"),
    TableEntry("bronze", "health_dept", "practice_certificates", HEALTH, "restricted",
               "Every extracted version of yte.chung_chi_hanh_nghe, with batch metadata",
               ("so_cccd", "ngay_sinh", "dien_thoai")),
    TableEntry("silver", "health", "facilities", HEALTH, "public",
               "One row per licensed facility, 2025 wards, NFC text"),
    TableEntry("silver", "health", "practice_certificates", HEALTH, "internal",
               "One row per practice certificate; practitioner pseudonym, no direct identifiers"),
    TableEntry("silver", "health", "quarantine", PLATFORM, "internal",
               "Rows that failed validation, with the reason (no personal data)"),
    TableEntry("silver", "reference", "ward_mapping_2025", PLATFORM, "public",
               "Pre-2025 wards → 2025 wards (vietnamadminunits)"),
    TableEntry("restricted", "health", "practitioner_identities", HEALTH, "restricted",
               "Citizen ID, date of birth and phone per practitioner pseudonym",
               ("cccd", "date_of_birth", "phone")),
    TableEntry("restricted", "_audit", "access_log", PLATFORM, "restricted",
               "Who read personal data, when, and why"),
    TableEntry("gold", "health", "dim_health_facilities", HEALTH, "public",
               "Published: co-so-kham-chua-benh"),
    TableEntry("gold", "health", "fct_practice_certificates", HEALTH, "public",
               "Published: chung-chi-hanh-nghe-y"),
)


def entry(layer: str, domain: str, name: str) -> TableEntry:
    for table in TABLES:
        if (table.layer, table.domain, table.name) == (layer, domain, name):
            return table
    raise KeyError(f"{layer}/{domain}/{name} is not in the catalog")
