"""The simulation and forecasting centre's sections of the leadership report: fan charts of a few
headline forecasts, the growth scenarios side by side to their horizon, and the chosen monitoring
sites on a map with the K = 100/200/300 comparison and its optimality gaps.

They read the centre's audited gold tables (``gold/forecasting``, ``gold/scenarios``,
``gold/siting``) and, for the forecasts' history, the published marts. A section whose tables were
never published is left out (like the camera sections before the first camera event), so the report
of a new deployment has no empty cards for them.
"""
from __future__ import annotations

import logging
from collections.abc import Callable

import duckdb
import pandas as pd
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from citylake import delta
from citylake.catalog import gold_uri
from reporting.sections import Kpi, Section, SectionResult
from reporting.style import CITY_COLOUR, FONT, PALETTE, SEPARATORS, base_layout, monthly_axis, number, percent
from reporting.wardmap import inset_outlying, to_geojson, ward_cells

log = logging.getLogger(__name__)

# the series sets drawn as fan charts, in order, with their label and unit (the first four published)
HEADLINE_SERIES: dict[str, tuple[str, str]] = {
    "new_businesses_by_ward": ("Doanh nghiệp thành lập mới · New businesses", "doanh nghiệp · businesses"),
    "dossiers_by_agency": ("Hồ sơ tiếp nhận · Dossiers received", "hồ sơ · dossiers"),
    "hotline_contacts_by_category": ("Cuộc gọi tổng đài 1022 · Hotline contacts", "cuộc gọi · contacts"),
    "land_transactions_by_ward": ("Giao dịch đất đai · Land transactions", "giao dịch · transactions"),
    "fdi_registered_usd": ("Vốn FDI đăng ký · FDI registered (USD)", "USD"),
    "pupils_by_level": ("Học sinh · Pupils enrolled", "học sinh · pupils"),
    "vehicles_by_ward_daily": ("Lượt xe qua camera · Vehicles counted per day", "lượt xe · vehicles"),
}
MAX_FAN_CHARTS = 4
HISTORY = {"MS": 48, "YS": 12, "D": 120}          # periods of history drawn before the forecast
SCENARIO_MEASURES = {"population": "Dân số · Residents", "jobs": "Việc làm · Jobs",
                     "businesses": "Doanh nghiệp · Enterprises",
                     "motorbike_trips": "Chuyến xe máy/ngày · Motorbike trips a day"}
BAND = {80: "rgba(31, 95, 168, 0.32)", 95: "rgba(31, 95, 168, 0.14)"}


def _gold(settings, domain: str, table: str) -> pd.DataFrame | None:
    uri = gold_uri(settings, domain, table)
    return delta.read_arrow(uri).to_pandas() if delta.exists(uri) else None


def _result(mart: str, title: str, note: str, source: str, build: Callable[[], tuple[go.Figure, list[Kpi]]]
            ) -> SectionResult:
    section = Section(mart, title, note, "", lambda df: None, source=source)
    try:
        figure, kpis = build()
    except Exception as exc:  # one odd table must not cost the leaders the rest of the report
        log.exception("leadership report: %s chart failed", mart)
        return SectionResult(section, "error", f"chart failed: {type(exc).__name__}: {exc}")
    return SectionResult(section, "ok", figure=figure, kpis=kpis)


# forecasts ----------------------------------------------------------------------------------------

def _history(con: duckdb.DuckDBPyConnection, series_set: str, before) -> pd.DataFrame:
    """The city's actual values of a series set, from the published mart its definition reads."""
    from analytics.forecasting.series import registry

    defn = registry()[series_set]
    try:
        df = con.execute(f"SELECT ds::DATE AS ds, sum(y)::DOUBLE AS y FROM ({defn.sql}) GROUP BY ds ORDER BY ds").df()
    except duckdb.Error as exc:
        log.warning("leadership report: no history for %s: %s", series_set, exc)
        return pd.DataFrame({"ds": [], "y": []})
    df["ds"] = pd.to_datetime(df["ds"])
    return df[df["ds"] < pd.Timestamp(before)].tail(HISTORY.get(defn.freq, 48))


