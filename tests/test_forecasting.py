"""Forecasts: never worse than seasonal naive where a trend and a season are there to be found, the
model chosen is the backtest's best, wards add up to the city, and the results land in Delta."""
from __future__ import annotations

import duckdb
import numpy as np
import pandas as pd
import pyarrow as pa
import pytest
from analytics_marts import marts as synthetic_marts

from analytics.forecasting.backtest import cross_validate
from analytics.forecasting.calendar_features import daily_features, monthly_features
from analytics.forecasting.metrics import backtest_metrics
from analytics.forecasting.models import ForecastSpec
from analytics.forecasting.pipeline import forecast_definition, forecast_frame, run
from analytics.forecasting.series import bottom_series, registry
from analytics.forecasting.synthetic import daily_series, trend_season_series
from ingestion.reference.calendar import calendar

MONTHLY = ForecastSpec(freq="MS", season_length=12, horizon=12)


@pytest.fixture(scope="module")
def cal() -> pa.Table:
    return calendar()


def _mase(actual: np.ndarray, forecast: np.ndarray, history: np.ndarray, m: int) -> float:
    return float(np.mean(np.abs(actual - forecast)) / np.mean(np.abs(history[m:] - history[:-m])))


def test_monthly_forecast_beats_seasonal_naive_on_a_known_trend_and_season():
    series = trend_season_series(periods=96)
    train, test = series.iloc[:-12], series.iloc[-12:]
    result = forecast_frame(train, MONTHLY)
    chosen = result.choice.iloc[0]
    assert chosen["beats_seasonal_naive"], result.metrics
    history = train["y"].to_numpy()
    snaive = history[-12:]                                  # the same months a year earlier
    ours = _mase(test["y"].to_numpy(), result.forecasts["yhat"].to_numpy(), history, 12)
    theirs = _mase(test["y"].to_numpy(), snaive, history, 12)
    assert ours < theirs, (chosen["model"], ours, theirs)
    # the 80 % interval holds most of the held-out year
    inside = (test["y"].to_numpy() >= result.forecasts["lo_80"].to_numpy()) & \
             (test["y"].to_numpy() <= result.forecasts["hi_80"].to_numpy())
    assert inside.mean() >= 0.5


def test_daily_forecasts_with_tet_beat_seasonal_naive(cal):
    series = daily_series(cal, n_series=2, days=2 * 365 + 28, seed=3, end=pd.Timestamp("2026-03-15"))
    cutoff = series["ds"].max() - pd.Timedelta(days=28)
    train, test = series[series["ds"] <= cutoff], series[series["ds"] > cutoff]
    spec = ForecastSpec(freq="D", season_length=7, horizon=28, n_windows=2)
    result = forecast_frame(train, spec, daily_features(cal))
    ours, theirs = [], []
    for uid, actual in test.groupby("unique_id"):
        history = train.loc[train["unique_id"] == uid, "y"].to_numpy()
        fc = result.forecasts.loc[result.forecasts["unique_id"] == uid].sort_values("ds")
        ours.append(_mase(actual["y"].to_numpy(), fc["yhat"].to_numpy(), history, 7))
        theirs.append(_mase(actual["y"].to_numpy(), np.resize(history[-7:], 28), history, 7))
    assert np.mean(ours) < np.mean(theirs), (result.choice[["unique_id", "model"]], ours, theirs)
    assert set(result.metrics["model"]) >= {"SeasonalNaive", "AutoETS", "AutoTheta", "MSTL", "LightGBM"}


