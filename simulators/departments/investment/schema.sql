-- Phòng Kế hoạch đầu tư (Sở Tài chính TP.HCM): the city's investment project list, projects under way and
-- projects calling for investors (danh mục dự án kêu gọi đầu tư), as it stands (pre-2025 ward codes).
-- advance() adds du_an.ty_le_giai_ngan (numeric(5,2): disbursement %) on step 2.
CREATE SCHEMA IF NOT EXISTS dautu;

-- Dự án đầu tư (investment projects)
CREATE TABLE IF NOT EXISTS dautu.du_an (
    id                 bigint PRIMARY KEY,
    ma_du_an           text,              -- project code, DA-<year listed>-<number>; typed by hand
    ten_du_an          text,              -- project name; NFC or NFD
    linh_vuc           text,              -- sector: Hạ tầng giao thông / Y tế / Giáo dục / Môi trường / ...
    hinh_thuc_dau_tu   text,              -- form: PPP / Đầu tư công / Kêu gọi đầu tư tư nhân / BOT / BT
    giai_doan          text,              -- stage: Kêu gọi đầu tư / Chuẩn bị đầu tư / Đang triển khai / Hoàn thành / Tạm dừng
    tong_muc_dau_tu    numeric(20,0),     -- total investment, VND
    dien_tich_ha       numeric(12,4),     -- site area, hectares
    co_quan_chu_tri    text,              -- lead agency code (ingestion.reference.agencies; some pre-2025 codes)
    dia_diem           text,              -- location as described (street, area)
    ma_phuong          text,              -- ward code before 1 July 2025
    ten_phuong         text,              -- ward name
    ma_quan            text,              -- district code (districts were abolished in 2025)
    ten_quan           text,              -- district name
    vi_do              double precision,  -- latitude of the site
    kinh_do            double precision,  -- longitude of the site
    nam_bat_dau        integer,           -- planned or actual start year; NULL while calling for investors
    nam_ket_thuc       integer,           -- planned or actual completion year
    ngay_cap_nhat      timestamptz NOT NULL DEFAULT now()  -- last change (watermark)
);
CREATE INDEX IF NOT EXISTS du_an_ngay_cap_nhat ON dautu.du_an (ngay_cap_nhat);
