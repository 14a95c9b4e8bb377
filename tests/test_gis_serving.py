"""Network analyses, the open map and its OGC API Features, over the registries built in a private
lakehouse: pandapower, WNTR and networkx results checked against the networks they came from, the
publication gate refusing restricted layers, the map drawn in Chromium, and pygeoapi over HTTP:
Features (bbox, property filter, paging), vector tiles, 404 for restricted layers, and its HTML pages
rendered offline."""

from __future__ import annotations

import json
import urllib.parse
import urllib.request

import numpy as np
import pytest
import shapely
from browser import loopback_page, offline_page

OWNERS = ("evn", "sawaco", "streets", "telecom", "vnpost")


@pytest.fixture(scope="module")
def built(postgres, tmp_path_factory):
    """Registries → bronze → silver → analyses → map, then the map server on its port."""
    from analytics import networks
    from citylake.services import ogc_api
    from citylake.settings import Settings
    from ingestion.extract import extract_source
    from open_data import gis_layers
    from simulators.departments import prepare_source
    from spark_jobs import gis_silver

    mp = pytest.MonkeyPatch()
    mp.setenv("CITYLAKE_LAKEHOUSE", str(tmp_path_factory.mktemp("gis-serving") / "lakehouse"))
    settings = Settings()
    for owner in OWNERS:
        prepare_source(settings, owner, scale=0.02, seed=7, force=True)
        extract_source(owner, settings)
        gis_silver.run(owner, settings)
    counts = networks.run_all(settings)
    gis_layers.build_map(settings)
    ogc_api.stop(settings)
    ogc_api.start(settings)
    yield settings, counts
    ogc_api.stop(settings)
    mp.undo()


def _gold(settings, name):
    from citylake import delta
    from citylake.catalog import gold_uri

    return delta.read_arrow(gold_uri(settings, "infrastructure", name)).to_pandas()


def _silver(settings, domain, table):
    from citylake import delta
    from citylake.catalog import silver_uri

    return delta.read_arrow(silver_uri(settings, domain, table)).to_pandas()


def test_power_n1_matches_the_feeder_trees(built):
    """A feeder breaker trip darkens exactly the customers on that feeder; a substation outage at least
    all of its feeders'; ties restore some of it, never more than was lost."""
    settings, _ = built
    n1 = _gold(settings, "power_n1_contingencies").set_index("element_code")
    trafos = _silver(settings, "power", "transformers")
    trafos["customers"] = trafos.customers.fillna(trafos.customers.median()).astype(int)  # as the analysis does
    segs = _silver(settings, "power", "feeder_segments")
    fed_nodes = set(segs.from_node) | set(segs.to_node)
    on_feeder = trafos[trafos.node_id.isin(fed_nodes)].groupby("feeder_code").customers.sum()
    feeders = n1[n1.element_type == "feeder"]
    assert len(feeders) > 5
    base = n1.loc["-"]
    for code, row in feeders.iterrows():  # beyond what was dark before any outage
        assert on_feeder[code] - base.customers_lost <= row.customers_lost <= on_feeder[code]
    assert (n1.customers_unrestorable <= n1.customers_lost).all()
    n1 = n1.drop(index="-")
    assert (n1.customers_unrestorable < n1.customers_lost).any()  # the ties restore someone somewhere
    subs = n1[n1.element_type == "substation"]
    for code, row in subs.iterrows():
        assert row.customers_lost >= on_feeder[on_feeder.index.str.startswith(code + "/")].sum() > 0
    wards = _gold(settings, "power_n1_wards")
    assert wards.at_risk.any() and not wards.at_risk.all()
    assert wards.customers.sum() == trafos.customers.sum()


def test_water_pressures_and_break_risk(built):
    settings, _ = built
    pressure = _gold(settings, "water_pressure")
    junctions = _silver(settings, "water", "junctions")
    assert set(junctions.node_id) <= set(pressure.node_id)
    assert pressure.pressure_m.between(0, 80).all()  # positive and below the plants' head
    assert (pressure.deficit == (pressure.pressure_m < 10)).all()
    risk = _gold(settings, "water_pipe_risk").set_index("pipe_code")
    old_iron = risk[(risk.material == "cast_iron") & (risk.age_years > 40)]
    new_pe = risk[(risk.material == "hdpe") & (risk.age_years < 10)]
    lengths = _silver(settings, "water", "pipes").set_index("pipe_code").length_m

    def per_km(df):
        return (df.expected_breaks_per_year / lengths.reindex(df.index) * 1000).median()

    assert per_km(old_iron) > 3 * per_km(new_pe)


