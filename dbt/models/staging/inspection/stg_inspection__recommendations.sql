with

source as (

    select * from {{ source('inspection', 'recommendations') }}

),

renamed as (

    select

        ----------  ids
        cast(recommendation_id as bigint) as recommendation_id,
        cast(conclusion_id as bigint) as conclusion_id,

        ----------  text
        recommendation_type,
        description,
        status,

        ----------  amounts
        cast(amount_vnd as decimal(20, 0)) as amount_vnd,
        cast(recovered_amount_vnd as decimal(20, 0)) as recovered_amount_vnd,
        cast(land_area_m2 as decimal(14, 1)) as land_area_m2,

        ----------  dates and timestamps
        due_on,
        updated_at,

        ----------  lineage
        _batch_id as batch_id,
        _silver_built_at as silver_built_at

    from source

)

select * from renamed
