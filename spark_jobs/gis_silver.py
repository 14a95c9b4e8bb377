"""Bronze → silver for the infrastructure owners' spatial registries (``ingestion/infrastructure``).

Arrow, DuckDB and shapely rather than Spark: the registries are small (thousands of rows) and every
geometry step is a vectorised shapely/pyproj call. Per table, driven by its source.yml like the
department silver job (the ``silver`` columns are SQL over the latest version of each row):

1. the latest version per key, tombstones dropped; text in NFC; enumerations mapped; required values,
   checks and business-key uniqueness (first entered wins) as in ``spark_jobs/silver.py``;
2. geometry: WKB decoded; its coordinate system from the SRID, else from the keyed system
   (``crs_column``); transformed to WGS 84 with pyproj; latitude/longitude swapped back where the
   numbers only fit the city that way; invalid shapes repaired with ``make_valid`` (a bow-tie site
   becomes two triangles) unless the repair changes what the shape is (a line collapsed to a point);
   a network edge whose shape is missing or collapsed is redrawn between its two nodes' positions;
3. what cannot be placed (no system, ambiguous projected numbers, unrepairable, outside the city)
   goes to ``silver/<domain>/quarantine`` with the reason, like every other rejected row;
4. the 2025 ward by position (the ward cells of ``ingestion.reference.ward_areas``), beside the ward
   the registry keyed (pre-2025 code, mapped to 2025) so the two can be compared;
5. network tables (``geometry.edge``) also get ``<table>_nodes``: one row per node, its position and
   degree. Edges and nodes are the topology the analyses and the audit read.

Geometries are stored as WKB in WGS 84 (GeoParquet's default CRS); each silver data file is a GeoParquet
file (``geo`` in its footer, written through ``citylake.delta.write_geoparquet``) and each commit records
the same metadata. ``gold``-side layers are written by ``open_data/gis_layers.py``.
"""
from __future__ import annotations

import datetime as dt
import json
import logging
import sys
import unicodedata

import duckdb
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import shapely
from pyproj import Transformer

from citylake import delta, geo
from citylake.catalog import bronze_uri, silver_uri
from citylake.settings import Settings, get_settings
from citylake.source_config import GeometrySpec, SourceConfig, TableConfig, load_source
from ingestion.reference.admin_units import ward_mapping_2025
from ingestion.reference.ward_areas import assign_wards, ward_areas_2025, ward_areas_table

log = logging.getLogger(__name__)

CRS_NAMES = {"wgs84": geo.WGS84, "wgs 84": geo.WGS84, "epsg:4326": geo.WGS84, "vn-2000": geo.VN2000,
             "vn2000": geo.VN2000, "epsg:3405": geo.VN2000, "utm 48n": geo.UTM48N, "utm48n": geo.UTM48N,
             "epsg:32648": geo.UTM48N}
KNOWN_SRIDS = (geo.WGS84, geo.VN2000, geo.UTM48N)
KIND_DIMENSION = {"point": 0, "line": 1, "polygon": 2}
_TO_WGS84 = {srid: Transformer.from_crs(srid, geo.WGS84, always_xy=True) for srid in (geo.VN2000, geo.UTM48N)}


def _latest(bronze: pa.Table, cfg: TableConfig) -> pa.Table:
    keys = ", ".join(f'"{k}"' for k in cfg.key)
    con = duckdb.connect()
    con.register("bronze", bronze)
    deleted = "coalesce(_deleted, false)" if "_deleted" in bronze.column_names else "false"
    return con.execute(f"""SELECT * FROM bronze QUALIFY row_number() OVER (
        PARTITION BY {keys} ORDER BY "{cfg.watermark}" DESC NULLS LAST, _batch_seq DESC) = 1
        AND NOT {deleted}""").arrow().read_all()


