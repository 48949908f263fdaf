with source as (

    select * from {{ source('chinook', 'customer') }}

),

renamed as (

    select
        customer_id,
        first_name,
        last_name,
        company,
        address,
        city,
        state,
        country,
        postal_code,
        phone,
        email,
        _load_id,
        _loaded_at
    from source

)

select * from renamed
