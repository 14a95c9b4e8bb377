-- Conformed calendar: one row per date, with the administration's working days (weekends,
-- public holidays and Tết off). Deadlines in working days are differences of working_day_seq.
select
    date_day,
    year_number,
    month_of_year,
    cast(date_trunc('month', date_day) as date) as month_start,
    day_of_week,
    is_weekend,
    is_holiday,
    holiday_name,
    holiday_name_en,
    is_working_day,
    is_tet,
    working_day_seq

from {{ ref('stg_reference__calendar') }}
