with

source as (

    select * from {{ source('health', 'facilities') }}

),

renamed as (

    select

        ----------  ids
        cast(facility_id as bigint) as facility_id,
        facility_code,
        licence_no,

        ----------  text
        name,
        facility_type,
        ownership,
        specialties,
        address,
        status,

        ----------  location (2025 administrative units, plus what the source held)
        ward_code_2025,
        ward_name_2025,
        province_code,
        source_ward_code,
        source_ward_name,
        source_district_name,
        latitude,
        longitude,

        ----------  numerics
        cast(beds as integer) as beds,

        ----------  dates and timestamps
        licence_issued_on,
        updated_at,

        ----------  lineage
        _batch_id as batch_id,
        _silver_built_at as silver_built_at

    from source

)

select * from renamed
