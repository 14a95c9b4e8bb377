-- Camera registry (danh mục camera giám sát) of the city's surveillance cameras: the Department of
-- Construction (which took over the Department of Transport's traffic cameras in 2025), the City Police,
-- and the People's Committees of former districts 1, 12, Phú Nhuận and Gò Vấp (pre-2025 ward codes).
-- advance() adds camera.camera.do_phan_giai (text: stream resolution, e.g. 1920x1080) on step 2.
CREATE SCHEMA IF NOT EXISTS camera;

-- Camera (one per installed camera)
CREATE TABLE IF NOT EXISTS camera.camera (
    id                   bigint PRIMARY KEY,
    ma_camera            text,              -- camera code, CAM-<5 digits>; typed by hand (case, spaces)
    ten_camera           text,              -- name: junction or street; NFC or NFD
    co_quan_quan_ly      text,              -- owner agency code (ingestion.reference.agencies; SGTVT = pre-2025
                                            -- Department of Transport; UBND-<district code> = former district)
    loai_camera          text,              -- Cố định / PTZ / ANPR / Dome (and shorthands)
    dia_chi_luong        text,              -- stream address, rtsp://…
    cau_hinh_phan_tich   text,              -- analytics profile: Giao thông / Đám đông / Giao thông + đám đông / Trật tự công cộng
    nhan_dien_khuon_mat  boolean NOT NULL DEFAULT false,  -- face matching against the watchlist (police only)
    nguong_dam_dong      integer,           -- crowd alert threshold, people in view
    trang_thai           text,              -- Đang hoạt động / Mất tín hiệu / Đang bảo trì / Ngừng hoạt động
    ngay_lap_dat         date,              -- installed on
    ma_phuong            text,              -- ward code before 1 July 2025
    ten_phuong           text,              -- ward name
    ma_quan              text,              -- district code (districts were abolished in 2025)
    ten_quan             text,              -- district name
    vi_do                double precision,  -- latitude
    kinh_do              double precision,  -- longitude
    ngay_cap_nhat        timestamptz NOT NULL DEFAULT now()  -- last change (watermark)
);
CREATE INDEX IF NOT EXISTS camera_ngay_cap_nhat ON camera.camera (ngay_cap_nhat);
