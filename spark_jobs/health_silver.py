"""Bronze → silver for the Health department: one trusted row per facility and certificate.

* latest version per key (by ``ngay_cap_nhat``, then batch sequence);
* Vietnamese text in NFC; codes and statuses in English enumerations;
* pre-2025 ward codes (or, failing that, ward and district names) mapped to the 2025 wards;
* personal data split off: certificates keep a salted pseudonym; CCCD, date of birth and phone
  go to the restricted zone;
* rows that fail validation go to ``silver/health/quarantine`` with the reason.

Silver is recomputed from bronze on every run and replaced in one Delta commit per table, so a
rerun gives the same tables.
"""
from __future__ import annotations

import logging
import sys

from pyspark.sql import DataFrame, Window
from pyspark.sql import functions as F

from citylake import delta
from citylake.catalog import bronze_uri, restricted_uri, silver_uri
from citylake.geo import HCMC_BOUNDS
from citylake.settings import Settings, get_settings
from citylake.spark import spark_session
from spark_jobs.common import ensure_ward_mapping, first_reason, latest_versions, read_bronze
from spark_jobs.text import nfc, phone_e164

log = logging.getLogger(__name__)

OWNERSHIP = {"công lập": "public", "cl": "public", "tư nhân": "private", "tn": "private",
             "ngoài công lập": "private"}
FACILITY_STATUS = {"Đang hoạt động": "active", "Tạm ngừng hoạt động": "suspended", "Đã giải thể": "closed"}
CERT_STATUS = {"Còn hiệu lực": "valid", "Đã thu hồi": "revoked", "Tạm đình chỉ": "suspended"}
CERTIFICATE_NO = r"^[0-9]{6}/[A-Z]+-CCHN$"
PERSONAL = ("so_cccd", "ngay_sinh", "dien_thoai")


def _map(column, mapping: dict[str, str]):
    return F.create_map(*[F.lit(x) for kv in mapping.items() for x in kv])[column]


def _quarantine(df: DataFrame, source_table: str, key: str) -> DataFrame:
    safe = [c for c in df.columns if c not in PERSONAL and not c.startswith("_") and c != "reason"]
    return df.select(F.lit(source_table).alias("source_table"), F.col(key).cast("string").alias("source_key"),
                     "reason", F.to_json(F.struct(*safe)).alias("record"), "_batch_id",
                     F.current_timestamp().alias("quarantined_at"))