def test_post_coverage_is_by_street_distance(built):
    """Street distance is never shorter than the crow flies: a ward's street coverage is at most what a
    straight-line radius of the same length would give."""
    settings, _ = built
    cov = _gold(settings, "coverage_wards").set_index("ward_code_2025")
    assert cov.post_coverage.between(0, 1).all() and cov.antenna_coverage.between(0, 1).all()
    points = _silver(settings, "post", "delivery_points")
    offices = _silver(settings, "post", "post_offices")
    k = np.cos(np.radians(10.8))
    d = np.hypot(
        (points.longitude.to_numpy()[:, None] - offices.longitude.to_numpy()[None]) * 111_320 * k,
        (points.latitude.to_numpy()[:, None] - offices.latitude.to_numpy()[None]) * 110_570,
    ).min(axis=1)
    hh = points.households.fillna(points.households.median())
    crow = points.assign(c=(d <= 1500) * hh, h=hh).groupby("ward_code_2025").sum(numeric_only=True)
    assert (cov.post_coverage <= (crow.c / crow.h).reindex(cov.index) + 1e-9).all()
    assert cov.post_coverage.sum() > 0


def test_publication_gate_refuses_restricted_layers(built):
    from open_data.gis_layers import Layer, RestrictedLayer, publish_layer

    with pytest.raises(RestrictedLayer, match="restricted"):
        publish_layer(Layer("substations", "power", ("substations",)))
    with pytest.raises(RestrictedLayer, match="restricted"):
        publish_layer(Layer("valves", "water", ("valves",)))
    with pytest.raises(RestrictedLayer, match="internal"):
        publish_layer(Layer("pipes", "water", ("pipes",)))
    publish_layer(Layer("substations_by_ward", "power", ("substations",), coarsened=True))
    settings, _ = built
    # the published substations layer holds ward centres only, never a substation's position
    layer = json.loads((settings.run_dir / "map" / "layers" / "substations_by_ward.geojson").read_text())
    wards = _silver(settings, "reference", "ward_areas_2025").set_index("ward_code_2025")
    subs = _silver(settings, "power", "substations")
    exact = set(zip(subs.longitude.round(6), subs.latitude.round(6)))
    for f in layer["features"]:
        x, y = f["geometry"]["coordinates"]
        w = wards.loc[f["properties"]["ward_code_2025"]]
        assert (round(x, 4), round(y, 4)) == (round(w.longitude, 4), round(w.latitude, 4))
        assert (round(x, 6), round(y, 6)) not in exact
        assert set(f["properties"]) == {"ward_code_2025", "ward_name_2025", "substations", "count"}


def _get(settings, path: str, **params) -> dict:
    url = f"http://127.0.0.1:{settings.ogc_api_port}{path}"
    if params:
        url += "?" + urllib.parse.urlencode(params)
    with urllib.request.urlopen(url) as response:
        return json.load(response)


def test_features_endpoint_bbox_filter_and_paging(built):
    settings, _ = built
    names = {c["id"] for c in _get(settings, "/collections")["collections"]}
    assert {"wards", "streets", "post_offices", "substations_by_ward"} <= names
    assert not names & {"substations", "valves", "plants", "pipes"}
    everything = _get(settings, "/collections/hydrants/items", limit=1000)
    total = everything["numberMatched"]
    assert total == len(everything["features"]) > 20
    # paging: the pages, followed by their next links, are the whole collection once
    seen, page = [], _get(settings, "/collections/hydrants/items", limit=7)
    while True:
        seen += [f["id"] for f in page["features"]]
        nxt = [link["href"] for link in page["links"] if link["rel"] == "next"]
        if not nxt:
            break
        with urllib.request.urlopen(nxt[0]) as response:
            page = json.load(response)
    assert sorted(seen) == sorted(f["id"] for f in everything["features"]) and len(seen) == total
    # bbox: exactly the features inside the box
    xs = [f["geometry"]["coordinates"][0] for f in everything["features"]]
    ys = [f["geometry"]["coordinates"][1] for f in everything["features"]]
    box = (min(xs), min(ys), float(np.median(xs)), float(np.median(ys)))
    inside = _get(settings, "/collections/hydrants/items", bbox=",".join(map(str, box)), limit=1000)
    expected = {
        f["id"] for f in everything["features"] if shapely.box(*box).intersects(shapely.geometry.shape(f["geometry"]))
    }
    assert {f["id"] for f in inside["features"]} == expected and 0 < len(expected) < total
    # property filter: the wards at N-1 risk
    at_risk = _get(settings, "/collections/wards/items", at_risk="true", limit=1000)
    n1 = _gold(settings, "power_n1_wards")
    assert {f["properties"]["ward_code_2025"] for f in at_risk["features"]} == set(n1[n1.at_risk].ward_code_2025)
    with pytest.raises(urllib.error.HTTPError) as err:
        _get(settings, "/collections/hydrants/items", limit=0)
    assert err.value.code == 400


