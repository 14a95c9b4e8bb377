"""Parameters of the city model fitted to the warehouse, and the history a baseline must reproduce.

Which mart calibrates what:
* ``rpt_schools_by_ward`` (pupils of the levels taught near home, per school year and ward): where
  residents live and how fast each ward grows. A ward's residents are its share of those pupils times
  the scenario's city population; its growth is the log-linear trend of its pupils.
* ``rpt_new_businesses``: the calibration window (its complete months), each ward's enterprise
  formation per resident (enterprises established over resident-years), the city's closure rate
  (dissolutions over enterprise-years in operation), and where manufacturing sets up (section C),
  which is where FDI goes.
* ``rpt_fdi_by_country_year``: the city's FDI registrations as a log-linear trend over the complete
  licence years, the share of registered capital disbursed, and the FDI already in place when the
  window opens.
* ``rpt_congestion_by_ward`` (optional): each ward's motorbike share of the vehicles its cameras count.
* ``dim_admin_units``: the wards.
Everything else (jobs per enterprise, trip rates, …) is an assumption of the scenario file.
"""
from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field

import numpy as np
import pandas as pd
import pyarrow as pa

# levels whose pupils live near their school: the residents' proxy (universities draw city-wide)
RESIDENT_LEVELS = ("preschool", "primary", "lower_secondary", "upper_secondary", "multi_level")
SCHOOL_YEAR_OFFSET = 8 / 12           # enrolment is counted in September
MIN_POPULATION = 100.0                # a ward without a school still has residents
MARTS = ("dim_admin_units", "rpt_new_businesses", "rpt_fdi_by_country_year", "rpt_schools_by_ward",
         "rpt_congestion_by_ward")


def decimal_year(ts: pd.Timestamp) -> float:
    return ts.year + (ts.month - 1) / 12


@dataclass
class Calibration:
    wards: list[str]
    start: float                      # decimal year the window opens (first complete month)
    end: float                        # decimal year it closes (end of the last complete month)
    pupil_share: dict[str, float]     # ward share of the resident-proxy pupils at the reference year
    reference_year: float             # when the scenario's city_population holds (latest school year)
    reference_pupils: float           # the city's resident-proxy pupils then, on the wards' trends
    growth: dict[str, float]          # log-linear growth per year of each ward's residents
    formation_per_pupil_year: dict[str, float]   # enterprises per proxy pupil and year
    closure_rate: float
    fdi_base: float                   # USD per year at fdi_base_year
    fdi_base_year: float
    fdi_growth: float
    disbursement_ratio: float
    initial_fdi_capital: float        # USD disbursed before the window opens, city
    fdi_share: dict[str, float]
    motorbike_share: dict[str, float | None]
    observed: dict = field(default_factory=dict, repr=False)   # history the baseline is checked against

    def params_json(self) -> str:
        data = {k: v for k, v in asdict(self).items() if k != "observed"}
        return json.dumps(data, sort_keys=True, separators=(",", ":"), default=float)

    @property
    def content_hash(self) -> str:
        return hashlib.sha256(self.params_json().encode()).hexdigest()

    def population_at(self, ward: str, t: float, city_population: float) -> float:
        base = self.pupil_share[ward] * city_population
        return max(base * np.exp(self.growth[ward] * (t - self.reference_year)), MIN_POPULATION)


def _loglinear(t: np.ndarray, y: np.ndarray) -> tuple[float, float]:
    """Slope and intercept of log(y) on t over the positive values; slope 0 with fewer than two."""
    ok = y > 0
    if ok.sum() < 2:
        return 0.0, float(np.log(y[ok][0])) if ok.any() else 0.0
    slope, intercept = np.polyfit(t[ok], np.log(y[ok]), 1)
    return float(slope), float(intercept)


