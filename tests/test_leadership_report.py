"""The leadership report renders offline in a real browser.

The marts here are a fixture for the renderer only, written by this test with plausible shapes and
values; the pipeline's own marts are tested end to end elsewhere. The page is opened in Debian's
Chromium through Playwright (no browser is ever downloaded).
"""
from __future__ import annotations

import re
from datetime import date
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd
import pytest
from browser import RENDERED, offline_page

from ingestion.reference.agencies import DEPARTMENTS, ward_committee_code
from reporting.leadership import REPORT_FILE, build_report, render

MONTHS = [date(2024 + (11 + i) // 12, (11 + i) % 12 + 1, 1) for i in range(18)]   # 12/2024 … 05/2026
MISSING_MART = "rpt_investment_projects"


def _wards_2025() -> pd.DataFrame:
    from vietnamadminunits.database import query

    rows = query("SELECT wardCode, ward, wardLat, wardLon, wardAreaKm2 FROM admin_units "
                 "WHERE provinceCode = '79' ORDER BY wardCode")
    return pd.DataFrame({"ward_code_2025": [r["wardCode"] for r in rows], "ward_name_2025": [r["ward"] for r in rows],
                         "latitude": [r["wardLat"] for r in rows], "longitude": [r["wardLon"] for r in rows],
                         "area_km2": [r["wardAreaKm2"] for r in rows]})


def _grid(**columns) -> pd.DataFrame:
    """Every combination of the given values, as a frame."""
    index = pd.MultiIndex.from_product(list(columns.values()), names=list(columns))
    return index.to_frame(index=False)


def _fixture_marts(rng: np.random.Generator, wards: pd.DataFrame) -> dict[str, pd.DataFrame]:
    some_wards = wards.sample(12, random_state=1)
    departments = pd.DataFrame(DEPARTMENTS[1:9], columns=["agency_code", "agency_name", "agency_name_en"])
    committees = some_wards.assign(agency_code=some_wards["ward_code_2025"].map(ward_committee_code),
                                   agency_name="UBND " + some_wards["ward_name_2025"])
    agencies = pd.concat([departments[["agency_code", "agency_name"]],
                          committees[["agency_code", "agency_name", "ward_code_2025", "ward_name_2025"]]])

    d = _grid(month=MONTHS, agency_code=agencies["agency_code"]).merge(agencies, on="agency_code")
    d["dossiers_received"] = rng.integers(80, 900, len(d))
    d["dossiers_completed"] = (d["dossiers_received"] * rng.uniform(0.85, 1.0, len(d))).astype(int)
    d["completed_on_time"] = (d["dossiers_completed"] * rng.uniform(0.8, 0.99, len(d))).astype(int)
    d["completed_late"] = d["dossiers_completed"] - d["completed_on_time"]
    d["open_overdue"] = rng.integers(0, 40, len(d))
    d["on_time_rate"] = d["completed_on_time"] / d["dossiers_completed"]
    d["avg_working_days_to_complete"] = rng.uniform(2, 12, len(d)).round(1)
    d.insert(0, "dossier_kpi_key", d["month"].astype(str) + "|" + d["agency_code"])

    c = _grid(month=MONTHS, agency_code=["TTTP", "SNNMT", "SXD"],
              classification=["complaint", "denunciation", "petition", "feedback"])
    c["agency_name"] = c["agency_code"].map({code: name for code, name, _ in DEPARTMENTS})
    c["received"] = rng.integers(10, 120, len(c))
    c["resolved"] = (c["received"] * rng.uniform(0.6, 1.1, len(c))).astype(int)
    c["backlog_open"] = rng.integers(20, 300, len(c))
    c["backlog_overdue"] = (c["backlog_open"] * rng.uniform(0, 0.3, len(c))).astype(int)
    c["avg_resolution_days"] = rng.uniform(10, 60, len(c)).round(1)
    c["median_resolution_days"] = (c["avg_resolution_days"] * 0.8).round(1)
    c.insert(0, "backlog_key", c["month"].astype(str) + "|" + c["agency_code"] + "|" + c["classification"])

    h = _grid(month=MONTHS, category=["Giao thông", "Môi trường", "Hành chính"], channel=["phone", "zalo", "web"])
    h["contacts"] = rng.integers(500, 9000, len(h))
    h["answered_within_target"] = (h["contacts"] * rng.uniform(0.7, 0.97, len(h))).astype(int)
    h["answer_target_rate"] = h["answered_within_target"] / h["contacts"]
    h["resolved_within_target"] = (h["contacts"] * rng.uniform(0.5, 0.9, len(h))).astype(int)
    h["resolve_target_rate"] = h["resolved_within_target"] / h["contacts"]
    h["p90_answer_seconds"] = rng.uniform(20, 180, len(h)).round()
    h["avg_satisfaction"] = rng.uniform(3.5, 4.8, len(h)).round(2)
    h.insert(0, "hotline_key", h["month"].astype(str) + "|" + h["category"] + "|" + h["channel"])

    sections = {"C": "Công nghiệp chế biến, chế tạo", "F": "Xây dựng", "G": "Bán buôn và bán lẻ",
                "H": "Vận tải kho bãi", "I": "Dịch vụ lưu trú và ăn uống", "J": "Thông tin và truyền thông",
                "K": "Hoạt động tài chính, ngân hàng và bảo hiểm", "M": "Hoạt động chuyên môn, khoa học và công nghệ"}
    b = _grid(month=MONTHS, vsic_section=list(sections), ward_code_2025=some_wards["ward_code_2025"])
    b = b.merge(some_wards[["ward_code_2025", "ward_name_2025"]], on="ward_code_2025")
    b["vsic_section_name"] = b["vsic_section"].map(sections)
    b["new_enterprises"] = rng.integers(0, 40, len(b))
    b["charter_capital_vnd"] = b["new_enterprises"] * rng.integers(1, 30, len(b)) * 1_000_000_000
    b["dissolved"] = rng.integers(0, 8, len(b))
    b.insert(0, "new_business_key", b["month"].astype(str) + "|" + b["vsic_section"] + "|" + b["ward_code_2025"])

    countries = {"SG": "Singapore", "KR": "Hàn Quốc", "JP": "Nhật Bản", "CN": "Trung Quốc", "TW": "Đài Loan",
                 "HK": "Hồng Kông", "US": "Hoa Kỳ", "NL": "Hà Lan"}
    f = _grid(year=list(range(2021, 2026)), investor_country=list(countries))
    f["country_name"] = f["investor_country"].map(countries)
    f["projects"] = rng.integers(5, 300, len(f))
    f["registered_usd"] = f["projects"] * rng.uniform(1e6, 8e6, len(f))
    f["disbursed_usd"] = f["registered_usd"] * rng.uniform(0.3, 0.9, len(f))
    f["disbursement_rate"] = f["disbursed_usd"] / f["registered_usd"]
    f.insert(0, "fdi_key", f["year"].astype(str) + "|" + f["investor_country"])

    land = _grid(month=MONTHS, ward_code_2025=some_wards["ward_code_2025"],
                 transaction_type=["Chuyển nhượng", "Thế chấp", "Tặng cho", "Thừa kế"])
    land = land.merge(some_wards[["ward_code_2025", "ward_name_2025"]], on="ward_code_2025")
    land["land_use_code"] = rng.choice(["ODT", "ONT", "CLN", "TMD"], len(land))
    land["transactions"] = rng.integers(0, 120, len(land))
    land["area_m2"] = land["transactions"] * rng.uniform(50, 300, len(land))
    land["declared_value_vnd"] = land["area_m2"] * rng.uniform(3e7, 2e8, len(land))
    land.insert(0, "land_tx_key", land["month"].astype(str) + "|" + land["ward_code_2025"] + "|"
                + land["transaction_type"] + "|" + land["land_use_code"])

    s = _grid(school_year=["2024-2025", "2025-2026"], ward_code_2025=wards["ward_code_2025"],
              level=["Mầm non", "Tiểu học", "THCS", "THPT"])
    s = s.merge(wards[["ward_code_2025", "ward_name_2025"]], on="ward_code_2025")
    s["schools"] = rng.integers(1, 12, len(s))
    s["teachers"] = s["schools"] * rng.integers(15, 60, len(s))
    s["pupils"] = (s["teachers"] * rng.uniform(12, 32, len(s))).astype(int)
    s["pupils_per_teacher"] = s["pupils"] / s["teachers"]
    s.insert(0, "school_ward_key", s["school_year"] + "|" + s["ward_code_2025"] + "|" + s["level"])

    i = _grid(year=list(range(2021, 2026)), sector=["Đất đai", "Xây dựng", "Tài chính, ngân sách", "Y tế"])
    i["conclusions"] = rng.integers(5, 60, len(i))
    i["amount_to_recover_vnd"] = rng.uniform(5e9, 4e11, len(i)).round(-6)
    i["amount_recovered_vnd"] = (i["amount_to_recover_vnd"] * rng.uniform(0.2, 0.9, len(i))).round(-6)
    i["recovery_rate"] = i["amount_recovered_vnd"] / i["amount_to_recover_vnd"]
    i["recommendations_open"] = rng.integers(0, 30, len(i))
    i.insert(0, "inspection_key", i["year"].astype(str) + "|" + i["sector"])

    hc = _grid(ward_code_2025=wards["ward_code_2025"].iloc[::3],
               facility_type=["Bệnh viện", "Phòng khám đa khoa", "Trạm y tế", "Phòng khám chuyên khoa"])
    hc = hc.merge(wards[["ward_code_2025", "ward_name_2025"]], on="ward_code_2025")
    hc["facilities"] = rng.integers(1, 6, len(hc))
    hc["beds"] = np.where(hc["facility_type"] == "Bệnh viện", rng.integers(100, 1500, len(hc)),
                          rng.integers(0, 20, len(hc)))
    hc["active_practitioners"] = hc["facilities"] * rng.integers(3, 80, len(hc))
    hc.insert(0, "capacity_key", hc["ward_code_2025"] + "|" + hc["facility_type"])

    n = len(wards)
    overview = wards.assign(
        dossiers_received_12m=rng.integers(800, 20000, n), dossier_on_time_rate_12m=rng.uniform(0.78, 0.99, n),
        complaints_open=rng.integers(0, 90, n), hotline_contacts_12m=rng.integers(500, 15000, n),
        new_enterprises_12m=rng.integers(10, 900, n), land_transactions_12m=rng.integers(20, 2500, n),
        schools=rng.integers(3, 40, n), pupils=rng.integers(1500, 40000, n),
        health_facilities=rng.integers(1, 60, n), active_practitioners=rng.integers(10, 900, n))
    overview.loc[overview.index[5], "complaints_open"] = None   # a ward the complaints system has never seen

    return {"rpt_dossiers_on_time": d, "rpt_complaint_backlog": c, "rpt_hotline_response": h,
            "rpt_new_businesses": b, "rpt_fdi_by_country_year": f, "rpt_land_transactions": land,
            "rpt_schools_by_ward": s, "rpt_inspection_recovery": i, "rpt_health_capacity_by_ward": hc,
            "rpt_ward_overview": overview}


@pytest.fixture(scope="module")
def marts_db(tmp_path_factory) -> tuple[Path, int]:
    """A DuckDB file with the leadership marts (all but one) and a freshness table with one late source."""
    path = tmp_path_factory.mktemp("marts") / "citylake.duckdb"
    wards = _wards_2025()
    with duckdb.connect(str(path)) as con:
        for name, frame in _fixture_marts(np.random.default_rng(7), wards).items():
            con.register("frame", frame)
            con.execute(f"CREATE TABLE main.{name} AS SELECT * FROM frame")
            con.unregister("frame")
        con.execute("""
            CREATE TABLE main.source_freshness AS SELECT * FROM (VALUES
              ('health', 'Sở Y tế', 'daily', 26, TIMESTAMPTZ '2026-05-20 01:00:00+00', 5.5, false),
              ('one_stop', 'Trung tâm Phục vụ hành chính công', 'hourly', 3, TIMESTAMPTZ '2026-05-19 20:00:00+00',
               10.5, true),
              ('land', 'Sở Nông nghiệp và Môi trường', 'daily', 26, TIMESTAMPTZ '2026-05-20 02:30:00+00', 4.0, false)
            ) AS t(source, owner, update_frequency, freshness_hours, last_batch_at, hours_since, is_late)""")
    return path, len(wards)


def test_report_without_marts_says_no_data_for_each_section(tmp_path):
    path = tmp_path / "empty.duckdb"
    with duckdb.connect(str(path)) as con:
        con.execute("CREATE TABLE main.rpt_hotline_response (hotline_key VARCHAR, month DATE, channel VARCHAR, "
                    "contacts BIGINT, answered_within_target BIGINT, resolved_within_target BIGINT)")
    report = render(path, tmp_path / "out")
    assert report.path == tmp_path / "out" / REPORT_FILE
    assert "rpt_hotline_response" in report.empty_sections and "rpt_ward_overview" in report.empty_sections
    assert len(report.empty_sections) == 11
    html = report.path.read_text()
    for mart in report.empty_sections:
        assert f"no data: <code>{mart}</code>" in html
    assert "no data: source_freshness" in html


def test_report_renders_offline_in_chromium(marts_db, tmp_path):
    db_path, n_wards = marts_db
    html_path = build_report(db_path, tmp_path / "report")
    assert html_path == tmp_path / "report" / REPORT_FILE
    html = html_path.read_text()
    assert html.count("* plotly.js v") == 1          # inlined once
    assert not re.search(r"<script[^>]+src=|<link[^>]+href=", html)
    assert f"no data: <code>{MISSING_MART}</code>" in html

    with offline_page(html_path.as_uri()) as (page, log):
        page.wait_for_function(RENDERED, timeout=60_000)

        charts = page.eval_on_selector_all(
            ".plotly-graph-div", "divs => divs.map(d => [d.id, d.querySelectorAll('.main-svg').length])")
        ward_paths = page.locator("#chart-rpt_ward_overview path.choroplethlocation").count()
        map_text = page.inner_text("#rpt_ward_overview")
        late_colour = page.eval_on_selector("tr.late td", "td => getComputedStyle(td).color")
        missing_note = page.inner_text(f"#{MISSING_MART} .nodata")
        kpi_count = page.locator(".kpi").count()

        page.screenshot(path=str(tmp_path / "leadership_report.png"), full_page=True)

        # switch the map to another measure: still one path per ward, another colour bar title
        page.click("#chart-rpt_ward_overview .updatemenu-header-group")
        page.locator("#chart-rpt_ward_overview .updatemenu-dropdown-button").nth(2).click()
        page.wait_for_timeout(300)
        colourbar_title = page.locator("#chart-rpt_ward_overview .cbtitle").text_content()
        ward_paths_after = page.locator("#chart-rpt_ward_overview path.choroplethlocation").count()

    assert log.errors == []
    assert log.outside == []
    assert len(charts) == 10                           # nine marts with data and the ward map
    assert all(svgs > 0 for _, svgs in charts), charts
    assert f"chart-{MISSING_MART}" not in dict(charts)
    assert ward_paths == n_wards == ward_paths_after
    assert "Voronoi of ward centres" in map_text
    assert late_colour == "rgb(192, 57, 43)"
    assert "no data" in missing_note
    assert kpi_count >= 10
    assert "Khiếu nại" in colourbar_title
    assert (tmp_path / "leadership_report.png").stat().st_size > 50_000
