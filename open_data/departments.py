"""Every department's open datasets but Health's (open_data/health.py), declared in one place:
which audited mart, its key, the publishing organisation under its 2025 name, and the metadata.

Organisation names follow the city's 2025 reorganisation (Resolution 98/2023 and the 2025 mergers:
Planning and Investment into Finance, Transport into Construction, Natural Resources and
Environment with Agriculture); see the README's open-data section for the names we are unsure of.
"""
from __future__ import annotations

from open_data.spec import DatasetSpec, organization

_CITY = ["TP.HCM", "Ho Chi Minh City"]
_VIA = ", qua kho dữ liệu dùng chung citylake"


FINANCE = organization("so-tai-chinh-tphcm", "Sở Tài chính Thành phố Hồ Chí Minh",
                       "Department of Finance of Ho Chi Minh City",
                       "Đăng ký doanh nghiệp, đầu tư trong nước và đầu tư nước ngoài (từ 2025 gồm chức năng của "
                       "Sở Kế hoạch và Đầu tư).",
                       "Business registration, domestic and foreign investment (since 2025 including the former "
                       "Department of Planning and Investment).")
EDUCATION = organization("so-giao-duc-dao-tao-tphcm", "Sở Giáo dục và Đào tạo Thành phố Hồ Chí Minh",
                         "Department of Education and Training of Ho Chi Minh City",
                         "Trường học, học sinh và giáo viên.", "Schools, pupils and teachers.")
PUBLIC_SERVICE = organization("trung-tam-phuc-vu-hanh-chinh-cong-tphcm",
                              "Trung tâm Phục vụ hành chính công Thành phố Hồ Chí Minh",
                              "Public Administrative Service Center of Ho Chi Minh City",
                              "Kết quả giải quyết hồ sơ thủ tục hành chính một cửa.",
                              "One-stop administrative dossier performance.")
HOTLINE = organization("trung-tam-1022-tphcm", "Trung tâm Tiếp nhận và xử lý thông tin 1022 TP.HCM",
                       "Ho Chi Minh City 1022 Hotline Centre",
                       "Tiếp nhận, xử lý phản ánh, kiến nghị của người dân qua Tổng đài 1022.",
                       "Citizens' reports and requests through the 1022 hotline.")
AGRICULTURE_ENVIRONMENT = organization("so-nong-nghiep-moi-truong-tphcm",
                                       "Sở Nông nghiệp và Môi trường Thành phố Hồ Chí Minh",
                                       "Department of Agriculture and Environment of Ho Chi Minh City",
                                       "Đất đai: đăng ký biến động, chuyển nhượng quyền sử dụng đất (từ 2025 gồm "
                                       "chức năng của Sở Tài nguyên và Môi trường).",
                                       "Land: registered transactions (since 2025 including the former "
                                       "Department of Natural Resources and Environment).")
INSPECTORATE = organization("thanh-tra-tphcm", "Thanh tra Thành phố Hồ Chí Minh", "Ho Chi Minh City Inspectorate",
                            "Kết luận thanh tra, thu hồi tiền và tiếp công dân, giải quyết khiếu nại, tố cáo.",
                            "Inspection conclusions, money recovered, complaints and denunciations handled.")
CONSTRUCTION = organization("so-xay-dung-tphcm", "Sở Xây dựng Thành phố Hồ Chí Minh",
                            "Department of Construction of Ho Chi Minh City",
                            "Giao thông đô thị và camera giám sát giao thông (từ 2025 gồm chức năng của Sở Giao "
                            "thông vận tải).",
                            "Urban traffic and traffic cameras (since 2025 including the former Department of "
                            "Transport).")

ENTERPRISES = DatasetSpec(
    name="doanh-nghiep-dang-ky", mart="dim_enterprises", primary_key="enterprise_code", organization=FINANCE,
    title="Doanh nghiệp đăng ký trên địa bàn TP.HCM", title_en="Registered enterprises in Ho Chi Minh City",
    notes=("Thông tin công khai của doanh nghiệp đã đăng ký: mã số, tên, loại hình, tình trạng, ngành kinh "
           "doanh chính (VSIC 2018), phường/xã trụ sở, vốn điều lệ, ngày thành lập. Không công bố người đại "
           "diện theo pháp luật, thư điện tử; địa chỉ của doanh nghiệp tư nhân được ẩn."),
    notes_en=("Public fields of registered enterprises: code, name, legal form, status, main activity "
              "(VSIC 2018), head office ward, charter capital, establishment date. The legal "
              "representative and e-mail are never published; private enterprises' addresses are withheld."),
    tags=[*_CITY, "doanh nghiệp", "enterprises", "business register"],
    source="Hệ thống đăng ký doanh nghiệp" + _VIA, allow_codes=("enterprise_code", "vsic_code"),
    temporal_column="established_on")
