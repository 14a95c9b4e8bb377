"""The infrastructure owners' PostGIS registries → bronze (WKB + SRID) → spatial silver → audit, on the
project's real PostgreSQL with PostGIS; PostGIS's own ST_Transform is the reference for the CRS work."""

from __future__ import annotations

import datetime as dt
import json

import numpy as np
import psycopg
import pytest
import shapely

OWNERS = ("evn", "sawaco", "streets", "telecom", "vnpost")
SCALE, SEED = 0.02, 7


@pytest.fixture(scope="module")
def infra(postgres, tmp_path_factory):
    """Every owner's registry generated, extracted once and built to silver in a private lakehouse."""
    from citylake.settings import Settings
    from ingestion.extract import extract_source
    from simulators.departments import prepare_source
    from spark_jobs import gis_silver

    mp = pytest.MonkeyPatch()
    mp.setenv("CITYLAKE_LAKEHOUSE", str(tmp_path_factory.mktemp("gis") / "lakehouse"))
    settings = Settings()
    first = {}
    for owner in OWNERS:
        prepare_source(settings, owner, scale=SCALE, seed=SEED, force=True)
        first[owner] = extract_source(owner, settings)
        gis_silver.run(owner, settings)
    yield settings, first
    mp.undo()


def _silver(settings, domain, table):
    from citylake import delta
    from citylake.catalog import silver_uri

    return delta.read_arrow(silver_uri(settings, domain, table))


def test_registries_are_postgis_with_mixed_systems_and_dirt(infra):
    from citylake.source_config import load_source

    settings, _ = infra
    src = load_source("sawaco")
    with psycopg.connect(src.dsn(settings, owner=True)) as conn:
        assert conn.execute("SELECT extname FROM pg_extension WHERE extname = 'postgis'").fetchone()
        srids = dict(conn.execute("SELECT ST_SRID(geom), count(*) FROM cap_nuoc.ong GROUP BY 1").fetchall())
        assert {4326, 3405, 32648, 0} <= set(srids), srids
        bowties = conn.execute(
            "SELECT count(*) FROM cap_nuoc.nha_may WHERE NOT ST_IsValid(geom) AND ST_GeometryType(geom) = 'ST_Polygon'"
        ).fetchone()[0]
        dupes = conn.execute("SELECT count(*) - count(DISTINCT ma_ong) FROM cap_nuoc.ong").fetchone()[0]
        assert dupes > 0
    with psycopg.connect(load_source("evn").dsn(settings)) as conn:
        collapsed = conn.execute("SELECT count(*) FROM luoi_dien.xuat_tuyen WHERE NOT ST_IsValid(geom)").fetchone()[0]
        assert collapsed > 0
    with psycopg.connect(src.dsn(settings)) as conn:  # the platform's read-only account
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            conn.execute("CREATE TABLE cap_nuoc.x (id int)")
    # every bow-tie site PostGIS calls invalid is repaired in silver (a plant keyed twice is quarantined)
    plants = _silver(settings, "water", "plants")
    assert bowties > 0 and plants["geometry_fix"].to_pylist().count("make_valid") == bowties
    assert all(g.is_valid for g in shapely.from_wkb(plants["geometry"].to_numpy(zero_copy_only=False)))


