-- Leadership report: one row per 2025 ward of the city (dim_admin_units), the one the ward map draws,
-- with a measure from each department that knows the ward. "12m" is the 12 months up to and including
-- the latest month of that measure's own data (each department's register is as of its own date, so
-- a source that lags is not shown as a sudden drop). Snapshot measures: complaints open at the as-of
-- month end of the complaints register, schools and pupils of the latest school year reported, health
-- facilities in operation today. A ward without data for a count shows 0; a rate without a
-- denominator is null. Records without a ward are not in any ward's figures.

with

wards as (

    select * from {{ ref('dim_admin_units') }}

),

dossiers as (

    select * from {{ ref('rpt_dossiers_on_time') }}
    where ward_code_2025 is not null

),

dossiers_12m as (

    select
        ward_code_2025,
        sum(dossiers_received) as dossiers_received_12m,
        sum(completed_on_time) as completed_on_time_12m,
        sum(dossiers_completed) as dossiers_completed_12m

    from dossiers
    where month > (select max(month) from {{ ref('rpt_dossiers_on_time') }}) - interval 12 month
    group by ward_code_2025

),

complaint_months as (

    select * from {{ ref('int_complaint_cases_spread_to_months') }}

),

complaints_open as (

    select
        ward_code_2025,
        count(*) as complaints_open

    from complaint_months
    where month = (select max(month) from complaint_months)
      and is_open_at_month_end
      and ward_code_2025 is not null
    group by ward_code_2025

),

contacts as (

    select
        ward_code_2025,
        cast(date_trunc('month', timezone('Asia/Ho_Chi_Minh', received_at)) as date) as month

    from {{ ref('stg_hotline__contacts') }}

),

hotline_12m as (

    select
        ward_code_2025,
        count(*) as hotline_contacts_12m

    from contacts
    where month > (select max(month) from contacts) - interval 12 month
      and ward_code_2025 is not null
    group by ward_code_2025

),

businesses as (

    select * from {{ ref('rpt_new_businesses') }}

),

businesses_12m as (

    select
        ward_code_2025,
        sum(new_enterprises) as new_enterprises_12m

    from businesses
    where month > (select max(month) from businesses where new_enterprises > 0) - interval 12 month
      and ward_code_2025 is not null
    group by ward_code_2025

),

land as (

    select * from {{ ref('rpt_land_transactions') }}

),

land_12m as (

    select
        ward_code_2025,
        sum(transactions) as land_transactions_12m

    from land
    where month > (select max(month) from land) - interval 12 month
    group by ward_code_2025

),

schools as (

    select * from {{ ref('rpt_schools_by_ward') }}

),

schools_latest_year as (

    select
        ward_code_2025,
        sum(schools) as schools,
        sum(pupils) as pupils

    from schools
    where school_year = (select max(school_year) from schools)
    group by ward_code_2025

),

health as (

    select
        ward_code_2025,
        sum(facilities) as health_facilities,
        sum(active_practitioners) as active_practitioners

    from {{ ref('rpt_health_capacity_by_ward') }}
    group by ward_code_2025

),

final as (

    select
        wards.ward_code_2025,
        wards.ward_name_2025,
        wards.latitude,
        wards.longitude,
        wards.area_km2,
        -- DuckDB sums to HUGEINT: bigint is what the consumers (pandas, CKAN, the map) understand
        cast(coalesce(dossiers_12m.dossiers_received_12m, 0) as bigint) as dossiers_received_12m,
        case
            when dossiers_12m.dossiers_completed_12m > 0
                then cast(dossiers_12m.completed_on_time_12m as double) / cast(dossiers_12m.dossiers_completed_12m as double)
        end as dossier_on_time_rate_12m,
        cast(coalesce(complaints_open.complaints_open, 0) as bigint) as complaints_open,
        cast(coalesce(hotline_12m.hotline_contacts_12m, 0) as bigint) as hotline_contacts_12m,
        cast(coalesce(businesses_12m.new_enterprises_12m, 0) as bigint) as new_enterprises_12m,
        cast(coalesce(land_12m.land_transactions_12m, 0) as bigint) as land_transactions_12m,
        cast(coalesce(schools_latest_year.schools, 0) as bigint) as schools,
        cast(coalesce(schools_latest_year.pupils, 0) as bigint) as pupils,
        cast(coalesce(health.health_facilities, 0) as bigint) as health_facilities,
        cast(coalesce(health.active_practitioners, 0) as bigint) as active_practitioners

    from wards
    left join dossiers_12m
        on wards.ward_code_2025 = dossiers_12m.ward_code_2025
    left join complaints_open
        on wards.ward_code_2025 = complaints_open.ward_code_2025
    left join hotline_12m
        on wards.ward_code_2025 = hotline_12m.ward_code_2025
    left join businesses_12m
        on wards.ward_code_2025 = businesses_12m.ward_code_2025
    left join land_12m
        on wards.ward_code_2025 = land_12m.ward_code_2025
    left join schools_latest_year
        on wards.ward_code_2025 = schools_latest_year.ward_code_2025
    left join health
        on wards.ward_code_2025 = health.ward_code_2025

)

select * from final