def test_the_chosen_model_is_the_backtests_best_and_its_mase_is_recomputed():
    series = pd.concat([trend_season_series(seed=s).assign(unique_id=f"s{s}") for s in range(3)])
    series["y"] += np.repeat([0.0, 300.0, -200.0], len(series) // 3)
    result = forecast_frame(series, MONTHLY)
    for uid, rows in result.metrics.groupby("unique_id"):
        best = rows.sort_values(["mase", "smape"]).iloc[0]
        assert result.choice.set_index("unique_id").loc[uid, "model"] == best["model"]
        assert rows.loc[rows["is_chosen"], "model"].tolist() == [best["model"]]
        assert (result.forecasts.loc[result.forecasts["unique_id"] == uid, "model"] == best["model"]).all()
    # MASE recomputed by hand for one series and model, window by window
    cv, models = cross_validate(series, MONTHLY)
    metrics = backtest_metrics(cv, series, models, 12)
    one = cv[cv["unique_id"] == "s1"]
    history = series[series["unique_id"] == "s1"].set_index("ds")["y"]
    per_window = []
    for cutoff, window in one.groupby("cutoff"):
        train = history[history.index <= cutoff].to_numpy()
        per_window.append(np.mean(np.abs(window["y"] - window["AutoETS"])) / np.mean(np.abs(train[12:] - train[:-12])))
    row = metrics[(metrics["unique_id"] == "s1") & (metrics["model"] == "AutoETS")].iloc[0]
    assert row["mase"] == pytest.approx(np.mean(per_window))
    assert row["windows"] == 3


def test_calendar_features_place_tet(cal):
    days = daily_features(cal).set_index("ds")
    assert days.loc["2026-02-17", "is_tet"] == 1 and days.loc["2026-02-13", "is_tet"] == 0
    assert days.loc["2026-02-10", "days_to_tet"] == 4 and days.loc["2026-02-20", "days_to_tet"] == -6
    months = monthly_features(cal).set_index("ds")
    assert months.loc["2026-02-01", "tet_days"] == 9 and months.loc["2026-03-01", "tet_days"] == 0


def test_mart_series_are_zero_filled_reconciled_and_coherent(cal):
    marts = synthetic_marts()
    defn = registry()["new_businesses_by_ward"]
    bottom = bottom_series(defn, marts)
    periods = bottom["ds"].nunique()
    assert len(bottom) == periods * bottom["ward_code_2025"].nunique()       # every ward every month
    assert bottom["ds"].max() == pd.Timestamp("2026-05-01")                  # the partial month is left out
    result = forecast_definition(defn, marts, cal)
    fc = result.forecasts
    assert result.reconciliation and (fc["reconciliation"] == result.reconciliation).all()
    city = fc[fc["level"] == "city"].set_index("ds")["yhat"]
    wards = fc[fc["level"] != "city"].groupby("ds")["yhat"].sum()
    np.testing.assert_allclose(wards.loc[city.index], city, rtol=1e-6)
    assert (fc["lo_95"] <= fc["lo_80"] + 1e-9).all() and (fc["lo_80"] <= fc["yhat"] + 1e-9).all()
    assert (fc["yhat"] <= fc["hi_80"] + 1e-9).all() and (fc["hi_80"] <= fc["hi_95"] + 1e-9).all()
    assert (fc[["yhat", "lo_95"]] >= 0).all().all()
    assert len(fc) == 12 * (1 + bottom["ward_code_2025"].nunique())


def test_run_writes_the_three_tables_and_says_what_it_skipped(tmp_path, cal):
    from citylake import catalog, delta
    from citylake.settings import Settings

    settings = Settings(run_dir=tmp_path)
    settings.warehouse_duckdb.parent.mkdir(parents=True)
    con = duckdb.connect(str(settings.warehouse_duckdb))
    dim_calendar = cal.rename_columns(["date_day" if c == "date" else c for c in cal.column_names])
    for name, table in {**synthetic_marts(), "dim_calendar": dim_calendar}.items():
        con.register("t", table)
        con.execute(f"create table main.{name} as select * from t")
        con.unregister("t")
    con.close()
    defs = [registry()[n] for n in ("new_businesses_by_section", "fdi_registered_usd", "hotline_contacts_by_category")]
    skipped = run(settings, defs)
    assert skipped == {"hotline_contacts_by_category": "mart rpt_hotline_response not in the warehouse"}
    forecasts = delta.read_arrow(catalog.gold_uri(settings, "forecasting", "forecasts")).to_pandas()
    choice = delta.read_arrow(catalog.gold_uri(settings, "forecasting", "model_choice")).to_pandas()
    metrics = delta.read_arrow(catalog.gold_uri(settings, "forecasting", "backtest_metrics")).to_pandas()
    assert set(forecasts["series_set"]) == {"new_businesses_by_section", "fdi_registered_usd"}
    fdi = forecasts[forecasts["series_set"] == "fdi_registered_usd"]
    assert len(fdi) == 5 and fdi["ds"].min().year == 2026                      # the partial 2026 left out
    assert set(choice["unique_id"]) == set(forecasts["unique_id"])
    assert {"mase", "smape", "mase_seasonal_naive", "smape_seasonal_naive"} <= set(metrics.columns)
    assert metrics.groupby(["series_set", "unique_id"])["is_chosen"].sum().eq(1).all()


def test_amounts_in_vnd_and_a_few_school_years_still_forecast(cal):
    """Charter capital (1e12 VND) once failed the non-negative reconciliation, and 9 school years
    failed ETS on its 4-year backtest window: both series sets are forecast."""
    marts = synthetic_marts()
    capital = forecast_definition(registry()["charter_capital_by_section"], marts, cal).forecasts
    city = capital[capital["level"] == "city"].set_index("ds")["yhat"]
    sections = capital[capital["level"] != "city"].groupby("ds")["yhat"].sum()
    np.testing.assert_allclose(sections.loc[city.index], city, rtol=1e-6)
    assert city.min() > 1e9 and (capital["hi_95"] >= capital["yhat"]).all()
    pupils = forecast_definition(registry()["pupils_by_level"], marts, cal)
    assert "AutoETS" not in set(pupils.metrics["model"])
    assert len(pupils.forecasts) == 5 * 4 and pupils.forecasts["yhat"].gt(0).all()
