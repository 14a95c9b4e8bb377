"""A deterministic Health department database with the dirt real ones have.

``create`` fills ``yte.co_so_kcb`` and ``yte.chung_chi_hanh_nghe`` at a scale (1.0 = 10,000
facilities and 80,000 practice certificates) as they stand at the start of today (UTC, the database
clock) or at ``now`` when given: ``ngay_cap_nhat`` stamps over the 900 days before it; licence,
issue, revocation and birth dates move with it (the latest about half a year before it). ``advance``
applies one day of changes (new rows, edits, revocations, late-committed rows); the licence, issue
and revocation dates it writes never fall before the history already there. Same seed, scale and
``now``, same data; same seed and step, same changes.

The dirt, on purpose: duplicate facilities (same code, another id, NFD name), names and addresses
in NFC or NFD, missing wards, wards given by name only, malformed phone numbers, coordinates
outside the city, certificates pointing at unknown facilities, and rows committed late with an
``ngay_cap_nhat`` older than what was already extracted.
"""
from __future__ import annotations

import datetime as dt
from pathlib import Path

import numpy as np
import psycopg
import pyarrow as pa

from ingestion.reference.admin_units import legacy_wards
from simulators.departments.common import (
    STREETS,
    already_built,
    copy_pg,
    names,
    nfd_some,
    pending_step,
    pg_init_state,
    pg_recreate_schema,
    pg_set_step,
    pg_state,
    phones,
    short_place_name,
)
from simulators.departments.dirt import keyed_twice, late_stamps, some_rows

SCHEMA_SQL = Path(__file__).with_name("schema.sql")
FACILITIES_PER_SCALE = 10_000
CERTIFICATES_PER_SCALE = 80_000
INITIAL_SPAN_DAYS = 900  # ngay_cap_nhat of the initial rows: the 900 days before the snapshot's end
# business dates as seen from a snapshot ending on this day; they move with the snapshot's end
SNAPSHOT_DAY = dt.date(2025, 6, 19)
LICENSED_FROM, LICENSED_DAYS = dt.date(2013, 1, 1), 365 * 12
ISSUED_FROM, ISSUED_DAYS = dt.date(2005, 1, 1), 365 * 20
REVOKED_FROM, REVOKED_DAYS = dt.date(2018, 1, 1), 365 * 7
BORN_FROM = dt.date(1955, 1, 1)

BRANDS = ["Hoàn Mỹ", "Vạn Hạnh", "Phước An", "Sài Gòn", "An Khang", "Tâm Đức", "Việt Pháp",
          "Minh Anh", "Thiện Nhân", "Hòa Hảo", "Gia An", "Bình An", "Nhân Ái", "Mỹ Đức", "Phúc An",
          "Hồng Đức", "Tân Hưng", "Ánh Dương", "Thành Công", "Đại Phước"]
# (type, weight, public share, beds range, specialties pool)
FACILITY_TYPES = [
    ("Bệnh viện", 3, 0.55, (50, 1800), ["Nội", "Ngoại", "Sản", "Nhi", "Hồi sức cấp cứu", "Tim mạch", "Ung bướu"]),
    ("Phòng khám đa khoa", 12, 0.05, (0, 20), ["Nội", "Ngoại", "Nhi", "Sản", "Tai Mũi Họng", "Da liễu"]),
    ("Phòng khám chuyên khoa", 40, 0.02, (0, 5),
     ["Nội", "Nhi", "Mắt", "Tai Mũi Họng", "Da liễu", "Sản phụ khoa", "Tâm thần"]),
    ("Phòng khám nha khoa", 20, 0.0, (0, 0), ["Răng Hàm Mặt"]),
    ("Trạm y tế", 8, 1.0, (0, 10), ["Y học gia đình", "Tiêm chủng", "Sản"]),
    ("Nhà hộ sinh", 2, 0.3, (5, 40), ["Sản"]),
    ("Phòng xét nghiệm", 7, 0.1, (0, 0), ["Xét nghiệm"]),
    ("Phòng chẩn trị y học cổ truyền", 8, 0.05, (0, 5), ["Y học cổ truyền"]),
]
TYPE_CODES = {"Bệnh viện": "BV", "Phòng khám đa khoa": "PKĐK", "Phòng khám chuyên khoa": "PKCK",
              "Phòng khám nha khoa": "NK", "Trạm y tế": "TYT", "Nhà hộ sinh": "NHS",
              "Phòng xét nghiệm": "XN", "Phòng chẩn trị y học cổ truyền": "YHCT"}
