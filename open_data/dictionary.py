"""The DataStore data dictionary: every published column described in Vietnamese and English.

English comes from the mart's dbt documentation where it has one (one source of truth with the
warehouse), else from here; Vietnamese is here. A column missing from both is an error at publish
time, so no dataset reaches the portal with an undocumented column.
"""
from __future__ import annotations

import functools
from pathlib import Path

import yaml

from open_data.disclosure import SUPPRESSED_FLAG, THRESHOLD

MARTS_DIR = Path(__file__).resolve().parent.parent / "dbt" / "models" / "marts"

# column: (label vi, description vi, description en)
GLOSSARY: dict[str, tuple[str, str, str]] = {
    "ward_code_2025": ("Mã phường/xã", "Mã phường/xã theo đơn vị hành chính từ 01/07/2025.",
                       "2025 ward code."),
    "ward_name_2025": ("Phường/xã", "Tên phường/xã theo đơn vị hành chính từ 01/07/2025.", "2025 ward name."),
    "month": ("Tháng", "Ngày đầu tháng (ISO 8601).", "First day of the month (ISO 8601)."),
    "year": ("Năm", "Năm.", "Year."),
    "updated_at": ("Cập nhật lúc", "Thời điểm thay đổi gần nhất trong hệ thống nguồn (ISO 8601, UTC).",
                   "Last change in the source system (ISO 8601, UTC)."),
    "status": ("Tình trạng", "Tình trạng hiện tại.", "Current status."),
    "latitude": ("Vĩ độ", "Vĩ độ WGS 84.", "Latitude, WGS 84."),
    "longitude": ("Kinh độ", "Kinh độ WGS 84.", "Longitude, WGS 84."),
    "agency_code": ("Mã cơ quan", "Mã cơ quan giải quyết.", "Handling agency code."),
    "agency_name": ("Cơ quan", "Tên cơ quan giải quyết.", "Handling agency name."),
    "charter_capital_vnd": ("Vốn điều lệ (VND)", "Vốn điều lệ theo đăng ký hiện hành, đồng.",
                            "Charter capital as currently registered, VND."),
    "vsic_section": ("Ngành cấp 1 (VSIC)", "Mã ngành kinh tế cấp 1 VSIC 2018.", "VSIC 2018 section."),
    "vsic_section_name": ("Tên ngành cấp 1", "Tên ngành kinh tế cấp 1 VSIC 2018.", "VSIC 2018 section name."),
    "projects": ("Số dự án", "Số dự án.", "Projects."),
    # health
    "facility_id": ("Mã cơ sở", "Mã định danh cơ sở khám bệnh, chữa bệnh.", "Facility id."),
    "facility_code": ("Mã cơ sở (nguồn)", "Mã cơ sở trong hệ thống cấp phép.", "Facility code."),
    "name": ("Tên cơ sở", "Tên cơ sở khám bệnh, chữa bệnh.", "Facility name."),
    "facility_type": ("Loại hình", "Loại hình cơ sở.", "Facility type."),
    "ownership": ("Hình thức sở hữu", "Công lập hoặc tư nhân.", "Public or private."),
    "licence_no": ("Số giấy phép", "Số giấy phép hoạt động.", "Operating licence number."),
    "licence_issued_on": ("Ngày cấp phép", "Ngày cấp giấy phép hoạt động.", "Licence issue date."),
    "beds": ("Số giường", "Số giường bệnh được cấp phép.", "Licensed beds."),
    "specialties": ("Chuyên khoa", "Các chuyên khoa.", "Specialties."),
    "address": ("Địa chỉ", "Địa chỉ cơ sở.", "Facility address."),
    "province_code": ("Mã tỉnh/thành", "Mã tỉnh/thành phố (79: TP.HCM).", "Province code (79: HCMC)."),
    "active_practitioners": ("Người hành nghề", "Số người hành nghề đang đăng ký tại cơ sở.",
                             "Practitioners registered at the facility."),
    "certificate_id": ("Mã chứng chỉ", "Mã định danh chứng chỉ hành nghề.", "Certificate id."),
    "certificate_no": ("Số chứng chỉ", "Số chứng chỉ hành nghề.", "Certificate number."),
    "practitioner_name": ("Họ tên người hành nghề", "Họ tên người hành nghề (công khai theo Luật Khám bệnh, "
                          "chữa bệnh).", "Practitioner's name (public by law)."),
    "profession": ("Chức danh", "Chức danh chuyên môn.", "Profession."),
    "scope": ("Phạm vi hành nghề", "Phạm vi hoạt động chuyên môn.", "Scope of practice."),
    "issuer": ("Cơ quan cấp", "Cơ quan cấp chứng chỉ.", "Issuing authority."),
    "facility_name": ("Nơi đăng ký hành nghề", "Cơ sở đăng ký hành nghề.", "Registered facility."),
    "issued_on": ("Ngày cấp", "Ngày cấp chứng chỉ.", "Issue date."),
    "revoked_on": ("Ngày thu hồi", "Ngày thu hồi chứng chỉ (nếu có).", "Revocation date, if any."),
    # business, investment
    "enterprise_code": ("Mã số doanh nghiệp", "Mã số doanh nghiệp (mã số thuế), 10 chữ số.",
                        "Enterprise (tax) code, 10 digits."),
    "enterprise_name": ("Tên doanh nghiệp", "Tên doanh nghiệp đã đăng ký.", "Registered name."),
    "legal_form": ("Loại hình doanh nghiệp", "Loại hình doanh nghiệp.", "Legal form."),
    "vsic_code": ("Mã ngành VSIC", "Ngành kinh doanh chính, mã VSIC 2018.", "Main activity, VSIC 2018."),
    "head_office_address": ("Địa chỉ trụ sở", "Địa chỉ trụ sở chính (ẩn với doanh nghiệp tư nhân).",
                            "Head office address (withheld for private enterprises)."),
    "established_on": ("Ngày thành lập", "Ngày thành lập doanh nghiệp.", "Date of establishment."),
    "new_business_key": ("Khóa", "Khóa chính: tháng|ngành|phường.", "Key: month|section|ward."),
    "new_enterprises": ("Doanh nghiệp thành lập mới", "Số doanh nghiệp thành lập trong tháng.",
                        "Enterprises established in the month."),
    "dissolved": ("Doanh nghiệp giải thể", "Số doanh nghiệp giải thể hoặc bị thu hồi giấy chứng nhận.",
                  "Enterprises dissolved or revoked."),
    "fdi_key": ("Khóa", "Khóa chính: năm|quốc gia.", "Key: year|country."),
    "investor_country": ("Mã quốc gia", "Mã quốc gia nhà đầu tư (ISO 3166-1, XX: không xác định).",
                         "Investor country, ISO 3166-1 (XX unknown)."),
    "country_name": ("Quốc gia", "Tên quốc gia nhà đầu tư.", "Investor country name."),
    "registered_usd": ("Vốn đăng ký (USD)", "Tổng vốn đăng ký, USD.", "Registered capital, USD."),
    "disbursed_usd": ("Vốn giải ngân (USD)", "Tổng vốn đã giải ngân, USD.", "Disbursed capital, USD."),
    "disbursement_rate": ("Tỉ lệ giải ngân", "Vốn giải ngân / vốn đăng ký (0–1).",
                          "Disbursed over registered (0–1)."),
    "investment_key": ("Khóa", "Khóa chính: giai đoạn|lĩnh vực|phường.", "Key: stage|sector|ward."),
    "stage": ("Giai đoạn", "Giai đoạn dự án.", "Project stage."),
    "sector": ("Lĩnh vực", "Lĩnh vực.", "Sector."),
    "total_investment_vnd": ("Tổng vốn đầu tư (VND)", "Tổng vốn đầu tư, đồng.", "Total investment, VND."),
    "area_ha": ("Diện tích (ha)", "Tổng diện tích dự án, ha.", "Project area, ha."),
    # education
    "school_ward_key": ("Khóa", "Khóa chính: năm học|phường|cấp học.", "Key: school year|ward|level."),
    "school_year": ("Năm học", "Năm học (ví dụ 2024-2025).", "School year (e.g. 2024-2025)."),
    "level": ("Cấp học", "Cấp học.", "Level of education."),
    "schools": ("Số trường", "Số trường.", "Schools."),
    "pupils": ("Số học sinh", "Số học sinh (ẩn khi dưới 5).", "Pupils (suppressed below 5)."),
    "teachers": ("Số giáo viên", "Số giáo viên (ẩn khi dưới 5).", "Teachers (suppressed below 5)."),
    "pupils_per_teacher": ("Học sinh/giáo viên", "Số học sinh bình quân một giáo viên.", "Pupils per teacher."),
    # one-stop
    "dossier_kpi_key": ("Khóa", "Khóa chính: tháng|cơ quan|phường.", "Key: month|agency|ward."),
    "dossiers_received": ("Hồ sơ tiếp nhận", "Số hồ sơ tiếp nhận trong tháng.", "Dossiers received."),
    "dossiers_completed": ("Hồ sơ đã giải quyết", "Số hồ sơ đã giải quyết.", "Dossiers completed."),
    "completed_on_time": ("Giải quyết đúng hạn", "Số hồ sơ giải quyết đúng hạn.", "Completed on time."),
    "completed_late": ("Giải quyết trễ hạn", "Số hồ sơ giải quyết trễ hạn.", "Completed late."),
    "open_overdue": ("Quá hạn chưa giải quyết", "Số hồ sơ chưa giải quyết đã quá hạn.", "Open past deadline."),
    "on_time_rate": ("Tỉ lệ đúng hạn", "Đúng hạn / đã giải quyết (0–1).", "On time over completed (0–1)."),
    "avg_working_days_to_complete": ("Ngày làm việc bình quân", "Số ngày làm việc bình quân để giải quyết.",
                                     "Average working days to complete."),
    # hotline
    "hotline_key": ("Khóa", "Khóa chính: tháng|lĩnh vực|kênh.", "Key: month|category|channel."),
    "category": ("Lĩnh vực", "Lĩnh vực phản ánh.", "Category."),
    "channel": ("Kênh", "Kênh tiếp nhận.", "Channel."),
    "contacts": ("Lượt liên hệ", "Số lượt liên hệ.", "Contacts."),
    "answered_within_target": ("Trả lời trong hạn", "Số lượt trả lời trong thời hạn.", "Answered within target."),
    "answer_target_rate": ("Tỉ lệ trả lời trong hạn", "Tỉ lệ trả lời trong hạn (0–1).",
                           "Share answered within target (0–1)."),
    "resolved_within_target": ("Giải quyết trong hạn", "Số lượt giải quyết trong thời hạn.",
                               "Resolved within target."),
    "resolve_target_rate": ("Tỉ lệ giải quyết trong hạn", "Tỉ lệ giải quyết trong hạn (0–1).",
                            "Share resolved within target (0–1)."),
    "p90_answer_seconds": ("Thời gian trả lời P90 (giây)", "Phân vị 90 thời gian trả lời, giây.",
                           "90th percentile answer time, seconds."),
    "avg_satisfaction": ("Mức hài lòng", "Mức hài lòng bình quân (1–5).", "Average satisfaction (1–5)."),
    # land
    "land_tx_key": ("Khóa", "Khóa chính: tháng|phường|loại giao dịch|loại đất.",
                    "Key: month|ward|transaction type|land use."),
    "transaction_type": ("Loại giao dịch", "Loại giao dịch.", "Transaction type."),
    "land_use_code": ("Loại đất", "Mã loại đất.", "Land-use code."),
    "transactions": ("Số giao dịch", "Số giao dịch (ẩn khi dưới 5).", "Transactions (suppressed below 5)."),
    "area_m2": ("Diện tích (m²)", "Tổng diện tích, m².", "Total area, m²."),
    "declared_value_vnd": ("Giá trị kê khai (VND)", "Tổng giá trị kê khai, đồng.", "Total declared value, VND."),
    # inspection, complaints
    "inspection_key": ("Khóa", "Khóa chính: năm|lĩnh vực.", "Key: year|sector."),
    "conclusions": ("Số kết luận", "Số kết luận thanh tra.", "Inspection conclusions."),
    "amount_to_recover_vnd": ("Kiến nghị thu hồi (VND)", "Số tiền kiến nghị thu hồi, đồng.",
                              "Money to recover, VND."),
    "amount_recovered_vnd": ("Đã thu hồi (VND)", "Số tiền đã thu hồi, đồng.", "Money recovered, VND."),
    "recovery_rate": ("Tỉ lệ thu hồi", "Đã thu hồi / kiến nghị thu hồi (0–1).", "Recovered over to recover (0–1)."),
    "recommendations_open": ("Kiến nghị chưa thực hiện", "Số kiến nghị chưa thực hiện xong.",
                             "Recommendations still open."),
    "backlog_key": ("Khóa", "Khóa chính: tháng|cơ quan|phân loại.", "Key: month|agency|classification."),
    "classification": ("Phân loại", "Khiếu nại, tố cáo, kiến nghị, phản ánh.",
                       "Complaint, denunciation, petition, feedback."),
    "received": ("Tiếp nhận", "Số vụ việc tiếp nhận.", "Cases received."),
    "resolved": ("Đã giải quyết", "Số vụ việc đã giải quyết.", "Cases resolved."),
    "backlog_open": ("Tồn đọng", "Số vụ việc chưa giải quyết cuối tháng.", "Cases open at month end."),
    "backlog_overdue": ("Quá hạn", "Số vụ việc quá hạn cuối tháng.", "Cases overdue at month end."),
    "avg_resolution_days": ("Số ngày giải quyết bình quân", "Số ngày giải quyết bình quân.",
                            "Average days to resolve."),
    "median_resolution_days": ("Số ngày giải quyết trung vị", "Số ngày giải quyết trung vị.",
                               "Median days to resolve."),
    # transport
    "ward_hour_key": ("Khóa", "Khóa chính: phường|ngày|giờ.", "Key: ward|date|hour."),
    "local_date": ("Ngày", "Ngày (giờ Việt Nam).", "Date, local time."),
    "local_hour": ("Giờ", "Giờ trong ngày (0–23, giờ Việt Nam).", "Hour of day (0–23), local time."),
    "windows": ("Số khung 5 phút", "Số khung 5 phút có dữ liệu.", "5-minute windows with data."),
    "cameras": ("Số camera", "Số camera có dữ liệu.", "Cameras reporting."),
    "intensity": ("Lưu lượng", "Tổng số phương tiện.", "Vehicles counted."),
    "motorcycles": ("Xe máy", "Số xe máy.", "Motorcycles."),
    "cars": ("Ô tô", "Số ô tô.", "Cars."),
    "buses": ("Xe buýt", "Số xe buýt.", "Buses."),
    "trucks": ("Xe tải", "Số xe tải.", "Trucks."),
    "bicycles": ("Xe đạp", "Số xe đạp.", "Bicycles."),
    "stopped_vehicles": ("Xe dừng", "Số phương tiện dừng.", "Stopped vehicles."),
    "congested_share": ("Tỉ lệ ùn tắc", "Tỉ lệ quan sát ùn tắc (0–1).", "Share of congested observations (0–1)."),
    "congestion_index": ("Chỉ số ùn tắc", "Chỉ số ùn tắc (0–1).", "Congestion index (0–1)."),
    "peak_congestion_index": ("Chỉ số ùn tắc cao nhất", "Chỉ số ùn tắc cao nhất trong giờ (0–1).",
                              "Worst 5-minute congestion index of the hour (0–1)."),
    # the simulation and forecasting centre's proposed monitoring sites
    "site_key": ("Khóa", "Khóa chính: K|mã vị trí.", "Key: K|site id."),
    "k": ("Số điểm mới (K)", "Số vị trí mới trong phương án.", "Number of new sites in the plan."),
    "site_id": ("Mã vị trí", "Mã vị trí ứng viên (giao lộ, cột, camera).",
                "Candidate site id (intersection, pole, camera)."),
    "kind": ("Loại vị trí", "Loại vị trí: giao lộ, cột hiện có hoặc camera.",
             "Site kind: intersection, existing pole or camera."),
    "is_fixed": ("Camera hiện có", "Đúng khi là camera đã lắp đặt (giữ cố định).",
                 "True for an existing camera (kept as a fixed site)."),
    "pick_order": ("Thứ tự chọn", "Thứ tự vị trí được chọn trong phương án (0: camera hiện có).",
                   "Order in which the site was picked (0: existing camera)."),
    "demand_within_radius": ("Nhu cầu trong bán kính", "Tổng nhu cầu có trọng số trong bán kính của vị trí.",
                             "Weighted demand within the site's radius."),
    "demand_covered": ("Nhu cầu được bao phủ", "Phần nhu cầu có trọng số được tính cho vị trí này.",
                       "Weighted demand credited to this site."),
    SUPPRESSED_FLAG: ("Ô bị ẩn", f"Đúng khi số người của dòng dưới {THRESHOLD} nên các số liệu về người được ẩn.",
                      f"True when the row counted fewer than {THRESHOLD} people, so its people figures are "
                      "suppressed."),
}


@functools.cache
def dbt_descriptions() -> dict[str, dict[str, str]]:
    """English column descriptions of every mart, as documented for dbt."""
    docs: dict[str, dict[str, str]] = {}
    for path in sorted(MARTS_DIR.rglob("*.yml")):
        for model in (yaml.safe_load(path.read_text()) or {}).get("models", []):
            docs[model["name"]] = {c["name"]: " ".join(str(c.get("description") or "").split())
                                   for c in model.get("columns", [])}
    return docs


class UndocumentedColumn(KeyError):
    pass


def data_dictionary(mart: str, columns: list[str]) -> dict[str, dict[str, str]]:
    """DataStore ``info`` per column: label and description, Vietnamese first, then English."""
    english = dbt_descriptions().get(mart, {})
    missing = [c for c in columns if c not in GLOSSARY]
    if missing:
        raise UndocumentedColumn(f"{mart}: no Vietnamese description for {missing} (open_data/dictionary.py)")
    out = {}
    for column in columns:
        label_vi, vi, en = GLOSSARY[column]
        en = english.get(column) or en
        out[column] = {"label": f"{label_vi} / {column}", "notes": f"{vi}\n\n{en}"}
    return out
