"""Audits of the spatial silver tables: valid shapes inside the city, every asset in a 2025 ward, and
networks that hold together — no dangling feeder (every 22 kV segment fed, through closed switches,
from a 110 kV substation) and every pipe reachable from a treatment plant.

Shapes and topology are not columns Great Expectations knows, so the gate derives them first
(``geometry_valid``, ``fed``) and the suites check those with ordinary expectations; the evidence
lands in the same Data Docs as every other audit.
"""

from __future__ import annotations

import great_expectations as gx
import great_expectations.expectations as gxe
import networkx as nx
import numpy as np
import pandas as pd
import shapely

from citylake import delta
from citylake.catalog import silver_uri
from citylake.geo import HCMC_BOUNDS
from citylake.settings import Settings, get_settings
from citylake.source_config import SourceConfig, infrastructure_sources, load_source
from expectations.audit import require, run_audit
from expectations.generated import WARD_CODE_REGEX

# network edge table → (source domain, the table naming its sources, how a source is picked)
NETWORK_SOURCES = {
    ("power", "feeder_segments"): ("substations", "voltage = '110/22kV'"),
    ("water", "pipes"): ("plants", None),
}


def fed_edges(edges: pd.DataFrame, sources: set[str], closed_only: bool,
              held_back: pd.DataFrame | None = None) -> np.ndarray:
    """Whether each edge is connected to one of ``sources`` (through closed switches when asked).
    ``held_back``: edges held in quarantine (a shape that could not be drawn or placed), whose node
    references still carry the network: a cable with a bad drawing still conducts."""
    g = nx.Graph()
    every = edges if held_back is None or held_back.empty else pd.concat([edges, held_back], ignore_index=True)
    usable = every if not closed_only else every[every["switch_state"] == "closed"]
    g.add_edges_from(zip(usable["from_node"], usable["to_node"]))
    reach = set()
    for s in sources & set(g.nodes):
        reach |= nx.node_connected_component(g, s)
    return (edges["from_node"].isin(reach) | edges["to_node"].isin(reach)).to_numpy()


def derived(source: SourceConfig, table: str, df: pd.DataFrame, settings: Settings) -> pd.DataFrame:
    """The table with what its suite checks: ``geometry_valid``, and ``fed`` for a network's edges
    (an open tie line is fed when either end is)."""
    out = df.drop(columns=["geometry"])
    out["geometry_valid"] = shapely.is_valid(shapely.from_wkb(df["geometry"].to_numpy())).astype(bool)
    key = (source.domain, table)
    if key in NETWORK_SOURCES:
        src_table, where = NETWORK_SOURCES[key]
        sources = delta.read_arrow(silver_uri(settings, source.domain, src_table)).to_pandas()
        if where:
            sources = sources.query(where.replace("voltage = ", "voltage == "))
        closed = "switch_state" in df.columns
        held = _held_back_edges(settings, source.domain, table, closed)
        fed = fed_edges(df, set(sources["node_id"]), closed_only=closed, held_back=held)
        if closed:  # a tie line is fed from either side once closed; it must touch a fed feeder
            fed_closed = fed_edges(df, set(sources["node_id"]), closed_only=True, held_back=held)
            fed = fed_closed | (
                (df["switch_state"] == "open").to_numpy()
                & fed_edges(df, set(sources["node_id"]), False, held_back=held)
            )
        out["fed"] = fed
    return out


def _held_back_edges(settings: Settings, domain: str, table: str, switched: bool) -> pd.DataFrame | None:
    """The node references of ``table``'s edges held in quarantine."""
    import json

    uri = silver_uri(settings, domain, "quarantine")
    if not delta.exists(uri):
        return None
    q = delta.read_arrow(uri).to_pandas()
    q = q[q["source_table"] == table]
    records = [json.loads(r) for r in q["record"]]
    cols = ["from_node", "to_node", *(["switch_state"] if switched else [])]
    rows = [{c: r.get(c) for c in cols} for r in records if r.get("from_node") and r.get("to_node")]
    held = pd.DataFrame(rows, columns=cols)
    if switched:   # a segment whose switch state was not keyed is in its normal state: closed
        held["switch_state"] = held["switch_state"].fillna("closed")
    return held


