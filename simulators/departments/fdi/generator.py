"""A deterministic foreign direct investment (FDI) project register with real-world dirt.

``create`` fills ``fdi.du_an_fdi`` (scale 1.0 = 12,000 projects plus ~1% keyed twice) and
``fdi.dieu_chinh_von`` (capital adjustments, ~0.9 per project: ~10,500). The history ends at the
start of today (UTC, the database clock) or at ``now`` when given: licences since ~35 years before
it, ``ngay_cap_nhat`` stamps over its last 900 days (the register's go-live migration opens them).
``advance`` applies one day of new certificates, capital adjustments, disbursement reports and
status changes (business dates never before the history already there) and, on step 2, adds the
``so_lao_dong`` (employees) column. Same seed, scale and ``now``, same history; same seed and step,
same changes.

Investor countries are weighted like the city's register (Korea, Japan and Singapore lead; Taiwan,
China, Hong Kong, the British Virgin Islands and the United States follow), manufacturing sits in
the export processing and industrial zones, services in the central districts.

The dirt, on purpose: certificate numbers with spaces or a "GCN" prefix, projects keyed twice
(same number, another id, name in the other Unicode form), country codes in lower case, 'UK' for
GB, or missing with only a colloquial country name, zero registered capital, disbursed capital
above the registered or negative or not reported, VSIC codes whose division does not exist,
forms and statuses in shorthand, licence dates of 1900-01-01 or in the future, missing wards and
wards by name only, NFD text, adjustments dated before the licence or pointing at unknown
projects, and rows committed late with an ``ngay_cap_nhat`` older than what was already extracted.
"""
from __future__ import annotations

import datetime as dt
from pathlib import Path

import numpy as np
import psycopg
import pyarrow as pa

from ingestion.reference.admin_units import legacy_wards
from simulators.departments.common import (
    DAY,
    addresses,
    already_built,
    copy_pg,
    first_business_day,
    nfd_some,
    pending_step,
    pg_anchor,
    pg_has_column,
    pg_init_state,
    pg_recreate_schema,
    pg_schema_change,
    pg_set_step,
    pg_state,
    pick,
    to_utc_array,
)
from simulators.departments.dirt import keyed_twice, late_stamps, typed_variants, ward_columns

SCHEMA = "fdi"
SCHEMA_SQL = Path(__file__).with_name("schema.sql")
PROJECTS_PER_SCALE = 12_000
SPAN_DAYS = 900  # the register went online this long before the snapshot's end; older records migrated then
LICENSED_DAYS = 12_953  # licences go back this far before the snapshot's end (1990-01-01 → 2025-06-19)
NEW_LAW = np.datetime64("2015-07-01", "D")  # Law on Investment 2014: 10-digit project codes from here

