"""Running the city's stock-and-flow model (``city.mdl``, Vensim syntax, run by PySD) for a scenario.

The model is written once for any set of wards: its ``Ward`` subscript is rewritten with the
warehouse's wards (``w`` + 2025 code) and translated by PySD into a cache folder keyed by the text,
so a translation happens once per model version and ward list. Each ward-subscripted parameter is
passed as an xarray vector.

Before a scenario runs, each ward's base migration rate is fitted so that the scenario's assumptions
with its levers off reproduce that ward's resident growth over the calibration window (the job pull
on migration is part of the model, so the fit runs the model); the levers then act from their own
start years.
"""
from __future__ import annotations

import hashlib
import re
import shutil
import tempfile
from pathlib import Path

import numpy as np
import pandas as pd

from analytics.scenarios.calibration import Calibration
from analytics.scenarios.spec import Scenario

MODEL_FILE = Path(__file__).resolve().parent / "city.mdl"
STEP = 1 / 12
MIGRATION_FIT_ROUNDS = 2
OUTPUTS = {           # model variable → result column
    "Population": "population",
    "Jobs": "jobs",
    "Businesses": "businesses",
    "FDI capital": "fdi_capital_usd",
    "business formation": "business_formation_per_year",
    "FDI disbursement": "fdi_disbursement_usd_per_year",
    "daily trips": "daily_trips",
    "motorbike trips": "motorbike_trips",
    "metro trips": "metro_trips",
}
CITY_OUTPUTS = {"FDI registered": "city_fdi_registered_usd_per_year"}


def model_hash() -> str:
    return hashlib.sha256(MODEL_FILE.read_bytes()).hexdigest()


def _element(ward: str) -> str:
    return f"w{ward}"


def _translated(wards: list[str]) -> Path:
    """The PySD translation of the model for these wards (cached by the rewritten text)."""
    import pysd

    text = MODEL_FILE.read_text(encoding="utf-8")
    text, n = re.subn(r"^Ward:\s*\n\s*[^~]*?\n(\s*~)", "Ward:\n\t" + ", ".join(map(_element, wards)) + r"\n\1",
                      text, count=1, flags=re.M)
    if n != 1:
        raise RuntimeError(f"{MODEL_FILE} has no 'Ward:' subscript definition to rewrite")
    cache = Path(tempfile.gettempdir()) / "citylake-pysd"
    folder = cache / hashlib.sha256(text.encode()).hexdigest()[:16]
    if not (folder / "city.py").exists():
        # translate aside, then move into place: a concurrent run never sees half a translation
        cache.mkdir(parents=True, exist_ok=True)
        work = Path(tempfile.mkdtemp(dir=cache))
        (work / "city.mdl").write_text(text, encoding="utf-8")
        pysd.read_vensim(str(work / "city.mdl"))
        try:
            work.rename(folder)
        except OSError:            # another run got there first
            shutil.rmtree(work, ignore_errors=True)
    return folder / "city.py"


