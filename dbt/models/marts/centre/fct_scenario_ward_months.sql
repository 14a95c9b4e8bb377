-- One row per scenario, ward and month to the horizon, with the run that produced it and the hash of
-- the assumptions it ran on (the same assumptions give the same hash).

with

results as (

    select * from {{ ref('stg_centre__scenario_ward_results') }}

),

runs as (

    select * from {{ ref('stg_centre__scenario_runs') }}

),

final as (

    select

        results.scenario || '|' || results.ward_code_2025 || '|' || strftime(results.month, '%Y-%m')
            as scenario_ward_month_key,
        results.scenario,
        runs.scenario_description,
        results.ward_code_2025,
        results.month,
        results.residents,
        results.jobs,
        results.enterprises,
        results.fdi_capital_usd,
        results.business_formation_per_year,
        results.fdi_disbursement_usd_per_year,
        results.daily_trips,
        results.motorbike_trips,
        results.metro_trips,
        results.scenario_hash,
        runs.scenario_file,
        runs.horizon_year,
        results.run_at as simulated_at

    from results
    left join runs
        on results.run_id = runs.run_id
        and results.scenario = runs.scenario

)

select * from final
