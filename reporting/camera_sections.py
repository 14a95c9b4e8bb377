"""The camera sections of the leadership report: traffic through the day by vehicle type with the
congestion index, incident hotspots by ward, and the congestion measure on the ward map.

They appear once camera events have reached the transport marts (dbt/models/marts/transport); before
that the report leaves them out rather than showing empty cards (the departments' marts come first).
"""
from __future__ import annotations

import dataclasses

import duckdb
import pandas as pd
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from reporting.sections import WARD_MAP, Kpi, Section, mart_exists
from reporting.style import base_layout, number, percent

VEHICLES = {"motorcycles": "Xe máy · Motorbikes", "cars": "Ô tô · Cars", "buses": "Xe buýt · Buses",
            "trucks": "Xe tải · Trucks", "bicycles": "Xe đạp · Bicycles"}
HOTSPOT_KINDS = {"traffic_jams": "Ùn tắc · Traffic jams", "accidents": "Tai nạn · Accidents",
                 "stopped_vehicle_alerts": "Xe dừng đỗ · Stopped vehicles",
                 "crowd_alerts": "Tụ tập đông người · Crowds", "civil_disorder": "Mất trật tự · Public disorder"}
HOTSPOT_DAYS, TOP_WARDS = 7, 10
CONGESTION_MEASURE = "camera_congestion_index"


def _traffic_chart(df: pd.DataFrame) -> go.Figure:
    fig = make_subplots(specs=[[{"secondary_y": True}]])
    hours = [f"{h:02d}:00" for h in df["local_hour"]]
    for col, label in VEHICLES.items():
        fig.add_bar(x=hours, y=df[col], name=label, hovertemplate=f"{label}: %{{y:,.0f}}<extra></extra>")
    fig.add_scatter(x=hours, y=df["congestion_index"], name="Chỉ số ùn tắc · Congestion index", mode="lines+markers",
                    line={"color": "#c0392b", "width": 2}, secondary_y=True,
                    hovertemplate="Chỉ số ùn tắc · Congestion: %{y:.2f}<extra></extra>")
    fig.update_yaxes(title_text="Lượt xe · Vehicles", tickformat=",.0f", secondary_y=False)
    fig.update_yaxes(title_text="Chỉ số · Index", range=[0, 1], secondary_y=True, showgrid=False)
    return base_layout(fig, barmode="stack", hovermode="x unified")


def _traffic_kpis(df: pd.DataFrame) -> list[Kpi]:
    total = df[list(VEHICLES)].sum().sum()
    peak = df.loc[df["congestion_index"].idxmax()]
    return [Kpi("Lượt xe qua camera · Vehicles counted", number(total),
                f"xe máy · motorbikes {percent(df['motorcycles'].sum() / total if total else None)}"),
            Kpi("Giờ ùn tắc nhất · Most congested hour", f"{int(peak['local_hour']):02d}:00",
                f"chỉ số · index {number(peak['congestion_index'], 2)}")]


TRAFFIC_BY_HOUR = Section(
    "rpt_congestion_by_ward", "Giao thông qua camera · Traffic seen by the cameras",
    "Lượt xe theo loại và chỉ số ùn tắc (0–1) theo giờ, ngày gần nhất · Vehicles by type and the congestion "
    "index (0–1) by hour of the latest day, all cameras.",
    """
    SELECT local_hour, sum(motorcycles)::DOUBLE AS motorcycles, sum(cars)::DOUBLE AS cars,
           sum(buses)::DOUBLE AS buses, sum(trucks)::DOUBLE AS trucks, sum(bicycles)::DOUBLE AS bicycles,
           coalesce(sum(congestion_index * intensity) / nullif(sum(intensity), 0), avg(congestion_index))::DOUBLE
               AS congestion_index
    FROM main.rpt_congestion_by_ward
    WHERE local_date = (SELECT max(local_date) FROM main.rpt_congestion_by_ward)
    GROUP BY local_hour ORDER BY local_hour
    """,
    _traffic_chart, _traffic_kpis)


def _hotspot_chart(df: pd.DataFrame) -> go.Figure:
    df = df.sort_values("alerts")
    fig = go.Figure()
    for col, label in HOTSPOT_KINDS.items():
        fig.add_bar(y=df["ward_name_2025"], x=df[col], orientation="h", name=label,
                    hovertemplate=f"%{{y}}<br>{label}: %{{x:,.0f}}<extra></extra>")
    fig.update_xaxes(tickformat=",.0f", title_text="Cảnh báo · Alerts")
    return base_layout(fig, barmode="stack", height=max(380, 34 * len(df) + 120),
                       margin={"l": 170, "r": 20, "t": 20, "b": 40})


def _hotspot_kpis(df: pd.DataFrame) -> list[Kpi]:
    top = df.loc[df["alerts"].idxmax()]
    return [Kpi(f"Cảnh báo camera {HOTSPOT_DAYS} ngày · Camera alerts, {HOTSPOT_DAYS} days",
                number(df["alerts"].sum()), f"nhiều nhất · most: {top['ward_name_2025']}")]


HOTSPOTS = Section(
    "rpt_incident_hotspots", "Điểm nóng sự cố · Incident hotspots",
    f"{TOP_WARDS} phường có nhiều cảnh báo nhất trong {HOTSPOT_DAYS} ngày gần nhất, theo loại · The {TOP_WARDS} "
    f"wards with the most camera alerts over the latest {HOTSPOT_DAYS} days, by kind.",
    f"""
    SELECT coalesce(ward_name_2025, ward_code_2025) AS ward_name_2025,
           {", ".join(f"sum({c})::DOUBLE AS {c}" for c in HOTSPOT_KINDS)}, sum(alerts)::DOUBLE AS alerts
    FROM main.rpt_incident_hotspots
    WHERE local_date > (SELECT max(local_date) FROM main.rpt_incident_hotspots) - INTERVAL {HOTSPOT_DAYS} DAY
    GROUP BY ALL HAVING sum(alerts) > 0 ORDER BY alerts DESC LIMIT {TOP_WARDS}
    """,
    _hotspot_chart, _hotspot_kpis)

CAMERA_SECTIONS: tuple[Section, ...] = (TRAFFIC_BY_HOUR, HOTSPOTS)


def ward_map_section(con: duckdb.DuckDBPyConnection) -> Section:
    """The ward map, with each ward's congestion index (latest day, intensity-weighted) once the cameras
    report; wards without cameras show "no data" for it."""
    if not mart_exists(con, "rpt_congestion_by_ward"):
        return WARD_MAP
    return dataclasses.replace(WARD_MAP, sql=f"""
        SELECT overview.*, congestion.{CONGESTION_MEASURE}
        FROM main.rpt_ward_overview AS overview
        LEFT JOIN (
            SELECT ward_code_2025,
                   coalesce(sum(congestion_index * intensity) / nullif(sum(intensity), 0),
                            avg(congestion_index))::DOUBLE AS {CONGESTION_MEASURE}
            FROM main.rpt_congestion_by_ward
            WHERE local_date = (SELECT max(local_date) FROM main.rpt_congestion_by_ward)
            GROUP BY ward_code_2025
        ) AS congestion USING (ward_code_2025)
        ORDER BY ward_code_2025""")
