-- Valid practice certificates per facility. A certificate is counted, not a person: the
-- pseudonym that would let us count distinct practitioners stays in silver on purpose.

with

certificates as (

    select * from {{ ref('stg_health__practice_certificates') }}

),

active_by_facility as (

    select
        facility_id,
        count(*) as active_practitioners

    from certificates
    where status = 'valid'
      and facility_id is not null
    group by facility_id

)

select * from active_by_facility
