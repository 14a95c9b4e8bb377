"""The telecom operators' shared infrastructure registry (PostGIS, schema ``vien_thong``).

``tram_phat_song``: antenna sites (operator, 4G/5G, mast height), one to three per ward;
``tu_cap``: street cabinets at crossings; ``tuyen_cap_quang``: fibre routes along the streets, from the
exchange to each cabinet (shortest street path). Dirt: see ``simulators.departments.infrastructure``;
``advance`` adds a 5G site and upgrades some to 5G.
"""

from __future__ import annotations

import datetime as dt

import networkx as nx
import numpy as np
import shapely

from simulators.departments import infrastructure as infra

SCHEMA = "vien_thong"
OPERATORS = ["Viettel", "VNPT", "MobiFone"]


def assets(seed: int, scale: float) -> dict:
    rng = np.random.default_rng([seed, 41])
    g = infra.street_network(seed, scale)
    by_ward = infra.ward_nodes(g)
    sites = []
    for _ward, nodes in sorted(by_ward.items()):
        for _ in range(int(rng.integers(1, 4))):
            n = nodes[int(rng.integers(0, len(nodes)))]
            sites.append(
                {
                    "ma_tram": f"BTS-{len(sites) + 1:05d}",
                    "nha_mang": str(rng.choice(OPERATORS)),
                    "cong_nghe": str(rng.choice(["4G", "5G"], p=[0.7, 0.3])),
                    "do_cao_m": float(rng.choice([18, 24, 30, 36, 42])),
                    "geom": shapely.Point(infra.near(rng, g.nodes[n]["xy"], 150)),
                }
            )
    exchange = sorted(g)[0]
    cabinet_nodes = [n for n in sorted(g) if rng.random() < 0.4 and n != exchange]
    cabinets = [
        {
            "ma_tu": f"TU-{i + 1:05d}",
            "nut": n,
            "so_cong": int(rng.choice([96, 144, 288])),
            "geom": shapely.Point(infra.near(rng, g.nodes[n]["xy"], 15)),
        }
        for i, n in enumerate(cabinet_nodes)
    ]
    paths = nx.single_source_dijkstra_path(g, exchange, weight="length_m")
    routes = [
        {
            "ma_tuyen": f"CQ-{i + 1:05d}",
            "ma_tu": c["ma_tu"],
            "so_soi": int(rng.choice([12, 24, 48, 96])),
            "geom": shapely.LineString([g.nodes[n]["xy"] for n in paths[c["nut"]]]),
        }
        for i, c in enumerate(cabinets)
    ]
    return {"tram_phat_song": sites, "tu_cap": cabinets, "tuyen_cap_quang": routes}


def create(dsn: str, scale: float, seed: int, force: bool = False, *, now: dt.datetime | None = None) -> dict:
    def build(rng, end):
        return {
            name: infra.twice(rng, infra.asset_table(rng, rows, 1, end, {"cong_nghe": 0.03}), 0.01)
            for name, rows in assets(seed, scale).items()
        }

    return infra.create_registry(dsn, SCHEMA, scale, seed, force, now, build)


def advance(dsn: str, step: int | None = None, *, now: dt.datetime | None = None) -> dict:
    def apply(conn, rng, scale, seed, step, now):
        edited = infra.touch(conn, SCHEMA, "tram_phat_song", rng, "cong_nghe", ["5G"], 0.03, now)
        sites = assets(seed, scale)["tram_phat_song"]
        new = [dict(sites[int(rng.integers(0, len(sites)))], ma_tram=f"BTS-N{step:03d}", cong_nghe="5G")]
        added = infra.append_rows(
            conn,
            SCHEMA,
            "tram_phat_song",
            infra.asset_table(rng, new, infra.next_id(conn, SCHEMA, "tram_phat_song"), now, {}, 0),
        )
        return {"added": added, "edited": edited}

    return infra.advance_registry(dsn, SCHEMA, step, now, apply)
