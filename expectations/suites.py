"""The expectation suites: what the silver health tables and the marts must satisfy.

One function per suite, each returning a fresh ``ExpectationSuite``: docs/contracts.md turned
into checks, with the same value rules the silver job quarantines by. ``SUITES`` maps suite names
to them; ``get_suite(name)`` builds one by name.
"""
from __future__ import annotations

import os
from collections.abc import Callable

os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")

import great_expectations as gx
import great_expectations.expectations as gxe
from great_expectations.expectations.row_conditions import Column

from citylake.geo import HCMC_BOUNDS

# -- the published shape of each table (docs/contracts.md) --

SILVER_FACILITY_COLUMNS = [
    "facility_id", "facility_code", "name", "facility_type", "ownership", "licence_no",
    "licence_issued_on", "beds", "specialties", "address", "ward_code_2025", "ward_name_2025",
    "province_code", "source_ward_code", "source_ward_name", "source_district_name", "latitude",
    "longitude", "status", "updated_at", "_batch_id", "_silver_built_at",
]
SILVER_CERTIFICATE_COLUMNS = [
    "certificate_id", "certificate_no", "practitioner_name", "practitioner_key", "profession",
    "scope", "issuer", "facility_id", "issued_on", "revoked_on", "revocation_reason", "status",
    "updated_at", "_batch_id", "_silver_built_at",
]
DIM_FACILITY_COLUMNS = [
    "facility_id", "facility_code", "name", "facility_type", "ownership", "licence_no",
    "licence_issued_on", "beds", "specialties", "address", "ward_code_2025", "ward_name_2025",
    "province_code", "latitude", "longitude", "status", "active_practitioners", "updated_at",
]
FCT_CERTIFICATE_COLUMNS = [
    "certificate_id", "certificate_no", "practitioner_name", "profession", "scope", "issuer",
    "facility_id", "facility_name", "ward_code_2025", "issued_on", "revoked_on", "status",
    "updated_at",
]
RPT_CAPACITY_COLUMNS = [
    "capacity_key", "ward_code_2025", "ward_name_2025", "facility_type", "facilities", "beds",
    "active_practitioners",
]

# Columns that must never reach a published table (the restricted zone's personal data and
# the practitioner pseudonym).
PERSONAL_DATA_COLUMNS = ("cccd", "phone", "date_of_birth", "practitioner_key")
for _published in (DIM_FACILITY_COLUMNS, FCT_CERTIFICATE_COLUMNS, RPT_CAPACITY_COLUMNS):
    assert not set(_published) & set(PERSONAL_DATA_COLUMNS), _published

# -- value rules --

FACILITY_STATUSES = ["active", "suspended", "closed"]
CERTIFICATE_STATUSES = ["valid", "revoked", "suspended"]
OWNERSHIPS = ["public", "private"]
HCMC_PROVINCE_CODE = "79"
WARD_CODE_REGEX = r"^\d{5}$"
# e.g. 012345/HCM-CCHN (chứng chỉ hành nghề): the rule spark_jobs/health_silver.py quarantines by
CERTIFICATE_NO_REGEX = r"^[0-9]{6}/[A-Z]+-CCHN$"
# the pseudonym: salted SHA-256, hex-encoded; anything else could be a raw identifier
PRACTITIONER_KEY_REGEX = r"^[0-9a-f]{64}$"
CCCD_REGEX = r"^\d{12}$"
VN_PHONE_REGEX = r"^(?:\+84|0)\d{9,10}$"

# meta flag read by expectations.audit: never echo the offending values (they may be personal)
WITHHOLD_VALUES = {"withhold_values": True}


def _key(column: str) -> list[gxe.Expectation]:
    return [gxe.ExpectColumnValuesToNotBeNull(column=column),
            gxe.ExpectColumnValuesToBeUnique(column=column)]


def _columns(columns: list[str]) -> gxe.Expectation:
    """Exactly these columns: a new column (cccd, phone...) fails until the contract says so."""
    return gxe.ExpectTableColumnsToMatchSet(column_set=columns, exact_match=True)


def _no_personal_values(*columns: str) -> list[gxe.Expectation]:
    """No value of these text columns is a bare CCCD number or a Vietnamese phone number."""
    out: list[gxe.Expectation] = []
    for column in columns:
        out.append(gxe.ExpectColumnValuesToNotMatchRegex(
            column=column, regex=CCCD_REGEX, meta=WITHHOLD_VALUES,
            description=f"no {column} looks like a 12-digit CCCD number"))
        out.append(gxe.ExpectColumnValuesToNotMatchRegex(
            column=column, regex=VN_PHONE_REGEX, meta=WITHHOLD_VALUES,
            description=f"no {column} looks like a Vietnamese phone number"))
    return out


def _in_hcmc(lat: str = "latitude", lon: str = "longitude") -> list[gxe.Expectation]:
    """Coordinates inside Ho Chi Minh City's 2025 bounds, the box silver also enforces
    (citylake.geo: former Bình Dương and Bà Rịa–Vũng Tàu, Côn Đảo included)."""
    return [
        gxe.ExpectColumnValuesToBeBetween(column=lat, min_value=HCMC_BOUNDS["lat_min"],
                                          max_value=HCMC_BOUNDS["lat_max"]),
        gxe.ExpectColumnValuesToBeBetween(column=lon, min_value=HCMC_BOUNDS["lon_min"],
                                          max_value=HCMC_BOUNDS["lon_max"]),
    ]


