with source as (

    select * from {{ source('chinook', 'invoice') }}

),

renamed as (

    select
        invoice_id,
        customer_id,
        cast(invoice_date as timestamp) as invoice_date,
        billing_address,
        billing_city,
        billing_state,
        billing_country,
        billing_postal_code,
        cast(total as {{ contract_type('money') }}) as total,
        _load_id,
        _loaded_at
    from source

)

select * from renamed
