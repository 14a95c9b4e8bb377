"""A deterministic register of the City Inspectorate's conclusions (Thanh tra Thành phố) since 2016,
with the dirt real ones have.

``create`` fills ``thanhtra.ket_luan`` (inspection conclusions, January 2016 up to the start of the
current UTC day, or of ``now``'s day when given) and ``thanhtra.kien_nghi`` (their recommendations,
~2.9 per conclusion) at a scale (1.0 = 8,000 conclusions), as they stand at the end of yesterday.
``advance`` is one business day, today by the database clock (or ``now``): money is recovered bit by
bit, other recommendations are carried out, deadlines pass, a few conclusions are corrected and new
ones are signed today. On step 2 the register gains ``kien_nghi.so_quyet_dinh_xu_ly`` (the number of
the decision that acted on a recommendation), filled for the rows touched from then on. Same seed,
scale, step and day, same data; only ``ngay_cap_nhat`` follows the clock in ``advance`` so the
extractor's watermark moves.

No personal data: inspected bodies are agencies, public units and enterprises, and recommendations
speak of "the collectives and individuals concerned", never of a named person.

The dirt, on purpose: conclusions keyed in twice (same number and date, name in the other Unicode
form), findings and names in NFC or NFD, missing sectors and sectors in other spellings, dates
before 2016 (wrong year, 1900-01-01 placeholders), negative and missing amounts, more recovered than
was to be recovered (a typo's extra zero included), malformed conclusion numbers, missing wards,
wards given by name only, and rows committed late.
"""
from __future__ import annotations

import datetime as dt
from pathlib import Path

import numpy as np
import psycopg
import pyarrow as pa

from ingestion.reference.admin_units import legacy_wards, ward_mapping_2025
from ingestion.reference.agencies import DEPARTMENTS
from simulators.departments.common import (
    already_built,
    arrow_table,
    arrow_table_with_stamps,
    copy_pg,
    end_of_day,
    nfd_some,
    pending_step,
    pg_clock,
    pg_init_state,
    pg_recreate_schema,
    pg_schema_change,
    pg_set_step,
    pg_state,
    saved_stamps,
    utc_day,
    ward_arrays,
)
from simulators.departments.dirt import other_form, some_rows, ward_columns

SCHEMA = "thanhtra"
SCHEMA_SQL = Path(__file__).with_name("schema.sql")
CONCLUSIONS_PER_SCALE = 8_000
FIRST_DAY = np.datetime64("2016-01-01")  # create() holds conclusions from here up to yesterday (UTC)
REORGANISED = np.datetime64("2025-07-01")  # two-tier government: wards report to the city directly
DAY_SECONDS = 86_400

