"""A deterministic registry of the city's surveillance cameras (1,050 of them), and the clean fleet it lists.

The cameras belong to the Department of Construction (Sở Xây dựng, which took over the Department of
Transport's traffic cameras in 2025; the registry still says ``SGTVT`` for some), the City Police
(``CA-TP``: the public-order cameras, the only ones that may match faces) and the People's Committees of
the former districts 1, 12, Phú Nhuận and Gò Vấp (``UBND-<district code>``, abolished in 2025), and
stand in those four districts' old wards.

``fleet(count, seed)`` is the clean list (camera id, name, coordinates, 2025 ward, owner, analytics profile,
crowd threshold, face matching) that the fleet simulator and the demo drive; ``create`` writes the same
cameras, with dirt, to ``camera.camera``. The count does not scale with the scale factor: the city has
one camera fleet whatever the data volume (a registry of 1,050 rows costs nothing to extract).
``advance`` applies one day: cameras losing their signal, back online, sent to maintenance or
decommissioned, a few new ones installed; on step 2 it adds the ``do_phan_giai`` (resolution) column.

The dirt, on purpose: camera codes in lower case or with spaces, cameras keyed twice (same code, another id,
name in the other Unicode form), owners under the pre-2025 Department of Transport code, types and
profiles in shorthand, crowd thresholds of zero or negative, coordinates swapped or missing, missing wards
and wards by name only, NFD text, and rows committed late with an older ``ngay_cap_nhat``.
"""
from __future__ import annotations

import datetime as dt
from functools import lru_cache
from pathlib import Path

import numpy as np
import psycopg
import pyarrow as pa

from ingestion.reference.admin_units import ward_mapping_2025
from simulators.departments.common import (
    already_built,
    copy_pg,
    nfd_some,
    pending_step,
    pg_anchor,
    pg_init_state,
    pg_recreate_schema,
    pg_schema_change,
    pg_set_step,
    pg_state,
    pick,
    short_place_name,
    to_utc_array,
    ward_arrays,
)
from simulators.departments.dirt import keyed_twice, late_stamps, typed_variants, ward_columns

SCHEMA = "camera"
SCHEMA_SQL = Path(__file__).with_name("schema.sql")
CAMERAS = 1_050
SPAN_DAYS = 900
DEFAULT_SEED = 20250701  # the platform's default seed (CITYLAKE_SEED): fleet() then matches the demo registry

CONSTRUCTION, POLICE = "SXD", "CA-TP"
LEGACY_TRANSPORT = "SGTVT"  # the Department of Transport, merged into the Department of Construction in 2025
# former district code: (share of cameras, main streets)
DISTRICTS: dict[str, tuple[float, list[str]]] = {
    "760": (0.30, ["Lê Lợi", "Nguyễn Huệ", "Đồng Khởi", "Hai Bà Trưng", "Tôn Đức Thắng", "Lê Duẩn",
                   "Nguyễn Thị Minh Khai", "Điện Biên Phủ", "Trần Hưng Đạo", "Nam Kỳ Khởi Nghĩa", "Pasteur",
                   "Cách Mạng Tháng Tám", "Võ Văn Kiệt", "Nguyễn Đình Chiểu"]),
    "761": (0.22, ["Quốc lộ 1A", "Nguyễn Ảnh Thủ", "Tô Ký", "Lê Văn Khương", "Hà Huy Giáp", "Trường Chinh",
                   "Lê Thị Riêng", "Tân Chánh Hiệp", "Thạnh Xuân", "Nguyễn Văn Quá"]),
    "764": (0.28, ["Quang Trung", "Nguyễn Oanh", "Phạm Văn Đồng", "Nguyễn Văn Lượng", "Lê Đức Thọ",
                   "Phan Văn Trị", "Nguyễn Kiệm", "Thống Nhất", "Lê Quang Định", "Nguyễn Thái Sơn"]),
    "768": (0.20, ["Phan Đăng Lưu", "Phan Xích Long", "Hoàng Văn Thụ", "Nguyễn Văn Trỗi", "Phan Đình Phùng",
                   "Huỳnh Văn Bánh", "Lê Văn Sỹ", "Nguyễn Kiệm", "Trường Sa", "Hoàng Sa"]),
}
FIXED, PTZ, ANPR, DOME = "Cố định", "PTZ", "ANPR", "Dome"
TYPE_VARIANTS = {FIXED: ["Camera cố định", "Co dinh"], PTZ: ["Quay quét (PTZ)", "ptz"],
                 ANPR: ["Nhận dạng biển số", "LPR"], DOME: ["Bán cầu", "dome"]}
TRAFFIC, CROWD, BOTH, ORDER = "Giao thông", "Đám đông", "Giao thông + đám đông", "Trật tự công cộng"
PROFILE_VARIANTS = {TRAFFIC: ["GT"], CROWD: ["Dam dong"], BOTH: ["Giao thông, đám đông"],
                    ORDER: ["TTCC", "An ninh trật tự"]}
