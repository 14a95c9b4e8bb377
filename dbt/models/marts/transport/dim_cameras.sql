-- Conformed cameras: the registry with the owner's 2025 name and the official 2025 ward name. Stream
-- addresses stay in silver (infrastructure detail); face matching shows only as the per-camera switch.

with

cameras as (

    select * from {{ ref('stg_cameras__registry') }}

),

agencies as (

    select agency_code, agency_name, agency_name_en from {{ ref('dim_agencies') }}

),

wards as (

    select ward_code_2025, ward_name_2025 from {{ ref('dim_admin_units') }}

),

final as (

    select
        cameras.camera_id,
        cameras.camera_name,
        cameras.owner_code,
        coalesce(agencies.agency_name, 'Ủy ban nhân dân ' || cameras.district) as owner_name,
        agencies.agency_name_en as owner_name_en,
        cameras.district as former_district,
        cameras.camera_type,
        cameras.analytics_profile,
        cameras.status,
        cameras.face_matching_enabled,
        cameras.crowd_threshold,
        cameras.installed_on,
        cameras.ward_code_2025,
        wards.ward_name_2025,
        cameras.latitude,
        cameras.longitude,
        cameras.updated_at

    from cameras
    left join agencies
        on cameras.owner_code = agencies.agency_code
    left join wards
        on cameras.ward_code_2025 = wards.ward_code_2025

)

select * from final
