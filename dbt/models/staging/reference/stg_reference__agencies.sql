with

source as (

    select * from {{ source('reference', 'agencies') }}

),

renamed as (

    select
        agency_code,
        agency_name,
        agency_name_en,
        level as agency_level,
        ward_code_2025

    from source

)

select * from renamed
