with source as (

    select * from {{ source('chinook', 'artist') }}

),

renamed as (

    select
        artist_id,
        name as artist_name,
        _load_id,
        _loaded_at
    from source

)

select * from renamed
