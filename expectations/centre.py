"""The audits of the simulation and forecasting centre's answers, run on the staged tables before they
are published to gold (orchestration/centre.py).

Not Great Expectations suites: what makes a forecast, a scenario or a choice of sites trustworthy is
mostly about how the tables agree with each other (every forecast series has its chosen model and
that model's backtest MASE; the sites of each K add up to the coverage the summary claims), so each
check is a plain assertion over the tables, and a failure lists every check that failed.
"""
from __future__ import annotations

import json
import math

import pyarrow as pa

# generous bounds around the city (the Côn Đảo special zone included)
HCMC_LAT, HCMC_LON = (8.4, 11.4), (106.2, 107.1)
_EPS = 1e-6


class AnswerAuditFailed(RuntimeError):
    """One or more checks failed; the message names each."""


def _require(what: str, failures: list[str], passed: list[str]) -> list[str]:
    if failures:
        raise AnswerAuditFailed(f"audit of the {what} failed ({len(failures)} check(s)):\n"
                                + "\n".join(f"  - {f}" for f in failures))
    return passed


def audit_forecasts(tables: dict[str, pa.Table], skipped: dict[str, str] | None = None) -> list[str]:
    """Forecasts exist for at least one series set; every series forecast has exactly one chosen
    model, whose backtest MASE is recorded and finite; intervals are ordered and non-negative."""
    failures: list[str] = []
    missing = [n for n in ("forecasts", "backtest_metrics", "model_choice") if n not in tables]
    if missing:
        why = "; ".join(f"{k}: {v}" for k, v in (skipped or {}).items()) or "no series set had data"
        return _require("forecasts", [f"no {', '.join(missing)} table: nothing was forecast ({why})"], [])
    fc = tables["forecasts"].to_pandas()
    choice = tables["model_choice"].to_pandas()
    metrics = tables["backtest_metrics"].to_pandas()
    counts = fc.groupby("series_set")["unique_id"].nunique()
    if fc.empty or (counts == 0).any():
        failures.append(f"series per set: {counts.to_dict()} (an empty set)")
    keys = ["series_set", "unique_id"]
    forecast_series = set(map(tuple, fc[keys].drop_duplicates().to_numpy()))
    chosen_series = set(map(tuple, choice[keys].to_numpy()))
    if forecast_series - chosen_series:
        failures.append(f"{len(forecast_series - chosen_series)} forecast series without a chosen model, "
                        f"e.g. {sorted(forecast_series - chosen_series)[0]}")
    if choice.duplicated(keys).any():
        failures.append("a series with more than one chosen model")
    chosen = metrics[metrics["is_chosen"]]
    per_series = chosen.groupby(keys).size()
    if len(per_series) != len(chosen_series) or (per_series != 1).any():
        failures.append(f"backtest_metrics marks {len(chosen)} chosen rows for {len(chosen_series)} series")
    bad_mase = chosen[~chosen["mase"].map(lambda v: v is not None and math.isfinite(v) and v >= 0)]
    if len(bad_mase):
        failures.append(f"{len(bad_mase)} chosen model(s) without a finite backtest MASE, "
                        f"e.g. {bad_mase.iloc[0][keys].tolist()}")
    merged = fc.merge(choice[[*keys, "model"]], on=keys, how="inner", suffixes=("", "_chosen"))
    if (merged["model"] != merged["model_chosen"]).any():
        failures.append("forecast rows made by another model than the chosen one")
    cols = ["lo_95", "lo_80", "yhat", "hi_80", "hi_95"]
    values = fc[cols].to_numpy(float)
    if not (values == values).all():
        failures.append(f"{int((values != values).any(axis=1).sum())} forecast rows with a missing value")
    ordered = (values[:, :-1] <= values[:, 1:] + _EPS * (1 + abs(values[:, 1:]))).all(axis=1)
    if not ordered.all():
        failures.append(f"{int((~ordered).sum())} rows whose intervals are not lo_95 ≤ lo_80 ≤ yhat ≤ hi_80 ≤ hi_95")
    if (values[:, 0] < -_EPS).any():
        failures.append("negative forecasts of counts and amounts")
    return _require("forecasts", failures, [
        f"{len(counts)} series sets, {len(forecast_series)} series, {len(fc)} forecast rows",
        *(f"{s}: {n} series, chosen models {sorted(set(choice.loc[choice['series_set'] == s, 'model']))}"
          for s, n in counts.items())])


