"""A deterministic school register of the Department of Education and Training (PostgreSQL schema
``giaoduc``), with the dirt real ones have.

``create`` fills ``giaoduc.truong`` (kindergartens to universities, vocational schools and
continuing-education centres) and ``giaoduc.so_lieu_nam_hoc`` (pupils, girls, classes, teachers and
staff per school and school year, 2016-2017 up to the current one) at a scale: 1.0 = 2,600 schools
(+1% keyed twice) and about 2,500 school-year rows a year. The register ends at the start of the
current UTC day, or of ``now``'s day when given; a school year Y-(Y+1) starts in September, and its
reports come in over the following weeks. ``advance`` applies one reporting round, today by the
database clock (or ``now``): when a new school year has begun since, every open school reports it
(last year's figures, carried forward); then new schools with their first report, status and
managing-body changes, corrected figures for the current school year, late-committed rows. On step 2
the report starts counting pupils with disabilities: ``so_lieu_nam_hoc.so_hoc_sinh_khuyet_tat`` is
added and filled for the rows touched from then on. Same seed, scale, step and day, same rows; only
``ngay_cap_nhat`` in ``advance`` follows the server clock.

The dirt, on purpose: schools keyed twice (same code, another id, name in the other Unicode form),
a few codes shared by two different schools, names and addresses in NFC or NFD, level names spelt
out or abbreviated, missing wards and wards given by name only, swapped or zero coordinates,
founding years of 0 or in the future, and in the statistics: teachers 0 while pupils are enrolled,
more girls than pupils, negative pupil counts, staff not reported.
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
    UTC_TS,
    already_built,
    copy_pg,
    nfd_some,
    np_utc,
    pending_step,
    pg_clock,
    pg_has_column,
    pg_init_state,
    pg_recreate_schema,
    pg_schema_change,
    pg_set_step,
    pg_state,
    set_column,
    short_place_name,
    timestamps,
    utc_day,
)
from simulators.departments.dirt import keyed_twice, late_stamps, some_rows

SCHEMA = "giaoduc"
SCHEMA_SQL = Path(__file__).with_name("schema.sql")
SCHOOLS_PER_SCALE = 2_600
FIRST_YEAR = 2016  # school years 2016-2017 … the current one (named by their first calendar year)
SCHOOL_YEAR_STARTS = 9  # September
REGISTER_SPAN_DAYS = 1000  # register rows last changed over the 1,000 days before the register ends

PUBLIC, PRIVATE, PEOPLE_FOUNDED, FOREIGN = "Công lập", "Tư thục", "Dân lập", "Có vốn đầu tư nước ngoài"
OWNERSHIPS = [PUBLIC, PRIVATE, PEOPLE_FOUNDED, FOREIGN]
# level: (weight, ownership shares [public, private, people-founded, foreign], pupils median, sigma,
#         class size, teachers per class, girls' share, founded (earliest, most likely))
LEVELS = {
    "Mầm non": (1150, [.45, .52, .01, .02], 260, 0.5, 28, 2.0, .48, (1976, 2012)),
    "Tiểu học": (500, [.88, .10, .01, .01], 1600, 0.35, 42, 1.4, .48, (1900, 1995)),
    "THCS": (290, [.90, .08, .01, .01], 1500, 0.35, 44, 1.9, .49, (1930, 1995)),
    "THPT": (210, [.55, .38, .04, .03], 1300, 0.4, 43, 2.2, .53, (1874, 2000)),
    "Liên cấp": (120, [0, .75, .03, .22], 1200, 0.7, 28, 2.2, .49, (1995, 2012)),
    "Trung cấp": (80, [.35, .65, 0, 0], 700, 0.8, 40, 0.9, .40, (1960, 2008)),
    "Cao đẳng": (60, [.50, .50, 0, 0], 4000, 0.8, 45, 1.2, .45, (1960, 2008)),
    "Đại học": (70, [.55, .40, 0, .05], 12000, 0.9, 50, 2.3, .55, (1957, 2000)),
    "GDNN-GDTX": (30, [1, 0, 0, 0], 600, 0.5, 40, 1.2, .45, (1976, 1995)),
}
LEVEL_NAMES = list(LEVELS)
LEVEL_DIGIT = {name: str(i + 1) for i, name in enumerate(LEVEL_NAMES)}
# how the register spells each level in the school's name: (short, long)
NAME_PREFIX = {"Mầm non": ("Trường Mầm non", "Trường Mầm non"), "Tiểu học": ("Trường Tiểu học", "Trường Tiểu học"),
               "THCS": ("Trường THCS", "Trường Trung học cơ sở"), "THPT": ("Trường THPT", "Trường Trung học phổ thông")}
PEOPLE = ["Lê Quý Đôn", "Nguyễn Thị Minh Khai", "Trần Đại Nghĩa", "Nguyễn Du", "Lê Lợi", "Trần Hưng Đạo",
          "Võ Thị Sáu", "Hai Bà Trưng", "Nguyễn Bỉnh Khiêm", "Chu Văn An", "Lương Thế Vinh", "Nguyễn Trãi",
          "Phan Bội Châu", "Phan Chu Trinh", "Nguyễn Khuyến", "Nguyễn Đình Chiểu", "Trương Định", "Lê Văn Tám",
          "Kim Đồng", "Võ Trường Toản", "Huỳnh Thúc Kháng", "Nguyễn Văn Trỗi", "Lê Hồng Phong", "Marie Curie",
          "Trưng Vương", "Bùi Thị Xuân", "Nguyễn Hữu Huân", "Điện Biên", "Nguyễn Thượng Hiền", "Hùng Vương",
          "Lý Tự Trọng", "Trần Quốc Toản", "Nguyễn Hiền", "Đinh Tiên Hoàng", "Lê Anh Xuân", "Võ Văn Kiệt",
          "Nguyễn An Ninh", "Tô Vĩnh Diện", "Mạc Đĩnh Chi", "Ngô Quyền"]
KINDER = ["Hoa Sen", "Sơn Ca", "Họa Mi", "Vành Khuyên", "Hướng Dương", "Hoa Hồng", "Tuổi Thơ", "Măng Non",
          "Thỏ Ngọc", "Ánh Dương", "Rạng Đông", "Sao Mai", "Bé Ngoan", "Hoa Mai", "Hoa Lan", "Búp Bê",
          "Thiên Thần Nhỏ", "Ngôi Sao", "Bình Minh", "Hoa Phượng", "Tuổi Ngọc", "Vàng Anh", "Mầm Xanh", "19/5"]
BRANDS = ["Việt Úc", "Nam Việt", "Ngô Thời Nhiệm", "Hoàng Gia", "Ngôi Sao", "Vạn Hạnh", "Việt Anh",
          "Albert Einstein", "Tuệ Đức", "Thái Bình Dương", "Trí Tuệ Việt", "Quốc Văn Sài Gòn", "Lê Thánh Tông",
          "Hồng Hà", "Việt Mỹ", "Á Châu", "Sài Gòn Pearl", "Emasi", "Khai Minh", "Tân Phú"]
COMBINED = ["Trường TH, THCS và THPT", "Trường THCS và THPT", "Trường Tiểu học và THCS", "Trường Quốc tế"]
VOCATIONAL_FIELDS = ["Kinh tế - Kỹ thuật", "Du lịch - Khách sạn", "Y tế", "Công nghệ", "Kỹ thuật Nghiệp vụ",
                     "Xây dựng", "Bách khoa", "Nấu ăn Nghiệp vụ", "Kỹ thuật Nông nghiệp", "Văn thư Lưu trữ",
                     "Kinh tế Đối ngoại", "Công thương", "Giao thông Vận tải", "Điện lực", "Văn hóa Nghệ thuật",
                     "Kỹ thuật Cao Thắng", "Lý Tự Trọng", "Viễn Đông", "Công nghệ Thủ Đức", "Nguyễn Trường Tộ"]
VNU, MOET, CULTURE = "Đại học Quốc gia TP.HCM", "Bộ Giáo dục và Đào tạo", "Bộ Văn hóa, Thể thao và Du lịch"
# by ownership: public universities and their managing body; private ones are all under the ministry
PUBLIC_UNIVERSITIES = [
    ("Bách khoa", VNU), ("Khoa học Tự nhiên", VNU), ("Khoa học Xã hội và Nhân văn", VNU), ("Kinh tế - Luật", VNU),
    ("Công nghệ Thông tin", VNU), ("Quốc tế", VNU), ("Kinh tế TP.HCM", MOET), ("Sư phạm TP.HCM", MOET),
    ("Sư phạm Kỹ thuật TP.HCM", MOET), ("Luật TP.HCM", MOET), ("Nông Lâm TP.HCM", MOET), ("Mở TP.HCM", MOET),
    ("Y Dược TP.HCM", "Bộ Y tế"), ("Công nghiệp TP.HCM", "Bộ Công Thương"),
    ("Công Thương TP.HCM", "Bộ Công Thương"), ("Tài chính - Marketing", "Bộ Tài chính"),
    ("Ngân hàng TP.HCM", "Ngân hàng Nhà nước Việt Nam"), ("Giao thông Vận tải TP.HCM", "Bộ Xây dựng"),
    ("Kiến trúc TP.HCM", "Bộ Xây dựng"), ("Tài nguyên và Môi trường TP.HCM", "Bộ Nông nghiệp và Môi trường"),
    ("Thể dục Thể thao TP.HCM", CULTURE), ("Mỹ thuật TP.HCM", CULTURE), ("Văn hóa TP.HCM", CULTURE),
    ("Sân khấu - Điện ảnh TP.HCM", CULTURE), ("Cảnh sát nhân dân", "Bộ Công an"), ("Sài Gòn", "UBND TP.HCM"),
    ("Y khoa Phạm Ngọc Thạch", "UBND TP.HCM"), ("Tôn Đức Thắng", "Tổng Liên đoàn Lao động Việt Nam")]
PRIVATE_UNIVERSITIES = ["Văn Lang", "Hoa Sen", "Nguyễn Tất Thành", "Công nghệ TP.HCM", "Văn Hiến", "Hùng Vương TP.HCM",
                        "Kinh tế - Tài chính TP.HCM", "Quốc tế Hồng Bàng", "Gia Định", "Ngoại ngữ - Tin học TP.HCM",
                        "Quốc tế Sài Gòn", "Công nghệ Sài Gòn", "FPT TP.HCM", "Bình Dương", "Quốc tế Miền Đông"]
FOREIGN_UNIVERSITIES = ["RMIT Việt Nam", "Fulbright Việt Nam"]
VOCATIONAL_BODIES = ["Sở Lao động - Thương binh và Xã hội TP.HCM", "Sở Lao động - Thương binh và Xã hội TP.HCM",
                     "Sở Giáo dục và Đào tạo TP.HCM", "Bộ Công Thương", "Bộ Y tế"]
DEPARTMENT = "Sở Giáo dục và Đào tạo TP.HCM"
ACTIVE, PAUSED, MERGED, DISSOLVED = "Đang hoạt động", "Tạm dừng tuyển sinh", "Đã sáp nhập", "Đã giải thể"
# pupils relative to 2016 by school year and level group (preschool dips with COVID and births)
YEAR_FACTOR = {
    "preschool": [1.00, 1.03, 1.06, 1.08, 0.90, 0.82, 0.97, 0.98, 0.96, 0.93],
    "general": [1.00, 1.02, 1.04, 1.06, 1.07, 1.08, 1.09, 1.10, 1.10, 1.10],
    "higher": [1.00, 1.04, 1.08, 1.12, 1.15, 1.18, 1.22, 1.27, 1.31, 1.35],
}


def _group(level: str) -> str:
    return "preschool" if level == "Mầm non" else "higher" if level in ("Trung cấp", "Cao đẳng", "Đại học") \
        else "general"


def _school_name(rng: np.random.Generator, level: str, ownership: str, ward: dict, district: str,
                 university_seen: dict) -> tuple[str, str]:
    """(name, managing body) as the register has them."""
    if level in NAME_PREFIX:
        prefix = NAME_PREFIX[level][int(rng.random() < 0.2)]
        if level == "Mầm non":
            base = rng.choice(KINDER) if rng.random() < 0.6 else short_place_name(ward["ward_name"])
            base = f"{base} {int(rng.integers(2, 5))}" if rng.random() < 0.1 else base
        else:
            base = rng.choice(PEOPLE) if rng.random() < 0.75 else short_place_name(ward["ward_name"])
        if ownership != PUBLIC:
            base = str(rng.choice(BRANDS)) if rng.random() < 0.7 else base
        body = DEPARTMENT if level == "THPT" else f"Phòng Giáo dục và Đào tạo {district}"
        return f"{prefix} {base}", body
    if level == "Liên cấp":
        kind = COMBINED[3] if ownership == FOREIGN else rng.choice(COMBINED[:3])
        return f"{kind} {rng.choice(BRANDS)}", DEPARTMENT
    if level in ("Trung cấp", "Cao đẳng"):
        bodies = VOCATIONAL_BODIES if ownership == PUBLIC else VOCATIONAL_BODIES[:3]
        return f"Trường {level} {rng.choice(VOCATIONAL_FIELDS)}", str(rng.choice(bodies))
    if level == "Đại học":
        if ownership == PUBLIC:
            name, body = PUBLIC_UNIVERSITIES[int(rng.integers(0, len(PUBLIC_UNIVERSITIES)))]
        else:
            name, body = str(rng.choice(FOREIGN_UNIVERSITIES if ownership == FOREIGN else PRIVATE_UNIVERSITIES)), MOET
        university_seen[name] = university_seen.get(name, 0) + 1
        campus = university_seen[name]
        return f"Trường Đại học {name}" + (f" - Cơ sở {campus}" if campus > 1 else ""), body
    return f"Trung tâm GDNN-GDTX {district}", DEPARTMENT


def _school_code(level: str, school_id: int, district_code: str) -> str:
    """Universities: a three-letter admission code; vocational: TC/CD79…; others: 79 + district + level + id."""
    if level == "Đại học":
        letters, k = "ABCDEGHKLMNQSTV", school_id % 15 ** 3
        return "".join(letters[k // 15 ** p % 15] for p in (2, 1, 0))
    if level in ("Trung cấp", "Cao đẳng"):
        return f"{'TC' if level == 'Trung cấp' else 'CD'}79{school_id:04d}"
    return f"79{district_code}{LEVEL_DIGIT[level]}{school_id:04d}"


def _schools(rng: np.random.Generator, ids: np.ndarray, wards: list[dict], stamps: np.ndarray, last_year: int,
             levels: np.ndarray | None = None, founded: np.ndarray | None = None) -> tuple[pa.Table, dict]:
    """The register rows, and the facts the statistics are drawn from (true level, founding, closing),
    for a register whose latest school year starts in ``last_year``."""
    n = len(ids)
    if levels is None:
        weights = np.array([v[0] for v in LEVELS.values()], dtype=float)
        levels = rng.choice(len(LEVEL_NAMES), n, p=weights / weights.sum())
    ownership = np.array([rng.choice(4, p=LEVELS[LEVEL_NAMES[lv]][1]) for lv in levels])
    if founded is None:
        lo = np.array([LEVELS[LEVEL_NAMES[lv]][7][0] for lv in levels])
        mode = np.array([LEVELS[LEVEL_NAMES[lv]][7][1] for lv in levels])
        lo = np.where(ownership == 0, lo, np.maximum(lo, 1993))  # private schools came back in the 1990s
        mode = np.clip(np.where(ownership == 0, mode, 2010), lo, last_year - 1)
        founded = np.round(rng.triangular(lo, mode, last_year + 1e-9)).astype(int)
    ward_idx = rng.integers(0, len(wards), n)
    status = rng.choice([ACTIVE, PAUSED, MERGED, DISSOLVED], n, p=[.93, .02, .03, .02])
    closed = np.where(np.isin(status, [MERGED, DISSOLVED]), rng.integers(2018, last_year + 1, n), 9999)
    closed = np.maximum(closed, np.minimum(founded, last_year))
    seen: dict[str, int] = {}
    rows = {k: [] for k in ("ma_truong", "ten_truong", "co_quan_quan_ly", "ten_phuong_full")}
    for i in range(n):  # a few thousand rows: names and codes read clearer per school
        level, ward = LEVEL_NAMES[levels[i]], wards[ward_idx[i]]
        name, body = _school_name(rng, level, OWNERSHIPS[ownership[i]], ward, ward["district_name"], seen)
        rows["ma_truong"].append(_school_code(level, int(ids[i]), ward["district_code"]))
        rows["ten_truong"].append(name)
        rows["co_quan_quan_ly"].append(body)
    dirt = rng.random((n, 4))
    missing, name_only = dirt[:, 0] < 0.02, dirt[:, 0] > 0.97
    lat = np.array([wards[w]["latitude"] for w in ward_idx]) + rng.normal(0, 0.004, n)
    lon = np.array([wards[w]["longitude"] for w in ward_idx]) + rng.normal(0, 0.004, n)
    swapped, zero = dirt[:, 1] < 0.005, (dirt[:, 1] >= 0.005) & (dirt[:, 1] < 0.01)
    lat[swapped], lon[swapped] = lon[swapped], lat[swapped].copy()
    lat[zero], lon[zero] = 0.0, 0.0
    founded_typed = founded.astype(object)
    founded_typed[dirt[:, 2] < 0.005] = 0
    future = (dirt[:, 2] >= 0.005) & (dirt[:, 2] < 0.01)
    founded_typed[future] = rng.integers(last_year + 6, last_year + 11, int(future.sum()))
    founded_typed[(dirt[:, 2] >= 0.01) & (dirt[:, 2] < 0.02)] = None
    level_typed = np.array([LEVEL_NAMES[lv] for lv in levels], dtype=object)
    level_typed[(dirt[:, 3] < 0.02) & (level_typed == "THCS")] = "Trung học cơ sở"
    level_typed[(dirt[:, 3] < 0.02) & (level_typed == "THPT")] = "Trung học phổ thông"
    level_typed[(dirt[:, 3] < 0.03) & (level_typed == "Mầm non")] = "mầm non"

    def ward_col(key: str, blank: np.ndarray) -> list:
        return [None if b else wards[w][key] for w, b in zip(ward_idx, blank)]

    table = pa.table({
        "id": pa.array(ids, pa.int64()),
        "ma_truong": rows["ma_truong"],
        "ten_truong": list(nfd_some(rng, rows["ten_truong"], 0.25)),
        "cap_hoc": list(level_typed),
        "loai_hinh": [OWNERSHIPS[o] for o in ownership],
        "co_quan_quan_ly": list(nfd_some(rng, rows["co_quan_quan_ly"], 0.2)),
        "dia_chi": list(nfd_some(rng, [f"{h} {s}" for h, s in zip(rng.integers(1, 999, n), rng.choice(STREETS, n))],
                                 0.25)),
        "ma_phuong": ward_col("ward_code", missing | name_only),
        "ten_phuong": ward_col("ward_name", missing),
        "ma_quan": ward_col("district_code", missing),
        "ten_quan": ward_col("district_name", missing),
        "vi_do": pa.array(np.round(lat, 6)),
        "kinh_do": pa.array(np.round(lon, 6)),
        "nam_thanh_lap": pa.array(list(founded_typed), pa.int32()),
        "trang_thai": list(status),
        "ngay_cap_nhat": pa.array(stamps, pa.timestamp("us", tz="UTC")),
    })
    return table, {"level": levels, "founded": founded, "closed": closed, "last_year": last_year}


def _duplicates(rng: np.random.Generator, schools: pa.Table, first_id: int, share: float,
                end: np.datetime64) -> pa.Table:
    """The same school keyed in twice (another id, the name in the other Unicode form); and a few
    other schools given a code that is already taken."""
    dup = keyed_twice(schools, some_rows(rng, schools.num_rows, share), first_id, "ten_truong")
    later = np.minimum(dup["ngay_cap_nhat"].to_numpy() + rng.integers(3_600, 90 * 86_400, dup.num_rows).astype(
        "timedelta64[s]"), end)
    dup = set_column(dup, "ngay_cap_nhat", pa.array(later, UTC_TS))  # keyed in again later
    codes = schools["ma_truong"].to_numpy(zero_copy_only=False).copy()
    clash = rng.choice(schools.num_rows, max(1, schools.num_rows // 200), replace=False)
    codes[clash] = codes[rng.choice(schools.num_rows, len(clash))]
    schools = schools.set_column(1, "ma_truong", pa.array(codes))
    # the duplicate rows are not reported on: the statistics go to the first entry only
    return pa.concat_tables([schools, dup])


def _statistics(rng: np.random.Generator, school_ids: np.ndarray, facts: dict, end: np.datetime64,
                years: np.ndarray | None = None, with_disabilities: bool = False) -> tuple[pa.Table, np.ndarray]:
    """One row per school and school year it was open, reported in the weeks after the year began but
    not after ``end``; returns the rows and each row's start year."""
    n = len(school_ids)
    if years is None:
        start = np.maximum(FIRST_YEAR, facts["founded"])
        end_year = np.minimum(facts["last_year"], facts["closed"])
        counts = np.maximum(0, end_year - start + 1)
        school = np.repeat(np.arange(n), counts)
        offsets = np.cumsum(counts) - counts
        year = start[school] + np.arange(len(school)) - offsets[school]
    else:
        school, year = np.arange(n), years
    m = len(school)
    lv = facts["level"][school]
    spec = [LEVELS[LEVEL_NAMES[v]] for v in range(len(LEVEL_NAMES))]
    median, sigma, class_size, per_class, girls_share = (np.array([s[i] for s in spec])[lv] for i in (2, 3, 4, 5, 6))
    school_base = np.exp(rng.normal(0, 1, n))  # each school's size, drawn once
    groups = np.array([_group(name) for name in LEVEL_NAMES])[lv]
    factor = np.ones(m)
    for g, by_year in YEAR_FACTOR.items():
        mask = groups == g
        factor[mask] = np.array(by_year)[np.clip(year[mask] - FIRST_YEAR, 0, len(by_year) - 1)]
    age = year - facts["founded"][school]
    ramp = np.select([age <= 0, age == 1, age == 2], [0.5, 0.75, 0.9], 1.0)
    pupils = median * school_base[school] ** sigma * factor * ramp * np.exp(rng.normal(0, 0.05, m))
    pupils = np.maximum(15, np.round(pupils)).astype(np.int64)
    share = np.clip(girls_share + rng.normal(0, 0.03, n)[school], 0.05, 0.95)
    girls = rng.binomial(pupils, share)
    classes = np.maximum(1, np.round(pupils / class_size * np.exp(rng.normal(0, 0.08, m)))).astype(np.int64)
    teachers = np.maximum(1, np.round(classes * per_class * np.exp(rng.normal(0, 0.1, m)))).astype(np.int64)
    staff = np.round(teachers * rng.uniform(0.12, 0.3, n)[school] + 3).astype(object)
    dirt = rng.random((m, 2))
    teachers[dirt[:, 0] < 0.005] = 0
    over = (dirt[:, 0] >= 0.005) & (dirt[:, 0] < 0.01)
    girls[over] = pupils[over] + rng.integers(1, 60, int(over.sum()))
    negative = (dirt[:, 0] >= 0.01) & (dirt[:, 0] < 0.012)
    pupils[negative] = -pupils[negative]
    staff[dirt[:, 1] < 0.01] = None
    reported = ((year - 1970).astype("datetime64[Y]").astype("datetime64[D]")
                + np.timedelta64(250, "D")).astype("datetime64[us]")  # early September of the year
    stamps = np.minimum(reported + rng.integers(0, 25 * 86_400, m).astype("timedelta64[s]"), end)
    cols = {
        "truong_id": pa.array(school_ids[school], pa.int64()),
        "nam_hoc": [f"{y}-{y + 1}" for y in year],
        "so_hoc_sinh": pa.array(pupils, pa.int32()),
        "so_hoc_sinh_nu": pa.array(girls, pa.int32()),
        "so_lop": pa.array(classes, pa.int32()),
        "so_giao_vien": pa.array(teachers, pa.int32()),
        "so_nhan_vien": pa.array(staff, pa.int32()),
        "ngay_cap_nhat": pa.array(stamps, pa.timestamp("us", tz="UTC")),
    }
    if with_disabilities:
        cols["so_hoc_sinh_khuyet_tat"] = pa.array(rng.binomial(np.maximum(pupils, 0), 0.008), pa.int32())
    return pa.table(cols), year


