-- Revenue and units of every KPI model that covers all sales add up to the facts'; the top lists do not exceed them.
-- Country, segment, headline and top-customer revenue sum invoice totals: they are compared less the amount by which
-- flagged invoices exceed their lines (data_issues; for the top list, only the excesses).
-- An asset check of kpi_headline in Dagster (it reads several models; dagster-dbt attaches it by this ref).
{{ config(meta={'dagster': {'ref': {'name': 'kpi_headline'}}}) }}
with facts as (

    select
        sum(line_amount) as revenue,
        sum(quantity) as units
    from {{ ref('fct_invoice_line') }}

),

unreconciled as (

    select
        coalesce(sum(difference), 0) as amount,
        coalesce(sum(case when difference > 0 then difference else 0 end), 0) as excess
    from {{ ref('data_issues') }}

),

kpis as (

    select
        'monthly' as kpi,
        sum(revenue) as revenue,
        sum(units) as units
    from {{ ref('kpi_monthly_revenue') }}
    union all
    select
        'genre',
        sum(revenue),
        sum(units)
    from {{ ref('kpi_genre_sales') }}
    union all
    select
        'media_type',
        sum(revenue),
        sum(units)
    from {{ ref('kpi_media_type_sales') }}
    union all
    select
        'country',
        sum(revenue) - (select unreconciled.amount from unreconciled),
        sum(units)
    from {{ ref('kpi_country_sales') }}
    union all
    select
        'segment',
        sum(revenue) - (select unreconciled.amount from unreconciled),
        (select facts.units from facts)
    from {{ ref('kpi_customer_segments') }}
    union all
    select
        'headline',
        revenue - (select unreconciled.amount from unreconciled),
        units
    from {{ ref('kpi_headline') }}

),

top_lists as (

    select
        'artist' as kpi,
        sum(revenue) as revenue,
        sum(units) as units
    from {{ ref('kpi_artist_sales') }}
    union all
    select
        'customer',
        sum(lifetime_value) - (select unreconciled.excess from unreconciled),
        0
    from {{ ref('kpi_top_customers') }}

)

select kpis.kpi
from kpis
cross join facts
where kpis.revenue <> facts.revenue or kpis.units <> facts.units
union all
select top_lists.kpi
from top_lists
cross join facts
where top_lists.revenue > facts.revenue or top_lists.units > facts.units
