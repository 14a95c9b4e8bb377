"""The open infrastructure map and its OGC API – Features and Tiles (pygeoapi 0.21), on loopback
(``settings.ogc_api_port``).

What is served is what ``open_data/gis_layers.py`` published through its gate, and nothing else:

- the open layers' tables, which ``build_map`` loads into the platform's GIS database (``open_gis``,
  PostGIS, schema ``layers``: written by the ``citylake`` owner, read by ``gis_reader``, a read-only
  role with a statement timeout). pygeoapi's ``PostgreSQL`` provider serves each as a Features
  collection (``/collections/<layer>/items``: ``bbox``, property filters such as ``?at_risk=true``,
  ``limit``/``offset`` paging with ``next`` links) and its ``MVT-postgresql`` provider as vector tiles
  (``/collections/<layer>/tiles/WebMercatorQuad/{z}/{y}/{x}?f=mvt``). Restricted tables never reach
  that database, so no collection of theirs exists here;
- the map page at ``/map/`` (``<run_dir>/map``: MapLibre vendored, no CDN).

pygeoapi's HTML pages load Leaflet and Bootstrap from CDNs; ``infra/pygeoapi`` holds copies of those
templates pointing at vendored files (served under ``/static``) instead, so no page fetches anything
from outside 127.0.0.1. The collections follow ``<run_dir>/map/collections.json``, the list
``build_map`` writes after swapping the tables in: when it changes, the server rebuilds pygeoapi's
configuration and OpenAPI document in place (no restart).
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

from citylake.services.process import ensure_ours, pid_alive, start_daemon, stop_daemon, wait_for_port
from citylake.settings import REPO_ROOT, Settings, get_settings

DATABASE = "open_gis"
SCHEMA = "layers"
READER = "gis_reader"
PYGEOAPI = REPO_ROOT / "infra" / "pygeoapi"     # templates overriding pygeoapi's, vendored static files
MAX_LIMIT = 1000
_PASSWORD_VAR = "CITYLAKE_GIS_READER_PASSWORD"  # pygeoapi reads ${...} from its environment


def _dir(settings: Settings) -> Path:
    return settings.services_dir / "ogc_api"


def url(settings: Settings) -> str:
    return f"{settings.ogc_api_url}/map/"


def manifest(settings: Settings) -> Path:
    """The published layers (name, title, bbox, tiled), written by ``build_map`` after each swap."""
    return settings.run_dir / "map" / "collections.json"


def ensure_database(settings: Settings) -> None:
    """The GIS database (PostGIS) owned by the platform's account, and its read-only reader."""
    import psycopg
    from psycopg import sql

    from citylake.services import postgres

    postgres.ensure_role(settings, READER, settings.pg_password(READER))
    postgres.ensure_database(settings, DATABASE)
    postgres.ensure_postgis(settings, DATABASE)
    with psycopg.connect(settings.pg_admin_dsn(), autocommit=True) as conn:
        conn.execute(sql.SQL("ALTER ROLE {} SET statement_timeout = '5s'").format(sql.Identifier(READER)))
        conn.execute(sql.SQL("GRANT CONNECT ON DATABASE {} TO {}").format(sql.Identifier(DATABASE),
                                                                         sql.Identifier(READER)))


def start(settings: Settings) -> None:
    from citylake.services import postgres

    if ensure_ours(settings.ogc_api_port, "OGC API", pid_alive(_dir(settings) / "ogc_api.pid")):
        return
    postgres.start(settings)
    ensure_database(settings)
    _dir(settings).mkdir(parents=True, exist_ok=True)
    (settings.run_dir / "map").mkdir(parents=True, exist_ok=True)
    _write_config(settings, _dir(settings))
    env = {**os.environ, **settings.env(), _PASSWORD_VAR: settings.pg_password(READER),
           "PYGEOAPI_CONFIG": str(_dir(settings) / "pygeoapi.yml"),
           "PYGEOAPI_OPENAPI": str(_dir(settings) / "openapi.yml")}
    start_daemon([sys.executable, "-m", "uvicorn", "citylake.services.ogc_api:app", "--host", "127.0.0.1",
                  "--port", str(settings.ogc_api_port), "--no-access-log"],
                 _dir(settings) / "ogc_api.pid", _dir(settings) / "ogc_api.log", env=env)
    wait_for_port(settings.ogc_api_port, 60, "OGC API", _dir(settings) / "ogc_api.log")


def stop(settings: Settings) -> bool:
    return stop_daemon(_dir(settings) / "ogc_api.pid")


def _published(settings: Settings) -> list[dict]:
    try:
        return json.loads(manifest(settings).read_text())["layers"]
    except FileNotFoundError:
        return []


