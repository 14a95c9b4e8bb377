with

source as (

    select * from {{ source('hotline', 'service_targets') }}

),

renamed as (

    select

        ----------  ids
        cast(target_id as bigint) as target_id,

        ----------  text
        category,
        channel,

        ----------  numerics
        cast(answer_target_seconds as integer) as answer_target_seconds,
        cast(resolve_target_hours as integer) as resolve_target_hours,

        ----------  dates and timestamps
        effective_on,
        updated_at,

        ----------  lineage
        _batch_id as batch_id,
        _silver_built_at as silver_built_at

    from source

)

select * from renamed