NEW_BUSINESSES = DatasetSpec(
    name="doanh-nghiep-thanh-lap-moi", mart="rpt_new_businesses", primary_key="new_business_key",
    organization=FINANCE,
    title="Doanh nghiệp thành lập mới và giải thể theo phường/xã và tháng",
    title_en="New and dissolved businesses by ward and month",
    notes=("Số doanh nghiệp thành lập mới, vốn điều lệ và số doanh nghiệp giải thể/thu hồi giấy chứng nhận "
           "theo tháng, ngành VSIC cấp 1 và phường/xã (đơn vị hành chính từ 01/07/2025)."),
    notes_en=("Enterprises established, their charter capital and enterprises dissolved or revoked per "
              "month, VSIC section and 2025 ward."),
    tags=[*_CITY, "doanh nghiệp", "enterprises", "thành lập mới"], source="Hệ thống đăng ký doanh nghiệp" + _VIA,
    temporal_column="month")
FDI = DatasetSpec(
    name="du-an-fdi-theo-quoc-gia", mart="rpt_fdi_by_country_year", primary_key="fdi_key", organization=FINANCE,
    title="Dự án đầu tư trực tiếp nước ngoài (FDI) theo quốc gia và năm",
    title_en="Foreign direct investment projects by investor country and year",
    notes="Số dự án FDI, vốn đăng ký và vốn giải ngân (USD) theo năm cấp phép và quốc gia nhà đầu tư.",
    notes_en="FDI projects, registered and disbursed capital (USD) by licence year and investor country.",
    tags=[*_CITY, "đầu tư nước ngoài", "FDI", "investment"], source="Cơ sở dữ liệu FDI" + _VIA,
    temporal_column="year")
INVESTMENT = DatasetSpec(
    name="du-an-dau-tu", mart="rpt_investment_projects", primary_key="investment_key", organization=FINANCE,
    title="Danh mục dự án đầu tư theo giai đoạn, lĩnh vực và phường/xã",
    title_en="Investment projects by stage, sector and ward",
    notes="Số dự án, tổng vốn đầu tư (VND) và diện tích (ha) theo giai đoạn, lĩnh vực và phường/xã.",
    notes_en="Projects, total investment (VND) and area (ha) per stage, sector and 2025 ward.",
    tags=[*_CITY, "đầu tư", "investment"], source="Danh mục dự án đầu tư" + _VIA)
SCHOOLS = DatasetSpec(
    name="truong-hoc-hoc-sinh-theo-phuong", mart="rpt_schools_by_ward", primary_key="school_ward_key",
    organization=EDUCATION,
    title="Trường học, học sinh và giáo viên theo cấp học, năm học và phường/xã",
    title_en="Schools, pupils and teachers by level, school year and ward",
    notes=("Số trường, học sinh, giáo viên và tỉ lệ học sinh/giáo viên theo năm học, cấp học và phường/xã. "
           "Ô có dưới 5 học sinh hoặc giáo viên được ẩn."),
    notes_en=("Schools, pupils, teachers and pupils per teacher by school year, level and 2025 ward. Cells "
              "of fewer than 5 pupils or teachers are suppressed."),
    tags=[*_CITY, "giáo dục", "education", "trường học", "schools"], source="Thống kê giáo dục" + _VIA,
    people_counts=("pupils", "teachers"), derived_from_people=("pupils_per_teacher",),
    temporal_column="school_year")
DOSSIERS = DatasetSpec(
    name="ho-so-mot-cua-dung-han", mart="rpt_dossiers_on_time", primary_key="dossier_kpi_key",
    organization=PUBLIC_SERVICE,
    title="Kết quả giải quyết hồ sơ thủ tục hành chính theo cơ quan và tháng",
    title_en="One-stop dossier performance by agency and month",
    notes=("Hồ sơ tiếp nhận, đã giải quyết (đúng hạn, trễ hạn), quá hạn chưa giải quyết và số ngày làm "
           "việc bình quân theo tháng tiếp nhận, cơ quan và phường/xã. Ô dưới 5 hồ sơ được ẩn."),
    notes_en=("Dossiers received, completed (on time, late), open past their deadline and average working "
              "days per month received, agency and 2025 ward. Cells of fewer than 5 dossiers are suppressed."),
    tags=[*_CITY, "thủ tục hành chính", "một cửa", "public services"], source="Hệ thống một cửa điện tử" + _VIA,
    allow_codes=("agency_code",), temporal_column="month",
    people_counts=("dossiers_received", "dossiers_completed", "completed_on_time", "completed_late",
                   "open_overdue"),
    derived_from_people=("on_time_rate", "avg_working_days_to_complete"))
HOTLINE_1022 = DatasetSpec(
    name="tong-dai-1022", mart="rpt_hotline_response", primary_key="hotline_key", organization=HOTLINE,
    title="Tổng đài 1022: tiếp nhận và xử lý theo lĩnh vực, kênh và tháng",
    title_en="1022 hotline: contacts handled by category, channel and month",
    notes=("Số lượt liên hệ, tỉ lệ trả lời và giải quyết trong thời hạn, thời gian trả lời (phân vị 90) và "
           "mức hài lòng theo tháng, lĩnh vực và kênh. Ô dưới 5 lượt được ẩn."),
    notes_en=("Contacts, share answered and resolved within target, 90th percentile answer time and "
              "satisfaction per month, category and channel. Cells of fewer than 5 contacts are suppressed."),
    tags=[*_CITY, "1022", "hotline", "phản ánh kiến nghị"], source="Hệ thống Tổng đài 1022" + _VIA,
    temporal_column="month",
    people_counts=("contacts", "answered_within_target", "resolved_within_target"),
    derived_from_people=("answer_target_rate", "resolve_target_rate", "p90_answer_seconds", "avg_satisfaction"))
