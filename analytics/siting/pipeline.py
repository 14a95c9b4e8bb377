"""From the warehouse to the chosen sites: demand, candidates, K = 100, 200, 300, Delta tables.

Results go to ``<lakehouse>/gold/siting/{sites, summary}``: gold like the marts they come from, and
read as a whole by the report (each run overwrites, the Delta history keeps the earlier answers).
Every summary row carries its parameters (K, radius, budget), coverage, certified upper bound and gap.
"""
from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Iterable

import numpy as np
import pyarrow as pa

from analytics.siting.coverage import build_problem
from analytics.siting.demand import DemandWeights, build_candidates, build_demand
from analytics.siting.geometry import project
from analytics.siting.solve import compare_k, site_table, top_demand_choice

DOMAIN = "siting"
MARTS = ("rpt_ward_overview", "rpt_incident_hotspots", "dim_health_facilities", "dim_cameras", "rpt_hotline_response")


def choose_sites(demand: pa.Table, candidates: pa.Table, ks: Iterable[int] = (100, 200, 300),
                 radius_m: float = 1000.0, budget: float | None = None, bound: str = "lp",
                 time_limit: float = 120.0, graph=None) -> tuple[pa.Table, pa.Table]:
    """The sites table (one row per chosen or fixed site per K) and the summary (one row per K)."""
    site_xy = project(candidates["longitude"].to_numpy(), candidates["latitude"].to_numpy())
    demand_xy = np.column_stack([demand["x_utm48n"].to_numpy(), demand["y_utm48n"].to_numpy()])
    problem = build_problem(demand_xy, demand["weight"].to_numpy(), site_xy, radius_m,
                            cost=candidates["cost"].to_numpy(),
                            fixed=candidates["is_fixed"].to_numpy(zero_copy_only=False),
                            graph=graph, site_ids=np.asarray(candidates["site_id"].to_pylist(), dtype=object))
    solutions = compare_k(problem, ks, budget, bound, time_limit)
    rows, tables = [], []
    for solution in solutions:
        naive = problem.coverage_of(top_demand_choice(problem, solution.k, budget))
        rows.append(solution.summary() | {"radius_m": radius_m, "naive_top_demand_coverage": naive,
                                          "naive_top_demand_pct": 100 * naive / max(solution.total_demand, 1e-12)})
        tables.append(site_table(problem, solution))
    kinds = dict(zip(candidates["site_id"].to_pylist(), candidates["kind"].to_pylist()))
    sites = pa.concat_tables(tables)
    sites = sites.append_column("kind", pa.array([kinds.get(s) for s in sites["site_id"].to_pylist()], pa.string()))
    summary = pa.Table.from_pylist(rows)
    budget = pa.array([budget] * summary.num_rows, pa.float64())      # typed even when there is none
    return sites, summary.set_column(summary.schema.get_field_index("budget"), "budget", budget)


def build(settings=None, ks: Iterable[int] = (100, 200, 300), radius_m: float = 1000.0, budget: float | None = None,
          extra_candidates: pa.Table | None = None, bound: str = "lp", time_limit: float = 120.0,
          weights: DemandWeights | None = None) -> dict[str, pa.Table]:
    """Choose the sites from the warehouse's marts: ``{"sites": …, "summary": …}``, each row with the
    run's id and time. Nothing is written."""
    from analytics.warehouse import read_marts
    from citylake.settings import Settings

    settings = settings or Settings()
    marts = read_marts(MARTS, settings)
    demand = build_demand(marts["rpt_ward_overview"], marts["rpt_incident_hotspots"],
                          marts["dim_health_facilities"], marts["rpt_hotline_response"], weights or DemandWeights())
    candidates = build_candidates(marts["dim_cameras"], extra_candidates, demand)
    sites, summary = choose_sites(demand, candidates, ks, radius_m, budget, bound, time_limit)
    run_id, run_at = uuid.uuid4().hex, dt.datetime.now(dt.UTC)
    out = {}
    for name, table in (("sites", sites), ("summary", summary)):
        table = table.append_column("run_id", pa.array([run_id] * table.num_rows))
        out[name] = table.append_column("run_at", pa.array([run_at] * table.num_rows, pa.timestamp("us", "UTC")))
    return out


def write(tables: dict[str, pa.Table], settings=None) -> dict[str, int]:
    """Overwrite ``gold/siting/{sites, summary}``; returns each table's new Delta version."""
    from citylake import catalog, delta
    from citylake.settings import Settings

    settings = settings or Settings()
    versions = {}
    for name, table in tables.items():
        uri = catalog.gold_uri(settings, DOMAIN, name)
        delta.write_arrow(table, uri, mode="overwrite", schema_mode="overwrite")
        versions[name] = delta.table(uri).version()
    return versions


def run(settings=None, ks: Iterable[int] = (100, 200, 300), radius_m: float = 1000.0, budget: float | None = None,
        extra_candidates: pa.Table | None = None, bound: str = "lp", time_limit: float = 120.0,
        weights: DemandWeights | None = None) -> pa.Table:
    """Choose the sites from the warehouse's marts and overwrite ``gold/siting/{sites, summary}``."""
    tables = build(settings, ks, radius_m, budget, extra_candidates, bound, time_limit, weights)
    write(tables, settings)
    return tables["summary"]
