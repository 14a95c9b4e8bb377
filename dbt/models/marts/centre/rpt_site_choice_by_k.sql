-- One row per K: the coverage of the chosen sites, the certified upper bound and the gap, beside the
-- naive "top-K demand points" choice.

with

summary as (

    select * from {{ ref('stg_centre__site_choice_summary') }}

),

final as (

    select

        k,
        sites_chosen,
        fixed_sites,
        budget,
        radius_m,
        method,
        bound_source,
        coverage_pct,
        upper_bound_pct,
        gap_pct,
        naive_top_demand_pct,
        coverage_pct - naive_top_demand_pct as gain_over_naive_pct,
        run_at as chosen_at

    from summary

)

select * from final
