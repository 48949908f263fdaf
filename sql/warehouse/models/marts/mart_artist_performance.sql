{# Counted from sales per track first: one distinct count over the lines (customers) instead of three. #}
with lines as (

    select * from {{ ref('fct_invoice_line') }}

),

tracks as (

    select * from {{ ref('dim_track') }}

),

sales_by_track as (

    {{ sales_by_track('lines') }}

),

sales_by_artist as (

    select
        tracks.artist_id,
        tracks.artist_name,
        sum(sales_by_track.revenue) as revenue,
        cast(sum(sales_by_track.quantity) as {{ dbt.type_bigint() }}) as quantity,
        count(distinct tracks.album_id) as albums_with_sales,
        count(*) as tracks_sold
    from sales_by_track
    inner join tracks on tracks.track_id = sales_by_track.track_id
    group by tracks.artist_id, tracks.artist_name

),

customers_by_artist as (

    select
        tracks.artist_id,
        count(distinct lines.customer_id) as customers
    from lines
    inner join tracks on tracks.track_id = lines.track_id
    group by tracks.artist_id

),

final as (

    select
        sales_by_artist.*,
        customers_by_artist.customers,
        rank() over (order by sales_by_artist.revenue desc) as revenue_rank
    from sales_by_artist
    inner join customers_by_artist on customers_by_artist.artist_id = sales_by_artist.artist_id

)

select * from final