# ISO code: (weight by project count, Vietnamese name, colloquial name, name style, capital factor)
COUNTRIES: dict[str, tuple[float, str, str | None, str, float]] = {
    "KR": (16, "Hàn Quốc", "Korea", "KR", 0.8), "JP": (14, "Nhật Bản", None, "JP", 1.5),
    "SG": (15, "Singapore", None, "SG", 2.5), "TW": (7, "Đài Loan (Trung Quốc)", "Đài Loan", "CN", 1.2),
    "CN": (8, "Trung Quốc", None, "CN", 0.7), "HK": (6, "Hồng Kông (Trung Quốc)", "Hồng Kông", "CN", 1.5),
    "VG": (4, "Quần đảo Virgin thuộc Anh", "BVI", "HOLD", 3.0), "US": (5, "Hoa Kỳ", "Mỹ", "EN", 1.0),
    "NL": (1.5, "Hà Lan", None, "EN", 3.0), "MY": (2, "Malaysia", None, "SG", 1.2),
    "FR": (3, "Pháp", None, "EN", 0.8), "TH": (2, "Thái Lan", None, "EN", 1.5),
    "AU": (2.5, "Australia", "Úc", "EN", 0.6), "DE": (1.5, "Đức", None, "EN", 0.8),
    "GB": (1.5, "Vương quốc Anh", "Anh", "EN", 1.0), "CA": (1.5, "Canada", None, "EN", 0.5),
    "IN": (1.5, "Ấn Độ", None, "EN", 0.4), "CH": (0.8, "Thụy Sĩ", None, "EN", 1.5),
    "SC": (0.5, "Seychelles", None, "HOLD", 1.5), "WS": (0.5, "Samoa", None, "HOLD", 1.0),
    "KY": (0.5, "Quần đảo Cayman", None, "HOLD", 3.0), "PH": (0.6, "Philippines", None, "EN", 0.6),
    "ID": (0.4, "Indonesia", None, "EN", 0.8), "IT": (0.6, "Italia", None, "EN", 0.6),
    "BE": (0.3, "Bỉ", None, "EN", 0.8), "DK": (0.3, "Đan Mạch", None, "EN", 1.0),
    "SE": (0.3, "Thụy Điển", None, "EN", 1.0), "RU": (0.3, "Liên bang Nga", "Nga", "EN", 0.8),
}
SUFFIXES = {"KR": ["{} Co., Ltd.", "{} Corporation"], "JP": ["{} Co., Ltd.", "{} Corporation", "{} Kabushiki Kaisha"],
            "SG": ["{} Pte. Ltd.", "{} Holdings Pte. Ltd.", "{} Investment Pte. Ltd."],
            "MY": ["{} Sdn. Bhd.", "{} Berhad"], "TW": ["{} Co., Ltd.", "{} Enterprise Co., Ltd."],
            "CN": ["{} Co., Ltd.", "{} Technology Co., Ltd."],
            "HK": ["{} Limited", "{} (Hong Kong) Limited", "{} Holdings Limited"],
            "HOLD": ["{} Investments Limited", "{} Holdings Ltd.", "{} Capital Limited"],
            "US": ["{} Inc.", "{} LLC", "{} Corporation"], "NL": ["{} B.V.", "{} Holding B.V."],
            "FR": ["{} S.A.S.", "{} S.A."], "TH": ["{} Co., Ltd.", "{} Public Company Limited"],
            "AU": ["{} Pty Ltd"], "DE": ["{} GmbH", "{} AG"], "GB": ["{} Limited", "{} PLC"], "CA": ["{} Inc."],
            "IN": ["{} Private Limited"], "CH": ["{} AG", "{} SA"], "PH": ["{} Inc."], "ID": ["PT {}"],
            "IT": ["{} S.p.A.", "{} S.r.l."], "BE": ["{} NV"], "DK": ["{} A/S"], "SE": ["{} AB"],
            "RU": ["{} LLC"], "SC": ["{} Holdings Ltd."], "WS": ["{} International Limited"],
            "KY": ["{} Holdings Limited"], "VG": ["{} Investments Limited", "{} Group Limited"]}
STEMS = {"KR": (["Han", "Sung", "Dae", "Hyun", "Jin", "Woo", "Kwang", "Seo", "Min", "Young", "Dong", "Hee"],
                ["il", "sung", "won", "jin", "hwa", " Tech", "san", " Global"]),
         "JP": (["Yama", "Kawa", "Naka", "Toyo", "Nishi", "Higa", "Sumi", "Mitsu", "Fuji", "Taka", "Asa", "Hoku"],
                ["moto", "da", "shima", "tomo", "no Seiki", "ta Denki", " Kogyo", "giken"]),
         "CN": (["Hua", "Xin", "Tian", "Jin", "Long", "Hong", "Sheng", "Da", "Fu", "Kai", "Yuan", "Heng"],
                ["xing", "feng", "li", "da", "hua", "tai", "sheng", "yuan"]),
         "SG": (["Hua", "Tan", "Lim", "Ong", "Lee", "Straits", "Lion", "Merlion", "Raffles", "Orchard"],
                [" Capital", " Resources", " Asia", " Ventures", " Global", "tech"]),
         "EN": (["Atlas", "Nova", "Apex", "Blue", "Summit", "Pioneer", "Vertex", "Harbor", "Crest", "Orion",
                 "Sterling", "Meridian", "Evergreen", "Horizon", "Keystone", "Northstar"],
                [" Capital", " Industries", " Partners", " Group", " Ventures", " Solutions", " Systems", ""]),
         "HOLD": (["Grand", "Bright", "Golden", "Ever", "Rich", "Prime", "Star", "Wise", "Glory", "Fortune"],
                  [" Asia", " Pacific", " Mekong", " Vietnam", " Global", " Harvest"])}
