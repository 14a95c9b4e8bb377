-- Phòng Đầu tư nước ngoài (Sở Tài chính TP.HCM): the foreign direct investment project register, as it
-- stands (pre-2025 ward codes). advance() adds du_an_fdi.so_lao_dong (integer: employees) on step 2.
CREATE SCHEMA IF NOT EXISTS fdi;

-- Dự án đầu tư trực tiếp nước ngoài (FDI projects holding an investment registration certificate)
CREATE TABLE IF NOT EXISTS fdi.du_an_fdi (
    id                   bigint PRIMARY KEY,
    so_gcndkdt           text,              -- investment registration certificate (GCNĐKĐT) number; typed by hand
    ten_du_an            text,              -- project name; NFC or NFD
    ten_nha_dau_tu       text,              -- foreign investor (a company)
    ma_quoc_gia          text,              -- investor's country, ISO 3166-1 alpha-2 as typed (case, 'UK', missing)
    ten_quoc_gia         text,              -- investor's country, Vietnamese name (or a colloquial one)
    von_dang_ky_usd      numeric(18,2),     -- registered investment capital, USD (after adjustments)
    von_giai_ngan_usd    numeric(18,2),     -- disbursed capital to date, USD; NULL when not reported
    nganh_nghe_chinh     text,              -- main activity, VSIC 2018 code (4 or 5 digits)
    hinh_thuc_dau_tu     text,              -- form: 100% vốn nước ngoài / Liên doanh / Góp vốn mua cổ phần / BCC
    ngay_cap_phep        date,              -- date of the first certificate
    trang_thai           text,              -- 'Đang hoạt động' / 'Chưa triển khai' / 'Chấm dứt'
    khu_cong_nghiep      text,              -- export processing / industrial zone or hi-tech park; NULL outside
    dia_chi              text,              -- project site street address
    ma_phuong            text,              -- ward code before 1 July 2025
    ten_phuong           text,              -- ward name
    ma_quan              text,              -- district code (districts were abolished in 2025)
    ten_quan             text,              -- district name
    ngay_cap_nhat        timestamptz NOT NULL DEFAULT now()  -- last change (watermark)
);
CREATE INDEX IF NOT EXISTS du_an_fdi_ngay_cap_nhat ON fdi.du_an_fdi (ngay_cap_nhat);

-- Điều chỉnh vốn (capital adjustments recorded on amended certificates and disbursement reports)
CREATE TABLE IF NOT EXISTS fdi.dieu_chinh_von (
    id                      bigint PRIMARY KEY,
    du_an_id                bigint,         -- project (fdi.du_an_fdi.id); not enforced
    ngay_dieu_chinh         date,           -- date of the adjustment
    von_dang_ky_tang_usd    numeric(18,2),  -- change in registered capital, USD (negative: a reduction)
    von_giai_ngan_tang_usd  numeric(18,2),  -- change in disbursed capital, USD
    noi_dung                text,           -- what was adjusted, as recorded
    ngay_cap_nhat           timestamptz NOT NULL DEFAULT now()  -- last change (watermark)
);
CREATE INDEX IF NOT EXISTS dieu_chinh_von_ngay_cap_nhat ON fdi.dieu_chinh_von (ngay_cap_nhat);
CREATE INDEX IF NOT EXISTS dieu_chinh_von_du_an ON fdi.dieu_chinh_von (du_an_id);