def _facility_rules() -> list[gxe.Expectation]:
    """What silver facilities and the open facilities dataset share."""
    return [
        *_key("facility_id"),
        gxe.ExpectColumnValuesToNotBeNull(column="facility_code"),
        gxe.ExpectColumnValuesToNotBeNull(column="name"),
        gxe.ExpectColumnValuesToNotBeNull(column="status"),
        gxe.ExpectColumnValuesToBeInSet(column="status", value_set=FACILITY_STATUSES),
        gxe.ExpectColumnValuesToBeInSet(column="ownership", value_set=OWNERSHIPS),
        gxe.ExpectColumnValuesToBeBetween(column="beds", min_value=0),
        gxe.ExpectColumnValuesToNotBeNull(column="ward_code_2025"),
        gxe.ExpectColumnValuesToMatchRegex(column="ward_code_2025", regex=WARD_CODE_REGEX),
        gxe.ExpectColumnValuesToBeInSet(column="province_code", value_set=[HCMC_PROVINCE_CODE]),
        *_in_hcmc(),
        *_no_personal_values("name", "address", "specialties"),
    ]


def _certificate_rules() -> list[gxe.Expectation]:
    """What silver certificates and the open certificates dataset share."""
    return [
        *_key("certificate_id"),
        gxe.ExpectColumnValuesToNotBeNull(column="certificate_no"),
        gxe.ExpectColumnValuesToMatchRegex(column="certificate_no", regex=CERTIFICATE_NO_REGEX),
        gxe.ExpectColumnValuesToNotBeNull(column="practitioner_name"),
        gxe.ExpectColumnValuesToNotBeNull(column="status"),
        gxe.ExpectColumnValuesToBeInSet(column="status", value_set=CERTIFICATE_STATUSES),
        gxe.ExpectColumnValuesToNotBeNull(column="revoked_on",
                                          row_condition=Column("status") == "revoked"),
        *_no_personal_values("practitioner_name", "profession", "scope", "issuer"),
    ]


def silver_health_facilities() -> gx.ExpectationSuite:
    return gx.ExpectationSuite(name="silver_health_facilities", expectations=[
        _columns(SILVER_FACILITY_COLUMNS),
        *_facility_rules(),
        gxe.ExpectColumnValuesToNotBeNull(column="updated_at"),
    ])


def silver_health_practice_certificates() -> gx.ExpectationSuite:
    return gx.ExpectationSuite(name="silver_health_practice_certificates", expectations=[
        _columns(SILVER_CERTIFICATE_COLUMNS),
        *_certificate_rules(),
        gxe.ExpectColumnValuesToNotBeNull(column="practitioner_key"),
        gxe.ExpectColumnValuesToMatchRegex(column="practitioner_key",
                                           regex=PRACTITIONER_KEY_REGEX, meta=WITHHOLD_VALUES),
        gxe.ExpectColumnValuesToNotBeNull(column="updated_at"),
    ])


def mart_dim_health_facilities() -> gx.ExpectationSuite:
    return gx.ExpectationSuite(name="mart_dim_health_facilities", expectations=[
        _columns(DIM_FACILITY_COLUMNS),
        *_facility_rules(),
        gxe.ExpectColumnValuesToNotBeNull(column="active_practitioners"),
        gxe.ExpectColumnValuesToBeBetween(column="active_practitioners", min_value=0),
    ])


def mart_fct_practice_certificates() -> gx.ExpectationSuite:
    return gx.ExpectationSuite(name="mart_fct_practice_certificates", expectations=[
        _columns(FCT_CERTIFICATE_COLUMNS),
        *_certificate_rules(),
        *_no_personal_values("facility_name"),
    ])


def mart_rpt_health_capacity_by_ward() -> gx.ExpectationSuite:
    return gx.ExpectationSuite(name="mart_rpt_health_capacity_by_ward", expectations=[
        _columns(RPT_CAPACITY_COLUMNS),
        *_key("capacity_key"),
        gxe.ExpectCompoundColumnsToBeUnique(column_list=["ward_code_2025", "facility_type"]),
        gxe.ExpectColumnValuesToNotBeNull(column="ward_code_2025"),
        gxe.ExpectColumnValuesToMatchRegex(column="ward_code_2025", regex=WARD_CODE_REGEX),
        gxe.ExpectColumnValuesToNotBeNull(column="facility_type"),
        # only (ward, type) pairs with at least one active facility are reported
        gxe.ExpectColumnValuesToBeBetween(column="facilities", min_value=1),
        gxe.ExpectColumnValuesToBeBetween(column="beds", min_value=0),
        gxe.ExpectColumnValuesToBeBetween(column="active_practitioners", min_value=0),
    ])


SUITES: dict[str, Callable[[], gx.ExpectationSuite]] = {
    "silver_health_facilities": silver_health_facilities,
    "silver_health_practice_certificates": silver_health_practice_certificates,
    "mart_dim_health_facilities": mart_dim_health_facilities,
    "mart_fct_practice_certificates": mart_fct_practice_certificates,
    "mart_rpt_health_capacity_by_ward": mart_rpt_health_capacity_by_ward,
}


def get_suite(name: str) -> gx.ExpectationSuite:
    """A fresh suite by name (hand-written, else generated from config); ValueError if unknown."""
    from expectations.camera_suites import CAMERA_SUITES
    from expectations.generated import generated_suite

    if name in SUITES:
        return SUITES[name]()
    if name in CAMERA_SUITES:
        return CAMERA_SUITES[name]()
    from expectations.gis import gis_suite, gold_suite

    if (spatial := gis_suite(name) or gold_suite(name)) is not None:
        return spatial
    suite = generated_suite(name)
    if suite is None:
        raise ValueError(f"unknown suite {name!r}; hand-written: {', '.join(SUITES)}; generated: "
                         "silver_<domain>_<table> from source.yml, mart_<name> from expectations/marts.yml")
    return suite
