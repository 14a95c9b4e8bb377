"""A deterministic land register (Văn phòng Đăng ký đất đai TP.HCM) in MariaDB, with the dirt real
cadastral data has.

``create`` fills ``thua_dat`` (parcels), ``giay_chung_nhan`` (land-use right certificates) and
``giao_dich`` (registered transactions) at a scale: 1.0 = 400,000 parcels (+1.5% keyed twice),
320,000 certificates and 180,000 transactions (+0.5% keyed twice). The register ends at the start of
the current UTC day (or of ``now``'s day when given): it moved to this system ~2.5 years before
(``MIGRATED_DAYS``), transactions cover the ~7.5 years before (``TRANSACTION_DAYS``), certificates
go back to 1995. ``advance`` applies one day, today by the server clock (or ``now``): parcel splits
and land-use conversions, new transactions, certificates issued and recalled, corrections,
late-committed rows, and a few cancelled registrations (at least one, from before the day) deleted
outright. On step 2 the office starts recording personal income tax: ``giao_dich.thue_tncn`` is
added and filled from then on. Same seed, scale, step and day, same rows; in ``advance`` only
``ngay_cap_nhat`` and the day's dates (registration and issue dates, the date in a new dossier
number) follow the server clock, as the extractor's window does.

The dirt, on purpose: areas of 0 or below, legacy or compound land-use codes no list knows
("T", "LNK", "ODT+CLN"), codes in lower case, parcels keyed twice (same ward, sheet and number,
address in the other Unicode form), names and addresses in NFC or NFD, missing wards and wards given
by name only, swapped or zero coordinates, certificate serials with odd spacing and case, old 9-digit
CMND instead of CCCD, issue dates in the far future or the 1900 placeholder, transactions on unknown
parcels, declared values off by a factor of 1000, and rows committed late with an ``ngay_cap_nhat``
older than what was already extracted.
"""
from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from citylake.services import mariadb
from ingestion.reference.admin_units import legacy_wards
from simulators.departments.common import (
    Wards,
    addresses,
    already_built,
    citizen_ids,
    load_mysql,
    mysql_state,
    names,
    nfd_some,
    pending_step,
    timestamps,
    ward_arrays,
)
from simulators.departments.dirt import keyed_twice, some_rows, ward_columns

SCHEMA_SQL = Path(__file__).with_name("schema.sql")
TABLES = ("giao_dich", "giay_chung_nhan", "thua_dat", "_generator_state")
PARCELS_PER_SCALE = 400_000
CERTIFICATES_PER_SCALE = 320_000
TRANSACTIONS_PER_SCALE = 180_000
MIGRATED_DAYS = 911  # the register moved to this system this many days before a fresh register ends
TRANSACTION_DAYS = 2_735  # transactions registered over this many days, up to three days before the end
UNKNOWN_PARCEL_BASE = 90_000_000

# code: (Vietnamese name, weight in urban wards, rural wards, Cần Giờ, area median m², sigma, min, max)
LAND_USES = {
    "ODT": ("Đất ở tại đô thị", 70, 3, 3, 75, 0.55, 40, 300),
    "ONT": ("Đất ở tại nông thôn", 0.3, 30, 20, 220, 0.6, 60, 1000),
    "TMD": ("Đất thương mại, dịch vụ", 5, 1.5, 1, 600, 1.0, 80, 20000),
    "SKC": ("Đất cơ sở sản xuất phi nông nghiệp", 3, 3, 1, 1500, 0.9, 200, 30000),
    "SKK": ("Đất khu công nghiệp", 0.2, 0.8, 0, 20000, 0.8, 2000, 200000),
    "TSC": ("Đất xây dựng trụ sở cơ quan", 0.5, 0.3, 0.3, 800, 0.8, 100, 10000),
    "DGD": ("Đất xây dựng cơ sở giáo dục và đào tạo", 1.2, 0.8, 0.6, 4000, 0.8, 500, 50000),
    "DYT": ("Đất xây dựng cơ sở y tế", 0.4, 0.2, 0.2, 3000, 0.9, 300, 50000),
    "DTT": ("Đất xây dựng cơ sở thể dục, thể thao", 0.3, 0.2, 0.1, 5000, 0.9, 500, 100000),
    "DGT": ("Đất giao thông", 5, 4, 3, 1200, 1.2, 50, 80000),
    "DTL": ("Đất thủy lợi", 0.4, 2, 2, 1500, 1.0, 100, 50000),
    "SON": ("Đất sông, ngòi, kênh, rạch, suối", 1, 3, 5, 3000, 1.2, 200, 200000),
    "TON": ("Đất tôn giáo", 0.6, 0.6, 0.4, 1200, 0.8, 200, 10000),
    "TIN": ("Đất tín ngưỡng", 0.3, 0.5, 0.5, 400, 0.8, 50, 5000),
    "NTD": ("Đất nghĩa trang, nhà tang lễ, cơ sở hỏa táng", 0.1, 0.8, 0.5, 5000, 1.0, 500, 100000),
    "CLN": ("Đất trồng cây lâu năm", 2, 16, 6, 3000, 0.7, 1000, 20000),
    "BHK": ("Đất bằng trồng cây hằng năm khác", 1, 12, 3, 2500, 0.7, 1000, 20000),
    "LUC": ("Đất chuyên trồng lúa", 0.2, 10, 4, 4000, 0.6, 1000, 20000),
    "LUK": ("Đất trồng lúa còn lại", 0.1, 4, 3, 3000, 0.6, 1000, 20000),
    "NTS": ("Đất nuôi trồng thủy sản", 0.2, 5, 16, 5000, 0.7, 1000, 20000),
    "RSX": ("Đất rừng sản xuất", 0, 0.8, 4, 20000, 0.8, 5000, 300000),
    "RPH": ("Đất rừng phòng hộ", 0, 0.2, 20, 50000, 0.8, 5000, 500000),
    "LMU": ("Đất làm muối", 0, 0, 4, 8000, 0.6, 1000, 50000),
    "CQP": ("Đất quốc phòng", 0.2, 0.3, 0.5, 10000, 1.0, 500, 200000),
    "CAN": ("Đất an ninh", 0.1, 0.1, 0.1, 3000, 1.0, 200, 50000),
    "DCS": ("Đất bằng chưa sử dụng", 0.3, 1.5, 2, 2000, 1.0, 100, 50000),
}
CODES = np.array(list(LAND_USES), dtype=object)
USE_NAMES = np.array([v[0] for v in LAND_USES.values()], dtype=object)
_PROFILE_WEIGHTS = np.array([v[1:4] for v in LAND_USES.values()], dtype=float).T  # (profile, code)
AREA_MEDIAN, AREA_SIGMA, AREA_MIN, AREA_MAX = (np.array([v[i] for v in LAND_USES.values()], dtype=float)
                                               for i in (4, 5, 6, 7))
