-- One row per registered transaction with the parcel it is registered on: its 2025 ward, land use
-- and area. has_known_parcel is false where silver holds no such parcel (the register points at a
-- parcel it does not have, or the parcel is held back in quarantine): those transactions keep their
-- row here, with no ward or land use, and the marts leave them out.
--
-- has_plausible_value is false where the declared value per m² of the parcel is off the scale: more
-- than 2 billion VND/m² (near the city's record auction price, Thủ Thiêm 2021) or less than
-- 100,000 VND/m² (far below even farmland prices in the city). Those are clerks' ×1000 and ÷1000
-- slips: a handful of them would otherwise outweigh every genuine value of a month. The transaction
-- still counts; its value does not.

with

transactions as (

    select * from {{ ref('stg_land__transactions') }}

),

parcels as (

    select * from {{ ref('stg_land__parcels') }}

),

joined as (

    select
        transactions.transaction_id,
        transactions.parcel_id,
        transactions.transaction_type,
        transactions.registered_on,
        cast(date_trunc('month', transactions.registered_on) as date) as registered_month,
        transactions.declared_value_vnd,
        transactions.personal_income_tax_vnd,
        parcels.parcel_id is not null as has_known_parcel,
        parcels.ward_code_2025,
        parcels.ward_name_2025,
        parcels.land_use_code,
        parcels.area_m2,
        transactions.declared_value_vnd / nullif(parcels.area_m2, 0) as declared_value_per_m2,
        case
            when transactions.declared_value_vnd is not null and parcels.area_m2 > 0
                then transactions.declared_value_vnd / parcels.area_m2 between 1e5 and 2e9
        end as has_plausible_value

    from transactions
    left join parcels
        on transactions.parcel_id = parcels.parcel_id

)

select * from joined
