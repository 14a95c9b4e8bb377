"""Tết and public holidays as model features, from the project's working-day calendar.

The calendar is passed in as an Arrow table shaped like the ``dim_calendar`` mart (``date_day``) or the
``silver/reference/calendar`` table (``date``), so this package reads it from the warehouse and never
rebuilds it. Tết moves between late January and mid February, so neither a weekly nor a yearly season
captures its dip: the flags below let the LightGBM model learn it.
"""
from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa

DAILY_FEATURES = ("is_holiday", "is_tet", "is_working_day", "days_to_tet")
MONTHLY_FEATURES = ("tet_days", "holiday_days", "working_days")
# how far from the Tết break the surge before it and the slow restart after it reach
TET_REACH_DAYS = 21


def _days(calendar: pa.Table) -> pd.DataFrame:
    df = calendar.to_pandas()
    date_col = "date_day" if "date_day" in df.columns else "date"
    out = pd.DataFrame({
        "ds": pd.to_datetime(df[date_col]),
        "is_holiday": df["is_holiday"].astype(bool),
        "is_tet": df["is_tet"].astype(bool),
        "is_working_day": df["is_working_day"].astype(bool),
    })
    return out.sort_values("ds", ignore_index=True)


def _days_to_tet(days: pd.DataFrame) -> np.ndarray:
    """Signed days to the first day of the nearest Tết break, clipped to ±TET_REACH_DAYS."""
    tet = days["is_tet"].to_numpy()
    starts = np.flatnonzero(tet & ~np.r_[False, tet[:-1]])
    idx = np.arange(len(days))
    if len(starts) == 0:
        return np.full(len(days), TET_REACH_DAYS, dtype=np.int16)
    pos = np.searchsorted(starts, idx)
    after = starts[np.minimum(pos, len(starts) - 1)] - idx          # days until the next start
    before = idx - starts[np.maximum(pos - 1, 0)]                   # days since the previous start
    nearest = np.where(np.abs(after) <= np.abs(before), after, -before)
    return np.clip(nearest, -TET_REACH_DAYS, TET_REACH_DAYS).astype(np.int16)


def daily_features(calendar: pa.Table) -> pd.DataFrame:
    """One row per date: ``ds`` and the flags of ``DAILY_FEATURES`` (integers, as models take them)."""
    days = _days(calendar)
    days["days_to_tet"] = _days_to_tet(days)
    for col in ("is_holiday", "is_tet", "is_working_day"):
        days[col] = days[col].astype(np.int8)
    return days[["ds", *DAILY_FEATURES]]


def monthly_features(calendar: pa.Table) -> pd.DataFrame:
    """One row per month start: days of the Tết break, holidays and working days in the month."""
    days = _days(calendar)
    month = days["ds"].dt.to_period("M").dt.to_timestamp()
    out = days.groupby(month).agg(tet_days=("is_tet", "sum"), holiday_days=("is_holiday", "sum"),
                                  working_days=("is_working_day", "sum"))
    out.index.name = "ds"
    return out.reset_index().astype({c: np.int16 for c in MONTHLY_FEATURES})


def features_for(freq: str, calendar: pa.Table) -> pd.DataFrame | None:
    """The calendar features of a series frequency; None where the calendar says nothing useful (years)."""
    if freq == "D":
        return daily_features(calendar)
    if freq == "MS":
        return monthly_features(calendar)
    return None
