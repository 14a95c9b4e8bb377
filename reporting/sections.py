"""One section per leadership mart: the query, the chart and the headline numbers (KPI tiles).

Each query aggregates in DuckDB so the page carries only what its chart draws. A mart that is
missing, empty or no longer matches its query gives a section with a "no data" note, never a gap.
"""
from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field

import duckdb
import pandas as pd
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from citylake.settings import get_settings
from reporting.style import CITY_COLOUR, base_layout, month_label, monthly_axis, number, percent, usd, vnd
from reporting.wardmap import APPROXIMATION_NOTE, ward_map

log = logging.getLogger(__name__)

CITY = "Toàn thành phố · City"
_TOP_AGENCIES = 7


@dataclass(frozen=True)
class Kpi:
    label: str          # "Vietnamese · English"
    value: str
    detail: str = ""


@dataclass(frozen=True)
class Section:
    mart: str
    title: str
    note: str
    sql: str
    chart: Callable[[pd.DataFrame], go.Figure]
    kpis: Callable[[pd.DataFrame], list[Kpi]] = lambda df: []
    source: str | None = None     # where the data comes from, when not main.<mart> (a gold table)


@dataclass
class SectionResult:
    section: Section
    status: str                     # ok | missing | empty | error
    reason: str = ""
    figure: go.Figure | None = None
    kpis: list[Kpi] = field(default_factory=list)


def mart_exists(con: duckdb.DuckDBPyConnection, name: str) -> bool:
    return con.execute("SELECT count(*) FROM information_schema.tables WHERE table_schema = 'main' "
                       "AND table_name = ?", [name]).fetchone()[0] > 0


def run(con: duckdb.DuckDBPyConnection, section: Section) -> SectionResult:
    """Query, chart and KPIs for one section; what went wrong becomes the section's status."""
    if not mart_exists(con, section.mart):
        return SectionResult(section, "missing", "mart not built")
    try:
        df = con.execute(section.sql).df()
    except duckdb.Error as exc:
        log.warning("leadership report: %s query failed: %s", section.mart, exc)
        return SectionResult(section, "error", f"query failed: {str(exc).splitlines()[0]}")
    if df.empty:
        return SectionResult(section, "empty", "0 rows")
    try:
        return SectionResult(section, "ok", figure=section.chart(df), kpis=section.kpis(df))
    except Exception as exc:  # one odd mart must not cost the leaders the rest of the report
        log.exception("leadership report: %s chart failed", section.mart)
        return SectionResult(section, "error", f"chart failed: {type(exc).__name__}: {exc}")


def _last_12_months(df: pd.DataFrame) -> tuple[pd.DataFrame, str]:
    latest = df["month"].max()
    window = df[df["month"] > latest - pd.DateOffset(months=12)]
    return window, f"12 tháng đến {month_label(latest)}"


def _ratio(num: float, den: float) -> float | None:
    return num / den if den else None


def _rate_lines(df: pd.DataFrame, group: str, num: str, den: str, top: int) -> go.Figure:
    """A monthly rate per group (the largest ``top`` groups by ``den``) and the city-wide rate, bold."""
    fig = go.Figure()
    largest = df.groupby(group)[den].sum().nlargest(top).index
    for name in largest:
        part = df[df[group] == name].sort_values("month")
        fig.add_scatter(x=part["month"], y=part[num] / part[den].where(part[den] > 0), name=name, mode="lines",
                        line={"width": 1.5}, opacity=0.75, hovertemplate=f"{name}: %{{y:.1%}}<extra></extra>")
    city = df.groupby("month", as_index=False)[[num, den]].sum()
    fig.add_scatter(x=city["month"], y=city[num] / city[den].where(city[den] > 0), name=CITY, mode="lines+markers",
                    line={"width": 3.2, "color": CITY_COLOUR}, hovertemplate=f"{CITY}: %{{y:.1%}}<extra></extra>")
    fig.update_yaxes(tickformat=".0%")
    return monthly_axis(base_layout(fig, hovermode="x unified"))


