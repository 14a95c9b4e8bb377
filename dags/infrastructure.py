"""
### Infrastructure owners' registries → bronze → spatial silver, and the network analyses

For each infrastructure owner configured in `ingestion/infrastructure/<owner>/source.yml` (EVNHCMC's
22 kV grid, SAWACO's water network, the telecom registry, VNPost, the street network; PostGIS), a DAG
`ingest_<owner>` at the frequency agreed with the owner:

1. **extract**: incremental, exactly-once batches into bronze Delta; geometries as WKB with each row's
   SRID, the commit carrying GeoParquet `geo` metadata;
2. **silver** (`spark_jobs/gis_silver.py`): latest per key, every shape to WGS 84 (from VN-2000 or
   UTM 48N), swapped latitude/longitude put back, invalid shapes repaired or quarantined with the
   reason, the 2025 ward by position, network nodes and edges;
3. **audit**: Great Expectations on every spatial silver table — valid shapes inside the city, a ward
   for each, no dangling feeder, every pipe reachable from a plant. Only then are the Assets updated.

`infrastructure_analysis` runs whenever one of those silver Assets is updated: power N-1
(pandapower), water pressures at peak and pipe break risk (WNTR), post and telecom coverage per ward
(networkx) into gold tables, audited, then the open map's layers are rebuilt through the publication
gate (critical assets only per ward) for the map server (`citylake up`), and each open layer goes to
the portal as a dataset of its owner: the GeoJSON with a map preview and a link to its OGC API
Features collection (`open_data/gis_portal.py`).
"""
from __future__ import annotations

import functools
import operator

from airflow.sdk import Asset, chain, dag, task

from citylake.source_config import infrastructure_sources
from open_data.gis_layers import OPEN_LAYERS
from open_data.gis_portal import layer_spec
from orchestration.assets import dataset_asset
from orchestration.defaults import default_args

SCHEDULES = {"hourly": "@hourly", "daily": "@daily", "weekly": "@weekly", "monthly": "@monthly"}
GOLD_TABLES = ("power_n1_contingencies", "power_n1_wards", "water_pressure", "water_pipe_risk", "coverage_wards")
INFRASTRUCTURE_MAP = Asset("citylake://maps/infrastructure")


def silver_assets(source) -> list[Asset]:
    return [Asset(f"citylake://silver/{source.domain}/{cfg.silver.name}")
            for cfg in source.tables.values() if cfg.silver is not None and cfg.geometry is not None]


def ingest_dag(source):
    name = source.name

    @dag(dag_id=f"ingest_{name}", doc_md=__doc__, schedule=SCHEDULES[source.update_frequency], catchup=False,
         max_active_runs=1, tags=["ingestion", "gis", "bronze", "silver", name], default_args=default_args())
    def ingest():
        @task(task_id=f"extract_{name}")
        def extract() -> list[str]:
            from airflow.sdk.exceptions import AirflowFailException

            from ingestion.extract import ExtractError, extract_source

            try:
                return [str(batch) for batch in extract_source(name)]
            except ExtractError as err:   # deterministic: Airflow's retries cannot help
                raise AirflowFailException(f"{type(err).__name__}: {err}") from err

        @task(task_id=f"build_{name}_silver")
        def silver() -> dict:
            from spark_jobs import gis_silver

            return gis_silver.run(name)

        @task(task_id=f"audit_{name}_silver", outlets=silver_assets(source))
        def audit() -> list[str]:
            from expectations.gis import audit_infrastructure_silver

            return audit_infrastructure_silver(name)

        chain(extract(), silver(), audit())

    return ingest()


_SOURCES = infrastructure_sources()
for _source in _SOURCES:
    globals()[f"ingest_{_source.name}"] = ingest_dag(_source)


@dag(dag_id="infrastructure_analysis", doc_md=__doc__, catchup=False, max_active_runs=1,
     schedule=functools.reduce(operator.or_, [a for s in _SOURCES for a in silver_assets(s)]),
     tags=["gis", "gold", "analytics", "map"], default_args=default_args())
def infrastructure_analysis():
    @task
    def power_n1() -> dict:
        from analytics import networks

        return networks.power_n1()

    @task
    def water() -> dict:
        from analytics import networks
        from citylake.settings import get_settings

        (get_settings().run_dir / "tmp").mkdir(parents=True, exist_ok=True)
        return networks.water()

    @task
    def coverage() -> dict:
        from analytics import networks

        return networks.coverage()

    @task(task_id="audit_infrastructure_gold",
          outlets=[Asset(f"citylake://gold/infrastructure/{t}") for t in GOLD_TABLES])
    def audit() -> list[str]:
        from expectations.gis import audit_infrastructure_gold

        return audit_infrastructure_gold()

    @task(outlets=[INFRASTRUCTURE_MAP])
    def publish_map() -> str:
        from open_data.gis_layers import build_map

        return str(build_map())

    @task(outlets=[dataset_asset(layer_spec(layer).name) for layer in OPEN_LAYERS])
    def publish_open_layers() -> list[str]:
        """Each open layer of the map to the portal (GeoJSON, map preview, OGC API link)."""
        from open_data.gis_portal import publish_layers

        return [str(result) for result in publish_layers()]

    gate = audit()
    [power_n1(), water(), coverage()] >> gate >> publish_map() >> publish_open_layers()


infrastructure_analysis()
