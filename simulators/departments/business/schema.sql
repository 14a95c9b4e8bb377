-- Phòng Đăng ký kinh doanh (Sở Tài chính TP.HCM): the business registration system, as it stands
-- (pre-2025 ward codes). advance() adds doanh_nghiep.email (text: company contact email) on step 2.
CREATE SCHEMA IF NOT EXISTS dkkd;

-- Doanh nghiệp (registered enterprises)
CREATE TABLE IF NOT EXISTS dkkd.doanh_nghiep (
    id                   bigint PRIMARY KEY,
    ma_so_doanh_nghiep   text,              -- enterprise code = tax code, 10 digits starting 03; typed by hand
    ten_doanh_nghiep     text,              -- registered name, usually upper case; NFC or NFD
    loai_hinh            text,              -- legal form: TNHH một thành viên / hai thành viên trở lên / cổ phần / ...
    von_dieu_le          numeric(20,0),     -- charter capital, VND
    nganh_nghe_chinh     text,              -- main activity, VSIC 2018 code (4 or 5 digits)
    nguoi_dai_dien       text,              -- legal representative's full name: personal data
    so_cccd              text,              -- legal representative's citizen ID (CCCD): personal data
    dien_thoai           text,              -- legal representative's phone: personal data
    dia_chi              text,              -- head office street address
    ma_phuong            text,              -- ward code before 1 July 2025
    ten_phuong           text,              -- ward name
    ma_quan              text,              -- district code (districts were abolished in 2025)
    ten_quan             text,              -- district name
    ngay_thanh_lap       date,              -- date of first registration
    trang_thai           text,              -- 'Đang hoạt động' / 'Tạm ngừng kinh doanh' / 'Đã giải thể' / 'Bị thu hồi GCN'
    ngay_cap_nhat        timestamptz NOT NULL DEFAULT now()  -- last change (watermark)
);
CREATE INDEX IF NOT EXISTS doanh_nghiep_ngay_cap_nhat ON dkkd.doanh_nghiep (ngay_cap_nhat);
CREATE INDEX IF NOT EXISTS doanh_nghiep_ma_so ON dkkd.doanh_nghiep (ma_so_doanh_nghiep);

-- Thay đổi trạng thái doanh nghiệp (status changes: suspension, resumption, dissolution, revocation)
CREATE TABLE IF NOT EXISTS dkkd.thay_doi_trang_thai (
    id                   bigint PRIMARY KEY,
    doanh_nghiep_id      bigint,            -- enterprise (dkkd.doanh_nghiep.id); not enforced
    trang_thai_cu        text,              -- status before
    trang_thai_moi       text,              -- status after
    ngay_hieu_luc        date,              -- effective date
    ly_do                text,              -- reason as recorded
    ngay_cap_nhat        timestamptz NOT NULL DEFAULT now()  -- last change (watermark)
);
CREATE INDEX IF NOT EXISTS thay_doi_trang_thai_ngay_cap_nhat ON dkkd.thay_doi_trang_thai (ngay_cap_nhat);
CREATE INDEX IF NOT EXISTS thay_doi_trang_thai_doanh_nghiep ON dkkd.thay_doi_trang_thai (doanh_nghiep_id);