# 1. one-stop dossiers ---------------------------------------------------------------------------

def _dossier_chart(df: pd.DataFrame) -> go.Figure:
    fig = _rate_lines(df, "agency_name", "completed_on_time", "dossiers_completed", _TOP_AGENCIES)
    fig.update_yaxes(title_text="Tỷ lệ đúng hạn · On-time rate")
    return fig


def _dossier_kpis(df: pd.DataFrame) -> list[Kpi]:
    window, period = _last_12_months(df)
    latest = df[df["month"] == df["month"].max()]
    completed = window["dossiers_completed"].sum()
    return [
        Kpi("Hồ sơ đúng hạn · Dossiers on time", percent(_ratio(window["completed_on_time"].sum(), completed)),
            f"{period} · {number(completed)} hồ sơ đã giải quyết"),
        Kpi("Hồ sơ tiếp nhận · Dossiers received", number(window["dossiers_received"].sum()), period),
        Kpi("Hồ sơ quá hạn đang xử lý · Open overdue", number(latest["open_overdue"].sum()),
            f"cuối tháng {month_label(df['month'].max())}"),
    ]


DOSSIERS = Section(
    "rpt_dossiers_on_time", "Hồ sơ đúng hạn · Dossiers on time",
    f"Tỷ lệ hồ sơ giải quyết đúng hạn theo tháng, {_TOP_AGENCIES} cơ quan nhiều hồ sơ nhất và toàn thành phố "
    "(UBND phường, xã gộp chung) · Share of completed dossiers returned on time, by month.",
    """
    WITH d AS (
        SELECT month,
               CASE WHEN agency_code LIKE 'UBND-%' THEN 'UBND phường, xã · Ward committees'
                    ELSE coalesce(agency_name, agency_code) END AS agency_name,
               dossiers_received, dossiers_completed, completed_on_time, open_overdue
        FROM main.rpt_dossiers_on_time)
    SELECT month, agency_name,
           sum(dossiers_received)::DOUBLE AS dossiers_received,
           sum(dossiers_completed)::DOUBLE AS dossiers_completed,
           sum(completed_on_time)::DOUBLE AS completed_on_time,
           sum(open_overdue)::DOUBLE AS open_overdue
    FROM d GROUP BY ALL ORDER BY month, agency_name
    """,
    _dossier_chart, _dossier_kpis)


# 2. complaints and petitions ------------------------------------------------------------------------

CLASSIFICATIONS = {"complaint": "Khiếu nại · Complaints", "denunciation": "Tố cáo · Denunciations",
                   "petition": "Kiến nghị · Petitions", "feedback": "Phản ánh · Feedback"}


def _backlog_chart(df: pd.DataFrame) -> go.Figure:
    fig = go.Figure()
    for code, part in df.groupby("classification", sort=True):
        label = CLASSIFICATIONS.get(code, code)
        fig.add_bar(x=part["month"], y=part["backlog_open"], name=label,
                    hovertemplate=f"{label}: %{{y:,.0f}}<extra></extra>")
    overdue = df.groupby("month", as_index=False)["backlog_overdue"].sum()
    fig.add_scatter(x=overdue["month"], y=overdue["backlog_overdue"], name="Quá hạn · Overdue",
                    mode="lines+markers", line={"color": "#c0392b", "width": 2.5},
                    hovertemplate="Quá hạn · Overdue: %{y:,.0f}<extra></extra>")
    fig.update_yaxes(title_text="Đơn tồn cuối tháng · Open at month end")
    return monthly_axis(base_layout(fig, barmode="stack", hovermode="x unified"))


def _backlog_kpis(df: pd.DataFrame) -> list[Kpi]:
    latest = df[df["month"] == df["month"].max()]
    overdue = number(latest["backlog_overdue"].sum())
    return [Kpi("Đơn thư tồn đọng · Complaint backlog", number(latest["backlog_open"].sum()),
                f"cuối tháng {month_label(df['month'].max())} · quá hạn · overdue {overdue}")]