def calibrate(marts: Mapping[str, pa.Table]) -> Calibration:
    for name in MARTS[:4]:
        if name not in marts:
            raise KeyError(f"calibration needs the mart {name}")
    wards = sorted(marts["dim_admin_units"]["ward_code_2025"].to_pylist())

    biz = marts["rpt_new_businesses"].to_pandas()
    biz["month"] = pd.to_datetime(biz["month"])
    months = pd.date_range(biz["month"].min(), biz["month"].max(), freq="MS")[:-1]   # the last is partial
    if len(months) < 12:
        raise ValueError(f"rpt_new_businesses holds {len(months)} complete months: a year at least is needed")
    biz = biz[biz["month"].isin(months) & biz["ward_code_2025"].isin(wards)]
    start, end = decimal_year(months[0]), decimal_year(months[-1]) + 1 / 12

    # residents: pupils of the near-home levels
    schools = marts["rpt_schools_by_ward"].to_pandas()
    schools = schools[schools["level"].isin(RESIDENT_LEVELS) & schools["ward_code_2025"].isin(wards)]
    schools["t"] = schools["school_year"].str[:4].astype(int) + SCHOOL_YEAR_OFFSET
    pupils = schools.pivot_table(index="t", columns="ward_code_2025", values="pupils", aggfunc="sum")
    pupils = pupils.reindex(columns=wards).fillna(0.0)
    if pupils.empty:
        raise ValueError("rpt_schools_by_ward holds no pupils of the near-home levels")
    reference = float(pupils.index.max())
    city_slope, _ = _loglinear(pupils.index.to_numpy(float), pupils.sum(axis=1).to_numpy(float))
    growth, level = {}, {}
    for ward in wards:
        y = pupils[ward].to_numpy(float)
        if (y > 0).sum() >= 2:
            slope, intercept = _loglinear(pupils.index.to_numpy(float), y)
            growth[ward], level[ward] = float(np.clip(slope, -0.1, 0.1)), float(np.exp(intercept + slope * reference))
        else:
            growth[ward], level[ward] = city_slope, float(y[-1])
    total = sum(level.values()) or 1.0
    share = {w: level[w] / total for w in wards}

    # enterprises: formation per resident-year (residents ∝ pupils), closures per enterprise-year
    new = biz.pivot_table(index="month", columns="ward_code_2025", values="new_enterprises", aggfunc="sum")
    new = new.reindex(index=months, columns=wards).fillna(0.0)
    gone = biz.pivot_table(index="month", columns="ward_code_2025", values="dissolved", aggfunc="sum")
    gone = gone.reindex(index=months, columns=wards).fillna(0.0)
    t_mid = np.array([decimal_year(m) + 1 / 24 for m in months])
    formation = {}
    for ward in wards:
        pupil_years = (share[ward] * np.exp(growth[ward] * (t_mid - reference))).sum() / 12
        formation[ward] = float(new[ward].sum() / pupil_years) if pupil_years > 0 else 0.0
    stock = (new.sum(axis=1) - gone.sum(axis=1)).cumsum().to_numpy()
    in_operation = np.r_[0.0, stock[:-1]].sum() / 12
    closure = float(gone.to_numpy().sum() / in_operation) if in_operation > 0 else 0.0

    # FDI: trend of the complete licence years, disbursement, capital in place, where it goes
    fdi = marts["rpt_fdi_by_country_year"].to_pandas().groupby("year")[["registered_usd", "disbursed_usd"]].sum()
    complete = fdi[(fdi.index + 1 <= end)]
    window = complete[complete.index >= int(start)]
    years = (window.index.to_numpy(float) + 0.5) if len(window) else np.array([start])
    g, intercept = _loglinear(years, window["registered_usd"].to_numpy(float)) if len(window) else (0.0, 0.0)
    base_year = float(years[0])
    fdi_base = float(np.exp(intercept + g * base_year)) if len(window) else 0.0
    registered = fdi["registered_usd"].sum()
    ratio = float(np.clip(fdi["disbursed_usd"].sum() / registered, 0, 1)) if registered > 0 else 0.0
    before = fdi[fdi.index < int(start)]
    manufacturing = biz[biz["vsic_section"] == "C"].groupby("ward_code_2025")["new_enterprises"].sum()
    weights = manufacturing if manufacturing.sum() > 0 else biz.groupby("ward_code_2025")["new_enterprises"].sum()
    weights = weights.reindex(wards).fillna(0.0)
    fdi_share = (weights / weights.sum()).to_dict() if weights.sum() > 0 else {w: 1 / len(wards) for w in wards}

    motorbike = {w: None for w in wards}
    if "rpt_congestion_by_ward" in marts and marts["rpt_congestion_by_ward"].num_rows:
        traffic = marts["rpt_congestion_by_ward"].to_pandas()
        traffic = traffic.groupby("ward_code_2025")[["motorcycles", "intensity"]].sum()
        for ward, row in traffic.iterrows():
            if ward in motorbike and row["intensity"] > 0:
                motorbike[ward] = float(row["motorcycles"] / row["intensity"])

    observed = {
        "pupils": pupils,                                                     # t × ward
        "new_per_year": new.sum(axis=1).groupby(months.year).agg(["sum", "size"]),
        "businesses_end": float(stock[-1]),
        "fdi_registered": window["registered_usd"],
    }
    return Calibration(wards=wards, start=start, end=end, pupil_share=share, reference_year=reference,
                       reference_pupils=float(total),
                       growth=growth, formation_per_pupil_year=formation, closure_rate=closure, fdi_base=fdi_base,
                       fdi_base_year=base_year, fdi_growth=g, disbursement_ratio=ratio,
                       initial_fdi_capital=float(before["registered_usd"].sum() * ratio),
                       fdi_share={w: float(v) for w, v in fdi_share.items()}, motorbike_share=motorbike,
                       observed=observed)


