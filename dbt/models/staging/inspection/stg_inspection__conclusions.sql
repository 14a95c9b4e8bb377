with

source as (

    select * from {{ source('inspection', 'conclusions') }}

),

renamed as (

    select

        ----------  ids
        cast(conclusion_id as bigint) as conclusion_id,
        conclusion_number,
        conclusion_ref,
        inspected_agency_code,

        ----------  text
        inspection_type,
        sector,
        inspected_entity_name,
        findings_summary,

        ----------  amounts
        cast(violation_amount_vnd as decimal(20, 0)) as violation_amount_vnd,
        cast(recovery_amount_vnd as decimal(20, 0)) as recovery_amount_vnd,
        cast(land_recovery_area_m2 as decimal(14, 1)) as land_recovery_area_m2,

        ----------  location (2025 wards, plus what the source held)
        ward_code_2025,
        ward_name_2025,
        source_ward_code,

        ----------  dates and timestamps
        concluded_on,
        updated_at,

        ----------  lineage
        _batch_id as batch_id,
        _silver_built_at as silver_built_at

    from source

)

select * from renamed
