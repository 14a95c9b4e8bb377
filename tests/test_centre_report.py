"""The centre's sections of the leadership report, drawn offline in Chromium from the gold tables:
fan charts with their interval bands, the scenarios side by side to 2030, the chosen sites on a map
and the K comparison with its gaps."""
from __future__ import annotations

from pathlib import Path

import pytest
from browser import offline_page
from centre_warehouse import ensure_answers

from citylake import catalog, delta
from reporting.leadership import render

SHOTS = Path(__file__).resolve().parent.parent / ".run" / "screenshots"   # for a look at the charts


# every chart drawn (the small warehouse lacks most leadership marts: their cards say "no data")
DRAWN = ("() => document.querySelectorAll('.plotly-graph-div').length > 0 && "
         "[...document.querySelectorAll('.plotly-graph-div')].every(d => d.querySelector('.main-svg'))")


@pytest.fixture(scope="module")
def answers(centre):
    ensure_answers(centre)
    return centre


def test_report_without_centre_answers_leaves_their_sections_out(answers, tmp_path):
    report = render(answers.warehouse_duckdb, tmp_path / "plain")
    html = report.path.read_text()
    assert "chart-forecast_" not in html and "chart-sites_map" not in html


def test_centre_sections_are_drawn_offline(answers, tmp_path):
    settings = answers
    SHOTS.mkdir(parents=True, exist_ok=True)
    report = render(settings.warehouse_duckdb, tmp_path / "report", centre=settings)
    html = report.path.read_text()
    assert html.count("* plotly.js v") == 1
    scenarios = set(delta.read_arrow(catalog.gold_uri(settings, "scenarios", "ward_results"))["scenario"].to_pylist())
    summary = delta.read_arrow(catalog.gold_uri(settings, "siting", "summary")).to_pandas()
    with offline_page(report.path.as_uri()) as (page, log):
        page.wait_for_function(DRAWN, timeout=60_000)
        fans = page.eval_on_selector_all(
            "[id^=chart-forecast_]", "divs => divs.map(d => [d.id, d.querySelectorAll('.scatterlayer .trace').length,"
            " d.querySelectorAll('path.js-fill').length])")
        scenario_traces = page.locator("#chart-scenarios_to_horizon .scatterlayer .trace").count()
        legend = page.locator("#chart-scenarios_to_horizon .legend").text_content()
        site_points = page.locator("#chart-sites_map .scattergeo path.point").count()
        map_legend = page.locator("#chart-sites_map .legend").text_content()
        gaps = page.locator("#chart-sites_k_comparison").text_content()
        page.screenshot(path=str(tmp_path / "centre_report.png"), full_page=True)
        for card in ("forecast_new_businesses_by_ward", "scenarios_to_horizon", "sites_map", "sites_k_comparison"):
            page.locator(f"#{card}").screenshot(path=str(SHOTS / f"{card}.png"))
    assert log.errors == [] and log.outside == []
    # fan charts: the two interval bands filled, the history and the forecast drawn
    assert len(fans) >= 3, fans
    assert all(traces == 4 and fills >= 2 for _, traces, fills in fans), fans
    assert "chart-forecast_new_businesses_by_ward" in dict((f[0], f[1]) for f in fans)
    # every scenario on each of the four panels
    assert scenario_traces == 4 * len(scenarios) and all(s in legend for s in scenarios)
    # a marker per chosen site and fixed camera, each K in the legend with its coverage; every gap shown
    new_sites = delta.read_arrow(catalog.gold_uri(settings, "siting", "sites")).to_pandas()
    expected = (~new_sites["is_fixed"]).sum() + new_sites.loc[new_sites["is_fixed"], "site_id"].nunique()
    assert site_points == expected
    for k in summary["k"]:
        assert f"K = {k}" in map_legend
    assert gaps.count("gap") == len(summary)
    assert (tmp_path / "centre_report.png").stat().st_size > 50_000
