"""Ho Chi Minh City's pre-2025 wards and where each went on 1 July 2025.

Source systems still hold the old ward/district codes. The official reference data comes from the
``vietnamadminunits`` package (its legacy 63-province table and its old→2025 converter). An old
ward that was divided among several new wards maps to the converter's default new ward and is
flagged ``is_divided``.
"""
from __future__ import annotations

import json
from functools import lru_cache
from pathlib import Path

import pyarrow as pa

# Ho Chi Minh City (79) and the provinces it absorbed on 1 July 2025: Bình Dương (74) and
# Bà Rịa–Vũng Tàu (77).
HCMC_LEGACY_PROVINCES = ("79", "74", "77")


def _package_data() -> Path:
    import vietnamadminunits

    return Path(vietnamadminunits.__file__).parent / "data"


@lru_cache(maxsize=1)
def legacy_wards(provinces: tuple[str, ...] = ("79",)) -> list[dict]:
    """Pre-2025 wards (code, name, district, centroid) of the given legacy provinces."""
    from vietnamadminunits.database import query

    placeholders = ",".join(f"'{p}'" for p in provinces)
    rows = query(
        "SELECT provinceCode, province, districtCode, district, wardCode, ward, wardLat, wardLon "
        f"FROM admin_units_legacy WHERE provinceCode IN ({placeholders}) ORDER BY wardCode")
    return [{"province_code": r["provinceCode"], "province_name": r["province"],
             "district_code": r["districtCode"], "district_name": r["district"],
             "ward_code": r["wardCode"], "ward_name": r["ward"],
             "latitude": r["wardLat"], "longitude": r["wardLon"]} for r in rows if r["wardCode"]]


@lru_cache(maxsize=1)
def _divided_keys() -> set[str]:
    data = json.loads((_package_data() / "converter_2025.json").read_text())
    divided = data.get("DICT_PROVINCE_WARD_DIVIDED", {})
    return {key for province in divided.values() for key in province}


def ward_mapping_2025(provinces: tuple[str, ...] = HCMC_LEGACY_PROVINCES) -> pa.Table:
    """One row per old ward: its 2025 ward (code, name, centroid) and whether it was divided."""
    from vietnamadminunits import convert_address

    divided = _divided_keys()
    rows = []
    for ward in legacy_wards(provinces):
        new = convert_address(f"{ward['ward_name']}, {ward['district_name']}, {ward['province_name']}")
        old = new.OldAdminUnit
        old_key = f"{old.province_key}_{old.district_key}_{old.ward_key}" if old else ""
        rows.append({
            "old_ward_code": ward["ward_code"], "old_ward_name": ward["ward_name"],
            "old_district_code": ward["district_code"], "old_district_name": ward["district_name"],
            "province_code": new.province_code, "ward_code_2025": new.ward_code,
            "ward_name_2025": new.ward, "is_divided": old_key in divided,
            "latitude_2025": new.latitude, "longitude_2025": new.longitude,
        })
    return pa.Table.from_pylist(rows, schema=MAPPING_SCHEMA)


MAPPING_SCHEMA = pa.schema([
    ("old_ward_code", pa.string()), ("old_ward_name", pa.string()),
    ("old_district_code", pa.string()), ("old_district_name", pa.string()),
    ("province_code", pa.string()), ("ward_code_2025", pa.string()), ("ward_name_2025", pa.string()),
    ("is_divided", pa.bool_()), ("latitude_2025", pa.float64()), ("longitude_2025", pa.float64()),
])
