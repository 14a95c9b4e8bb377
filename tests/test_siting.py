"""Site choice: every reported coverage recomputed from scratch, never above its certified upper
bound, the gap what it says; swap never loses to greedy; fixed sites and the budget hold; and on
instances small enough to enumerate, the bound is at least the true optimum."""
from __future__ import annotations

import itertools

import duckdb
import networkx as nx
import numpy as np
import pyarrow.compute as pc
import pytest
from analytics_marts import siting_marts

from analytics.siting.coverage import build_problem, euclidean_cover, network_cover
from analytics.siting.demand import DemandWeights, build_candidates, build_demand, public_order_share
from analytics.siting.heuristics import covered_weight, greedy
from analytics.siting.pipeline import choose_sites, run
from analytics.siting.reduce import reduce
from analytics.siting.solve import compare_k, site_table, solve, top_demand_choice
from analytics.siting.synthetic import city_instance


def _recomputed(demand_xy, weight, site_xy, chosen, radius) -> float:
    """Coverage by brute-force distances: no KD-tree, no sparse matrix, no reduction."""
    sites = site_xy[np.asarray(chosen, np.int64)]
    covered = np.zeros(len(weight), bool)
    for start in range(0, len(weight), 2000):
        d = np.linalg.norm(demand_xy[start:start + 2000, None, :] - sites[None, :, :], axis=2)
        covered[start:start + 2000] = (d <= radius).any(axis=1)
    return float(weight[covered].sum())


@pytest.fixture(scope="module")
def medium():
    inst = city_instance(n_demand=3_000, n_sites=600, n_fixed=30, extent_km=20, clusters=40, seed=1, varied_cost=True)
    return inst, build_problem(inst.demand_xy, inst.weight, inst.site_xy, 800.0, inst.cost, inst.fixed)


@pytest.mark.parametrize("bound", ["lp", "mip", "none"])
def test_reported_coverage_gap_and_bound_are_what_they_say(medium, bound):
    inst, problem = medium
    sol = solve(problem, k=25, budget=40.0, bound=bound, time_limit=20)
    chosen = sol.fixed + sol.sites
    truth = _recomputed(inst.demand_xy, inst.weight, inst.site_xy, chosen, 800.0)
    assert sol.coverage == pytest.approx(truth, rel=1e-12)
    assert sol.coverage <= sol.upper_bound
    assert sol.gap == pytest.approx((sol.upper_bound - truth) / sol.upper_bound)
    assert sol.upper_bound == min(sol.bounds.values())
    table = site_table(problem, sol)
    assert table["demand_attributed"].to_numpy().sum() == pytest.approx(truth)
    assert (table["demand_within_radius"].to_numpy() >= table["demand_attributed"].to_numpy() - 1e-9).all()


def test_fixed_sites_always_chosen_and_budget_and_k_respected(medium):
    inst, problem = medium
    for k, budget in ((10, None), (40, 30.0), (25, 12.5)):
        sol = solve(problem, k=k, budget=budget, bound="none")
        assert sorted(sol.fixed) == sorted(np.flatnonzero(inst.fixed).tolist())
        assert len(sol.sites) <= k and not set(sol.sites) & set(sol.fixed)
        assert len(set(sol.sites)) == len(sol.sites)
        if budget is not None:
            assert inst.cost[sol.sites].sum() <= budget + 1e-9
        assert site_table(problem, sol)["is_fixed"].to_numpy().sum() == inst.fixed.sum()


def test_swap_is_never_worse_than_greedy(medium):
    inst, problem = medium
    red = reduce(problem, 30.0)
    for k in (5, 15, 30):
        plain = [int(red.sites[j]) for j in greedy(red, k, 30.0)]
        sol = solve(problem, k=k, budget=30.0, bound="none", reduced=red)
        greedy_truth = _recomputed(inst.demand_xy, inst.weight, inst.site_xy, sol.fixed + plain, 800.0)
        assert sol.coverage >= greedy_truth - 1e-9
        assert sol.coverage >= sol.greedy_coverage - 1e-9


def test_reduction_keeps_the_optimum_and_shrinks_the_problem(medium):
    _, problem = medium
    red = reduce(problem)
    assert red.cover.shape[0] < problem.n_demand and len(red.sites) < (~problem.fixed).sum()
    some = list(range(0, len(red.sites), 7))[:20]
    assert red.constant + covered_weight(red, some) == pytest.approx(problem.coverage_of(red.sites[some]))


