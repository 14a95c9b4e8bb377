with

source as (

    select * from {{ source('reference', 'ward_mapping_2025') }}

),

renamed as (

    select

        ----------  ids
        old_ward_code,
        old_district_code,
        province_code,
        ward_code_2025,

        ----------  text
        old_ward_name,
        old_district_name,
        ward_name_2025,

        ----------  booleans
        is_divided,

        ----------  location
        latitude_2025,
        longitude_2025

    from source

)

select * from renamed
