"""Choosing K sites: reduce, greedy, swap, certify; every answer carries its upper bound and gap.

The coverage reported is recomputed on the original (unreduced) problem; the upper bound is the
smallest of the bounds in ``analytics.siting.bounds``; gap = (upper bound − coverage) / upper bound.
Where HiGHS's MIP finds a better set than the heuristics within its time limit, that set is the answer.
"""
from __future__ import annotations

import time
from collections.abc import Iterable
from dataclasses import dataclass, field

import numpy as np
import pyarrow as pa
from scipy.spatial import cKDTree

from analytics.siting.bounds import highs_bound, submodular_bound
from analytics.siting.coverage import Problem
from analytics.siting.geometry import unproject
from analytics.siting.heuristics import best_greedy, covered_weight, swap
from analytics.siting.reduce import Reduced, reduce

BOUNDS = ("lp", "mip", "none")


@dataclass
class Solution:
    k: int
    budget: float | None
    sites: list[int]                 # new sites, original candidate indices, in the order chosen
    fixed: list[int]                 # existing sites, always part of the answer
    coverage: float                  # weighted demand covered by sites and fixed sites together
    upper_bound: float
    bound_source: str
    total_demand: float
    greedy_coverage: float
    method: str
    swaps: int
    cost: float = 0.0                # of the new sites
    seconds: dict = field(default_factory=dict)
    bounds: dict = field(default_factory=dict)
    reduction: dict = field(default_factory=dict)

    @property
    def gap(self) -> float:
        return (self.upper_bound - self.coverage) / self.upper_bound if self.upper_bound > 0 else 0.0

    def summary(self) -> dict:
        total = self.total_demand or 1.0
        return {
            "k": self.k, "budget": self.budget, "sites_chosen": len(self.sites), "fixed_sites": len(self.fixed),
            "cost": self.cost, "coverage": self.coverage, "coverage_pct": 100 * self.coverage / total,
            "upper_bound": self.upper_bound, "upper_bound_pct": 100 * self.upper_bound / total,
            "gap_pct": 100 * self.gap, "bound_source": self.bound_source, "method": self.method,
            "greedy_coverage_pct": 100 * self.greedy_coverage / total, "swaps": self.swaps,
            "total_demand": self.total_demand, **{f"seconds_{k}": v for k, v in self.seconds.items()},
            **{f"bound_{k}": v for k, v in self.bounds.items()},
            **{f"reduced_{k}": v for k, v in self.reduction.items()},
        }


def solve(problem: Problem, k: int, budget: float | None = None, bound: str = "lp", time_limit: float = 60.0,
          reduced: Reduced | None = None, threads: int = 1) -> Solution:
    """K new sites (besides the fixed ones) covering as much weighted demand as the method finds.

    ``bound``: 'lp' (HiGHS on the LP relaxation), 'mip' (HiGHS MIP from the heuristic's answer, within
    ``time_limit``, which may also improve the answer) or 'none' (the cheap bounds only).
    """
    if bound not in BOUNDS:
        raise ValueError(f"bound must be one of {BOUNDS}, not {bound!r}")
    if k < 0:
        raise ValueError("k must be non-negative")
    seconds = {}
    t0 = time.perf_counter()
    red = reduced if reduced is not None else reduce(problem, budget)
    seconds["reduce"] = time.perf_counter() - t0

    t0 = time.perf_counter()
    start = best_greedy(red, k, budget)
    seconds["greedy"] = time.perf_counter() - t0
    greedy_value = covered_weight(red, start)

    t0 = time.perf_counter()
    picked, swaps = swap(red, start, budget, time_limit=time_limit)
    seconds["swap"] = time.perf_counter() - t0
    best = covered_weight(red, picked)
    method = "greedy+swap"

    bounds = {"coverable": red.constant + float(red.weight.sum()),
              "submodular": red.constant + submodular_bound(red, picked, k, budget)}
    if bound != "none":
        t0 = time.perf_counter()
        res = highs_bound(red, k, budget, time_limit=time_limit, mip=bound == "mip", start=picked, threads=threads)
        seconds[f"highs_{bound}"] = time.perf_counter() - t0
        if res["bound"] is not None:
            bounds[f"highs_{bound}"] = red.constant + res["bound"]
        found = res["solution"]
        if found and covered_weight(red, found) > best + 1e-9 and (budget is None or red.cost[found].sum() <= budget):
            picked, best, method = found, covered_weight(red, found), "highs-mip"
    source = min(bounds, key=bounds.get)
    sites = [int(red.sites[j]) for j in picked]
    coverage = problem.coverage_of(sites)
    return Solution(k=k, budget=budget, sites=sites, fixed=[int(i) for i in np.flatnonzero(problem.fixed)],
                    coverage=coverage, upper_bound=bounds[source], bound_source=source,
                    total_demand=float(problem.weight.sum()), greedy_coverage=red.constant + greedy_value,
                    method=method, swaps=swaps, cost=float(problem.cost[sites].sum()), seconds=seconds,
                    bounds=bounds, reduction=red.stats)


