with

source as (

    select * from {{ source('cameras', 'traffic_flow_ward_5min') }}

),

renamed as (

    select

        ----------  ids
        ward_code_2025,
        ward_name_2025,

        ----------  window (UTC instant; wall time in Ho Chi Minh City)
        window_start,
        local_date,
        cast(local_hour as integer) as local_hour,

        ----------  counts
        cast(cameras as bigint) as cameras,
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
        cast(congestion_index as double) as congestion_index

    from source

)

select * from renamed