def fan_chart(history: pd.DataFrame, forecast: pd.DataFrame, freq: str) -> go.Figure:
    """History, then the forecast with its 95 % and 80 % intervals as bands (a fan)."""
    fig = go.Figure()
    ds = list(pd.to_datetime(forecast["ds"]))
    for level in (95, 80):
        fig.add_scatter(x=ds + ds[::-1], y=list(forecast[f"hi_{level}"]) + list(forecast[f"lo_{level}"])[::-1],
                        fill="toself", fillcolor=BAND[level], line={"width": 0}, mode="lines", hoverinfo="skip",
                        name=f"Khoảng dự báo {level} % · {level} % interval")
    fig.add_scatter(x=history["ds"], y=history["y"], name="Thực tế · Actual", mode="lines",
                    line={"color": CITY_COLOUR, "width": 2}, hovertemplate="%{y:,.0f}<extra>Thực tế · Actual</extra>")
    fig.add_scatter(x=ds, y=forecast["yhat"], name="Dự báo · Forecast", mode="lines+markers",
                    line={"color": PALETTE[0], "width": 2.4, "dash": "dash"}, marker={"size": 4},
                    customdata=forecast[["lo_80", "hi_80"]].to_numpy(),
                    hovertemplate="%{y:,.0f} (80 %: %{customdata[0]:,.0f}–%{customdata[1]:,.0f})"
                                  "<extra>Dự báo · Forecast</extra>")
    fig.update_yaxes(tickformat="~s", rangemode="tozero")
    fig = base_layout(fig, hovermode="x unified")
    if freq == "MS":
        fig = monthly_axis(fig)
    elif freq == "YS":
        fig.update_xaxes(tickformat="%Y", hoverformat="%Y")
    else:
        fig.update_xaxes(tickformat="%d/%m", hoverformat="%d/%m/%Y")
    return fig


def forecast_sections(con: duckdb.DuckDBPyConnection, settings) -> list[SectionResult]:
    forecasts = _gold(settings, "forecasting", "forecasts")
    choice = _gold(settings, "forecasting", "model_choice")
    if forecasts is None or choice is None:
        return []
    city = forecasts[forecasts["level"] == "city"]
    out = []
    for series_set in [s for s in HEADLINE_SERIES if s in set(city["series_set"])][:MAX_FAN_CHARTS]:
        label, unit = HEADLINE_SERIES[series_set]
        fc = city[city["series_set"] == series_set].sort_values("ds")
        chosen = choice[(choice["series_set"] == series_set) & (choice["unique_id"] == fc["unique_id"].iloc[0])]
        model = chosen["model"].iloc[0] if len(chosen) else fc["model"].iloc[0]
        mase = chosen["mase"].iloc[0] if len(chosen) and "mase" in chosen else None
        freq = fc["freq"].iloc[0]
        period = {"MS": "tháng · months", "YS": "năm · years", "D": "ngày · days"}.get(freq, "")
        note = (f"Toàn thành phố; {len(fc)} {period} tới, mô hình · model {model} (MASE kiểm định · backtest "
                f"{number(mase, 2)}; < 1: tốt hơn lặp lại mùa trước · beats seasonal naive). Dải: khoảng dự "
                f"báo 80 % và 95 % · Bands: 80 % and 95 % prediction intervals.")

        def build(fc=fc, series_set=series_set, label=label, unit=unit, freq=freq, period=period):
            history = _history(con, series_set, fc["ds"].min())
            kpi = Kpi(f"Dự báo · Forecast: {label.split(' · ')[0]}", number(fc["yhat"].sum()),
                      f"{unit}, {len(fc)} {period.split(' · ')[0]} tới · next {len(fc)} {period.split(' · ')[-1]}")
            return fan_chart(history, fc, freq), [kpi]

        out.append(_result(f"forecast_{series_set}", f"Dự báo · Forecast: {label}", note,
                           "gold/forecasting/forecasts", build))
    return out


# scenarios ----------------------------------------------------------------------------------------

def scenario_chart(results: pd.DataFrame) -> go.Figure:
    """City totals per scenario, one panel per measure, every scenario on the same axes."""
    city = results.groupby(["scenario", "month"], as_index=False)[list(SCENARIO_MEASURES)].sum()
    city["month"] = pd.to_datetime(city["month"])
    fig = make_subplots(rows=2, cols=2, subplot_titles=list(SCENARIO_MEASURES.values()),
                        horizontal_spacing=0.08, vertical_spacing=0.14)
    # the baseline drawn last, on top of the scenarios that follow it until their levers start
    scenarios = sorted(city["scenario"].unique(), key=lambda s: (s == "baseline", s))
    for i, (measure, label) in enumerate(SCENARIO_MEASURES.items()):
        row, col = divmod(i, 2)
        for j, scenario in enumerate(scenarios):
            part = city[city["scenario"] == scenario]
            fig.add_scatter(x=part["month"], y=part[measure], name=scenario, legendgroup=scenario,
                            showlegend=i == 0, mode="lines", row=row + 1, col=col + 1,
                            legendrank=1 if scenario == "baseline" else 10 + j,
                            line={"color": CITY_COLOUR if scenario == "baseline" else PALETTE[j % len(PALETTE)],
                                  "width": 2.6 if scenario == "baseline" else 1.8},
                            hovertemplate=f"{scenario}: %{{y:,.0f}}<extra>{label.split(' · ')[-1]}</extra>")
    fig.update_yaxes(tickformat="~s")
    fig.update_xaxes(tickformat="%Y", hoverformat="%m/%Y")
    fig.update_annotations(font={"size": 12})
    return base_layout(fig, height=620, margin={"l": 60, "r": 20, "t": 40, "b": 40},
                       legend={"orientation": "h", "yanchor": "top", "y": -0.07, "x": 0})


