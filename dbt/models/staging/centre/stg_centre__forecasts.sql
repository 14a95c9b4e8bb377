with

source as (

    select * from {{ source('centre', 'forecasts') }}

),

renamed as (

    select

        ----------  ids
        series_set,
        unique_id as series_id,
        level as series_level,
        cast(ds as date) as period_start,
        freq as frequency,

        ----------  forecast
        model,
        yhat as forecast,
        yhat_base as forecast_unreconciled,
        lo_80 as lower_80,
        hi_80 as upper_80,
        lo_95 as lower_95,
        hi_95 as upper_95,
        reconciliation,
        cast(horizon as integer) as horizon,

        ----------  run
        run_id,
        run_at

    from source

)

select * from renamed