RESIDENTIAL = np.isin(CODES, ["ODT", "ONT"])
AGRICULTURAL = np.isin(CODES, ["CLN", "BHK", "LUC", "LUK", "NTS", "RSX", "RPH", "LMU"])
PERMANENT = np.isin(CODES, ["ODT", "ONT", "TON", "TIN", "DGT", "DTL", "SON", "NTD", "CQP", "CAN", "TSC"])
# codes from older registers (1993/2004 classifications) and compound entries: not in any list
LEGACY_USES = [("T", "Đất thổ cư"), ("LNK", "Đất trồng cây lâu năm khác"), ("HNK", "Đất trồng cây hàng năm khác"),
               ("LUA", "Đất trồng lúa"), ("ODT+CLN", "Đất ở tại đô thị và đất trồng cây lâu năm"),
               ("Q", None), ("ĐT", "Đất ở")]
AG_TERMS = ["Đến ngày 15/10/2063", "Đến ngày 01/07/2064", "Đến năm 2043", "50 năm"]

CENTRAL = {"760", "768", "770", "771", "772", "773", "774"}  # Q1, Phú Nhuận, Q3, Q10, Q11, Q4, Q5
SUBURBAN = {"783", "784", "785", "786", "787"}  # Củ Chi, Hóc Môn, Bình Chánh, Nhà Bè, Cần Giờ
# median VND per m² by district class (central, inner, suburban) for residential land
RESIDENTIAL_PRICE = np.array([250e6, 90e6, 30e6])
AGRICULTURAL_PRICE = np.array([40e6, 15e6, 3e6])

TX_TYPES = ["Chuyển nhượng", "Thế chấp", "Xóa thế chấp", "Tặng cho", "Thừa kế", "Cho thuê"]
TX_WEIGHTS = np.array([38, 28, 14, 8, 6, 6], dtype=float)
VALUED = {"Chuyển nhượng", "Thế chấp"}
TO_BANK = {"Thế chấp", "Xóa thế chấp"}
BANKS = ["Ngân hàng TMCP Ngoại thương Việt Nam", "Ngân hàng TMCP Công Thương Việt Nam",
         "Ngân hàng Nông nghiệp và Phát triển Nông thôn Việt Nam", "Ngân hàng TMCP Đầu tư và Phát triển Việt Nam",
         "Ngân hàng TMCP Á Châu", "Ngân hàng TMCP Kỹ Thương Việt Nam", "Ngân hàng TMCP Sài Gòn Thương Tín",
         "Ngân hàng TMCP Việt Nam Thịnh Vượng", "Ngân hàng TMCP Quân đội", "Ngân hàng TMCP Phương Đông"]
COMPANY_BRANDS = ["Phú Mỹ Hưng", "Nam Long", "Đất Xanh", "Hưng Thịnh", "Khang Điền", "Sài Gòn Xanh",
                  "Thủ Thiêm", "An Gia", "Tân Thuận", "Bến Thành"]
CERT_VALID, CERT_REVOKED, CERT_EXCHANGED = "Còn hiệu lực", "Đã thu hồi", "Đã cấp đổi"
SERIAL_SECOND = np.array(list("ABCDEGHKLMNOPQRSTUVXY"))


def _wards() -> Wards:
    """Legacy wards as columns, with a land-use profile: 0 urban ward, 1 rural commune, 2 Cần Giờ."""
    wards = legacy_wards()
    cols = ward_arrays()
    cols["latitude"] = np.array([w["latitude"] for w in wards])
    cols["longitude"] = np.array([w["longitude"] for w in wards])
    urban = np.array([n.startswith("Phường") for n in cols["ward_name"]])
    cols["profile"] = np.where(cols["district_code"] == "787", 2, np.where(urban, 0, 1))
    return cols


def _str(values) -> np.ndarray:
    return np.asarray(values).astype(str)


def _digits(values: np.ndarray, width: int) -> np.ndarray:
    """Zero-padded decimal strings (safe on empty arrays, unlike np.char.zfill)."""
    return np.char.mod(f"%0{width}d", np.asarray(values, dtype=np.int64))


def _cat(*parts) -> np.ndarray:
    """Element-wise string concatenation of arrays and scalars."""
    out = _str(parts[0])
    for p in parts[1:]:
        out = np.char.add(out, _str(p))
    return out.astype(object)


