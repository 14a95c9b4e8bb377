"""Every forecast series set in one registry: which mart, which measure, frequency, hierarchy, season.

Each definition's SQL turns its mart into bottom-level series (the hierarchy's lower levels, ``ds``,
``y``). Marts list only the cells that had a record, so a ward missing from a month had none: series
are filled with zeros from the set's first to its last period. Registers run to today, so their
latest month or year is partial and is left out where ``drop_last_period`` says so.
"""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import pandas as pd
import pyarrow as pa

from analytics.forecasting.models import ForecastSpec
from analytics.warehouse import query

CITY = "HCMC"


@dataclass(frozen=True)
class SeriesDef:
    name: str
    mart: str
    description: str
    freq: str                      # 'D', 'MS' or 'YS'
    season_length: int
    horizon: int
    levels: tuple[str, ...]        # top to bottom; the top is always the city
    sql: str                       # over the mart by its name: <levels[1:]>, ds, y
    drop_last_period: bool = True
    step_size: int | None = None

    @property
    def spec(self) -> ForecastSpec:
        return ForecastSpec(freq=self.freq, season_length=self.season_length, horizon=self.horizon,
                            step_size=self.step_size)

    @property
    def hierarchy_spec(self) -> list[list[str]]:
        return [list(self.levels[: i + 1]) for i in range(len(self.levels))]


_WARD = "coalesce(ward_code_2025, 'unknown') as ward_code_2025"

SERIES: tuple[SeriesDef, ...] = (
    SeriesDef("new_businesses_by_ward", "rpt_new_businesses",
              "Enterprises established per month, by ward of the head office",
              "MS", 12, 12, ("city", "ward_code_2025"),
              f"select {_WARD}, month as ds, sum(new_enterprises) as y from rpt_new_businesses group by all"),
    SeriesDef("new_businesses_by_section", "rpt_new_businesses",
              "Enterprises established per month, by VSIC 2018 section of the main activity",
              "MS", 12, 12, ("city", "vsic_section"),
              "select vsic_section, month as ds, sum(new_enterprises) as y from rpt_new_businesses group by all"),
    SeriesDef("charter_capital_by_section", "rpt_new_businesses",
              "Charter capital registered per month by the enterprises established, VND, by VSIC section",
              "MS", 12, 12, ("city", "vsic_section"),
              "select vsic_section, month as ds, sum(charter_capital_vnd)::double as y "
              "from rpt_new_businesses group by all"),
    SeriesDef("fdi_registered_usd", "rpt_fdi_by_country_year",
              "FDI capital registered per licence year, USD",
              "YS", 1, 5, ("city",),
              "select make_date(year, 1, 1) as ds, sum(registered_usd) as y from rpt_fdi_by_country_year group by all",
              step_size=1),
    SeriesDef("fdi_disbursed_usd", "rpt_fdi_by_country_year",
              "FDI capital disbursed to date by the projects of each licence year (a cohort view), USD",
              "YS", 1, 5, ("city",),
              "select make_date(year, 1, 1) as ds, sum(disbursed_usd) as y from rpt_fdi_by_country_year group by all",
              step_size=1),
    SeriesDef("dossiers_by_agency", "rpt_dossiers_on_time",
              "One-stop dossiers received per month, by handling agency",
              "MS", 12, 12, ("city", "agency_code"),
              "select agency_code, month as ds, sum(dossiers_received) as y from rpt_dossiers_on_time group by all"),
    SeriesDef("hotline_contacts_by_category", "rpt_hotline_response",
              "Hotline 1022 contacts per month, by category",
              "MS", 12, 12, ("city", "category"),
              "select category, month as ds, sum(contacts) as y from rpt_hotline_response group by all"),
    SeriesDef("land_transactions_by_ward", "rpt_land_transactions",
              "Land transactions registered per month, by ward of the parcel",
              "MS", 12, 12, ("city", "ward_code_2025"),
              "select ward_code_2025, month as ds, sum(transactions) as y from rpt_land_transactions group by all"),
    SeriesDef("pupils_by_level", "rpt_schools_by_ward",
              "Pupils enrolled per school year (dated 1 January of the year it starts), by level",
              "YS", 1, 5, ("city", "level"),
              "select level, make_date(cast(left(school_year, 4) as integer), 1, 1) as ds, sum(pupils) as y "
              "from rpt_schools_by_ward group by all",
              drop_last_period=False, step_size=1),
    SeriesDef("vehicles_by_ward_daily", "rpt_congestion_by_ward",
              "Vehicles counted by the cameras per day, by ward (days the cameras covered all 24 hours)",
              "D", 7, 28, ("city", "ward_code_2025"),
              "select ward_code_2025, local_date as ds, sum(intensity)::double as y from rpt_congestion_by_ward "
              "where local_date in (select local_date from rpt_congestion_by_ward group by local_date "
              "having count(distinct local_hour) = 24) group by all",
              drop_last_period=False),
)


def registry() -> dict[str, SeriesDef]:
    return {d.name: d for d in SERIES}


def bottom_series(defn: SeriesDef, marts: Mapping[str, pa.Table]) -> pd.DataFrame:
    """The definition's bottom level: its level columns, ds, y; zero-filled over the set's periods."""
    if defn.mart not in marts:
        raise KeyError(f"{defn.name} needs the mart {defn.mart}")
    df = query(defn.sql, {defn.mart: marts[defn.mart]}).to_pandas()
    keys = list(defn.levels[1:])
    df["ds"] = pd.to_datetime(df["ds"])
    df["y"] = df["y"].astype(float)
    if df.empty:
        return df.assign(city=CITY)[["city", *keys, "ds", "y"]]
    periods = pd.date_range(df["ds"].min(), df["ds"].max(), freq=defn.freq)
    if defn.drop_last_period:
        periods = periods[:-1]
    full = pd.DataFrame({"ds": periods})
    if keys:
        full = df[keys].drop_duplicates().merge(full, how="cross")
    df = full.merge(df, on=[*keys, "ds"], how="left").fillna({"y": 0.0})
    df.insert(0, "city", CITY)
    return df


def hierarchical(defn: SeriesDef, bottom: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame | None, dict | None]:
    """Every level's series (unique_id, ds, y) with the summing matrix and tags; no matrix for one level."""
    if len(defn.levels) == 1:
        return bottom.assign(unique_id=CITY)[["unique_id", "ds", "y"]], None, None
    from hierarchicalforecast.utils import aggregate

    y_df, s_df, tags = aggregate(bottom, defn.hierarchy_spec)
    return y_df.reset_index(drop=True), s_df, tags