PROFILE_CODES = {TRAFFIC: "traffic", CROWD: "crowd", BOTH: "traffic_crowd", ORDER: "public_order"}
ACTIVE, OFFLINE, MAINTENANCE, RETIRED = "Đang hoạt động", "Mất tín hiệu", "Đang bảo trì", "Ngừng hoạt động"
STATUS_VARIANTS = {ACTIVE: ["Hoạt động", "HĐ"], OFFLINE: ["Mất kết nối"], MAINTENANCE: ["Bảo trì"],
                   RETIRED: ["Đã tháo dỡ"]}
# owner kind: (profile odds traffic, crowd, both, order), (type odds fixed, PTZ, ANPR, dome)
OWNER_ODDS = {"construction": ([0.78, 0.0, 0.22, 0.0], [0.45, 0.25, 0.30, 0.0]),
              "district": ([0.40, 0.25, 0.20, 0.15], [0.40, 0.25, 0.0, 0.35]),
              "police": ([0.0, 0.0, 0.30, 0.70], [0.20, 0.40, 0.15, 0.25])}
PROFILES = [TRAFFIC, CROWD, BOTH, ORDER]
TYPES = [FIXED, PTZ, ANPR, DOME]
FACE_MATCHING_CAMERAS = 12  # police public-order cameras with face matching enabled (a few, by decision)


@lru_cache(maxsize=1)
def _wards_2025() -> dict[str, tuple[str, str]]:
    """Old ward code → (2025 ward code, 2025 ward name)."""
    return {r["old_ward_code"]: (r["ward_code_2025"], r["ward_name_2025"])
            for r in ward_mapping_2025(("79",)).to_pylist()}


def _district_wards() -> tuple[np.ndarray, np.ndarray]:
    """Positions (into ``ward_arrays()``) of the four districts' old wards, and each one's draw weight."""
    wards = ward_arrays()
    idx, weights = [], []
    for code, (share, _) in DISTRICTS.items():
        mine = np.flatnonzero(wards["district_code"] == code)
        idx.extend(mine)
        weights.extend([share / len(mine)] * len(mine))
    return np.array(idx), np.array(weights)


def _clean(seed: int, ids: np.ndarray, first_install: np.datetime64) -> dict[str, np.ndarray]:
    """The cameras as they really are: clean values, positions into ``ward_arrays()`` under ``_ward``."""
    rng = np.random.default_rng([seed, int(ids[0])])
    n = len(ids)
    wards = ward_arrays()
    candidates, weights = _district_wards()
    ward = candidates[rng.choice(len(candidates), n, p=weights / weights.sum())]
    district = wards["district_code"][ward]
    roll = rng.random(n)
    kind = np.where(roll < 0.52, "construction", np.where(roll < 0.92, "district", "police"))
    owner = np.where(kind == "construction", CONSTRUCTION,
                     np.where(kind == "police", POLICE, np.char.add("UBND-", district.astype(str)))).astype(object)
    profile, ctype = np.empty(n, dtype=object), np.empty(n, dtype=object)
    for k, (p_odds, t_odds) in OWNER_ODDS.items():
        mask = kind == k
        profile[mask] = pick(rng, PROFILES, int(mask.sum()), p_odds)
        ctype[mask] = pick(rng, TYPES, int(mask.sum()), t_odds)
    streets = [pick(rng, DISTRICTS[d][1], 2) for d in district]
    junction = rng.random(n) < 0.6
    names = np.array([f"Nút giao {s[0]} - {s[1]}" if j and s[0] != s[1] else
                      f"Đường {s[0]} ({short_place_name(wards['ward_name'][w])})"
                      for s, j, w in zip(streets, junction, ward)], dtype=object)
    threshold = np.where(np.isin(profile, [CROWD, BOTH, ORDER]), rng.integers(4, 31, n) * 10, 200)
    status = pick(rng, [ACTIVE, OFFLINE, MAINTENANCE, RETIRED], n, [0.9, 0.05, 0.03, 0.02])
    net = {"construction": 10, "district": 172, "police": 100}
    stream = np.array([f"rtsp://{net[k]}.{int(d) % 256}.{i // 250 % 256}.{i % 250 + 2}:554/Streaming/Channels/101"
                       for k, d, i in zip(kind, district, ids)], dtype=object)
    installed = first_install + rng.integers(0, 8 * 365, n).astype("timedelta64[D]")
    return {"id": ids, "ma_camera": np.array([f"CAM-{i:05d}" for i in ids], dtype=object), "ten_camera": names,
            "co_quan_quan_ly": owner, "loai_camera": ctype, "dia_chi_luong": stream, "cau_hinh_phan_tich": profile,
            "nguong_dam_dong": threshold, "trang_thai": status, "ngay_lap_dat": installed,
            "vi_do": np.round(wards_lat(ward) + rng.normal(0, 0.003, n), 6),
            "kinh_do": np.round(wards_lon(ward) + rng.normal(0, 0.003, n), 6), "_ward": ward,
            "nhan_dien_khuon_mat": _face_matching(owner, profile)}


