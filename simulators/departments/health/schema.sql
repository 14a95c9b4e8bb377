-- Sở Y tế TP.HCM: the department's licensing system, as it stands (pre-2025 ward codes).
CREATE SCHEMA IF NOT EXISTS yte;

-- Cơ sở khám bệnh, chữa bệnh (licensed health facilities)
CREATE TABLE IF NOT EXISTS yte.co_so_kcb (
    id                 bigint PRIMARY KEY,
    ma_co_so           text,              -- facility code; the same facility may be entered twice
    ten_co_so          text,              -- name, NFC or NFD depending on the data-entry client
    loai_hinh          text,              -- facility type
    hinh_thuc_so_huu   text,              -- ownership: 'Công lập' / 'Tư nhân' (and shorthands)
    so_giay_phep       text,              -- operating licence number
    ngay_cap_phep      date,
    so_giuong          integer,           -- licensed beds
    chuyen_khoa        text,              -- specialties, comma-separated
    dia_chi            text,              -- street address
    ma_phuong          text,              -- ward code before 1 July 2025
    ten_phuong         text,
    ma_quan            text,              -- district code (districts were abolished in 2025)
    ten_quan           text,
    vi_do              double precision,  -- latitude
    kinh_do            double precision,  -- longitude
    dien_thoai         text,              -- free-text phone
    trang_thai         text,              -- 'Đang hoạt động' / 'Tạm ngừng hoạt động' / 'Đã giải thể'
    ngay_cap_nhat      timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX IF NOT EXISTS co_so_kcb_ngay_cap_nhat ON yte.co_so_kcb (ngay_cap_nhat);

-- Chứng chỉ hành nghề khám bệnh, chữa bệnh (medical practice certificates)
CREATE TABLE IF NOT EXISTS yte.chung_chi_hanh_nghe (
    id                 bigint PRIMARY KEY,
    so_chung_chi       text,              -- certificate number, e.g. 012345/HCM-CCHN
    ho_ten             text,              -- practitioner's full name
    so_cccd            text,              -- citizen ID (CCCD): personal data
    ngay_sinh          date,              -- date of birth: personal data
    dien_thoai         text,              -- phone: personal data
    chuc_danh          text,              -- profession
    pham_vi_hanh_nghe  text,              -- scope of practice
    noi_cap            text,              -- issuing authority
    co_so_id           bigint,            -- facility where registered to practise
    ngay_cap           date,
    ngay_thu_hoi       date,              -- revocation date
    ly_do_thu_hoi      text,
    trang_thai         text,              -- 'Còn hiệu lực' / 'Đã thu hồi' / 'Tạm đình chỉ'
    ngay_cap_nhat      timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX IF NOT EXISTS chung_chi_ngay_cap_nhat ON yte.chung_chi_hanh_nghe (ngay_cap_nhat);
