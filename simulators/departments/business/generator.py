"""A deterministic business registration database (Phòng Đăng ký kinh doanh) with real-world dirt.

``create`` fills ``dkkd.doanh_nghiep`` (scale 1.0 = 250,000 enterprises plus ~1% keyed twice) and
``dkkd.thay_doi_trang_thai`` (~0.4 status changes per enterprise: ~95,000). The history ends at the
start of today (UTC, the database clock) or at ``now`` when given: registrations since ~25 years
before it, ``ngay_cap_nhat`` stamps over its last 900 days (the go-live migration opens them).
``advance`` applies one day of registrations, status changes, capital increases and moves, deletes
a few erroneous registrations that were already there (the source is extracted with delete
detection on keys) and, on step 2, adds the ``email`` column; its business dates never fall before
the history already there. Same seed, scale and ``now``, same history; same seed and step, same
changes.

The dirt, on purpose: enterprise codes typed by hand (leading zero lost, letter O for zero, spaces,
a branch suffix), enterprises keyed twice (same code, another id, name in the other Unicode form),
zero, negative and "in millions" charter capital, VSIC codes whose division does not exist, names
in title case or with "CTY", statuses and legal forms in shorthand, missing wards and wards given by
name only, malformed phones, NFD text, establishment dates of 1900-01-01 or in the future, status
changes dated before the enterprise existed or pointing at unknown enterprises, and rows committed
late with an ``ngay_cap_nhat`` older than what was already extracted.
"""
from __future__ import annotations

import datetime as dt
import unicodedata
from pathlib import Path

import numpy as np
import psycopg
import pyarrow as pa

from ingestion.reference.admin_units import legacy_wards
from simulators.departments.common import (
    DAY,
    addresses,
    already_built,
    citizen_ids,
    copy_pg,
    first_business_day,
    names,
    nfd_some,
    pending_step,
    pg_anchor,
    pg_has_column,
    pg_init_state,
    pg_recreate_schema,
    pg_schema_change,
    pg_set_step,
    pg_state,
    phones,
    pick,
    to_utc_array,
)
from simulators.departments.dirt import keyed_twice, late_stamps, typed_variants, ward_columns

SCHEMA = "dkkd"
SCHEMA_SQL = Path(__file__).with_name("schema.sql")
ENTERPRISES_PER_SCALE = 250_000
SPAN_DAYS = 900  # the system went live this long before the snapshot's end; older history was migrated then
REGISTERED_DAYS = 9_301  # registrations go back this far before the snapshot's end (2000-01-01 → 2025-06-19)

