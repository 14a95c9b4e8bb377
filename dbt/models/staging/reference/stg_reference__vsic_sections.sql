with

source as (

    select * from {{ source('reference', 'vsic_sections') }}

),

renamed as (

    select
        code as section_code,
        name_vi as section_name,
        name_en as section_name_en

    from source

)

select * from renamed
