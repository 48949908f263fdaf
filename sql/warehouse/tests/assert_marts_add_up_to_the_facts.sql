-- Monthly, country, genre and artist revenue each add up to the revenue in the facts.
-- An asset check of fct_invoice_line in Dagster (it reads several models; dagster-dbt attaches it by this ref).
{{ config(meta={'dagster': {'ref': {'name': 'fct_invoice_line'}}}) }}
with facts as (

    select sum(line_amount) as revenue from {{ ref('fct_invoice_line') }}

),

marts as (

    select
        'monthly' as mart,
        sum(revenue) as revenue
    from {{ ref('mart_monthly_revenue') }}
    union all
    select
        'country',
        sum(revenue)
    from {{ ref('mart_country_sales') }}
    union all
    select
        'genre',
        sum(revenue)
    from {{ ref('mart_genre_performance') }}
    union all
    select
        'artist',
        sum(revenue)
    from {{ ref('mart_artist_performance') }}

)

select marts.mart
from marts
cross join facts
where marts.revenue <> facts.revenue
