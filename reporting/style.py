"""Look and number formats shared by every chart: Vietnamese conventions (1.234.567,8; 87,5%)."""
from __future__ import annotations

import math

import plotly.graph_objects as go

# Vietnamese separators: decimal comma, thousands dot (plotly's layout.separators is "decimal,thousands")
SEPARATORS = ",."
FONT = "system-ui, -apple-system, 'Segoe UI', Roboto, 'Noto Sans', 'DejaVu Sans', sans-serif"
PALETTE = ["#1f5fa8", "#e07b24", "#2a9d63", "#c0392b", "#7b5ea7", "#8c6d46", "#d46aa8", "#6b7280",
           "#b8a21f", "#1fa3b8", "#4b8f2f", "#a83f5f"]
CITY_COLOUR = "#111827"
CHART_HEIGHT = 380


def base_layout(fig: go.Figure, height: int = CHART_HEIGHT, **extra) -> go.Figure:
    """The layout every section chart shares; titles live in the HTML card, not in the figure."""
    layout = {
        "template": "plotly_white", "height": height, "separators": SEPARATORS, "colorway": PALETTE,
        "font": {"family": FONT, "size": 12}, "margin": {"l": 60, "r": 20, "t": 20, "b": 40},
        "legend": {"orientation": "h", "yanchor": "top", "y": -0.14, "x": 0, "font": {"size": 11}},
        "hoverlabel": {"font": {"family": FONT}},
    }
    fig.update_layout(**{**layout, **extra})
    return fig


def monthly_axis(fig: go.Figure) -> go.Figure:
    """Months as 05/2026 on the axis and in the hover (plotly's own month names are English)."""
    fig.update_xaxes(tickformat="%m/%Y", hoverformat="%m/%Y", dtick="M1" if _few_months(fig) else None)
    return fig


def _few_months(fig: go.Figure) -> bool:
    return all(len(trace.x) <= 14 for trace in fig.data if trace.x is not None)


def number(value: float | None, decimals: int = 0) -> str:
    """1234567.8 → '1.234.567,8'."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "–"
    text = f"{value:,.{decimals}f}"
    return text.replace(",", "\x00").replace(".", ",").replace("\x00", ".")


def percent(value: float | None, decimals: int = 1) -> str:
    """0.8734 → '87,3%'."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "–"
    return number(value * 100, decimals) + "%"


def vnd(value: float | None) -> str:
    """An amount in VND the way a report says it: '1.234 tỷ đồng', '12,5 nghìn tỷ đồng'."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "–"
    if abs(value) >= 1e12:
        return f"{number(value / 1e12, 1)} nghìn tỷ đồng"
    if abs(value) >= 1e9:
        return f"{number(value / 1e9, 0)} tỷ đồng"
    return f"{number(value / 1e6, 0)} triệu đồng"


def usd(value: float | None) -> str:
    """'1,25 tỷ USD' (billion), '340,2 triệu USD' (million)."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "–"
    if abs(value) >= 1e9:
        return f"{number(value / 1e9, 2)} tỷ USD"
    return f"{number(value / 1e6, 1)} triệu USD"


def month_label(value) -> str:
    """A month as '05/2026'."""
    return f"{value.month:02d}/{value.year}"
