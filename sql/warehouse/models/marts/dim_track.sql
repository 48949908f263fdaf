{{
    config(
        materialized='incremental',
        unique_key='track_id',
        incremental_strategy='delete+insert',
        dist='track_id',
        sort='track_id',
    )
}}
-- depends_on: {{ ref('stg_chinook__genre') }}
-- depends_on: {{ ref('stg_chinook__media_type') }}
{#
    Every track's latest version with its album, artist, genre and media type (type 1). Incremental: a run
    rebuilds only the tracks whose own row, or whose album, artist, genre or media type, has a version newer than
    the newest of that table already here (one watermark per staging table: the _*_load_id columns).
    Tracks, albums and artists are ranked here, the changed keys inside the window's subquery: read through a
    view or an ephemeral model, PostgreSQL would rank every version first (_intermediate.yml). Genres and media
    types are read whole, from int_genre__current and int_media_type__current.
#}
with
{% if is_incremental() %}
changed_tracks as (

    select track_id from {{ ref('stg_chinook__track') }}
    where _load_id > {{ incremental_watermark('_track_load_id') }}
    union
    select track_id from {{ this }}
    where album_id in (
        select album_id from {{ ref('stg_chinook__album') }}
        where _load_id > {{ incremental_watermark('_album_load_id') }}
    )
    or artist_id in (
        select artist_id from {{ ref('stg_chinook__artist') }}
        where _load_id > {{ incremental_watermark('_artist_load_id') }}
    )
    or genre_id in (
        select genre_id from {{ ref('stg_chinook__genre') }}
        where _load_id > {{ incremental_watermark('_genre_load_id') }}
    )
    or media_type_id in (
        select media_type_id from {{ ref('stg_chinook__media_type') }}
        where _load_id > {{ incremental_watermark('_media_type_load_id') }}
    )

),
{% endif %}

tracks as (

    {{ latest_version(
        ref('stg_chinook__track'), 'track_id',
        where='track_id in (select track_id from changed_tracks)' if is_incremental() else none,
    ) }}

),

albums as (

    {{ latest_version(
        ref('stg_chinook__album'), 'album_id',
        where='album_id in (select album_id from tracks)' if is_incremental() else none,
    ) }}

),

artists as (

    {{ latest_version(
        ref('stg_chinook__artist'), 'artist_id',
        where='artist_id in (select artist_id from albums)' if is_incremental() else none,
    ) }}

),

genres as (

    select * from {{ ref('int_genre__current') }}

),

media_types as (

    select * from {{ ref('int_media_type__current') }}

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
        media_types.media_type_name,
        tracks._load_id as _track_load_id,
        albums._load_id as _album_load_id,
        artists._load_id as _artist_load_id,
        genres._load_id as _genre_load_id,
        media_types._load_id as _media_type_load_id
    from tracks
    left join albums on albums.album_id = tracks.album_id
    left join artists on artists.artist_id = albums.artist_id
    left join genres on genres.genre_id = tracks.genre_id
    left join media_types on media_types.media_type_id = tracks.media_type_id

)

select * from final
