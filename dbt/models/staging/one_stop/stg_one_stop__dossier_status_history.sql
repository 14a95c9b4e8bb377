with

source as (

    select * from {{ source('one_stop', 'dossier_status_history') }}

),

renamed as (

    select

        ----------  ids
        cast(event_id as bigint) as event_id,
        cast(dossier_id as bigint) as dossier_id,

        ----------  text
        status,
        officer_name,
        note,

        ----------  timestamps
        event_at,
        updated_at,

        ----------  lineage
        _batch_id as batch_id,
        _silver_built_at as silver_built_at

    from source

)

select * from renamed
