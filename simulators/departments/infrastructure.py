"""What the infrastructure owners' registries share: the city's street network and the realistic dirt of
spatial data as utilities keep it, written to PostGIS.

Every owner's generator (``evn``, ``sawaco``, ``telecom``, ``vnpost``, ``streets``) builds on the same
street network, a deterministic function of (seed, scale): per 2025 ward a small jittered street grid
around the ward centre, and arterials between neighbouring wards (Delaunay of the centres). At scale
``s`` the wards nearest the old centre (Bến Thành) are covered, ``max(12, 168·min(1, 10·s))`` of them:
the default scale 0.1 covers the city, the tests' 0.02 about 34 central wards.

Dirt, on purpose and deterministic (``dirty_geometry``): positions keyed in VN-2000 / UTM 48N
(EPSG:3405, 8 %) or UTM 48N (EPSG:32648, 5 %) beside WGS 84, the system named in a text column and,
for a third of the VN-2000 rows, not in the geometry's SRID (0); points with latitude and longitude
swapped (1 %); self-intersecting (bow-tie) polygons, lines collapsed to one repeated point; missing
geometries; plus, per table, assets keyed twice, missing attributes and pre-2025 ward codes.
Tables are (re)made from their Arrow schema: a ``geom`` column of PostGIS type ``geometry`` (no fixed
SRID: the registries mix them), loaded with COPY as hex EWKB.
"""
from __future__ import annotations

import datetime as dt
import math
from functools import lru_cache

import networkx as nx
import numpy as np
import psycopg
import pyarrow as pa
import shapely
from pyproj import Transformer

from ingestion.reference.admin_units import legacy_wards
from ingestion.reference.ward_areas import ward_areas_2025
from simulators.departments.common import STREETS, copy_pg, pg_state

BEN_THANH = (106.698, 10.772)   # the old centre: coverage grows outwards from here
KM_LAT = 110.57
VN2000, UTM48N = 3405, 32648
CRS_TEXT = {4326: "WGS84", VN2000: "VN-2000", UTM48N: "UTM 48N"}
PG_TYPES = {pa.int64(): "bigint", pa.int32(): "integer", pa.float64(): "double precision", pa.string(): "text",
            pa.date32(): "date", pa.bool_(): "boolean", pa.timestamp("us", "UTC"): "timestamptz"}
STATE = "_generator_state"


def ward_count(scale: float) -> int:
    return max(12, round(168 * min(1.0, 10 * scale)))


def km_to_deg(lat: float) -> tuple[float, float]:
    """Degrees of longitude and latitude per km at ``lat``."""
    return 1 / (111.32 * math.cos(math.radians(lat))), 1 / KM_LAT


@lru_cache(maxsize=4)
def wards(scale: float) -> list[dict]:
    """The covered 2025 wards, nearest the old centre first (each with its cell under ``cell``)."""
    rows, cells = ward_areas_2025()
    order = sorted(range(len(rows)), key=lambda i: math.hypot(rows[i]["longitude"] - BEN_THANH[0],
                                                              rows[i]["latitude"] - BEN_THANH[1]))
    return [{**rows[i], "cell": cells[i]} for i in order[:ward_count(scale)]]


