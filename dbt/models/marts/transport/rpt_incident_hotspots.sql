-- Leadership report: incident and crowd hotspots per 2025 ward and day (Ho Chi Minh City time): alerts
-- by kind and day_rank (1 = most alerts that day, then most crowd observations above threshold).

with

hotspots as (

    select * from {{ ref('stg_cameras__hotspots_ward_daily') }}

),

wards as (

    select ward_code_2025, ward_name_2025 from {{ ref('dim_admin_units') }}

),

final as (

    select
        hotspots.ward_code_2025 || '|' || strftime(hotspots.local_date, '%Y-%m-%d') as ward_day_key,
        hotspots.ward_code_2025,
        wards.ward_name_2025,
        hotspots.local_date,
        hotspots.day_rank,
        hotspots.cameras_alerting,
        hotspots.alerts,
        hotspots.traffic_incidents,
        hotspots.public_order_incidents,
        hotspots.traffic_jams,
        hotspots.stopped_vehicle_alerts,
        hotspots.accidents,
        hotspots.crowd_alerts,
        hotspots.civil_disorder,
        hotspots.crowd_observations_above_threshold

    from hotspots
    left join wards
        on hotspots.ward_code_2025 = wards.ward_code_2025

)

select * from final