OWNERSHIP = {True: ["Công lập", "Công lập", "Công lập", "CL", "công lập"],
             False: ["Tư nhân", "Tư nhân", "Tư nhân", "TN", "Ngoài công lập"]}
FACILITY_STATUS = ["Đang hoạt động", "Tạm ngừng hoạt động", "Đã giải thể"]
PROFESSIONS = [("Bác sĩ", 35, ["Khám bệnh, chữa bệnh đa khoa", "Khám bệnh, chữa bệnh chuyên khoa Nội",
                                "Khám bệnh, chữa bệnh chuyên khoa Nhi", "Khám bệnh, chữa bệnh chuyên khoa Ngoại",
                                "Khám bệnh, chữa bệnh chuyên khoa Răng Hàm Mặt"]),
               ("Y sĩ", 10, ["Khám bệnh, chữa bệnh đa khoa", "Y học cổ truyền"]),
               ("Điều dưỡng", 35, ["Thực hiện phạm vi hoạt động chuyên môn của điều dưỡng"]),
               ("Hộ sinh", 8, ["Thực hiện phạm vi hoạt động chuyên môn của hộ sinh"]),
               ("Kỹ thuật y", 9, ["Xét nghiệm y học", "Hình ảnh y học", "Phục hồi chức năng"]),
               ("Lương y", 3, ["Khám bệnh, chữa bệnh bằng y học cổ truyền"])]
ISSUERS = ["Sở Y tế Thành phố Hồ Chí Minh", "Sở Y tế TP. Hồ Chí Minh", "Bộ Y tế"]
CERT_STATUS = ["Còn hiệu lực", "Đã thu hồi", "Tạm đình chỉ"]
REVOCATION_REASONS = ["Không hành nghề quá 02 năm liên tục", "Vi phạm quy định chuyên môn",
                      "Theo đề nghị của người hành nghề", "Cấp sai thẩm quyền"]