@pytest.mark.parametrize("seed", range(6))
def test_bound_is_at_least_the_brute_force_optimum(seed):
    rng = np.random.default_rng(seed)
    demand = rng.uniform(0, 3000, (60, 2))
    weight = rng.lognormal(0, 1, 60)
    sites = rng.uniform(0, 3000, (14, 2))
    cost = rng.choice([1.0, 2.0], 14)
    fixed = np.zeros(14, bool)
    fixed[[0, 1]] = True
    problem = build_problem(demand, weight, sites, 700.0, cost, fixed)
    k, budget = 3, 4.0
    free = np.flatnonzero(~fixed)
    best = 0.0
    for r in range(k + 1):
        for combo in itertools.combinations(free, r):
            if cost[list(combo)].sum() <= budget:
                best = max(best, _recomputed(demand, weight, sites, [0, 1, *combo], 700.0))
    for bound in ("lp", "mip", "none"):
        sol = solve(problem, k, budget, bound=bound, time_limit=10)
        assert sol.coverage <= best + 1e-9
        assert sol.upper_bound >= best - 1e-9, (bound, sol.bounds, best)
    assert solve(problem, k, budget, bound="mip", time_limit=10).coverage == pytest.approx(best)


def test_more_sites_cover_more_and_beat_the_naive_choice(medium):
    _, problem = medium
    sols = compare_k(problem, (10, 20, 40), bound="lp", time_limit=20)
    coverages = [s.coverage for s in sols]
    assert coverages == sorted(coverages)
    for sol in sols:
        assert sol.coverage >= problem.coverage_of(top_demand_choice(problem, sol.k))


def test_street_distance_covers_no_more_than_straight_lines():
    graph = nx.grid_2d_graph(6, 6)
    graph = nx.relabel_nodes(graph, {n: i for i, n in enumerate(graph.nodes)})
    for i, (x, y) in enumerate(itertools.product(range(6), range(6))):
        graph.nodes[i]["x"], graph.nodes[i]["y"] = x * 200.0, y * 200.0
    nx.set_edge_attributes(graph, 200.0, "length")
    demand = np.array([[0, 0], [400, 400], [1000, 0], [200, 200]], float)
    sites = np.array([[0, 0], [1000, 1000]], float)
    street = network_cover(demand, sites, 600.0, graph).toarray()
    straight = euclidean_cover(demand, sites, 600.0).toarray()
    assert (street <= straight).all()
    assert straight[1, 0] and not street[1, 0]          # 566 m as the crow flies, 800 m by the streets
    assert street[3, 0]                                 # 400 m by the streets


def test_demand_and_candidates_from_the_marts():
    marts = siting_marts()
    weights = DemandWeights(points_per_ward=10)
    demand = build_demand(marts["rpt_ward_overview"], marts["rpt_incident_hotspots"],
                          marts["dim_health_facilities"], marts["rpt_hotline_response"], weights)
    by_source = demand.group_by("source").aggregate([("weight", "sum")]).to_pydict()
    totals = dict(zip(by_source["source"], by_source["weight_sum"]))
    pupils = sum(marts["rpt_ward_overview"]["pupils"].to_pylist())
    assert totals["residents"] == pytest.approx(pupils * weights.people_per_pupil)
    assert public_order_share(marts["rpt_hotline_response"]) == pytest.approx(0.5)
    contacts = sum(marts["rpt_ward_overview"]["hotline_contacts_12m"].to_pylist())
    assert totals["complaints"] == pytest.approx(contacts * 0.5 * weights.per_complaint)
    alerts = sum(marts["rpt_incident_hotspots"]["alerts"].to_pylist())
    assert totals["incidents"] == pytest.approx(alerts * weights.per_alert)
    candidates = build_candidates(marts["dim_cameras"], None, demand, grid_spacing_m=1000)
    cams = candidates.filter(pc.equal(candidates["kind"], "camera"))
    assert cams.num_rows == 16 and all(cams["is_fixed"].to_pylist()) and set(cams["cost"].to_pylist()) == {0.0}
    sites, summary = choose_sites(demand, candidates, ks=(3, 6), radius_m=1000.0, bound="lp", time_limit=10)
    assert summary["k"].to_pylist() == [3, 6]
    for row in summary.to_pylist():
        assert row["coverage"] <= row["upper_bound"] and row["naive_top_demand_coverage"] <= row["upper_bound"]
    assert set(sites["kind"].to_pylist()) <= {"camera", "grid"}


def test_run_writes_sites_and_summary(tmp_path):
    from citylake import catalog, delta
    from citylake.settings import Settings

    settings = Settings(run_dir=tmp_path)
    settings.warehouse_duckdb.parent.mkdir(parents=True)
    con = duckdb.connect(str(settings.warehouse_duckdb))
    for name, table in siting_marts().items():
        con.register("t", table)
        con.execute(f"create table main.{name} as select * from t")
        con.unregister("t")
    con.close()
    summary = run(settings, ks=(2, 4), radius_m=800.0, weights=DemandWeights(points_per_ward=8))
    written = delta.read_arrow(catalog.gold_uri(settings, "siting", "summary")).to_pandas()
    sites = delta.read_arrow(catalog.gold_uri(settings, "siting", "sites")).to_pandas()
    assert written["k"].tolist() == [2, 4] == summary["k"].to_pylist()
    assert (written["coverage"] <= written["upper_bound"]).all()
    assert sites.groupby("k")["is_fixed"].sum().eq(16).all()
    assert sites.groupby("k")["demand_attributed"].sum().round(6).tolist() == written["coverage"].round(6).tolist()
