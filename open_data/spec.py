"""What a published dataset is: its mart, key, organisation and portal metadata."""
from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class OrganizationSpec:
    name: str
    title: str
    description: str


@dataclass(frozen=True)
class DatasetSpec:
    name: str
    mart: str
    primary_key: str
    organization: OrganizationSpec
    title: str
    title_en: str
    notes: str
    notes_en: str
    tags: list[str] = field(default_factory=list)
    license_id: str = "cc-by"
    update_frequency: str = "daily"
    spatial_coverage: str = "Thành phố Hồ Chí Minh (mã 79) / Ho Chi Minh City"
    source: str = "Hệ thống cấp phép của Sở Y tế TP.HCM, qua kho dữ liệu dùng chung citylake"
    geojson: bool = False
    # string columns that hold registry codes (not people) and are exempt from the value scan
    allow_codes: tuple[str, ...] = ()