TYPES = ["Theo kế hoạch", "Đột xuất", "Chuyên đề"]
TYPE_WEIGHTS = [60, 25, 15]
# sector, weight, share with land to recover, amount multiplier, scope of the inspection, findings
SECTORS = [
    ("Đất đai", 18, 0.6, 4.0, "công tác quản lý, sử dụng đất",
     ["giao đất, cho thuê đất không đúng thẩm quyền", "chậm thu tiền sử dụng đất", "sử dụng đất sai mục đích",
      "để đất hoang hóa, chậm đưa vào sử dụng", "chuyển nhượng quyền sử dụng đất không đúng quy định"]),
    ("Xây dựng", 14, 0.3, 1.5, "công tác quản lý trật tự xây dựng và cấp phép xây dựng",
     ["cấp giấy phép xây dựng sai quy định", "nghiệm thu, thanh toán khối lượng không đúng thực tế",
      "buông lỏng quản lý để xảy ra xây dựng sai phép", "chậm xử lý công trình vi phạm trật tự xây dựng"]),
    ("Tài chính ngân sách", 16, 0.0, 1.0, "việc quản lý, sử dụng ngân sách nhà nước",
     ["chi sai chế độ, định mức", "quyết toán kinh phí không đúng quy định",
      "sử dụng kinh phí không đúng mục đích", "quản lý tài sản công chưa chặt chẽ"]),
    ("Đầu tư công", 14, 0.25, 3.0, "việc quản lý, thực hiện các dự án đầu tư công",
     ["chậm giải ngân vốn đầu tư công", "điều chỉnh dự án không đúng thẩm quyền",
      "tổ chức lựa chọn nhà thầu không đúng quy định", "phê duyệt dự toán vượt định mức"]),
    ("Giáo dục", 8, 0.0, 0.3, "việc thu, chi và quản lý tài chính trong các cơ sở giáo dục",
     ["thu các khoản ngoài quy định", "tổ chức dạy thêm, học thêm không đúng quy định",
      "sử dụng nguồn thu học phí chưa đúng quy định"]),
    ("Y tế", 8, 0.0, 0.8, "công tác mua sắm trang thiết bị, vật tư y tế và đấu thầu thuốc",
     ["mua sắm trang thiết bị y tế với giá cao hơn giá thị trường", "đấu thầu thuốc không đúng quy định",
      "thanh toán chi phí khám chữa bệnh bảo hiểm y tế sai quy định"]),
    ("Phòng chống tham nhũng", 12, 0.0, 0.5, "việc thực hiện các quy định pháp luật về phòng, chống tham nhũng",
     ["chưa thực hiện kê khai tài sản, thu nhập đầy đủ", "chưa công khai, minh bạch hoạt động theo quy định",
      "chưa thực hiện chuyển đổi vị trí công tác định kỳ", "chưa xây dựng quy tắc ứng xử của cán bộ, công chức"]),
    ("Môi trường", 5, 0.1, 1.0, "việc chấp hành pháp luật về bảo vệ môi trường",
     ["xả nước thải vượt quy chuẩn cho phép", "chưa thực hiện đánh giá tác động môi trường",
      "thu gom, xử lý chất thải rắn không đúng quy định"]),
    ("Quản lý vốn nhà nước tại doanh nghiệp", 5, 0.3, 2.0, "việc quản lý, sử dụng vốn và tài sản nhà nước",
     ["cổ phần hóa không đúng quy định", "góp vốn, liên doanh gây thất thoát vốn nhà nước",
      "cho thuê mặt bằng nhà đất công không qua đấu giá"]),
]
SECTOR_SPELLINGS = {"Tài chính ngân sách": "Tài chính - Ngân sách", "Phòng chống tham nhũng": "PCTN",
                    "Đầu tư công": "Đầu tư XDCB"}  # older spellings still in use
# inspected body by sector: department, ward committee, public unit, state enterprise, private enterprise
KIND_WEIGHTS = np.array([[15, 45, 15, 5, 20], [20, 40, 25, 0, 15], [30, 30, 35, 5, 0], [20, 30, 45, 5, 0],
                         [15, 10, 75, 0, 0], [15, 5, 75, 0, 5], [35, 40, 25, 0, 0], [10, 15, 5, 10, 60],
                         [5, 0, 0, 95, 0]], dtype=float)
SECTOR_DEPARTMENTS = [["SNNMT"], ["SXD", "SQHKT"], [], [], ["SGDĐT"], ["SYT"], [], ["SNNMT"], ["STC"]]
INSPECTABLE = [d for d in DEPARTMENTS if d[0] not in ("TTTP", "CA-TP", "BHXH-TP", "CT-TP")]
DEPARTMENT_NAMES = {code: name for code, name, _ in DEPARTMENTS}
PUBLIC_UNITS = [["Trung tâm Phát triển quỹ đất", "Ban Bồi thường, giải phóng mặt bằng"],
                ["Ban Quản lý dự án đầu tư xây dựng khu vực", "Đội Thanh tra địa bàn"],
                ["Trung tâm Văn hóa - Thể thao", "Ban Quản lý chợ", "Trung tâm Dịch vụ nông nghiệp"],
                ["Ban Quản lý dự án đầu tư xây dựng khu vực", "Ban Quản lý dự án đầu tư xây dựng công trình"],
                ["Trường Trung học phổ thông", "Trường Trung học cơ sở", "Trường Tiểu học", "Trường Mầm non"],
                ["Bệnh viện", "Trung tâm Y tế"],
                ["Trung tâm Văn hóa - Thể thao", "Trung tâm Giáo dục nghề nghiệp - Giáo dục thường xuyên"],
                ["Ban Quản lý khu công nghiệp"], ["Ban Quản lý dự án"]]
SCHOOL_NAMESAKES = ["Lê Quý Đôn", "Nguyễn Du", "Trần Phú", "Nguyễn Trãi", "Lê Lợi", "Võ Thị Sáu", "Nguyễn Hiền",
                    "Chu Văn An", "Lương Thế Vinh", "Nguyễn Khuyến", "Trần Quốc Toản", "Kim Đồng"]
