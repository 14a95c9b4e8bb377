-- Sở Giáo dục và Đào tạo TP.HCM: the school register and yearly school statistics, as they stand
-- (pre-2025 ward codes).
CREATE SCHEMA IF NOT EXISTS giaoduc;

-- Trường (schools and education centres, kindergarten to university and vocational)
CREATE TABLE IF NOT EXISTS giaoduc.truong (
    id                 bigint PRIMARY KEY,     -- school id in the register
    ma_truong          text,                   -- school code; a few codes are shared by two rows
    ten_truong         text,                   -- school name, NFC or NFD depending on the data-entry client
    cap_hoc            text,                   -- level: 'Mầm non' / 'Tiểu học' / 'THCS' / 'THPT' / 'Liên cấp' / ...
    loai_hinh          text,                   -- type: 'Công lập' / 'Tư thục' / 'Dân lập' / 'Có vốn đầu tư nước ngoài'
    co_quan_quan_ly    text,                   -- managing body
    dia_chi            text,                   -- street address
    ma_phuong          text,                   -- ward code before 1 July 2025
    ten_phuong         text,                   -- ward name before 1 July 2025
    ma_quan            text,                   -- district code (districts were abolished in 2025)
    ten_quan           text,                   -- district name
    vi_do              double precision,       -- latitude
    kinh_do            double precision,       -- longitude
    nam_thanh_lap      integer,                -- year founded (a few 0 or in the future)
    trang_thai         text,                   -- 'Đang hoạt động' / 'Tạm dừng tuyển sinh' / 'Đã sáp nhập' / 'Đã giải thể'
    ngay_cap_nhat      timestamptz NOT NULL    -- last change (the extraction watermark)
);
CREATE INDEX IF NOT EXISTS truong_ngay_cap_nhat ON giaoduc.truong (ngay_cap_nhat);

-- Số liệu năm học (statistics per school and school year, reported at the start of the year)
CREATE TABLE IF NOT EXISTS giaoduc.so_lieu_nam_hoc (
    truong_id          bigint NOT NULL,        -- school (giaoduc.truong.id)
    nam_hoc            text NOT NULL,          -- school year, '2016-2017' … the current school year
    so_hoc_sinh        integer,                -- pupils or students enrolled (a few negative)
    so_hoc_sinh_nu     integer,                -- of which girls (a few above the total)
    so_lop             integer,                -- classes
    so_giao_vien       integer,                -- teachers (a few 0 although pupils are enrolled)
    so_nhan_vien       integer,                -- administrative and support staff
    ngay_cap_nhat      timestamptz NOT NULL,   -- last change (the extraction watermark)
    PRIMARY KEY (truong_id, nam_hoc)
);
CREATE INDEX IF NOT EXISTS so_lieu_nam_hoc_ngay_cap_nhat ON giaoduc.so_lieu_nam_hoc (ngay_cap_nhat);

-- From advance step 2 on, the yearly report also counts pupils with disabilities:
--   ALTER TABLE giaoduc.so_lieu_nam_hoc ADD COLUMN so_hoc_sinh_khuyet_tat integer  -- pupils with disabilities
