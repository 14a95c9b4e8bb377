-- One row per conclusion with its money to recover, what has been recovered of it so far, and how
-- many of its recommendations are still open (anything not 'completed').
--
-- Money to recover: the recover_money recommendations, where the amount and what was recovered of it
-- are tracked side by side, so the recovery rate compares like with like. A conclusion that recommends
-- a recovery but has no recover_money recommendation in silver (e.g. it was quarantined for more
-- recovered than due) falls back to the conclusion's own recovery_amount_vnd, with nothing counted as
-- recovered against it: the obligation stays visible, the rate errs low rather than high.

with

conclusions as (

    select * from {{ ref('stg_inspection__conclusions') }}

),

recommendations as (

    select * from {{ ref('stg_inspection__recommendations') }}

),

per_conclusion as (

    select
        conclusion_id,
        count(*) filter (where recommendation_type = 'recover_money') as money_recommendations,
        -- recovered never exceeds the amount (a silver check); an amount missing counts as what was recovered
        sum(coalesce(amount_vnd, recovered_amount_vnd, 0))
            filter (where recommendation_type = 'recover_money') as recommended_to_recover_vnd,
        sum(coalesce(recovered_amount_vnd, 0))
            filter (where recommendation_type = 'recover_money') as recovered_vnd,
        count(*) as recommendations,
        count(*) filter (where status <> 'completed') as recommendations_open

    from recommendations
    group by conclusion_id

),

rolled_up as (

    select
        conclusions.conclusion_id,
        conclusions.concluded_on,
        year(conclusions.concluded_on) as concluded_year,
        conclusions.sector,
        conclusions.ward_code_2025,
        cast(
            case
                when coalesce(per_conclusion.money_recommendations, 0) > 0
                    then per_conclusion.recommended_to_recover_vnd
                else coalesce(conclusions.recovery_amount_vnd, 0)
            end as decimal(20, 0)
        ) as amount_to_recover_vnd,
        cast(coalesce(per_conclusion.recovered_vnd, 0) as decimal(20, 0)) as amount_recovered_vnd,
        coalesce(per_conclusion.recommendations, 0) as recommendations,
        coalesce(per_conclusion.recommendations_open, 0) as recommendations_open

    from conclusions
    left join per_conclusion
        on conclusions.conclusion_id = per_conclusion.conclusion_id

)

select * from rolled_up
