-- The conformed ward dimension: every 2025 ward of the city, with how many pre-2025 wards went
-- into it (sources still speak the old codes; silver maps them through stg_reference__ward_mapping_2025).
with

wards as (

    select * from {{ ref('stg_reference__admin_units_2025') }}

),

merged as (

    select
        ward_code_2025,
        count(*) as old_wards_merged,
        bool_or(is_divided) as receives_divided_ward,
        string_agg(old_ward_name || ' (' || old_district_name || ')', '; ' order by old_ward_code)
            as old_wards

    from {{ ref('stg_reference__ward_mapping_2025') }}
    group by 1

)

select
    wards.ward_code_2025,
    wards.ward_name_2025,
    wards.ward_type,
    wards.province_code,
    wards.province_name,
    wards.latitude,
    wards.longitude,
    wards.area_km2,
    coalesce(merged.old_wards_merged, 0) as old_wards_merged,
    coalesce(merged.receives_divided_ward, false) as receives_divided_ward,
    merged.old_wards

from wards
left join merged using (ward_code_2025)