BRANDS = ["Phú Gia Thịnh", "Tân Đại Phát", "Hưng Long Phát", "Sao Nam Việt", "Minh Khang Land", "Thịnh Vượng Xanh",
          "An Phú Hưng", "Kim Long Phát", "Đại Tín Thành", "Hòa Bình Xanh", "Nam Thiên Lộc", "Vạn Xuân Phát",
          "Trường Hải An", "Bảo Ngọc Châu", "Phước Lộc Thọ", "Đông Nam Á Châu"]
PRIVATE_KINDS = ["Công ty TNHH", "Công ty Cổ phần", "Công ty Cổ phần Đầu tư", "Công ty TNHH Xây dựng",
                 "Công ty Cổ phần Bất động sản", "Công ty TNHH Sản xuất Thương mại"]
STATE_KINDS = ["Công ty TNHH MTV Dịch vụ công ích", "Tổng Công ty", "Công ty TNHH MTV Phát triển"]

MONEY, LAND, DISCIPLINE, INVESTIGATION, RECTIFY = range(5)
REC_TYPES = ["Thu hồi tiền", "Thu hồi đất", "Xử lý kỷ luật", "Chuyển cơ quan điều tra", "Chấn chỉnh"]
REC_DEADLINES = [[60, 90], [90, 180], [30, 60], [15, 30], [30, 60, 90]]
NOT_STARTED, IN_PROGRESS, DONE, OVERDUE = "Chưa thực hiện", "Đang thực hiện", "Đã thực hiện", "Quá hạn"
DISCIPLINE_TEXT = ["Tổ chức kiểm điểm, xử lý trách nhiệm đối với các tập thể, cá nhân có liên quan đến sai phạm",
                   "Kiểm điểm trách nhiệm người đứng đầu và các cá nhân có liên quan",
                   "Xem xét, xử lý kỷ luật theo thẩm quyền đối với tập thể, cá nhân có sai phạm"]
RECTIFY_TEXT = ["Chấn chỉnh, khắc phục những thiếu sót trong", "Rà soát, hoàn thiện quy chế nội bộ về",
                "Tăng cường kiểm tra, giám sát"]
# nullable numbers the columns hold as Python objects (None = not reported)
NUMBER_TYPES = {"dien_tich_dat_kien_nghi_thu_hoi": pa.float64(), "dien_tich_dat": pa.float64(),
                **dict.fromkeys(("so_tien_kien_nghi_thu_hoi", "so_tien", "so_tien_da_thu_hoi", "so_tien_vi_pham"),
                                pa.int64())}


def _ward_table() -> dict[str, np.ndarray]:
    """Pre-2025 wards as arrays, with each ward's 2025 successor (code and name)."""
    wards = legacy_wards()
    mapping = ward_mapping_2025(("79",)).to_pydict()
    new = {old: (code, name) for old, code, name in
           zip(mapping["old_ward_code"], mapping["ward_code_2025"], mapping["ward_name_2025"])}
    table = ward_arrays()
    table["code_2025"] = np.array([new[w["ward_code"]][0] for w in wards], dtype=object)
    table["name_2025"] = np.array([new[w["ward_code"]][1] for w in wards], dtype=object)
    return table


def _vnd(amount: int) -> str:
    """1234567 → '1.234.567' (Vietnamese thousands separator)."""
    return f"{amount:,}".replace(",", ".")


def _m2(area: float) -> str:
    """1234.5 → '1.234,5' (Vietnamese separators)."""
    return f"{area:,.1f}".replace(",", " ").replace(".", ",").replace(" ", ".")


