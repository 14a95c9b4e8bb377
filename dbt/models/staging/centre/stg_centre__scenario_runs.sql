with

source as (

    select * from {{ source('centre', 'scenario_runs') }}

),

renamed as (

    select

        scenario,
        scenario_hash,
        description as scenario_description,
        file as scenario_file,
        cast(horizon_year as integer) as horizon_year,
        run_id,
        run_at

    from source

)

select * from renamed
