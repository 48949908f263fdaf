with versions as (

    {{ latest_version(ref('stg_chinook__genre'), 'genre_id') }}

),

final as (

    select
        genre_id,
        genre_name,
        _load_id,
        _loaded_at
    from versions

)

select * from final
