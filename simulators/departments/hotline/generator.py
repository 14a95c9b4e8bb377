"""A deterministic citizen hotline 1022 database (Tổng đài 1022 TP.HCM) with the dirt real ones have.

``create`` fills schema ``tongdai1022``: ``muc_tieu_phuc_vu`` (service targets, one row per category
and channel: answer within seconds, resolve within hours) and ``cuoc_goi`` (1.0 = 300,000 contacts
since January 2023: phone calls, Zalo, the Công dân số app, email, the web portal). ``advance``
applies one day: open contacts are forwarded, resolved and closed (some rated), new contacts arrive
(a fifth committed late), and on step 3 a target is tightened. On step 2 ``cuoc_goi`` gains
``ma_cuoc_goi_goc`` (the earlier contact a new one repeats), filled for the contacts received from
then on. Same seed and step (and ``now``), same data.

The dirt, on purpose: answers before the receipt, negative talk times, satisfaction 0 or 9, missing
wards and wards given by name only, malformed phones, names and summaries in NFC or NFD, contacts
keyed in twice (same code, another id), and rows committed late.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import psycopg
import pyarrow as pa
import pyarrow.compute as pc

from simulators.departments.common import (
    EPOCH,
    STREETS,
    Wards,
    already_built,
    aware_utc,
    copy_pg,
    copy_pg_chunks,
    names,
    nfd_some,
    np_utc,
    pending_step,
    pg_anchor,
    pg_init_state,
    pg_recreate_schema,
    pg_schema_change,
    pg_set_step,
    pg_state,
    phones,
    set_column,
    ward_arrays,
)
from simulators.departments.dirt import keyed_twice, some_rows, ward_columns

SCHEMA = "tongdai1022"
SCHEMA_SQL = Path(__file__).with_name("schema.sql")
CONTACTS_PER_SCALE = 300_000
CONTACTS_PER_DAY_PER_SCALE = CONTACTS_PER_SCALE / 1_400   # the initial load spans ~1,400 days
VN = np.timedelta64(7, "h")          # Asia/Ho_Chi_Minh: UTC+7
SECOND = np.timedelta64(1_000_000, "us")
HOUR = 3600 * SECOND
TS = pa.timestamp("us", tz="UTC")
WARD = "ward"                        # forwarded to the ward People's Committee

CHANNELS = np.array(["Điện thoại", "Zalo", "Ứng dụng Công dân số", "Email", "Cổng web"], dtype=object)
PHONE, ZALO, APP, EMAIL, WEB = range(5)
ANSWER_TARGET_S = np.array([60, 900, 3_600, 28_800, 28_800])          # per channel
ANSWER_MEDIAN_S = np.array([18, 300, 1_500, 14_400, 14_400])
STATUSES = np.array(["Đã tiếp nhận", "Đang xử lý", "Đã xử lý", "Đã đóng"], dtype=object)
RECEIVED, IN_PROGRESS, RESOLVED, CLOSED = range(4)
HOUR_PROFILE = np.array([1, 0.6, 0.4, 0.3, 0.4, 1, 2.5, 5, 8, 9, 9, 8, 6, 6, 8, 8.5, 8, 7, 6, 5, 4.5, 4, 3, 2])


@dataclass(frozen=True)
class Category:
    name: str
    weight: float
    resolve_hours: int               # target, calendar hours
    self_resolved: float             # share the hotline answers itself (information, advice)
    agencies: tuple[tuple[str, float], ...]
    summaries: tuple[str, ...]       # {street} is filled in


CATEGORIES: tuple[Category, ...] = (
    Category("Hạ tầng đô thị", 18, 120, 0.1, ((WARD, 0.6), ("SXD", 0.4)), (
        "Đèn chiếu sáng công cộng hư trên đường {street}", "Nắp cống bị vỡ trên đường {street}",
        "Mặt đường {street} bị sụt lún, hư hỏng", "Ngập nước sau mưa tại đường {street}",
        "Cây xanh có nguy cơ gãy đổ trên đường {street}")),
    Category("Môi trường", 14, 120, 0.1, ((WARD, 0.6), ("SNNMT", 0.4)), (
        "Rác thải tồn đọng tại hẻm đường {street}", "Tiếng ồn từ quán karaoke trên đường {street}",
        "Khói bụi từ công trình xây dựng trên đường {street}", "Đốt rác gây ô nhiễm khu dân cư",
        "Nước thải chảy tràn ra đường {street}")),
    Category("Trật tự đô thị", 16, 72, 0.05, ((WARD, 0.85), ("SXD", 0.15)), (
        "Lấn chiếm vỉa hè trên đường {street}", "Xây dựng không phép trong hẻm đường {street}",
        "Buôn bán lấn chiếm lòng đường {street}", "Quảng cáo rao vặt dán trái phép trên đường {street}")),
    Category("Giao thông", 10, 48, 0.15, (("SXD", 0.5), ("CA-TP", 0.3), (WARD, 0.2)), (
        "Đèn tín hiệu giao thông không hoạt động tại đường {street}", "Kẹt xe kéo dài trên đường {street}",
        "Xe tải lưu thông sai giờ trên đường {street}", "Đậu xe trái phép trên đường {street}")),
    Category("An ninh trật tự", 8, 24, 0.05, (("CA-TP", 0.8), (WARD, 0.2)), (
        "Tụ tập gây mất trật tự trên đường {street}", "Trộm cắp tài sản tại khu dân cư",
        "Đua xe trái phép trên đường {street}", "Cho vay nặng lãi, khủng bố đòi nợ")),
    Category("Y tế", 6, 48, 0.25, (("SYT", 0.8), (WARD, 0.2)), (
        "Phản ánh thái độ phục vụ tại bệnh viện", "Cơ sở kinh doanh thực phẩm không đảm bảo vệ sinh",
        "Ổ dịch sốt xuất huyết tại khu dân cư đường {street}", "Hỏi thông tin tiêm chủng cho trẻ")),
    Category("Giáo dục", 4, 120, 0.3, (("SGDĐT", 0.8), (WARD, 0.2)), (
        "Phản ánh các khoản thu đầu năm học", "Hỏi thủ tục chuyển trường cho con",
        "Dạy thêm, học thêm trái quy định", "Phản ánh an toàn thực phẩm bếp ăn trường học")),
    Category("Thủ tục hành chính", 10, 120, 0.5, (("TTPVHCC", 0.5), (WARD, 0.3), ("STP", 0.2)), (
        "Hỏi thủ tục cấp giấy phép xây dựng", "Hồ sơ trễ hẹn chưa nhận được kết quả",
        "Hướng dẫn nộp hồ sơ trực tuyến", "Hỏi thủ tục đăng ký khai sinh", "Hỏi thủ tục đăng ký hộ kinh doanh")),
    Category("Điện nước", 7, 48, 0.15, (("SCT", 0.6), ("SXD", 0.4)), (
        "Cúp điện kéo dài tại đường {street}", "Mất nước sinh hoạt nhiều ngày",
        "Vỡ ống cấp nước trên đường {street}", "Hóa đơn tiền điện tăng bất thường")),
    Category("Khác", 7, 168, 0.6, (("VP-UBND", 0.4), (WARD, 0.6)), (
        "Góp ý chính sách của Thành phố", "Hỏi thông tin chung", "Cảm ơn cán bộ xử lý phản ánh",
        "Cuộc gọi nhầm số")),
)
CATEGORY_NAMES = np.array([c.name for c in CATEGORIES], dtype=object)
RESOLVE_HOURS = np.array([c.resolve_hours for c in CATEGORIES])
URGENT = ("An ninh trật tự", "Y tế")            # phone answered within 30 s


# -- reference data --

def _targets(updated: np.datetime64) -> pa.Table:
    rows = [(c.name, ch, int(30 if ch == PHONE and c.name in URGENT else ANSWER_TARGET_S[ch]), c.resolve_hours)
            for c in CATEGORIES for ch in range(len(CHANNELS))]
    return pa.table({
        "id": pa.array(range(1, len(rows) + 1), pa.int64()),
        "linh_vuc": [r[0] for r in rows],
        "kenh_tiep_nhan": [CHANNELS[r[1]] for r in rows],
        "muc_tieu_tra_loi_giay": pa.array([r[2] for r in rows], pa.int32()),
        "muc_tieu_xu_ly_gio": pa.array([r[3] for r in rows], pa.int32()),
        "ap_dung_tu": pa.array([EPOCH.date()] * len(rows), pa.date32()),
        "ngay_cap_nhat": pa.array(np.full(len(rows), updated), TS),
    })


# -- contacts --

def _seconds(values: np.ndarray) -> np.ndarray:
    return (np.asarray(values) * 1e6).astype("timedelta64[us]")


def _initial_receipts(rng: np.random.Generator, n: int, anchor: np.datetime64) -> np.ndarray:
    """Receipt instants since 2023: growing, quieter at weekends and at night (local time)."""
    first = np.datetime64(EPOCH.replace(tzinfo=None), "D")
    n_days = int((anchor.astype("datetime64[D]") - first).astype(int))
    days = first + np.arange(n_days)
    weekday = (days.astype(np.int64) + 3) % 7
    weight = np.where(weekday >= 5, 0.7, 1.0) * (1 + 0.6 * np.arange(n_days) / n_days)
    day = rng.choice(n_days, n, p=weight / weight.sum())
    hour = rng.choice(24, n, p=HOUR_PROFILE / HOUR_PROFILE.sum())
    local = days[day].astype("datetime64[us]") + _seconds(hour * 3600 + rng.random(n) * 3600)
    return np.sort(local - VN)


def _channels(rng: np.random.Generator, n: int, progress: np.ndarray) -> np.ndarray:
    """Phone gives way to Zalo and the Công dân số app over time (``progress`` 0 → 1)."""
    shares = np.stack([0.62 - 0.2 * progress, 0.12 + 0.06 * progress, 0.06 + 0.14 * progress,
                       0.07 - 0.03 * progress, 0.13 + 0.03 * progress], axis=1)
    cumulative = np.cumsum(shares / shares.sum(axis=1, keepdims=True), axis=1)
    return (rng.random(n)[:, None] > cumulative).sum(axis=1)


def _agencies(rng: np.random.Generator, category: np.ndarray, ward: np.ndarray, wards: Wards) -> np.ndarray:
    """The agency each contact goes to: a department, or the committee of the ward it is about."""
    out = np.empty(len(category), dtype=object)
    for ci, c in enumerate(CATEGORIES):
        idx = np.flatnonzero(category == ci)
        codes = np.array([a for a, _ in c.agencies], dtype=object)
        pick = codes[rng.choice(len(codes), len(idx), p=[p for _, p in c.agencies])]
        to_ward = pick == WARD
        pick[to_ward] = wards["committee"][ward[idx[to_ward]]]
        out[idx] = pick
    return out


def _contacts(rng: np.random.Generator, ids: np.ndarray, received: np.ndarray, channel: np.ndarray, anchor,
              wards: Wards) -> pa.Table:
    """Contacts received at ``received`` as they stand at ``anchor`` (scalar or one instant each)."""
    n = len(ids)
    weights = np.array([c.weight for c in CATEGORIES])
    category = rng.choice(len(CATEGORIES), n, p=weights / weights.sum())
    ward = rng.integers(0, len(wards["ward_code"]), n)
    phone = channel == PHONE
    local_hour = ((received + VN).astype("datetime64[h]").astype(np.int64)) % 24
    busy = np.where(phone & (local_hour >= 8) & (local_hour < 11), 1.5, 1.0)
    answer_s = rng.lognormal(np.log(ANSWER_MEDIAN_S[channel]), np.where(phone, 0.9, 1.0)) * busy
    answered = received + _seconds(np.maximum(answer_s, 1))
    abandoned = phone & (rng.random(n) < 0.04)
    talk = np.where(phone & ~abandoned, np.round(rng.lognormal(np.log(150), 0.6, n)), np.nan)
    self_resolved = rng.random(n) < np.array([c.self_resolved for c in CATEGORIES])[category]
    forwarded = answered + _seconds(np.nan_to_num(talk) + rng.lognormal(np.log(1800), 0.8, n))
    target = RESOLVE_HOURS[category] * 3600.0
    resolved = np.where(self_resolved, answered + _seconds(np.nan_to_num(talk) + rng.random(n) * 600),
                        forwarded + _seconds(target * rng.lognormal(np.log(0.45), 0.8, n)))
    stuck = ~self_resolved & (rng.random(n) < 0.015)            # long-running issues, never resolved
    closed_at = resolved + _seconds(rng.random(n) * 72 * 3600)
    agency = _agencies(rng, category, ward, wards)

    # as they stand at the anchor
    nat = np.datetime64("NaT", "us")
    answered = np.where(abandoned | (answered > anchor), nat, answered)
    forwarded = np.where(self_resolved | abandoned | (forwarded > anchor), nat, forwarded)
    resolved = np.where(abandoned | stuck | (resolved > anchor), nat, resolved)
    agency[self_resolved | abandoned] = None
    is_closed = abandoned | (~np.isnat(resolved) & (closed_at <= anchor))
    status = np.where(is_closed, CLOSED, np.where(~np.isnat(resolved), RESOLVED,
                                                  np.where(~np.isnat(forwarded), IN_PROGRESS, RECEIVED)))
    agency[(status == RECEIVED) & ~self_resolved] = None          # not forwarded yet
    rated = (status >= RESOLVED) & ~abandoned & (rng.random(n) < 0.45)
    satisfaction = np.where(rated, rng.choice(np.arange(1, 6), n, p=[0.06, 0.06, 0.13, 0.3, 0.45]), -1)
    last = np.fmax.reduce(np.stack([received, answered, forwarded, resolved,
                                    np.where(is_closed & ~abandoned, closed_at, nat)]), axis=0)
    updated = np.minimum(last, anchor)

    # the values as typed
    early = ~np.isnat(answered) & (rng.random(n) < 0.003)
    answered[early] = received[early] - _seconds(rng.integers(1, 600, early.sum()))
    negative = ~np.isnan(talk) & (rng.random(n) < 0.003)
    talk[negative] = -talk[negative]
    odd = rated & (rng.random(n) < 0.01)
    satisfaction[odd] = rng.choice([0, 9], odd.sum())
    caller = names(rng, n)
    caller[rng.random(n) < 0.2] = None                             # anonymous
    streets = rng.choice(STREETS, n)
    templates = [np.array(c.summaries, dtype=object) for c in CATEGORIES]
    summary = np.array([templates[c][i % len(templates[c])].replace("{street}", s)
                        for c, i, s in zip(category, rng.integers(0, 60, n), streets)], dtype=object)
    local_day = pc.strftime(pa.array(received + VN), format="%y%m%d")
    code = pc.binary_join_element_wise("1022", local_day, pc.utf8_lpad(pa.array(ids).cast(pa.string()), 7, "0"), "-")
    return pa.table({
        "id": pa.array(ids, pa.int64()),
        "ma_cuoc_goi": code,
        "kenh_tiep_nhan": pa.array(CHANNELS[channel], pa.string()),
        "linh_vuc": pa.array(CATEGORY_NAMES[category], pa.string()),
        "tom_tat": pa.array(nfd_some(rng, summary, 0.2), pa.string()),
        "ten_nguoi_goi": pa.array(nfd_some(rng, caller, 0.25), pa.string()),
        "dien_thoai": pa.array(phones(rng, n), pa.string()),
        "thoi_diem_tiep_nhan": pa.array(received, TS),
        "thoi_diem_tra_loi": pa.array(answered, TS),
        "thoi_luong_giay": pa.array(np.nan_to_num(talk).astype(np.int32), pa.int32(), mask=np.isnan(talk)),
        "ma_co_quan_xu_ly": pa.array(agency, pa.string()),
        "thoi_diem_chuyen_xu_ly": pa.array(forwarded, TS),
        "thoi_diem_hoan_thanh": pa.array(resolved, TS),
        "muc_do_hai_long": pa.array(satisfaction, pa.int16(), mask=satisfaction < 0),
        "trang_thai": pa.array(STATUSES[status], pa.string()),
        **{k: pa.array(v, pa.string()) for k, v in ward_columns(rng, ward, wards).items()},
        "ngay_cap_nhat": pa.array(updated, TS),
    })


def create(dsn: str, scale: float, seed: int, force: bool = False, *, now: dt.datetime | None = None) -> dict:
    """(Re)build the source database. Idempotent: same scale and seed already there → no-op.

    Contacts run from January 2023 to the start of today (UTC), or to ``now`` when given."""
    with psycopg.connect(dsn) as conn:
        if kept := already_built(pg_state(conn, SCHEMA), scale, seed, force):
            return kept
        anchor = pg_anchor(conn, now)
        pg_recreate_schema(conn, SCHEMA, SCHEMA_SQL)
        rng = np.random.default_rng(seed)
        targets = _targets(np.datetime64(EPOCH.replace(tzinfo=None), "us"))
        copy_pg(conn, f"{SCHEMA}.muc_tieu_phuc_vu", targets)
        n = max(100, int(CONTACTS_PER_SCALE * scale))
        received = _initial_receipts(rng, n, anchor)
        first = np.datetime64(EPOCH.replace(tzinfo=None), "us")
        progress = (received - first) / (anchor - first)
        contacts = _contacts(rng, np.arange(1, n + 1), received, _channels(rng, n, progress), anchor,
                             ward_arrays(committees=True))
        # a few contacts keyed in twice by the operator: another id, same code and content
        contacts = pa.concat_tables([contacts, keyed_twice(contacts, some_rows(rng, n, 0.003), n + 1)])
        copy_pg_chunks(conn, f"{SCHEMA}.cuoc_goi", contacts)
        pg_init_state(conn, SCHEMA, scale, seed)
        conn.execute(f"ANALYZE {SCHEMA}.muc_tieu_phuc_vu; ANALYZE {SCHEMA}.cuoc_goi")
    return {"created": True, "service_targets": targets.num_rows, "contacts": contacts.num_rows, "step": 0}


# -- one day of changes --

def _progress(conn: psycopg.Connection, rng: np.random.Generator, now: np.datetime64, wards: Wards) -> int:
    """Open contacts move on one day: forwarded, resolved, closed (and sometimes rated)."""
    rows = conn.execute(f"""SELECT id, trang_thai, linh_vuc, ma_phuong, thoi_diem_tiep_nhan FROM {SCHEMA}.cuoc_goi
                            WHERE trang_thai = ANY(%s) ORDER BY id""",
                        ([STATUSES[RECEIVED], STATUSES[IN_PROGRESS], STATUSES[RESOLVED]],)).fetchall()
    if not rows:
        return 0
    ids = np.array([r[0] for r in rows], dtype=np.int64)
    current = np.array([int(np.flatnonzero(STATUSES == r[1])[0]) for r in rows])
    category = np.array([int(np.flatnonzero(CATEGORY_NAMES == r[2])[0]) for r in rows])
    ward_index = {code: i for i, code in enumerate(wards["ward_code"])}
    ward = np.array([ward_index.get(r[3], 0) for r in rows])
    received = np.array([np_utc(r[4]) for r in rows])
    roll = rng.random(len(ids))
    roll[received < now - 30 * 24 * HOUR] *= 10       # the long-stuck backlog barely moves
    new = np.full(len(ids), -1)
    new[(current == RECEIVED) & (roll < 0.85)] = IN_PROGRESS
    new[(current == IN_PROGRESS) & (roll < 0.3)] = RESOLVED
    new[(current == RESOLVED) & (roll < 0.5)] = CLOSED
    moved = new >= 0
    ids, new, category, ward, received = ids[moved], new[moved], category[moved], ward[moved], received[moved]
    at = now - _seconds(rng.random(len(ids)) * 6 * 3600)
    in_past = received < now
    at[in_past] = np.maximum(at[in_past], received[in_past] + 300 * SECOND)
    agency = _agencies(rng, category, ward, wards)
    forwarded = new == IN_PROGRESS
    rated = (new == CLOSED) & (rng.random(len(ids)) < 0.45)
    satisfaction = np.where(rated, rng.choice(np.arange(1, 6), len(ids), p=[0.06, 0.06, 0.13, 0.3, 0.45]), -1)
    stamp = aware_utc(now)
    at_list = [aware_utc(a) for a in at]
    conn.execute(f"""UPDATE {SCHEMA}.cuoc_goi h SET trang_thai = v.status,
                         thoi_diem_tra_loi = COALESCE(h.thoi_diem_tra_loi, v.forwarded - interval '10 minutes'),
                         ma_co_quan_xu_ly = COALESCE(v.agency, h.ma_co_quan_xu_ly),
                         thoi_diem_chuyen_xu_ly = COALESCE(v.forwarded, h.thoi_diem_chuyen_xu_ly),
                         thoi_diem_hoan_thanh = COALESCE(v.resolved, h.thoi_diem_hoan_thanh),
                         muc_do_hai_long = COALESCE(v.rating, h.muc_do_hai_long),
                         ngay_cap_nhat = %s
                     FROM unnest(%s::bigint[], %s::text[], %s::text[], %s::timestamptz[], %s::timestamptz[],
                                 %s::smallint[]) AS v(id, status, agency, forwarded, resolved, rating)
                     WHERE h.id = v.id""",
                 (stamp, ids.tolist(), list(STATUSES[new]),
                  [a if f else None for a, f in zip(agency, forwarded)],
                  [a if f else None for a, f in zip(at_list, forwarded)],
                  [a if s == RESOLVED else None for a, s in zip(at_list, new)],
                  [None if s < 0 else int(s) for s in satisfaction]))
    return len(ids)


def _repeats(conn: psycopg.Connection, rng: np.random.Generator, contacts: pa.Table,
             now: np.datetime64) -> pa.Table:
    """About one new contact in eight repeats an earlier one of the last 30 days: same category and ward."""
    earlier = conn.execute(f"""SELECT id, linh_vuc, ma_phuong, ten_phuong, ma_quan, ten_quan FROM {SCHEMA}.cuoc_goi
                               WHERE thoi_diem_tiep_nhan BETWEEN %s AND %s ORDER BY id""",
                           (aware_utc(now - 30 * 24 * HOUR), aware_utc(now))).fetchall()
    n = contacts.num_rows
    repeat = rng.random(n) < 0.12
    if not earlier:
        repeat[:] = False
    pick = rng.integers(0, max(1, len(earlier)), n)
    original = np.full(n, -1, dtype=np.int64)
    for i in np.flatnonzero(repeat):
        original[i] = earlier[pick[i]][0]
    columns = {name: contacts[name].to_pylist() for name in
               ("linh_vuc", "ma_phuong", "ten_phuong", "ma_quan", "ten_quan")}
    for i in np.flatnonzero(repeat):
        for j, name in enumerate(columns, start=1):
            columns[name][i] = earlier[pick[i]][j]
    for name, values in columns.items():
        contacts = contacts.set_column(contacts.schema.get_field_index(name), name, pa.array(values, pa.string()))
    return contacts.append_column("ma_cuoc_goi_goc", pa.array(original, pa.int64(), mask=original < 0))


def advance(dsn: str, step: int | None = None, *, now: dt.datetime | None = None) -> dict:
    """Apply one day of changes: contacts forwarded, resolved, closed; new contacts (a fifth committed
    late); a tightened target on step 3; the repeat-of column from step 2."""
    with psycopg.connect(dsn) as conn:
        state = pg_state(conn, SCHEMA)
        if (step := pending_step(state, step, "the hotline source database")) is None:
            return {"advanced": False, "step": state[2]}
        scale, seed, _ = state
        rng = np.random.default_rng([seed, step])
        now_dt = now or conn.execute("SELECT now()").fetchone()[0]
        t_now = np_utc(now_dt)
        schema_changed = pg_schema_change(conn, SCHEMA, step, "cuoc_goi", "ma_cuoc_goi_goc", "bigint")
        wards = ward_arrays(committees=True)
        max_id, max_seen = conn.execute(f"SELECT max(id), max(ngay_cap_nhat) FROM {SCHEMA}.cuoc_goi").fetchone()
        max_id = int(max_id)
        progressed = _progress(conn, rng, t_now, wards)

        n_new = max(5, round(CONTACTS_PER_DAY_PER_SCALE * scale))
        late = rng.random(n_new) < 0.2
        stamp = np.where(late, np_utc(max_seen) - HOUR, t_now)
        received = stamp - _seconds(rng.random(n_new) * 20 * 3600 + 60)
        order = np.argsort(received, kind="stable")           # ids grow with the receipt time
        stamp, received = stamp[order], received[order]
        ids = np.arange(max_id + 1, max_id + n_new + 1)
        contacts = _contacts(rng, ids, received, _channels(rng, n_new, np.ones(n_new)), stamp, wards)
        contacts = set_column(contacts, "ngay_cap_nhat", pa.array(stamp, TS))
        if step >= 2:
            contacts = _repeats(conn, rng, contacts, t_now)
        copy_pg(conn, f"{SCHEMA}.cuoc_goi", contacts)

        retargeted = 0
        if step == 3:   # the city tightens the resolution target for urban order complaints
            retargeted = conn.execute(
                f"""UPDATE {SCHEMA}.muc_tieu_phuc_vu SET muc_tieu_xu_ly_gio = 48, ap_dung_tu = %s,
                    ngay_cap_nhat = %s WHERE linh_vuc = 'Trật tự đô thị'""",
                ((t_now + VN).astype("datetime64[D]").item(), now_dt)).rowcount
        pg_set_step(conn, SCHEMA, step)
    return {"advanced": True, "step": step, "contacts_progressed": progressed, "contacts_added": n_new,
            "targets_changed": retargeted, "schema_changed": schema_changed}
