-- Each enterprise with the VSIC 2018 industry of its main activity: the division is the first two
-- digits of the code, looked up in dim_industries. A division that does not exist (the source
-- holds codes such as 0400 or 8900) or a missing code gets section 'unknown' and is flagged, so
-- that totals still add up; tests/business/warn_unknown_vsic_divisions.sql counts them.

with

enterprises as (

    select * from {{ ref('stg_business__enterprises') }}

),

industries as (

    select * from {{ ref('dim_industries') }}

),

joined as (

    select
        enterprises.enterprise_id,
        enterprises.vsic_code,
        left(enterprises.vsic_code, 2) as division_code,
        industries.division_code is not null as is_known_division,
        coalesce(industries.section_code, 'unknown') as vsic_section,
        coalesce(industries.section_name, 'Không xác định') as vsic_section_name,
        coalesce(industries.section_name_en, 'Unknown') as vsic_section_name_en,
        industries.division_name,
        enterprises.legal_form,
        enterprises.status,
        enterprises.charter_capital_vnd,
        enterprises.established_on,
        enterprises.ward_code_2025,
        enterprises.ward_name_2025

    from enterprises
    left join industries
        on left(enterprises.vsic_code, 2) = industries.division_code

)

select * from joined
