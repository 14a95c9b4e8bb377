"""Upper bounds on the best coverage any choice of sites could reach: what makes a gap a gap.

Three, all valid for the reduced problem (plus the fixed sites' constant), the smallest is reported:
* the coverable total: every demand some candidate reaches;
* the submodularity bound: coverage is submodular, so no K-set beats the found set S by more than the
  K largest gains over S (with a budget: the fractional knapsack of those gains, whichever is lower);
* HiGHS: the LP relaxation's optimum, or with a time limit on the MIP, its dual bound (never below the
  optimum). Solver bounds are padded by the solver's tolerance so rounding never makes them optimistic.
"""
from __future__ import annotations

import numpy as np

from analytics.siting.heuristics import uncovered_gains
from analytics.siting.reduce import Reduced

# HiGHS's default primal/dual feasibility tolerance, relative to the total weight
SOLVER_TOLERANCE = 1e-7


def submodular_bound(problem: Reduced, chosen: list[int], k: int, budget: float | None = None) -> float:
    """f(S) + max gain of any K more sites over S (a relaxation of any feasible K-set's value)."""
    counts = (np.asarray(problem.cover[:, chosen].sum(axis=1)).ravel() if chosen
              else np.zeros(problem.cover.shape[0]))
    covered = float(problem.weight[counts > 0].sum())
    gains = uncovered_gains(problem.cover.T.tocsr(), problem.weight, counts)
    top = np.sort(gains)[::-1][:k].sum()
    if budget is not None:
        # fractional knapsack on cost alone (the cardinality limit dropped: another relaxation)
        cost = np.maximum(problem.cost, 1e-12)
        order = np.argsort(-gains / cost)
        spend = np.cumsum(cost[order])
        full = spend <= budget
        knap = gains[order][full].sum()
        nxt = int(full.sum())
        if nxt < len(order):
            knap += gains[order][nxt] * (budget - (spend[nxt - 1] if nxt else 0.0)) / cost[order][nxt]
        top = min(top, knap)
    return covered + float(top)


def _model(problem: Reduced, k: int, budget: float | None, integer: bool):
    """max Σ w_r y_r  s.t.  y_r ≤ Σ_{j covers r} x_j,  Σ x_j ≤ K,  Σ c_j x_j ≤ B,  0 ≤ x, y ≤ 1."""
    import highspy

    a = problem.cover.tocsc()
    n_rows, n_cols = a.shape
    extra = 1 + (budget is not None)
    # x_j's column: -1 in each demand row it covers, then 1 in the count row and c_j in the budget row
    per_col = np.diff(a.indptr)
    x_starts = np.concatenate([[0], np.cumsum(per_col + extra)])
    idx = np.empty(x_starts[-1], np.int32)
    val = np.empty(x_starts[-1])
    body = np.arange(a.nnz) + np.repeat(np.arange(n_cols), per_col) * extra
    idx[body], val[body] = a.indices, -1.0
    tail = x_starts[1:] - extra
    idx[tail], val[tail] = n_rows, 1.0
    if budget is not None:
        idx[tail + 1], val[tail + 1] = n_rows + 1, problem.cost
    # y_r's column: 1 in its own row
    y_starts = x_starts[-1] + np.arange(n_rows + 1)
    lp = highspy.HighsLp()
    lp.num_col_ = n_cols + n_rows
    lp.num_row_ = n_rows + extra
    lp.sense_ = highspy.ObjSense.kMaximize
    lp.col_cost_ = np.concatenate([np.zeros(n_cols), problem.weight])
    lp.col_lower_ = np.zeros(n_cols + n_rows)
    lp.col_upper_ = np.ones(n_cols + n_rows)
    lp.row_lower_ = np.full(n_rows + extra, -highspy.kHighsInf)
    lp.row_upper_ = np.concatenate([np.zeros(n_rows), [float(k)], [float(budget)] if budget is not None else []])
    lp.a_matrix_.format_ = highspy.MatrixFormat.kColwise
    lp.a_matrix_.start_ = np.concatenate([x_starts[:-1], y_starts]).astype(np.int32)
    lp.a_matrix_.index_ = np.concatenate([idx, np.arange(n_rows, dtype=np.int32)])
    lp.a_matrix_.value_ = np.concatenate([val, np.ones(n_rows)])
    if integer:
        lp.integrality_ = [highspy.HighsVarType.kInteger] * n_cols + [highspy.HighsVarType.kContinuous] * n_rows
    return lp


def highs_bound(problem: Reduced, k: int, budget: float | None = None, time_limit: float = 60.0,
                mip: bool = False, start: list[int] | None = None, threads: int = 1) -> dict:
    """HiGHS on the reduced problem: ``bound`` (None when it proved nothing in time), its status, and the
    best integer solution it found (MIP only)."""
    import highspy

    if problem.cover.shape[0] == 0:
        return {"bound": 0.0, "status": "empty", "solution": []}
    h = highspy.Highs()
    h.setOptionValue("output_flag", False)
    h.setOptionValue("time_limit", float(time_limit))
    h.setOptionValue("threads", int(threads))
    h.setOptionValue("random_seed", 0)
    h.passModel(_model(problem, k, budget, integer=mip))
    if mip and start:
        x = np.zeros(problem.cover.shape[1])
        x[start] = 1.0
        y = (np.asarray(problem.cover[:, start].sum(axis=1)).ravel() > 0).astype(float)
        sol = highspy.HighsSolution()
        sol.col_value = list(np.concatenate([x, y]))
        sol.value_valid = True
        h.setSolution(sol)
    h.run()
    status = h.getModelStatus()
    info = h.getInfo()
    pad = SOLVER_TOLERANCE * float(problem.weight.sum())
    name = h.modelStatusToString(status)
    if mip:
        bound = info.mip_dual_bound
        values = np.asarray(h.getSolution().col_value[: problem.cover.shape[1]]) if info.primal_solution_status else []
        solution = [int(j) for j in np.flatnonzero(np.asarray(values) > 0.5)] if len(values) else []
        ok = np.isfinite(bound) and abs(bound) < 1e30
        return {"bound": float(bound) + pad if ok else None, "status": name, "solution": solution}
    if status == highspy.HighsModelStatus.kOptimal:
        return {"bound": float(info.objective_function_value) + pad, "status": name, "solution": []}
    return {"bound": None, "status": name, "solution": []}


def coverable(problem: Reduced) -> float:
    return float(problem.weight.sum())

