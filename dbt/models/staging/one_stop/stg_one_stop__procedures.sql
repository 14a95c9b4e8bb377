with

source as (

    select * from {{ source('one_stop', 'procedures') }}

),

renamed as (

    select

        ----------  ids
        cast(procedure_id as bigint) as procedure_id,
        procedure_code,

        ----------  text
        name as procedure_name,
        field,
        field_name_vi,
        level as procedure_level,
        agency_code,
        online_service_level,

        ----------  numerics and flags
        cast(processing_working_days as integer) as processing_working_days,
        cast(fee_vnd as bigint) as fee_vnd,
        in_force as is_in_force,

        ----------  timestamps
        updated_at,

        ----------  lineage
        _batch_id as batch_id,
        _silver_built_at as silver_built_at

    from source

)

select * from renamed
