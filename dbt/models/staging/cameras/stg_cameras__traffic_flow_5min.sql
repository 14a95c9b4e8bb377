with

source as (

    select * from {{ source('cameras', 'traffic_flow_5min') }}

),

renamed as (

    select

        ----------  ids
        camera_id || '|' || strftime(window_start at time zone 'UTC', '%Y-%m-%dT%H:%MZ') as camera_window_key,
        camera_id,
        ward_code_2025,

        ----------  window (UTC instant; wall time in Ho Chi Minh City)
        window_start,
        window_end,
        local_date,
        local_time,
        cast(local_hour as integer) as local_hour,

        ----------  counts
        cast(observations as bigint) as observations,
        cast(intensity as bigint) as intensity,
        cast(motorcycle as bigint) as motorcycles,
        cast(car as bigint) as cars,
        cast(bus as bigint) as buses,
        cast(truck as bigint) as trucks,
        cast(bicycle as bigint) as bicycles,
        cast(stopped_vehicles as bigint) as stopped_vehicles,
        cast(congested_observations as bigint) as congested_observations,

        ----------  rates
        cast(congested_share as double) as congested_share,
        cast(average_speed_kmh as double) as average_speed_kmh,
        cast(p85_intensity as double) as p85_intensity,
        cast(congestion_index as double) as congestion_index

    from source

)

select * from renamed
