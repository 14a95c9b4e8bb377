with

source as (

    select * from {{ source('schools', 'schools') }}

),

renamed as (

    select

        ----------  ids
        cast(school_id as bigint) as school_id,
        school_code,

        ----------  text
        school_name,
        level,
        ownership,
        managing_body,
        address,
        status,

        ----------  location (2025 administrative units, plus what the source held)
        ward_code_2025,
        ward_name_2025,
        source_ward_code,
        latitude,
        longitude,

        ----------  numerics
        cast(founded_year as integer) as founded_year,

        ----------  dates and timestamps
        updated_at,

        ----------  lineage
        _batch_id as batch_id,
        _silver_built_at as silver_built_at

    from source

)

select * from renamed
