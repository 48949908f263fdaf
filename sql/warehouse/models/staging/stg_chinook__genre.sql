with source as (

    select * from {{ source('chinook', 'genre') }}

),

renamed as (

    select
        genre_id,
        name as genre_name,
        _load_id,
        _loaded_at
    from source

)

select * from renamed
