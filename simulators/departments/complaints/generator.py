"""A deterministic complaints and denunciations register (Ban Tiếp công dân TP.HCM) with the dirt
real ones have.

``create`` fills ``khieunai.don_thu`` (letters: khiếu nại, tố cáo, kiến nghị, phản ánh) and
``khieunai.qua_trinh_xu_ly`` (their handling steps) at a scale (1.0 = 60,000 cases and ~3.4 steps per
case): five years of letters up to the start of the current UTC day (or of ``now``'s day when given),
so the register looks live whenever it is built. ``advance`` is one business day, today by the
database clock (or ``now``): open cases are verified, resolved, withdrawn or transferred, cases pass
their statutory deadline, new letters arrive (a few keyed in days late, never before the created
history ends; one or two also keyed in by a second agency), and duplicate cases are merged (the
duplicate is hard-deleted, its steps move to the survivor; every step merges at least one). On step 2
the register gains ``don_thu.muc_do_mat`` (confidentiality level), filled for the rows touched from
then on. Same seed, scale, step and day, same data; only ``ngay_cap_nhat`` follows the clock in
``advance`` so the extractor's watermark moves.

Personal data: the complainant's name, CCCD, phone and home address. For a denunciation (tố cáo)
they identify a whistleblower, whom the law protects; nothing of them may leave this system.

The dirt, on purpose: the same case keyed in twice by two agencies (same code, another id, name in
the other Unicode form), names and addresses in NFC or NFD, missing wards, wards given by name only,
malformed phones, CCCDs and case codes, classifications and statuses in other spellings, cases
resolved before they were received, missing deadlines, year typos in the received date, resolved
cases without an outcome, group letters with zero signatories, and rows committed late.
"""
from __future__ import annotations

import datetime as dt
from pathlib import Path

import numpy as np
import psycopg

from simulators.departments.common import (
    addresses,
    already_built,
    arrow_table,
    arrow_table_with_stamps,
    citizen_ids,
    copy_pg,
    end_of_day,
    names,
    nfd_some,
    pending_step,
    pg_clock,
    pg_init_state,
    pg_recreate_schema,
    pg_schema_change,
    pg_set_step,
    pg_state,
    phones,
    saved_stamps,
    utc_day,
    ward_arrays,
)
from simulators.departments.dirt import other_form, some_rows, ward_columns

SCHEMA = "khieunai"
SCHEMA_SQL = Path(__file__).with_name("schema.sql")
CASES_PER_SCALE = 60_000
SPAN_DAYS = 1_825  # create() holds five years of letters, up to yesterday (UTC)
RECEPTION = "VP-UBND"  # Ban Tiếp công dân is part of the Office of the City People's Committee

# classification, weight, code prefix, statutory deadline in days (normal, complex), complex share
CLASSES = [("Khiếu nại", 35, "KN", 30, 45, 0.15), ("Tố cáo", 10, "TC", 30, 60, 0.2),
           ("Kiến nghị", 30, "KNG", 15, 20, 0.1), ("Phản ánh", 25, "PA", 15, 20, 0.1)]
DENUNCIATION = 1
# field, weight, weight for denunciations, departments that handle it, share handled by the ward committee
FIELDS = [("Đất đai", 30, 10, ["SNNMT"], 0.6), ("Nhà ở", 12, 3, ["SXD"], 0.5),
          ("Chính sách xã hội", 14, 4, ["SNV", "BHXH-TP"], 0.5), ("Tư pháp", 8, 6, ["STP", "CA-TP"], 0.2),
          ("Tham nhũng", 4, 45, ["TTTP", "CA-TP"], 0.05), ("Môi trường", 9, 8, ["SNNMT"], 0.5),
          ("Xây dựng", 13, 12, ["SXD", "SQHKT"], 0.6),
          ("Khác", 10, 12, ["SCT", "SYT", "SGDĐT", "STC", "CT-TP", "TTPVHCC"], 0.3)]
