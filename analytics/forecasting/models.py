"""The models every series is backtested with, and how each is set up for a frequency.

Statistical models are local (one per series, statsforecast); LightGBM is one global model per series
set (mlforecast), the only one that sees the Tết and holiday features. AutoARIMA is left out: with a
weekly season on long daily series it takes minutes per series (statsforecast issue #444).
"""
from __future__ import annotations

from dataclasses import dataclass

BASELINE = "SeasonalNaive"
STAT_MODELS = (BASELINE, "AutoETS", "AutoTheta", "MSTL")
ML_MODELS = ("LightGBM",)
ALL_MODELS = STAT_MODELS + ML_MODELS
# a yearly season inside daily data needs two full years in the first training window to be estimated
YEAR_DAYS = 365
# LightGBM learns from pooled rows: below this many (after lags) a tree has nothing to split on
MIN_LIGHTGBM_ROWS = 200


@dataclass(frozen=True)
class ForecastSpec:
    """How one series set is forecast and backtested."""

    freq: str                       # pandas alias: 'D', 'MS' (month start) or 'YS' (year start)
    season_length: int              # 7 for daily, 12 for monthly, 1 for yearly
    horizon: int                    # steps ahead, also the length of each backtest window
    n_windows: int = 3              # rolling origins of the backtest
    step_size: int | None = None    # between origins; None: the horizon (windows do not overlap)
    levels: tuple[int, ...] = (80, 95)
    models: tuple[str, ...] = ALL_MODELS

    @property
    def step(self) -> int:
        return self.step_size or self.horizon

    def min_train_length(self) -> int:
        """Shortest first training window the seasonal models can be fit on."""
        return max(2 * self.season_length + 1, 4)

    def windows_for(self, n_obs: int) -> int:
        """Backtest windows that fit in a series of ``n_obs`` (fewer than asked for short series)."""
        for n in range(self.n_windows, 0, -1):
            if n_obs - self.horizon - (n - 1) * self.step >= self.min_train_length():
                return n
        return 0


# statsforecast's ETS refuses a series of up to npars + 4 points (6 for the simplest model): a few
# school years would fail the whole set, so ETS is left out of so short a backtest
ETS_MIN_TRAIN = 6


def stat_models(spec: ForecastSpec, train_length: int) -> list:
    from statsforecast.models import MSTL, AutoETS, AutoTheta, SeasonalNaive

    m = spec.season_length
    out = []
    for name in spec.models:
        if name == "SeasonalNaive":
            out.append(SeasonalNaive(season_length=m))
        elif name == "AutoETS" and train_length > ETS_MIN_TRAIN:
            out.append(AutoETS(season_length=m))
        elif name == "AutoTheta":
            out.append(AutoTheta(season_length=m))
        elif name == "MSTL" and m > 1:
            seasons = [m, YEAR_DAYS] if spec.freq == "D" and train_length >= 2 * YEAR_DAYS + m else m
            out.append(MSTL(season_length=seasons, alias="MSTL"))
    return out


def _lag_setup(spec: ForecastSpec) -> tuple[list[int], dict, list[str]]:
    from mlforecast.lag_transforms import RollingMean

    if spec.freq == "D":
        return [1, 2, 3, 7, 14, 21, 28], {1: [RollingMean(7), RollingMean(28)]}, ["dayofweek", "month"]
    if spec.freq == "MS":
        return [1, 2, 3, 6, 12], {1: [RollingMean(3), RollingMean(12)]}, ["month"]
    return [1, 2], {}, []


def max_lag(spec: ForecastSpec) -> int:
    return max(_lag_setup(spec)[0])


def lightgbm_rows(spec: ForecastSpec, lengths: list[int]) -> int:
    """Training rows of the first backtest window (one more row is lost to the differencing)."""
    return sum(max(n - spec.horizon * spec.n_windows - max_lag(spec) - 1, 0) for n in lengths)


def lightgbm(spec: ForecastSpec, seed: int = 0):
    """One global LightGBM over the set: lags, rolling means, calendar parts; differenced for trends."""
    from lightgbm import LGBMRegressor
    from mlforecast import MLForecast
    from mlforecast.target_transforms import Differences, LocalStandardScaler

    lags, lag_transforms, date_features = _lag_setup(spec)
    model = LGBMRegressor(n_estimators=300, learning_rate=0.05, num_leaves=31, min_child_samples=10,
                          subsample=1.0, colsample_bytree=1.0, deterministic=True, random_state=seed,
                          n_jobs=1, verbose=-1)
    return MLForecast(models={"LightGBM": model}, freq=spec.freq, lags=lags, lag_transforms=lag_transforms,
                      date_features=date_features,
                      target_transforms=[Differences([1]), LocalStandardScaler()])
