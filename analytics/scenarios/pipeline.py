"""Every scenario file, calibrated on the warehouse, run to its horizon, written with its assumptions.

Results go to ``<lakehouse>/gold/scenarios/``: ``ward_results`` (monthly per ward and scenario),
``runs`` (one row per scenario: the resolved assumptions as JSON, their sha256, the model file's
sha256, the calibration's parameters and sha256) and ``calibration_check`` (the baseline against the
calibration window). Every result row carries its scenario's hash, so a figure can always be traced
to the exact assumptions, model and calibration that produced it.
"""
from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Iterable, Mapping
from pathlib import Path

import pandas as pd
import pyarrow as pa

from analytics.scenarios.calibration import MARTS, Calibration, calibrate, check_baseline
from analytics.scenarios.model import model_hash, simulate
from analytics.scenarios.spec import Scenario, load_scenario, scenario_files

DOMAIN = "scenarios"
BASELINE = "baseline"


def run_scenarios(scenarios: Iterable[tuple[Path | None, Scenario]], cal: Calibration) -> dict[str, pa.Table]:
    """The three result tables for these scenarios on one calibration."""
    run_id, run_at = uuid.uuid4().hex, pd.Timestamp(dt.datetime.now(dt.UTC))
    stamp = {"model_hash": model_hash(), "calibration_hash": cal.content_hash, "run_id": run_id, "run_at": run_at}
    results, runs, checks = [], [], []
    for path, scenario in scenarios:
        frame = simulate(scenario, cal)
        ident = {"scenario": scenario.name, "scenario_hash": scenario.content_hash}
        results.append(frame.assign(**ident, **stamp))
        runs.append({**ident, "description": scenario.description, "file": path.name if path else None,
                     "horizon_year": scenario.horizon_year, "assumptions_json": scenario.canonical_json(),
                     "calibration_json": cal.params_json(), **stamp})
        if scenario.name == BASELINE:
            check = check_baseline(frame, cal, scenario.assumptions.city_population)
            checks.append(check.assign(**ident, **stamp))
    tables = {"ward_results": pd.concat(results, ignore_index=True), "runs": pd.DataFrame(runs)}
    if checks:
        tables["calibration_check"] = pd.concat(checks, ignore_index=True)
    return {name: pa.Table.from_pandas(frame, preserve_index=False) for name, frame in tables.items()}


def build(settings=None, files: Iterable[Path] | None = None,
          marts: Mapping[str, pa.Table] | None = None) -> dict[str, pa.Table]:
    """Run the scenario files (all of ``analytics/scenarios/scenarios/`` by default) on a calibration
    from the warehouse's marts: the result tables. Nothing is written."""
    from analytics.warehouse import read_marts
    from citylake.settings import Settings

    settings = settings or Settings()
    scenarios = [(Path(f), load_scenario(f)) for f in (files or scenario_files())]   # every file valid first
    if marts is None:
        marts = read_marts(MARTS[:4], settings)
        try:
            marts |= read_marts(MARTS[4:], settings)
        except KeyError:
            pass                       # no camera counts yet: the scenarios' default motorbike share
    return run_scenarios(scenarios, calibrate(marts))


def run(settings=None, files: Iterable[Path] | None = None, marts: Mapping[str, pa.Table] | None = None) -> dict:
    """Run the scenario files (all of ``analytics/scenarios/scenarios/`` by default) and overwrite the
    ``gold/scenarios`` tables; returns the tables."""
    from citylake import catalog, delta
    from citylake.settings import Settings

    settings = settings or Settings()
    tables = build(settings, files, marts)
    for name, table in tables.items():
        delta.write_arrow(table, catalog.gold_uri(settings, DOMAIN, name), mode="overwrite", schema_mode="overwrite")
    return tables


def write_merged(tables: Mapping[str, pa.Table], settings=None) -> dict[str, int]:
    """Publish the results of some scenarios beside those of the others: their rows in ``ward_results``
    and ``calibration_check`` replaced (one overwrite commit each, the Delta history keeps the earlier
    ones), and one row per run appended to ``runs`` — the resolved assumptions, their hash and the
    ``ward_results`` version holding these results, so every answer ever given can be read back beside
    the exact assumptions behind it. Returns each table's new Delta version."""
    import pyarrow.compute as pc

    from citylake import catalog, delta
    from citylake.settings import Settings

    settings = settings or Settings()
    names = pa.array(sorted(set(tables["runs"]["scenario"].to_pylist())))
    versions: dict[str, int] = {}
    for name in ("ward_results", "calibration_check"):
        if name not in tables:
            continue
        uri = catalog.gold_uri(settings, DOMAIN, name)
        table = tables[name]
        if delta.exists(uri):
            kept = delta.read_arrow(uri)
            kept = kept.filter(pc.invert(pc.is_in(kept["scenario"], value_set=names)))
            table = pa.concat_tables([kept, table], promote_options="permissive")
        delta.write_arrow(table, uri, mode="overwrite", schema_mode="overwrite")
        versions[name] = delta.table(uri).version()
    runs = tables["runs"]
    runs = runs.append_column("ward_results_version", pa.array([versions["ward_results"]] * runs.num_rows, pa.int64()))
    uri = catalog.gold_uri(settings, DOMAIN, "runs")
    if delta.exists(uri):
        runs = pa.concat_tables([delta.read_arrow(uri), runs], promote_options="permissive")
    delta.write_arrow(runs, uri, mode="overwrite", schema_mode="overwrite")
    versions["runs"] = delta.table(uri).version()
    return versions
