"""Network analyses of the city's infrastructure, from the spatial silver tables to gold tables.

* **Power N-1** (pandapower): the 22 kV grid as a pandapower net (a 110 kV external grid and a
  110/22 kV transformer per substation, the feeder segments as cables, the distribution transformers'
  customers as loads, normally-open tie lines out of service). Each single outage — a 110/22 kV
  substation, or a feeder's breaker (its first segment) — is applied in turn: the buses
  ``pandapower.topology.unsupplied_buses`` reports give the customers who lose supply; then the tie
  lines are closed (the operators' restoration) and what stays dark is unrestorable, and a power flow
  of the restored grid gives the worst cable loading. A ward is *at risk* when some single outage
  leaves customers there without supply even after restoration.
* **Water** (WNTR, EPANET): junction pressures at peak demand (×1.6 of the base demand) with the plants
  as fixed-head reservoirs and Hazen–Williams roughness by material and age; a junction below the
  10 m service pressure is in deficit. Break risk per pipe: a base rate per km-year by material, growing
  3 % a year with age, 1.5× for small mains — the expected breaks per year.
* **Post and telecom coverage** (networkx): the share of households (VNPost's delivery points)
  within 1.5 km of a post office *along the streets*, and within 1 km of an antenna site (as the crow
  flies: radio), per 2025 ward.
"""

from __future__ import annotations

import math
import warnings

import networkx as nx
import numpy as np
import pandas as pd
import pyarrow as pa

from citylake import delta
from citylake.catalog import gold_uri, silver_uri
from citylake.settings import Settings, get_settings

DOMAIN = "infrastructure"
PEAK_FACTOR = 1.6
MIN_PRESSURE_M = 10.0
POST_REACH_M = 1500.0
ANTENNA_REACH_M = 1000.0
# Hazen-Williams C when new, and breaks per km-year at 20 years, by material
HAZEN_C = {"cast_iron": 100, "asbestos_cement": 120, "steel": 110, "upvc": 145, "ductile_iron": 130, "hdpe": 150}
BREAK_RATE = {
    "cast_iron": 0.35,
    "asbestos_cement": 0.30,
    "steel": 0.20,
    "upvc": 0.15,
    "ductile_iron": 0.06,
    "hdpe": 0.05,
}
UNKNOWN_MATERIAL_C, UNKNOWN_MATERIAL_RATE, DEFAULT_DIAMETER_MM = 110, 0.25, 150


def _silver(settings: Settings, domain: str, table: str) -> pd.DataFrame:
    return delta.read_arrow(silver_uri(settings, domain, table)).to_pandas()


def _write(settings: Settings, name: str, df: pd.DataFrame) -> int:
    delta.write_arrow(
        pa.Table.from_pandas(df, preserve_index=False),
        gold_uri(settings, DOMAIN, name),
        mode="overwrite",
        schema_mode="overwrite",
        metadata={"citylake.job": f"networks.{name}"},
    )
    return len(df)


# -- power --


def power_net(settings: Settings):
    """(pandapower net, bus index by node id, transformers frame, tie line indices, feeder breaker line per feeder)."""
    import pandapower as pp

    segs = _silver(settings, "power", "feeder_segments")
    subs = _silver(settings, "power", "substations")
    trafos = _silver(settings, "power", "transformers")
    net = pp.create_empty_network()
    nodes = sorted(set(segs.from_node) | set(segs.to_node) | set(trafos.node_id))
    bus = {n: pp.create_bus(net, vn_kv=22.0, name=n) for n in nodes}
    sources = subs[subs.voltage == "110/22kV"]
    for row in sources.itertuples():
        if row.node_id not in bus:
            continue
        hv = pp.create_bus(net, vn_kv=110.0, name=f"{row.substation_code}-110")
        pp.create_ext_grid(net, hv, name=row.substation_code)
        pp.create_transformer(net, hv, bus[row.node_id], std_type="63 MVA 110/20 kV", name=row.substation_code)
    ties, breakers = [], {}
    source_nodes = set(sources.node_id)
    for row in segs.itertuples():
        line = pp.create_line_from_parameters(
            net,
            bus[row.from_node],
            bus[row.to_node],
            length_km=max(float(row.length_m or 1) / 1000, 0.001),
            r_ohm_per_km=0.125,
            x_ohm_per_km=0.11,
            c_nf_per_km=300,
            max_i_ka=0.42,
            name=row.segment_code,
            in_service=row.switch_state == "closed",
        )
        if row.switch_state == "open":
            ties.append(line)
        elif row.from_node in source_nodes and row.feeder_code:
            breakers[row.feeder_code] = line
    customers = trafos.customers.fillna(trafos.customers.median()).astype(int)
    trafos = trafos.assign(customers=customers)
    for row in trafos.itertuples():
        kva = float(row.capacity_kva or 400)
        pp.create_load(net, bus[row.node_id], p_mw=kva * 0.6 / 1000, q_mvar=kva * 0.2 / 1000, name=row.transformer_code)
    return net, bus, trafos, ties, breakers