OUTCOMES = ["Đúng", "Sai", "Đúng một phần"]
OPEN, OVERDUE, RESOLVED, WITHDRAWN, TRANSFERRED = "Đang thụ lý", "Quá hạn", "Đã giải quyết", "Đã rút", "Chuyển đơn"
CLASS_VARIANTS = ["khiếu nại", "KHIẾU NẠI", "tố cáo", "kiến nghị", "Phản Ánh"]  # still match case-insensitively
CLASS_JUNK = ["KN", "TC", "Khiếu nại, tố cáo"]  # unknown: quarantined downstream
STATUS_JUNK = ["Đang giải quyết", "Hoàn thành", "đã xong"]
# handling steps per path: (step, position between received and closed, done by the reception board)
STEP_PATHS = {
    "resolved_verified": [("Tiếp nhận đơn", 0.0, True), ("Thụ lý", 0.2, False), ("Xác minh", 0.6, False),
                          ("Ban hành văn bản giải quyết", 1.0, False)],
    "resolved": [("Tiếp nhận đơn", 0.0, True), ("Thụ lý", 0.25, False), ("Ban hành văn bản giải quyết", 1.0, False)],
    "transferred": [("Tiếp nhận đơn", 0.0, True), ("Chuyển đơn", 1.0, False)],
    "withdrawn": [("Tiếp nhận đơn", 0.0, True), ("Thụ lý", 0.3, False), ("Rút đơn", 1.0, False)],
    "open": [("Tiếp nhận đơn", 0.0, True), ("Thụ lý", 0.3, False)],
    "open_verified": [("Tiếp nhận đơn", 0.0, True), ("Thụ lý", 0.2, False), ("Xác minh", 0.8, False)],
    "new": [("Tiếp nhận đơn", 0.0, True)],
}
CONFIDENTIALITY = ["Thường", "Hạn chế tiếp cận", "Mật"]
SET_LEVEL = ", muc_do_mat = CASE WHEN phan_loai ILIKE '%%tố cáo%%' OR phan_loai = 'TC' THEN 'Mật' ELSE 'Thường' END"
DAY_SECONDS = 86_400


def _ward_columns(rng: np.random.Generator, wards: dict[str, np.ndarray], n: int) -> tuple[dict, np.ndarray]:
    """Ward of the matter (with the usual ward dirt), and its position in ``wards`` (-1 when missing)."""
    idx = rng.integers(0, len(wards["ward_code"]), n)
    cols = ward_columns(rng, idx, wards)
    return cols, np.where(cols["ma_quan"] == None, -1, idx)  # noqa: E711 (element-wise)


def _pick_index(rng: np.random.Generator, options: list[str], weights, n: int) -> np.ndarray:
    """Positions (not values) into ``options``: the case columns index several tables with them."""
    w = np.asarray(weights, dtype=float)
    return rng.choice(len(options), n, p=w / w.sum())


