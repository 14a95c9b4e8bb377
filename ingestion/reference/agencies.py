"""The city's agencies: departments (sở, ngành) after the 2025 reorganisation, and the 2025 wards'
People's Committees. One code per agency, shared by every source and the agency dimension.

Department codes are short stable mnemonics; a ward People's Committee is ``UBND-<ward code 2025>``.
"""
from __future__ import annotations

# code, Vietnamese name, English name, kind
DEPARTMENTS: tuple[tuple[str, str, str], ...] = (
    ("VP-UBND", "Văn phòng Ủy ban nhân dân Thành phố", "Office of the City People's Committee"),
    ("SNV", "Sở Nội vụ", "Department of Home Affairs"),
    ("STP", "Sở Tư pháp", "Department of Justice"),
    ("STC", "Sở Tài chính", "Department of Finance"),
    ("SCT", "Sở Công Thương", "Department of Industry and Trade"),
    ("SNNMT", "Sở Nông nghiệp và Môi trường", "Department of Agriculture and Environment"),
    ("SXD", "Sở Xây dựng", "Department of Construction"),
    ("SKHCN", "Sở Khoa học và Công nghệ", "Department of Science and Technology"),
    ("SGDĐT", "Sở Giáo dục và Đào tạo", "Department of Education and Training"),
    ("SYT", "Sở Y tế", "Department of Health"),
    ("SVHTT", "Sở Văn hóa và Thể thao", "Department of Culture and Sports"),
    ("SDL", "Sở Du lịch", "Department of Tourism"),
    ("SDTTG", "Sở Dân tộc và Tôn giáo", "Department of Ethnic and Religious Affairs"),
    ("SNgV", "Sở Ngoại vụ", "Department of Foreign Affairs"),
    ("SQHKT", "Sở Quy hoạch - Kiến trúc", "Department of Planning and Architecture"),
    ("TTTP", "Thanh tra Thành phố", "City Inspectorate"),
    ("TTPVHCC", "Trung tâm Phục vụ hành chính công", "Public Administration Service Centre"),
    ("BQL-KCX", "Ban Quản lý các Khu chế xuất và công nghiệp", "Export Processing and Industrial Zones Authority"),
    ("BQL-KCNC", "Ban Quản lý Khu Công nghệ cao", "Hi-Tech Park Authority"),
    ("CA-TP", "Công an Thành phố", "City Police"),
    ("BHXH-TP", "Bảo hiểm xã hội Thành phố", "City Social Insurance"),
    ("CT-TP", "Thuế Thành phố", "City Tax Department"),
)
DEPARTMENT_CODES = tuple(code for code, _, _ in DEPARTMENTS)


def ward_committee_code(ward_code_2025: str) -> str:
    """The People's Committee of a 2025 ward (Ủy ban nhân dân phường/xã)."""
    return f"UBND-{ward_code_2025}"
