{#
    One row per customer (its current version). Recency is measured as of the latest invoice date in the
    warehouse, so the figures do not drift with the wall clock. RFM scores are quintiles (1-5) ordered by the
    metric, then customer_id; the segment is read from them (see _marts.yml).
#}
with customers as (

    select * from {{ ref('dim_customer') }}
    where is_current

),

invoices as (

    select * from {{ ref('fct_invoice') }}

),

lines as (

    select * from {{ ref('fct_invoice_line') }}

),

tracks as (

    select * from {{ ref('dim_track') }}

),

as_of as (

    select max(invoice_date) as as_of_date from invoices

),

purchases as (

    select
        customer_id,
        min(invoice_date) as first_purchase_at,
        max(invoice_date) as last_purchase_at,
        count(*) as invoice_count,
        sum(total) as lifetime_value
    from invoices
    group by customer_id

),

{{ customer_favourite('favourite_genre', 'lines', 'tracks', 'genre_name') }},

{{ customer_favourite('favourite_artist', 'lines', 'tracks', 'artist_name') }},

scored as (

    select
        purchases.*,
        ntile(5) over (order by purchases.last_purchase_at, purchases.customer_id) as recency_score,
        ntile(5) over (order by purchases.invoice_count, purchases.customer_id) as frequency_score,
        ntile(5) over (order by purchases.lifetime_value, purchases.customer_id) as monetary_score
    from purchases

),

final as (

    select
        customers.customer_id,
        customers.customer_key,
        customers.first_name,
        customers.last_name,
        customers.email,
        customers.company,
        customers.city,
        customers.state,
        customers.country,
        scored.first_purchase_at,
        scored.last_purchase_at,
        coalesce(scored.invoice_count, 0) as invoice_count,
        coalesce(scored.lifetime_value, 0) as lifetime_value,
        cast(scored.lifetime_value / scored.invoice_count as numeric(12, 2)) as average_invoice_value,
        favourite_genre.genre_name as favourite_genre,
        favourite_artist.artist_name as favourite_artist,
        cast({{ dbt.datediff('scored.last_purchase_at', 'as_of.as_of_date', 'day') }} as {{ dbt.type_int() }})  -- noqa: LT05
            as days_since_last_purchase,
        cast(scored.recency_score as {{ dbt.type_int() }}) as recency_score,
        cast(scored.frequency_score as {{ dbt.type_int() }}) as frequency_score,
        cast(scored.monetary_score as {{ dbt.type_int() }}) as monetary_score,
        case
            when scored.customer_id is null then 'prospect'
            when scored.recency_score >= 4 and scored.frequency_score >= 4 and scored.monetary_score >= 4
                then 'champion'
            when scored.frequency_score >= 4 then 'loyal'
            when scored.recency_score >= 4 then 'recent'
            when scored.recency_score <= 2 and scored.frequency_score >= 3 then 'at_risk'
            when scored.recency_score <= 2 then 'hibernating'
            else 'regular'
        end as segment
    from customers
    left join scored on scored.customer_id = customers.customer_id
    left join favourite_genre on favourite_genre.customer_id = customers.customer_id
    left join favourite_artist on favourite_artist.customer_id = customers.customer_id
    cross join as_of

)

select * from final
