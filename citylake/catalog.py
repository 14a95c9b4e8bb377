"""Where each table lives and what it holds: layer, owner, classification, personal data.

Paths are ``<lakehouse>/<layer>/<domain>/<table>``. Layers: ``bronze`` (raw source rows,
restricted), ``silver`` (conformed, no direct identifiers), ``restricted`` (personal data: reads
go through :func:`citylake.access.read_restricted` and are logged), ``gold`` (published marts).
"""
from __future__ import annotations

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