def suite(source: SourceConfig, table: str) -> gx.ExpectationSuite:
    cfg = next(c for c in source.tables.values() if c.silver is not None and c.silver.name == table)
    b = HCMC_BOUNDS
    rules: list[gxe.Expectation] = [
        gxe.ExpectColumnValuesToBeInSet(column="geometry_valid", value_set=[True]),
        gxe.ExpectColumnValuesToNotBeNull(column="ward_code_2025"),
        gxe.ExpectColumnValuesToMatchRegex(column="ward_code_2025", regex=WARD_CODE_REGEX),
        gxe.ExpectColumnValuesToBeBetween(column="longitude", min_value=b["lon_min"], max_value=b["lon_max"]),
        gxe.ExpectColumnValuesToBeBetween(column="latitude", min_value=b["lat_min"], max_value=b["lat_max"]),
        gxe.ExpectColumnValuesToBeInSet(column="source_crs", value_set=[4326, 3405, 32648]),
    ]
    for key in cfg.silver.unique:
        rules += [gxe.ExpectColumnValuesToNotBeNull(column=key), gxe.ExpectColumnValuesToBeUnique(column=key)]
    for col in cfg.silver.required:
        rules.append(gxe.ExpectColumnValuesToNotBeNull(column=col))
    if (source.domain, table) in NETWORK_SOURCES:
        rules.append(gxe.ExpectColumnValuesToBeInSet(column="fed", value_set=[True]))
    return gx.ExpectationSuite(name=suite_name(source, table), expectations=rules)


def suite_name(source: SourceConfig, table: str) -> str:
    return f"silver_{source.domain}_{table}"


def gis_suite(name: str) -> gx.ExpectationSuite | None:
    """A fresh suite by name (``silver_<domain>_<table>`` of a spatial source), None if not one of them."""
    for source in infrastructure_sources():
        for cfg in source.tables.values():
            if cfg.silver is not None and cfg.geometry is not None and suite_name(source, cfg.silver.name) == name:
                return suite(source, cfg.silver.name)
    return None


def audit_infrastructure_silver(name: str, settings: Settings | None = None) -> list[str]:
    """Every spatial silver table of source ``name`` against its suite; stops on any failure."""
    settings = settings or get_settings()
    source = load_source(name)
    results = []
    for cfg in source.tables.values():
        if cfg.silver is None or cfg.geometry is None:
            continue
        table = cfg.silver.name
        df = derived(source, table, delta.read_arrow(silver_uri(settings, source.domain, table)).to_pandas(), settings)
        results.append(run_audit(suite_name(source, table), df, settings.reports_dir))
    require(results)
    return [f"{r.suite}: passed" for r in results]


def all_suite_names() -> list[str]:
    return [
        suite_name(s, c.silver.name)
        for s in infrastructure_sources()
        for c in s.tables.values()
        if c.silver is not None and c.geometry is not None
    ]


# -- the network analyses' gold tables (analytics/networks.py), before the map publishes them --


def _gold_suites() -> dict[str, gx.ExpectationSuite]:
    rate = lambda c: gxe.ExpectColumnValuesToBeBetween(column=c, min_value=0, max_value=1)  # noqa: E731
    count = lambda c: gxe.ExpectColumnValuesToBeBetween(column=c, min_value=0)  # noqa: E731
    key = lambda c: [gxe.ExpectColumnValuesToNotBeNull(column=c), gxe.ExpectColumnValuesToBeUnique(column=c)]  # noqa: E731
    return {
        "gold_infrastructure_power_n1_contingencies": gx.ExpectationSuite(
            name="gold_infrastructure_power_n1_contingencies",
            expectations=[
                *key("element_code"),
                count("customers_lost"),
                count("customers_unrestorable"),
                gxe.ExpectColumnPairValuesAToBeGreaterThanB(
                    column_A="customers_lost", column_B="customers_unrestorable", or_equal=True
                ),
            ],
        ),
        "gold_infrastructure_power_n1_wards": gx.ExpectationSuite(
            name="gold_infrastructure_power_n1_wards",
            expectations=[
                *key("ward_code_2025"),
                gxe.ExpectColumnValuesToMatchRegex(column="ward_code_2025", regex=WARD_CODE_REGEX),
                count("customers"),
                count("worst_unrestorable_customers"),
            ],
        ),
        "gold_infrastructure_water_pressure": gx.ExpectationSuite(
            name="gold_infrastructure_water_pressure",
            expectations=[*key("node_id"), gxe.ExpectColumnValuesToNotBeNull(column="pressure_m")],
        ),
        "gold_infrastructure_water_pipe_risk": gx.ExpectationSuite(
            name="gold_infrastructure_water_pipe_risk",
            expectations=[*key("pipe_code"), count("expected_breaks_per_year")],
        ),
        "gold_infrastructure_coverage_wards": gx.ExpectationSuite(
            name="gold_infrastructure_coverage_wards",
            expectations=[*key("ward_code_2025"), rate("post_coverage"), rate("antenna_coverage"), count("households")],
        ),
    }


def gold_suite(name: str) -> gx.ExpectationSuite | None:
    return _gold_suites().get(name)


def audit_infrastructure_gold(settings: Settings | None = None) -> list[str]:
    """The analyses' gold tables against their suites; stops on any failure."""
    from citylake.catalog import gold_uri

    settings = settings or get_settings()
    results = [
        run_audit(
            name,
            delta.read_arrow(
                gold_uri(settings, "infrastructure", name.removeprefix("gold_infrastructure_"))
            ).to_pandas(),
            settings.reports_dir,
        )
        for name in _gold_suites()
    ]
    require(results)
    return [f"{r.suite}: passed" for r in results]
