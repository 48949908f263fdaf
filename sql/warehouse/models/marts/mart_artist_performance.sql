with lines as (

    select * from {{ ref('fct_invoice_line') }}

),

tracks as (

    select * from {{ ref('dim_track') }}

),

by_artist as (

    select
        tracks.artist_id,
        tracks.artist_name,
        sum(lines.line_amount) as revenue,
        sum(lines.quantity) as quantity,
        count(distinct tracks.album_id) as albums_with_sales,
        count(distinct lines.track_id) as tracks_sold,
        count(distinct lines.customer_id) as customers
    from lines
    inner join tracks on tracks.track_id = lines.track_id
    group by tracks.artist_id, tracks.artist_name

),

final as (

    select
        *,
        rank() over (order by revenue desc) as revenue_rank
    from by_artist

)

select * from final
