with

source as (

    select * from {{ source('centre', 'site_choice_summary') }}

),

renamed as (

    select

        ----------  ids
        cast(k as integer) as k,

        ----------  answer
        budget,
        cast(sites_chosen as integer) as sites_chosen,
        cast(fixed_sites as integer) as fixed_sites,
        radius_m,
        method,
        bound_source,
        coverage_pct,
        upper_bound_pct,
        gap_pct,
        naive_top_demand_pct,
        total_demand,

        ----------  run
        run_id,
        run_at

    from source

)

select * from renamed