def wards_lat(idx: np.ndarray) -> np.ndarray:
    return np.array([_centres()[i][0] for i in idx])


def wards_lon(idx: np.ndarray) -> np.ndarray:
    return np.array([_centres()[i][1] for i in idx])


@lru_cache(maxsize=1)
def _centres() -> list[tuple[float, float]]:
    from ingestion.reference.admin_units import legacy_wards

    return [(w["latitude"], w["longitude"]) for w in legacy_wards()]


def _face_matching(owner: np.ndarray, profile: np.ndarray) -> np.ndarray:
    """Off everywhere but on the first few police public-order cameras (a decision, not a draw)."""
    flag = np.zeros(len(owner), dtype=bool)
    flag[np.flatnonzero((owner == POLICE) & (profile == ORDER))[:FACE_MATCHING_CAMERAS]] = True
    return flag


def fleet(count: int = 1000, seed: int = DEFAULT_SEED) -> list[dict]:
    """The first ``count`` cameras of the registry ``create(…, seed)`` builds, clean: what the fleet
    simulator drives. Up to 1,050 (the registry's size) they are the registry's cameras, same ids."""
    ids = np.arange(1, max(count, CAMERAS) + 1)
    cams = _clean(seed, ids, np.datetime64("2017-01-01"))
    wards, new = ward_arrays(), _wards_2025()
    out = []
    for i in range(count):
        w = cams["_ward"][i]
        out.append({"camera_id": cams["ma_camera"][i], "name": cams["ten_camera"][i],
                    "longitude": float(cams["kinh_do"][i]), "latitude": float(cams["vi_do"][i]),
                    "ward_code": new[wards["ward_code"][w]][0], "ward_name": new[wards["ward_code"][w]][1],
                    "old_ward_code": wards["ward_code"][w], "district": wards["district_name"][w],
                    "owner": cams["co_quan_quan_ly"][i],
                    "analytics_profile": PROFILE_CODES[cams["cau_hinh_phan_tich"][i]],
                    "crowd_threshold": int(cams["nguong_dam_dong"][i]),
                    "face_matching": bool(cams["nhan_dien_khuon_mat"][i]),
                    "status": "active" if cams["trang_thai"][i] == ACTIVE else "inactive",
                    "stream_url": cams["dia_chi_luong"][i]})
    return out


def _dirty(rng: np.random.Generator, cams: dict[str, np.ndarray], stamps) -> pa.Table:
    """The registry rows as clerks keyed them (see the module docstring)."""
    n = len(cams["id"])
    codes = cams["ma_camera"].copy()
    for i in np.flatnonzero(rng.random(n) < 0.015):
        codes[i] = [codes[i].lower(), codes[i].replace("-", " "), f" {codes[i]}"][rng.integers(0, 3)]
    owner = cams["co_quan_quan_ly"].copy()
    owner[(owner == CONSTRUCTION) & (rng.random(n) < 0.15)] = LEGACY_TRANSPORT
    threshold = cams["nguong_dam_dong"].copy()
    roll = rng.random(n)
    threshold = np.where(roll < 0.01, 0, np.where(roll < 0.015, -threshold, threshold))
    lat, lon = cams["vi_do"], cams["kinh_do"]
    roll = rng.random(n)
    lat, lon = np.where(roll < 0.01, lon, lat), np.where(roll < 0.01, lat, lon)
    no_point = (roll >= 0.01) & (roll < 0.02)
    cols = {
        "id": pa.array(cams["id"], pa.int64()),
        "ma_camera": codes,
        "ten_camera": nfd_some(rng, cams["ten_camera"], 0.2),
        "co_quan_quan_ly": owner,
        "loai_camera": typed_variants(rng, cams["loai_camera"], TYPE_VARIANTS, 0.08),
        "dia_chi_luong": cams["dia_chi_luong"],
        "cau_hinh_phan_tich": typed_variants(rng, cams["cau_hinh_phan_tich"], PROFILE_VARIANTS, 0.06),
        "nhan_dien_khuon_mat": pa.array(cams["nhan_dien_khuon_mat"], pa.bool_()),
        "nguong_dam_dong": pa.array(threshold, pa.int32()),
        "trang_thai": typed_variants(rng, cams["trang_thai"], STATUS_VARIANTS, 0.06),
        "ngay_lap_dat": pa.array(cams["ngay_lap_dat"].astype("datetime64[D]"), pa.date32()),
        **ward_columns(rng, cams["_ward"]),
        "vi_do": pa.array(lat, pa.float64(), mask=no_point),
        "kinh_do": pa.array(lon, pa.float64(), mask=no_point),
        "ngay_cap_nhat": to_utc_array(stamps),
    }
    return pa.table({k: v if isinstance(v, pa.Array) else pa.array(np.asarray(v, dtype=object), pa.string())
                     for k, v in cols.items()})


