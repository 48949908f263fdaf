{# The fifteen artists with the most revenue; shares are of all artists' revenue and units. #}
with artists as (

    select * from {{ ref('mart_artist_performance') }}

),

ranked as (

    select
        artist_id,
        artist_name,
        revenue,
        quantity as units,
        cast(revenue / sum(revenue) over () as numeric(8, 6)) as revenue_share,
        cast(1.0 * quantity / sum(quantity) over () as numeric(8, 6)) as units_share,
        row_number() over (order by revenue desc, artist_name asc, artist_id asc) as revenue_rank
    from artists

),

final as (

    select * from ranked
    where revenue_rank <= 15

)

select * from final
