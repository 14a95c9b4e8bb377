"""A city-scale site-selection instance: clustered demand, candidates along where people are.

Demand gathers in dense clusters (markets, schools, junctions) over a thinner background, like the
city's; candidates sit mostly near demand (street intersections, poles) and partly anywhere; a share
of candidates are existing cameras (fixed). Deterministic by seed.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from analytics.siting.geometry import project

# the historic core of Ho Chi Minh City (Bến Thành)
CENTRE_LON, CENTRE_LAT = 106.698, 10.772


@dataclass
class Instance:
    demand_xy: np.ndarray
    weight: np.ndarray
    site_xy: np.ndarray
    cost: np.ndarray
    fixed: np.ndarray


def city_instance(n_demand: int = 20_000, n_sites: int = 5_000, n_fixed: int = 200, extent_km: float = 60.0,
                  clusters: int = 300, seed: int = 42, varied_cost: bool = False) -> Instance:
    rng = np.random.default_rng(seed)
    centre = project([CENTRE_LON], [CENTRE_LAT])[0]
    half = extent_km * 500.0
    # cluster centres pulled towards the core; sizes and spreads vary
    cx = centre + rng.normal(0, half / 2.5, (clusters, 2)).clip(-half, half)
    size = rng.pareto(1.5, clusters) + 1
    spread = rng.uniform(300, 2500, clusters)
    n_clustered = int(n_demand * 0.8)
    which = rng.choice(clusters, n_clustered, p=size / size.sum())
    clustered = cx[which] + rng.normal(0, 1, (n_clustered, 2)) * spread[which, None]
    background = centre + rng.uniform(-half, half, (n_demand - n_clustered, 2))
    demand = np.vstack([clustered, background])
    weight = np.round(rng.lognormal(2.0, 1.0, n_demand), 1)
    near = int(n_sites * 0.7)
    picks = rng.choice(n_demand, near, replace=False)
    sites = np.vstack([demand[picks] + rng.normal(0, 150, (near, 2)),
                       centre + rng.uniform(-half, half, (n_sites - near, 2))])
    cost = rng.choice([1.0, 2.0, 3.0], n_sites, p=[0.6, 0.3, 0.1]) if varied_cost else np.ones(n_sites)
    fixed = np.zeros(n_sites, bool)
    fixed[rng.choice(n_sites, n_fixed, replace=False)] = True
    cost[fixed] = 0.0
    return Instance(demand, weight, sites, cost, fixed)
