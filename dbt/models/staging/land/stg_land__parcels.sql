with

source as (

    select * from {{ source('land', 'parcels') }}

),

renamed as (

    select

        ----------  ids
        cast(parcel_id as bigint) as parcel_id,
        cast(map_sheet_no as integer) as map_sheet_no,
        cast(parcel_no as integer) as parcel_no,
        cadastral_ref,

        ----------  text
        land_use_code,
        land_use_name,
        use_term,
        address,

        ----------  booleans
        permanent_use,

        ----------  location (2025 administrative units, plus what the source held)
        ward_code_2025,
        ward_name_2025,
        source_ward_code,
        latitude,
        longitude,

        ----------  numerics
        cast(area_m2 as decimal(12, 1)) as area_m2,

        ----------  dates and timestamps
        updated_at,

        ----------  lineage
        _batch_id as batch_id,
        _silver_built_at as silver_built_at

    from source

)

select * from renamed
