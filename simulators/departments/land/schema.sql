-- Văn phòng Đăng ký đất đai TP.HCM: the land register and cadastre (MariaDB 10.11), as it stands
-- (pre-2025 ward codes). Tables live in the database the DSN names. ngay_cap_nhat holds UTC.

-- Thửa đất (land parcels of the cadastral map)
CREATE TABLE IF NOT EXISTS thua_dat (
    id                 BIGINT NOT NULL PRIMARY KEY,  -- parcel id in the register
    so_to_ban_do       INT,                          -- cadastral map sheet number within the ward
    so_thua            INT,                          -- parcel number on the map sheet
    ma_loai_dat        VARCHAR(16),                  -- land-use type code (ODT, ONT, CLN, LUC...), legacy codes too
    ten_loai_dat       VARCHAR(255),                 -- land-use type name in Vietnamese, as typed
    dien_tich          DECIMAL(12,1),                -- area in square metres (some zero or negative)
    thoi_han_su_dung   VARCHAR(64),                  -- term of use: 'Lâu dài' or 'Đến ngày dd/mm/yyyy'
    dia_chi            VARCHAR(500),                 -- parcel address, NFC or NFD
    ma_phuong          VARCHAR(10),                  -- ward code before 1 July 2025
    ten_phuong         VARCHAR(255),                 -- ward name before 1 July 2025
    ma_quan            VARCHAR(10),                  -- district code (districts were abolished in 2025)
    ten_quan           VARCHAR(255),                 -- district name
    vi_do              DOUBLE,                       -- latitude of the parcel centroid
    kinh_do            DOUBLE,                       -- longitude of the parcel centroid
    ngay_cap_nhat      DATETIME(6) NOT NULL,         -- last change, UTC (the extraction watermark)
    KEY thua_dat_ngay_cap_nhat (ngay_cap_nhat),
    KEY thua_dat_to_thua (ma_phuong, so_to_ban_do, so_thua)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- Giấy chứng nhận quyền sử dụng đất (land-use right certificates, "sổ đỏ / sổ hồng")
CREATE TABLE IF NOT EXISTS giay_chung_nhan (
    id                 BIGINT NOT NULL PRIMARY KEY,  -- certificate id in the register
    so_phat_hanh       VARCHAR(20),                  -- printed serial, e.g. 'CS 123456' (spacing and case vary)
    so_vao_so          VARCHAR(20),                  -- entry number in the issuance book, e.g. 'CS01234'
    thua_dat_id        BIGINT,                       -- parcel the certificate covers
    ten_chu_su_dung    VARCHAR(255),                 -- holder's name (person or organisation): personal data
    so_cccd            VARCHAR(20),                  -- holder's citizen ID (CCCD, or old 9-digit CMND): personal data
    dia_chi_chu_su_dung VARCHAR(500),                -- holder's permanent address: personal data
    ngay_cap           DATE,                         -- issue date (a few in the future or placeholders)
    co_quan_cap        VARCHAR(255),                 -- issuing authority
    trang_thai         VARCHAR(64),                  -- 'Còn hiệu lực' / 'Đã thu hồi' / 'Đã cấp đổi'
    ngay_cap_nhat      DATETIME(6) NOT NULL,         -- last change, UTC (the extraction watermark)
    KEY giay_chung_nhan_ngay_cap_nhat (ngay_cap_nhat),
    KEY giay_chung_nhan_thua_dat (thua_dat_id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- Giao dịch đăng ký biến động (registered transactions on a parcel); cancelled ones are deleted
CREATE TABLE IF NOT EXISTS giao_dich (
    id                 BIGINT NOT NULL PRIMARY KEY,  -- transaction id
    so_ho_so           VARCHAR(32),                  -- registration dossier number
    thua_dat_id        BIGINT,                       -- parcel (a few point at unknown parcels)
    giay_chung_nhan_id BIGINT,                       -- certificate the transaction was registered on
    loai_giao_dich     VARCHAR(64),                  -- 'Chuyển nhượng' / 'Tặng cho' / 'Thừa kế' / 'Thế chấp' ...
    ngay_dang_ky       DATE,                         -- registration date
    gia_tri_khai_bao   DECIMAL(20,0),                -- declared value in VND (transfers and mortgages only)
    ten_ben_nhan       VARCHAR(255),                 -- receiving party (buyer, heir, lender, lessee): personal data
    so_cccd_ben_nhan   VARCHAR(20),                  -- receiving party's citizen ID, none for banks: personal data
    co_quan_dang_ky    VARCHAR(255),                 -- registration office (branch of the Land Registration Office)
    ngay_cap_nhat      DATETIME(6) NOT NULL,         -- last change, UTC (the extraction watermark)
    KEY giao_dich_ngay_cap_nhat (ngay_cap_nhat),
    KEY giao_dich_thua_dat (thua_dat_id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- From advance step 2 on, the office records the personal income tax paid on a transfer:
--   ALTER TABLE giao_dich ADD COLUMN thue_tncn DECIMAL(20,0)  -- personal income tax paid, VND
