-- Conformed agencies: city departments and the 2025 wards' People's Committees.
select
    agencies.agency_code,
    agencies.agency_name,
    agencies.agency_name_en,
    agencies.agency_level,
    agencies.ward_code_2025,
    wards.ward_name_2025

from {{ ref('stg_reference__agencies') }} as agencies
left join {{ ref('stg_reference__admin_units_2025') }} as wards using (ward_code_2025)