def audit_scenarios(tables: dict[str, pa.Table]) -> list[str]:
    """Every scenario ran to its horizon with non-negative stocks in every ward; its results carry
    the hash of the assumptions recorded beside them; the baseline reproduces its calibration window."""
    failures: list[str] = []
    results = tables["ward_results"].to_pandas()
    runs = tables["runs"].to_pandas()
    for run in runs.to_dict("records"):
        name = run["scenario"]
        rows = results[results["scenario"] == name]
        if rows.empty:
            failures.append(f"{name}: no results")
            continue
        last = max(rows["month"])
        if (last.year, last.month) != (run["horizon_year"], 12):
            failures.append(f"{name}: results end {last}, not December {run['horizon_year']}")
        if set(rows["scenario_hash"]) != {run["scenario_hash"]}:
            failures.append(f"{name}: results carry another hash than the assumptions recorded")
        if not json.loads(run["assumptions_json"]).get("assumptions"):
            failures.append(f"{name}: no assumptions recorded")
        stocks = rows[["population", "jobs", "businesses", "fdi_capital_usd"]].to_numpy(float)
        if not (stocks == stocks).all() or (stocks < -_EPS).any():
            failures.append(f"{name}: missing or negative stocks")
    if "calibration_check" in tables:
        check = tables["calibration_check"].to_pandas()
        off = check[~check["within"]]
        if len(off):
            first = off.iloc[0]
            failures.append(f"baseline outside its calibration tolerance in {len(off)} period(s), e.g. "
                            f"{first['measure']} {first['period']}: observed {first['observed']:.4g}, "
                            f"simulated {first['simulated']:.4g}")
    return _require("scenarios", failures, [f"{r['scenario']}: to {r['horizon_year']}, hash {r['scenario_hash'][:12]}"
                                            for r in runs.to_dict("records")])


def audit_sites(tables: dict[str, pa.Table], ks: list[int] | None = None) -> list[str]:
    """One summary row per K asked for; coverage ≤ certified bound, gap ≥ 0; more sites never cover
    less; each K's chosen sites number K (plus the fixed cameras), lie in the city, and the demand
    they are credited with adds up to the coverage claimed."""
    failures: list[str] = []
    sites = tables["sites"].to_pandas()
    summary = tables["summary"].to_pandas().sort_values("k")
    if ks is not None and sorted(summary["k"]) != sorted(ks):
        failures.append(f"summary has K {sorted(summary['k'])}, asked for {sorted(ks)}")
    if (summary["coverage"] > summary["upper_bound"] + _EPS * (1 + summary["upper_bound"])).any():
        failures.append("a coverage above its certified upper bound")
    if (summary["gap_pct"] < -_EPS).any() or summary["gap_pct"].isna().any():
        failures.append("a negative or missing optimality gap")
    if (summary["coverage"].diff().dropna() < -_EPS).any():
        failures.append(f"more sites covering less: {summary[['k', 'coverage_pct']].to_dict('records')}")
    for row in summary.to_dict("records"):
        mine = sites[sites["k"] == row["k"]]
        new = int((~mine["is_fixed"]).sum())
        if new > row["k"] or new == 0:
            failures.append(f"K={row['k']}: {new} new sites chosen")
        if not math.isclose(mine["demand_attributed"].sum(), row["coverage"], rel_tol=1e-6, abs_tol=1e-6):
            failures.append(f"K={row['k']}: sites credited with {mine['demand_attributed'].sum():.6g}, "
                            f"summary claims {row['coverage']:.6g}")
    inside = sites["latitude"].between(*HCMC_LAT) & sites["longitude"].between(*HCMC_LON)
    if not inside.all():
        failures.append(f"{int((~inside).sum())} sites outside the city")
    return _require("sites", failures, [f"K={r['k']}: {r['coverage_pct']:.2f} % covered, bound "
                                        f"{r['upper_bound_pct']:.2f} %, gap {r['gap_pct']:.2f} %"
                                        for r in summary.to_dict("records")])
