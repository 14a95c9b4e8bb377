"""A deterministic list of the city's investment projects, under way and calling for investors.

``create`` fills ``dautu.du_an`` (scale 1.0 = 3,000 projects plus ~1% keyed twice) as the list
stands at the start of today (UTC, the database clock) or at ``now`` when given: ``ngay_cap_nhat``
stamps over the 900 days before it, start, completion and listing years around its year.
``advance`` applies one day of stage changes (investor found, construction started or finished,
suspended), revised budgets and timelines, new projects, and deletes a few projects that were
already listed, withdrawn from the call list (the source is extracted with delete detection on
keys); on step 2 it adds the ``ty_le_giai_ngan`` (disbursement %) column. Same seed, scale and
``now``, same list; same seed and step, same changes.

The dirt, on purpose: project codes in lower case or with spaces, projects keyed twice (same code,
another id, name in the other Unicode form), total investment of zero, negative or in billions
instead of VND, areas in m² instead of hectares or negative, coordinates swapped, at (0, 0) or
missing, lead agencies under their pre-2025 codes (SKHĐT, SGTVT, STNMT, …) or abolished district
People's Committees, stages and forms in shorthand, completion before start and mistyped years,
missing wards and wards by name only, NFD text, and rows committed late with an ``ngay_cap_nhat``
older than what was already extracted.
"""
from __future__ import annotations

import datetime as dt
from pathlib import Path

import numpy as np
import psycopg
import pyarrow as pa

from ingestion.reference.admin_units import legacy_wards
from ingestion.reference.agencies import DEPARTMENT_CODES
from simulators.departments.common import (
    STREETS,
    already_built,
    copy_pg,
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
    short_place_name,
    to_utc_array,
)
from simulators.departments.dirt import keyed_twice, late_stamps, typed_variants, ward_columns

SCHEMA = "dautu"
SCHEMA_SQL = Path(__file__).with_name("schema.sql")
PROJECTS_PER_SCALE = 3_000
SPAN_DAYS = 900  # the list went online this long before the snapshot's end; older records migrated then
SNAPSHOT_YEAR = 2025  # the years below are as seen from a 2025 snapshot; they move with the snapshot's year

CALL, PREPARATION, UNDER_WAY, COMPLETED, SUSPENDED = (
    "Kêu gọi đầu tư", "Chuẩn bị đầu tư", "Đang triển khai", "Hoàn thành", "Tạm dừng")
STAGE_VARIANTS = {CALL: ["Kêu gọi ĐT", "Đang kêu gọi đầu tư"], PREPARATION: ["Chuẩn bị ĐT"],
                  UNDER_WAY: ["Đang thi công", "Đang thực hiện"], COMPLETED: ["Đã hoàn thành"],
                  SUSPENDED: ["Tạm ngưng"]}
CANONICAL_STAGE = {v: k for k, vs in STAGE_VARIANTS.items() for v in vs} | {k: k for k in STAGE_VARIANTS}
PUBLIC, PPP, PRIVATE, BOT, BT = "Đầu tư công", "PPP", "Kêu gọi đầu tư tư nhân", "BOT", "BT"
FORM_VARIANTS = {PUBLIC: ["Vốn ngân sách", "ĐTC"], PPP: ["Đối tác công tư (PPP)"], PRIVATE: ["Xã hội hóa"],
                 BOT: ["Hợp đồng BOT"], BT: ["Hợp đồng BT"]}
CANALS = ["Tham Lương - Bến Cát - rạch Nước Lên", "Xuyên Tâm", "Hàng Bàng", "Đôi - Tẻ", "Nhiêu Lộc - Thị Nghè",
          "Tân Hóa - Lò Gốm", "Ba Bò"]
