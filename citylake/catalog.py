"""Where each table lives and what it holds: layer, owner, classification, personal data, and the
update frequency agreed with its owner.

``TABLES`` lists the platform's own tables; :func:`all_tables` adds every department source's
bronze and silver tables from its source.yml, so a new source is catalogued by being configured.

Paths are ``<lakehouse>/<layer>/<domain>/<table>``. Layers: ``bronze`` (raw source rows,
restricted), ``silver`` (conformed, no direct identifiers), ``restricted`` (personal data: reads
go through :func:`citylake.access.read_restricted` and are logged), ``gold`` (published marts).
"""
from __future__ import annotations

from dataclasses import dataclass

from citylake.settings import Settings


def table_uri(settings: Settings, layer: str, domain: str, name: str) -> str:
    return f"{settings.lakehouse.rstrip('/')}/{layer}/{domain}/{name}"


def bronze_uri(settings: Settings, source: str, table: str) -> str:
    return table_uri(settings, "bronze", source, table)


def silver_uri(settings: Settings, domain: str, table: str) -> str:
    return table_uri(settings, "silver", domain, table)


def restricted_uri(settings: Settings, domain: str, table: str) -> str:
    return table_uri(settings, "restricted", domain, table)


def gold_uri(settings: Settings, domain: str, table: str) -> str:
    return table_uri(settings, "gold", domain, table)


@dataclass(frozen=True)
class TableEntry:
    layer: str
    domain: str
    name: str
    owner: str
    classification: str  # public | internal | restricted
    description: str
    personal_data: tuple[str, ...] = ()
    update_frequency: str = ""   # the agreed frequency (hourly, daily…); empty: rebuilt with its inputs

    def uri(self, settings: Settings) -> str:
        return table_uri(settings, self.layer, self.domain, self.name)


HEALTH = "Sở Y tế TP.HCM (Department of Health)"
PLATFORM = "citylake data platform team"
CAMERA_OPS = "Sở Xây dựng TP.HCM — Trung tâm Quản lý điều hành giao thông đô thị (camera operations)"

TABLES: tuple[TableEntry, ...] = (
    TableEntry("bronze", "health_dept", "facilities", HEALTH, "internal",
               "Every extracted version of yte.co_so_kcb, with batch metadata"),
    TableEntry("bronze", "health_dept", "practice_certificates", HEALTH, "restricted",
               "Every extracted version of yte.chung_chi_hanh_nghe, with batch metadata",
               ("so_cccd", "ngay_sinh", "dien_thoai")),
    TableEntry("silver", "health", "facilities", HEALTH, "public",
               "One row per licensed facility, 2025 wards, NFC text"),
    TableEntry("silver", "health", "practice_certificates", HEALTH, "internal",
               "One row per practice certificate; practitioner pseudonym, no direct identifiers"),
    TableEntry("silver", "health", "quarantine", PLATFORM, "internal",
               "Rows that failed validation, with the reason (no personal data)"),
    TableEntry("silver", "reference", "ward_mapping_2025", PLATFORM, "public",
               "Pre-2025 wards → 2025 wards (vietnamadminunits)"),
    TableEntry("restricted", "health", "practitioner_identities", HEALTH, "restricted",
               "Citizen ID, date of birth and phone per practitioner pseudonym",
               ("cccd", "date_of_birth", "phone")),
    TableEntry("restricted", "_audit", "access_log", PLATFORM, "restricted",
               "Who read personal data, when, and why"),
    TableEntry("restricted", "_audit", "watchlist_searches", PLATFORM, "restricted",
               "Every face watchlist search: when, who, camera, purpose, faces searched, matches"),
    TableEntry("restricted", "cameras", "face_matches", PLATFORM, "restricted",
               "Watchlist matches: camera, time, watchlist id, similarity, box (no embeddings)",
               ("watchlist_id",)),
    TableEntry("gold", "health", "dim_health_facilities", HEALTH, "public",
               "Published: co-so-kham-chua-benh"),
    TableEntry("gold", "health", "fct_practice_certificates", HEALTH, "public",
               "Published: chung-chi-hanh-nghe-y"),
    TableEntry("bronze", "cameras", "events", CAMERA_OPS, "internal",
               "Camera events from MQTT (traffic flow, crowds, incidents), once per event id, as received; "
               "micro-batches tagged with the consumer's Delta app transaction", (), "stream"),
    TableEntry("bronze", "cameras", "events_dead_letter", PLATFORM, "internal",
               "Camera messages the stream consumer rejected: the payload as received and the reason",
               (), "stream"),
    TableEntry("silver", "cameras", "traffic_flow_observed", CAMERA_OPS, "internal",
               "Vehicle counts per camera and interval (FIWARE TrafficFlowObserved), once per event, with the "
               "camera's 2025 ward", (), "stream"),
    TableEntry("silver", "cameras", "crowd_flow_observed", CAMERA_OPS, "internal",
               "People counted per camera and interval (FIWARE CrowdFlowObserved), with the camera's ward",
               (), "stream"),
    TableEntry("silver", "cameras", "alerts", CAMERA_OPS, "internal",
               "Incidents the cameras raised (stopped vehicles, jams, crowds over threshold), with the ward",
               (), "stream"),
    TableEntry("silver", "cameras", "events_quarantine", PLATFORM, "internal",
               "Camera events held back (unknown camera, unparseable payload), with the reason", (), "stream"),
    TableEntry("silver", "cameras", "traffic_flow_5min", CAMERA_OPS, "internal",
               "Traffic per camera in 5-minute windows with the congestion index (p85 of its own last 28 days)",
               (), "stream"),
    TableEntry("silver", "cameras", "traffic_flow_ward_5min", CAMERA_OPS, "internal",
               "Traffic per 2025 ward in 5-minute windows with the congestion index", (), "stream"),
    TableEntry("silver", "cameras", "hotspots_camera_daily", CAMERA_OPS, "internal",
               "Incidents and crowd alerts per camera and local day, ranked", (), "stream"),
    TableEntry("silver", "cameras", "hotspots_ward_daily", CAMERA_OPS, "internal",
               "Incidents and crowd alerts per ward and local day, ranked", (), "stream"),
    TableEntry("bronze", "_platform", "extract_log", PLATFORM, "internal",
               "One row per extraction batch: source, table, window, rows, Delta version (freshness reads it)"),
    TableEntry("silver", "_platform", "source_freshness", PLATFORM, "internal",
               "The last freshness check: each source's newest row, last delivery and whether it is late",
               (), "hourly"),
)