def create(dsn: str, scale: float, seed: int, force: bool = False, *, now: dt.datetime | None = None) -> dict:
    """(Re)build the registry: 1,050 cameras whatever ``scale`` (it is kept only as the build's state),
    plus ~1% keyed twice. Idempotent: same scale and seed already there → no-op."""
    with psycopg.connect(dsn) as conn:
        if kept := already_built(pg_state(conn, SCHEMA), scale, seed, force):
            return kept
        end = pg_anchor(conn, now)
        pg_recreate_schema(conn, SCHEMA, SCHEMA_SQL)
        rng = np.random.default_rng([seed, 0])
        cams = _clean(seed, np.arange(1, CAMERAS + 1), np.datetime64("2017-01-01"))
        stamps = end - np.timedelta64(SPAN_DAYS, "D") + rng.integers(0, SPAN_DAYS * 86_400, CAMERAS).astype(
            "timedelta64[s]")
        # an install date after the row's last change is impossible: those were keyed when installed
        installed = cams["ngay_lap_dat"].astype("datetime64[D]")
        stamps = np.maximum(stamps, installed.astype("datetime64[s]") + np.timedelta64(9, "h"))
        stamps = np.minimum(stamps, end - np.timedelta64(1, "s"))
        cams["ngay_lap_dat"] = np.minimum(installed, stamps.astype("datetime64[D]"))
        table = _dirty(rng, cams, stamps)
        twice = np.flatnonzero(rng.random(CAMERAS) < 0.01)
        table = pa.concat_tables([table, keyed_twice(table, twice, CAMERAS + 1, "ten_camera")])
        copy_pg(conn, f"{SCHEMA}.camera", table)
        pg_init_state(conn, SCHEMA, scale, seed)
        conn.execute(f"ANALYZE {SCHEMA}.camera")
    return {"created": True, "cameras": table.num_rows, "step": 0}


def advance(dsn: str, step: int | None = None, *, now: dt.datetime | None = None) -> dict:
    """One day: status changes (signal lost, back online, maintenance, decommissioned) and new cameras."""
    with psycopg.connect(dsn) as conn:
        state = pg_state(conn, SCHEMA)
        if (step := pending_step(state, step, "the camera registry")) is None:
            return {"advanced": False, "step": state[2]}
        _, seed, _ = state
        rng = np.random.default_rng([seed, step])
        now = now or conn.execute("SELECT now()").fetchone()[0]
        added_column = pg_schema_change(conn, SCHEMA, step, "camera", "do_phan_giai", "text")
        max_id, max_at = conn.execute(f"SELECT max(id), max(ngay_cap_nhat) FROM {SCHEMA}.camera").fetchone()
        touched = [int(i) for i in rng.choice(int(max_id), 12, replace=False) + 1]
        new_status = pick(rng, [OFFLINE, ACTIVE, MAINTENANCE, RETIRED], len(touched), [0.4, 0.4, 0.15, 0.05])
        resolution = ", do_phan_giai = u.res" if added_column or step >= 2 else ""
        res = pick(rng, ["1920x1080", "2560x1440", "1280x720"], len(touched), [0.6, 0.2, 0.2])
        edited = conn.execute(
            f"""UPDATE {SCHEMA}.camera c SET trang_thai = u.status, ngay_cap_nhat = %s{resolution}
                FROM unnest(%s::bigint[], %s::text[], %s::text[]) AS u(id, status, res) WHERE c.id = u.id""",
            (now, touched, list(new_status), list(res))).rowcount
        n_new = int(rng.integers(1, 4))
        ids = np.arange(max_id + 1, max_id + n_new + 1)
        cams = _clean(seed, ids, np.datetime64(now.astimezone(dt.UTC).date()))
        cams["trang_thai"] = np.full(n_new, ACTIVE, dtype=object)
        cams["nhan_dien_khuon_mat"] = np.zeros(n_new, dtype=bool)  # enabled only by a later decision
        new = _dirty(rng, cams, late_stamps(rng, n_new, now, max_at - dt.timedelta(hours=1)))
        copy_pg(conn, f"{SCHEMA}.camera", new)
        pg_set_step(conn, SCHEMA, step)
    return {"advanced": True, "step": step, "cameras_added": new.num_rows, "cameras_edited": edited,
            "schema_changed": added_column}
