"""Source configs: one YAML file per department source, ``ingestion/sources/<name>/source.yml``.

The file says everything the platform needs to know about a source: how to reach it (kind and
database on the project's own server, or a ``CITYLAKE_<NAME>_DSN`` override), its tables' keys,
watermarks and delete detection, which columns are personal data, the classification, the agreed
update frequency (freshness deadline), and how each table becomes silver (``SilverSpec``). The
extractor, the silver job, the catalog, the expectation suites and the DAGs are all driven by it.

The schema is the pydantic models below, strict about names (an unknown or misspelt key is refused):
a file that does not fit raises :class:`ConfigError` naming the file and the field's path, e.g.
``ingestion/sources/land/source.yml: tables.parcels.watermark: Field required``. The YAML files are
data the platform reads by path; the code that simulates a source lives apart (``simulators/``).
"""
from __future__ import annotations

import datetime as dt
import os
from functools import lru_cache
from pathlib import Path
from typing import Annotated, Any, Literal, get_args

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, ValidationInfo, field_validator, model_validator

from citylake.settings import REPO_ROOT, Settings

# data, not code: the platform reads these YAML files by path
SOURCES_DIR = REPO_ROOT / "ingestion" / "sources"
# the infrastructure owners' spatial registries (PostGIS): same file format, their own silver job and DAGs
INFRASTRUCTURE_DIR = REPO_ROOT / "ingestion" / "infrastructure"

Kind = Literal["postgresql", "mariadb"]
DeleteDetection = Literal["none", "keys"]
Classification = Literal["public", "internal", "restricted"]
Frequency = Literal["hourly", "daily", "weekly", "monthly"]
KINDS = get_args(Kind)
DELETE_DETECTION = get_args(DeleteDetection)
CLASSIFICATIONS = get_args(Classification)
FREQUENCIES = get_args(Frequency)
WARD_KEYS = ("code", "name", "district", "required")

Text = Annotated[str, Field(min_length=1)]  # a required value may not be empty either


class ConfigError(ValueError):
    """A source.yml that cannot be run as written."""


class _Block(BaseModel):
    """A block of source.yml: frozen once read, unknown keys refused; a key left empty in YAML
    (``pseudonymise:``) means its default."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    @model_validator(mode="before")
    @classmethod
    def _empty_means_default(cls, raw: Any) -> Any:
        if not isinstance(raw, dict):
            return raw
        return {k: v for k, v in raw.items()
                if not (v is None and k in cls.model_fields and not cls.model_fields[k].is_required())}


def _known_columns(values: tuple[str, ...] | dict, info: ValidationInfo) -> None:
    columns = info.data.get("columns")
    if columns is None:  # the columns themselves were refused: that error says enough
        return
    for col in values:
        if col not in columns:
            raise ValueError(f"'{col}' is used but not among the silver columns")


class SilverSpec(_Block):
    """How a bronze table becomes one trusted silver table (see spark_jobs/silver.py)."""

    name: Text
    description: str = ""
    columns: Annotated[dict[str, str], Field(min_length=1)]
    pseudonymise: dict[str, str] = {}
    # code, name, optionally district (old ward names repeat across districts) and required
    ward: dict[str, str | bool] | None = None
    enums: dict[str, dict[str, str]] = {}
    required: tuple[str, ...] = ()
    checks: dict[str, str] = {}
    unique: tuple[str, ...] = ()
    # source columns that may not be in bronze yet (added by a source schema change): column → Spark type
    optional: dict[str, str] = {}

    @field_validator("enums", mode="before")
    @classmethod
    def _enum_labels_are_text(cls, enums: Any) -> Any:
        # YAML reads 1, 2024 or yes as numbers and booleans: source values and labels are compared as text
        if not isinstance(enums, dict):
            return enums
        return {col: {str(k): str(v) for k, v in mapping.items()} if isinstance(mapping, dict) else mapping
                for col, mapping in enums.items()}

    @field_validator("ward")
    @classmethod
    def _ward(cls, ward: dict | None) -> dict | None:
        if ward is None:
            return None
        if not {"code", "name"} <= set(ward):
            raise ValueError("ward needs 'code' and 'name' (and optionally 'district')")
        unknown = sorted(set(ward) - set(WARD_KEYS))
        if unknown:
            raise ValueError(f"ward has unknown keys {unknown}: it takes {', '.join(WARD_KEYS)}")
        return ward

    @field_validator("enums", "required", "unique")
    @classmethod
    def _among_columns(cls, values: tuple[str, ...] | dict, info: ValidationInfo):
        _known_columns(values, info)
        return values


class GeometrySpec(_Block):
    """A table whose rows are placed by a PostGIS geometry (spark_jobs/gis_silver.py)."""

    column: Text = "geom"
    kind: Literal["point", "line", "polygon"]
    # the coordinate system as keyed (WGS84, VN-2000, UTM 48N), used where the SRID is 0
    crs_column: str | None = None
    # exact positions of critical assets never reach open layers: coarsened to the ward there
    restricted: bool = False
    # an edge of a network: the columns naming the nodes it joins (silver keeps nodes and edges)
    edge: tuple[str, str] | None = None


class TableConfig(_Block):
    name: Text       # the key under ``tables:``
    query_table: Text
    key: Annotated[tuple[str, ...], Field(min_length=1)]
    watermark: Text
    lookback_minutes: int = Field(60, ge=0)
    # an update timestamp before this is a placeholder (0001-01-01, 1900-01-01): flagged, re-read each run
    watermark_since: dt.date = dt.date(1990, 1, 1)
    delete_detection: DeleteDetection = "none"
    classification: Classification = "internal"
    personal_data: tuple[str, ...] = ()
    description: str = ""
    silver: SilverSpec | None = None
    geometry: GeometrySpec | None = None

    @field_validator("silver", mode="before")
    @classmethod
    def _no_silver(cls, raw: Any) -> Any:
        return raw or None

    @field_validator("silver")
    @classmethod
    def _no_personal_data_in_silver(cls, silver: SilverSpec | None, info: ValidationInfo) -> SilverSpec | None:
        personal = info.data.get("personal_data", ())
        if silver is not None:
            leaked = [c for c, expr in silver.columns.items() if expr.strip() in personal]
            if leaked:
                raise ValueError(f"personal data would reach silver as {leaked}; pseudonymise it")
        return silver


class SourceConfig(_Block):
    name: Text       # folder under ingestion/sources
    source: Text     # bronze/<source>/...
    domain: Text     # silver/<domain>/... (default: the name)
    owner: Text
    kind: Kind
    database: Text
    update_frequency: Frequency
    freshness_hours: float = Field(gt=0)
    tables: Annotated[dict[str, TableConfig], Field(min_length=1)]
    # database extensions the source needs (created by the superuser with the database: postgis)
    extensions: tuple[str, ...] = ()

    @model_validator(mode="before")
    @classmethod
    def _names_from_keys(cls, raw: Any) -> Any:
        if not isinstance(raw, dict):
            return raw
        raw = dict(raw)
        if raw.get("domain") in (None, ""):
            raw["domain"] = raw.get("name")
        if isinstance(raw.get("tables"), dict):
            raw["tables"] = {t: {**cfg, "name": t} if isinstance(cfg, dict) else cfg
                             for t, cfg in raw["tables"].items()}
        return raw

    def dsn(self, settings: Settings, owner: bool = False) -> str:
        """Where the platform reads this source: the read-only extraction account, or, with ``owner``,
        the department's own account (its simulator writes with it). ``CITYLAKE_<NAME>_DSN`` names
        a real department's database instead."""
        override = os.environ.get(f"CITYLAKE_{self.name.upper()}_DSN")
        if override:
            return override
        if self.kind == "mariadb":
            return settings.mariadb_dsn(self.database, None if owner else settings.pg_reader)
        return settings.pg_dsn(self.database, None if owner else settings.pg_reader)


