-- Leadership report: enterprises established per month, VSIC section and 2025 ward, with their
-- charter capital (as currently registered) and the enterprises that ended that month (status
-- change to dissolved or revoked). Enterprises without a ward keep ward_code_2025 null (the key
-- says 'unknown') so city totals still add up; unknown VSIC divisions are section 'unknown'.
-- An ending is counted once per enterprise (its first dissolution or revocation), in the section
-- and ward of that enterprise; changes pointing at an enterprise not in silver, or dated before
-- its establishment, cannot be placed and are left out.

with

enterprises as (

    select * from {{ ref('int_enterprises_joined_to_industries') }}

),

status_changes as (

    select * from {{ ref('stg_business__enterprise_status_changes') }}

),

wards as (

    select ward_code_2025, ward_name_2025 from {{ ref('dim_admin_units') }}

),

established as (

    select
        cast(date_trunc('month', established_on) as date) as month,
        vsic_section,
        ward_code_2025,
        cast(count(*) as bigint) as new_enterprises,
        -- DuckDB sums to HUGEINT/DECIMAL(38); bigint is what the consumers (pandas, CKAN) understand
        cast(sum(charter_capital_vnd) as bigint) as charter_capital_vnd

    from enterprises
    where established_on is not null
    group by all

),

endings as (

    select
        status_changes.enterprise_id,
        min(status_changes.effective_on) as ended_on

    from status_changes
    inner join enterprises
        on status_changes.enterprise_id = enterprises.enterprise_id
    where status_changes.to_status in ('dissolved', 'revoked')
      and (enterprises.established_on is null or status_changes.effective_on >= enterprises.established_on)
    group by status_changes.enterprise_id

),

ended as (

    select
        cast(date_trunc('month', endings.ended_on) as date) as month,
        enterprises.vsic_section,
        enterprises.ward_code_2025,
        cast(count(*) as bigint) as dissolved

    from endings
    inner join enterprises
        on endings.enterprise_id = enterprises.enterprise_id
    group by all

),

sections as (

    select distinct vsic_section, vsic_section_name from enterprises

),

combined as (

    select
        coalesce(established.month, ended.month) as month,
        coalesce(established.vsic_section, ended.vsic_section) as vsic_section,
        coalesce(established.ward_code_2025, ended.ward_code_2025) as ward_code_2025,
        coalesce(established.new_enterprises, 0) as new_enterprises,
        coalesce(established.charter_capital_vnd, 0) as charter_capital_vnd,
        coalesce(ended.dissolved, 0) as dissolved

    from established
    full outer join ended
        on established.month = ended.month
        and established.vsic_section = ended.vsic_section
        and established.ward_code_2025 is not distinct from ended.ward_code_2025

),

final as (

    select
        strftime(combined.month, '%Y-%m-%d') || '|' || combined.vsic_section || '|'
            || coalesce(combined.ward_code_2025, 'unknown') as new_business_key,
        combined.month,
        combined.vsic_section,
        sections.vsic_section_name,
        combined.ward_code_2025,
        wards.ward_name_2025,
        combined.new_enterprises,
        combined.charter_capital_vnd,
        combined.dissolved

    from combined
    left join sections
        on combined.vsic_section = sections.vsic_section
    left join wards
        on combined.ward_code_2025 = wards.ward_code_2025

)

select * from final