def _tile(lon: float, lat: float, z: int) -> tuple[int, int]:
    """The WebMercatorQuad (row, col) of the tile holding (lon, lat) at zoom z."""
    n = 2**z
    col = int((lon + 180) / 360 * n)
    row = int((1 - np.arcsinh(np.tan(np.radians(lat))) / np.pi) / 2 * n)
    return row, col


def test_vector_tiles_of_streets(built):
    """pygeoapi's Tiles: a tile of the streets (MVT from PostGIS) holds the segments crossing it."""
    import mapbox_vector_tile

    settings, _ = built
    tilesets = _get(settings, "/collections/streets/tiles", f="json")["tilesets"]
    assert any(t["tileMatrixSetURI"].endswith("/WebMercatorQuad") for t in tilesets)
    streets = _get(settings, "/collections/streets/items", limit=1000)
    (x0, y0, x1, y1) = shapely.total_bounds([shapely.geometry.shape(f["geometry"]) for f in streets["features"]])
    row, col = _tile((x0 + x1) / 2, (y0 + y1) / 2, 12)
    base = f"http://127.0.0.1:{settings.ogc_api_port}/collections/streets/tiles/WebMercatorQuad"
    with urllib.request.urlopen(f"{base}/12/{row}/{col}?f=mvt", timeout=30) as response:
        assert response.status == 200
        assert response.headers["Content-Type"] == "application/vnd.mapbox-vector-tile"
        tile = mapbox_vector_tile.decode(response.read())
    features = tile["streets"]["features"]
    # the tile's box, in lon/lat: its segments are exactly the streets crossing it
    n = 2**12
    west, east = col / n * 360 - 180, (col + 1) / n * 360 - 180
    north, south = (float(np.degrees(np.arctan(np.sinh(np.pi * (1 - 2 * r / n))))) for r in (row, row + 1))
    box = shapely.box(west, south, east, north)
    shapes = {f["id"]: shapely.geometry.shape(f["geometry"]) for f in streets["features"]}
    crossing = {i for i, g in shapes.items() if box.intersects(g)}
    near = {i for i, g in shapes.items() if box.intersects(g.envelope)}   # the provider selects by bbox
    assert 20 < len(crossing) and crossing <= {f["properties"]["id"] for f in features} <= near
    assert all(f["properties"]["street_name"] for f in features)
    # a tile far from the city is empty: 204, no body
    with urllib.request.urlopen(f"{base}/12/0/0?f=mvt", timeout=30) as response:
        assert response.status == 204 and response.read() == b""


RESTRICTED = ("substations", "valves", "plants", "pumping_stations", "pipes", "feeder_segments", "transformers")


def test_restricted_layers_are_not_served(built):
    """The gate's refusal holds at the server: no restricted table reaches the GIS database, so pygeoapi
    has no collection, items or tiles of one (404); its reader can read, never write."""
    import psycopg

    from citylake.services import ogc_api

    settings, _ = built
    for name in RESTRICTED:
        for path in (f"/collections/{name}", f"/collections/{name}/items",
                     f"/collections/{name}/tiles/WebMercatorQuad/12/1924/3261"):
            with pytest.raises(urllib.error.HTTPError) as err:
                _get(settings, path, f="json")
            assert err.value.code == 404, path
    published = {layer["name"] for layer in json.loads(ogc_api.manifest(settings).read_text())["layers"]}
    with psycopg.connect(settings.pg_dsn(ogc_api.DATABASE)) as conn:   # the owner sees every table
        tables = {r[0] for r in conn.execute(
            "SELECT schemaname || '.' || tablename FROM pg_tables WHERE schemaname NOT IN "
            "('pg_catalog', 'information_schema') AND tablename <> 'spatial_ref_sys'")}
    assert tables == {f"layers.{name}" for name in published} and len(published) == 7
    reader = settings.pg_dsn(ogc_api.DATABASE, ogc_api.READER)
    with psycopg.connect(reader) as conn:
        assert conn.execute("SELECT count(*) FROM layers.hydrants").fetchone()[0] > 20
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            conn.execute("DELETE FROM layers.hydrants")
    with psycopg.connect(reader) as conn, pytest.raises(psycopg.errors.InsufficientPrivilege):
        conn.execute("CREATE TABLE layers.substations (id int)")
    # the server follows what build_map published: a layer taken out of the list is gone, then back
    manifest = ogc_api.manifest(settings)
    listed = manifest.read_text()
    try:
        kept = [layer for layer in json.loads(listed)["layers"] if layer["name"] != "hydrants"]
        manifest.write_text(json.dumps({"layers": kept}))
        with pytest.raises(urllib.error.HTTPError) as err:
            _get(settings, "/collections/hydrants/items")
        assert err.value.code == 404
    finally:
        manifest.write_text(listed)
    assert _get(settings, "/collections/hydrants/items", limit=1)["numberReturned"] == 1