def _school_year(day: np.datetime64) -> int:
    """First calendar year of the school year ``day`` falls in."""
    date = day.item()
    return date.year if date.month >= SCHOOL_YEAR_STARTS else date.year - 1


def create(dsn: str, scale: float, seed: int, force: bool = False, *, now: dt.datetime | None = None) -> dict:
    """(Re)build the ``giaoduc`` schema. Idempotent: same scale and seed already there → no-op.

    The register ends at the start of the current UTC day, or of ``now``'s UTC day when given (builds
    made on different days compare equal with the same ``now``)."""
    with psycopg.connect(dsn) as conn:
        if kept := already_built(pg_state(conn, SCHEMA), scale, seed, force):
            return kept
        today = utc_day(pg_clock(conn, now))
        end = today.astype("datetime64[us]")
        last_year = _school_year(today - 1)  # the school year of the register's last full day
        pg_recreate_schema(conn, SCHEMA, SCHEMA_SQL)
        rng = np.random.default_rng(seed)
        wards = legacy_wards()
        n = max(60, int(SCHOOLS_PER_SCALE * scale))
        ids = np.arange(1, n + 1)
        since = dt.datetime.combine((today - REGISTER_SPAN_DAYS).item(), dt.time())  # naive = UTC
        schools, facts = _schools(rng, ids, wards, timestamps(rng, n, since, REGISTER_SPAN_DAYS), last_year)
        stats, _ = _statistics(rng, ids, facts, end)
        schools = _duplicates(rng, schools, n + 1, 0.01, end)
        copy_pg(conn, f"{SCHEMA}.truong", schools)
        copy_pg(conn, f"{SCHEMA}.so_lieu_nam_hoc", stats)
        pg_init_state(conn, SCHEMA, scale, seed)
        conn.execute(f"ANALYZE {SCHEMA}.truong; ANALYZE {SCHEMA}.so_lieu_nam_hoc")
    return {"created": True, "truong": schools.num_rows, "so_lieu_nam_hoc": stats.num_rows, "step": 0}


