"""EVNHCMC's medium-voltage registry (PostGIS, schema ``luoi_dien``), deterministic by seed.

``tram_bien_ap``: 110/22 kV substations (one per ~4 covered wards, the grid's sources) and 22 kV
switching stations (trạm cắt) where a feeder branches three ways or more. ``xuat_tuyen``: the 22 kV
feeder segments, radial from each substation along the streets (each substation's nearest streets by
cable length; one feeder per street leaving it), ``tu_nut``/``den_nut`` the street nodes they join, plus
normally-open tie lines between feeders (``trang_thai_dong_cat = 'Mở'``) that operators close to
restore supply. ``tram_phan_phoi``: 22/0.4 kV distribution transformers on the feeders, with their
customers. Dirt: see ``simulators.departments.infrastructure``; ``advance`` adds transformers, changes
customer counts and sends a substation to maintenance.
"""

from __future__ import annotations

import datetime as dt

import networkx as nx
import numpy as np
import psycopg
import shapely

from simulators.departments import infrastructure as infra

SCHEMA = "luoi_dien"
KVA = [250, 400, 560, 630, 750, 1000]
CONDUCTORS = ["Cáp ngầm XLPE 240mm²", "Cáp ngầm XLPE 400mm²", "Dây nhôm lõi thép AC-185", "ACX 240"]


def grid(seed: int, scale: float) -> dict:
    """The clean network: substations, segments (tree + ties), transformers, as Python rows."""
    rng = np.random.default_rng([seed, 21])
    g = infra.street_network(seed, scale)
    covered = sorted({g.nodes[n]["ward"] for n in g})
    picks = covered[::4]
    sources = [f"N{w:03d}11" for w in picks if f"N{w:03d}11" in g]
    _, paths = nx.multi_source_dijkstra(g, sources, weight="length_m")
    parent = {n: p[-2] for n, p in paths.items() if len(p) > 1}
    root = {n: p[0] for n, p in paths.items()}
    feeder: dict[str, str] = {}
    subs, segments, ties, trafos = [], [], [], []
    code = {s: f"E110-{i + 1:02d}" for i, s in enumerate(sources)}
    for s in sources:
        xy = infra.near(rng, g.nodes[s]["xy"], 60)
        subs.append(
            {
                "ma_tram": code[s],
                "ten_tram": f"Trạm 110kV {g.nodes[s]['ward']:03d}",
                "cap_dien_ap": "110/22kV",
                "cong_suat_mva": float(rng.choice([63.0, 126.0])),
                "nut": s,
                "trang_thai": "Vận hành",
                "geom": shapely.Point(xy),
            }
        )
    for n, p in paths.items():  # feeders: the branches leaving a substation
        if len(p) > 1:
            first = p[1]
            feeder[n] = f"{code[p[0]]}/XT{sorted(nx.neighbors(g, p[0])).index(first) + 471}"
    children: dict[str, int] = {}
    for p in parent.values():
        children[p] = children.get(p, 0) + 1
    k = 0
    for n, p in sorted(parent.items()):
        line = g.edges[p, n]["geom"]
        if line.coords[0] != g.nodes[p]["xy"]:
            line = shapely.reverse(line)
        segments.append(
            {
                "ma_doan": f"DT-{len(segments) + 1:05d}",
                "ma_xuat_tuyen": feeder[n],
                "tu_nut": p,
                "den_nut": n,
                "dien_ap_kv": 22.0,
                "loai_day": str(rng.choice(CONDUCTORS)),
                "chieu_dai_m": g.edges[p, n]["length_m"],
                "trang_thai_dong_cat": "Đóng",
                "geom": line,
            }
        )
        for _ in range(int(rng.integers(1, 3))):
            k += 1
            kva = int(rng.choice(KVA))
            trafos.append(
                {
                    "ma_tba": f"TBA-{k:05d}",
                    "ma_xuat_tuyen": feeder[n],
                    "nut": n,
                    "cong_suat_kva": kva,
                    "so_khach_hang": int(kva * rng.uniform(0.4, 0.9)),
                    "geom": shapely.Point(infra.near(rng, g.nodes[n]["xy"], 40)),
                }
            )
    for n, count in sorted(children.items()):
        if count >= 3 and n not in code:
            subs.append(
                {
                    "ma_tram": f"TC22-{len(subs) + 1:03d}",
                    "ten_tram": f"Trạm cắt 22kV {n}",
                    "cap_dien_ap": "22kV",
                    "cong_suat_mva": None,
                    "nut": n,
                    "trang_thai": "Vận hành",
                    "geom": shapely.Point(infra.near(rng, g.nodes[n]["xy"], 30)),
                }
            )
    pairs = set()
    for u, v, data in sorted(g.edges(data=True)):
        if parent.get(v) == u or parent.get(u) == v or u in code or v in code:
            continue
        pair = tuple(sorted((feeder.get(u), feeder.get(v))))
        if pair[0] == pair[1] or pair in pairs or root[u] == root[v] and rng.random() < 0.5:
            continue
        pairs.add(pair)
        ties.append(
            {
                "ma_doan": f"LL-{len(ties) + 1:04d}",
                "ma_xuat_tuyen": None,
                "tu_nut": u,
                "den_nut": v,
                "dien_ap_kv": 22.0,
                "loai_day": CONDUCTORS[0],
                "chieu_dai_m": data["length_m"],
                "trang_thai_dong_cat": "Mở",
                "geom": data["geom"],
            }
        )
    return {"subs": subs, "segments": segments + ties, "trafos": trafos}


