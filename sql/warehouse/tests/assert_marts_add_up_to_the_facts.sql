-- Monthly, country, genre and artist revenue each add up to the revenue in the facts. Country revenue sums invoice
-- totals: less the amount by which flagged invoices exceed their lines (data_issues), it is the lines' revenue.
-- An asset check of fct_invoice_line in Dagster (it reads several models; dagster-dbt attaches it by this ref).
{{ config(meta={'dagster': {'ref': {'name': 'fct_invoice_line'}}}) }}
with facts as (

    select sum(line_amount) as revenue from {{ ref('fct_invoice_line') }}

),

unreconciled as (

    select coalesce(sum(difference), 0) as amount from {{ ref('data_issues') }}

),

marts as (

    select
        'monthly' as mart,
        sum(revenue) as revenue
    from {{ ref('mart_monthly_revenue') }}
    union all
    select
        'country',
        sum(revenue) - (select unreconciled.amount from unreconciled)
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
