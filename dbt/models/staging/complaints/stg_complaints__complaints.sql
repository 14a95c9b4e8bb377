-- Complaint cases, renamed from silver. complainant_key (the CCCD pseudonym, NULL for denunciations)
-- is deliberately not selected: nothing downstream needs a person, and a whistleblower must never be
-- linkable to anything, so the warehouse carries no complainant at all.

with

source as (

    select * from {{ source('complaints', 'complaints') }}

),

renamed as (

    select

        ----------  ids
        cast(case_id as bigint) as case_id,
        case_code,

        ----------  text
        classification,
        field,
        agency_code,
        outcome,
        status,

        ----------  numerics and flags
        cast(complainant_count as integer) as complainant_count,
        is_complex,

        ----------  location (2025 wards, plus what the source held)
        ward_code_2025,
        ward_name_2025,
        source_ward_code,

        ----------  dates and timestamps
        received_on,
        due_on,
        resolved_on,
        updated_at,

        ----------  lineage
        _batch_id as batch_id,
        _silver_built_at as silver_built_at

    from source

)

select * from renamed
