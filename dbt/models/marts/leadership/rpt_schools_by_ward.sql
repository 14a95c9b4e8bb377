-- Leadership report: schools, pupils and teachers per school year, 2025 ward and level, from the
-- schools' yearly statistics. A school counts in every year it reported, in the ward and level the
-- register holds for it today. Statistics of schools silver does not hold are left out (flagged in
-- int_school_year_statistics_joined_to_schools).

with

statistics as (

    select * from {{ ref('int_school_year_statistics_joined_to_schools') }}
    where has_known_school

),

wards as (

    select * from {{ ref('dim_admin_units') }}

),

per_cell as (

    select
        school_year,
        ward_code_2025,
        level,
        min(ward_name_2025) as ward_name_2025,
        count(distinct school_id) as schools,
        sum(pupils) as pupils,
        coalesce(sum(teachers), 0) as teachers

    from statistics
    group by school_year, ward_code_2025, level

),

final as (

    select
        per_cell.school_year || '|' || per_cell.ward_code_2025 || '|' || per_cell.level as school_ward_key,
        per_cell.school_year,
        per_cell.ward_code_2025,
        coalesce(wards.ward_name_2025, per_cell.ward_name_2025) as ward_name_2025,
        per_cell.level,
        -- DuckDB sums to HUGEINT: bigint is what the consumers (pandas, CKAN) understand
        cast(per_cell.schools as bigint) as schools,
        cast(per_cell.pupils as bigint) as pupils,
        cast(per_cell.teachers as bigint) as teachers,
        case
            when per_cell.teachers > 0
                then round(cast(per_cell.pupils as double) / cast(per_cell.teachers as double), 2)
        end as pupils_per_teacher

    from per_cell
    left join wards
        on per_cell.ward_code_2025 = wards.ward_code_2025

)

select * from final
