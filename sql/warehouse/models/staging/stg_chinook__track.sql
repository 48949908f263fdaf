with source as (

    select * from {{ source('chinook', 'track') }}

),

renamed as (

    select
        track_id,
        name as track_name,
        album_id,
        media_type_id,
        genre_id,
        composer,
        milliseconds,
        cast(unit_price as {{ contract_type('money') }}) as unit_price,
        _load_id,
        _loaded_at
    from source

)

select * from renamed
