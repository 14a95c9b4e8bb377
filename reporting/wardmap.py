"""The ward map: a choropleth of the 2025 wards of Ho Chi Minh City, with no basemap and no network.

No ward boundaries are available offline, so each ward is drawn as the Voronoi cell of its centre,
cut to a disc about as large as the ward (from its area) so that wards on the edge of the city do not
spread over the whole bounding box. The map says so on its face. A ward far from all others (the Côn
Đảo special zone, 180 km out at sea) is drawn as an inset next to the mainland, or the mainland wards
would shrink to a corner.
"""
from __future__ import annotations

import math

import numpy as np
import plotly.graph_objects as go
import shapely
from shapely import affinity
from shapely.geometry import MultiPoint, Point, mapping
from shapely.geometry.polygon import orient

from reporting.style import FONT, SEPARATORS, number, percent

APPROXIMATION_NOTE = "Ranh giới gần đúng · approximate ward areas (Voronoi of ward centres)"
KM_PER_DEGREE_LAT = 110.6
# a ward's cell is cut to a disc of this many times its equal-area radius (cells stay Voronoi inside)
_DISC_FACTOR = 1.6
_MIN_RADIUS_KM, _MAX_RADIUS_KM = 0.8, 12.0
# a ward farther than this from every other is drawn as an inset by the mainland
_OUTLYING_KM = 40.0

# measure column → (label, kind: "rate" 0–1 or "count"); the first one present is shown when the page opens
MEASURES: dict[str, tuple[str, str]] = {
    "dossier_on_time_rate_12m": ("Hồ sơ đúng hạn · Dossiers on time (12 tháng)", "rate"),
    "dossiers_received_12m": ("Hồ sơ tiếp nhận · Dossiers received (12 tháng)", "count"),
    "complaints_open": ("Khiếu nại tồn đọng · Open complaints", "count"),
    "hotline_contacts_12m": ("Cuộc gọi tổng đài · Hotline contacts (12 tháng)", "count"),
    "new_enterprises_12m": ("Doanh nghiệp mới · New businesses (12 tháng)", "count"),
    "land_transactions_12m": ("Giao dịch đất đai · Land transactions (12 tháng)", "count"),
    "pupils": ("Học sinh · Pupils", "count"),
    "active_practitioners": ("Người hành nghề y · Health practitioners", "count"),
    "camera_congestion_index": ("Chỉ số ùn tắc · Congestion index (camera, ngày gần nhất)", "rate"),
}


def ward_cells(codes: list[str], lats: list[float], lons: list[float],
               areas_km2: list[float | None] | None = None) -> dict[str, shapely.Polygon]:
    """Approximate ward areas (lon/lat): Voronoi cells of the centres, each cut to a disc sized by its area."""
    x_scale = math.cos(math.radians(float(np.mean(lats))))   # a locally equal-distance plane
    xy = np.column_stack([np.asarray(lons, float) * x_scale, np.asarray(lats, float)])
    # identical centres would share one cell: nudge repeats apart by a few metres
    _, first = np.unique(xy.round(6), axis=0, return_index=True)
    for n, i in enumerate(sorted(set(range(len(xy))) - set(first.tolist())), start=1):
        xy[i] += 1e-4 * n
    points = MultiPoint(xy)
    envelope = shapely.box(*points.bounds).buffer(1.0)
    cells = shapely.voronoi_polygons(points, extend_to=envelope, ordered=True)
    radii = _disc_radii_km(_nearest_km(xy), areas_km2) / KM_PER_DEGREE_LAT
    out = {}
    for code, cell, (x, y), radius in zip(codes, cells.geoms, xy, radii):
        cell = cell.intersection(Point(x, y).buffer(radius, quad_segs=8))
        out[code] = _largest_polygon(affinity.scale(cell, xfact=1 / x_scale, yfact=1.0, origin=(0, 0)))
    return out


def _nearest_km(xy: np.ndarray) -> np.ndarray:
    distances = np.hypot(*(xy[:, None, :] - xy[None, :, :]).transpose(2, 0, 1))
    np.fill_diagonal(distances, np.inf)
    return distances.min(axis=1) * KM_PER_DEGREE_LAT


def _disc_radii_km(nearest_km: np.ndarray, areas_km2: list[float | None] | None) -> np.ndarray:
    """The disc radius per ward: from its area, else from the distance to its nearest centre."""
    radius = np.where(np.isfinite(nearest_km), nearest_km, _MAX_RADIUS_KM)
    if areas_km2 is not None:
        area = np.array([a if a is not None else np.nan for a in areas_km2], float)
        from_area = _DISC_FACTOR * np.sqrt(area / math.pi)
        radius = np.where(np.isfinite(from_area) & (from_area > 0), from_area, radius)
    return np.clip(radius, _MIN_RADIUS_KM, _MAX_RADIUS_KM)


def _largest_polygon(geom) -> shapely.Polygon:
    if geom.geom_type == "MultiPolygon":
        geom = max(geom.geoms, key=lambda g: g.area)
    # d3-geo (plotly's geo) takes a clockwise ring as the inside: the reverse of RFC 7946
    return orient(geom, sign=-1.0)