# section: (weight in HCMC registrations, typical VSIC 2018 codes, words in the company name)
ACTIVITIES: dict[str, tuple[float, list[str], list[str]]] = {
    "G": (38, ["4511", "4520", "4541", "4610", "4632", "4633", "4641", "4649", "4651", "4652", "4659", "4661",
               "4662", "4663", "4669", "4690", "4711", "4719", "4722", "4741", "4752", "4759", "4771", "4772",
               "4791", "4799"], ["THƯƠNG MẠI", "THƯƠNG MẠI DỊCH VỤ", "XUẤT NHẬP KHẨU", "THƯƠNG MẠI VÀ XUẤT NHẬP KHẨU"]),
    "F": (12, ["4101", "4102", "4211", "4212", "4221", "4229", "4291", "4299", "4311", "4312", "4321", "4322",
               "4329", "4330", "4390"], ["XÂY DỰNG", "ĐẦU TƯ XÂY DỰNG", "XÂY DỰNG VÀ THƯƠNG MẠI", "KỸ THUẬT XÂY DỰNG"]),
    "C": (10, ["1010", "1050", "1071", "1079", "1104", "1311", "1410", "1520", "1622", "1702", "1811", "2023",
               "2100", "2220", "2395", "2511", "2592", "2599", "2610", "2710", "2817", "3100", "3290", "3312"],
          ["SẢN XUẤT", "SẢN XUẤT THƯƠNG MẠI", "SẢN XUẤT VÀ XUẤT NHẬP KHẨU", "CÔNG NGHIỆP"]),
    "M": (10, ["6910", "6920", "7020", "7110", "7120", "7210", "7310", "7320", "7410", "7490"],
          ["TƯ VẤN", "TƯ VẤN THIẾT KẾ", "TƯ VẤN ĐẦU TƯ", "QUẢNG CÁO", "KIẾN TRÚC"]),
    "J": (5, ["5820", "5911", "6110", "6190", "6201", "6202", "6209", "6311", "6312"],
          ["CÔNG NGHỆ", "CÔNG NGHỆ THÔNG TIN", "GIẢI PHÁP PHẦN MỀM", "TRUYỀN THÔNG"]),
    "I": (5, ["5510", "5590", "5610", "5621", "5629", "5630"],
          ["DỊCH VỤ ĂN UỐNG", "NHÀ HÀNG", "KHÁCH SẠN", "DU LỊCH KHÁCH SẠN"]),
    "H": (5, ["4931", "4932", "4933", "5012", "5022", "5210", "5224", "5229", "5320"],
          ["VẬN TẢI", "LOGISTICS", "GIAO NHẬN VẬN TẢI", "VẬN TẢI VÀ THƯƠNG MẠI"]),
    "N": (5, ["7710", "7730", "7810", "7830", "7911", "7912", "7990", "8110", "8121", "8129", "8130", "8211",
              "8230", "8292", "8299"], ["DỊCH VỤ", "DU LỊCH", "VỆ SINH CÔNG NGHIỆP", "NHÂN LỰC"]),
    "L": (3.5, ["6810", "6820"], ["BẤT ĐỘNG SẢN", "ĐẦU TƯ BẤT ĐỘNG SẢN", "ĐỊA ỐC"]),
    "K": (1, ["6419", "6492", "6499", "6619", "6622"], ["ĐẦU TƯ", "ĐẦU TƯ TÀI CHÍNH"]),
    "P": (1.5, ["8531", "8532", "8551", "8552", "8559", "8560"], ["GIÁO DỤC", "ĐÀO TẠO"]),
    "Q": (0.6, ["8620", "8691", "8699"], ["Y TẾ", "PHÒNG KHÁM"]),
    "R": (0.6, ["9000", "9311", "9312", "9319", "9321", "9329"], ["GIẢI TRÍ", "SỰ KIỆN", "THỂ THAO"]),
    "S": (1.2, ["9511", "9521", "9522", "9610", "9631", "9639"], ["DỊCH VỤ", "LÀM ĐẸP"]),
    "E": (0.4, ["3600", "3700", "3811", "3821", "3830"], ["MÔI TRƯỜNG", "XỬ LÝ MÔI TRƯỜNG"]),
    "A": (0.5, ["0118", "0146", "0161", "0322"], ["NÔNG NGHIỆP", "NÔNG SẢN"]),
    "D": (0.3, ["3511", "3512", "3530"], ["NĂNG LƯỢNG", "ĐIỆN MẶT TRỜI"]),
}
NOT_VSIC = ["0400", "3400", "4000", "4400", "4800", "5400", "6700", "7600", "8300", "8900", "G4711", "4711.0",
            "471100"]
# canonical legal form, weight, name prefixes (with their odds), shorthands seen in the system
LEGAL_FORMS = [
    ("Công ty TNHH một thành viên", 45, ["CÔNG TY TNHH", "CÔNG TY TNHH MTV", "CÔNG TY TNHH MỘT THÀNH VIÊN"],
     [0.8, 0.1, 0.1], ["TNHH MTV", "TNHH 1TV"]),
    ("Công ty TNHH hai thành viên trở lên", 20, ["CÔNG TY TNHH"], [1.0], ["TNHH 2TV trở lên"]),
    ("Công ty cổ phần", 25, ["CÔNG TY CỔ PHẦN"], [1.0], ["Cổ phần", "CP"]),
    ("Doanh nghiệp tư nhân", 9, ["DOANH NGHIỆP TƯ NHÂN"], [1.0], ["DNTN"]),
    ("Công ty hợp danh", 1, ["CÔNG TY HỢP DANH"], [1.0], ["Hợp danh"]),
]
ACTIVE, SUSPENDED, DISSOLVED, REVOKED = "Đang hoạt động", "Tạm ngừng kinh doanh", "Đã giải thể", "Bị thu hồi GCN"
STATUS_VARIANTS = {ACTIVE: ["đang hoạt động", "Đang hoạt động (đã được cấp GCN ĐKT)"],
                   SUSPENDED: ["Tạm ngừng KD", "Tạm ngừng kinh doanh có thời hạn"],
                   DISSOLVED: ["Đã giải thể, phá sản, chấm dứt tồn tại"], REVOKED: ["Bị thu hồi GCNĐKDN"]}