def facilities(bronze: DataFrame, wards: DataFrame) -> tuple[DataFrame, DataFrame, DataFrame]:
    """Valid facilities, quarantined ones, and every known source id → its canonical facility_id."""
    latest = latest_versions(bronze, ("id",), "ngay_cap_nhat")
    clean = latest.select(
        "*", nfc("ten_co_so").alias("name"), nfc("ten_phuong").alias("_ward_name"),
        nfc("ten_quan").alias("_district_name"))
    by_code = wards.select(F.col("old_ward_code").alias("_code"), F.col("ward_code_2025").alias("_w1"),
                           F.col("ward_name_2025").alias("_n1"), F.col("province_code").alias("_p1"))
    by_name = wards.select(F.col("old_ward_name").alias("_wn"), F.col("old_district_name").alias("_dn"),
                           F.col("ward_code_2025").alias("_w2"), F.col("ward_name_2025").alias("_n2"),
                           F.col("province_code").alias("_p2"))
    joined = (clean.join(F.broadcast(by_code), clean.ma_phuong == by_code._code, "left")
              .join(F.broadcast(by_name), (F.col("_ward_name") == F.col("_wn"))
                    & (F.col("_district_name") == F.col("_dn")), "left"))
    first_id = Window.partitionBy("ma_co_so").orderBy("id")
    b = HCMC_BOUNDS
    shaped = joined.select(
        F.col("id").alias("facility_id"), F.col("ma_co_so").alias("facility_code"), "name",
        nfc("loai_hinh").alias("facility_type"),
        _map(F.lower(nfc("hinh_thuc_so_huu")), OWNERSHIP).alias("ownership"),
        F.col("so_giay_phep").alias("licence_no"), F.col("ngay_cap_phep").alias("licence_issued_on"),
        F.col("so_giuong").cast("int").alias("beds"),
        F.array_join(F.transform(F.split(nfc("chuyen_khoa"), r"\s*,\s*"), lambda s: F.trim(s)), "; ")
        .alias("specialties"),
        nfc("dia_chi").alias("address"),
        F.coalesce("_w1", "_w2").alias("ward_code_2025"), F.coalesce("_n1", "_n2").alias("ward_name_2025"),
        F.coalesce("_p1", "_p2").alias("province_code"),
        F.col("ma_phuong").alias("source_ward_code"), F.col("_ward_name").alias("source_ward_name"),
        F.col("_district_name").alias("source_district_name"),
        F.col("vi_do").alias("latitude"), F.col("kinh_do").alias("longitude"),
        _map(nfc("trang_thai"), FACILITY_STATUS).alias("status"),
        F.col("ngay_cap_nhat").alias("updated_at"), "_batch_id",
        F.first("id").over(first_id).alias("_first_id"),
        F.col("hinh_thuc_so_huu").alias("_ownership_raw"), F.col("trang_thai").alias("_status_raw"),
    )
    lat, lon = F.col("latitude"), F.col("longitude")
    checked = shaped.withColumn("reason", first_reason(
        (F.col("name").isNull(), F.lit("missing facility name")),
        (F.col("facility_code").isNull(), F.lit("missing facility code")),
        (F.col("_first_id") != F.col("facility_id"),
         F.concat(F.lit("duplicate of facility_id "), F.col("_first_id").cast("string"))),
        (F.col("ward_code_2025").isNull(),
         F.concat(F.lit("ward not found: code="), F.coalesce("source_ward_code", F.lit("∅")),
                  F.lit(", name="), F.coalesce("source_ward_name", F.lit("∅")),
                  F.lit(", district="), F.coalesce("source_district_name", F.lit("∅")))),
        (lat.isNull() | lon.isNull() | ~lat.between(b["lat_min"], b["lat_max"])
         | ~lon.between(b["lon_min"], b["lon_max"]),
         F.concat(F.lit("coordinates outside Ho Chi Minh City: "), F.coalesce(lat.cast("string"), F.lit("∅")),
                  F.lit(", "), F.coalesce(lon.cast("string"), F.lit("∅")))),
        (F.col("ownership").isNull(), F.concat(F.lit("unknown ownership: "), F.col("_ownership_raw"))),
        (F.col("status").isNull(), F.concat(F.lit("unknown status: "), F.col("_status_raw"))),
        (F.col("beds") < 0, F.lit("negative bed count")),
    )).drop("_first_id", "_ownership_raw", "_status_raw")
    good = checked.filter("reason IS NULL").drop("reason").withColumn("_silver_built_at", F.current_timestamp())
    bad = checked.filter("reason IS NOT NULL")
    canonical = shaped.select(F.col("facility_id").alias("source_facility_id"),
                              F.col("_first_id").alias("canonical_facility_id"))
    return good, _quarantine(bad, "facilities", "facility_id"), canonical