# sector: (weight, lead agency, {form: weight}, median total VND, median area ha, name templates)
SECTORS: dict[str, tuple[float, str, dict[str, float], float, float, list[str]]] = {
    "Hạ tầng giao thông": (20, "SXD", {PUBLIC: 50, PPP: 15, BOT: 15, BT: 20}, 8e11, 5.0,
                           ["Xây dựng cầu {place}", "Mở rộng đường {street}", "Nút giao thông {street} - {street2}",
                            "Nâng cấp, mở rộng đường {street}", "Xây dựng tuyến đường nối {place} - {place2}"]),
    "Y tế": (10, "SYT", {PUBLIC: 60, PPP: 20, PRIVATE: 20}, 3e11, 2.0,
             ["Xây dựng Bệnh viện đa khoa khu vực {district}", "Xây mới Trạm y tế {ward}",
              "Nâng cấp Bệnh viện {district}", "Trung tâm y tế {district}"]),
    "Giáo dục": (15, "SGDĐT", {PUBLIC: 75, PRIVATE: 20, PPP: 5}, 1e11, 1.0,
                 ["Trường Tiểu học {place}", "Trường THCS {place}", "Trường Mầm non {place}",
                  "Trường THPT {district}", "Xây dựng mới Trường Tiểu học {place}"]),
    "Môi trường": (10, "SNNMT", {PPP: 30, PUBLIC: 40, PRIVATE: 30}, 1.5e12, 10.0,
                   ["Nhà máy xử lý nước thải {place}", "Khu liên hợp xử lý chất thải rắn {district}",
                    "Cải tạo môi trường kênh {canal}", "Nhà máy đốt rác phát điện {district}"]),
    "Nhà ở xã hội": (10, "SXD", {PRIVATE: 60, PUBLIC: 20, PPP: 20}, 1.2e12, 3.0,
                     ["Khu nhà ở xã hội {place}", "Chung cư nhà ở xã hội {district}", "Nhà ở công nhân {place}"]),
    "Văn hóa - thể thao": (8, "SVHTT", {PUBLIC: 50, PRIVATE: 30, PPP: 20}, 4e11, 4.0,
                           ["Nhà thi đấu đa năng {district}", "Trung tâm văn hóa {district}", "Công viên {place}",
                            "Sân vận động {district}", "Nhà văn hóa thiếu nhi {district}"]),
    "Thương mại - dịch vụ": (12, "SCT", {PRIVATE: 80, PPP: 10, PUBLIC: 10}, 6e11, 2.0,
                             ["Chợ {place}", "Trung tâm thương mại {place}", "Trung tâm logistics {district}",
                              "Khu phức hợp thương mại - dịch vụ {place}"]),
    "Công nghệ cao": (7, "BQL-KCNC", {PRIVATE: 60, PPP: 20, PUBLIC: 20}, 2e12, 15.0,
                      ["Trung tâm dữ liệu {place}", "Khu công viên phần mềm {district}",
                       "Trung tâm đổi mới sáng tạo {district}", "Vườn ươm doanh nghiệp công nghệ cao {district}"]),
    "Cấp thoát nước - chống ngập": (8, "SXD", {PUBLIC: 70, PPP: 30}, 9e11, 3.0,
                                    ["Chống ngập khu vực {place}", "Cải tạo hệ thống thoát nước đường {street}",
                                     "Xây dựng cống kiểm soát triều {place}"]),
}
SECTOR_VARIANTS = {"Văn hóa - thể thao": ["Văn hóa, thể thao"], "Hạ tầng giao thông": ["Giao thông"],
                   "Thương mại - dịch vụ": ["Thương mại, dịch vụ"]}
PLANNING_AGENCIES = [c for c in DEPARTMENT_CODES if c in ("SXD", "SQHKT", "STC", "SNNMT", "SKHCN", "SCT", "SDL",
                                                         "BQL-KCX", "VP-UBND")]
