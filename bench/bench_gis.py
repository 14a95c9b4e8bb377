"""Assigning points to 2025 wards: citylake's way (``ingestion.reference.ward_areas.assign_wards``: points
bucketed on a grid, per ward the buckets its bounding box covers, then ``shapely.intersects_xy`` on the
prepared cell), an STRtree query on point
objects, and the plain ``geopandas.sjoin`` way, side by side in one run on the same points, with the ratios.

    .venv/bin/python bench/bench_gis.py --points 1000000 --rounds 3

Both answer the same question for every point (which of the 168 ward cells holds it); the run checks
they agree before it prints a number.
"""
from __future__ import annotations

import argparse
import statistics
import time

import geopandas as gpd
import numpy as np
import shapely

from ingestion.reference.ward_areas import _bounds, _tree, assign_wards, assign_wards_strtree, ward_areas_2025


def points(n: int, seed: int = 1) -> tuple[np.ndarray, np.ndarray]:
    """Points around the ward centres, as addresses cluster (plus a uniform share over the city)."""
    rng = np.random.default_rng(seed)
    wards, _ = ward_areas_2025()
    centres = np.array([(w["longitude"], w["latitude"]) for w in wards])
    pick = rng.integers(0, len(centres), n)
    xy = centres[pick] + rng.normal(0, 0.02, (n, 2))
    uniform = rng.random(n) < 0.1
    xy[uniform] = np.column_stack([rng.uniform(106.4, 107.4, uniform.sum()), rng.uniform(10.3, 11.3, uniform.sum())])
    return xy[:, 0], xy[:, 1]


def citylake_way(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    return assign_wards(x, y)


def sjoin_way(x: np.ndarray, y: np.ndarray, wards: gpd.GeoDataFrame) -> np.ndarray:
    pts = gpd.GeoDataFrame(geometry=gpd.points_from_xy(x, y), crs=4326)
    joined = gpd.sjoin(pts, wards, how="left", predicate="within")
    joined = joined[~joined.index.duplicated(keep="first")]
    return joined["index_right"].fillna(-1).astype(int).to_numpy()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--points", type=int, default=1_000_000)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    _, cells = ward_areas_2025()
    _tree(), _bounds()                                   # built once, as in the silver job
    wards = gpd.GeoDataFrame(geometry=list(cells), crs=4326)
    x, y = points(args.points)
    ours, tree, theirs = [], [], []
    for _ in range(args.rounds):                         # alternating, so all see the same machine load
        t = time.perf_counter()
        a = citylake_way(x, y)
        ours.append(time.perf_counter() - t)
        t = time.perf_counter()
        c = assign_wards_strtree(x, y)
        tree.append(time.perf_counter() - t)
        t = time.perf_counter()
        b = sjoin_way(x, y, wards)
        theirs.append(time.perf_counter() - t)
    assert (a == c).all(), "the STRtree query disagrees"
    on_edge = shapely.touches(shapely.points(x, y), cells[np.maximum(a, 0)]) & (a >= 0)
    agree = (a == b) | on_edge                           # a point on a shared edge may go to either cell
    assert agree.all(), f"{(~agree).sum()} points assigned differently"
    o, s, r = statistics.median(ours), statistics.median(theirs), statistics.median(tree)
    print(f"{args.points:,} points → {len(cells)} wards ({(a < 0).mean():.1%} outside every ward), "
          f"median of {args.rounds} rounds")
    print(f"  geopandas.sjoin (within)          {s:7.3f} s  {args.points / s:12,.0f} points/s")
    print(f"  shapely STRtree query (points)    {r:7.3f} s  {args.points / r:12,.0f} points/s  ({s / r:.2f}× sjoin)")
    print(f"  citylake bbox + intersects_xy     {o:7.3f} s  {args.points / o:12,.0f} points/s  ({s / o:.2f}× sjoin)")
    print(f"  ratio citylake / sjoin            {s / o:7.2f}×")


if __name__ == "__main__":
    main()