def top_demand_choice(problem: Problem, k: int, budget: float | None = None) -> list[int]:
    """The naive answer: a site at (the candidate nearest) each of the K heaviest demand points."""
    free = np.flatnonzero(~problem.fixed)
    tree = cKDTree(problem.site_xy[free])
    used = np.zeros(len(free), bool)
    spent, out = 0.0, []
    for d in np.argsort(-problem.weight, kind="stable"):
        if len(out) >= k:
            break
        _, near = tree.query(problem.demand_xy[d], k=min(16, len(free)))
        for j in np.atleast_1d(near):
            if not used[j] and (budget is None or spent + problem.cost[free[j]] <= budget):
                used[j] = True
                spent += problem.cost[free[j]]
                out.append(int(free[j]))
                break
    return out


def compare_k(problem: Problem, ks: Iterable[int] = (100, 200, 300), budget: float | None = None,
              bound: str = "lp", time_limit: float = 60.0, threads: int = 1) -> list[Solution]:
    """One solution per K, from one reduction (it depends on the budget, not on K)."""
    t0 = time.perf_counter()
    red = reduce(problem, budget)
    seconds = time.perf_counter() - t0
    out = []
    for k in ks:
        solution = solve(problem, k, budget, bound, time_limit, reduced=red, threads=threads)
        solution.seconds["reduce"] = seconds
        out.append(solution)
    return out


def attribution(problem: Problem, sites: list[int]) -> tuple[np.ndarray, np.ndarray]:
    """Per site of ``sites``: the demand within its reach, and the demand it is the nearest cover of
    (these add up to the coverage)."""
    sites = np.asarray(sites, np.int64)
    sub = problem.cover[:, sites].tocoo()
    within = np.bincount(sub.col, weights=problem.weight[sub.row], minlength=len(sites))
    dist = np.linalg.norm(problem.demand_xy[sub.row] - problem.site_xy[sites[sub.col]], axis=1)
    order = np.lexsort((dist, sub.row))
    rows, cols = sub.row[order], sub.col[order]
    first = np.r_[True, rows[1:] != rows[:-1]] if len(rows) else np.zeros(0, bool)
    nearest = np.bincount(cols[first], weights=problem.weight[rows[first]], minlength=len(sites))
    return within, nearest


def site_table(problem: Problem, solution: Solution) -> pa.Table:
    """The answer as rows: each chosen and fixed site, where it is, and the demand it covers."""
    sites = np.array(solution.fixed + solution.sites, np.int64)
    within, nearest = attribution(problem, sites)
    lon, lat = unproject(problem.site_xy[sites]) if len(sites) else (np.zeros(0), np.zeros(0))
    ids = problem.site_ids[sites] if problem.site_ids is not None else sites.astype(str)
    order = np.r_[np.zeros(len(solution.fixed), np.int64), np.arange(1, len(solution.sites) + 1)]
    return pa.table({
        "k": pa.array(np.full(len(sites), solution.k), pa.int32()),
        "site_id": pa.array([str(i) for i in ids]),
        "is_fixed": pa.array(np.arange(len(sites)) < len(solution.fixed)),
        "pick_order": pa.array(order, pa.int32()),
        "longitude": pa.array(lon), "latitude": pa.array(lat),
        "x_utm48n": pa.array(problem.site_xy[sites, 0]), "y_utm48n": pa.array(problem.site_xy[sites, 1]),
        "cost": pa.array(problem.cost[sites]),
        "demand_within_radius": pa.array(within),
        "demand_attributed": pa.array(nearest),
    })
