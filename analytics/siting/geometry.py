"""Metres, not degrees: every distance in site selection is measured in UTM zone 48N (EPSG:32648),
the projected system that covers Ho Chi Minh City with negligible scale error."""
from __future__ import annotations

from functools import lru_cache

import numpy as np

UTM_48N = "EPSG:32648"


@lru_cache(maxsize=1)
def _to_utm():
    from pyproj import Transformer

    return Transformer.from_crs("EPSG:4326", UTM_48N, always_xy=True)


@lru_cache(maxsize=1)
def _to_lonlat():
    from pyproj import Transformer

    return Transformer.from_crs(UTM_48N, "EPSG:4326", always_xy=True)


def project(lon: np.ndarray, lat: np.ndarray) -> np.ndarray:
    """(n, 2) easting/northing in metres."""
    x, y = _to_utm().transform(np.asarray(lon, float), np.asarray(lat, float))
    return np.column_stack([x, y])


def unproject(xy: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    lon, lat = _to_lonlat().transform(xy[:, 0], xy[:, 1])
    return np.asarray(lon), np.asarray(lat)
