-- Ban Tiếp công dân TP.HCM: the complaints and denunciations register, as it stands (pre-2025 ward codes).
-- Denunciations (tố cáo) are protected by law: the whistleblower's identity must never leave this system.
CREATE SCHEMA IF NOT EXISTS khieunai;

-- Đơn thư khiếu nại, tố cáo, kiến nghị, phản ánh (one row per letter/case as an agency keyed it in)
CREATE TABLE IF NOT EXISTS khieunai.don_thu (
    id                  bigint PRIMARY KEY,
    ma_don              text,              -- case code, e.g. TC-2024-000123; the same case may be keyed in by two agencies
    phan_loai           text,              -- classification: 'Khiếu nại' / 'Tố cáo' / 'Kiến nghị' / 'Phản ánh'
    linh_vuc            text,              -- field: 'Đất đai', 'Nhà ở', 'Chính sách xã hội', 'Tư pháp', 'Tham nhũng'…
    ten_nguoi_dung_don  text,              -- complainant's full name: personal data (whistleblower identity for tố cáo)
    so_cccd             text,              -- complainant's citizen ID (CCCD): personal data
    dien_thoai          text,              -- complainant's phone, free text: personal data
    dia_chi             text,              -- complainant's home address: personal data
    so_nguoi            integer,           -- number of signatories; 5 or more is a group letter (đơn đông người)
    vu_viec_phuc_tap    boolean,           -- complex case: the statutory deadline is extended
    ma_co_quan_xu_ly    text,              -- handling agency code (a department or UBND-<2025 ward code>)
    ngay_nhan           date,              -- date received
    han_giai_quyet      date,              -- statutory deadline (Luật Khiếu nại / Luật Tố cáo); sometimes missing
    ngay_giai_quyet     date,              -- date resolved, withdrawn or transferred; NULL while open
    ket_qua             text,              -- outcome: 'Đúng' / 'Sai' / 'Đúng một phần' / 'Rút đơn' / 'Chuyển cơ quan khác'
    trang_thai          text,              -- status: 'Đang thụ lý' / 'Đã giải quyết' / 'Quá hạn' / 'Đã rút' / 'Chuyển đơn'
    ma_phuong           text,              -- ward where the matter arose, code before 1 July 2025
    ten_phuong          text,
    ma_quan             text,              -- district code (districts were abolished in 2025)
    ten_quan            text,
    ngay_cap_nhat       timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX IF NOT EXISTS don_thu_ngay_cap_nhat ON khieunai.don_thu (ngay_cap_nhat);
CREATE INDEX IF NOT EXISTS don_thu_ma_don ON khieunai.don_thu (ma_don);

-- Quá trình xử lý đơn (handling steps of a case)
CREATE TABLE IF NOT EXISTS khieunai.qua_trinh_xu_ly (
    id                  bigint PRIMARY KEY,
    don_thu_id          bigint,            -- the case (khieunai.don_thu.id); moved to the surviving case on a merge
    buoc                text,              -- step: 'Tiếp nhận đơn', 'Thụ lý', 'Xác minh', 'Chuyển đơn'…
    thoi_diem           timestamptz,       -- when the step happened
    co_quan             text,              -- agency code that performed the step
    ngay_cap_nhat       timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX IF NOT EXISTS qua_trinh_ngay_cap_nhat ON khieunai.qua_trinh_xu_ly (ngay_cap_nhat);
CREATE INDEX IF NOT EXISTS qua_trinh_don_thu_id ON khieunai.qua_trinh_xu_ly (don_thu_id);
