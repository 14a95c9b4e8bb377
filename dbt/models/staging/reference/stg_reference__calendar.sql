with

source as (

    select * from {{ source('reference', 'calendar') }}

),

renamed as (

    select
        "date" as date_day,
        "year" as year_number,
        "month" as month_of_year,
        day_of_week,
        is_weekend,
        is_holiday,
        holiday_name,
        holiday_name_en,
        is_working_day,
        is_tet,
        working_day_seq

    from source

)

select * from renamed
