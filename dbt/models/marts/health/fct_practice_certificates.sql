-- Open dataset "Chứng chỉ hành nghề y": every certificate, with the facility it is registered
-- at. No CCCD, date of birth, phone or practitioner_key: staging never selects them.

with

certificates as (

    select * from {{ ref('stg_health__practice_certificates') }}

),

facilities as (

    select * from {{ ref('stg_health__facilities') }}

),

final as (

    select
        certificates.certificate_id,
        certificates.certificate_no,
        certificates.practitioner_name,
        certificates.profession,
        certificates.scope,
        certificates.issuer,
        certificates.facility_id,
        facilities.name as facility_name,
        facilities.ward_code_2025,
        certificates.issued_on,
        certificates.revoked_on,
        certificates.status,
        certificates.updated_at

    from certificates
    left join facilities
        on certificates.facility_id = facilities.facility_id

)

select * from final
