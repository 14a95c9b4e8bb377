"""Vietnam Standard Industrial Classification 2018 (VSIC 2018), levels 1 and 2.

Issued by Decision 27/2018/QĐ-TTg; it follows ISIC Rev.4, so the English names are ISIC's. Sources
record a business's main activity as a 4- or 5-digit VSIC code; its first two digits are the
division and every division belongs to one section (A–U). This feeds the conformed industry
dimension, so a code whose division is not listed here is not a VSIC code.
"""
from __future__ import annotations

import re

# section, Vietnamese name, English name (ISIC Rev.4)
SECTIONS: tuple[tuple[str, str, str], ...] = (
    ("A", "Nông nghiệp, lâm nghiệp và thủy sản", "Agriculture, forestry and fishing"),
    ("B", "Khai khoáng", "Mining and quarrying"),
    ("C", "Công nghiệp chế biến, chế tạo", "Manufacturing"),
    ("D", "Sản xuất và phân phối điện, khí đốt, nước nóng, hơi nước và điều hòa không khí",
     "Electricity, gas, steam and air conditioning supply"),
    ("E", "Cung cấp nước; hoạt động quản lý và xử lý rác thải, nước thải",
     "Water supply; sewerage, waste management and remediation activities"),
    ("F", "Xây dựng", "Construction"),
    ("G", "Bán buôn và bán lẻ; sửa chữa ô tô, mô tô, xe máy và xe có động cơ khác",
     "Wholesale and retail trade; repair of motor vehicles and motorcycles"),
    ("H", "Vận tải kho bãi", "Transportation and storage"),
    ("I", "Dịch vụ lưu trú và ăn uống", "Accommodation and food service activities"),
    ("J", "Thông tin và truyền thông", "Information and communication"),
    ("K", "Hoạt động tài chính, ngân hàng và bảo hiểm", "Financial and insurance activities"),
    ("L", "Hoạt động kinh doanh bất động sản", "Real estate activities"),
    ("M", "Hoạt động chuyên môn, khoa học và công nghệ", "Professional, scientific and technical activities"),
    ("N", "Hoạt động hành chính và dịch vụ hỗ trợ", "Administrative and support service activities"),
    ("O", "Hoạt động của Đảng Cộng sản, tổ chức chính trị - xã hội, quản lý Nhà nước, an ninh quốc phòng; "
          "bảo đảm xã hội bắt buộc",
     "Activities of the Communist Party, socio-political organisations, public administration and defence; "
     "compulsory social security"),
    ("P", "Giáo dục và đào tạo", "Education"),
    ("Q", "Y tế và hoạt động trợ giúp xã hội", "Human health and social work activities"),
    ("R", "Nghệ thuật, vui chơi và giải trí", "Arts, entertainment and recreation"),
    ("S", "Hoạt động dịch vụ khác", "Other service activities"),
    ("T", "Hoạt động làm thuê các công việc trong các hộ gia đình, sản xuất sản phẩm vật chất và dịch vụ "
          "tự tiêu dùng của hộ gia đình",
     "Activities of households as employers; undifferentiated goods- and services-producing activities "
     "of households for own use"),
    ("U", "Hoạt động của các tổ chức và cơ quan quốc tế",
     "Activities of extraterritorial organisations and bodies"),
)