REFERENCE_TABLES: tuple[TableEntry, ...] = (
    TableEntry("silver", "reference", "admin_units_2025", PLATFORM, "public",
               "The city's 2025 wards and communes: code, name, centre, area (vietnamadminunits)"),
    TableEntry("silver", "reference", "agencies", PLATFORM, "public",
               "City departments and ward People's Committees, one code each"),
    TableEntry("silver", "reference", "calendar", PLATFORM, "public",
               "Working-day calendar: weekends, public holidays and Tết (holidays package)"),
    TableEntry("silver", "reference", "vsic_sections", PLATFORM, "public", "VSIC 2018 sections (A–U)"),
    TableEntry("silver", "reference", "vsic_divisions", PLATFORM, "public", "VSIC 2018 divisions (2 digits)"),
)


ANALYTICS = "Trung tâm mô phỏng và dự báo (simulation and forecasting centre)"

# written by analytics/ (forecasting, scenarios, siting) from the marts; aggregates only
ANALYTICS_TABLES: tuple[TableEntry, ...] = (
    TableEntry("gold", "forecasting", "forecasts", ANALYTICS, "internal",
               "Forecast of each mart series by its backtest-chosen model, ward/city reconciled, 80/95 % intervals"),
    TableEntry("gold", "forecasting", "backtest_metrics", ANALYTICS, "internal",
               "Rolling-origin MASE and sMAPE of every model per series, seasonal naive beside"),
    TableEntry("gold", "forecasting", "model_choice", ANALYTICS, "internal",
               "The model chosen per series and whether it beats seasonal naive"),
    TableEntry("gold", "scenarios", "ward_results", ANALYTICS, "internal",
               "Residents, jobs, enterprises, FDI and trips per ward and month to the horizon, per scenario"),
    TableEntry("gold", "scenarios", "runs", ANALYTICS, "internal",
               "Each scenario's resolved assumptions and sha256, the model's and the calibration's hashes"),
    TableEntry("gold", "scenarios", "calibration_check", ANALYTICS, "internal",
               "The baseline against the calibration window: observed, simulated, tolerance"),
    TableEntry("gold", "siting", "sites", ANALYTICS, "internal",
               "Sites chosen to monitor per K (and the fixed cameras), with the demand each covers"),
    TableEntry("gold", "siting", "summary", ANALYTICS, "internal",
               "Coverage, certified upper bound and gap per K, beside the naive top-demand choice"),
    TableEntry("gold", "siting", "sites_open_data", ANALYTICS, "public",
               "Published: vi-tri-giam-sat-de-xuat (chosen sites per K, coordinates rounded to 0.001°)"),
)


