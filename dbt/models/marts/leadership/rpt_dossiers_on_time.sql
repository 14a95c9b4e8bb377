-- Leadership report: one-stop dossiers per month received, handling agency and 2025 ward (the
-- applicant's / filing ward; null when the source has none). A cohort view: each dossier belongs to
-- the month it was received, and its outcome is as the register stands today (completed on time or
-- late, or still open and past its deadline). Deadlines are statutory, in working days of the
-- administration's calendar (see int_dossiers_timed_in_working_days). Returned and cancelled dossiers
-- count as received only. Aggregates only: nothing about an applicant.

with

dossiers as (

    select * from {{ ref('int_dossiers_timed_in_working_days') }}

),

agencies as (

    select * from {{ ref('dim_agencies') }}

),

wards as (

    select * from {{ ref('dim_admin_units') }}

),

kpis as (

    select
        received_month as month,
        coalesce(agency_code, 'unknown') as agency_code,
        ward_code_2025,
        min(ward_name_2025) as ward_name_2025,
        -- DuckDB counts to BIGINT already
        count(*) as dossiers_received,
        count(*) filter (where is_completed) as dossiers_completed,
        count(*) filter (where is_completed and is_on_time) as completed_on_time,
        count(*) filter (where is_completed and not is_on_time) as completed_late,
        count(*) filter (where is_open_overdue) as open_overdue,
        round(avg(working_days_to_complete), 2) as avg_working_days_to_complete

    from dossiers
    group by received_month, coalesce(agency_code, 'unknown'), ward_code_2025

),

final as (

    select
        strftime(kpis.month, '%Y-%m') || '|' || kpis.agency_code || '|' || coalesce(kpis.ward_code_2025, 'unknown')
            as dossier_kpi_key,
        kpis.month,
        kpis.agency_code,
        coalesce(agencies.agency_name, kpis.agency_code) as agency_name,
        kpis.ward_code_2025,
        coalesce(wards.ward_name_2025, kpis.ward_name_2025) as ward_name_2025,
        kpis.dossiers_received,
        kpis.dossiers_completed,
        kpis.completed_on_time,
        kpis.completed_late,
        kpis.open_overdue,
        case
            when kpis.dossiers_completed > 0
                then cast(kpis.completed_on_time as double) / kpis.dossiers_completed
        end as on_time_rate,
        cast(kpis.avg_working_days_to_complete as double) as avg_working_days_to_complete

    from kpis
    left join agencies
        on kpis.agency_code = agencies.agency_code
    left join wards
        on kpis.ward_code_2025 = wards.ward_code_2025

)

select * from final
