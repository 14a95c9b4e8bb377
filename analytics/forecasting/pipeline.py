"""Backtest, choose, forecast, reconcile: one series set in, three Arrow tables out.

``forecast_frame`` is the whole method on a long frame (unique_id, ds, y); ``run`` applies it to every
series set of the registry, read from the warehouse, and writes the results as Delta tables under
``<lakehouse>/gold/forecasting/``: gold, because they are built from the marts (themselves gold) and
are aggregates meant for the leadership report and the portal, like the marts; nothing in them is
about a person.
"""
from __future__ import annotations

import datetime as dt
import logging
import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import pyarrow as pa

from analytics.forecasting.backtest import SeriesTooShort, cross_validate, final_forecasts
from analytics.forecasting.calendar_features import features_for
from analytics.forecasting.metrics import backtest_metrics, choose
from analytics.forecasting.models import ForecastSpec
from analytics.forecasting.reconcile import METHOD, interval_columns, reconcile
from analytics.forecasting.series import SERIES, SeriesDef, bottom_series, hierarchical

log = logging.getLogger(__name__)

TABLES = ("forecasts", "backtest_metrics", "model_choice")
DOMAIN = "forecasting"


@dataclass
class ForecastResult:
    """Forecast of the chosen model per series (reconciled where there is a hierarchy), the backtest
    metrics of every model, and the choice."""

    forecasts: pd.DataFrame
    metrics: pd.DataFrame
    choice: pd.DataFrame
    spec: ForecastSpec
    reconciliation: str | None = None
    skipped: dict[str, str] = field(default_factory=dict)

    def arrow(self, series_set: str, run_id: str, run_at: dt.datetime) -> dict[str, pa.Table]:
        """The three output tables, each with the series set, run id and time beside every row."""
        extra = {"series_set": series_set, "run_id": run_id, "run_at": pd.Timestamp(run_at)}
        frames = {"forecasts": self.forecasts, "backtest_metrics": self.metrics, "model_choice": self.choice}
        out = {}
        for name, frame in frames.items():
            frame = frame.assign(**extra, freq=self.spec.freq, horizon=self.spec.horizon)
            if "ds" in frame:
                frame["ds"] = pd.to_datetime(frame["ds"]).dt.date
            table = pa.Table.from_pandas(frame.reset_index(drop=True), preserve_index=False)
            if "reconciliation" in table.column_names:      # all null where a set has one level
                table = table.set_column(table.schema.get_field_index("reconciliation"), "reconciliation",
                                         table["reconciliation"].cast(pa.string()))
            out[name] = table
        return out


def _chosen_base(forecasts: pd.DataFrame, choice: pd.DataFrame, levels: tuple[int, ...]) -> pd.DataFrame:
    """Per series, the chosen model's forecast and intervals under common column names."""
    model_of = choice.set_index("unique_id")["model"]
    frame = forecasts.assign(model=forecasts["unique_id"].map(model_of))
    out = frame[["unique_id", "ds", "model"]].copy()
    cols = {"yhat": ""} | {f"{side}_{lv}": f"-{side}-{lv}" for lv in levels for side in ("lo", "hi")}
    for target, suffix in cols.items():
        values = np.full(len(frame), np.nan)
        for model in frame["model"].unique():
            rows = (frame["model"] == model).to_numpy()
            values[rows] = frame.loc[rows, f"{model}{suffix}"].to_numpy(float)
        out[target] = values
    return out


def forecast_frame(df: pd.DataFrame, spec: ForecastSpec, features: pd.DataFrame | None = None,
                   s_df: pd.DataFrame | None = None, tags: dict | None = None, nonnegative: bool = True,
                   n_jobs: int = 1) -> ForecastResult:
    """Backtest every model on every series, choose each series' best by MASE, forecast with it.

    ``features`` (ds + calendar columns) reach the LightGBM model; ``s_df`` and ``tags`` (from
    hierarchicalforecast's ``aggregate``) make the chosen forecasts coherent across levels.
    """
    df = df[["unique_id", "ds", "y"]].sort_values(["unique_id", "ds"], ignore_index=True)
    cv, models = cross_validate(df, spec, features, n_jobs=n_jobs)
    metrics = backtest_metrics(cv, df, models, spec.season_length)
    choice = choose(metrics, models)
    chosen = set(zip(choice["unique_id"], choice["model"]))
    metrics["is_chosen"] = [key in chosen for key in zip(metrics["unique_id"], metrics["model"])]
    forecasts = final_forecasts(df, spec, sorted(set(choice["model"]), key=models.index), features, n_jobs=n_jobs)
    base = _chosen_base(forecasts, choice, spec.levels)
    reconciliation = None
    if s_df is not None and len(s_df) > 1:
        rec = reconcile(base, s_df, tags, spec.levels, nonnegative=nonnegative)
        base = base[["unique_id", "ds", "model"]].merge(rec, on=["unique_id", "ds"], how="left")
        reconciliation = METHOD
    else:
        base["yhat_base"] = base["yhat"]
        if nonnegative:
            cols = ["yhat", *interval_columns(spec.levels)]
            base[cols] = base[cols].clip(lower=0)
    base["reconciliation"] = reconciliation
    return ForecastResult(base, metrics, choice, spec, reconciliation)