# the gold copies the open-data portal publishes (open_data/departments.py declares them; a test keeps
# this list and those declarations in step): what each department's datasets were made from
OPEN_DATA_TABLES: tuple[TableEntry, ...] = tuple(
    TableEntry("gold", domain, table, owner, "public", f"Published: {dataset}")
    for domain, table, owner, dataset in (
        ("business", "dim_enterprises", "Sở Tài chính", "doanh-nghiep-dang-ky"),
        ("business", "rpt_new_businesses", "Sở Tài chính", "doanh-nghiep-thanh-lap-moi"),
        ("fdi", "rpt_fdi_by_country_year", "Sở Tài chính", "du-an-fdi-theo-quoc-gia"),
        ("investment", "rpt_investment_projects", "Sở Tài chính", "du-an-dau-tu"),
        ("education", "rpt_schools_by_ward", "Sở Giáo dục và Đào tạo", "truong-hoc-hoc-sinh-theo-phuong"),
        ("one_stop", "rpt_dossiers_on_time", "Trung tâm Phục vụ hành chính công", "ho-so-mot-cua-dung-han"),
        ("hotline", "rpt_hotline_response", "Trung tâm 1022", "tong-dai-1022"),
        ("land", "rpt_land_transactions", "Sở Nông nghiệp và Môi trường", "giao-dich-dat-dai-theo-phuong"),
        ("inspection", "rpt_inspection_recovery", "Thanh tra Thành phố", "ket-luan-thanh-tra-thu-hoi"),
        ("complaints", "rpt_complaint_backlog", "Thanh tra Thành phố", "khieu-nai-to-cao-ton-dong"),
        ("transport", "rpt_congestion_by_ward", "Sở Xây dựng", "giao-thong-un-tac-theo-phuong-gio"),
    )
)


def source_tables() -> tuple[TableEntry, ...]:
    """Bronze and silver tables of every configured department source (from source.yml)."""
    from citylake.source_config import all_sources

    out = []
    for src in all_sources():
        freq = src.update_frequency
        for cfg in src.tables.values():
            out.append(TableEntry("bronze", src.source, cfg.name, src.owner, cfg.classification,
                                  cfg.description or f"Every extracted version of {cfg.query_table}",
                                  cfg.personal_data, freq))
            if cfg.silver is not None:
                out.append(TableEntry("silver", src.domain, cfg.silver.name, src.owner, "internal",
                                      cfg.silver.description, (), freq))
        if any(cfg.silver is not None for cfg in src.tables.values()):
            out.append(TableEntry("silver", src.domain, "quarantine", PLATFORM, "internal",
                                  f"{src.name}: rows that failed validation, with the reason", (), freq))
        out.append(TableEntry("bronze", src.source, "_quarantine_batches", PLATFORM, "internal",
                              f"{src.name}: batches parked whole because bronze could not take their schema "
                              "(table, rows, parquet path, reason)", (), freq))
    return tuple(out)


def infrastructure_tables() -> tuple[TableEntry, ...]:
    """The infrastructure owners' spatial tables (ingestion/infrastructure), their networks' nodes, the
    ward areas and the network analyses' gold tables."""
    from citylake.source_config import infrastructure_sources

    out = [TableEntry("silver", "reference", "ward_areas_2025", PLATFORM, "public",
                      "Approximate 2025 ward areas (Voronoi cells of the official centres), WKB in WGS 84")]
    for src in infrastructure_sources():
        freq = src.update_frequency
        for cfg in src.tables.values():
            out.append(TableEntry("bronze", src.source, cfg.name, src.owner, cfg.classification,
                                  cfg.description or f"Every extracted version of {cfg.query_table}", (), freq))
            if cfg.silver is None:
                continue
            # a restricted registry stays restricted in silver: exact positions of critical assets
            kind = "restricted" if cfg.classification == "restricted" else "internal"
            out.append(TableEntry("silver", src.domain, cfg.silver.name, src.owner, kind,
                                  cfg.silver.description or f"{cfg.name}: one row per asset, WGS 84, 2025 ward",
                                  (), freq))
            if cfg.geometry is not None and cfg.geometry.edge:
                out.append(TableEntry("silver", src.domain, f"{cfg.silver.name}_nodes", src.owner, kind,
                                      f"The nodes of {cfg.silver.name}: position, degree, 2025 ward", (), freq))
        out.append(TableEntry("silver", src.domain, "quarantine", PLATFORM, "internal",
                              f"{src.name}: rows and shapes that failed validation, with the reason", (), freq))
    for name, what in (("power_n1_contingencies", "Each single outage (110/22 kV substation, feeder breaker): "
                        "customers lost, left dark after closing the ties, wards affected"),
                       ("power_n1_wards", "Per ward: customers, worst unrestorable N-1 loss, at risk"),
                       ("water_pressure", "Per junction: pressure at peak demand (WNTR), deficit below 10 m"),
                       ("water_pipe_risk", "Per pipe: material, age, expected breaks per year"),
                       ("coverage_wards", "Per ward: households within 1.5 km of a post office by street, "
                        "within 1 km of an antenna site")):
        out.append(TableEntry("gold", "infrastructure", name, PLATFORM, "internal", what))
    return tuple(out)


def all_tables() -> tuple[TableEntry, ...]:
    seen, out = set(), []
    for t in (source_tables() + infrastructure_tables() + TABLES + REFERENCE_TABLES + ANALYTICS_TABLES
              + OPEN_DATA_TABLES):
        if (t.layer, t.domain, t.name) not in seen:
            seen.add((t.layer, t.domain, t.name))
            out.append(t)
    return tuple(out)


def entry(layer: str, domain: str, name: str) -> TableEntry:
    for table in all_tables():
        if (table.layer, table.domain, table.name) == (layer, domain, name):
            return table
    raise KeyError(f"{layer}/{domain}/{name} is not in the catalog")
