with lines as (

    select * from {{ ref('fct_invoice_line') }}

),

tracks as (

    select * from {{ ref('dim_track') }}

),

sales_by_track as (

    {{ sales_by_track('lines') }}

),

by_media_type as (

    select
        tracks.media_type_id,
        tracks.media_type_name,
        sum(sales_by_track.revenue) as revenue,
        cast(sum(sales_by_track.quantity) as {{ dbt.type_bigint() }}) as units
    from sales_by_track
    inner join tracks on tracks.track_id = sales_by_track.track_id
    group by tracks.media_type_id, tracks.media_type_name

),

final as (

    select
        media_type_id,
        media_type_name,
        revenue,
        units,
        cast(revenue / sum(revenue) over () as numeric(8, 6)) as revenue_share,
        cast(1.0 * units / sum(units) over () as numeric(8, 6)) as units_share,
        row_number() over (order by revenue desc, media_type_name asc, media_type_id asc) as revenue_rank
    from by_media_type

)

select * from final
