-- Each one-stop dossier timed in working days of the administration's calendar (weekends, public
-- holidays and Tết off; dim_calendar.working_day_seq counts working days up to and including a date,
-- so a day off carries the previous working day's number).
--
-- Dates are local (Asia/Ho_Chi_Minh). A dossier received on a day off counts as received on the next
-- working day (the one-stop desk's rule, and what the source does for weekends), so its clock starts
-- at received_working_day_seq = the calendar's seq + 1 on a day off.
--
-- Two deadlines:
--   * source_due_on: the due date the source wrote on the appointment slip. The source skips
--     weekends only, so around Tết and public holidays it falls days too early.
--   * statutory_due_on: received + the procedure's processing_working_days in real working days.
-- The deadline used (due_working_day_seq, is_on_time, is_open_overdue) is the statutory one; the
-- source's only where the procedure is not in the catalogue (no statutory days known). An agency is
-- never marked late for days the law does not count. The source-based verdict is kept alongside
-- (is_on_time_by_source_due) to show how much the choice matters.

with

dossiers as (

    select * from {{ ref('stg_one_stop__dossiers') }}

),

procedures as (

    select * from {{ ref('stg_one_stop__procedures') }}

),

calendar as (

    select * from {{ ref('dim_calendar') }}

),

localised as (

    select
        dossiers.dossier_id,
        dossiers.dossier_code,
        dossiers.procedure_id,
        procedures.field as procedure_field,
        procedures.processing_working_days,
        dossiers.channel,
        dossiers.status,
        dossiers.agency_code,
        dossiers.ward_code_2025,
        dossiers.ward_name_2025,
        dossiers.received_at,
        dossiers.due_at,
        dossiers.completed_at,
        cast(timezone('Asia/Ho_Chi_Minh', dossiers.received_at) as date) as received_on,
        cast(timezone('Asia/Ho_Chi_Minh', dossiers.due_at) as date) as source_due_on,
        cast(timezone('Asia/Ho_Chi_Minh', dossiers.completed_at) as date) as completed_on

    from dossiers
    left join procedures
        on dossiers.procedure_id = procedures.procedure_id

),

as_of as (

    -- the latest day the register knows of: statuses are as they stood then
    select cast(timezone('Asia/Ho_Chi_Minh', greatest(max(received_at), max(completed_at))) as date) as as_of_date
    from dossiers

),

sequenced as (

    select
        localised.*,
        as_of.as_of_date,
        received_day.working_day_seq
            + case when received_day.is_working_day then 0 else 1 end as received_working_day_seq,
        source_due_day.working_day_seq as source_due_working_day_seq,
        completed_day.working_day_seq as completed_working_day_seq,
        as_of_day.working_day_seq as as_of_working_day_seq

    from localised
    cross join as_of
    left join calendar as received_day
        on localised.received_on = received_day.date_day
    left join calendar as source_due_day
        on localised.source_due_on = source_due_day.date_day
    left join calendar as completed_day
        on localised.completed_on = completed_day.date_day
    left join calendar as as_of_day
        on as_of.as_of_date = as_of_day.date_day

),

with_statutory_due as (

    select
        sequenced.*,
        sequenced.received_working_day_seq + sequenced.processing_working_days
            as statutory_due_working_day_seq

    from sequenced

),

deadlines as (

    select
        with_statutory_due.*,
        statutory_due_day.date_day as statutory_due_on,
        case when with_statutory_due.statutory_due_working_day_seq is not null then 'statutory' else 'source' end
            as due_basis,
        coalesce(with_statutory_due.statutory_due_working_day_seq, with_statutory_due.source_due_working_day_seq)
            as due_working_day_seq

    from with_statutory_due
    left join calendar as statutory_due_day
        on with_statutory_due.statutory_due_working_day_seq = statutory_due_day.working_day_seq
       and statutory_due_day.is_working_day

),

final as (

    select
        dossier_id,
        dossier_code,
        procedure_id,
        procedure_field,
        processing_working_days,
        channel,
        status,
        agency_code,
        ward_code_2025,
        ward_name_2025,
        received_at,
        completed_at,
        cast(date_trunc('month', received_on) as date) as received_month,
        received_on,
        source_due_on,
        statutory_due_on,
        completed_on,
        as_of_date,
        received_working_day_seq,
        source_due_working_day_seq,
        statutory_due_working_day_seq,
        completed_working_day_seq,
        due_basis,
        due_working_day_seq,
        status = 'completed' as is_completed,
        status in ('received', 'in_progress', 'awaiting_supplement') as is_open,
        case
            when status = 'completed'
                then greatest(completed_working_day_seq - received_working_day_seq, 0)
        end as working_days_to_complete,
        case
            when status = 'completed' then completed_working_day_seq <= due_working_day_seq
        end as is_on_time,
        case
            when status = 'completed' then completed_working_day_seq <= source_due_working_day_seq
        end as is_on_time_by_source_due,
        coalesce(status in ('received', 'in_progress', 'awaiting_supplement')
                 and as_of_working_day_seq > due_working_day_seq, false) as is_open_overdue

    from deadlines

)

select * from final
