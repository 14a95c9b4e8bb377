-- Conformed industries: VSIC 2018 divisions with their section (business registration and FDI
-- carry 4–5 digit codes; their first two digits are the division).
select
    divisions.division_code,
    divisions.division_name,
    divisions.division_name_en,
    sections.section_code,
    sections.section_name,
    sections.section_name_en

from {{ ref('stg_reference__vsic_divisions') }} as divisions
left join {{ ref('stg_reference__vsic_sections') }} as sections using (section_code)
