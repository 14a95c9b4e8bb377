"""Source configs: one YAML file per department source under ``ingestion/sources/<name>/``."""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import yaml

from citylake.settings import Settings

SOURCES_DIR = Path(__file__).resolve().parent / "sources"


@dataclass(frozen=True)
class TableConfig:
    name: str
    query_table: str
    key: tuple[str, ...]
    watermark: str
    lookback_minutes: int = 60
    classification: str = "internal"
    personal_data: tuple[str, ...] = ()


@dataclass(frozen=True)
class SourceConfig:
    source: str
    owner: str
    kind: str
    dsn_setting: str
    update_frequency: str
    tables: dict[str, TableConfig] = field(default_factory=dict)

    def dsn(self, settings: Settings) -> str:
        return getattr(settings, self.dsn_setting)


def load_source(name: str) -> SourceConfig:
    path = SOURCES_DIR / name / "source.yml"
    if not path.exists():
        raise FileNotFoundError(f"no source config {path}")
    raw = yaml.safe_load(path.read_text())
    tables = {
        tname: TableConfig(name=tname, query_table=t["query_table"], key=tuple(t["key"]),
                           watermark=t["watermark"], lookback_minutes=int(t.get("lookback_minutes", 60)),
                           classification=t.get("classification", "internal"),
                           personal_data=tuple(t.get("personal_data") or ()))
        for tname, t in raw["tables"].items()
    }
    return SourceConfig(source=raw["source"], owner=raw["owner"], kind=raw["kind"],
                        dsn_setting=raw["dsn_setting"], update_frequency=raw["update_frequency"],
                        tables=tables)
