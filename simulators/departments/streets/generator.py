"""The Department of Construction's street network registry (PostGIS, schema ``giao_thong``).

``doan_duong``: street segments between crossings (``tu_nut``/``den_nut``), name, class, lanes and
length; the same network the utilities lay their lines along (``infrastructure.street_network``).
Dirt: see ``simulators.departments.infrastructure``; ``advance`` re-classifies a few segments.
"""
from __future__ import annotations

import datetime as dt

import numpy as np

from simulators.departments import infrastructure as infra

SCHEMA = "giao_thong"


def segments(seed: int, scale: float) -> list[dict]:
    rng = np.random.default_rng([seed, 61])
    g = infra.street_network(seed, scale)
    return [{"ma_doan": f"DD-{i + 1:05d}", "ten_duong": data["street"], "tu_nut": u, "den_nut": v,
             "cap_duong": "Đường trục chính" if data["kind"] == "arterial" else "Đường nội phường",
             "so_lan": int(rng.choice([4, 6]) if data["kind"] == "arterial" else rng.choice([1, 2])),
             "chieu_dai_m": data["length_m"], "geom": data["geom"]}
            for i, (u, v, data) in enumerate(sorted(g.edges(data=True)))]


def create(dsn: str, scale: float, seed: int, force: bool = False, *, now: dt.datetime | None = None) -> dict:
    def build(rng, end):
        return {"doan_duong": infra.twice(rng, infra.asset_table(rng, segments(seed, scale), 1, end,
                                                                  {"so_lan": 0.03}), 0.01)}

    return infra.create_registry(dsn, SCHEMA, scale, seed, force, now, build)


def advance(dsn: str, step: int | None = None, *, now: dt.datetime | None = None) -> dict:
    def apply(conn, rng, scale, seed, step, now):
        return {"edited": infra.touch(conn, SCHEMA, "doan_duong", rng, "so_lan", ["2", "4"], 0.01, now, "integer")}

    return infra.advance_registry(dsn, SCHEMA, step, now, apply)