# section: (weight, VSIC codes, project phrases, capital factor, share in industrial zones)
ACTIVITIES: dict[str, tuple[float, list[str], list[str], float, float]] = {
    "G": (30, ["4610", "4649", "4659", "4669", "4690", "4711", "4719", "4791"],
          ["thực hiện quyền xuất khẩu, quyền nhập khẩu, quyền phân phối bán buôn hàng hóa",
           "bán lẻ hàng tiêu dùng", "phân phối thiết bị điện tử", "kinh doanh siêu thị"], 0.6, 0.05),
    "M": (20, ["7020", "7110", "7310", "7320", "7410", "7490"],
          ["tư vấn quản lý doanh nghiệp", "tư vấn thiết kế kỹ thuật", "nghiên cứu thị trường và quảng cáo",
           "dịch vụ kiến trúc"], 0.5, 0.02),
    "J": (12, ["5820", "6201", "6202", "6209", "6311", "6312"],
          ["sản xuất phần mềm", "gia công phần mềm", "cung cấp dịch vụ xử lý dữ liệu",
           "phát triển nền tảng thương mại điện tử"], 0.7, 0.15),
    "C": (12, ["1079", "1410", "1520", "2100", "2220", "2511", "2610", "2710", "2817", "3100"],
          ["sản xuất linh kiện điện tử", "sản xuất bao bì nhựa", "sản xuất hàng may mặc", "chế biến thực phẩm",
           "sản xuất khuôn mẫu kim loại", "sản xuất dược phẩm", "sản xuất giày dép"], 5.0, 0.6),
    "N": (5, ["7710", "7810", "7830", "8211", "8299"],
          ["cung ứng nhân lực", "dịch vụ hỗ trợ kinh doanh", "cho thuê máy móc thiết bị"], 0.5, 0.05),
    "I": (5, ["5510", "5610", "5630"], ["kinh doanh nhà hàng", "đầu tư xây dựng khách sạn", "chuỗi cà phê"],
          1.0, 0.0),
    "L": (4, ["6810", "6820"], ["đầu tư xây dựng và kinh doanh khu căn hộ",
                                "đầu tư xây dựng cao ốc văn phòng cho thuê", "kinh doanh bất động sản"], 10.0, 0.0),
    "H": (4, ["5210", "5224", "5229"], ["dịch vụ logistics", "kinh doanh kho bãi", "dịch vụ giao nhận hàng hóa"],
          1.5, 0.3),
    "K": (2, ["6499", "6619"], ["tư vấn đầu tư tài chính", "dịch vụ cho thuê tài chính"], 2.0, 0.0),
    "P": (2, ["8532", "8559"], ["trường quốc tế", "đào tạo ngoại ngữ", "đào tạo kỹ năng"], 1.0, 0.0),
    "Q": (1, ["8620", "8610"], ["phòng khám đa khoa quốc tế", "bệnh viện quốc tế"], 2.0, 0.0),
    "F": (2, ["4102", "4321", "4322"], ["xây dựng công trình công nghiệp", "thi công cơ điện công trình"], 2.0, 0.1),
    "E": (0.3, ["3821"], ["xử lý chất thải công nghiệp"], 3.0, 0.5),
    "D": (0.3, ["3511"], ["điện mặt trời áp mái"], 5.0, 0.3),
    "R": (0.5, ["9321"], ["khu vui chơi giải trí"], 2.0, 0.0),
    "S": (0.5, ["9610"], ["dịch vụ làm đẹp"], 0.3, 0.0),
}
NOT_VSIC = ["0400", "3400", "4400", "5400", "6700", "7600", "8900", "M7020", "70200.0"]
FORMS = [("100% vốn nước ngoài", 78, ["100% vốn NN", "DN 100% vốn nước ngoài"]),
         ("Liên doanh", 8, ["LD", "Liên doanh với đối tác Việt Nam"]),
         ("Góp vốn mua cổ phần", 12, ["Góp vốn, mua cổ phần", "GVMCP"]),
         ("BCC", 2, ["Hợp đồng BCC", "Hợp đồng hợp tác kinh doanh (BCC)"])]
ACTIVE, NOT_STARTED, TERMINATED = "Đang hoạt động", "Chưa triển khai", "Chấm dứt"
STATUS_VARIANTS = {ACTIVE: ["Đang HĐ", "đang hoạt động"], NOT_STARTED: ["Chưa triển khai dự án"],
                   TERMINATED: ["Chấm dứt hoạt động", "Đã chấm dứt"]}
# export processing / industrial zones and the hi-tech park, with their (pre-2025) district
ZONES = [("KCX Tân Thuận", "Quận 7"), ("KCX Linh Trung I", "Thành phố Thủ Đức"),
         ("KCX Linh Trung II", "Thành phố Thủ Đức"), ("KCN Tân Tạo", "Quận Bình Tân"),
         ("KCN Tân Bình", "Quận Tân Phú"), ("KCN Vĩnh Lộc", "Quận Bình Tân"), ("KCN Hiệp Phước", "Huyện Nhà Bè"),
         ("KCN Lê Minh Xuân", "Huyện Bình Chánh"), ("KCN Tây Bắc Củ Chi", "Huyện Củ Chi"),
         ("KCN Cát Lái", "Thành phố Thủ Đức"), ("KCN Bình Chiểu", "Thành phố Thủ Đức"),
         ("KCN Tân Thới Hiệp", "Quận 12"), ("KCN Đông Nam", "Huyện Củ Chi"), ("KCN Phong Phú", "Huyện Bình Chánh"),
         ("KCN Tân Phú Trung", "Huyện Củ Chi"), ("Khu Công nghệ cao TP.HCM", "Thành phố Thủ Đức")]