def _areas(rng: np.random.Generator, use: np.ndarray) -> np.ndarray:
    """Log-normal areas per land use, redrawn (then clipped) into the use's plausible range."""
    med, sig, lo, hi = AREA_MEDIAN[use], AREA_SIGMA[use], AREA_MIN[use], AREA_MAX[use]
    area = med * np.exp(sig * rng.standard_normal(len(use)))
    for _ in range(4):
        out = (area < lo) | (area > hi)
        area[out] = med[out] * np.exp(sig[out] * rng.standard_normal(int(out.sum())))
    return np.round(np.clip(area, lo, hi), 1)


def _parcels(rng: np.random.Generator, ids: np.ndarray, wards: dict, stamps: np.ndarray,
             ward_idx: np.ndarray | None = None, sheet: np.ndarray | None = None,
             number: np.ndarray | None = None) -> pa.Table:
    n = len(ids)
    if ward_idx is None:
        ward_idx = rng.integers(0, len(wards["ward_code"]), n)
    if sheet is None:  # number parcels within each ward, a ward-specific count per map sheet
        per_sheet = rng.integers(60, 250, len(wards["ward_code"]))
        order = np.argsort(ward_idx, kind="stable")
        starts = np.cumsum(np.bincount(ward_idx, minlength=len(per_sheet))) - np.bincount(ward_idx,
                                                                                         minlength=len(per_sheet))
        rank = np.empty(n, dtype=np.int64)
        rank[order] = np.arange(n) - starts[ward_idx[order]]
        sheet, number = rank // per_sheet[ward_idx] + 1, rank % per_sheet[ward_idx] + 1
    profile = wards["profile"][ward_idx]
    probs = _PROFILE_WEIGHTS / _PROFILE_WEIGHTS.sum(axis=1, keepdims=True)
    use = np.empty(n, dtype=np.int64)
    for p in range(3):  # three profiles: one vectorised draw each
        mask = profile == p
        use[mask] = rng.choice(len(CODES), int(mask.sum()), p=probs[p])
    area = _areas(rng, use)
    code, use_name = CODES[use].copy(), USE_NAMES[use].copy()
    dirt = rng.random((n, 4))
    legacy = dirt[:, 0] < 0.015
    pick = rng.integers(0, len(LEGACY_USES), n)
    code[legacy] = np.array([c for c, _ in LEGACY_USES], dtype=object)[pick[legacy]]
    use_name[legacy] = np.array([u for _, u in LEGACY_USES], dtype=object)[pick[legacy]]
    lower = (dirt[:, 0] >= 0.015) & (dirt[:, 0] < 0.025)
    code[lower] = np.char.lower(_str(code[lower])).astype(object)
    use_name[(dirt[:, 1] < 0.05)] = None  # the name column was optional in the old client
    area[dirt[:, 2] < 0.003] = 0.0
    negative = (dirt[:, 2] >= 0.003) & (dirt[:, 2] < 0.005)
    area[negative] = -area[negative]
    term = np.where(PERMANENT[use], "Lâu dài",
                    np.where(AGRICULTURAL[use], rng.choice(AG_TERMS, n),
                             _cat("Đến ngày ", rng.integers(1, 29, n), "/", rng.integers(1, 13, n), "/",
                                  rng.integers(2040, 2076, n)))).astype(object)
    hamlet = np.where(profile == 0, _cat("Khu phố ", rng.integers(1, 12, n)), _cat("Ấp ", rng.integers(1, 9, n)))
    street = np.char.add(_str(addresses(rng, n)), ", ").astype(object)
    address = np.where(RESIDENTIAL[use] & (profile == 0), _cat(street, hamlet), hamlet).astype(object)
    lat = wards["latitude"][ward_idx] + rng.normal(0, 0.006, n)
    lon = wards["longitude"][ward_idx] + rng.normal(0, 0.006, n)
    swapped, zero = dirt[:, 3] < 0.005, (dirt[:, 3] >= 0.005) & (dirt[:, 3] < 0.01)
    lat[swapped], lon[swapped] = lon[swapped], lat[swapped].copy()
    lat[zero], lon[zero] = 0.0, 0.0
    return pa.table({
        "id": pa.array(ids, pa.int64()),
        "so_to_ban_do": pa.array(sheet, pa.int32()),
        "so_thua": pa.array(number, pa.int32()),
        "ma_loai_dat": pa.array(code, pa.string()),
        "ten_loai_dat": pa.array(nfd_some(rng, use_name, 0.2), pa.string()),
        "dien_tich": pa.array(area, pa.float64()),
        "thoi_han_su_dung": pa.array(term, pa.string()),
        "dia_chi": pa.array(nfd_some(rng, address, 0.25), pa.string()),
        **{k: pa.array(v, pa.string()) for k, v in ward_columns(rng, ward_idx, wards).items()},
        "vi_do": pa.array(np.round(lat, 6)),
        "kinh_do": pa.array(np.round(lon, 6)),
        "ngay_cap_nhat": pa.array(stamps, pa.timestamp("us")),
    })


def _keyed_later(rng: np.random.Generator, table: pa.Table, end: dt.datetime) -> pa.Table:
    """Second entries are typed in later than the first: a few hours to a few months, never past ``end``."""
    first = table["ngay_cap_nhat"].to_numpy()
    later = first + rng.integers(3_600, 120 * 86_400, table.num_rows).astype("timedelta64[s]")
    stamps = np.minimum(later, np.datetime64(end, "us"))
    return table.set_column(table.schema.get_field_index("ngay_cap_nhat"), "ngay_cap_nhat",
                            pa.array(stamps, pa.timestamp("us")))


def _parcel_duplicates(rng: np.random.Generator, parcels: pa.Table, first_id: int, share: float,
                       end: dt.datetime) -> pa.Table:
    """The same parcel keyed in twice: another id, address in the other Unicode form."""
    return _keyed_later(rng, keyed_twice(parcels, some_rows(rng, parcels.num_rows, share), first_id, "dia_chi"), end)