def test_bronze_holds_wkb_with_srid_exactly_once(infra):
    from citylake import delta
    from citylake.catalog import bronze_uri
    from citylake.source_config import load_source
    from ingestion.extract import extract_source
    from simulators.departments.vnpost import generator

    settings, first = infra
    uri = bronze_uri(settings, "vnpost", "delivery_points")
    bronze = delta.read_arrow(uri)
    src = load_source("vnpost")
    with psycopg.connect(src.dsn(settings)) as conn:
        rows = dict(
            (r[0], (bytes(r[1]) if r[1] else None, r[2]))
            for r in conn.execute("SELECT id, ST_AsBinary(geom), ST_SRID(geom) FROM buu_chinh.diem_phat")
        )
    assert first["vnpost"][1].rows_added == len(rows) == bronze.num_rows
    for rid, wkb, srid in zip(bronze["id"].to_pylist(), bronze["geom"].to_pylist(), bronze["geom_srid"].to_pylist()):
        assert (wkb, srid) == rows[rid]
    geo = json.loads(delta.table(uri).history(1)[0]["geo"])
    assert geo["columns"]["geom"]["encoding"] == "WKB" and geo["columns"]["geom"]["citylake:srid_column"] == "geom_srid"
    # a rerun adds nothing; a day's changes add exactly what changed, deletes as tombstones
    assert all(b.rows_added == 0 for b in extract_source("vnpost", settings))
    now = dt.datetime.now(dt.UTC)
    day = generator.advance(src.dsn(settings, owner=True), now=now)
    with psycopg.connect(src.dsn(settings)) as conn:
        changed = conn.execute("SELECT count(*) FROM buu_chinh.diem_phat WHERE ngay_cap_nhat = %s", (now,)).fetchone()[
            0
        ]
    assert changed >= day["added"] > 0 and day["deleted"] > 0
    again = {b.table: b for b in extract_source("vnpost", settings)}
    assert again["delivery_points"].rows_added == changed + day["deleted"]
    assert delta.read_arrow(uri).num_rows == bronze.num_rows + again["delivery_points"].rows_added


def test_silver_positions_match_postgis_transform(infra):
    """Every projected (VN-2000, UTM 48N) or unknown-SRID point lands where PostGIS's ST_Transform puts it."""
    from citylake.source_config import load_source

    settings, _ = infra
    silver = _silver(settings, "water", "hydrants").to_pandas().set_index("hydrant_id")
    with psycopg.connect(load_source("sawaco").dsn(settings)) as conn:
        ref = conn.execute("""SELECT id, ST_X(p), ST_Y(p), ST_SRID(geom) FROM (
            SELECT id, geom, ST_Transform(CASE WHEN ST_SRID(geom) = 0 THEN ST_SetSRID(geom, 3405) ELSE geom END,
                                          4326) AS p
            FROM cap_nuoc.tru_cuu_hoa WHERE ST_SRID(geom) <> 4326 AND he_toa_do IS NOT NULL) q""").fetchall()
    assert len(ref) > 5
    checked = 0
    for rid, x, y, _ in ref:
        if rid in silver.index:
            row = silver.loc[rid]
            assert abs(row.longitude - x) < 1e-5 and abs(row.latitude - y) < 1e-5  # about a metre
            assert row.source_crs in (3405, 32648)
            checked += 1
    assert checked >= 5


def test_silver_files_are_geoparquet(infra):
    """geopandas reads a silver table's data file as GeoParquet: WGS 84 lon/lat, the same shapes."""
    import geopandas as gpd

    from citylake import delta
    from citylake.catalog import silver_uri

    settings, _ = infra
    table = delta.table(silver_uri(settings, "water", "pipes"))
    files = table.file_uris()
    assert len(files) == 1
    frame = gpd.read_parquet(files[0])
    assert frame.crs.to_string() == "OGC:CRS84" and frame.geometry.name == "geometry"  # WGS 84, lon/lat
    assert len(frame) == table.to_pyarrow_dataset().count_rows()
    assert set(frame.geom_type) == {"LineString"} and frame.is_valid.all()
    assert json.loads(table.history(1)[0]["geo"])["columns"]["geometry"]["geometry_types"] == ["LineString"]