COMPLAINTS = Section(
    "rpt_complaint_backlog", "Khiếu nại, tố cáo tồn đọng · Complaint backlog",
    "Đơn còn mở cuối mỗi tháng theo loại, và số đơn quá hạn · Open cases at month end by kind, and overdue.",
    """
    SELECT month, classification,
           sum(received)::DOUBLE AS received, sum(resolved)::DOUBLE AS resolved,
           sum(backlog_open)::DOUBLE AS backlog_open, sum(backlog_overdue)::DOUBLE AS backlog_overdue
    FROM main.rpt_complaint_backlog GROUP BY ALL ORDER BY month, classification
    """,
    _backlog_chart, _backlog_kpis)


# 3. hotline -------------------------------------------------------------------------------------------

def _hotline_answer_goal() -> float:
    """The hotline's service goal the answer rate is read against (share answered within target time),
    set by the city (CITYLAKE_HOTLINE_ANSWER_GOAL); 0.80 is a placeholder until the city sets its own."""
    return get_settings().hotline_answer_goal


def _hotline_chart(df: pd.DataFrame) -> go.Figure:
    goal = _hotline_answer_goal()
    fig = _rate_lines(df, "channel", "answered_within_target", "contacts", 6)
    fig.add_hline(y=goal, line={"dash": "dash", "color": "#c0392b", "width": 1.5},
                  annotation_text=f"Chỉ tiêu · Goal {percent(goal, 0)}",
                  annotation_position="bottom right")
    fig.update_yaxes(title_text="Trả lời đúng hạn · Answered within target")
    return fig


def _hotline_kpis(df: pd.DataFrame) -> list[Kpi]:
    latest_month = df["month"].max()
    latest = df[df["month"] == latest_month]
    window, period = _last_12_months(df)
    return [Kpi("Tổng đài trả lời đúng hạn · Hotline answered in time",
                percent(_ratio(latest["answered_within_target"].sum(), latest["contacts"].sum())),
                f"tháng {month_label(latest_month)} · chỉ tiêu · goal {percent(_hotline_answer_goal(), 0)}"),
            Kpi("Liên hệ tổng đài · Hotline contacts", number(window["contacts"].sum()), period)]


HOTLINE = Section(
    "rpt_hotline_response", "Tổng đài 1022 · Hotline response",
    "Tỷ lệ cuộc gọi, tin nhắn được trả lời trong thời gian quy định, theo kênh · Share of contacts answered "
    "within the target time, by channel, against the goal.",
    """
    SELECT month, channel,
           sum(contacts)::DOUBLE AS contacts,
           sum(answered_within_target)::DOUBLE AS answered_within_target,
           sum(resolved_within_target)::DOUBLE AS resolved_within_target
    FROM main.rpt_hotline_response GROUP BY ALL ORDER BY month, channel
    """,
    _hotline_chart, _hotline_kpis)


# 4. new businesses ---------------------------------------------------------------------------------

def _business_chart(df: pd.DataFrame) -> go.Figure:
    df = df.sort_values("new_enterprises")
    names = [f"{s} · {n}" for s, n in zip(df["vsic_section"], df["vsic_section_name"])]
    labels = [name if len(name) <= 34 else name[:33] + "…" for name in names]
    fig = make_subplots(rows=1, cols=2, shared_yaxes=True, horizontal_spacing=0.05, column_widths=[0.55, 0.45],
                        subplot_titles=["Số doanh nghiệp · Enterprises", "Vốn · Capital (tỷ đồng)"])
    fig.add_bar(y=labels, x=df["new_enterprises"], orientation="h", name="Thành lập mới · New", row=1, col=1,
                customdata=names, hovertemplate="%{customdata}<br>Thành lập mới · New: %{x:,.0f}<extra></extra>")
    fig.add_bar(y=labels, x=df["dissolved"], orientation="h", name="Giải thể · Dissolved", row=1, col=1,
                marker_color="#9ca3af", customdata=names,
                hovertemplate="%{customdata}<br>Giải thể · Dissolved: %{x:,.0f}<extra></extra>")
    fig.add_bar(y=labels, x=df["charter_capital_vnd"] / 1e9, orientation="h", name="Vốn điều lệ · Capital",
                row=1, col=2, marker_color="#2a9d63", customdata=names,
                hovertemplate="%{customdata}<br>Vốn · Capital: %{x:,.0f} tỷ đồng<extra></extra>")
    fig.update_xaxes(tickformat=",.0f")
    fig.update_xaxes(nticks=4, row=1, col=2)
    fig.update_annotations(font_size=12)
    return base_layout(fig, height=max(380, 26 * len(df) + 130), barmode="group",
                       margin={"l": 230, "r": 20, "t": 30, "b": 40})


