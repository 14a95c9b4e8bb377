-- Leadership report: the complaints backlog per month, handling agency and classification. A case
-- counts as received in the month it arrived, as resolved in the month it was closed (resolved,
-- withdrawn or transferred), and in the backlog of every month end it was still open at. Aggregates
-- only: nothing about a complainant (for denunciations, a whistleblower) reaches this table.

with

case_months as (

    select * from {{ ref('int_complaint_cases_spread_to_months') }}

),

agencies as (

    select * from {{ ref('dim_agencies') }}

),

backlog as (

    select
        month,
        agency_code,
        classification,
        -- DuckDB counts to BIGINT already; sums would be HUGEINT
        count(*) filter (where is_received_in_month) as received,
        count(*) filter (where is_resolved_in_month) as resolved,
        count(*) filter (where is_open_at_month_end) as backlog_open,
        count(*) filter (where is_overdue_at_month_end) as backlog_overdue,
        round(avg(resolution_days), 1) as avg_resolution_days,
        cast(median(resolution_days) as double) as median_resolution_days

    from case_months
    group by month, agency_code, classification

),

final as (

    select
        strftime(backlog.month, '%Y-%m') || '|' || backlog.agency_code || '|' || backlog.classification
            as backlog_key,
        backlog.month,
        backlog.agency_code,
        coalesce(agencies.agency_name, backlog.agency_code) as agency_name,
        backlog.classification,
        backlog.received,
        backlog.resolved,
        backlog.backlog_open,
        backlog.backlog_overdue,
        backlog.avg_resolution_days,
        backlog.median_resolution_days

    from backlog
    left join agencies
        on backlog.agency_code = agencies.agency_code

)

select * from final