def create(dsn: str, scale: float, seed: int, force: bool = False, *, now: dt.datetime | None = None) -> dict:
    """(Re)build the registry; a no-op when the same scale and seed are there."""
    st = infra.state(dsn, SCHEMA)
    if st and st[0] == scale and st[1] == seed and not force:
        return {"created": False, "step": st[2]}
    end = now or dt.datetime.now(dt.UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    net = grid(seed, scale)
    rng = np.random.default_rng([seed, 0])
    tables = {
        "tram_bien_ap": infra.twice(rng, infra.asset_table(rng, net["subs"], 1, end, {"cong_suat_mva": 0.05}), 0.03),
        "xuat_tuyen": infra.twice(rng, infra.asset_table(rng, net["segments"], 1, end, {"loai_day": 0.05}), 0.01),
        "tram_phan_phoi": infra.twice(
            rng, infra.asset_table(rng, net["trafos"], 1, end, {"so_khach_hang": 0.02}), 0.01
        ),
    }
    return infra.write_registry(dsn, SCHEMA, tables, scale, seed)


def advance(dsn: str, step: int | None = None, *, now: dt.datetime | None = None) -> dict:
    """One day: new transformers on existing feeders, customer counts changed, a substation in maintenance."""
    st = infra.state(dsn, SCHEMA)
    if st is None:
        raise RuntimeError("the EVN registry is empty: run create() first")
    step = st[2] + 1 if step is None else step
    if step <= st[2]:
        return {"advanced": False, "step": st[2]}
    scale, seed, _ = st
    rng = np.random.default_rng([seed, 1000 + step])
    with psycopg.connect(dsn) as conn:
        now = now or conn.execute("SELECT now()").fetchone()[0]
        trafos = grid(seed, scale)["trafos"]
        first = conn.execute(f"SELECT max(id) FROM {SCHEMA}.tram_phan_phoi").fetchone()[0] + 1
        new = [
            dict(trafos[int(i)], ma_tba=f"TBA-N{step:03d}{j}")
            for j, i in enumerate(rng.choice(len(trafos), 3, replace=False))
        ]
        added = infra.append_rows(conn, SCHEMA, "tram_phan_phoi", infra.asset_table(rng, new, first, now, {}, 0))
        edited = infra.touch(
            conn,
            SCHEMA,
            "tram_phan_phoi",
            rng,
            "so_khach_hang",
            [str(v) for v in range(150, 800, 25)],
            0.02,
            now,
            "integer",
        )
        edited += infra.touch(conn, SCHEMA, "tram_bien_ap", rng, "trang_thai", ["Bảo trì", "Vận hành"], 0.05, now)
        infra.set_step(conn, SCHEMA, step)
    return {"advanced": True, "step": step, "added": added, "edited": edited}
