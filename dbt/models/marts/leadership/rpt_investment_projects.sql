-- Leadership report: the city's investment list by stage, sector and 2025 ward. Projects without
-- a ward keep ward_code_2025 null (the key says 'unknown') so totals still add up. area_ha sums
-- the projects whose area is known (silver drops negative areas and areas typed in m²); null when
-- no project of the group has one.

with

projects as (

    select * from {{ ref('stg_investment__projects') }}

),

wards as (

    select ward_code_2025, ward_name_2025 from {{ ref('dim_admin_units') }}

),

aggregated as (

    select
        stage,
        sector,
        ward_code_2025,
        cast(count(*) as bigint) as projects,
        -- DuckDB sums to DECIMAL(38); bigint is what the consumers (pandas, CKAN) understand
        cast(sum(total_investment_vnd) as bigint) as total_investment_vnd,
        sum(area_m2) / 10000.0 as area_ha

    from projects
    group by all

),

final as (

    select
        aggregated.stage || '|' || aggregated.sector || '|' || coalesce(aggregated.ward_code_2025, 'unknown')
            as investment_key,
        aggregated.stage,
        aggregated.sector,
        aggregated.ward_code_2025,
        wards.ward_name_2025,
        aggregated.projects,
        aggregated.total_investment_vnd,
        round(aggregated.area_ha, 4) as area_ha

    from aggregated
    left join wards
        on aggregated.ward_code_2025 = wards.ward_code_2025

)

select * from final
