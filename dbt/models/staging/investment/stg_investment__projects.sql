with

source as (

    select * from {{ source('investment', 'investment_projects') }}

),

renamed as (

    select

        ----------  ids
        cast(project_id as bigint) as project_id,
        project_code,
        lead_agency_code,

        ----------  text
        project_name,
        sector,
        investment_form,
        stage,
        location,

        ----------  location (2025 wards, plus the code the source held)
        ward_code_2025,
        ward_name_2025,
        source_ward_code,
        latitude,
        longitude,

        ----------  numerics
        cast(total_investment_vnd as decimal(20, 0)) as total_investment_vnd,
        cast(area_m2 as double) as area_m2,
        cast(disbursement_rate as double) as disbursement_rate,
        cast(start_year as integer) as start_year,
        cast(end_year as integer) as end_year,

        ----------  timestamps
        updated_at,

        ----------  lineage
        _batch_id as batch_id,
        _silver_built_at as silver_built_at

    from source

)

select * from renamed