def inset_outlying(cells: dict[str, shapely.Polygon], lats: list[float], lons: list[float]
                   ) -> tuple[dict[str, shapely.Polygon], list[str]]:
    """Move wards far from all others next to the mainland's south-west corner; returns their codes."""
    if len(cells) < 3:
        return cells, []
    x_scale = math.cos(math.radians(float(np.mean(lats))))
    nearest = _nearest_km(np.column_stack([np.asarray(lons, float) * x_scale, np.asarray(lats, float)]))
    codes = list(cells)
    outlying = [code for code, km in zip(codes, nearest) if km > _OUTLYING_KM]
    mainland = [cells[c] for c in codes if c not in outlying]
    if not outlying or not mainland:
        return cells, []
    min_x, min_y, _, max_y = shapely.union_all(mainland).bounds
    moved = dict(cells)
    anchor_y = min_y + 0.08 * (max_y - min_y)
    for n, code in enumerate(outlying):
        cx, cy = cells[code].centroid.coords[0]
        moved[code] = affinity.translate(cells[code], xoff=min_x + 0.08 + 0.15 * n - cx, yoff=anchor_y - cy)
    return moved, outlying


def to_geojson(cells: dict[str, shapely.Polygon], names: dict[str, str]) -> dict:
    features = [{"type": "Feature", "id": code, "properties": {"name": names.get(code, code)},
                 "geometry": mapping(shapely.set_precision(poly, 1e-5))} for code, poly in cells.items()]
    return {"type": "FeatureCollection", "features": features}


def ward_map(rows: list[dict], measures: dict[str, tuple[str, str]] = MEASURES) -> go.Figure:
    """A choropleth of the wards in ``rows`` (rpt_ward_overview), a dropdown over the measures present."""
    rows = [r for r in rows if r.get("latitude") is not None and r.get("longitude") is not None]
    codes = [r["ward_code_2025"] for r in rows]
    names = {r["ward_code_2025"]: r.get("ward_name_2025") or r["ward_code_2025"] for r in rows}
    lats, lons = [r["latitude"] for r in rows], [r["longitude"] for r in rows]
    cells = ward_cells(codes, lats, lons, [r.get("area_km2") for r in rows])
    cells, outlying = inset_outlying(cells, lats, lons)
    present = {col: spec for col, spec in measures.items() if any(r.get(col) is not None for r in rows)}

    def style(col: str) -> dict:
        label, kind = present[col]
        values = [r.get(col) for r in rows]
        shown = [("không có số liệu · no data" if v is None else percent(v) if kind == "rate" else number(v))
                 for v in values]
        # a ward without a value is still drawn (at the low end); its hover says so
        low = min((v for v in values if v is not None), default=0)
        return {"z": [v if v is not None else low for v in values],
                "customdata": [[names[c], s] for c, s in zip(codes, shown)],
                "hovertemplate": f"<b>%{{customdata[0]}}</b><br>{label}: %{{customdata[1]}}<extra></extra>",
                "colorbar": {"title": {"text": label.split(" · ")[0], "side": "right"},
                             "tickformat": ".0%" if kind == "rate" else "~s"}}

    first = next(iter(present), None)
    fig = go.Figure(go.Choropleth(
        geojson=to_geojson(cells, names), locations=codes, featureidkey="id",
        colorscale="YlGnBu", marker={"line": {"color": "white", "width": 0.6}},
        **(style(first) if first else {"z": [0] * len(codes), "showscale": False,
                                       "customdata": [[names[c]] for c in codes],
                                       "hovertemplate": "<b>%{customdata[0]}</b><extra></extra>"}),
    ))
    for code in outlying:
        (x0, y0, x1, y1) = cells[code].buffer(0.03).bounds
        fig.add_trace(go.Scattergeo(
            lon=[x0, x1, x1, x0, x0], lat=[y0, y0, y1, y1, y0], mode="lines", hoverinfo="skip",
            line={"color": "#888", "width": 1, "dash": "dot"}, showlegend=False))
        fig.add_trace(go.Scattergeo(
            lon=[x0], lat=[y1 + 0.01], mode="text", textposition="top right", hoverinfo="skip", showlegend=False,
            text=[f"{names[code]} (ô phụ · inset)"], textfont={"size": 10, "color": "#555"}))
    fig.update_geos(visible=False, fitbounds="locations", projection_type="mercator", bgcolor="rgba(0,0,0,0)")
    buttons = [{"label": spec[0], "method": "restyle",
                "args": [{key: [value] for key, value in _flatten(style(col)).items()}, [0]]}
               for col, spec in present.items()]
    fig.update_layout(
        height=640, separators=SEPARATORS, font={"family": FONT, "size": 12}, margin={"l": 0, "r": 0, "t": 50, "b": 30},
        updatemenus=[{"type": "dropdown", "buttons": buttons, "x": 0, "y": 1.0, "xanchor": "left",
                      "yanchor": "bottom", "showactive": True, "pad": {"b": 6}}] if len(buttons) > 1 else [],
        annotations=[{"text": APPROXIMATION_NOTE, "showarrow": False, "xref": "paper", "yref": "paper",
                      "x": 0, "y": -0.03, "xanchor": "left", "font": {"size": 11, "color": "#555"}}],
    )
    return fig


def _flatten(style: dict, prefix: str = "") -> dict:
    """Nested trace attributes as plotly restyle's dotted keys (colorbar.title.text, …)."""
    flat = {}
    for key, value in style.items():
        if isinstance(value, dict):
            flat.update(_flatten(value, f"{prefix}{key}."))
        else:
            flat[f"{prefix}{key}"] = value
    return flat
