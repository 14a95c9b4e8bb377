"""Suites written from configuration rather than by hand.

* ``silver_<domain>_<table>`` for every silver table a source.yml declares: exactly the declared
  columns, the key unique and present, required values present, enumerations within their English
  values, 2025 ward codes well formed, pseudonyms hex (never a raw identifier), and no free-text
  value that looks like a citizen ID or a phone number.
* ``mart_<name>`` for every mart listed in ``expectations/marts/<domain>.yml``: its key, the
  values that must be present, counts and amounts that cannot be negative, rates within 0–1.
"""
from __future__ import annotations

from functools import lru_cache
from pathlib import Path

import great_expectations as gx
import great_expectations.expectations as gxe
import yaml

from citylake.source_config import SourceConfig, TableConfig, all_sources

MARTS_DIR = Path(__file__).with_name("marts")
WARD_CODE_REGEX = r"^\d{5}$"
PSEUDONYM_REGEX = r"^[0-9a-f]{64}$"
CCCD_REGEX = r"^\d{12}$"
VN_PHONE_REGEX = r"^(?:\+84|0)\d{9,10}$"
WITHHOLD_VALUES = {"withhold_values": True}


def _key(columns: list[str]) -> list[gxe.Expectation]:
    present = [gxe.ExpectColumnValuesToNotBeNull(column=c) for c in columns]
    if len(columns) == 1:
        return [*present, gxe.ExpectColumnValuesToBeUnique(column=columns[0])]
    return [*present, gxe.ExpectCompoundColumnsToBeUnique(column_list=columns)]


def _no_personal_values(column: str) -> list[gxe.Expectation]:
    return [gxe.ExpectColumnValuesToNotMatchRegex(column=column, regex=CCCD_REGEX, meta=WITHHOLD_VALUES,
                                                  description=f"no {column} looks like a 12-digit CCCD"),
            gxe.ExpectColumnValuesToNotMatchRegex(column=column, regex=VN_PHONE_REGEX, meta=WITHHOLD_VALUES,
                                                  description=f"no {column} looks like a phone number")]


def silver_columns(cfg: TableConfig) -> list[str]:
    spec = cfg.silver
    ward = ["ward_code_2025", "ward_name_2025", "source_ward_code", "ward_issue"] if spec.ward else []
    return [*spec.columns, *spec.pseudonymise, *ward, "updated_at", "_batch_id", "_silver_built_at"]


def silver_key(cfg: TableConfig) -> list[str]:
    """The silver columns that carry the source key (declared as the bare key column)."""
    by_expr = {expr.strip(): name for name, expr in cfg.silver.columns.items()}
    missing = [k for k in cfg.key if k not in by_expr]
    if missing:
        raise ValueError(f"{cfg.name}: the key {missing} is not carried into silver as a plain column")
    return [by_expr[k] for k in cfg.key]


def silver_suite(source: SourceConfig, cfg: TableConfig) -> gx.ExpectationSuite:
    spec = cfg.silver
    rules: list[gxe.Expectation] = [
        gxe.ExpectTableColumnsToMatchSet(column_set=silver_columns(cfg), exact_match=True),
        *_key(silver_key(cfg)),
        gxe.ExpectColumnValuesToNotBeNull(column="updated_at"),
    ]
    rules += [gxe.ExpectColumnValuesToNotBeNull(column=c) for c in spec.required]
    for col, mapping in spec.enums.items():
        rules.append(gxe.ExpectColumnValuesToBeInSet(column=col, value_set=sorted(set(mapping.values()))))
    for col in spec.pseudonymise:
        rules.append(gxe.ExpectColumnValuesToMatchRegex(column=col, regex=PSEUDONYM_REGEX, meta=WITHHOLD_VALUES))
    if spec.ward:
        rules.append(gxe.ExpectColumnValuesToMatchRegex(column="ward_code_2025", regex=WARD_CODE_REGEX))
        if spec.ward.get("required", True):
            rules.append(gxe.ExpectColumnValuesToNotBeNull(column="ward_code_2025"))
    for col in spec.unique:
        rules.append(gxe.ExpectColumnValuesToBeUnique(column=col))
    return gx.ExpectationSuite(name=f"silver_{source.domain}_{spec.name}", expectations=rules)


@lru_cache(maxsize=1)
def mart_rules() -> dict[str, dict]:
    """mart name → rules, from every ``expectations/marts/*.yml`` (one file per domain)."""
    rules: dict[str, dict] = {}
    for path in sorted(MARTS_DIR.glob("*.yml")):
        for name, spec in (yaml.safe_load(path.read_text()) or {}).items():
            if name in rules:
                raise ValueError(f"{path.name}: mart {name} already has rules in another file")
            rules[name] = spec
    return rules


def mart_suite(name: str) -> gx.ExpectationSuite:
    spec = mart_rules()[name]
    rules: list[gxe.Expectation] = [*_key(list(spec["key"]) if isinstance(spec["key"], list) else [spec["key"]])]
    rules += [gxe.ExpectColumnValuesToNotBeNull(column=c) for c in spec.get("not_null", [])]
    rules += [gxe.ExpectColumnValuesToBeBetween(column=c, min_value=0) for c in spec.get("non_negative", [])]
    rules += [gxe.ExpectColumnValuesToBeBetween(column=c, min_value=0, max_value=1) for c in spec.get("rates", [])]
    rules += [gxe.ExpectColumnValuesToMatchRegex(column=c, regex=WARD_CODE_REGEX) for c in spec.get("wards", [])]
    if spec.get("columns"):
        rules.append(gxe.ExpectTableColumnsToMatchSet(column_set=list(spec["columns"]), exact_match=True))
    if spec.get("min_rows"):
        rules.append(gxe.ExpectTableRowCountToBeBetween(min_value=int(spec["min_rows"])))
    return gx.ExpectationSuite(name=f"mart_{name}", expectations=rules)


def silver_tables() -> dict[str, tuple[SourceConfig, TableConfig]]:
    return {f"silver_{src.domain}_{cfg.silver.name}": (src, cfg)
            for src in all_sources() for cfg in src.tables.values() if cfg.silver is not None}


def generated_suite(name: str) -> gx.ExpectationSuite | None:
    if name.startswith("silver_"):
        found = silver_tables().get(name)
        return silver_suite(*found) if found else None
    if name.startswith("mart_") and name[len("mart_"):] in mart_rules():
        return mart_suite(name[len("mart_"):])
    return None
