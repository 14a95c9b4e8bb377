"""The chosen monitoring sites as an open dataset: where the simulation and forecasting centre
proposes K more sites (K = 100, 200, 300 by default) and the cameras already there.

Made from ``gold/siting/sites`` once ``site_selection`` audited and published it. Coordinates are
rounded to 0.001° (about 110 m): enough to see where coverage is wanted, not a surveyed position of
any camera. Nothing in it is about a person.
"""
from __future__ import annotations

from open_data.spec import DatasetSpec, OrganizationSpec

CENTRE = OrganizationSpec(
    name="trung-tam-mo-phong-du-bao-tphcm",
    title="Trung tâm Mô phỏng và Dự báo TP.HCM",
    title_en="Ho Chi Minh City Simulation and Forecasting Centre",
    email="opendata.trung-tam-mo-phong-du-bao-tphcm@citylake.invalid",
    description=("Trung tâm Mô phỏng và Dự báo Thành phố Hồ Chí Minh — the city's simulation and forecasting "
                 "centre. Dự báo, kịch bản tăng trưởng và đề xuất vị trí giám sát từ kho dữ liệu dùng chung."),
)

MONITORING_SITES = DatasetSpec(
    name="vi-tri-giam-sat-de-xuat",
    mart=None,
    gold_source=("siting", "sites"),
    as_table="sites_open_data",
    primary_key="site_key",
    organization=CENTRE,
    title="Vị trí giám sát đề xuất theo số lượng điểm (K = 100, 200, 300)",
    title_en="Proposed monitoring sites for K = 100, 200 and 300 new sites",
    notes=("Các vị trí đặt điểm giám sát mới được chọn để bao phủ nhiều nhu cầu nhất (dân cư, phản ánh, sự cố, "
           "cơ sở y tế) trong bán kính cho trước, cùng các camera hiện có (cố định). Mỗi dòng là một vị trí "
           "trong phương án K điểm: thứ tự chọn, nhu cầu được bao phủ. Tọa độ làm tròn 0,001° (khoảng 110 m)."),
    notes_en=("Sites chosen to cover the most weighted demand (residents, complaints, incidents, health "
              "facilities) within a radius, for each number K of new sites, beside the existing cameras "
              "(fixed). One row per site per K: pick order and the demand it covers. Coordinates rounded "
              "to 0.001° (about 110 m)."),
    tags=["giám sát", "monitoring", "camera", "quy hoạch", "planning", "TP.HCM", "Ho Chi Minh City"],
    update_frequency="irreg",  # EU frequency authority: irregular (on demand)
    source="Trung tâm Mô phỏng và Dự báo, từ kho dữ liệu dùng chung citylake (DAG site_selection)",
    geojson=True,
    sql="""
        SELECT 'K' || lpad(k::VARCHAR, 4, '0') || '-' || site_id AS site_key,
               k::INTEGER AS k, site_id, kind, is_fixed, pick_order::INTEGER AS pick_order,
               round(latitude, 3) AS latitude, round(longitude, 3) AS longitude,
               round(demand_within_radius, 2) AS demand_within_radius,
               round(demand_attributed, 2) AS demand_covered,
               run_at AS updated_at
        FROM source
        ORDER BY k, pick_order, site_id
    """,
)

DATASETS = (MONITORING_SITES,)
