with

source as (

    select * from {{ source('reference', 'admin_units_2025') }}

),

renamed as (

    select
        ward_code_2025,
        ward_name_2025,
        ward_type,
        province_code,
        province_name,
        latitude,
        longitude,
        area_km2

    from source

)

select * from renamed
