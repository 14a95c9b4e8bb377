-- Each hotline contact with the service target of its category and channel that was in force when it
-- was received (the target with the latest effective_on on or before the local receipt date), and
-- whether it was answered and resolved within that target.
--
-- The source revises a target in place (same row, new effective_on: e.g. the tightened urban-order
-- resolution target). With the source table keyed [id] silver keeps the current version only, and the
-- earlier value is gone; keyed [id, ap_dung_tu] it keeps every version and the match is exact. A
-- contact received before the earliest effective_on known for its category and channel is judged
-- against that earliest known target (target_is_retroactive = true) rather than left unjudged.

with

contacts as (

    select * from {{ ref('stg_hotline__contacts') }}

),

targets as (

    select * from {{ ref('stg_hotline__service_targets') }}

),

earliest_targets as (

    select
        category,
        channel,
        arg_min(answer_target_seconds, effective_on) as answer_target_seconds,
        arg_min(resolve_target_hours, effective_on) as resolve_target_hours

    from targets
    group by category, channel

),

as_of as (

    -- the latest instant the contact system knows of
    select greatest(max(received_at), max(answered_at), max(resolved_at)) as as_of_at
    from contacts

),

localised as (

    select
        contacts.*,
        cast(timezone('Asia/Ho_Chi_Minh', contacts.received_at) as date) as received_on

    from contacts

),

matched as (

    select
        localised.contact_id,
        localised.channel,
        localised.category,
        localised.status,
        localised.agency_code,
        localised.ward_code_2025,
        localised.ward_name_2025,
        localised.received_at,
        localised.received_on,
        cast(date_trunc('month', localised.received_on) as date) as received_month,
        localised.answered_at,
        localised.answer_seconds,
        localised.resolved_at,
        localised.satisfaction,
        in_force.effective_on as target_effective_on,
        in_force.target_id is null as target_is_retroactive,
        coalesce(in_force.answer_target_seconds, earliest_targets.answer_target_seconds) as answer_target_seconds,
        coalesce(in_force.resolve_target_hours, earliest_targets.resolve_target_hours) as resolve_target_hours

    from localised
    asof left join targets as in_force
        on localised.category = in_force.category
       and localised.channel = in_force.channel
       and localised.received_on >= in_force.effective_on
    left join earliest_targets
        on localised.category = earliest_targets.category
       and localised.channel = earliest_targets.channel

),

final as (

    select
        matched.*,
        matched.received_at + to_hours(matched.resolve_target_hours) as resolve_due_at,
        coalesce(matched.answer_seconds <= matched.answer_target_seconds, false) as is_answered_within_target,
        coalesce(matched.resolved_at <= matched.received_at + to_hours(matched.resolve_target_hours), false)
            as is_resolved_within_target,
        -- resolved, or its resolution target has run out by the as-of instant: the outcome is known
        coalesce(matched.resolved_at is not null
                 or matched.received_at + to_hours(matched.resolve_target_hours) <= as_of.as_of_at, false)
            as is_resolution_due

    from matched
    cross join as_of

)

select * from final
