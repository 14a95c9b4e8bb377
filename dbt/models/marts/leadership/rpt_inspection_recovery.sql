-- Leadership report: money the City Inspectorate's conclusions recommend recovering, and how much of
-- it has come back, per year the conclusion was signed and sector. Amounts to recover come from the
-- recover_money recommendations, with the conclusion's own figure where those are missing (see
-- int_recommendations_rolled_up_to_conclusions); recovered is what the follow-up has recorded to date.

with

conclusions as (

    select * from {{ ref('int_recommendations_rolled_up_to_conclusions') }}

),

recovery as (

    select
        concluded_year as year,
        coalesce(sector, 'unspecified') as sector,
        count(*) as conclusions,
        -- whole VND as BIGINT: what the consumers (pandas, CKAN) understand
        cast(sum(amount_to_recover_vnd) as bigint) as amount_to_recover_vnd,
        cast(sum(amount_recovered_vnd) as bigint) as amount_recovered_vnd,
        cast(sum(recommendations_open) as bigint) as recommendations_open

    from conclusions
    group by concluded_year, coalesce(sector, 'unspecified')

),

final as (

    select
        cast(year as varchar) || '|' || sector as inspection_key,
        cast(year as integer) as year,
        sector,
        conclusions,
        amount_to_recover_vnd,
        amount_recovered_vnd,
        case
            when amount_to_recover_vnd > 0
                then cast(amount_recovered_vnd as double) / cast(amount_to_recover_vnd as double)
        end as recovery_rate,
        recommendations_open

    from recovery

)

select * from final
