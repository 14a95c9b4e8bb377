-- holder_key (the holder's CCCD pseudonym) is deliberately not selected: nothing downstream may
-- carry it.

with

source as (

    select * from {{ source('land', 'certificates') }}

),

renamed as (

    select

        ----------  ids
        cast(certificate_id as bigint) as certificate_id,
        serial_no,
        register_entry_no,
        cast(parcel_id as bigint) as parcel_id,

        ----------  text
        issuing_authority,
        status,

        ----------  dates and timestamps
        issued_on,
        updated_at,

        ----------  lineage
        _batch_id as batch_id,
        _silver_built_at as silver_built_at

    from source

)

select * from renamed
