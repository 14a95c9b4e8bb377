"""The leadership report's infrastructure section: a ward map of the network analyses' results (wards
that an N-1 outage leaves without power even after restoration, water pressure deficits at peak, pipe
break risk, households within reach of a post office and of an antenna) with KPI tiles.

The results are gold Delta tables (``analytics/networks.py``), audited before the map is published;
``ward_table`` joins them per ward for the report, which shows the section only once they exist.
"""

from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go
import pyarrow as pa

from citylake import delta
from citylake.catalog import gold_uri, silver_uri
from citylake.settings import Settings
from reporting.sections import Kpi, Section
from reporting.style import number, percent
from reporting.wardmap import APPROXIMATION_NOTE, ward_map

MART = "infra_ward_risk"  # registered in the report's connection, not a published mart
MEASURES: dict[str, tuple[str, str]] = {
    "worst_unrestorable_customers": ("Khách hàng mất điện N-1 · Customers dark after an N-1 outage", "count"),
    "water_pressure_deficit_share": ("Thiếu áp giờ cao điểm · Junctions below 10 m at peak", "rate"),
    "expected_breaks_per_year": ("Nguy cơ vỡ ống · Expected pipe breaks per year", "count"),
    "post_coverage": ("Hộ trong 1,5 km tới bưu cục · Households within 1.5 km of a post office", "rate"),
    "antenna_coverage": ("Hộ trong 1 km tới trạm phát sóng · Households within 1 km of an antenna", "rate"),
}
GOLD = ("power_n1_wards", "power_n1_contingencies", "water_pressure", "water_pipe_risk", "coverage_wards")


def ward_table(settings: Settings) -> pa.Table | None:
    """One row per covered ward with every measure; None until the analyses have run."""
    uris = {name: gold_uri(settings, "infrastructure", name) for name in GOLD}
    if not all(delta.exists(u) for u in uris.values()):
        return None
    read = {name: delta.read_arrow(u).to_pandas() for name, u in uris.items()}
    wards = delta.read_arrow(
        silver_uri(settings, "reference", "ward_areas_2025"),
        columns=["ward_code_2025", "ward_name_2025", "latitude", "longitude", "area_km2"],
    ).to_pandas()
    n1 = read["power_n1_wards"].drop(columns=["ward_name_2025"])
    deficit = read["water_pressure"].groupby("ward_code_2025").deficit.mean().rename("water_pressure_deficit_share")
    breaks = read["water_pipe_risk"].groupby("ward_code_2025").expected_breaks_per_year.sum()
    cov = read["coverage_wards"].drop(columns=["ward_name_2025"])
    df = (
        n1.merge(cov, on="ward_code_2025", how="outer")
        .merge(deficit, on="ward_code_2025", how="left")
        .merge(breaks, on="ward_code_2025", how="left")
        .merge(wards, on="ward_code_2025", how="inner")
    )
    outages = read["power_n1_contingencies"]
    outages = outages[outages.element_code != "-"]
    worst = outages.sort_values("customers_lost", ascending=False).iloc[0]
    df["worst_outage"] = f"{worst.element_type} {worst.element_code}"
    df["worst_outage_customers"] = int(worst.customers_lost)
    df["outages_studied"] = len(outages)
    return pa.Table.from_pandas(df, preserve_index=False)


def _chart(df: pd.DataFrame) -> go.Figure:
    fig = ward_map(df.to_dict("records"), MEASURES)
    fig.update_layout(height=560)
    return fig


def _kpis(df: pd.DataFrame) -> list[Kpi]:
    at_risk = int(df.at_risk.fillna(False).astype(bool).sum())
    post = df.households_post.sum() / df.households.sum() if df.households.sum() else None
    return [
        Kpi(
            "Phường có nguy cơ N-1 · Wards at N-1 risk",
            f"{at_risk} / {len(df)}",
            f"{number(df.outages_studied.iloc[0])} sự cố đơn · single outages studied",
        ),
        Kpi(
            "Sự cố nặng nhất · Worst single outage",
            number(df.worst_outage_customers.iloc[0]),
            f"khách hàng · customers ({df.worst_outage.iloc[0]})",
        ),
        Kpi("Hộ gần bưu cục · Households near a post office", percent(post), "≤ 1,5 km theo đường · by street"),
    ]


SECTION = Section(
    MART,
    "Hạ tầng kỹ thuật · City infrastructure",
    "Điện: sự cố đơn (N-1) từng trạm 110 kV và xuất tuyến 22 kV, sau khi đóng mạch vòng; nước: áp lực giờ cao "
    "điểm (WNTR) và nguy cơ vỡ ống; bưu chính, viễn thông: độ phủ theo hộ · Power: each single 110 kV "
    "substation or 22 kV feeder outage after closing the ties (pandapower); water: peak-hour pressure (WNTR) "
    "and pipe break risk; post and telecom coverage of households. " + APPROXIMATION_NOTE + ".",
    f"SELECT * FROM main.{MART} ORDER BY ward_code_2025",
    _chart,
    _kpis,
)
