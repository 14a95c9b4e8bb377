-- practitioner_key (the CCCD pseudonym) is deliberately not selected: nothing downstream may
-- carry it, and the marts built on this model are published as open data.

with

source as (

    select * from {{ source('health', 'practice_certificates') }}

),

renamed as (

    select

        ----------  ids
        cast(certificate_id as bigint) as certificate_id,
        certificate_no,
        cast(facility_id as bigint) as facility_id,

        ----------  text
        practitioner_name,
        profession,
        scope,
        issuer,
        status,
        revocation_reason,

        ----------  dates and timestamps
        issued_on,
        revoked_on,
        updated_at,

        ----------  lineage
        _batch_id as batch_id,
        _silver_built_at as silver_built_at

    from source

)

select * from renamed
