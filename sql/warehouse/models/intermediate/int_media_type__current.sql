with versions as (

    {{ latest_version(ref('stg_chinook__media_type'), 'media_type_id') }}

),

final as (

    select
        media_type_id,
        media_type_name,
        _load_id,
        _loaded_at
    from versions

)

select * from final
