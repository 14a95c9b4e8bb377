"""Forecast models side by side on series shaped like the city's: backtest accuracy and fit time.

Generated series (``analytics.forecasting.synthetic``): daily counts with a weekly cycle, a yearly
swing, a trend, the Tết break and holidays (Tết dates from the project's calendar), and monthly totals
with a yearly season, a trend and the Tết month's dip. Every model is backtested by rolling origin
(3 windows of 28 days, or of 12 months) and scored by MASE (each window scaled by its own training
data's seasonal-naive error) and sMAPE; then fit once on all the data and timed. Prophet, given the
same holidays, is the baseline for time. "chosen" is the pipeline's rule (each series' lowest backtest
MASE) applied to the earlier windows and scored on the last one, beside seasonal naive on that window.

    .venv/bin/python bench/bench_forecasting.py --daily 50 --monthly 50
"""
from __future__ import annotations

import argparse
import json
import logging
import os
import sys
import time
import warnings
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
os.environ.setdefault("CITYLAKE_RUN_DIR", str(REPO / ".run" / "bench-forecasting"))
sys.path.insert(0, str(REPO))

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

from analytics.forecasting.calendar_features import daily_features, monthly_features  # noqa: E402
from analytics.forecasting.metrics import backtest_metrics, choose  # noqa: E402
from analytics.forecasting.models import ForecastSpec, lightgbm, stat_models  # noqa: E402
from analytics.forecasting.synthetic import daily_series, monthly_series  # noqa: E402
from citylake.settings import Settings  # noqa: E402
from ingestion.reference.calendar import calendar  # noqa: E402

KEYS = ["unique_id", "ds", "cutoff"]


def load() -> str:
    return "load average " + ", ".join(f"{x:.2f}" for x in os.getloadavg())


def stat_model(df, spec, model):
    from statsforecast import StatsForecast

    sf = StatsForecast(models=[model], freq=spec.freq, n_jobs=1)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        t0 = time.perf_counter()
        cv = sf.cross_validation(df=df, h=spec.horizon, n_windows=spec.n_windows, step_size=spec.step)
        t1 = time.perf_counter()
        sf.forecast(df=df, h=spec.horizon, level=list(spec.levels))
        t2 = time.perf_counter()
    return cv[[*KEYS, "y", model.alias]], t1 - t0, t2 - t1


def lgbm_model(df, spec, features):
    from mlforecast.utils import PredictionIntervals

    dfx = df.merge(features, on="ds", how="left")
    t0 = time.perf_counter()
    cv = lightgbm(spec).cross_validation(dfx, n_windows=spec.n_windows, h=spec.horizon, step_size=spec.step,
                                         static_features=[])
    t1 = time.perf_counter()
    mlf = lightgbm(spec)
    mlf.fit(dfx, static_features=[], prediction_intervals=PredictionIntervals(n_windows=2, h=spec.horizon))
    x_df = mlf.make_future_dataframe(spec.horizon).merge(features, on="ds", how="left")
    mlf.predict(spec.horizon, X_df=x_df, level=list(spec.levels))
    t2 = time.perf_counter()
    return cv[[*KEYS, "LightGBM"]], t1 - t0, t2 - t1


def prophet_model(df, spec, holidays, cutoffs):
    from prophet import Prophet

    def fit_predict(train):
        m = Prophet(holidays=holidays, weekly_seasonality=spec.freq == "D", daily_seasonality=False,
                    yearly_seasonality=True, interval_width=0.95)
        m.fit(train[["ds", "y"]])
        future = m.make_future_dataframe(periods=spec.horizon, freq=spec.freq, include_history=False)
        return m.predict(future)[["ds", "yhat"]]

    rows = []
    t0 = time.perf_counter()
    for uid, series in df.groupby("unique_id"):
        for cutoff in cutoffs:
            pred = fit_predict(series[series["ds"] <= cutoff])
            rows.append(pred.assign(unique_id=uid, cutoff=cutoff).rename(columns={"yhat": "Prophet"}))
    t1 = time.perf_counter()
    for _, series in df.groupby("unique_id"):
        fit_predict(series)
    t2 = time.perf_counter()
    return pd.concat(rows, ignore_index=True)[[*KEYS, "Prophet"]], t1 - t0, t2 - t1


