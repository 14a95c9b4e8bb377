"""Tables shaped like the warehouse's marts, generated deterministically for the analytics tests.

Wards are real 2025 codes (the scenario files name some of them); their figures follow the structure
the city model assumes (residents growing log-linearly, enterprises forming per resident and closing
at a steady rate, FDI on a trend) with noise, so calibration has something true to find.
"""
from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa

# the metro line 1 corridor, the industrial park's ward, and a few others
WARDS = {
    "26743": ("Phường Bến Thành", 10.7725, 106.6980, 0.9),
    "26740": ("Phường Sài Gòn", 10.7790, 106.7040, 1.2),
    "26956": ("Phường Thạnh Mỹ Tây", 10.8010, 106.7180, 2.0),
    "27094": ("Phường An Khánh", 10.8030, 106.7390, 3.5),
    "26848": ("Phường Phước Long", 10.8210, 106.7650, 4.0),
    "26824": ("Phường Thủ Đức", 10.8500, 106.7720, 4.5),
    "26842": ("Phường Tăng Nhơn Phú", 10.8420, 106.7900, 6.0),
    "26800": ("Phường Linh Xuân", 10.8800, 106.7800, 5.0),
    "27553": ("Xã Củ Chi", 10.9730, 106.4930, 40.0),
    "26884": ("Phường Gò Vấp", 10.8380, 106.6650, 3.0),
    "27442": ("Phường Bình Tân", 10.7650, 106.6030, 5.5),
    "26929": ("Phường Bình Thạnh", 10.8110, 106.6950, 2.2),
}
FIRST_MONTH = pd.Timestamp("2018-01-01")
LAST_MONTH = pd.Timestamp("2026-06-01")        # the partial current month
SECTIONS = {"C": 0.25, "G": 0.45, "F": 0.30}
CLOSURE = 0.06


def marts(seed: int = 5) -> dict[str, pa.Table]:
    rng = np.random.default_rng(seed)
    codes = list(WARDS)
    pupils0 = {w: rng.uniform(3_000, 20_000) for w in codes}
    growth = {w: rng.uniform(-0.01, 0.04) for w in codes}
    formation = {w: rng.uniform(0.002, 0.006) for w in codes}     # per resident-proxy pupil and year

    units = pa.table({
        "ward_code_2025": codes, "ward_name_2025": [WARDS[w][0] for w in codes],
        "latitude": [WARDS[w][1] for w in codes], "longitude": [WARDS[w][2] for w in codes],
        "area_km2": [WARDS[w][3] for w in codes],
    })

    school_rows = []
    for year in range(2017, 2026):
        for w in codes:
            total = pupils0[w] * np.exp(growth[w] * (year - 2017)) * rng.lognormal(0, 0.01)
            for level, share in (("primary", 0.6), ("lower_secondary", 0.4)):
                school_rows.append({"school_year": f"{year}-{year + 1}", "ward_code_2025": w, "level": level,
                                    "schools": 3, "pupils": int(total * share), "teachers": 100})
            school_rows.append({"school_year": f"{year}-{year + 1}", "ward_code_2025": w, "level": "university",
                                "schools": 1, "pupils": int(rng.uniform(0, 30_000)), "teachers": 50})

    months = pd.date_range(FIRST_MONTH, LAST_MONTH, freq="MS")
    biz_rows, stock = [], {w: 0.0 for w in codes}
    for month in months:
        t = month.year + (month.month - 1) / 12 + 1 / 24 - (2017 + 8 / 12)
        for w in codes:
            pupils = pupils0[w] * np.exp(growth[w] * t)
            new = rng.poisson(formation[w] * pupils / 12 * 10)
            gone = rng.poisson(CLOSURE * stock[w] / 12)
            stock[w] += new - gone
            for section, share in SECTIONS.items():
                n_new, n_gone = int(round(new * share)), int(round(gone * share))
                if n_new or n_gone:
                    biz_rows.append({"month": month.date(), "vsic_section": section, "ward_code_2025": w,
                                     "new_enterprises": n_new, "charter_capital_vnd": n_new * 2_000_000_000,
                                     "dissolved": n_gone})

    fdi_rows = []
    for year in range(2012, 2027):
        for country in ("KR", "JP", "SG"):
            registered = 1.5e9 * np.exp(0.06 * (year - 2012)) * rng.lognormal(0, 0.05) / 3
            fdi_rows.append({"year": year, "investor_country": country, "projects": 40,
                             "registered_usd": registered, "disbursed_usd": 0.55 * registered})

    traffic_rows = []
    for i, w in enumerate(codes[:8]):
        for hour in range(24):
            intensity = int(rng.uniform(500, 3000))
            traffic_rows.append({"ward_code_2025": w, "local_date": pd.Timestamp("2026-06-01").date(),
                                 "local_hour": hour, "intensity": intensity,
                                 "motorcycles": int(intensity * (0.80 + 0.01 * i))})

    return {
        "dim_admin_units": units,
        "rpt_schools_by_ward": pa.Table.from_pylist(school_rows),
        "rpt_new_businesses": pa.Table.from_pylist(biz_rows),
        "rpt_fdi_by_country_year": pa.Table.from_pylist(fdi_rows),
        "rpt_congestion_by_ward": pa.Table.from_pylist(traffic_rows),
    }


def siting_marts(seed: int = 9) -> dict[str, pa.Table]:
    """The marts the site choice reads: ward overview, incident hotspots, health facilities, cameras,
    hotline response."""
    rng = np.random.default_rng(seed)
    codes = list(WARDS)
    overview = pa.table({
        "ward_code_2025": codes, "ward_name_2025": [WARDS[w][0] for w in codes],
        "latitude": [WARDS[w][1] for w in codes], "longitude": [WARDS[w][2] for w in codes],
        "area_km2": [WARDS[w][3] for w in codes],
        "pupils": [int(rng.uniform(2_000, 15_000)) for _ in codes],
        "hotline_contacts_12m": [int(rng.uniform(100, 2_000)) for _ in codes],
    })
    days = pd.date_range("2026-06-01", periods=3).date
    hotspots = pa.Table.from_pylist([{"ward_code_2025": w, "local_date": d, "alerts": int(rng.integers(0, 20))}
                                     for w in codes[:6] for d in days])
    facilities = pa.Table.from_pylist([{"facility_id": i, "ward_code_2025": codes[i % len(codes)],
                                        "latitude": WARDS[codes[i % len(codes)]][1] + rng.normal(0, 0.005),
                                        "longitude": WARDS[codes[i % len(codes)]][2] + rng.normal(0, 0.005),
                                        "beds": int(rng.integers(0, 300)),
                                        "status": "active" if i % 7 else "closed"} for i in range(30)])
    cameras = pa.Table.from_pylist([{"camera_id": f"CAM-{i:05d}", "ward_code_2025": codes[i % len(codes)],
                                     "latitude": WARDS[codes[i % len(codes)]][1] + rng.normal(0, 0.004),
                                     "longitude": WARDS[codes[i % len(codes)]][2] + rng.normal(0, 0.004),
                                     "status": "active" if i % 5 else "maintenance"} for i in range(20)])
    hotline = pa.table({"month": [pd.Timestamp("2026-05-01").date()] * 4,
                        "category": ["traffic", "urban_order", "health", "other"], "channel": ["phone"] * 4,
                        "contacts": [300, 200, 250, 250]})
    return {"rpt_ward_overview": overview, "rpt_incident_hotspots": hotspots, "dim_health_facilities": facilities,
            "dim_cameras": cameras, "rpt_hotline_response": hotline}