# division, section, Vietnamese name, English name (ISIC Rev.4)
DIVISIONS: tuple[tuple[str, str, str, str], ...] = (
    ("01", "A", "Nông nghiệp và hoạt động dịch vụ có liên quan",
     "Crop and animal production, hunting and related service activities"),
    ("02", "A", "Lâm nghiệp và hoạt động dịch vụ có liên quan", "Forestry and logging"),
    ("03", "A", "Khai thác, nuôi trồng thủy sản", "Fishing and aquaculture"),
    ("05", "B", "Khai thác than cứng và than non", "Mining of coal and lignite"),
    ("06", "B", "Khai thác dầu thô và khí đốt tự nhiên", "Extraction of crude petroleum and natural gas"),
    ("07", "B", "Khai thác quặng kim loại", "Mining of metal ores"),
    ("08", "B", "Khai khoáng khác", "Other mining and quarrying"),
    ("09", "B", "Hoạt động dịch vụ hỗ trợ khai khoáng", "Mining support service activities"),
    ("10", "C", "Sản xuất, chế biến thực phẩm", "Manufacture of food products"),
    ("11", "C", "Sản xuất đồ uống", "Manufacture of beverages"),
    ("12", "C", "Sản xuất sản phẩm thuốc lá", "Manufacture of tobacco products"),
    ("13", "C", "Dệt", "Manufacture of textiles"),
    ("14", "C", "Sản xuất trang phục", "Manufacture of wearing apparel"),
    ("15", "C", "Sản xuất da và các sản phẩm có liên quan", "Manufacture of leather and related products"),
    ("16", "C", "Chế biến gỗ và sản xuất sản phẩm từ gỗ, tre, nứa (trừ giường, tủ, bàn, ghế); sản xuất sản phẩm "
                "từ rơm, rạ và vật liệu tết bện",
     "Manufacture of wood and of products of wood and cork, except furniture; manufacture of articles of "
     "straw and plaiting materials"),
    ("17", "C", "Sản xuất giấy và sản phẩm từ giấy", "Manufacture of paper and paper products"),
    ("18", "C", "In, sao chép bản ghi các loại", "Printing and reproduction of recorded media"),
    ("19", "C", "Sản xuất than cốc, sản phẩm dầu mỏ tinh chế", "Manufacture of coke and refined petroleum products"),
    ("20", "C", "Sản xuất hóa chất và sản phẩm hóa chất", "Manufacture of chemicals and chemical products"),
    ("21", "C", "Sản xuất thuốc, hóa dược và dược liệu",
     "Manufacture of basic pharmaceutical products and pharmaceutical preparations"),
    ("22", "C", "Sản xuất sản phẩm từ cao su và plastic", "Manufacture of rubber and plastics products"),
    ("23", "C", "Sản xuất sản phẩm từ khoáng phi kim loại khác", "Manufacture of other non-metallic mineral products"),
    ("24", "C", "Sản xuất kim loại", "Manufacture of basic metals"),
    ("25", "C", "Sản xuất sản phẩm từ kim loại đúc sẵn (trừ máy móc, thiết bị)",
     "Manufacture of fabricated metal products, except machinery and equipment"),
    ("26", "C", "Sản xuất sản phẩm điện tử, máy vi tính và sản phẩm quang học",
     "Manufacture of computer, electronic and optical products"),
    ("27", "C", "Sản xuất thiết bị điện", "Manufacture of electrical equipment"),
    ("28", "C", "Sản xuất máy móc, thiết bị chưa được phân vào đâu", "Manufacture of machinery and equipment n.e.c."),
    ("29", "C", "Sản xuất xe có động cơ", "Manufacture of motor vehicles, trailers and semi-trailers"),
    ("30", "C", "Sản xuất phương tiện vận tải khác", "Manufacture of other transport equipment"),
    ("31", "C", "Sản xuất giường, tủ, bàn, ghế", "Manufacture of furniture"),
    ("32", "C", "Công nghiệp chế biến, chế tạo khác", "Other manufacturing"),
    ("33", "C", "Sửa chữa, bảo dưỡng và lắp đặt máy móc và thiết bị",
     "Repair and installation of machinery and equipment"),
    ("35", "D", "Sản xuất và phân phối điện, khí đốt, nước nóng, hơi nước và điều hòa không khí",
     "Electricity, gas, steam and air conditioning supply"),
    ("36", "E", "Khai thác, xử lý và cung cấp nước", "Water collection, treatment and supply"),
    ("37", "E", "Thoát nước và xử lý nước thải", "Sewerage"),
    ("38", "E", "Hoạt động thu gom, xử lý và tiêu hủy rác thải; tái chế phế liệu",
     "Waste collection, treatment and disposal activities; materials recovery"),
    ("39", "E", "Xử lý ô nhiễm và hoạt động quản lý chất thải khác",
     "Remediation activities and other waste management services"),
    ("41", "F", "Xây dựng nhà các loại", "Construction of buildings"),
    ("42", "F", "Xây dựng công trình kỹ thuật dân dụng", "Civil engineering"),
    ("43", "F", "Hoạt động xây dựng chuyên dụng", "Specialized construction activities"),
    ("45", "G", "Bán, sửa chữa ô tô, mô tô, xe máy và xe có động cơ khác",
     "Wholesale and retail trade and repair of motor vehicles and motorcycles"),
    ("46", "G", "Bán buôn (trừ ô tô, mô tô, xe máy và xe có động cơ khác)",
     "Wholesale trade, except of motor vehicles and motorcycles"),
    ("47", "G", "Bán lẻ (trừ ô tô, mô tô, xe máy và xe có động cơ khác)",
     "Retail trade, except of motor vehicles and motorcycles"),
    ("49", "H", "Vận tải đường sắt, đường bộ và vận tải đường ống", "Land transport and transport via pipelines"),
    ("50", "H", "Vận tải đường thủy", "Water transport"),
    ("51", "H", "Vận tải hàng không", "Air transport"),
    ("52", "H", "Kho bãi và các hoạt động hỗ trợ cho vận tải", "Warehousing and support activities for transportation"),
    ("53", "H", "Bưu chính và chuyển phát", "Postal and courier activities"),
    ("55", "I", "Dịch vụ lưu trú", "Accommodation"),
    ("56", "I", "Dịch vụ ăn uống", "Food and beverage service activities"),
    ("58", "J", "Hoạt động xuất bản", "Publishing activities"),
    ("59", "J", "Hoạt động điện ảnh, sản xuất chương trình truyền hình, ghi âm và xuất bản âm nhạc",
     "Motion picture, video and television programme production, sound recording and music publishing activities"),
    ("60", "J", "Hoạt động phát thanh, truyền hình", "Programming and broadcasting activities"),
    ("61", "J", "Viễn thông", "Telecommunications"),
    ("62", "J", "Lập trình máy vi tính, dịch vụ tư vấn và các hoạt động khác liên quan đến máy vi tính",
     "Computer programming, consultancy and related activities"),
    ("63", "J", "Hoạt động dịch vụ thông tin", "Information service activities"),
    ("64", "K", "Hoạt động dịch vụ tài chính (trừ bảo hiểm và bảo hiểm xã hội)",
     "Financial service activities, except insurance and pension funding"),
    ("65", "K", "Bảo hiểm, tái bảo hiểm và bảo hiểm xã hội (trừ bảo đảm xã hội bắt buộc)",
     "Insurance, reinsurance and pension funding, except compulsory social security"),
    ("66", "K", "Hoạt động tài chính khác", "Activities auxiliary to financial service and insurance activities"),
    ("68", "L", "Hoạt động kinh doanh bất động sản", "Real estate activities"),
    ("69", "M", "Hoạt động pháp luật, kế toán và kiểm toán", "Legal and accounting activities"),
    ("70", "M", "Hoạt động của trụ sở văn phòng; hoạt động tư vấn quản lý",
     "Activities of head offices; management consultancy activities"),
    ("71", "M", "Hoạt động kiến trúc; kiểm tra và phân tích kỹ thuật",
     "Architectural and engineering activities; technical testing and analysis"),
    ("72", "M", "Nghiên cứu khoa học và phát triển", "Scientific research and development"),
    ("73", "M", "Quảng cáo và nghiên cứu thị trường", "Advertising and market research"),
    ("74", "M", "Hoạt động chuyên môn, khoa học và công nghệ khác",
     "Other professional, scientific and technical activities"),
    ("75", "M", "Hoạt động thú y", "Veterinary activities"),
    ("77", "N", "Cho thuê máy móc, thiết bị (không kèm người điều khiển); cho thuê đồ dùng cá nhân và gia đình; "
                "cho thuê tài sản vô hình phi tài chính", "Rental and leasing activities"),
    ("78", "N", "Hoạt động dịch vụ lao động và việc làm", "Employment activities"),
    ("79", "N", "Hoạt động của các đại lý du lịch, kinh doanh tua du lịch và các dịch vụ hỗ trợ, liên quan đến "
                "quảng bá và tổ chức tua du lịch",
     "Travel agency, tour operator, reservation service and related activities"),
    ("80", "N", "Hoạt động điều tra bảo đảm an toàn", "Security and investigation activities"),
    ("81", "N", "Hoạt động dịch vụ vệ sinh nhà cửa, công trình và cảnh quan",
     "Services to buildings and landscape activities"),
    ("82", "N", "Hoạt động hành chính, hỗ trợ văn phòng và các hoạt động hỗ trợ kinh doanh khác",
     "Office administrative, office support and other business support activities"),
    ("84", "O", "Hoạt động của Đảng Cộng sản, tổ chức chính trị - xã hội, quản lý Nhà nước, an ninh quốc phòng; "
                "bảo đảm xã hội bắt buộc",
     "Activities of the Communist Party, socio-political organisations, public administration and defence; "
     "compulsory social security"),
    ("85", "P", "Giáo dục và đào tạo", "Education"),
    ("86", "Q", "Hoạt động y tế", "Human health activities"),
    ("87", "Q", "Hoạt động chăm sóc, điều dưỡng tập trung", "Residential care activities"),
    ("88", "Q", "Hoạt động trợ giúp xã hội không tập trung", "Social work activities without accommodation"),
    ("90", "R", "Hoạt động sáng tác, nghệ thuật và giải trí", "Creative, arts and entertainment activities"),
    ("91", "R", "Hoạt động của thư viện, lưu trữ, bảo tàng và các hoạt động văn hóa khác",
     "Libraries, archives, museums and other cultural activities"),
    ("92", "R", "Hoạt động xổ số, cá cược và đánh bạc", "Gambling and betting activities"),
    ("93", "R", "Hoạt động thể thao, vui chơi và giải trí",
     "Sports activities and amusement and recreation activities"),
    ("94", "S", "Hoạt động của các hiệp hội, tổ chức khác", "Activities of membership organisations"),
    ("95", "S", "Sửa chữa máy vi tính, đồ dùng cá nhân và gia đình",
     "Repair of computers and personal and household goods"),
    ("96", "S", "Hoạt động dịch vụ phục vụ cá nhân khác", "Other personal service activities"),
    ("97", "T", "Hoạt động làm thuê công việc gia đình trong các hộ gia đình",
     "Activities of households as employers of domestic personnel"),
    ("98", "T", "Hoạt động sản xuất sản phẩm vật chất và dịch vụ tự tiêu dùng của hộ gia đình",
     "Undifferentiated goods- and services-producing activities of private households for own use"),
    ("99", "U", "Hoạt động của các tổ chức và cơ quan quốc tế",
     "Activities of extraterritorial organisations and bodies"),
)

_SECTION_OF_DIVISION = {code: section for code, section, _, _ in DIVISIONS}
_CODE = re.compile(r"[0-9]{2,5}")


def sections() -> list[dict]:
    """The 21 sections (A–U): code, name_vi, name_en."""
    return [{"code": code, "name_vi": vi, "name_en": en} for code, vi, en in SECTIONS]


def divisions() -> list[dict]:
    """The 88 divisions: code (2 digits), name_vi, name_en, section."""
    return [{"code": code, "name_vi": vi, "name_en": en, "section": section}
            for code, section, vi, en in DIVISIONS]


def section_of(code: str) -> str:
    """The section (A–U) of a 2–5 digit VSIC code; ValueError for anything that is not one."""
    code = (code or "").strip()
    if not _CODE.fullmatch(code):
        raise ValueError(f"not a VSIC code: {code!r}")
    try:
        return _SECTION_OF_DIVISION[code[:2]]
    except KeyError:
        raise ValueError(f"not a VSIC division: {code[:2]!r} (from {code!r})") from None
