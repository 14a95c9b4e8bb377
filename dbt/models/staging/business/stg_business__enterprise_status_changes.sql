with

source as (

    select * from {{ source('business', 'enterprise_status_changes') }}

),

renamed as (

    select

        ----------  ids
        cast(status_change_id as bigint) as status_change_id,
        cast(enterprise_id as bigint) as enterprise_id,

        ----------  text
        from_status,
        to_status,
        reason,

        ----------  dates and timestamps
        effective_on,
        updated_at,

        ----------  lineage
        _batch_id as batch_id,
        _silver_built_at as silver_built_at

    from source

)

select * from renamed