def bench_group(name, df, spec, features, holidays) -> dict:
    print(f"\n== {name}: {df['unique_id'].nunique()} series × {df.groupby('unique_id').size().iloc[0]} "
          f"{'days' if spec.freq == 'D' else 'months'}, {spec.n_windows} backtest windows of {spec.horizon}; {load()}",
          flush=True)
    cv, timings = None, {}
    train_length = len(df) // df["unique_id"].nunique() - spec.horizon * spec.n_windows
    for model in stat_models(spec, train_length):
        part, t_cv, t_fit = stat_model(df, spec, model)
        cv = part if cv is None else cv.merge(part.drop(columns="y"), on=KEYS)
        timings[model.alias] = (t_cv, t_fit)
        print(f"   {model.alias:<14} backtest {t_cv:7.1f} s   final fit {t_fit:7.1f} s", flush=True)
    part, t_cv, t_fit = lgbm_model(df, spec, features)
    cv, timings["LightGBM"] = cv.merge(part, on=KEYS), (t_cv, t_fit)
    print(f"   {'LightGBM':<14} backtest {t_cv:7.1f} s   final fit {t_fit:7.1f} s", flush=True)
    part, t_cv, t_fit = prophet_model(df, spec, holidays, sorted(cv["cutoff"].unique()))
    cv, timings["Prophet"] = cv.merge(part, on=KEYS), (t_cv, t_fit)
    print(f"   {'Prophet':<14} backtest {t_cv:7.1f} s   final fit {t_fit:7.1f} s", flush=True)

    models = list(timings)
    metrics = backtest_metrics(cv, df, models, spec.season_length)
    # the choice made on the earlier windows, judged on the last (never seen by the choice)
    last = cv["cutoff"].max()
    ours = [m for m in models if m != "Prophet"]
    picked = choose(backtest_metrics(cv[cv["cutoff"] < last], df, ours, spec.season_length), ours)
    held = backtest_metrics(cv[cv["cutoff"] == last], df, ours, spec.season_length)
    best = held.merge(picked[["unique_id", "model"]], on=["unique_id", "model"])
    best["beats_seasonal_naive"] = best["mase"] < best["mase_seasonal_naive"]
    rows = []
    prophet_fit = timings["Prophet"][1]
    for model in models:
        m = metrics[metrics["model"] == model]
        rows.append({"model": model, "mase_mean": m["mase"].mean(), "mase_median": m["mase"].median(),
                     "relative_mase_geomean": float(np.exp(np.log(m["relative_mase"]).mean())),
                     "beats_seasonal_naive_pct": 100 * (m["mase"] < m["mase_seasonal_naive"]).mean(),
                     "smape_mean": m["smape"].mean(), "backtest_s": timings[model][0], "fit_s": timings[model][1],
                     "fit_vs_prophet": timings[model][1] / prophet_fit})
    rows.append({"model": "chosen (last)", "mase_mean": best["mase"].mean(), "mase_median": best["mase"].median(),
                 "relative_mase_geomean": float(np.exp(np.log(best["relative_mase"]).mean())),
                 "beats_seasonal_naive_pct": 100 * best["beats_seasonal_naive"].mean(),
                 "smape_mean": best["smape"].mean(), "backtest_s": None, "fit_s": None, "fit_vs_prophet": None,
                 "chosen": best["model"].value_counts().to_dict(),
                 "seasonal_naive_last_window_mase_mean": best["mase_seasonal_naive"].mean()})
    print(f"\n   {'model':<16}{'MASE mean':>10}{'median':>8}{'rel. SN':>9}{'> SN %':>8}{'sMAPE %':>9}"
          f"{'backtest s':>12}{'fit s':>8}{'fit/Prophet':>13}")
    for r in rows:
        timing = (f"{r['backtest_s']:12.1f}{r['fit_s']:8.1f}{r['fit_vs_prophet']:12.2f}×" if r["fit_s"] is not None
                  else f"{'':12}{'':8}{'':13}")
        print(f"   {r['model']:<16}{r['mase_mean']:10.3f}{r['mase_median']:8.3f}{r['relative_mase_geomean']:9.3f}"
              f"{r['beats_seasonal_naive_pct']:8.0f}{r['smape_mean']:9.2f}{timing}")
    print(f"   chosen on the earlier windows, scored on the last: {rows[-1]['chosen']}; seasonal naive on "
          f"that window: MASE mean {rows[-1]['seasonal_naive_last_window_mase_mean']:.3f}")
    return {"series": int(df["unique_id"].nunique()), "horizon": spec.horizon, "windows": spec.n_windows,
            "models": rows}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--daily", type=int, default=50)
    parser.add_argument("--monthly", type=int, default=50)
    args = parser.parse_args()
    import prophet  # noqa: F401  (cmdstanpy sets up its logger on import: quiet it after)

    logging.getLogger("cmdstanpy").disabled = True
    logging.getLogger("prophet").setLevel(logging.WARNING)

    cal = calendar()
    days = cal.to_pandas()
    off = days[days["is_holiday"] | days["is_tet"]]
    holidays = pd.DataFrame({"holiday": np.where(off["is_tet"], "tet", "public_holiday"),
                             "ds": pd.to_datetime(off["date"])})
    started = time.perf_counter()
    print(f"bench_forecasting: {args.daily} daily + {args.monthly} monthly series on {os.cpu_count()} cores; {load()}")
    result = {"load_average_start": os.getloadavg()}
    if args.daily:
        result["daily"] = bench_group("daily", daily_series(cal, n_series=args.daily),
                                      ForecastSpec("D", 7, 28), daily_features(cal), holidays)
    if args.monthly:
        result["monthly"] = bench_group("monthly", monthly_series(cal, n_series=args.monthly),
                                        ForecastSpec("MS", 12, 12), monthly_features(cal), holidays)
    result["load_average_end"] = os.getloadavg()
    result["wall_s"] = time.perf_counter() - started
    print(f"\ntotal {result['wall_s']:.0f} s; {load()}")
    out = Settings().reports_dir / "bench_forecasting.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(result, indent=2, default=float))
    print(f"wrote {out}")


if __name__ == "__main__":
    main()
