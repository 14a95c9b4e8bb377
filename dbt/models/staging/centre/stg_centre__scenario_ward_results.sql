with

source as (

    select * from {{ source('centre', 'scenario_ward_results') }}

),

renamed as (

    select

        ----------  ids
        scenario,
        ward_code_2025,
        cast(month as date) as month,

        ----------  stocks and flows
        population as residents,
        jobs,
        businesses as enterprises,
        fdi_capital_usd,
        business_formation_per_year,
        fdi_disbursement_usd_per_year,
        daily_trips,
        motorbike_trips,
        metro_trips,

        ----------  run
        scenario_hash,
        run_id,
        run_at

    from source

)

select * from renamed