def _cases(rng: np.random.Generator, ids: np.ndarray, received: np.ndarray, today: np.datetime64,
           wards: dict[str, np.ndarray]) -> tuple[dict[str, np.ndarray], np.ndarray]:
    """Cases as of ``today`` (columns as numpy arrays) and each case's step path."""
    n = len(ids)
    cls = _pick_index(rng, CLASSES, [c[1] for c in CLASSES], n)
    denounce = cls == DENUNCIATION
    field = np.where(denounce, _pick_index(rng, FIELDS, [f[2] for f in FIELDS], n),
                     _pick_index(rng, FIELDS, [f[1] for f in FIELDS], n))
    ward_cols, ward_idx = _ward_columns(rng, wards, n)
    # complainants: most write once, a few write again and again
    pool = max(10, int(n * 0.75))
    person = np.where(rng.random(n) < 0.15, rng.integers(0, max(1, pool // 50), n), rng.integers(0, pool, n))
    cccd = citizen_ids(rng, pool)
    roll = rng.random(pool)
    cccd[roll < 0.04] = None
    old_id = (roll >= 0.04) & (roll < 0.05)
    cccd[old_id] = np.array([c[3:] for c in cccd[old_id]], dtype=object)  # the old 9-digit CMND
    person_cols = {"ten_nguoi_dung_don": names(rng, pool), "so_cccd": cccd, "dien_thoai": phones(rng, pool),
                   "dia_chi": addresses(rng, pool)}
    # agency: the ward's People's Committee for local matters, else a department of the field
    agency = np.empty(n, dtype=object)
    for f, (_, _, _, depts, local_share) in enumerate(FIELDS):
        mask = field == f
        agency[mask] = rng.choice(depts, mask.sum())
        local = mask & (ward_idx >= 0) & (rng.random(n) < local_share)
        agency[local] = wards["committee"][ward_idx[local]]
    complex_case = rng.random(n) < np.array([c[5] for c in CLASSES])[cls]
    deadline_days = np.where(complex_case, np.array([c[4] for c in CLASSES])[cls],
                             np.array([c[3] for c in CLASSES])[cls])
    deadline = received + deadline_days.astype("timedelta64[D]")
    # how each case ends and when: resolved, transferred, withdrawn, or stuck
    path = rng.choice(4, n, p=[0.78, 0.15, 0.05, 0.02])
    days = np.select([path == 0, path == 1, path == 2],
                     [np.ceil(deadline_days * rng.uniform(0.4, 1.4, n)), rng.integers(2, 11, n),
                      rng.integers(5, 41, n)], 100_000).astype(int).astype("timedelta64[D]")
    closed_on = received + days
    is_open = closed_on > today
    status = np.select([is_open & (deadline < today), is_open, path == 0, path == 1],
                       [OVERDUE, OPEN, RESOLVED, TRANSFERRED], WITHDRAWN).astype(object)
    outcome = np.select([is_open, path == 0, path == 1], [None, np.array(OUTCOMES, dtype=object)[
        rng.choice(3, n, p=[0.2, 0.55, 0.25])], "Chuyển cơ quan khác"], "Rút đơn").astype(object)
    verified = ((cls <= DENUNCIATION) | (rng.random(n) < 0.5))
    step_path = np.select([is_open & verified & (received < today - 10), is_open, (path == 0) & verified, path == 0,
                           path == 1], ["open_verified", "open", "resolved_verified", "resolved", "transferred"],
                          "withdrawn").astype(object)
    step_path = np.where(is_open & (received >= today - 1), "new", step_path)
    resolved_on = np.where(is_open, np.datetime64("NaT"), closed_on)
    # dirt
    roll = rng.random((n, 6))
    backwards = ~is_open & (roll[:, 0] < 0.005)
    resolved_on[backwards] = received[backwards] - rng.integers(1, 31, backwards.sum()).astype("timedelta64[D]")
    deadline[roll[:, 1] < 0.03] = np.datetime64("NaT")
    outcome[(status == RESOLVED) & (roll[:, 3] < 0.005)] = None
    status[roll[:, 4] < 0.01] = [s.lower() for s in status[roll[:, 4] < 0.01]]
    status[roll[:, 4] > 0.997] = rng.choice(STATUS_JUNK, (roll[:, 4] > 0.997).sum())
    cls_text = np.array([c[0] for c in CLASSES], dtype=object)[cls]
    cls_text[roll[:, 5] < 0.01] = rng.choice(CLASS_VARIANTS, (roll[:, 5] < 0.01).sum())
    cls_text[roll[:, 5] > 0.997] = rng.choice(CLASS_JUNK, (roll[:, 5] > 0.997).sum())
    year = received.astype("datetime64[Y]").astype(int) + 1970
    code = np.array([f"{CLASSES[c][2]}-{y}-{i:06d}" for c, y, i in zip(cls, year, ids)], dtype=object)
    bad_code = rng.random(n) < 0.005
    code[bad_code] = [c.lower().replace("-", " ") for c in code[bad_code]]
    signatories = np.where(rng.random(n) < np.where(field == 0, 0.08, 0.02), rng.integers(5, 201, n), 1)
    signatories[rng.random(n) < 0.003] = 0
    cols = {
        "id": ids, "ma_don": code, "phan_loai": cls_text,
        "linh_vuc": np.array([f[0] for f in FIELDS], dtype=object)[field],
        **{k: v[person] for k, v in person_cols.items()},
        "so_nguoi": signatories, "vu_viec_phuc_tap": complex_case, "ma_co_quan_xu_ly": agency,
        "ngay_nhan": received, "han_giai_quyet": deadline, "ngay_giai_quyet": resolved_on,
        "ket_qua": outcome, "trang_thai": status, **ward_cols,
    }
    cols["ten_nguoi_dung_don"] = nfd_some(rng, cols["ten_nguoi_dung_don"], 0.25)
    cols["dia_chi"] = nfd_some(rng, cols["dia_chi"], 0.25)
    cols["ten_phuong"] = nfd_some(rng, cols["ten_phuong"], 0.2)
    return cols, step_path


def _duplicates(rng: np.random.Generator, cols: dict[str, np.ndarray], paths: np.ndarray, first_id: int,
                share: float, today: np.datetime64) -> tuple[dict[str, np.ndarray], np.ndarray]:
    """The same letter keyed in by a second agency: same code, another id and agency, name in the other form,
    received up to five days later (never after ``today``)."""
    n = len(cols["id"])
    picks = some_rows(rng, n, share)
    dup = {k: v[picks].copy() for k, v in cols.items()}
    dup["id"] = np.arange(first_id, first_id + len(picks))
    second = rng.choice(["VP-UBND", "TTTP", "SNNMT", "SXD", "STP"], len(picks)).astype(object)
    same = second == dup["ma_co_quan_xu_ly"]
    second[same] = np.where(second[same] == "TTTP", "VP-UBND", "TTTP")
    dup["ma_co_quan_xu_ly"] = second
    dup["ngay_nhan"] = np.minimum(dup["ngay_nhan"] + rng.integers(0, 6, len(picks)).astype("timedelta64[D]"), today)
    dup["ten_nguoi_dung_don"] = np.array([other_form(s) for s in dup["ten_nguoi_dung_don"]], dtype=object)
    return dup, paths[picks]


def _year_typos(rng: np.random.Generator, received: np.ndarray, share: float) -> None:
    """A century slip on the keyboard (2124, 1924): the received date lands far in the future or past."""
    typo = rng.random(len(received)) < share
    received[typo] += np.where(rng.random(typo.sum()) < 0.5, 36_524, -36_524).astype("timedelta64[D]")


def _office_instants(rng: np.random.Generator, days: np.ndarray) -> np.ndarray:
    """An instant during office hours in Vietnam (08:00–17:00 = 01:00–10:00 UTC) on each day."""
    seconds = rng.integers(3_600, 10 * 3_600, len(days)).astype("timedelta64[s]")
    return (days.astype("datetime64[s]") + seconds).astype("datetime64[us]")


def _steps(rng: np.random.Generator, case_ids: np.ndarray, paths: np.ndarray, agencies: np.ndarray,
           received: np.ndarray, closed: np.ndarray, first_id: int) -> dict[str, np.ndarray]:
    """Handling steps of each case along its path, spread between received and closed."""
    parts = []
    for name, steps in STEP_PATHS.items():
        rows = np.flatnonzero(paths == name)
        for order, (step, position, reception) in enumerate(steps):
            span = (closed[rows] - received[rows]).astype(int)
            day = received[rows] + np.round(span * position).astype("timedelta64[D]")
            parts.append((rows, np.full(len(rows), order), np.full(len(rows), step, dtype=object), day,
                          np.full(len(rows), RECEPTION, dtype=object) if reception else agencies[rows]))
    rows, order, step, day, agency = (np.concatenate(p) for p in zip(*parts))
    sort = np.lexsort((order, rows))
    return {"id": np.arange(first_id, first_id + len(sort)), "don_thu_id": case_ids[rows[sort]],
            "buoc": step[sort], "thoi_diem": _office_instants(rng, day[sort]), "co_quan": agency[sort]}


def create(dsn: str, scale: float, seed: int, force: bool = False, *, now: dt.datetime | None = None) -> dict:
    """(Re)build the register. Idempotent: same scale and seed already there → no-op.

    The history ends at the start of the current UTC day, or of ``now``'s UTC day when given (builds
    made on different days compare equal with the same ``now``)."""
    with psycopg.connect(dsn) as conn:
        if kept := already_built(pg_state(conn, SCHEMA), scale, seed, force):
            return kept
        today = utc_day(pg_clock(conn, now))
        as_of, first_day = today - 1, today - 1 - SPAN_DAYS  # the snapshot is the end of yesterday
        pg_recreate_schema(conn, SCHEMA, SCHEMA_SQL)
        rng = np.random.default_rng(seed)
        wards = ward_arrays(committees=True)
        n = max(50, int(CASES_PER_SCALE * scale))
        received = first_day + np.sort(np.floor(SPAN_DAYS * rng.random(n) ** 0.8).astype(int)).astype("timedelta64[D]")
        cases, paths = _cases(rng, np.arange(1, n + 1), received, as_of, wards)
        dup, dup_paths = _duplicates(rng, cases, paths, n + 1, 0.02, as_of)
        cases = {k: np.concatenate([v, dup[k]]) for k, v in cases.items()}
        paths = np.concatenate([paths, dup_paths])
        closed = np.where(np.isnat(cases["ngay_giai_quyet"]),
                          np.minimum(as_of, cases["ngay_nhan"] + 20), cases["ngay_giai_quyet"])
        steps = _steps(rng, cases["id"], paths, cases["ma_co_quan_xu_ly"], cases["ngay_nhan"], closed, 1)
        _year_typos(rng, cases["ngay_nhan"], 0.002)
        # saved up to two days after the step, never before the history starts (a year typo) nor after it ends
        steps["ngay_cap_nhat"] = saved_stamps(rng, steps["thoi_diem"], first_day, end_of_day(as_of),
                                              (60, 2 * DAY_SECONDS))
        # a case is saved with its last step
        starts = np.flatnonzero(np.r_[True, steps["don_thu_id"][1:] != steps["don_thu_id"][:-1]])
        last_saved = np.maximum.reduceat(steps["ngay_cap_nhat"], starts)
        order = np.argsort(cases["id"])
        cases = {k: v[order] for k, v in cases.items()}
        cases["ngay_cap_nhat"] = last_saved  # steps are sorted by case id, one group per case
        case_table, step_table = arrow_table(cases), arrow_table(steps)
        copy_pg(conn, f"{SCHEMA}.don_thu", case_table)
        copy_pg(conn, f"{SCHEMA}.qua_trinh_xu_ly", step_table)
        pg_init_state(conn, SCHEMA, scale, seed)
        # advance() never dates a letter before the created history ends
        conn.execute(f"ALTER TABLE {SCHEMA}._generator_state ADD COLUMN history_end date")
        conn.execute(f"UPDATE {SCHEMA}._generator_state SET history_end = %s", (today.item(),))
        conn.execute(f"ANALYZE {SCHEMA}.don_thu; ANALYZE {SCHEMA}.qua_trinh_xu_ly")
    return {"created": True, "don_thu": case_table.num_rows, "qua_trinh_xu_ly": step_table.num_rows, "step": 0}


def _confidentiality(rng: np.random.Generator, classification: np.ndarray) -> np.ndarray:
    """Denunciations are secret (Mật); a few other letters are restricted."""
    level = np.where(rng.random(len(classification)) < 0.05, CONFIDENTIALITY[1], CONFIDENTIALITY[0]).astype(object)
    denounced = np.array([c == "TC" or (c is not None and "tố cáo" in c.lower()) for c in classification], dtype=bool)
    level[denounced] = CONFIDENTIALITY[2]
    return level


def _progress(conn: psycopg.Connection, rng: np.random.Generator, day: np.datetime64, now: dt.datetime,
              secret: bool, first_step_id: int, n_base: int) -> tuple[int, dict[str, np.ndarray]]:
    """Move open cases on (30 a day at SF1): verified, resolved, transferred or withdrawn today."""
    rows = conn.execute(f"""SELECT id, ma_co_quan_xu_ly, phan_loai, ngay_nhan FROM {SCHEMA}.don_thu
                            WHERE trang_thai IN (%s, %s) ORDER BY id""", (OPEN, OVERDUE)).fetchall()
    if not rows:
        return 0, {}
    pick = np.sort(rng.choice(len(rows), min(len(rows), max(1, n_base // 2000)), replace=False))
    ids = np.array([rows[i][0] for i in pick], dtype=np.int64)
    agency = np.array([rows[i][1] for i in pick], dtype=object)
    classification = np.array([rows[i][2] for i in pick], dtype=object)
    move = rng.choice(4, len(pick), p=[0.7, 0.12, 0.06, 0.12])  # resolved, transferred, withdrawn, verified
    outcome = np.array(OUTCOMES, dtype=object)[rng.choice(3, len(pick), p=[0.2, 0.55, 0.25])]
    status = np.array([RESOLVED, TRANSFERRED, WITHDRAWN, None], dtype=object)[move]
    outcome = np.select([move == 0, move == 1, move == 2], [outcome, "Chuyển cơ quan khác", "Rút đơn"], None)
    step = np.array(["Ban hành văn bản giải quyết", "Chuyển đơn", "Rút đơn", "Xác minh"], dtype=object)[move]
    level = _confidentiality(rng, classification) if secret else np.full(len(pick), None, dtype=object)
    conn.execute(f"""UPDATE {SCHEMA}.don_thu d SET trang_thai = COALESCE(v.status, d.trang_thai),
                        ket_qua = COALESCE(v.outcome, d.ket_qua),
                        ngay_giai_quyet = CASE WHEN v.status IS NULL THEN d.ngay_giai_quyet ELSE %s::date END,
                        ngay_cap_nhat = %s {", muc_do_mat = v.level" if secret else ""}
                     FROM unnest(%s::bigint[], %s::text[], %s::text[], %s::text[]) AS v(id, status, outcome, level)
                     WHERE d.id = v.id""",
                 (day.item(), now, ids.tolist(), status.tolist(), outcome.tolist(), level.tolist()))
    steps = {"id": np.arange(first_step_id, first_step_id + len(ids)), "don_thu_id": ids, "buoc": step,
             "thoi_diem": _office_instants(rng, np.full(len(ids), day)), "co_quan": agency}
    return len(ids), steps


def _merge_duplicates(conn: psycopg.Connection, rng: np.random.Generator, now: dt.datetime, n_base: int,
                      day: np.datetime64, first_step_id: int) -> tuple[int, dict[str, np.ndarray]]:
    """Merge a few cases keyed in twice: the later copy is deleted, its steps move to the survivor."""
    pairs = conn.execute(f"""SELECT min(id), max(id) FROM {SCHEMA}.don_thu GROUP BY ma_don
                             HAVING count(*) > 1 ORDER BY 2""").fetchall()
    if not pairs:
        return 0, {}
    pick = np.sort(rng.choice(len(pairs), min(len(pairs), max(1, n_base // 20_000)), replace=False))
    keep = [pairs[i][0] for i in pick]
    drop = [pairs[i][1] for i in pick]
    conn.execute(f"""UPDATE {SCHEMA}.qua_trinh_xu_ly q SET don_thu_id = v.keep, ngay_cap_nhat = %s
                     FROM unnest(%s::bigint[], %s::bigint[]) AS v(keep, drop) WHERE q.don_thu_id = v.drop""",
                 (now, keep, drop))
    conn.execute(f"DELETE FROM {SCHEMA}.don_thu WHERE id = ANY(%s)", (drop,))
    conn.execute(f"UPDATE {SCHEMA}.don_thu SET ngay_cap_nhat = %s WHERE id = ANY(%s)", (now, keep))
    steps = {"id": np.arange(first_step_id, first_step_id + len(keep)), "don_thu_id": np.array(keep, dtype=np.int64),
             "buoc": np.full(len(keep), "Gộp đơn trùng", dtype=object),
             "thoi_diem": _office_instants(rng, np.full(len(keep), day)),
             "co_quan": np.full(len(keep), RECEPTION, dtype=object)}
    return len(drop), steps


def _history_end(conn: psycopg.Connection) -> np.datetime64 | None:
    """The day create() ended its history on (None for a register built before it was recorded)."""
    if not conn.execute("""SELECT 1 FROM information_schema.columns WHERE table_schema = %s
                           AND table_name = '_generator_state' AND column_name = 'history_end'""",
                        (SCHEMA,)).fetchone():
        return None
    end = conn.execute(f"SELECT history_end FROM {SCHEMA}._generator_state").fetchone()[0]
    return None if end is None else np.datetime64(end)


def advance(dsn: str, step: int | None = None, *, now: dt.datetime | None = None) -> dict:
    """Apply one business day, today by the database clock (or ``now``), never before the created
    history ends: progress, deadlines passed, new letters, merged duplicates."""
    with psycopg.connect(dsn) as conn:
        state = pg_state(conn, SCHEMA)
        if (step := pending_step(state, step, "the complaints register")) is None:
            return {"advanced": False, "step": state[2]}
        scale, seed, _ = state
        rng = np.random.default_rng([seed, step])
        now = pg_clock(conn, now)
        history_end = _history_end(conn)
        day = utc_day(now) if history_end is None else max(utc_day(now), history_end)
        n_base = max(50, int(CASES_PER_SCALE * scale))
        secret = step >= 2  # the schema change: confidentiality level, from step 2 on
        schema_change = pg_schema_change(conn, SCHEMA, step, "don_thu", "muc_do_mat", "text")
        max_case = conn.execute(f"SELECT max(id), max(ngay_cap_nhat) FROM {SCHEMA}.don_thu").fetchone()
        max_step = conn.execute(f"SELECT max(id), max(ngay_cap_nhat) FROM {SCHEMA}.qua_trinh_xu_ly").fetchone()
        next_step_id = int(max_step[0]) + 1
        progressed, progress_steps = _progress(conn, rng, day, now, secret, next_step_id, n_base)
        next_step_id += progressed
        overdue = conn.execute(f"""UPDATE {SCHEMA}.don_thu SET trang_thai = %s, ngay_cap_nhat = %s
                                   {SET_LEVEL if secret else ""}
                                   WHERE trang_thai = %s AND han_giai_quyet < %s""",
                               (OVERDUE, now, OPEN, day.item())).rowcount
        merged, merge_steps = _merge_duplicates(conn, rng, now, n_base, day, next_step_id)
        next_step_id += merged
        # new letters: received today or keyed in a few days late (not before the created history ends);
        # one also keyed in by a second agency, to be merged on a later day; a fifth committed late
        n_new = max(2, int(rng.poisson(n_base / 1800)))
        received = day - rng.choice(4, n_new, p=[0.7, 0.15, 0.1, 0.05]).astype("timedelta64[D]")
        received = received if history_end is None else np.maximum(received, history_end)
        ids = np.arange(int(max_case[0]) + 1, int(max_case[0]) + 1 + n_new)
        cases, _ = _cases(rng, ids, received, day, ward_arrays(committees=True))
        dup, _ = _duplicates(rng, cases, np.full(n_new, "new", dtype=object), int(ids[-1]) + 1, 0.02, day)
        cases = {k: np.concatenate([v, dup[k]]) for k, v in cases.items()}
        ids, n_new = cases["id"], len(cases["id"])
        new_steps = _steps(rng, ids, np.full(n_new, "new", dtype=object), cases["ma_co_quan_xu_ly"],
                           cases["ngay_nhan"], cases["ngay_nhan"], next_step_id)
        late = rng.random(n_new) < 0.2
        late_at = max_case[1] - dt.timedelta(hours=1)
        cases["ngay_cap_nhat"] = np.where(late, late_at, now).astype(object)
        if secret:
            cases["muc_do_mat"] = _confidentiality(rng, cases["phan_loai"])
        step_late = np.isin(new_steps["don_thu_id"], ids[late])
        new_steps["ngay_cap_nhat"] = np.where(step_late, max_step[1] - dt.timedelta(hours=1), now).astype(object)
        copy_pg(conn, f"{SCHEMA}.don_thu", arrow_table_with_stamps(cases))
        all_steps = [s for s in (progress_steps, merge_steps) if s]
        for s in all_steps:
            s["ngay_cap_nhat"] = np.full(len(s["id"]), now, dtype=object)
        steps = {k: np.concatenate([s[k] for s in [*all_steps, new_steps]]) for k in new_steps}
        copy_pg(conn, f"{SCHEMA}.qua_trinh_xu_ly", arrow_table_with_stamps(steps))
        pg_set_step(conn, SCHEMA, step)
    return {"advanced": True, "step": step, "cases_progressed": progressed, "cases_overdue": overdue,
            "cases_merged": merged, "cases_added": n_new, "steps_added": len(steps["id"]),
            "schema_change": schema_change}