def _inspected(rng: np.random.Generator, sector: np.ndarray, concluded: np.ndarray,
               wards: dict[str, np.ndarray]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Name, agency code and ward index of the inspected body of each conclusion."""
    n = len(sector)
    cumulative = np.cumsum(KIND_WEIGHTS / KIND_WEIGHTS.sum(axis=1, keepdims=True), axis=1)
    kind = np.minimum((rng.random(n)[:, None] > cumulative[sector]).sum(axis=1), 4)
    ward = rng.integers(0, len(wards["ward_code"]), n)
    central = np.flatnonzero(np.isin(wards["district_code"], ["760", "770"]))  # Quận 1, Quận 3
    after = concluded >= REORGANISED
    name = np.empty(n, dtype=object)
    code = np.full(n, None, dtype=object)
    district, ward_name = wards["district_name"][ward], wards["ward_name"][ward]
    for i in np.flatnonzero(kind == 0):
        pool = SECTOR_DEPARTMENTS[sector[i]]
        code[i] = pool[rng.integers(len(pool))] if pool else INSPECTABLE[rng.integers(len(INSPECTABLE))][0]
        name[i] = DEPARTMENT_NAMES[code[i]]
        ward[i] = central[rng.integers(len(central))]
    local = np.flatnonzero(kind == 1)
    whole_district = rng.random(n) < 0.5
    for i in local:
        if after[i]:
            name[i] = f"Ủy ban nhân dân {wards['name_2025'][ward[i]]}"
            code[i] = f"UBND-{wards['code_2025'][ward[i]]}"
        else:
            name[i] = f"Ủy ban nhân dân {district[i]}" if whole_district[i] else \
                f"Ủy ban nhân dân {ward_name[i]}, {district[i]}"
    namesake = rng.choice(SCHOOL_NAMESAKES, n)
    for i in np.flatnonzero(kind == 2):
        units = PUBLIC_UNITS[sector[i]]
        unit = units[rng.integers(len(units))]
        name[i] = f"{unit} {namesake[i]}, {district[i]}" if unit.startswith("Trường") else f"{unit} {district[i]}"
    brand = rng.choice(BRANDS, n)
    for i in np.flatnonzero(kind == 3):
        state = STATE_KINDS[rng.integers(len(STATE_KINDS))]
        name[i] = f"{state} {district[i] if state.endswith('công ích') else brand[i]}"
    for i in np.flatnonzero(kind == 4):
        name[i] = f"{PRIVATE_KINDS[rng.integers(len(PRIVATE_KINDS))]} {brand[i]}"
    return name, code, ward


def _conclusions(rng: np.random.Generator, ids: np.ndarray, concluded: np.ndarray, seq_offset: int,
                 wards: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """Conclusions signed on ``concluded`` (sorted), numbered per year from ``seq_offset + 1``."""
    n = len(ids)
    weights = np.array([s[1] for s in SECTORS], dtype=float)
    sector = rng.choice(len(SECTORS), n, p=weights / weights.sum())
    kind = rng.choice(3, n, p=np.array(TYPE_WEIGHTS) / sum(TYPE_WEIGHTS))
    name, code, ward = _inspected(rng, sector, concluded, wards)
    year = concluded.astype("datetime64[Y]").astype(int) + 1970
    seq = np.arange(n) - np.searchsorted(year, year, side="left") + 1 + seq_offset
    number = np.array([f"{s}/KL-TTTP" for s in seq], dtype=object)
    # money and land
    violated = rng.random(n) < 0.72
    multiplier = np.array([s[3] for s in SECTORS])[sector]
    violation = np.where(violated, np.round(rng.lognormal(np.log(1.5e9), 1.6, n) * multiplier, -3), 0).astype(np.int64)
    recover = np.round(violation * rng.uniform(0.15, 0.9, n), -3).astype(np.int64)
    land_share = np.array([s[2] for s in SECTORS])[sector]
    land = np.where(violated & (rng.random(n) < land_share), np.round(rng.lognormal(np.log(3000), 1.3, n), 1), 0.0)
    # findings text
    findings = [SECTORS[s][5] for s in sector]
    picks = rng.integers(0, 100, (n, 2))
    start = year - rng.integers(1, 4, n)
    summary = np.array([
        f"Thanh tra {SECTORS[s][4]} tại {who}, {f'thời kỳ {y0}–{y1}' if y0 < y1 else f'năm {y1}'}. Kết luận: "
        + (f"{f[a % len(f)]}; {f[(a + 1 + b % (len(f) - 1)) % len(f)]}. Tổng số tiền sai phạm {_vnd(int(v))} đồng"
           + (f", diện tích đất sai phạm {_m2(lnd)} m²." if lnd else ".") if ok
           else f"cơ bản chấp hành đúng quy định; còn thiếu sót trong {SECTORS[s][4]}.")
        for s, who, y0, y1, f, (a, b), v, lnd, ok in
        zip(sector, name, start, year - 1, findings, picks, violation, land, violated)], dtype=object)
    ward_cols = ward_columns(rng, ward, wards)
    sector_text = np.array([s[0] for s in SECTORS], dtype=object)[sector]
    roll = rng.random((n, 4))
    sector_text[roll[:, 0] < 0.03] = None
    respelled = (roll[:, 0] > 0.985) & np.isin(sector_text, list(SECTOR_SPELLINGS))
    sector_text[respelled] = [SECTOR_SPELLINGS[s] for s in sector_text[respelled]]
    bad_number = roll[:, 1] < 0.01
    number[bad_number] = [rng.choice([s.replace("KL-TTTP", "KL-TTr"), s.replace("/", " /"), f"KL{s}"])
                          for s in number[bad_number]]
    negative = roll[:, 2] < 0.005
    violation[negative] = -violation[negative]
    recover[negative & (roll[:, 3] < 0.5)] *= -1
    missing = roll[:, 2] > 0.99
    recover_out = np.where(missing, None, recover).astype(object)
    return {
        "id": ids, "so_ket_luan": number, "ngay_ket_luan": concluded,
        "loai_thanh_tra": np.array(TYPES, dtype=object)[kind], "linh_vuc": sector_text,
        "doi_tuong_thanh_tra": nfd_some(rng, name, 0.25), "ma_co_quan_duoc_thanh_tra": code,
        "tom_tat_ket_luan": nfd_some(rng, summary, 0.25),
        "so_tien_vi_pham": violation, "so_tien_kien_nghi_thu_hoi": recover_out,
        "dien_tich_dat_kien_nghi_thu_hoi": land, **ward_cols,
        "_sector": sector, "_recover": recover, "_violated": violated,
    }


def _recommendations(rng: np.random.Generator, conclusions: dict[str, np.ndarray], today: np.datetime64,
                     first_id: int) -> dict[str, np.ndarray]:
    """~2.9 recommendations per conclusion and how far each has been carried out by ``today``."""
    n = len(conclusions["id"])
    recover, land, violated = conclusions["_recover"], conclusions["dien_tich_dat_kien_nghi_thu_hoi"], \
        conclusions["_violated"]
    roll = rng.random((n, 4))
    wanted = [
        (MONEY, recover != 0),
        (LAND, land > 0),
        (DISCIPLINE, roll[:, 0] < np.where(violated, 0.6, 0.25)),
        (INVESTIGATION, roll[:, 1] < np.where(np.abs(recover) > 5e9, 0.25, 0.01)),
        (RECTIFY, roll[:, 2] < 0.95),
        (RECTIFY, roll[:, 3] < 0.5),
    ]
    owner = np.concatenate([np.flatnonzero(mask) for _, mask in wanted])
    rtype = np.concatenate([np.full(mask.sum(), t) for t, mask in wanted])
    order = np.lexsort((rtype, owner))
    owner, rtype = owner[order], rtype[order]
    m = len(owner)
    concluded = conclusions["ngay_ket_luan"][owner]
    deadline_days = np.array([REC_DEADLINES[t][i % len(REC_DEADLINES[t])] for t, i in
                              zip(rtype, rng.integers(0, 6, m))])
    deadline = concluded + deadline_days.astype("timedelta64[D]")
    money = rtype == MONEY
    amount = np.where(money, recover[owner], 0)
    # progress by today: a final share reached over a few months to a few years
    final = np.select([roll[owner, 0] < 0.45, roll[owner, 0] < 0.8], [1.0, rng.uniform(0.1, 0.9, m)], 0.0)
    age = np.maximum((today - concluded).astype(int), 0)
    share = final * np.minimum(1.0, age / rng.uniform(30, 900, m))
    recovered = np.round(amount * share, -3).astype(np.int64)
    done = np.where(money, (share >= 1.0) & (final >= 1.0), rng.random(m) < np.minimum(1.0, age / 400) * 0.8)
    started = np.where(money, recovered > 0, (age > 0) & (rng.random(m) < 0.5))
    late = (deadline < today) & (rng.random(m) < 0.6)
    status = np.select([done, late, started], [DONE, OVERDUE, IN_PROGRESS], NOT_STARTED).astype(object)
    # dirt: more recovered than was to be recovered, negative amounts
    dirt = rng.random((m, 2))
    over = money & (dirt[:, 0] < 0.01) & (amount > 0)
    recovered[over] = np.where(dirt[over, 1] < 0.3, recovered[over] * 10,
                               np.round(amount[over] * rng.uniform(1.05, 3, over.sum()), -3))
    recovered[money & (dirt[:, 0] > 0.997)] *= -1
    sector = conclusions["_sector"][owner]
    text = np.array([_recommendation_text(t, int(a), float(lnd), SECTORS[s][4], pick)
                     for t, a, lnd, s, pick in zip(rtype, amount, land[owner], sector, rng.integers(0, 3, m))],
                    dtype=object)
    # a row is saved when it last moved
    moved = concluded + np.round(rng.random(m) * np.where(status == NOT_STARTED, 3, age)).astype("timedelta64[D]")
    return {
        "id": np.arange(first_id, first_id + m), "ket_luan_id": conclusions["id"][owner],
        "loai_kien_nghi": np.array(REC_TYPES, dtype=object)[rtype], "noi_dung": nfd_some(rng, text, 0.2),
        "so_tien": np.where(money, amount, None).astype(object),
        "dien_tich_dat": np.where(rtype == LAND, land[owner], None).astype(object),
        "han_thuc_hien": deadline, "trang_thai": status,
        "so_tien_da_thu_hoi": np.where(money, recovered, None).astype(object), "_moved": moved,
    }


def _recommendation_text(kind: int, amount: int, land: float, scope: str, pick: int) -> str:
    if kind == MONEY:
        return f"Thu hồi số tiền {_vnd(amount)} đồng sai phạm, nộp vào tài khoản tạm giữ của Thanh tra Thành phố"
    if kind == LAND:
        return f"Thu hồi {_m2(land)} m² đất sử dụng không đúng quy định, giao địa phương quản lý theo quy định"
    if kind == DISCIPLINE:
        return DISCIPLINE_TEXT[pick]
    if kind == INVESTIGATION:
        return "Chuyển hồ sơ vụ việc đến Cơ quan Cảnh sát điều tra Công an Thành phố để xem xét, xử lý theo quy định"
    return f"{RECTIFY_TEXT[pick]} {scope}"


def _duplicates(rng: np.random.Generator, cols: dict[str, np.ndarray], first_id: int,
                share: float) -> dict[str, np.ndarray]:
    """A conclusion keyed in twice: another id, same number and date, names in the other Unicode form."""
    n = len(cols["id"])
    picks = some_rows(rng, n, share)
    dup = {k: v[picks].copy() for k, v in cols.items()}
    dup["id"] = np.arange(first_id, first_id + len(picks))
    for key in ("doi_tuong_thanh_tra", "tom_tat_ket_luan"):
        dup[key] = np.array([other_form(s) for s in dup[key]], dtype=object)
    return dup


def _stamps(rng: np.random.Generator, after: np.ndarray, latest: np.datetime64, max_lag_days: int) -> np.ndarray:
    """When a row was saved: within ``max_lag_days`` of its last event, never before 2016 nor after ``latest``."""
    return saved_stamps(rng, after, FIRST_DAY, latest, (3_600, max_lag_days * DAY_SECONDS))


def _date_typos(rng: np.random.Generator, concluded: np.ndarray, share: float) -> None:
    """The wrong year keyed in (2013–2015) or the 1900-01-01 placeholder of an unfinished record."""
    typo = np.flatnonzero(rng.random(len(concluded)) < share)
    placeholder = rng.random(len(typo)) < 0.3
    years_back = rng.integers(1, 4, len(typo))
    shifted = np.array([_back_to_before_2016(d, y) for d, y in zip(concluded[typo], years_back)],
                       dtype="datetime64[D]")
    concluded[typo] = np.where(placeholder, np.datetime64("1900-01-01"), shifted)


def _back_to_before_2016(day: np.datetime64, years: int) -> np.datetime64:
    d = day.item()
    return np.datetime64(d.replace(year=2016 - years, day=min(d.day, 28)))


def create(dsn: str, scale: float, seed: int, force: bool = False, *, now: dt.datetime | None = None) -> dict:
    """(Re)build the register. Idempotent: same scale and seed already there → no-op.

    The history ends at the start of the current UTC day, or of ``now``'s UTC day when given (builds
    made on different days compare equal with the same ``now``)."""
    with psycopg.connect(dsn) as conn:
        if kept := already_built(pg_state(conn, SCHEMA), scale, seed, force):
            return kept
        as_of = utc_day(pg_clock(conn, now)) - 1  # the snapshot is the end of yesterday
        pg_recreate_schema(conn, SCHEMA, SCHEMA_SQL)
        rng = np.random.default_rng(seed)
        wards = _ward_table()
        n = max(20, int(CONCLUSIONS_PER_SCALE * scale))
        span = int((as_of - FIRST_DAY).astype(int))
        concluded = FIRST_DAY + np.sort(np.floor(span * rng.random(n) ** 0.9).astype(int)).astype("timedelta64[D]")
        kl = _conclusions(rng, np.arange(1, n + 1), concluded, 0, wards)
        recs = _recommendations(rng, kl, as_of, 1)
        kl["ngay_cap_nhat"] = _stamps(rng, kl["ngay_ket_luan"], end_of_day(as_of), 15)
        recs["ngay_cap_nhat"] = _stamps(rng, recs["_moved"], end_of_day(as_of), 3)
        dup = _duplicates(rng, kl, n + 1, 0.01)
        kl = {k: np.concatenate([v, dup[k]]) for k, v in kl.items()}
        _date_typos(rng, kl["ngay_ket_luan"], 0.003)
        kl_table, rec_table = arrow_table(kl, NUMBER_TYPES), arrow_table(recs, NUMBER_TYPES)
        copy_pg(conn, f"{SCHEMA}.ket_luan", kl_table)
        copy_pg(conn, f"{SCHEMA}.kien_nghi", rec_table)
        pg_init_state(conn, SCHEMA, scale, seed)
        conn.execute(f"ANALYZE {SCHEMA}.ket_luan; ANALYZE {SCHEMA}.kien_nghi")
    return {"created": True, "ket_luan": kl_table.num_rows, "kien_nghi": rec_table.num_rows, "step": 0}


def _decision_numbers(rng: np.random.Generator, kinds: np.ndarray) -> np.ndarray:
    """The decision that acted on a recommendation: the inspectorate recovers money, the city takes land
    back and disciplines; referrals and rectifications need no decision."""
    number = rng.integers(100, 6000, len(kinds))
    issuer = np.where(kinds == REC_TYPES[MONEY], "QĐ-TTTP", "QĐ-UBND")
    out = np.array([f"{k}/{i}" for k, i in zip(number, issuer)], dtype=object)
    out[np.isin(kinds, [REC_TYPES[INVESTIGATION], REC_TYPES[RECTIFY]])] = None
    return out


def _some(rng: np.random.Generator, pool: np.ndarray, count: int) -> np.ndarray:
    """At least one (when there is one) of ``pool``, in pool order."""
    return np.sort(rng.choice(pool, min(len(pool), max(1, count)), replace=False)) if len(pool) else pool


def _carry_out(conn: psycopg.Connection, rng: np.random.Generator, day: np.datetime64, now: dt.datetime,
               decisions: bool) -> tuple[int, int]:
    """Money recovered bit by bit (~2% of open money recommendations a day), ~1% of the others done."""
    rows = conn.execute(f"""SELECT id, loai_kien_nghi, COALESCE(so_tien, 0), COALESCE(so_tien_da_thu_hoi, 0),
                                   han_thuc_hien FROM {SCHEMA}.kien_nghi
                            WHERE trang_thai <> %s ORDER BY id""", (DONE,)).fetchall()
    if not rows:
        return 0, 0
    kinds = np.array([r[1] for r in rows], dtype=object)
    money = np.flatnonzero((kinds == REC_TYPES[MONEY]) & (np.array([r[2] for r in rows]) > 0))
    other = np.flatnonzero(kinds != REC_TYPES[MONEY])
    pay, finish = _some(rng, money, len(money) // 50), _some(rng, other, len(other) // 100)
    touched = np.concatenate([pay, finish])
    amount = np.array([rows[i][2] for i in touched], dtype=np.int64)
    recovered = np.array([rows[i][3] for i in touched], dtype=np.int64)
    deadline = np.array([rows[i][4] for i in touched], dtype="datetime64[D]")
    is_money = np.arange(len(touched)) < len(pay)
    new_recovered = np.where(is_money, np.minimum(amount, recovered + np.round(amount * rng.uniform(0.05, 0.5,
                                                                                                   len(touched)), -3)),
                             0).astype(np.int64)
    paid_off = new_recovered >= amount
    status = np.select([~is_money | paid_off, deadline < day], [DONE, OVERDUE], IN_PROGRESS).astype(object)
    decision = _decision_numbers(rng, kinds[touched]) if decisions else \
        np.full(len(touched), None, dtype=object)
    ids = [int(rows[i][0]) for i in touched]
    conn.execute(f"""UPDATE {SCHEMA}.kien_nghi k SET trang_thai = v.status, ngay_cap_nhat = %s,
                        so_tien_da_thu_hoi = CASE WHEN v.money THEN v.recovered ELSE k.so_tien_da_thu_hoi END
                        {", so_quyet_dinh_xu_ly = COALESCE(k.so_quyet_dinh_xu_ly, v.decision)" if decisions else ""}
                     FROM unnest(%s::bigint[], %s::text[], %s::boolean[], %s::bigint[], %s::text[])
                          AS v(id, status, money, recovered, decision)
                     WHERE k.id = v.id""",
                 (now, ids, status.tolist(), is_money.tolist(), new_recovered.tolist(), decision.tolist()))
    return len(pay), len(finish)


def _correct_conclusions(conn: psycopg.Connection, rng: np.random.Generator, now: dt.datetime, n_base: int) -> int:
    """A few conclusions re-saved each day; a missing sector or a sign slip is corrected on the way."""
    ids = np.array([r[0] for r in conn.execute(f"SELECT id FROM {SCHEMA}.ket_luan ORDER BY id").fetchall()])
    pick = np.sort(rng.choice(ids, min(len(ids), max(1, n_base // 2000)), replace=False))
    sectors = rng.choice([s[0] for s in SECTORS], len(pick))
    conn.execute(f"""UPDATE {SCHEMA}.ket_luan k SET linh_vuc = COALESCE(k.linh_vuc, v.sector),
                        so_tien_vi_pham = abs(k.so_tien_vi_pham),
                        so_tien_kien_nghi_thu_hoi = abs(k.so_tien_kien_nghi_thu_hoi), ngay_cap_nhat = %s
                     FROM unnest(%s::bigint[], %s::text[]) AS v(id, sector) WHERE k.id = v.id""",
                 (now, pick.tolist(), sectors.tolist()))
    return len(pick)


def advance(dsn: str, step: int | None = None, *, now: dt.datetime | None = None) -> dict:
    """Apply one business day, today by the database clock (or ``now``): recoveries, recommendations
    done, deadlines passed, corrections, new conclusions."""
    with psycopg.connect(dsn) as conn:
        state = pg_state(conn, SCHEMA)
        if (step := pending_step(state, step, "the inspection register")) is None:
            return {"advanced": False, "step": state[2]}
        scale, seed, _ = state
        rng = np.random.default_rng([seed, step])
        now = pg_clock(conn, now)
        day = utc_day(now)
        n_base = max(20, int(CONCLUSIONS_PER_SCALE * scale))
        decisions = step >= 2  # the schema change: decision numbers, from step 2 on
        schema_change = pg_schema_change(conn, SCHEMA, step, "kien_nghi", "so_quyet_dinh_xu_ly", "text")
        paid, finished = _carry_out(conn, rng, day, now, decisions)
        overdue = conn.execute(f"""UPDATE {SCHEMA}.kien_nghi SET trang_thai = %s, ngay_cap_nhat = %s
                                   WHERE trang_thai IN (%s, %s) AND han_thuc_hien = %s""",
                               (OVERDUE, now, NOT_STARTED, IN_PROGRESS, (day - 1).item())).rowcount
        corrected = _correct_conclusions(conn, rng, now, n_base)
        # new conclusions signed today, numbered on from this year's last; a fifth committed late
        max_kl = conn.execute(f"SELECT max(id), max(ngay_cap_nhat) FROM {SCHEMA}.ket_luan").fetchone()
        max_rec = conn.execute(f"SELECT max(id), max(ngay_cap_nhat) FROM {SCHEMA}.kien_nghi").fetchone()
        signed = conn.execute(f"""SELECT count(*) FROM {SCHEMA}.ket_luan
                                  WHERE date_trunc('year', ngay_ket_luan) = date_trunc('year', %s::date)""",
                              (day.item(),)).fetchone()[0]
        n_new = max(1, int(rng.poisson(n_base / 3650)))
        ids = np.arange(int(max_kl[0]) + 1, int(max_kl[0]) + 1 + n_new)
        kl = _conclusions(rng, ids, np.full(n_new, day), int(signed), _ward_table())
        recs = _recommendations(rng, kl, day, int(max_rec[0]) + 1)
        late = rng.random(n_new) < 0.2
        kl["ngay_cap_nhat"] = np.where(late, max_kl[1] - dt.timedelta(hours=1), now).astype(object)
        rec_late = np.isin(recs["ket_luan_id"], ids[late])
        recs["ngay_cap_nhat"] = np.where(rec_late, max_rec[1] - dt.timedelta(hours=1), now).astype(object)
        if decisions:
            recs["so_quyet_dinh_xu_ly"] = np.full(len(recs["id"]), None, dtype=object)  # nothing decided yet
        copy_pg(conn, f"{SCHEMA}.ket_luan", arrow_table_with_stamps(kl, NUMBER_TYPES))
        copy_pg(conn, f"{SCHEMA}.kien_nghi", arrow_table_with_stamps(recs, NUMBER_TYPES))
        pg_set_step(conn, SCHEMA, step)
    return {"advanced": True, "step": step, "recoveries": paid, "recommendations_done": finished,
            "recommendations_overdue": overdue, "conclusions_corrected": corrected, "conclusions_added": n_new,
            "recommendations_added": len(recs["id"]), "schema_change": schema_change}