CANONICAL_STATUS = {v: k for k, vs in STATUS_VARIANTS.items() for v in vs} | {k: k for k in STATUS_VARIANTS}
REASONS = {SUSPENDED: ["Theo đề nghị của doanh nghiệp", "Khó khăn về tài chính", "Tái cơ cấu hoạt động"],
           ACTIVE: ["Tiếp tục kinh doanh trước thời hạn đã thông báo", "Hết thời hạn tạm ngừng kinh doanh"],
           DISSOLVED: ["Giải thể theo quyết định của chủ sở hữu", "Giải thể theo nghị quyết của Đại hội đồng cổ đông",
                       "Giải thể theo nghị quyết của Hội đồng thành viên"],
           REVOKED: ["Không hoạt động tại trụ sở đăng ký",
                     "Không gửi báo cáo theo yêu cầu của Phòng Đăng ký kinh doanh",
                     "Nội dung kê khai trong hồ sơ đăng ký doanh nghiệp là giả mạo", "Theo quyết định của Tòa án"]}
SYLLABLES = ["AN", "PHÚC", "THỊNH", "PHÁT", "HƯNG", "MINH", "TÂM", "VIỆT", "ĐẠI", "NAM", "KHANG", "LỘC", "THÀNH",
             "TÍN", "HOÀNG", "GIA", "BẢO", "KIM", "SAO", "MAI", "TRƯỜNG", "SƠN", "HẢI", "QUANG", "THIÊN", "NHẬT",
             "TÂN", "ÁNH", "DƯƠNG", "PHƯƠNG", "ĐÔNG", "HÒA", "NGỌC", "TIẾN", "THUẬN", "VẠN", "HỢP", "ĐỨC", "TRÍ",
             "LONG"]
FOREIGN_WORDS = ["VINA", "SÀI GÒN", "SAIGON", "ASIA", "GLOBAL", "STAR", "PACIFIC", "GREEN", "SUNRISE", "SMART",
                 "MEKONG", "ĐÔNG DƯƠNG", "VIỆT NHẬT", "VIỆT HÀN", "VIỆT ÚC", "TECH", "HOME", "GOLDEN"]
TOUCH_SHARE = 0.0015  # enterprises edited per day (status changes, capital, moves)


def _wards(rng: np.random.Generator, n: int) -> dict[str, np.ndarray]:
    """Pre-2025 ward columns of ``n`` enterprises anywhere in the city (with the usual ward dirt)."""
    return ward_columns(rng, rng.integers(0, len(legacy_wards()), n))


def _codes(rng: np.random.Generator, n: int, after: int) -> np.ndarray:
    """Enterprise codes in registration order: 10 digits, 03…, increasing with gaps."""
    numbers = after + np.cumsum(rng.integers(1, 300, n))
    return np.char.zfill(numbers.astype(str), 10).astype(object)


def _typos(rng: np.random.Generator, codes: np.ndarray, share: float) -> np.ndarray:
    """Codes as typed: the leading zero lost in Excel, O for 0, spaces, a branch suffix."""
    out = codes.copy()
    for i in np.flatnonzero(rng.random(len(codes)) < share):
        c, kind = codes[i], rng.integers(0, 4)
        out[i] = [c[1:], c[:2] + "O" + c[3:], f"{c[:4]} {c[4:7]} {c[7:]}", f"{c}-001"][kind]
    return out


