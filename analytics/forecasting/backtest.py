"""Rolling-origin backtests and final forecasts of every model in a ``ForecastSpec``'s roster.

Each backtest window refits every model on the data before its origin and forecasts the next
``horizon`` steps; the final fit uses all the data and gives prediction intervals (model-based for the
statistical models, conformal for LightGBM).
"""
from __future__ import annotations

import warnings

import pandas as pd

from analytics.forecasting.models import MIN_LIGHTGBM_ROWS, ForecastSpec, lightgbm, lightgbm_rows, max_lag, stat_models

KEYS = ["unique_id", "ds"]


class SeriesTooShort(ValueError):
    """The series set has too few observations for even one backtest window."""


def _lengths(df: pd.DataFrame) -> list[int]:
    return df.groupby("unique_id").size().tolist()


def _with_features(df: pd.DataFrame, features: pd.DataFrame | None) -> pd.DataFrame:
    return df if features is None else df.merge(features, on="ds", how="left")


def plan(df: pd.DataFrame, spec: ForecastSpec) -> tuple[int, bool]:
    """Backtest windows the shortest series allows, and whether LightGBM has rows enough to learn."""
    lengths = _lengths(df)
    windows = spec.windows_for(min(lengths))
    if windows == 0:
        raise SeriesTooShort(f"{min(lengths)} observations: a {spec.horizon}-step backtest with season "
                             f"{spec.season_length} needs at least {spec.horizon + spec.min_train_length()}")
    # conformal intervals hold out two horizons after the lags
    use_lgbm = ("LightGBM" in spec.models and lightgbm_rows(spec, lengths) >= MIN_LIGHTGBM_ROWS
                and min(lengths) >= 3 * spec.horizon + max_lag(spec) + 1)
    return windows, use_lgbm


def cross_validate(df: pd.DataFrame, spec: ForecastSpec, features: pd.DataFrame | None = None,
                   n_jobs: int = 1) -> tuple[pd.DataFrame, list[str]]:
    """The backtest (unique_id, ds, cutoff, y, one column per model) and the models in it."""
    from statsforecast import StatsForecast

    windows, use_lgbm = plan(df, spec)
    train_length = min(_lengths(df)) - spec.horizon - (windows - 1) * spec.step
    models = stat_models(spec, train_length)
    sf = StatsForecast(models=models, freq=spec.freq, n_jobs=n_jobs)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        cv = sf.cross_validation(df=df[["unique_id", "ds", "y"]], h=spec.horizon, n_windows=windows,
                                 step_size=spec.step)
    names = [m.alias for m in models]
    if use_lgbm:
        mlf = lightgbm(spec)
        ml_cv = mlf.cross_validation(_with_features(df, features), n_windows=windows, h=spec.horizon,
                                     step_size=spec.step, static_features=[])
        cv = cv.merge(ml_cv[["unique_id", "ds", "cutoff", "LightGBM"]], on=["unique_id", "ds", "cutoff"], how="left")
        names.append("LightGBM")
    return cv.reset_index(drop=True), names


def final_forecasts(df: pd.DataFrame, spec: ForecastSpec, models: list[str], features: pd.DataFrame | None = None,
                    n_jobs: int = 1) -> pd.DataFrame:
    """Forecasts of ``models`` from all the data: unique_id, ds, <model>, <model>-lo-<level>, <model>-hi-<level>."""
    from statsforecast import StatsForecast

    levels = list(spec.levels)
    stat = [m for m in stat_models(spec, min(_lengths(df))) if m.alias in models]
    sf = StatsForecast(models=stat, freq=spec.freq, n_jobs=n_jobs)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        out = sf.forecast(df=df[["unique_id", "ds", "y"]], h=spec.horizon, level=levels)
    if "LightGBM" in models:
        from mlforecast.utils import PredictionIntervals

        mlf = lightgbm(spec)
        mlf.fit(_with_features(df, features), static_features=[],
                prediction_intervals=PredictionIntervals(n_windows=2, h=spec.horizon))
        future = mlf.make_future_dataframe(spec.horizon)
        x_df = None if features is None else future.merge(features, on="ds", how="left")
        ml = mlf.predict(spec.horizon, X_df=x_df, level=levels)
        out = out.merge(ml, on=KEYS, how="left")
    return out.reset_index(drop=True)
