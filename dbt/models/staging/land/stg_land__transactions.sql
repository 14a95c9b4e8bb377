-- counterparty_key (the receiving party's CCCD pseudonym) is deliberately not selected: nothing
-- downstream may carry it.

with

source as (

    select * from {{ source('land', 'transactions') }}

),

renamed as (

    select

        ----------  ids
        cast(transaction_id as bigint) as transaction_id,
        dossier_no,
        cast(parcel_id as bigint) as parcel_id,
        cast(certificate_id as bigint) as certificate_id,

        ----------  text
        transaction_type,
        registration_office,

        ----------  numerics
        cast(declared_value_vnd as decimal(20, 0)) as declared_value_vnd,
        cast(personal_income_tax_vnd as decimal(20, 0)) as personal_income_tax_vnd,

        ----------  dates and timestamps
        registered_on,
        updated_at,

        ----------  lineage
        _batch_id as batch_id,
        _silver_built_at as silver_built_at

    from source

)

select * from renamed
