-- Leadership report: FDI projects by licence year (year of the first certificate) and investor
-- country, whatever their status today. Registered and disbursed capital are each project's
-- figures as they stand: the register keeps them after every capital adjustment (an adjustment
-- adds its change to the project's registered and disbursed capital), so adding
-- stg_fdi__capital_adjustments again would count them twice; they are not used here.
-- disbursed_usd sums the projects that report a disbursement; disbursement_rate is disbursed over
-- registered capital of those same projects (a project that reports nothing neither lowers nor
-- raises it; null when none of the group reports). A missing country is 'XX' (unknown).

with

projects as (

    select * from {{ ref('stg_fdi__projects') }}

),

by_project as (

    select
        cast(extract(year from licensed_on) as integer) as year,
        coalesce(investor_country_code, 'XX') as investor_country,
        investor_country_name,
        registered_capital_usd,
        disbursed_capital_usd

    from projects
    where licensed_on is not null

),

country_names as (

    -- the name the source uses most for the code; on a tie the longer (official, not colloquial) one
    select
        investor_country,
        arg_max(investor_country_name, projects * 1000 + length(investor_country_name)) as country_name

    from (
        select investor_country, investor_country_name, count(*) as projects
        from by_project
        where investor_country_name is not null
        group by all
    )
    group by investor_country

),

aggregated as (

    select
        year,
        investor_country,
        cast(count(*) as bigint) as projects,
        sum(registered_capital_usd) as registered_usd,
        sum(disbursed_capital_usd) as disbursed_usd,
        sum(registered_capital_usd) filter (where disbursed_capital_usd is not null) as reporting_registered_usd

    from by_project
    group by year, investor_country

),

final as (

    select
        cast(aggregated.year as varchar) || '|' || aggregated.investor_country as fdi_key,
        aggregated.year,
        aggregated.investor_country,
        coalesce(country_names.country_name,
                 case when aggregated.investor_country = 'XX' then 'Không xác định' end) as country_name,
        aggregated.projects,
        cast(aggregated.registered_usd as double) as registered_usd,
        cast(coalesce(aggregated.disbursed_usd, 0) as double) as disbursed_usd,
        case
            when aggregated.reporting_registered_usd > 0
                then cast(aggregated.disbursed_usd as double) / cast(aggregated.reporting_registered_usd as double)
        end as disbursement_rate

    from aggregated
    left join country_names
        on aggregated.investor_country = country_names.investor_country

)

select * from final
