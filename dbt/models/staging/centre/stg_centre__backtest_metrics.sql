with

source as (

    select * from {{ source('centre', 'backtest_metrics') }}

),

renamed as (

    select

        ----------  ids
        series_set,
        unique_id as series_id,
        level as series_level,
        model,

        ----------  backtest
        mase,
        smape,
        mase_seasonal_naive,
        smape_seasonal_naive,
        relative_mase,
        cast(windows as integer) as backtest_windows,
        is_chosen,

        ----------  run
        run_id,
        run_at

    from source

)

select * from renamed
