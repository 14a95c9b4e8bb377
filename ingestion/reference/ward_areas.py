"""Approximate 2025 ward areas as polygons (WGS 84): the Voronoi cells of the official ward centres.

No ward boundaries are published offline (docs: "No real geometry offline"), so every layer that
needs "which ward is this in" uses these cells: they tile the city without gaps or overlaps, so each
point in the city falls in exactly one ward. The leadership report draws the same cells (cut to discs).
"""
from __future__ import annotations

import math
from functools import lru_cache

import numpy as np
import pyarrow as pa
import shapely
from shapely import affinity

from citylake.geo import HCMC_BOUNDS


@lru_cache(maxsize=1)
def ward_areas_2025() -> tuple[list[dict], np.ndarray]:
    """(wards as dicts: code, name, centre, area; their cells as a shapely array, same order)."""
    from ingestion.reference.tables import admin_units_2025

    wards = admin_units_2025().to_pylist()
    lats = np.array([w["latitude"] for w in wards])
    lons = np.array([w["longitude"] for w in wards])
    x_scale = math.cos(math.radians(float(lats.mean())))   # a locally equal-distance plane
    points = shapely.multipoints(np.column_stack([lons * x_scale, lats]))
    b = HCMC_BOUNDS
    frame = shapely.box(b["lon_min"] * x_scale, b["lat_min"], b["lon_max"] * x_scale, b["lat_max"])
    cells = shapely.voronoi_polygons(points, extend_to=frame, ordered=True)
    out = np.array([affinity.scale(shapely.intersection(cell, frame), xfact=1 / x_scale, yfact=1.0, origin=(0, 0))
                    for cell in cells.geoms])
    return wards, out


def ward_areas_table() -> pa.Table:
    """The cells as a table (WKB geometry, WGS 84) for silver/reference and the map."""
    wards, cells = ward_areas_2025()
    return pa.table({"ward_code_2025": [w["ward_code_2025"] for w in wards],
                     "ward_name_2025": [w["ward_name_2025"] for w in wards],
                     "ward_type": [w["ward_type"] for w in wards],
                     "latitude": [w["latitude"] for w in wards], "longitude": [w["longitude"] for w in wards],
                     "area_km2": [w["area_km2"] for w in wards],
                     "geometry": pa.array(shapely.to_wkb(cells).tolist(), pa.binary())})


GRID = 128   # cells per side of the bucket grid over the wards' extent


def assign_wards(xs: np.ndarray, ys: np.ndarray) -> np.ndarray:
    """Position (into ``ward_areas_2025()``) of the ward each lon/lat point lies in, -1 outside the city.

    The points are bucketed once on a grid over the wards' extent (one sort); per ward, the buckets its
    bounding box covers give the candidates, and ``shapely.intersects_xy`` on the prepared cell decides
    for those alone — no point objects are made, and no ward scans every point. A point on a shared
    edge goes to the first ward. Measured against an STRtree query and ``geopandas.sjoin`` in
    bench/bench_gis.py."""
    _, cells = ward_areas_2025()
    xs, ys = np.asarray(xs, float), np.asarray(ys, float)
    out = np.full(len(xs), -1, dtype=np.int64)
    (x0, y0, x1, y1), ward_buckets = _grid()
    inside = (xs >= x0) & (xs <= x1) & (ys >= y0) & (ys <= y1)
    bx = np.clip(((xs - x0) / (x1 - x0) * GRID).astype(np.int64), 0, GRID - 1)
    by = np.clip(((ys - y0) / (y1 - y0) * GRID).astype(np.int64), 0, GRID - 1)
    bucket = np.where(inside, by * GRID + bx, GRID * GRID)
    order = np.argsort(bucket, kind="stable")
    starts = np.searchsorted(bucket[order], np.arange(GRID * GRID + 1))
    for i, (cell, (col0, col1, row0, row1)) in enumerate(zip(cells, ward_buckets)):
        candidates = np.concatenate([order[starts[row * GRID + col0]:starts[row * GRID + col1 + 1]]
                                     for row in range(row0, row1 + 1)])
        candidates = candidates[out[candidates] < 0]
        if len(candidates):
            out[candidates[shapely.intersects_xy(cell, xs[candidates], ys[candidates])]] = i
    return out


@lru_cache(maxsize=1)
def _grid() -> tuple[tuple[float, float, float, float], np.ndarray]:
    """The wards' extent, and per ward the first and last grid column and row its bounding box covers."""
    b = _bounds()
    x0, y0, x1, y1 = float(b[:, 0].min()), float(b[:, 1].min()), float(b[:, 2].max()), float(b[:, 3].max())

    def col(v):
        return np.clip(((v - x0) / (x1 - x0) * GRID).astype(np.int64), 0, GRID - 1)

    def row(v):
        return np.clip(((v - y0) / (y1 - y0) * GRID).astype(np.int64), 0, GRID - 1)

    return (x0, y0, x1, y1), np.column_stack([col(b[:, 0]), col(b[:, 2]), row(b[:, 1]), row(b[:, 3])])


def assign_wards_strtree(xs: np.ndarray, ys: np.ndarray) -> np.ndarray:
    """The same answer through an STRtree query on point objects (kept for the benchmark)."""
    points = shapely.points(np.asarray(xs, float), np.asarray(ys, float))
    pt, cell = _tree().query(points, predicate="intersects")
    out = np.full(len(points), -1, dtype=np.int64)
    out[pt[::-1]] = cell[::-1]   # a point on a shared edge: the first cell wins, as above
    return out


@lru_cache(maxsize=1)
def _bounds() -> np.ndarray:
    cells = ward_areas_2025()[1]
    shapely.prepare(cells)
    return shapely.bounds(cells)


@lru_cache(maxsize=1)
def _tree() -> shapely.STRtree:
    return shapely.STRtree(ward_areas_2025()[1])