CENTRAL = {"Quận 1", "Quận 3", "Quận 7", "Quận Bình Thạnh", "Quận Phú Nhuận", "Quận Tân Bình", "Thành phố Thủ Đức"}
ADJUSTMENTS = [("Tăng vốn đầu tư", 0.55), ("Góp vốn bổ sung", 0.15), ("Giảm vốn đầu tư", 0.1),
               ("Điều chỉnh tiến độ góp vốn", 0.1), ("Điều chỉnh tiến độ thực hiện dự án", 0.1)]


def _usd(values: np.ndarray) -> pa.Array:
    return pa.array(np.round(values, 2), pa.float64())


def _licensed(rng: np.random.Generator, n: int, horizon: np.datetime64) -> np.ndarray:
    """Licence dates over the ~35 years up to the horizon, ever more per year (×6 over the period), sorted."""
    days = LICENSED_DAYS
    k = np.log(6.0) / days
    offset = np.log1p(rng.random(n) * (np.exp(k * days) - 1)) / k
    return np.sort(horizon - days * DAY + offset.astype(int).astype("timedelta64[D]"))


def _licence_numbers(rng: np.random.Generator, licensed: np.ndarray, first_seq: int) -> np.ndarray:
    """12-digit 4110430xxxxx numbers before the 2015 law, 10-digit project codes after; some as typed."""
    seq = first_seq + np.cumsum(rng.integers(1, 40, len(licensed)))
    old = np.char.add("4110430", np.char.zfill((seq % 100_000).astype(str), 5))
    new = np.char.add("5", np.char.zfill((seq * 7919 % 10**9).astype(str), 9))
    out = np.where(licensed < NEW_LAW, old, new).astype(object)
    for i in np.flatnonzero(rng.random(len(out)) < 0.012):
        c = out[i]
        out[i] = [f"{c[:4]} {c[4:]}", f"GCN {c}", f"{c}.", f"Số {c}"][rng.integers(0, 4)]
    return out


def _investors(rng: np.random.Generator, countries: np.ndarray) -> np.ndarray:
    n = len(countries)
    out = np.empty(n, dtype=object)
    for code, (_, _, _, style, _) in COUNTRIES.items():
        mask = countries == code
        if not mask.any():
            continue
        heads, tails = STEMS[style]
        k = int(mask.sum())
        stem = pick(rng, heads, k) + pick(rng, tails, k)
        pattern = pick(rng, SUFFIXES.get(code, SUFFIXES["US"]), k)
        out[mask] = [p.format(s) for p, s in zip(pattern, stem)]
    return out