def _nfc(table: pa.Table) -> pa.Table:
    """Source text in NFC, blanks as null (as the Spark silver job does)."""
    for i, field in enumerate(table.schema):
        if pa.types.is_string(field.type) or pa.types.is_large_string(field.type):
            values = [None if v is None or not v.strip() else " ".join(unicodedata.normalize("NFC", v).split())
                      for v in table.column(i).to_pylist()]
            table = table.set_column(i, field.name, pa.array(values, pa.string()))
    return table


def _enum_key(value: str) -> str:
    return " ".join(unicodedata.normalize("NFC", value).lower().split())


def resolve_srid(srid: np.ndarray, crs_text: list[str | None]) -> np.ndarray:
    """Each row's EPSG code: its SRID when the registry set a known one, else the keyed system's; 0 unknown."""
    out = np.where(np.isin(srid, KNOWN_SRIDS), srid, 0)
    for i in np.flatnonzero(out == 0):
        text = crs_text[i]
        out[i] = CRS_NAMES.get(text.strip().lower(), 0) if text else 0
    return out


def normalise(wkb: list[bytes | None], srid: np.ndarray, crs_text: list[str | None], kind: str
              ) -> tuple[np.ndarray, list[str | None], list[str | None], np.ndarray]:
    """(WGS 84 shapes, the repair applied per row, the reason a row cannot be placed, the EPSG read).

    Vectorised per coordinate system; a shape without a system is placed only when its numbers can
    only be lon/lat (projected metres cannot tell VN-2000 from UTM 48N: a few hundred metres apart)."""
    n = len(wkb)
    geoms = shapely.from_wkb(np.array(wkb, dtype=object), on_invalid="ignore")
    fix: list[str | None] = [None] * n
    reason: list[str | None] = [None] * n
    epsg = resolve_srid(np.asarray(srid, dtype=np.int64), crs_text)
    missing = shapely.is_missing(geoms) | shapely.is_empty(geoms)
    xy_max = np.array([np.abs(shapely.get_coordinates(g)).max() if g is not None and not shapely.is_empty(g)
                       else 0.0 for g in geoms])
    guess = (epsg == 0) & ~missing & (xy_max <= 180)
    epsg[guess] = geo.WGS84
    for i in np.flatnonzero(guess):
        fix[i] = "crs_assumed_wgs84"
    for s, transformer in _TO_WGS84.items():
        mine = (epsg == s) & ~missing
        if mine.any():
            geoms[mine] = shapely.transform(geoms[mine], lambda c, t=transformer: np.column_stack(
                t.transform(c[:, 0], c[:, 1])))
    b = geo.HCMC_BOUNDS
    for i in range(n):
        g = geoms[i]
        if missing[i]:
            reason[i] = "missing geometry"
            continue
        if epsg[i] == 0:
            reason[i] = "unknown coordinate system (no SRID, none keyed, projected numbers)"
            continue
        x0, y0, x1, y1 = shapely.bounds(g)
        if not geo.in_city(x0, y0) and b["lat_min"] <= x0 and x1 <= b["lat_max"] and b["lon_min"] <= y0 \
                and y1 <= b["lon_max"]:
            geoms[i] = shapely.transform(g, lambda c: c[:, ::-1])
            fix[i] = "swapped_lat_lon"
        if not shapely.is_valid(geoms[i]):
            why = shapely.is_valid_reason(geoms[i])
            repaired = shapely.make_valid(geoms[i])
            if repaired.is_empty or shapely.get_dimensions(repaired) != KIND_DIMENSION[kind]:
                reason[i] = f"invalid geometry, not repairable: {why}"
                continue
            geoms[i] = repaired
            fix[i] = "make_valid"
        x0, y0, x1, y1 = shapely.bounds(geoms[i])
        if not (geo.in_city(x0, y0) and geo.in_city(x1, y1)):
            reason[i] = f"outside the city: ({x0:.5f}, {y0:.5f})–({x1:.5f}, {y1:.5f})"
    return geoms, fix, reason, epsg


