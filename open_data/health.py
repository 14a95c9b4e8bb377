"""The Health department's open datasets: what is published, from which mart, with what metadata."""
from __future__ import annotations

from open_data.spec import DatasetSpec, OrganizationSpec

HEALTH_DEPARTMENT = OrganizationSpec(
    name="so-y-te-tphcm",
    title="Sở Y tế Thành phố Hồ Chí Minh",
    description=("Sở Y tế Thành phố Hồ Chí Minh — Department of Health of Ho Chi Minh City. "
                 "Dữ liệu mở về cơ sở khám bệnh, chữa bệnh và chứng chỉ hành nghề."),
    title_en="Department of Health of Ho Chi Minh City",
    email="opendata.so-y-te-tphcm@citylake.invalid",
)

_COMMON_TAGS = ["y tế", "health", "TP.HCM", "Ho Chi Minh City"]

HEALTH_FACILITIES = DatasetSpec(
    name="co-so-kham-chua-benh",
    mart="dim_health_facilities",
    primary_key="facility_id",
    organization=HEALTH_DEPARTMENT,
    title="Cơ sở khám bệnh, chữa bệnh trên địa bàn TP.HCM",
    title_en="Licensed health facilities in Ho Chi Minh City",
    notes=("Danh sách cơ sở khám bệnh, chữa bệnh được cấp phép hoạt động: loại hình, hình thức sở hữu, "
           "số giường, chuyên khoa, địa chỉ và phường/xã theo đơn vị hành chính từ 01/07/2025, tọa độ."),
    notes_en=("Licensed health facilities: type, ownership, licensed beds, specialties, address, the "
              "ward under the administrative units in force since 1 July 2025, and coordinates."),
    tags=_COMMON_TAGS + ["bệnh viện", "phòng khám", "hospitals", "clinics", "facilities"],
    geojson=True,
    temporal_column="licence_issued_on",
)

PRACTICE_CERTIFICATES = DatasetSpec(
    name="chung-chi-hanh-nghe-y",
    mart="fct_practice_certificates",
    primary_key="certificate_id",
    organization=HEALTH_DEPARTMENT,
    title="Chứng chỉ hành nghề khám bệnh, chữa bệnh",
    title_en="Medical practice certificates",
    notes=("Chứng chỉ hành nghề khám bệnh, chữa bệnh do Sở Y tế và Bộ Y tế cấp cho người hành nghề tại "
           "TP.HCM: số chứng chỉ, họ tên, chức danh, phạm vi hành nghề, nơi đăng ký hành nghề, tình "
           "trạng (còn hiệu lực, thu hồi, đình chỉ). Không công bố số CCCD, ngày sinh, số điện thoại."),
    notes_en=("Medical practice certificates held by practitioners in Ho Chi Minh City: number, name, "
              "profession, scope of practice, registered facility and status (valid, revoked, "
              "suspended). Citizen ID, date of birth and phone numbers are never published."),
    tags=_COMMON_TAGS + ["chứng chỉ hành nghề", "practice certificates", "practitioners"],
    allow_codes=("certificate_no",),
    temporal_column="issued_on",
)

DATASETS = (HEALTH_FACILITIES, PRACTICE_CERTIFICATES)
