-- One row per series and forecast period: the backtest-chosen model's forecast with its intervals,
-- beside that model's backtest error and whether it beats seasonal naive on the series.

with

forecasts as (

    select * from {{ ref('stg_centre__forecasts') }}

),

choice as (

    select * from {{ ref('stg_centre__model_choice') }}

),

final as (

    select

        forecasts.series_set || '|' || forecasts.series_id || '|' || strftime(forecasts.period_start, '%Y-%m-%d')
            as forecast_key,
        forecasts.series_set,
        forecasts.series_id,
        forecasts.series_level,
        -- the ward of a ward-level series ('HCMC/<ward>'), null for the city and other levels
        case when forecasts.series_level = 'ward_code_2025' then split_part(forecasts.series_id, '/', 2) end
            as ward_code_2025,
        forecasts.frequency,
        forecasts.period_start,
        forecasts.model,
        forecasts.forecast,
        forecasts.forecast_unreconciled,
        forecasts.lower_80,
        forecasts.upper_80,
        forecasts.lower_95,
        forecasts.upper_95,
        forecasts.reconciliation,
        forecasts.horizon,
        choice.chosen_mase as backtest_mase,
        choice.mase_seasonal_naive as backtest_mase_seasonal_naive,
        choice.beats_seasonal_naive,
        forecasts.run_at as forecast_made_at

    from forecasts
    left join choice
        on forecasts.series_set = choice.series_set
        and forecasts.series_id = choice.series_id

)

select * from final
