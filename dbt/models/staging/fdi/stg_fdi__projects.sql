with

source as (

    select * from {{ source('fdi', 'fdi_projects') }}

),

renamed as (

    select

        ----------  ids
        cast(project_id as bigint) as project_id,
        licence_number,
        investor_country_code,
        vsic_code,

        ----------  text
        project_name,
        investor_name,
        investor_country_name,
        investment_form,
        status,
        industrial_zone,
        site_address,

        ----------  location (2025 wards, plus the code the source held)
        ward_code_2025,
        ward_name_2025,
        source_ward_code,

        ----------  numerics
        cast(registered_capital_usd as decimal(18, 2)) as registered_capital_usd,
        cast(disbursed_capital_usd as decimal(18, 2)) as disbursed_capital_usd,
        cast(employees as integer) as employees,

        ----------  dates and timestamps
        licensed_on,
        updated_at,

        ----------  lineage
        _batch_id as batch_id,
        _silver_built_at as silver_built_at

    from source

)

select * from renamed
