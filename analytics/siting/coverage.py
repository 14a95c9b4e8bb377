"""Who covers whom, built sparsely: a demand × candidate incidence matrix, never a dense one.

Straight-line coverage queries a KD-tree of the demand points once per candidate; street coverage
runs a Dijkstra bounded by the radius from each candidate's nearest street node.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp
from scipy.spatial import cKDTree


@dataclass
class Problem:
    """A maximal covering location problem in projected metres.

    ``cover`` is the boolean CSR incidence (demand rows × candidate columns); fixed candidates are
    in every solution (existing cameras) and cost nothing against the budget.
    """

    demand_xy: np.ndarray
    weight: np.ndarray
    site_xy: np.ndarray
    cost: np.ndarray
    fixed: np.ndarray
    radius: float
    cover: sp.csr_matrix
    site_ids: np.ndarray | None = None

    @property
    def n_demand(self) -> int:
        return len(self.weight)

    @property
    def n_sites(self) -> int:
        return len(self.cost)

    def coverage_of(self, sites) -> float:
        """Weight of the demand covered by ``sites`` (column indices) and the fixed sites."""
        cols = np.union1d(np.asarray(sites, dtype=np.int64), np.flatnonzero(self.fixed))
        if len(cols) == 0:
            return 0.0
        hit = np.asarray(self.cover[:, cols].sum(axis=1)).ravel() > 0
        return float(self.weight[hit].sum())


def _incidence(lists, n_rows: int, n_cols: int) -> sp.csr_matrix:
    """Column j's row list → CSR rows × columns."""
    lengths = np.fromiter((len(x) for x in lists), np.int64, n_cols)
    rows = np.concatenate([np.asarray(x, np.int64) for x in lists]) if lengths.sum() else np.zeros(0, np.int64)
    cols = np.repeat(np.arange(n_cols), lengths)
    m = sp.csr_matrix((np.ones(len(rows), bool), (rows, cols)), shape=(n_rows, n_cols))
    m.sum_duplicates()
    return m


def euclidean_cover(demand_xy: np.ndarray, site_xy: np.ndarray, radius: float) -> sp.csr_matrix:
    tree = cKDTree(demand_xy)
    lists = tree.query_ball_point(site_xy, r=radius, return_sorted=False)
    return _incidence(lists, len(demand_xy), len(site_xy))


def network_cover(demand_xy: np.ndarray, site_xy: np.ndarray, radius: float, graph,
                  weight: str = "length") -> sp.csr_matrix:
    """Coverage by street distance: walk to the nearest node, along the streets, off at the nearest node.

    ``graph`` is a networkx graph whose nodes carry projected ``x``/``y`` (metres) and whose edges
    carry ``weight`` in metres.
    """
    import networkx as nx

    nodes = np.array(list(graph.nodes))
    node_xy = np.array([[graph.nodes[n]["x"], graph.nodes[n]["y"]] for n in nodes], float)
    tree = cKDTree(node_xy)
    d_snap, d_node = tree.query(demand_xy)
    s_snap, s_node = tree.query(site_xy)
    by_node: dict[int, np.ndarray] = {}
    order = np.argsort(d_node, kind="stable")
    bounds = np.searchsorted(d_node[order], np.arange(len(nodes) + 1))
    for i in np.unique(d_node):
        by_node[int(i)] = order[bounds[i]:bounds[i + 1]]
    index_of = {n: i for i, n in enumerate(nodes)}
    lists = []
    for j in range(len(site_xy)):
        budget = radius - s_snap[j]
        if budget < 0:
            lists.append([])
            continue
        reach = nx.single_source_dijkstra_path_length(graph, nodes[s_node[j]], cutoff=budget, weight=weight)
        hits = []
        for node, dist in reach.items():
            members = by_node.get(index_of[node])
            if members is not None:
                hits.append(members[dist + d_snap[members] <= radius])
        lists.append(np.concatenate(hits) if hits else [])
    return _incidence(lists, len(demand_xy), len(site_xy))


def build_problem(demand_xy: np.ndarray, weight: np.ndarray, site_xy: np.ndarray, radius: float,
                  cost: np.ndarray | None = None, fixed: np.ndarray | None = None, graph=None,
                  site_ids: np.ndarray | None = None) -> Problem:
    """The problem on projected coordinates; ``graph`` switches coverage to street distance."""
    m = len(site_xy)
    cost = np.ones(m) if cost is None else np.asarray(cost, float)
    fixed = np.zeros(m, bool) if fixed is None else np.asarray(fixed, bool)
    weight = np.asarray(weight, float)
    if (weight < 0).any() or (cost < 0).any():
        raise ValueError("demand weights and site costs must be non-negative")
    cover = (euclidean_cover(demand_xy, site_xy, radius) if graph is None
             else network_cover(demand_xy, site_xy, radius, graph))
    return Problem(np.asarray(demand_xy, float), weight, np.asarray(site_xy, float), cost, fixed, float(radius),
                   cover, site_ids)
