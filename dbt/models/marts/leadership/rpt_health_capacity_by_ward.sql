-- Leadership report: capacity of the facilities in operation (status 'active') per 2025 ward
-- and facility type. Only combinations that have at least one active facility appear.

with

facilities as (

    select * from {{ ref('dim_health_facilities') }}
    where status = 'active'

),

wards as (

    -- the official 2025 ward name; several old wards map to each 2025 ward
    select
        ward_code_2025,
        min(ward_name_2025) as ward_name_2025

    from {{ ref('stg_reference__ward_mapping_2025') }}
    group by ward_code_2025

),

capacity as (

    select
        ward_code_2025,
        facility_type,
        min(ward_name_2025) as ward_name_2025,
        -- DuckDB sums to HUGEINT; bigint is what the consumers (pandas, CKAN) understand
        cast(count(*) as bigint) as facilities,
        cast(coalesce(sum(beds), 0) as bigint) as beds,
        cast(coalesce(sum(active_practitioners), 0) as bigint) as active_practitioners

    from facilities
    group by ward_code_2025, facility_type

),

final as (

    select
        capacity.ward_code_2025 || '|' || capacity.facility_type as capacity_key,
        capacity.ward_code_2025,
        coalesce(wards.ward_name_2025, capacity.ward_name_2025) as ward_name_2025,
        capacity.facility_type,
        capacity.facilities,
        capacity.beds,
        capacity.active_practitioners

    from capacity
    left join wards
        on capacity.ward_code_2025 = wards.ward_code_2025

)

select * from final