LEGACY_AGENCIES = {"SXD": "SGTVT", "SNNMT": "STNMT", "SKHCN": "STTTT", "STC": "SKHĐT"}
# stage odds per form (call, preparation, under way, completed, suspended)
STAGE_ODDS = {PUBLIC: [0.0, 0.3, 0.4, 0.22, 0.08], PPP: [0.4, 0.3, 0.2, 0.05, 0.05],
              PRIVATE: [0.75, 0.1, 0.1, 0.03, 0.02], BOT: [0.3, 0.3, 0.25, 0.1, 0.05], BT: [0.3, 0.3, 0.2, 0.1, 0.1]}
STAGES = [CALL, PREPARATION, UNDER_WAY, COMPLETED, SUSPENDED]


def _disbursement(rng: np.random.Generator, stages: np.ndarray) -> np.ndarray:
    """Disbursement % by stage; a few above 100 or negative, as reported."""
    n = len(stages)
    pct = np.select([stages == CALL, stages == PREPARATION, stages == UNDER_WAY, stages == COMPLETED],
                    [np.zeros(n), rng.random(n) * 5, 5 + rng.random(n) * 90, 95 + rng.random(n) * 5],
                    rng.random(n) * 60)
    roll = rng.random(n)
    pct = np.where(roll < 0.02, 100 + rng.random(n) * 20, np.where(roll < 0.025, -rng.random(n) * 10, pct))
    return np.round(pct, 2)