def _redraw_edges(geoms: np.ndarray, fix: list, reason: list, src: list, dst: list) -> None:
    """An edge without a usable shape, between two nodes whose positions other edges give, is redrawn
    as the straight line between them: the topology says where it runs."""
    pos: dict[str, tuple[float, float]] = {}
    for g, r, a, z in zip(geoms, reason, src, dst):
        if r is None and g is not None:
            coords = shapely.get_coordinates(g)
            pos.setdefault(a, tuple(coords[0]))
            pos.setdefault(z, tuple(coords[-1]))
    for i, (a, z) in enumerate(zip(src, dst)):
        if reason[i] and not reason[i].startswith(("outside", "unknown")) and a in pos and z in pos:
            geoms[i] = shapely.LineString([pos[a], pos[z]])
            fix[i], reason[i] = "redrawn_from_topology", None


def _anchor(geoms: np.ndarray) -> np.ndarray:
    """One position per shape to place it in a ward: the point, a line's midpoint, a surface point."""
    out = np.empty((len(geoms), 2))
    for i, g in enumerate(geoms):
        if g is None:
            out[i] = np.nan
        elif g.geom_type == "Point":
            out[i] = (g.x, g.y)
        elif g.geom_type in ("LineString", "MultiLineString"):
            p = shapely.line_interpolate_point(g, 0.5, normalized=True)
            out[i] = (p.x, p.y)
        else:
            p = shapely.point_on_surface(g)
            out[i] = (p.x, p.y)
    return out