def power_n1(settings: Settings | None = None) -> dict[str, int]:
    """The N-1 contingency tables (``power_n1_contingencies``, ``power_n1_wards``)."""
    import pandapower as pp
    import pandapower.topology as top

    settings = settings or get_settings()
    net, bus, trafos, ties, breakers = power_net(settings)
    customers_at = trafos.groupby("node_id").customers.sum()
    ward_at = trafos.groupby("node_id").ward_code_2025.first()
    names = net.bus.name

    def dark(net) -> set[str]:
        return {names[b] for b in top.unsupplied_buses(net) if names[b] in bus}

    already = dark(net)  # dark before any outage (a segment quarantined upstream): not the contingency's doing
    contingencies = [("substation", row.name, ("trafo", row.Index)) for row in net.trafo.itertuples()]
    contingencies += [("feeder", code, ("line", line)) for code, line in sorted(breakers.items())]
    rows, lost_by_ward = [], {}
    for kind, code, (element, idx) in contingencies:
        net[element].at[idx, "in_service"] = False
        lost = dark(net) - already
        net.line.loc[ties, "in_service"] = True  # restoration: close the normally-open ties
        still = dark(net) - already
        loading = None
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            try:
                pp.runpp(net, numba=False)
                loading = float(net.res_line.loading_percent.max())
            except Exception:  # noqa: BLE001 -- a restored grid that does not converge is reported as such
                loading = None
        net.line.loc[ties, "in_service"] = False
        net[element].at[idx, "in_service"] = True
        wards = sorted({ward_at[n] for n in lost if n in ward_at and ward_at[n]})
        for n in still:
            if n in ward_at and ward_at[n]:
                lost_by_ward.setdefault(ward_at[n], {}).setdefault(code, 0)
                lost_by_ward[ward_at[n]][code] += int(customers_at.get(n, 0))
        rows.append(
            {
                "element_type": kind,
                "element_code": code,
                "customers_lost": int(sum(customers_at.get(n, 0) for n in lost)),
                "customers_unrestorable": int(sum(customers_at.get(n, 0) for n in still)),
                "wards_affected": ",".join(wards),
                "ward_count": len(wards),
                "max_line_loading_pct_restored": loading,
            }
        )
    rows.append(
        {
            "element_type": "none (base case)",
            "element_code": "-",
            "customers_lost": int(sum(customers_at.get(n, 0) for n in already)),
            "customers_unrestorable": int(sum(customers_at.get(n, 0) for n in already)),
            "wards_affected": ",".join(sorted({ward_at[n] for n in already if n in ward_at and ward_at[n]})),
            "ward_count": len({ward_at[n] for n in already if n in ward_at}),
            "max_line_loading_pct_restored": None,
        }
    )
    contingency = pd.DataFrame(rows)
    by_ward = trafos.groupby(["ward_code_2025", "ward_name_2025"]).customers.sum().reset_index()
    by_ward["worst_unrestorable_customers"] = [
        max(lost_by_ward.get(w, {}).values(), default=0) for w in by_ward.ward_code_2025
    ]
    by_ward["contingencies_leaving_customers_dark"] = [len(lost_by_ward.get(w, {})) for w in by_ward.ward_code_2025]
    by_ward["at_risk"] = by_ward.worst_unrestorable_customers > 0
    return {
        "power_n1_contingencies": _write(settings, "power_n1_contingencies", contingency),
        "power_n1_wards": _write(settings, "power_n1_wards", by_ward),
    }


# -- water --


