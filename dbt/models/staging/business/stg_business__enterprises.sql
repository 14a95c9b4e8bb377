-- representative_key (the legal representative's CCCD pseudonym) is deliberately not selected:
-- nothing downstream may carry it.

with

source as (

    select * from {{ source('business', 'enterprises') }}

),

renamed as (

    select

        ----------  ids
        cast(enterprise_id as bigint) as enterprise_id,
        enterprise_code,
        vsic_code,

        ----------  text
        enterprise_name,
        legal_form,
        status,
        head_office_address,
        mail_domain,

        ----------  location (2025 wards, plus the code the source held)
        ward_code_2025,
        ward_name_2025,
        source_ward_code,

        ----------  numerics
        cast(charter_capital_vnd as decimal(20, 0)) as charter_capital_vnd,

        ----------  dates and timestamps
        established_on,
        updated_at,

        ----------  lineage
        _batch_id as batch_id,
        _silver_built_at as silver_built_at

    from source

)

select * from renamed
