with source as (

    select * from {{ source('chinook', 'album') }}

),

renamed as (

    select
        album_id,
        title as album_title,
        artist_id,
        _load_id,
        _loaded_at
    from source

)

select * from renamed