def test_pygeoapi_pages_render_offline_in_chromium(built):
    """pygeoapi's HTML (its templates overridden in infra/pygeoapi: Leaflet, Bootstrap and the rest
    vendored) loads nothing from outside 127.0.0.1 and logs no error."""
    import re
    from pathlib import Path

    import pygeoapi

    from citylake.services.ogc_api import PYGEOAPI

    # every template pygeoapi could render here (ours first, then its own) fetches nothing from outside
    builtin, ours = Path(pygeoapi.__file__).parent / "templates", PYGEOAPI / "templates"
    fetch = re.compile(r"<(script|img|iframe|source)\b[^>]*\bsrc=[\"']https?://|<link\b[^>]*\bhref=[\"']https?://"
                       r"|url\([\"']?https?://|@import|unpkg\.com|cdnjs|jsdelivr|googleapis", re.I)
    for template in builtin.rglob("*.html"):
        used = ours / template.relative_to(builtin)
        text = (used if used.exists() else template).read_text()
        assert not fetch.search(text), (template.relative_to(builtin), fetch.search(text).group(0))

    settings, _ = built
    (settings.run_dir / "reports").mkdir(parents=True, exist_ok=True)
    base = f"http://127.0.0.1:{settings.ogc_api_port}"
    pages = {"landing": ("/?f=html", "a[href*='/collections']"),
             "collection": ("/collections/wards?f=html", "#collection-map .leaflet-interactive"),
             "items": ("/collections/wards/items?f=html&limit=100", "#items-map .leaflet-interactive"),
             "hydrants": ("/collections/hydrants/items?f=html&limit=100", "#items-map .leaflet-marker-icon"),
             "tiles": ("/collections/streets/tiles?f=html", "#items-map canvas.leaflet-tile")}
    for name, (path, drawn) in pages.items():
        with loopback_page(base + path, 1280, 900) as (page, log):
            page.wait_for_selector(drawn, timeout=30_000)
            page.wait_for_load_state("networkidle")
            assert page.evaluate("typeof L === 'undefined' || L.version === '1.9.4'")
            # Bootstrap's stylesheet applied (the navigation bar's pills)
            assert page.evaluate("getComputedStyle(document.querySelector('.nav-pills')).display") == "flex"
            if name in ("items", "tiles"):
                page.screenshot(path=str(settings.run_dir / "reports" / f"pygeoapi_{name}.png"))
        assert not log.outside, (name, log.outside)
        assert not log.errors, (name, log.errors)
        assert any("/static/vendor/" in u for u in log.requests), name

def test_map_renders_offline_in_chromium(built):
    settings, _ = built
    shot = settings.run_dir / "reports" / "infrastructure_map.png"
    shot.parent.mkdir(parents=True, exist_ok=True)
    with loopback_page(f"http://127.0.0.1:{settings.ogc_api_port}/map/", 1280, 800, webgl=True) as (page, log):
        page.wait_for_function("document.body.dataset.ready === '1'", timeout=60_000)
        assert page.evaluate("map.getLayer('wards_n1') !== undefined && map.getLayer('substations') !== undefined")
        drawn = page.evaluate("map.queryRenderedFeatures({layers: ['wards_n1']}).length")
        tiled = page.evaluate("map.querySourceFeatures('streets', {sourceLayer: 'streets'}).length")
        legend = page.locator("#legend input[type=checkbox]")
        assert legend.count() == 7 and page.locator("#legend").is_visible()
        page.screenshot(path=str(shot))
        # a toggle hides its layer
        page.locator("#legend input[data-layer='streets']").uncheck()
        assert page.evaluate("map.getLayoutProperty('streets', 'visibility')") == "none"
    assert drawn > 10 and tiled > 50  # the streets came from the PMTiles file
    assert any(u.endswith("streets.pmtiles") for u in log.requests)
    assert not log.outside, log.outside
    assert not [e for e in log.errors if "WebGL" not in e], log.errors
    from PIL import Image

    pixels = np.asarray(Image.open(shot).convert("RGB"))[:, 320:]  # right of the legend panel
    colours = {tuple(p) for p in pixels.reshape(-1, 3)[::97]}
    assert len(colours) > 20  # wards, streets and assets drawn, not a blank background


