-- One row per series and candidate model: its rolling-origin MASE and sMAPE against seasonal naive's,
-- and whether the backtest chose it. The choice is the backtest's, never an analyst's.

with

metrics as (

    select * from {{ ref('stg_centre__backtest_metrics') }}

),

final as (

    select

        series_set || '|' || series_id || '|' || model as backtest_key,
        series_set,
        series_id,
        series_level,
        model,
        mase,
        smape,
        mase_seasonal_naive,
        smape_seasonal_naive,
        relative_mase,
        backtest_windows,
        is_chosen,
        run_at as backtested_at

    from metrics

)

select * from final