LAND = DatasetSpec(
    name="giao-dich-dat-dai-theo-phuong", mart="rpt_land_transactions", primary_key="land_tx_key",
    organization=AGRICULTURE_ENVIRONMENT,
    title="Giao dịch đất đai theo phường/xã và tháng",
    title_en="Land transactions by ward and month",
    notes=("Số giao dịch, diện tích và giá trị kê khai theo tháng, phường/xã, loại giao dịch và loại đất. "
           "Chỉ số liệu tổng hợp, không có bên giao dịch; ô dưới 5 giao dịch được ẩn."),
    notes_en=("Transactions, area and declared value per month, 2025 ward, transaction type and land use. "
              "Aggregates only, never a party; cells of fewer than 5 transactions are suppressed."),
    tags=[*_CITY, "đất đai", "land", "bất động sản"], source="Hệ thống đăng ký đất đai" + _VIA,
    allow_codes=("land_use_code",), temporal_column="month",
    people_counts=("transactions",), derived_from_people=("area_m2", "declared_value_vnd"))
INSPECTIONS = DatasetSpec(
    name="ket-luan-thanh-tra-thu-hoi", mart="rpt_inspection_recovery", primary_key="inspection_key",
    organization=INSPECTORATE,
    title="Kết luận thanh tra và số tiền thu hồi theo năm và lĩnh vực",
    title_en="Inspection conclusions and money recovered by year and sector",
    notes=("Số kết luận thanh tra, số tiền kiến nghị thu hồi, số đã thu hồi (VND), tỉ lệ thu hồi và kiến "
           "nghị chưa thực hiện theo năm ký kết luận và lĩnh vực."),
    notes_en=("Inspection conclusions, money to recover and recovered (VND), recovery rate and open "
              "recommendations per year signed and sector."),
    tags=[*_CITY, "thanh tra", "inspection", "thu hồi"], source="Hệ thống quản lý thanh tra" + _VIA,
    temporal_column="year")
COMPLAINTS = DatasetSpec(
    name="khieu-nai-to-cao-ton-dong", mart="rpt_complaint_backlog", primary_key="backlog_key",
    organization=INSPECTORATE,
    title="Khiếu nại, tố cáo: tiếp nhận, giải quyết và tồn đọng theo tháng",
    title_en="Complaints and denunciations: received, resolved and backlog by month",
    notes=("Số vụ việc tiếp nhận, đã giải quyết, tồn đọng và quá hạn theo tháng, cơ quan và phân loại. Không "
           "có thông tin người khiếu nại, tố cáo; ô dưới 5 vụ việc được ẩn."),
    notes_en=("Cases received, resolved, open and overdue per month, agency and classification. Nothing "
              "about a complainant; cells of fewer than 5 cases are suppressed."),
    tags=[*_CITY, "khiếu nại", "tố cáo", "complaints"], source="Hệ thống tiếp công dân" + _VIA,
    allow_codes=("agency_code",), temporal_column="month",
    people_counts=("received", "resolved", "backlog_open", "backlog_overdue"),
    derived_from_people=("avg_resolution_days", "median_resolution_days"))
TRAFFIC = DatasetSpec(
    name="giao-thong-un-tac-theo-phuong-gio", mart="rpt_congestion_by_ward", primary_key="ward_hour_key",
    organization=CONSTRUCTION,
    title="Lưu lượng giao thông và ùn tắc theo phường/xã và giờ (camera)",
    title_en="Camera traffic and congestion by ward and hour",
    notes=("Lưu lượng phương tiện theo loại, tỉ lệ quan sát ùn tắc và chỉ số ùn tắc theo phường/xã, ngày và "
           "giờ (giờ Việt Nam), đếm từ camera giao thông. Chỉ số đếm, không có hình ảnh hay biển số."),
    notes_en=("Vehicles by class, congested share and congestion index per 2025 ward, day and hour (local "
              "time), counted by traffic cameras. Counts only: no images, no plates."),
    tags=[*_CITY, "giao thông", "traffic", "camera", "ùn tắc"], source="Hệ thống camera giao thông" + _VIA,
    temporal_column="local_date")

DATASETS_BY_DOMAIN: dict[str, tuple[DatasetSpec, ...]] = {
    "business": (ENTERPRISES, NEW_BUSINESSES),
    "fdi": (FDI,),
    "investment": (INVESTMENT,),
    "education": (SCHOOLS,),
    "one_stop": (DOSSIERS,),
    "hotline": (HOTLINE_1022,),
    "land": (LAND,),
    "inspection": (INSPECTIONS,),
    "complaints": (COMPLAINTS,),
    "transport": (TRAFFIC,),
}