@lru_cache(maxsize=4)
def street_network(seed: int, scale: float) -> nx.Graph:
    """Nodes ``N<ward><i><j>`` (attribute ``xy``: lon/lat, ``ward``: position in ``wards``), edges with a
    ``street`` name, a ``kind`` (local/arterial) and ``geom`` (a LineString from ``u`` to ``v``)."""
    rng = np.random.default_rng([seed, 11])
    g = nx.Graph()
    covered = wards(scale)
    k = 3
    for w, ward in enumerate(covered):
        area = ward["area_km2"] or 4.0
        spacing = float(np.clip(math.sqrt(area) / 4, 0.25, 1.2))
        dx, dy = km_to_deg(ward["latitude"])
        names = [str(s) for s in rng.choice(STREETS, 2 * k, replace=False)]
        for i in range(k):
            for j in range(k):
                x = ward["longitude"] + (i - 1) * spacing * dx + rng.normal(0, 0.04) * spacing * dx
                y = ward["latitude"] + (j - 1) * spacing * dy + rng.normal(0, 0.04) * spacing * dy
                if not ward["cell"].contains(shapely.Point(x, y)):   # a grid corner past the ward's edge
                    x, y = (x + ward["longitude"]) / 2, (y + ward["latitude"]) / 2
                g.add_node(f"N{w:03d}{i}{j}", xy=(round(x, 7), round(y, 7)), ward=w)
        for i in range(k):
            for j in range(k):
                if i + 1 < k:
                    g.add_edge(f"N{w:03d}{i}{j}", f"N{w:03d}{i + 1}{j}", street=names[j], kind="local")
                if j + 1 < k:
                    g.add_edge(f"N{w:03d}{i}{j}", f"N{w:03d}{i}{j + 1}", street=names[k + i], kind="local")
    centres = shapely.multipoints([g.nodes[f"N{w:03d}11"]["xy"] for w in range(len(covered))])
    for tri in shapely.delaunay_triangles(centres, only_edges=True).geoms:
        a, b = (min(range(len(covered)), key=lambda w: math.dist(g.nodes[f"N{w:03d}11"]["xy"], p))
                for p in tri.coords)
        if math.dist(tri.coords[0], tri.coords[1]) * 111 < 12:
            g.add_edge(f"N{a:03d}11", f"N{b:03d}11", street=str(rng.choice(STREETS)), kind="arterial")
    for u, v, data in g.edges(data=True):
        data["geom"] = shapely.LineString([g.nodes[u]["xy"], g.nodes[v]["xy"]])
        data["length_m"] = _length_m(data["geom"])
    # the Delaunay arterials keep the grid connected; a far special zone (Côn Đảo) is left out at sea
    keep = max(nx.connected_components(g), key=len)
    return g.subgraph(keep).copy()


def _length_m(line: shapely.LineString) -> float:
    (x0, y0), (x1, y1) = line.coords[0], line.coords[-1]
    dx, dy = km_to_deg((y0 + y1) / 2)
    return round(1000 * math.hypot((x1 - x0) / dx, (y1 - y0) / dy), 1)


def near(rng: np.random.Generator, xy: tuple[float, float], metres: float) -> tuple[float, float]:
    """A position within about ``metres`` of ``xy``."""
    dx, dy = km_to_deg(xy[1])
    return (round(xy[0] + rng.normal(0, metres / 1000) * dx, 7), round(xy[1] + rng.normal(0, metres / 1000) * dy, 7))


@lru_cache(maxsize=1)
def _old_wards() -> tuple[np.ndarray, list[str]]:
    rows = legacy_wards()
    return np.array([(r["longitude"], r["latitude"]) for r in rows]), [r["ward_code"] for r in rows]


def old_ward_codes(rng: np.random.Generator, geoms: np.ndarray, missing: float = 0.08) -> np.ndarray:
    """The pre-2025 ward code clerks keyed (nearest old ward centre), some blank."""
    xy, codes = _old_wards()
    centre = shapely.get_coordinates(shapely.centroid(geoms))
    nearest = np.argmin(((centre[:, None, :] - xy[None, :, :]) ** 2).sum(axis=2), axis=1)
    out = np.array([codes[i] for i in nearest], dtype=object)
    out[rng.random(len(out)) < missing] = None
    return out


_TO = {srid: Transformer.from_crs(4326, srid, always_xy=True) for srid in (VN2000, UTM48N)}


