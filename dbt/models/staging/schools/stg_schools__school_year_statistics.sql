with

source as (

    select * from {{ source('schools', 'school_year_statistics') }}

),

renamed as (

    select

        ----------  ids
        cast(school_id as bigint) as school_id,
        school_year,
        cast(school_id as varchar) || '|' || school_year as school_year_statistic_id,

        ----------  numerics
        cast(school_year_start as integer) as school_year_start,
        cast(pupils as integer) as pupils,
        cast(girls as integer) as girls,
        cast(classes as integer) as classes,
        cast(teachers as integer) as teachers,
        cast(staff as integer) as staff,
        cast(pupils_with_disabilities as integer) as pupils_with_disabilities,

        ----------  dates and timestamps
        updated_at,

        ----------  lineage
        _batch_id as batch_id,
        _silver_built_at as silver_built_at

    from source

)

select * from renamed