def pygeoapi_config(settings: Settings, layers: list[dict]) -> dict:
    """pygeoapi's configuration: one collection per published layer, Features and (if tiled) Tiles."""
    base = settings.ogc_api_url     # the address its links give (a proxy's with CITYLAKE_OGC_API_URL)
    data = {"host": "127.0.0.1", "port": settings.pg_port, "dbname": DATABASE, "user": READER,
            "password": "${" + _PASSWORD_VAR + "}", "search_path": [SCHEMA]}
    resources = {}
    for layer in layers:
        providers = [{"type": "feature", "name": "PostgreSQL", "data": data, "id_field": "id",
                      "table": layer["name"], "geom_field": "geom"}]
        if layer.get("tiled"):
            # MVT-postgresql, its reprojection by SRID (pygeoapi_tiles.py); no `schemes:` in options:
            # pygeoapi passes non-dict options to the database driver
            providers.append({"type": "tile", "name": "citylake.services.pygeoapi_tiles.MVTPostGISProvider",
                              "data": data, "id_field": "id",
                              "table": layer["name"], "geom_field": "geom",
                              "options": {"zoom": {"min": 0, "max": 16}},
                              "format": {"name": "pbf", "mimetype": "application/vnd.mapbox-vector-tile"}})
        resources[layer["name"]] = {
            "type": "collection", "title": layer["title"], "description": layer["title"],
            "keywords": ["infrastructure", "Ho Chi Minh City"],
            "links": [{"type": "text/html", "rel": "alternate", "title": "The open infrastructure map",
                       "href": f"{base}/map/"}],
            "extents": {"spatial": {"bbox": layer["bbox"], "crs": "http://www.opengis.net/def/crs/OGC/1.3/CRS84"}},
            "providers": providers}
    return {
        "server": {"bind": {"host": "127.0.0.1", "port": settings.ogc_api_port}, "url": base,
                   "mimetype": "application/json; charset=UTF-8", "encoding": "utf-8",
                   "languages": ["en-US"], "pretty_print": False, "gzip": False, "cors": False,
                   "limits": {"default_items": 10, "max_items": MAX_LIMIT},
                   # no basemap leaves the machine: a plain tile from the vendored static files
                   "map": {"url": f"{base}/static/img/blank-tile.png", "attribution": "citylake"},
                   "templates": {"path": str(PYGEOAPI / "templates"), "static": str(PYGEOAPI / "static")}},
        "logging": {"level": "ERROR"},
        "metadata": {
            "identification": {"title": "citylake: open infrastructure layers",
                               "description": "Open layers of the city's infrastructure (critical assets only "
                                              "coarsened to their ward), as OGC API Features and Tiles",
                               "keywords": ["infrastructure", "open data"], "keywords_type": "theme",
                               "terms_of_service": f"{base}/map/", "url": f"{base}/map/"},
            "license": {"name": "CC-BY 4.0", "url": "https://creativecommons.org/licenses/by/4.0/"},
            "provider": {"name": "citylake", "url": f"{base}/map/"},
            "contact": {"name": "citylake open data", "email": "opendata@citylake.invalid", "url": f"{base}/map/",
                        "role": "pointOfContact"}},
        "resources": resources}


def _write_config(settings: Settings, where: Path) -> tuple[dict, dict]:
    """pygeoapi.yml and openapi.yml for the layers published now (checked against pygeoapi's schema)."""
    import yaml
    from pygeoapi.config import validate_config
    from pygeoapi.openapi import get_oas

    config = pygeoapi_config(settings, _published(settings))
    validate_config(config)
    (where / "pygeoapi.yml").write_text(yaml.safe_dump(config, sort_keys=False, allow_unicode=True))
    # as pygeoapi reads it (the file keeps a reference to the password, not the password)
    resolved = json.loads(json.dumps(config).replace("${" + _PASSWORD_VAR + "}", settings.pg_password(READER)))
    openapi = get_oas(resolved)
    (where / "openapi.yml").write_text(yaml.safe_dump(json.loads(json.dumps(openapi, default=str)),
                                                      sort_keys=False, allow_unicode=True))
    return resolved, openapi


def _create_app():
    """The map page and pygeoapi's Starlette app, on one port; pygeoapi's API is rebuilt in place when
    ``collections.json`` changes (a new map was published)."""
    import anyio
    import pygeoapi.starlette_app as served
    from pygeoapi.api import API
    from pygeoapi.provider import sql
    from starlette.applications import Starlette
    from starlette.responses import RedirectResponse
    from starlette.routing import Mount, Route
    from starlette.staticfiles import StaticFiles

    settings = get_settings()
    root = settings.run_dir / "map"
    root.mkdir(parents=True, exist_ok=True)
    state = {"stamp": _stamp(settings)}
    lock = anyio.Lock()

    def reload() -> None:
        stamp = _stamp(settings)
        config, openapi = _write_config(settings, _dir(settings))
        sql.get_table_model.cache_clear()           # the tables were replaced: reflect them again
        served.api_ = API(config, openapi)
        state["stamp"] = stamp

    async def to_map(request):
        return RedirectResponse("/map/")

    inner = Starlette(routes=[Route("/map", to_map),
                              Mount("/map", StaticFiles(directory=root, html=True, check_dir=False)),
                              Mount("/", served.APP)])

    async def app(scope, receive, send):
        if scope["type"] != "http":
            return await inner(scope, receive, send)
        if _stamp(settings) != state["stamp"]:
            async with lock:
                if _stamp(settings) != state["stamp"]:
                    await anyio.to_thread.run_sync(reload)
        no_content = False

        async def send_204_bare(message):
            # pygeoapi answers an empty tile 204 *with* an exception body, which uvicorn refuses
            # mid-response (the client sees a broken connection): a 204 goes out without a body
            nonlocal no_content
            if message["type"] == "http.response.start" and message["status"] == 204:
                no_content = True
                message = {**message, "headers": [(k, v) for k, v in message.get("headers", [])
                                                  if k.lower() != b"content-length"]}
            elif message["type"] == "http.response.body" and no_content:
                message = {**message, "body": b""}
            await send(message)

        await inner(scope, receive, send_204_bare)

    return app


def _stamp(settings: Settings) -> int | None:
    try:
        return manifest(settings).stat().st_mtime_ns
    except FileNotFoundError:
        return None


def __getattr__(name: str):
    if name == "app":   # built on first use: importing the module (citylake up) needs no pygeoapi
        return _create_app()
    raise AttributeError(name)