def _where(path: Path) -> str:
    return str(path.relative_to(REPO_ROOT)) if path.is_relative_to(REPO_ROOT) else str(path)


def _explain(where: str, exc: ValidationError) -> str:
    lines = []
    for error in exc.errors(include_url=False):
        loc = ".".join(str(part) for part in error["loc"]) or "(top level)"
        lines.append(f"{where}: {loc}: {error['msg'].removeprefix('Value error, ')}")
    return "\n".join(lines)


def load_source(name: str, directory: Path | None = None) -> SourceConfig:
    """``<directory>/<name>/source.yml`` (by default the platform's own, ``ingestion/sources``, then the
    infrastructure registries', ``ingestion/infrastructure``), validated."""
    path = (SOURCES_DIR if directory is None else Path(directory)) / name / "source.yml"
    if directory is None and not path.exists():
        path = INFRASTRUCTURE_DIR / name / "source.yml"
    if not path.exists():
        raise FileNotFoundError(f"no source config {path}")
    where = _where(path.resolve())
    try:
        raw = yaml.safe_load(path.read_text())
    except yaml.YAMLError as exc:
        raise ConfigError(f"{where}: not valid YAML: {exc}") from None
    if not isinstance(raw, dict):
        raise ConfigError(f"{where}: expected a mapping of settings, found {type(raw).__name__}")
    try:
        return SourceConfig.model_validate({**raw, "name": name})
    except ValidationError as exc:
        raise ConfigError(_explain(where, exc)) from None


@lru_cache(maxsize=1)
def source_names() -> tuple[str, ...]:
    """Every configured source, in a stable order."""
    return tuple(sorted(p.parent.name for p in SOURCES_DIR.glob("*/source.yml")))


def all_sources() -> list[SourceConfig]:
    return [load_source(name) for name in source_names()]


@lru_cache(maxsize=1)
def infrastructure_names() -> tuple[str, ...]:
    """The infrastructure owners' spatial sources (``ingestion/infrastructure``), in a stable order."""
    return tuple(sorted(p.parent.name for p in INFRASTRUCTURE_DIR.glob("*/source.yml")))


def infrastructure_sources() -> list[SourceConfig]:
    return [load_source(name, INFRASTRUCTURE_DIR) for name in infrastructure_names()]