def _company_names(rng: np.random.Generator, forms: np.ndarray, sections: np.ndarray) -> np.ndarray:
    n = len(forms)
    prefix = np.empty(n, dtype=object)
    for f, (_, _, prefixes, odds, _) in enumerate(LEGAL_FORMS):
        mask = forms == f
        prefix[mask] = pick(rng, prefixes, int(mask.sum()), odds)
    word = np.empty(n, dtype=object)
    for section, (_, _, words) in ACTIVITIES.items():
        mask = sections == section
        word[mask] = pick(rng, words, int(mask.sum()))
    s1, s2, s3 = (pick(rng, SYLLABLES, n) for _ in range(3))
    foreign = pick(rng, FOREIGN_WORDS, n)
    style = rng.random(n)
    brand = np.where(style < 0.5, s1 + " " + s2, np.where(style < 0.7, s1 + " " + s2 + " " + s3,
                                                          np.where(style < 0.9, foreign + " " + s1, foreign)))
    full = prefix + " " + word + " " + brand
    for i in np.flatnonzero(rng.random(n) < 0.05):  # typed in title case
        full[i] = full[i].title()
    for i in np.flatnonzero(rng.random(n) < 0.03):
        full[i] = full[i].replace("CÔNG TY", "CTY")
    return nfd_some(rng, full, 0.25)


def _unaccent(text: str) -> str:
    plain = unicodedata.normalize("NFD", text).replace("đ", "d").replace("Đ", "D")
    return "".join(c for c in plain if not unicodedata.combining(c))


def _emails(rng: np.random.Generator, company_names) -> np.ndarray:
    """Contact emails as registered: the company domain or a free mailbox; some missing or broken."""
    out = []
    for name, form, roll in zip(company_names, rng.integers(0, 4, len(company_names)), rng.random(len(company_names))):
        slug = "".join(_unaccent(name).lower().split()[-2:])
        slug = "".join(c for c in slug if c.isalnum()) or "congty"
        email = [f"info@{slug}.vn", f"{slug}@gmail.com", f"ketoan.{slug}@gmail.com", f"lienhe@{slug}.com.vn"][form]
        out.append(None if roll < 0.3 else email.replace("@", ".") if roll > 0.98 else email)
    return np.array(out, dtype=object)


