-- Leadership report: registered land transactions per month of registration, 2025 ward of the
-- parcel, transaction type and land-use code. Transactions on parcels silver does not hold have no
-- ward or land use and are left out (flagged in int_transactions_joined_to_parcels). area_m2 counts
-- each parcel once per row, however many transactions it had in it (two mortgages on one parcel in
-- a month are one parcel's area, not two). declared_value_vnd sums the plausible declared values only
-- (see has_plausible_value in the intermediate).

with

transactions as (

    select * from {{ ref('int_transactions_joined_to_parcels') }}
    where has_known_parcel

),

wards as (

    select * from {{ ref('dim_admin_units') }}

),

per_cell as (

    select
        registered_month as month,
        ward_code_2025,
        transaction_type,
        land_use_code,
        min(ward_name_2025) as ward_name_2025,
        count(*) as transactions,
        -- values off the scale for the parcel's area (×1000 slips) are left out, see the intermediate
        sum(declared_value_vnd) filter (where has_plausible_value) as declared_value_vnd

    from transactions
    group by registered_month, ward_code_2025, transaction_type, land_use_code

),

parcels_per_cell as (

    select distinct
        registered_month as month,
        ward_code_2025,
        transaction_type,
        land_use_code,
        parcel_id,
        area_m2

    from transactions

),

area_per_cell as (

    select
        month,
        ward_code_2025,
        transaction_type,
        land_use_code,
        sum(area_m2) as area_m2

    from parcels_per_cell
    group by month, ward_code_2025, transaction_type, land_use_code

),

final as (

    select
        strftime(per_cell.month, '%Y-%m') || '|' || per_cell.ward_code_2025 || '|'
            || per_cell.transaction_type || '|' || per_cell.land_use_code as land_tx_key,
        per_cell.month,
        per_cell.ward_code_2025,
        coalesce(wards.ward_name_2025, per_cell.ward_name_2025) as ward_name_2025,
        per_cell.transaction_type,
        per_cell.land_use_code,
        -- DuckDB sums to HUGEINT / DECIMAL(38): bigint and double are what the consumers (pandas, CKAN) understand
        cast(per_cell.transactions as bigint) as transactions,
        cast(round(area_per_cell.area_m2, 1) as double) as area_m2,
        -- only transfers and mortgages declare a value: 0 for the other types
        cast(coalesce(per_cell.declared_value_vnd, 0) as bigint) as declared_value_vnd

    from per_cell
    inner join area_per_cell
        on per_cell.month = area_per_cell.month
        and per_cell.ward_code_2025 = area_per_cell.ward_code_2025
        and per_cell.transaction_type = area_per_cell.transaction_type
        and per_cell.land_use_code = area_per_cell.land_use_code
    left join wards
        on per_cell.ward_code_2025 = wards.ward_code_2025

)

select * from final
