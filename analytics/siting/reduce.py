"""Making the covering problem small before solving it (after Lv et al., EJOR 2025).

* demand already covered by a fixed site counts whatever is chosen: it leaves the problem as a constant;
* demand no candidate reaches cannot count: it leaves too;
* demand points covered by exactly the same candidates are one point with their summed weight;
* a candidate whose covered demand is a subset of another's, at no lower cost, is dominated: swapping
  it for the other never loses coverage nor breaks the budget, so some optimum does without it.
The last two feed each other (dropping a candidate makes more rows identical), so they repeat until
nothing changes. The optimum of the reduced problem plus the constant is the original optimum.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import scipy.sparse as sp

from analytics.siting.coverage import Problem


@dataclass
class Reduced:
    cover: sp.csr_matrix          # aggregated demand rows × kept candidates
    weight: np.ndarray
    cost: np.ndarray
    sites: np.ndarray             # kept candidates' indices in the original problem
    constant: float               # weight covered by the fixed sites
    stats: dict = field(default_factory=dict)

    @property
    def csc(self) -> sp.csc_matrix:
        return self.cover.tocsc()


def _aggregate_rows(cover: sp.csr_matrix, weight: np.ndarray) -> tuple[sp.csr_matrix, np.ndarray]:
    """One row per distinct column pattern, weights summed."""
    cover = cover.tocsr()
    cover.sort_indices()
    keys = [cover.indices[cover.indptr[i]:cover.indptr[i + 1]].tobytes() for i in range(cover.shape[0])]
    _, first, inverse = np.unique(np.array(keys, dtype=object), return_index=True, return_inverse=True)
    merged = np.bincount(inverse, weights=weight, minlength=len(first))
    return cover[first], merged


def _dominated(cover: sp.csr_matrix, cost: np.ndarray) -> np.ndarray:
    """Columns covered by another column at no lower cost (ties: the higher index goes)."""
    a = cover.tocsc().astype(np.int32)
    size = np.asarray(a.sum(axis=0)).ravel()
    overlap = (a.T @ a).tocoo()
    j, k, common = overlap.row, overlap.col, overlap.data
    contains = (j != k) & (common == size[j]) & (cost[k] <= cost[j])
    strictly = (size[k] > size[j]) | (cost[k] < cost[j]) | (k < j)
    out = np.zeros(cover.shape[1], bool)
    out[j[contains & strictly]] = True
    return out


def reduce(problem: Problem, budget: float | None = None) -> Reduced:
    """The reduced problem; ``budget`` also drops candidates that cost more than it on their own."""
    cover = problem.cover.tocsr()
    weight = problem.weight
    fixed = problem.fixed
    by_fixed = (np.asarray(cover[:, np.flatnonzero(fixed)].sum(axis=1)).ravel() > 0 if fixed.any()
                else np.zeros(problem.n_demand, bool))
    constant = float(weight[by_fixed].sum())
    stats = {"demand_points": problem.n_demand, "candidates": int((~fixed).sum()),
             "covered_by_fixed": constant}

    keep_cols = ~fixed & (problem.cost <= (np.inf if budget is None else budget))
    keep_rows = ~by_fixed & (weight > 0)
    cover = cover[keep_rows][:, np.flatnonzero(keep_cols)]
    weight = weight[keep_rows]
    sites = np.flatnonzero(keep_cols)
    cost = problem.cost[sites]
    while True:
        reachable = np.diff(cover.indptr) > 0
        cover, weight = cover[reachable], weight[reachable]
        cover, weight = _aggregate_rows(cover, weight)
        useful = np.asarray(cover.sum(axis=0)).ravel() > 0
        drop = ~useful | _dominated(cover, cost)
        if not drop.any():
            break
        keep = np.flatnonzero(~drop)
        cover, sites, cost = cover[:, keep], sites[keep], cost[keep]
    stats |= {"demand_rows": cover.shape[0], "candidates_kept": len(sites), "nonzeros": int(cover.nnz)}
    return Reduced(cover.tocsr(), weight, cost, sites, constant, stats)
