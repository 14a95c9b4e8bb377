-- Traffic per camera and 5-minute window (one row per camera and window): vehicles by type, congestion.

with

windows as (

    select * from {{ ref('stg_cameras__traffic_flow_5min') }}

),

cameras as (

    select camera_id, ward_code_2025, analytics_profile from {{ ref('dim_cameras') }}

),

final as (

    select
        windows.camera_window_key,
        windows.camera_id,
        cameras.ward_code_2025,
        cameras.analytics_profile,
        windows.window_start,
        windows.window_end,
        windows.local_date,
        windows.local_time,
        windows.local_hour,
        windows.observations,
        windows.intensity,
        windows.motorcycles,
        windows.cars,
        windows.buses,
        windows.trucks,
        windows.bicycles,
        windows.stopped_vehicles,
        windows.congested_observations,
        windows.congested_share,
        windows.average_speed_kmh,
        windows.congestion_index

    from windows
    inner join cameras using (camera_id)

)

select * from final
