-- Leadership report: congestion per 2025 ward and hour of the day (Ho Chi Minh City time). The index
-- of an hour is its 5-minute windows' index weighted by their intensity (a plain mean when nothing
-- passed); peak_congestion_index is its worst window.

with

windows as (

    select * from {{ ref('stg_cameras__traffic_flow_ward_5min') }}

),

wards as (

    select ward_code_2025, ward_name_2025 from {{ ref('dim_admin_units') }}

),

hourly as (

    select
        ward_code_2025,
        local_date,
        local_hour,
        cast(count(*) as bigint) as windows,
        cast(max(cameras) as bigint) as cameras,
        cast(sum(intensity) as bigint) as intensity,
        cast(sum(motorcycles) as bigint) as motorcycles,
        cast(sum(cars) as bigint) as cars,
        cast(sum(buses) as bigint) as buses,
        cast(sum(trucks) as bigint) as trucks,
        cast(sum(bicycles) as bigint) as bicycles,
        cast(sum(stopped_vehicles) as bigint) as stopped_vehicles,
        sum(congested_observations) / nullif(sum(observations), 0) as congested_share,
        case when sum(intensity) > 0 then sum(congestion_index * intensity) / sum(intensity)
             else avg(congestion_index) end as congestion_index,
        max(congestion_index) as peak_congestion_index

    from windows
    group by all

),

final as (

    select
        hourly.ward_code_2025 || '|' || strftime(hourly.local_date, '%Y-%m-%d') || '|'
            || lpad(cast(hourly.local_hour as varchar), 2, '0') as ward_hour_key,
        hourly.ward_code_2025,
        wards.ward_name_2025,
        hourly.local_date,
        hourly.local_hour,
        hourly.windows,
        hourly.cameras,
        hourly.intensity,
        hourly.motorcycles,
        hourly.cars,
        hourly.buses,
        hourly.trucks,
        hourly.bicycles,
        hourly.stopped_vehicles,
        round(coalesce(hourly.congested_share, 0), 4) as congested_share,
        round(hourly.congestion_index, 4) as congestion_index,
        round(hourly.peak_congestion_index, 4) as peak_congestion_index

    from hourly
    left join wards
        on hourly.ward_code_2025 = wards.ward_code_2025

)

select * from final