def dirty_geometry(rng: np.random.Generator, geoms: np.ndarray) -> tuple[list[str | None], list[str | None]]:
    """(hex EWKB per geometry, the coordinate system as keyed): see the module docstring."""
    n = len(geoms)
    geoms = np.array(geoms, dtype=object)
    srid = np.full(n, 4326)
    roll = rng.random(n)
    srid[roll < 0.08] = VN2000
    srid[(roll >= 0.08) & (roll < 0.13)] = UTM48N
    text = np.array([CRS_TEXT[s] for s in srid], dtype=object)
    kind = shapely.get_type_id(geoms)
    bad = rng.random(n)
    for i in np.flatnonzero((srid == 4326) & (kind == 0) & (bad < 0.01)):          # swapped lat/lon
        x, y = geoms[i].x, geoms[i].y
        geoms[i] = shapely.Point(y, x)
    for i in np.flatnonzero((kind == 1) & (bad < 0.006)):                         # collapsed line
        geoms[i] = shapely.LineString([geoms[i].coords[0], geoms[i].coords[0]])
    for i in np.flatnonzero((kind == 3) & (bad < 0.4)):                           # bow-tie polygon
        (x0, y0, x1, y1) = geoms[i].bounds
        geoms[i] = shapely.Polygon([(x0, y0), (x1, y1), (x1, y0), (x0, y1), (x0, y0)])
    for s, transformer in _TO.items():
        mine = srid == s
        if mine.any():
            geoms[mine] = shapely.transform(geoms[mine], lambda c, t=transformer: np.column_stack(
                t.transform(c[:, 0], c[:, 1])))
    unknown = (srid == VN2000) & (rng.random(n) < 0.33)    # the SRID left at 0: only the text column says
    stored = np.where(unknown, 0, srid)
    geoms = shapely.set_srid(geoms, stored)
    out = shapely.to_wkb(geoms, hex=True, include_srid=True).astype(object)
    missing = rng.random(n) < 0.005
    out[missing] = None
    text[rng.random(n) < 0.03] = None   # the system not written down: the SRID (when set) is all there is
    return out.tolist(), text.tolist()


def stamps(rng: np.random.Generator, n: int, end: dt.datetime, span_days: int = 400) -> pa.Array:
    """Last-change instants over the ``span_days`` before ``end`` (all ``end`` when 0: a day's changes)."""
    if span_days == 0:
        return pa.array([end] * n, pa.timestamp("us", "UTC"))
    secs = rng.integers(0, span_days * 86_400, n)
    return pa.array([end - dt.timedelta(seconds=int(s)) for s in secs], pa.timestamp("us", "UTC"))


def twice(rng: np.random.Generator, table: pa.Table, share: float = 0.01) -> pa.Table:
    """Some assets keyed a second time (same asset code, next ids): the registries' duplicates."""
    picks = np.flatnonzero(rng.random(table.num_rows) < share)
    if not len(picks):
        return table
    copies = table.take(picks)
    first = pc_max(table["id"]) + 1
    copies = copies.set_column(0, "id", pa.array(np.arange(first, first + len(picks)), pa.int64()))
    return pa.concat_tables([table, copies])


def pc_max(col: pa.ChunkedArray) -> int:
    return int(max(col.to_pylist()))


def blank(rng: np.random.Generator, values, share: float) -> list:
    """``values`` with a share left empty (missing attributes)."""
    values = list(values)
    for i in np.flatnonzero(rng.random(len(values)) < share):
        values[i] = None
    return values


def asset_table(rng: np.random.Generator, rows: list[dict], first_id: int, end: dt.datetime,
                blanks: dict[str, float], span_days: int = 400) -> pa.Table:
    """Rows as the registry holds them: dirty geometry (hex EWKB) and its keyed system, attributes with
    some left blank, a pre-2025 ward code, the last-change stamp."""
    geoms = np.array([r["geom"] for r in rows], dtype=object)
    ewkb, crs = dirty_geometry(rng, geoms)
    cols = {"id": pa.array(np.arange(first_id, first_id + len(rows)), pa.int64())}
    for name in rows[0]:
        if name == "geom":
            continue
        values = blank(rng, [r[name] for r in rows], blanks.get(name, 0.0))
        cols[name] = pa.array(values)
    cols["ma_phuong"] = pa.array(old_ward_codes(rng, geoms).tolist(), pa.string())
    cols["he_toa_do"] = pa.array(crs, pa.string())
    cols["geom"] = pa.array(ewkb, pa.string())
    cols["ngay_cap_nhat"] = stamps(rng, len(rows), end, span_days)
    return pa.table(cols)


def _ddl(schema: str, name: str, table: pa.Table) -> str:
    cols = []
    for f in table.schema:
        kind = "geometry" if f.name == "geom" else PG_TYPES[f.type]
        cols.append(f"{f.name} {kind}{' PRIMARY KEY' if f.name == 'id' else ''}")
    return f"CREATE TABLE {schema}.{name} ({', '.join(cols)})"


