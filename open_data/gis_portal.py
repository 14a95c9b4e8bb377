"""The open infrastructure map's layers on the portal: one dataset per open layer, under the owner
that keeps the registry, holding the layer's GeoJSON exactly as the map serves it (a map preview on
its page) and a link to the same layer as an OGC API Features collection.

Only what ``build_map`` wrote after the publication gate goes out, and the gate is asked again here:
a restricted table's positions never reach the portal, only its per-ward counts. The same
personal-data scan as every dataset runs over the features' properties first. Idempotent by content,
like every resource the publisher sends.
"""
from __future__ import annotations

import json
import logging
from pathlib import Path

import ckanapi
import pyarrow as pa

from citylake.settings import Settings, get_settings
from open_data.departments import CONSTRUCTION
from open_data.gis_layers import OPEN_LAYERS, Layer, publish_layer
from open_data.privacy import require_clean
from open_data.publish import PublishResult, _upload, ensure_organization, ensure_package, ensure_table_view
from open_data.spec import DatasetSpec, organization

log = logging.getLogger(__name__)

OGC_FORMAT = "OGC API Features"


EVN_HCMC = organization("evn-hcmc", "Tổng công ty Điện lực TP.HCM (EVNHCMC)",
                        "Ho Chi Minh City Power Corporation",
                        "Lưới điện phân phối 110/22 kV của thành phố.", "The city's 110/22 kV distribution grid.")
SAWACO = organization("sawaco", "Tổng Công ty Cấp nước Sài Gòn (SAWACO)", "Saigon Water Corporation",
                      "Mạng lưới cấp nước: nhà máy, trạm bơm, đường ống, van, trụ cứu hỏa.",
                      "The water network: plants, pumping stations, pipes, valves, hydrants.")
SCIENCE_TECHNOLOGY = organization("so-khoa-hoc-cong-nghe-tphcm",
                                  "Sở Khoa học và Công nghệ Thành phố Hồ Chí Minh",
                                  "Department of Science and Technology of Ho Chi Minh City",
                                  "Hạ tầng viễn thông (từ 2025 gồm chức năng của Sở Thông tin và Truyền thông).",
                                  "Telecommunication infrastructure (since 2025 including the former Department "
                                  "of Information and Communications).")
VNPOST_HCMC = organization("buu-dien-tphcm", "Bưu điện Thành phố Hồ Chí Minh (VNPost)",
                           "Ho Chi Minh City Post (VNPost)",
                           "Mạng bưu cục và điểm phục vụ bưu chính.", "Post offices and postal service points.")

OWNERS = {"streets": CONSTRUCTION, "power": EVN_HCMC, "water": SAWACO, "telecom": SCIENCE_TECHNOLOGY,
          "post": VNPOST_HCMC}

# layer: (dataset name, title vi, title en, notes vi, notes en)
_DESCRIBED = {
    "streets": ("mang-luoi-duong-pho", "Mạng lưới đường phố", "Street network",
                "Các đoạn đường phố với tên, cấp đường và phường/xã (đơn vị hành chính 2025).",
                "Street segments with name, class and 2025 ward."),
    "post_offices": ("buu-cuc", "Bưu cục", "Post offices",
                     "Vị trí các bưu cục và điểm phục vụ bưu chính.", "Post offices and postal service points."),
    "antenna_sites": ("tram-anten-vien-thong", "Trạm anten viễn thông", "Telecom antenna sites",
                      "Vị trí trạm anten thu phát sóng di động.", "Mobile antenna sites."),
    "hydrants": ("tru-cuu-hoa", "Trụ cứu hỏa", "Fire hydrants",
                 "Vị trí trụ cứu hỏa trên mạng cấp nước.", "Fire hydrants on the water network."),
    "substations_by_ward": ("tram-bien-ap-theo-phuong", "Trạm biến áp 110 kV theo phường/xã",
                            "110 kV substations per ward",
                            "Số trạm biến áp 110/22 kV trong mỗi phường/xã, tại tâm phường: vị trí công trình "
                            "trọng yếu không được công bố.",
                            "Count of 110/22 kV substations in each ward, placed at the ward's centre: the "
                            "positions of critical assets are not published."),
    "water_critical_by_ward": ("cong-trinh-cap-nuoc-trong-yeu-theo-phuong",
                               "Công trình cấp nước trọng yếu theo phường/xã", "Critical water assets per ward",
                               "Số nhà máy nước, trạm bơm và van chính trong mỗi phường/xã, tại tâm phường: vị trí "
                               "công trình trọng yếu không được công bố.",
                               "Count of water plants, pumping stations and main valves in each ward, placed at "
                               "the ward's centre: the positions of critical assets are not published."),
}


