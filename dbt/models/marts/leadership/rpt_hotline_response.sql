-- Leadership report: hotline 1022 responsiveness per month received (local time), category and
-- channel, each contact judged against the service target of its category and channel in force when
-- it was received (int_contacts_matched_to_targets). Aggregates only: nothing about a caller.

with

contacts as (

    select * from {{ ref('int_contacts_matched_to_targets') }}

),

response as (

    select
        received_month as month,
        category,
        channel,
        count(*) as contacts,
        count(*) filter (where is_answered_within_target) as answered_within_target,
        count(*) filter (where is_resolved_within_target) as resolved_within_target,
        count(*) filter (where is_resolution_due) as contacts_resolution_due,
        quantile_cont(answer_seconds, 0.9) as p90_answer_seconds,
        avg(satisfaction) as avg_satisfaction

    from contacts
    group by received_month, category, channel

),

final as (

    select
        strftime(month, '%Y-%m') || '|' || category || '|' || channel as hotline_key,
        month,
        category,
        channel,
        contacts,
        answered_within_target,
        cast(answered_within_target as double) / contacts as answer_target_rate,
        resolved_within_target,
        -- over the contacts whose outcome is known (resolved, or past their resolution target), so
        -- the current month is not penalised for contacts still within their target
        case
            when contacts_resolution_due > 0
                then cast(resolved_within_target as double) / contacts_resolution_due
        end as resolve_target_rate,
        round(p90_answer_seconds, 1) as p90_answer_seconds,
        round(avg_satisfaction, 2) as avg_satisfaction

    from response

)

select * from final
