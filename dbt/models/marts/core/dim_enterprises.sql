-- The business register's public face: one row per registered enterprise with what the national
-- business registration portal shows anyone (code, name, legal form, status, main activity, head
-- office ward, charter capital, date of establishment). A private enterprise (doanh nghiệp tư nhân)
-- belongs to one person, so its head office address, often that person's home, is withheld; the
-- legal representative and the contact e-mail never reach this table.

with

enterprises as (

    select * from {{ ref('stg_business__enterprises') }}

),

industries as (

    select * from {{ ref('dim_industries') }}

),

final as (

    select
        enterprises.enterprise_code,
        enterprises.enterprise_name,
        enterprises.legal_form,
        enterprises.status,
        enterprises.vsic_code,
        coalesce(industries.section_code, 'unknown') as vsic_section,
        case when enterprises.legal_form = 'private_enterprise' then null
             else enterprises.head_office_address end as head_office_address,
        enterprises.ward_code_2025,
        enterprises.ward_name_2025,
        cast(enterprises.charter_capital_vnd as double) as charter_capital_vnd,
        enterprises.established_on,
        enterprises.updated_at

    from enterprises
    left join industries
        on left(enterprises.vsic_code, 2) = industries.division_code
    -- one row per code: the latest registration wins should the source repeat one
    qualify row_number() over (partition by enterprises.enterprise_code order by enterprises.updated_at desc) = 1

)

select * from final