def forecast_definition(defn: SeriesDef, marts: Mapping[str, pa.Table], calendar: pa.Table | None,
                        n_jobs: int = 1) -> ForecastResult:
    bottom = bottom_series(defn, marts)
    if bottom.empty:        # a mart holding only the current, partial period
        raise SeriesTooShort(f"no complete period in {defn.mart}")
    y_df, s_df, tags = hierarchical(defn, bottom)
    features = features_for(defn.freq, calendar) if calendar is not None else None
    result = forecast_frame(y_df, defn.spec, features, s_df, tags, n_jobs=n_jobs)
    # a level is named by its lowest column: 'city', 'ward_code_2025', 'vsic_section', …
    level_of = {uid: level.split("/")[-1] for level, ids in (tags or {"city": y_df["unique_id"].unique()}).items()
                for uid in ids}
    for frame in (result.forecasts, result.metrics, result.choice):
        frame.insert(1, "level", frame["unique_id"].map(level_of))
    return result


def forecast_all(marts: Mapping[str, pa.Table], calendar: pa.Table | None, definitions: Iterable[SeriesDef] = SERIES,
                 n_jobs: int = 1) -> tuple[dict[str, pa.Table], dict[str, str]]:
    """Every definition whose mart is present and long enough: the three tables, and what was skipped why."""
    run_id, run_at = uuid.uuid4().hex, dt.datetime.now(dt.UTC)
    parts: dict[str, list[pa.Table]] = {name: [] for name in TABLES}
    skipped: dict[str, str] = {}
    for defn in definitions:
        if defn.mart not in marts:
            skipped[defn.name] = f"mart {defn.mart} not in the warehouse"
            continue
        try:
            result = forecast_definition(defn, marts, calendar, n_jobs=n_jobs)
        except SeriesTooShort as exc:
            skipped[defn.name] = str(exc)
            continue
        for name, table in result.arrow(defn.name, run_id, run_at).items():
            parts[name].append(table)
    for name, why in skipped.items():
        log.warning("forecast %s skipped: %s", name, why)
    tables = {name: pa.concat_tables(ts, promote_options="permissive") for name, ts in parts.items() if ts}
    return tables, skipped


def build(settings=None, definitions: Iterable[SeriesDef] = SERIES,
          n_jobs: int = 1) -> tuple[dict[str, pa.Table], dict[str, str]]:
    """Forecast every series set from the warehouse's marts: the three tables, and what was skipped why
    (a missing mart, too short a history). Nothing is written."""
    from analytics.warehouse import read_marts
    from citylake.settings import Settings

    settings = settings or Settings()
    definitions = list(definitions)
    marts = read_marts(["dim_calendar"], settings)
    for mart in {d.mart for d in definitions}:
        try:
            marts.update(read_marts([mart], settings))
        except KeyError:
            pass    # forecast_all says which series sets it skipped for it
    return forecast_all(marts, marts["dim_calendar"], definitions, n_jobs=n_jobs)


def write(tables: Mapping[str, pa.Table], skipped: Mapping[str, str], settings=None) -> dict[str, int]:
    """Overwrite ``gold/forecasting/<table>`` with ``tables``; returns each table's new Delta version."""
    from citylake import catalog, delta
    from citylake.settings import Settings

    settings = settings or Settings()
    versions = {}
    for name, table in tables.items():
        uri = catalog.gold_uri(settings, DOMAIN, name)
        delta.write_arrow(table, uri, mode="overwrite", schema_mode="overwrite", metadata={"skipped": dict(skipped)})
        versions[name] = delta.table(uri).version()
    return versions


def run(settings=None, definitions: Iterable[SeriesDef] = SERIES, n_jobs: int = 1) -> dict[str, str]:
    """Forecast every series set from the warehouse and overwrite ``gold/forecasting/<table>``; returns
    what was skipped and why (a missing mart, too short a history)."""
    tables, skipped = build(settings, definitions, n_jobs)
    write(tables, skipped, settings)
    return skipped