def _holders(rng: np.random.Generator, n: int, issued_year: np.ndarray, wards: dict) -> dict[str, np.ndarray]:
    """Certificate holders: people (some couples), a few companies; CMND on older certificates."""
    roll = rng.random(n)
    person = names(rng, n)
    spouse = names(rng, n)
    couple = roll < 0.15
    company = roll > 0.97
    holder = np.where(couple, _cat("Ông ", person, " và bà ", spouse), person).astype(object)
    holder[company] = _cat(rng.choice(["Công ty TNHH ", "Công ty Cổ phần Đầu tư "], int(company.sum())),
                           rng.choice(COMPANY_BRANDS, int(company.sum())))
    cccd = citizen_ids(rng, n)
    cmnd = (issued_year < 2016) & (rng.random(n) < 0.4)
    cccd[cmnd] = _cat("02", _digits(rng.integers(0, 10**7, int(cmnd.sum())), 7))
    cccd[company] = None
    home = rng.integers(0, len(wards["ward_code"]), n)
    address = _cat(_str(addresses(rng, n)), ", ", wards["ward_name"][home], ", ", wards["district_name"][home],
                   ", TP. Hồ Chí Minh")
    return {"ten_chu_su_dung": nfd_some(rng, holder, 0.25), "so_cccd": cccd,
            "dia_chi_chu_su_dung": nfd_some(rng, address, 0.25)}


