with tracks as (

    {{ latest_version(ref('stg_chinook__track'), 'track_id') }}

),

albums as (

    {{ latest_version(ref('stg_chinook__album'), 'album_id') }}

),

artists as (

    {{ latest_version(ref('stg_chinook__artist'), 'artist_id') }}

),

genres as (

    {{ latest_version(ref('stg_chinook__genre'), 'genre_id') }}

),

media_types as (

    {{ latest_version(ref('stg_chinook__media_type'), 'media_type_id') }}

),

final as (

    select
        tracks.track_id,
        tracks.track_name,
        tracks.composer,
        tracks.milliseconds,
        tracks.unit_price,
        albums.album_id,
        albums.album_title,
        artists.artist_id,
        artists.artist_name,
        genres.genre_id,
        genres.genre_name,
        media_types.media_type_id,
        media_types.media_type_name
    from tracks
    left join albums on albums.album_id = tracks.album_id
    left join artists on artists.artist_id = albums.artist_id
    left join genres on genres.genre_id = tracks.genre_id
    left join media_types on media_types.media_type_id = tracks.media_type_id

)

select * from final
