with source as (

    select * from {{ source('chinook', 'invoice_line') }}

),

renamed as (

    select
        invoice_line_id,
        invoice_id,
        track_id,
        cast(unit_price as {{ contract_type('money') }}) as unit_price,
        quantity,
        _load_id,
        _loaded_at
    from source

)

select * from renamed