def _projects(rng: np.random.Generator, ids: np.ndarray, stamps, year: int, stages: np.ndarray | None = None,
              listed_year: int | None = None, with_disbursement: bool = False) -> pa.Table:
    """Project rows as of ``year``; stages drawn per form unless given (new projects enter the list early)."""
    n = len(ids)
    wards = legacy_wards()
    sector_names = list(SECTORS)
    weights = np.array([SECTORS[s][0] for s in sector_names])
    sector_idx = rng.choice(len(sector_names), n, p=weights / weights.sum())
    ward_idx = rng.integers(0, len(wards), n)
    ward_idx2 = rng.integers(0, len(wards), n)
    street, street2 = pick(rng, STREETS, n), pick(rng, STREETS, n)
    canal = pick(rng, CANALS, n)
    form, name, agency = (np.empty(n, dtype=object) for _ in range(3))
    total, area = np.zeros(n), np.zeros(n)
    for s, sector in enumerate(sector_names):
        _, lead, forms, median_total, median_area, templates = SECTORS[sector]
        mask = sector_idx == s
        k = int(mask.sum())
        form[mask] = pick(rng, list(forms), k, list(forms.values()))
        total[mask] = np.exp(rng.normal(np.log(median_total), 1.0, k))
        area[mask] = np.exp(rng.normal(np.log(median_area), 0.9, k))
        agency[mask] = lead
        template = pick(rng, templates, k)
        name[mask] = [t.format(place=short_place_name(wards[w]["ward_name"]),
                               place2=short_place_name(wards[w2]["ward_name"]), ward=wards[w]["ward_name"],
                               district=short_place_name(wards[w]["district_name"]),
                               street=s1, street2=s2 if s2 != s1 else "Võ Văn Kiệt", canal=c)
                      for t, w, w2, s1, s2, c in zip(template, ward_idx[mask], ward_idx2[mask], street[mask],
                                                     street2[mask], canal[mask])]
    if stages is None:
        stages = np.empty(n, dtype=object)
        for f, odds in STAGE_ODDS.items():
            stages[form == f] = pick(rng, STAGES, int((form == f).sum()), odds)

    total = np.round(total, -8)
    roll = rng.random(n)
    total = np.where(roll < 0.005, 0, np.where(roll < 0.01, -total,
                                               np.where(roll < 0.015, np.round(total / 1e9), total)))
    roll = rng.random(n)
    area = np.round(np.where(roll < 0.005, area * 10_000, np.where(roll < 0.008, -area, area)), 4)

    roll = rng.random(n)
    other = pick(rng, PLANNING_AGENCIES, n)
    agency = np.where(roll < 0.06, other, agency)
    legacy = (roll > 0.96) & np.isin(agency, list(LEGACY_AGENCIES))
    agency[legacy] = [LEGACY_AGENCIES[a] for a in agency[legacy]]
    district_committee = roll > 0.99
    agency[district_committee] = [f"UBND-{wards[w]['district_code']}" for w in ward_idx[district_committee]]

    # years: completed projects started in the past; calls have no start yet
    shift = year - SNAPSHOT_YEAR
    start = np.where(stages == COMPLETED, rng.integers(2012, 2023, n) + shift,
                     np.where(np.isin(stages, [UNDER_WAY, SUSPENDED]), rng.integers(2018, 2026, n) + shift,
                              np.where(stages == CALL, 0, rng.integers(2024, 2029, n) + shift)))
    end = np.where(stages == CALL, rng.integers(2027, 2035, n) + shift, start + rng.integers(1, 7, n))
    end = np.where(stages == COMPLETED, np.minimum(end, year), end)
    roll = rng.random(n)
    end = np.where((roll < 0.01) & (start > 0), start - rng.integers(1, 4, n), end)
    start = np.where((roll > 0.995) & (start > 0), start * 10 + 5, start)  # 2025 typed as 20255

    lat = np.array([wards[w]["latitude"] for w in ward_idx]) + rng.normal(0, 0.005, n)
    lon = np.array([wards[w]["longitude"] for w in ward_idx]) + rng.normal(0, 0.005, n)
    roll = rng.random(n)
    lat, lon = np.where(roll < 0.01, lon, lat), np.where(roll < 0.01, lat, lon)
    lat, lon = np.where((roll >= 0.01) & (roll < 0.015), 0.0, lat), np.where((roll >= 0.01) & (roll < 0.015), 0.0, lon)
    no_point = (roll >= 0.015) & (roll < 0.03)

    ward_cols = ward_columns(rng, ward_idx)

    listed = rng.integers(2018, 2026, n) + shift if listed_year is None else np.full(n, listed_year)
    codes = np.array([f"DA-{y}-{i:04d}" for y, i in zip(listed, ids)], dtype=object)
    for i in np.flatnonzero(rng.random(n) < 0.015):
        codes[i] = [codes[i].lower(), codes[i].replace("-", " "), codes[i].replace("DA-", "DA")][rng.integers(0, 3)]
    sectors = np.array(sector_names, dtype=object)[sector_idx]
    cols = {
        "id": pa.array(ids, pa.int64()),
        "ma_du_an": codes,
        "ten_du_an": nfd_some(rng, name, 0.25),
        "linh_vuc": typed_variants(rng, sectors, SECTOR_VARIANTS, 0.05),
        "hinh_thuc_dau_tu": typed_variants(rng, form, FORM_VARIANTS, 0.05),
        "giai_doan": typed_variants(rng, stages, STAGE_VARIANTS, 0.05),
        "tong_muc_dau_tu": pa.array(total.astype(np.int64), pa.int64()),
        "dien_tich_ha": pa.array(area, pa.float64()),
        "co_quan_chu_tri": agency,
        "dia_diem": nfd_some(rng, np.array(["Đường " + s for s in street], dtype=object), 0.25),
        **ward_cols,
        "vi_do": pa.array(np.round(lat, 6), pa.float64(), mask=no_point),
        "kinh_do": pa.array(np.round(lon, 6), pa.float64(), mask=no_point),
        "nam_bat_dau": pa.array(start, pa.int32(), mask=start == 0),
        "nam_ket_thuc": pa.array(end, pa.int32()),
        "ngay_cap_nhat": to_utc_array(stamps),
    }
    if with_disbursement:
        cols["ty_le_giai_ngan"] = pa.array(_disbursement(rng, stages), pa.float64())
    return pa.table({k: v if isinstance(v, pa.Array) else pa.array(np.asarray(v, dtype=object), pa.string())
                     for k, v in cols.items()})


