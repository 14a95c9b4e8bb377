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


def assign_wards(xs: np.ndarray, ys: np.ndarray) -> np.ndarray:
    """Position (into ``ward_areas_2025()``) of the ward each lon/lat point lies in, -1 outside the city.

    Per ward: the points inside its bounding box (numpy), then ``shapely.intersects_xy`` on the prepared
    cell for those alone — no point objects are made. A point on a shared edge goes to the first ward.
    About 2× an STRtree query and 4× ``geopandas.sjoin`` on a million points (bench/bench_gis.py)."""
    _, cells = ward_areas_2025()
    xs, ys = np.asarray(xs, float), np.asarray(ys, float)
    out = np.full(len(xs), -1, dtype=np.int64)
    for i, (cell, (x0, y0, x1, y1)) in enumerate(zip(cells, _bounds())):
        candidates = np.flatnonzero((xs >= x0) & (xs <= x1) & (ys >= y0) & (ys <= y1) & (out < 0))
        if len(candidates):
            out[candidates[shapely.intersects_xy(cell, xs[candidates], ys[candidates])]] = i
    return out


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