# how closely a baseline run must reproduce the calibration window (relative error)
TOLERANCE = {
    "residents": 0.05,                      # city residents at each school year inside the window
    "new_enterprises_per_year": 0.10,       # enterprises established in each complete calendar year
    "enterprises_in_operation": 0.10,       # at the window's end
    "fdi_registered": 0.15,                 # summed over the window's complete licence years
}


def check_baseline(results: pd.DataFrame, cal: Calibration, city_population: float) -> pd.DataFrame:
    """Observed against simulated over the calibration window: one row per measure and period, with
    the relative error, its tolerance and whether it is within."""
    city = results.groupby("time").sum(numeric_only=True)
    t = city.index.to_numpy(float)
    rows = []

    def add(measure, period, observed, simulated):
        err = abs(simulated - observed) / abs(observed) if observed else (0.0 if simulated == 0 else np.inf)
        rows.append({"measure": measure, "period": str(period), "observed": float(observed),
                     "simulated": float(simulated), "relative_error": float(err),
                     "tolerance": TOLERANCE[measure], "within": bool(err <= TOLERANCE[measure])})

    for when, row in cal.observed["pupils"].iterrows():
        if cal.start <= when <= cal.end:
            observed = row.sum() / cal.reference_pupils * city_population
            simulated = np.interp(when, t, city["population"].to_numpy())
            add("residents", f"{int(when)}-{int(when) + 1}", observed, simulated)
    months = np.rint((t - cal.start) * 12).astype(int)
    years = np.floor(cal.start + months / 12 + 1e-9).astype(int)
    formation = city["business_formation_per_year"].to_numpy() / 12
    for year, (count, size) in cal.observed["new_per_year"].iterrows():
        if size == 12:
            mask = (years == year) & (t < cal.end - 1e-9)
            add("new_enterprises_per_year", year, count, formation[mask].sum())
    add("enterprises_in_operation", f"end {cal.end:.2f}", cal.observed["businesses_end"],
        np.interp(cal.end, t, city["businesses"].to_numpy()))
    fdi = cal.observed["fdi_registered"]
    if len(fdi):
        per_city = results.groupby("time")["city_fdi_registered_usd_per_year"].first().to_numpy() / 12
        mask = np.isin(years, fdi.index.to_numpy()) & (t < cal.end - 1e-9)
        add("fdi_registered", f"{fdi.index.min()}–{fdi.index.max()}", fdi.sum(), per_city[mask].sum())
    return pd.DataFrame(rows)
