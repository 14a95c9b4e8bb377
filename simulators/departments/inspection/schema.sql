-- Thanh tra Thành phố: the register of inspection conclusions since 2016 (pre-2025 ward codes).
CREATE SCHEMA IF NOT EXISTS thanhtra;

-- Kết luận thanh tra (inspection conclusions)
CREATE TABLE IF NOT EXISTS thanhtra.ket_luan (
    id                          bigint PRIMARY KEY,
    so_ket_luan                 text,      -- conclusion number, e.g. 123/KL-TTTP; numbering restarts every year
    ngay_ket_luan               date,      -- date the conclusion was signed
    loai_thanh_tra              text,      -- inspection type: 'Theo kế hoạch' / 'Đột xuất' / 'Chuyên đề'
    linh_vuc                    text,      -- sector: 'Đất đai', 'Xây dựng', 'Tài chính ngân sách'…; sometimes missing
    doi_tuong_thanh_tra         text,      -- inspected agency, unit or enterprise (public-sector information)
    ma_co_quan_duoc_thanh_tra   text,      -- agency code of the inspected body when it is a city department or ward committee
    tom_tat_ket_luan            text,      -- findings summary, Vietnamese free text
    so_tien_vi_pham             bigint,    -- amount of the economic violations found (VND)
    so_tien_kien_nghi_thu_hoi   bigint,    -- amount recommended for recovery to the budget (VND)
    dien_tich_dat_kien_nghi_thu_hoi numeric(14, 1), -- land area recommended for recovery (m2)
    ma_phuong                   text,      -- ward of the inspected body, code before 1 July 2025
    ten_phuong                  text,
    ma_quan                     text,      -- district code (districts were abolished in 2025)
    ten_quan                    text,
    ngay_cap_nhat               timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX IF NOT EXISTS ket_luan_ngay_cap_nhat ON thanhtra.ket_luan (ngay_cap_nhat);

-- Kiến nghị (recommendations of a conclusion) and how far they have been carried out
CREATE TABLE IF NOT EXISTS thanhtra.kien_nghi (
    id                          bigint PRIMARY KEY,
    ket_luan_id                 bigint,    -- the conclusion (thanhtra.ket_luan.id)
    loai_kien_nghi              text,      -- 'Thu hồi tiền' / 'Thu hồi đất' / 'Xử lý kỷ luật' / 'Chuyển cơ quan điều tra' / 'Chấn chỉnh'
    noi_dung                    text,      -- what is recommended, Vietnamese free text
    so_tien                     bigint,    -- amount to recover (VND), for 'Thu hồi tiền'
    dien_tich_dat               numeric(14, 1), -- land area to recover (m2), for 'Thu hồi đất'
    han_thuc_hien               date,      -- deadline
    trang_thai                  text,      -- 'Chưa thực hiện' / 'Đang thực hiện' / 'Đã thực hiện' / 'Quá hạn'
    so_tien_da_thu_hoi          bigint,    -- amount recovered so far (VND), for 'Thu hồi tiền'
    ngay_cap_nhat               timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX IF NOT EXISTS kien_nghi_ngay_cap_nhat ON thanhtra.kien_nghi (ngay_cap_nhat);
CREATE INDEX IF NOT EXISTS kien_nghi_ket_luan_id ON thanhtra.kien_nghi (ket_luan_id);
