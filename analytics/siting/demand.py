"""Where monitoring is wanted, as weighted points, from tables shaped like the warehouse's marts.

The marts are per ward (no ward polygons are published), so a ward's residents, pupils, incidents
and complaints are spread evenly over a disc of the ward's area around its centre (a sunflower
spiral: deterministic, even, no clumps); health facilities are points of their own. Weights are in
people-equivalents: a resident counts 1 and the other sources count what ``DemandWeights`` says,
policy choices an analyst sets rather than facts.

* residents: ``rpt_ward_overview.pupils`` × people per pupil (no population mart exists; enrolment
  tracks where families live);
* public-order and traffic complaints: ``rpt_ward_overview.hotline_contacts_12m`` × the city-wide
  share of those categories in ``rpt_hotline_response`` (the mart splits categories city-wide only);
* incidents and crowds: ``rpt_incident_hotspots`` alerts per ward, all days;
* schools: pupils again, at the school-gate weight;
* health facilities: ``dim_health_facilities`` in operation, by beds.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from analytics.siting.geometry import project, unproject

GOLDEN_ANGLE = np.pi * (3 - np.sqrt(5))
PUBLIC_ORDER_CATEGORIES = ("urban_order", "traffic", "public_security")


@dataclass(frozen=True)
class DemandWeights:
    people_per_pupil: float = 5.4
    per_resident: float = 1.0
    per_complaint: float = 50.0
    per_alert: float = 200.0
    per_pupil_at_school: float = 0.5
    per_bed: float = 20.0
    points_per_ward: int = 40


def spread(lon: float, lat: float, area_km2: float, n: int) -> np.ndarray:
    """``n`` projected points evenly over a disc of ``area_km2`` centred on (lon, lat)."""
    centre = project([lon], [lat])[0]
    radius = np.sqrt(max(area_km2, 0.01) * 1e6 / np.pi)
    i = np.arange(n) + 0.5
    r = radius * np.sqrt(i / n)
    theta = i * GOLDEN_ANGLE
    return centre + np.column_stack([r * np.cos(theta), r * np.sin(theta)])


def public_order_share(hotline_response: pa.Table | None) -> float:
    """Share of hotline contacts about public order and traffic, city-wide; 1 when unknown."""
    if hotline_response is None or hotline_response.num_rows == 0:
        return 1.0
    total = pc.sum(hotline_response["contacts"]).as_py() or 0
    mask = pc.is_in(hotline_response["category"], pa.array(PUBLIC_ORDER_CATEGORIES))
    part = pc.sum(pc.filter(hotline_response["contacts"], mask)).as_py() or 0
    return part / total if total else 1.0


def build_demand(ward_overview: pa.Table, incident_hotspots: pa.Table | None = None,
                 health_facilities: pa.Table | None = None, hotline_response: pa.Table | None = None,
                 weights: DemandWeights | None = None) -> pa.Table:
    """One row per demand point: source, ward_code_2025, longitude, latitude, x/y (UTM 48N), weight."""
    weights = weights or DemandWeights()
    wards = ward_overview.to_pandas()
    wards = wards[wards["latitude"].notna() & wards["longitude"].notna()]
    alerts = {}
    if incident_hotspots is not None and incident_hotspots.num_rows:
        per_ward = incident_hotspots.group_by("ward_code_2025").aggregate([("alerts", "sum")])
        alerts = dict(zip(per_ward["ward_code_2025"].to_pylist(), per_ward["alerts_sum"].to_pylist()))
    share = public_order_share(hotline_response)
    parts: list[tuple[str, np.ndarray, np.ndarray, np.ndarray]] = []   # source, ward, xy, weight
    n = weights.points_per_ward
    for ward in wards.itertuples(index=False):
        xy = spread(ward.longitude, ward.latitude, ward.area_km2 if ward.area_km2 == ward.area_km2 else 1.0, n)
        pupils = float(getattr(ward, "pupils", 0) or 0)
        per_point = {
            "residents": pupils * weights.people_per_pupil * weights.per_resident,
            "schools": pupils * weights.per_pupil_at_school,
            "complaints": float(getattr(ward, "hotline_contacts_12m", 0) or 0) * share * weights.per_complaint,
            "incidents": float(alerts.get(ward.ward_code_2025, 0) or 0) * weights.per_alert,
        }
        for source, total in per_point.items():
            if total > 0:
                parts.append((source, np.full(n, ward.ward_code_2025, dtype=object), xy, np.full(n, total / n)))
    if health_facilities is not None and health_facilities.num_rows:
        hf = health_facilities.to_pandas()
        hf = hf[hf["latitude"].notna() & hf["longitude"].notna()]
        if "status" in hf:
            hf = hf[hf["status"] == "active"]
        if len(hf):
            beds = hf["beds"].fillna(0).to_numpy(float) if "beds" in hf else np.zeros(len(hf))
            parts.append(("health", hf["ward_code_2025"].to_numpy(object), project(hf["longitude"], hf["latitude"]),
                          np.maximum(beds, 1.0) * weights.per_bed))
    if not parts:
        raise ValueError("no demand: the ward overview has no ward with coordinates and figures")
    xy = np.vstack([p[2] for p in parts])
    lon, lat = unproject(xy)
    return pa.table({
        "source": pa.array(np.concatenate([np.full(len(p[3]), p[0], dtype=object) for p in parts]), pa.string()),
        "ward_code_2025": pa.array(np.concatenate([p[1] for p in parts]), pa.string()),
        "longitude": lon, "latitude": lat, "x_utm48n": xy[:, 0], "y_utm48n": xy[:, 1],
        "weight": np.concatenate([p[3] for p in parts]),
    })


def build_candidates(cameras: pa.Table | None = None, extra: pa.Table | None = None,
                     demand: pa.Table | None = None, grid_spacing_m: float = 500.0) -> pa.Table:
    """Candidate sites: the registry's cameras in service (fixed, cost 0), the ``extra`` candidates
    (site_id, kind, longitude, latitude, cost: intersections, poles), or, where none are given, a grid
    over the demand (kind 'grid', a stand-in until the street inventory is in the warehouse)."""
    frames = []
    if cameras is not None and cameras.num_rows:
        cam = cameras.to_pandas()
        cam = cam[cam["latitude"].notna() & cam["longitude"].notna()]
        if "status" in cam:
            cam = cam[cam["status"] == "active"]
        frames.append(pa.table({"site_id": cam["camera_id"].astype(str), "kind": ["camera"] * len(cam),
                                "longitude": cam["longitude"].astype(float), "latitude": cam["latitude"].astype(float),
                                "cost": np.zeros(len(cam)), "is_fixed": np.ones(len(cam), bool)}))
    if extra is not None and extra.num_rows:
        ex = extra.to_pandas()
        frames.append(pa.table({"site_id": ex["site_id"].astype(str), "kind": ex["kind"].astype(str),
                                "longitude": ex["longitude"].astype(float), "latitude": ex["latitude"].astype(float),
                                "cost": ex["cost"].astype(float) if "cost" in ex else np.ones(len(ex)),
                                "is_fixed": np.zeros(len(ex), bool)}))
    elif demand is not None and demand.num_rows:
        x, y = demand["x_utm48n"].to_numpy(), demand["y_utm48n"].to_numpy()
        gx, gy = np.meshgrid(np.arange(x.min(), x.max() + grid_spacing_m, grid_spacing_m),
                             np.arange(y.min(), y.max() + grid_spacing_m, grid_spacing_m))
        xy = np.column_stack([gx.ravel(), gy.ravel()])
        lon, lat = unproject(xy)
        frames.append(pa.table({"site_id": [f"grid-{i:06d}" for i in range(len(xy))], "kind": ["grid"] * len(xy),
                                "longitude": lon, "latitude": lat, "cost": np.ones(len(xy)),
                                "is_fixed": np.zeros(len(xy), bool)}))
    if not frames:
        raise ValueError("no candidate sites: give cameras, extra candidates or demand to grid over")
    return pa.concat_tables(frames)