def _facilities(rng: np.random.Generator, ids: np.ndarray, wards: list[dict], updated: np.ndarray,
                licensed_in: tuple[dt.date, int]) -> pa.Table:
    """Facilities licensed in the ``(first day, days)`` window."""
    n = len(ids)
    weights = np.array([t[1] for t in FACILITY_TYPES], dtype=float)
    kinds = rng.choice(len(FACILITY_TYPES), n, p=weights / weights.sum())
    ward_idx = rng.integers(0, len(wards), n)
    cols: dict[str, list] = {k: [] for k in (
        "id", "ma_co_so", "ten_co_so", "loai_hinh", "hinh_thuc_so_huu", "so_giay_phep",
        "ngay_cap_phep", "so_giuong", "chuyen_khoa", "dia_chi", "ma_phuong", "ten_phuong", "ma_quan",
        "ten_quan", "vi_do", "kinh_do", "dien_thoai", "trang_thai", "ngay_cap_nhat")}
    brands = rng.choice(BRANDS, n)
    streets = rng.choice(STREETS, n)
    house = rng.integers(1, 999, n)
    jitter = rng.normal(0, 0.004, (n, 2))
    status = rng.choice(3, n, p=[0.9, 0.06, 0.04])
    licensed = rng.integers(0, LICENSED_DAYS, n) % licensed_in[1]
    dirt = rng.random((n, 4))
    for i in range(n):
        kind, _, public_share, beds, specialties = FACILITY_TYPES[kinds[i]]
        ward = wards[ward_idx[i]]
        public = rng.random() < public_share
        short_ward = short_place_name(ward["ward_name"])
        name = (f"{kind} {short_ward}" if kind == "Trạm y tế" else f"{kind} {brands[i]}"
                + ("" if i % 3 else f" {short_ward}"))
        cols["id"].append(int(ids[i]))
        cols["ma_co_so"].append(f"79-{TYPE_CODES[kind]}-{int(ids[i]):06d}")
        cols["ten_co_so"].append(name)
        cols["loai_hinh"].append(kind)
        cols["hinh_thuc_so_huu"].append(rng.choice(OWNERSHIP[public]))
        cols["so_giay_phep"].append(f"{int(ids[i]):06d}/HCM-GPHĐ")
        cols["ngay_cap_phep"].append(licensed_in[0] + dt.timedelta(days=int(licensed[i])))
        cols["so_giuong"].append(int(rng.integers(beds[0], beds[1] + 1)) if beds[1] else 0)
        k = int(rng.integers(1, min(4, len(specialties)) + 1))
        cols["chuyen_khoa"].append(", ".join(rng.choice(specialties, k, replace=False)))
        cols["dia_chi"].append(f"{house[i]} {streets[i]}")
        ward_missing, name_only, bad_coords = dirt[i, 0] < 0.02, dirt[i, 0] > 0.96, dirt[i, 1] < 0.01
        cols["ma_phuong"].append(None if ward_missing or name_only else ward["ward_code"])
        cols["ten_phuong"].append(None if ward_missing else ward["ward_name"])
        cols["ma_quan"].append(None if ward_missing else ward["district_code"])
        cols["ten_quan"].append(None if ward_missing else ward["district_name"])
        lat, lon = ward["latitude"] + jitter[i, 0], ward["longitude"] + jitter[i, 1]
        if bad_coords:
            lat, lon = (lon, lat) if dirt[i, 2] < 0.5 else (0.0, 0.0)
        cols["vi_do"].append(round(lat, 6))
        cols["kinh_do"].append(round(lon, 6))
        cols["dien_thoai"].append(None)
        cols["trang_thai"].append(FACILITY_STATUS[status[i]])
        cols["ngay_cap_nhat"].append(updated[i])
    cols["dien_thoai"] = list(phones(rng, n))
    cols["ten_co_so"] = list(nfd_some(rng, np.array(cols["ten_co_so"], dtype=object), 0.3))
    cols["dia_chi"] = list(nfd_some(rng, np.array(cols["dia_chi"], dtype=object), 0.3))
    return pa.table(cols)


def _certificates(rng: np.random.Generator, ids: np.ndarray, facility_ids: np.ndarray, updated: np.ndarray,
                  shift: dt.timedelta, issued_in: tuple[dt.date, int], revoked_in: tuple[dt.date, int]) -> pa.Table:
    """Certificates issued and revoked in the ``(first day, days)`` windows; births moved by ``shift``."""
    n = len(ids)
    weights = np.array([p[1] for p in PROFESSIONS], dtype=float)
    prof = rng.choice(len(PROFESSIONS), n, p=weights / weights.sum())
    born = rng.integers(0, 365 * 45, n)
    issued = rng.integers(0, ISSUED_DAYS, n) % issued_in[1]
    status = rng.choice(3, n, p=[0.93, 0.05, 0.02])
    unknown_facility = rng.random(n) < 0.01
    cccd = rng.integers(10**11, 10**12 - 1, n)
    province_prefix = rng.choice(["079", "074", "077", "001", "048", "092"], n, p=[.6, .1, .05, .1, .1, .05])
    scopes = [rng.choice(PROFESSIONS[p][2]) for p in prof]
    revoked = [None if s == 0 else revoked_in[0] + dt.timedelta(days=int(d))
               for s, d in zip(status, rng.integers(0, REVOKED_DAYS, n) % revoked_in[1])]
    table = pa.table({
        "id": pa.array(ids, pa.int64()),
        "so_chung_chi": [f"{int(i):06d}/HCM-CCHN" for i in ids],
        "ho_ten": list(nfd_some(rng, names(rng, n), 0.3)),
        "so_cccd": [f"{p}{str(c)[3:]}" for p, c in zip(province_prefix, cccd)],
        "ngay_sinh": [BORN_FROM + shift + dt.timedelta(days=int(b)) for b in born],
        "dien_thoai": list(phones(rng, n)),
        "chuc_danh": [PROFESSIONS[p][0] for p in prof],
        "pham_vi_hanh_nghe": scopes,
        "noi_cap": list(rng.choice(ISSUERS, n, p=[0.6, 0.3, 0.1])),
        "co_so_id": pa.array(np.where(unknown_facility, 9_000_000 + ids, rng.choice(facility_ids, n)), pa.int64()),
        "ngay_cap": [issued_in[0] + dt.timedelta(days=int(d)) for d in issued],
        "ngay_thu_hoi": pa.array([r if s == 1 else None for r, s in zip(revoked, status)], pa.date32()),
        "ly_do_thu_hoi": [rng.choice(REVOCATION_REASONS) if s == 1 else None for s in status],
        "trang_thai": [CERT_STATUS[s] for s in status],
        "ngay_cap_nhat": pa.array(list(updated), pa.timestamp("us", tz="UTC")),
    })
    return table