def test_silver_repairs_or_quarantines_with_reasons(infra):
    from spark_jobs.gis_silver import normalise

    settings, _ = infra
    quarantine = _silver(settings, "power", "quarantine").to_pylist()
    reasons = {q["reason"].split(":")[0] for q in quarantine}
    assert "missing geometry" in reasons and any(r.startswith("duplicate") for r in reasons)
    for domain, table in [("power", "feeder_segments"), ("water", "pipes"), ("post", "delivery_points")]:
        geoms = shapely.from_wkb(_silver(settings, domain, table)["geometry"].to_numpy(zero_copy_only=False))
        assert shapely.is_valid(geoms).all()
    points = _silver(settings, "post", "delivery_points")
    assert "swapped_lat_lon" in points["geometry_fix"].to_pylist()
    wards = set(_silver(settings, "reference", "ward_areas_2025")["ward_code_2025"].to_pylist())
    assert set(points["ward_code_2025"].to_pylist()) <= wards
    # a bow-tie site is repaired, a collapsed line refused, a swapped point put back, no system refused
    bowtie = shapely.to_wkb(shapely.Polygon([(106.70, 10.77), (106.71, 10.78), (106.71, 10.77), (106.70, 10.78)]))
    collapsed = shapely.to_wkb(shapely.LineString([(106.70, 10.77), (106.70, 10.77)]))
    geoms, fix, reason, _ = normalise([bowtie], np.array([4326]), [None], "polygon")
    assert fix == ["make_valid"] and reason == [None] and geoms[0].geom_type == "MultiPolygon"
    _, _, reason, _ = normalise([collapsed], np.array([4326]), ["WGS84"], "line")
    assert reason[0].startswith("invalid geometry, not repairable")
    geoms, fix, _, _ = normalise([shapely.to_wkb(shapely.Point(10.77, 106.70))], np.array([4326]), [None], "point")
    assert fix == ["swapped_lat_lon"] and (geoms[0].x, geoms[0].y) == (106.70, 10.77)
    _, _, reason, _ = normalise([shapely.to_wkb(shapely.Point(686000, 1191000))], np.array([0]), [None], "point")
    assert reason[0].startswith("unknown coordinate system")


def test_topology_audit_passes_and_catches_a_dangling_feeder(infra):
    from expectations.gis import audit_infrastructure_silver, fed_edges

    settings, _ = infra
    assert all(line.endswith("passed") for name in OWNERS for line in audit_infrastructure_silver(name, settings))
    edges = _silver(settings, "power", "feeder_segments").to_pandas()
    subs = _silver(settings, "power", "substations").to_pandas()
    sources = set(subs.loc[subs.voltage == "110/22kV", "node_id"])
    closed = edges[edges.switch_state == "closed"]
    assert fed_edges(closed, sources, closed_only=True).all()
    # cut the segment leaving a substation: everything behind it dangles
    first = closed[closed.from_node.isin(sources)].iloc[0]
    cut = closed[closed.segment_code != first.segment_code]
    assert not fed_edges(cut, sources, closed_only=True).all()
    nodes = _silver(settings, "power", "feeder_segments_nodes")
    assert nodes.num_rows > 0 and min(nodes["degree"].to_pylist()) >= 1


def test_points_go_to_the_ward_whose_cell_holds_them():
    """The bucketed assignment against shapely's STRtree on the same points: clustered and uniform
    points, points outside the city, on the extent's edges and on ward corners, and no points."""
    from ingestion.reference.ward_areas import _grid, assign_wards, assign_wards_strtree, ward_areas_2025

    _, cells = ward_areas_2025()
    (x0, y0, x1, y1), _ = _grid()
    rng = np.random.default_rng(3)
    corners = shapely.get_coordinates(shapely.get_exterior_ring(cells))
    xs = np.concatenate([rng.uniform(x0 - 0.1, x1 + 0.1, 20_000), [x0, x1, x0, x1], corners[:, 0]])
    ys = np.concatenate([rng.uniform(y0 - 0.1, y1 + 0.1, 20_000), [y0, y1, y1, y0], corners[:, 1]])
    found, expected = assign_wards(xs, ys), assign_wards_strtree(xs, ys)
    assert (found >= 0).any() and (found < 0).any()
    # a point on a shared edge may go to either ward: then it must lie in the one it was given
    differ = np.flatnonzero(found != expected)
    assert all(found[i] >= 0 and shapely.intersects_xy(cells[found[i]], xs[i], ys[i]) for i in differ)
    assert len(differ) <= len(corners)
    assert assign_wards(np.array([]), np.array([])).tolist() == []