def write_registry(dsn: str, schema: str, tables: dict[str, pa.Table], scale: float, seed: int) -> dict:
    """Make the owner's schema from scratch and load its tables (``geom`` as hex EWKB); state for ``advance``."""
    with psycopg.connect(dsn) as conn:
        conn.execute(f"DROP SCHEMA IF EXISTS {schema} CASCADE")
        conn.execute(f"CREATE SCHEMA {schema}")
        for name, table in tables.items():
            conn.execute(_ddl(schema, name, table))
            copy_pg(conn, f"{schema}.{name}", table)
            conn.execute(f"CREATE INDEX ON {schema}.{name} (ngay_cap_nhat)")
            if "geom" in table.column_names:
                conn.execute(f"CREATE INDEX ON {schema}.{name} USING gist (geom)")
        conn.execute(f"CREATE TABLE {schema}.{STATE} (scale double precision, seed bigint, step int)")
        conn.execute(f"INSERT INTO {schema}.{STATE} VALUES (%s, %s, 0)", (scale, seed))
    return {"created": True, "step": 0, **{name: t.num_rows for name, t in tables.items()}}


def state(dsn: str, schema: str) -> tuple[float, int, int] | None:
    with psycopg.connect(dsn) as conn:
        return pg_state(conn, schema)


def append_rows(conn: psycopg.Connection, schema: str, name: str, table: pa.Table) -> int:
    copy_pg(conn, f"{schema}.{name}", table)
    return table.num_rows


def touch(conn: psycopg.Connection, schema: str, name: str, rng: np.random.Generator, column: str,
          values: list, share: float, now: dt.datetime, sql_type: str = "text") -> int:
    """A day's edits: ``share`` of the rows get a new ``column`` value (drawn from ``values``) and today's stamp."""
    ids = [r[0] for r in conn.execute(f"SELECT id FROM {schema}.{name} ORDER BY id")]
    picked = [int(i) for i in rng.choice(ids, max(1, int(len(ids) * share)), replace=False)]
    new = [values[int(i)] for i in rng.integers(0, len(values), len(picked))]
    return conn.execute(f"UPDATE {schema}.{name} t SET {column} = u.v::{sql_type}, ngay_cap_nhat = %s "
                        f"FROM unnest(%s::bigint[], %s::text[]) AS u(id, v) WHERE t.id = u.id",
                        (now, picked, [str(v) for v in new])).rowcount


def set_step(conn: psycopg.Connection, schema: str, step: int) -> None:
    conn.execute(f"UPDATE {schema}.{STATE} SET step = %s", (step,))


def create_registry(dsn: str, schema: str, scale: float, seed: int, force: bool, now: dt.datetime | None,
                    build) -> dict:
    """The create protocol for an owner: ``build(rng, end) -> {table: Arrow}``; no-op when already built."""
    st = state(dsn, schema)
    if st and st[0] == scale and st[1] == seed and not force:
        return {"created": False, "step": st[2]}
    end = now or dt.datetime.now(dt.UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    return write_registry(dsn, schema, build(np.random.default_rng([seed, 0]), end), scale, seed)


def advance_registry(dsn: str, schema: str, step: int | None, now: dt.datetime | None, apply) -> dict:
    """The advance protocol: ``apply(conn, rng, scale, seed, step, now) -> dict`` once per step, in one
    transaction with the step's record (a retried task never applies a day twice)."""
    st = state(dsn, schema)
    if st is None:
        raise RuntimeError(f"{schema} is empty: run create() first")
    step = st[2] + 1 if step is None else step
    if step <= st[2]:
        return {"advanced": False, "step": st[2]}
    scale, seed, _ = st
    with psycopg.connect(dsn) as conn:
        now = now or conn.execute("SELECT now()").fetchone()[0]
        out = apply(conn, np.random.default_rng([seed, 1000 + step]), scale, seed, step, now)
        set_step(conn, schema, step)
    return {"advanced": True, "step": step, **out}


def next_id(conn: psycopg.Connection, schema: str, table: str) -> int:
    return conn.execute(f"SELECT coalesce(max(id), 0) + 1 FROM {schema}.{table}").fetchone()[0]


def ward_nodes(g: nx.Graph) -> dict[int, list[str]]:
    out: dict[int, list[str]] = {}
    for n in sorted(g):
        out.setdefault(g.nodes[n]["ward"], []).append(n)
    return out