def _business_kpis(df: pd.DataFrame) -> list[Kpi]:
    period = f"12 tháng đến {month_label(df['latest_month'].max())}"
    return [Kpi("Doanh nghiệp mới · New businesses", number(df["new_enterprises"].sum()),
                f"{period} · vốn · capital {vnd(df['charter_capital_vnd'].sum())}")]


NEW_BUSINESSES = Section(
    "rpt_new_businesses", "Doanh nghiệp thành lập mới · New businesses",
    "Doanh nghiệp thành lập mới, giải thể và vốn điều lệ đăng ký theo ngành (VSIC cấp 1), 12 tháng gần nhất · "
    "New, dissolved and registered capital by VSIC section, last 12 months.",
    """
    WITH latest AS (SELECT max(month) AS m FROM main.rpt_new_businesses)
    SELECT vsic_section, coalesce(min(vsic_section_name), vsic_section) AS vsic_section_name,
           sum(new_enterprises)::DOUBLE AS new_enterprises,
           sum(charter_capital_vnd)::DOUBLE AS charter_capital_vnd,
           sum(dissolved)::DOUBLE AS dissolved,
           any_value(latest.m) AS latest_month
    FROM main.rpt_new_businesses, latest
    WHERE month > latest.m - INTERVAL 12 MONTH
    GROUP BY vsic_section ORDER BY vsic_section
    """,
    _business_chart, _business_kpis)


# 5. FDI ---------------------------------------------------------------------------------------------

def _fdi_chart(df: pd.DataFrame) -> go.Figure:
    years = df.groupby("year", as_index=False)[["registered_usd", "disbursed_usd"]].sum()
    countries = (df.groupby("country_name", as_index=False)[["registered_usd", "disbursed_usd"]].sum()
                 .nlargest(10, "registered_usd").sort_values("registered_usd"))
    fig = make_subplots(rows=1, cols=2, column_widths=[0.45, 0.55], horizontal_spacing=0.18,
                        subplot_titles=["Theo năm · By year", "10 quốc gia lớn nhất · Top 10 countries (all years)"])
    for col, colour, label in (("registered_usd", "#1f5fa8", "Đăng ký · Registered"),
                               ("disbursed_usd", "#e07b24", "Giải ngân · Disbursed")):
        fig.add_bar(x=years["year"].astype(str), y=years[col] / 1e6, name=label, marker_color=colour,
                    legendgroup=col, row=1, col=1, hovertemplate=f"{label}: %{{y:,.1f}} triệu USD<extra></extra>")
        fig.add_bar(y=countries["country_name"], x=countries[col] / 1e6, orientation="h", name=label,
                    marker_color=colour, legendgroup=col, showlegend=False, row=1, col=2,
                    hovertemplate=f"%{{y}}<br>{label}: %{{x:,.1f}} triệu USD<extra></extra>")
    fig.update_yaxes(title_text="Triệu USD · USD million", row=1, col=1)
    fig.update_annotations(font_size=12)
    return base_layout(fig, barmode="group", height=420)


def _fdi_kpis(df: pd.DataFrame) -> list[Kpi]:
    year = int(df["year"].max())
    latest = df[df["year"] == year]
    return [Kpi("Vốn FDI đăng ký · FDI registered", usd(latest["registered_usd"].sum()),
                f"năm {year} · giải ngân · disbursed "
                f"{percent(_ratio(latest['disbursed_usd'].sum(), latest['registered_usd'].sum()))}")]


