"""The open infrastructure map and its OGC API Features, on loopback (``settings.ogc_api_port``).

Serves ``<run_dir>/map``, which ``open_data/gis_layers.py`` builds through its publication gate, and
nothing else: the page (``/map/``, MapLibre vendored, no CDN) and each layer file as an OGC API –
Features collection (``/collections/<layer>/items``: ``bbox``, ``limit``/``offset`` paging with
``next`` links, and equality filters on properties, e.g. ``?at_risk=true``), JSON only. A small
FastAPI app rather than pygeoapi: pygeoapi's HTML templates load Leaflet and Bootstrap from CDNs and
its Parquet provider pulls s3fs; the layers here are a handful of GeoJSON files.
"""

import json
import os
import sys
from functools import lru_cache
from pathlib import Path

from citylake.services.process import ensure_ours, pid_alive, start_daemon, stop_daemon, wait_for_port
from citylake.settings import Settings, get_settings

MAX_LIMIT = 1000


def _dir(settings: Settings) -> Path:
    return settings.services_dir / "ogc_api"


def url(settings: Settings) -> str:
    return f"{settings.ogc_api_url}/map/"


def start(settings: Settings) -> None:
    if ensure_ours(settings.ogc_api_port, "OGC API", pid_alive(_dir(settings) / "ogc_api.pid")):
        return
    (_dir(settings)).mkdir(parents=True, exist_ok=True)
    (settings.run_dir / "map").mkdir(parents=True, exist_ok=True)
    env = {**os.environ, **settings.env()}
    start_daemon([sys.executable, "-m", "uvicorn", "citylake.services.ogc_api:app", "--host", "127.0.0.1",
                  "--port", str(settings.ogc_api_port), "--no-access-log"],
                 _dir(settings) / "ogc_api.pid", _dir(settings) / "ogc_api.log", env=env)
    wait_for_port(settings.ogc_api_port, 30, "OGC API", _dir(settings) / "ogc_api.log")


def stop(settings: Settings) -> bool:
    return stop_daemon(_dir(settings) / "ogc_api.pid")


def _create_app():
    import shapely
    from fastapi import FastAPI, HTTPException, Request
    from fastapi.responses import JSONResponse, RedirectResponse
    from fastapi.staticfiles import StaticFiles

    settings = get_settings()
    root = settings.run_dir / "map"
    root.mkdir(parents=True, exist_ok=True)
    app = FastAPI(title="citylake OGC API – Features", docs_url=None, redoc_url=None, openapi_url="/api")

    def layers() -> dict[str, Path]:
        return {p.stem: p for p in sorted((root / "layers").glob("*.geojson"))}

    @lru_cache(maxsize=32)
    def load(path: Path, mtime: float) -> tuple[list[dict], object]:
        features = json.loads(path.read_text())["features"]
        return features, shapely.STRtree([shapely.geometry.shape(f["geometry"]) for f in features])

    def collection(name: str, base: str) -> dict:
        return {"id": name, "title": name, "itemType": "feature",
                "crs": ["http://www.opengis.net/def/crs/OGC/1.3/CRS84"],
                "links": [{"rel": "items", "type": "application/geo+json", "href": f"{base}/collections/{name}/items"}]}

    @app.get("/")
    def landing(request: Request):
        base = str(request.base_url).rstrip("/")
        return {"title": "citylake infrastructure", "links": [
            {"rel": "conformance", "href": f"{base}/conformance"}, {"rel": "data", "href": f"{base}/collections"},
            {"rel": "service-desc", "href": f"{base}/api"}, {"rel": "alternate", "type": "text/html",
                                                              "href": f"{base}/map/"}]}

    @app.get("/conformance")
    def conformance():
        return {"conformsTo": ["http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/core",
                               "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/geojson"]}

    @app.get("/collections")
    def collections(request: Request):
        base = str(request.base_url).rstrip("/")
        return {"collections": [collection(n, base) for n in layers()], "links": []}

    @app.get("/collections/{name}")
    def one(name: str, request: Request):
        if name not in layers():
            raise HTTPException(404, f"no collection {name}")
        return collection(name, str(request.base_url).rstrip("/"))

    @app.get("/collections/{name}/items")
    def items(name: str, request: Request, bbox: str | None = None, limit: int = 10, offset: int = 0):
        path = layers().get(name)
        if path is None:
            raise HTTPException(404, f"no collection {name}")
        if not 1 <= limit <= MAX_LIMIT or offset < 0:
            raise HTTPException(400, f"limit must be 1..{MAX_LIMIT} and offset >= 0")
        features, tree = load(path, path.stat().st_mtime)
        chosen = range(len(features))
        if bbox:
            try:
                box = shapely.box(*[float(v) for v in bbox.split(",")])
            except (TypeError, ValueError):
                raise HTTPException(400, "bbox is minx,miny,maxx,maxy (lon/lat)") from None
            chosen = sorted(tree.query(box, predicate="intersects").tolist())
        filters = {k: v for k, v in request.query_params.items() if k not in ("bbox", "limit", "offset", "f")}
        if filters:
            def matches(props: dict) -> bool:
                return all(str(props.get(k)).lower() == v.lower() for k, v in filters.items())
            chosen = [i for i in chosen if matches(features[i]["properties"])]
        chosen = list(chosen)
        page = [features[i] for i in chosen[offset:offset + limit]]
        links = [{"rel": "self", "type": "application/geo+json", "href": str(request.url)}]
        if offset + limit < len(chosen):
            links.append({"rel": "next", "type": "application/geo+json",
                          "href": str(request.url.include_query_params(offset=offset + limit, limit=limit))})
        return JSONResponse({"type": "FeatureCollection", "numberMatched": len(chosen), "numberReturned": len(page),
                             "features": page, "links": links}, media_type="application/geo+json")

    @app.get("/map")
    def to_map():
        return RedirectResponse("/map/")

    app.mount("/map", StaticFiles(directory=root, html=True, check_dir=False), name="map")
    return app


def __getattr__(name: str):
    if name == "app":   # built on first use: importing the module (citylake up) needs no FastAPI
        return _create_app()
    raise AttributeError(name)
