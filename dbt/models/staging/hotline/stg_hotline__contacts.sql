-- Hotline 1022 contacts, renamed from silver. caller_key (the caller's phone pseudonym) is
-- deliberately not selected: the reports count contacts, never callers. The operator's free-text
-- summary stays here for analysts and is not carried into any mart.

with

source as (

    select * from {{ source('hotline', 'contacts') }}

),

renamed as (

    select

        ----------  ids
        cast(contact_id as bigint) as contact_id,
        contact_code,
        cast(repeat_of_contact_id as bigint) as repeat_of_contact_id,

        ----------  text
        channel,
        category,
        status,
        agency_code,
        summary,

        ----------  numerics
        cast(answer_seconds as bigint) as answer_seconds,
        cast(talk_seconds as integer) as talk_seconds,
        cast(satisfaction as integer) as satisfaction,

        ----------  location (2025 wards, plus what the source held)
        ward_code_2025,
        ward_name_2025,
        source_ward_code,

        ----------  timestamps (UTC instants)
        received_at,
        answered_at,
        forwarded_at,
        resolved_at,
        updated_at,

        ----------  lineage
        _batch_id as batch_id,
        _silver_built_at as silver_built_at

    from source

)

select * from renamed
