"""Backtest accuracy: MASE and sMAPE per series and model, and the choice of model they make.

MASE scales each window's mean absolute error by the in-sample seasonal naive error of that window's
own training data (so a window late in a growing series is not judged on an earlier, smaller scale),
then averages the windows. A model with MASE below seasonal naive's beats it out of sample. A flat
training window has no seasonal error: its scale falls back to the mean absolute one-step change,
then to 1 (errors in the series' own units), so a constant series never divides by zero.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from analytics.forecasting.models import BASELINE


def _scales(history: pd.DataFrame, cutoffs: pd.DataFrame, season_length: int) -> pd.Series:
    """Seasonal-naive in-sample MAE of each (unique_id, cutoff)'s training data."""
    out = {}
    history = history.sort_values(["unique_id", "ds"])
    for uid, frame in history.groupby("unique_id", sort=False):
        ds = frame["ds"].to_numpy()
        y = frame["y"].to_numpy(dtype=float)
        m = min(season_length, max(len(y) - 1, 1))
        seasonal = np.abs(y[m:] - y[:-m])
        one_step = np.abs(np.diff(y))
        for cutoff in cutoffs.loc[cutoffs["unique_id"] == uid, "cutoff"]:
            n = int(np.searchsorted(ds, cutoff.to_datetime64(), side="right"))
            scale = seasonal[: max(n - m, 0)].mean() if n > m else np.nan
            if not scale > 0:
                scale = one_step[: max(n - 1, 0)].mean() if n > 1 else np.nan
            out[(uid, cutoff)] = scale if scale > 0 else 1.0
    return pd.Series(out, name="scale").rename_axis(["unique_id", "cutoff"])


def smape(y: np.ndarray, yhat: np.ndarray) -> np.ndarray:
    """Symmetric absolute percentage error per point, 0–200 %; 0 where both are 0."""
    denom = np.abs(y) + np.abs(yhat)
    return np.where(denom > 0, 200 * np.abs(y - yhat) / np.where(denom > 0, denom, 1), 0.0)


def backtest_metrics(cv: pd.DataFrame, history: pd.DataFrame, models: list[str], season_length: int) -> pd.DataFrame:
    """One row per (unique_id, model): mase, smape, windows, and the same for seasonal naive beside it.

    ``cv`` is the long backtest (unique_id, ds, cutoff, y, one column per model), ``history`` the
    series it was cut from.
    """
    keys = cv[["unique_id", "cutoff"]].drop_duplicates()
    scales = _scales(history, keys, season_length)
    rows = []
    for model in models:
        frame = cv[["unique_id", "cutoff", "y", model]].rename(columns={model: "yhat"})
        frame = frame.assign(abs_err=np.abs(frame["y"] - frame["yhat"]),
                             smape=smape(frame["y"].to_numpy(float), frame["yhat"].to_numpy(float)))
        per_window = frame.groupby(["unique_id", "cutoff"]).agg(mae=("abs_err", "mean"), smape=("smape", "mean"))
        per_window["mase"] = per_window["mae"] / scales.reindex(per_window.index).to_numpy()
        summary = per_window.groupby("unique_id").agg(mase=("mase", "mean"), smape=("smape", "mean"),
                                                      windows=("mase", "size"))
        rows.append(summary.assign(model=model).reset_index())
    out = pd.concat(rows, ignore_index=True)
    base = out.loc[out["model"] == BASELINE, ["unique_id", "mase", "smape"]]
    out = out.merge(base.rename(columns={"mase": "mase_seasonal_naive", "smape": "smape_seasonal_naive"}),
                    on="unique_id", how="left")
    out["relative_mase"] = out["mase"] / out["mase_seasonal_naive"].where(out["mase_seasonal_naive"] > 0)
    return out[["unique_id", "model", "mase", "smape", "mase_seasonal_naive", "smape_seasonal_naive",
                "relative_mase", "windows"]]


def choose(metrics: pd.DataFrame, order: list[str]) -> pd.DataFrame:
    """The model with the lowest backtest MASE per series (sMAPE, then the roster's order, break ties)."""
    rank = {m: i for i, m in enumerate(order)}
    ranked = metrics.assign(_order=metrics["model"].map(rank),
                            _mase=metrics["mase"].fillna(np.inf), _smape=metrics["smape"].fillna(np.inf))
    best = ranked.sort_values(["unique_id", "_mase", "_smape", "_order"]).groupby("unique_id", sort=False).head(1)
    best = best.drop(columns=["_order", "_mase", "_smape"]).reset_index(drop=True)
    best["beats_seasonal_naive"] = best["mase"] < best["mase_seasonal_naive"]
    return best
