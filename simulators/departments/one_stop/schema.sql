-- Trung tâm Phục vụ hành chính công TP.HCM: the one-stop dossier system (hệ thống một cửa điện tử),
-- as it stands (pre-2025 ward codes on the dossiers, 2025 ward committees as handling agencies).
CREATE SCHEMA IF NOT EXISTS motcua;

-- Danh mục thủ tục hành chính (procedure catalogue)
CREATE TABLE IF NOT EXISTS motcua.thu_tuc (
    id                   bigint PRIMARY KEY,
    ma_thu_tuc           text,          -- national procedure code, e.g. 1.001234
    ten_thu_tuc          text,          -- procedure name
    linh_vuc             text,          -- field (Hộ tịch, Đất đai, Xây dựng...)
    cap_thuc_hien        text,          -- level: 'Cấp tỉnh' (city departments) / 'Cấp xã' (ward committees)
    ma_co_quan           text,          -- department responsible; for 'Cấp xã' the one governing the field
    so_ngay_giai_quyet   integer,       -- statutory processing time, in WORKING days
    le_phi               bigint,        -- fee in VND (0 = free)
    muc_do_dvc           text,          -- online service level: 'Toàn trình' / 'Một phần' / NULL (counter only)
    con_hieu_luc         boolean,       -- still in force
    ngay_cap_nhat        timestamptz NOT NULL  -- last change (watermark)
);
CREATE INDEX IF NOT EXISTS thu_tuc_ngay_cap_nhat ON motcua.thu_tuc (ngay_cap_nhat);

-- Hồ sơ thủ tục hành chính (dossiers)
CREATE TABLE IF NOT EXISTS motcua.ho_so (
    id                   bigint PRIMARY KEY,
    ma_ho_so             text,          -- dossier code; the same dossier is sometimes keyed in twice
    thu_tuc_id           bigint,        -- procedure (motcua.thu_tuc.id); a few point at retired/unknown ids
    kenh_nop             text,          -- channel: 'Trực tiếp' / 'Trực tuyến' / 'Bưu chính'
    ten_nguoi_nop        text,          -- applicant's full name: personal data, NFC or NFD
    so_cccd              text,          -- applicant's citizen ID (CCCD; some old 9-digit CMND): personal data
    dien_thoai           text,          -- applicant's phone, free text: personal data
    ngay_tiep_nhan       timestamptz,   -- received at
    ngay_hen_tra         timestamptz,   -- due: received + the procedure's working days (weekends skipped)
    ngay_tra_ket_qua     timestamptz,   -- result returned / dossier closed at; NULL while open
    trang_thai           text,          -- 'Mới tiếp nhận' / 'Đang xử lý' / 'Chờ bổ sung' / 'Đã trả kết quả' / 'Trả lại' / 'Đã hủy'
    ma_co_quan           text,          -- handling agency: department code or UBND-<2025 ward code>
    ma_phuong            text,          -- applicant's / filing ward code before 1 July 2025
    ten_phuong           text,
    ma_quan              text,          -- district code (districts were abolished in 2025)
    ten_quan             text,
    ngay_cap_nhat        timestamptz NOT NULL  -- last change (watermark)
);
CREATE INDEX IF NOT EXISTS ho_so_ngay_cap_nhat ON motcua.ho_so (ngay_cap_nhat);

-- Lịch sử xử lý hồ sơ (status history; append-only)
CREATE TABLE IF NOT EXISTS motcua.ho_so_lich_su (
    id                   bigint PRIMARY KEY,
    ho_so_id             bigint,        -- dossier (motcua.ho_so.id); kept when the dossier is deleted
    trang_thai           text,          -- status entered at this point
    thoi_diem            timestamptz,   -- when
    can_bo_xu_ly         text,          -- officer who acted (a civil servant), or 'Hệ thống' for automatic steps
    ghi_chu              text,          -- note (what to supplement, why returned...)
    ngay_cap_nhat        timestamptz NOT NULL  -- commit time (watermark)
);
CREATE INDEX IF NOT EXISTS ho_so_lich_su_ngay_cap_nhat ON motcua.ho_so_lich_su (ngay_cap_nhat);