def _timestamps(rng: np.random.Generator, n: int, end: dt.datetime) -> np.ndarray:
    """Uniform instants over the ``INITIAL_SPAN_DAYS`` before ``end``."""
    start = end - dt.timedelta(days=INITIAL_SPAN_DAYS)
    seconds = rng.integers(0, INITIAL_SPAN_DAYS * 86_400, n)
    return np.array([start + dt.timedelta(seconds=int(s)) for s in seconds], dtype=object)


def _anchor(conn: psycopg.Connection, now: dt.datetime | None) -> dt.datetime:
    """The history runs up to the start of today (UTC, the database clock), or up to ``now`` when given."""
    if now is not None:
        return now.astimezone(dt.UTC)
    today = conn.execute("SELECT now()").fetchone()[0].astimezone(dt.UTC).date()
    return dt.datetime.combine(today, dt.time(), dt.UTC)


def create(dsn: str, scale: float, seed: int, force: bool = False, *, now: dt.datetime | None = None) -> dict:
    """(Re)build the source database. Idempotent: same scale and seed already there → no-op.

    The history ends at the start of today (UTC), or at ``now`` when given (builds that must match
    across days pass it)."""
    with psycopg.connect(dsn) as conn:
        if kept := already_built(pg_state(conn, "yte"), scale, seed, force):
            return kept
        end = _anchor(conn, now)
        shift = end.date() - SNAPSHOT_DAY
        pg_recreate_schema(conn, "yte", SCHEMA_SQL)
        rng = np.random.default_rng(seed)
        wards = legacy_wards()
        n_fac = max(20, int(FACILITIES_PER_SCALE * scale))
        n_cert = max(100, int(CERTIFICATES_PER_SCALE * scale))
        fac = _facilities(rng, np.arange(1, n_fac + 1), wards, _timestamps(rng, n_fac, end),
                          (LICENSED_FROM + shift, LICENSED_DAYS))
        fac = pa.concat_tables([fac, _duplicates(rng, fac, n_fac + 1, 0.02)])
        copy_pg(conn, "yte.co_so_kcb", fac)
        certs = _certificates(rng, np.arange(1, n_cert + 1), fac["id"].to_numpy(), _timestamps(rng, n_cert, end),
                              shift, (ISSUED_FROM + shift, ISSUED_DAYS), (REVOKED_FROM + shift, REVOKED_DAYS))
        copy_pg(conn, "yte.chung_chi_hanh_nghe", certs)
        pg_init_state(conn, "yte", scale, seed)
        conn.execute("ANALYZE yte.co_so_kcb; ANALYZE yte.chung_chi_hanh_nghe")
    return {"created": True, "facilities": fac.num_rows, "certificates": certs.num_rows, "step": 0}


