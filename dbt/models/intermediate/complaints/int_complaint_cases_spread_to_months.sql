-- Each complaint case once per month it was on the books: from the month it was received to the
-- month it was closed (resolved, withdrawn or transferred: resolved_on), or to the data's as-of
-- month while still open. Month end is the last day of the month, or the as-of date (the latest
-- date the register knows of) for the current month, so a backlog is never counted "at" a future day.
-- Carries nothing about the complainant.

with

cases as (

    select * from {{ ref('stg_complaints__complaints') }}

),

as_of as (

    select greatest(max(received_on), coalesce(max(resolved_on), max(received_on))) as as_of_date
    from cases

),

months as (

    select distinct
        calendar.month_start,
        least(last_day(calendar.month_start), as_of.as_of_date) as month_end

    from {{ ref('dim_calendar') }} as calendar
    cross join as_of
    where calendar.month_start between (select date_trunc('month', min(received_on)) from cases)
                                   and as_of.as_of_date

),

spread as (

    select
        cases.case_id,
        months.month_start as month,
        months.month_end,
        coalesce(cases.agency_code, 'unknown') as agency_code,
        cases.classification,
        cases.ward_code_2025,
        cases.received_on,
        cases.due_on,
        cases.resolved_on

    from cases
    inner join months
        on months.month_start >= date_trunc('month', cases.received_on)
       and months.month_start <= date_trunc('month', coalesce(cases.resolved_on, months.month_end))

),

flagged as (

    select
        case_id,
        month,
        month_end,
        agency_code,
        classification,
        ward_code_2025,
        date_trunc('month', received_on) = month as is_received_in_month,
        resolved_on is not null and date_trunc('month', resolved_on) = month as is_resolved_in_month,
        resolved_on is null or resolved_on > month_end as is_open_at_month_end,
        -- a case without a deadline (the source misses a few) is never counted overdue
        (resolved_on is null or resolved_on > month_end) and coalesce(due_on < month_end, false)
            as is_overdue_at_month_end,
        case
            when resolved_on is not null and date_trunc('month', resolved_on) = month
                then date_diff('day', received_on, resolved_on)
        end as resolution_days

    from spread

)

select * from flagged
