"""Every open dataset the platform publishes, by the domain its gold tables live under."""
from __future__ import annotations

from open_data import departments, health, siting
from open_data.spec import DatasetSpec

DATASETS_BY_DOMAIN: dict[str, tuple[DatasetSpec, ...]] = {
    "health": health.DATASETS,
    "siting": siting.DATASETS,
    **departments.DATASETS_BY_DOMAIN,
}


def all_datasets() -> list[DatasetSpec]:
    return [spec for specs in DATASETS_BY_DOMAIN.values() for spec in specs]