def _open_school_year(conn: psycopg.Connection, year: int, now: dt.datetime, with_disabilities: bool) -> int:
    """A new school year has begun: every school still open reports it, last year's figures carried
    forward with a small per-school drift (no more than ±4%)."""
    disabilities = ", so_hoc_sinh_khuyet_tat" if with_disabilities else ""
    return conn.execute(f"""
        INSERT INTO {SCHEMA}.so_lieu_nam_hoc (truong_id, nam_hoc, so_hoc_sinh, so_hoc_sinh_nu, so_lop, so_giao_vien,
                                              so_nhan_vien{disabilities}, ngay_cap_nhat)
        SELECT s.truong_id, %(year)s, round(s.so_hoc_sinh * d.f)::int, round(s.so_hoc_sinh_nu * d.f)::int,
               greatest(1, round(s.so_lop * d.f))::int, s.so_giao_vien, s.so_nhan_vien{disabilities}, %(now)s
        FROM {SCHEMA}.so_lieu_nam_hoc s JOIN {SCHEMA}.truong t ON t.id = s.truong_id,
             LATERAL (SELECT 0.96 + ((s.truong_id * 7 + %(start)s) %% 9) / 100.0 AS f) d
        WHERE s.nam_hoc = %(previous)s AND t.trang_thai IN (%(active)s, %(paused)s)""",
                        {"year": f"{year}-{year + 1}", "previous": f"{year - 1}-{year}", "start": year,
                         "now": now, "active": ACTIVE, "paused": PAUSED}).rowcount


