with

source as (

    select * from {{ source('reference', 'vsic_divisions') }}

),

renamed as (

    select
        code as division_code,
        name_vi as division_name,
        name_en as division_name_en,
        section as section_code

    from source

)

select * from renamed
