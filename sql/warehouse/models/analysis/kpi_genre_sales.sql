with genres as (

    select * from {{ ref('mart_genre_performance') }}

),

final as (

    select
        genre_id,
        genre_name,
        revenue,
        quantity as units,
        revenue_share,
        cast(1.0 * quantity / sum(quantity) over () as numeric(8, 6)) as units_share,
        row_number() over (order by revenue desc, genre_name asc, genre_id asc) as revenue_rank
    from genres

)

select * from final
