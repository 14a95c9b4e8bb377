with

source as (

    select * from {{ source('centre', 'model_choice') }}

),

renamed as (

    select

        ----------  ids
        series_set,
        unique_id as series_id,

        ----------  choice
        model as chosen_model,
        mase as chosen_mase,
        smape as chosen_smape,
        mase_seasonal_naive,
        relative_mase,
        beats_seasonal_naive

    from source

)

select * from renamed