def scenario_sections(settings) -> list[SectionResult]:
    results = _gold(settings, "scenarios", "ward_results")
    if results is None or results.empty:
        return []
    horizon = pd.to_datetime(results["month"]).max()
    names = sorted(results["scenario"].unique())
    note = (f"Tổng toàn thành phố theo tháng đến {horizon:%m/%Y}, mỗi kịch bản một đường (cơ sở: đậm) · City totals "
            f"per month to {horizon:%m/%Y}, one line per scenario (baseline bold): {', '.join(names)}.")

    def build():
        last = results[pd.to_datetime(results["month"]) == horizon].groupby("scenario")[["jobs", "population"]].sum()
        kpis = []
        if "baseline" in last.index:
            base = last.loc["baseline"]
            best = last["jobs"].idxmax()
            kpis.append(Kpi(f"Việc làm {horizon:%Y} · Jobs in {horizon:%Y} (kịch bản cơ sở · baseline)",
                            number(base["jobs"]),
                            f"cao nhất · highest: {best} (+{percent(last.loc[best, 'jobs'] / base['jobs'] - 1)})"))
        return scenario_chart(results), kpis

    return [_result("scenarios_to_horizon", f"Kịch bản tăng trưởng · Growth scenarios to {horizon:%Y}", note,
                    "gold/scenarios/ward_results", build)]


# sites --------------------------------------------------------------------------------------------

def sites_map(sites: pd.DataFrame, summary: pd.DataFrame, wards: list[dict]) -> go.Figure:
    """The wards as a pale background (approximate areas), the fixed cameras, and each K's new sites."""
    fig = go.Figure()
    wards = [w for w in wards if w.get("latitude") is not None and w.get("longitude") is not None]
    if len(wards) >= 3:
        codes = [w["ward_code_2025"] for w in wards]
        lats, lons = [w["latitude"] for w in wards], [w["longitude"] for w in wards]
        cells = ward_cells(codes, lats, lons, [w.get("area_km2") for w in wards])
        _, outlying = inset_outlying(cells, lats, lons)   # far islands would shrink the mainland: left out
        cells = {c: p for c, p in cells.items() if c not in outlying}
        names = {w["ward_code_2025"]: w.get("ward_name_2025") or w["ward_code_2025"] for w in wards}
        fig.add_trace(go.Choropleth(
            geojson=to_geojson(cells, names), locations=list(cells), featureidkey="id", z=[0] * len(cells),
            colorscale=[[0, "#eef1f6"], [1, "#eef1f6"]], showscale=False, marker={"line": {"color": "#c7ccd6",
                                                                                          "width": 0.6}},
            customdata=[[names[c]] for c in cells], hovertemplate="%{customdata[0]}<extra></extra>",
            name="Phường · Wards", showlegend=False))
    fixed = sites[sites["is_fixed"]].drop_duplicates("site_id")
    if len(fixed):
        fig.add_trace(go.Scattergeo(lon=fixed["longitude"], lat=fixed["latitude"], mode="markers",
                                    marker={"size": 4, "color": "#6b7280", "opacity": 0.6},
                                    name=f"Camera hiện có · Existing cameras ({len(fixed)})",
                                    hovertemplate="%{text}<extra>camera</extra>", text=fixed["site_id"]))
    ks = sorted(summary["k"].unique(), reverse=True)            # the largest K underneath
    sizes = {k: 7 + 4 * i for i, k in enumerate(reversed(ks))}
    colours = {k: PALETTE[i % len(PALETTE)] for i, k in enumerate(sorted(ks))}
    for k in ks:
        new = sites[(sites["k"] == k) & ~sites["is_fixed"]]
        row = summary[summary["k"] == k].iloc[0]
        fig.add_trace(go.Scattergeo(
            lon=new["longitude"], lat=new["latitude"], mode="markers", text=new["site_id"],
            marker={"size": sizes[k], "color": colours[k], "line": {"color": "white", "width": 0.8}},
            name=f"K = {k}: {percent(row['coverage_pct'] / 100)} nhu cầu được phủ · demand covered",
            customdata=new[["pick_order"]].to_numpy(),
            hovertemplate=f"K = {k}<br>%{{text}}, thứ tự chọn · pick %{{customdata[0]}}<extra></extra>"))
    fig.update_geos(visible=False, fitbounds="locations", projection_type="mercator", bgcolor="rgba(0,0,0,0)")
    fig.update_layout(height=620, separators=SEPARATORS, font={"family": FONT, "size": 12},
                      margin={"l": 0, "r": 0, "t": 10, "b": 10},
                      legend={"orientation": "v", "x": 0.01, "y": 0.99, "bgcolor": "rgba(255,255,255,0.85)"})
    return fig


