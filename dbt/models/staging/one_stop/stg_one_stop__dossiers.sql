-- One-stop dossiers, renamed from silver. applicant_key (the applicant's CCCD pseudonym) is
-- deliberately not selected: the reports count dossiers, never applicants.

with

source as (

    select * from {{ source('one_stop', 'dossiers') }}

),

renamed as (

    select

        ----------  ids
        cast(dossier_id as bigint) as dossier_id,
        dossier_code,
        cast(procedure_id as bigint) as procedure_id,

        ----------  text
        channel,
        status,
        agency_code,

        ----------  numerics
        cast(satisfaction as integer) as satisfaction,

        ----------  location (2025 wards, plus what the source held)
        ward_code_2025,
        ward_name_2025,
        source_ward_code,

        ----------  timestamps (UTC instants)
        received_at,
        due_at,
        completed_at,
        updated_at,

        ----------  lineage
        _batch_id as batch_id,
        _silver_built_at as silver_built_at

    from source

)

select * from renamed