def _duplicates(rng: np.random.Generator, table: pa.Table, first_id: int, share: float) -> pa.Table:
    """The same project keyed in twice: another id, same code, name in the other Unicode form."""
    return keyed_twice(table, np.flatnonzero(rng.random(table.num_rows) < share), first_id, "ten_du_an")


def create(dsn: str, scale: float, seed: int, force: bool = False, *, now: dt.datetime | None = None) -> dict:
    """(Re)build the source schema. Idempotent: same scale and seed already there → no-op.

    The list stands as at the start of today (UTC), or at ``now`` when given (builds that must match
    across days pass it)."""
    with psycopg.connect(dsn) as conn:
        if kept := already_built(pg_state(conn, SCHEMA), scale, seed, force):
            return kept
        end = pg_anchor(conn, now)
        pg_recreate_schema(conn, SCHEMA, SCHEMA_SQL)
        rng = np.random.default_rng(seed)
        n = max(20, int(PROJECTS_PER_SCALE * scale))
        epoch = end - np.timedelta64(SPAN_DAYS, "D")  # go-live: older records were migrated then
        stamps = epoch + rng.integers(0, SPAN_DAYS * 86_400, n).astype("timedelta64[s]")
        projects = _projects(rng, np.arange(1, n + 1), stamps, end.item().year)
        projects = pa.concat_tables([projects, _duplicates(rng, projects, n + 1, 0.01)])
        copy_pg(conn, f"{SCHEMA}.du_an", projects)
        pg_init_state(conn, SCHEMA, scale, seed)
        conn.execute(f"ANALYZE {SCHEMA}.du_an")
    return {"created": True, "projects": projects.num_rows, "step": 0}


def _next_stage(rng: np.random.Generator, stage: str | None) -> str | None:
    """Calls find investors, preparations start, works finish; some stop, stopped ones resume."""
    if stage == CALL:
        return PREPARATION
    if stage == PREPARATION:
        return UNDER_WAY
    if stage == UNDER_WAY:
        return COMPLETED if rng.random() < 0.8 else SUSPENDED
    if stage == SUSPENDED:
        return UNDER_WAY
    return None


def _withdraw(conn: psycopg.Connection, rng: np.random.Generator, k: int) -> int:
    """Calls withdrawn from the list are hard-deleted (projects still in preparation once no call is left).
    Runs before the day's inserts: every step deletes rows that were already listed."""
    for stages in ([CALL, *STAGE_VARIANTS[CALL]], [PREPARATION, *STAGE_VARIANTS[PREPARATION]]):
        candidates = [r[0] for r in conn.execute(
            f"SELECT id FROM {SCHEMA}.du_an WHERE giai_doan = ANY(%s) ORDER BY id", (stages,))]
        if candidates:
            break
    else:
        candidates = [r[0] for r in conn.execute(f"SELECT id FROM {SCHEMA}.du_an ORDER BY id")]
    withdrawn = [int(i) for i in rng.choice(candidates, min(len(candidates), k), replace=False)] if candidates else []
    return conn.execute(f"DELETE FROM {SCHEMA}.du_an WHERE id = ANY(%s)", (withdrawn,)).rowcount


