"""Scenario files: the assumptions of a growth scenario, validated, with a hash that names them exactly.

A scenario is a YAML file under ``analytics/scenarios/scenarios/`` an analyst can copy and change.
``extends: baseline.yaml`` starts from another file (a sibling) and overrides only what it lists, so
the levers of a scenario are visible at a glance. Validation (pydantic) refuses unknown fields and
out-of-range values with the field's dotted path in the message. The hash is taken over the resolved,
validated assumptions, so two files that mean the same thing have the same hash and any change to a
number changes it.
"""
from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Annotated

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

SCENARIO_DIR = Path(__file__).resolve().parent / "scenarios"


class ScenarioError(ValueError):
    """A scenario file that cannot be used, saying which field and why."""


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


Share = Annotated[float, Field(ge=0, le=1)]
Rate = Annotated[float, Field(ge=-0.2, le=0.2)]
Positive = Annotated[float, Field(gt=0)]
Year = Annotated[float, Field(ge=2000, le=2100)]


class Assumptions(_Strict):
    """What the warehouse cannot tell: the scenario's view of the city's structure."""

    city_population: Positive = Field(description="residents at the latest school year the warehouse holds")
    natural_growth_rate: Rate = Field(description="births minus deaths per resident and year")
    migration_sensitivity: Annotated[float, Field(ge=0, le=1)] = Field(
        description="extra net migration per year per unit of relative change in a ward's jobs per resident")
    employment_ratio: Share = Field(description="jobs per resident when the registers' window starts")
    jobs_per_business: Positive
    jobs_per_million_usd_fdi: Annotated[float, Field(ge=0)]
    fdi_asset_life_years: Positive
    job_adjustment_years: Positive
    trips_per_resident: Annotated[float, Field(ge=0)] = Field(description="trips a resident makes a day")
    trips_per_job: Annotated[float, Field(ge=0)] = Field(description="business trips a job generates a day")
    default_motorbike_share: Share = Field(description="motorbike share of trips where no camera counts it")


class Fdi(_Strict):
    multiplier: Positive = 1.0
    from_year: Year = 2026


class Metro(_Strict):
    """A metro line taking a share of the motorbike trips of the wards it serves."""

    wards: list[str] = Field(min_length=1)
    motorbike_shift: Share
    start_year: Year
    ramp_years: Positive


class IndustrialPark(_Strict):
    ward: str
    jobs: Positive
    fdi_share: Annotated[float, Field(ge=0, lt=1)] = Field(description="share of the city's new FDI it draws")
    start_year: Year
    build_years: Positive


class Scenario(_Strict):
    name: str = Field(pattern=r"^[a-z0-9_]+$")
    description: str
    horizon_year: Annotated[int, Field(ge=2026, le=2050)] = 2030
    assumptions: Assumptions
    fdi: Fdi = Fdi()
    metro: Metro | None = None
    industrial_park: IndustrialPark | None = None

    def canonical_json(self) -> str:
        return json.dumps(self.model_dump(mode="json"), sort_keys=True, separators=(",", ":"), ensure_ascii=False)

    @property
    def content_hash(self) -> str:
        """sha256 of the resolved assumptions: the scenario's version."""
        return hashlib.sha256(self.canonical_json().encode()).hexdigest()

    def levers_off(self) -> Scenario:
        """The same assumptions without the scenario's levers (what calibration runs)."""
        return self.model_copy(update={"fdi": Fdi(), "metro": None, "industrial_park": None})

    def check_wards(self, wards: set[str]) -> None:
        """Every ward the scenario names must be one of the model's."""
        named = [(f"metro.wards[{i}]", w) for i, w in enumerate(self.metro.wards)] if self.metro else []
        if self.industrial_park:
            named.append(("industrial_park.ward", self.industrial_park.ward))
        for field, ward in named:
            if ward not in wards:
                raise ScenarioError(f"scenario {self.name}: {field}: unknown ward {ward!r} "
                                    "(not a 2025 ward of the warehouse's dim_admin_units)")


def _merge(base: dict, over: dict) -> dict:
    out = dict(base)
    for key, value in over.items():
        out[key] = _merge(out[key], value) if isinstance(value, dict) and isinstance(out.get(key), dict) else value
    return out


def _raw(path: Path, seen: tuple[Path, ...] = ()) -> dict:
    if path in seen:
        raise ScenarioError(f"{path}: extends itself through {' → '.join(p.name for p in seen)}")
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ScenarioError(f"{path}: no such scenario file") from None
    except yaml.YAMLError as exc:
        raise ScenarioError(f"{path}: not valid YAML: {exc}") from None
    if not isinstance(data, dict):
        raise ScenarioError(f"{path}: a scenario file is a mapping of fields, not {type(data).__name__}")
    parent = data.pop("extends", None)
    if parent is None:
        return data
    return _merge(_raw((path.parent / parent).resolve(), (*seen, path)), data)


def _where(loc: tuple) -> str:
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


def load_scenario(path: str | Path) -> Scenario:
    """The validated scenario of a YAML file; a ScenarioError names each bad field."""
    path = Path(path).resolve()
    data = _raw(path)
    try:
        return Scenario.model_validate(data)
    except ValidationError as exc:
        problems = [f"{_where(e['loc'])}: {e['msg']}" + (f" (got {e['input']!r})" if e["type"] != "missing" else "")
                    for e in exc.errors()]
        raise ScenarioError(f"{path.name}: " + "; ".join(problems)) from None


def scenario_files(directory: Path = SCENARIO_DIR) -> list[Path]:
    return sorted(directory.glob("*.yaml"))
