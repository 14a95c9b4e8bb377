with

source as (

    select * from {{ source('cameras', 'registry') }}

),

renamed as (

    select

        ----------  ids
        camera_id,
        cast(camera_key as bigint) as camera_key,
        owner_code,

        ----------  text
        camera_name,
        district,
        camera_type,
        analytics_profile,
        status,

        ----------  location (2025 wards, plus the code the source held)
        ward_code_2025,
        ward_name_2025,
        source_ward_code,
        latitude,
        longitude,

        ----------  settings
        cast(face_matching as boolean) as face_matching_enabled,
        cast(crowd_threshold as integer) as crowd_threshold,
        resolution,

        ----------  dates
        installed_on,
        updated_at,

        ----------  lineage
        _batch_id as batch_id,
        _silver_built_at as silver_built_at

    from source

)

select * from renamed