def _country_columns(rng: np.random.Generator, countries: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Codes and Vietnamese names as typed: lower case, 'UK', or a colloquial name and no code."""
    codes = countries.copy()
    names = np.array([COUNTRIES[c][1] for c in countries], dtype=object)
    roll = rng.random(len(codes))
    lower = roll < 0.02
    codes[lower] = np.char.lower(codes[lower].astype(str)).astype(object)
    codes[(countries == "GB") & (roll > 0.7)] = "UK"
    colloquial = np.array([COUNTRIES[c][2] for c in countries], dtype=object)
    spoken = (roll > 0.93) & np.array([c is not None for c in colloquial], dtype=bool)
    names[spoken] = colloquial[spoken]
    codes[spoken & (roll > 0.97)] = None
    return codes, names


def _ward_indices(rng: np.random.Generator, zone: np.ndarray) -> np.ndarray:
    """A ward in the zone's district, else anywhere (the central districts three times as likely)."""
    wards = legacy_wards()
    district = np.array([w["district_name"] for w in wards], dtype=object)
    weight = np.where(np.isin(district, list(CENTRAL)), 3.0, 1.0)
    out = rng.choice(len(wards), len(zone), p=weight / weight.sum())
    for z, (_, zone_district) in enumerate(ZONES):
        mask = zone == z
        if mask.any():
            out[mask] = rng.choice(np.flatnonzero(district == zone_district), int(mask.sum()))
    return out


def _employees(rng: np.random.Generator, capital: np.ndarray, sections: np.ndarray) -> np.ndarray:
    """Headcount grows with capital, much more in manufacturing; a few zero or negative."""
    per_million = np.where(sections == "C", 60.0, np.where(np.isin(sections, ["G", "M", "J", "N"]), 15.0, 8.0))
    staff = np.maximum(1, np.round(np.abs(capital) / 1e6 * per_million * rng.lognormal(0, 0.6, len(capital))))
    staff = np.minimum(staff, 60_000).astype(np.int64)
    roll = rng.random(len(staff))
    return np.where(roll < 0.005, 0, np.where(roll < 0.008, -staff, staff))


def _projects(rng: np.random.Generator, ids: np.ndarray, numbers: np.ndarray, licensed: np.ndarray,
              status: np.ndarray, stamps, horizon: np.datetime64,
              with_employees: bool = False) -> tuple[pa.Table, np.ndarray]:
    """Project rows, and their VSIC sections (the caller needs them for adjustments)."""
    n = len(ids)
    sec_names = list(ACTIVITIES)
    weights = np.array([ACTIVITIES[s][0] for s in sec_names])
    sections = np.asarray(sec_names, dtype=object)[rng.choice(len(sec_names), n, p=weights / weights.sum())]
    vsic, phrase = np.empty(n, dtype=object), np.empty(n, dtype=object)
    capital_factor, zone_share = np.ones(n), np.zeros(n)
    for section, (_, codes, phrases, factor, share) in ACTIVITIES.items():
        mask = sections == section
        vsic[mask], phrase[mask] = pick(rng, codes, int(mask.sum())), pick(rng, phrases, int(mask.sum()))
        capital_factor[mask], zone_share[mask] = factor, share
    five = rng.random(n) < 0.15
    vsic[five] = vsic[five] + "0"
    bad = rng.random(n) < 0.008
    vsic[bad] = pick(rng, NOT_VSIC, int(bad.sum()))

    codes = list(COUNTRIES)
    cw = np.array([COUNTRIES[c][0] for c in codes])
    countries = np.asarray(codes, dtype=object)[rng.choice(len(codes), n, p=cw / cw.sum())]
    investors = _investors(rng, countries)
    country_codes, country_names = _country_columns(rng, countries)
    country_factor = np.array([COUNTRIES[c][4] for c in countries])

    registered = np.exp(rng.normal(np.log(4e5), 1.6, n)) * capital_factor * country_factor
    registered = np.round(np.clip(registered, 1e4, 2e9), -3)
    registered[rng.random(n) < 0.002] = 0.0
    ratio = np.where(status == NOT_STARTED, rng.random(n) * 0.1,
                     np.where(status == TERMINATED, rng.beta(3, 2, n), rng.beta(4, 2, n)))
    roll = rng.random(n)
    ratio = np.where(roll < 0.02, 1.05 + rng.random(n), np.where(roll < 0.025, -rng.random(n) * 0.3, ratio))
    disbursed = np.round(registered * ratio, -2)
    disbursed_arr = pa.array(disbursed, pa.float64(), mask=rng.random(n) < 0.03)

    zone = np.where(rng.random(n) < zone_share, rng.integers(0, len(ZONES), n), -1)
    wards = ward_columns(rng, _ward_indices(rng, zone))
    zone_names = np.array([z for z, _ in ZONES] + [None], dtype=object)[zone]
    lots = np.char.add(np.char.add("Lô ", pick(rng, list("ABCDEFGHK"), n).astype(str)),
                       rng.integers(1, 40, n).astype(str)).astype(object)
    zone_text = np.where(zone >= 0, zone_names, "").astype(object)
    address = np.where(zone >= 0, lots + ", " + zone_text, addresses(rng, n))

    stems = np.array([s.split(" ")[0] if not s.startswith("PT ") else s.split(" ")[1] for s in investors],
                     dtype=object)
    by_company = rng.random(n) < 0.4
    names = np.where(by_company, "Công ty TNHH " + stems + " Việt Nam", "Dự án " + phrase)

    form_w = np.array([f[1] for f in FORMS], dtype=float)
    forms = np.array([f[0] for f in FORMS], dtype=object)[rng.choice(len(FORMS), n, p=form_w / form_w.sum())]
    licensed = licensed.copy()
    roll = rng.random(n)
    licensed[roll < 0.002] = np.datetime64("1900-01-01")
    future = roll > 0.999
    licensed[future] = horizon + rng.integers(3 * 365, 10 * 365, int(future.sum())).astype("timedelta64[D]")

    cols = {
        "id": pa.array(ids, pa.int64()),
        "so_gcndkdt": numbers,
        "ten_du_an": nfd_some(rng, names, 0.25),
        "ten_nha_dau_tu": investors,
        "ma_quoc_gia": country_codes,
        "ten_quoc_gia": nfd_some(rng, country_names, 0.2),
        "von_dang_ky_usd": _usd(registered),
        "von_giai_ngan_usd": disbursed_arr,
        "nganh_nghe_chinh": vsic,
        "hinh_thuc_dau_tu": typed_variants(rng, forms, {f[0]: f[2] for f in FORMS}, 0.05),
        "ngay_cap_phep": pa.array(licensed.astype("datetime64[D]"), pa.date32()),
        "trang_thai": typed_variants(rng, status, STATUS_VARIANTS, 0.04),
        "khu_cong_nghiep": zone_names,
        "dia_chi": nfd_some(rng, address, 0.25),
        **wards,
        "ngay_cap_nhat": to_utc_array(stamps),
    }
    if with_employees:
        cols["so_lao_dong"] = pa.array(_employees(rng, registered, sections), pa.int64())
    table = pa.table({k: v if isinstance(v, pa.Array) else pa.array(np.asarray(v, dtype=object), pa.string())
                      for k, v in cols.items()})
    return table, registered


def _status(rng: np.random.Generator, licensed: np.ndarray, horizon: np.datetime64) -> np.ndarray:
    """Recent projects are often not started yet; old ones more often terminated."""
    age = (horizon - licensed).astype(int) / 365.0
    roll = rng.random(len(licensed))
    not_started = roll < np.where(age < 2, 0.3, 0.02)
    terminated = ~not_started & (rng.random(len(licensed)) < np.clip(0.01 * age, 0, 0.35))
    return np.where(not_started, NOT_STARTED, np.where(terminated, TERMINATED, ACTIVE)).astype(object)


def _adjustments(rng: np.random.Generator, ids: np.ndarray, project_ids: np.ndarray, days: np.ndarray,
                 registered: np.ndarray, stamps) -> pa.Table:
    """Capital adjustments of the given projects on the given days."""
    n = len(ids)
    kinds = rng.choice(len(ADJUSTMENTS), n, p=[a[1] for a in ADJUSTMENTS])
    size = np.round(registered * (0.05 + rng.random(n) * 0.95), -3)
    delta_registered = np.select([kinds <= 1, kinds == 2], [size, -np.round(size * 0.4, -3)], 0.0)
    delta_disbursed = np.where(kinds <= 1, np.round(size * rng.random(n), -2),
                               np.where(kinds == 3, np.round(registered * rng.random(n) * 0.3, -2), 0.0))
    project_ids = project_ids.copy()
    orphan = rng.random(n) < 0.005
    project_ids[orphan] = 9_000_000 + rng.integers(0, 1_000_000, int(orphan.sum()))
    return pa.table({
        "id": pa.array(ids, pa.int64()),
        "du_an_id": pa.array(project_ids.astype(np.int64), pa.int64()),
        "ngay_dieu_chinh": pa.array(days.astype("datetime64[D]"), pa.date32()),
        "von_dang_ky_tang_usd": _usd(delta_registered),
        "von_giai_ngan_tang_usd": _usd(delta_disbursed),
        "noi_dung": pa.array(list(nfd_some(rng, np.array([a[0] for a in ADJUSTMENTS], dtype=object)[kinds], 0.2)),
                             pa.string()),
        "ngay_cap_nhat": to_utc_array(stamps),
    })


def _duplicates(rng: np.random.Generator, table: pa.Table, first_id: int, share: float) -> pa.Table:
    """The same project keyed in twice: another id, same number, name in the other Unicode form."""
    return keyed_twice(table, np.flatnonzero(rng.random(table.num_rows) < share), first_id, "ten_du_an")


def create(dsn: str, scale: float, seed: int, force: bool = False, *, now: dt.datetime | None = None) -> dict:
    """(Re)build the source schema. Idempotent: same scale and seed already there → no-op.

    The history ends at the start of today (UTC), or at ``now`` when given (builds that must match
    across days pass it)."""
    with psycopg.connect(dsn) as conn:
        if kept := already_built(pg_state(conn, SCHEMA), scale, seed, force):
            return kept
        end = pg_anchor(conn, now)
        horizon = end.astype("datetime64[D]")
        epoch = end - SPAN_DAYS * DAY  # go-live: older records were migrated then
        pg_recreate_schema(conn, SCHEMA, SCHEMA_SQL)
        rng = np.random.default_rng(seed)
        n = max(20, int(PROJECTS_PER_SCALE * scale))
        ids = np.arange(1, n + 1)
        licensed = _licensed(rng, n, horizon)
        status = _status(rng, licensed, horizon)
        # adjustments: older projects have had more
        age = (horizon - licensed).astype(int) / 365.0
        counts = rng.poisson(np.minimum(0.07 * age, 3.0) * (status != NOT_STARTED))
        adj_project = np.repeat(ids, counts)
        start = licensed[adj_project - 1]
        span = np.maximum((horizon - start).astype(int), 1)
        days = start + (rng.random(len(adj_project)) * span).astype(int).astype("timedelta64[D]")
        roll = rng.random(len(days))
        days[roll < 0.005] -= rng.integers(30, 900, int((roll < 0.005).sum())).astype("timedelta64[D]")
        order = np.lexsort((adj_project, days))
        adj_project, days = adj_project[order], days[order]
        m = len(days)
        adj_at = np.maximum(days.astype("datetime64[us]") + rng.integers(8 * 3600, 72 * 3600, m).astype(
            "timedelta64[s]"), epoch + rng.integers(0, 30 * 86_400, m).astype("timedelta64[s]"))
        adj_at = np.minimum(adj_at, end - np.timedelta64(1, "s"))  # nothing stamped after the history's end
        # a project's stamp: after its licence and after its last adjustment
        low = np.maximum(licensed.astype("datetime64[us]"), epoch)
        span_us = (end - low).astype(np.int64)
        stamps = low + (rng.random(n) * span_us).astype(np.int64).astype("timedelta64[us]")
        last = np.full(n, epoch)
        np.maximum.at(last, adj_project - 1, adj_at)
        projects, registered = _projects(rng, ids, _licence_numbers(rng, licensed, 0), licensed, status,
                                         np.maximum(stamps, last), horizon)
        projects = pa.concat_tables([projects, _duplicates(rng, projects, n + 1, 0.01)])
        adjustments = _adjustments(rng, np.arange(1, m + 1), adj_project, days, registered[adj_project - 1], adj_at)
        copy_pg(conn, f"{SCHEMA}.du_an_fdi", projects)
        copy_pg(conn, f"{SCHEMA}.dieu_chinh_von", adjustments)
        pg_init_state(conn, SCHEMA, scale, seed)
        conn.execute(f"ANALYZE {SCHEMA}.du_an_fdi; ANALYZE {SCHEMA}.dieu_chinh_von")
    return {"created": True, "projects": projects.num_rows, "capital_adjustments": adjustments.num_rows, "step": 0}


def advance(dsn: str, step: int | None = None, *, now: dt.datetime | None = None) -> dict:
    """One day: new certificates, capital adjustments, disbursement reports, projects started or ended.

    Stamped with the database clock (or ``now`` when given); the day's business dates never fall
    before the end of the history already there."""
    with psycopg.connect(dsn) as conn:
        state = pg_state(conn, SCHEMA)
        if (step := pending_step(state, step, "the FDI source")) is None:
            return {"advanced": False, "step": state[2]}
        scale, seed, _ = state
        rng = np.random.default_rng([seed, step])
        now = now or conn.execute("SELECT now()").fetchone()[0]
        today = np.datetime64(now.astimezone(dt.UTC).date(), "D")
        added_column = pg_schema_change(conn, SCHEMA, step, "du_an_fdi", "so_lao_dong", "integer")
        with_employees = pg_has_column(conn, SCHEMA, "du_an_fdi", "so_lao_dong")
        base = max(20, int(PROJECTS_PER_SCALE * scale))
        max_id, max_at = conn.execute(f"SELECT max(id), max(ngay_cap_nhat) FROM {SCHEMA}.du_an_fdi").fetchone()
        late_at = max_at - dt.timedelta(hours=1)
        first_day = first_business_day(today, max_at)
        n_adjust, n_report, n_status = max(1, int(base * 0.0003)), max(2, int(base * 0.002)), max(1, int(base * 0.0002))
        touched = rng.choice(int(max_id), n_adjust + n_report + n_status, replace=False) + 1
        rows = {r[0]: r[1:] for r in conn.execute(
            f"""SELECT id, coalesce(von_dang_ky_usd, 0)::float8, coalesce(von_giai_ngan_usd, 0)::float8, trang_thai,
                       nganh_nghe_chinh FROM {SCHEMA}.du_an_fdi WHERE id = ANY(%s)""", ([int(i) for i in touched],))}
        adjust_ids, report_ids, status_ids = ([int(i) for i in ids if int(i) in rows] for ids in np.split(
            touched, [n_adjust, n_adjust + n_report]))
        employees_set = ", so_lao_dong = coalesce(d.so_lao_dong, u.staff)" if with_employees else ""

        def staff(ids: list[int]) -> list[int]:
            capital = np.array([rows[i][0] for i in ids], dtype=float)
            sections = np.array(["C" if str(rows[i][3])[:1] in "123" else "G" for i in ids], dtype=object)
            return [int(s) for s in _employees(rng, capital, sections)]

        # amended certificates: an adjustment row and the project's capital after it
        registered = np.array([max(rows[i][0], 1e4) for i in adjust_ids])
        first_adj = conn.execute(f"SELECT coalesce(max(id), 0) + 1 FROM {SCHEMA}.dieu_chinh_von").fetchone()[0]
        adjustments = _adjustments(rng, np.arange(first_adj, first_adj + len(adjust_ids)),
                                   np.array(adjust_ids, dtype=np.int64), np.full(len(adjust_ids), today),
                                   registered, late_stamps(rng, len(adjust_ids), now, late_at))
        copy_pg(conn, f"{SCHEMA}.dieu_chinh_von", adjustments)
        edited = conn.execute(
            f"""UPDATE {SCHEMA}.du_an_fdi d SET von_dang_ky_usd = d.von_dang_ky_usd + u.dr,
                von_giai_ngan_usd = coalesce(d.von_giai_ngan_usd, 0) + u.dd, ngay_cap_nhat = %s{employees_set}
                FROM unnest(%s::bigint[], %s::numeric[], %s::numeric[], %s::int[]) AS u(id, dr, dd, staff)
                WHERE d.id = u.id""",
            (now, adjust_ids, adjustments["von_dang_ky_tang_usd"].to_pylist(),
             adjustments["von_giai_ngan_tang_usd"].to_pylist(), staff(adjust_ids))).rowcount
        # disbursement reports: disbursed capital creeps toward registered
        reported = [min(rows[i][1] + max(rows[i][0] - rows[i][1], 0) * float(f), rows[i][0])
                    for i, f in zip(report_ids, rng.random(len(report_ids)) * 0.3)]
        edited += conn.execute(
            f"""UPDATE {SCHEMA}.du_an_fdi d SET von_giai_ngan_usd = round(u.v::numeric, 2), ngay_cap_nhat = %s
                {employees_set} FROM unnest(%s::bigint[], %s::float8[], %s::int[]) AS u(id, v, staff)
                WHERE d.id = u.id""", (now, report_ids, reported, staff(report_ids))).rowcount
        # projects that started, and projects terminated
        status = [rows[i][2] for i in status_ids]
        nxt = [ACTIVE if s in (NOT_STARTED, *STATUS_VARIANTS[NOT_STARTED]) else TERMINATED for s in status]
        keep = [k for k, (s, x) in enumerate(zip(status, nxt)) if s != x and s not in STATUS_VARIANTS[TERMINATED]]
        edited += conn.execute(
            f"""UPDATE {SCHEMA}.du_an_fdi d SET trang_thai = u.s, ngay_cap_nhat = %s{employees_set}
                FROM unnest(%s::bigint[], %s::text[], %s::int[]) AS u(id, s, staff) WHERE d.id = u.id""",
            (now, [status_ids[k] for k in keep], [nxt[k] for k in keep], staff([status_ids[k] for k in keep]))
        ).rowcount
        # new certificates, a few keyed twice
        n_new = max(1, int(base * 0.0003))
        seq = int(conn.execute(f"SELECT count(*) FROM {SCHEMA}.du_an_fdi").fetchone()[0]) * 40
        licensed = np.maximum(today - rng.integers(0, 5, n_new).astype("timedelta64[D]"), first_day)
        new, _ = _projects(rng, np.arange(max_id + 1, max_id + n_new + 1), _licence_numbers(rng, licensed, seq),
                           licensed, np.full(n_new, NOT_STARTED, dtype=object), late_stamps(rng, n_new, now, late_at),
                           today, with_employees)
        new = pa.concat_tables([new, _duplicates(rng, new, max_id + n_new + 1, 0.01)])
        copy_pg(conn, f"{SCHEMA}.du_an_fdi", new)
        pg_set_step(conn, SCHEMA, step)
    return {"advanced": True, "step": step, "projects_added": new.num_rows, "projects_edited": edited,
            "capital_adjustments_added": adjustments.num_rows, "schema_changed": added_column}
