with

source as (

    select * from {{ source('complaints', 'handling_steps') }}

),

renamed as (

    select

        ----------  ids
        cast(step_id as bigint) as step_id,
        cast(case_id as bigint) as case_id,

        ----------  text
        step,
        agency_code,

        ----------  timestamps
        step_at,
        updated_at,

        ----------  lineage
        _batch_id as batch_id,
        _silver_built_at as silver_built_at

    from source

)

select * from renamed
