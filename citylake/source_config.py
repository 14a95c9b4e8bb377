"""Source configs: one YAML file per department source, ``ingestion/sources/<name>/source.yml``.

The file says everything the platform needs to know about a source: how to reach it (kind and
database on the project's own server, or a ``CITYLAKE_<NAME>_DSN`` override), its tables' keys,
watermarks and delete detection, which columns are personal data, the classification, the agreed
update frequency (freshness deadline), and how each table becomes silver (``SilverSpec``). The
extractor, the silver job, the catalog, the expectation suites and the DAGs are all driven by it.
"""
from __future__ import annotations

import os
from dataclasses import dataclass, field
from functools import lru_cache

import yaml

from citylake.settings import REPO_ROOT, Settings

# data, not code: the platform reads these YAML files by path
SOURCES_DIR = REPO_ROOT / "ingestion" / "sources"
KINDS = ("postgresql", "mariadb")
DELETE_DETECTION = ("none", "keys")
CLASSIFICATIONS = ("public", "internal", "restricted")
FREQUENCIES = ("hourly", "daily", "weekly", "monthly")


class ConfigError(ValueError):
    """A source.yml that cannot be run as written."""


@dataclass(frozen=True)
class SilverSpec:
    """How a bronze table becomes one trusted silver table (see spark_jobs/silver.py)."""

    name: str
    description: str
    columns: dict[str, str]
    pseudonymise: dict[str, str] = field(default_factory=dict)
    ward: dict[str, str] | None = None
    enums: dict[str, dict[str, str]] = field(default_factory=dict)
    required: tuple[str, ...] = ()
    checks: dict[str, str] = field(default_factory=dict)
    unique: tuple[str, ...] = ()
    # source columns that may not be in bronze yet (added by a source schema change): column → Spark type
    optional: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class TableConfig:
    name: str
    query_table: str
    key: tuple[str, ...]
    watermark: str
    lookback_minutes: int = 60
    delete_detection: str = "none"
    classification: str = "internal"
    personal_data: tuple[str, ...] = ()
    description: str = ""
    silver: SilverSpec | None = None


@dataclass(frozen=True)
class SourceConfig:
    name: str        # folder under ingestion/sources
    source: str      # bronze/<source>/...
    domain: str      # silver/<domain>/...
    owner: str
    kind: str
    database: str
    update_frequency: str
    freshness_hours: float
    tables: dict[str, TableConfig] = field(default_factory=dict)

    def dsn(self, settings: Settings) -> str:
        override = os.environ.get(f"CITYLAKE_{self.name.upper()}_DSN")
        if override:
            return override
        if self.kind == "mariadb":
            return settings.mariadb_dsn(self.database)
        return settings.pg_dsn(self.database)


def _require(raw: dict, key: str, where: str):
    if key not in raw or raw[key] in (None, ""):
        raise ConfigError(f"{where}: '{key}' is required")
    return raw[key]


def _one_of(value: str, allowed: tuple[str, ...], what: str, where: str) -> str:
    if value not in allowed:
        raise ConfigError(f"{where}: {what} '{value}' is not one of {', '.join(allowed)}")
    return value


def _silver(raw: dict | None, where: str) -> SilverSpec | None:
    if not raw:
        return None
    columns = dict(_require(raw, "columns", where))
    enums = {col: {str(k): str(v) for k, v in mapping.items()} for col, mapping in (raw.get("enums") or {}).items()}
    for col in list(enums) + list(raw.get("required") or ()) + list(raw.get("unique") or ()):
        if col not in columns:
            raise ConfigError(f"{where}: '{col}' is used but not among the silver columns")
    ward = raw.get("ward")
    if ward is not None and not {"code", "name"} <= set(ward):
        raise ConfigError(f"{where}: ward needs 'code' and 'name' (and optionally 'district')")
    return SilverSpec(name=_require(raw, "name", where), description=raw.get("description", ""), columns=columns,
                      pseudonymise=dict(raw.get("pseudonymise") or {}), ward=ward, enums=enums,
                      required=tuple(raw.get("required") or ()), checks=dict(raw.get("checks") or {}),
                      unique=tuple(raw.get("unique") or ()), optional=dict(raw.get("optional") or {}))


def load_source(name: str) -> SourceConfig:
    path = SOURCES_DIR / name / "source.yml"
    if not path.exists():
        raise FileNotFoundError(f"no source config {path}")
    raw = yaml.safe_load(path.read_text())
    where = str(path.relative_to(REPO_ROOT))
    tables = {}
    for tname, t in (_require(raw, "tables", where) or {}).items():
        tw = f"{where} tables.{tname}"
        personal = tuple(t.get("personal_data") or ())
        silver = _silver(t.get("silver"), f"{tw}.silver")
        if silver is not None:
            leaked = [c for c, expr in silver.columns.items() if expr.strip() in personal]
            if leaked:
                raise ConfigError(f"{tw}.silver: personal data would reach silver as {leaked}; pseudonymise it")
        tables[tname] = TableConfig(
            name=tname, query_table=_require(t, "query_table", tw), key=tuple(_require(t, "key", tw)),
            watermark=_require(t, "watermark", tw), lookback_minutes=int(t.get("lookback_minutes", 60)),
            delete_detection=_one_of(t.get("delete_detection", "none"), DELETE_DETECTION, "delete_detection", tw),
            classification=_one_of(t.get("classification", "internal"), CLASSIFICATIONS, "classification", tw),
            personal_data=personal, description=t.get("description", ""), silver=silver)
    return SourceConfig(
        name=name, source=_require(raw, "source", where), domain=raw.get("domain", name),
        owner=_require(raw, "owner", where), kind=_one_of(_require(raw, "kind", where), KINDS, "kind", where),
        database=_require(raw, "database", where),
        update_frequency=_one_of(_require(raw, "update_frequency", where), FREQUENCIES, "update_frequency", where),
        freshness_hours=float(_require(raw, "freshness_hours", where)),
        tables=tables)


@lru_cache(maxsize=1)
def source_names() -> tuple[str, ...]:
    """Every configured source, in a stable order."""
    return tuple(sorted(p.parent.name for p in SOURCES_DIR.glob("*/source.yml")))


def all_sources() -> list[SourceConfig]:
    return [load_source(name) for name in source_names()]
