with

source as (

    select * from {{ source('fdi', 'fdi_capital_adjustments') }}

),

renamed as (

    select

        ----------  ids
        cast(adjustment_id as bigint) as adjustment_id,
        cast(project_id as bigint) as project_id,

        ----------  text
        description,

        ----------  numerics
        cast(registered_change_usd as decimal(18, 2)) as registered_change_usd,
        cast(disbursed_change_usd as decimal(18, 2)) as disbursed_change_usd,

        ----------  dates and timestamps
        adjusted_on,
        updated_at,

        ----------  lineage
        _batch_id as batch_id,
        _silver_built_at as silver_built_at

    from source

)

select * from renamed
