{{ config(severity='warn') }}

-- Warns (never fails) with the number of VSIC divisions registered enterprises use that do not
-- exist in VSIC 2018 (or a missing code): one row per such division, with how many enterprises
-- carry it. They are kept in the marts under section 'unknown'.

select
    coalesce(division_code, '(missing)') as division_code,
    count(*) as enterprises,
    string_agg(distinct vsic_code, ', ' order by vsic_code) as vsic_codes

from {{ ref('int_enterprises_joined_to_industries') }}
where not is_known_division
group by 1