def certificates(bronze: DataFrame, canonical: DataFrame, salt: str) -> tuple[DataFrame, DataFrame, DataFrame]:
    """Certificates without direct identifiers, the restricted identities, and the quarantine.

    A certificate registered at a duplicate facility entry points at the canonical facility.
    """
    latest = latest_versions(bronze, ("id",), "ngay_cap_nhat")
    known = canonical.select(F.col("source_facility_id").alias("_known"),
                             F.col("canonical_facility_id").alias("_canonical"))
    first_id = Window.partitionBy("so_chung_chi").orderBy("id")
    shaped = (latest.join(F.broadcast(known), latest.co_so_id == known._known, "left").select(
        F.col("id").alias("certificate_id"), nfc("so_chung_chi").alias("certificate_no"),
        nfc("ho_ten").alias("practitioner_name"),
        F.when(F.col("so_cccd").rlike(r"^[0-9]{12}$"), F.sha2(F.concat(F.lit(salt), F.col("so_cccd")), 256))
        .alias("practitioner_key"),
        nfc("chuc_danh").alias("profession"), nfc("pham_vi_hanh_nghe").alias("scope"),
        nfc("noi_cap").alias("issuer"), F.coalesce("_canonical", "co_so_id").alias("facility_id"),
        F.col("ngay_cap").alias("issued_on"), F.col("ngay_thu_hoi").alias("revoked_on"),
        nfc("ly_do_thu_hoi").alias("revocation_reason"),
        _map(nfc("trang_thai"), CERT_STATUS).alias("status"),
        F.col("ngay_cap_nhat").alias("updated_at"), "_batch_id",
        F.first("id").over(first_id).alias("_first_id"), "_known", "trang_thai",
        "so_cccd", "ngay_sinh", phone_e164("dien_thoai").alias("_phone")))
    checked = shaped.withColumn("reason", first_reason(
        (F.col("certificate_no").isNull(), F.lit("missing certificate number")),
        (~F.col("certificate_no").rlike(CERTIFICATE_NO),
         F.concat(F.lit("malformed certificate number: "), F.col("certificate_no"))),
        (F.col("_first_id") != F.col("certificate_id"),
         F.concat(F.lit("duplicate of certificate_id "), F.col("_first_id").cast("string"))),
        (F.col("practitioner_name").isNull(), F.lit("missing practitioner name")),
        (F.col("practitioner_key").isNull(), F.lit("citizen ID (CCCD) missing or not 12 digits")),
        (F.col("status").isNull(), F.concat(F.lit("unknown status: "), F.col("trang_thai"))),
        (F.col("facility_id").isNotNull() & F.col("_known").isNull(),
         F.concat(F.lit("unknown facility_id "), F.col("facility_id").cast("string"))),
    ))
    good = checked.filter("reason IS NULL")
    identities = (good.select("practitioner_key", F.col("so_cccd").alias("cccd"),
                              F.col("ngay_sinh").alias("date_of_birth"), F.col("_phone").alias("phone"),
                              "updated_at")
                  .withColumn("_rn", F.row_number().over(
                      Window.partitionBy("practitioner_key").orderBy(F.col("updated_at").desc())))
                  .filter("_rn = 1").drop("_rn"))
    public = (good.drop("_first_id", "_known", "_canonical", "trang_thai", "so_cccd", "ngay_sinh", "_phone", "reason")
              .withColumn("_silver_built_at", F.current_timestamp()))
    bad = checked.filter("reason IS NOT NULL").drop("so_cccd", "ngay_sinh", "_phone", "practitioner_key")
    return public, identities, _quarantine(bad, "practice_certificates", "certificate_id")


def run(settings: Settings | None = None, spark=None) -> dict[str, int]:
    settings = settings or get_settings()
    spark = spark or spark_session("health_silver", settings)
    wards = ensure_ward_mapping(spark, settings)
    fac_bronze = read_bronze(spark, bronze_uri(settings, "health_dept", "facilities"))
    cert_bronze = read_bronze(spark, bronze_uri(settings, "health_dept", "practice_certificates"))
    fac, fac_bad, canonical = facilities(fac_bronze, wards)
    certs, identities, cert_bad = certificates(cert_bronze, canonical, settings.pseudonym_salt)
    meta = {"citylake.job": "health_silver"}
    delta.write_spark(fac, silver_uri(settings, "health", "facilities"), mode="overwrite", metadata=meta)
    delta.write_spark(certs, silver_uri(settings, "health", "practice_certificates"), mode="overwrite",
                      metadata=meta)
    delta.write_spark(identities, restricted_uri(settings, "health", "practitioner_identities"),
                      mode="overwrite", metadata=meta)
    delta.write_spark(fac_bad.unionByName(cert_bad), silver_uri(settings, "health", "quarantine"),
                      mode="overwrite", metadata=meta)
    counts = {name: delta.table(uri).count() for name, uri in (
        ("facilities", silver_uri(settings, "health", "facilities")),
        ("practice_certificates", silver_uri(settings, "health", "practice_certificates")),
        ("practitioner_identities", restricted_uri(settings, "health", "practitioner_identities")),
        ("quarantine", silver_uri(settings, "health", "quarantine")))}
    log.info("health silver: %s", counts)
    return counts


if __name__ == "__main__":
    logging.basicConfig(level=logging.INFO)
    print(run())
    sys.exit(0)
