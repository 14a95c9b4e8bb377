"""Greedy construction and 1-exchange (swap) improvement on a reduced covering problem.

Greedy adds the candidate with the largest uncovered weight (or, when costs differ, also tries the
largest weight per unit cost, and keeps the better), until K sites are chosen or nothing affordable
adds coverage. Swap then replaces a chosen site by an unchosen one whenever that covers more, within
the budget, until no single exchange helps: a local optimum at least as good as greedy's answer.
"""
from __future__ import annotations

import time

import numpy as np
import scipy.sparse as sp

from analytics.siting.reduce import Reduced

EPS = 1e-9


def uncovered_gains(cover_t: sp.csr_matrix, weight: np.ndarray, counts: np.ndarray) -> np.ndarray:
    """Uncovered weight each candidate would add."""
    return cover_t @ (weight * (counts == 0))


def greedy(problem: Reduced, k: int, budget: float | None = None, by_ratio: bool = False) -> list[int]:
    """Greedy picks (column indices of the reduced problem), in the order they were made."""
    cover, cover_t = problem.cover, problem.cover.T.tocsr()
    cost = problem.cost
    counts = np.zeros(cover.shape[0], np.int32)
    gains = uncovered_gains(cover_t, problem.weight, counts)
    left = np.inf if budget is None else float(budget)
    chosen: list[int] = []
    available = np.ones(cover.shape[1], bool)
    while len(chosen) < k:
        ok = available & (cost <= left + EPS) & (gains > EPS)
        if not ok.any():
            break
        score = gains / np.maximum(cost, EPS) if by_ratio else gains
        j = int(np.argmax(np.where(ok, score, -np.inf)))
        chosen.append(j)
        available[j] = False
        left -= cost[j]
        rows = cover_t.indices[cover_t.indptr[j]:cover_t.indptr[j + 1]]
        new = rows[counts[rows] == 0]
        counts[rows] += 1
        if len(new):
            gains -= cover[new].T @ problem.weight[new]
    return chosen


def best_greedy(problem: Reduced, k: int, budget: float | None = None) -> list[int]:
    """Plain greedy, and cost-ratio greedy where costs differ: the one covering more."""
    runs = [greedy(problem, k, budget)]
    if budget is not None and np.ptp(problem.cost) > 0:
        runs.append(greedy(problem, k, budget, by_ratio=True))
    return max(runs, key=lambda s: covered_weight(problem, s))


def covered_weight(problem: Reduced, chosen) -> float:
    if len(chosen) == 0:
        return 0.0
    hit = np.asarray(problem.cover[:, list(chosen)].sum(axis=1)).ravel() > 0
    return float(problem.weight[hit].sum())


def swap(problem: Reduced, start: list[int], budget: float | None = None, time_limit: float = 60.0,
         max_passes: int = 50) -> tuple[list[int], int]:
    """1-exchange local search from ``start``; returns the improved set and the swaps made."""
    cover, cover_t = problem.cover, problem.cover.T.tocsr()
    weight, cost = problem.weight, problem.cost
    chosen = list(start)
    in_set = np.zeros(cover.shape[1], bool)
    in_set[chosen] = True
    counts = np.zeros(cover.shape[0], np.int32)
    if chosen:
        counts += np.asarray(cover[:, chosen].sum(axis=1)).ravel().astype(np.int32)
    spent = float(cost[chosen].sum())
    limit = np.inf if budget is None else float(budget)
    deadline = time.monotonic() + time_limit
    swaps = 0
    for _ in range(max_passes):
        improved = False
        gains = uncovered_gains(cover_t, weight, counts)
        for pos in range(len(chosen)):
            if time.monotonic() > deadline:
                return chosen, swaps
            i = chosen[pos]
            rows_i = cover_t.indices[cover_t.indptr[i]:cover_t.indptr[i + 1]]
            unique = rows_i[counts[rows_i] == 1]
            loss = weight[unique].sum()
            regained = cover[unique].T @ weight[unique] if len(unique) else 0.0
            value = gains + regained - loss
            feasible = ~in_set & (spent - cost[i] + cost <= limit + EPS)
            value = np.where(feasible, value, -np.inf)
            j = int(np.argmax(value))
            if value[j] <= EPS * max(1.0, loss):
                continue
            rows_j = cover_t.indices[cover_t.indptr[j]:cover_t.indptr[j + 1]]
            counts[rows_i] -= 1
            counts[rows_j] += 1
            in_set[i], in_set[j] = False, True
            chosen[pos] = j
            spent += cost[j] - cost[i]
            swaps += 1
            improved = True
            gains = uncovered_gains(cover_t, weight, counts)
        if not improved:
            break
    return chosen, swaps
