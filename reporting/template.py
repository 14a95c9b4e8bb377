"""The page around the charts: one HTML file with plotly.js inlined once and nothing fetched."""
from __future__ import annotations

import jinja2

# plotly.js fetches a world topojson for any geo subplot, even with the basemap hidden; an empty one
# in its asset cache keeps the page off the network (the ward map brings its own GeoJSON)
GEO_ASSETS_STUB = ("window.PlotlyGeoAssets = {topojson: {world_110m: {type: 'Topology', objects: {}, arcs: []},"
                   " world_50m: {type: 'Topology', objects: {}, arcs: []}}};")

PAGE = """<!DOCTYPE html>
<html lang="vi">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="generator" content="citylake reporting.leadership">
<meta name="citylake:empty-sections" content="{{ empty | join(',') }}">
<title>{{ title }}</title>
<style>
  :root { --ink: #111827; --muted: #6b7280; --line: #e5e7eb; --brand: #1f3a68; --late: #c0392b; --ok: #2a7d4f; }
  * { box-sizing: border-box; }
  body { margin: 0; font-family: system-ui, -apple-system, "Segoe UI", Roboto, "Noto Sans", "DejaVu Sans", sans-serif;
         color: var(--ink); background: #f5f6f8; line-height: 1.45; }
  header { background: var(--brand); color: #fff; padding: 20px 28px 16px; }
  header h1 { margin: 0 0 4px; font-size: 1.55rem; font-weight: 650; }
  header .meta { margin: 0; opacity: .9; font-size: .92rem; }
  header .meta b { font-weight: 600; }
  .freshness { margin: 12px 0 0; font-size: .85rem; }
  .freshness summary { cursor: pointer; }
  .freshness .late-count { color: #ffb4a8; font-weight: 700; }
  .freshness table { margin-top: 8px; border-collapse: collapse; background: #fff; color: var(--ink);
                     border-radius: 6px; overflow: hidden; min-width: 60%; }
  .freshness th, .freshness td { padding: 5px 10px; border-bottom: 1px solid var(--line); text-align: left; }
  .freshness th { background: #eef1f6; font-weight: 600; }
  .freshness td.num { text-align: right; font-variant-numeric: tabular-nums; }
  .freshness tr.late td { color: var(--late); font-weight: 600; }
  .freshness .status-ok { color: var(--ok); }
  main { padding: 18px 28px 28px; max-width: 1680px; margin: 0 auto; }
  .kpis { display: grid; grid-template-columns: repeat(auto-fill, minmax(230px, 1fr)); gap: 12px; margin-bottom: 18px; }
  .kpi { background: #fff; border: 1px solid var(--line); border-left: 4px solid var(--brand); border-radius: 8px;
         padding: 10px 14px; }
  .kpi .label { font-size: .8rem; color: var(--muted); }
  .kpi .value { font-size: 1.6rem; font-weight: 700; font-variant-numeric: tabular-nums; margin: 2px 0; }
  .kpi .detail { font-size: .78rem; color: var(--muted); }
  .grid { display: grid; grid-template-columns: repeat(auto-fill, minmax(560px, 1fr)); gap: 16px; }
  .card { background: #fff; border: 1px solid var(--line); border-radius: 8px; padding: 14px 16px 8px; min-width: 0; }
  .card.wide { grid-column: 1 / -1; }
  .card h2 { font-size: 1.08rem; margin: 0 0 2px; }
  .card .note { font-size: .82rem; color: var(--muted); margin: 0 0 6px; }
  .card .source { font-size: .72rem; color: var(--muted); margin: 4px 0 0; }
  .nodata { border: 2px dashed #d1d5db; border-radius: 6px; padding: 36px 16px; text-align: center;
            color: var(--muted); font-size: .95rem; }
  .nodata code { color: var(--late); }
  footer { color: var(--muted); font-size: .78rem; padding: 0 28px 24px; max-width: 1680px; margin: 0 auto; }
  @media (max-width: 640px) {
    .grid { grid-template-columns: 1fr; }
    main, header { padding-left: 12px; padding-right: 12px; }
  }
  @media print { body { background: #fff; } .card { break-inside: avoid; } }
</style>
<script type="text/javascript">window.PlotlyConfig = {MathJaxConfig: 'local'};</script>
<script type="text/javascript">{{ geo_assets_stub | safe }}</script>
<script type="text/javascript">{{ plotly_js | safe }}</script>
</head>
<body>
<header>
  <h1>{{ title }}</h1>
  <p class="meta">Lập lúc · Built <b>{{ built_at }}</b> (giờ Việt Nam · ICT)
  {%- if data_through %} · Số liệu đến · Data through <b>{{ data_through }}</b>{% endif %}</p>
  {% if freshness is none %}
  <p class="freshness"><span class="late-count">Không có dữ liệu · no data: source_freshness</span>
     — chưa kiểm tra độ mới của nguồn · source freshness not checked</p>
  {% else %}
  <details class="freshness" {% if freshness.late %}open{% endif %}>
    <summary>Độ mới dữ liệu nguồn · Source freshness: {{ freshness.rows | length }} nguồn,
      {% if freshness.late %}<span class="late-count">{{ freshness.late | length }} trễ · late
      ({{ freshness.late | join(', ') }})</span>{% else %}tất cả đúng hạn · all on time{% endif %}</summary>
    <table>
      <tr><th>Nguồn · Source</th><th>Đơn vị · Owner</th><th>Tần suất · Frequency</th>
          <th>Lô mới nhất · Last batch</th><th>Giờ · Hours since</th><th>Trạng thái · Status</th></tr>
      {% for row in freshness.rows %}
      <tr class="{{ 'late' if row.is_late else '' }}" data-source="{{ row.source }}">
        <td>{{ row.source }}</td><td>{{ row.owner }}</td><td>{{ row.update_frequency }}</td>
        <td>{{ row.last_batch_at }}</td><td class="num">{{ row.hours_since }}</td>
        <td>{% if row.is_late %}Trễ · late (&gt; {{ row.freshness_hours }} h{%
              if row.reason %}: {{ row.reason }}{% endif %}){% else %}
            <span class="status-ok">Đúng hạn · on time</span>{% endif %}</td>
      </tr>
      {% endfor %}
    </table>
  </details>
  {% endif %}
</header>
<main>
  <section class="kpis" aria-label="Chỉ số chính · Key figures">
    {% for kpi in kpis %}
    <div class="kpi"><div class="label">{{ kpi.label }}</div><div class="value">{{ kpi.value }}</div>
      <div class="detail">{{ kpi.detail }}</div></div>
    {% endfor %}
  </section>
  <div class="grid">
    {% for card in cards %}
    <section class="card{{ ' wide' if card.wide else '' }}" id="{{ card.mart }}" data-status="{{ card.status }}">
      <h2>{{ card.title }}</h2>
      <p class="note">{{ card.note }}</p>
      {% if card.html %}{{ card.html | safe }}{% else %}
      <div class="nodata" data-mart="{{ card.mart }}">Không có dữ liệu · no data: <code>{{ card.mart }}</code>
        <br><small>{{ card.reason }}</small></div>
      {% endif %}
      <p class="source">Nguồn · Source: <code>{{ card.source or 'main.' ~ card.mart }}</code></p>
    </section>
    {% endfor %}
  </div>
</main>
<script type="text/javascript">
  // charts are drawn while the page is still being laid out: size them to their cards once it is
  window.addEventListener("load", function () {
    document.querySelectorAll(".js-plotly-plot").forEach(function (div) { Plotly.Plots.resize(div); });
  });
</script>
<footer>citylake · kho dữ liệu thành phố · city lakehouse. Trang này tự chứa, không cần mạng ·
  This page is self-contained and works offline.</footer>
</body>
</html>
"""


def render_page(**context) -> str:
    env = jinja2.Environment(autoescape=True, undefined=jinja2.StrictUndefined)
    return env.from_string(PAGE).render(**context)
