"""The conformed reference tables, written to ``silver/reference/`` for dbt and notebooks.

They come from packages and code, not from a department: the 2025 wards and the old→new mapping
(vietnamadminunits), the agencies (ingestion.reference.agencies), the working-day calendar
(holidays) and VSIC 2018. Rebuilt on every run: cheap, and they follow package upgrades.
"""
from __future__ import annotations

import pyarrow as pa

from citylake import delta
from citylake.catalog import silver_uri
from citylake.settings import Settings, get_settings
from ingestion.reference import agencies, calendar, vsic
from ingestion.reference.admin_units import ward_mapping_2025

HCMC_2025_PROVINCE = "79"


def admin_units_2025() -> pa.Table:
    """The city's 2025 wards, communes and special zone, with centre and area."""
    from vietnamadminunits.database import query

    rows = query("SELECT provinceCode, province, wardCode, ward, wardType, wardLat, wardLon, wardAreaKm2 "
                 f"FROM admin_units WHERE provinceCode = '{HCMC_2025_PROVINCE}' ORDER BY wardCode")
    return pa.Table.from_pylist([
        {"ward_code_2025": r["wardCode"], "ward_name_2025": r["ward"], "ward_type": r["wardType"],
         "province_code": r["provinceCode"], "province_name": r["province"], "latitude": r["wardLat"],
         "longitude": r["wardLon"], "area_km2": r["wardAreaKm2"]} for r in rows])


def agency_table() -> pa.Table:
    rows = [{"agency_code": code, "agency_name": vi, "agency_name_en": en, "level": "city",
             "ward_code_2025": None} for code, vi, en in agencies.DEPARTMENTS]
    for ward in admin_units_2025().to_pylist():
        rows.append({"agency_code": agencies.ward_committee_code(ward["ward_code_2025"]),
                     "agency_name": f"Ủy ban nhân dân {ward['ward_name_2025']}",
                     "agency_name_en": f"People's Committee of {ward['ward_name_2025']}", "level": "ward",
                     "ward_code_2025": ward["ward_code_2025"]})
    return pa.Table.from_pylist(rows)


def build() -> dict[str, pa.Table]:
    return {
        "ward_mapping_2025": ward_mapping_2025(),
        "admin_units_2025": admin_units_2025(),
        "agencies": agency_table(),
        "calendar": calendar.calendar(),
        "vsic_sections": pa.Table.from_pylist(vsic.sections()),
        "vsic_divisions": pa.Table.from_pylist(vsic.divisions()),
    }


def write(settings: Settings | None = None) -> dict[str, int]:
    settings = settings or get_settings()
    counts = {}
    for name, data in build().items():
        delta.replace_if_changed(data, silver_uri(settings, "reference", name))
        counts[name] = data.num_rows
    return counts