FDI = Section(
    "rpt_fdi_by_country_year", "Đầu tư nước ngoài · Foreign direct investment",
    "Vốn đăng ký và vốn giải ngân theo năm và theo quốc gia nhà đầu tư · Registered vs disbursed, "
    "by year and investor country.",
    """
    SELECT year, investor_country, coalesce(country_name, investor_country) AS country_name,
           sum(projects)::DOUBLE AS projects, sum(registered_usd)::DOUBLE AS registered_usd,
           sum(disbursed_usd)::DOUBLE AS disbursed_usd
    FROM main.rpt_fdi_by_country_year GROUP BY ALL ORDER BY year, investor_country
    """,
    _fdi_chart, _fdi_kpis)


# 6. land transactions -------------------------------------------------------------------------------

def _land_chart(df: pd.DataFrame) -> go.Figure:
    fig = go.Figure()
    for kind, part in df.groupby("transaction_type", sort=True):
        fig.add_bar(x=part["month"], y=part["transactions"], name=kind,
                    customdata=part["declared_value_vnd"] / 1e9,
                    hovertemplate=f"{kind}: %{{y:,.0f}} · %{{customdata:,.0f}} tỷ đồng<extra></extra>")
    fig.update_yaxes(title_text="Giao dịch · Transactions")
    return monthly_axis(base_layout(fig, barmode="stack", hovermode="x unified"))


def _land_kpis(df: pd.DataFrame) -> list[Kpi]:
    window, period = _last_12_months(df)
    return [Kpi("Giao dịch đất đai · Land transactions", number(window["transactions"].sum()),
                f"{period} · giá trị kê khai · declared {vnd(window['declared_value_vnd'].sum())}")]


LAND = Section(
    "rpt_land_transactions", "Giao dịch đất đai · Land transactions",
    "Số giao dịch đăng ký theo tháng và loại giao dịch · Registered transactions by month and type.",
    """
    SELECT month, coalesce(transaction_type, '?') AS transaction_type,
           sum(transactions)::DOUBLE AS transactions, sum(area_m2)::DOUBLE AS area_m2,
           sum(declared_value_vnd)::DOUBLE AS declared_value_vnd
    FROM main.rpt_land_transactions GROUP BY ALL ORDER BY month, transaction_type
    """,
    _land_chart, _land_kpis)


# 7. schools -------------------------------------------------------------------------------------------

def _school_chart(df: pd.DataFrame) -> go.Figure:
    fig = go.Figure()
    for level, part in df.groupby("level", sort=False):
        fig.add_box(x=[level] * len(part), y=part["pupils_per_teacher"], name=level, boxpoints="all",
                    jitter=0.4, pointpos=0, marker={"size": 4, "opacity": 0.6}, customdata=part["ward_name_2025"],
                    hovertemplate="%{customdata}: %{y:,.1f} học sinh/giáo viên<extra></extra>")
    fig.update_yaxes(title_text="Học sinh / giáo viên · Pupils per teacher", rangemode="tozero")
    return base_layout(fig, showlegend=False)


def _school_kpis(df: pd.DataFrame) -> list[Kpi]:
    return [Kpi("Học sinh / giáo viên · Pupils per teacher",
                number(_ratio(df["pupils"].sum(), df["teachers"].sum()), 1),
                f"năm học {df['school_year'].iloc[0]} · {number(df['pupils'].sum())} học sinh · "
                f"{number(df['schools'].sum())} trường")]