def advance(dsn: str, step: int | None = None, *, now: dt.datetime | None = None) -> dict:
    """One day: stage changes, revised budgets and timelines, new projects, withdrawn calls.

    Stamped with the database clock (or ``now`` when given); years are the year of that clock."""
    with psycopg.connect(dsn) as conn:
        state = pg_state(conn, SCHEMA)
        if (step := pending_step(state, step, "the investment projects source")) is None:
            return {"advanced": False, "step": state[2]}
        scale, seed, _ = state
        rng = np.random.default_rng([seed, step])
        now = now or conn.execute("SELECT now()").fetchone()[0]
        year = now.astimezone(dt.UTC).year
        added_column = pg_schema_change(conn, SCHEMA, step, "du_an", "ty_le_giai_ngan", "numeric(5,2)")
        with_disbursement = pg_has_column(conn, SCHEMA, "du_an", "ty_le_giai_ngan")
        base = max(20, int(PROJECTS_PER_SCALE * scale))

        # ids and the watermark as they were: a deleted id is never reused by today's new rows
        max_id, max_at = conn.execute(f"SELECT max(id), max(ngay_cap_nhat) FROM {SCHEMA}.du_an").fetchone()
        deleted = _withdraw(conn, rng, max(1, base // 1500))

        late_at = max_at - dt.timedelta(hours=1)
        n_stage, n_revise = max(1, int(base * 0.003)), max(1, int(base * 0.003))
        touched = rng.choice(int(max_id), n_stage + n_revise, replace=False) + 1
        rows = {r[0]: r[1:] for r in conn.execute(
            f"SELECT id, giai_doan FROM {SCHEMA}.du_an WHERE id = ANY(%s)", ([int(i) for i in touched],))}
        stage_ids = [int(i) for i in touched[:n_stage] if int(i) in rows]
        revise_ids = [int(i) for i in touched[n_stage:] if int(i) in rows]
        pct_set = ", ty_le_giai_ngan = u.pct" if with_disbursement else ""

        nxt = [_next_stage(rng, CANONICAL_STAGE.get(rows[i][0])) for i in stage_ids]
        moving = [(i, s) for i, s in zip(stage_ids, nxt) if s is not None]
        moved_stages = np.array([s for _, s in moving], dtype=object)
        edited = conn.execute(
            f"""UPDATE {SCHEMA}.du_an d SET giai_doan = u.stage, ngay_cap_nhat = %s{pct_set},
                nam_bat_dau = CASE WHEN u.stage = %s THEN coalesce(d.nam_bat_dau, %s) ELSE d.nam_bat_dau END,
                nam_ket_thuc = CASE WHEN u.stage = %s THEN %s ELSE d.nam_ket_thuc END
                FROM unnest(%s::bigint[], %s::text[], %s::numeric[]) AS u(id, stage, pct) WHERE d.id = u.id""",
            (now, UNDER_WAY, year, COMPLETED, year, [i for i, _ in moving], list(moved_stages),
             [float(p) for p in _disbursement(rng, moved_stages)])).rowcount
        # revised budgets (−10 % … +30 %) and completion slipping a year
        factor = 0.9 + rng.random(len(revise_ids)) * 0.4
        slip = (rng.random(len(revise_ids)) < 0.5).astype(int)
        revised_stages = np.array([CANONICAL_STAGE.get(rows[i][0]) for i in revise_ids], dtype=object)
        edited += conn.execute(
            f"""UPDATE {SCHEMA}.du_an d SET tong_muc_dau_tu = round(d.tong_muc_dau_tu * u.f, -8),
                nam_ket_thuc = d.nam_ket_thuc + u.slip, ngay_cap_nhat = %s{pct_set}
                FROM unnest(%s::bigint[], %s::numeric[], %s::int[], %s::numeric[]) AS u(id, f, slip, pct)
                WHERE d.id = u.id""",
            (now, revise_ids, [float(f) for f in factor], [int(s) for s in slip],
             [float(p) for p in _disbursement(rng, revised_stages)])).rowcount

        # new projects on the list
        n_new = max(1, int(base * 0.002))
        stages = pick(rng, [CALL, PREPARATION], n_new, [0.7, 0.3])
        new = _projects(rng, np.arange(max_id + 1, max_id + n_new + 1), late_stamps(rng, n_new, now, late_at), year,
                        stages, year, with_disbursement)
        new = pa.concat_tables([new, _duplicates(rng, new, max_id + n_new + 1, 0.01)])
        copy_pg(conn, f"{SCHEMA}.du_an", new)
        pg_set_step(conn, SCHEMA, step)
    return {"advanced": True, "step": step, "projects_added": new.num_rows, "projects_edited": edited,
            "projects_deleted": deleted, "schema_changed": added_column}
