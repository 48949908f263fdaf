with lines as (

    select * from {{ ref('fct_invoice_line') }}

),

tracks as (

    select * from {{ ref('dim_track') }}

),

by_genre as (

    select
        tracks.genre_id,
        tracks.genre_name,
        sum(lines.line_amount) as revenue,
        cast(sum(lines.quantity) as {{ dbt.type_bigint() }}) as quantity,
        count(distinct lines.track_id) as tracks_sold,
        count(distinct lines.customer_id) as customers
    from lines
    inner join tracks on tracks.track_id = lines.track_id
    group by tracks.genre_id, tracks.genre_name

),

final as (

    select
        genre_id,
        genre_name,
        revenue,
        quantity,
        tracks_sold,
        customers,
        cast(revenue / sum(revenue) over () as numeric(8, 6)) as revenue_share
    from by_genre

)

select * from final