def k_comparison_chart(summary: pd.DataFrame) -> go.Figure:
    """Coverage per K (with its optimality gap) under the certified upper bound, beside the naive choice."""
    summary = summary.sort_values("k")
    labels = [f"K = {k}" for k in summary["k"]]
    fig = go.Figure()
    fig.add_bar(x=labels, y=summary["coverage_pct"] / 100, name="Phủ được · Covered (greedy + swaps)",
                marker_color=PALETTE[0], width=0.55, textposition="inside", insidetextanchor="start",
                text=[f"{percent(c / 100)}<br>gap {number(g, 2)} %" for c, g in zip(summary["coverage_pct"],
                                                                                    summary["gap_pct"])],
                hovertemplate="%{x}: %{y:.2%}<extra>Phủ · covered</extra>")
    fig.add_scatter(x=labels, y=summary["upper_bound_pct"] / 100, mode="markers",
                    name="Cận trên chứng minh · Certified upper bound (HiGHS)",
                    marker={"symbol": "line-ew-open", "size": 60, "color": PALETTE[3], "line": {"width": 3}},
                    hovertemplate="%{x}: %{y:.2%}<extra>upper bound</extra>")
    fig.add_scatter(x=labels, y=summary["naive_top_demand_pct"] / 100, mode="markers",
                    name="Chọn theo nhu cầu cao nhất · Naive top demand",
                    marker={"symbol": "diamond", "size": 12, "color": "#8a94a6",
                            "line": {"color": "white", "width": 1}},
                    hovertemplate="%{x}: %{y:.2%}<extra>naive</extra>")
    fig.update_yaxes(tickformat=".0%", range=[0, 1.05], title_text="Nhu cầu được phủ · Demand covered")
    return base_layout(fig)


def siting_sections(con: duckdb.DuckDBPyConnection, settings) -> list[SectionResult]:
    sites, summary = _gold(settings, "siting", "sites"), _gold(settings, "siting", "summary")
    if sites is None or summary is None or summary.empty:
        return []
    radius = number(summary["radius_m"].iloc[0])
    ks = ", ".join(str(k) for k in sorted(summary["k"]))

    def build_map():
        wards = []
        try:
            wards = con.execute("SELECT * FROM main.rpt_ward_overview").df().to_dict("records")
        except duckdb.Error as exc:
            log.warning("leadership report: the sites map has no ward background: %s", exc)
        return sites_map(sites, summary, wards), []

    def build_comparison():
        best = summary.sort_values("k").iloc[-1]
        return k_comparison_chart(summary), [Kpi(f"Phủ với K = {best['k']} điểm mới · Covered with K = {best['k']} "
                                                 "new sites", percent(best["coverage_pct"] / 100),
                                                 f"cận trên · bound {percent(best['upper_bound_pct'] / 100)}, "
                                                 f"gap {number(best['gap_pct'], 2)} %")]

    return [
        _result("sites_map", "Vị trí giám sát đề xuất · Proposed monitoring sites",
                f"Điểm mới cho K = {ks} (bán kính · radius {radius} m) và camera hiện có (cố định) trên nền phường "
                "gần đúng · New sites per K and the existing cameras (kept), on approximate ward areas.",
                "gold/siting/sites", build_map),
        _result("sites_k_comparison", "So sánh K · Coverage by number of new sites",
                "Nhu cầu có trọng số được phủ, cận trên chứng minh bằng HiGHS và khoảng cách tối ưu (gap), "
                "so với cách chọn theo nhu cầu cao nhất · Weighted demand covered, the certified upper bound "
                "and the optimality gap, against placing sites at the heaviest demand.",
                "gold/siting/summary", build_comparison),
    ]


def centre_sections(con: duckdb.DuckDBPyConnection, settings) -> list[tuple[SectionResult, bool]]:
    """Every centre section with data, each with whether its card spans the page."""
    out = [(r, False) for r in forecast_sections(con, settings)]
    out += [(r, True) for r in scenario_sections(settings)]
    sites = siting_sections(con, settings)
    out += [(r, r.section.mart == "sites_map") for r in sites]
    return out