def _serials(rng: np.random.Generator, issued_year: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Printed serial ('CS 123456': series letter by period) and issuance-book entry number."""
    n = len(issued_year)
    first = np.select([issued_year < 2010, issued_year < 2015, issued_year < 2020], ["A", "B", "C"], "D")
    series = np.char.add(first, rng.choice(SERIAL_SECOND, n))
    digits = _digits(rng.integers(0, 10**6, n), 6)
    serial = _cat(series, " ", digits)
    roll = rng.random(n)
    serial[roll < 0.10] = _cat(series, digits)[roll < 0.10]
    lower = (roll >= 0.10) & (roll < 0.12)
    serial[lower] = np.char.lower(_str(serial[lower])).astype(object)
    serial[roll > 0.99] = None
    book = _cat(np.where(issued_year < 2014, "CH", "CS"), _digits(rng.integers(0, 10**5, n), 5))
    return serial, book


def _issuers(issued: np.ndarray, district_name: np.ndarray) -> np.ndarray:
    year = issued.astype("datetime64[Y]").astype(int) + 1970
    month = issued.astype("datetime64[M]").astype(int) % 12 + 1
    district = np.where(district_name == None, "Quận 1", district_name)  # noqa: E711 (element-wise)
    return np.where(year < 2015, _cat("UBND ", district),
                    np.where((year > 2025) | ((year == 2025) & (month >= 3)),
                             "Sở Nông nghiệp và Môi trường TP. Hồ Chí Minh",
                             "Sở Tài nguyên và Môi trường TP. Hồ Chí Minh")).astype(object)


def _future_or_placeholder(rng: np.random.Generator, dates: np.ndarray, share: float) -> np.ndarray:
    """Typed dates: a share a century off (2005 → 2105) or the 1900-01-01 placeholder."""
    out = dates.copy()
    roll = rng.random(len(dates))
    typo = roll < share / 2
    out[typo] = dates[typo] + np.timedelta64(36_524, "D")
    out[(roll >= share / 2) & (roll < share)] = np.datetime64("1900-01-01")
    return out


def _certificates(rng: np.random.Generator, n: int, parcel_ids: np.ndarray, parcel_district: np.ndarray,
                  wards: dict, migrated: dt.datetime, end: dt.datetime) -> pa.Table:
    """Certificates in issue order, 1995 up to ``end``: most parcels one, some re-issued (the old one
    'Đã cấp đổi')."""
    n_first = min(int(n * 0.9), len(parcel_ids))
    first_pos = rng.choice(len(parcel_ids), n_first, replace=False)
    source = rng.integers(0, n_first, n - n_first)  # which first certificate each re-issue replaces
    pos = np.concatenate([first_pos, first_pos[source]])
    years = np.arange(1995, end.year + 1)
    weights = np.interp(years, [1995, 2000, 2005, 2012, 2018, 2025], [1, 4, 8, 8, 5, 3])
    year = rng.choice(years, n_first, p=weights / weights.sum())
    first_issue = (year - 1970).astype("datetime64[Y]").astype("datetime64[D]") + rng.integers(0, 365, n_first)
    first_issue = np.minimum(first_issue, np.datetime64(end.date()) - 30)
    reissue = first_issue[source] + rng.integers(365, 365 * 8, n - n_first)
    issued = np.minimum(np.concatenate([first_issue, reissue]), np.datetime64(end.date()) - 1)
    status = np.where(rng.random(n) < 0.025, CERT_REVOKED, CERT_VALID).astype(object)
    status[np.unique(source)] = CERT_EXCHANGED
    order = np.argsort(issued, kind="stable")  # ids follow issue order
    pos, issued, status = pos[order], issued[order], status[order]
    issued_year = issued.astype("datetime64[Y]").astype(int) + 1970
    changed = (issued.astype("datetime64[us]") + rng.integers(1, 15 * 86_400, n).astype("timedelta64[s]"))
    stamps = np.maximum(changed, timestamps(rng, n, migrated, 30))
    later = status != CERT_VALID  # recalled or exchanged: changed somewhen after the migration
    stamps[later] = np.maximum(stamps[later], timestamps(rng, int(later.sum()), migrated, 900))
    stamps = np.minimum(stamps, np.datetime64(end, "us"))
    serial, book = _serials(rng, issued_year)
    return pa.table({
        "id": pa.array(np.arange(1, n + 1), pa.int64()),
        "so_phat_hanh": pa.array(serial, pa.string()),
        "so_vao_so": pa.array(book, pa.string()),
        "thua_dat_id": pa.array(parcel_ids[pos], pa.int64()),
        **{k: pa.array(v, pa.string()) for k, v in _holders(rng, n, issued_year, wards).items()},
        "ngay_cap": pa.array(_future_or_placeholder(rng, issued, 0.004), pa.date32()),
        "co_quan_cap": pa.array(_issuers(issued, parcel_district[pos]), pa.string()),
        "trang_thai": pa.array(status, pa.string()),
        "ngay_cap_nhat": pa.array(stamps, pa.timestamp("us")),
    })


def _district_class(district_code: np.ndarray) -> np.ndarray:
    return np.where(np.isin(district_code, list(CENTRAL)), 0, np.where(np.isin(district_code, list(SUBURBAN)), 2, 1))


def _declared_values(rng: np.random.Generator, kind: np.ndarray, use_code: np.ndarray, area: np.ndarray,
                     district_code: np.ndarray) -> np.ndarray:
    """Declared value in VND for transfers (area × price) and mortgages (a share of it); ×1000 slips."""
    n = len(kind)
    cls = _district_class(district_code)
    upper = np.char.upper(_str(use_code))
    price = np.where(np.isin(upper, ["ODT", "ONT", "T", "ĐT", "ODT+CLN"]), RESIDENTIAL_PRICE[cls],
                     np.where(np.isin(upper, CODES[AGRICULTURAL].astype(str)), AGRICULTURAL_PRICE[cls],
                              0.6 * RESIDENTIAL_PRICE[cls]))
    size = np.where(np.isnan(area) | (area <= 0), rng.uniform(40, 200, n), area)
    value = size * price * np.exp(rng.normal(0, 0.4, n))
    value = np.where(kind == "Thế chấp", value * rng.uniform(0.4, 0.7, n), value)
    value = np.round(np.minimum(value, 3e13), -6)  # nothing above the Thủ Thiêm auction record
    roll = rng.random(n)
    value = np.where(roll < 0.006, value * 1000, np.where(roll > 0.996, np.round(value / 1000), value))
    out = value.astype(np.int64).astype(object)
    out[~np.isin(kind, list(VALUED))] = None
    return out


def _income_tax(rng: np.random.Generator, kind: np.ndarray, value: np.ndarray) -> np.ndarray:
    """Personal income tax: 2% of a transfer's value; gifts and inheritances exempt (0); some missing."""
    tax = np.full(len(kind), None, dtype=object)
    transfer = (kind == "Chuyển nhượng") & (value != None)  # noqa: E711 (element-wise)
    tax[transfer] = (np.array([v for v in value[transfer]], dtype=np.float64) * 0.02 // 1000 * 1000).astype(np.int64)
    tax[np.isin(kind, ["Tặng cho", "Thừa kế"])] = 0
    tax[rng.random(len(kind)) < 0.05] = None
    return tax


def _offices(rng: np.random.Generator, district_name: np.ndarray) -> np.ndarray:
    """Registration office (the district branch), spelt as each clerk spells it."""
    n = len(district_name)
    district = np.where(district_name == None, rng.choice(["Quận 3", "Quận Gò Vấp"], n),  # noqa: E711
                        district_name)
    roll = rng.random(n)
    office = np.where(roll < 0.15, _cat("CN VPĐKĐĐ ", district),
                      np.where(roll < 0.20, "Văn phòng Đăng ký đất đai TP. Hồ Chí Minh",
                               _cat("Chi nhánh Văn phòng Đăng ký đất đai ", district)))
    return nfd_some(rng, office.astype(object), 0.2)


def _transactions(rng: np.random.Generator, ids: np.ndarray, registered: np.ndarray, parcel_id: np.ndarray,
                  cert_id: np.ndarray, use_code: np.ndarray, area: np.ndarray, district_code: np.ndarray,
                  district_name: np.ndarray, stamps: np.ndarray, with_tax: bool,
                  registered_typed: np.ndarray | None = None) -> pa.Table:
    """Transactions; the dossier number carries the true date, the date column may carry a typo."""
    n = len(ids)
    kind = rng.choice(TX_TYPES, n, p=TX_WEIGHTS / TX_WEIGHTS.sum()).astype(object)
    value = _declared_values(rng, kind, use_code, area, district_code)
    bank = np.isin(kind, list(TO_BANK))
    party = nfd_some(rng, np.where(bank, rng.choice(BANKS, n), names(rng, n)).astype(object), 0.25)
    party_id = citizen_ids(rng, n)
    party_id[bank] = None
    dossier = _cat("HS-", np.char.replace(_str(registered.astype("datetime64[D]")), "-", ""), "-",
                   _digits(ids, 7))
    cols = {
        "id": pa.array(ids, pa.int64()),
        "so_ho_so": pa.array(dossier, pa.string()),
        "thua_dat_id": pa.array(parcel_id, pa.int64()),
        "giay_chung_nhan_id": pa.array(cert_id, pa.int64()),
        "loai_giao_dich": pa.array(kind, pa.string()),
        "ngay_dang_ky": pa.array(registered if registered_typed is None else registered_typed, pa.date32()),
        "gia_tri_khai_bao": pa.array(value, pa.int64()),
        "ten_ben_nhan": pa.array(party, pa.string()),
        "so_cccd_ben_nhan": pa.array(party_id, pa.string()),
        "co_quan_dang_ky": pa.array(_offices(rng, district_name), pa.string()),
        "ngay_cap_nhat": pa.array(stamps, pa.timestamp("us")),
    }
    if with_tax:
        cols["thue_tncn"] = pa.array(_income_tax(rng, kind, value), pa.int64())
    return pa.table(cols)


def _initial_transactions(rng: np.random.Generator, n: int, parcels: pa.Table, certs: pa.Table,
                          migrated: dt.datetime, end: dt.datetime) -> pa.Table:
    """Registered over ``TRANSACTION_DAYS`` up to three days before ``end``, in date order; 1% on parcels
    the register does not hold."""
    n_parcels = parcels.num_rows
    cert_of = np.zeros(n_parcels + 1, dtype=np.int64)
    cert_of[certs["thua_dat_id"].to_numpy()] = certs["id"].to_numpy()  # the latest certificate wins
    with_cert = np.flatnonzero(cert_of[1:]) + 1
    parcel = rng.choice(with_cert, n)
    cert = cert_of[parcel].astype(object)
    cert[rng.random(n) < 0.02] = None
    first = np.datetime64(end.date()) - 2 - TRANSACTION_DAYS
    registered = np.sort(first + rng.integers(0, TRANSACTION_DAYS, n))
    stamps = np.maximum(registered.astype("datetime64[us]") + rng.integers(7_200, 72 * 3_600, n).astype(
        "timedelta64[s]"), timestamps(rng, n, migrated, 30))
    idx = parcel - 1
    districts = parcels["ma_quan"].to_numpy(zero_copy_only=False)
    table = _transactions(rng, np.arange(1, n + 1), registered, parcel, cert,
                          parcels["ma_loai_dat"].to_numpy(zero_copy_only=False)[idx],
                          parcels["dien_tich"].to_numpy()[idx], districts[idx],
                          parcels["ten_quan"].to_numpy(zero_copy_only=False)[idx], stamps, with_tax=False,
                          registered_typed=_future_or_placeholder(rng, registered, 0.002))
    unknown = rng.random(n) < 0.01
    parcel_col = np.where(unknown, UNKNOWN_PARCEL_BASE + rng.integers(1, 10**6, n), parcel)
    return table.set_column(2, "thua_dat_id", pa.array(parcel_col, pa.int64()))


def _transaction_duplicates(rng: np.random.Generator, tx: pa.Table, first_id: int, share: float,
                            end: dt.datetime) -> pa.Table:
    """A registration keyed twice, later: same dossier number, another id."""
    return _keyed_later(rng, keyed_twice(tx, some_rows(rng, tx.num_rows, share), first_id), end)


def _run_script(conn, sql: str) -> None:
    """Run a ;-separated script statement by statement (PyMySQL sends one at a time)."""
    with conn.cursor() as cur:
        for statement in re.split(r";\s*$", sql, flags=re.MULTILINE):
            code = "\n".join(line for line in statement.splitlines() if not line.strip().startswith("--"))
            if code.strip():
                cur.execute(statement)


def _scalar(conn, sql: str, args=None):
    with conn.cursor() as cur:
        cur.execute(sql, args)
        return cur.fetchone()


def _clock(conn, now: dt.datetime | None) -> dt.datetime:
    """``now`` when given (aware, or naive = UTC), else the server clock; naive UTC as DATETIME holds it."""
    if now is None:
        return _scalar(conn, "SELECT UTC_TIMESTAMP(6)")[0]
    return now.astimezone(dt.UTC).replace(tzinfo=None) if now.tzinfo else now


def create(dsn: str, scale: float, seed: int, force: bool = False, *, now: dt.datetime | None = None) -> dict:
    """(Re)build the register's tables in the DSN's database. Same scale and seed there → no-op.

    The register ends at the start of the current UTC day, or of ``now``'s UTC day when given (builds
    made on different days compare equal with the same ``now``)."""
    conn = mariadb.connect(dsn)
    try:
        if kept := already_built(mysql_state(conn), scale, seed, force):
            return kept
        end = dt.datetime.combine(_clock(conn, now).date(), dt.time())
        migrated = end - dt.timedelta(days=MIGRATED_DAYS)
        with conn.cursor() as cur:
            cur.execute(f"DROP TABLE IF EXISTS {', '.join(TABLES)}")
        _run_script(conn, SCHEMA_SQL.read_text())
        rng = np.random.default_rng(seed)
        wards = _wards()
        n_parcels = max(200, int(PARCELS_PER_SCALE * scale))
        n_certs = max(160, int(CERTIFICATES_PER_SCALE * scale))
        n_tx = max(90, int(TRANSACTIONS_PER_SCALE * scale))
        parcels = _parcels(rng, np.arange(1, n_parcels + 1), wards, timestamps(rng, n_parcels, migrated, 900))
        parcels = pa.concat_tables([parcels, _parcel_duplicates(rng, parcels, n_parcels + 1, 0.015, end)])
        load_mysql(conn, "thua_dat", parcels)
        certs = _certificates(rng, n_certs, np.arange(1, n_parcels + 1),
                              parcels["ten_quan"].to_numpy(zero_copy_only=False)[:n_parcels], wards, migrated, end)
        load_mysql(conn, "giay_chung_nhan", certs)
        tx = _initial_transactions(rng, n_tx, parcels.slice(0, n_parcels), certs, migrated, end)
        tx = pa.concat_tables([tx, _transaction_duplicates(rng, tx, n_tx + 1, 0.005, end)])
        load_mysql(conn, "giao_dich", tx)
        with conn.cursor() as cur:
            cur.execute("CREATE TABLE _generator_state (id TINYINT PRIMARY KEY, scale DOUBLE, seed BIGINT, step INT)")
            cur.execute("INSERT INTO _generator_state VALUES (1, %s, %s, 0)", (scale, seed))
            cur.execute("ANALYZE TABLE thua_dat, giay_chung_nhan, giao_dich")
            cur.fetchall()
    finally:
        conn.close()
    return {"created": True, "thua_dat": parcels.num_rows, "giay_chung_nhan": certs.num_rows,
            "giao_dich": tx.num_rows, "step": 0}


def _fetch(conn, sql: str, args=None) -> list[tuple]:
    with conn.cursor() as cur:
        cur.execute(sql, args)
        return list(cur.fetchall())


def _ids(values) -> str:
    """An SQL id list from integers the generator chose (never user input)."""
    return ", ".join(str(int(v)) for v in values) or "NULL"


def _stamps(rng: np.random.Generator, n: int, now: dt.datetime, latest: dt.datetime) -> np.ndarray:
    """Commit times of new rows: now, or for ~20% an hour before what was already there (late)."""
    late = np.datetime64(latest - dt.timedelta(hours=1), "us")
    return np.where(rng.random(n) < 0.2, late, np.datetime64(now, "us"))


def _split_parcels(conn, rng: np.random.Generator, wards: dict, n_parcels: int, next_id: int,
                   now: dt.datetime, latest: dt.datetime) -> pa.Table:
    """Tách thửa: a share r of some parcels becomes a new parcel on the same sheet; parents shrink."""
    want = max(1, n_parcels // 3000)
    cand = rng.choice(n_parcels, want * 2, replace=False) + 1
    rows = _fetch(conn, f"SELECT id, ma_phuong, ten_phuong, ma_quan, so_to_ban_do, dien_tich FROM thua_dat "
                        f"WHERE id IN ({_ids(cand)}) AND ma_phuong IS NOT NULL AND dien_tich > 200 ORDER BY id")
    rows = rows[:want]
    if not rows:
        return pa.table({})
    ratio = float(np.round(rng.uniform(0.25, 0.5), 2))
    code_pos = {c: i for i, c in enumerate(wards["ward_code"])}
    ward_idx = np.array([code_pos.get(r[1], 0) for r in rows])
    ids = np.arange(next_id, next_id + len(rows))
    children = _parcels(rng, ids, wards, _stamps(rng, len(rows), now, latest), ward_idx=ward_idx,
                        sheet=np.array([r[4] or 1 for r in rows]), number=1000 + ids % 9000)
    area = np.round(np.array([float(r[5]) for r in rows]) * ratio, 1)
    children = children.set_column(children.schema.get_field_index("dien_tich"), "dien_tich", pa.array(area))
    with conn.cursor() as cur:
        cur.execute(f"UPDATE thua_dat SET dien_tich = dien_tich - ROUND(dien_tich * {ratio}, 1), "
                    f"ngay_cap_nhat = %s WHERE id IN ({_ids(r[0] for r in rows)})", (now,))
    load_mysql(conn, "thua_dat", children)
    return children


def advance(dsn: str, step: int | None = None, *, now: dt.datetime | None = None) -> dict:
    """Apply one day of registrations, today by the server clock (or ``now``): splits, conversions,
    transactions, certificates, cancellations."""
    conn = mariadb.connect(dsn)
    try:
        state = mysql_state(conn)
        if (step := pending_step(state, step, "the land register")) is None:
            return {"advanced": False, "step": state[2]}
        _, seed, _ = state
        rng = np.random.default_rng([seed, step])
        now = _clock(conn, now)
        today = np.datetime64(now.date())
        schema_changed = step >= 2 and not _scalar(
            conn, "SELECT COUNT(*) FROM information_schema.columns WHERE table_schema = DATABASE() "
                  "AND table_name = 'giao_dich' AND column_name = 'thue_tncn'")[0]
        if schema_changed:
            with conn.cursor() as cur:
                cur.execute("ALTER TABLE giao_dich ADD COLUMN thue_tncn DECIMAL(20,0) NULL "
                            "COMMENT 'personal income tax paid, VND' AFTER gia_tri_khai_bao")
        with_tax = step >= 2
        wards = _wards()
        max_parcel, latest_parcel = _scalar(conn, "SELECT MAX(id), MAX(ngay_cap_nhat) FROM thua_dat")
        max_cert, latest_cert = _scalar(conn, "SELECT MAX(id), MAX(ngay_cap_nhat) FROM giay_chung_nhan")
        max_tx, latest_tx = _scalar(conn, "SELECT MAX(id), MAX(ngay_cap_nhat) FROM giao_dich")
        result = {"advanced": True, "step": step, "schema_change": "giao_dich.thue_tncn" if schema_changed else None}

        # parcels: splits, and agricultural land converted to residential (chuyển mục đích)
        children = _split_parcels(conn, rng, wards, max_parcel, max_parcel + 1, now, latest_parcel)
        convert = rng.choice(max_parcel, max(1, max_parcel // 2000), replace=False) + 1
        with conn.cursor() as cur:
            converted = cur.execute(
                "UPDATE thua_dat SET ma_loai_dat = IF(ten_phuong LIKE 'Phường%%', 'ODT', 'ONT'), "
                "ten_loai_dat = IF(ten_phuong LIKE 'Phường%%', 'Đất ở tại đô thị', 'Đất ở tại nông thôn'), "
                "thoi_han_su_dung = 'Lâu dài', ngay_cap_nhat = %s "
                f"WHERE id IN ({_ids(convert)}) AND ma_loai_dat IN ('CLN', 'BHK', 'LUK')", (now,))
        result["parcels_split"] = children.num_rows
        result["parcels_converted"] = converted

        # transactions on valid certificates; transfers get a new certificate, the old one recalled
        n_new = max(3, max_tx // 500)
        cand = rng.choice(max_cert, min(max_cert, n_new * 2), replace=False) + 1
        rows = _fetch(conn, "SELECT g.id, g.thua_dat_id, t.ma_loai_dat, t.dien_tich, t.ma_quan, t.ten_quan "
                            "FROM giay_chung_nhan g LEFT JOIN thua_dat t ON t.id = g.thua_dat_id "
                            f"WHERE g.id IN ({_ids(cand)}) AND g.trang_thai = %s ORDER BY g.id",
                            (CERT_VALID,))[:n_new]
        cols = list(zip(*rows)) if rows else [()] * 6
        k = len(rows)
        tx = _transactions(
            rng, np.arange(max_tx + 1, max_tx + k + 1), np.full(k, today), np.array(cols[1], dtype=np.int64),
            np.array(cols[0], dtype=np.int64), np.array(cols[2], dtype=object),
            np.array([np.nan if a is None else float(a) for a in cols[3]]), np.array(cols[4], dtype=object),
            np.array(cols[5], dtype=object), _stamps(rng, k, now, latest_tx), with_tax)
        load_mysql(conn, "giao_dich", tx)
        result["transactions_added"] = k

        transfers = tx.filter(pc.is_in(tx["loai_giao_dich"], pa.array(["Chuyển nhượng", "Tặng cho",
                                                                               "Thừa kế"])))
        issued = transfers.filter(pa.array(rng.random(transfers.num_rows) < 0.6))
        new_certs = _new_certificates(rng, issued, children, max_cert + 1, today, wards,
                                      _stamps(rng, issued.num_rows + children.num_rows, now, latest_cert))
        with conn.cursor() as cur:
            if issued.num_rows:
                cur.execute(f"UPDATE giay_chung_nhan SET trang_thai = %s, ngay_cap_nhat = %s "
                            f"WHERE id IN ({_ids(issued['giay_chung_nhan_id'].to_pylist())})", (CERT_REVOKED, now))
            exchange = rng.choice(max_cert, max(1, max_cert // 5000), replace=False) + 1
            exchanged = cur.execute(f"UPDATE giay_chung_nhan SET trang_thai = %s, ngay_cap_nhat = %s "
                                    f"WHERE id IN ({_ids(exchange)}) AND trang_thai = %s",
                                    (CERT_EXCHANGED, now, CERT_VALID))
        load_mysql(conn, "giay_chung_nhan", new_certs)
        result["certificates_issued"] = new_certs.num_rows
        result["certificates_exchanged"] = exchanged

        # corrections: a clerk fixes ×1000 slips and the office name on older registrations
        fix = rng.choice(max_tx, max(1, max_tx // 1000), replace=False) + 1
        tax_sql = ", thue_tncn = IF(loai_giao_dich = 'Chuyển nhượng', ROUND(gia_tri_khai_bao * 0.02, -3), " \
                  "IF(loai_giao_dich IN ('Tặng cho', 'Thừa kế'), 0, NULL))" if with_tax else ""
        with conn.cursor() as cur:
            cur.execute("UPDATE giao_dich SET gia_tri_khai_bao = IF(gia_tri_khai_bao > 5e13, "
                        "gia_tri_khai_bao DIV 1000, gia_tri_khai_bao), "
                        "co_quan_dang_ky = REPLACE(co_quan_dang_ky, 'CN VPĐKĐĐ', 'Chi nhánh Văn phòng Đăng ký đất đai')"
                        f"{tax_sql}, ngay_cap_nhat = %s WHERE id IN ({_ids(fix)})", (now,))
            result["transactions_corrected"] = cur.rowcount
            # cancelled registrations (hồ sơ bị hủy) are deleted outright: recent ones, keyed in before today's
            recent = sorted(r[0] for r in _fetch(conn, "SELECT id FROM giao_dich WHERE id <= %s ORDER BY id DESC "
                                                       "LIMIT %s", (max_tx, max(50, n_new * 5))))
            cancel = rng.choice(recent, min(len(recent), max(2, n_new // 50)), replace=False) if recent else []
            result["transactions_deleted"] = cur.execute(f"DELETE FROM giao_dich WHERE id IN ({_ids(cancel)})")
            cur.execute("UPDATE _generator_state SET step = %s", (step,))
    finally:
        conn.close()
    return result


def _new_certificates(rng: np.random.Generator, transfers: pa.Table, children: pa.Table, first_id: int,
                      today: np.datetime64, wards: dict, stamps: np.ndarray) -> pa.Table:
    """Certificates issued today: to the receiving party of a transfer, and for each split-off parcel."""
    n_tx, n_child = transfers.num_rows, children.num_rows
    n = n_tx + n_child
    parcel = np.concatenate([transfers["thua_dat_id"].to_numpy(), children["id"].to_numpy()
                             if n_child else np.array([], dtype=np.int64)])
    year = np.full(n, today.astype("datetime64[Y]").astype(int) + 1970)
    holders = _holders(rng, n, year, wards)
    holders["ten_chu_su_dung"][:n_tx] = transfers["ten_ben_nhan"].to_numpy(zero_copy_only=False)
    holders["so_cccd"][:n_tx] = transfers["so_cccd_ben_nhan"].to_numpy(zero_copy_only=False)
    serial, book = _serials(rng, year)
    issued = np.full(n, today)
    return pa.table({
        "id": pa.array(np.arange(first_id, first_id + n), pa.int64()),
        "so_phat_hanh": pa.array(serial, pa.string()),
        "so_vao_so": pa.array(book, pa.string()),
        "thua_dat_id": pa.array(parcel, pa.int64()),
        **{k: pa.array(v, pa.string()) for k, v in holders.items()},
        "ngay_cap": pa.array(issued, pa.date32()),
        "co_quan_cap": pa.array(_issuers(issued, np.full(n, None, dtype=object)), pa.string()),
        "trang_thai": pa.array(np.full(n, CERT_VALID, dtype=object), pa.string()),
        "ngay_cap_nhat": pa.array(stamps, pa.timestamp("us")),
    })