SCHOOLS = Section(
    "rpt_schools_by_ward", "Trường học theo phường · Schools by ward",
    "Số học sinh trên một giáo viên ở mỗi phường, xã theo cấp học (năm học gần nhất; mỗi điểm là một phường) · "
    "Pupils per teacher per ward and level, latest school year; each dot is a ward.",
    """
    SELECT school_year, ward_code_2025, ward_name_2025, level,
           sum(schools)::DOUBLE AS schools, sum(pupils)::DOUBLE AS pupils, sum(teachers)::DOUBLE AS teachers,
           sum(pupils)::DOUBLE / nullif(sum(teachers), 0) AS pupils_per_teacher
    FROM main.rpt_schools_by_ward
    WHERE school_year = (SELECT max(school_year) FROM main.rpt_schools_by_ward)
    GROUP BY ALL ORDER BY level, ward_code_2025
    """,
    _school_chart, _school_kpis)


# 8. inspection ------------------------------------------------------------------------------------------

def _inspection_chart(df: pd.DataFrame) -> go.Figure:
    fig = make_subplots(specs=[[{"secondary_y": True}]])
    years = df["year"].astype(str)
    fig.add_bar(x=years, y=df["amount_to_recover_vnd"] / 1e9, name="Phải thu hồi · To recover",
                marker_color="#9ca3af", hovertemplate="Phải thu hồi · To recover: %{y:,.0f} tỷ đồng<extra></extra>")
    fig.add_bar(x=years, y=df["amount_recovered_vnd"] / 1e9, name="Đã thu hồi · Recovered",
                marker_color="#1f5fa8", hovertemplate="Đã thu hồi · Recovered: %{y:,.0f} tỷ đồng<extra></extra>")
    fig.add_scatter(x=years, y=df["amount_recovered_vnd"] / df["amount_to_recover_vnd"].where(
        df["amount_to_recover_vnd"] > 0), name="Tỷ lệ thu hồi · Recovery rate", mode="lines+markers",
        line={"color": "#e07b24", "width": 2.5}, secondary_y=True,
        hovertemplate="Tỷ lệ · Rate: %{y:.1%}<extra></extra>")
    fig.update_yaxes(title_text="Tỷ đồng · VND billion", secondary_y=False)
    fig.update_yaxes(tickformat=".0%", range=[0, 1.05], secondary_y=True, showgrid=False)
    return base_layout(fig, barmode="group", hovermode="x unified")


def _inspection_kpis(df: pd.DataFrame) -> list[Kpi]:
    latest = df[df["year"] == df["year"].max()]
    return [Kpi("Thu hồi sau thanh tra · Recovered after inspection",
                percent(_ratio(latest["amount_recovered_vnd"].sum(), latest["amount_to_recover_vnd"].sum())),
                f"năm {int(df['year'].max())} · {vnd(latest['amount_recovered_vnd'].sum())} / "
                f"{vnd(latest['amount_to_recover_vnd'].sum())}")]


INSPECTION = Section(
    "rpt_inspection_recovery", "Thu hồi sau thanh tra · Inspection recovery",
    "Số tiền kết luận thanh tra yêu cầu thu hồi và đã thu hồi theo năm · Amounts inspections ordered "
    "recovered, and recovered, by year.",
    """
    SELECT year, sum(conclusions)::DOUBLE AS conclusions,
           sum(amount_to_recover_vnd)::DOUBLE AS amount_to_recover_vnd,
           sum(amount_recovered_vnd)::DOUBLE AS amount_recovered_vnd,
           sum(recommendations_open)::DOUBLE AS recommendations_open
    FROM main.rpt_inspection_recovery GROUP BY year ORDER BY year
    """,
    _inspection_chart, _inspection_kpis)


# 9. investment projects ----------------------------------------------------------------------------------

def _investment_chart(df: pd.DataFrame) -> go.Figure:
    stages = df.groupby("stage", sort=False)["projects"].sum().index.tolist()
    fig = go.Figure()
    for sector, part in df.groupby("sector", sort=True):
        fig.add_bar(x=part["stage"], y=part["total_investment_vnd"] / 1e12, name=sector, customdata=part["projects"],
                    hovertemplate=f"{sector}: %{{y:,.1f}} nghìn tỷ đồng · %{{customdata:,.0f}} dự án<extra></extra>")
    fig.update_xaxes(categoryorder="array", categoryarray=stages)
    fig.update_yaxes(title_text="Nghìn tỷ đồng · VND trillion")
    return base_layout(fig, barmode="stack", hovermode="x unified")


