"""A deterministic one-stop e-government database (hồ sơ thủ tục hành chính một cửa) with real dirt.

``create`` fills schema ``motcua``: ``thu_tuc`` (the procedure catalogue, ~1,800 procedures whatever
the scale), ``ho_so`` (1.0 = 1,000,000 dossiers received since January 2023) and ``ho_so_lich_su``
(~2.5 status events per dossier, append-only). ``advance`` applies one day: open dossiers move on
(processing, supplements, results returned), new dossiers arrive (a fifth committed late), a few
phones are corrected, the catalogue is edited, and a few dossiers keyed in by mistake are
hard-deleted. On step 2 ``ho_so`` gains ``danh_gia_hai_long`` (satisfaction 1–5), filled for the
dossiers completed from then on. Same seed and step (and ``now``), same data.

Due dates (``ngay_hen_tra``) are received + the procedure's working days, skipping weekends only:
public holidays are left to the warehouse's working-day calendar.

The dirt, on purpose: the same dossier keyed in twice (same code, another id, the name in the other
Unicode form), names and notes in NFC or NFD, missing wards and wards given by name only, malformed
phones, old 9-digit CMND numbers in ``so_cccd``, lower-cased codes, due dates before the receipt,
completions before the receipt, receipts with a mistyped year (22xx), dossiers pointing at
procedures not in the catalogue, double-clicked history events, and rows committed late.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import psycopg
import pyarrow as pa
import pyarrow.compute as pc

from simulators.departments.common import (
    EPOCH,
    Wards,
    already_built,
    aware_utc,
    citizen_ids,
    copy_pg,
    copy_pg_chunks,
    names,
    nfd_some,
    np_utc,
    pending_step,
    pg_anchor,
    pg_init_state,
    pg_recreate_schema,
    pg_schema_change,
    pg_set_step,
    pg_state,
    phones,
    set_column,
    ward_arrays,
)
from simulators.departments.dirt import keyed_twice, some_rows, ward_columns

SCHEMA = "motcua"
SCHEMA_SQL = Path(__file__).with_name("schema.sql")
PROCEDURES = 1_800
DOSSIERS_PER_SCALE = 1_000_000
DOSSIERS_PER_DAY_PER_SCALE = DOSSIERS_PER_SCALE / 1_400   # the initial load spans ~1,400 days
OFFICERS = 2_500
VN = np.timedelta64(7, "h")          # Asia/Ho_Chi_Minh: UTC+7, no daylight saving
HOUR = np.timedelta64(3_600_000_000, "us")
TS = pa.timestamp("us", tz="UTC")

CHANNELS = np.array(["Trực tiếp", "Trực tuyến", "Bưu chính"], dtype=object)
DIRECT, ONLINE, POSTAL = range(3)
STATUSES = np.array(["Mới tiếp nhận", "Đang xử lý", "Chờ bổ sung", "Đã trả kết quả", "Trả lại", "Đã hủy"],
                    dtype=object)
NEW, PROCESSING, WAITING, DONE, RETURNED, CANCELLED = range(6)
OPEN_STATUSES = (NEW, PROCESSING, WAITING)
SYSTEM_OFFICER = "Hệ thống"
SUPPLEMENT_NOTES = np.array([
    "Yêu cầu bổ sung bản sao CCCD của người ủy quyền", "Bổ sung văn bản ủy quyền có chứng thực",
    "Bổ sung bản vẽ hiện trạng", "Tờ khai chưa ký, đề nghị ký lại", "Bổ sung giấy tờ chứng minh nơi cư trú",
    "Bổ sung biên lai nộp lệ phí", "Thành phần hồ sơ chưa đầy đủ theo quy định"], dtype=object)
RETURN_NOTES = np.array([
    "Hồ sơ không đủ điều kiện giải quyết", "Không thuộc thẩm quyền giải quyết",
    "Quá thời hạn bổ sung hồ sơ", "Thông tin kê khai không trùng khớp Cơ sở dữ liệu quốc gia về dân cư"],
    dtype=object)
CANCEL_NOTES = np.array(["Công dân rút hồ sơ", "Nộp trùng hồ sơ", "Công dân đề nghị dừng giải quyết"], dtype=object)
DONE_NOTES = np.array(["Trả kết quả tại Bộ phận một cửa", "Trả kết quả trực tuyến",
                       "Trả kết quả qua dịch vụ bưu chính công ích"], dtype=object)   # by channel
PROCESSING_NOTE = "Chuyển phòng chuyên môn thẩm định"
DELETE_NOTE = "Xóa hồ sơ do tiếp nhận nhầm"


@dataclass(frozen=True)
class Field:
    name: str                   # lĩnh vực, as the catalogue writes it
    english: str                # silver enum value
    department: str             # agencies.DEPARTMENT_CODES
    ward_share: float           # share of its procedures handled by ward committees (Cấp xã)
    days: tuple[int, int]       # statutory working days, low..high
    fees: tuple[int, ...]       # fee choices, VND
    volume: float               # relative dossier volume
    bases: tuple[str, ...]
    qualifiers: tuple[str, ...]


COMMON_QUALIFIERS = ("(cấp lại)", "(điều chỉnh)", "(cấp lần đầu)", "(liên thông)")

FIELDS: tuple[Field, ...] = (
    Field("Hộ tịch", "civil_status", "STP", 0.7, (1, 15), (0, 8_000, 10_000, 50_000, 1_000_000), 22, (
        "Đăng ký khai sinh", "Đăng ký kết hôn", "Đăng ký khai tử", "Đăng ký nhận cha, mẹ, con",
        "Đăng ký giám hộ", "Đăng ký chấm dứt giám hộ", "Đăng ký thay đổi, cải chính, bổ sung thông tin hộ tịch",
        "Đăng ký lại khai sinh", "Đăng ký lại kết hôn", "Đăng ký lại khai tử", "Cấp bản sao trích lục hộ tịch",
        "Cấp Giấy xác nhận tình trạng hôn nhân", "Đăng ký khai sinh kết hợp nhận cha, mẹ, con",
        "Đăng ký xác định lại dân tộc", "Ghi vào Sổ hộ tịch việc kết hôn đã được giải quyết ở nước ngoài",
        "Ghi vào Sổ hộ tịch việc ly hôn, hủy việc kết hôn đã được giải quyết ở nước ngoài"),
        ("có yếu tố nước ngoài", "lưu động", "cho người đã có hồ sơ, giấy tờ cá nhân",
         "liên thông với đăng ký thường trú, cấp thẻ bảo hiểm y tế", "cho người Việt Nam định cư ở nước ngoài",
         "trực tuyến")),
    Field("Chứng thực", "certification", "STP", 0.8, (1, 3), (0, 2_000, 10_000, 30_000, 50_000), 14, (
        "Cấp bản sao từ sổ gốc", "Chứng thực bản sao từ bản chính giấy tờ, văn bản",
        "Chứng thực chữ ký trong các giấy tờ, văn bản",
        "Chứng thực hợp đồng, giao dịch liên quan đến tài sản là động sản",
        "Chứng thực hợp đồng, giao dịch liên quan đến thực hiện quyền của người sử dụng đất",
        "Chứng thực hợp đồng, giao dịch liên quan đến nhà ở", "Chứng thực di chúc",
        "Chứng thực văn bản từ chối nhận di sản", "Chứng thực văn bản thỏa thuận phân chia di sản",
        "Chứng thực việc sửa đổi, bổ sung, hủy bỏ hợp đồng, giao dịch", "Sửa lỗi sai sót trong hợp đồng, giao dịch",
        "Cấp bản sao có chứng thực từ bản chính hợp đồng, giao dịch đã được chứng thực",
        "Chứng thực chữ ký người dịch", "Chứng thực văn bản khai nhận di sản"),
        ("do cơ quan, tổ chức có thẩm quyền của nước ngoài cấp", "bằng chữ ký số",
         "trong trường hợp người yêu cầu không ký, không điểm chỉ được", "tại nhà riêng")),
    Field("Đất đai", "land", "SNNMT", 0.55, (10, 30), (0, 100_000, 500_000, 1_000_000, 2_000_000), 12, (
        "Đăng ký đất đai, tài sản gắn liền với đất lần đầu",
        "Cấp Giấy chứng nhận quyền sử dụng đất, quyền sở hữu tài sản gắn liền với đất",
        "Đăng ký biến động quyền sử dụng đất, quyền sở hữu tài sản gắn liền với đất", "Chuyển mục đích sử dụng đất",
        "Tách thửa hoặc hợp thửa đất", "Cấp đổi Giấy chứng nhận quyền sử dụng đất",
        "Cấp lại Giấy chứng nhận do bị mất", "Đính chính Giấy chứng nhận đã cấp",
        "Đăng ký thế chấp quyền sử dụng đất", "Xóa đăng ký thế chấp", "Gia hạn sử dụng đất",
        "Cung cấp thông tin, dữ liệu đất đai", "Giao đất, cho thuê đất",
        "Đăng ký chuyển nhượng, tặng cho, thừa kế quyền sử dụng đất"),
        ("đối với tổ chức", "đối với hộ gia đình, cá nhân", "đối với người Việt Nam định cư ở nước ngoài",
         "đối với dự án đầu tư", "trong khu công nghiệp", "khi không thay đổi diện tích")),
    Field("Xây dựng", "construction", "SXD", 0.35, (7, 30), (0, 75_000, 150_000, 500_000, 1_000_000), 7, (
        "Cấp giấy phép xây dựng mới", "Cấp giấy phép sửa chữa, cải tạo công trình", "Cấp giấy phép di dời công trình",
        "Điều chỉnh giấy phép xây dựng", "Gia hạn giấy phép xây dựng", "Cấp lại giấy phép xây dựng",
        "Cấp giấy phép xây dựng có thời hạn", "Thẩm định báo cáo nghiên cứu khả thi đầu tư xây dựng",
        "Thẩm định thiết kế xây dựng triển khai sau thiết kế cơ sở",
        "Cấp chứng chỉ hành nghề hoạt động xây dựng", "Cấp chứng chỉ năng lực hoạt động xây dựng",
        "Kiểm tra công tác nghiệm thu hoàn thành công trình",
        "Cấp giấy phép hoạt động xây dựng cho nhà thầu nước ngoài", "Thông báo khởi công xây dựng"),
        ("đối với nhà ở riêng lẻ", "đối với công trình không theo tuyến", "đối với công trình theo tuyến",
         "đối với công trình tín ngưỡng, tôn giáo", "đối với công trình quảng cáo", "hạng II, hạng III")),
    Field("Đăng ký kinh doanh", "business_registration", "STC", 0.3, (3, 5), (0, 50_000, 100_000), 9, (
        "Đăng ký thành lập doanh nghiệp tư nhân", "Đăng ký thành lập công ty trách nhiệm hữu hạn một thành viên",
        "Đăng ký thành lập công ty trách nhiệm hữu hạn hai thành viên trở lên", "Đăng ký thành lập công ty cổ phần",
        "Đăng ký thành lập công ty hợp danh", "Đăng ký thay đổi người đại diện theo pháp luật",
        "Đăng ký thay đổi vốn điều lệ", "Đăng ký thay đổi địa chỉ trụ sở chính",
        "Đăng ký thay đổi ngành, nghề kinh doanh", "Đăng ký tạm ngừng kinh doanh", "Đăng ký giải thể doanh nghiệp",
        "Đăng ký hoạt động chi nhánh, văn phòng đại diện, địa điểm kinh doanh", "Đăng ký thành lập hộ kinh doanh",
        "Đăng ký thay đổi nội dung đăng ký hộ kinh doanh", "Chấm dứt hoạt động hộ kinh doanh",
        "Cấp lại Giấy chứng nhận đăng ký doanh nghiệp", "Đăng ký thành lập hợp tác xã",
        "Chuyển đổi loại hình doanh nghiệp"),
        ("từ hộ kinh doanh", "đối với doanh nghiệp xã hội", "trong trường hợp bị mất, cháy, rách, nát",
         "theo quyết định của Tòa án", "đối với nhà đầu tư nước ngoài")),
    Field("Tư pháp", "justice", "STP", 0.2, (5, 15), (0, 100_000, 200_000, 500_000), 4, (
        "Cấp Phiếu lý lịch tư pháp", "Cấp Thẻ công chứng viên", "Đăng ký hành nghề luật sư với tư cách cá nhân",
        "Đăng ký hoạt động của Văn phòng luật sư", "Thành lập Văn phòng công chứng",
        "Đăng ký hoạt động thừa phát lại", "Cấp Thẻ đấu giá viên", "Đăng ký hoạt động Trung tâm trọng tài",
        "Cấp thẻ tư vấn viên pháp luật", "Giải quyết yêu cầu bồi thường trong hoạt động quản lý hành chính",
        "Thực hiện hòa giải ở cơ sở", "Công nhận tuyên truyền viên pháp luật",
        "Đăng ký hoạt động của tổ chức giám định tư pháp"),
        ("cho công dân Việt Nam", "cho người nước ngoài", "cho cơ quan tiến hành tố tụng", "qua ứng dụng VNeID")),
    Field("Lao động", "labour", "SNV", 0.25, (3, 15), (0, 400_000, 600_000), 4, (
        "Cấp giấy phép lao động cho người lao động nước ngoài", "Gia hạn giấy phép lao động",
        "Xác nhận người lao động nước ngoài không thuộc diện cấp giấy phép lao động", "Đăng ký nội quy lao động",
        "Đăng ký thỏa ước lao động tập thể", "Giải quyết hưởng trợ cấp thất nghiệp",
        "Cấp giấy phép hoạt động dịch vụ việc làm", "Cấp giấy phép cho thuê lại lao động",
        "Báo cáo tình hình sử dụng lao động", "Đăng ký hợp đồng nhận lao động thực tập",
        "Thông báo tìm kiếm việc làm hằng tháng"),
        ("đối với doanh nghiệp", "đối với tổ chức phi chính phủ nước ngoài", "làm việc tại nhiều địa điểm",
         "đối với hộ kinh doanh")),
    Field("Giáo dục", "education", "SGDĐT", 0.45, (5, 20), (0, 0, 50_000), 3, (
        "Cho phép thành lập trường mầm non", "Cho phép trường trung học phổ thông hoạt động giáo dục",
        "Cấp bản sao văn bằng, chứng chỉ từ sổ gốc", "Chỉnh sửa nội dung văn bằng, chứng chỉ",
        "Công nhận trường đạt chuẩn quốc gia", "Cấp phép hoạt động giáo dục kỹ năng sống",
        "Cho phép trung tâm ngoại ngữ, tin học hoạt động giáo dục", "Chuyển trường đối với học sinh trung học cơ sở",
        "Xin học lại tại trường khác", "Thành lập nhóm trẻ, lớp mẫu giáo độc lập",
        "Xét, duyệt chính sách hỗ trợ đối với học sinh bán trú", "Công nhận đạt chuẩn phổ cập giáo dục"),
        ("tư thục", "có vốn đầu tư nước ngoài", "đối với học sinh khuyết tật", "dân lập")),
    Field("Y tế", "health", "SYT", 0.25, (5, 30), (0, 500_000, 1_000_000, 4_300_000), 3, (
        "Cấp giấy phép hành nghề khám bệnh, chữa bệnh", "Cấp giấy phép hoạt động đối với phòng khám đa khoa",
        "Cấp giấy phép hoạt động đối với phòng khám chuyên khoa", "Cấp chứng chỉ hành nghề dược",
        "Cấp Giấy chứng nhận đủ điều kiện kinh doanh dược",
        "Cấp giấy chứng nhận cơ sở đủ điều kiện an toàn thực phẩm",
        "Công bố đủ điều kiện sản xuất trang thiết bị y tế", "Cấp giấy xác nhận nội dung quảng cáo thực phẩm",
        "Đăng ký bản công bố sản phẩm", "Công bố cơ sở đủ điều kiện thực hiện xét nghiệm",
        "Cấp giấy chứng nhận lương y", "Trợ cấp xã hội hằng tháng", "Hỗ trợ chi phí mai táng",
        "Xác định mức độ khuyết tật và cấp Giấy xác nhận khuyết tật"),
        ("do bị mất hoặc hư hỏng", "khi thay đổi địa điểm", "đối với cơ sở nhà nước", "đối với cơ sở tư nhân")),
    Field("Giao thông", "transport", "SXD", 0.2, (3, 10), (0, 50_000, 135_000, 200_000), 4, (
        "Cấp giấy phép thi công công trình trên đường bộ đang khai thác",
        "Cấp giấy phép lưu hành xe quá tải trọng, xe quá khổ giới hạn", "Cấp phù hiệu xe ô tô kinh doanh vận tải",
        "Cấp Giấy phép kinh doanh vận tải bằng xe ô tô", "Cấp giấy phép sử dụng tạm thời lòng đường, hè phố",
        "Đăng ký phương tiện thủy nội địa", "Cấp giấy phép xe tập lái", "Cấp giấy phép đào đường",
        "Chấp thuận xây dựng công trình thiết yếu trong phạm vi bảo vệ kết cấu hạ tầng giao thông",
        "Công bố đưa bến xe khách vào khai thác", "Cấp giấy chứng nhận đăng ký xe máy chuyên dùng"),
        ("lần đầu", "có thời hạn", "đối với xe của tổ chức", "đối với xe của cá nhân")),
    Field("Công Thương", "industry_trade", "SCT", 0.3, (5, 15), (0, 200_000, 1_200_000), 2, (
        "Cấp Giấy phép bán lẻ sản phẩm rượu", "Cấp Giấy phép bán buôn sản phẩm thuốc lá",
        "Cấp Giấy chứng nhận đủ điều kiện cửa hàng bán lẻ LPG chai",
        "Cấp Giấy chứng nhận cửa hàng đủ điều kiện bán lẻ xăng dầu", "Cấp Giấy phép lập cơ sở bán lẻ",
        "Đăng ký thực hiện khuyến mại", "Cấp Giấy phép hoạt động điện lực", "Đăng ký hợp đồng theo mẫu",
        "Cấp giấy xác nhận đăng ký tổ chức hội chợ, triển lãm thương mại",
        "Cấp giấy phép sản xuất rượu thủ công nhằm mục đích kinh doanh"),
        ("(sửa đổi, bổ sung)", "do hết thời hạn hiệu lực", "tại chợ", "tại siêu thị, trung tâm thương mại")),
    Field("Văn hóa, Thể thao", "culture_sports", "SVHTT", 0.3, (3, 15), (0, 100_000, 1_500_000, 3_000_000), 1.5, (
        "Cấp Giấy phép tổ chức lễ hội", "Cấp giấy phép kinh doanh karaoke",
        "Cấp Giấy chứng nhận đủ điều kiện kinh doanh hoạt động thể thao", "Thông báo tổ chức biểu diễn nghệ thuật",
        "Cấp giấy phép triển lãm mỹ thuật", "Công nhận gia đình văn hóa",
        "Thông báo sản phẩm quảng cáo trên bảng quảng cáo", "Đăng ký hoạt động thư viện tư nhân",
        "Cấp giấy phép thành lập bảo tàng ngoài công lập", "Cấp phép nhập khẩu văn hóa phẩm"),
        ("có yếu tố nước ngoài", "ngoài công lập", "tại địa phương")),
    Field("Du lịch", "tourism", "SDL", 0.05, (5, 15), (0, 650_000, 3_000_000), 0.5, (
        "Cấp giấy phép kinh doanh dịch vụ lữ hành nội địa", "Cấp giấy phép kinh doanh dịch vụ lữ hành quốc tế",
        "Cấp thẻ hướng dẫn viên du lịch", "Công nhận hạng cơ sở lưu trú du lịch", "Công nhận điểm du lịch",
        "Cấp đổi thẻ hướng dẫn viên du lịch", "Thu hồi giấy phép kinh doanh dịch vụ lữ hành"),
        ("tại điểm", "quốc tế", "nội địa")),
    Field("Người có công", "war_veterans", "SNV", 0.6, (5, 20), (0,), 1.5, (
        "Giải quyết chế độ trợ cấp đối với thân nhân liệt sĩ", "Cấp giấy chứng nhận thân nhân liệt sĩ",
        "Hỗ trợ người có công với cách mạng cải thiện nhà ở", "Giải quyết chế độ ưu đãi người có công với cách mạng",
        "Di chuyển hồ sơ người có công", "Thăm viếng mộ liệt sĩ", "Cấp trích lục hoặc sao hồ sơ người có công",
        "Giải quyết trợ cấp một lần đối với người có thành tích tham gia kháng chiến"),
        ("đang hưởng trợ cấp", "đã từ trần", "ngoài tỉnh")),
    Field("Môi trường", "environment", "SNNMT", 0.2, (10, 30), (0, 500_000, 5_000_000), 1.5, (
        "Cấp giấy phép môi trường", "Thẩm định báo cáo đánh giá tác động môi trường", "Đăng ký môi trường",
        "Cấp giấy phép khai thác nước dưới đất", "Cấp giấy phép xả nước thải vào nguồn nước",
        "Cấp giấy phép thăm dò khoáng sản", "Xác nhận hoàn thành công trình bảo vệ môi trường",
        "Cấp giấy chứng nhận an toàn thực phẩm nông lâm thủy sản", "Cấp chứng chỉ hành nghề thú y"),
        ("đối với dự án đầu tư", "đối với cơ sở đang hoạt động", "trong khu công nghiệp")),
    Field("Khoa học và Công nghệ", "science_technology", "SKHCN", 0.0, (5, 20), (0, 500_000), 0.7, (
        "Đăng ký kết quả thực hiện nhiệm vụ khoa học và công nghệ",
        "Cấp giấy chứng nhận doanh nghiệp khoa học và công nghệ", "Cấp giấy phép tiến hành công việc bức xạ",
        "Đăng ký chuyển giao công nghệ", "Cấp chứng chỉ nhân viên bức xạ", "Công bố hợp chuẩn, hợp quy",
        "Cấp giấy phép thiết lập mạng viễn thông dùng riêng", "Cấp giấy phép xuất bản bản tin",
        "Đăng ký hoạt động xuất bản phẩm điện tử"),
        ("sử dụng ngân sách nhà nước", "không sử dụng ngân sách nhà nước", "trong y tế")),
    Field("Nội vụ", "home_affairs", "SNV", 0.4, (10, 30), (0,), 1.5, (
        "Thẩm định thành lập đơn vị sự nghiệp công lập", "Công nhận ban vận động thành lập hội",
        "Phê duyệt điều lệ hội", "Đăng ký hoạt động tín ngưỡng",
        "Tặng Bằng khen của Chủ tịch Ủy ban nhân dân Thành phố", "Thi tuyển công chức",
        "Xếp hạng đơn vị sự nghiệp công lập", "Công nhận quỹ xã hội, quỹ từ thiện",
        "Thành lập tổ chức thanh niên xung phong"),
        ("cấp Thành phố", "cấp xã", "có phạm vi hoạt động trong xã")),
    Field("Quy hoạch - Kiến trúc", "planning_architecture", "SQHKT", 0.3, (15, 30), (0, 1_000_000), 1, (
        "Cung cấp thông tin quy hoạch", "Thẩm định đồ án quy hoạch chi tiết", "Điều chỉnh cục bộ quy hoạch chi tiết",
        "Cấp chứng chỉ quy hoạch", "Thẩm định nhiệm vụ quy hoạch phân khu", "Thỏa thuận phương án kiến trúc",
        "Cấp số nhà", "Cấp chứng chỉ hành nghề kiến trúc"),
        ("tỷ lệ 1/500", "tỷ lệ 1/2000", "đối với dự án đầu tư xây dựng")),
)


# -- reference data --

@dataclass(frozen=True)
class Catalogue:
    table: pa.Table
    ids: np.ndarray
    days: np.ndarray         # working days
    is_ward: np.ndarray      # handled by the ward committee
    department: np.ndarray
    weight: np.ndarray       # share of dossiers


def _catalogue(seed: int, anchor: np.datetime64) -> Catalogue:
    """~1,800 procedures; a stream of its own so that ``advance`` rebuilds the same catalogue."""
    rng = np.random.default_rng([seed, 0, 1])
    entries: list[tuple[int, str, bool | None, bool]] = []   # field, name, ward level (None: roll), base
    extras: list[tuple[int, str, bool | None, bool]] = []
    for fi, f in enumerate(FIELDS):
        for base in f.bases:
            if 0 < f.ward_share < 1:   # the same procedure exists at both levels, under two codes
                entries += [(fi, base, False, True), (fi, base, True, True)]
            else:
                entries.append((fi, base, f.ward_share >= 1, True))
            extras += [(fi, f"{base} {q}", None, False) for q in f.qualifiers + COMMON_QUALIFIERS]
    picks = np.sort(rng.choice(len(extras), PROCEDURES - len(entries), replace=False))
    entries += [extras[i] for i in picks]
    entries = [entries[i] for i in rng.permutation(len(entries))]
    n = len(entries)
    field = np.array([e[0] for e in entries])
    share = np.array([FIELDS[i].ward_share for i in field])
    is_ward = np.array([e[2] if e[2] is not None else r < s
                        for e, r, s in zip(entries, rng.random(n), share)], dtype=bool)
    lo = np.array([FIELDS[i].days[0] for i in field])
    hi = np.array([FIELDS[i].days[1] for i in field])
    days = lo + ((hi - lo + 1) * rng.random(n) ** 2).astype(int)
    fees = np.array([int(rng.choice(FIELDS[i].fees)) for i in field], dtype=np.int64)
    department = np.array([FIELDS[i].department for i in field], dtype=object)
    base = np.array([e[3] for e in entries])
    # dossier volume: the field's share, Zipf within the field, base procedures and ward counters busier
    weight = (1.0 / (1 + rng.permutation(n)) ** 0.35) * np.where(base, 4.0, 1.0) * np.where(is_ward, 2.0, 1.0)
    for fi, f in enumerate(FIELDS):
        mask = field == fi
        weight[mask] *= f.volume / weight[mask].sum()
    in_force = rng.random(n) >= 0.03
    weight[~in_force] *= 0.05
    weight /= weight.sum()
    code_num = rng.choice(14_000, n, replace=False)
    prefix = np.where(is_ward, np.where(rng.random(n) < 0.8, "2", "1"), np.where(rng.random(n) < 0.9, "1", "3"))
    codes = pc.binary_join_element_wise(pa.array(prefix), pc.utf8_lpad(pa.array(code_num).cast(pa.string()), 6, "0"),
                                        ".")
    level = np.where(is_ward, "Cấp xã", "Cấp tỉnh")
    online = rng.choice(np.array(["Toàn trình", "Một phần", None], dtype=object), n, p=[0.45, 0.4, 0.15])
    since = np.datetime64("2022-06-01T00:00:00", "us")
    updated = since + (rng.random(n) * (anchor - since).astype(np.int64)).astype("timedelta64[us]")
    ids = np.arange(1, n + 1, dtype=np.int64)
    table = pa.table({
        "id": ids,
        "ma_thu_tuc": codes,
        "ten_thu_tuc": pa.array([e[1] for e in entries], pa.string()),
        "linh_vuc": pa.array([FIELDS[i].name for i in field], pa.string()),
        "cap_thuc_hien": pa.array(level, pa.string()),
        "ma_co_quan": pa.array(department, pa.string()),
        "so_ngay_giai_quyet": pa.array(days, pa.int32()),
        "le_phi": fees,
        "muc_do_dvc": pa.array(online, pa.string()),
        "con_hieu_luc": in_force,
        "ngay_cap_nhat": pa.array(updated, TS),
    })
    return Catalogue(table, ids, days, is_ward, department, weight)


def _officers(seed: int) -> np.ndarray:
    return names(np.random.default_rng([seed, 0, 2]), OFFICERS)


# -- dossiers --

def _weekday(days: np.ndarray) -> np.ndarray:
    """Monday = 0 (1970-01-01 was a Thursday)."""
    return (days.astype("datetime64[D]").astype(np.int64) + 3) % 7


def _initial_receipts(rng: np.random.Generator, n: int, anchor: np.datetime64) -> tuple[np.ndarray, np.ndarray]:
    """Receipt instants since 2023 (growing, counters on weekdays and Saturday mornings) and channels."""
    first = np.datetime64(EPOCH.replace(tzinfo=None), "D")
    n_days = int((anchor.astype("datetime64[D]") - first).astype(int))
    days = first + np.arange(n_days)
    weight = np.array([1, 1, 1, 1, 1, 0.3, 0.05])[_weekday(days)] * (1 + 0.5 * np.arange(n_days) / n_days)
    day = rng.choice(n_days, n, p=weight / weight.sum())
    wd = _weekday(days[day])
    roll = rng.random(n)
    online_share = 0.35 + 0.4 * day / n_days    # online filing grows
    channel = np.where(roll < online_share, ONLINE, np.where(roll < online_share + 0.03, POSTAL, DIRECT))
    channel[wd == 6] = ONLINE                   # counters are closed on Sunday
    afternoon = (rng.random(n) < 0.5) & (wd != 5)   # Saturday: mornings only
    clock = np.where(afternoon, 13 * 3600, 7.5 * 3600) + rng.random(n) * 4 * 3600
    anytime = (channel == ONLINE) & (rng.random(n) < 0.3)
    clock = np.where(anytime, rng.random(n) * 86_400, clock)
    local = days[day].astype("datetime64[us]") + (clock * 1e6).astype("timedelta64[us]")
    return local - VN, channel


def _snap_to_office(rng: np.random.Generator, instants: np.ndarray) -> np.ndarray:
    """Results are signed in office hours on a working day."""
    local = instants + VN
    day = np.busday_offset(local.astype("datetime64[D]"), 0, roll="forward")
    clock = ((7.5 + rng.random(len(instants)) * 9.5) * 3600e6).astype("timedelta64[us]")
    return day.astype("datetime64[us]") + clock - VN


def _dossiers(rng: np.random.Generator, ids: np.ndarray, received: np.ndarray, channel: np.ndarray,
              anchor, cat: Catalogue, wards: Wards, officers: np.ndarray) -> tuple[pa.Table, pa.Table]:
    """Dossiers received at ``received`` and their status history, as they stand at ``anchor``
    (a scalar or one instant per dossier). History ids are filled in by the caller."""
    n = len(ids)
    proc = rng.choice(len(cat.ids), n, p=cat.weight)
    days = cat.days[proc]
    local = received + VN
    local_day = local.astype("datetime64[D]")
    due = np.busday_offset(local_day, days, roll="forward").astype("datetime64[us]") + (local - local_day) - VN

    # outcome: mostly done on time, some late; open ones are mostly the recent ones
    age_days = (anchor - received) / np.timedelta64(1, "D")
    is_open = rng.random(n) < 0.008 + 0.9 * np.exp(-age_days / 65)
    late = rng.random(n) < 0.128
    span = (due - received).astype(np.int64)
    done = received + (span * (0.05 + 0.95 * rng.beta(2.2, 1.6, n))).astype("timedelta64[us]")
    overrun = (rng.lognormal(np.log(3), 0.9, n) * 86_400e6).astype("timedelta64[us]")
    done = _snap_to_office(rng, np.where(late, due + overrun, done))
    done = np.where(late, done, np.minimum(done, due))
    early = done < received + HOUR / 4
    done[early] = received[early] + (rng.random(early.sum()) * 3 * 3600e6 + 900e6).astype("timedelta64[us]")
    is_open |= done > anchor
    status = np.where(is_open,
                      rng.choice(OPEN_STATUSES, n, p=[0.1, 0.65, 0.25]),
                      rng.choice([DONE, RETURNED, CANCELLED], n, p=[0.94, 0.045, 0.015]))
    status[is_open & (age_days < 1) & (rng.random(n) < 0.6)] = NEW
    completed = np.where(is_open, np.datetime64("NaT", "us"), done)

    # history: received → [processing] → [waiting for supplements → processing] → final
    end = np.where(is_open, np.minimum(anchor, due), done)
    gap = (end - received).astype(np.int64)
    at = [received]
    kinds = [np.full(n, NEW)]
    who = [np.where(channel == ONLINE, -1, rng.integers(0, OFFICERS, n))]
    rows = [np.arange(n)]

    def event(mask: np.ndarray, kind: int, frac: float) -> None:
        idx = np.flatnonzero(mask)
        rows.append(idx)
        kinds.append(np.full(len(idx), kind))
        when = received[idx] + (gap[idx] * frac).astype("timedelta64[us]")
        if frac < 1:   # officers act in office hours, between the receipt and the outcome
            when = np.clip(_snap_to_office(rng, when), received[idx] + HOUR / 60, end[idx])
        at.append(when)
        who.append(rng.integers(0, OFFICERS, len(idx)))

    closed = ~is_open
    event((status == PROCESSING) | (status == WAITING) | (closed & (rng.random(n) < 0.42)), PROCESSING, 0.15)
    supplemented = closed & (rng.random(n) < 0.07)
    event((status == WAITING) | supplemented, WAITING, 0.4)
    event(supplemented, PROCESSING, 0.7)
    event(closed, -1, 1.0)
    kinds[-1] = status[rows[-1]]
    double = rng.random(n) < 0.003                # a double-clicked first step
    event(double, NEW, 0.0)
    at[-1] = at[-1] + (rng.integers(1, 4, double.sum()) * 1e6).astype("timedelta64[us]")
    history = _history_table(rng, ids, channel, np.concatenate(rows), np.concatenate(kinds),
                             np.concatenate(at), np.concatenate(who), officers)

    table = _dossier_table(rng, ids, proc, cat, channel, received, due, completed, status, wards)
    return table, history


def _history_table(rng: np.random.Generator, ids: np.ndarray, channel: np.ndarray, row: np.ndarray,
                   kind: np.ndarray, at: np.ndarray, who: np.ndarray, officers: np.ndarray) -> pa.Table:
    order = np.lexsort((kind, at))    # the log grows in time order
    row, kind, at, who = row[order], kind[order], at[order], who[order]
    m = len(row)
    officer = np.where(who < 0, SYSTEM_OFFICER, officers[np.maximum(who, 0)])
    note = np.full(m, None, dtype=object)
    for k, pool in ((WAITING, SUPPLEMENT_NOTES), (RETURNED, RETURN_NOTES), (CANCELLED, CANCEL_NOTES)):
        mask = kind == k
        note[mask] = rng.choice(pool, mask.sum())
    done = kind == DONE
    note[done] = DONE_NOTES[channel[row[done]]]
    processing = (kind == PROCESSING) & (rng.random(m) < 0.5)
    note[processing] = PROCESSING_NOTE
    return pa.table({
        "id": np.zeros(m, dtype=np.int64),
        "ho_so_id": ids[row],
        "trang_thai": pa.array(STATUSES[kind], pa.string()),
        "thoi_diem": pa.array(at, TS),
        "can_bo_xu_ly": pa.array(officer, pa.string()),
        "ghi_chu": pa.array(nfd_some(rng, note, 0.2), pa.string()),
        "ngay_cap_nhat": pa.array(at, TS),
    })


def _dossier_table(rng: np.random.Generator, ids: np.ndarray, proc: np.ndarray, cat: Catalogue,
                   channel: np.ndarray, received: np.ndarray, due: np.ndarray, completed: np.ndarray,
                   status: np.ndarray, wards: Wards) -> pa.Table:
    n = len(ids)
    ward = rng.integers(0, len(wards["ward_code"]), n)
    agency = np.where(cat.is_ward[proc], wards["committee"][ward], cat.department[proc])
    procedure_id = cat.ids[proc].copy()
    unknown = rng.random(n) < 0.003
    procedure_id[unknown] = 99_000 + rng.integers(0, 900, unknown.sum())
    local_day = pc.strftime(pa.array(received + VN), format="%y%m%d")
    code = pc.binary_join_element_wise("000.00.H29", local_day,
                                       pc.utf8_lpad(pa.array(ids).cast(pa.string()), 7, "0"), "-")
    code = code.to_numpy(zero_copy_only=False).astype(object)
    lower = rng.random(n) < 0.002
    code[lower] = [c.lower() for c in code[lower]]
    cccd = citizen_ids(rng, n)
    roll = rng.random(n)
    cmnd = roll < 0.02
    cccd[cmnd] = rng.integers(10**8, 10**9, cmnd.sum()).astype(str)
    cccd[roll > 0.99] = None
    # the values as typed: a few impossible dates
    due, completed, received = due.copy(), completed.copy(), received.copy()
    updated = np.where(np.isnat(completed), received, completed)
    bad_due = rng.random(n) < 0.0015
    due[bad_due] = received[bad_due] - (due[bad_due] - received[bad_due])
    bad_done = ~np.isnat(completed) & (rng.random(n) < 0.0015)
    completed[bad_done] = received[bad_done] - (rng.random(bad_done.sum()) * 10 * 86_400e6 + 3600e6).astype(
        "timedelta64[us]")
    typo = rng.random(n) < 0.0003
    received[typo] = received[typo] + np.timedelta64(180 * 365, "D")
    table = pa.table({
        "id": ids,
        "ma_ho_so": pa.array(code, pa.string()),
        "thu_tuc_id": procedure_id,
        "kenh_nop": pa.array(CHANNELS[channel], pa.string()),
        "ten_nguoi_nop": pa.array(nfd_some(rng, names(rng, n), 0.25), pa.string()),
        "so_cccd": pa.array(cccd, pa.string()),
        "dien_thoai": pa.array(phones(rng, n), pa.string()),
        "ngay_tiep_nhan": pa.array(received, TS),
        "ngay_hen_tra": pa.array(due, TS),
        "ngay_tra_ket_qua": pa.array(completed, TS),
        "trang_thai": pa.array(STATUSES[status], pa.string()),
        "ma_co_quan": pa.array(agency, pa.string()),
        **{k: pa.array(v, pa.string()) for k, v in ward_columns(rng, ward, wards).items()},
        "ngay_cap_nhat": pa.array(updated, TS),
    })
    return table


def _duplicates(rng: np.random.Generator, table: pa.Table, first_id: int, share: float,
                anchor: np.datetime64) -> pa.Table:
    """The same dossier keyed in twice: another id, same code, the name in the other Unicode form, saved
    up to two days after the first (never after ``anchor``)."""
    dup = keyed_twice(table, some_rows(rng, table.num_rows, share), first_id, "ten_nguoi_nop")
    later = dup["ngay_cap_nhat"].to_numpy() + (rng.random(dup.num_rows) * 2 * 86_400e6).astype("timedelta64[us]")
    return set_column(dup, "ngay_cap_nhat", pa.array(np.minimum(later, anchor), TS))


def _number_history(history: pa.Table, first_id: int) -> pa.Table:
    return set_column(history, "id", pa.array(np.arange(first_id, first_id + history.num_rows), pa.int64()))


def create(dsn: str, scale: float, seed: int, force: bool = False, *, now: dt.datetime | None = None) -> dict:
    """(Re)build the source database. Idempotent: same scale and seed already there → no-op.

    Dossiers run from January 2023 to the start of today (UTC), or to ``now`` when given (tests
    that compare two builds made on different days pass it)."""
    with psycopg.connect(dsn) as conn:
        if kept := already_built(pg_state(conn, SCHEMA), scale, seed, force):
            return kept
        anchor = pg_anchor(conn, now)
        pg_recreate_schema(conn, SCHEMA, SCHEMA_SQL)
        rng = np.random.default_rng(seed)
        cat, wards, officers = _catalogue(seed, anchor), ward_arrays(committees=True), _officers(seed)
        copy_pg(conn, f"{SCHEMA}.thu_tuc", cat.table)
        n = max(200, int(DOSSIERS_PER_SCALE * scale))
        received, channel = _initial_receipts(rng, n, anchor)
        order = np.argsort(received, kind="stable")          # ids grow with the receipt time
        received, channel = received[order], channel[order]
        dossiers, history = _dossiers(rng, np.arange(1, n + 1, dtype=np.int64), received, channel, anchor,
                                      cat, wards, officers)
        last_change = np.maximum(dossiers["ngay_cap_nhat"].to_numpy(), _last_event(history, n))
        late_edit = rng.random(n) < 0.03          # corrections made weeks later
        last_change = np.where(late_edit, last_change + (rng.random(n) * 30 * 86_400e6).astype("timedelta64[us]"),
                               last_change)
        dossiers = set_column(dossiers, "ngay_cap_nhat", pa.array(np.minimum(last_change, anchor), TS))
        dossiers = pa.concat_tables([dossiers, _duplicates(rng, dossiers, n + 1, 0.005, anchor)])
        history = _number_history(history, 1)
        copy_pg_chunks(conn, f"{SCHEMA}.ho_so", dossiers)
        copy_pg_chunks(conn, f"{SCHEMA}.ho_so_lich_su", history)
        pg_init_state(conn, SCHEMA, scale, seed)
        conn.execute(f"ANALYZE {SCHEMA}.thu_tuc; ANALYZE {SCHEMA}.ho_so; ANALYZE {SCHEMA}.ho_so_lich_su")
    return {"created": True, "procedures": cat.table.num_rows, "dossiers": dossiers.num_rows,
            "dossier_status_history": history.num_rows, "step": 0}


def _last_event(history: pa.Table, n: int) -> np.ndarray:
    """Latest history instant per dossier (dossier ids 1..n)."""
    last = history.group_by("ho_so_id").aggregate([("thoi_diem", "max")])
    out = np.full(n + 1, np.datetime64("1970-01-01", "us"))
    out[last["ho_so_id"].to_numpy()] = last["thoi_diem_max"].to_numpy()
    return out[1:]


# -- one day of changes --

def _ratings(rng: np.random.Generator, status: np.ndarray) -> np.ndarray:
    """Satisfaction 1–5 from about half of the applicants whose result was returned; -1 = none."""
    rated = (status == DONE) & (rng.random(len(status)) < 0.55)
    return np.where(rated, rng.choice(np.arange(1, 6), len(status), p=[0.03, 0.04, 0.1, 0.33, 0.5]), -1)


def _progress(conn: psycopg.Connection, rng: np.random.Generator, now: np.datetime64, rated: bool,
              officers: np.ndarray) -> tuple[int, pa.Table]:
    """Open dossiers move on one day; returns how many changed and their new history events."""
    rows = conn.execute(f"""SELECT id, trang_thai, ngay_tiep_nhan, kenh_nop FROM {SCHEMA}.ho_so
                            WHERE ngay_tra_ket_qua IS NULL AND trang_thai = ANY(%s) ORDER BY id""",
                        ([STATUSES[s] for s in OPEN_STATUSES],)).fetchall()
    if not rows:
        return 0, _empty_history()
    ids = np.array([r[0] for r in rows], dtype=np.int64)
    current = np.array([int(np.flatnonzero(STATUSES == r[1])[0]) for r in rows])
    received = np.array([np_utc(r[2]) for r in rows])
    channel = np.array([int(np.flatnonzero(CHANNELS == r[3])[0]) for r in rows])
    roll = rng.random(len(ids))
    roll[received < now - 90 * 24 * HOUR] *= 8        # the long-stuck backlog barely moves
    new = np.full(len(ids), -1)
    new[(current == NEW) & (roll < 0.75)] = PROCESSING
    new[(current == PROCESSING) & (roll < 0.22)] = DONE
    new[(current == PROCESSING) & (roll >= 0.22) & (roll < 0.235)] = RETURNED
    new[(current == PROCESSING) & (roll >= 0.235) & (roll < 0.265)] = WAITING
    new[(current == WAITING) & (roll < 0.2)] = PROCESSING
    new[(current == WAITING) & (roll >= 0.2) & (roll < 0.22)] = CANCELLED
    moved = new >= 0
    ids, new, received, channel = ids[moved], new[moved], received[moved], channel[moved]
    at = now - (rng.random(len(ids)) * 8 * 3600e6).astype("timedelta64[us]")
    in_past = received < now
    at[in_past] = np.maximum(at[in_past], received[in_past] + HOUR / 12)
    closed = new >= DONE
    rating = _ratings(rng, new) if rated else np.full(len(ids), -1)
    completed = [aware_utc(a) if c else None for a, c in zip(at, closed)]
    set_rating = ", danh_gia_hai_long = COALESCE(v.rating, h.danh_gia_hai_long)" if rated else ""
    conn.execute(f"""UPDATE {SCHEMA}.ho_so h SET trang_thai = v.status,
                         ngay_tra_ket_qua = COALESCE(v.completed, h.ngay_tra_ket_qua), ngay_cap_nhat = %s
                         {set_rating}
                     FROM unnest(%s::bigint[], %s::text[], %s::timestamptz[], %s::smallint[])
                          AS v(id, status, completed, rating)
                     WHERE h.id = v.id""",
                 (aware_utc(now), ids.tolist(), list(STATUSES[new]), completed,
                  [None if r < 0 else int(r) for r in rating]))
    history = _history_table(rng, ids, channel, np.arange(len(ids)), new, at,
                             rng.integers(0, OFFICERS, len(ids)), officers)
    return len(ids), set_column(history, "ngay_cap_nhat", pa.array(np.full(len(ids), now), TS))


def _empty_history() -> pa.Table:
    return pa.table({"id": pa.array([], pa.int64()), "ho_so_id": pa.array([], pa.int64()),
                     "trang_thai": pa.array([], pa.string()), "thoi_diem": pa.array([], TS),
                     "can_bo_xu_ly": pa.array([], pa.string()), "ghi_chu": pa.array([], pa.string()),
                     "ngay_cap_nhat": pa.array([], TS)})


def _corrections(conn: psycopg.Connection, rng: np.random.Generator, max_id: int, now: dt.datetime) -> int:
    """Rows that change between runs: phones fixed after a call-back, fees and processing times revised."""
    k = max(1, max_id // 5000)
    ids = np.sort(rng.choice(max_id, min(k, max_id), replace=False) + 1)
    conn.execute(f"""UPDATE {SCHEMA}.ho_so h SET dien_thoai = v.phone, ngay_cap_nhat = %s
                     FROM unnest(%s::bigint[], %s::text[]) AS v(id, phone) WHERE h.id = v.id""",
                 (now, ids.tolist(), list(phones(rng, len(ids), missing=0, malformed=0))))
    fee_id, days_id = (int(i) for i in rng.choice(PROCEDURES, 2, replace=False) + 1)
    conn.execute(f"UPDATE {SCHEMA}.thu_tuc SET le_phi = le_phi + 5000, ngay_cap_nhat = %s "
                 "WHERE id = %s AND le_phi > 0", (now, fee_id))
    conn.execute(f"UPDATE {SCHEMA}.thu_tuc SET so_ngay_giai_quyet = greatest(1, so_ngay_giai_quyet - 1), "
                 "ngay_cap_nhat = %s WHERE id = %s", (now, days_id))
    return len(ids)


def _delete_mistakes(conn: psycopg.Connection, rng: np.random.Generator, n_new: int, now: np.datetime64,
                     officers: np.ndarray, max_id: int) -> tuple[int, pa.Table]:
    """Dossiers keyed in by mistake (on an earlier day: ids up to ``max_id``) are hard-deleted; the
    append-only log keeps a trace."""
    candidates = [r[0] for r in conn.execute(
        f"""SELECT id FROM {SCHEMA}.ho_so WHERE ngay_tiep_nhan BETWEEN %s AND %s AND trang_thai = ANY(%s)
            AND id <= %s ORDER BY id""", (aware_utc(now - 3 * 24 * HOUR), aware_utc(now),
                                          [STATUSES[NEW], STATUSES[PROCESSING]], max_id)).fetchall()]
    if not candidates:  # a quiet few days: any open dossier may turn out to be a mistake
        candidates = [r[0] for r in conn.execute(
            f"SELECT id FROM {SCHEMA}.ho_so WHERE trang_thai = ANY(%s) AND id <= %s ORDER BY id",
            ([STATUSES[NEW], STATUSES[PROCESSING]], max_id)).fetchall()]
    if not candidates:
        return 0, _empty_history()
    ids = np.sort(rng.choice(np.array(candidates, dtype=np.int64), min(len(candidates), max(1, n_new // 150)),
                             replace=False))
    conn.execute(f"DELETE FROM {SCHEMA}.ho_so WHERE id = ANY(%s)", (ids.tolist(),))
    k = len(ids)
    history = _history_table(rng, ids, np.zeros(k, dtype=int), np.arange(k), np.full(k, CANCELLED),
                             np.full(k, now), rng.integers(0, OFFICERS, k), officers)
    history = set_column(history, "ghi_chu", pa.array([DELETE_NOTE] * k, pa.string()))
    return k, set_column(history, "ngay_cap_nhat", pa.array(np.full(k, now), TS))


def advance(dsn: str, step: int | None = None, *, now: dt.datetime | None = None) -> dict:
    """Apply one day of changes: dossiers progress, new ones arrive (a fifth committed late),
    corrections, catalogue edits, hard-deleted mistakes; the satisfaction column from step 2."""
    with psycopg.connect(dsn) as conn:
        state = pg_state(conn, SCHEMA)
        if (step := pending_step(state, step, "the one-stop source database")) is None:
            return {"advanced": False, "step": state[2]}
        scale, seed, _ = state
        rng = np.random.default_rng([seed, step])
        now_dt = now or conn.execute("SELECT now()").fetchone()[0]
        t_now = np_utc(now_dt)
        schema_changed = pg_schema_change(conn, SCHEMA, step, "ho_so", "danh_gia_hai_long", "smallint")
        rated = step >= 2
        cat, wards, officers = _catalogue(seed, t_now), ward_arrays(committees=True), _officers(seed)
        days = dict(conn.execute(f"SELECT id, so_ngay_giai_quyet FROM {SCHEMA}.thu_tuc").fetchall())
        cat.days[:] = [days.get(int(i), d) for i, d in zip(cat.ids, cat.days)]
        max_id, max_seen = conn.execute(f"SELECT max(id), max(ngay_cap_nhat) FROM {SCHEMA}.ho_so").fetchone()
        max_hist = conn.execute(f"SELECT max(id) FROM {SCHEMA}.ho_so_lich_su").fetchone()[0] or 0
        max_id = int(max_id)

        progressed, events = _progress(conn, rng, t_now, rated, officers)
        corrected = _corrections(conn, rng, max_id, now_dt)

        # new dossiers: one day's intake; a fifth committed late with an older watermark
        n_new = max(5, round(DOSSIERS_PER_DAY_PER_SCALE * scale))
        late = rng.random(n_new) < 0.2
        stamp = np.where(late, np_utc(max_seen) - HOUR, t_now)
        received = np.sort(stamp - (rng.random(n_new) * 20 * 3600e6 + 600e6).astype("timedelta64[us]"))
        roll = rng.random(n_new)
        channel = np.where(roll < 0.75, ONLINE, np.where(roll < 0.78, POSTAL, DIRECT))
        ids = np.arange(max_id + 1, max_id + n_new + 1, dtype=np.int64)
        dossiers, new_events = _dossiers(rng, ids, received, channel, stamp, cat, wards, officers)
        dossiers = set_column(dossiers, "ngay_cap_nhat", pa.array(stamp, TS))
        if rated:
            rating = _ratings(rng, np.array([int(np.flatnonzero(STATUSES == s)[0])
                                             for s in dossiers["trang_thai"].to_pylist()]))
            dossiers = dossiers.append_column("danh_gia_hai_long", pa.array(rating, pa.int16(), mask=rating < 0))
        new_events = set_column(new_events, "ngay_cap_nhat",
                          pa.array(stamp[new_events["ho_so_id"].to_numpy() - ids[0]], TS))
        copy_pg(conn, f"{SCHEMA}.ho_so", dossiers)

        deleted, gone = _delete_mistakes(conn, rng, n_new, t_now, officers, max_id)
        history = _number_history(pa.concat_tables([events, new_events, gone]), max_hist + 1)
        copy_pg(conn, f"{SCHEMA}.ho_so_lich_su", history)
        pg_set_step(conn, SCHEMA, step)
    return {"advanced": True, "step": step, "dossiers_progressed": progressed, "dossiers_corrected": corrected,
            "dossiers_added": n_new, "dossiers_deleted": deleted, "history_added": history.num_rows,
            "procedures_edited": 2, "schema_changed": schema_changed}