def parameters(scenario: Scenario, cal: Calibration, migration: dict[str, float] | None = None) -> dict:
    """Model parameters (Vensim names) for the scenario on the calibration."""
    import xarray as xr

    a = scenario.assumptions
    wards = cal.wards
    coords = {"Ward": [_element(w) for w in wards]}

    def vector(values) -> xr.DataArray:
        return xr.DataArray(np.asarray(list(values), float), coords, ["Ward"])

    pop0 = np.array([cal.population_at(w, cal.start, a.city_population) for w in wards])
    fdi0 = np.array([cal.initial_fdi_capital * cal.fdi_share[w] for w in wards])
    base_jobs = a.employment_ratio * pop0
    migration = migration or {w: cal.growth[w] - a.natural_growth_rate for w in wards}
    metro = scenario.metro
    park = scenario.industrial_park
    return {
        "initial population": vector(pop0),
        "initial businesses": vector(np.zeros(len(wards))),
        "initial FDI capital": vector(fdi0),
        "base jobs": vector(base_jobs),
        "initial jobs": vector(base_jobs + fdi0 * a.jobs_per_million_usd_fdi / 1e6),
        "base migration rate": vector(migration[w] for w in wards),
        "formation rate": vector(cal.formation_per_pupil_year[w] / a.city_population for w in wards),
        "FDI share": vector(cal.fdi_share[w] for w in wards),
        "motorbike share": vector(a.default_motorbike_share if cal.motorbike_share[w] is None
                                  else cal.motorbike_share[w] for w in wards),
        "metro shift": vector((metro.motorbike_shift if metro and w in metro.wards else 0.0) for w in wards),
        "park ward": vector((1.0 if park and w == park.ward else 0.0) for w in wards),
        "natural growth rate": a.natural_growth_rate,
        "migration sensitivity": a.migration_sensitivity,
        "closure rate": cal.closure_rate,
        "FDI base": cal.fdi_base,
        "FDI growth": cal.fdi_growth,
        "FDI base year": cal.fdi_base_year,
        "FDI multiplier": scenario.fdi.multiplier,
        "FDI multiplier from": scenario.fdi.from_year,
        "disbursement ratio": cal.disbursement_ratio,
        "FDI asset life": a.fdi_asset_life_years,
        "park FDI share": park.fdi_share if park else 0.0,
        "park jobs": park.jobs if park else 0.0,
        "park start": park.start_year if park else 2100.0,
        "park build time": park.build_years if park else 1.0,
        "jobs per business": a.jobs_per_business,
        "jobs per million USD FDI": a.jobs_per_million_usd_fdi,
        "job adjustment time": a.job_adjustment_years,
        "trips per resident": a.trips_per_resident,
        "trips per job": a.trips_per_job,
        "metro start": metro.start_year if metro else 2100.0,
        "metro ramp time": metro.ramp_years if metro else 1.0,
    }


def _run(py: Path, params: dict, start: float, final: float, columns: list[str]) -> pd.DataFrame:
    import pysd

    model = pysd.load(str(py))
    steps = int(round((final - start) / STEP))
    return model.run(params=params, initial_condition=(start, {}), final_time=start + steps * STEP, time_step=STEP,
                     saveper=STEP, return_columns=columns, progress=False)


def _long(raw: pd.DataFrame, wards: list[str], start: float) -> pd.DataFrame:
    month = np.rint((raw.index.to_numpy(float) - start) / STEP).astype(int)
    frames = []
    for ward in wards:
        frame = pd.DataFrame({"ward_code_2025": ward, "step": month, "time": raw.index.to_numpy(float)})
        for var, col in OUTPUTS.items():
            frame[col] = raw[f"{var}[{_element(ward)}]"].to_numpy(float)
        for var, col in CITY_OUTPUTS.items():
            frame[col] = raw[var].to_numpy(float)
        frames.append(frame)
    return pd.concat(frames, ignore_index=True)


def _fit_migration(py: Path, scenario: Scenario, cal: Calibration) -> dict[str, float]:
    """Base migration rates with which the levers-off run grows each ward as its pupils did."""
    off = scenario.levers_off()
    migration = {w: cal.growth[w] - off.assumptions.natural_growth_rate for w in cal.wards}
    t = None
    for _ in range(MIGRATION_FIT_ROUNDS):
        raw = _run(py, parameters(off, cal, migration), cal.start, cal.end, ["Population"])
        t = raw.index.to_numpy(float) if t is None else t
        for ward in cal.wards:
            pop = raw[f"Population[{_element(ward)}]"].to_numpy(float)
            simulated = np.polyfit(t, np.log(np.maximum(pop, 1e-9)), 1)[0]
            migration[ward] += cal.growth[ward] - simulated
    return migration


def simulate(scenario: Scenario, cal: Calibration) -> pd.DataFrame:
    """Monthly results per ward from the calibration window's first month to December of the horizon
    year: stocks as at the start of the month, flows as rates during it (per year, trips per day)."""
    scenario.check_wards(set(cal.wards))
    py = _translated(cal.wards)
    migration = _fit_migration(py, scenario, cal)
    columns = list(OUTPUTS) + list(CITY_OUTPUTS)
    raw = _run(py, parameters(scenario, cal, migration), cal.start, scenario.horizon_year + 1.0, columns)
    out = _long(raw.iloc[:-1], cal.wards, cal.start)      # the last row is January after the horizon
    first = pd.Timestamp(year=int(cal.start), month=int(round((cal.start % 1) * 12)) + 1, day=1)
    months = pd.date_range(first, periods=int(out["step"].max()) + 1, freq="MS").date
    out.insert(1, "month", months[out["step"].to_numpy()])
    return out.drop(columns="step")
