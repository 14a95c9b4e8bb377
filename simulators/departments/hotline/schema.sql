-- Tổng đài 1022 TP.HCM (Trung tâm Chuyển đổi số): the citizen hotline's contact system, as it stands
-- (pre-2025 ward codes on the contacts, 2025 ward committees among the agencies calls are forwarded to).
CREATE SCHEMA IF NOT EXISTS tongdai1022;

-- Mục tiêu phục vụ (service targets per category and channel)
CREATE TABLE IF NOT EXISTS tongdai1022.muc_tieu_phuc_vu (
    id                      bigint PRIMARY KEY,
    linh_vuc                text,          -- category (Hạ tầng đô thị, Môi trường...)
    kenh_tiep_nhan          text,          -- channel the target applies to
    muc_tieu_tra_loi_giay   integer,       -- answer target, seconds from receipt (phone: 60 s)
    muc_tieu_xu_ly_gio      integer,       -- resolution target, calendar hours from receipt
    ap_dung_tu              date,          -- in force from
    ngay_cap_nhat           timestamptz NOT NULL  -- last change (watermark)
);
CREATE INDEX IF NOT EXISTS muc_tieu_phuc_vu_ngay_cap_nhat ON tongdai1022.muc_tieu_phuc_vu (ngay_cap_nhat);

-- Cuộc gọi / phản ánh (contacts: calls, messages, app and web reports)
CREATE TABLE IF NOT EXISTS tongdai1022.cuoc_goi (
    id                      bigint PRIMARY KEY,
    ma_cuoc_goi             text,          -- contact code, e.g. 1022-250314-0001234; some keyed in twice
    kenh_tiep_nhan          text,          -- channel: 'Điện thoại' / 'Zalo' / 'Ứng dụng Công dân số' / 'Email' / 'Cổng web'
    linh_vuc                text,          -- category
    tom_tat                 text,          -- short summary written by the operator, NFC or NFD
    ten_nguoi_goi           text,          -- caller's name (NULL: anonymous): personal data
    dien_thoai              text,          -- caller's phone, free text: personal data
    thoi_diem_tiep_nhan     timestamptz,   -- received at (call start / message time)
    thoi_diem_tra_loi       timestamptz,   -- answered / first response at; NULL = abandoned call or not yet answered
    thoi_luong_giay         integer,       -- talk time in seconds (phone only)
    ma_co_quan_xu_ly        text,          -- agency forwarded to: department code or UBND-<2025 ward code>; NULL = handled by the hotline
    thoi_diem_chuyen_xu_ly  timestamptz,   -- forwarded at
    thoi_diem_hoan_thanh    timestamptz,   -- resolved at
    muc_do_hai_long         smallint,      -- caller satisfaction 1–5 (NULL: not rated)
    trang_thai              text,          -- 'Đã tiếp nhận' / 'Đang xử lý' / 'Đã xử lý' / 'Đã đóng'
    ma_phuong               text,          -- ward of the issue, code before 1 July 2025
    ten_phuong              text,
    ma_quan                 text,          -- district code (districts were abolished in 2025)
    ten_quan                text,
    ngay_cap_nhat           timestamptz NOT NULL  -- last change (watermark)
);
CREATE INDEX IF NOT EXISTS cuoc_goi_ngay_cap_nhat ON tongdai1022.cuoc_goi (ngay_cap_nhat);