def shape(bronze: pa.Table, cfg: TableConfig) -> tuple[pa.Table, pa.Table]:
    """(valid silver rows, quarantine rows) of one spatial table."""
    spec, gspec = cfg.silver, cfg.geometry
    latest = _nfc(_latest(bronze, cfg))
    con = duckdb.connect()
    con.execute("SET TimeZone = 'UTC'")
    con.register("latest", latest)
    key_text = " || '|' || ".join(f'CAST("{k}" AS VARCHAR)' for k in cfg.key)
    crs_col = f'"{gspec.crs_column}"' if gspec.crs_column else "NULL"
    edge = gspec.edge or ()
    rows = con.execute(f"""SELECT {', '.join(f'{expr} AS "{name}"' for name, expr in spec.columns.items())},
        "{cfg.watermark}" AS updated_at, _batch_id, {key_text} AS _source_key,
        "{gspec.column}" AS _wkb, "{gspec.column}_srid" AS _srid, {crs_col} AS _crs_text,
        {'ma_phuong' if 'ma_phuong' in latest.column_names else 'NULL'} AS _source_ward
        {''.join(f', "{c}" AS _edge_{i}' for i, c in enumerate(edge))}
        FROM latest ORDER BY {', '.join(f'"{k}"' for k in cfg.key)}""").arrow().read_all()
    n = rows.num_rows
    srid = rows["_srid"].fill_null(0).to_numpy(zero_copy_only=False)
    geoms, fix, reason, epsg = normalise(rows["_wkb"].to_pylist(), srid, rows["_crs_text"].to_pylist(), gspec.kind)
    if edge:
        _redraw_edges(geoms, fix, reason, rows["_edge_0"].to_pylist(), rows["_edge_1"].to_pylist())
    anchor = _anchor(np.where([r is None for r in reason], geoms, None))
    placed = ~np.isnan(anchor[:, 0])
    ward_idx = np.full(n, -1)
    ward_idx[placed] = assign_wards(anchor[placed, 0], anchor[placed, 1])
    wards, _ = ward_areas_2025()
    for i in np.flatnonzero(placed & (ward_idx < 0)):
        reason[i] = "in no 2025 ward"
    mapping = {r["old_ward_code"]: r["ward_code_2025"] for r in ward_mapping_2025().to_pylist()}
    registered = [mapping.get(code) for code in rows["_source_ward"].to_pylist()]
    # attribute rules, as in the department silver job
    for col, table in spec.enums.items():
        lookup = {_enum_key(k): v for k, v in table.items()}
        raw = rows[col].to_pylist()
        mapped = [lookup.get(_enum_key(str(v))) if v is not None else None for v in raw]
        for i, (r, m) in enumerate(zip(raw, mapped)):
            if r is not None and m is None and reason[i] is None:
                reason[i] = f"unknown {col}: {r}"
        rows = rows.set_column(rows.schema.get_field_index(col), col, pa.array(mapped, pa.string()))
    for col in spec.required:
        for i in np.flatnonzero(pc.is_null(rows[col]).to_numpy(zero_copy_only=False)):
            reason[i] = reason[i] or f"missing {col}"
    for name, predicate in spec.checks.items():
        con.register("shaped", rows)
        ok = con.execute(f"SELECT coalesce({predicate}, false) FROM shaped").arrow().read_all().column(0).to_pylist()
        for i in np.flatnonzero(~np.array(ok, dtype=bool)):
            reason[i] = reason[i] or f"check failed: {name} ({predicate})"
    for business_key in spec.unique:   # rows are in source-key order: the first entered is the record
        first: dict = {}
        for i, (value, key) in enumerate(zip(rows[business_key].to_pylist(), rows["_source_key"].to_pylist())):
            if value is None:
                continue
            if value in first:
                reason[i] = reason[i] or f"duplicate {business_key} of {first[value]}"
            else:
                first[value] = key
    good = np.array([r is None for r in reason])
    attrs = [c for c in spec.columns]
    wkb = shapely.to_wkb(np.where(good, geoms, None)).tolist()
    silver = rows.select(attrs).append_column("ward_code_2025", pa.array(
        [wards[w]["ward_code_2025"] if w >= 0 else None for w in ward_idx], pa.string()))
    silver = silver.append_column("ward_name_2025", pa.array(
        [wards[w]["ward_name_2025"] if w >= 0 else None for w in ward_idx], pa.string()))
    silver = silver.append_column("source_ward_code", rows["_source_ward"].cast(pa.string()))
    silver = silver.append_column("registered_ward_code_2025", pa.array(registered, pa.string()))
    silver = silver.append_column("source_crs", pa.array([int(e) if e else None for e in epsg], pa.int32()))
    silver = silver.append_column("geometry_fix", pa.array(fix, pa.string()))
    silver = silver.append_column("longitude", pa.array(anchor[:, 0]))
    silver = silver.append_column("latitude", pa.array(anchor[:, 1]))
    silver = silver.append_column("geometry", pa.array(wkb, pa.binary()))
    silver = silver.append_column("updated_at", rows["updated_at"]).append_column("_batch_id", rows["_batch_id"])
    mask = pa.array(good)
    built = pa.scalar(dt.datetime.now(dt.UTC), pa.timestamp("us", "UTC"))
    good_rows = silver.filter(mask)
    good_rows = good_rows.append_column("_silver_built_at", pa.repeat(built, good_rows.num_rows))
    bad = silver.filter(pc.invert(mask))
    bad_idx = np.flatnonzero(~good)
    records = [json.dumps({k: v for k, v in r.items() if k not in ("geometry", "_batch_id")}, default=str,
                          ensure_ascii=False) for r in bad.drop_columns(["geometry"]).to_pylist()]
    quarantine = pa.table({
        "source_table": pa.array([cfg.name] * len(bad_idx), pa.string()),
        "source_key": rows["_source_key"].take(pa.array(bad_idx, pa.int64())).cast(pa.string()),
        "reason": pa.array([reason[i] for i in bad_idx], pa.string()),
        "record": pa.array(records, pa.string()),
        "source_geometry": rows["_wkb"].take(pa.array(bad_idx, pa.int64())).cast(pa.binary()),
        "_batch_id": bad["_batch_id"], "quarantined_at": pa.repeat(built, len(bad_idx))})
    return good_rows, quarantine


