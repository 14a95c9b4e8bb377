"""The leadership report: the city's marts as one HTML file a leader opens on a laptop, offline.

Reads the published marts (read-only: only audited marts are there) and the last freshness check,
draws one chart per mart, KPI tiles and the ward map, and writes a single page with plotly.js
inlined once. A mart that is missing or empty shows a "no data" note and is logged.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import duckdb
import plotly.offline
import pyarrow as pa

from reporting import infrastructure_section
from reporting.camera_sections import CAMERA_SECTIONS, ward_map_section
from reporting.centre_sections import centre_sections
from reporting.sections import SECTIONS, SectionResult, mart_exists, run
from reporting.style import month_label, number
from reporting.template import GEO_ASSETS_STUB, render_page

log = logging.getLogger(__name__)

DEFAULT_TITLE = "Báo cáo điều hành · Leadership report — TP. Hồ Chí Minh"
REPORT_FILE = "leadership_report.html"
LOCAL_TZ = ZoneInfo("Asia/Ho_Chi_Minh")
PLOT_CONFIG = {"displaylogo": False, "responsive": True}


@dataclass(frozen=True)
class Report:
    path: Path
    empty_sections: list[str]       # marts whose section shows "no data"
    late_sources: list[str]


def build_report(duckdb_path: Path, out_dir: Path, title: str = DEFAULT_TITLE,
                 freshness: pa.Table | None = None, centre=None, infrastructure: pa.Table | None = None) -> Path:
    """Write ``out_dir/leadership_report.html`` from the marts in ``duckdb_path`` and the freshness
    check's result; returns its path. ``centre`` (settings) adds the simulation and forecasting
    centre's sections from that lakehouse's gold tables; ``infrastructure`` the infrastructure
    analyses per ward (``infrastructure_section.ward_table``)."""
    return render(duckdb_path, out_dir, title, freshness, centre, infrastructure).path


def render(duckdb_path: Path, out_dir: Path, title: str = DEFAULT_TITLE,
           freshness: pa.Table | None = None, centre=None, infrastructure: pa.Table | None = None) -> Report:
    """As build_report, and also says which sections had no data and which sources are late."""
    # read-only: a publication replaces the file whole, and this reader keeps the version it opened;
    # nothing published yet: every section says so
    path = str(duckdb_path) if Path(duckdb_path).exists() else ":memory:"
    with duckdb.connect(path, read_only=path != ":memory:") as con:
        if freshness is not None:
            con.register("source_freshness", freshness)
        results = [run(con, section) for section in SECTIONS]
        # camera sections once camera events reached the marts; left out (not "no data") before that
        cameras = [run(con, section) for section in CAMERA_SECTIONS]
        results += [r for r in cameras if r.status not in ("missing", "empty")]
        ward_map = run(con, ward_map_section(con))
        # the centre's answers once their DAGs published them; left out before that
        analytics = centre_sections(con, centre) if centre is not None else []
        infra = None
        if infrastructure is not None:   # left out (not "no data") until the analyses have run
            con.register(infrastructure_section.MART, infrastructure)
            infra = run(con, infrastructure_section.SECTION)
        freshness = _freshness(con)
        data_through = _data_through(con)
    cards = [_card(result) for result in results] + [_card(ward_map, wide=True)]
    if infra is not None:
        cards.append(_card(infra, wide=True))
    cards += [_card(result, wide=wide) for result, wide in analytics]
    results += [result for result, _ in analytics]
    empty = [r.section.mart for r in [*results, ward_map, *([infra] if infra else [])] if r.status != "ok"]
    html = render_page(
        title=title, built_at=datetime.now(LOCAL_TZ).strftime("%H:%M ngày %d/%m/%Y"),
        data_through=data_through, freshness=freshness, empty=empty,
        kpis=[kpi for r in [*results, *([infra] if infra else [])] for kpi in r.kpis], cards=cards,
        geo_assets_stub=GEO_ASSETS_STUB, plotly_js=plotly.offline.get_plotlyjs())
    out_dir.mkdir(parents=True, exist_ok=True)
    path = out_dir / REPORT_FILE
    path.write_text(html, encoding="utf-8")
    late = freshness["late"] if freshness else []
    if empty:
        log.warning("leadership report: no data for %s", ", ".join(empty))
    log.info("leadership report written to %s (%d sections, %d without data, %d late sources)",
             path, len(cards), len(empty), len(late))
    return Report(path, empty, late)


def _card(result: SectionResult, wide: bool = False) -> dict:
    section = result.section
    html = None
    if result.figure is not None:
        height = result.figure.layout.height or 380
        html = result.figure.to_html(full_html=False, include_plotlyjs=False, config=PLOT_CONFIG,
                                     div_id=f"chart-{section.mart}", default_width="100%",
                                     default_height=f"{height}px")
    return {"mart": section.mart, "title": section.title, "note": section.note, "status": result.status,
            "reason": result.reason, "html": html, "wide": wide, "source": section.source}


def _freshness(con: duckdb.DuckDBPyConnection) -> dict | None:
    """The freshness check's verdict per source, late ones first; None when the check never ran."""
    if not mart_exists(con, "source_freshness"):
        return None
    columns = {r[0] for r in con.execute("DESCRIBE main.source_freshness").fetchall()}
    reason = "reason" if "reason" in columns else "NULL"  # why a source is late, when the check says
    rows = con.execute(f"""
        SELECT source, owner, update_frequency, freshness_hours, epoch(last_batch_at) AS last_batch_epoch,
               hours_since, coalesce(is_late, true) AS is_late, {reason} AS reason
        FROM main.source_freshness ORDER BY is_late DESC, source""").fetchall()
    out = []
    for source, owner, frequency, limit_h, epoch, hours_since, is_late, why in rows:
        last = (datetime.fromtimestamp(epoch, UTC).astimezone(LOCAL_TZ).strftime("%d/%m/%Y %H:%M")
                if epoch is not None else "chưa có · never")
        out.append({"source": source, "owner": owner or "", "update_frequency": frequency or "",
                    "freshness_hours": number(limit_h), "last_batch_at": last,
                    "hours_since": number(hours_since, 1) if hours_since is not None else "–",
                    "is_late": bool(is_late), "reason": why if is_late else None})
    return {"rows": out, "late": [r["source"] for r in out if r["is_late"]]}


def _data_through(con: duckdb.DuckDBPyConnection) -> str | None:
    """The latest month the monthly marts reach."""
    months = []
    for mart in ("rpt_dossiers_on_time", "rpt_complaint_backlog", "rpt_hotline_response", "rpt_land_transactions"):
        if mart_exists(con, mart):
            try:
                months.append(con.execute(f"SELECT max(month) FROM main.{mart}").fetchone()[0])
            except duckdb.Error:
                continue
    months = [m for m in months if m is not None]
    return month_label(max(months)) if months else None