def layer_spec(layer: Layer) -> DatasetSpec:
    """The portal dataset of one open layer, under the owner of its registry."""
    name, title, title_en, notes, notes_en = _described(layer)
    owner = OWNERS[layer.domain]
    return DatasetSpec(
        name=name, mart=None, primary_key="", organization=owner, title=title, title_en=title_en,
        notes=f"{notes} Lớp mở của bản đồ hạ tầng đô thị; cũng có qua OGC API Features.",
        notes_en=f"{notes_en} An open layer of the city's infrastructure map; also served as OGC API Features.",
        tags=["hạ tầng", "infrastructure", "GIS", "bản đồ", "map", "TP.HCM", "Ho Chi Minh City"],
        update_frequency="daily", source=f"{owner.title}, qua kho dữ liệu dùng chung citylake",
        geojson=True)


def _described(layer: Layer) -> tuple[str, str, str, str, str]:
    try:
        return _DESCRIBED[layer.name]
    except KeyError:
        raise KeyError(f"open layer {layer.name!r} has no portal description (open_data/gis_portal.py)") from None


def _properties(collection: dict) -> pa.Table:
    """The features' attributes as a table: what the personal-data scan reads. Text stays text and
    numbers numbers (a longitude's digits are not an ID number); a column of mixed kinds is text."""
    rows = [f.get("properties") or {} for f in collection["features"]]
    names = list(dict.fromkeys(k for row in rows for k in row))
    columns = {}
    for name in names:
        values = [row.get(name) for row in rows]
        kinds = {type(v) for v in values if v is not None}
        if kinds and kinds <= {int, float} or kinds == {bool}:
            columns[name] = pa.array(values)
        else:
            columns[name] = pa.array([None if v is None else str(v) for v in values], pa.string())
    return pa.table(columns)


def _ensure_link(api: ckanapi.RemoteCKAN, package: dict, name: str, url: str, description: str) -> bool:
    """A resource that is a link (the OGC API collection), not a file; True when it changed."""
    existing = next((r for r in package.get("resources", []) if r.get("name") == name), None)
    fields = dict(name=name, url=url, format=OGC_FORMAT, description=description)
    if existing is None:
        api.action.resource_create(package_id=package["id"], **fields)
        return True
    if (existing.get("url"), existing.get("format"), existing.get("description")) != (url, OGC_FORMAT, description):
        api.action.resource_patch(id=existing["id"], **fields)
        return True
    return False


def publish_layers(settings: Settings | None = None, api: ckanapi.RemoteCKAN | None = None,
                   map_dir: Path | None = None) -> list[PublishResult]:
    """Send every open layer of the built map to the portal (``build_map`` first)."""
    settings = settings or get_settings()
    api = api or ckanapi.RemoteCKAN(settings.ckan_url, apikey=settings.ckan_api_token,
                                    user_agent="citylake-publisher/0.1")
    layers_dir = (map_dir or settings.run_dir / "map") / "layers"
    results = []
    for layer in OPEN_LAYERS:
        publish_layer(layer)
        spec = layer_spec(layer)
        path = layers_dir / f"{layer.name}.geojson"
        if not path.exists():
            raise FileNotFoundError(f"{path}: the map was not built (open_data.gis_layers.build_map)")
        data = path.read_bytes()
        properties = _properties(json.loads(data))
        require_clean(spec.name, properties, ())
        org = ensure_organization(api, spec.organization)
        # its row count and columns (the features carry their last change as text, not a timestamp)
        described = properties.drop_columns([c for c in ("updated_at",) if c in properties.column_names])
        package, changed = ensure_package(api, spec, org["id"], described, settings.ckan_url)
        result = PublishResult(spec.name, f"{settings.ckan_url}/dataset/{spec.name}", properties.num_rows, changed)
        geo, changed = _upload(api, package, "Bản đồ (GeoJSON)", "GeoJSON", f"{spec.name}.geojson", data,
                               f"{spec.title_en} — GeoJSON, WGS 84 (EPSG:4326)")
        if changed:
            result.resources_changed.append("GeoJSON")
        ensure_table_view(api, geo["id"], "geojson_view", "Bản đồ / Map")
        collection = f"{settings.ogc_api_url}/collections/{layer.name}"
        if _ensure_link(api, package, "OGC API Features", collection,
                        f"{spec.title_en} as an OGC API Features collection (items: {collection}/items)"):
            result.resources_changed.append(OGC_FORMAT)
        log.info("%s", result)
        results.append(result)
    return results