def test_leadership_report_has_the_infrastructure_section(built, tmp_path):
    from reporting.infrastructure_section import ward_table
    from reporting.leadership import render

    settings, _ = built
    table = ward_table(settings)
    n1 = _gold(settings, "power_n1_wards")
    assert table.num_rows == len(n1) and set(table["ward_code_2025"].to_pylist()) == set(n1.ward_code_2025)
    report = render(tmp_path / "no-marts.duckdb", tmp_path, infrastructure=table)
    assert "infra_ward_risk" not in report.empty_sections
    html = report.path.read_text()
    assert "Phường có nguy cơ N-1" in html and f"{int(n1.at_risk.sum())} / {len(n1)}" in html
    with offline_page(report.path.as_uri()) as (page, log):
        page.wait_for_function("document.querySelectorAll('#chart-infra_ward_risk path.choroplethlocation').length > 0")
        drawn = page.evaluate("document.querySelectorAll('#chart-infra_ward_risk path.choroplethlocation').length")
        page.locator("#chart-infra_ward_risk").screenshot(
            path=str(settings.run_dir / "reports" / "report_infrastructure.png")
        )
    assert drawn == len(n1) and not log.outside


def test_every_spatial_table_is_catalogued(built):
    import os

    from citylake.catalog import all_tables, entry

    settings, _ = built
    root = settings.lakehouse
    found = {os.path.relpath(os.path.dirname(p), root) for p, _, _ in os.walk(root) if p.endswith("_delta_log")}
    catalogued = {f"{t.layer}/{t.domain}/{t.name}" for t in all_tables()}
    assert len(found) > 30 and found <= catalogued, sorted(found - catalogued)
    assert entry("silver", "power", "substations").classification == "restricted"
    assert entry("bronze", "sawaco", "valves").classification == "restricted"


def test_open_layers_reach_the_portal_with_their_ogc_api_link(built, ckan):
    """Each open layer is a dataset of the registry's owner on the real CKAN: the GeoJSON the map
    serves, a map preview, and a link that answers as the layer's OGC API collection; critical
    assets only as counts per ward; a second publication changes nothing."""
    import ckanapi
    import requests

    from open_data.gis_layers import OPEN_LAYERS
    from open_data.gis_portal import layer_spec, publish_layers

    settings, _ = built
    api = ckanapi.RemoteCKAN(ckan.ckan_url, apikey=ckan.ckan_api_token)
    for layer in OPEN_LAYERS:
        try:
            api.action.dataset_purge(id=layer_spec(layer).name)
        except ckanapi.NotFound:
            pass
    first = publish_layers(settings, api)
    assert [r.dataset for r in first] == [layer_spec(layer).name for layer in OPEN_LAYERS]
    assert all(r.package_changed and {"GeoJSON", "OGC API Features"} <= set(r.resources_changed) for r in first)

    citizen = ckanapi.RemoteCKAN(ckan.ckan_url)
    for layer in OPEN_LAYERS:
        spec = layer_spec(layer)
        package = citizen.action.package_show(id=spec.name)
        assert package["organization"]["name"] == spec.organization.name
        assert package["license_id"] == "CC-BY-4.0" and package["publisher"]
        geo = next(r for r in package["resources"] if r["format"] == "GeoJSON")
        served = requests.get(geo["url"], timeout=30).json()
        built_file = json.loads((settings.run_dir / "map" / "layers" / f"{layer.name}.geojson").read_text())
        assert served == built_file and served["features"]
        assert "geojson_view" in {v["view_type"] for v in citizen.action.resource_view_list(id=geo["id"])}
        link = next(r for r in package["resources"] if r["format"] == "OGC API Features")
        assert link["url"] == f"http://127.0.0.1:{settings.ogc_api_port}/collections/{layer.name}"
        items = requests.get(f"{link['url']}/items", params={"limit": 1000, "f": "json"}, timeout=30).json()
        assert items["numberMatched"] == len(served["features"]), layer.name
        if layer.coarsened:
            # a count at the ward's centre, never an asset's own attributes or position
            assert all({"ward_code_2025", "count"} <= set(f["properties"]) and f["geometry"]["type"] == "Point"
                       for f in served["features"])
    again = publish_layers(settings, api)
    assert not any(r.package_changed or r.resources_changed for r in again), [str(r) for r in again]
