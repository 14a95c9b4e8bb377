"""Choosing K sites to monitor at city scale: coverage, certified upper bound, gap, the naive choice, time.

A generated instance (``analytics.siting.synthetic``): clustered demand points over the merged city's
extent, candidates mostly near demand (intersections, poles), some of them existing cameras (fixed).
For K = 100, 200, 300 new sites within the radius: the answer's coverage (greedy, then swaps), the
best upper bound any answer could reach (HiGHS on the reduced problem's LP relaxation, or the
submodular bound if lower), the gap between them, the naive answer (a site at each of the K heaviest
demand points), and the time of every step.

    .venv/bin/python bench/bench_siting.py --demand 20000 --candidates 5000 --radius 1000
"""
from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
os.environ.setdefault("CITYLAKE_RUN_DIR", str(REPO / ".run" / "bench-siting"))
sys.path.insert(0, str(REPO))

from analytics.siting.coverage import build_problem  # noqa: E402
from analytics.siting.reduce import reduce  # noqa: E402
from analytics.siting.solve import solve, top_demand_choice  # noqa: E402
from analytics.siting.synthetic import city_instance  # noqa: E402
from citylake.settings import Settings  # noqa: E402


def load() -> str:
    return "load average " + ", ".join(f"{x:.2f}" for x in os.getloadavg())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--demand", type=int, default=20_000)
    parser.add_argument("--candidates", type=int, default=5_000)
    parser.add_argument("--fixed", type=int, default=200, help="existing cameras among the candidates")
    parser.add_argument("--radius", type=float, default=1000.0, help="metres")
    parser.add_argument("--k", type=int, nargs="+", default=[100, 200, 300])
    parser.add_argument("--budget", type=float, default=None, help="with varied site costs (1, 2 or 3)")
    parser.add_argument("--bound", choices=["lp", "mip", "none"], default="lp")
    parser.add_argument("--time-limit", type=float, default=300.0, help="seconds for HiGHS and for the swaps")
    parser.add_argument("--seed", type=int, default=42)
    args = parser.parse_args()

    print(f"bench_siting: {args.demand:,} demand points × {args.candidates:,} candidates ({args.fixed} fixed), "
          f"radius {args.radius:.0f} m, K = {args.k}, bound {args.bound}; {os.cpu_count()} cores; {load()}", flush=True)
    t0 = time.perf_counter()
    inst = city_instance(args.demand, args.candidates, args.fixed, seed=args.seed, varied_cost=args.budget is not None)
    t_gen = time.perf_counter() - t0
    t0 = time.perf_counter()
    problem = build_problem(inst.demand_xy, inst.weight, inst.site_xy, args.radius, inst.cost, inst.fixed)
    t_cover = time.perf_counter() - t0
    t0 = time.perf_counter()
    red = reduce(problem, args.budget)
    t_reduce = time.perf_counter() - t0
    s = red.stats
    print(f"generate {t_gen:.2f} s; coverage matrix {t_cover:.2f} s ({problem.cover.nnz:,} pairs within the radius); "
          f"reduce {t_reduce:.2f} s: demand {s['demand_points']:,} → {s['demand_rows']:,} rows "
          f"(fixed sites cover {100 * s['covered_by_fixed'] / problem.weight.sum():.1f} % of the weight), "
          f"candidates {s['candidates']:,} → {s['candidates_kept']:,}, {s['nonzeros']:,} pairs left", flush=True)

    rows = []
    for k in args.k:
        sol = solve(problem, k, args.budget, bound=args.bound, time_limit=args.time_limit, reduced=red)
        t0 = time.perf_counter()
        naive = problem.coverage_of(top_demand_choice(problem, k, args.budget))
        t_naive = time.perf_counter() - t0
        row = sol.summary() | {"naive_top_demand_pct": 100 * naive / sol.total_demand, "seconds_naive": t_naive,
                               "seconds_solve_total": sum(v for key, v in sol.seconds.items() if key != "reduce")}
        rows.append(row)
        print(f"   K={k}: {row['coverage_pct']:.2f} % covered, bound {row['upper_bound_pct']:.2f} % "
              f"({row['bound_source']}), gap {row['gap_pct']:.2f} %; {load()}", flush=True)

    print(f"\n   {'K':>4}{'greedy %':>10}{'+swap %':>9}{'bound %':>9}{'gap %':>7}{'bound from':>12}{'naive %':>9}"
          f"{'greedy s':>10}{'swap s':>8}{'HiGHS s':>9}{'swaps':>7}")
    for r in rows:
        highs = r.get(f"seconds_highs_{args.bound}", 0.0)
        print(f"   {r['k']:>4}{r['greedy_coverage_pct']:10.2f}{r['coverage_pct']:9.2f}{r['upper_bound_pct']:9.2f}"
              f"{r['gap_pct']:7.2f}{r['bound_source']:>12}{r['naive_top_demand_pct']:9.2f}"
              f"{r['seconds_greedy']:10.2f}{r['seconds_swap']:8.2f}{highs:9.1f}{r['swaps']:7d}")
    result = {"demand": args.demand, "candidates": args.candidates, "fixed": args.fixed, "radius_m": args.radius,
              "budget": args.budget, "bound": args.bound, "seconds": {"generate": t_gen, "coverage": t_cover,
                                                                      "reduce": t_reduce},
              "reduction": s, "results": rows, "load_average_end": os.getloadavg()}
    print(load())
    out = Settings().reports_dir / (f"bench_siting-{args.demand}x{args.candidates}-fixed{args.fixed}"
                                    f"-r{args.radius:.0f}-{args.bound}.json")
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(result, indent=2, default=float))
    print(f"wrote {out}")


if __name__ == "__main__":
    main()
