"""Deterministic series with the shapes of the city's registers, for tests and benchmarks.

Daily series have a weekly cycle (offices closed at weekends), a yearly swing, a trend, the Tết break
(activity drops to a fraction, with a rush before it) and public-holiday dips; monthly series have a
yearly season, a trend and the Tết month's dip. The Tết dates come from the project's calendar,
passed in as an Arrow table, so the dips fall where the models' features say they do.
"""
from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa

from analytics.forecasting.calendar_features import daily_features, monthly_features

END = pd.Timestamp("2026-06-30")


def daily_series(calendar: pa.Table, n_series: int = 50, days: int = 3 * 365, seed: int = 7,
                 end: pd.Timestamp = END) -> pd.DataFrame:
    """``n_series`` daily counts (unique_id, ds, y) ending at ``end``."""
    rng = np.random.default_rng(seed)
    ds = pd.date_range(end=end, periods=days, freq="D")
    feats = daily_features(calendar).set_index("ds").loc[ds]
    t = np.arange(days) / 365.25
    dow = ds.dayofweek.to_numpy()
    frames = []
    for i in range(n_series):
        level = rng.lognormal(mean=4.5, sigma=0.8)
        growth = rng.uniform(-0.05, 0.20)
        weekly = np.array([1.0, 1.05, 1.05, 1.0, 0.95, rng.uniform(0.3, 0.8), rng.uniform(0.1, 0.6)])
        yearly = 1 + rng.uniform(0.0, 0.15) * np.sin(2 * np.pi * (t + rng.uniform()))
        tet = np.where(feats["is_tet"].to_numpy() == 1, rng.uniform(0.1, 0.4), 1.0)
        to_tet = feats["days_to_tet"].to_numpy()
        rush = np.where((to_tet > 0) & (to_tet <= 10), 1 + rng.uniform(0.1, 0.3), 1.0)
        holiday = np.where((feats["is_holiday"].to_numpy() == 1) & (tet == 1.0), 0.5, 1.0)
        mean = level * np.exp(growth * t) * weekly[dow] * yearly * tet * rush * holiday
        y = rng.poisson(mean * rng.lognormal(0, 0.05, days))
        frames.append(pd.DataFrame({"unique_id": f"daily_{i:03d}", "ds": ds, "y": y.astype(float)}))
    return pd.concat(frames, ignore_index=True)


def monthly_series(calendar: pa.Table, n_series: int = 50, months: int = 96, seed: int = 11,
                   end: pd.Timestamp = END, noise: float = 0.05) -> pd.DataFrame:
    """``n_series`` monthly totals (unique_id, ds, y) ending at the month of ``end``."""
    rng = np.random.default_rng(seed)
    ds = pd.date_range(end=end.to_period("M").to_timestamp(), periods=months, freq="MS")
    feats = monthly_features(calendar).set_index("ds").loc[ds]
    t = np.arange(months) / 12
    frames = []
    for i in range(n_series):
        level = rng.lognormal(mean=6.0, sigma=1.0)
        growth = rng.uniform(0.0, 0.15)
        season = 1 + rng.uniform(0.1, 0.3) * np.sin(2 * np.pi * (t + rng.uniform()))
        tet = 1 - rng.uniform(0.01, 0.03) * feats["tet_days"].to_numpy()
        mean = level * np.exp(growth * t) * season * tet
        y = mean * rng.lognormal(0, noise, months)
        frames.append(pd.DataFrame({"unique_id": f"monthly_{i:03d}", "ds": ds, "y": y}))
    return pd.concat(frames, ignore_index=True)


def trend_season_series(periods: int = 84, season_length: int = 12, slope: float = 4.0,
                        amplitude: float = 40.0, noise: float = 2.0, seed: int = 3) -> pd.DataFrame:
    """One monthly series with a known linear trend and season: seasonal naive lags its trend by a year."""
    rng = np.random.default_rng(seed)
    t = np.arange(periods)
    y = 500 + slope * t + amplitude * np.sin(2 * np.pi * t / season_length) + rng.normal(0, noise, periods)
    ds = pd.date_range("2019-01-01", periods=periods, freq="MS")
    return pd.DataFrame({"unique_id": "trend_season", "ds": ds, "y": y})
