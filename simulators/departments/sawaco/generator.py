"""SAWACO's water network registry (PostGIS, schema ``cap_nuoc``), deterministic by seed.

``nha_may``: treatment plants (site polygons; Tân Hiệp, Thủ Đức, Nhà Bè, Dĩ An, each placed at the
covered ward centre nearest it, where the arterial mains meet, and joined to it by a trunk main);
``tram_bom``: booster pumping stations;
``nut``: junctions (elevation, base demand); ``ong``: pipes along every street (looped), with
material, diameter and install year (old cast iron and asbestos cement in the centre, HDPE and
ductile iron since 2000); ``van``: valves; ``tru_cuu_hoa``: fire hydrants. Dirt: see
``simulators.departments.infrastructure`` (bow-tie plant sites among it); ``advance`` replaces a few
pipes (HDPE, this year), adds hydrants and opens or closes valves.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import shapely

from simulators.departments import infrastructure as infra

SCHEMA = "cap_nuoc"
PLANTS = [
    ("NM-TANHIEP", "Nhà máy nước Tân Hiệp", (106.585, 10.889), 300_000.0),
    ("NM-THUDUC", "Nhà máy nước Thủ Đức", (106.806, 10.858), 750_000.0),
    ("NM-NHABE", "Nhà máy nước BOO Nhà Bè", (106.735, 10.700), 150_000.0),
    ("NM-DIAN", "Nhà máy nước Dĩ An", (106.770, 10.910), 200_000.0),
]
# material: (install years, odds in the old centre, odds elsewhere)
MATERIALS = {
    "Gang xám": ((1960, 1990), 0.30, 0.05),
    "Xi măng amiăng": ((1970, 1995), 0.20, 0.05),
    "Thép": ((1980, 2005), 0.15, 0.10),
    "uPVC": ((1995, 2015), 0.10, 0.25),
    "Gang dẻo": ((1995, 2025), 0.15, 0.25),
    "HDPE": ((2005, 2025), 0.10, 0.30),
}


def network(seed: int, scale: float) -> dict:
    rng = np.random.default_rng([seed, 31])
    g = infra.street_network(seed, scale)
    nodes = sorted(g)
    junctions = [
        {
            "ma_nut": n,
            "cao_do_m": round(float(2 + 45 * max(0.0, g.nodes[n]["xy"][1] - 10.85) + rng.uniform(0, 2)), 2),
            "nhu_cau_m3h": round(float(rng.uniform(0.5, 6.0)), 2),
            "geom": shapely.Point(g.nodes[n]["xy"]),
        }
        for n in nodes
    ]
    plants, pipes = [], []
    used = set()
    hubs = [n for n in nodes if n.endswith("11")]  # ward centres: where the arterial mains meet
    for code, name, xy, capacity in PLANTS:
        node = min(hubs, key=lambda n: (g.nodes[n]["xy"][0] - xy[0]) ** 2 + (g.nodes[n]["xy"][1] - xy[1]) ** 2)
        if node in used:
            continue
        used.add(node)
        nx_, ny_ = g.nodes[node]["xy"]
        site_xy = infra.near(rng, (nx_, ny_), 250)
        dx, dy = infra.km_to_deg(ny_)
        site = shapely.box(site_xy[0] - 0.15 * dx, site_xy[1] - 0.1 * dy, site_xy[0] + 0.15 * dx, site_xy[1] + 0.1 * dy)
        plants.append(
            {
                "ma_nha_may": code,
                "ten_nha_may": name,
                "cong_suat_m3ngay": capacity,
                "nut": code,
                "cot_ap_m": 32.0,
                "geom": site,
            }
        )
        pipes.append(
            {
                "ma_ong": f"ONG-T{len(plants)}",
                "tu_nut": code,
                "den_nut": node,
                "vat_lieu": "Thép",
                "duong_kinh_mm": 1500,
                "nam_lap_dat": 1999,
                "chieu_dai_m": 0.0,
                "geom": shapely.LineString([site.centroid.coords[0], (nx_, ny_)]),
            }
        )
    for u, v, data in sorted(g.edges(data=True)):
        centre = min(g.nodes[u]["ward"], g.nodes[v]["ward"]) < 12
        names = list(MATERIALS)
        material = names[
            rng.choice(
                len(names),
                p=np.array([m[1 if centre else 2] for m in MATERIALS.values()])
                / sum(m[1 if centre else 2] for m in MATERIALS.values()),
            )
        ]
        lo, hi = MATERIALS[material][0]
        diameter = int(rng.choice([600, 800, 1000]) if data["kind"] == "arterial" else rng.choice([100, 150, 200, 250]))
        pipes.append(
            {
                "ma_ong": f"ONG-{len(pipes) + 1:05d}",
                "tu_nut": u,
                "den_nut": v,
                "vat_lieu": material,
                "duong_kinh_mm": diameter,
                "nam_lap_dat": int(rng.integers(lo, hi + 1)),
                "chieu_dai_m": data["length_m"],
                "geom": data["geom"],
            }
        )
    for p in pipes:
        if p["chieu_dai_m"] == 0.0:
            p["chieu_dai_m"] = infra._length_m(p["geom"])
    pumps = [
        {
            "ma_tram_bom": f"TB-{i + 1:02d}",
            "ten_tram_bom": f"Trạm bơm tăng áp {n}",
            "nut": n,
            "cong_suat_m3h": float(rng.choice([500, 1000, 2000])),
            "geom": shapely.Point(infra.near(rng, g.nodes[n]["xy"], 20)),
        }
        for i, n in enumerate(rng.choice(nodes, max(2, len(nodes) // 80), replace=False))
    ]
    valves = [
        {
            "ma_van": f"VAN-{i + 1:05d}",
            "ma_ong": p["ma_ong"],
            "loai_van": str(rng.choice(["Van cổng", "Van bướm"])),
            "trang_thai": "Mở",
            "geom": shapely.line_interpolate_point(p["geom"], 0.1, normalized=True),
        }
        for i, p in enumerate(x for x in pipes if rng.random() < 0.3)
    ]
    hydrants = [
        {
            "ma_tru": f"TCH-{i + 1:05d}",
            "nut": n,
            "duong_kinh_mm": 100,
            "geom": shapely.Point(infra.near(rng, g.nodes[n]["xy"], 25)),
        }
        for i, n in enumerate(x for x in nodes if rng.random() < 0.5)
    ]
    return {
        "nha_may": plants,
        "tram_bom": pumps,
        "nut": junctions,
        "ong": pipes,
        "van": valves,
        "tru_cuu_hoa": hydrants,
    }


BLANKS = {"ong": {"vat_lieu": 0.03, "nam_lap_dat": 0.05, "duong_kinh_mm": 0.02}, "nut": {"cao_do_m": 0.02}}


def create(dsn: str, scale: float, seed: int, force: bool = False, *, now: dt.datetime | None = None) -> dict:
    def build(rng, end):
        net = network(seed, scale)
        return {
            name: infra.twice(rng, infra.asset_table(rng, rows, 1, end, BLANKS.get(name, {})), 0.01)
            for name, rows in net.items()
        }

    return infra.create_registry(dsn, SCHEMA, scale, seed, force, now, build)


def advance(dsn: str, step: int | None = None, *, now: dt.datetime | None = None) -> dict:
    """One day: a few pipes replaced with HDPE, valves operated, new hydrants."""

    def apply(conn, rng, scale, seed, step, now):
        edited = infra.touch(conn, SCHEMA, "ong", rng, "vat_lieu", ["HDPE"], 0.01, now)
        conn.execute(
            f"UPDATE {SCHEMA}.ong SET nam_lap_dat = %s WHERE ngay_cap_nhat = %s AND vat_lieu = 'HDPE'", (now.year, now)
        )
        edited += infra.touch(conn, SCHEMA, "van", rng, "trang_thai", ["Mở", "Đóng"], 0.02, now)
        hydrants = network(seed, scale)["tru_cuu_hoa"]
        new = [
            dict(hydrants[int(i)], ma_tru=f"TCH-N{step:03d}{j}")
            for j, i in enumerate(rng.choice(len(hydrants), 2, replace=False))
        ]
        added = infra.append_rows(
            conn,
            SCHEMA,
            "tru_cuu_hoa",
            infra.asset_table(rng, new, infra.next_id(conn, SCHEMA, "tru_cuu_hoa"), now, {}, 0),
        )
        return {"added": added, "edited": edited}

    return infra.advance_registry(dsn, SCHEMA, step, now, apply)
