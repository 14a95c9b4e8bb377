-- Open dataset "Cơ sở khám chữa bệnh": every licensed facility, whatever its status.

with

facilities as (

    select * from {{ ref('stg_health__facilities') }}

),

practitioners as (

    select * from {{ ref('int_practitioners_active_by_facility') }}

),

final as (

    select
        facilities.facility_id,
        facilities.facility_code,
        facilities.name,
        facilities.facility_type,
        facilities.ownership,
        facilities.licence_no,
        facilities.licence_issued_on,
        facilities.beds,
        facilities.specialties,
        facilities.address,
        facilities.ward_code_2025,
        facilities.ward_name_2025,
        facilities.province_code,
        facilities.latitude,
        facilities.longitude,
        facilities.status,
        coalesce(practitioners.active_practitioners, 0) as active_practitioners,
        facilities.updated_at

    from facilities
    left join practitioners
        on facilities.facility_id = practitioners.facility_id

)

select * from final
