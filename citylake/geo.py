"""Geography every layer agrees on."""
from __future__ import annotations

import json

# Ho Chi Minh City since 1 July 2025 (with former Bình Dương and Bà Rịa–Vũng Tàu, Côn Đảo included)
HCMC_BOUNDS = {"lat_min": 8.5, "lat_max": 11.6, "lon_min": 106.3, "lon_max": 107.7}
WGS84, VN2000, UTM48N = 4326, 3405, 32648   # VN-2000 / UTM zone 48N; WGS 84 / UTM zone 48N
GEOPARQUET_VERSION = "1.1.0"


def geoparquet_metadata(columns: dict[str, str | None], types: dict[str, list[str]] | None = None) -> str:
    """GeoParquet ``geo`` metadata (JSON) for WKB columns. ``columns`` maps each geometry column to the
    column that holds each row's SRID (bronze: the registries mix systems), or None when the column is
    in OGC:CRS84 lon/lat (silver: GeoParquet's default CRS, so ``crs`` is left out)."""
    out = {}
    for name, srid_column in columns.items():
        spec = {"encoding": "WKB", "geometry_types": (types or {}).get(name, [])}
        if srid_column:
            spec["crs"] = None                       # GeoParquet: null = unknown; each row says it
            spec["citylake:srid_column"] = srid_column
        out[name] = spec
    return json.dumps({"version": GEOPARQUET_VERSION, "primary_column": next(iter(columns)), "columns": out})


def in_city(lon, lat):
    """Whether lon/lat (scalars or numpy arrays) fall inside the city's bounds."""
    b = HCMC_BOUNDS
    return (lon >= b["lon_min"]) & (lon <= b["lon_max"]) & (lat >= b["lat_min"]) & (lat <= b["lat_max"])
