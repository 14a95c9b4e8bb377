-- One row per school and school year with the school's level and 2025 ward (as the register holds
-- them today). has_known_school is false where silver holds no such school (held back in
-- quarantine: ward not found, code keyed twice): those rows keep their figures here, with no level
-- or ward, and the marts leave them out.

with

statistics as (

    select * from {{ ref('stg_schools__school_year_statistics') }}

),

schools as (

    select * from {{ ref('stg_schools__schools') }}

),

joined as (

    select
        statistics.school_year_statistic_id,
        statistics.school_id,
        statistics.school_year,
        statistics.school_year_start,
        statistics.pupils,
        statistics.girls,
        statistics.classes,
        statistics.teachers,
        statistics.staff,
        statistics.pupils_with_disabilities,
        schools.school_id is not null as has_known_school,
        schools.level,
        schools.ownership,
        schools.status as school_status,
        schools.ward_code_2025,
        schools.ward_name_2025

    from statistics
    left join schools
        on statistics.school_id = schools.school_id

)

select * from joined