def water(settings: Settings | None = None) -> dict[str, int]:
    """Peak-hour pressures (``water_pressure``) and pipe break risk (``water_pipe_risk``)."""
    import wntr

    settings = settings or get_settings()
    pipes = _silver(settings, "water", "pipes")
    junctions = _silver(settings, "water", "junctions").set_index("node_id")
    plants = _silver(settings, "water", "plants").set_index("node_id")
    year = pd.Timestamp.now().year
    wn = wntr.network.WaterNetworkModel()
    elevation = float(junctions.elevation_m.median())
    for node in sorted(set(pipes.from_node) | set(pipes.to_node)):
        if node in plants.index:
            p = plants.loc[node]
            wn.add_reservoir(node, base_head=float(p.head_m or 40) + elevation, coordinates=(p.longitude, p.latitude))
        elif node in junctions.index:
            j = junctions.loc[node]
            wn.add_junction(
                node,
                base_demand=float(j.base_demand_m3h or 0) / 3600,
                elevation=float(j.elevation_m) if pd.notna(j.elevation_m) else elevation,
                coordinates=(j.longitude, j.latitude),
            )
        else:  # a node only the pipes know (its junction row was quarantined)
            wn.add_junction(node, base_demand=0.0, elevation=elevation)
    age = (year - pipes.install_year.fillna(pipes.install_year.median())).clip(lower=0)
    diameter = pipes.diameter_mm.fillna(DEFAULT_DIAMETER_MM)
    for row, a, d in zip(pipes.itertuples(), age, diameter):
        c = HAZEN_C.get(row.material, UNKNOWN_MATERIAL_C) - 0.5 * a  # roughness grows with age
        wn.add_pipe(
            row.pipe_code,
            row.from_node,
            row.to_node,
            length=max(float(row.length_m or 1), 1.0),
            diameter=float(d) / 1000,
            roughness=max(c, 40),
        )
    wn.options.hydraulic.demand_multiplier = PEAK_FACTOR
    wn.options.time.duration = 0
    results = wntr.sim.EpanetSimulator(wn).run_sim(file_prefix=str(settings.run_dir / "tmp" / "wntr_peak"))
    pressure = results.node["pressure"].iloc[0]
    rows = [
        {
            "node_id": n,
            "ward_code_2025": junctions.ward_code_2025.get(n),
            "pressure_m": float(pressure[n]),
            "deficit": bool(pressure[n] < MIN_PRESSURE_M),
        }
        for n in wn.junction_name_list
    ]
    rate = pipes.material.map(BREAK_RATE).fillna(UNKNOWN_MATERIAL_RATE)
    risk = pipes[["pipe_code", "material", "ward_code_2025", "ward_name_2025"]].assign(
        diameter_mm=diameter.astype(int),
        age_years=age.astype(int),
        expected_breaks_per_year=(
            rate * np.exp(0.03 * (age - 20)) * np.where(diameter <= 150, 1.5, 1.0) * pipes.length_m.fillna(0) / 1000
        ).round(4),
    )
    return {
        "water_pressure": _write(settings, "water_pressure", pd.DataFrame(rows)),
        "water_pipe_risk": _write(settings, "water_pipe_risk", risk),
    }


# -- post and telecom coverage --


def _metres(lon: np.ndarray, lat: np.ndarray) -> np.ndarray:
    """A local equirectangular plane (metres): enough for kilometre distances inside one city."""
    k = math.cos(math.radians(10.8))
    return np.column_stack([lon * 111_320 * k, lat * 110_570])


def coverage(settings: Settings | None = None) -> dict[str, int]:
    """Share of households per ward within reach of a post office (street distance) and of an antenna."""
    from scipy.spatial import cKDTree

    settings = settings or get_settings()
    streets = _silver(settings, "streets", "street_segments")
    nodes = _silver(settings, "streets", "street_segments_nodes")
    offices = _silver(settings, "post", "post_offices")
    points = _silver(settings, "post", "delivery_points")
    sites = _silver(settings, "telecom", "antenna_sites")
    g = nx.Graph()
    g.add_weighted_edges_from(zip(streets.from_node, streets.to_node, streets.length_m.fillna(0)), weight="m")
    tree = cKDTree(_metres(nodes.longitude.to_numpy(), nodes.latitude.to_numpy()))
    o_d, o_i = tree.query(_metres(offices.longitude.to_numpy(), offices.latitude.to_numpy()))
    p_d, p_i = tree.query(_metres(points.longitude.to_numpy(), points.latitude.to_numpy()))
    ids = nodes.node_id.to_numpy()
    # a virtual source joined to each office's nearest crossing by its walk to the street
    g.add_node("__offices__")
    for node, walk in zip(ids[o_i], o_d):
        if not g.has_edge("__offices__", node) or g.edges["__offices__", node]["m"] > walk:
            g.add_edge("__offices__", node, m=float(walk))
    dist = nx.single_source_dijkstra_path_length(g, "__offices__", cutoff=POST_REACH_M, weight="m")
    street_m = np.array([dist.get(n, np.inf) for n in ids[p_i]]) + p_d
    site_tree = cKDTree(_metres(sites.longitude.to_numpy(), sites.latitude.to_numpy()))
    a_d, _ = site_tree.query(_metres(points.longitude.to_numpy(), points.latitude.to_numpy()))
    hh = points.households.fillna(points.households.median())
    df = points.assign(hh=hh, post=(street_m <= POST_REACH_M) * hh, antenna=(a_d <= ANTENNA_REACH_M) * hh)
    ward = (
        df.groupby(["ward_code_2025", "ward_name_2025"])
        .agg(households=("hh", "sum"), households_post=("post", "sum"), households_antenna=("antenna", "sum"))
        .reset_index()
    )
    ward["post_coverage"] = (ward.households_post / ward.households).round(4)
    ward["antenna_coverage"] = (ward.households_antenna / ward.households).round(4)
    return {"coverage_wards": _write(settings, "coverage_wards", ward)}


def run_all(settings: Settings | None = None) -> dict[str, int]:
    settings = settings or get_settings()
    (settings.run_dir / "tmp").mkdir(parents=True, exist_ok=True)
    return {**power_n1(settings), **water(settings), **coverage(settings)}
