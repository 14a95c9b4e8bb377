"""The silver Spark job on real bronze data: latest versions, NFC, 2025 wards, quarantine, no PII."""
from __future__ import annotations

import unicodedata

import pyarrow.compute as pc
import pytest

from citylake import delta
from citylake.catalog import restricted_uri, silver_uri
from citylake.settings import Settings
from ingestion.extract import extract_source
from simulators.departments.health import generator
from spark_jobs import health_silver


@pytest.fixture(scope="module")
def silver(health_source, spark, tmp_path_factory):
    import os

    root = tmp_path_factory.mktemp("silver") / "lakehouse"
    os.environ["CITYLAKE_LAKEHOUSE"] = str(root)
    extract_source("health")
    generator.advance(health_source)
    extract_source("health")
    counts = health_silver.run(spark=spark)
    yield Settings(), counts
    os.environ.pop("CITYLAKE_LAKEHOUSE", None)


def _read(settings, layer_uri):
    return delta.read_arrow(layer_uri).to_pandas()


def test_one_row_per_key_with_the_latest_version(silver, health_source):
    import psycopg

    settings, counts = silver
    fac = _read(settings, silver_uri(settings, "health", "facilities"))
    quarantine = _read(settings, silver_uri(settings, "health", "quarantine"))
    assert fac.facility_id.is_unique
    with psycopg.connect(health_source) as conn:
        source = dict(conn.execute("SELECT id, so_giuong FROM yte.co_so_kcb").fetchall())
        n_source = len(source)
    # every source facility is either in silver or in the quarantine, never lost
    quarantined = set(quarantine[quarantine.source_table == "facilities"].source_key.astype(int))
    assert set(fac.facility_id) | quarantined == set(source)
    assert not set(fac.facility_id) & quarantined
    assert len(fac) + len(quarantined) == n_source
    # the edited bed counts of the latest day are what silver holds
    assert all(source[i] == b for i, b in zip(fac.facility_id, fac.beds))


def test_text_is_nfc_and_statuses_are_enumerations(silver):
    settings, _ = silver
    fac = _read(settings, silver_uri(settings, "health", "facilities"))
    certs = _read(settings, silver_uri(settings, "health", "practice_certificates"))
    for column in (fac.name, fac.address, certs.practitioner_name):
        assert all(unicodedata.is_normalized("NFC", v) for v in column.dropna())
    assert set(fac.status) <= {"active", "suspended", "closed"}
    assert set(fac.ownership) == {"public", "private"}
    assert set(certs.status) <= {"valid", "revoked", "suspended"}
    assert (certs.status == "revoked").any()
    assert all(certs[certs.status == "revoked"].revoked_on.notna())


def test_old_wards_map_to_2025_units(silver):
    settings, _ = silver
    fac = _read(settings, silver_uri(settings, "health", "facilities"))
    mapping = _read(settings, silver_uri(settings, "reference", "ward_mapping_2025"))
    assert fac.ward_code_2025.notna().all() and fac.province_code.eq("79").all()
    by_old = dict(zip(mapping.old_ward_code, mapping.ward_code_2025))
    coded = fac[fac.source_ward_code.notna()]
    assert all(by_old[o] == n for o, n in zip(coded.source_ward_code, coded.ward_code_2025))
    # rows that only had a ward name were resolved by name and district
    assert fac.source_ward_code.isna().any()
    # Phường Bến Nghé (Quận 1) became Phường Sài Gòn on 1 July 2025
    assert mapping.set_index("old_ward_code").loc["26740", "ward_name_2025"] == "Phường Sài Gòn"


def test_invalid_rows_are_quarantined_with_reasons(silver):
    settings, _ = silver
    q = _read(settings, silver_uri(settings, "health", "quarantine"))
    reasons = q.reason.str.extract(r"^(duplicate|ward not found|coordinates outside|unknown facility_id)")[0]
    assert reasons.notna().all(), q.reason[reasons.isna()].tolist()
    assert set(reasons) == {"duplicate", "ward not found", "coordinates outside", "unknown facility_id"}
    assert q.record.str.len().gt(10).all()
    assert not q.record.str.contains("so_cccd|ngay_sinh|dien_thoai").any()


def test_personal_data_only_in_the_restricted_zone(silver):
    settings, counts = silver
    certs = delta.read_arrow(silver_uri(settings, "health", "practice_certificates"))
    assert not {"so_cccd", "cccd", "ngay_sinh", "date_of_birth", "dien_thoai", "phone"} & set(certs.column_names)
    ids = delta.read_arrow(restricted_uri(settings, "health", "practitioner_identities"))
    assert pc.all(pc.match_substring_regex(ids["cccd"], r"^[0-9]{12}$")).as_py()
    phones = ids["phone"].drop_null()
    assert len(phones) and pc.all(pc.match_substring_regex(phones, r"^\+84[0-9]{9,10}$")).as_py()
    assert set(certs["practitioner_key"].to_pylist()) <= set(ids["practitioner_key"].to_pylist())


def test_rerun_gives_the_same_tables(silver, spark):
    settings, counts = silver
    assert health_silver.run(spark=spark) == counts


def test_personal_data_reads_need_a_purpose_and_are_logged(silver):
    from citylake.access import access_log, read_restricted

    settings, _ = silver
    with pytest.raises(PermissionError):
        read_restricted("health", "practitioner_identities", purpose="")
    before = access_log().num_rows
    data = read_restricted("health", "practitioner_identities", columns=["practitioner_key", "cccd"],
                           purpose="Inspection request 12/TTr: verify one practitioner's licence",
                           user="inspector.nguyen")
    assert data.column_names == ["practitioner_key", "cccd"] and data.num_rows > 0
    log = access_log().to_pylist()
    assert len(log) == before + 1
    assert log[-1]["user"] == "inspector.nguyen" and log[-1]["rows"] == data.num_rows
    assert log[-1]["table"] == "restricted/health/practitioner_identities"


def test_catalog_lists_tables_with_versions_and_personal_data(silver, capsys):
    from citylake.catalog import TABLES
    from orchestration.cli import main

    settings, counts = silver
    assert main(["tables"]) == 0
    out = capsys.readouterr().out
    line = next(row for row in out.splitlines() if row.startswith("silver/health/facilities "))
    assert line.split()[4] == str(counts["facilities"])
    identities = next(row for row in out.splitlines() if row.startswith("restricted/health/practitioner_identities"))
    assert "personal data: cccd, date_of_birth, phone" in identities
    assert {t.classification for t in TABLES} == {"public", "internal", "restricted"}