def _duplicates(rng: np.random.Generator, fac: pa.Table, first_id: int, share: float) -> pa.Table:
    """The same facility keyed in twice: another id, same code, name in the other Unicode form."""
    return keyed_twice(fac, some_rows(rng, fac.num_rows, share), first_id, "ten_co_so")


def _recent(today: dt.date, last_stamp: dt.datetime) -> tuple[dt.date, int]:
    """The window of a day's business dates: from the day the history so far ends (rounded up, never
    after today) to today."""
    last = last_stamp.astimezone(dt.UTC)
    first = min(today, last.date() + dt.timedelta(days=int(last.time() != dt.time())))
    return first, (today - first).days + 1


def advance(dsn: str, step: int | None = None, *, now: dt.datetime | None = None) -> dict:
    """Apply one day of changes: edits, closures, revocations, new rows, late-committed rows.

    Stamped with the database clock (or ``now`` when given); new licences, certificates and
    revocations are dated between the end of the history already there and today."""
    with psycopg.connect(dsn) as conn:
        state = pg_state(conn, "yte")
        if (step := pending_step(state, step, "the Health source database")) is None:
            return {"advanced": False, "step": state[2]}
        _, seed, _ = state
        rng = np.random.default_rng([seed, step])
        now = now or conn.execute("SELECT now()").fetchone()[0]
        today = now.astimezone(dt.UTC).date()
        max_fac = conn.execute("SELECT max(id), max(ngay_cap_nhat) FROM yte.co_so_kcb").fetchone()
        max_cert = conn.execute("SELECT max(id), max(ngay_cap_nhat) FROM yte.chung_chi_hanh_nghe").fetchone()
        n_fac, n_cert = int(max_fac[0]), int(max_cert[0])
        # edits: beds and status of ~3% of facilities
        edit = rng.choice(n_fac, max(1, n_fac * 3 // 100), replace=False) + 1
        conn.execute("""UPDATE yte.co_so_kcb SET so_giuong = so_giuong + 1 + (id %% 7),
                        trang_thai = CASE WHEN id %% 11 = 0 THEN 'Tạm ngừng hoạt động' ELSE trang_thai END,
                        ngay_cap_nhat = %s WHERE id = ANY(%s)""", (now, [int(i) for i in edit]))
        # revocations: ~1% of valid certificates
        revoke = rng.choice(n_cert, max(1, n_cert // 100), replace=False) + 1
        conn.execute("""UPDATE yte.chung_chi_hanh_nghe SET trang_thai = 'Đã thu hồi',
                        ngay_thu_hoi = %s, ly_do_thu_hoi = %s, ngay_cap_nhat = %s
                        WHERE id = ANY(%s) AND trang_thai = 'Còn hiệu lực'""",
                     (today, rng.choice(REVOCATION_REASONS), now, [int(i) for i in revoke]))
        # new facilities and certificates, ~1%; a fifth of them committed late (older timestamp)
        wards = legacy_wards()
        new_fac = max(2, n_fac // 100)
        stamps = late_stamps(rng, new_fac, now, max_fac[1] - dt.timedelta(hours=1))
        fac = _facilities(rng, np.arange(n_fac + 1, n_fac + new_fac + 1), wards, stamps, _recent(today, max_fac[1]))
        copy_pg(conn, "yte.co_so_kcb", fac)
        new_cert = max(5, n_cert // 100)
        stamps = late_stamps(rng, new_cert, now, max_cert[1] - dt.timedelta(hours=1))
        recent = _recent(today, max_cert[1])
        certs = _certificates(rng, np.arange(n_cert + 1, n_cert + new_cert + 1),
                              np.arange(1, n_fac + new_fac + 1), stamps, today - SNAPSHOT_DAY, recent, recent)
        copy_pg(conn, "yte.chung_chi_hanh_nghe", certs)
        pg_set_step(conn, "yte", step)
    return {"advanced": True, "step": step, "facilities_edited": len(edit),
            "certificates_revoked": len(revoke), "facilities_added": new_fac,
            "certificates_added": new_cert}
