"""VNPost's network registry (PostGIS, schema ``buu_chinh``): post offices and delivery points.

``buu_cuc``: post offices (grade 1–3 and cultural post points), about one per two wards;
``diem_phat``: delivery points (addresses with their households), spread over each ward, the
population the coverage analysis weighs. Dirt: see ``simulators.departments.infrastructure``;
``advance`` adds delivery points, removes a few (hard deletes) and changes household counts.
"""
from __future__ import annotations

import datetime as dt

import numpy as np
import shapely

from simulators.departments import infrastructure as infra
from simulators.departments.common import addresses

SCHEMA = "buu_chinh"
GRADES = ["Bưu cục cấp 1", "Bưu cục cấp 2", "Bưu cục cấp 3", "Điểm Bưu điện - Văn hóa xã"]


def assets(seed: int, scale: float) -> dict:
    rng = np.random.default_rng([seed, 51])
    g = infra.street_network(seed, scale)
    covered = infra.wards(scale)
    offices, points = [], []
    for w, nodes in sorted(infra.ward_nodes(g).items()):
        if rng.random() < 0.5:
            n = nodes[int(rng.integers(0, len(nodes)))]
            offices.append({"ma_buu_cuc": f"BC-{len(offices) + 1:04d}", "ten_buu_cuc": f"Bưu cục {n}",
                            "loai": str(rng.choice(GRADES, p=[0.1, 0.3, 0.4, 0.2])),
                            "geom": shapely.Point(infra.near(rng, g.nodes[n]["xy"], 40))})
        xs = [g.nodes[n]["xy"][0] for n in nodes]
        ys = [g.nodes[n]["xy"][1] for n in nodes]
        cell = covered[w]["cell"]
        count = max(6, int(400 * scale))
        for x, y, street in zip(rng.uniform(min(xs), max(xs), count), rng.uniform(min(ys), max(ys), count),
                                addresses(rng, count)):
            if cell.contains(shapely.Point(x, y)):
                points.append({"ma_diem": f"DP-{len(points) + 1:06d}", "dia_chi": str(street),
                               "so_ho": int(rng.integers(1, 60)), "geom": shapely.Point(round(x, 7), round(y, 7))})
    return {"buu_cuc": offices, "diem_phat": points}


def create(dsn: str, scale: float, seed: int, force: bool = False, *, now: dt.datetime | None = None) -> dict:
    def build(rng, end):
        return {name: infra.twice(rng, infra.asset_table(rng, rows, 1, end, {"so_ho": 0.02}), 0.01)
                for name, rows in assets(seed, scale).items()}

    return infra.create_registry(dsn, SCHEMA, scale, seed, force, now, build)


def advance(dsn: str, step: int | None = None, *, now: dt.datetime | None = None) -> dict:
    def apply(conn, rng, scale, seed, step, now):
        edited = infra.touch(conn, SCHEMA, "diem_phat", rng, "so_ho", [str(v) for v in range(1, 60)], 0.01, now,
                             "integer")
        points = assets(seed, scale)["diem_phat"]
        new = [dict(points[int(i)], ma_diem=f"DP-N{step:03d}{j}") for j, i in enumerate(rng.choice(len(points), 5))]
        added = infra.append_rows(conn, SCHEMA, "diem_phat", infra.asset_table(
            rng, new, infra.next_id(conn, SCHEMA, "diem_phat"), now, {}, 0))
        gone = conn.execute(f"DELETE FROM {SCHEMA}.diem_phat WHERE id IN (SELECT id FROM {SCHEMA}.diem_phat "
                            f"ORDER BY md5(id::text || %s) LIMIT 2)", (str(step),)).rowcount
        return {"added": added, "edited": edited, "deleted": gone}

    return infra.advance_registry(dsn, SCHEMA, step, now, apply)
