with

source as (

    select * from {{ source('cameras', 'hotspots_ward_daily') }}

),

renamed as (

    select

        ----------  ids
        ward_code_2025,
        ward_name_2025,
        local_date,

        ----------  counts
        cast(cameras as bigint) as cameras_alerting,
        cast(alerts as bigint) as alerts,
        cast(traffic_incidents as bigint) as traffic_incidents,
        cast(public_order_incidents as bigint) as public_order_incidents,
        cast(traffic_jams as bigint) as traffic_jams,
        cast(stopped_vehicles as bigint) as stopped_vehicle_alerts,
        cast(accidents as bigint) as accidents,
        cast(crowd_alerts as bigint) as crowd_alerts,
        cast(civil_disorder as bigint) as civil_disorder,
        cast(crowd_observations_above_threshold as bigint) as crowd_observations_above_threshold,
        cast(rank as integer) as day_rank

    from source

)

select * from renamed