def _investment_kpis(df: pd.DataFrame) -> list[Kpi]:
    return [Kpi("Dự án đầu tư · Investment projects", number(df["projects"].sum()),
                f"tổng vốn · total {vnd(df['total_investment_vnd'].sum())}")]


INVESTMENT = Section(
    "rpt_investment_projects", "Dự án đầu tư · Investment projects",
    "Tổng vốn đầu tư theo giai đoạn và lĩnh vực · Total investment by stage and sector.",
    """
    SELECT coalesce(stage, '?') AS stage, coalesce(sector, '?') AS sector,
           sum(projects)::DOUBLE AS projects, sum(total_investment_vnd)::DOUBLE AS total_investment_vnd,
           sum(area_ha)::DOUBLE AS area_ha
    FROM main.rpt_investment_projects GROUP BY ALL ORDER BY stage, sector
    """,
    _investment_chart, _investment_kpis)


# 10. health capacity ----------------------------------------------------------------------------------------

def _health_chart(df: pd.DataFrame) -> go.Figure:
    df = df.sort_values("beds")
    fig = go.Figure()
    fig.add_bar(y=df["facility_type"], x=df["beds"], orientation="h", name="Giường bệnh · Beds",
                customdata=df["facilities"], marker_color="#1f5fa8",
                hovertemplate="%{y}<br>Giường · Beds: %{x:,.0f} · %{customdata:,.0f} cơ sở<extra></extra>")
    fig.add_bar(y=df["facility_type"], x=df["active_practitioners"], orientation="h",
                name="Người hành nghề · Practitioners", marker_color="#2a9d63",
                hovertemplate="%{y}<br>Người hành nghề · Practitioners: %{x:,.0f}<extra></extra>")
    fig.update_xaxes(tickformat=",.0f")
    return base_layout(fig, barmode="group", height=max(380, 46 * len(df) + 100),
                       margin={"l": 200, "r": 20, "t": 20, "b": 40})


def _health_kpis(df: pd.DataFrame) -> list[Kpi]:
    return [Kpi("Giường bệnh · Hospital beds", number(df["beds"].sum()),
                f"{number(df['facilities'].sum())} cơ sở đang hoạt động · "
                f"{number(df['active_practitioners'].sum())} người hành nghề")]


HEALTH = Section(
    "rpt_health_capacity_by_ward", "Năng lực y tế · Health capacity",
    "Giường bệnh và người hành nghề tại các cơ sở đang hoạt động, theo loại hình · Beds and practitioners at "
    "facilities in operation, by facility type.",
    """
    SELECT facility_type, sum(facilities)::DOUBLE AS facilities, sum(beds)::DOUBLE AS beds,
           sum(active_practitioners)::DOUBLE AS active_practitioners
    FROM main.rpt_health_capacity_by_ward GROUP BY facility_type ORDER BY facility_type
    """,
    _health_chart, _health_kpis)


SECTIONS: tuple[Section, ...] = (DOSSIERS, COMPLAINTS, HOTLINE, NEW_BUSINESSES, FDI, LAND, SCHOOLS,
                                 INSPECTION, INVESTMENT, HEALTH)



# 11. the ward map ---------------------------------------------------------------------------------------

def _ward_map_chart(df: pd.DataFrame) -> go.Figure:
    rows = df.astype(object).where(df.notna(), None).to_dict("records")
    return ward_map(rows)


WARD_MAP = Section(
    "rpt_ward_overview", "Bản đồ phường, xã · Ward map",
    "Các phường, xã, đặc khu từ 1/7/2025; chọn chỉ tiêu ở ô phía trên bản đồ · The 2025 wards; pick a measure "
    "above the map. " + APPROXIMATION_NOTE + ".",
    "SELECT * FROM main.rpt_ward_overview ORDER BY ward_code_2025",
    _ward_map_chart)