def nodes(edges: pa.Table) -> pa.Table:
    """The nodes of a network table: id, position (from the edges' ends), degree, 2025 ward."""
    pos: dict[str, tuple[float, float]] = {}
    degree: dict[str, int] = {}
    for g, a, z in zip(shapely.from_wkb(edges["geometry"].to_numpy(zero_copy_only=False)),
                       edges["from_node"].to_pylist(), edges["to_node"].to_pylist()):
        coords = shapely.get_coordinates(g)
        for node, xy in ((a, coords[0]), (z, coords[-1])):
            pos.setdefault(node, (float(xy[0]), float(xy[1])))
            degree[node] = degree.get(node, 0) + 1
    ids = sorted(pos)
    xs = np.array([pos[i][0] for i in ids])
    ys = np.array([pos[i][1] for i in ids])
    wards, _ = ward_areas_2025()
    idx = assign_wards(xs, ys) if ids else np.array([], dtype=int)
    return pa.table({"node_id": pa.array(ids, pa.string()), "degree": pa.array([degree[i] for i in ids], pa.int64()),
                     "ward_code_2025": pa.array([wards[w]["ward_code_2025"] if w >= 0 else None for w in idx],
                                                pa.string()),
                     "longitude": pa.array(xs, pa.float64()), "latitude": pa.array(ys, pa.float64()),
                     "geometry": pa.array(shapely.to_wkb(shapely.points(xs, ys)).tolist() if ids else [],
                                          pa.binary())})


def write_geo(table: pa.Table, uri: str, meta: dict) -> None:
    """Overwrite a spatial table in one commit: its data file is GeoParquet (``geo`` in the footer), and
    the commit carries the same ``geo`` metadata."""
    types = sorted({t for t in shapely.get_type_id(shapely.from_wkb(
        table["geometry"].to_numpy(zero_copy_only=False))).tolist()}) if table.num_rows else []
    names = [("Point", "LineString", "Polygon", "MultiPoint", "MultiLineString", "MultiPolygon",
              "GeometryCollection")[t] for t in types if 0 <= t <= 6]
    spec = geo.geoparquet_metadata({"geometry": None}, {"geometry": names})
    delta.write_geoparquet(table, uri, spec, metadata={**meta, "geo": spec})


def spatial_tables(source: SourceConfig) -> list[TableConfig]:
    return [cfg for cfg in source.tables.values() if cfg.silver is not None and cfg.geometry is not None]


def run(name: str, settings: Settings | None = None) -> dict[str, int]:
    """Rebuild every silver table of spatial source ``name``; returns row counts (and the quarantine's)."""
    settings = settings or get_settings()
    source = load_source(name)
    meta = {"citylake.job": f"gis_silver.{name}"}
    counts, quarantined = {}, []
    delta.replace_if_changed(ward_areas_table(), silver_uri(settings, "reference", "ward_areas_2025"))
    for cfg in spatial_tables(source):
        uri = bronze_uri(settings, source.source, cfg.name)
        if not delta.exists(uri):
            raise FileNotFoundError(f"bronze table {uri} does not exist yet: extract {name} first")
        good, bad = shape(delta.read_arrow(uri), cfg)
        write_geo(good, silver_uri(settings, source.domain, cfg.silver.name), meta)
        counts[cfg.silver.name] = good.num_rows
        if cfg.geometry.edge:
            node_table = nodes(good)
            write_geo(node_table, silver_uri(settings, source.domain, f"{cfg.silver.name}_nodes"), meta)
            counts[f"{cfg.silver.name}_nodes"] = node_table.num_rows
        quarantined.append(bad)
    quarantine = pa.concat_tables(quarantined)
    delta.write_arrow(quarantine, silver_uri(settings, source.domain, "quarantine"), mode="overwrite",
                      schema_mode="overwrite", metadata=meta)
    counts["quarantine"] = quarantine.num_rows
    log.info("gis silver %s: %s", name, counts)
    return counts


def geometry_spec(source: SourceConfig, table: str) -> GeometrySpec:
    """The geometry block of silver table ``table`` (by its silver name)."""
    return next(cfg.geometry for cfg in spatial_tables(source) if cfg.silver.name == table)


if __name__ == "__main__":
    logging.basicConfig(level=logging.INFO)
    print(run(sys.argv[1]))