def advance(dsn: str, step: int | None = None, *, now: dt.datetime | None = None) -> dict:
    """Apply one reporting round, today by the database clock (or ``now``): the new school year's
    reports once it has begun, new schools, status and managing-body changes, corrected figures."""
    with psycopg.connect(dsn) as conn:
        state = pg_state(conn, SCHEMA)
        if (step := pending_step(state, step, "the school register")) is None:
            return {"advanced": False, "step": state[2]}
        _, seed, _ = state
        rng = np.random.default_rng([seed, step])
        now = pg_clock(conn, now)
        schema_changed = pg_schema_change(conn, SCHEMA, step, "so_lieu_nam_hoc", "so_hoc_sinh_khuyet_tat", "integer")
        has_column = pg_has_column(conn, SCHEMA, "so_lieu_nam_hoc", "so_hoc_sinh_khuyet_tat")  # now, or from before
        with_disabilities = step >= 2
        max_id, latest_school = conn.execute(f"SELECT max(id), max(ngay_cap_nhat) FROM {SCHEMA}.truong").fetchone()
        year, latest_stats = conn.execute(
            f"SELECT max(nam_hoc), max(ngay_cap_nhat) FROM {SCHEMA}.so_lieu_nam_hoc").fetchone()
        result = {"advanced": True, "step": step,
                  "schema_change": "so_lieu_nam_hoc.so_hoc_sinh_khuyet_tat" if schema_changed else None}

        # school years begun since the last report (each September), then the current year's round
        start = max(int(year[:4]), _school_year(utc_day(now)))
        result["school_years_opened"] = {f"{y}-{y + 1}": _open_school_year(conn, y, now, has_column)
                                         for y in range(int(year[:4]) + 1, start + 1)}
        year = f"{start}-{start + 1}"

        # register edits: statuses, and public schools handed to the 2025 ward People's Committees
        edit = [int(i) for i in rng.choice(max_id, max(1, max_id // 100), replace=False) + 1]
        result["schools_edited"] = conn.execute(f"""
            UPDATE {SCHEMA}.truong SET
              trang_thai = CASE WHEN id %% 5 = 0 AND loai_hinh <> %s THEN %s ELSE trang_thai END,
              co_quan_quan_ly = CASE WHEN loai_hinh = %s AND cap_hoc IN ('Mầm non', 'Tiểu học', 'THCS')
                                     AND ten_phuong IS NOT NULL THEN 'UBND ' || ten_phuong ELSE co_quan_quan_ly END,
              ngay_cap_nhat = %s
            WHERE id = ANY(%s)""", (PUBLIC, PAUSED, PUBLIC, now, edit)).rowcount

        # new schools (mostly private kindergartens) with their first report for the latest year
        n_new = max(1, max_id // 300)
        levels = rng.choice([0, 0, 0, 1, 4], n_new)
        ids = np.arange(max_id + 1, max_id + n_new + 1)
        late = dt.timedelta(hours=1)  # a fifth committed an hour before what was already there
        schools, facts = _schools(rng, ids, legacy_wards(), late_stamps(rng, n_new, now, latest_school - late), start,
                                  levels=levels, founded=np.full(n_new, start))
        copy_pg(conn, f"{SCHEMA}.truong", schools)
        stats, _ = _statistics(rng, ids, facts, np_utc(now), years=np.full(n_new, start),
                               with_disabilities=with_disabilities)
        stats = set_column(stats, "ngay_cap_nhat", pa.array(late_stamps(rng, n_new, now, latest_stats - late), UTC_TS))
        copy_pg(conn, f"{SCHEMA}.so_lieu_nam_hoc", stats)
        result["schools_added"] = n_new

        # corrections to the latest year's figures; teachers reported as 0 get filled in
        fix = [int(i) for i in rng.choice(max_id, max(1, max_id * 3 // 100), replace=False) + 1]
        disabilities = (", so_hoc_sinh_khuyet_tat = greatest(0, round(abs(so_hoc_sinh) * "
                        "(0.004 + (truong_id %% 9) * 0.001)))") if with_disabilities else ""
        result["statistics_corrected"] = conn.execute(f"""
            UPDATE {SCHEMA}.so_lieu_nam_hoc SET
              so_hoc_sinh = so_hoc_sinh + (truong_id %% 7)::int - 3,
              so_giao_vien = CASE WHEN so_giao_vien = 0 THEN greatest(1, so_lop * 2) ELSE so_giao_vien END
              {disabilities}, ngay_cap_nhat = %s
            WHERE truong_id = ANY(%s) AND nam_hoc = %s""", (now, fix, year)).rowcount
        pg_set_step(conn, SCHEMA, step)
    return result