def _enterprises(rng: np.random.Generator, ids: np.ndarray, codes: np.ndarray, established: np.ndarray,
                 status: np.ndarray, stamps, horizon: np.datetime64, with_email: bool = False) -> pa.Table:
    n = len(ids)
    sec_names = list(ACTIVITIES)
    weights = np.array([ACTIVITIES[s][0] for s in sec_names])
    sections = np.asarray(sec_names, dtype=object)[rng.choice(len(sec_names), n, p=weights / weights.sum())]
    vsic = np.empty(n, dtype=object)
    for section, (_, codes_in_section, _) in ACTIVITIES.items():
        mask = sections == section
        vsic[mask] = pick(rng, codes_in_section, int(mask.sum()))
    five = rng.random(n) < 0.25
    vsic[five] = vsic[five] + pick(rng, ["1", "2", "9"], int(five.sum()))
    bad = rng.random(n) < 0.008
    vsic[bad] = pick(rng, NOT_VSIC, int(bad.sum()))

    form_weights = np.array([f[1] for f in LEGAL_FORMS], dtype=float)
    forms = rng.choice(len(LEGAL_FORMS), n, p=form_weights / form_weights.sum())
    form_names = np.array([f[0] for f in LEGAL_FORMS], dtype=object)[forms]
    form_names = typed_variants(rng, form_names, {f[0]: f[4] for f in LEGAL_FORMS}, 0.04)

    capital = np.exp(rng.normal(np.log(2e9), 1.5, n)) * np.where(forms == 2, 3.0, 1.0)
    capital = (np.clip(capital, 1e8, 1e13) // 1e6 * 1e6).astype(np.int64)
    roll = rng.random(n)
    capital = np.where(roll < 0.003, 0, np.where(roll < 0.006, -capital,
                                                 np.where(roll < 0.009, capital // 1_000_000, capital)))

    established = established.copy()
    roll = rng.random(n)
    established[roll < 0.002] = np.datetime64("1900-01-01")
    future = roll > 0.999
    established[future] = horizon + rng.integers(3 * 365, 10 * 365, int(future.sum())).astype("timedelta64[D]")

    wards = _wards(rng, n)
    cols = {
        "id": pa.array(ids, pa.int64()),
        "ma_so_doanh_nghiep": _typos(rng, codes, 0.015),
        "ten_doanh_nghiep": _company_names(rng, forms, sections),
        "loai_hinh": form_names,
        "von_dieu_le": pa.array(capital, pa.int64()),
        "nganh_nghe_chinh": vsic,
        "nguoi_dai_dien": nfd_some(rng, names(rng, n), 0.25),
        "so_cccd": citizen_ids(rng, n),
        "dien_thoai": phones(rng, n),
        "dia_chi": nfd_some(rng, addresses(rng, n), 0.25),
        **wards,
        "ngay_thanh_lap": pa.array(established.astype("datetime64[D]"), pa.date32()),
        "trang_thai": typed_variants(rng, status, STATUS_VARIANTS, 0.03),
        "ngay_cap_nhat": to_utc_array(stamps),
    }
    if with_email:
        cols["email"] = _emails(rng, cols["ten_doanh_nghiep"])
    return pa.table({k: v if isinstance(v, pa.Array) else pa.array(np.asarray(v, dtype=object), pa.string())
                     for k, v in cols.items()})


def _established(rng: np.random.Generator, n: int, horizon: np.datetime64) -> np.ndarray:
    """Registration dates over the ~25 years up to the horizon, ever more per year (×4 over the period), sorted."""
    days = REGISTERED_DAYS
    k = np.log(4.0) / days
    offset = np.log1p(rng.random(n) * (np.exp(k * days) - 1)) / k
    return np.sort(horizon - days * DAY + offset.astype(int).astype("timedelta64[D]"))


def _current_status(rng: np.random.Generator, established: np.ndarray, horizon: np.datetime64) -> np.ndarray:
    """Older enterprises are more often suspended, dissolved or revoked."""
    age_years = (horizon - established).astype(int) / 365.0
    p_active = np.clip(0.95 - 0.018 * age_years, 0.55, 0.95)
    active = rng.random(len(established)) < p_active
    other = np.array([SUSPENDED, DISSOLVED, REVOKED], dtype=object)[
        rng.choice(3, len(established), p=[0.3, 0.55, 0.15])]
    return np.where(active, ACTIVE, other).astype(object)


def _history(rng: np.random.Generator, ids: np.ndarray, established: np.ndarray,
             status: np.ndarray, horizon: np.datetime64) -> dict[str, np.ndarray]:
    """Status changes that lead to each enterprise's current status (plus suspend-and-resume)."""
    n = len(ids)
    span = np.maximum((horizon - established).astype(int), 2)
    first = established + (rng.random(n) * span * 0.8).astype(int).astype("timedelta64[D]")
    second = first + (rng.random(n) * (horizon - first).astype(int)).astype(int).astype("timedelta64[D]")
    via_suspension = (status == DISSOLVED) & (rng.random(n) < 0.5)
    resumed = (status == ACTIVE) & (rng.random(n) < 0.06)
    single = (status != ACTIVE) & ~via_suspension
    two = via_suspension | resumed
    parts = [
        (ids[single], np.full(single.sum(), ACTIVE, dtype=object), status[single], first[single]),
        (ids[two], np.full(two.sum(), ACTIVE, dtype=object), np.full(two.sum(), SUSPENDED, dtype=object), first[two]),
        (ids[two], np.full(two.sum(), SUSPENDED, dtype=object),
         np.where(resumed[two], ACTIVE, DISSOLVED).astype(object), second[two]),
    ]
    ent, old, new, day = (np.concatenate(x) for x in zip(*parts))
    order = np.lexsort((ent, day))
    return {"doanh_nghiep_id": ent[order], "trang_thai_cu": old[order], "trang_thai_moi": new[order],
            "ngay_hieu_luc": day[order]}


def _changes_table(rng: np.random.Generator, ids: np.ndarray, history: dict[str, np.ndarray], stamps,
                   established_of: np.ndarray | None = None) -> pa.Table:
    n = len(ids)
    ent = history["doanh_nghiep_id"].copy()
    day = history["ngay_hieu_luc"].copy()
    if established_of is not None:  # dated before the enterprise existed
        early = rng.random(n) < 0.005
        day[early] = established_of[early] - rng.integers(1, 400, int(early.sum())).astype("timedelta64[D]")
    orphan = rng.random(n) < 0.005
    ent[orphan] = 9_000_000 + rng.integers(0, 1_000_000, int(orphan.sum()))
    new = history["trang_thai_moi"]
    reason = np.empty(n, dtype=object)
    for status, options in REASONS.items():
        mask = new == status
        reason[mask] = pick(rng, options, int(mask.sum()))
    return pa.table({
        "id": pa.array(ids, pa.int64()),
        "doanh_nghiep_id": pa.array(ent.astype(np.int64), pa.int64()),
        "trang_thai_cu": pa.array(list(typed_variants(rng, history["trang_thai_cu"], STATUS_VARIANTS, 0.03)),
                                  pa.string()),
        "trang_thai_moi": pa.array(list(typed_variants(rng, new, STATUS_VARIANTS, 0.03)), pa.string()),
        "ngay_hieu_luc": pa.array(day.astype("datetime64[D]"), pa.date32()),
        "ly_do": pa.array(list(nfd_some(rng, reason, 0.2)), pa.string()),
        "ngay_cap_nhat": to_utc_array(stamps),
    })


def _duplicates(rng: np.random.Generator, table: pa.Table, first_id: int, share: float) -> pa.Table:
    """The same enterprise keyed in twice: another id, same code, name in the other Unicode form."""
    return keyed_twice(table, np.flatnonzero(rng.random(table.num_rows) < share), first_id, "ten_doanh_nghiep")


def create(dsn: str, scale: float, seed: int, force: bool = False, *, now: dt.datetime | None = None) -> dict:
    """(Re)build the source schema. Idempotent: same scale and seed already there → no-op.

    The history ends at the start of today (UTC), or at ``now`` when given (builds that must match
    across days pass it)."""
    with psycopg.connect(dsn) as conn:
        if kept := already_built(pg_state(conn, SCHEMA), scale, seed, force):
            return kept
        end = pg_anchor(conn, now)
        horizon = end.astype("datetime64[D]")
        epoch = end - SPAN_DAYS * DAY  # go-live: older history was migrated then
        pg_recreate_schema(conn, SCHEMA, SCHEMA_SQL)
        rng = np.random.default_rng(seed)
        n = max(50, int(ENTERPRISES_PER_SCALE * scale))
        ids = np.arange(1, n + 1)
        established = _established(rng, n, horizon)
        status = _current_status(rng, established, horizon)
        history = _history(rng, ids, established, status, horizon)
        m = len(history["doanh_nghiep_id"])
        # change stamps: the effective day (or the go-live migration for older history), never past the end
        day_us = history["ngay_hieu_luc"].astype("datetime64[us]")
        change_at = np.maximum(day_us + rng.integers(8 * 3600, 40 * 3600, m).astype("timedelta64[s]"),
                               epoch + rng.integers(0, 30 * 86_400, m).astype("timedelta64[s]"))
        change_at = np.minimum(change_at, end - np.timedelta64(1, "s"))
        changes = _changes_table(rng, np.arange(1, m + 1), history, change_at,
                                 established[history["doanh_nghiep_id"] - 1])
        # an enterprise's stamp: after it was registered, and after its last status change
        low = np.maximum(established.astype("datetime64[us]"), epoch)
        stamps = low + (rng.random(n) * (end - low).astype(np.int64)).astype(np.int64).astype("timedelta64[us]")
        last_change = np.full(n, epoch)
        np.maximum.at(last_change, history["doanh_nghiep_id"] - 1, change_at)
        stamps = np.maximum(stamps, last_change)
        enterprises = _enterprises(rng, ids, _codes(rng, n, 300_000_000), established, status, stamps, horizon)
        enterprises = pa.concat_tables([enterprises, _duplicates(rng, enterprises, n + 1, 0.01)])
        copy_pg(conn, f"{SCHEMA}.doanh_nghiep", enterprises)
        copy_pg(conn, f"{SCHEMA}.thay_doi_trang_thai", changes)
        pg_init_state(conn, SCHEMA, scale, seed)
        conn.execute(f"ANALYZE {SCHEMA}.doanh_nghiep; ANALYZE {SCHEMA}.thay_doi_trang_thai")
    return {"created": True, "enterprises": enterprises.num_rows, "status_changes": changes.num_rows, "step": 0}


def _delete_erroneous(conn: psycopg.Connection, rng: np.random.Generator, k: int) -> int:
    """Erroneous registrations (keyed twice, or under a malformed code) removed outright; once those run
    out, registrations without any status change. Runs before the day's inserts: every step deletes rows
    that were already there."""
    unchanged = f"NOT EXISTS (SELECT 1 FROM {SCHEMA}.thay_doi_trang_thai t WHERE t.doanh_nghiep_id = d.id)"
    candidates = [r[0] for r in conn.execute(f"""
        SELECT d.id FROM {SCHEMA}.doanh_nghiep d
        WHERE (d.ma_so_doanh_nghiep !~ '^03[0-9]{{8}}$'
               OR EXISTS (SELECT 1 FROM {SCHEMA}.doanh_nghiep o
                          WHERE o.ma_so_doanh_nghiep = d.ma_so_doanh_nghiep AND o.id < d.id))
          AND {unchanged}
        ORDER BY d.id""")]
    if not candidates:
        candidates = [r[0] for r in conn.execute(
            f"SELECT d.id FROM {SCHEMA}.doanh_nghiep d WHERE {unchanged} ORDER BY d.id")]
    if not candidates:
        return 0
    gone = rng.choice(candidates, min(k, len(candidates)), replace=False)
    return conn.execute(f"DELETE FROM {SCHEMA}.doanh_nghiep WHERE id = ANY(%s)", ([int(i) for i in gone],)).rowcount


def _next_status(rng: np.random.Generator, current: np.ndarray) -> np.ndarray:
    """Active → suspended / dissolved / revoked; suspended → resumed / dissolved; the rest stay."""
    roll = rng.random(len(current))
    from_active = np.where(roll < 0.5, SUSPENDED, np.where(roll < 0.85, DISSOLVED, REVOKED))
    from_suspended = np.where(roll < 0.6, ACTIVE, DISSOLVED)
    return np.where(current == ACTIVE, from_active,
                    np.where(current == SUSPENDED, from_suspended, None)).astype(object)


def advance(dsn: str, step: int | None = None, *, now: dt.datetime | None = None) -> dict:
    """One day: registrations, status changes, capital increases, moves, removed registrations.

    Stamped with the database clock (or ``now`` when given); the day's business dates never fall
    before the end of the history already there."""
    with psycopg.connect(dsn) as conn:
        state = pg_state(conn, SCHEMA)
        if (step := pending_step(state, step, "the business registration source")) is None:
            return {"advanced": False, "step": state[2]}
        scale, seed, _ = state
        rng = np.random.default_rng([seed, step])
        now = now or conn.execute("SELECT now()").fetchone()[0]
        today = np.datetime64(now.astimezone(dt.UTC).date(), "D")
        added_column = pg_schema_change(conn, SCHEMA, step, "doanh_nghiep", "email", "text")
        with_email = pg_has_column(conn, SCHEMA, "doanh_nghiep", "email")
        base = max(50, int(ENTERPRISES_PER_SCALE * scale))
        # ids and the watermark as they were: a deleted id is never reused by today's new rows
        max_id, max_at = conn.execute(f"SELECT max(id), max(ngay_cap_nhat) FROM {SCHEMA}.doanh_nghiep").fetchone()
        deleted = _delete_erroneous(conn, rng, max(1, base // 5000))

        late_at = max_at - dt.timedelta(hours=1)
        first_day = first_business_day(today, max_at)
        touched = rng.choice(int(max_id), max(3, int(base * TOUCH_SHARE)), replace=False) + 1
        split = len(touched) // 3
        email_set = ", email = COALESCE(d.email, u.email)" if with_email else ""

        rows = {r[0]: r[1:] for r in conn.execute(
            f"SELECT id, trang_thai, ten_doanh_nghiep FROM {SCHEMA}.doanh_nghiep WHERE id = ANY(%s)",
            ([int(i) for i in touched],))}
        status_ids, capital_ids, move_ids = ([int(i) for i in ids if int(i) in rows] for ids in (
            np.sort(touched[:split]), np.sort(touched[split:2 * split]), np.sort(touched[2 * split:])))

        # status changes, each logged in thay_doi_trang_thai
        nxt = _next_status(rng, np.array([CANONICAL_STATUS.get(rows[i][0]) for i in status_ids], dtype=object))
        change = [k for k, s in enumerate(nxt) if s is not None]
        change_ids = [status_ids[k] for k in change]
        changed = conn.execute(
            f"""UPDATE {SCHEMA}.doanh_nghiep d SET trang_thai = u.status, ngay_cap_nhat = %s{email_set}
                FROM unnest(%s::bigint[], %s::text[], %s::text[]) AS u(id, status, email) WHERE d.id = u.id""",
            (now, change_ids, [nxt[k] for k in change], list(_emails(rng, [rows[i][1] for i in change_ids])))
        ).rowcount
        first_change = conn.execute(f"SELECT coalesce(max(id), 0) + 1 FROM {SCHEMA}.thay_doi_trang_thai").fetchone()[0]
        history = {"doanh_nghiep_id": np.array(change_ids, dtype=np.int64),
                   "trang_thai_cu": np.array([rows[i][0] for i in change_ids], dtype=object),
                   "trang_thai_moi": nxt[change] if change else np.array([], dtype=object),
                   "ngay_hieu_luc": np.maximum(today - rng.integers(0, 3, len(change)).astype("timedelta64[D]"),
                                               first_day)}
        copy_pg(conn, f"{SCHEMA}.thay_doi_trang_thai",
                _changes_table(rng, np.arange(first_change, first_change + len(change)), history,
                               late_stamps(rng, len(change), now, late_at)))

        # capital increases and head-office moves (a third of the touched rows each)
        factor = rng.choice([1.2, 1.5, 2.0, 3.0, 5.0], len(capital_ids))
        edited = conn.execute(
            f"""UPDATE {SCHEMA}.doanh_nghiep d SET von_dieu_le = round(d.von_dieu_le * u.factor, -6),
                ngay_cap_nhat = %s{email_set}
                FROM unnest(%s::bigint[], %s::numeric[], %s::text[]) AS u(id, factor, email) WHERE d.id = u.id""",
            (now, capital_ids, [float(f) for f in factor], list(_emails(rng, [rows[i][1] for i in capital_ids])))
        ).rowcount
        wards = _wards(rng, len(move_ids))
        edited += conn.execute(
            f"""UPDATE {SCHEMA}.doanh_nghiep d SET dia_chi = u.dia_chi, ma_phuong = u.ma_phuong,
                ten_phuong = u.ten_phuong, ma_quan = u.ma_quan, ten_quan = u.ten_quan, ngay_cap_nhat = %s{email_set}
                FROM unnest(%s::bigint[], %s::text[], %s::text[], %s::text[], %s::text[], %s::text[], %s::text[])
                     AS u(id, dia_chi, ma_phuong, ten_phuong, ma_quan, ten_quan, email) WHERE d.id = u.id""",
            (now, move_ids, list(nfd_some(rng, addresses(rng, len(move_ids)), 0.25)),
             *[list(wards[c]) for c in ("ma_phuong", "ten_phuong", "ma_quan", "ten_quan")],
             list(_emails(rng, [rows[i][1] for i in move_ids])))).rowcount

        # new registrations, a few keyed twice
        n_new = max(3, int(base * 0.0006))
        last_code = conn.execute(f"SELECT max(ma_so_doanh_nghiep) FROM {SCHEMA}.doanh_nghiep "
                                 "WHERE ma_so_doanh_nghiep ~ '^03[0-9]{8}$'").fetchone()[0]
        new_ids = np.arange(max_id + 1, max_id + n_new + 1)
        established = np.maximum(today - rng.integers(0, 4, n_new).astype("timedelta64[D]"), first_day)
        new = _enterprises(rng, new_ids, _codes(rng, n_new, int(last_code)), established,
                           np.full(n_new, ACTIVE, dtype=object), late_stamps(rng, n_new, now, late_at), today,
                           with_email)
        new = pa.concat_tables([new, _duplicates(rng, new, max_id + n_new + 1, 0.01)])
        copy_pg(conn, f"{SCHEMA}.doanh_nghiep", new)
        pg_set_step(conn, SCHEMA, step)
    return {"advanced": True, "step": step, "enterprises_added": new.num_rows, "enterprises_edited": changed + edited,
            "status_changes_added": len(change), "enterprises_deleted": deleted, "schema_changed": added_column}
